//! What attribution does, shared by its gRPC API and its consumers: links, clicks that bind,
//! registrations that bind (L8) and orders that are attributed (L9-L11). Links are here; the
//! rest has a file each: `clicks`, `bindings`, `orders`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use partnerline_proto::events::v1 as ev;
use platform::auth::Verifier;
use platform::db::TenantTx;
use platform::outbox::Outbox;
use platform::{AppError, Clock};
use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{self, Decision};
use crate::program;
use crate::store::{self, LinkRow};

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
}

mod bindings;
mod clicks;
mod orders;
