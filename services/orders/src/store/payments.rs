//! Payment links and payments (O3).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[tracing::instrument(skip_all)]
pub async fn put_payment_link(
    tx: &mut TenantTx<'_>,
    order: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO payment_links (order_id, tenant_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (order_id) DO UPDATE SET token_hash = $3, expires_at = $4, created_at = $5",
    )
    .bind(order)
    .bind(tenant)
    .bind(hash)
    .bind(expires_at)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The order a live payment token belongs to, with the link's expiry (any tenant: the token is
/// the credential).
#[tracing::instrument(skip_all)]
pub async fn order_by_payment_token(
    conn: &mut PgConnection,
    hash: &[u8],
) -> Result<Option<(Uuid, Uuid, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as("SELECT tenant_id, order_id, expires_at FROM payment_links WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(conn)
        .await
}

/// Records a provider's payment once; `false` when that reference was recorded already.
#[tracing::instrument(skip_all)]
pub async fn insert_payment(
    tx: &mut TenantTx<'_>,
    order: Uuid,
    provider: &str,
    reference: &str,
    amount: Decimal,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO payments (id, tenant_id, order_id, provider, reference, amount, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(order)
    .bind(provider)
    .bind(reference)
    .bind(amount)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}
