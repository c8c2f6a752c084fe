//! What customers reads: attribution's bindings. L8: a customer who registered through a
//! partner's link is assigned to that partner (its CRM owner), unless a partner already owns it.

use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent};
use platform::db::TenantTx;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::grpc::CustomersService;
use crate::{events, store};

pub const ATTRIBUTION: &[&str] = &["attribution.*.customer.bound"];

/// The actor of changes the platform makes on its own (no user asked for them).
const SYSTEM: Uuid = Uuid::nil();

#[derive(Clone)]
pub struct Events(pub CustomersService);

impl Handler for Events {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        if e.name() != "customer.bound" {
            return Ok(());
        }
        let m = ev::BindingChanged::decode(e.payload.as_ref())?;
        if m.cause != "registration" {
            return Ok(());
        }
        let (Some(customer), Ok(partner)) =
            (m.customer_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()), Uuid::parse_str(&m.partner_id))
        else {
            return Ok(());
        };
        let mut tx = TenantTx::within(conn, tenant).await?;
        let Some(mut c) = store::customer_for_update(&mut tx, customer, None).await? else {
            return Ok(()); // deleted meanwhile
        };
        if c.owner_partner_id.is_some() {
            return Ok(()); // the merchant (or an import) gave it an owner already
        }
        c.owner_partner_id = Some(partner);
        c.updated_at = self.0.clock.now();
        store::update_customer(&mut tx, &c).await?;
        let outbox = &self.0.outbox;
        events::customer_changed(outbox, tx.conn(), &c, "updated", &["owner_partner_id"], SYSTEM).await?;
        events::customer_reassigned(outbox, tx.conn(), &c, None, SYSTEM).await?;
        tx.commit().await?;
        Ok(())
    }
}
