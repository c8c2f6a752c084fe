//! Attribution's SQL: one function per query, each through a `TenantTx` where a tenant is known.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::Binding;

#[tracing::instrument(skip_all)]
pub async fn put_program(tx: &mut TenantTx<'_>, settings: &serde_json::Value, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO programs (tenant_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET settings = $2, updated_at = $3 WHERE programs.updated_at <= $3",
    )
    .bind(tenant)
    .bind(settings)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn program(tx: &mut TenantTx<'_>) -> sqlx::Result<Option<serde_json::Value>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT settings FROM programs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct PartnerRow {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub active: bool,
    pub name: String,
    /// Lower-case, for X8.
    pub email: String,
}

#[tracing::instrument(skip_all)]
pub async fn put_partner(tx: &mut TenantTx<'_>, p: &PartnerRow, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (id, tenant_id, user_id, parent_id, active, updated_at, name, email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET user_id = $3, parent_id = $4, active = $5, updated_at = $6, name = $7,
             email = $8
         WHERE partners.updated_at <= $6",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.user_id)
    .bind(p.parent_id)
    .bind(p.active)
    .bind(at)
    .bind(&p.name)
    .bind(&p.email)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn set_partner_active(tx: &mut TenantTx<'_>, id: Uuid, active: bool, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (id, tenant_id, active, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET active = $3, updated_at = $4 WHERE partners.updated_at <= $4",
    )
    .bind(id)
    .bind(tenant)
    .bind(active)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn partner(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<PartnerRow>> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT id, user_id, parent_id, active, name, email FROM partners WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// The partners among `ids` that attribution knows.
#[tracing::instrument(skip_all)]
pub async fn partners(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, PartnerRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let tenant = tx.tenant();
    let rows: Vec<PartnerRow> = sqlx::query_as(
        "SELECT id, user_id, parent_id, active, name, email FROM partners WHERE tenant_id = $1 AND id = ANY($2)",
    )
    .bind(tenant)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|p| (p.id, p)).collect())
}

/// The partners among `ids` that attribution knows, and their parents (what a C7 chain needs).
#[tracing::instrument(skip_all)]
pub async fn partners_with_parents(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, PartnerRow>> {
    let mut found = partners(tx, ids).await?;
    let parents: Vec<Uuid> = found.values().filter_map(|p| p.parent_id).collect();
    found.extend(partners(tx, &parents).await?);
    Ok(found)
}

#[derive(Debug, Clone, FromRow)]
pub struct LinkRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub code: String,
    pub kind: String,
    pub target_url: String,
    pub label: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Posters' links (L1) stop binding after this.
    pub expires_at: Option<DateTime<Utc>>,
}

impl LinkRow {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }
}

const LINK: &str =
    "SELECT id, tenant_id, partner_id, code, kind, target_url, label, active, created_at, expires_at FROM links";

/// Inserts a link; `false` when its code (or a second referral link of the partner) exists.
#[tracing::instrument(skip_all)]
pub async fn insert_link(tx: &mut TenantTx<'_>, l: &LinkRow) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO links (id, tenant_id, partner_id, code, kind, target_url, label, active, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(l.id)
    .bind(tenant)
    .bind(l.partner_id)
    .bind(&l.code)
    .bind(&l.kind)
    .bind(&l.target_url)
    .bind(&l.label)
    .bind(l.active)
    .bind(l.created_at)
    .bind(l.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The link behind a code, in any program (the code is the key).
#[tracing::instrument(skip_all)]
pub async fn link_by_code(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<LinkRow>> {
    sqlx::query_as(&format!("{LINK} WHERE code = $1")).bind(code).fetch_optional(conn).await
}

#[tracing::instrument(skip_all)]
pub async fn link(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<LinkRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{LINK} WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn links(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<LinkRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{LINK} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) ORDER BY created_at DESC, id DESC"
    ))
    .bind(tenant)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone)]
