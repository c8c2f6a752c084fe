//! Coupons (L9, X2).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct CouponRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub code: String,
    pub discount_percent: Decimal,
    pub commission_rate: Option<Decimal>,
    pub product_ids: Vec<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub max_uses: i32,
    pub uses: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

pub(crate) const COUPON: &str =
    "SELECT id, partner_id, code, discount_percent, commission_rate, product_ids, expires_at, max_uses,
    uses, active, created_at FROM coupons";

/// Inserts a coupon; `false` when the code is taken in this program.
#[tracing::instrument(skip_all)]
pub async fn insert_coupon(tx: &mut TenantTx<'_>, c: &CouponRow) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO coupons (id, tenant_id, partner_id, code, discount_percent, commission_rate, product_ids,
             expires_at, max_uses, uses, active, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,0,true,$10) ON CONFLICT DO NOTHING",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(c.partner_id)
    .bind(&c.code)
    .bind(c.discount_percent)
    .bind(c.commission_rate)
    .bind(&c.product_ids)
    .bind(c.expires_at)
    .bind(c.max_uses)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A coupon by code, locked: checkout counts its use in the same transaction.
#[tracing::instrument(skip_all)]
pub async fn coupon_by_code_for_update(tx: &mut TenantTx<'_>, code: &str) -> Result<Option<CouponRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{COUPON} WHERE tenant_id = $1 AND code = $2 FOR UPDATE"))
        .bind(tenant)
        .bind(code)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn coupon_for_update(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    partner: Option<Uuid>,
) -> Result<Option<CouponRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{COUPON} WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR partner_id = $3) FOR UPDATE"
    ))
    .bind(tenant)
    .bind(id)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn coupons(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> Result<Vec<CouponRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{COUPON} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) ORDER BY created_at DESC, id DESC"
    ))
    .bind(tenant)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn count_coupon_use(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE coupons SET uses = uses + 1 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn disable_coupon(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE coupons SET active = false WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
