//! Orders' SQL: one function per query, each through a `TenantTx` so it filters by tenant.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
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

const PRODUCT: &str = "SELECT id, sku, name, description, base_price, currency, kind, commission_rate, wholesale_price,
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

/// The program's next order number (a row lock, so numbers have no gaps and no repeats).
#[tracing::instrument(skip_all)]
pub async fn next_order_seq(tx: &mut TenantTx<'_>) -> Result<i64, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "INSERT INTO order_numbers (tenant_id, last) VALUES ($1, 1)
         ON CONFLICT (tenant_id) DO UPDATE SET last = order_numbers.last + 1 RETURNING last",
    )
    .bind(tenant)
    .fetch_one(tx.conn())
    .await
}

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

const COUPON: &str =
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

#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: String,
    pub seq: i64,
    pub customer_id: Option<Uuid>,
    pub customer_name: String,
    pub customer_email: String,
    pub customer_language: String,
    pub customer_owner_id: Option<Uuid>,
    pub kind: String,
    pub channel: String,
    pub payment_method: String,
    pub promotion_type: Option<String>,
    pub status: String,
    pub currency: String,
    pub subtotal: Decimal,
    pub discount: Decimal,
    pub shipping: Decimal,
    pub tax_rate: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub amount_paid: Decimal,
    pub amount_refunded: Decimal,
    pub placed_by_partner_id: Option<Uuid>,
    pub coupon_id: Option<Uuid>,
    pub coupon_code: Option<String>,
    pub coupon_partner_id: Option<Uuid>,
    pub coupon_commission_rate: Option<Decimal>,
    pub partner_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub version: i32,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set by attribution's decision (`order.attributed`).
    #[sqlx(default)]
    pub attribution_reason: Option<String>,
}

const ORDER_COLUMNS: &str = "o.id, o.tenant_id, o.number, o.seq, o.customer_id, o.customer_name, o.customer_email,
    o.customer_language, o.customer_owner_id, o.kind, o.channel, o.payment_method, o.promotion_type, o.status, o.currency,
    o.subtotal, o.discount, o.shipping, o.tax_rate, o.tax, o.total, o.amount_paid, o.amount_refunded,
    o.placed_by_partner_id, o.coupon_id, o.coupon_code, o.coupon_partner_id, o.coupon_commission_rate, o.partner_id,
    o.external_id, o.version, o.placed_at, o.updated_at, o.attribution_reason";

#[tracing::instrument(skip_all)]
pub async fn insert_order(tx: &mut TenantTx<'_>, o: &OrderRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO orders (id, tenant_id, number, seq, customer_id, customer_name, customer_email, customer_language,
             customer_owner_id, kind, channel, payment_method, promotion_type, status, currency, subtotal, discount,
             shipping, tax_rate, tax, total, amount_paid, amount_refunded, placed_by_partner_id, coupon_id, coupon_code,
             coupon_partner_id, coupon_commission_rate, partner_id, external_id, version, placed_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,
             $28,$29,$30,$31,$32,$33)",
    )
    .bind(o.id)
    .bind(tenant)
    .bind(&o.number)
    .bind(o.seq)
    .bind(o.customer_id)
    .bind(&o.customer_name)
    .bind(&o.customer_email)
    .bind(&o.customer_language)
    .bind(o.customer_owner_id)
    .bind(&o.kind)
    .bind(&o.channel)
    .bind(&o.payment_method)
    .bind(&o.promotion_type)
    .bind(&o.status)
    .bind(&o.currency)
    .bind(o.subtotal)
    .bind(o.discount)
    .bind(o.shipping)
    .bind(o.tax_rate)
    .bind(o.tax)
    .bind(o.total)
    .bind(o.amount_paid)
    .bind(o.amount_refunded)
    .bind(o.placed_by_partner_id)
    .bind(o.coupon_id)
    .bind(&o.coupon_code)
    .bind(o.coupon_partner_id)
    .bind(o.coupon_commission_rate)
    .bind(o.partner_id)
    .bind(&o.external_id)
    .bind(o.version)
    .bind(o.placed_at)
    .bind(o.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    pub line: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub kind: String,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub line_total: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
    pub commission_rate: Option<Decimal>,
    pub coupon_applies: bool,
    pub returned_quantity: i32,
}

