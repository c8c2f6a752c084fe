//! What attribution keeps of other services' data: program settings, partners (with their parents
//! and status), customers' emails and owners.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

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
    /// X4: the partner's phone, and its payout details' PayPal email (lower-case) and bank
    /// account holder, as identity last published them.
    pub phone: String,
    pub payout_email: String,
    pub payout_holder: String,
}

#[tracing::instrument(skip_all)]
pub async fn put_partner(tx: &mut TenantTx<'_>, p: &PartnerRow, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (id, tenant_id, user_id, parent_id, active, updated_at, name, email, phone,
             payout_email, payout_holder)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET user_id = $3, parent_id = $4, active = $5, updated_at = $6, name = $7,
             email = $8, phone = $9, payout_email = $10, payout_holder = $11
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
    .bind(&p.phone)
    .bind(&p.payout_email)
    .bind(&p.payout_holder)
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
    sqlx::query_as("SELECT id, user_id, parent_id, active, name, email, phone, payout_email, payout_holder FROM partners WHERE tenant_id = $1 AND id = $2")
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
        "SELECT id, user_id, parent_id, active, name, email, phone, payout_email, payout_holder FROM partners WHERE tenant_id = $1 AND id = ANY($2)",
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

/// X8: a customer's email (and, for X4, its phone and name), as customers last published them.
#[tracing::instrument(skip_all)]
pub async fn put_customer_contact(tx: &mut TenantTx<'_>, customer: Uuid, c: &CustomerContact) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO customer_emails (tenant_id, customer_id, email, phone, name) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, customer_id) DO UPDATE SET email = $3, phone = $4, name = $5",
    )
    .bind(tenant)
    .bind(customer)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.name)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What attribution keeps of a customer's contact data (X4, X8): the email lower-case.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CustomerContact {
    pub email: String,
    pub phone: String,
    pub name: String,
}

/// X4: the kept contact data of `ids`.
#[tracing::instrument(skip_all)]
pub async fn customer_contacts(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, CustomerContact>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT customer_id, email, phone, name FROM customer_emails WHERE tenant_id = $1 AND customer_id = ANY($2)",
    )
    .bind(tenant)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|(id, email, phone, name)| (id, CustomerContact { email, phone, name })).collect())
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
