//! The rules of commissions, free of I/O.
//!
//! * [`Facts`] is what is known of one order, folded from the orders and attribution streams.
//!   Every fact keeps the highest version it has seen (or only grows), so folding the same
//!   events in any order, with duplicates, gives the same facts.
//! * [`commission`] turns facts, the program and the rules in force when the order was placed
//!   into the order's commission lines (C1, C2, C4-C8, X2, X3), unrounded.
//! * [`phase`] says where those lines stand in the lifecycle at `now` (C3, X5).
//! * [`reconcile`] turns the difference between what the ledger holds for a line and what it
//!   should hold into ledger movements, rounded half-even to the currency's minor unit (C11).

use chrono::{DateTime, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod ledger;
mod lifecycle;
pub use ledger::{Account, EntryKind, PartnerBucket, PayoutAction, PayoutStatus};
pub use lifecycle::{Bucket, Kind, Move, Phase, Position, balances, phase, reconcile, round};

/// C1, X3: no rate, and no sum of the rates of all levels on an order, exceeds 50%.
pub const MAX_RATE: Decimal = Decimal::from_parts(50, 0, 0, false, 0);

/// C1: the default rate unless the program sets one.
pub const DEFAULT_RATE: Decimal = Decimal::TEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrustLevel {
    New,
    Standard,
    Trusted,
}

impl TrustLevel {
    pub fn parse(s: &str) -> TrustLevel {
        match s {
            "trusted" => TrustLevel::Trusted,
            "standard" => TrustLevel::Standard,
            _ => TrustLevel::New,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TrustLevel::New => "new",
            TrustLevel::Standard => "standard",
            TrustLevel::Trusted => "trusted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadReward {
    /// A bounty in the program currency.
    Fixed(Decimal),
    /// A percent of the lead's revenue.
    Percent(Decimal),
}

/// The program settings commissions follows (identity owns them; commissions keeps a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub default_rate: Decimal,
    /// C3: weeks of hold for new, standard and trusted partners (4-10 each).
    pub hold_weeks: [u32; 3],
    /// X5
    pub return_window_days: u32,
    /// C5
    pub physical_return_voids: bool,
    /// L11, C8
    pub excluded_promotion_types: Vec<String>,
    /// X3: own sales in the month before a partner earns on its team.
    pub team_sales_threshold: Decimal,
    /// C10
    pub minimum_payout: Decimal,
    /// C9
    pub automatic_settlement: bool,
    /// LE6
    pub lead_reward: LeadReward,
    pub currency: String,
}

impl Default for Program {
    /// The defaults of PRODUCT.md and identity's program settings.
    fn default() -> Self {
        Program {
            default_rate: DEFAULT_RATE,
            hold_weeks: [8, 6, 4],
            return_window_days: 14,
            physical_return_voids: true,
            excluded_promotion_types: Vec::new(),
            team_sales_threshold: Decimal::ZERO,
            minimum_payout: Decimal::from(50),
            automatic_settlement: false,
            lead_reward: LeadReward::Fixed(Decimal::ZERO),
            currency: "EUR".into(),
        }
    }
}

impl Program {
    /// C3, X5: when a hold that starts at `completed` ends for a partner of `trust`.
    pub fn hold_until(&self, completed: DateTime<Utc>, trust: TrustLevel) -> DateTime<Utc> {
        let weeks = match trust {
            TrustLevel::New => self.hold_weeks[0],
            TrustLevel::Standard => self.hold_weeks[1],
            TrustLevel::Trusted => self.hold_weeks[2],
        }
        .clamp(4, 10);
        let hold = completed + Duration::weeks(i64::from(weeks));
        let window = completed + Duration::days(i64::from(self.return_window_days));
        hold.max(window)
    }
}

/// C1: what a rule pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pays {
    /// Percent of the line's base (at most 50).
    Percent(Decimal),
    /// Once per order, in the order's currency.
    FixedPerOrder(Decimal),
    /// Per unit of each line the rule decides.
    FixedPerItem(Decimal),
}

/// C7: what an override rule (level 1 or 2) is a percent of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideOf {
    Base,
    ChildCommission,
}

