//! What orders reads: `attribution.*.order.attributed`. The order's partner becomes the one
//! attribution decided (the highest attribution version wins), so a partner sees the orders
//! attributed to it.

use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

pub const ATTRIBUTION: &[&str] = &["attribution.*.order.attributed"];

pub struct Attributed;

impl Handler for Attributed {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let m = ev::OrderAttributed::decode(e.payload.as_ref())?;
        let order = Uuid::parse_str(&m.order_id)?;
        let partner = m.partner_id.as_deref().map(Uuid::parse_str).transpose()?;
        crate::store::set_attribution(conn, tenant, order, partner, m.attribution_version as i32, &m.reason).await?;
        Ok(())
    }
}
