//! X4: what the fraud signals read from the clicks.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use uuid::Uuid;

/// For each (customer, partner) pair: how many of the customer's clicks on the partner's links
/// (as the customer, or as a visitor who became it) came from an IP hash the partner clicked from
/// itself. A partner who never clicked as itself costs one index probe.
#[tracing::instrument(skip_all)]
pub async fn own_ip_clicks(tx: &mut TenantTx<'_>, pairs: &[(Uuid, Uuid)]) -> sqlx::Result<Vec<(Uuid, Uuid, i64)>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT q.customer, q.partner, count(*)
         FROM unnest($2::uuid[], $3::uuid[]) AS q(customer, partner)
         JOIN LATERAL (SELECT DISTINCT o.ip_hash FROM clicks o
                       WHERE o.tenant_id = $1 AND o.clicker_partner_id = q.partner AND o.ip_hash <> '') own ON true
         JOIN clicks c ON c.tenant_id = $1 AND c.partner_id = q.partner AND c.ip_hash = own.ip_hash
             AND (c.clicker_partner_id IS NULL OR c.clicker_partner_id <> q.partner)
             AND (c.subject = 'customer:' || q.customer::text
                  OR c.visitor_id IN (SELECT v.visitor_id FROM visitor_customers v
                                      WHERE v.tenant_id = $1 AND v.customer_id = q.customer))
         GROUP BY q.customer, q.partner",
    )
    .bind(tenant)
    .bind(pairs.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(pairs.iter().map(|p| p.1).collect::<Vec<_>>())
    .fetch_all(tx.conn())
    .await
}

/// For each partner (with the earliest and latest placement of its orders in a batch): its latest
/// click burst after `since` and after the last burst that flagged a commission, up to `upto`:
/// more than `clicks` clicks from one IP hash within `minutes`. Returns the most clicks a window
/// held and the burst's last click, for the partners that had one, in one query.
#[tracing::instrument(skip_all)]
pub async fn click_bursts(
    tx: &mut TenantTx<'_>,
    partners: &[(Uuid, DateTime<Utc>, DateTime<Utc>)],
    clicks: u32,
    minutes: u32,
) -> sqlx::Result<Vec<(Uuid, i64, DateTime<Utc>)>> {
    if partners.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT q.partner, max(w.n), max(w.at)
         FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS q(partner, since, upto)
         LEFT JOIN partners p ON p.tenant_id = $1 AND p.id = q.partner
         CROSS JOIN LATERAL (
             SELECT x.at, x.n FROM (
                 SELECT c.at, count(*) OVER (PARTITION BY c.ip_hash ORDER BY c.at
                     RANGE BETWEEN make_interval(mins => $5) PRECEDING AND CURRENT ROW) AS n
                 FROM clicks c
                 WHERE c.tenant_id = $1 AND c.partner_id = q.partner AND c.ip_hash <> '' AND c.at <= q.upto
                   AND c.at > greatest(q.since, p.spam_flagged_through) - make_interval(mins => $5)) x
             WHERE x.n > $6 AND x.at > greatest(q.since, p.spam_flagged_through)) w
         GROUP BY q.partner",
    )
    .bind(tenant)
    .bind(partners.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(partners.iter().map(|p| p.1).collect::<Vec<_>>())
    .bind(partners.iter().map(|p| p.2).collect::<Vec<_>>())
    .bind(minutes as i32)
    .bind(i64::from(clicks))
    .fetch_all(tx.conn())
    .await
}

/// Up to when `partner`'s bursts have flagged a commission: one burst flags one commission.
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

/// X4: a customer's sign-up (a redelivery keeps the first).
#[tracing::instrument(skip_all)]
pub async fn put_registration(
    tx: &mut TenantTx<'_>,
    customer: Uuid,
    partner: Option<Uuid>,
    ip_hash: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO registrations (tenant_id, customer_id, partner_id, ip_hash, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, customer_id) DO NOTHING",
    )
    .bind(tenant)
    .bind(customer)
    .bind(partner)
    .bind(ip_hash)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A customer in a burst of sign-ups: (customer, partner, customers in the burst, its sign-up).
pub type CustomerBurst = (Uuid, Uuid, i64, DateTime<Utc>);

/// X4: for each (customer, partner, order placed at) whose customer signed up for that partner
/// within `new_days` before the order: how many customers signed up for the partner from the
/// same IP hash within `minutes` either side of its sign-up (itself included), when at least
/// `customers`; with the sign-up's time.
#[tracing::instrument(skip_all)]
pub async fn customer_bursts(
    tx: &mut TenantTx<'_>,
    checks: &[(Uuid, Uuid, DateTime<Utc>)],
    customers: u32,
    minutes: u32,
    new_days: i32,
) -> sqlx::Result<Vec<CustomerBurst>> {
    if checks.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT q.customer, q.partner, n.count, r.at
         FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[]) AS q(customer, partner, placed_at)
         JOIN registrations r ON r.tenant_id = $1 AND r.customer_id = q.customer AND r.partner_id = q.partner
             AND r.ip_hash <> '' AND r.at > q.placed_at - make_interval(days => $7)
         CROSS JOIN LATERAL (
             SELECT count(*) FROM registrations o
             WHERE o.tenant_id = $1 AND o.partner_id = q.partner AND o.ip_hash = r.ip_hash
               AND o.at BETWEEN r.at - make_interval(mins => $5) AND r.at + make_interval(mins => $5)) n
         WHERE n.count >= $6",
    )
    .bind(tenant)
    .bind(checks.iter().map(|c| c.0).collect::<Vec<_>>())
    .bind(checks.iter().map(|c| c.1).collect::<Vec<_>>())
    .bind(checks.iter().map(|c| c.2).collect::<Vec<_>>())
    .bind(minutes as i32)
    .bind(i64::from(customers))
    .bind(new_days)
    .fetch_all(tx.conn())
    .await
}