#[tracing::instrument(skip_all)]
pub async fn insert_items(tx: &mut TenantTx<'_>, order: Uuid, items: &[ItemRow]) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    for i in items {
        sqlx::query(
            "INSERT INTO order_items (order_id, line, tenant_id, product_id, sku, name, category, kind, quantity,
                 unit_price, line_total, discount, net, commission_rate, coupon_applies, returned_quantity)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,0)",
        )
        .bind(order)
        .bind(i.line)
        .bind(tenant)
        .bind(i.product_id)
        .bind(&i.sku)
        .bind(&i.name)
        .bind(&i.category)
        .bind(&i.kind)
        .bind(i.quantity)
        .bind(i.unit_price)
        .bind(i.line_total)
        .bind(i.discount)
        .bind(i.net)
        .bind(i.commission_rate)
        .bind(i.coupon_applies)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn items(tx: &mut TenantTx<'_>, order: Uuid) -> Result<Vec<ItemRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT line, product_id, sku, name, category, kind, quantity, unit_price, line_total, discount, net,
                commission_rate, coupon_applies, returned_quantity
         FROM order_items WHERE tenant_id = $1 AND order_id = $2 ORDER BY line",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn return_items(tx: &mut TenantTx<'_>, order: Uuid, line: i32, quantity: i32) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "UPDATE order_items SET returned_quantity = returned_quantity + $4
         WHERE tenant_id = $1 AND order_id = $2 AND line = $3 AND returned_quantity + $4 <= quantity",
    )
    .bind(tenant)
    .bind(order)
    .bind(line)
    .bind(quantity)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// An order the caller may see: a partner only those attributed to it or placed by it.
#[tracing::instrument(skip_all)]
pub async fn order(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    partner: Option<Uuid>,
    for_update: bool,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.id = $2
           AND ($3::uuid IS NULL OR o.partner_id = $3 OR o.placed_by_partner_id = $3){lock}"
    ))
    .bind(tenant)
    .bind(id)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await
}

