//! X6: the program's reporting currency and the exchange rates the merchant keeps.

use chrono::{DateTime, NaiveDate, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct RateRow {
    pub from_currency: String,
    pub to_currency: String,
    pub rate: Decimal,
    pub valid_from: NaiveDate,
    pub updated_at: DateTime<Utc>,
}

/// identity's `settings.currency`, kept for the orders' snapshots. When it is new or another
/// one, the program's orders take the rate to it in force at their placement: orders placed
/// before it was known (a seed, a late event) had none, and a report adds up in one currency.
#[tracing::instrument(skip_all)]
pub async fn put_program_currency(conn: &mut PgConnection, tenant: Uuid, currency: &str) -> sqlx::Result<()> {
    let changed = sqlx::query(
        "INSERT INTO program_currencies (tenant_id, currency) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET currency = $2 WHERE program_currencies.currency <> $2",
    )
    .bind(tenant)
    .bind(currency)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed > 0 {
        sqlx::query(
            "UPDATE orders SET reporting_currency = $2, exchange_rate = exchange_rate_at($1, currency, placed_at)
             WHERE tenant_id = $1 AND reporting_currency IS DISTINCT FROM $2",
        )
        .bind(tenant)
        .bind(currency)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes rates (a rate given again for the same pair and day replaces it), in one statement.
#[tracing::instrument(skip_all)]
pub async fn put_rates(tx: &mut TenantTx<'_>, rates: &[RateRow]) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO exchange_rates (tenant_id, from_currency, to_currency, rate, valid_from, updated_at)
         SELECT $1, f, t, r, d, u FROM unnest($2::text[], $3::text[], $4::numeric[], $5::date[], $6::timestamptz[])
             AS x(f, t, r, d, u)
         ON CONFLICT (tenant_id, from_currency, to_currency, valid_from) DO UPDATE SET rate = EXCLUDED.rate,
             updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(rates.iter().map(|r| r.from_currency.clone()).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.to_currency.clone()).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.rate).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.valid_from).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.updated_at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The rates, by pair, newest first.
#[tracing::instrument(skip_all)]
pub async fn rates(tx: &mut TenantTx<'_>, from: Option<&str>, to: Option<&str>) -> sqlx::Result<Vec<RateRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT from_currency, to_currency, rate, valid_from, updated_at FROM exchange_rates
         WHERE tenant_id = $1 AND ($2::text IS NULL OR from_currency = $2) AND ($3::text IS NULL OR to_currency = $3)
         ORDER BY from_currency, to_currency, valid_from DESC LIMIT 5000",
    )
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}
