//! Poster designs and posters (L1).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

/// L1: the merchant's poster design.
#[derive(Debug, Clone, FromRow)]
pub struct DesignRow {
    pub background: String,
    pub text_color: String,
    pub headline: String,
}

#[tracing::instrument(skip_all)]
pub async fn poster_design(tx: &mut TenantTx<'_>) -> sqlx::Result<Option<DesignRow>> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT background, text_color, headline FROM poster_designs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn put_poster_design(tx: &mut TenantTx<'_>, d: &DesignRow, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO poster_designs (tenant_id, background, text_color, headline, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET background = $2, text_color = $3, headline = $4, updated_at = $5",
    )
    .bind(tenant)
    .bind(&d.background)
    .bind(&d.text_color)
    .bind(&d.headline)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A poster with what it prints (copied when issued) and its link.
#[derive(Debug, Clone, FromRow)]
pub struct PosterRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub link_id: Uuid,
    pub partner_name: String,
    pub background: String,
    pub text_color: String,
    pub headline: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub code: String,
    pub target_url: String,
}

pub(crate) const POSTER: &str =
    "SELECT p.id, p.partner_id, p.link_id, p.partner_name, p.background, p.text_color, p.headline,
        p.created_at, p.expires_at, l.code, l.target_url
    FROM posters p JOIN links l ON l.id = p.link_id";

#[tracing::instrument(skip_all)]
pub async fn insert_poster(tx: &mut TenantTx<'_>, p: &PosterRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO posters (id, tenant_id, partner_id, link_id, partner_name, background, text_color, headline,
             created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.partner_id)
    .bind(p.link_id)
    .bind(&p.partner_name)
    .bind(&p.background)
    .bind(&p.text_color)
    .bind(&p.headline)
    .bind(p.created_at)
    .bind(p.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn poster(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<PosterRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{POSTER} WHERE p.tenant_id = $1 AND p.id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn posters(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<PosterRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{POSTER} WHERE p.tenant_id = $1 AND ($2::uuid IS NULL OR p.partner_id = $2)
         ORDER BY p.created_at DESC, p.id DESC LIMIT 200"
    ))
    .bind(tenant)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}
