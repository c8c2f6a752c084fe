//! Identity's SQL: one function per query. Tenant-owned data is reached only through a
//! `TenantTx`, so every such query filters by the caller's tenant.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::{PayoutMethod, ProgramSettings};

#[derive(Debug, Clone, FromRow)]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub recruitment_plan: String,
    pub settings: Json<ProgramSettings>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

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

#[derive(Debug, Clone, FromRow)]
pub struct PartnerRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub payout_method: Json<PayoutMethod>,
    pub commission_plan: String,
    pub trust_level: String,
    pub status: String,
    pub parent_partner_id: Option<Uuid>,
    pub language: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub message: String,
    pub language: String,
    pub password_hash: String,
    pub invite_id: Option<Uuid>,
    pub parent_partner_id: Option<Uuid>,
    pub status: String,
    pub reason: String,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub partner_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct InviteRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

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
pub async fn insert_tenant(conn: &mut PgConnection, t: &TenantRow) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO tenants (id, slug, name, recruitment_plan, settings, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
        .bind(t.id)
        .bind(&t.slug)
        .bind(&t.name)
        .bind(&t.recruitment_plan)
        .bind(&t.settings)
        .bind(t.created_at)
        .bind(t.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn tenant_by_slug(conn: &mut PgConnection, slug: &str) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM tenants WHERE slug = $1").bind(slug).fetch_optional(conn).await
}

/// A tenant by id, outside any tenant transaction (public pages of other services).
#[tracing::instrument(skip_all)]
pub async fn tenant_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM tenants WHERE id = $1").bind(id).fetch_optional(conn).await
}

#[tracing::instrument(skip_all)]
pub async fn tenant(tx: &mut TenantTx<'_>) -> Result<Option<TenantRow>, sqlx::Error> {
    let id = tx.tenant();
    sqlx::query_as("SELECT * FROM tenants WHERE id = $1").bind(id).fetch_optional(tx.conn()).await
}

