//! Payouts (C10) and settlements (C9).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

use crate::domain::PayoutStatus;

#[derive(Debug, Clone, FromRow)]
pub struct PayoutRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub currency: String,
    pub amount: Decimal,
    #[sqlx(try_from = "String")]
    pub status: PayoutStatus,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub automatic: bool,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    /// X6: what the partner is paid in its own currency, when that is another one.
    #[sqlx(flatten)]
    pub converted: Converted,
}

/// X6: a payout's other currency, its amount there and the rate (all or none).
#[derive(Debug, Clone, Default, FromRow)]
pub struct Converted {
    pub payout_currency: Option<String>,
    pub payout_amount: Option<Decimal>,
    pub exchange_rate: Option<Decimal>,
}

pub(crate) const PAYOUT: &str = "SELECT id, partner_id, currency, amount, status, method, reference, reason, automatic,
    requested_at, decided_at, paid_at, payout_currency, payout_amount, exchange_rate FROM payouts";

/// Inserts a payout; `false` when the partner has one open already.
#[tracing::instrument(skip_all)]
pub async fn insert_payout(tx: &mut TenantTx<'_>, p: &PayoutRow) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO payouts (id, tenant_id, partner_id, currency, amount, status, method, reference, reason,
             automatic, requested_at, decided_at, paid_at, payout_currency, payout_amount, exchange_rate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.partner_id)
    .bind(&p.currency)
    .bind(p.amount)
    .bind(p.status.as_str())
    .bind(&p.method)
    .bind(&p.reference)
    .bind(&p.reason)
    .bind(p.automatic)
    .bind(p.requested_at)
    .bind(p.decided_at)
    .bind(p.paid_at)
    .bind(&p.converted.payout_currency)
    .bind(p.converted.payout_amount)
    .bind(p.converted.exchange_rate)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn payout_for_update(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<PayoutRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{PAYOUT} WHERE tenant_id = $1 AND id = $2 FOR UPDATE"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn update_payout(tx: &mut TenantTx<'_>, p: &PayoutRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE payouts SET status = $3, method = $4, reference = $5, reason = $6, decided_at = $7, paid_at = $8
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(p.status.as_str())
    .bind(&p.method)
    .bind(&p.reference)
    .bind(&p.reason)
    .bind(p.decided_at)
    .bind(p.paid_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn payouts(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    status: Option<PayoutStatus>,
) -> sqlx::Result<Vec<PayoutRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{PAYOUT} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::text IS NULL OR status = $3)
         ORDER BY requested_at DESC, id DESC LIMIT 500"
    ))
    .bind(tenant)
    .bind(partner)
    .bind(status.map(PayoutStatus::as_str))
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct SettlementRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub currency: String,
    pub amount: Decimal,
    pub status: String,
    pub reason: String,
    pub payout_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Which settlements to list (C9, D3); dates in the program's zone `zone`.
pub struct SettlementFilter<'a> {
    pub status: Option<&'a str>,
    pub partner: Option<Uuid>,
    pub zone: &'a str,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub limit: i64,
}

/// A settlement as listed, with its payout's method and reference.
#[derive(Debug, Clone, FromRow)]
pub struct SettlementListed {
    #[sqlx(flatten)]
    pub row: SettlementRow,
    pub method: Option<String>,
    pub reference: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_settlement(tx: &mut TenantTx<'_>, s: &SettlementRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO settlements (id, tenant_id, partner_id, currency, amount, status, reason, payout_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.id)
    .bind(tenant)
    .bind(s.partner_id)
    .bind(&s.currency)
    .bind(s.amount)
    .bind(&s.status)
    .bind(&s.reason)
    .bind(s.payout_id)
    .bind(s.at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn settlements(tx: &mut TenantTx<'_>, f: &SettlementFilter<'_>) -> sqlx::Result<Vec<SettlementListed>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT s.id, s.partner_id, s.currency, s.amount, s.status, s.reason, s.payout_id, s.at, p.method, p.reference
         FROM settlements s LEFT JOIN payouts p ON p.id = s.payout_id
         WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.status = $2) AND ($3::uuid IS NULL OR s.partner_id = $3)
           AND ($5::date IS NULL OR s.at >= ($5::date::timestamp AT TIME ZONE $4))
           AND ($6::date IS NULL OR s.at < (($6::date + 1)::timestamp AT TIME ZONE $4))
         ORDER BY s.at DESC, s.id DESC LIMIT $7",
    )
    .bind(tenant)
    .bind(f.status)
    .bind(f.partner)
    .bind(f.zone)
    .bind(f.from)
    .bind(f.to)
    .bind(f.limit)
    .fetch_all(tx.conn())
    .await
}

/// C9: when the program settles next (`None`: not automatic).
#[tracing::instrument(skip_all)]
pub async fn schedule_settlement(
    tx: &mut TenantTx<'_>,
    next: Option<DateTime<Utc>>,
    only_if_sooner: bool,
) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    match next {
        None => {
            sqlx::query("DELETE FROM settlement_schedule WHERE tenant_id = $1").bind(tenant).execute(tx.conn()).await?;
        }
        Some(at) => {
            let sql = if only_if_sooner {
                "INSERT INTO settlement_schedule (tenant_id, next_at) VALUES ($1, $2)
                 ON CONFLICT (tenant_id) DO UPDATE SET next_at = LEAST(settlement_schedule.next_at, $2)"
            } else {
                "INSERT INTO settlement_schedule (tenant_id, next_at) VALUES ($1, $2)
                 ON CONFLICT (tenant_id) DO UPDATE SET next_at = $2"
            };
            sqlx::query(sql).bind(tenant).bind(at).execute(tx.conn()).await?;
        }
    }
    Ok(())
}

/// Whether any program's automatic settlement is due (a look without a transaction or a lock,
/// so the job's ticks cost one statement when there is nothing to do).
#[tracing::instrument(skip_all)]
pub async fn settlement_due(conn: &mut sqlx::PgConnection, now: DateTime<Utc>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM settlement_schedule WHERE next_at <= $1)")
        .bind(now)
        .fetch_one(conn)
        .await
}

/// Programs whose automatic settlement is due, locked so one replica runs each.
#[tracing::instrument(skip_all)]
pub async fn due_settlements(conn: &mut sqlx::PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT tenant_id FROM settlement_schedule WHERE next_at <= $1 ORDER BY next_at LIMIT 20 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}
