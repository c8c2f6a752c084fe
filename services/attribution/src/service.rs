//! What attribution does, shared by its gRPC API and its consumers: links, clicks that bind,
//! registrations that bind (L8) and orders that are attributed (L9-L11).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use partnerline_proto::events::v1 as ev;
use platform::auth::Verifier;
use platform::db::TenantTx;
use platform::outbox::{NewEvent, Outbox};
use platform::{AppError, Clock};
use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{self, Click, Decision, OrderFacts, Reason};
use crate::store::{self, AttributionRow, ClickRow, HistoryRow, LinkRow};
use crate::{events, program};

/// Which version of an order's attribution is being written, and by whom.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Version {
    pub version: i32,
    /// The `order.placed` version the decision read.
    pub order_version: i32,
    pub actor: Option<Uuid>,
}

/// How long a resolved link is answered from memory.
const LINK_TTL: StdDuration = StdDuration::from_secs(30);

#[derive(Clone)]
pub struct AttributionService {
    pub pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    /// Where referral links lead (the merchant's shop).
    pub(crate) home_url: String,
    /// Asked, with the caller's token, whether the caller may see a customer.
    pub(crate) customers:
        partnerline_proto::customers::v1::customers_client::CustomersClient<tonic::transport::Channel>,
    links: LinkCache,
}

/// Links by code, with when each was read: redirects keep working from memory for a while, and
/// on stale entries when the database is away.
type LinkCache = Arc<Mutex<HashMap<String, (Instant, Option<LinkRow>)>>>;

/// L1: ten base62 characters (about 59 bits), drawn from the OS's generator.
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rngs::OsRng;
    (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// A click to record, as the gateway collected it.
pub struct ClickIn<'a> {
    pub link: &'a LinkRow,
    pub visitor: &'a str,
    pub clicker_partner: Option<Uuid>,
    pub user_agent: &'a str,
    pub referrer: &'a str,
    pub ip_hash: &'a str,
    pub at: DateTime<Utc>,
}

/// What a decision does to a subject's binding, for the record: the kind of change, the binding
/// after it and the partner it moved from. A lapsed binding replaced by a fresh one is a rebind.
fn transition(
    current: Option<domain::Binding>,
    decision: Decision,
) -> Option<(&'static str, domain::Binding, Option<Uuid>)> {
    let (kind, binding, from) = match decision {
        Decision::Bind(b) => ("bound", b, None),
        Decision::Refresh(b) => ("refreshed", b, None),
        Decision::Rebind { from, to } => ("rebound", to, Some(from)),
        Decision::Unchanged(_) => return None,
    };
    let from = from.or(current.filter(|c| kind == "bound" && c.partner != binding.partner).map(|c| c.partner));
    let kind = if kind == "bound" && from.is_some() { "rebound" } else { kind };
    Some((kind, binding, from))
}

/// Why a decision changed nothing, in words.
fn unchanged(decision: Decision) -> String {
    match decision {
        Decision::Unchanged(why) => format!("unchanged: {why:?}").to_lowercase(),
        _ => String::new(),
    }
}

/// The subject a binding keys on.
pub fn customer_subject(customer: Uuid) -> String {
    format!("customer:{customer}")
}