/// C1: when a rule applies. Empty lists and `None` match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub product_ids: Vec<Uuid>,
    pub categories: Vec<String>,
    pub customer_group_id: Option<Uuid>,
    /// The order's total (before refunds) at least this.
    pub min_order_total: Option<Decimal>,
    pub partner_tier: Option<TrustLevel>,
}

/// A commission rule as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: Uuid,
    /// Higher first.
    pub priority: i32,
    /// 0: the attributed partner's own commission; 1: its parent's override; 2: the grandparent's.
    pub level: u8,
    pub pays: Pays,
    pub of: OverrideOf,
    pub conditions: Conditions,
}

/// A line of a placed order, as commissions reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub product_id: Option<Uuid>,
    pub category: String,
    pub physical: bool,
    pub quantity: u32,
    /// After discounts, before shipping and tax.
    pub net: Decimal,
    /// O1: the product's own rate.
    pub product_rate: Option<Decimal>,
    /// X2: the coupon covers this line.
    pub coupon_applies: bool,
}

/// What `order.placed` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub currency: String,
    pub items: Vec<Item>,
    pub shipping: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub cash_on_delivery: bool,
    pub wholesale: bool,
    pub promotion_type: Option<String>,
    /// X2: the coupon's own rate, when it has one.
    pub coupon_rate: Option<Decimal>,
    /// X2: the coupon is limited to some products (only the lines it covers count).
    pub coupon_limited: bool,
    pub customer_group_id: Option<Uuid>,
    pub placed_at: DateTime<Utc>,
    /// X6: the program's reporting currency and the order's rate to it, kept from its placement.
    #[serde(default)]
    pub reporting: Option<(String, Decimal)>,
}

/// The latest `order.attributed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub version: u32,
    pub partner: Option<Uuid>,
    /// Parent, then grandparent.
    pub chain: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    PendingPayment,
    Paid,
    Confirmed,
    InProduction,
    Shipped,
    Completed,
    Cancelled,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "pending_payment" => Status::PendingPayment,
            "paid" => Status::Paid,
            "confirmed" => Status::Confirmed,
            "in_production" => Status::InProduction,
            "shipped" => Status::Shipped,
            "completed" => Status::Completed,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }
}

/// X4: one fraud signal attribution saw, with its evidence (never a raw IP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: String,
    pub evidence: std::collections::BTreeMap<String, String>,
}

/// X4: the merchant's decision on a flagged order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The commission matures as if never flagged.
    Released,
    /// The commission is voided.
    Rejected,
}

/// X4: an order whose commission waits for the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Fraud {
    pub signals: Vec<Signal>,
    pub decision: Option<Decision>,
}

impl Fraud {
    /// Flagged and not decided yet: the commission does not mature.
    pub fn open(&self) -> bool {
        !self.signals.is_empty() && self.decision.is_none()
    }
}

/// One fact about an order, as an event brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Placed(Box<Placed>),
    Attributed(Attribution),
    /// X4: signals attribution saw; they add up, a decision stays.
    Flagged(Vec<Signal>),
    /// X4: the merchant decided; the first decision stands.
    FlagDecided(Decision),
    Status {
        version: u32,
        status: Status,
        amount_paid: Decimal,
        at: DateTime<Utc>,
    },
    Refunded {
        version: u32,
        refunded_total: Decimal,
        amount_paid: Decimal,
        physical_returned: bool,
    },
}

/// Everything known of one order. [`Facts::apply`] is commutative and idempotent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub placed: Option<Placed>,
    pub attribution: Option<Attribution>,
    /// Highest order version seen with a status.
    pub status: Option<(u32, Status)>,
    pub completed_at: Option<DateTime<Utc>>,
    /// (order version, amount paid)
    pub paid: Option<(u32, Decimal)>,
    /// (order version, all refunds so far)
    pub refunded: Option<(u32, Decimal)>,
    pub physical_returned: bool,
    /// X4
    pub fraud: Option<Fraud>,
}

fn newer<T: Clone>(slot: &mut Option<(u32, T)>, version: u32, value: T) {
    if slot.as_ref().is_none_or(|(v, _)| version > *v) {
        *slot = Some((version, value));
    }
}

