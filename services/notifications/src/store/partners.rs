//! The copies of identity's partners and programs: names, addresses, languages, trust levels.

use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

/// A partner as identity last told.
#[derive(Debug, Clone, FromRow)]
pub struct Partner {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub language: String,
    pub trust_level: String,
    pub status: String,
}

#[tracing::instrument(skip_all)]
pub async fn put_partner(tx: &mut TenantTx<'_>, p: &Partner) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (tenant_id, partner_id, user_id, name, email, language, trust_level, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, partner_id) DO UPDATE SET
             user_id = EXCLUDED.user_id, name = EXCLUDED.name, email = EXCLUDED.email, language = EXCLUDED.language,
             trust_level = EXCLUDED.trust_level, status = EXCLUDED.status",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(p.user_id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.language)
    .bind(&p.trust_level)
    .bind(&p.status)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn partner_name(tx: &mut TenantTx<'_>, partner: Uuid) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT name FROM partners WHERE tenant_id = $1 AND partner_id = $2")
        .bind(tenant)
        .bind(partner)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn partner(tx: &mut TenantTx<'_>, partner: Uuid) -> Result<Option<Partner>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT partner_id AS id, user_id, name, email, language, trust_level, status FROM partners
         WHERE tenant_id = $1 AND partner_id = $2",
    )
    .bind(tenant)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn put_program(tx: &mut TenantTx<'_>, name: &str) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO programs (tenant_id, name) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name",
    )
    .bind(tenant)
    .bind(name)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn program_name(tx: &mut TenantTx<'_>) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT name FROM programs WHERE tenant_id = $1").bind(tenant).fetch_optional(tx.conn()).await
}

/// N2: the active partners an announcement reaches (`audience`: `all` or a trust level).
#[tracing::instrument(skip_all)]
pub async fn audience(tx: &mut TenantTx<'_>, audience: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT partner_id FROM partners
         WHERE tenant_id = $1 AND status = 'active' AND ($2 = 'all' OR trust_level = $2) ORDER BY partner_id",
    )
    .bind(tenant)
    .bind(audience)
    .fetch_all(tx.conn())
    .await
}

/// P5: a partner's status, from identity's suspension events.
#[tracing::instrument(skip_all)]
pub async fn set_partner_status(tx: &mut TenantTx<'_>, partner: Uuid, status: &str) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE partners SET status = $3 WHERE tenant_id = $1 AND partner_id = $2")
        .bind(tenant)
        .bind(partner)
        .bind(status)
        .execute(tx.conn())
        .await?;
    Ok(())
}
