//! Leads and their timeline (LE1-LE5).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SalesRep {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct LeadRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub product_line: String,
    pub contact_name: String,
    pub email: String,
    pub company: String,
    pub website_url: String,
    pub notes: String,
    pub wants_sales_support: bool,
    pub status: String,
    pub sales_rep: Option<Json<SalesRep>>,
    pub sales_rep_user_id: Option<Uuid>,
    pub plan: String,
    pub revenue: Decimal,
    pub currency: String,
    pub won_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct LeadEventRow {
    pub at: DateTime<Utc>,
    pub actor_user_id: Uuid,
    pub change: String,
    pub from_status: String,
    pub to_status: String,
}

/// Who sees which leads: a partner its own, a sales rep those assigned to it, admins all.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadScope {
    pub partner: Option<Uuid>,
    pub rep: Option<Uuid>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_lead(tx: &mut TenantTx<'_>, l: &LeadRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO leads (id, tenant_id, partner_id, product_line, contact_name, email, company, website_url, notes,
             wants_sales_support, status, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(l.id)
    .bind(tenant)
    .bind(l.partner_id)
    .bind(&l.product_line)
    .bind(&l.contact_name)
    .bind(&l.email)
    .bind(&l.company)
    .bind(&l.website_url)
    .bind(&l.notes)
    .bind(l.wants_sales_support)
    .bind(&l.status)
    .bind(l.created_at)
    .bind(l.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn lead(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    scope: LeadScope,
    lock: bool,
) -> Result<Option<LeadRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let sql = format!(
        "SELECT * FROM leads WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR partner_id = $3)
         AND ($4::uuid IS NULL OR sales_rep_user_id = $4){}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(&sql).bind(tenant).bind(id).bind(scope.partner).bind(scope.rep).fetch_optional(tx.conn()).await
}

pub struct LeadFilter {
    pub scope: LeadScope,
    pub status: Option<String>,
    pub q: Option<String>,
    /// A whitelisted column name.
    pub sort: &'static str,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
    pub won_only: bool,
}

#[tracing::instrument(skip_all)]
pub async fn list_leads(tx: &mut TenantTx<'_>, f: &LeadFilter) -> Result<Vec<LeadRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let q = f.q.as_deref().map(platform::db::contains_pattern);
    // `sort` comes from a fixed list, never from the client's text.
    let sql = format!(
        "SELECT * FROM leads WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2)
           AND ($3::uuid IS NULL OR sales_rep_user_id = $3) AND ($4::text IS NULL OR status = $4)
           AND ($5::text IS NULL OR contact_name ILIKE $5 OR email ILIKE $5 OR company ILIKE $5 OR website_url ILIKE $5)
           AND (NOT $6 OR status = 'won')
         ORDER BY {} {}, id {} OFFSET $7 LIMIT $8",
        f.sort,
        if f.descending { "DESC" } else { "ASC" },
        if f.descending { "DESC" } else { "ASC" },
    );
    sqlx::query_as(&sql)
        .bind(tenant)
        .bind(f.scope.partner)
        .bind(f.scope.rep)
        .bind(&f.status)
        .bind(q)
        .bind(f.won_only)
        .bind(f.offset)
        .bind(f.limit)
        .fetch_all(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn update_lead(tx: &mut TenantTx<'_>, l: &LeadRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE leads SET status = $3, sales_rep = $4, sales_rep_user_id = $5, plan = $6, revenue = $7, currency = $8,
             won_at = $9, updated_at = $10
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(l.id)
    .bind(&l.status)
    .bind(&l.sales_rep)
    .bind(l.sales_rep_user_id)
    .bind(&l.plan)
    .bind(l.revenue)
    .bind(&l.currency)
    .bind(l.won_at)
    .bind(l.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn insert_lead_event(tx: &mut TenantTx<'_>, lead: Uuid, e: &LeadEventRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO lead_events (id, tenant_id, lead_id, at, actor_user_id, change, from_status, to_status)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(lead)
    .bind(e.at)
    .bind(e.actor_user_id)
    .bind(&e.change)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn lead_events(tx: &mut TenantTx<'_>, lead: Uuid) -> Result<Vec<LeadEventRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT at, actor_user_id, change, from_status, to_status FROM lead_events WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id")
        .bind(tenant)
        .bind(lead)
        .fetch_all(tx.conn())
        .await
}
