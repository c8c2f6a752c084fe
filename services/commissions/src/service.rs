//! What commissions does, shared by its gRPC API, its consumers and its jobs: fold an order's
//! facts and recompute its lines into the ledger (C1-C8, C11), move holds on (C3, X5), pay
//! leads (LE6), payouts (C10) and automatic settlement (C9).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use partnerline_proto::events::v1 as ev;
use partnerline_proto::orders::v1::orders_client::OrdersClient;
use platform::auth::Verifier;
use platform::db::TenantTx;
use platform::outbox::{NewEvent, Outbox};
use platform::{AppError, Clock, Currency};
use rust_decimal::Decimal;
use sqlx::PgPool;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::domain::{self, Account, EntryKind, Fact, Facts, PartnerBucket, Phase, Position, TrustLevel};
use crate::events;
use crate::program;
use crate::store::{self, LineRow, NewEntry};

/// X4: the reason a flagged line gives while the merchant has not decided.
pub const UNDER_REVIEW: &str = "under_review";

/// C10, X6: the entries of a payout reaching `to`: a request moves the amount from available to
/// requested, a rejection back, a payment from requested to paid. Paid in another currency, the
/// request and the rejection each take two legs through the pair's FX account (each within one
/// currency, at the payout's rate both ways), and requested and paid hold the partner's currency.
pub(crate) fn payout_entries(p: &store::PayoutRow, to: domain::PayoutStatus, reason: &str) -> Vec<NewEntry> {
    use PartnerBucket::{Available, Paid, Requested};
    use domain::PayoutStatus as S;
    let me = |b| Account::partner(p.partner_id, b);
    let entry = |kind, debit, credit, amount: Decimal, currency: &str| NewEntry {
        partner: Some(p.partner_id),
        payout: Some(p.id),
        reason: reason.to_string(),
        ..NewEntry::new(kind, debit, credit, amount, currency)
    };
    let c = &p.converted;
    let other = c.payout_currency.as_deref().zip(c.payout_amount).and_then(|(cur, paid)| {
        let fx = Account::Fx(Currency::parse(&p.currency).ok()?, Currency::parse(cur).ok()?);
        Some((fx, paid, cur))
    });
    let (paid, paid_in) = other.map_or((p.amount, p.currency.as_str()), |(_, a, c)| (a, c));
    let (requested, rejected) = (EntryKind::PayoutRequested, EntryKind::PayoutRejected);
    match (to, other) {
        (S::Requested, None) => vec![entry(requested, me(Available), me(Requested), p.amount, &p.currency)],
        (S::Requested, Some((fx, ..))) => vec![
            entry(requested, me(Available), fx, p.amount, &p.currency),
            entry(requested, fx, me(Requested), paid, paid_in),
        ],
        (S::Rejected, None) => vec![entry(rejected, me(Requested), me(Available), p.amount, &p.currency)],
        (S::Rejected, Some((fx, ..))) => vec![
            entry(rejected, me(Requested), fx, paid, paid_in),
            entry(rejected, fx, me(Available), p.amount, &p.currency),
        ],
        (S::Paid, _) => vec![entry(EntryKind::PayoutPaid, me(Requested), me(Paid), paid, paid_in)],
        (S::Approved, _) => Vec::new(),
    }
}

/// The minor units of a currency code (2 when unknown).
pub fn minor_units(currency: &str) -> u32 {
    Currency::parse(currency).map(|c| c.minor_units()).unwrap_or(2)
}

#[derive(Clone)]
pub struct CommissionsService {
    pub(crate) pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    /// Asked, as the caller, whether the products a rule names are the program's.
    pub(crate) orders: OrdersClient<Channel>,
}

impl CommissionsService {
    pub fn new(pool: PgPool, outbox: Outbox, verifier: Verifier, clock: Clock, orders: Channel) -> Self {
        CommissionsService { pool, outbox, verifier, clock, orders: OrdersClient::new(orders) }
    }

