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

#[derive(Debug, Clone, FromRow)]
pub struct Subscriber {
    pub id: Uuid,
    pub event_types: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The program's enabled endpoints, with their filters and when each was registered: an
/// endpoint gets the events from its registration on.
#[tracing::instrument(skip_all)]
pub async fn subscribed(tx: &mut TenantTx<'_>) -> Result<Vec<Subscriber>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, event_types, created_at FROM webhook_endpoints
         WHERE tenant_id = $1 AND enabled AND deleted_at IS NULL",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await
}

/// A message to make, and the endpoints it goes to.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: String,
    pub event_type: String,
    pub aggregate_id: String,
    pub payload: String,
    pub endpoints: Vec<Uuid>,
}

/// Messages and their deliveries, due now, in the order given (one aggregate's deliveries keep
/// it); a message an event made already is skipped.
#[tracing::instrument(skip_all, fields(messages = messages.len()))]
pub async fn insert_webhook_messages(
    tx: &mut TenantTx<'_>,
    messages: &[NewMessage],
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let made: Vec<String> = sqlx::query_scalar(
        "INSERT INTO webhook_messages (id, tenant_id, event_type, aggregate_id, payload, created_at)
         SELECT u.id, $1, u.event_type, u.aggregate_id, u.payload, $2
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, event_type, aggregate_id, payload)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(now)
    .bind(messages.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.event_type.as_str()).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.aggregate_id.as_str()).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.payload.as_str()).collect::<Vec<_>>())
    .fetch_all(tx.conn())
    .await?;
    let mut made: std::collections::HashSet<String> = made.into_iter().collect();
    let (mut ids, mut endpoints, mut aggregates) = (Vec::new(), Vec::new(), Vec::new());
    // `remove`: a message given twice gets its deliveries once.
    for m in messages.iter().filter(|m| made.remove(&m.id)) {
        for e in &m.endpoints {
            ids.push(m.id.as_str());
            endpoints.push(*e);
            aggregates.push(m.aggregate_id.as_str());
        }
    }
    if !ids.is_empty() {
        sqlx::query(
            "INSERT INTO webhook_deliveries (message_id, endpoint_id, tenant_id, aggregate_id, next_attempt_at, next_trigger, created_at)
             SELECT u.id, u.endpoint, $1, u.aggregate, $2, $3, $2
             FROM unnest($4::text[], $5::uuid[], $6::text[]) WITH ORDINALITY AS u(id, endpoint, aggregate, n)
             ORDER BY u.n",
        )
        .bind(tenant)
        .bind(now)
        .bind(trigger)
        .bind(&ids)
        .bind(&endpoints)
        .bind(&aggregates)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
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

/// How many due deliveries the deliverer may take: of each endpoint named in `room`, that
/// many; of each other endpoint, `default_room`, except those in `full`; `total` at most.
#[derive(Debug, Clone, Default)]
pub struct Room {
    pub endpoints: Vec<Uuid>,
    pub room: Vec<i32>,
    pub full: Vec<Uuid>,
    pub default_room: i32,
    pub total: i64,
}

/// Takes due deliveries, as much of each endpoint as `room` says, for `lease_secs` (a
/// deliverer that dies lets them go then). A delivery waits while an earlier one of its
/// endpoint and aggregate is pending, so one aggregate's messages arrive in order.
#[tracing::instrument(skip_all)]
pub async fn claim(pool: &PgPool, now: DateTime<Utc>, room: &Room, lease_secs: f64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "WITH ready AS (
             SELECT e.id, coalesce(r.room, $2) AS room FROM webhook_endpoints e
             LEFT JOIN unnest($3::uuid[], $4::int[]) AS r(id, room) ON r.id = e.id
             WHERE e.enabled AND e.deleted_at IS NULL AND e.id <> ALL($5)
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
                 ORDER BY d.seq LIMIT r.room FOR UPDATE SKIP LOCKED
             ) c
             LIMIT $6
         )
         UPDATE webhook_deliveries d SET leased_until = now() + make_interval(secs => $7)
         FROM due, webhook_messages m, webhook_endpoints e
         WHERE d.message_id = due.message_id AND d.endpoint_id = due.endpoint_id
           AND m.id = d.message_id AND e.id = d.endpoint_id
         RETURNING d.message_id, d.endpoint_id, d.tenant_id, d.failures, d.next_trigger, e.url, e.secret,
             e.previous_secret, e.previous_secret_until, m.payload",
    )
    .bind(now)
    .bind(room.default_room)
    .bind(&room.endpoints)
    .bind(&room.room)
    .bind(&room.full)
    .bind(room.total)
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

