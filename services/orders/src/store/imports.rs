//! Imports (O8): the batch reads and writes, a statement per table however many orders.

use std::collections::HashMap;

use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{ItemRow, ORDER_COLUMNS, OrderRow, PRODUCT, ProductRow, RefundRow, StatusChangeRow};

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

/// An order written, with the rate snapshot it took in the statement (X6): id, reporting
/// currency, rate.
pub type Written = (Uuid, Option<String>, Option<Decimal>);

/// Inserts many orders in one statement; an external id another transaction imported first is
/// skipped. Returns the orders inserted.
#[tracing::instrument(skip_all)]
pub async fn insert_orders_bulk(tx: &mut TenantTx<'_>, orders: &[OrderRow]) -> Result<Vec<Written>, sqlx::Error> {
    let tenant = tx.tenant();
    macro_rules! col {
        ($f:ident) => {
            orders.iter().map(|o| o.$f.clone()).collect::<Vec<_>>()
        };
    }
    sqlx::query_as(
        "INSERT INTO orders (id, tenant_id, number, seq, customer_id, customer_name, customer_email, customer_language,
             customer_owner_id, kind, channel, payment_method, promotion_type, status, currency, subtotal, discount,
             shipping, tax_rate, tax, total, amount_paid, amount_refunded, placed_by_partner_id, partner_id, external_id,
             version, placed_at, updated_at, reporting_currency, exchange_rate)
         SELECT u.id, $1, u.number, u.seq, u.customer_id, u.customer_name, u.customer_email, u.customer_language,
             u.customer_owner_id, u.kind, u.channel, u.payment_method, u.promotion_type, u.status, u.currency, u.subtotal,
             u.discount, u.shipping, u.tax_rate, u.tax, u.total, u.amount_paid, 0, u.placed_by, u.partner_id,
             u.external_id, u.version, u.placed_at, u.placed_at,
             (SELECT currency FROM program_currencies WHERE tenant_id = $1), exchange_rate_at($1, u.currency, u.placed_at)
         FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::uuid[],
             $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::numeric[], $17::numeric[],
             $18::numeric[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[], $23::uuid[], $24::uuid[],
             $25::text[], $26::int[], $27::timestamptz[])
             AS u(id, number, seq, customer_id, customer_name, customer_email, customer_language, customer_owner_id, kind,
                  channel, payment_method, promotion_type, status, currency, subtotal, discount, shipping, tax_rate, tax,
                  total, amount_paid, placed_by, partner_id, external_id, version, placed_at)
         ON CONFLICT (tenant_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
         RETURNING id, reporting_currency, exchange_rate",
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

/// O8: the order (id, number) each of these external ids names, for items of a batch that lost
/// the race to create them to another batch.
#[tracing::instrument(skip_all)]
pub async fn order_numbers_by_external_ids(
    tx: &mut TenantTx<'_>,
    ids: &[String],
) -> Result<HashMap<String, (Uuid, String)>, sqlx::Error> {
    let tenant = tx.tenant();
    let rows: Vec<(String, Uuid, String)> =
        sqlx::query_as("SELECT external_id, id, number FROM orders WHERE tenant_id = $1 AND external_id = ANY($2)")
            .bind(tenant)
            .bind(ids)
            .fetch_all(tx.conn())
            .await?;
    Ok(rows.into_iter().map(|(e, id, n)| (e, (id, n))).collect())
}