impl Facts {
    pub fn apply(&mut self, fact: Fact) {
        match fact {
            Fact::Placed(p) => {
                if self.placed.is_none() {
                    self.placed = Some(*p);
                }
            }
            Fact::Attributed(a) => {
                if self.attribution.as_ref().is_none_or(|x| a.version > x.version) {
                    self.attribution = Some(a);
                }
            }
            Fact::Status { version, status, amount_paid, at } => {
                newer(&mut self.status, version, status);
                newer(&mut self.paid, version, amount_paid);
                if status == Status::Completed {
                    // The first completion (versions order them; there is only one).
                    self.completed_at = Some(self.completed_at.map_or(at, |c| c.min(at)));
                }
            }
            Fact::Flagged(signals) => {
                let fraud = self.fraud.get_or_insert_with(Fraud::default);
                for s in signals {
                    if !fraud.signals.contains(&s) {
                        fraud.signals.push(s);
                    }
                }
            }
            Fact::FlagDecided(d) => {
                let fraud = self.fraud.get_or_insert_with(Fraud::default);
                fraud.decision.get_or_insert(d);
            }
            Fact::Refunded { version, refunded_total, amount_paid, physical_returned } => {
                newer(&mut self.refunded, version, refunded_total);
                newer(&mut self.paid, version, amount_paid);
                self.physical_returned |= physical_returned;
            }
        }
    }

    /// X4: the fraud signals seen, none when the order was never flagged.
    pub fn signals(&self) -> &[Signal] {
        self.fraud.as_ref().map_or(&[], |x| x.signals.as_slice())
    }

    fn status(&self) -> Option<Status> {
        self.status.map(|(_, s)| s)
    }
}

/// Why an order earns nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCommission {
    /// `order.placed` or `order.attributed` has not arrived yet.
    Waiting,
    NotAttributed,
    /// C8
    CashOnDelivery,
    /// C8, O9
    Wholesale,
    /// C8, L11
    ExcludedPromotion,
    Cancelled,
    /// C4: refunded in full before completion.
    FullyRefunded,
    /// C5
    PhysicalReturn,
    /// X4: flagged, and the merchant rejected it.
    FraudRejected,
}

impl NoCommission {
    pub fn as_str(self) -> &'static str {
        match self {
            NoCommission::Waiting => "waiting",
            NoCommission::NotAttributed => "not_attributed",
            NoCommission::CashOnDelivery => "cash_on_delivery",
            NoCommission::Wholesale => "wholesale",
            NoCommission::ExcludedPromotion => "excluded_promotion",
            NoCommission::Cancelled => "cancelled",
            NoCommission::FullyRefunded => "fully_refunded",
            NoCommission::PhysicalReturn => "physical_return",
            NoCommission::FraudRejected => "fraud_rejected",
        }
    }
}

/// One partner's commission on one order, unrounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub partner: Uuid,
    pub level: u8,
    pub amount: Decimal,
    /// The rule that decided it (`None`: the program default, the product's or the coupon's rate).
    pub rule: Option<Uuid>,
    /// "rule", "coupon", "product", "default", or "override"
    pub source: &'static str,
}

/// What the order earns: its lines, or why nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub base: Decimal,
    pub lines: Vec<Line>,
    pub none: Option<NoCommission>,
}

impl Outcome {
    fn nothing(why: NoCommission) -> Outcome {
        Outcome { base: Decimal::ZERO, lines: Vec::new(), none: Some(why) }
    }
}

/// What commission needs to know beyond the order.
pub struct Context<'a> {
    pub program: &'a Program,
    /// The rules in force when the order was placed.
    pub rules: &'a [Rule],
    pub trust: &'a (dyn Fn(Uuid) -> TrustLevel + Sync),
    /// X3: whether a partner's own sales in the order's month reached the threshold.
    pub team_ok: &'a (dyn Fn(Uuid) -> bool + Sync),
}

/// Amounts while they are computed: cut to 12 decimals, so the sums and differences that keep
/// the 50% cap are exact (a share of the base, `net × base / Σ net`, has no finite decimal; 12
/// places are far below any currency's minor unit, which rounding at write time works in).
fn exact(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(12, RoundingStrategy::ToZero)
}

