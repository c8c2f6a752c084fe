//! X7: a customer's orders, exported whole, and anonymised when the customer is erased.

use platform::db::TenantTx;
use uuid::Uuid;

/// What an erased customer is called on its orders.
pub const ERASED_NAME: &str = "erased customer";

/// Every order of customer `id`, with its lines, status changes, notes, refunds, payments and
/// whether a payment link is live (never its hash).
#[tracing::instrument(skip_all)]
pub async fn export_customer(tx: &mut TenantTx<'_>, id: Uuid) -> Result<serde_json::Value, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT jsonb_build_object('orders', COALESCE(jsonb_agg(
            to_jsonb(o) - 'search' - 'tenant_id' - 'seq' || jsonb_build_object(
              'items', (SELECT COALESCE(jsonb_agg(to_jsonb(i) - 'tenant_id' - 'order_id' ORDER BY i.line), '[]')
                        FROM order_items i WHERE i.order_id = o.id),
              'status_changes', (SELECT COALESCE(jsonb_agg(to_jsonb(s) - 'tenant_id' - 'order_id' - 'id' ORDER BY s.id), '[]')
                        FROM order_status_changes s WHERE s.tenant_id = o.tenant_id AND s.order_id = o.id),
              'notes', (SELECT COALESCE(jsonb_agg(to_jsonb(n) - 'tenant_id' - 'order_id' ORDER BY n.created_at), '[]')
                        FROM order_notes n WHERE n.tenant_id = o.tenant_id AND n.order_id = o.id),
              'refunds', (SELECT COALESCE(jsonb_agg(to_jsonb(r) - 'tenant_id' - 'order_id' ORDER BY r.created_at), '[]')
                        FROM refunds r WHERE r.tenant_id = o.tenant_id AND r.order_id = o.id),
              'payments', (SELECT COALESCE(jsonb_agg(to_jsonb(p) - 'tenant_id' - 'order_id' ORDER BY p.created_at), '[]')
                        FROM payments p WHERE p.tenant_id = o.tenant_id AND p.order_id = o.id),
              'payment_link', (SELECT jsonb_build_object('created_at', l.created_at, 'expires_at', l.expires_at)
                        FROM payment_links l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id))
            ORDER BY o.placed_at, o.id), '[]'))
         FROM orders o WHERE o.tenant_id = $1 AND o.customer_id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_one(tx.conn())
    .await
}

/// `customer.erased`: the customer's name and email on its orders go; amounts stay.
#[tracing::instrument(skip_all)]
pub async fn erase_customer(tx: &mut TenantTx<'_>, id: Uuid) -> Result<u64, sqlx::Error> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "UPDATE orders SET customer_name = $3, customer_email = ''
         WHERE tenant_id = $1 AND customer_id = $2 AND (customer_name <> $3 OR customer_email <> '')",
    )
    .bind(tenant)
    .bind(id)
    .bind(ERASED_NAME)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}
