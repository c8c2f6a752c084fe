//! N2 and N3: the merchant's announcements, and the thread of each partner with the merchant.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct AnnouncementRow {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub audience: String,
    pub recipients: i32,
    pub author_user_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Writes an announcement and whom it reached.
#[tracing::instrument(skip_all)]
pub async fn insert_announcement(
    tx: &mut TenantTx<'_>,
    a: &AnnouncementRow,
    partners: &[Uuid],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO announcements (id, tenant_id, title, body, audience, recipients, author_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id)
    .bind(tenant)
    .bind(&a.title)
    .bind(&a.body)
    .bind(&a.audience)
    .bind(a.recipients)
    .bind(a.author_user_id)
    .bind(a.created_at)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO announcement_recipients (tenant_id, partner_id, announcement_id)
         SELECT $1, p, $3 FROM unnest($2::uuid[]) AS p",
    )
    .bind(tenant)
    .bind(partners)
    .bind(a.id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The announcements a partner received (`Some`), or all the program's (`None`), newest first.
#[tracing::instrument(skip_all)]
pub async fn announcements(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AnnouncementRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT a.id, a.title, a.body, a.audience, a.recipients, a.author_user_id, a.created_at
         FROM announcements a
         WHERE a.tenant_id = $1 AND ($3::uuid IS NULL OR a.id < $3)
           AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM announcement_recipients r
                 WHERE r.tenant_id = a.tenant_id AND r.partner_id = $2 AND r.announcement_id = a.id))
         ORDER BY a.id DESC LIMIT $4",
    )
    .bind(tenant)
    .bind(partner)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub from_partner: bool,
    pub author_user_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_message(tx: &mut TenantTx<'_>, m: &MessageRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO messages (id, tenant_id, partner_id, from_partner, author_user_id, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.id)
    .bind(tenant)
    .bind(m.partner_id)
    .bind(m.from_partner)
    .bind(m.author_user_id)
    .bind(&m.body)
    .bind(m.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A thread's messages, newest first, from before `before`.
#[tracing::instrument(skip_all)]
pub async fn messages(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, partner_id, from_partner, author_user_id, body, created_at FROM messages
         WHERE tenant_id = $1 AND partner_id = $2 AND ($3::uuid IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
    )
    .bind(tenant)
    .bind(partner)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn message(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<MessageRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, partner_id, from_partner, author_user_id, body, created_at FROM messages
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// A thread as one side sees it: its last message and how many of the other side's it has
/// not read.
#[derive(Debug, Clone, FromRow)]
pub struct ThreadRow {
    pub partner_id: Uuid,
    pub partner_name: Option<String>,
    pub last_id: Uuid,
    pub unread: i64,
}

/// The threads (all, or one partner's), unread first, then the most recent; `side` is the
/// reader's: `merchant` (who reads the partner's messages) or `partner`.
#[tracing::instrument(skip_all)]
pub async fn threads(
    tx: &mut TenantTx<'_>,
    side: &str,
    partner: Option<Uuid>,
    offset: i64,
    limit: i64,
) -> Result<Vec<ThreadRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT t.partner_id, p.name AS partner_name, t.last_id, u.unread
         FROM (SELECT DISTINCT ON (partner_id) tenant_id, partner_id, id AS last_id FROM messages
               WHERE tenant_id = $1 AND ($3::uuid IS NULL OR partner_id = $3) ORDER BY partner_id, id DESC) t
         LEFT JOIN thread_reads r ON r.tenant_id = t.tenant_id AND r.partner_id = t.partner_id AND r.side = $2
         LEFT JOIN partners p ON p.tenant_id = t.tenant_id AND p.partner_id = t.partner_id
         CROSS JOIN LATERAL (
             SELECT count(*) AS unread FROM messages m
             WHERE m.tenant_id = t.tenant_id AND m.partner_id = t.partner_id AND m.from_partner = ($2 = 'merchant')
               AND (r.read_up_to IS NULL OR m.id > r.read_up_to)) u
         ORDER BY u.unread > 0 DESC, t.last_id DESC
         OFFSET $4 LIMIT $5",
    )
    .bind(tenant)
    .bind(side)
    .bind(partner)
    .bind(offset)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// One side has read a thread up to `up_to` (never back).
#[tracing::instrument(skip_all)]
pub async fn mark_thread_read(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    side: &str,
    up_to: Uuid,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO thread_reads (tenant_id, partner_id, side, read_up_to) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, partner_id, side)
         DO UPDATE SET read_up_to = greatest(thread_reads.read_up_to, EXCLUDED.read_up_to)",
    )
    .bind(tenant)
    .bind(partner)
    .bind(side)
    .bind(up_to)
    .execute(tx.conn())
    .await?;
    Ok(())
}
