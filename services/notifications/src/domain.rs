//! Notifications' values and rules, pure: no I/O. Which event tells whom what (N1, LE3).

use std::collections::BTreeMap;

use platform::AppError;
use platform::auth::{Principal, Role};
use platform::string_enum;
use uuid::Uuid;

string_enum!(
    /// N1: what a notification says happened.
    Kind {
        OrderAttributed = "order_attributed",
        CommissionEarned = "commission_earned",
        CommissionAvailable = "commission_available",
        PayoutRequested = "payout_requested",
        PayoutPaid = "payout_paid",
        ApplicationSubmitted = "application_submitted",
        ApplicationApproved = "application_approved",
        LeadStatusChanged = "lead_status_changed",
        LeadAssigned = "lead_assigned",
        Announcement = "announcement",
        Message = "message",
        WebhookDisabled = "webhook_disabled",
    }
);

string_enum!(
    /// N2: whom an announcement reaches: every active partner, or those of one trust level.
    Audience { All = "all", New = "new", Standard = "standard", Trusted = "trusted" }
);

impl Audience {
    pub fn of(raw: &str) -> Result<Audience, AppError> {
        if raw.trim().is_empty() { Ok(Audience::All) } else { Audience::parse("audience", raw) }
    }
}

/// A1: a topic a person may turn on or off: in the app, by email, or both where it has both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub name: &'static str,
    pub in_app: bool,
    pub email: bool,
}

const fn topic(name: &'static str, in_app: bool, email: bool) -> Topic {
    Topic { name, in_app, email }
}

/// The topics of an inbox: a partner's, the merchant's, a sales rep's. The payment link a
/// customer needs and an applicant's answer are no one's to turn off, so they are none of these.
pub fn topics(r: Recipient) -> &'static [Topic] {
    const PARTNER: &[Topic] = &[
        topic("order_attributed", true, false),
        topic("commission_earned", true, false),
        topic("commission_available", true, false),
        topic("payout_paid", true, true),
        topic("lead_submitted", false, true),
        topic("lead_status_changed", true, false),
        topic("announcement", true, false),
        topic("message", true, false),
    ];
    const MERCHANT: &[Topic] = &[
        topic("application_submitted", true, false),
        topic("payout_requested", true, false),
        topic("message", true, false),
        topic("webhook_disabled", true, false),
    ];
    const USER: &[Topic] = &[topic("lead_assigned", true, false)];
    match r {
        Recipient::Partner(_) => PARTNER,
        Recipient::Merchant => MERCHANT,
        Recipient::User(_) => USER,
    }
}

/// The inbox whose preferences a caller sets: a partner its partner's, a merchant admin the
/// program's (one inbox they share), anyone else its own.
pub fn preference_inbox(p: &Principal) -> Result<Recipient, AppError> {
    let mine = Recipient::of_caller(p)?;
    Ok(mine[0])
}

/// A text a person wrote: trimmed, not empty, at most `max` characters.
pub fn written(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if t.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(t.to_string())
}

/// N3: the first words of a message, for its notification.
pub fn preview(body: &str) -> String {
    const MAX: usize = 80;
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX { line } else { format!("{}…", line.chars().take(MAX - 1).collect::<String>()) }
}

/// Who reads a notification: a partner's people, the program's admins (one shared inbox), or
/// one person (a sales rep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Partner(Uuid),
    Merchant,
    User(Uuid),
}

impl Recipient {
    pub fn key(self) -> String {
        match self {
            Recipient::Partner(p) => format!("partner:{p}"),
            Recipient::Merchant => "merchant".to_string(),
            Recipient::User(u) => format!("user:{u}"),
        }
    }

    /// Whose inboxes a caller reads: a partner its partner's and its own, a merchant admin the
    /// program's and its own, a sales rep its own. API keys have none: notifications are for people.
    pub fn of_caller(p: &Principal) -> Result<Vec<Recipient>, AppError> {
        p.tenant()?;
        match p.role {
            Role::Partner => {
                let partner = p.partner.ok_or_else(|| AppError::forbidden("this account has no partner profile"))?;
                Ok(vec![Recipient::Partner(partner), Recipient::User(p.subject)])
            }
            Role::MerchantAdmin => Ok(vec![Recipient::Merchant, Recipient::User(p.subject)]),
            Role::SalesRep => Ok(vec![Recipient::User(p.subject)]),
            Role::Integrator => Err(AppError::forbidden("notifications are for people; an API key has none")),
            Role::PlatformAdmin => Err(AppError::forbidden("sign in to a program to see its notifications")),
        }
    }
}

