//! What identity publishes. Every state change writes its event into the outbox in the same
//! transaction (subjects `identity.<tenant>.<aggregate>.<event>`, payloads from
//! `proto/partnerline/events/v1/identity.proto`). Identity consumes nothing yet.

use partnerline_proto::events::v1 as ev;
use platform::outbox::Outbox;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::PayoutKind;
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
        payout_currency: p.payout_method.currency.clone().unwrap_or_default(),
        phone: p.phone.clone(),
        payout_email: payout_field(p, PayoutKind::Paypal, "email"),
        payout_account_holder: payout_field(p, PayoutKind::Bank, "account_holder"),
    }
}

/// X4: one field of the partner's payout method when it is of `kind` ("" otherwise).
fn payout_field(p: &PartnerRow, kind: PayoutKind, field: &str) -> String {
    let m = &p.payout_method;
    if m.kind != Some(kind) {
        return String::new();
    }
    m.fields.get(field).cloned().unwrap_or_default()
}

/// `access.revoked`: the tokens already issued for these sessions, or for this API key, stop
/// working at once in every process (issue 17, 5). `about` is the user or the key.
#[allow(clippy::too_many_arguments)]
pub async fn access_revoked(
    outbox: &Outbox,
    conn: &mut PgConnection,
    tenant: Uuid,
    about: Uuid,
    sessions: &[Uuid],
    api_key: Option<Uuid>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    if sessions.is_empty() && api_key.is_none() {
        return Ok(());
    }
    let msg = ev::AccessRevoked {
        tenant_id: tenant.to_string(),
        session_ids: sessions.iter().map(Uuid::to_string).collect(),
        api_key_id: api_key.map(|k| k.to_string()),
        reason: reason.into(),
    };
    outbox.emit(conn, tenant, "access", about, "revoked", &msg).await?;
    Ok(())
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
