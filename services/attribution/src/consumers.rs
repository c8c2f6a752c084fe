//! What attribution reads: identity's programs and partners (kept as a local copy), customers'
//! registrations (L8) and orders' placements (L9-L11). Each event is applied in the consumer's
//! inbox transaction, so a redelivery changes nothing.

use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent, Run, runs};
use platform::db::TenantTx;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::program;
use crate::service::AttributionService;
use crate::store::{self, PartnerRow};

pub const IDENTITY: &[&str] = &[
    "identity.*.tenant.created",
    "identity.*.program.updated",
    "identity.*.partner.approved",
    "identity.*.partner.updated",
    "identity.*.partner.suspended",
    "identity.*.partner.reactivated",
];
pub const CUSTOMERS: &[&str] = &[
    "customers.*.customer.registered",
    "customers.*.customer.created",
    "customers.*.customer.updated",
    "customers.*.customer.erased",
];
pub const ORDERS: &[&str] = &["orders.*.order.placed"];

#[derive(Clone)]
pub struct Events(pub AttributionService);

fn id(s: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

fn err(e: platform::AppError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code, e.message)
}

impl Handler for Events {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let mut tx = TenantTx::within(conn, tenant).await?;
        let svc = &self.0;
        match e.name().as_str() {
            "tenant.created" => {
                let m = ev::TenantCreated::decode(e.payload.as_ref())?;
                let settings = m.settings.ok_or_else(|| anyhow::anyhow!("tenant.created without settings"))?;
                store::put_program(&mut tx, &program::document(&settings)?, e.time).await?;
            }
            "program.updated" => {
                let m = ev::ProgramUpdated::decode(e.payload.as_ref())?;
                let settings = m.settings.ok_or_else(|| anyhow::anyhow!("program.updated without settings"))?;
                store::put_program(&mut tx, &program::document(&settings)?, e.time).await?;
            }
            "partner.approved" | "partner.updated" => {
                let p = if e.name() == "partner.approved" {
                    ev::PartnerApproved::decode(e.payload.as_ref())?.partner
                } else {
                    ev::PartnerUpdated::decode(e.payload.as_ref())?.partner
                };
                let Some(p) = p else { return Ok(()) };
                let row = PartnerRow {
                    id: id(&p.partner_id)?,
                    user_id: Uuid::parse_str(&p.user_id).ok(),
                    parent_id: p.parent_partner_id.as_deref().and_then(|x| Uuid::parse_str(x).ok()),
                    active: p.status == "active",
                    name: p.name.clone(),
                    email: p.email.trim().to_lowercase(),
                    phone: p.phone.trim().into(),
                    payout_email: p.payout_email.trim().to_lowercase(),
                    payout_holder: p.payout_account_holder.trim().into(),
                };
                store::put_partner(&mut tx, &row, e.time).await?;
                if row.active {
                    svc.ensure_referral_link(&mut tx, row.id).await.map_err(err)?;
                }
                svc.partner_joined(&mut tx, row.id, &row.email).await.map_err(err)?;
            }
            "partner.suspended" | "partner.reactivated" => {
                let m = ev::PartnerStatusChanged::decode(e.payload.as_ref())?;
                store::set_partner_active(&mut tx, id(&m.partner_id)?, m.status == "active", e.time).await?;
            }
            "customer.registered" => {
                let m = ev::CustomerRegistered::decode(e.payload.as_ref())?;
                let Some(c) = m.customer else { return Ok(()) };
                let customer = id(&c.customer_id)?;
                svc.customer_seen(&mut tx, customer, &c).await.map_err(err)?;
                let at = if e.time.timestamp() > 0 { e.time } else { svc.clock.now() };
                svc.registered(&mut tx, customer, m.visitor_id.as_deref(), m.referral_code.as_deref(), at)
                    .await
                    .map_err(err)?;
                svc.signed_up(&mut tx, customer, &m.ip_hash, at).await.map_err(err)?;
            }
            "customer.created" | "customer.updated" => {
                let m = ev::CustomerChanged::decode(e.payload.as_ref())?;
                let Some(c) = m.customer else { return Ok(()) };
                svc.customer_seen(&mut tx, id(&c.customer_id)?, &c).await.map_err(err)?;
            }
            "customer.erased" => {
                let m = ev::CustomerErased::decode(e.payload.as_ref())?;
                store::erase_customer(&mut tx, id(&m.customer_id)?).await?;
            }
            "order.placed" => {
                let m = ev::OrderPlaced::decode(e.payload.as_ref())?;
                svc.orders_placed(&mut tx, std::slice::from_ref(&m)).await.map_err(err)?;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's run of `order.placed` is decided through one `orders_placed` (one read per
    /// table for all its orders); anything else goes one by one, in order.
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[IncomingEvent]) -> anyhow::Result<()> {
        for run in runs(events, |e| e.name() == "order.placed") {
            match run {
                Run::One(e) => self.handle(conn, e).await?,
                Run::Together(tenant, run) => {
                    let placed = run
                        .iter()
                        .map(|e| ev::OrderPlaced::decode(e.payload.as_ref()))
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut tx = TenantTx::within(conn, tenant).await?;
                    self.0.orders_placed(&mut tx, &placed).await.map_err(err)?;
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }
}