pub struct ClickRow {
    pub id: Uuid,
    pub link_id: Uuid,
    pub partner_id: Uuid,
    pub visitor_id: String,
    pub subject: String,
    pub user_agent: String,
    pub referrer: String,
    pub ip_hash: String,
    pub decision: String,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn put_visitor_customer(tx: &mut TenantTx<'_>, visitor: &str, customer: Uuid) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO visitor_customers (tenant_id, visitor_id, customer_id) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, visitor_id) DO UPDATE SET customer_id = $3",
    )
    .bind(tenant)
    .bind(visitor)
    .bind(customer)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
struct BindingRow {
    partner_id: Uuid,
    since: DateTime<Utc>,
    last_click: DateTime<Utc>,
}

/// A subject's binding, locked while a click or an order decides on it.
#[tracing::instrument(skip_all)]
pub async fn binding(tx: &mut TenantTx<'_>, subject: &str) -> sqlx::Result<Option<Binding>> {
    let tenant = tx.tenant();
    let row: Option<BindingRow> = sqlx::query_as(
        "SELECT partner_id, since, last_click FROM bindings WHERE tenant_id = $1 AND subject = $2 FOR UPDATE",
    )
    .bind(tenant)
    .bind(subject)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| Binding { partner: r.partner_id, since: r.since, last_click: r.last_click }))
}

