//! Every event type the services publish, in one list (I1, X9): the subject, the CloudEvents
//! type and the protobuf message of each, and what it means. `docs/events.md` explains them;
//! the AsyncAPI document (`docs/asyncapi.yaml`, served at `/api/v1/asyncapi.yaml`) is made from
//! this list, and a test checks that every event the running system publishes is in it.

/// One event type: published on `<context>.<tenant>.<aggregate>.<event>`, with CloudEvents type
/// `partnerline.<context>.<aggregate>.<event>.v1` and a `partnerline.events.v1.<message>` payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    pub context: &'static str,
    pub aggregate: &'static str,
    pub event: &'static str,
    pub message: &'static str,
    pub summary: &'static str,
}

impl EventType {
    /// `aggregate.event`, the subject's last two tokens.
    pub fn name(&self) -> String {
        format!("{}.{}", self.aggregate, self.event)
    }

    /// The subject with its tenant left open: `orders.*.order.placed`.
    pub fn subject(&self) -> String {
        format!("{}.*.{}.{}", self.context, self.aggregate, self.event)
    }

    pub fn ce_type(&self) -> String {
        format!("partnerline.{}.{}.{}.v1", self.context, self.aggregate, self.event)
    }
}

const fn e(
    context: &'static str,
    aggregate: &'static str,
    event: &'static str,
    message: &'static str,
    summary: &'static str,
) -> EventType {
    EventType { context, aggregate, event, message, summary }
}

/// The contexts, in the order of the catalog.
pub const CONTEXTS: [&str; 6] = ["identity", "customers", "orders", "attribution", "commissions", "notifications"];

