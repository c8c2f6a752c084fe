//! X7: what notifications keeps about one customer (the emails it was sent), exported whole,
//! and anonymised when the customer is erased.

use platform::db::TenantTx;
use uuid::Uuid;

/// The emails made for customer `id`: kind, language, subject, text, status and times.
#[tracing::instrument(skip_all)]
pub async fn export_customer(tx: &mut TenantTx<'_>, id: Uuid) -> Result<serde_json::Value, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT jsonb_build_object('emails', COALESCE(jsonb_agg(jsonb_build_object(
            'id', e.id, 'kind', e.kind, 'to_address', e.to_address, 'to_name', e.to_name, 'language', e.language,
            'subject', e.subject, 'text_body', e.text_body, 'status', e.status, 'created_at', e.created_at,
            'sent_at', e.sent_at) ORDER BY e.created_at, e.id), '[]'))
         FROM emails e WHERE e.tenant_id = $1 AND e.customer_id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_one(tx.conn())
    .await
}

/// `customer.erased`: the customer's emails keep their kind and times, lose address, name and
/// content; one still queued is never sent. The webhook messages of the customer's own events
/// keep their type and time and lose their data.
#[tracing::instrument(skip_all)]
pub async fn erase_customer(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE emails SET to_address = '', to_name = '', subject = '', text_body = '', html_body = '',
             last_error = CASE WHEN status = 'queued' THEN 'not sent: the customer''s data was erased (X7)' ELSE last_error END,
             status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END
         WHERE tenant_id = $1 AND customer_id = $2 AND (to_address <> '' OR html_body <> '')",
    )
    .bind(tenant)
    .bind(id)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE webhook_messages
         SET payload = jsonb_set(payload::jsonb, '{data}', jsonb_build_object('customer_id', aggregate_id, 'erased', true))::text
         WHERE tenant_id = $1 AND aggregate_id = $2::text AND event_type LIKE 'customers.customer.%'
           AND event_type <> 'customers.customer.erased'",
    )
    .bind(tenant)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}