/// What became of a claimed delivery: an attempt, or let go unattempted (its lease was too
/// near its end to start one) for any deliverer to take again at once.
#[derive(Debug, Clone)]
pub struct Done {
    pub message_id: String,
    pub endpoint_id: Uuid,
    pub tenant_id: Uuid,
    pub trigger: String,
    pub attempt: Option<Outcome>,
}

/// An endpoint disabled by the attempts just recorded.
#[derive(Debug, Clone, FromRow)]
pub struct Disabled {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub url: String,
}

/// Logs attempts and moves their deliveries on, in one transaction; keeps each endpoint's
/// failure run (the first failure since its last success). Answers the endpoints whose run
/// has now lasted `disable_after`: they are disabled.
#[tracing::instrument(skip_all, fields(done = done.len()))]
pub async fn record(
    pool: &PgPool,
    done: &[Done],
    disable_after: chrono::Duration,
) -> Result<Vec<Disabled>, sqlx::Error> {
    let tried: Vec<(&Done, &Outcome)> = done.iter().filter_map(|d| d.attempt.as_ref().map(|o| (d, o))).collect();
    let mut tx = pool.begin().await?;
    if !tried.is_empty() {
        sqlx::query(
            "INSERT INTO webhook_attempts (id, tenant_id, message_id, endpoint_id, attempted_at, status_code, duration_ms,
                 response, error, succeeded, trigger)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::timestamptz[], $6::int[], $7::int[],
                 $8::text[], $9::text[], $10::bool[], $11::text[])",
        )
        .bind(tried.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
        .bind(tried.iter().map(|(d, _)| d.tenant_id).collect::<Vec<_>>())
        .bind(tried.iter().map(|(d, _)| d.message_id.as_str()).collect::<Vec<_>>())
        .bind(tried.iter().map(|(d, _)| d.endpoint_id).collect::<Vec<_>>())
        .bind(tried.iter().map(|(_, o)| o.attempted_at).collect::<Vec<_>>())
        .bind(tried.iter().map(|(_, o)| i32::from(o.status_code)).collect::<Vec<_>>())
        .bind(tried.iter().map(|(_, o)| i32::try_from(o.duration_ms).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(tried.iter().map(|(_, o)| o.response.as_str()).collect::<Vec<_>>())
        .bind(tried.iter().map(|(_, o)| o.error.as_str()).collect::<Vec<_>>())
        .bind(tried.iter().map(|(_, o)| o.succeeded).collect::<Vec<_>>())
        .bind(tried.iter().map(|(d, _)| d.trigger.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE webhook_deliveries d SET leased_until = NULL,
             next_trigger = CASE WHEN u.tried THEN 'scheduled' ELSE d.next_trigger END,
             status = CASE WHEN NOT u.tried THEN d.status WHEN u.ok THEN 'succeeded'
                           WHEN u.next IS NULL THEN 'failed' ELSE 'pending' END,
             failures = CASE WHEN u.tried AND NOT u.ok THEN d.failures + 1 ELSE d.failures END,
             next_attempt_at = coalesce(u.next, d.next_attempt_at),
             delivered_at = CASE WHEN u.ok THEN u.at ELSE d.delivered_at END
         FROM unnest($1::text[], $2::uuid[], $3::bool[], $4::bool[], $5::timestamptz[], $6::timestamptz[])
             AS u(message_id, endpoint_id, tried, ok, next, at)
         WHERE d.message_id = u.message_id AND d.endpoint_id = u.endpoint_id",
    )
    .bind(done.iter().map(|d| d.message_id.as_str()).collect::<Vec<_>>())
    .bind(done.iter().map(|d| d.endpoint_id).collect::<Vec<_>>())
    .bind(done.iter().map(|d| d.attempt.is_some()).collect::<Vec<_>>())
    .bind(done.iter().map(|d| d.attempt.as_ref().is_some_and(|o| o.succeeded)).collect::<Vec<_>>())
    .bind(done.iter().map(|d| d.attempt.as_ref().and_then(|o| o.next)).collect::<Vec<_>>())
    .bind(done.iter().map(|d| d.attempt.as_ref().map(|o| o.attempted_at)).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let runs = failure_runs(&tried);
    let disabled = if runs.is_empty() {
        Vec::new()
    } else {
        // Locked in id order, so two deliverers recording at once cannot deadlock; written only
        // where the run changes.
        sqlx::query_as(
            "WITH u AS (
                 SELECT * FROM unnest($1::uuid[], $2::bool[], $3::timestamptz[], $4::timestamptz[])
                     AS u(id, reset, since, last_failure)
             ), n AS (
                 SELECT e.id, e.enabled, u.last_failure,
                        CASE WHEN u.reset THEN u.since ELSE coalesce(e.failing_since, u.since) END AS since
                 FROM webhook_endpoints e JOIN u ON u.id = e.id ORDER BY e.id FOR UPDATE OF e
             ), m AS (
                 SELECT id, since, enabled AND last_failure IS NOT NULL AND since <= last_failure - $5::interval AS off
                 FROM n
             )
             UPDATE webhook_endpoints e SET failing_since = m.since, enabled = e.enabled AND NOT m.off,
                 disabled_reason = CASE WHEN m.off THEN 'every delivery failed for 5 days' ELSE e.disabled_reason END
             FROM m WHERE e.id = m.id AND (m.off OR e.failing_since IS DISTINCT FROM m.since)
             RETURNING e.id, e.tenant_id, CASE WHEN m.off THEN e.url END AS url",
        )
        .bind(runs.iter().map(|r| r.endpoint).collect::<Vec<_>>())
        .bind(runs.iter().map(|r| r.reset).collect::<Vec<_>>())
        .bind(runs.iter().map(|r| r.since).collect::<Vec<_>>())
        .bind(runs.iter().map(|r| r.last_failure).collect::<Vec<_>>())
        .bind(disable_after)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .filter_map(|(id, tenant_id, url): (Uuid, Uuid, Option<String>)| url.map(|url| Disabled { id, tenant_id, url }))
        .collect()
    };
    tx.commit().await?;
    Ok(disabled)
}

/// What a batch of attempts says of one endpoint's failure run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub endpoint: Uuid,
    /// A success is among them: the run starts again at `since`.
    pub reset: bool,
    /// The first failure after the last success (or of all, without one); `None`: ends well.
    pub since: Option<DateTime<Utc>>,
    /// The last attempt's time when it failed.
    pub last_failure: Option<DateTime<Utc>>,
}

pub(crate) fn failure_runs(tried: &[(&Done, &Outcome)]) -> Vec<Run> {
    let mut by: std::collections::BTreeMap<Uuid, Vec<&Outcome>> = Default::default();
    for (d, o) in tried {
        by.entry(d.endpoint_id).or_default().push(o);
    }
    by.into_iter()
        .map(|(endpoint, mut os)| {
            os.sort_by_key(|o| o.attempted_at);
            let last_ok = os.iter().rposition(|o| o.succeeded);
            let after = &os[last_ok.map_or(0, |i| i + 1)..];
            Run {
                endpoint,
                reset: last_ok.is_some(),
                since: after.first().map(|o| o.attempted_at),
                last_failure: after.last().map(|o| o.attempted_at),
            }
        })
        .collect()
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
