//! Notes (CU3) and the communication log (CU4) of a customer.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct NoteRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub priority: String,
    pub body: String,
    pub author_user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct CommunicationRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub author_user_id: Uuid,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn notes(tx: &mut TenantTx<'_>, customer: Uuid) -> Result<Vec<NoteRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, customer_id, priority, body, author_user_id, created_at, updated_at FROM notes
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY priority_rank, created_at DESC, id DESC",
    )
    .bind(tenant)
    .bind(customer)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_note(tx: &mut TenantTx<'_>, n: &NoteRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO notes (id, tenant_id, customer_id, priority, body, author_user_id, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(n.id)
    .bind(tenant)
    .bind(n.customer_id)
    .bind(&n.priority)
    .bind(&n.body)
    .bind(n.author_user_id)
    .bind(n.created_at)
    .bind(n.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn note_for_update(tx: &mut TenantTx<'_>, customer: Uuid, id: Uuid) -> Result<Option<NoteRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, customer_id, priority, body, author_user_id, created_at, updated_at FROM notes
         WHERE tenant_id = $1 AND customer_id = $2 AND id = $3 FOR UPDATE",
    )
    .bind(tenant)
    .bind(customer)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update_note(tx: &mut TenantTx<'_>, n: &NoteRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE notes SET priority = $3, body = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(n.id)
        .bind(&n.priority)
        .bind(&n.body)
        .bind(n.updated_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_note(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("DELETE FROM notes WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id).execute(tx.conn()).await?;
    Ok(())
}

// ---- communications ----

#[tracing::instrument(skip_all)]
pub async fn communications(tx: &mut TenantTx<'_>, customer: Uuid) -> Result<Vec<CommunicationRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, customer_id, kind, occurred_at, author_user_id, summary, created_at FROM communications
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY occurred_at DESC, id DESC",
    )
    .bind(tenant)
    .bind(customer)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_communication(tx: &mut TenantTx<'_>, c: &CommunicationRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO communications (id, tenant_id, customer_id, kind, occurred_at, author_user_id, summary, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(c.customer_id)
    .bind(&c.kind)
    .bind(c.occurred_at)
    .bind(c.author_user_id)
    .bind(&c.summary)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

// ---- quick-order links ----
