//! What commissions keeps of other services' data: program settings by version, partners' trust
//! levels and payout currencies, customers' groups, orders' exchange rates.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::TrustLevel;

#[tracing::instrument(skip_all)]
pub async fn put_program(tx: &mut TenantTx<'_>, settings: &serde_json::Value, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO programs (tenant_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET settings = $2, updated_at = $3 WHERE programs.updated_at <= $3",
    )
    .bind(tenant)
    .bind(settings)
    .bind(at)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO program_versions (tenant_id, valid_from, settings) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, valid_from) DO UPDATE SET settings = $3",
    )
    .bind(tenant)
    .bind(at)
    .bind(settings)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The program's settings in force at `at` (the oldest known when `at` precedes them all).
#[tracing::instrument(skip_all)]
pub async fn program_at(tx: &mut TenantTx<'_>, at: DateTime<Utc>) -> sqlx::Result<Option<serde_json::Value>> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT settings FROM program_versions WHERE tenant_id = $1
         ORDER BY valid_from <= $2 DESC, CASE WHEN valid_from <= $2 THEN valid_from END DESC, valid_from LIMIT 1",
    )
    .bind(tenant)
    .bind(at)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn program(tx: &mut TenantTx<'_>) -> sqlx::Result<Option<serde_json::Value>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT settings FROM programs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn put_partner(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    trust: &str,
    payout_currency: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (id, tenant_id, trust_level, payout_currency, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET trust_level = $3, payout_currency = $4, updated_at = $5
         WHERE partners.updated_at <= $5",
    )
    .bind(id)
    .bind(tenant)
    .bind(trust)
    .bind(payout_currency)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// X6: the currency `partner` is paid in (none: its balance's own).
#[tracing::instrument(skip_all)]
pub async fn payout_currency(tx: &mut TenantTx<'_>, partner: Uuid) -> sqlx::Result<Option<String>> {
    let tenant = tx.tenant();
    let c: Option<String> = sqlx::query_scalar("SELECT payout_currency FROM partners WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(partner)
        .fetch_optional(tx.conn())
        .await?;
    Ok(c.filter(|c| !c.is_empty()))
}

/// X6: orders' exchange rates, as its events bring them (a pair and day given again replaces).
#[tracing::instrument(skip_all)]
pub async fn put_rates(tx: &mut TenantTx<'_>, rates: &[(String, String, Decimal, NaiveDate)]) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO exchange_rates (tenant_id, from_currency, to_currency, rate, valid_from)
         SELECT $1, f, t, r, d FROM unnest($2::text[], $3::text[], $4::numeric[], $5::date[]) AS x(f, t, r, d)
         ON CONFLICT (tenant_id, from_currency, to_currency, valid_from) DO UPDATE SET rate = EXCLUDED.rate",
    )
    .bind(tenant)
    .bind(rates.iter().map(|r| r.0.clone()).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.1.clone()).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind(rates.iter().map(|r| r.3).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// X6: the rate from `from` to `to` in force on `day`: the latest given for that day or before,
/// or the inverse (to 10 decimals) of the latest given the other way, as orders reads them.
#[tracing::instrument(skip_all)]
pub async fn rate_on(tx: &mut TenantTx<'_>, from: &str, to: &str, day: NaiveDate) -> sqlx::Result<Option<Decimal>> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT coalesce(
             (SELECT rate FROM exchange_rates WHERE tenant_id = $1 AND from_currency = $2 AND to_currency = $3
                  AND valid_from <= $4 ORDER BY valid_from DESC LIMIT 1),
             (SELECT round(1 / rate, 10) FROM exchange_rates WHERE tenant_id = $1 AND from_currency = $3
                  AND to_currency = $2 AND valid_from <= $4 ORDER BY valid_from DESC LIMIT 1))",
    )
    .bind(tenant)
    .bind(from)
    .bind(to)
    .bind(day)
    .fetch_one(tx.conn())
    .await
}

/// Trust levels of `ids` (unknown partners are `new`).
#[tracing::instrument(skip_all)]
pub async fn trust_levels(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, TrustLevel)>> {
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, trust_level FROM partners WHERE tenant_id = $1 AND id = ANY($2)")
            .bind(tenant)
            .bind(ids)
            .fetch_all(tx.conn())
            .await?;
    Ok(rows.into_iter().map(|(id, t)| (id, TrustLevel::parse(&t))).collect())
}

#[tracing::instrument(skip_all)]
pub async fn put_customer_group(tx: &mut TenantTx<'_>, customer: Uuid, group: Option<Uuid>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO customer_groups (tenant_id, customer_id, group_id) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, customer_id) DO UPDATE SET group_id = $3",
    )
    .bind(tenant)
    .bind(customer)
    .bind(group)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The groups of `customers` (each asked for is in the answer; `None`: no group).
#[tracing::instrument(skip_all)]
pub async fn customer_groups(tx: &mut TenantTx<'_>, customers: &[Uuid]) -> sqlx::Result<HashMap<Uuid, Option<Uuid>>> {
    let tenant = tx.tenant();
    let mut groups: HashMap<Uuid, Option<Uuid>> = customers.iter().map(|c| (*c, None)).collect();
    if customers.is_empty() {
        return Ok(groups);
    }
    let rows: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT customer_id, group_id FROM customer_groups WHERE tenant_id = $1 AND customer_id = ANY($2)",
    )
    .bind(tenant)
    .bind(customers)
    .fetch_all(tx.conn())
    .await?;
    groups.extend(rows);
    Ok(groups)
}
