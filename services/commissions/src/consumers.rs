//! What commissions reads: identity's programs and partners (kept as a local copy), customers'
//! groups and won leads, orders' facts and attribution's decisions. Each event is applied in the
//! consumer's inbox transaction, so a redelivery changes nothing; facts of one order may come in
//! any order (see `domain::Facts`).

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent, Run, runs};
use platform::db::TenantTx;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{Attribution, Fact, Item, Placed, Status};
use crate::program;
use crate::service::{CommissionsService, parse_time};
use crate::store;

pub const IDENTITY: &[&str] = &[
    "identity.*.tenant.created",
    "identity.*.program.updated",
    "identity.*.partner.approved",
    "identity.*.partner.updated",
];
pub const CUSTOMERS: &[&str] =
    &["customers.*.customer.created", "customers.*.customer.updated", "customers.*.lead.won"];
/// The orders events that can change a commission. `confirmed`, `in_production` and `shipped` are
/// not read: the order is open before and after them (pending, C3), and they carry the amount paid
/// that `order.paid` (or `order.placed` of an order placed paid) already brought, so they would
/// only cost a fold, a lookup and a write each, three of every order's six events.
pub const ORDERS: &[&str] = &[
    "orders.*.order.placed",
    "orders.*.order.paid",
    "orders.*.order.completed",
    "orders.*.order.cancelled",
    "orders.*.order.refunded",
    "orders.*.exchange_rates.updated",
];
pub const ATTRIBUTION: &[&str] = &["attribution.*.order.attributed"];
/// D2: the SQL function that recounts the ledger's totals when the program's zone changes.
const ZONE_REBUILD: &str = "ledger_totals_rebuild";

#[derive(Clone)]
pub struct Events(pub CommissionsService);

fn id(s: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

fn money(s: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(s.trim()).map_err(|e| anyhow::anyhow!("not an amount: {s:?}: {e}"))
}

fn err(e: platform::AppError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code, e.message)
}

/// `order.placed` as commissions reads it.
pub fn placed(o: &ev::OrderPlaced, group: Option<Uuid>, sent: DateTime<Utc>) -> anyhow::Result<Placed> {
    let mut items = Vec::with_capacity(o.items.len());
    for i in &o.items {
        items.push(Item {
            product_id: Uuid::parse_str(&i.product_id).ok(),
            category: i.category.clone(),
            physical: i.kind == "physical",
            quantity: i.quantity,
            net: money(&i.net)?,
            product_rate: i.commission_rate.as_deref().map(money).transpose()?,
            coupon_applies: i.coupon_applies,
        });
    }
    Ok(Placed {
        coupon_limited: o.coupon_code.is_some() && items.iter().any(|i| !i.coupon_applies),
        currency: o.currency.clone(),
        items,
        shipping: money(&o.shipping)?,
        tax: money(&o.tax)?,
        total: money(&o.total)?,
        cash_on_delivery: o.payment_method == "cash_on_delivery",
        wholesale: o.kind == "wholesale",
        promotion_type: o.promotion_type.clone().filter(|p| !p.is_empty()),
        coupon_rate: o.coupon_commission_rate.as_deref().filter(|r| !r.is_empty()).map(money).transpose()?,
        customer_group_id: group,
        placed_at: parse_time(&o.placed_at, sent),
        reporting: match o.exchange_rate.as_deref() {
            Some(r) if !o.reporting_currency.is_empty() => Some((o.reporting_currency.clone(), money(r)?)),
            _ => None,
        },
    })
}