fn cap(rate: Decimal) -> Decimal {
    rate.clamp(Decimal::ZERO, MAX_RATE)
}

fn matches(c: &Conditions, item: &Item, p: &Placed, tier: TrustLevel) -> bool {
    (c.product_ids.is_empty() || item.product_id.is_some_and(|id| c.product_ids.contains(&id)))
        && (c.categories.is_empty() || c.categories.iter().any(|x| x.eq_ignore_ascii_case(&item.category)))
        && c.customer_group_id.is_none_or(|g| p.customer_group_id == Some(g))
        && c.min_order_total.is_none_or(|t| p.total >= t)
        && c.partner_tier.is_none_or(|t| t == tier)
}

/// C2: paid − shipping − tax − refunded, never below zero. Before the payment is known the
/// order's total stands in for it, so an open order shows what it should earn.
pub fn base(f: &Facts, p: &Placed) -> Decimal {
    let paid = f.paid.map(|(_, a)| a).filter(|a| !a.is_zero()).unwrap_or(p.total);
    let refunded = f.refunded.map(|(_, r)| r).unwrap_or_default();
    (paid - p.shipping - p.tax - refunded).max(Decimal::ZERO)
}

/// C1-C8, X2, X3: the order's commission lines from what is known of it. An order that earns
/// nothing (C4, C5, C8, cancelled) still has its lines, at zero with the reason, so the same
/// lines exist whichever order its facts came in.
pub fn commission(f: &Facts, ctx: &Context<'_>) -> Outcome {
    let (Some(p), Some(a)) = (&f.placed, &f.attribution) else { return Outcome::nothing(NoCommission::Waiting) };
    let Some(partner) = a.partner else { return Outcome::nothing(NoCommission::NotAttributed) };
    let paid = f.paid.map(|(_, a)| a).filter(|a| !a.is_zero()).unwrap_or(p.total);
    let refunded = f.refunded.map(|(_, r)| r).unwrap_or_default();
    let void = if p.cash_on_delivery {
        Some(NoCommission::CashOnDelivery)
    } else if p.wholesale {
        Some(NoCommission::Wholesale)
    } else if p.promotion_type.as_ref().is_some_and(|t| ctx.program.excluded_promotion_types.contains(t)) {
        Some(NoCommission::ExcludedPromotion)
    } else if f.status() == Some(Status::Cancelled) {
        Some(NoCommission::Cancelled)
    } else if f.physical_returned && ctx.program.physical_return_voids {
        Some(NoCommission::PhysicalReturn)
    } else if f.completed_at.is_none() && !refunded.is_zero() && refunded >= paid {
        Some(NoCommission::FullyRefunded)
    } else if f.fraud.as_ref().is_some_and(|x| x.decision == Some(Decision::Rejected)) {
        Some(NoCommission::FraudRejected)
    } else {
        None
    };
    let mut outcome = earn(f, p, a, partner, ctx);
    if let Some(why) = void {
        for l in &mut outcome.lines {
            l.amount = Decimal::ZERO;
        }
        outcome.base = Decimal::ZERO;
        outcome.none = Some(why);
    }
    outcome
}

