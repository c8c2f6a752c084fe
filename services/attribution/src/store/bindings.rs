//! Who brought each visitor and customer (L3-L8, X8): bindings and their history, one at a time or
//! in batches.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

use crate::domain::Binding;

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

/// Serializes what concerns one visitor (its clicks, its registration), so a click and the
/// visitor's merge into a customer never miss each other.
#[tracing::instrument(skip_all)]
pub async fn lock_visitor(tx: &mut TenantTx<'_>, visitor: &str) -> sqlx::Result<()> {
    let key = format!("{}:{visitor}", tx.tenant());
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(tx.conn()).await?;
    Ok(())
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
