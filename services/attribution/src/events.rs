//! What attribution publishes (`attribution.<tenant>.<aggregate>.<event>`) and what it reads.

use partnerline_proto::events::v1 as ev;
use platform::outbox::Outbox;
use sqlx::PgConnection;
use uuid::Uuid;

pub const CONTEXT: &str = "attribution";

/// Times as every attribution message writes them.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `customer.bound`, `customer.rebound` or `customer.released` (X8: `partner_id` is the partner
/// the customer left). A visitor not yet known as a customer is a customer to be: its events carry
/// no `customer_id`, and the partner stands as their CloudEvents subject.
#[allow(clippy::too_many_arguments)]
pub async fn binding_changed(
    outbox: &Outbox,
    conn: &mut PgConnection,
    event: &str,
    tenant: Uuid,
    subject: &str,
    partner: Uuid,
    from: Option<Uuid>,
    at: chrono::DateTime<chrono::Utc>,
    cause: &str,
) -> sqlx::Result<()> {
    let msg = ev::BindingChanged {
        tenant_id: tenant.to_string(),
        subject: subject.to_string(),
        customer_id: subject.strip_prefix("customer:").map(Into::into),
        partner_id: partner.to_string(),
        from_partner_id: from.map(|f| f.to_string()),
        at: ts(at),
        cause: cause.to_string(),
    };
    // The binding's subject is not a UUID for visitors: use the partner as the aggregate id
    // only as a fallback; customers' events carry the customer id.
    let id = subject.strip_prefix("customer:").and_then(|c| Uuid::parse_str(c).ok()).unwrap_or(partner);
    outbox.emit(conn, tenant, "customer", id, event, &msg).await.map(drop)
}

pub fn attributed_message(tenant: Uuid, a: &crate::store::AttributionRow) -> ev::OrderAttributed {
    ev::OrderAttributed {
        tenant_id: tenant.to_string(),
        order_id: a.order_id.to_string(),
        partner_id: a.partner_id.map(|p| p.to_string()),
        parent_chain: a.parent_chain.iter().map(|p| p.to_string()).collect(),
        reason: a.reason.clone(),
        detail: a.detail.clone(),
        attribution_version: a.version as u32,
        order_version: a.order_version as u32,
        at: ts(a.at),
        signals: Vec::new(),
    }
}
