//! N1: the notifications of each inbox.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::Draft;

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

/// The same notification to each of `partners` (an announcement's), made from `source`.
#[tracing::instrument(skip_all)]
pub async fn insert_for_partners(
    tx: &mut TenantTx<'_>,
    d: &Draft,
    partners: &[Uuid],
    source: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let ids: Vec<Uuid> = partners.iter().map(|_| Uuid::now_v7()).collect();
    let recipients: Vec<String> = partners.iter().map(|p| format!("partner:{p}")).collect();
    sqlx::query(
        "INSERT INTO notifications (id, tenant_id, recipient, kind, object_type, object_id, params, source_event,
             created_at)
         SELECT i, $3, r, $4, $5, $6, $7, $8, $9 FROM unnest($1::uuid[], $2::text[]) AS x(i, r)
         ON CONFLICT DO NOTHING",
    )
    .bind(&ids)
    .bind(&recipients)
    .bind(tenant)
    .bind(d.kind.as_str())
    .bind(d.object_type)
    .bind(&d.object_id)
    .bind(Json(&d.params))
    .bind(source)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks read the recipients' notifications of `kind` about `object`, or of any object (a
/// thread read reads its message notifications; the announcements read, theirs).
#[tracing::instrument(skip_all)]
pub async fn mark_read_about(
    tx: &mut TenantTx<'_>,
    recipients: &[String],
    kind: &str,
    object: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE notifications SET read_at = $5
         WHERE tenant_id = $1 AND recipient = ANY($2) AND kind = $3 AND ($4::text IS NULL OR object_id = $4)
           AND read_at IS NULL",
    )
    .bind(tenant)
    .bind(recipients)
    .bind(kind)
    .bind(object)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}
