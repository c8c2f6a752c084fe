//! I2: webhook endpoints, their messages, deliveries and attempts. The deliverer's claim of
//! what is due, across programs, and what it records of an attempt go through the pool.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    pub disabled_reason: String,
    pub failing_since: Option<DateTime<Utc>>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ENDPOINT: &str = "id, url, event_types, description, enabled, disabled_reason, failing_since,
    previous_secret_until, created_at, updated_at";

#[tracing::instrument(skip_all)]
pub async fn insert_endpoint(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    url: &str,
    types: &[String],
    description: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<EndpointRow, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, description, secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {ENDPOINT}"
    ))
    .bind(id)
    .bind(tenant)
    .bind(url)
    .bind(types)
    .bind(description)
    .bind(secret)
    .bind(now)
    .fetch_one(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn endpoint(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<EndpointRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// The program's endpoints, newest first, after the cursor's.
#[tracing::instrument(skip_all)]
pub async fn endpoints(
    tx: &mut TenantTx<'_>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT} FROM webhook_endpoints
         WHERE tenant_id = $1 AND deleted_at IS NULL AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
    ))
    .bind(tenant)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// What an update sets; `None` leaves a value as it is.
#[derive(Debug, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Enabling clears the failure run (the next failure starts a new one); disabling says the
/// merchant did it.
#[tracing::instrument(skip_all)]
pub async fn update_endpoint(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    c: &EndpointChange,
    now: DateTime<Utc>,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "UPDATE webhook_endpoints SET url = coalesce($3, url), event_types = coalesce($4, event_types),
             description = coalesce($5, description),
             enabled = coalesce($6, enabled),
             disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason WHEN $6 THEN '' ELSE 'disabled by the merchant' END,
             failing_since = CASE WHEN $6 THEN NULL ELSE failing_since END,
             updated_at = $7
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {ENDPOINT}"
    ))
    .bind(tenant)
    .bind(id)
    .bind(&c.url)
    .bind(&c.event_types)
    .bind(&c.description)
    .bind(c.enabled)
    .bind(now)
    .fetch_optional(tx.conn())
    .await
}

/// Deleted endpoints keep their log rows; nothing is delivered to them again.
#[tracing::instrument(skip_all)]
pub async fn delete_endpoint(tx: &mut TenantTx<'_>, id: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET deleted_at = $3, enabled = false, updated_at = $3
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(tenant)
    .bind(id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The new secret signs from now on; the old one beside it until `until`.
#[tracing::instrument(skip_all)]
pub async fn rotate_secret(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    secret: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $4, secret = $3, updated_at = $5
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {ENDPOINT}"
    ))
    .bind(tenant)
    .bind(id)
    .bind(secret)
    .bind(until)
    .bind(now)
    .fetch_optional(tx.conn())
    .await
}

/// The program's enabled endpoints registered by `at` and their filters: whom an event of
/// then may go to (an endpoint gets the events from its registration on).
#[tracing::instrument(skip_all)]
pub async fn subscribed(tx: &mut TenantTx<'_>, at: DateTime<Utc>) -> Result<Vec<(Uuid, Vec<String>)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, event_types FROM webhook_endpoints
         WHERE tenant_id = $1 AND enabled AND deleted_at IS NULL AND created_at <= $2",
    )
    .bind(tenant)
    .bind(at)
    .fetch_all(tx.conn())
    .await
}

/// A message and its deliveries, due now; nothing when the event made it already.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub async fn insert_webhook_message(
    tx: &mut TenantTx<'_>,
    id: &str,
    event_type: &str,
    aggregate_id: &str,
    payload: &str,
    endpoints: &[Uuid],
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let made = sqlx::query(
        "INSERT INTO webhook_messages (id, tenant_id, event_type, aggregate_id, payload, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(tenant)
    .bind(event_type)
    .bind(aggregate_id)
    .bind(payload)
    .bind(now)
    .execute(tx.conn())
    .await?;
    if made.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO webhook_deliveries (message_id, endpoint_id, tenant_id, aggregate_id, next_attempt_at, next_trigger, created_at)
         SELECT $1, e, $2, $3, $4, $5, $4 FROM unnest($6::uuid[]) AS e",
    )
    .bind(id)
    .bind(tenant)
    .bind(aggregate_id)
    .bind(now)
    .bind(trigger)
    .bind(endpoints)
    .execute(tx.conn())
    .await?;
    Ok(true)
}

