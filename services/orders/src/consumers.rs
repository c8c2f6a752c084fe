//! What orders reads: `attribution.*.order.attributed`. The order's partner becomes the one
//! attribution decided (the highest attribution version wins), so a partner sees the orders
//! attributed to it. And `customers.*.customer.erased` (X7).

use std::collections::BTreeMap;

use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent};
use platform::db::TenantTx;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::{AttributionDecision, set_attributions};

pub const ATTRIBUTION: &[&str] = &["attribution.*.order.attributed"];
pub const CUSTOMERS: &[&str] = &["customers.*.customer.erased"];

/// X7: an erased customer's name and email leave its orders.
#[derive(Clone)]
pub struct Erased;

impl Handler for Erased {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let m = ev::CustomerErased::decode(e.payload.as_ref())?;
        let mut tx = TenantTx::within(conn, tenant).await?;
        crate::store::erase_customer(&mut tx, Uuid::parse_str(&m.customer_id)?).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Clone)]
pub struct Attributed;

/// What an `order.attributed` asks of the orders table: its tenant and the decision.
fn decision(e: &IncomingEvent) -> anyhow::Result<Option<(Uuid, AttributionDecision)>> {
    let Some(tenant) = e.tenant else { return Ok(None) };
    let m = ev::OrderAttributed::decode(e.payload.as_ref())?;
    Ok(Some((
        tenant,
        AttributionDecision {
            order: Uuid::parse_str(&m.order_id)?,
            partner: m.partner_id.as_deref().map(Uuid::parse_str).transpose()?,
            version: m.attribution_version as i32,
            reason: m.reason,
        },
    )))
}

impl Handler for Attributed {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        self.handle_batch(conn, std::slice::from_ref(e)).await
    }

    /// A batch's decisions are applied a tenant at a time, in one update (`set_attributions`
    /// locks the orders in id order, as an import does, so the two never deadlock; a later
    /// attribution version wins whatever the order it is applied in).
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[IncomingEvent]) -> anyhow::Result<()> {
        let mut by_tenant: BTreeMap<Uuid, Vec<AttributionDecision>> = BTreeMap::new();
        for e in events {
            if let Some((tenant, d)) = decision(e)? {
                by_tenant.entry(tenant).or_default().push(d);
            }
        }
        for (tenant, decisions) in by_tenant {
            set_attributions(conn, tenant, &decisions).await?;
        }
        Ok(())
    }
}

/// identity's programs: the time zone the sales totals count days in (D2), and the reporting
/// currency the orders' exchange rates point to (X6).
#[derive(Clone, Copy)]
pub struct Programs;

impl Handler for Programs {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        platform::reports::ReportZones { rebuild: "sales_totals_rebuild" }.handle(conn, e).await?;
        let Some(tenant) = e.tenant else { return Ok(()) };
        let settings = match e.name().as_str() {
            "tenant.created" => ev::TenantCreated::decode(e.payload.as_ref())?.settings,
            "program.updated" => ev::ProgramUpdated::decode(e.payload.as_ref())?.settings,
            _ => None,
        };
        if let Some(s) = settings.filter(|s| !s.currency.trim().is_empty()) {
            crate::store::put_program_currency(conn, tenant, s.currency.trim()).await?;
        }
        Ok(())
    }
}
