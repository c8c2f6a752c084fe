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

/// What an `order.attributed` asks of the orders table.
struct Decision {
    tenant: Uuid,
    order: Uuid,
    partner: Option<Uuid>,
    version: i32,
    reason: String,
}

fn decision(e: &IncomingEvent) -> anyhow::Result<Option<Decision>> {
    let Some(tenant) = e.tenant else { return Ok(None) };
    let m = ev::OrderAttributed::decode(e.payload.as_ref())?;
    Ok(Some(Decision {
        tenant,
        order: Uuid::parse_str(&m.order_id)?,
        partner: m.partner_id.as_deref().map(Uuid::parse_str).transpose()?,
        version: m.attribution_version as i32,
        reason: m.reason,
    }))
}

async fn apply(conn: &mut PgConnection, d: &Decision) -> anyhow::Result<()> {
    crate::store::set_attribution(conn, d.tenant, d.order, d.partner, d.version, &d.reason).await?;
    Ok(())
}

impl Handler for Attributed {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        if let Some(d) = decision(e)? {
            apply(conn, &d).await?;
        }
        Ok(())
    }

    /// A batch updates its orders in id order, the order an import locks them in, so the two
    /// never deadlock (a later attribution version wins whatever the order it is applied in).
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[IncomingEvent]) -> anyhow::Result<()> {
        let mut decisions = Vec::with_capacity(events.len());
        for e in events {
            decisions.extend(decision(e)?);
        }
        decisions.sort_by_key(|d| (d.tenant, d.order));
        for d in &decisions {
            apply(conn, d).await?;
        }
        Ok(())
    }
}
