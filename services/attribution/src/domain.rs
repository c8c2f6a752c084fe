//! The rules of attribution, free of I/O: who a click binds a visitor or customer to (L3-L7, P5)
//! and who an order is attributed to (L9-L11). Every function takes the program's settings, the
//! current state and `now`, and returns a decision; the caller stores it.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// L3: how long a click attributes under `short` validity.
pub const SHORT_VALIDITY_DAYS: i64 = 15;

/// L3
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// A click attributes for 15 days (from the bound partner's latest click).
    Short,
    /// The first click binds for good.
    Permanent,
}

/// The program settings attribution follows (identity owns them; attribution keeps a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub validity: Validity,
    /// L5: `None` = protection off.
    pub protection_days: Option<u32>,
    /// L6: a partner clicking another partner's link changes nothing.
    pub ignore_partner_clicks: bool,
    /// L7
    pub self_purchase: bool,
    /// L11
    pub excluded_promotion_types: Vec<String>,
    /// X4
    pub fraud: Fraud,
}

/// X4: the fraud signals attribution looks for when it attributes an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraud {
    pub self_referral: bool,
    pub click_spam: bool,
    /// A burst is more than this many clicks from one IP hash ...
    pub spam_clicks: u32,
    /// ... within this many minutes.
    pub spam_window_minutes: u32,
    pub customer_burst: bool,
    /// A burst is at least this many new customers signing up for a partner from one IP hash ...
    pub burst_customers: u32,
    /// ... within this many minutes.
    pub burst_window_minutes: u32,
}

impl Default for Fraud {
    fn default() -> Self {
        Fraud {
            self_referral: true,
            click_spam: true,
            spam_clicks: 20,
            spam_window_minutes: 60,
            customer_burst: true,
            burst_customers: 3,
            burst_window_minutes: 1440,
        }
    }
}

/// X4: an email as a person would recognise it as theirs: lower-cased, without a `+tag`.
pub fn email_identity(email: &str) -> String {
    let e = email.trim().to_lowercase();
    match e.split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.split('+').next().unwrap_or(local)),
        None => e,
    }
}

/// X4: a customer is new, for bursts of new customers, this many days after it signed up.
pub const NEW_CUSTOMER_DAYS: i32 = 30;

/// X4: a phone as a self-referral compares it: its last nine digits, so that `+39 333 123 4567`
/// and `333-1234567` match; none when it has fewer than six digits.
pub fn phone_identity(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 6).then(|| digits[digits.len().saturating_sub(9)..].iter().collect())
}

/// X4: a person's name as a self-referral compares it: its words in lower case, in any order
/// (`Rossi Ana` is `ana rossi`); none when it has no word.
pub fn name_identity(name: &str) -> Option<String> {
    let mut words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    words.sort();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Default for Settings {
    /// The defaults of PRODUCT.md: short validity, protection off, L6 on, self-purchase off.
    fn default() -> Self {
        Settings {
            validity: Validity::Short,
            protection_days: None,
            ignore_partner_clicks: true,
            self_purchase: false,
            excluded_promotion_types: Vec::new(),
            fraud: Fraud::default(),
        }
    }
}

/// Who a visitor or customer is bound to, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub partner: Uuid,
    /// When this partner got the binding.
    pub since: DateTime<Utc>,
    /// The bound partner's latest click: short validity and protection run from here.
    pub last_click: DateTime<Utc>,
}

impl Binding {
    /// L5: protection runs from the latest click of the bound partner, while the setting is on.
    pub fn protected_until(&self, s: &Settings) -> Option<DateTime<Utc>> {
        s.protection_days.map(|d| self.last_click + Duration::days(i64::from(d)))
    }

    pub fn is_protected(&self, s: &Settings, now: DateTime<Utc>) -> bool {
        self.protected_until(s).is_some_and(|until| now < until)
    }

    /// L3: whether the binding still attributes at `now`.
    pub fn valid_until(&self, s: &Settings) -> Option<DateTime<Utc>> {
        match s.validity {
            Validity::Short => Some(self.last_click + Duration::days(SHORT_VALIDITY_DAYS)),
            Validity::Permanent => None,
        }
    }

    pub fn is_valid(&self, s: &Settings, now: DateTime<Utc>) -> bool {
        self.valid_until(s).is_none_or(|until| now < until)
    }
}

/// A click on a partner's link, as attribution sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Click {
    /// The partner whose link it is.
    pub partner: Uuid,
    /// P5: a suspended partner's links do not bind.
    pub partner_active: bool,
    /// The partner the clicking visitor or customer is, if it is one (L6, L7).
    pub clicker_partner: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Why a click changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchanged {
    /// P5
    PartnerSuspended,
    /// L6: a partner clicked another partner's link.
    PartnerClick,
    /// L7 off: a partner clicked its own link.
    OwnLink,
    /// L3: `permanent` keeps the first binding.
    Permanent,
    /// L5: another partner's binding is protected until then.
    Protected { until: DateTime<Utc> },
}

/// What a click does to the binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// L4: the first binding (or the first after the previous one lapsed).
    Bind(Binding),
    /// Same partner again: validity and protection restart from this click (L5).
    Refresh(Binding),
    /// Another partner takes the binding.
    Rebind {
        from: Uuid,
        to: Binding,
    },
    Unchanged(Unchanged),
}

