//! Customers: the CRM of partners and merchants (customers, notes, communication log),
//! quick-order links and registration. Owns the `partnerline_customers` database and the
//! `CUSTOMERS` stream; asks identity (over gRPC, with the caller's token) only whether a partner
//! exists.

pub mod consumers;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod seed;
pub mod store;

use std::sync::Arc;

use partnerline_proto::customers::v1::customers_server::CustomersServer;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use platform::Runtime;
use platform::consumer::ConsumerSpec;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;

pub use grpc::CustomersService;

pub const SERVICE: &str = "customers";

/// The `[customers]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CustomersConfig {
    pub quick_order_lookups_per_minute: i64,
}

impl Default for CustomersConfig {
    fn default() -> Self {
        CustomersConfig { quick_order_lookups_per_minute: 30 }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

pub fn service(rt: &Runtime, pool: PgPool) -> anyhow::Result<CustomersService> {
    let own: CustomersConfig = rt.config.section(SERVICE)?;
    Ok(CustomersService {
        pool,
        outbox: rt.outbox(events::CONTEXT),
        verifier: rt.verifier()?,
        clock: rt.clock.clone(),
        identity: IdentityClient::new(rt.channel("identity")?),
        settings: Arc::new(grpc::Settings {
            lookups_per_window: own.quick_order_lookups_per_minute,
            lookup_window_secs: 60,
        }),
    })
}

/// Serves the customers gRPC API and relays its outbox until `rt.shutdown`.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let mut started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone())?;
    let spec = ConsumerSpec::new("customers-attribution", "attribution", consumers::ATTRIBUTION);
    started.consume(&rt, spec, consumers::Events(svc.clone()), 1);
    // D2: the program's time zone, which the customer counts count days in.
    let spec = ConsumerSpec::new("customers-identity", "identity", platform::reports::ZONE_SUBJECTS);
    started.consume(&rt, spec, platform::reports::ReportZones { rebuild: "customer_totals_rebuild" }, 1);
    let router = platform::grpc::server(&rt.metrics).add_service(CustomersServer::new(svc));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
