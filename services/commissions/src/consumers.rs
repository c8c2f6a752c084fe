//! What commissions reads: identity's programs and partners (kept as a local copy), customers'
//! groups and won leads, orders' facts and attribution's decisions. Each event is applied in the
//! consumer's inbox transaction, so a redelivery changes nothing; facts of one order may come in
//! any order (see `domain::Facts`).

use std::collections::HashMap;
use std::str::FromStr;

use chrono::Utc;
use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent, Run, runs};
use platform::db::TenantTx;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{Attribution, Fact, Item, Placed, Status};
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
pub const ORDERS: &[&str] = &[
    "orders.*.order.placed",
    "orders.*.order.paid",
    "orders.*.order.confirmed",
    "orders.*.order.in_production",
    "orders.*.order.shipped",
    "orders.*.order.completed",
    "orders.*.order.cancelled",
    "orders.*.order.refunded",
];
pub const ATTRIBUTION: &[&str] = &["attribution.*.order.attributed"];

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
pub fn placed(o: &ev::OrderPlaced, group: Option<Uuid>) -> anyhow::Result<Placed> {
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
        placed_at: parse_time(&o.placed_at, Utc::now()),
    })
}

/// The fact an orders or attribution event brings about its order (`None`: not one commissions
/// reads). `groups` may already hold customers' groups (C1 conditions); others are looked up.
pub async fn order_fact(
    tx: &mut TenantTx<'_>,
    name: &str,
    payload: &[u8],
    time: chrono::DateTime<Utc>,
    groups: &HashMap<Uuid, Option<Uuid>>,
) -> anyhow::Result<Option<(Uuid, Fact)>> {
    Ok(Some(match name {
        "order.placed" => {
            let m = ev::OrderPlaced::decode(payload)?;
            let group = match m.customer_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()) {
                Some(c) => match groups.get(&c) {
                    Some(g) => *g,
                    None => store::customer_groups(tx, &[c]).await?.remove(&c).flatten(),
                },
                None => None,
            };
            (id(&m.order_id)?, Fact::Placed(Box::new(placed(&m, group)?)))
        }
        "order.refunded" => {
            let m = ev::OrderRefunded::decode(payload)?;
            let fact = Fact::Refunded {
                version: m.version,
                refunded_total: money(&m.refunded_total)?,
                amount_paid: money(&m.amount_paid)?,
                physical_returned: m.physical_returned,
            };
            (id(&m.order_id)?, fact)
        }
        "order.attributed" => {
            let m = ev::OrderAttributed::decode(payload)?;
            let fact = Fact::Attributed(Attribution {
                version: m.attribution_version,
                partner: m.partner_id.as_deref().and_then(|p| Uuid::parse_str(p).ok()),
                chain: m.parent_chain.iter().filter_map(|p| Uuid::parse_str(p).ok()).collect(),
            });
            (id(&m.order_id)?, fact)
        }
        "order.paid"
        | "order.confirmed"
        | "order.in_production"
        | "order.shipped"
        | "order.completed"
        | "order.cancelled" => {
            let m = ev::OrderStatusChanged::decode(payload)?;
            let Some(status) = Status::parse(&m.to) else { return Ok(None) };
            let fact = Fact::Status {
                version: m.version,
                status,
                amount_paid: money(&m.amount_paid).unwrap_or_default(),
                at: parse_time(&m.at, time),
            };
            (id(&m.order_id)?, fact)
        }
        _ => return Ok(None),
    }))
}

impl Handler for Events {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let mut tx = TenantTx::within(conn, tenant).await?;
        let svc = &self.0;
        let name = e.name();
        match name.as_str() {
            "tenant.created" => store::put_program(&mut tx, &serde_json::json!({}), e.time).await?,
            "program.updated" => {
                let m = ev::ProgramUpdated::decode(e.payload.as_ref())?;
                let doc: serde_json::Value = serde_json::from_str(&m.settings_json)?;
                store::put_program(&mut tx, &doc, e.time).await?;
                // C9: an automatic program settles from now on; a manual one stops.
                let automatic = crate::program::program(Some(&doc)).automatic_settlement;
                store::schedule_settlement(&mut tx, automatic.then(|| svc.clock.now()), true).await?;
            }
            "partner.approved" | "partner.updated" => {
                let p = if name == "partner.approved" {
                    ev::PartnerApproved::decode(e.payload.as_ref())?.partner
                } else {
                    ev::PartnerUpdated::decode(e.payload.as_ref())?.partner
                };
                let Some(p) = p else { return Ok(()) };
                store::put_partner(&mut tx, id(&p.partner_id)?, &p.trust_level, e.time).await?;
            }
            "customer.created" | "customer.updated" => {
                let m = ev::CustomerChanged::decode(e.payload.as_ref())?;
                let Some(c) = m.customer else { return Ok(()) };
                let group = c.group_id.as_deref().and_then(|g| Uuid::parse_str(g).ok());
                store::put_customer_group(&mut tx, id(&c.customer_id)?, group).await?;
            }
            "lead.won" => {
                let m = ev::LeadWon::decode(e.payload.as_ref())?;
                svc.lead_won(&mut tx, &m).await.map_err(err)?;
            }
            n if n.starts_with("order.") => {
                if let Some((order, fact)) = order_fact(&mut tx, n, e.payload.as_ref(), e.time, &HashMap::new()).await?
                {
                    svc.apply_facts(&mut tx, vec![(order, fact)]).await.map_err(err)?;
                }
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
                facts.extend(order_fact(&mut tx, &e.name(), e.payload.as_ref(), e.time, &groups).await?);
            }
            self.0.apply_facts(&mut tx, facts).await.map_err(err)?;
            tx.commit().await?;
        }
        Ok(())
    }
}
