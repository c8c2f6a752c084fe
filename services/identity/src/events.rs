//! What identity publishes. Every state change writes its event into the outbox in the same
//! transaction (subjects `identity.<tenant>.<aggregate>.<event>`, payloads from
//! `proto/partnerline/events/v1/identity.proto`). Identity consumes nothing yet.

use partnerline_proto::events::v1 as ev;
use platform::outbox::Outbox;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::PartnerRow;

pub const CONTEXT: &str = "identity";

pub fn snapshot(p: &PartnerRow) -> ev::PartnerSnapshot {
    ev::PartnerSnapshot {
        partner_id: p.id.to_string(),
        user_id: p.user_id.to_string(),
        name: p.name.clone(),
        email: p.email.clone(),
        trust_level: p.trust_level.clone(),
        status: p.status.clone(),
        parent_partner_id: p.parent_partner_id.map(|x| x.to_string()),
        language: p.language.clone(),
    }
}

/// `partner.approved`: someone became an active partner (application approved, or added by a merchant).
pub async fn partner_approved(
    outbox: &Outbox,
    conn: &mut PgConnection,
    p: &PartnerRow,
    application: Option<Uuid>,
    actor: Uuid,
) -> Result<(), sqlx::Error> {
    let msg = ev::PartnerApproved {
        tenant_id: p.tenant_id.to_string(),
        partner: Some(snapshot(p)),
        application_id: application.map(|a| a.to_string()).unwrap_or_default(),
        actor_user_id: actor.to_string(),
    };
    outbox.emit(conn, p.tenant_id, "partner", p.id, "approved", &msg).await?;
    Ok(())
}
