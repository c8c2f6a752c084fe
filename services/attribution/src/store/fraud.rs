//! X4: what the fraud signals read from the clicks.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use uuid::Uuid;

/// For each (customer, partner) pair: how many of the customer's clicks (as the customer, or as a
/// visitor who became it) came from an IP hash the partner clicked from itself.
#[tracing::instrument(skip_all)]
pub async fn own_ip_clicks(tx: &mut TenantTx<'_>, pairs: &[(Uuid, Uuid)]) -> sqlx::Result<Vec<(Uuid, Uuid, i64)>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT q.customer, q.partner, count(*)
         FROM unnest($2::uuid[], $3::uuid[]) AS q(customer, partner)
         JOIN clicks c ON c.tenant_id = $1 AND c.ip_hash <> ''
             AND (c.subject = 'customer:' || q.customer::text
                  OR c.visitor_id IN (SELECT v.visitor_id FROM visitor_customers v
                                      WHERE v.tenant_id = $1 AND v.customer_id = q.customer))
             AND (c.clicker_partner_id IS NULL OR c.clicker_partner_id <> q.partner)
         WHERE EXISTS (SELECT 1 FROM clicks o WHERE o.tenant_id = $1 AND o.clicker_partner_id = q.partner
                       AND o.ip_hash = c.ip_hash)
         GROUP BY q.customer, q.partner",
    )
    .bind(tenant)
    .bind(pairs.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(pairs.iter().map(|p| p.1).collect::<Vec<_>>())
    .fetch_all(tx.conn())
    .await
}

/// The latest burst on `partner`'s links within (`from`, `to`]: more than `clicks` clicks from one
/// IP hash within `minutes`; returns the most clicks a window held and its last click.
#[tracing::instrument(skip_all)]
pub async fn click_burst(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    clicks: u32,
    minutes: u32,
) -> sqlx::Result<Option<(i64, DateTime<Utc>)>> {
    let tenant = tx.tenant();
    let row: (Option<i64>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT max(n), max(at) FROM (
             SELECT at, count(*) OVER (PARTITION BY ip_hash ORDER BY at
                 RANGE BETWEEN make_interval(mins => $5) PRECEDING AND CURRENT ROW) AS n
             FROM clicks
             WHERE tenant_id = $1 AND partner_id = $2 AND at > $3 - make_interval(mins => $5) AND at <= $4
               AND ip_hash <> '') w
         WHERE n > $6 AND at > $3",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .bind(minutes as i32)
    .bind(i64::from(clicks))
    .fetch_one(tx.conn())
    .await?;
    Ok(row.0.zip(row.1))
}

/// Up to when `partner`'s bursts have flagged a commission.
#[tracing::instrument(skip_all)]
pub async fn spam_flagged_through(tx: &mut TenantTx<'_>, partner: Uuid) -> sqlx::Result<Option<DateTime<Utc>>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT spam_flagged_through FROM partners WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(partner)
        .fetch_optional(tx.conn())
        .await
        .map(Option::flatten)
}

#[tracing::instrument(skip_all)]
pub async fn set_spam_flagged_through(tx: &mut TenantTx<'_>, partner: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE partners SET spam_flagged_through = greatest(coalesce(spam_flagged_through, $3), $3)
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(partner)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}