#[tracing::instrument(skip_all)]
pub async fn put_binding(tx: &mut TenantTx<'_>, subject: &str, b: &Binding) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO bindings (tenant_id, subject, partner_id, since, last_click) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, subject) DO UPDATE SET partner_id = $3, since = $4, last_click = $5",
    )
    .bind(tenant)
    .bind(subject)
    .bind(b.partner)
    .bind(b.since)
    .bind(b.last_click)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct HistoryRow {
    pub kind: String,
    pub partner_id: Uuid,
    pub from_partner: Option<Uuid>,
    pub click_id: Option<Uuid>,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_history(tx: &mut TenantTx<'_>, subject: &str, h: &HistoryRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO binding_history (tenant_id, subject, kind, partner_id, from_partner, click_id, reason, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(subject)
    .bind(&h.kind)
    .bind(h.partner_id)
    .bind(h.from_partner)
    .bind(h.click_id)
    .bind(&h.reason)
    .bind(h.at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn history(tx: &mut TenantTx<'_>, subject: &str) -> sqlx::Result<Vec<HistoryRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT kind, partner_id, from_partner, click_id, reason, at FROM binding_history
         WHERE tenant_id = $1 AND subject = $2 ORDER BY id",
    )
    .bind(tenant)
    .bind(subject)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct AttributionRow {
    pub order_id: Uuid,
    pub version: i32,
    pub partner_id: Option<Uuid>,
    pub parent_chain: Vec<Uuid>,
    pub reason: String,
    pub detail: String,
    pub order_version: i32,
    pub actor_user_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn latest_attribution(tx: &mut TenantTx<'_>, order: Uuid) -> sqlx::Result<Option<AttributionRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT order_id, version, partner_id, parent_chain, reason, detail, order_version, actor_user_id, at
         FROM order_attributions WHERE tenant_id = $1 AND order_id = $2 ORDER BY version DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tenant)
    .bind(order)
    .fetch_optional(tx.conn())
    .await
}

/// Records many orders' decisions in one statement; returns the orders recorded (an order whose
/// version exists already, a racing delivery's, is left out).
#[tracing::instrument(skip_all)]
pub async fn insert_attributions(
    tx: &mut TenantTx<'_>,
    rows: &[AttributionRow],
) -> sqlx::Result<std::collections::HashSet<Uuid>> {
    if rows.is_empty() {
        return Ok(Default::default());
    }
    let tenant = tx.tenant();
    let mut q = sqlx::QueryBuilder::new(
        "INSERT INTO order_attributions (tenant_id, order_id, version, partner_id, parent_chain, reason, detail,
             order_version, actor_user_id, at) ",
    );
    q.push_values(rows, |mut b, a| {
        b.push_bind(tenant)
            .push_bind(a.order_id)
            .push_bind(a.version)
            .push_bind(a.partner_id)
            .push_bind(&a.parent_chain)
            .push_bind(&a.reason)
            .push_bind(&a.detail)
            .push_bind(a.order_version)
            .push_bind(a.actor_user_id)
            .push_bind(a.at);
    });
    q.push(" ON CONFLICT DO NOTHING RETURNING order_id");
    let inserted: Vec<Uuid> = q.build_query_scalar().fetch_all(tx.conn()).await?;
    Ok(inserted.into_iter().collect())
}

/// Which of `orders` have been decided already.
#[tracing::instrument(skip_all)]
pub async fn attributed_orders(tx: &mut TenantTx<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT DISTINCT order_id FROM order_attributions WHERE tenant_id = $1 AND order_id = ANY($2)")
        .bind(tenant)
        .bind(orders)
        .fetch_all(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn attributions(tx: &mut TenantTx<'_>, order: Uuid) -> sqlx::Result<Vec<AttributionRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT order_id, version, partner_id, parent_chain, reason, detail, order_version, actor_user_id, at
         FROM order_attributions WHERE tenant_id = $1 AND order_id = $2 ORDER BY version",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct ClaimRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub partner_id: Uuid,
    pub message: String,
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

const CLAIM: &str =
    "SELECT id, order_id, partner_id, message, status, decided_by, decision_reason, created_at, decided_at
    FROM attribution_claims";

/// Files a claim; `false` when the partner has one open on the order already.
#[tracing::instrument(skip_all)]
pub async fn insert_claim(tx: &mut TenantTx<'_>, c: &ClaimRow) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO attribution_claims (id, tenant_id, order_id, partner_id, message, status, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT DO NOTHING",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(c.order_id)
    .bind(c.partner_id)
    .bind(&c.message)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn claim_for_update(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    partner: Option<Uuid>,
) -> sqlx::Result<Option<ClaimRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{CLAIM} WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR partner_id = $3) FOR UPDATE"
    ))
    .bind(tenant)
    .bind(id)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn claims(tx: &mut TenantTx<'_>, partner: Option<Uuid>, status: Option<&str>) -> sqlx::Result<Vec<ClaimRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{CLAIM} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at DESC, id DESC LIMIT 500"
    ))
    .bind(tenant)
    .bind(partner)
    .bind(status)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn decide_claim(tx: &mut TenantTx<'_>, c: &ClaimRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE attribution_claims SET status = $3, decided_by = $4, decision_reason = $5, decided_at = $6
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(c.id)
    .bind(&c.status)
    .bind(c.decided_by)
    .bind(&c.decision_reason)
    .bind(c.decided_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Serializes what concerns one visitor (its clicks, its registration), so a click and the
/// visitor's merge into a customer never miss each other.
#[tracing::instrument(skip_all)]
pub async fn lock_visitor(tx: &mut TenantTx<'_>, visitor: &str) -> sqlx::Result<()> {
    let key = format!("{}:{visitor}", tx.tenant());
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(tx.conn()).await?;
    Ok(())
}

/// Clicks per UTC day in [from, to), with how many bound someone.
#[tracing::instrument(skip_all)]
pub async fn clicks_per_day(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(chrono::NaiveDate, i64, i64)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT (at AT TIME ZONE 'UTC')::date AS day, count(*), count(*) FILTER (WHERE decision IN ('bound', 'rebound'))
         FROM clicks WHERE tenant_id = $1 AND partner_id = $2 AND at >= $3 AND at < $4 GROUP BY 1 ORDER BY 1",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}

/// Clicks per link in [from, to), most clicked first.
#[tracing::instrument(skip_all)]
pub async fn clicks_per_link(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(Uuid, String, String, i64)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT l.id, l.code, l.label, count(c.id) FROM links l
         JOIN clicks c ON c.tenant_id = l.tenant_id AND c.link_id = l.id AND c.at >= $3 AND c.at < $4
         WHERE l.tenant_id = $1 AND l.partner_id = $2 GROUP BY l.id, l.code, l.label ORDER BY 4 DESC, l.id",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}

/// L1: the merchant's poster design.
#[derive(Debug, Clone, FromRow)]
pub struct DesignRow {
    pub background: String,
    pub text_color: String,
    pub headline: String,
}

#[tracing::instrument(skip_all)]
pub async fn poster_design(tx: &mut TenantTx<'_>) -> sqlx::Result<Option<DesignRow>> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT background, text_color, headline FROM poster_designs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn put_poster_design(tx: &mut TenantTx<'_>, d: &DesignRow, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO poster_designs (tenant_id, background, text_color, headline, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET background = $2, text_color = $3, headline = $4, updated_at = $5",
    )
    .bind(tenant)
    .bind(&d.background)
    .bind(&d.text_color)
    .bind(&d.headline)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A poster with what it prints (copied when issued) and its link.
#[derive(Debug, Clone, FromRow)]
pub struct PosterRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub link_id: Uuid,
    pub partner_name: String,
    pub background: String,
    pub text_color: String,
    pub headline: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub code: String,
    pub target_url: String,
}

const POSTER: &str = "SELECT p.id, p.partner_id, p.link_id, p.partner_name, p.background, p.text_color, p.headline,
        p.created_at, p.expires_at, l.code, l.target_url
    FROM posters p JOIN links l ON l.id = p.link_id";

#[tracing::instrument(skip_all)]
pub async fn insert_poster(tx: &mut TenantTx<'_>, p: &PosterRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO posters (id, tenant_id, partner_id, link_id, partner_name, background, text_color, headline,
             created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.partner_id)
    .bind(p.link_id)
    .bind(&p.partner_name)
    .bind(&p.background)
    .bind(&p.text_color)
    .bind(&p.headline)
    .bind(p.created_at)
    .bind(p.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn poster(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<PosterRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{POSTER} WHERE p.tenant_id = $1 AND p.id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn posters(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<PosterRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{POSTER} WHERE p.tenant_id = $1 AND ($2::uuid IS NULL OR p.partner_id = $2)
         ORDER BY p.created_at DESC, p.id DESC LIMIT 200"
    ))
    .bind(tenant)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

/// X8: a customer's email, as customers last published it.
#[tracing::instrument(skip_all)]
pub async fn put_customer_email(tx: &mut TenantTx<'_>, customer: Uuid, email: &str) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO customer_emails (tenant_id, customer_id, email) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, customer_id) DO UPDATE SET email = $3",
    )
    .bind(tenant)
    .bind(customer)
    .bind(email)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn customers_with_email(tx: &mut TenantTx<'_>, email: &str) -> sqlx::Result<Vec<Uuid>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT customer_id FROM customer_emails WHERE tenant_id = $1 AND email = $2")
        .bind(tenant)
        .bind(email)
        .fetch_all(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn partner_with_email(tx: &mut TenantTx<'_>, email: &str) -> sqlx::Result<Option<Uuid>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT id FROM partners WHERE tenant_id = $1 AND email = $2 AND email <> '' LIMIT 1")
        .bind(tenant)
        .bind(email)
        .fetch_optional(tx.conn())
        .await
}

/// X8: records that a customer is a partner; `false` when it was known.
#[tracing::instrument(skip_all)]
pub async fn put_customer_partner(
    tx: &mut TenantTx<'_>,
    customer: Uuid,
    partner: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO customer_partners (tenant_id, customer_id, partner_id, since) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, customer_id) DO NOTHING",
    )
    .bind(tenant)
    .bind(customer)
    .bind(partner)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn customer_partner(tx: &mut TenantTx<'_>, customer: Uuid) -> sqlx::Result<Option<Uuid>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT partner_id FROM customer_partners WHERE tenant_id = $1 AND customer_id = $2")
        .bind(tenant)
        .bind(customer)
        .fetch_optional(tx.conn())
        .await
}

/// X8: the subject's binding ends.
#[tracing::instrument(skip_all)]
pub async fn delete_binding(tx: &mut TenantTx<'_>, subject: &str) -> sqlx::Result<Option<Binding>> {
    let tenant = tx.tenant();
    let row: Option<(Uuid, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
        "DELETE FROM bindings WHERE tenant_id = $1 AND subject = $2 RETURNING partner_id, since, last_click",
    )
    .bind(tenant)
    .bind(subject)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(partner, since, last_click)| Binding { partner, since, last_click }))
}

/// L2: locks many visitors at once, in key order (so two batches never wait on each other in a
/// circle); the same locks [`lock_visitor`] takes.
#[tracing::instrument(skip_all)]
pub async fn lock_visitors(tx: &mut TenantTx<'_>, visitors: &[String]) -> sqlx::Result<()> {
    let tenant = tx.tenant().to_string();
    sqlx::query(
        "SELECT count(pg_advisory_xact_lock(k)) FROM (
             SELECT hashtextextended($1 || ':' || v, 0) AS k FROM unnest($2::text[]) AS v ORDER BY k) keys",
    )
    .bind(tenant)
    .bind(visitors)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Which of `visitors` are known customers.
#[tracing::instrument(skip_all)]
pub async fn visitors_customers(tx: &mut TenantTx<'_>, visitors: &[String]) -> sqlx::Result<Vec<(String, Uuid)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT visitor_id, customer_id FROM visitor_customers WHERE tenant_id = $1 AND visitor_id = ANY($2)",
    )
    .bind(tenant)
    .bind(visitors)
    .fetch_all(tx.conn())
    .await
}

/// Which of `customers` are partners (X8).
#[tracing::instrument(skip_all)]
pub async fn customers_partners(tx: &mut TenantTx<'_>, customers: &[Uuid]) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT customer_id, partner_id FROM customer_partners WHERE tenant_id = $1 AND customer_id = ANY($2)",
    )
    .bind(tenant)
    .bind(customers)
    .fetch_all(tx.conn())
    .await
}

/// Whether each of `partners` may bind (P5); unknown partners are not listed.
#[tracing::instrument(skip_all)]
pub async fn partners_active(tx: &mut TenantTx<'_>, partners: &[Uuid]) -> sqlx::Result<Vec<(Uuid, bool)>> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT id, active FROM partners WHERE tenant_id = $1 AND id = ANY($2)")
        .bind(tenant)
        .bind(partners)
        .fetch_all(tx.conn())
        .await
}

/// The bindings of `subjects`, locked.
#[tracing::instrument(skip_all)]
pub async fn bindings(tx: &mut TenantTx<'_>, subjects: &[String]) -> sqlx::Result<Vec<(String, Binding)>> {
    let tenant = tx.tenant();
    let rows: Vec<(String, Uuid, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT subject, partner_id, since, last_click FROM bindings WHERE tenant_id = $1 AND subject = ANY($2)
         ORDER BY subject FOR UPDATE",
    )
    .bind(tenant)
    .bind(subjects)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|(s, partner, since, last_click)| (s, Binding { partner, since, last_click })).collect())
}

/// Writes many bindings in one statement.
#[tracing::instrument(skip_all)]
pub async fn put_bindings(tx: &mut TenantTx<'_>, rows: &[(String, Binding)]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO bindings (tenant_id, subject, partner_id, since, last_click)
         SELECT $1, s, p, si, l FROM unnest($2::text[], $3::uuid[], $4::timestamptz[], $5::timestamptz[]) AS u(s, p, si, l)
         ON CONFLICT (tenant_id, subject) DO UPDATE SET partner_id = EXCLUDED.partner_id, since = EXCLUDED.since,
             last_click = EXCLUDED.last_click",
    )
    .bind(tenant)
    .bind(rows.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, b)| b.partner).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, b)| b.since).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, b)| b.last_click).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Writes many history entries in one statement, in order.
