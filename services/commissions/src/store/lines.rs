//! The per-order projection: facts folded from the orders and attribution streams, and the
//! commission lines computed from them (C2-C8).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

use crate::domain::Facts;

/// The orders' facts, locked for this transaction in id order (so two writers never deadlock);
/// a row is made for an order's first fact.
#[tracing::instrument(skip_all)]
pub async fn facts_for_update(
    tx: &mut TenantTx<'_>,
    orders: &[Uuid],
    at: DateTime<Utc>,
) -> sqlx::Result<HashMap<Uuid, Facts>> {
    let tenant = tx.tenant();
    let mut sorted = orders.to_vec();
    sorted.sort();
    sorted.dedup();
    sqlx::query(
        "INSERT INTO order_facts (tenant_id, order_id, facts, updated_at)
         SELECT $1, o, convert_to('{}', 'UTF8'), $3 FROM unnest($2::uuid[]) AS o ORDER BY o
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&sorted)
    .bind(at)
    .execute(tx.conn())
    .await?;
    let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
        "SELECT order_id, facts FROM order_facts WHERE tenant_id = $1 AND order_id = ANY($2)
         ORDER BY order_id FOR UPDATE",
    )
    .bind(tenant)
    .bind(&sorted)
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|(id, doc)| Ok((id, serde_json::from_slice(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)))
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn put_facts(tx: &mut TenantTx<'_>, facts: &[(Uuid, &Facts)], at: DateTime<Utc>) -> sqlx::Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let ids: Vec<Uuid> = facts.iter().map(|(id, _)| *id).collect();
    let docs = facts
        .iter()
        .map(|(_, f)| serde_json::to_vec(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "UPDATE order_facts SET facts = u.facts, updated_at = $4
         FROM unnest($2::uuid[], $3::bytea[]) AS u(id, facts) WHERE tenant_id = $1 AND order_id = u.id",
    )
    .bind(tenant)
    .bind(ids)
    .bind(docs)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One partner's commission on one order, with what the ledger holds for it.
#[derive(Debug, Clone, FromRow)]
pub struct LineRow {
    pub order_id: Uuid,
    pub partner_id: Uuid,
    pub level: i16,
    pub currency: String,
    pub amount: Decimal,
    pub base: Decimal,
    pub pending: Decimal,
    pub held: Decimal,
    pub matured: Decimal,
    pub state: String,
    pub hold_until: Option<DateTime<Utc>>,
    pub rule_id: Option<Uuid>,
    pub source: String,
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const LINE: &str =
    "SELECT order_id, partner_id, level, currency, amount, base, pending, held, matured, state,
    hold_until, rule_id, source, reason, placed_at, updated_at FROM commission_lines";

/// The lines of these orders.
#[tracing::instrument(skip_all)]
pub async fn order_lines(tx: &mut TenantTx<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<LineRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{LINE} WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY order_id, level, partner_id"))
        .bind(tenant)
        .bind(orders)
        .fetch_all(tx.conn())
        .await
}

/// Writes lines (new or changed) in one statement.
#[tracing::instrument(skip_all)]
pub async fn put_lines(tx: &mut TenantTx<'_>, lines: &[LineRow]) -> sqlx::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let col = |f: fn(&LineRow) -> Decimal| lines.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO commission_lines (tenant_id, order_id, partner_id, level, currency, amount, base, pending, held,
             matured, state, hold_until, rule_id, source, reason, placed_at, updated_at)
         SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::smallint[], $5::text[], $6::numeric[], $7::numeric[],
             $8::numeric[], $9::numeric[], $10::numeric[], $11::text[], $12::timestamptz[], $13::uuid[], $14::text[],
             $15::text[], $16::timestamptz[], $17::timestamptz[]) AS u
         ON CONFLICT (tenant_id, order_id, partner_id, level) DO UPDATE SET amount = EXCLUDED.amount,
             base = EXCLUDED.base, pending = EXCLUDED.pending, held = EXCLUDED.held, matured = EXCLUDED.matured,
             state = EXCLUDED.state, hold_until = EXCLUDED.hold_until, rule_id = EXCLUDED.rule_id,
             source = EXCLUDED.source, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(lines.iter().map(|l| l.order_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.partner_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.level).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.currency.clone()).collect::<Vec<_>>())
    .bind(col(|l| l.amount))
    .bind(col(|l| l.base))
    .bind(col(|l| l.pending))
    .bind(col(|l| l.held))
    .bind(col(|l| l.matured))
    .bind(lines.iter().map(|l| l.state.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.hold_until).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.rule_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.source.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.reason.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.placed_at).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.updated_at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A page of lines, newest orders first.
#[tracing::instrument(skip_all)]
pub async fn lines(
    tx: &mut TenantTx<'_>,
    order: Option<Uuid>,
    partner: Option<Uuid>,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<LineRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{LINE} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR order_id = $2) AND ($3::uuid IS NULL OR partner_id = $3)
         ORDER BY placed_at DESC, order_id, level, partner_id OFFSET $4 LIMIT $5"
    ))
    .bind(tenant)
    .bind(order)
    .bind(partner)
    .bind(offset)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// X3: a partner's own sales (the base of its own lines) in `[from, to)`.
#[tracing::instrument(skip_all)]
pub async fn own_sales(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Decimal> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT COALESCE(sum(base), 0) FROM commission_lines
         WHERE tenant_id = $1 AND partner_id = $2 AND level = 0 AND state <> 'void' AND placed_at >= $3 AND placed_at < $4",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .fetch_one(tx.conn())
    .await
}

/// Orders with a line whose hold is over: (tenant, order), oldest first.
#[tracing::instrument(skip_all)]
pub async fn due_orders(
    conn: &mut sqlx::PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT DISTINCT tenant_id, order_id FROM (
             SELECT tenant_id, order_id FROM commission_lines WHERE state = 'held' AND hold_until <= $1
             ORDER BY hold_until LIMIT $2) due",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}
