//! Partners and their teams (P4, P5), invites and applications (P2, P3).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::PayoutMethod;

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

/// Which of `ids` are partners of the transaction's tenant.
pub async fn known_partners(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT id FROM partners WHERE tenant_id = $1 AND id = ANY($2)")
        .bind(tenant)
        .bind(ids)
        .fetch_all(tx.conn())
        .await
}

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

/// Whether an application with this email waits for review.
#[tracing::instrument(skip_all)]
pub async fn pending_application_exists(tx: &mut TenantTx<'_>, email: &str) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM applications WHERE tenant_id = $1 AND email = $2 AND status = 'pending')",
    )
    .bind(tenant)
    .bind(email)
    .fetch_one(tx.conn())
    .await
}

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
