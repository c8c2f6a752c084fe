//! Orders: the catalog (O1), orders and their workflow (O2-O7), wholesale (O9), coupons (L9, X2),
//! payment links (O3) and quick orders (CU8). Owns the `partnerline_orders` database and the
//! `ORDERS` stream; asks identity for program settings and customers for the customer of an order,
//! each with the caller's token.

pub mod consumers;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod payments;
pub mod seed;
pub mod store;

use std::sync::Arc;

use partnerline_proto::customers::v1::customers_client::CustomersClient;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use partnerline_proto::orders::v1::orders_server::OrdersServer;
use platform::Runtime;
use sqlx::PgPool;
use tokio::net::TcpListener;

pub use grpc::OrdersService;

pub const SERVICE: &str = "orders";

/// The `[orders]` configuration section.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrdersConfig {
    /// Secrets of payment providers' signed webhooks, by provider name
    /// (`PARTNERLINE_ORDERS__WEBHOOK_SECRETS__<PROVIDER>`).
    pub webhook_secrets: std::collections::BTreeMap<String, String>,
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

pub fn service(rt: &Runtime, pool: PgPool) -> anyhow::Result<OrdersService> {
    let own: OrdersConfig = rt.config.section(SERVICE)?;
    Ok(OrdersService {
        pool,
        outbox: rt.outbox(events::CONTEXT),
        verifier: rt.verifier()?,
        clock: rt.clock.clone(),
        identity: IdentityClient::new(rt.channel("identity")?),
        customers: CustomersClient::new(rt.channel("customers")?),
        provider: payments::provider(rt.config.dev),
        webhook_secrets: Arc::new(own.webhook_secrets),
        imports: Arc::new(tokio::sync::Semaphore::new(grpc::IMPORTS_AT_ONCE)),
    })
}

/// Serves the orders gRPC API and relays its outbox until `rt.shutdown`.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let mut started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone())?;
    let spec = platform::consumer::ConsumerSpec::new("orders-attribution", "attribution", consumers::ATTRIBUTION);
    started.consume(&rt, spec, consumers::Attributed, 1);
    let spec = platform::consumer::ConsumerSpec::new("orders-customers", "customers", consumers::CUSTOMERS);
    started.consume(&rt, spec, consumers::Erased, 1);
    // D2, X6: the program's time zone, which the sales totals count days in, and its currency.
    let spec = platform::consumer::ConsumerSpec::new("orders-identity", "identity", platform::reports::ZONE_SUBJECTS);
    started.consume(&rt, spec, consumers::Programs, 1);
    let router = platform::grpc::server(&rt.metrics).add_service(OrdersServer::new(svc));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