/// Writes an order's changing parts (status, money, version).
#[tracing::instrument(skip_all)]
pub async fn update_order(tx: &mut TenantTx<'_>, o: &OrderRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE orders SET status = $3, amount_paid = $4, amount_refunded = $5, version = $6, updated_at = $7
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(o.id)
    .bind(&o.status)
    .bind(o.amount_paid)
    .bind(o.amount_refunded)
    .bind(o.version)
    .bind(o.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct StatusChangeRow {
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_user_id: Option<Uuid>,
    pub actor_kind: String,
    pub version: i32,
    pub at: DateTime<Utc>,
}

impl StatusChangeRow {
    /// O4: an order's first status, as it was placed (or imported), by whom.
    pub fn first(order: &OrderRow, actor: Option<Uuid>, actor_kind: &str) -> Self {
        StatusChangeRow {
            from_status: None,
            to_status: order.status.clone(),
            actor_user_id: actor,
            actor_kind: actor_kind.into(),
            version: order.version,
            at: order.placed_at,
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn insert_status_change(tx: &mut TenantTx<'_>, order: Uuid, c: &StatusChangeRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO order_status_changes (tenant_id, order_id, from_status, to_status, actor_user_id, actor_kind, version, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(order)
    .bind(&c.from_status)
    .bind(&c.to_status)
    .bind(c.actor_user_id)
    .bind(&c.actor_kind)
    .bind(c.version)
    .bind(c.at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn history(tx: &mut TenantTx<'_>, order: Uuid) -> Result<Vec<StatusChangeRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT from_status, to_status, actor_user_id, actor_kind, version, at
         FROM order_status_changes WHERE tenant_id = $1 AND order_id = $2 ORDER BY id",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct NoteRow {
    pub id: Uuid,
    pub visibility: String,
    pub body: String,
    pub author_user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_note(tx: &mut TenantTx<'_>, order: Uuid, n: &NoteRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO order_notes (id, tenant_id, order_id, visibility, body, author_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(n.id)
    .bind(tenant)
    .bind(order)
    .bind(&n.visibility)
    .bind(&n.body)
    .bind(n.author_user_id)
    .bind(n.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn notes(tx: &mut TenantTx<'_>, order: Uuid, customer_only: bool) -> Result<Vec<NoteRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, visibility, body, author_user_id, created_at FROM order_notes
         WHERE tenant_id = $1 AND order_id = $2 AND (NOT $3 OR visibility = 'customer') ORDER BY created_at, id",
    )
    .bind(tenant)
    .bind(order)
    .bind(customer_only)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReturnedLine {
    pub line: i32,
    pub quantity: i32,
    pub physical: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct RefundRow {
    pub id: Uuid,
    pub amount: Decimal,
    pub reason: String,
    pub items: Json<Vec<ReturnedLine>>,
    pub physical_returned: bool,
    pub actor_user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_refund(tx: &mut TenantTx<'_>, order: Uuid, r: &RefundRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO refunds (id, tenant_id, order_id, amount, reason, items, physical_returned, actor_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.id)
    .bind(tenant)
    .bind(order)
    .bind(r.amount)
    .bind(&r.reason)
    .bind(&r.items)
    .bind(r.physical_returned)
    .bind(r.actor_user_id)
    .bind(r.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn refunds(tx: &mut TenantTx<'_>, order: Uuid) -> Result<Vec<RefundRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, amount, reason, items, physical_returned, actor_user_id, created_at FROM refunds
         WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at, id",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Default)]
pub struct OrderFilter {
    pub q: Option<String>,
    pub status: Option<String>,
    pub customer: Option<Uuid>,
    /// Orders of this partner (attributed or placed by it).
    pub partner: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A whitelisted `ORDER BY` clause.
    pub order_by: &'static str,
    pub offset: i64,
    pub limit: i64,
}

#[tracing::instrument(skip_all)]
pub async fn orders(tx: &mut TenantTx<'_>, f: &OrderFilter) -> Result<Vec<OrderRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let q = f.q.as_deref().map(platform::db::contains_pattern);
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1
           AND ($2::text IS NULL OR o.search LIKE $2)
           AND ($3::text IS NULL OR o.status = $3)
           AND ($4::uuid IS NULL OR o.customer_id = $4)
           AND ($5::uuid IS NULL OR o.partner_id = $5 OR o.placed_by_partner_id = $5)
           AND ($6::timestamptz IS NULL OR o.placed_at >= $6)
           AND ($7::timestamptz IS NULL OR o.placed_at < $7)
         ORDER BY {}, o.id DESC OFFSET $8 LIMIT $9",
        f.order_by
    ))
    .bind(tenant)
    .bind(q)
    .bind(&f.status)
    .bind(f.customer)
    .bind(f.partner)
    .bind(f.from)
    .bind(f.to)
    .bind(f.offset)
    .bind(f.limit)
    .fetch_all(tx.conn())
    .await
}

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

/// O8: which of these external ids the program has already, with their orders, locked in id
/// order: the order every batch writer of `orders` (imports, the `order.attributed` consumer)
/// locks rows in, so two never deadlock.
#[tracing::instrument(skip_all)]
pub async fn orders_by_external_ids(tx: &mut TenantTx<'_>, ids: &[String]) -> Result<Vec<OrderRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.external_id = ANY($2) ORDER BY o.id FOR UPDATE"
    ))
    .bind(tenant)
    .bind(ids)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn products_by_skus(tx: &mut TenantTx<'_>, skus: &[String]) -> Result<Vec<ProductRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{PRODUCT} WHERE tenant_id = $1 AND lower(sku) = ANY($2)"))
        .bind(tenant)
        .bind(skus)
        .fetch_all(tx.conn())
        .await
}

/// Reserves `n` order numbers at once; returns the first. Imports call it in a transaction of
/// its own (numbers never repeat; a failed batch leaves a gap), single orders in theirs
/// (`next_order_seq`: no gaps).
#[tracing::instrument(skip_all)]
pub async fn reserve_order_seqs(tx: &mut TenantTx<'_>, n: i64) -> Result<i64, sqlx::Error> {
    let tenant = tx.tenant();
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO order_numbers (tenant_id, last) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET last = order_numbers.last + $2 RETURNING last",
    )
    .bind(tenant)
    .bind(n)
    .fetch_one(tx.conn())
    .await?;
    Ok(last - n + 1)
}

/// Inserts many orders in one statement; an external id another transaction imported first is
/// skipped. Returns the ids of the orders inserted.
#[tracing::instrument(skip_all)]
pub async fn insert_orders_bulk(tx: &mut TenantTx<'_>, orders: &[OrderRow]) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    macro_rules! col {
        ($f:ident) => {
            orders.iter().map(|o| o.$f.clone()).collect::<Vec<_>>()
        };
    }
    sqlx::query_scalar(
        "INSERT INTO orders (id, tenant_id, number, seq, customer_id, customer_name, customer_email, customer_language,
             customer_owner_id, kind, channel, payment_method, promotion_type, status, currency, subtotal, discount,
             shipping, tax_rate, tax, total, amount_paid, amount_refunded, placed_by_partner_id, partner_id, external_id,
             version, placed_at, updated_at)
         SELECT u.id, $1, u.number, u.seq, u.customer_id, u.customer_name, u.customer_email, u.customer_language,
             u.customer_owner_id, u.kind, u.channel, u.payment_method, u.promotion_type, u.status, u.currency, u.subtotal,
             u.discount, u.shipping, u.tax_rate, u.tax, u.total, u.amount_paid, 0, u.placed_by, u.partner_id,
             u.external_id, u.version, u.placed_at, u.placed_at
         FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::uuid[],
             $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::numeric[], $17::numeric[],
             $18::numeric[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[], $23::uuid[], $24::uuid[],
             $25::text[], $26::int[], $27::timestamptz[])
             AS u(id, number, seq, customer_id, customer_name, customer_email, customer_language, customer_owner_id, kind,
                  channel, payment_method, promotion_type, status, currency, subtotal, discount, shipping, tax_rate, tax,
                  total, amount_paid, placed_by, partner_id, external_id, version, placed_at)
         ON CONFLICT (tenant_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
         RETURNING id",
    )
    .bind(tenant)
    .bind(col!(id))
    .bind(col!(number))
    .bind(col!(seq))
    .bind(col!(customer_id))
    .bind(col!(customer_name))
    .bind(col!(customer_email))
    .bind(col!(customer_language))
    .bind(col!(customer_owner_id))
    .bind(col!(kind))
    .bind(col!(channel))
    .bind(col!(payment_method))
    .bind(col!(promotion_type))
    .bind(col!(status))
    .bind(col!(currency))
    .bind(col!(subtotal))
    .bind(col!(discount))
    .bind(col!(shipping))
    .bind(col!(tax_rate))
    .bind(col!(tax))
    .bind(col!(total))
    .bind(col!(amount_paid))
    .bind(col!(placed_by_partner_id))
    .bind(col!(partner_id))
    .bind(col!(external_id))
    .bind(col!(version))
    .bind(col!(placed_at))
    .fetch_all(tx.conn())
    .await
}

/// Inserts the lines of many orders in one statement.
#[tracing::instrument(skip_all)]
pub async fn insert_items_bulk(tx: &mut TenantTx<'_>, items: &[(Uuid, &ItemRow)]) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    macro_rules! col {
        ($f:ident) => {
            items.iter().map(|(_, i)| i.$f.clone()).collect::<Vec<_>>()
        };
    }
    sqlx::query(
        "INSERT INTO order_items (order_id, line, tenant_id, product_id, sku, name, category, kind, quantity, unit_price,
             line_total, discount, net, commission_rate, coupon_applies, returned_quantity)
         SELECT u.order_id, u.line, $1, u.product_id, u.sku, u.name, u.category, u.kind, u.quantity, u.unit_price,
             u.line_total, u.discount, u.net, u.commission_rate, false, 0
         FROM unnest($2::uuid[], $3::int[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[],
             $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[])
             AS u(order_id, line, product_id, sku, name, category, kind, quantity, unit_price, line_total, discount, net,
                  commission_rate)",
    )
    .bind(tenant)
    .bind(items.iter().map(|(o, _)| *o).collect::<Vec<_>>())
    .bind(col!(line))
    .bind(col!(product_id))
    .bind(col!(sku))
    .bind(col!(name))
    .bind(col!(category))
    .bind(col!(kind))
    .bind(col!(quantity))
    .bind(col!(unit_price))
    .bind(col!(line_total))
    .bind(col!(discount))
    .bind(col!(net))
    .bind(col!(commission_rate))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One decision of attribution's about an order (`order.attributed`).
#[derive(Debug, Clone)]
pub struct AttributionDecision {
    pub order: Uuid,
    pub partner: Option<Uuid>,
    pub version: i32,
    pub reason: String,
}

/// Applies attribution's decisions about a tenant's orders, each unless a later one was applied
/// already, in two statements however many there are: the orders are locked in id order first
/// (the order an import locks them in, so the two never deadlock), then updated together. A
/// batch of them used to cost a round trip per order while it held the earlier ones' locks.
#[tracing::instrument(skip_all, fields(decisions = decisions.len()))]
pub async fn set_attributions(
    conn: &mut PgConnection,
    tenant: Uuid,
    decisions: &[AttributionDecision],
) -> Result<(), sqlx::Error> {
    // The latest decision per order; an UPDATE ... FROM would apply an arbitrary one of several.
    let mut latest: std::collections::BTreeMap<Uuid, &AttributionDecision> = std::collections::BTreeMap::new();
    for d in decisions {
        let e = latest.entry(d.order).or_insert(d);
        if d.version > e.version {
            *e = d;
        }
    }
    let ids: Vec<Uuid> = latest.keys().copied().collect();
    let partners: Vec<Option<Uuid>> = latest.values().map(|d| d.partner).collect();
    let versions: Vec<i32> = latest.values().map(|d| d.version).collect();
    let reasons: Vec<&str> = latest.values().map(|d| d.reason.as_str()).collect();
    sqlx::query("SELECT 1 FROM orders WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE")
        .bind(tenant)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE orders o SET partner_id = u.partner, attribution_version = u.version, attribution_reason = u.reason
         FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::text[]) AS u(id, partner, version, reason)
         WHERE o.tenant_id = $1 AND o.id = u.id AND o.attribution_version < u.version",
    )
    .bind(tenant)
    .bind(&ids)
    .bind(&partners)
    .bind(&versions)
    .bind(&reasons)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What an order's refunds so far mean for an import: the external ids already recorded, and
/// whether any returned a physical item.
#[derive(Debug, Clone, Default)]
pub struct RefundsSoFar {
    pub external_ids: Vec<String>,
    pub physical_returned: bool,
}

/// [`RefundsSoFar`] of these orders (those with no refund are absent), in one query.
#[tracing::instrument(skip_all)]
pub async fn refunds_so_far(
    tx: &mut TenantTx<'_>,
    orders: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, RefundsSoFar>, sqlx::Error> {
    if orders.is_empty() {
        return Ok(Default::default());
    }
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, Option<String>, bool)> = sqlx::query_as(
        "SELECT order_id, external_id, physical_returned FROM refunds WHERE tenant_id = $1 AND order_id = ANY($2)",
    )
    .bind(tenant)
    .bind(orders)
    .fetch_all(tx.conn())
    .await?;
    let mut out: std::collections::HashMap<Uuid, RefundsSoFar> = Default::default();
    for (order, ext, physical) in rows {
        let r = out.entry(order).or_default();
        r.external_ids.extend(ext);
        r.physical_returned |= physical;
    }
    Ok(out)
}

/// Writes the status, amounts, version and time of many orders (already locked by the caller)
/// in one statement.
#[tracing::instrument(skip_all)]
pub async fn update_orders_bulk(tx: &mut TenantTx<'_>, orders: &[&OrderRow]) -> Result<(), sqlx::Error> {
    if orders.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE orders o SET status = u.status, amount_paid = u.paid, amount_refunded = u.refunded, version = u.version,
             updated_at = u.at
         FROM unnest($2::uuid[], $3::text[], $4::numeric[], $5::numeric[], $6::int[], $7::timestamptz[])
             AS u(id, status, paid, refunded, version, at)
         WHERE o.tenant_id = $1 AND o.id = u.id",
    )
    .bind(tenant)
    .bind(orders.iter().map(|o| o.id).collect::<Vec<_>>())
    .bind(orders.iter().map(|o| o.status.clone()).collect::<Vec<_>>())
    .bind(orders.iter().map(|o| o.amount_paid).collect::<Vec<_>>())
    .bind(orders.iter().map(|o| o.amount_refunded).collect::<Vec<_>>())
    .bind(orders.iter().map(|o| o.version).collect::<Vec<_>>())
    .bind(orders.iter().map(|o| o.updated_at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records many orders' status changes in one statement.
#[tracing::instrument(skip_all)]
pub async fn insert_status_changes_bulk(
    tx: &mut TenantTx<'_>,
    changes: &[(Uuid, &StatusChangeRow)],
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO order_status_changes (tenant_id, order_id, from_status, to_status, actor_user_id, actor_kind, version, at)
         SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::int[],
             $8::timestamptz[]) AS u",
    )
    .bind(tenant)
    .bind(changes.iter().map(|(o, _)| *o).collect::<Vec<_>>())
    .bind(changes.iter().map(|(_, c)| c.from_status.clone()).collect::<Vec<_>>())
    .bind(changes.iter().map(|(_, c)| c.to_status.clone()).collect::<Vec<_>>())
    .bind(changes.iter().map(|(_, c)| c.actor_user_id).collect::<Vec<_>>())
    .bind(changes.iter().map(|(_, c)| c.actor_kind.clone()).collect::<Vec<_>>())
    .bind(changes.iter().map(|(_, c)| c.version).collect::<Vec<_>>())
    .bind(changes.iter().map(|(_, c)| c.at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records many orders' refunds, each with its external id (O8), in one statement.
#[tracing::instrument(skip_all)]
pub async fn insert_refunds_bulk(
    tx: &mut TenantTx<'_>,
    refunds: &[(Uuid, &RefundRow, &str)],
) -> Result<(), sqlx::Error> {
    if refunds.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO refunds (id, tenant_id, order_id, amount, reason, items, physical_returned, actor_user_id, created_at,
             external_id)
         SELECT u.id, $1, u.order_id, u.amount, u.reason, u.items, u.physical, u.actor, u.at, u.ext
         FROM unnest($2::uuid[], $3::uuid[], $4::numeric[], $5::text[], $6::jsonb[], $7::bool[], $8::uuid[],
             $9::timestamptz[], $10::text[]) AS u(id, order_id, amount, reason, items, physical, actor, at, ext)",
    )
    .bind(tenant)
    .bind(refunds.iter().map(|(_, r, _)| r.id).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(o, _, _)| *o).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, r, _)| r.amount).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, r, _)| r.reason.clone()).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, r, _)| r.items.clone()).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, r, _)| r.physical_returned).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, r, _)| r.actor_user_id).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, r, _)| r.created_at).collect::<Vec<_>>())
    .bind(refunds.iter().map(|(_, _, e)| e.to_string()).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}