#[tracing::instrument(skip_all)]
pub async fn insert_histories(tx: &mut TenantTx<'_>, rows: &[(String, HistoryRow)]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO binding_history (tenant_id, subject, kind, partner_id, from_partner, click_id, reason, at)
         SELECT $1, s, k, p, f, c, r, a
         FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::timestamptz[])
             WITH ORDINALITY AS u(s, k, p, f, c, r, a, n)
         ORDER BY n",
    )
    .bind(tenant)
    .bind(rows.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, h)| h.kind.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, h)| h.partner_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, h)| h.from_partner).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, h)| h.click_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, h)| h.reason.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, h)| h.at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Writes many clicks in one statement.
#[tracing::instrument(skip_all)]
pub async fn insert_clicks(tx: &mut TenantTx<'_>, rows: &[ClickRow]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let text = |f: fn(&ClickRow) -> &String| rows.iter().map(|c| f(c).clone()).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO clicks (id, tenant_id, link_id, partner_id, visitor_id, subject, user_agent, referrer, ip_hash,
             decision, at)
         SELECT id, $1, l, p, v, s, ua, r, ip, d, a
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::timestamptz[]) AS u(id, l, p, v, s, ua, r, ip, d, a)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(tenant)
    .bind(rows.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.link_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.partner_id).collect::<Vec<_>>())
    .bind(text(|c| &c.visitor_id))
    .bind(text(|c| &c.subject))
    .bind(text(|c| &c.user_agent))
    .bind(text(|c| &c.referrer))
    .bind(text(|c| &c.ip_hash))
    .bind(text(|c| &c.decision))
    .bind(rows.iter().map(|c| c.at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}