    pub(crate) async fn program(&self, tx: &mut TenantTx<'_>) -> Result<domain::Program, AppError> {
        Ok(program::program(store::program(tx).await?.as_ref())?)
    }

    /// Folds facts (of one or many orders, in arrival order) into the orders' facts and recomputes
    /// every order that learnt something new, all in `tx`: one lookup and one write per table for
    /// the whole batch, however many orders it holds.
    pub async fn apply_facts(&self, tx: &mut TenantTx<'_>, facts: Vec<(Uuid, Fact)>) -> Result<(), AppError> {
        if facts.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let orders: Vec<Uuid> = facts.iter().map(|(o, _)| *o).collect();
        let mut known = store::facts_for_update(tx, &orders, now).await?;
        let before = known.clone();
        for (order, fact) in facts {
            if let Some(f) = known.get_mut(&order) {
                f.apply(fact);
            }
        }
        // A redelivery or an older version teaches nothing: such orders are left alone.
        let mut changed: Vec<(Uuid, &Facts)> =
            known.iter().filter(|(o, f)| before.get(o) != Some(f)).map(|(o, f)| (*o, f)).collect();
        changed.sort_by_key(|(o, _)| *o);
        // X4: an order that has signals now and had none joins the merchant's queue, announced.
        for (order, f) in &changed {
            if f.signals().is_empty() || before.get(order).is_some_and(|b| !b.signals().is_empty()) {
                continue;
            }
            let partner = f.attribution.as_ref().and_then(|a| a.partner);
            if store::open_flag(tx, *order, partner, f.signals(), now).await? {
                let tenant = tx.tenant();
                let msg = events::commission_flagged(tenant, *order, partner, f.signals(), now);
                self.outbox.emit(tx.conn(), tenant, "commission", *order, "flagged", &msg).await?;
            }
        }
        store::put_facts(tx, &changed, now).await?;
        self.recompute(tx, &changed).await
    }

    /// Recomputes orders from their stored facts (the hold job, after holds end).
    pub async fn refresh(&self, tx: &mut TenantTx<'_>, orders: &[Uuid]) -> Result<(), AppError> {
        let known = store::facts_for_update(tx, orders, self.clock.now()).await?;
        let mut all: Vec<(Uuid, &Facts)> = known.iter().map(|(o, f)| (*o, f)).collect();
        all.sort_by_key(|(o, _)| *o);
        self.recompute(tx, &all).await
    }

