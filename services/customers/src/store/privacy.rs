//! X7: a customer's data, exported whole, and erased.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use uuid::Uuid;

/// What an erased customer is called wherever its name was.
pub const ERASED_NAME: &str = "erased customer";

/// Everything this service keeps about customer `id`, as one JSON object: its record, notes,
/// communication log, whether a quick-order link is live (never its hash) and the erasure, if any.
#[tracing::instrument(skip_all)]
pub async fn export(tx: &mut TenantTx<'_>, id: Uuid) -> Result<serde_json::Value, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT jsonb_build_object(
            'customer', to_jsonb(c) - 'search' - 'tenant_id',
            'group', (SELECT jsonb_build_object('id', g.id, 'name', g.name) FROM customer_groups g
                      WHERE g.tenant_id = c.tenant_id AND g.id = c.group_id),
            'notes', COALESCE((SELECT jsonb_agg(to_jsonb(n) - 'tenant_id' - 'priority_rank' ORDER BY n.created_at, n.id)
                      FROM notes n WHERE n.tenant_id = c.tenant_id AND n.customer_id = c.id), '[]'),
            'communications', COALESCE((SELECT jsonb_agg(to_jsonb(m) - 'tenant_id' ORDER BY m.occurred_at, m.id)
                      FROM communications m WHERE m.tenant_id = c.tenant_id AND m.customer_id = c.id), '[]'),
            'quick_order_link', (SELECT jsonb_build_object('created_at', l.created_at) FROM quick_order_links l
                      WHERE l.tenant_id = c.tenant_id AND l.customer_id = c.id),
            'erasure', (SELECT to_jsonb(e) - 'tenant_id' FROM erasures e
                      WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id))
         FROM customers c WHERE c.tenant_id = $1 AND c.id = $2 AND c.deleted_at IS NULL",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map(|v| v.unwrap_or(serde_json::Value::Null))
}

/// Anonymises customer `id` (locked by the caller): its contact data, notes' text and
/// communication summaries; its quick-order link stops working; the erasure is recorded.
#[tracing::instrument(skip_all)]
pub async fn erase(tx: &mut TenantTx<'_>, id: Uuid, actor: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE customers SET name = $3, vat_number = '', contact_person = '', email = '', phone = '',
             address = '{}'::jsonb, erased_at = $4, updated_at = $4
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(ERASED_NAME)
    .bind(now)
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE notes SET body = '', updated_at = $3 WHERE tenant_id = $1 AND customer_id = $2")
        .bind(tenant)
        .bind(id)
        .bind(now)
        .execute(tx.conn())
        .await?;
    sqlx::query("UPDATE communications SET summary = '' WHERE tenant_id = $1 AND customer_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    super::delete_link(tx, id).await?;
    sqlx::query("INSERT INTO erasures (tenant_id, customer_id, actor_user_id, erased_at) VALUES ($1, $2, $3, $4)")
        .bind(tenant)
        .bind(id)
        .bind(actor)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}
