//! Tenants and their program settings.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::ProgramSettings;

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

/// D2: whether PostgreSQL knows the zone (the reports' date arithmetic happens there).
#[tracing::instrument(skip_all)]
pub async fn time_zone_known(tx: &mut TenantTx<'_>, zone: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)")
        .bind(zone)
        .fetch_one(tx.conn())
        .await
}