/// A delivery the deliverer makes: where, signed with what, which body.
#[derive(Debug, Clone, FromRow)]
pub struct Due {
    pub message_id: String,
    pub endpoint_id: Uuid,
    pub tenant_id: Uuid,
    pub failures: i32,
    pub next_trigger: String,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub payload: String,
}

/// Takes up to `per_endpoint` due deliveries of each enabled endpoint not in `busy`, for
/// `lease_secs` (a deliverer that dies lets them go then). A delivery waits while an earlier
/// one of its endpoint and aggregate is pending, so one aggregate's messages arrive in order.
#[tracing::instrument(skip_all)]
pub async fn claim(
    pool: &PgPool,
    now: DateTime<Utc>,
    per_endpoint: i64,
    busy: &[Uuid],
    lease_secs: f64,
) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "WITH ready AS (
             SELECT e.id FROM webhook_endpoints e
             WHERE e.enabled AND e.deleted_at IS NULL AND e.id <> ALL($3)
               AND EXISTS (SELECT 1 FROM webhook_deliveries d
                           WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= $1)
         ), due AS (
             SELECT c.message_id, c.endpoint_id FROM ready r CROSS JOIN LATERAL (
                 SELECT d.message_id, d.endpoint_id FROM webhook_deliveries d
                 WHERE d.endpoint_id = r.id AND d.status = 'pending' AND d.next_attempt_at <= $1
                   AND (d.leased_until IS NULL OR d.leased_until < now())
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                   WHERE p.endpoint_id = d.endpoint_id AND p.aggregate_id = d.aggregate_id
                                     AND p.status = 'pending' AND p.seq < d.seq)
                 ORDER BY d.seq LIMIT $2 FOR UPDATE SKIP LOCKED
             ) c
         )
         UPDATE webhook_deliveries d SET leased_until = now() + make_interval(secs => $4)
         FROM due, webhook_messages m, webhook_endpoints e
         WHERE d.message_id = due.message_id AND d.endpoint_id = due.endpoint_id
           AND m.id = d.message_id AND e.id = d.endpoint_id
         RETURNING d.message_id, d.endpoint_id, d.tenant_id, d.failures, d.next_trigger, e.url, e.secret,
             e.previous_secret, e.previous_secret_until, m.payload",
    )
    .bind(now)
    .bind(per_endpoint)
    .bind(busy)
    .bind(lease_secs)
    .fetch_all(pool)
    .await
}

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempted_at: DateTime<Utc>,
    pub status_code: u16,
    pub duration_ms: u32,
    pub response: String,
    pub error: String,
    pub succeeded: bool,
    /// When to try again; `None` with a failure: failed for good.
    pub next: Option<DateTime<Utc>>,
}