    /// C1-C8, C11: the orders' lines from their facts, and the entries that bring the ledger
    /// there. What the orders share (program, rules, lines, trust levels) is read once.
    async fn recompute(&self, tx: &mut TenantTx<'_>, orders: &[(Uuid, &Facts)]) -> Result<(), AppError> {
        let orders: Vec<(Uuid, &Facts, &domain::Placed)> =
            orders.iter().filter_map(|(o, f)| Some((*o, *f, f.placed.as_ref()?))).collect();
        let (Some(first), Some(last)) =
            (orders.iter().map(|o| o.2.placed_at).min(), orders.iter().map(|o| o.2.placed_at).max())
        else {
            return Ok(());
        };
        let program = self.program(tx).await?;
        let rules = store::rules_between(tx, first, last).await?;
        let ids: Vec<Uuid> = orders.iter().map(|o| o.0).collect();
        let mut existing: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
        for l in store::order_lines(tx, &ids).await? {
            existing.entry(l.order_id).or_default().push(l);
        }
        let mut people: Vec<Uuid> = existing.values().flatten().map(|l| l.partner_id).collect();
        for (_, f, _) in &orders {
            if let Some(a) = &f.attribution {
                people.extend(a.partner);
                people.extend(a.chain.iter().copied());
            }
        }
        people.sort();
        people.dedup();
        let trust: HashMap<Uuid, TrustLevel> = store::trust_levels(tx, &people).await?.into_iter().collect();
        let trust_of = |p: Uuid| trust.get(&p).copied().unwrap_or(TrustLevel::New);
        // X3 reads the lines of other orders, so with a team threshold each order is written
        // before the next is computed; otherwise the whole batch is written at once.
        let one_by_one = program.team_sales_threshold > Decimal::ZERO;
        let mut changes = Changes::default();
        for (order, facts, placed) in orders {
            let rules: Vec<domain::Rule> =
                rules.iter().filter(|r| r.in_force_at(placed.placed_at)).map(|r| r.to_rule()).collect();
            // X3: whose own sales in the order's month reached the threshold.
            let mut team: HashMap<Uuid, bool> = HashMap::new();
            if one_by_one && let Some(a) = &facts.attribution {
                let at = placed.placed_at;
                let from = Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0).single().unwrap_or(at);
                let to = from.checked_add_months(chrono::Months::new(1)).unwrap_or(at);
                for p in &a.chain {
                    let sales = store::own_sales(tx, *p, from, to).await?;
                    team.insert(*p, sales >= program.team_sales_threshold);
                }
            }
            let team_ok = |p: Uuid| team.get(&p).copied().unwrap_or(true);
            let ctx = domain::Context { program: &program, rules: &rules, trust: &trust_of, team_ok: &team_ok };
            let lines = existing.remove(&order).unwrap_or_default();
            changes.plan(order, facts, placed, &ctx, lines, self.clock.now());
            if one_by_one {
                self.write(tx, std::mem::take(&mut changes)).await?;
            }
        }
        self.write(tx, changes).await
    }

    /// Writes recomputed lines, posts their entries and announces each movement.
    async fn write(&self, tx: &mut TenantTx<'_>, changes: Changes) -> Result<(), AppError> {
        if changes.lines.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        store::put_lines(tx, &changes.lines).await?;
        let ids = store::insert_entries(tx, &changes.entries, now).await?;
        let tenant = tx.tenant();
        let messages: Vec<(String, &'static str, ev::CommissionMoved)> = changes
            .moved
            .iter()
            .zip(changes.entries.iter().zip(ids.iter()))
            .map(|(m, (e, id))| {
                let row = &changes.lines[m.line];
                (row.order_id.to_string(), m.kind.as_str(), events::commission_moved(tenant, row, e, *id))
            })
            .collect();
        let events: Vec<NewEvent<'_, ev::CommissionMoved>> = messages
            .iter()
            .map(|(order, kind, msg)| NewEvent {
                tenant: Some(tenant),
                aggregate: "commission",
                aggregate_id: order.clone(),
                event: kind,
                payload: msg,
            })
            .collect();
        self.outbox.enqueue_many(tx.conn(), &events).await?;
        // Last: the balance rows are every batch's, and are held from here to the commit.
        store::move_balances(tx, &changes.entries).await?;
        Ok(())
    }

    /// LE6: a won lead pays its reward into the partner's available balance, once.
    pub async fn lead_won(&self, tx: &mut TenantTx<'_>, m: &ev::LeadWon) -> Result<(), AppError> {
        let lead = Uuid::parse_str(&m.lead_id).map_err(|_| AppError::invalid("lead_id", "is not an id"))?;
        let partner = Uuid::parse_str(&m.partner_id).map_err(|_| AppError::invalid("partner_id", "is not an id"))?;
        // The reward in force when the lead was won, however late the event is read.
        let won_at = parse_time(&m.won_at, self.clock.now());
        let program = program::program(store::program_at(tx, won_at).await?.as_ref())?;
        let revenue: Decimal = m.revenue.trim().parse().unwrap_or_default();
        let currency = match program.lead_reward {
            domain::LeadReward::Fixed(_) => program.currency.clone(),
            domain::LeadReward::Percent(_) if m.currency.len() == 3 => m.currency.clone(),
            domain::LeadReward::Percent(_) => program.currency.clone(),
        };
        let amount = domain::round(domain::lead_reward(&program, revenue), minor_units(&currency));
        if amount <= Decimal::ZERO {
            return Ok(());
        }
        let entry = NewEntry {
            partner: Some(partner),
            lead: Some(lead),
            reason: format!("lead won: {}", m.plan),
            ..NewEntry::new(
                EntryKind::LeadReward,
                Account::Expense,
                Account::partner(partner, PartnerBucket::Available),
                amount,
                &currency,
            )
        };
        store::post(tx, &[entry], self.clock.now()).await?;
        let tenant = tx.tenant();
        let msg = events::lead_rewarded(tenant, lead, partner, amount, currency);
        self.outbox.emit(tx.conn(), tenant, "lead", lead, "rewarded", &msg).await?;
        Ok(())
    }

    /// C3: recomputes orders whose holds are over; returns how many it moved.
    pub async fn release_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let due = {
            let mut conn = self.pool.acquire().await?;
            store::due_orders(&mut conn, now, 200).await?
        };
        let mut by_tenant: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
        for (tenant, order) in &due {
            by_tenant.entry(*tenant).or_default().push(*order);
        }
        for (tenant, orders) in by_tenant {
            let mut tx = TenantTx::begin(&self.pool, tenant).await?;
            self.refresh(&mut tx, &orders).await.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
            tx.commit().await?;
        }
        Ok(due.len())
    }

    /// X6: what a payout of `amount` in `currency` pays `partner` in its own currency, at the
    /// rate in force on the program's `today` (rounded half-even to that currency's minor unit,
    /// once). Nothing when the partner is paid in `currency`; `Err(to)` when no rate is known.
    pub(crate) async fn conversion(
        &self,
        tx: &mut TenantTx<'_>,
        partner: Uuid,
        amount: Decimal,
        currency: &str,
        today: chrono::NaiveDate,
    ) -> Result<Result<store::Converted, String>, AppError> {
        let Some(to) = store::payout_currency(tx, partner).await?.filter(|c| c != currency) else {
            return Ok(Ok(store::Converted::default()));
        };
        let Some(rate) = store::rate_on(tx, currency, &to, today).await? else { return Ok(Err(to)) };
        let paid = Currency::parse(&to).map_err(AppError::internal)?.round(amount * rate);
        Ok(Ok(store::Converted { payout_currency: Some(to), payout_amount: Some(paid), exchange_rate: Some(rate) }))
    }

    pub(crate) async fn payout_event(&self, tx: &mut TenantTx<'_>, p: &store::PayoutRow) -> Result<(), AppError> {
        let tenant = tx.tenant();
        let msg = events::payout_changed(tenant, p);
        self.outbox.emit(tx.conn(), tenant, "payout", p.id, p.status.as_str(), &msg).await?;
        Ok(())
    }

    /// C9: settles every available balance of an automatic program from the merchant's prepaid
    /// balance; a balance too short fails that settlement (`insufficient_merchant_balance`), which
    /// the next top-up retries. Returns (paid, failed).
    pub async fn settle(&self, tx: &mut TenantTx<'_>) -> Result<(usize, usize), AppError> {
        let program = self.program(tx).await?;
        let now = self.clock.now();
        if !program.automatic_settlement {
            store::schedule_settlement(tx, None, false).await?;
            return Ok((0, 0));
        }
        let (mut paid, mut failed) = (0, 0);
        let tenant = tx.tenant();
        let (_, today) = platform::reports::today(tx.conn(), tenant, now).await?;
        let balances = store::partner_balances(tx, None).await?;
        for (acct, currency, available) in balances {
            let Some(Account::Partner(partner, PartnerBucket::Available)) = Account::parse(&acct) else {
                continue;
            };
            // X4: what a flag raised after it matured holds back is not settled until decided.
            let available = available - store::available_under_review(tx, partner, &currency).await?;
            if available < program.minimum_payout.max(Decimal::new(1, minor_units(&currency))) {
                continue;
            }
            let prepaid = store::balance(tx, Account::Prepaid, &currency).await?;
            let id = Uuid::now_v7();
            // X6: paid in the partner's own currency at today's rate; with none known it waits.
            let converted = self.conversion(tx, partner, available, &currency, today).await?;
            let why = match &converted {
                Err(_) => Some("no_exchange_rate"),
                Ok(_) if prepaid < available => Some("insufficient_merchant_balance"),
                Ok(_) => None,
            };
            if let Some(reason) = why {
                store::insert_settlement(
                    tx,
                    &store::SettlementRow {
                        id,
                        partner_id: partner,
                        currency: currency.clone(),
                        amount: available,
                        status: "failed".into(),
                        reason: reason.into(),
                        payout_id: None,
                        at: now,
                    },
                )
                .await?;
                let tenant = tx.tenant();
                let msg = events::settlement_failed(tenant, id, partner, available, &currency, prepaid, reason);
                self.outbox.emit(tx.conn(), tenant, "settlement", id, "failed", &msg).await?;
                failed += 1;
                continue;
            }
            let converted = converted.unwrap_or_default();
            let payout = store::PayoutRow {
                id: Uuid::now_v7(),
                partner_id: partner,
                currency: currency.clone(),
                amount: available,
                status: domain::PayoutStatus::Paid,
                method: Some("automatic".into()),
                reference: Some(format!("settlement {id}")),
                reason: None,
                automatic: true,
                requested_at: now,
                decided_at: Some(now),
                paid_at: Some(now),
                converted,
            };
            if !store::insert_payout(tx, &payout).await? {
                continue; // a manual request is open: it goes its own way
            }
            const WHY: &str = "automatic settlement";
            let mut entries = payout_entries(&payout, domain::PayoutStatus::Requested, WHY);
            entries.extend(payout_entries(&payout, domain::PayoutStatus::Paid, WHY));
            entries.push(NewEntry {
                partner: Some(partner),
                payout: Some(payout.id),
                reason: WHY.into(),
                ..NewEntry::new(EntryKind::Settlement, Account::Prepaid, Account::Disbursed, available, &currency)
            });
            store::post(tx, &entries, now).await?;
            store::insert_settlement(
                tx,
                &store::SettlementRow {
                    id,
                    partner_id: partner,
                    currency: currency.clone(),
                    amount: available,
                    status: "paid".into(),
                    reason: String::new(),
                    payout_id: Some(payout.id),
                    at: now,
                },
            )
            .await?;
            self.payout_event(tx, &payout).await?;
            paid += 1;
        }
        store::schedule_settlement(tx, Some(now + chrono::Duration::days(1)), false).await?;
        Ok((paid, failed))
    }

    /// C9: runs the settlements that are due.
    pub async fn settle_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        if !store::settlement_due(&mut conn, now).await? {
            return Ok(0);
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let due = store::due_settlements(&mut tx, now).await?;
        let mut n = 0;
        for tenant in due {
            let mut t = TenantTx::within(&mut tx, tenant).await?;
            self.settle(&mut t).await.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
            t.commit().await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }
}

