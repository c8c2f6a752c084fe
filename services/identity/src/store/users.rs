//! Users: merchant staff and partners' sign-ins (A1).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub language: String,
    pub phone: String,
    pub created_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_user(conn: &mut PgConnection, u: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, tenant_id, email, name, password_hash, role, language, phone, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind(u.id)
    .bind(u.tenant_id)
    .bind(&u.email)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(&u.language)
    .bind(&u.phone)
    .bind(u.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every account with this email, across programs (sign-in picks one).
#[tracing::instrument(skip_all)]
pub async fn users_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Vec<(UserRow, Option<String>)>, sqlx::Error> {
    #[derive(FromRow)]
    struct UserWithSlug {
        #[sqlx(flatten)]
        user: UserRow,
        slug: Option<String>,
    }
    let rows: Vec<UserWithSlug> =
        sqlx::query_as("SELECT u.*, t.slug FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id WHERE u.email = $1")
            .bind(email)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.user, r.slug)).collect())
}

#[tracing::instrument(skip_all)]
pub async fn user_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(conn).await
}

#[tracing::instrument(skip_all)]
pub async fn email_taken(tx: &mut TenantTx<'_>, email: &str) -> Result<bool, sqlx::Error> {
    let id = tx.tenant();
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND email = $2)")
        .bind(id)
        .bind(email)
        .fetch_one(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn update_user_profile(
    tx: &mut TenantTx<'_>,
    user: Uuid,
    name: &str,
    email: &str,
    language: &str,
) -> Result<(), sqlx::Error> {
    let id = tx.tenant();
    sqlx::query("UPDATE users SET name = $3, email = $4, language = $5 WHERE tenant_id = $1 AND id = $2")
        .bind(id)
        .bind(user)
        .bind(name)
        .bind(email)
        .bind(language)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The tenant's staff (merchant admins and sales reps), optionally of one role.
#[tracing::instrument(skip_all)]
pub async fn list_staff(tx: &mut TenantTx<'_>, role: Option<&str>) -> Result<Vec<UserRow>, sqlx::Error> {
    let id = tx.tenant();
    sqlx::query_as(
        "SELECT * FROM users WHERE tenant_id = $1 AND role IN ('merchant_admin', 'sales_rep')
         AND ($2::text IS NULL OR role = $2) ORDER BY name, id",
    )
    .bind(id)
    .bind(role)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn set_password(conn: &mut PgConnection, user: Uuid, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1").bind(user).bind(hash).execute(conn).await?;
    Ok(())
}

/// Ends every session of `user` but `keep`; returns the sessions (refresh families) that were live.
#[tracing::instrument(skip_all)]
pub async fn revoke_user_sessions(
    conn: &mut PgConnection,
    user: Uuid,
    now: DateTime<Utc>,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut families: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE refresh_tokens SET revoked_at = $2 \
         WHERE user_id = $1 AND revoked_at IS NULL AND family IS DISTINCT FROM $3 RETURNING family",
    )
    .bind(user)
    .bind(now)
    .bind(keep)
    .fetch_all(conn)
    .await?;
    families.sort();
    families.dedup();
    Ok(families)
}

// ---- partners ----
