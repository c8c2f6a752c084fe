//! Attribution: who brought each customer and each order (L1-L11, X1). Owns the
//! `partnerline_attribution` database and the `ATTRIBUTION` stream; keeps a copy of identity's
//! programs and partners from its events; reads `customer.registered` (L8) and `order.placed`
//! (L9-L11) and publishes `order.attributed`. The rules live in `domain`, free of I/O.

pub mod consumers;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod poster_image;
pub mod program;
pub mod qr;
pub mod seed;
pub mod service;
pub mod store;

use partnerline_proto::attribution::v1::attribution_server::AttributionServer;
use platform::Runtime;
use platform::consumer::ConsumerSpec;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;

pub use service::AttributionService;

pub const SERVICE: &str = "attribution";

/// The `[attribution]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AttributionConfig {
    /// Where referral links and disabled links lead: the merchant's shop.
    pub home_url: String,
}

impl Default for AttributionConfig {
    fn default() -> Self {
        AttributionConfig { home_url: "https://shop.example/".into() }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

pub fn service(rt: &Runtime, pool: PgPool) -> anyhow::Result<AttributionService> {
    let own: AttributionConfig = rt.config.section(SERVICE)?;
    Ok(AttributionService::new(
        pool,
        rt.outbox(events::CONTEXT),
        rt.verifier()?,
        rt.clock.clone(),
        own.home_url,
        rt.channel("customers")?,
    ))
}

/// Serves the attribution gRPC API, consumes identity, customers and orders events, and relays
/// its outbox, until `rt.shutdown`.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let mut started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone())?;
    // Each order is decided once, whatever else is decided beside it (`order_placed` tells a racing
    // delivery by the order's attribution), so two loops share the orders consumer, as two
    // replicas would; identity and customers events are read by one, in order.
    for (context, filters, loops) in
        [("identity", consumers::IDENTITY, 1), ("customers", consumers::CUSTOMERS, 1), ("orders", consumers::ORDERS, 2)]
    {
        let spec = ConsumerSpec::new(&format!("attribution-{context}"), context, filters);
        started.consume(&rt, spec, consumers::Events(svc.clone()), loops);
    }
    let router = platform::grpc::server(&rt.metrics).add_service(AttributionServer::new(svc));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