/// Logs an attempt and moves its delivery on; keeps the endpoint's failure run. Answers
/// whether the run has lasted `disable_after`, in which case the endpoint is now disabled.
#[tracing::instrument(skip_all)]
pub async fn record(
    pool: &PgPool,
    d: &Due,
    o: &Outcome,
    disable_after: chrono::Duration,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, tenant_id, message_id, endpoint_id, attempted_at, status_code, duration_ms,
             response, error, succeeded, trigger)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(Uuid::now_v7())
    .bind(d.tenant_id)
    .bind(&d.message_id)
    .bind(d.endpoint_id)
    .bind(o.attempted_at)
    .bind(i32::from(o.status_code))
    .bind(i32::try_from(o.duration_ms).unwrap_or(i32::MAX))
    .bind(&o.response)
    .bind(&o.error)
    .bind(o.succeeded)
    .bind(&d.next_trigger)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET leased_until = NULL, next_trigger = 'scheduled',
             status = CASE WHEN $3 THEN 'succeeded' WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
             failures = CASE WHEN $3 THEN failures ELSE failures + 1 END,
             next_attempt_at = coalesce($4, next_attempt_at),
             delivered_at = CASE WHEN $3 THEN $5 ELSE delivered_at END
         WHERE message_id = $1 AND endpoint_id = $2",
    )
    .bind(&d.message_id)
    .bind(d.endpoint_id)
    .bind(o.succeeded)
    .bind(o.next)
    .bind(o.attempted_at)
    .execute(&mut *tx)
    .await?;
    // Disabled by this failure: it was enabled, and its failure run has lasted long enough.
    let disabled: Option<String> = sqlx::query_scalar(
        "WITH old AS (SELECT id, enabled, coalesce(failing_since, $3) AS since FROM webhook_endpoints WHERE id = $1 FOR UPDATE),
              now_off AS (SELECT id, enabled AND NOT $2 AND since <= $3 - $4::interval AS off FROM old)
         UPDATE webhook_endpoints e SET
             failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(e.failing_since, $3) END,
             enabled = e.enabled AND NOT n.off,
             disabled_reason = CASE WHEN n.off THEN 'every delivery failed for 5 days' ELSE e.disabled_reason END
         FROM now_off n WHERE e.id = n.id
         RETURNING CASE WHEN n.off THEN e.url END",
    )
    .bind(d.endpoint_id)
    .bind(o.succeeded)
    .bind(o.attempted_at)
    .bind(disable_after)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(disabled)
}

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub seq: i64,
    pub message_id: String,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

const DELIVERY: &str = "d.seq, d.message_id, d.endpoint_id, m.event_type, d.status,
    (SELECT count(*) FROM webhook_attempts a WHERE a.message_id = d.message_id AND a.endpoint_id = d.endpoint_id) AS attempts,
    d.next_attempt_at, m.payload, d.created_at, d.delivered_at";

/// An endpoint's deliveries, newest first, before the cursor's.
#[tracing::instrument(skip_all)]
pub async fn deliveries(
    tx: &mut TenantTx<'_>,
    endpoint: Uuid,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {DELIVERY} FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
         WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND ($3::text IS NULL OR d.status = $3)
           AND ($4::bigint IS NULL OR d.seq < $4)
         ORDER BY d.seq DESC LIMIT $5"
    ))
    .bind(tenant)
    .bind(endpoint)
    .bind(status)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn delivery(
    tx: &mut TenantTx<'_>,
    endpoint: Uuid,
    message: &str,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {DELIVERY} FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
         WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND d.message_id = $3"
    ))
    .bind(tenant)
    .bind(endpoint)
    .bind(message)
    .fetch_optional(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct AttemptRow {
    pub id: Uuid,
    pub message_id: String,
    pub endpoint_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    pub status_code: i32,
    pub duration_ms: i32,
    pub response: String,
    pub error: String,
    pub succeeded: bool,
    pub trigger: String,
}

/// An endpoint's attempts (of one message), newest first, before the cursor's.
#[tracing::instrument(skip_all)]
pub async fn attempts(
    tx: &mut TenantTx<'_>,
    endpoint: Uuid,
    message: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, message_id, endpoint_id, attempted_at, status_code, duration_ms, response, error, succeeded, trigger
         FROM webhook_attempts
         WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3::text IS NULL OR message_id = $3)
           AND ($4::uuid IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5",
    )
    .bind(tenant)
    .bind(endpoint)
    .bind(message)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// Makes deliveries of an endpoint due now, from the start of the schedule, by `trigger`:
/// one message (`resend`) or every failed one since a time (`recover`). Answers how many.
#[tracing::instrument(skip_all)]
pub async fn redeliver(
    tx: &mut TenantTx<'_>,
    endpoint: Uuid,
    message: Option<&str>,
    failed_since: Option<DateTime<Utc>>,
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', failures = 0, next_attempt_at = $5, next_trigger = $6,
             leased_until = NULL
         WHERE tenant_id = $1 AND endpoint_id = $2
           AND ($3::text IS NULL OR message_id = $3)
           AND ($4::timestamptz IS NULL OR (status = 'failed' AND created_at >= $4))",
    )
    .bind(tenant)
    .bind(endpoint)
    .bind(message)
    .bind(failed_since)
    .bind(now)
    .bind(trigger)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}