/// A notification about to be written: to whom, what, about which object, with which figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub recipient: Recipient,
    pub kind: Kind,
    pub object_type: &'static str,
    pub object_id: String,
    pub params: BTreeMap<String, String>,
}

impl Draft {
    fn new(recipient: Recipient, kind: Kind, object_type: &'static str, object_id: &str) -> Draft {
        Draft { recipient, kind, object_type, object_id: object_id.to_string(), params: BTreeMap::new() }
    }

    fn with(mut self, name: &str, value: &str) -> Draft {
        self.params.insert(name.to_string(), value.to_string());
        self
    }

    /// N1 "order for your customer": an order attributed to a partner it did not place itself
    /// (a placed order's partner knows already; an order of nobody tells nobody).
    pub fn order_attributed(order: &str, partner: Option<Uuid>, reason: &str) -> Option<Draft> {
        let partner = partner?;
        if matches!(reason, "placed_by" | "none" | "") {
            return None;
        }
        Some(Draft::new(Recipient::Partner(partner), Kind::OrderAttributed, "order", order).with("reason", reason))
    }

    /// N1 "commission earned or available": money accrued to any of the partner's buckets (a
    /// line earns; an order imported completed earns straight into held), or moved into
    /// available (its hold ended). Movements back to the merchant tell nothing here.
    pub fn commission(event: &str, m: &Movement<'_>) -> Option<Draft> {
        let kind = match event {
            "commission.accrued" if m.credit_account.starts_with("partner:") => Kind::CommissionEarned,
            "commission.available" if m.credit_account.ends_with(":available") => Kind::CommissionAvailable,
            _ => return None,
        };
        let draft = Draft::new(Recipient::Partner(m.partner), kind, "order", m.order)
            .with("amount", m.amount)
            .with("currency", m.currency);
        let draft = if m.level > 0 { draft.with("level", &m.level.to_string()) } else { draft };
        Some(if kind == Kind::CommissionAvailable { draft.with("count", "1") } else { draft })
    }

    /// I2: the merchant is told that an endpoint failing for days was disabled.
    pub fn webhook_disabled(endpoint: Uuid, url: &str) -> Draft {
        Draft::new(Recipient::Merchant, Kind::WebhookDisabled, "webhook_endpoint", &endpoint.to_string())
            .with("url", url)
    }

    /// C10: the merchant is told of a request; the partner of its payout paid.
    pub fn payout(
        event: &str,
        partner: Uuid,
        payout: &str,
        amount: &str,
        currency: &str,
        reference: &str,
    ) -> Option<Draft> {
        let draft = match event {
            "payout.requested" => Draft::new(Recipient::Merchant, Kind::PayoutRequested, "payout", payout)
                .with("partner_id", &partner.to_string()),
            "payout.paid" => {
                Draft::new(Recipient::Partner(partner), Kind::PayoutPaid, "payout", payout).with("reference", reference)
            }
            _ => return None,
        };
        Some(draft.with("amount", amount).with("currency", currency))
    }

    /// N2: an announcement, to each partner it reaches.
    pub fn announcement(id: &str) -> Draft {
        Draft::new(Recipient::Merchant, Kind::Announcement, "announcement", id)
    }

    /// N3: a message, to the other side of the thread (the object is the thread: the partner).
    pub fn message(to: Recipient, thread: &str) -> Draft {
        Draft::new(to, Kind::Message, "thread", thread)
    }

    /// P3: the merchant is told an application arrived.
    pub fn application_submitted(application: &str, name: &str) -> Draft {
        Draft::new(Recipient::Merchant, Kind::ApplicationSubmitted, "application", application).with("name", name)
    }

    /// P3: the applicant, now a partner, is told it was approved (a partner the merchant added
    /// itself, with no application, is not).
    pub fn application_approved(partner: Uuid, application: &str) -> Option<Draft> {
        (!application.is_empty())
            .then(|| Draft::new(Recipient::Partner(partner), Kind::ApplicationApproved, "application", application))
    }