impl Decision {
    /// The binding after the decision, given the one before.
    pub fn apply(self, current: Option<Binding>) -> Option<Binding> {
        match self {
            Decision::Bind(b) | Decision::Refresh(b) | Decision::Rebind { to: b, .. } => Some(b),
            Decision::Unchanged(_) => current,
        }
    }
}

/// L3-L7, P5: what `click` does to `current` at `now`.
pub fn decide(s: &Settings, current: Option<&Binding>, click: &Click, now: DateTime<Utc>) -> Decision {
    if !click.partner_active {
        return Decision::Unchanged(Unchanged::PartnerSuspended);
    }
    let fresh = Binding { partner: click.partner, since: now, last_click: now };
    match click.clicker_partner {
        // L7: a partner on its own link is bound to itself when self-purchase is on, outside
        // the protection rules; otherwise nothing happens.
        Some(me) if me == click.partner => {
            if !s.self_purchase {
                return Decision::Unchanged(Unchanged::OwnLink);
            }
            return match current {
                Some(b) if b.partner == me => Decision::Refresh(Binding { last_click: now, ..*b }),
                Some(b) => Decision::Rebind { from: b.partner, to: fresh },
                None => Decision::Bind(fresh),
            };
        }
        // L6
        Some(_) if s.ignore_partner_clicks => return Decision::Unchanged(Unchanged::PartnerClick),
        _ => {}
    }
    // A lapsed short-validity binding no longer counts: the visitor is unbound again.
    let current = current.filter(|b| b.is_valid(s, now));
    match current {
        None => Decision::Bind(fresh),
        Some(b) if b.partner == click.partner => Decision::Refresh(Binding { last_click: now, ..*b }),
        Some(_) if s.validity == Validity::Permanent => Decision::Unchanged(Unchanged::Permanent),
        Some(b) if b.is_protected(s, now) => {
            Decision::Unchanged(Unchanged::Protected { until: b.protected_until(s).unwrap_or(now) })
        }
        Some(b) => Decision::Rebind { from: b.partner, to: fresh },
    }
}

/// Why an order went to nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoPartner {
    /// L11
    CashOnDelivery,
    /// L11
    ExcludedPromotion(String),
    /// L7 off: the customer is the bound partner itself.
    OwnOrder,
    NotBound,
    /// L3: the binding lapsed before the order.
    BindingExpired,
    /// P5
    PartnerSuspended,
}

impl NoPartner {
    pub fn as_str(&self) -> &'static str {
        match self {
            NoPartner::CashOnDelivery => "cash_on_delivery",
            NoPartner::ExcludedPromotion(_) => "excluded_promotion",
            NoPartner::OwnOrder => "own_order",
            NoPartner::NotBound => "not_bound",
            NoPartner::BindingExpired => "binding_expired",
            NoPartner::PartnerSuspended => "partner_suspended",
        }
    }
}

/// X1: why an order has its partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    PlacedBy,
    Coupon,
    Binding,
    None(NoPartner),
}

impl Reason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::PlacedBy => "placed_by",
            Reason::Coupon => "coupon",
            Reason::Binding => "binding",
            Reason::None(_) => "none",
        }
    }
}

/// The facts of a placed order attribution decides on.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub placed_by: Option<Uuid>,
    pub coupon_partner: Option<Uuid>,
    pub cash_on_delivery: bool,
    pub promotion_type: Option<String>,
    /// The customer's binding when the order was placed.
    pub binding: Option<Binding>,
    /// The partner the customer is, if it is one (L7).
    pub customer_partner: Option<Uuid>,
    pub placed_at: DateTime<Utc>,
}

/// L9-L11: the order's partner by precedence placed-by > coupon > binding within validity.
/// `active` says whether a partner may still be attributed (P5).
pub fn attribute(s: &Settings, o: &OrderFacts, active: impl Fn(Uuid) -> bool) -> (Option<Uuid>, Reason) {
    if o.cash_on_delivery {
        return (None, Reason::None(NoPartner::CashOnDelivery));
    }
    if let Some(p) = o.promotion_type.as_deref().filter(|p| s.excluded_promotion_types.iter().any(|x| x == p)) {
        return (None, Reason::None(NoPartner::ExcludedPromotion(p.to_string())));
    }
    // L7, C6, X8: a customer who is a partner buys for itself. Its order is its own (when
    // self-purchase is on) whatever binding, coupon or placing partner it comes with, and
    // nobody's otherwise.
    if let Some(me) = o.customer_partner {
        if !s.self_purchase {
            return (None, Reason::None(NoPartner::OwnOrder));
        }
        if !active(me) {
            return (None, Reason::None(NoPartner::PartnerSuspended));
        }
        return (Some(me), Reason::Binding);
    }
    let candidate = if let Some(p) = o.placed_by {
        (p, Reason::PlacedBy)
    } else if let Some(p) = o.coupon_partner {
        (p, Reason::Coupon)
    } else {
        match o.binding {
            None => return (None, Reason::None(NoPartner::NotBound)),
            Some(b) if !b.is_valid(s, o.placed_at) => return (None, Reason::None(NoPartner::BindingExpired)),
            Some(b) => (b.partner, Reason::Binding),
        }
    };
    if !active(candidate.0) {
        return (None, Reason::None(NoPartner::PartnerSuspended));
    }
    (Some(candidate.0), candidate.1)
}

#[cfg(test)]
mod tests;