/// The facts an orders or attribution event brings about its order (none: not one commissions
/// reads). `groups` may already hold customers' groups (C1 conditions); others are looked up.
pub async fn order_facts(
    tx: &mut TenantTx<'_>,
    name: &str,
    payload: &[u8],
    time: chrono::DateTime<Utc>,
    groups: &HashMap<Uuid, Option<Uuid>>,
) -> anyhow::Result<Vec<(Uuid, Fact)>> {
    Ok(match name {
        "order.placed" => {
            let m = ev::OrderPlaced::decode(payload)?;
            let group = match m.customer_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()) {
                Some(c) => match groups.get(&c) {
                    Some(g) => *g,
                    None => store::customer_groups(tx, &[c]).await?.remove(&c).flatten(),
                },
                None => None,
            };
            let order = id(&m.order_id)?;
            let placed = placed(&m, group, time)?;
            let mut facts = placed_status(&m, &placed).map(|s| vec![(order, s)]).unwrap_or_default();
            facts.insert(0, (order, Fact::Placed(Box::new(placed))));
            facts
        }
        "order.refunded" => {
            let m = ev::OrderRefunded::decode(payload)?;
            let fact = Fact::Refunded {
                version: m.version,
                refunded_total: money(&m.refunded_total)?,
                amount_paid: money(&m.amount_paid)?,
                physical_returned: m.physical_returned,
            };
            vec![(id(&m.order_id)?, fact)]
        }
        "order.attributed" => {
            let m = ev::OrderAttributed::decode(payload)?;
            let fact = Fact::Attributed(Attribution {
                version: m.attribution_version,
                partner: m.partner_id.as_deref().and_then(|p| Uuid::parse_str(p).ok()),
                chain: m.parent_chain.iter().filter_map(|p| Uuid::parse_str(p).ok()).collect(),
            });
            let order = id(&m.order_id)?;
            let mut facts = vec![(order, fact)];
            // X4: what attribution saw holds the commission for the merchant.
            if !m.signals.is_empty() {
                let signals = m
                    .signals
                    .into_iter()
                    .map(|s| crate::domain::Signal { kind: s.kind, evidence: s.evidence.into_iter().collect() })
                    .collect();
                facts.push((order, Fact::Flagged(signals)));
            }
            facts
        }
        "order.paid" | "order.completed" | "order.cancelled" => {
            let m = ev::OrderStatusChanged::decode(payload)?;
            let Some(status) = Status::parse(&m.to) else { return Ok(Vec::new()) };
            let fact = Fact::Status {
                version: m.version,
                status,
                amount_paid: money(&m.amount_paid).unwrap_or_default(),
                at: parse_time(&m.at, time),
            };
            vec![(id(&m.order_id)?, fact)]
        }
        _ => Vec::new(),
    })
}

/// The status an order was placed in, as a fact of the placed version: an order imported
/// already paid or completed (O8) has no status event for the steps it skipped, so without this
/// its commission would stay pending for ever. An order placed unpaid brings none (it is open).
pub fn placed_status(m: &ev::OrderPlaced, placed: &Placed) -> Option<Fact> {
    let status = Status::parse(&m.status).filter(|s| *s != Status::PendingPayment)?;
    let paid = if status == Status::Cancelled { Decimal::ZERO } else { placed.total };
    Some(Fact::Status { version: m.version, status, amount_paid: paid, at: placed.placed_at })
}

