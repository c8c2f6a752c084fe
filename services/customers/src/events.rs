//! What customers publishes (subjects `customers.<tenant>.<aggregate>.<event>`, payloads from
//! `proto/partnerline/events/v1/customers.proto`).

use partnerline_proto::events::v1 as ev;
use platform::outbox::Outbox;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::CustomerRow;

pub const CONTEXT: &str = "customers";

pub fn snapshot(c: &CustomerRow) -> ev::CustomerSnapshot {
    ev::CustomerSnapshot {
        customer_id: c.id.to_string(),
        name: c.name.clone(),
        email: c.email.clone(),
        status: c.status.clone(),
        temperature: c.temperature.clone(),
        discount_percent: c.discount_percent.to_string(),
        currency: c.currency.clone(),
        language: c.language.clone(),
        owner_partner_id: c.owner_partner_id.map(|p| p.to_string()),
        group_id: c.group_id.map(|g| g.to_string()),
        is_business: c.is_business,
        approval: c.approval.clone(),
        phone: c.phone.clone(),
    }
}

/// `customer.reassigned` (CU6, CU7, L8): `c` now belongs to its `owner_partner_id`; `from` is the
/// partner it belonged to.
pub async fn customer_reassigned(
    outbox: &Outbox,
    conn: &mut PgConnection,
    c: &CustomerRow,
    from: Option<Uuid>,
    actor: Uuid,
) -> Result<(), sqlx::Error> {
    let msg = ev::CustomerReassigned {
        tenant_id: c.tenant_id.to_string(),
        customer_id: c.id.to_string(),
        from_partner_id: from.map(|p| p.to_string()),
        to_partner_id: c.owner_partner_id.map(|p| p.to_string()),
        actor_user_id: actor.to_string(),
    };
    outbox.emit(conn, c.tenant_id, "customer", c.id, "reassigned", &msg).await?;
    Ok(())
}

/// `customer.created`, `customer.updated` or `customer.deleted`.
pub async fn customer_changed(
    outbox: &Outbox,
    conn: &mut PgConnection,
    c: &CustomerRow,
    event: &str,
    changed: &[&str],
    actor: Uuid,
) -> Result<(), sqlx::Error> {
    let msg = ev::CustomerChanged {
        tenant_id: c.tenant_id.to_string(),
        customer: Some(snapshot(c)),
        changed: changed.iter().map(|s| s.to_string()).collect(),
        actor_user_id: actor.to_string(),
    };
    outbox.emit(conn, c.tenant_id, "customer", c.id, event, &msg).await?;
    Ok(())
}

/// `customer.erased` (X7): the other services anonymise their copies of the customer.
pub async fn customer_erased(
    outbox: &Outbox,
    conn: &mut PgConnection,
    tenant: Uuid,
    customer: Uuid,
    actor: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let msg = ev::CustomerErased {
        tenant_id: tenant.to_string(),
        customer_id: customer.to_string(),
        actor_user_id: actor.to_string(),
        erased_at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    outbox.emit(conn, tenant, "customer", customer, "erased", &msg).await?;
    Ok(())
}
