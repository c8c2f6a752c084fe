//! Sessions (refresh tokens and their families), failed sign-ins, and API keys (A3).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct RefreshRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family: Uuid,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

// ---- tenants ----
#[tracing::instrument(skip_all)]
pub async fn insert_refresh(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
    family: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO refresh_tokens (id, user_id, family, token_hash, expires_at, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(id)
        .bind(user)
        .bind(family)
        .bind(hash)
        .bind(expires_at)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn refresh_for_update(conn: &mut PgConnection, hash: &[u8]) -> Result<Option<RefreshRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, family, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn revoke_refresh(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    replaced_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $2, replaced_by = $3 WHERE id = $1")
        .bind(id)
        .bind(now)
        .bind(replaced_by)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn revoke_family(conn: &mut PgConnection, family: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL")
        .bind(family)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn count_failures(
    conn: &mut PgConnection,
    keys: &[String],
    since: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT key, count(*) FROM login_failures WHERE key = ANY($1) AND at > $2 GROUP BY key")
        .bind(keys)
        .bind(since)
        .fetch_all(conn)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn record_failure(
    conn: &mut PgConnection,
    keys: &[String],
    at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // Failures older than the window no longer count: drop this key's, so the table stays small.
    sqlx::query("DELETE FROM login_failures WHERE key = ANY($1) AND at < $2")
        .bind(keys)
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO login_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) k")
        .bind(keys)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn clear_failures(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(conn).await?;
    Ok(())
}

// ---- API keys ----

#[tracing::instrument(skip_all)]
pub async fn insert_api_key(
    tx: &mut TenantTx<'_>,
    k: &ApiKeyRow,
    hash: &[u8],
    created_by: Uuid,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)")
        .bind(k.id)
        .bind(tenant)
        .bind(&k.name)
        .bind(&k.prefix)
        .bind(hash)
        .bind(&k.scopes)
        .bind(created_by)
        .bind(k.created_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn list_api_keys(tx: &mut TenantTx<'_>) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT id, tenant_id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY id")
        .bind(tenant)
        .fetch_all(tx.conn())
        .await
}

/// Revokes a live key; false when the key is not this tenant's or is already revoked.
#[tracing::instrument(skip_all)]
pub async fn revoke_api_key(tx: &mut TenantTx<'_>, id: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(tenant)
        .bind(id)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A live key by the hash of its secret, marking it used.
#[tracing::instrument(skip_all)]
pub async fn use_api_key(
    conn: &mut PgConnection,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE api_keys SET last_used_at = $2 WHERE secret_hash = $1 AND revoked_at IS NULL
         RETURNING id, tenant_id, name, prefix, scopes, created_at, last_used_at, revoked_at",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}
