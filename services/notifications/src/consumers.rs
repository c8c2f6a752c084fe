//! What notifications reads: the events that tell someone something (N1, LE3, P3, C10), from
//! identity, customers, attribution and commissions, each made into its recipient's notification
//! in the consumer's transaction. Identity's partners are also copied, for their names.

use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent};
use platform::db::TenantTx;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{self, Draft, Kind, Movement};
use crate::grpc::NotificationsService;
use crate::store;

pub const IDENTITY: &[&str] =
    &["identity.*.partner.approved", "identity.*.partner.updated", "identity.*.application.submitted"];
pub const CUSTOMERS: &[&str] = &["customers.*.lead.status_changed", "customers.*.lead.rep_assigned"];
pub const ATTRIBUTION: &[&str] = &["attribution.*.order.attributed"];
pub const COMMISSIONS: &[&str] = &[
    "commissions.*.commission.accrued",
    "commissions.*.commission.available",
    "commissions.*.payout.requested",
    "commissions.*.payout.paid",
];

#[derive(Clone)]
pub struct Events(pub NotificationsService);

fn uuid(raw: &str, what: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| anyhow::anyhow!("{what} `{raw}` is not a uuid"))
}

impl Events {
    /// What the event tells, and to whom; it also keeps the copy of partners.
    async fn drafts(&self, tx: &mut TenantTx<'_>, e: &IncomingEvent) -> anyhow::Result<Vec<Draft>> {
        let name = e.name();
        let p = e.payload.as_ref();
        Ok(match name.as_str() {
            "partner.approved" | "partner.updated" => {
                let (snapshot, application) = if name == "partner.approved" {
                    let m = ev::PartnerApproved::decode(p)?;
                    (m.partner, m.application_id)
                } else {
                    (ev::PartnerUpdated::decode(p)?.partner, String::new())
                };
                let s = snapshot.ok_or_else(|| anyhow::anyhow!("{name} without its partner"))?;
                let partner = store::Partner {
                    id: uuid(&s.partner_id, "partner_id")?,
                    user_id: uuid(&s.user_id, "user_id")?,
                    name: s.name,
                    email: s.email,
                    language: s.language,
                };
                store::put_partner(tx, &partner).await?;
                Draft::application_approved(partner.id, &application).into_iter().collect()
            }
            "application.submitted" => {
                let m = ev::ApplicationSubmitted::decode(p)?;
                vec![Draft::application_submitted(&m.application_id, &m.name)]
            }
            "lead.status_changed" | "lead.rep_assigned" => {
                let m = ev::LeadChanged::decode(p)?;
                let rep = m.sales_rep_user_id.as_deref().map(|r| uuid(r, "sales_rep_user_id")).transpose()?;
                let partner = uuid(&m.partner_id, "partner_id")?;
                Draft::lead(&e.name(), &m.lead_id, partner, &m.to_status, rep).into_iter().collect()
            }
            "order.attributed" => {
                let m = ev::OrderAttributed::decode(p)?;
                let partner = m.partner_id.as_deref().map(|r| uuid(r, "partner_id")).transpose()?;
                Draft::order_attributed(&m.order_id, partner, &m.reason).into_iter().collect()
            }
            "commission.accrued" | "commission.available" => {
                let m = ev::CommissionMoved::decode(p)?;
                let movement = Movement {
                    partner: uuid(&m.partner_id, "partner_id")?,
                    order: &m.order_id,
                    level: m.level,
                    amount: &m.amount,
                    currency: &m.currency,
                    credit_account: &m.credit_account,
                };
                Draft::commission(&name, &movement).into_iter().collect()
            }
            "payout.requested" | "payout.paid" => {
                let m = ev::PayoutChanged::decode(p)?;
                let partner = uuid(&m.partner_id, "partner_id")?;
                let reference = m.reference.as_deref().unwrap_or("");
                let mut d = Draft::payout(&name, partner, &m.payout_id, &m.amount, &m.currency, reference);
                if let (Some(d), Some(who)) = (d.as_mut(), store::partner_name(tx, partner).await?) {
                    d.params.insert("partner_name".into(), who);
                }
                d.into_iter().collect()
            }
            _ => Vec::new(),
        })
    }
}

impl Handler for Events {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let event = uuid(&e.id, "event id")?;
        let mut tx = TenantTx::within(conn, tenant).await?;
        let now = self.0.clock.now();
        for d in self.drafts(&mut tx, e).await? {
            if d.kind == Kind::OrderAttributed && store::told(&mut tx, &d).await? {
                continue;
            }
            if domain::adds_up(&d) && store::add_to_unread(&mut tx, &d).await? {
                continue;
            }
            store::insert(&mut tx, &d, event, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
