//! Customer groups (CU7).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

use super::{COLUMNS, CustomerRow};

#[derive(Debug, Clone, FromRow)]
pub struct GroupRow {
    pub id: Uuid,
    pub name: String,
    pub partner_id: Option<Uuid>,
    pub customer_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const GROUP: &str = "SELECT g.id, g.name, g.partner_id, g.created_at, g.updated_at,
        (SELECT count(*) FROM customers c
         WHERE c.tenant_id = g.tenant_id AND c.group_id = g.id AND c.deleted_at IS NULL) AS customer_count
    FROM customer_groups g";

/// Inserts a group; `false` when the program already has one of that name (any case).
#[tracing::instrument(skip_all)]
pub async fn insert_group(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    name: &str,
    partner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO customer_groups (id, tenant_id, name, partner_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(tenant)
    .bind(name)
    .bind(partner)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn group(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<GroupRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{GROUP} WHERE g.tenant_id = $1 AND g.id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// Locks a group while it or its customers change.
#[tracing::instrument(skip_all)]
pub async fn group_for_update(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<GroupRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{GROUP} WHERE g.tenant_id = $1 AND g.id = $2 FOR UPDATE OF g"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn groups(tx: &mut TenantTx<'_>) -> Result<Vec<GroupRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{GROUP} WHERE g.tenant_id = $1 ORDER BY lower(g.name), g.id"))
        .bind(tenant)
        .fetch_all(tx.conn())
        .await
}

/// Renames or reassigns a group; `false` when the new name is taken.
#[tracing::instrument(skip_all)]
pub async fn update_group(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    name: &str,
    partner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "UPDATE customer_groups SET name = $3, partner_id = $4, updated_at = $5
         WHERE tenant_id = $1 AND id = $2
           AND NOT EXISTS (SELECT 1 FROM customer_groups o WHERE o.tenant_id = $1 AND o.id <> $2 AND lower(o.name) = lower($3))",
    )
    .bind(tenant)
    .bind(id)
    .bind(name)
    .bind(partner)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Hands every live customer of a group to `partner`; returns the customers whose owner changed,
/// as they are now, with their previous owner.
#[tracing::instrument(skip_all)]
pub async fn reassign_group(
    tx: &mut TenantTx<'_>,
    group: Uuid,
    partner: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(CustomerRow, Option<Uuid>)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Moved {
        #[sqlx(flatten)]
        customer: CustomerRow,
        previous_owner: Option<Uuid>,
    }
    let tenant = tx.tenant();
    let rows: Vec<Moved> = sqlx::query_as(&format!(
        "WITH moved AS (
             SELECT id, owner_partner_id AS previous_owner FROM customers
             WHERE tenant_id = $1 AND group_id = $2 AND deleted_at IS NULL AND owner_partner_id IS DISTINCT FROM $3
             FOR UPDATE
         )
         UPDATE customers c SET owner_partner_id = $3, updated_at = $4
         FROM moved WHERE c.tenant_id = $1 AND c.id = moved.id
         RETURNING {COLUMNS}, moved.previous_owner"
    ))
    .bind(tenant)
    .bind(group)
    .bind(partner)
    .bind(now)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|m| (m.customer, m.previous_owner)).collect())
}

/// Deletes a group; its customers (live or deleted) leave it and keep their owner.
#[tracing::instrument(skip_all)]
pub async fn delete_group(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE customers SET group_id = NULL WHERE tenant_id = $1 AND group_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM customer_groups WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