/// What the order earns when nothing voids it.
fn earn(f: &Facts, p: &Placed, a: &Attribution, partner: Uuid, ctx: &Context<'_>) -> Outcome {
    let base_total = base(f, p);
    // The base spread over the lines by their net amounts: shipping, tax and refunds fall on
    // each line in proportion (X2: lines a limited coupon does not cover count for nothing).
    let counts = |i: &Item| !p.coupon_limited || i.coupon_applies;
    let net: Decimal = p.items.iter().filter(|i| counts(i)).map(|i| i.net).sum();
    let all_net: Decimal = p.items.iter().map(|i| i.net).sum();
    let factor = if all_net.is_zero() { Decimal::ZERO } else { base_total / all_net };
    let counted_base = net * factor;

    let tier = (ctx.trust)(partner);
    let mut rules: Vec<&Rule> = ctx.rules.iter().collect();
    rules.sort_by(|x, y| y.priority.cmp(&x.priority).then(x.id.cmp(&y.id)));
    let own_rules: Vec<&Rule> = rules.iter().copied().filter(|r| r.level == 0).collect();

    let mut own = Decimal::ZERO;
    // The line that earns most names the order's rule.
    let mut decided_by: Option<(Decimal, Option<Uuid>, &'static str)> = None;
    let mut fixed_orders: Vec<Uuid> = Vec::new();
    for item in p.items.iter().filter(|i| counts(i)) {
        let line_base = item.net * factor;
        // X2: the coupon's rate wins; then the rules by priority; then the product's own rate;
        // then the program default (C1).
        let (amount, by) = if let (Some(rate), true) = (p.coupon_rate, item.coupon_applies) {
            (line_base * cap(rate) / Decimal::ONE_HUNDRED, (None, "coupon"))
        } else if let Some(r) = own_rules.iter().find(|r| matches(&r.conditions, item, p, tier)) {
            let amount = match r.pays {
                Pays::Percent(rate) => line_base * cap(rate) / Decimal::ONE_HUNDRED,
                Pays::FixedPerItem(v) => v * Decimal::from(item.quantity),
                Pays::FixedPerOrder(v) if !fixed_orders.contains(&r.id) => {
                    fixed_orders.push(r.id);
                    v
                }
                Pays::FixedPerOrder(_) => Decimal::ZERO,
            };
            (amount, (Some(r.id), "rule"))
        } else if let Some(rate) = item.product_rate {
            (line_base * cap(rate) / Decimal::ONE_HUNDRED, (None, "product"))
        } else {
            (line_base * cap(ctx.program.default_rate) / Decimal::ONE_HUNDRED, (None, "default"))
        };
        let amount = exact(amount);
        own += amount;
        if decided_by.is_none_or(|(most, ..)| amount > most) {
            decided_by = Some((amount, by.0, by.1));
        }
    }
    // C1: whatever the rules say, never more than 50% of the base.
    let limit = exact(counted_base * MAX_RATE / Decimal::ONE_HUNDRED);
    own = own.clamp(Decimal::ZERO, limit);
    let (_, rule, source) = decided_by.unwrap_or((Decimal::ZERO, None, "default"));
    let mut lines = vec![Line { partner, level: 0, amount: own, rule, source }];

    // C7, X3: the parent and grandparent earn their overrides, within what is left of 50%.
    let mut room = limit - own;
    let mut child = own;
    for (i, ancestor) in a.chain.iter().take(2).enumerate() {
        let level = i as u8 + 1;
        // An override rule applies when any line of the order meets its conditions.
        let tier = (ctx.trust)(*ancestor);
        let found =
            rules.iter().find(|r| r.level == level && p.items.iter().any(|i| matches(&r.conditions, i, p, tier)));
        let Some(r) = found else {
            child = Decimal::ZERO;
            continue;
        };
        if !(ctx.team_ok)(*ancestor) {
            child = Decimal::ZERO;
            continue;
        }
        let amount = match (r.pays, r.of) {
            (Pays::Percent(rate), OverrideOf::Base) => counted_base * cap(rate) / Decimal::ONE_HUNDRED,
            (Pays::Percent(rate), OverrideOf::ChildCommission) => child * cap(rate) / Decimal::ONE_HUNDRED,
            (Pays::FixedPerOrder(v), _) => v,
            (Pays::FixedPerItem(v), _) => v * Decimal::from(p.items.iter().map(|i| i.quantity).sum::<u32>()),
        }
        .clamp(Decimal::ZERO, room.max(Decimal::ZERO));
        let amount = exact(amount);
        room -= amount;
        child = amount;
        lines.push(Line { partner: *ancestor, level, amount, rule: Some(r.id), source: "override" });
    }
    Outcome { base: counted_base, lines, none: None }
}

/// LE6: what a won lead earns.
pub fn lead_reward(program: &Program, revenue: Decimal) -> Decimal {
    match program.lead_reward {
        LeadReward::Fixed(v) => v.max(Decimal::ZERO),
        LeadReward::Percent(rate) => (revenue * cap(rate) / Decimal::ONE_HUNDRED).max(Decimal::ZERO),
    }
}

#[cfg(test)]
mod tests;
