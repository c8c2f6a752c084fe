//! Reports by period and partner (D2).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

/// (period start, partner, currency, earned, still pending or held)
pub type EarnedRow = (DateTime<Utc>, Uuid, String, Decimal, Decimal);
/// (period start, partner, currency, paid)
pub type PaidRow = (DateTime<Utc>, Uuid, String, Decimal);

/// D2: per period and partner, what was earned (lines of orders placed then) and what of it is
/// still pending or held.
#[tracing::instrument(skip_all)]
pub async fn earned_by_period(
    tx: &mut TenantTx<'_>,
    period: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    partner: Option<Uuid>,
) -> sqlx::Result<Vec<EarnedRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT date_trunc($2, placed_at, 'UTC'), partner_id, currency, sum(amount), sum(pending + held)
         FROM commission_lines
         WHERE tenant_id = $1 AND placed_at >= $3 AND placed_at < $4 AND ($5::uuid IS NULL OR partner_id = $5)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(tenant)
    .bind(period)
    .bind(from)
    .bind(to)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

/// D2: payouts paid per period and partner.
#[tracing::instrument(skip_all)]
pub async fn paid_by_period(
    tx: &mut TenantTx<'_>,
    period: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    partner: Option<Uuid>,
) -> sqlx::Result<Vec<PaidRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT date_trunc($2, at, 'UTC'), partner_id, currency, sum(amount)
         FROM ledger_entries
         WHERE tenant_id = $1 AND kind = 'payout_paid' AND at >= $3 AND at < $4 AND ($5::uuid IS NULL OR partner_id = $5)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(tenant)
    .bind(period)
    .bind(from)
    .bind(to)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}
