//! What every handler is given.

use partnerline_proto::customers::v1::customers_client::CustomersClient;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use partnerline_proto::orders::v1::orders_client::OrdersClient;
use platform::Clock;
use platform::metrics::Metrics;
use sqlx::PgPool;
use tonic::transport::Channel;

use crate::auth::ApiKeyCache;

/// Lazy connections to the services behind the gateway.
pub struct Channels {
    pub identity: Channel,
    pub customers: Channel,
    pub orders: Channel,
}

#[derive(Clone)]
pub struct AppState {
    identity: IdentityClient<Channel>,
    customers: CustomersClient<Channel>,
    orders: OrdersClient<Channel>,
    /// The gateway's own database: idempotency keys only.
    pub db: PgPool,
    pub clock: Clock,
    pub metrics: Metrics,
    pub api_keys: ApiKeyCache,
}

impl AppState {
    pub fn new(channels: Channels, db: PgPool, clock: Clock, metrics: Metrics) -> Self {
        AppState {
            identity: IdentityClient::new(channels.identity),
            customers: CustomersClient::new(channels.customers),
            orders: OrdersClient::new(channels.orders),
            db,
            clock,
            metrics,
            api_keys: ApiKeyCache::default(),
        }
    }

    /// A client of the orders service.
    pub fn orders(&self) -> OrdersClient<Channel> {
        self.orders.clone()
    }

    /// A client of the customers service.
    pub fn customers(&self) -> CustomersClient<Channel> {
        self.customers.clone()
    }

    /// A client of the identity service (clones share one connection).
    pub fn identity(&self) -> IdentityClient<Channel> {
        self.identity.clone()
    }
}
