//! What every handler is given.

use partnerline_proto::customers::v1::customers_client::CustomersClient;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use platform::Clock;
use platform::metrics::Metrics;
use sqlx::PgPool;
use tonic::transport::Channel;

use crate::auth::ApiKeyCache;

#[derive(Clone)]
pub struct AppState {
    identity: IdentityClient<Channel>,
    customers: CustomersClient<Channel>,
    /// The gateway's own database: idempotency keys only.
    pub db: PgPool,
    pub clock: Clock,
    pub metrics: Metrics,
    pub api_keys: ApiKeyCache,
}

impl AppState {
    pub fn new(identity: Channel, customers: Channel, db: PgPool, clock: Clock, metrics: Metrics) -> Self {
        AppState {
            identity: IdentityClient::new(identity),
            customers: CustomersClient::new(customers),
            db,
            clock,
            metrics,
            api_keys: ApiKeyCache::default(),
        }
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
