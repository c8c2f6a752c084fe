//! The catalog (O1), wholesale prices (O9) and the checkout settings.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub base_price: Decimal,
    pub currency: String,
    pub kind: String,
    pub commission_rate: Option<Decimal>,
    pub wholesale_price: Option<Decimal>,
    pub category: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const PRODUCT: &str =
    "SELECT id, sku, name, description, base_price, currency, kind, commission_rate, wholesale_price,
    category, active, created_at, updated_at FROM products";

/// Inserts a product; `false` when the SKU is taken in this program.
#[tracing::instrument(skip_all)]
pub async fn insert_product(tx: &mut TenantTx<'_>, p: &ProductRow) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO products (id, tenant_id, sku, name, description, base_price, currency, kind, commission_rate,
             wholesale_price, category, active, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT DO NOTHING",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(&p.sku)
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.base_price)
    .bind(&p.currency)
    .bind(&p.kind)
    .bind(p.commission_rate)
    .bind(p.wholesale_price)
    .bind(&p.category)
    .bind(p.active)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn product(tx: &mut TenantTx<'_>, id: Uuid, for_update: bool) -> Result<Option<ProductRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!("{PRODUCT} WHERE tenant_id = $1 AND id = $2{lock}"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// Updates a product; `false` when its new SKU is taken.
#[tracing::instrument(skip_all)]
pub async fn update_product(tx: &mut TenantTx<'_>, p: &ProductRow) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM products WHERE tenant_id = $1 AND id <> $2 AND lower(sku) = lower($3))",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(&p.sku)
    .fetch_one(tx.conn())
    .await?;
    if taken {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE products SET sku = $3, name = $4, description = $5, base_price = $6, kind = $7, commission_rate = $8,
             wholesale_price = $9, category = $10, active = $11, updated_at = $12
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(&p.sku)
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.base_price)
    .bind(&p.kind)
    .bind(p.commission_rate)
    .bind(p.wholesale_price)
    .bind(&p.category)
    .bind(p.active)
    .bind(p.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(true)
}

#[derive(Debug, Default)]
pub struct ProductFilter {
    pub q: Option<String>,
    pub category: Option<String>,
    pub include_inactive: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Products by name.
#[tracing::instrument(skip_all)]
pub async fn products(tx: &mut TenantTx<'_>, f: &ProductFilter) -> Result<Vec<ProductRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let q = f.q.as_deref().map(platform::db::contains_pattern);
    sqlx::query_as(&format!(
        "{PRODUCT} WHERE tenant_id = $1 AND ($2::text IS NULL OR search LIKE $2)
           AND ($3::text IS NULL OR lower(category) = lower($3)) AND ($4 OR active)
         ORDER BY lower(name), id OFFSET $5 LIMIT $6"
    ))
    .bind(tenant)
    .bind(q)
    .bind(&f.category)
    .bind(f.include_inactive)
    .bind(f.offset)
    .bind(f.limit)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn products_by_ids(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> Result<Vec<ProductRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{PRODUCT} WHERE tenant_id = $1 AND id = ANY($2)"))
        .bind(tenant)
        .bind(ids)
        .fetch_all(tx.conn())
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct CheckoutRow {
    pub shipping_flat: Decimal,
    pub tax_rate: Decimal,
    pub payment_link_days: i32,
}

impl Default for CheckoutRow {
    fn default() -> Self {
        CheckoutRow { shipping_flat: Decimal::ZERO, tax_rate: Decimal::ZERO, payment_link_days: 14 }
    }
}

#[tracing::instrument(skip_all)]
pub async fn checkout(tx: &mut TenantTx<'_>) -> Result<CheckoutRow, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<CheckoutRow> =
        sqlx::query_as("SELECT shipping_flat, tax_rate, payment_link_days FROM checkout_settings WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.unwrap_or_default())
}

#[tracing::instrument(skip_all)]
pub async fn put_checkout(tx: &mut TenantTx<'_>, c: &CheckoutRow, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO checkout_settings (tenant_id, shipping_flat, tax_rate, payment_link_days, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET shipping_flat = $2, tax_rate = $3, payment_link_days = $4, updated_at = $5",
    )
    .bind(tenant)
    .bind(c.shipping_flat)
    .bind(c.tax_rate)
    .bind(c.payment_link_days)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}