pub const EVENTS: &[EventType] = &[
    e(
        "identity",
        "tenant",
        "created",
        "TenantCreated",
        "a platform admin created a program; settings are the ones it starts with",
    ),
    e(
        "identity",
        "program",
        "updated",
        "ProgramUpdated",
        "settings, name or recruitment plan changed; settings holds every setting after the change (the typed identity.v1.ProgramSettings; readers decode it strictly and dead-letter an event they cannot read); changed names them (e.g. protection_period_days, which attribution uses to end running protection periods, L5)",
    ),
    e(
        "identity",
        "partner",
        "approved",
        "PartnerApproved",
        "someone became an active partner: application approved (P3), approved at once, or added by a merchant (application_id empty)",
    ),
    e(
        "identity",
        "partner",
        "updated",
        "PartnerUpdated",
        "profile, payout method, trust level, status or parent changed",
    ),
    e("identity", "partner", "suspended", "PartnerStatusChanged", "P5: a suspended partner's links stop attributing"),
    e("identity", "partner", "reactivated", "PartnerStatusChanged", "P5: a suspended partner's links stop attributing"),
    e(
        "identity",
        "application",
        "submitted",
        "ApplicationSubmitted",
        "an application arrived (notifications: confirmation)",
    ),
    e("identity", "application", "rejected", "ApplicationRejected", "with the reason told to the applicant (P3)"),
    e(
        "identity",
        "application",
        "repeated",
        "ApplicationRepeated",
        "an application came with an email that has an account (reason account) or a pending application (pending); the applicant was answered as any other, notifications emails the address's owner",
    ),
    e("identity", "invite", "created", "InviteCreated", "a partner made an invite link (P4)"),
    e(
        "identity",
        "api_key",
        "created",
        "ApiKeyCreated",
        "A3: a merchant admin made an integrator key, with its scopes (never its secret)",
    ),
    e("identity", "api_key", "revoked", "ApiKeyRevoked", "A3: an integrator key was revoked"),
    e("identity", "user", "created", "UserCreated", "a merchant admin added staff (an admin or a sales rep)"),
    e(
        "identity",
        "user",
        "password_changed",
        "PasswordChanged",
        "a user changed its password; every session of it ended",
    ),
    e(
        "identity",
        "access",
        "revoked",
        "AccessRevoked",
        "sessions that ended (sign-out, a reused refresh token, a password change, a partner suspended or reactivated) or a revoked API key: every process's verifiers refuse their tokens at once (platform::revocations)",
    ),
    e("customers", "customer", "created", "CustomerChanged", "CU1; changed names the fields of an update"),
    e("customers", "customer", "updated", "CustomerChanged", "CU1; changed names the fields of an update"),
    e("customers", "customer", "deleted", "CustomerChanged", "CU1; changed names the fields of an update"),
    e(
        "customers",
        "customer",
        "erased",
        "CustomerErased",
        "X7: the customer's personal data was erased; orders, attribution and notifications anonymise their copies",
    ),
    e(
        "customers",
        "customer",
        "reassigned",
        "CustomerReassigned",
        "CU6: a merchant moved the customer to another partner; CU7: or its group moved, or an approver picked it; L8: a customer who registered through a partner's link and had no owner went to that partner (actor: the nil id, the platform itself)",
    ),
    e(
        "customers",
        "customer",
        "approved",
        "CustomerChanged",
        "CU7: a business customer left pending_approval; changed says whether the owner changed too",
    ),
    e("customers", "group", "created", "GroupChanged", "CU7: a customer group, with the partner it is assigned to"),
    e("customers", "group", "updated", "GroupChanged", "CU7: a customer group, with the partner it is assigned to"),
    e("customers", "group", "deleted", "GroupChanged", "CU7: a customer group, with the partner it is assigned to"),
    e(
        "customers",
        "customer",
        "registered",
        "CustomerRegistered",
        "L8: a customer signed up; referral_code is the partner link it came through, for attribution",
    ),
    e("customers", "note", "added", "NoteChanged", "CU3: a note on a customer was added"),
    e("customers", "note", "updated", "NoteChanged", "CU3: a note on a customer was changed"),
    e("customers", "note", "deleted", "NoteChanged", "CU3: a note on a customer was deleted"),
    e(
        "customers",
        "communication",
        "logged",
        "CommunicationLogged",
        "CU4: a call, email or meeting with a customer was logged",
    ),
    e(
        "customers",
        "quick_order_link",
        "created",
        "QuickOrderLinkChanged",
        "CU8 (created also on regenerate); the token never travels",
    ),
    e(
        "customers",
        "quick_order_link",
        "revoked",
        "QuickOrderLinkChanged",
        "CU8 (created also on regenerate); the token never travels",
    ),
    e(
        "customers",
        "quick_order_link",
        "sent",
        "QuickOrderLinkSent",
        "CU8, N4: a new link to be emailed to the customer, with `quick_order_path` (`/q/<token>`)",
    ),
    e("customers", "lead", "submitted", "LeadSubmitted", "LE1; notifications sends the confirmation email (LE3)"),
    e("customers", "lead", "status_changed", "LeadChanged", "LE2; the partner is notified (LE3)"),
    e("customers", "lead", "rep_assigned", "LeadChanged", "LE2; the partner is notified (LE3)"),
    e("customers", "lead", "won", "LeadWon", "LE5, LE6: plan and revenue, for the partner's reward in commissions"),
    e(
        "orders",
        "order",
        "placed",
        "OrderPlaced",
        "O2: lines (with category, kind, commission rate, whether the coupon applies), amounts, payment method, channel, promotion type, coupon and its partner and rate (L9, X2), placed-by partner, the customer's owner, kind (wholesale earns nothing, O9), first status",
    ),
    e("orders", "order", "paid", "OrderStatusChanged", "O4: from, to, amount paid, actor"),
    e("orders", "order", "confirmed", "OrderStatusChanged", "O4: from, to, amount paid, actor"),
    e("orders", "order", "in_production", "OrderStatusChanged", "O4: from, to, amount paid, actor"),
    e("orders", "order", "shipped", "OrderStatusChanged", "O4: from, to, amount paid, actor"),
    e("orders", "order", "completed", "OrderStatusChanged", "O4: from, to, amount paid, actor"),
    e("orders", "order", "cancelled", "OrderStatusChanged", "O4: from, to, amount paid, actor"),
    e(
        "orders",
        "order",
        "refunded",
        "OrderRefunded",
        "O6: this refund, refunded_total so far, and physical_returned (has any physical item of the order come back, C5)",
    ),
    e(
        "orders",
        "order",
        "payment_link_created",
        "OrderPaymentLinkCreated",
        "O3: what the payment email needs, including pay_path (/pay/<token>): the only event that carries a credential, because the email must",
    ),
    e("orders", "product", "created", "ProductChanged", "O1: a product joined the catalog"),
    e("orders", "product", "updated", "ProductChanged", "O1: a product of the catalog changed"),
    e("orders", "coupon", "created", "CouponChanged", "L9: a partner's coupon was made"),
    e("orders", "coupon", "disabled", "CouponChanged", "L9: a partner's coupon was disabled"),
    e(
        "orders",
        "exchange_rates",
        "updated",
        "ExchangeRatesUpdated",
        "X6: the rates the merchant put, each for a currency pair from a day on; commissions keeps them to pay partners in their own currency",
    ),
    e(
        "attribution",
        "click",
        "recorded",
        "ClicksRecorded",
        "L2, batched: per batch from the gateway, clicks and bindings per link, with the first and last click's time",
    ),
    e(
        "attribution",
        "link",
        "created",
        "LinkCreated",
        "L1: a referral link (made when a partner is approved), a share link, or a poster's link (valid 30 days)",
    ),
    e(
        "attribution",
        "customer",
        "bound",
        "BindingChanged",
        "L3-L8: a visitor or customer now belongs to a partner; cause is click, registration or visitor_merged. A click of the same partner that restarts validity and protection is kept in the binding's history but not published",
    ),
    e(
        "attribution",
        "customer",
        "rebound",
        "BindingChanged",
        "L3-L8: a visitor or customer now belongs to a partner; cause is click, registration or visitor_merged. A click of the same partner that restarts validity and protection is kept in the binding's history but not published",
    ),
    e(
        "attribution",
        "customer",
        "released",
        "BindingChanged",
        "X8: a customer became a partner and left its binding; partner_id is the partner it left, cause is became_partner",
    ),
    e(
        "attribution",
        "order",
        "attributed",
        "OrderAttributed",
        "L9-L11, X1: the order's partner, its parents (up to two levels, C7), the reason (placed_by, coupon, binding, none) and, for none, why; binding with detail customer_owner when the customer had no click but a partner keeps it in its CRM. Decided once per order.placed (a redelivery publishes nothing); orders reads it to set the order's partner",
    ),
    e(
        "commissions",
        "commission",
        "accrued",
        "CommissionMoved",
        "C2-C8: a line earns (or, recomputed, earns less: the movement goes back to merchant:expense)",
    ),
    e(
        "commissions",
        "commission",
        "held",
        "CommissionMoved",
        "C3: the order completed; held until hold_until (the trust level's weeks, never before the return window closes, X5)",
    ),
    e("commissions", "commission", "available", "CommissionMoved", "C3: the hold ended (the clock's job)"),
    e(
        "commissions",
        "commission",
        "voided",
        "CommissionMoved",
        "C4, C5, C8, cancellation, or the order's partner changed (X1): what was pending or held goes back",
    ),
    e(
        "commissions",
        "commission",
        "clawback",
        "CommissionMoved",
        "C5: a refund (or a change of partner) after the commission became available or was paid; the available balance may go negative",
    ),
    e("commissions", "payout", "requested", "PayoutChanged", "C10 (and C9: automatic payouts are published as paid)"),
    e("commissions", "payout", "approved", "PayoutChanged", "C10 (and C9: automatic payouts are published as paid)"),
    e("commissions", "payout", "rejected", "PayoutChanged", "C10 (and C9: automatic payouts are published as paid)"),
    e("commissions", "payout", "paid", "PayoutChanged", "C10 (and C9: automatic payouts are published as paid)"),
    e(
        "commissions",
        "commission",
        "flagged",
        "CommissionFlagged",
        "X4: a fraud signal holds the order's commission for the merchant's decision instead of maturing",
    ),
    e(
        "commissions",
        "commission",
        "flag_decided",
        "CommissionFlagDecided",
        "X4: the merchant released the flagged commission (it matures) or rejected it (it is voided)",
    ),
    e(
        "commissions",
        "settlement",
        "failed",
        "SettlementFailed",
        "C9: the merchant's prepaid balance could not cover an automatic payout (insufficient_merchant_balance); retried after a top-up",
    ),
    e(
        "commissions",
        "lead",
        "rewarded",
        "LeadRewarded",
        "LE6: a won lead's bounty or percent of revenue, credited as available",
    ),
    e(
        "notifications",
        "announcement",
        "created",
        "AnnouncementCreated",
        "N2: the merchant wrote to its partners (all, or a trust level); how many it reached",
    ),
    e(
        "notifications",
        "message",
        "sent",
        "MessageSent",
        "N3: a message in a partner's thread with the merchant, and who wrote it",
    ),
];

/// The type a context publishes under `aggregate.event`.
pub fn find(context: &str, name: &str) -> Option<&'static EventType> {
    EVENTS.iter().find(|e| e.context == context && e.name() == name)
}