    /// LE3: the partner is told of each status change of its lead; a sales rep of a lead
    /// assigned to it.
    pub fn lead(event: &str, lead: &str, partner: Uuid, to_status: &str, rep: Option<Uuid>) -> Option<Draft> {
        match event {
            "lead.status_changed" => Some(
                Draft::new(Recipient::Partner(partner), Kind::LeadStatusChanged, "lead", lead)
                    .with("status", to_status),
            ),
            "lead.rep_assigned" => Some(Draft::new(Recipient::User(rep?), Kind::LeadAssigned, "lead", lead)),
            _ => None,
        }
    }
}

/// What a commission movement says, as the rules above need it.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub partner: Uuid,
    pub order: &'a str,
    pub level: u32,
    pub amount: &'a str,
    pub currency: &'a str,
    pub credit_account: &'a str,
}

/// Whether a draft adds to the recipient's unread notification of its kind and currency
/// rather than making one more: holds end many at a time (one clock tick releases every order
/// due), and a partner reads "12 commissions of 240.00 EUR are now available" once.
pub fn adds_up(d: &Draft) -> bool {
    d.kind == Kind::CommissionAvailable
}

/// Where the portal shows a notification's object (a path on the gateway); empty when it has
/// no page there (the merchant's pages are not built yet).
pub fn link(kind: Kind, object_id: &str) -> String {
    match kind {
        Kind::OrderAttributed => format!("/orders/{object_id}"),
        Kind::CommissionEarned | Kind::CommissionAvailable | Kind::PayoutPaid => "/earnings".to_string(),
        Kind::ApplicationApproved => "/home".to_string(),
        Kind::LeadStatusChanged => format!("/leads/{object_id}"),
        Kind::Announcement => format!("/announcements#a-{object_id}"),
        Kind::Message => "/messages".to_string(),
        Kind::PayoutRequested | Kind::ApplicationSubmitted | Kind::LeadAssigned | Kind::WebhookDisabled => {
            String::new()
        }
    }
}

/// The English sentence of a notification; the portal says it in the reader's language.
pub fn text(kind: Kind, params: &BTreeMap<String, String>) -> String {
    let p = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    match kind {
        Kind::OrderAttributed => "A new order from your customer was credited to you.".to_string(),
        Kind::CommissionEarned => format!("You earned a commission of {} {}.", p("amount"), p("currency")),
        Kind::CommissionAvailable if p("count").parse::<u64>().unwrap_or(1) > 1 => {
            format!("{} commissions of {} {} in all are now available.", p("count"), p("amount"), p("currency"))
        }
        Kind::CommissionAvailable => format!("A commission of {} {} is now available.", p("amount"), p("currency")),
        Kind::PayoutRequested => {
            let who = params.get("partner_name").map_or("A partner", String::as_str);
            format!("{who} asked for a payout of {} {}.", p("amount"), p("currency"))
        }
        Kind::PayoutPaid => format!("Your payout of {} {} was paid.", p("amount"), p("currency")),
        Kind::ApplicationSubmitted => format!("{} applied to join the program.", p("name")),
        Kind::ApplicationApproved => "Your application was approved: welcome to the program.".to_string(),
        Kind::LeadStatusChanged => format!("Your lead is now {}.", p("status").replace('_', " ")),
        Kind::LeadAssigned => "A lead was assigned to you.".to_string(),
        Kind::Announcement => format!("New announcement: {}", p("title")),
        Kind::Message => format!("New message from {}: {}", p("name"), p("preview")),
        Kind::WebhookDisabled => {
            format!("The webhook endpoint {} failed every delivery for 5 days and was disabled.", p("url"))
        }
    }
}

/// N4: how long the mailer waits after the `attempts`-th failed try of an email before the
/// next; `None`: it has failed for good (after about a day of tries).
pub fn retry_after(attempts: i32) -> Option<chrono::Duration> {
    const MINUTES: [i64; 9] = [1, 5, 15, 30, 60, 120, 240, 480, 600];
    let i = usize::try_from(attempts.max(1) - 1).ok()?;
    MINUTES.get(i).map(|m| chrono::Duration::minutes(*m))
}

#[cfg(test)]
mod tests;
