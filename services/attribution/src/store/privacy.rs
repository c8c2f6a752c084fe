//! X7: what attribution keeps about one customer, exported whole, and anonymised on erasure.

use platform::db::TenantTx;
use uuid::Uuid;

/// The clicks tied to customer `$2`: made as the customer, or by a visitor who became it.
const CLICKS_OF: &str = "c.tenant_id = $1 AND (c.subject = 'customer:' || $2::text
    OR c.visitor_id IN (SELECT v.visitor_id FROM visitor_customers v WHERE v.tenant_id = $1 AND v.customer_id = $2))";

/// Its bindings and their history, its clicks (the IP only as the salted hash that was kept),
/// the visitors it was, the contact data attribution matched partners against (X8, X4) and its
/// sign-up (X4: the IP hash and the partner).
#[tracing::instrument(skip_all)]
pub async fn export_customer(tx: &mut TenantTx<'_>, id: Uuid) -> Result<serde_json::Value, sqlx::Error> {
    let tenant = tx.tenant();
    let sql = format!(
        "WITH subjects AS (
            SELECT 'customer:' || $2::text AS subject
            UNION SELECT 'visitor:' || v.visitor_id FROM visitor_customers v WHERE v.tenant_id = $1 AND v.customer_id = $2)
         SELECT jsonb_build_object(
            'bindings', (SELECT COALESCE(jsonb_agg(to_jsonb(b) - 'tenant_id' ORDER BY b.since), '[]')
                         FROM bindings b WHERE b.tenant_id = $1 AND b.subject IN (SELECT subject FROM subjects)),
            'binding_history', (SELECT COALESCE(jsonb_agg(to_jsonb(h) - 'tenant_id' - 'id' ORDER BY h.id), '[]')
                         FROM binding_history h WHERE h.tenant_id = $1 AND h.subject IN (SELECT subject FROM subjects)),
            'clicks', (SELECT COALESCE(jsonb_agg(to_jsonb(c) - 'tenant_id' ORDER BY c.at, c.id), '[]')
                         FROM clicks c WHERE {CLICKS_OF}),
            'visitors', (SELECT COALESCE(jsonb_agg(v.visitor_id ORDER BY v.visitor_id), '[]')
                         FROM visitor_customers v WHERE v.tenant_id = $1 AND v.customer_id = $2),
            'email', (SELECT e.email FROM customer_emails e WHERE e.tenant_id = $1 AND e.customer_id = $2),
            'contact', (SELECT to_jsonb(e) - 'tenant_id' - 'customer_id'
                        FROM customer_emails e WHERE e.tenant_id = $1 AND e.customer_id = $2),
            'sign_up', (SELECT to_jsonb(r) - 'tenant_id' - 'customer_id'
                        FROM registrations r WHERE r.tenant_id = $1 AND r.customer_id = $2))"
    );
    sqlx::query_scalar(&sql).bind(tenant).bind(id).fetch_one(tx.conn()).await
}

/// `customer.erased`: the customer's clicks lose their user agent, referrer and IP hash, and its
/// contact copy and sign-up go. Bindings stay: they name a partner, not the person, and the orders need them.
#[tracing::instrument(skip_all)]
pub async fn erase_customer(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    let sql = format!(
        "UPDATE clicks c SET user_agent = '', referrer = '', ip_hash = ''
         WHERE {CLICKS_OF} AND (c.user_agent <> '' OR c.referrer <> '' OR c.ip_hash <> '')"
    );
    sqlx::query(&sql).bind(tenant).bind(id).execute(tx.conn()).await?;
    for table in ["customer_emails", "registrations"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1 AND customer_id = $2"))
            .bind(tenant)
            .bind(id)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}
