//! X4: the fraud flags queue and its decisions.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::Signal;

#[derive(Debug, Clone, FromRow)]
pub struct FlagRow {
    pub order_id: Uuid,
    pub partner_id: Option<Uuid>,
    pub status: String,
    pub signals: Json<Vec<Signal>>,
    pub note: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The order's lines, in their currency (one per order).
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
}

const FLAG: &str = "SELECT f.order_id, f.partner_id, f.status, f.signals, f.note, f.decided_by, f.decided_at, f.created_at,
        (SELECT sum(l.amount) FROM commission_lines l WHERE l.tenant_id = f.tenant_id AND l.order_id = f.order_id) AS amount,
        (SELECT min(l.currency) FROM commission_lines l WHERE l.tenant_id = f.tenant_id AND l.order_id = f.order_id) AS currency
    FROM fraud_flags f";

/// Records a new flag; false when the order was flagged before (a redelivery, a second signal).
#[tracing::instrument(skip_all)]
pub async fn open_flag(
    tx: &mut TenantTx<'_>,
    order: Uuid,
    partner: Option<Uuid>,
    signals: &[Signal],
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "INSERT INTO fraud_flags (tenant_id, order_id, partner_id, status, signals, created_at)
         VALUES ($1, $2, $3, 'open', $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(order)
    .bind(partner)
    .bind(Json(signals))
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn flag_for_update(tx: &mut TenantTx<'_>, order: Uuid) -> sqlx::Result<Option<FlagRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{FLAG} WHERE f.tenant_id = $1 AND f.order_id = $2 FOR UPDATE OF f"))
        .bind(tenant)
        .bind(order)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn decide_flag(
    tx: &mut TenantTx<'_>,
    order: Uuid,
    status: &str,
    note: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE fraud_flags SET status = $3, note = $4, decided_by = $5, decided_at = $6
         WHERE tenant_id = $1 AND order_id = $2",
    )
    .bind(tenant)
    .bind(order)
    .bind(status)
    .bind(note)
    .bind(actor)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct FlagFilter {
    /// None: every status.
    pub status: Option<String>,
    pub partner: Option<Uuid>,
    pub offset: i64,
    pub limit: i64,
}

#[tracing::instrument(skip_all)]
pub async fn flags(tx: &mut TenantTx<'_>, f: &FlagFilter) -> sqlx::Result<Vec<FlagRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{FLAG} WHERE f.tenant_id = $1 AND ($2::text IS NULL OR f.status = $2) AND ($3::uuid IS NULL OR f.partner_id = $3)
         ORDER BY f.created_at DESC, f.order_id DESC OFFSET $4 LIMIT $5"
    ))
    .bind(tenant)
    .bind(&f.status)
    .bind(f.partner)
    .bind(f.offset)
    .bind(f.limit)
    .fetch_all(tx.conn())
    .await
}

/// X4: what of `partner`'s available money in `currency` an open flag holds back from payouts:
/// the matured part of its flagged orders' lines (a flag raised after the money matured).
#[tracing::instrument(skip_all)]
pub async fn available_under_review(tx: &mut TenantTx<'_>, partner: Uuid, currency: &str) -> sqlx::Result<Decimal> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT coalesce(sum(l.matured), 0) FROM fraud_flags f
         JOIN commission_lines l ON l.tenant_id = f.tenant_id AND l.order_id = f.order_id
         WHERE f.tenant_id = $1 AND f.status = 'open' AND l.partner_id = $2 AND l.currency = $3 AND l.matured > 0",
    )
    .bind(tenant)
    .bind(partner)
    .bind(currency)
    .fetch_one(tx.conn())
    .await
}