impl Handler for Events {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let mut tx = TenantTx::within(conn, tenant).await?;
        let svc = &self.0;
        let name = e.name();
        match name.as_str() {
            "tenant.created" => {
                let m = ev::TenantCreated::decode(e.payload.as_ref())?;
                let settings = m.settings.ok_or_else(|| anyhow::anyhow!("tenant.created without settings"))?;
                store::put_program(&mut tx, &program::document(&settings)?, e.time).await?;
                platform::reports::set_zone(tx.conn(), tenant, &settings.time_zone, ZONE_REBUILD).await?;
            }
            "program.updated" => {
                let m = ev::ProgramUpdated::decode(e.payload.as_ref())?;
                let settings = m.settings.ok_or_else(|| anyhow::anyhow!("program.updated without settings"))?;
                store::put_program(&mut tx, &program::document(&settings)?, e.time).await?;
                platform::reports::set_zone(tx.conn(), tenant, &settings.time_zone, ZONE_REBUILD).await?;
                // C9: an automatic program settles from now on; a manual one stops.
                let automatic = program::from_settings(&settings)?.automatic_settlement;
                store::schedule_settlement(&mut tx, automatic.then(|| svc.clock.now()), true).await?;
            }
            "partner.approved" | "partner.updated" => {
                let p = if name == "partner.approved" {
                    ev::PartnerApproved::decode(e.payload.as_ref())?.partner
                } else {
                    ev::PartnerUpdated::decode(e.payload.as_ref())?.partner
                };
                let Some(p) = p else { return Ok(()) };
                store::put_partner(&mut tx, id(&p.partner_id)?, &p.trust_level, &p.payout_currency, e.time).await?;
            }
            "customer.created" | "customer.updated" => {
                let m = ev::CustomerChanged::decode(e.payload.as_ref())?;
                let Some(c) = m.customer else { return Ok(()) };
                let group = c.group_id.as_deref().and_then(|g| Uuid::parse_str(g).ok());
                store::put_customer_group(&mut tx, id(&c.customer_id)?, group).await?;
            }
            "exchange_rates.updated" => {
                let m = ev::ExchangeRatesUpdated::decode(e.payload.as_ref())?;
                let mut rates = Vec::with_capacity(m.rates.len());
                for r in &m.rates {
                    let day = chrono::NaiveDate::parse_from_str(&r.valid_from, "%Y-%m-%d")?;
                    rates.push((r.from.clone(), r.to.clone(), money(&r.rate)?, day));
                }
                store::put_rates(&mut tx, &rates).await?;
            }
            "lead.won" => {
                let m = ev::LeadWon::decode(e.payload.as_ref())?;
                svc.lead_won(&mut tx, &m).await.map_err(err)?;
            }
            n if n.starts_with("order.") => {
                let facts = order_facts(&mut tx, n, e.payload.as_ref(), e.time, &HashMap::new()).await?;
                svc.apply_facts(&mut tx, facts).await.map_err(err)?;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(())
    }

    /// Order facts are applied a tenant's run at a time, through one `apply_facts` (one lookup and
    /// one write per table); anything else goes one by one, in order.
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[IncomingEvent]) -> anyhow::Result<()> {
        for run in runs(events, |e| e.name().starts_with("order.")) {
            let (tenant, run) = match run {
                Run::One(e) => {
                    self.handle(conn, e).await?;
                    continue;
                }
                Run::Together(tenant, run) => (tenant, run),
            };
            let mut tx = TenantTx::within(conn, tenant).await?;
            // The groups of the run's new orders' customers, in one query.
            let customers: Vec<Uuid> = run
                .iter()
                .filter(|e| e.name() == "order.placed")
                .filter_map(|e| ev::OrderPlaced::decode(e.payload.as_ref()).ok()?.customer_id?.parse().ok())
                .collect();
            let groups = store::customer_groups(&mut tx, &customers).await?;
            let mut facts = Vec::with_capacity(run.len());
            for e in run {
                facts.extend(order_facts(&mut tx, &e.name(), e.payload.as_ref(), e.time, &groups).await?);
            }
            self.0.apply_facts(&mut tx, facts).await.map_err(err)?;
            tx.commit().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::Facts;

    fn placed_in(status: &str) -> (ev::OrderPlaced, Placed) {
        let m = ev::OrderPlaced {
            order_id: Uuid::from_u128(1).to_string(),
            subtotal: "100.00".into(),
            shipping: "10.00".into(),
            tax: "22.00".into(),
            total: "132.00".into(),
            currency: "EUR".into(),
            payment_method: "card".into(),
            kind: "standard".into(),
            status: status.into(),
            version: 1,
            placed_at: "2026-06-01T09:00:00Z".into(),
            ..Default::default()
        };
        let p = placed(&m, None, sent()).unwrap();
        (m, p)
    }

    fn sent() -> DateTime<Utc> {
        "2026-06-01T09:00:05Z".parse().unwrap()
    }

    /// C1: an order's rule version is the one in force when it was placed; with no readable
    /// `placed_at` that is when the event was sent (by the producer's clock), never this
    /// process's wall clock, which a manual clock leaves behind.
    #[test]
    fn c1_an_order_without_placed_at_is_placed_when_its_event_was_sent() {
        let (mut m, _) = placed_in("pending");
        m.placed_at = String::new();
        assert_eq!(placed(&m, None, sent()).unwrap().placed_at, sent());
    }

    /// O8, C3: an order imported already completed is completed for commissions from its
    /// `order.placed` alone (no status event comes for the steps it skipped); one placed unpaid
    /// brings no status, and a later status event of a higher version still wins.
    #[test]
    fn o8_c3_an_order_placed_completed_is_completed_from_its_placed_event() {
        let (m, p) = placed_in("completed");
        let fact = placed_status(&m, &p).unwrap();
        let (at, total) = (p.placed_at, p.total);
        assert_eq!(fact, Fact::Status { version: 1, status: Status::Completed, amount_paid: total, at });
        let mut f = Facts::default();
        f.apply(Fact::Placed(Box::new(p)));
        f.apply(fact);
        assert_eq!(total, Decimal::new(13200, 2));
        assert_eq!((f.status, f.completed_at, f.paid), (Some((1, Status::Completed)), Some(at), Some((1, total))));

        let (m, p) = placed_in("pending_payment");
        assert_eq!(placed_status(&m, &p), None);
        let (m, p) = placed_in("paid");
        let mut f = Facts::default();
        f.apply(Fact::Status { version: 2, status: Status::Cancelled, amount_paid: Decimal::ZERO, at: p.placed_at });
        f.apply(placed_status(&m, &p).unwrap());
        assert_eq!(f.status, Some((2, Status::Cancelled)));
    }
}
