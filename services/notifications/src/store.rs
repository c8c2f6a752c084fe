//! Notifications' SQL: one function per query, each through a `TenantTx` so it filters by tenant.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::Draft;
use crate::email::Letter;

#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub kind: String,
    pub object_type: String,
    pub object_id: String,
    pub params: Json<std::collections::BTreeMap<String, String>>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, object_type, object_id, params, created_at, read_at";

/// Writes a notification made from `event`; nothing when that event already made it.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut TenantTx<'_>, d: &Draft, event: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO notifications (id, tenant_id, recipient, kind, object_type, object_id, params, source_event,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(d.recipient.key())
    .bind(d.kind.as_str())
    .bind(d.object_type)
    .bind(&d.object_id)
    .bind(Json(&d.params))
    .bind(event)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A page of the recipients' notifications, newest first, from before `before`.
#[tracing::instrument(skip_all)]
pub async fn page(
    tx: &mut TenantTx<'_>,
    recipients: &[String],
    unread: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE tenant_id = $1 AND recipient = ANY($2) AND (NOT $3 OR read_at IS NULL) AND ($4::uuid IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5"
    ))
    .bind(tenant)
    .bind(recipients)
    .bind(unread)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn unread(tx: &mut TenantTx<'_>, recipients: &[String]) -> Result<i64, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE tenant_id = $1 AND recipient = ANY($2) AND read_at IS NULL",
    )
    .bind(tenant)
    .bind(recipients)
    .fetch_one(tx.conn())
    .await
}

/// Marks one of the recipients' notifications read (its first read time stays) and answers it.
#[tracing::instrument(skip_all)]
pub async fn mark_read(
    tx: &mut TenantTx<'_>,
    recipients: &[String],
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "UPDATE notifications SET read_at = coalesce(read_at, $4)
         WHERE tenant_id = $1 AND recipient = ANY($2) AND id = $3 RETURNING {COLUMNS}"
    ))
    .bind(tenant)
    .bind(recipients)
    .bind(id)
    .bind(now)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn mark_all_read(
    tx: &mut TenantTx<'_>,
    recipients: &[String],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "UPDATE notifications SET read_at = $3 WHERE tenant_id = $1 AND recipient = ANY($2) AND read_at IS NULL",
    )
    .bind(tenant)
    .bind(recipients)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected())
}

/// A partner as identity last told.
#[derive(Debug, Clone, FromRow)]
pub struct Partner {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub language: String,
}

#[tracing::instrument(skip_all)]
pub async fn put_partner(tx: &mut TenantTx<'_>, p: &Partner) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (tenant_id, partner_id, user_id, name, email, language) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, partner_id) DO UPDATE SET
             user_id = EXCLUDED.user_id, name = EXCLUDED.name, email = EXCLUDED.email, language = EXCLUDED.language",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(p.user_id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.language)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn partner_name(tx: &mut TenantTx<'_>, partner: Uuid) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT name FROM partners WHERE tenant_id = $1 AND partner_id = $2")
        .bind(tenant)
        .bind(partner)
        .fetch_optional(tx.conn())
        .await
}

/// Whether the recipient was already told this about this object (an order re-attributed to
/// the same partner is not news twice).
#[tracing::instrument(skip_all)]
pub async fn told(tx: &mut TenantTx<'_>, d: &Draft) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM notifications
                        WHERE tenant_id = $1 AND recipient = $2 AND kind = $3 AND object_id = $4)",
    )
    .bind(tenant)
    .bind(d.recipient.key())
    .bind(d.kind.as_str())
    .bind(&d.object_id)
    .fetch_one(tx.conn())
    .await
}

/// Adds the draft's amount to the recipient's unread notification of the same kind and
/// currency, one more in its count (`domain::adds_up`). `false`: none unread to add to.
#[tracing::instrument(skip_all)]
pub async fn add_to_unread(tx: &mut TenantTx<'_>, d: &Draft) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "UPDATE notifications
         SET params = params
             || jsonb_build_object('amount', ((params->>'amount')::numeric + $5::numeric)::text)
             || jsonb_build_object('count', (coalesce((params->>'count')::int, 1) + 1)::text)
         WHERE id = (SELECT id FROM notifications
                     WHERE tenant_id = $1 AND recipient = $2 AND kind = $3 AND params->>'currency' = $4
                       AND read_at IS NULL
                     ORDER BY id DESC LIMIT 1 FOR UPDATE)",
    )
    .bind(tenant)
    .bind(d.recipient.key())
    .bind(d.kind.as_str())
    .bind(d.params.get("currency").map_or("", String::as_str))
    .bind(d.params.get("amount").map_or("0", String::as_str))
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn partner(tx: &mut TenantTx<'_>, partner: Uuid) -> Result<Option<Partner>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT partner_id AS id, user_id, name, email, language FROM partners WHERE tenant_id = $1 AND partner_id = $2",
    )
    .bind(tenant)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn put_program(tx: &mut TenantTx<'_>, name: &str) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO programs (tenant_id, name) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name",
    )
    .bind(tenant)
    .bind(name)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn program_name(tx: &mut TenantTx<'_>) -> Result<Option<String>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT name FROM programs WHERE tenant_id = $1").bind(tenant).fetch_optional(tx.conn()).await
}

/// Writes an email made from `event`, due now; nothing when that event already made it.
#[tracing::instrument(skip_all)]
pub async fn insert_email(
    tx: &mut TenantTx<'_>,
    l: &Letter,
    from_name: &str,
    event: Uuid,
    message_id: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO emails (id, tenant_id, kind, source_event, to_address, to_name, from_name, language, subject,
             text_body, html_body, message_id, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(tenant)
    .bind(l.kind)
    .bind(event)
    .bind(&l.to_address)
    .bind(&l.to_name)
    .bind(from_name)
    .bind(&l.language)
    .bind(&l.subject)
    .bind(&l.text)
    .bind(&l.html)
    .bind(message_id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An email the mailer sends.
#[derive(Debug, Clone, FromRow)]
pub struct EmailRow {
    pub id: Uuid,
    pub to_address: String,
    pub to_name: String,
    pub from_name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub attempts: i32,
}

/// The emails due, of every program, locked until the mailer's transaction ends: replicas
/// each take others (`SKIP LOCKED`), and none is sent by two at once.
#[tracing::instrument(skip_all)]
pub async fn due_emails(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<EmailRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, to_address, to_name, from_name, subject, text_body, html_body, message_id, attempts
         FROM emails WHERE status = 'queued' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn email_sent(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE emails SET status = 'sent', attempts = attempts + 1, sent_at = $2, last_error = '' WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A failed attempt: tried again at `next`, or failed for good (`None`).
#[tracing::instrument(skip_all)]
pub async fn email_not_sent(
    conn: &mut PgConnection,
    id: Uuid,
    next: Option<DateTime<Utc>>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE emails SET attempts = attempts + 1, last_error = $3,
             status = CASE WHEN $2::timestamptz IS NULL THEN 'failed' ELSE 'queued' END,
             next_attempt_at = coalesce($2, next_attempt_at)
         WHERE id = $1",
    )
    .bind(id)
    .bind(next)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}
