//! N4: the emails, from the consumer that makes them to the mailer that sends them.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::email::Letter;

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
             text_body, html_body, message_id, next_attempt_at, created_at, customer_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) ON CONFLICT DO NOTHING",
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
    .bind(l.customer)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether an email of `kind` went (or waits to go) to `to` since `since`.
#[tracing::instrument(skip_all)]
pub async fn emailed_since(
    tx: &mut TenantTx<'_>,
    kind: &str,
    to: &str,
    since: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM emails WHERE tenant_id = $1 AND kind = $2 AND to_address = $3 AND created_at >= $4)",
    )
    .bind(tenant)
    .bind(kind)
    .bind(to.trim())
    .bind(since)
    .fetch_one(tx.conn())
    .await
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
