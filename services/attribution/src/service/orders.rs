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
        let mut checks = Vec::new();
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
            // X4: a partner's own order it says is its own (L7) is no fraud; any other is checked.
            if let (Some(p), None) = (partner, customer_partner) {
                checks.push(Check { order, partner: p, customer, email: o.customer_email.clone(), placed_at });
            }
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
        let signals = self.fraud_signals(tx, &settings.fraud, &checks, &partners).await?;
        // A racing delivery that recorded an order's version 1 first has published it.
        self.publish(tx, &rows, &signals).await?;
        Ok(())
    }

    /// X4: the signals of each checked order: self-referral (the customer's email or phone, its
    /// name as the partner's bank account holder, its email as the partner's PayPal, or an IP
    /// hash of its clicks, is the partner's own), click spam (a burst of clicks from one IP hash
    /// on the partner's links since its last flagged burst, within a week before the order) and a
    /// burst of new customers (the customer one of many signing up for the partner from one IP
    /// hash, within its first 30 days).
    async fn fraud_signals(
        &self,
        tx: &mut TenantTx<'_>,
        fraud: &domain::Fraud,
        checks: &[Check],
        partners: &HashMap<Uuid, store::PartnerRow>,
    ) -> Result<HashMap<Uuid, Vec<ev::FraudSignal>>, AppError> {
        let mut out: HashMap<Uuid, Vec<ev::FraudSignal>> = HashMap::new();
        if fraud.self_referral {
            let pairs: Vec<(Uuid, Uuid)> = checks.iter().filter_map(|c| Some((c.customer?, c.partner))).collect();
            let from_own_ip: HashMap<(Uuid, Uuid), i64> =
                store::own_ip_clicks(tx, &pairs).await?.into_iter().map(|(c, p, n)| ((c, p), n)).collect();
            let ids: Vec<Uuid> = pairs.iter().map(|p| p.0).collect();
            let contacts = store::customer_contacts(tx, &ids).await?;
            let no_contact = store::CustomerContact::default();
            for c in checks {
                let partner = partners.get(&c.partner);
                let own = |f: fn(&store::PartnerRow) -> &str| partner.map(f).unwrap_or_default();
                let contact = c.customer.and_then(|x| contacts.get(&x)).unwrap_or(&no_contact);
                let same_email = |a: &str, b: &str| {
                    !a.trim().is_empty()
                        && !b.trim().is_empty()
                        && domain::email_identity(a) == domain::email_identity(b)
                };
                let same = |a: Option<String>, b: Option<String>| a.is_some() && a == b;
                let ip = c.customer.and_then(|x| from_own_ip.get(&(x, c.partner)).copied()).unwrap_or(0);
                let matched: Vec<&str> = [
                    (same_email(own(|p| &p.email), &c.email), "email"),
                    (same(domain::phone_identity(own(|p| &p.phone)), domain::phone_identity(&contact.phone)), "phone"),
                    (same_email(own(|p| &p.payout_email), &c.email), "payout_email"),
                    (
                        same(domain::name_identity(own(|p| &p.payout_holder)), domain::name_identity(&contact.name)),
                        "payout_account_holder",
                    ),
                    (ip > 0, "ip_hash"),
                ]
                .into_iter()
                .filter_map(|(hit, what)| hit.then_some(what))
                .collect();
                if !matched.is_empty() {
                    let mut evidence = HashMap::from([("matched".to_string(), matched.join(","))]);
                    if ip > 0 {
                        evidence.insert("clicks".into(), ip.to_string());
                    }
                    out.entry(c.order).or_default().push(ev::FraudSignal { kind: "self_referral".into(), evidence });
                }
            }
        }
        if fraud.click_spam {
            // Per partner: the week before its first order of the batch, up to its last.
            let mut span: HashMap<Uuid, (DateTime<Utc>, DateTime<Utc>)> = HashMap::new();
            for c in checks {
                let e = span.entry(c.partner).or_insert((c.placed_at, c.placed_at));
                e.0 = e.0.min(c.placed_at);
                e.1 = e.1.max(c.placed_at);
            }
            let mut spans: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> =
                span.into_iter().map(|(p, (first, last))| (p, first - chrono::Duration::days(7), last)).collect();
            spans.sort();
            let bursts = store::click_bursts(tx, &spans, fraud.spam_clicks, fraud.spam_window_minutes).await?;
            for (partner, clicks, until) in bursts {
                // The burst flags the partner's first order placed after it (one burst, one flag).
                let Some(c) = checks
                    .iter()
                    .filter(|c| c.partner == partner && c.placed_at >= until)
                    .min_by_key(|c| (c.placed_at, c.order))
                else {
                    continue;
                };
                store::set_spam_flagged_through(tx, partner, until).await?;
                let evidence = HashMap::from([
                    ("clicks".to_string(), clicks.to_string()),
                    ("window_minutes".to_string(), fraud.spam_window_minutes.to_string()),
                    ("until".to_string(), until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ]);
                out.entry(c.order).or_default().push(ev::FraudSignal { kind: "click_spam".into(), evidence });
            }
        }
        if fraud.customer_burst {
            let asked: Vec<(Uuid, Uuid, DateTime<Utc>)> =
                checks.iter().filter_map(|c| Some((c.customer?, c.partner, c.placed_at))).collect();
            let (n, minutes) = (fraud.burst_customers, fraud.burst_window_minutes);
            let bursts: HashMap<(Uuid, Uuid), (i64, DateTime<Utc>)> =
                store::customer_bursts(tx, &asked, n, minutes, domain::NEW_CUSTOMER_DAYS)
                    .await?
                    .into_iter()
                    .map(|(c, p, count, at)| ((c, p), (count, at)))
                    .collect();
            for c in checks {
                let Some((count, at)) = c.customer.and_then(|x| bursts.get(&(x, c.partner))) else { continue };
                let evidence = HashMap::from([
                    ("customers".to_string(), count.to_string()),
                    ("window_minutes".to_string(), minutes.to_string()),
                    ("signed_up".to_string(), at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ]);
                out.entry(c.order).or_default().push(ev::FraudSignal { kind: "customer_burst".into(), evidence });
            }
        }
        Ok(out)
    }

    /// Records decisions and publishes each as `order.attributed`; returns the orders recorded
    /// (a version that exists already, a racing delivery's, is neither recorded nor published).
    async fn publish(
        &self,
        tx: &mut TenantTx<'_>,
        rows: &[AttributionRow],
        signals: &HashMap<Uuid, Vec<ev::FraudSignal>>,
    ) -> Result<std::collections::HashSet<Uuid>, AppError> {
        let inserted = store::insert_attributions(tx, rows).await?;
        let tenant = tx.tenant();
        let messages: Vec<(Uuid, ev::OrderAttributed)> = rows
            .iter()
            .filter(|r| inserted.contains(&r.order_id))
            .map(|r| {
                let mut m = events::attributed_message(tenant, r);
                m.signals = signals.get(&r.order_id).cloned().unwrap_or_default();
                (r.order_id, m)
            })
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
        Ok(self.publish(tx, &[row], &HashMap::new()).await?.contains(&order))
    }
}

/// X4: an order to look at for fraud signals: attributed to `partner`, not its own.
struct Check {
    order: Uuid,
    partner: Uuid,
    customer: Option<Uuid>,
    email: String,
    placed_at: DateTime<Utc>,
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
