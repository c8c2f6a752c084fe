//! Quick-order links (CU8) and the rate limit of their lookups.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{COLUMNS, CustomerRow};

/// Creates the customer's link, or replaces it: the old token stops resolving at once.
#[tracing::instrument(skip_all)]
pub async fn put_link(
    tx: &mut TenantTx<'_>,
    customer: Uuid,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO quick_order_links (customer_id, tenant_id, token_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (customer_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at",
    )
    .bind(customer)
    .bind(tenant)
    .bind(hash)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_link(tx: &mut TenantTx<'_>, customer: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query("DELETE FROM quick_order_links WHERE tenant_id = $1 AND customer_id = $2")
        .bind(tenant)
        .bind(customer)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The live customer a token belongs to (any tenant: the token is the credential).
#[tracing::instrument(skip_all)]
pub async fn customer_by_token(conn: &mut PgConnection, hash: &[u8]) -> Result<Option<CustomerRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}
         FROM quick_order_links l JOIN customers c ON c.id = l.customer_id AND c.tenant_id = l.tenant_id
         WHERE l.token_hash = $1 AND c.deleted_at IS NULL AND c.approval = 'active'"
    ))
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Records a token lookup and returns how many this client made in the window.
#[tracing::instrument(skip_all)]
pub async fn count_lookup(
    conn: &mut PgConnection,
    client: &str,
    now: DateTime<Utc>,
    window_secs: i64,
) -> Result<i64, sqlx::Error> {
    let since = now - chrono::Duration::seconds(window_secs);
    // Lookups older than the window no longer count: drop this client's, so the table stays small.
    sqlx::query("DELETE FROM quick_order_lookups WHERE client = $1 AND at <= $2")
        .bind(client)
        .bind(since)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO quick_order_lookups (client, at) VALUES ($1, $2)")
        .bind(client)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT count(*) FROM quick_order_lookups WHERE client = $1 AND at > $2")
        .bind(client)
        .bind(since)
        .fetch_one(conn)
        .await
}

// ---- leads ----