/// The time of an event field, or `fallback`.
pub fn parse_time(s: &str, fallback: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or(fallback)
}

/// What recomputing orders changes: the lines to write, the entries to post, and for each entry
/// the line it moved.
#[derive(Default)]
struct Changes {
    lines: Vec<LineRow>,
    entries: Vec<NewEntry>,
    moved: Vec<Moved>,
}

/// One entry's movement: `line` indexes `Changes::lines`.
struct Moved {
    line: usize,
    kind: domain::Kind,
}

impl Changes {
    /// C1-C8: one order's wanted lines beside its `existing` ones; every line that changes is
    /// kept with the entries that move the ledger to it.
    fn plan(
        &mut self,
        order: Uuid,
        facts: &Facts,
        placed: &domain::Placed,
        ctx: &domain::Context<'_>,
        existing: Vec<LineRow>,
        now: DateTime<Utc>,
    ) {
        let outcome = domain::commission(facts, ctx);
        let minor = minor_units(&placed.currency);
        let mut wanted: BTreeMap<(i16, Uuid), &domain::Line> = BTreeMap::new();
        for l in &outcome.lines {
            wanted.insert((i16::from(l.level), l.partner), l);
        }
        let mut rows: BTreeMap<(i16, Uuid), LineRow> =
            existing.into_iter().map(|r| ((r.level, r.partner_id), r)).collect();
        for key in wanted.keys() {
            rows.entry(*key).or_insert_with(|| LineRow {
                order_id: order,
                partner_id: key.1,
                level: key.0,
                currency: placed.currency.clone(),
                amount: Decimal::ZERO,
                base: Decimal::ZERO,
                pending: Decimal::ZERO,
                held: Decimal::ZERO,
                matured: Decimal::ZERO,
                state: "pending".into(),
                hold_until: None,
                rule_id: None,
                source: String::new(),
                reason: String::new(),
                placed_at: placed.placed_at,
                updated_at: now,
            });
        }
        for (key, mut row) in rows {
            let line = wanted.get(&key);
            let target = line.map(|l| domain::round(l.amount, minor)).unwrap_or_default();
            let earns = line.is_some() && outcome.none.is_none();
            let trust = (ctx.trust)(row.partner_id);
            let phase = earns.then(|| domain::phase(facts, ctx.program, trust, now));
            let pos = Position { pending: row.pending, held: row.held, matured: row.matured };
            let (moves, after) = domain::reconcile(pos, target, phase);
            // X4: money that matured before its flag stays available (reconcile moves none back).
            let state = match phase {
                Some(Phase::Flagged) if after.matured > Decimal::ZERO => "available",
                p => p.map_or("void", Phase::as_str),
            };
            // X4: a flagged line says so until the merchant decides (the partner sees it).
            let under_review = earns && facts.fraud.as_ref().is_some_and(|f| f.open());
            let reason = match outcome.none {
                Some(n) => n.as_str().to_string(),
                None if under_review => UNDER_REVIEW.to_string(),
                None => String::new(),
            };
            let hold_until = match phase {
                Some(Phase::Held(until)) => Some(until),
                _ => None,
            };
            // X4: a flagged line past its hold keeps its state but leaves the hold job's queue.
            let changed = !moves.is_empty()
                || row.state != state
                || row.amount != target
                || row.reason != reason
                || row.hold_until != hold_until
                || line.is_some_and(|l| row.rule_id != l.rule || row.source != l.source);
            if !changed {
                continue;
            }
            let index = self.lines.len();
            for m in &moves {
                self.entries.push(NewEntry {
                    partner: Some(row.partner_id),
                    order: Some(order),
                    level: Some(row.level),
                    rule: line.and_then(|l| l.rule).or(row.rule_id),
                    reason: if reason.is_empty() || reason == UNDER_REVIEW {
                        line.map_or("", |l| l.source).to_string()
                    } else {
                        reason.clone()
                    },
                    // X6: at the rate the order kept (unrounded: reports round their sums once).
                    reporting: placed.reporting.as_ref().map(|(c, rate)| (c.clone(), m.amount * rate)),
                    ..NewEntry::new(
                        EntryKind::Line(m.kind),
                        Account::of(row.partner_id, m.from),
                        Account::of(row.partner_id, m.to),
                        m.amount,
                        &row.currency,
                    )
                });
                self.moved.push(Moved { line: index, kind: m.kind });
            }
            row.pending = after.pending;
            row.held = after.held;
            row.matured = after.matured;
            row.amount = target;
            row.base = outcome.base;
            row.state = state.to_string();
            row.hold_until = hold_until;
            if let Some(l) = line {
                row.rule_id = l.rule;
                row.source = l.source.to_string();
            }
            row.reason = reason;
            row.updated_at = now;
            self.lines.push(row);
        }
    }
}