/// Locks the tenant row for a read-modify-write of its settings.
#[tracing::instrument(skip_all)]
pub async fn tenant_for_update(tx: &mut TenantTx<'_>) -> Result<Option<TenantRow>, sqlx::Error> {
    let id = tx.tenant();
    sqlx::query_as("SELECT * FROM tenants WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(tx.conn()).await
}

#[tracing::instrument(skip_all)]
pub async fn update_program(
    tx: &mut TenantTx<'_>,
    name: &str,
    plan: &str,
    settings: &ProgramSettings,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let id = tx.tenant();
    sqlx::query("UPDATE tenants SET name = $2, recruitment_plan = $3, settings = $4, updated_at = $5 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(plan)
        .bind(Json(settings))
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}

// ---- users ----

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

/// Ends every session of a user.
#[tracing::instrument(skip_all)]
pub async fn revoke_user_sessions(conn: &mut PgConnection, user: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- partners ----

#[tracing::instrument(skip_all)]
pub async fn insert_partner(tx: &mut TenantTx<'_>, p: &PartnerRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (id, tenant_id, user_id, name, email, phone, payout_method, commission_plan, trust_level, status, parent_partner_id, language, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.user_id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.payout_method)
    .bind(&p.commission_plan)
    .bind(&p.trust_level)
    .bind(&p.status)
    .bind(p.parent_partner_id)
    .bind(&p.language)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn partner(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<PartnerRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT * FROM partners WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn partner_for_update(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<PartnerRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT * FROM partners WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn partner_by_user(conn: &mut PgConnection, user: Uuid) -> Result<Option<PartnerRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM partners WHERE user_id = $1").bind(user).fetch_optional(conn).await
}

pub struct PartnerFilter {
    pub q: Option<String>,
    pub status: Option<String>,
    pub parent: Option<Uuid>,
    /// Only this partner's team (its descendants), for a partner looking at its own results.
    pub team_of: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

#[tracing::instrument(skip_all)]
pub async fn list_partners(tx: &mut TenantTx<'_>, f: &PartnerFilter) -> Result<Vec<PartnerRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let q = f.q.as_deref().map(platform::db::contains_pattern);
    sqlx::query_as(
        "WITH RECURSIVE team AS (
             SELECT id FROM partners WHERE tenant_id = $1 AND parent_partner_id = $5
             UNION SELECT p.id FROM partners p JOIN team ON p.parent_partner_id = team.id WHERE p.tenant_id = $1
         )
         SELECT * FROM partners
         WHERE tenant_id = $1
           AND ($2::text IS NULL OR name ILIKE $2 OR email ILIKE $2 OR phone ILIKE $2)
           AND ($3::text IS NULL OR status = $3)
           AND ($4::uuid IS NULL OR parent_partner_id = $4)
           AND ($5::uuid IS NULL OR id IN (SELECT id FROM team))
           AND ($6::uuid IS NULL OR id > $6)
         ORDER BY id LIMIT $7",
    )
    .bind(tenant)
    .bind(q)
    .bind(&f.status)
    .bind(f.parent)
    .bind(f.team_of)
    .bind(f.after)
    .bind(f.limit)
    .fetch_all(tx.conn())
    .await
}

/// The chain of parents above `id`, nearest first.
#[tracing::instrument(skip_all)]
pub async fn ancestors(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "WITH RECURSIVE up(id, parent, depth) AS (
             SELECT id, parent_partner_id, 0 FROM partners WHERE tenant_id = $1 AND id = $2
             UNION ALL SELECT p.id, p.parent_partner_id, up.depth + 1 FROM partners p JOIN up ON p.id = up.parent
             WHERE p.tenant_id = $1 AND up.depth < 100
         )
         SELECT id FROM up WHERE depth > 0 ORDER BY depth",
    )
    .bind(tenant)
    .bind(id)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update_partner(tx: &mut TenantTx<'_>, p: &PartnerRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE partners SET name = $3, email = $4, phone = $5, payout_method = $6, commission_plan = $7, trust_level = $8,
                status = $9, parent_partner_id = $10, language = $11, updated_at = $12
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.payout_method)
    .bind(&p.commission_plan)
    .bind(&p.trust_level)
    .bind(&p.status)
    .bind(p.parent_partner_id)
    .bind(&p.language)
    .bind(p.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

// ---- invites ----

#[tracing::instrument(skip_all)]
pub async fn insert_invite(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    partner: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("INSERT INTO invites (id, tenant_id, partner_id, token_hash, expires_at, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(id)
        .bind(tenant)
        .bind(partner)
        .bind(hash)
        .bind(expires_at)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn invite_by_hash(tx: &mut TenantTx<'_>, hash: &[u8]) -> Result<Option<InviteRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT id, tenant_id, partner_id, expires_at FROM invites WHERE tenant_id = $1 AND token_hash = $2")
        .bind(tenant)
        .bind(hash)
        .fetch_optional(tx.conn())
        .await
}

// ---- applications ----

#[tracing::instrument(skip_all)]
pub async fn insert_application(tx: &mut TenantTx<'_>, a: &ApplicationRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO applications (id, tenant_id, name, email, phone, message, language, password_hash, invite_id, parent_partner_id, status, reason, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(a.id)
    .bind(tenant)
    .bind(&a.name)
    .bind(&a.email)
    .bind(&a.phone)
    .bind(&a.message)
    .bind(&a.language)
    .bind(&a.password_hash)
    .bind(a.invite_id)
    .bind(a.parent_partner_id)
    .bind(&a.status)
    .bind(&a.reason)
    .bind(a.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn application_for_update(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT * FROM applications WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn list_applications(
    tx: &mut TenantTx<'_>,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT * FROM applications WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id > $3)
         ORDER BY id LIMIT $4",
    )
    .bind(tenant)
    .bind(status)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn review_application(tx: &mut TenantTx<'_>, a: &ApplicationRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE applications SET status = $3, reason = $4, reviewed_by = $5, reviewed_at = $6, partner_id = $7 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(a.id)
        .bind(&a.status)
        .bind(&a.reason)
        .bind(a.reviewed_by)
        .bind(a.reviewed_at)
        .bind(a.partner_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

// ---- sessions ----

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
