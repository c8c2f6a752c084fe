//! L9-L11: orders attributed to a partner, with its parents (C7), and published.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use partnerline_proto::events::v1 as ev;
use platform::AppError;
use platform::db::TenantTx;
use platform::outbox::NewEvent;
use uuid::Uuid;

use crate::domain::{self, OrderFacts, Reason};
use crate::events;
use crate::store::{self, AttributionRow};

use super::{AttributionService, Version, customer_subject};

impl AttributionService {
    /// L9-L11: decides each new order's partner (placed-by > coupon partner > binding > none) and
    /// publishes `order.attributed`; an order decided before (a redelivery) publishes nothing new.
    /// What the orders share (settings, bindings, partners) is read once for all of them.
    pub async fn orders_placed(&self, tx: &mut TenantTx<'_>, placed: &[ev::OrderPlaced]) -> Result<(), AppError> {
        let mut orders = Vec::with_capacity(placed.len());
        for o in placed {
            let order = Uuid::parse_str(&o.order_id).map_err(|_| AppError::invalid("order_id", "is not an id"))?;
            orders.push((order, o));
        }
        let ids: Vec<Uuid> = orders.iter().map(|(id, _)| *id).collect();
        let mut decided: std::collections::HashSet<Uuid> =
            store::attributed_orders(tx, &ids).await?.into_iter().collect();
        orders.retain(|(id, _)| decided.insert(*id)); // decided before, or twice in this batch
        if orders.is_empty() {
            return Ok(());
        }
        let id = |s: &Option<String>| s.as_deref().and_then(|s| Uuid::parse_str(s).ok());
        let customers: Vec<Uuid> = orders.iter().filter_map(|(_, o)| id(&o.customer_id)).collect();
        let subjects: Vec<String> = customers.iter().map(|c| customer_subject(*c)).collect();
        let clicked: HashMap<String, domain::Binding> = store::bindings(tx, &subjects).await?.into_iter().collect();
        let own: HashMap<Uuid, Uuid> = store::customers_partners(tx, &customers).await?.into_iter().collect();
        let settings = self.settings(tx).await?;
        // Every partner an order may name, and their parents (for the chain, C7).
        let mut named: Vec<Uuid> = clicked.values().map(|b| b.partner).chain(own.values().copied()).collect();
        for (_, o) in &orders {
            named.extend(
                [id(&o.placed_by_partner_id), id(&o.coupon_partner_id), id(&o.customer_owner_partner_id)]
                    .into_iter()
                    .flatten(),
            );
        }
        let partners = store::partners_with_parents(tx, &named).await?;
        // P5: a partner may be attributed unless it is known to be suspended.
        let active = |p: Uuid| partners.get(&p).is_none_or(|row| row.active);

        let now = self.clock.now();
        let mut rows = Vec::with_capacity(orders.len());
        for (order, o) in orders {
            let placed_at = DateTime::parse_from_rfc3339(&o.placed_at).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
            let customer = id(&o.customer_id);
            let clicked = customer.and_then(|c| clicked.get(&customer_subject(c)).copied());
            let customer_partner = customer.and_then(|c| own.get(&c).copied());
            // A customer no live click binds, but whom a partner keeps in its CRM (CU6, CU8: the
            // quick-order link is the owner's), belongs to that partner.
            let owner = id(&o.customer_owner_partner_id).map(|p| domain::Binding {
                partner: p,
                since: placed_at,
                last_click: placed_at,
            });
            let live = clicked.filter(|b| b.is_valid(&settings, placed_at));
            let by_owner = live.is_none() && owner.is_some();
            let binding = live.or(owner).or(clicked);
            let facts = OrderFacts {
                placed_by: id(&o.placed_by_partner_id),
                coupon_partner: id(&o.coupon_partner_id),
                cash_on_delivery: o.payment_method == "cash_on_delivery",
                promotion_type: o.promotion_type.clone(),
                binding,
                customer_partner,
                placed_at,
            };
            let (partner, reason) = domain::attribute(&settings, &facts, active);
            let detail = match &reason {
                Reason::None(why) => why.as_str(),
                Reason::Binding if customer_partner.is_some() => "self_purchase",
                Reason::Binding if by_owner => "customer_owner",
                _ => "",
            };
            rows.push(AttributionRow {
                order_id: order,
                version: 1,
                partner_id: partner,
                parent_chain: chain(&partners, partner),
                reason: reason.as_str().into(),
                detail: detail.into(),
                order_version: o.version as i32,
                actor_user_id: None,
                at: now,
            });
        }
        // A racing delivery that recorded an order's version 1 first has published it.
        self.publish(tx, &rows).await?;
        Ok(())
    }

