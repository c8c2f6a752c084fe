//! Orders, their items, status history (O4), notes (O5), refunds (O6), and attribution's decisions
//! about them.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

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
    /// X6: the reporting currency and the rate to it in force at placement, written by the
    /// insert (`exchange_rate_at`); None on a row not read back yet.
    #[sqlx(default)]
    pub reporting_currency: Option<String>,
    #[sqlx(default)]
    pub exchange_rate: Option<Decimal>,
}

pub(crate) const ORDER_COLUMNS: &str = "o.id, o.tenant_id, o.number, o.seq, o.customer_id, o.customer_name, o.customer_email,
    o.customer_language, o.customer_owner_id, o.kind, o.channel, o.payment_method, o.promotion_type, o.status, o.currency,
    o.subtotal, o.discount, o.shipping, o.tax_rate, o.tax, o.total, o.amount_paid, o.amount_refunded,
    o.placed_by_partner_id, o.coupon_id, o.coupon_code, o.coupon_partner_id, o.coupon_commission_rate, o.partner_id,
    o.external_id, o.version, o.placed_at, o.updated_at, o.attribution_reason, o.reporting_currency, o.exchange_rate";

#[tracing::instrument(skip_all)]
/// Inserts an order; its rate snapshot (X6), taken in the statement, is set on `o`.
pub async fn insert_order(tx: &mut TenantTx<'_>, o: &mut OrderRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let snapshot: (Option<String>, Option<Decimal>) = sqlx::query_as(
        "INSERT INTO orders (id, tenant_id, number, seq, customer_id, customer_name, customer_email, customer_language,
             customer_owner_id, kind, channel, payment_method, promotion_type, status, currency, subtotal, discount,
             shipping, tax_rate, tax, total, amount_paid, amount_refunded, placed_by_partner_id, coupon_id, coupon_code,
             coupon_partner_id, coupon_commission_rate, partner_id, external_id, version, placed_at, updated_at,
             reporting_currency, exchange_rate)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,
             $28,$29,$30,$31,$32,$33, (SELECT currency FROM program_currencies WHERE tenant_id = $2),
             exchange_rate_at($2, $15, $32))
         RETURNING reporting_currency, exchange_rate",
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
    .fetch_one(tx.conn())
    .await?;
    (o.reporting_currency, o.exchange_rate) = snapshot;
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
