//! What commissions publishes (subjects `commissions.<tenant>.<aggregate>.<event>`, payloads from
//! `proto/partnerline/events/v1/commissions.proto`), and how each message is built.

use partnerline_proto::events::v1 as ev;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::store::{LineRow, NewEntry, PayoutRow};

pub const CONTEXT: &str = "commissions";

/// An instant to the millisecond, as events carry times: a rule in force from `now` must hold
/// for an order placed in the same millisecond, whose `placed_at` arrives truncated (C1).
pub fn instant(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(t, 3)
}

/// Times as every commissions message writes them.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `commission.<kind>`: one movement of a line's money, with the line as it stands after it.
pub fn commission_moved(tenant: Uuid, row: &LineRow, e: &NewEntry, entry: Uuid) -> ev::CommissionMoved {
    ev::CommissionMoved {
        tenant_id: tenant.to_string(),
        order_id: row.order_id.to_string(),
        partner_id: row.partner_id.to_string(),
        level: row.level as u32,
        amount: e.amount.to_string(),
        currency: e.currency.clone(),
        debit_account: e.debit.key(),
        credit_account: e.credit.key(),
        line_amount: row.amount.to_string(),
        state: row.state.clone(),
        hold_until: row.hold_until.map(ts),
        rule_id: e.rule.map(|r| r.to_string()),
        reason: e.reason.clone(),
        entry_id: entry.to_string(),
    }
}

/// `lead.rewarded` (LE6).
pub fn lead_rewarded(tenant: Uuid, lead: Uuid, partner: Uuid, amount: Decimal, currency: String) -> ev::LeadRewarded {
    ev::LeadRewarded {
        tenant_id: tenant.to_string(),
        lead_id: lead.to_string(),
        partner_id: partner.to_string(),
        amount: amount.to_string(),
        currency,
    }
}

/// `payout.<status>` (C10, C9).
pub fn payout_changed(tenant: Uuid, p: &PayoutRow) -> ev::PayoutChanged {
    ev::PayoutChanged {
        tenant_id: tenant.to_string(),
        payout_id: p.id.to_string(),
        partner_id: p.partner_id.to_string(),
        amount: p.amount.to_string(),
        currency: p.currency.clone(),
        status: p.status.as_str().into(),
        method: p.method.clone(),
        reference: p.reference.clone(),
        reason: p.reason.clone(),
        automatic: p.automatic,
        payout_currency: p.converted.payout_currency.clone(),
        payout_amount: p.converted.payout_amount.map(|a| a.to_string()),
        exchange_rate: p.converted.exchange_rate.map(|r| r.normalize().to_string()),
    }
}

/// `settlement.failed` (C9): the prepaid balance did not cover a partner's available balance
/// (`insufficient_merchant_balance`), or no rate to the partner's currency is known (X6,
/// `no_exchange_rate`).
pub fn settlement_failed(
    tenant: Uuid,
    id: Uuid,
    partner: Uuid,
    amount: Decimal,
    currency: &str,
    merchant_balance: Decimal,
    reason: &str,
) -> ev::SettlementFailed {
    ev::SettlementFailed {
        tenant_id: tenant.to_string(),
        settlement_id: id.to_string(),
        partner_id: partner.to_string(),
        amount: amount.to_string(),
        currency: currency.to_string(),
        reason: reason.into(),
        merchant_balance: merchant_balance.to_string(),
    }
}

fn signals(s: &[crate::domain::Signal]) -> Vec<ev::FraudSignal> {
    s.iter()
        .map(|s| ev::FraudSignal { kind: s.kind.clone(), evidence: s.evidence.clone().into_iter().collect() })
        .collect()
}

/// `commission.flagged` (X4).
pub fn commission_flagged(
    tenant: Uuid,
    order: Uuid,
    partner: Option<Uuid>,
    s: &[crate::domain::Signal],
    at: chrono::DateTime<chrono::Utc>,
) -> ev::CommissionFlagged {
    ev::CommissionFlagged {
        tenant_id: tenant.to_string(),
        order_id: order.to_string(),
        partner_id: partner.map(|p| p.to_string()).unwrap_or_default(),
        signals: signals(s),
        at: ts(at),
    }
}

/// `commission.flag_decided` (X4).
pub fn flag_decided(
    tenant: Uuid,
    f: &crate::store::FlagRow,
    decision: &str,
    note: &str,
    actor: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> ev::CommissionFlagDecided {
    ev::CommissionFlagDecided {
        tenant_id: tenant.to_string(),
        order_id: f.order_id.to_string(),
        partner_id: f.partner_id.map(|p| p.to_string()).unwrap_or_default(),
        decision: decision.to_string(),
        note: note.to_string(),
        actor_user_id: actor.to_string(),
        at: ts(at),
    }
}