    /// Records decisions and publishes each as `order.attributed`; returns the orders recorded
    /// (a version that exists already, a racing delivery's, is neither recorded nor published).
    async fn publish(
        &self,
        tx: &mut TenantTx<'_>,
        rows: &[AttributionRow],
    ) -> Result<std::collections::HashSet<Uuid>, AppError> {
        let inserted = store::insert_attributions(tx, rows).await?;
        let tenant = tx.tenant();
        let messages: Vec<(Uuid, ev::OrderAttributed)> = rows
            .iter()
            .filter(|r| inserted.contains(&r.order_id))
            .map(|r| (r.order_id, events::attributed_message(tenant, r)))
            .collect();
        let events: Vec<NewEvent<'_, ev::OrderAttributed>> = messages
            .iter()
            .map(|(order, msg)| NewEvent {
                tenant: Some(tenant),
                aggregate: "order",
                aggregate_id: order.to_string(),
                event: "attributed",
                payload: msg,
            })
            .collect();
        self.outbox.enqueue_many(tx.conn(), &events).await?;
        Ok(inserted)
    }

    /// X1: a merchant's new version of the order's attribution, published as `order.attributed`;
    /// a version written meanwhile is a conflict.
    pub(crate) async fn reattribute(
        &self,
        tx: &mut TenantTx<'_>,
        order: Uuid,
        partner: Option<Uuid>,
        reason: &str,
        detail: &str,
        actor: Uuid,
    ) -> Result<(), AppError> {
        let latest = store::latest_attribution(tx, order).await?.ok_or_else(|| AppError::not_found("order"))?;
        let version = Version { version: latest.version + 1, order_version: latest.order_version, actor: Some(actor) };
        if !self.record(tx, order, partner, reason, detail, version).await? {
            return Err(AppError::conflict("attribution_changed", "the attribution changed meanwhile; try again"));
        }
        Ok(())
    }

    /// Records a version of the order's attribution with the partner's parents (up to two levels,
    /// C7) and publishes it as `order.attributed`; `false` when that version exists already.
    pub(crate) async fn record(
        &self,
        tx: &mut TenantTx<'_>,
        order: Uuid,
        partner: Option<Uuid>,
        reason: &str,
        detail: &str,
        d: Version,
    ) -> Result<bool, AppError> {
        let partners = store::partners_with_parents(tx, &Vec::from_iter(partner)).await?;
        let row = AttributionRow {
            order_id: order,
            version: d.version,
            partner_id: partner,
            parent_chain: chain(&partners, partner),
            reason: reason.into(),
            detail: detail.into(),
            order_version: d.order_version,
            actor_user_id: d.actor,
            at: self.clock.now(),
        };
        Ok(self.publish(tx, &[row]).await?.contains(&order))
    }
}

/// C7: the partner's parent and grandparent, as far as `partners` knows them.
fn chain(partners: &HashMap<Uuid, store::PartnerRow>, partner: Option<Uuid>) -> Vec<Uuid> {
    let mut chain = Vec::new();
    let mut next = partner;
    while let Some(p) = next {
        if chain.len() == 2 {
            break;
        }
        next = partners.get(&p).and_then(|row| row.parent_id);
        chain.extend(next);
    }
    chain
}