impl AttributionService {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: Verifier,
        clock: Clock,
        home_url: String,
        customers: tonic::transport::Channel,
    ) -> Self {
        let customers = partnerline_proto::customers::v1::customers_client::CustomersClient::new(customers);
        AttributionService { pool, outbox, verifier, clock, home_url, customers, links: Arc::default() }
    }

    /// The link behind a code: from memory when seen recently, else from the database.
    pub async fn link(&self, code: &str) -> Result<Option<LinkRow>, AppError> {
        if let Ok(cache) = self.links.lock()
            && let Some((at, link)) = cache.get(code)
            && at.elapsed() < LINK_TTL
        {
            return Ok(link.clone());
        }
        let read = async {
            let mut conn = self.pool.acquire().await?;
            store::link_by_code(&mut conn, code).await
        };
        let link = match read.await {
            Ok(link) => link,
            Err(e) => {
                // The database is away: a link seen before still redirects.
                let stale = self.links.lock().ok().and_then(|c| c.get(code).map(|(_, l)| l.clone()));
                match stale {
                    Some(link) => return Ok(link),
                    None => return Err(e.into()),
                }
            }
        };
        if let Ok(mut cache) = self.links.lock() {
            if cache.len() > 100_000 {
                cache.clear();
            }
            cache.insert(code.to_string(), (Instant::now(), link.clone()));
        }
        Ok(link)
    }

    pub(crate) async fn settings(&self, tx: &mut TenantTx<'_>) -> Result<domain::Settings, AppError> {
        Ok(program::settings(store::program(tx).await?.as_ref())?)
    }

    /// A partner may bind and be attributed unless it is known to be suspended (P5).
    pub(crate) async fn active(&self, tx: &mut TenantTx<'_>, partner: Uuid) -> Result<bool, AppError> {
        Ok(store::partner(tx, partner).await?.is_none_or(|p| p.active))
    }

    /// L1: the partner's referral link, made once.
    pub async fn ensure_referral_link(&self, tx: &mut TenantTx<'_>, partner: Uuid) -> Result<(), AppError> {
        for _ in 0..3 {
            let link = LinkRow {
                id: Uuid::now_v7(),
                tenant_id: tx.tenant(),
                partner_id: partner,
                code: new_code(),
                kind: "referral".into(),
                target_url: self.home_url.clone(),
                label: "Referral link".into(),
                active: true,
                created_at: self.clock.now(),
                expires_at: None,
            };
            if store::insert_link(tx, &link).await? {
                self.link_created(tx, &link).await?;
                return Ok(());
            }
            if store::links(tx, Some(partner)).await?.iter().any(|l| l.kind == "referral") {
                return Ok(());
            }
        }
        Err(AppError::internal(anyhow::anyhow!("no free link code after 3 tries")))
    }

    pub(crate) async fn link_created(&self, tx: &mut TenantTx<'_>, l: &LinkRow) -> Result<(), AppError> {
        let msg = ev::LinkCreated {
            tenant_id: l.tenant_id.to_string(),
            link_id: l.id.to_string(),
            partner_id: l.partner_id.to_string(),
            code: l.code.clone(),
            kind: l.kind.clone(),
            target_url: l.target_url.clone(),
        };
        self.outbox.emit(tx.conn(), l.tenant_id, "link", l.id, "created", &msg).await?;
        Ok(())
    }

    /// L2-L7: records a click and applies what it does to the visitor's (or customer's) binding.
    #[allow(clippy::too_many_arguments)]
    pub async fn click(
        &self,
        tx: &mut TenantTx<'_>,
        link: &LinkRow,
        visitor: &str,
        clicker_partner: Option<Uuid>,
        user_agent: &str,
        referrer: &str,
        ip_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let one = ClickIn { link, visitor, clicker_partner, user_agent, referrer, ip_hash, at };
        Ok(self.clicks(tx, &[one]).await?.pop().unwrap_or_default())
    }

    /// L2-L7 for a batch of clicks of one program, in the order they happened: one lookup per
    /// distinct visitor, subject and partner, the decisions made in memory one click after the
    /// other, and one write per table. Returns what each click did, in words.
    pub async fn clicks(&self, tx: &mut TenantTx<'_>, clicks: &[ClickIn<'_>]) -> Result<Vec<String>, AppError> {
        let mut visitors: Vec<String> = clicks.iter().map(|c| c.visitor.to_string()).collect();
        visitors.sort();
        visitors.dedup();
        // Clicks and registrations of one visitor are serialized (see `registered`).
        store::lock_visitors(tx, &visitors).await?;
        let customers: HashMap<String, Uuid> = store::visitors_customers(tx, &visitors).await?.into_iter().collect();
        let known: Vec<Uuid> = customers.values().copied().collect();
        let partner_of: HashMap<Uuid, Uuid> = store::customers_partners(tx, &known).await?.into_iter().collect();
        let mut partners: Vec<Uuid> = clicks.iter().map(|c| c.link.partner_id).collect();
        partners.sort();
        partners.dedup();
        let active: HashMap<Uuid, bool> = store::partners_active(tx, &partners).await?.into_iter().collect();
        let settings = self.settings(tx).await?;
        let subject_of = |v: &str| match customers.get(v) {
            Some(c) => customer_subject(*c),
            None => format!("visitor:{v}"),
        };
        let mut subjects: Vec<String> = visitors.iter().map(|v| subject_of(v)).collect();
        subjects.sort();
        subjects.dedup();
        let mut current: HashMap<String, domain::Binding> = store::bindings(tx, &subjects).await?.into_iter().collect();
        let mut changed: BTreeMap<String, domain::Binding> = BTreeMap::new();
        let (mut history, mut moved, mut rows, mut labels) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for c in clicks {
            let subject = subject_of(c.visitor);
            // L6, L7: a visitor known to be a customer who is a partner clicks as that partner.
            let clicker =
                c.clicker_partner.or_else(|| customers.get(c.visitor).and_then(|x| partner_of.get(x).copied()));
            let id = Uuid::now_v7();
            let label = if c.link.expired(c.at) {
                // L1: a poster's link past its 30 days leads to the shop and binds nobody.
                "unchanged: link_expired".to_string()
            } else {
                let is_active = c.link.active && active.get(&c.link.partner_id).copied().unwrap_or(true);
                let before = current.get(&subject).copied();
                let click =
                    Click { partner: c.link.partner_id, partner_active: is_active, clicker_partner: clicker, at: c.at };
                let decision = domain::decide(&settings, before.as_ref(), &click, c.at);
                match transition(before, decision) {
                    None => unchanged(decision),
                    Some((kind, binding, from)) => {
                        current.insert(subject.clone(), binding);
                        changed.insert(subject.clone(), binding);
                        let h = HistoryRow {
                            kind: kind.into(),
                            partner_id: binding.partner,
                            from_partner: from,
                            click_id: Some(id),
                            reason: "click".into(),
                            at: c.at,
                        };
                        history.push((subject.clone(), h));
                        if kind != "refreshed" {
                            moved.push((subject.clone(), binding.partner, from, c.at));
                        }
                        kind.to_string()
                    }
                }
            };
            rows.push(ClickRow {
                id,
                link_id: c.link.id,
                partner_id: c.link.partner_id,
                visitor_id: c.visitor.to_string(),
                subject,
                user_agent: c.user_agent.chars().take(500).collect(),
                referrer: c.referrer.chars().take(2000).collect(),
                ip_hash: c.ip_hash.to_string(),
                decision: label.clone(),
                at: c.at,
            });
            labels.push(label);
        }
        store::put_bindings(tx, &changed.into_iter().collect::<Vec<_>>()).await?;
        store::insert_histories(tx, &history).await?;
        store::insert_clicks(tx, &rows).await?;
        let tenant = tx.tenant();
        // click.recorded, batched: one event per batch, counted per link.
        let mut per_link: BTreeMap<Uuid, ev::LinkClicks> = BTreeMap::new();
        for r in &rows {
            let e = per_link.entry(r.link_id).or_insert_with(|| ev::LinkClicks {
                link_id: r.link_id.to_string(),
                partner_id: r.partner_id.to_string(),
                ..Default::default()
            });
            e.clicks += 1;
            e.bindings += u32::from(r.decision == "bound" || r.decision == "rebound");
        }
        if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
            let msg = ev::ClicksRecorded {
                tenant_id: tenant.to_string(),
                links: per_link.into_values().collect(),
                from: events::ts(first.at),
                to: events::ts(last.at),
            };
            self.outbox.emit(tx.conn(), tenant, "click", first.id, "recorded", &msg).await?;
        }
        for (subject, partner, from, at) in moved {
            let event = if from.is_some() { "rebound" } else { "bound" };
            events::binding_changed(&self.outbox, tx.conn(), event, tenant, &subject, partner, from, at, "click")
                .await?;
        }
        Ok(labels)
    }

    /// Stores a decision with its history entry and event; returns what happened, in words.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply(
        &self,
        tx: &mut TenantTx<'_>,
        subject: &str,
        current: Option<domain::Binding>,
        decision: Decision,
        click: Option<Uuid>,
        cause: &str,
        at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let Some((kind, binding, from)) = transition(current, decision) else { return Ok(unchanged(decision)) };
        store::put_binding(tx, subject, &binding).await?;
        let h = HistoryRow {
            kind: kind.into(),
            partner_id: binding.partner,
            from_partner: from,
            click_id: click,
            reason: cause.into(),
            at,
        };
        store::insert_history(tx, subject, &h).await?;
        if kind != "refreshed" {
            let tenant = tx.tenant();
            let event = if from.is_some() { "rebound" } else { "bound" };
            events::binding_changed(&self.outbox, tx.conn(), event, tenant, subject, binding.partner, from, at, cause)
                .await?;
        }
        Ok(kind.to_string())
    }

    /// L8 and the visitor's merge into the customer: a registration through a partner's link
    /// assigns the customer to that partner; without one, the visitor's binding carries over.
    pub async fn registered(
        &self,
        tx: &mut TenantTx<'_>,
        customer: Uuid,
        visitor: Option<&str>,
        referral_code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let subject = customer_subject(customer);
        if let Some(v) = visitor {
            store::lock_visitor(tx, v).await?;
            store::put_visitor_customer(tx, v, customer).await?;
        }
        if store::customer_partner(tx, customer).await?.is_some() {
            return Ok(()); // L6, X8: a partner registering as a customer joins nobody's book
        }
        let current = store::binding(tx, &subject).await?;
        let link = match referral_code {
            Some(code) => self.link(code).await?.filter(|l| l.tenant_id == tx.tenant() && l.active),
            None => None,
        };
        if let Some(link) = link
            && self.active(tx, link.partner_id).await?
        {
            let fresh = domain::Binding { partner: link.partner_id, since: at, last_click: at };
            let decision = match current {
                Some(c) if c.partner == link.partner_id => Decision::Refresh(fresh),
                Some(c) => Decision::Rebind { from: c.partner, to: fresh },
                None => Decision::Bind(fresh),
            };
            self.apply(tx, &subject, current, decision, None, "registration", at).await?;
            return Ok(());
        }
        if let (None, Some(v)) = (current, visitor)
            && let Some(b) = store::binding(tx, &format!("visitor:{v}")).await?
        {
            self.apply(tx, &subject, None, Decision::Bind(b), None, "visitor_merged", at).await?;
        }
        Ok(())
    }

    /// X8: what customers publish of a customer's email; a customer whose email is a partner's is
    /// that partner from now on.
    pub async fn customer_seen(&self, tx: &mut TenantTx<'_>, customer: Uuid, email: &str) -> Result<(), AppError> {
        let email = email.trim().to_lowercase();
        store::put_customer_email(tx, customer, &email).await?;
        if email.is_empty() {
            return Ok(());
        }
        if let Some(partner) = store::partner_with_email(tx, &email).await? {
            self.became_partner(tx, customer, partner).await?;
        }
        Ok(())
    }

    /// X8: every customer with the new partner's email leaves its binding.
    pub async fn partner_joined(&self, tx: &mut TenantTx<'_>, partner: Uuid, email: &str) -> Result<(), AppError> {
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Ok(());
        }
        for customer in store::customers_with_email(tx, &email).await? {
            self.became_partner(tx, customer, partner).await?;
        }
        Ok(())
    }

    /// X8: the customer is `partner` from now on and no longer anyone's customer.
    async fn became_partner(&self, tx: &mut TenantTx<'_>, customer: Uuid, partner: Uuid) -> Result<(), AppError> {
        let at = self.clock.now();
        if !store::put_customer_partner(tx, customer, partner, at).await? {
            return Ok(());
        }
        let subject = customer_subject(customer);
        if let Some(left) = store::delete_binding(tx, &subject).await? {
            let h = HistoryRow {
                kind: "released".into(),
                partner_id: left.partner,
                from_partner: None,
                click_id: None,
                reason: "became_partner".into(),
                at,
            };
            store::insert_history(tx, &subject, &h).await?;
            let tenant = tx.tenant();
            events::binding_changed(
                &self.outbox,
                tx.conn(),
                "released",
                tenant,
                &subject,
                left.partner,
                None,
                at,
                "became_partner",
            )
            .await?;
        }
        Ok(())
    }

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
