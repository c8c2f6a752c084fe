//! What every handler is given.

use std::sync::Arc;

use partnerline_proto::attribution::v1::attribution_client::AttributionClient;
use partnerline_proto::commissions::v1::commissions_client::CommissionsClient;
use partnerline_proto::customers::v1::customers_client::CustomersClient;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use partnerline_proto::notifications::v1::event_feed_client::EventFeedClient;
use partnerline_proto::notifications::v1::notifications_client::NotificationsClient;
use partnerline_proto::notifications::v1::webhooks_client::WebhooksClient;
use partnerline_proto::orders::v1::orders_client::OrdersClient;
use platform::Clock;
use platform::auth::Verifier;
use platform::metrics::Metrics;
use sqlx::PgPool;
use tonic::transport::Channel;

use crate::auth::ApiKeyCache;

/// Lazy connections to the services behind the gateway.
pub struct Channels {
    pub identity: Channel,
    pub customers: Channel,
    pub orders: Channel,
    pub attribution: Channel,
    pub commissions: Channel,
    pub notifications: Channel,
}

/// The `[gateway]` configuration section.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RedirectConfig {
    /// Where unknown link codes lead: the merchant's shop.
    pub home_url: String,
    /// Salt of the IP hashes clicks carry (L2). Required outside a development run, which uses
    /// [`DEV_IP_HASH_SALT`] when it is not set.
    pub ip_hash_salt: String,
    /// The gateway's public address, which QR codes of links encode.
    pub public_url: String,
    /// CIDRs of the proxies in front of the gateway (the ingress), whose `X-Forwarded-For` is
    /// believed; empty (the default): every client is its peer address.
    pub trusted_proxies: Vec<String>,
    /// Limits on what anyone can do without signing in.
    pub limits: crate::limits::Limits,
    /// `trusted_proxies`, parsed by [`RedirectConfig::resolve`].
    #[serde(skip)]
    pub proxies: crate::auth::TrustedProxies,
}

/// The IP-hash salt of development runs only: its value is public, so IP hashes salted with it
/// can be reversed by trying every address.
pub const DEV_IP_HASH_SALT: &str = "partnerline-dev-salt";

impl RedirectConfig {
    /// The section as configured, with the development salt in a development run; refuses a
    /// missing salt, or the development one, in any other run.
    pub fn resolve(mut self, dev: bool) -> anyhow::Result<RedirectConfig> {
        if dev && self.ip_hash_salt.is_empty() {
            self.ip_hash_salt = DEV_IP_HASH_SALT.into();
        }
        anyhow::ensure!(
            dev || (!self.ip_hash_salt.is_empty() && self.ip_hash_salt != DEV_IP_HASH_SALT),
            "configuration: gateway.ip_hash_salt must be set to a secret of your own (or \
             PARTNERLINE_GATEWAY__IP_HASH_SALT_FILE); the built-in one is for development runs (--dev)"
        );
        self.proxies = crate::auth::TrustedProxies::parse(&self.trusted_proxies)?;
        Ok(self)
    }
}

impl Default for RedirectConfig {
    fn default() -> Self {
        RedirectConfig {
            home_url: "https://shop.example/".into(),
            ip_hash_salt: String::new(),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            limits: crate::limits::Limits::default(),
            proxies: crate::auth::TrustedProxies::default(),
        }
    }
}

/// What every handler shares. Handlers get their own copy per request, so it is one `Arc`: a
/// click must not pay for cloning five gRPC channels.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    identity: IdentityClient<Channel>,
    customers: CustomersClient<Channel>,
    orders: OrdersClient<Channel>,
    attribution: AttributionClient<Channel>,
    commissions: CommissionsClient<Channel>,
    notifications: NotificationsClient<Channel>,
    webhooks: WebhooksClient<Channel>,
    feed: EventFeedClient<Channel>,
    /// Clicks on `/r/{code}`, written by a background task (L2).
    pub clicks: crate::clicks::ClickSink,
    pub redirect: Arc<RedirectConfig>,
    /// Where link codes lead, for `/r/{code}`.
    pub links: Arc<crate::routes::redirect::LinkCache>,
    /// The gateway's own database: idempotency keys only.
    pub db: PgPool,
    pub clock: Clock,
    pub metrics: Metrics,
    pub api_keys: ApiKeyCache,
    /// Checks access tokens before anything else of a protected request is read.
    pub verifier: Verifier,
}

impl AppState {
    pub fn new(
        channels: Channels,
        clicks: crate::clicks::ClickSink,
        redirect: RedirectConfig,
        db: PgPool,
        verifier: Verifier,
        metrics: Metrics,
    ) -> Self {
        let clock = verifier.clock().clone();
        AppState(Arc::new(Shared {
            attribution: AttributionClient::new(channels.attribution),
            commissions: CommissionsClient::new(channels.commissions),
            webhooks: WebhooksClient::new(channels.notifications.clone()),
            feed: EventFeedClient::new(channels.notifications.clone()),
            notifications: NotificationsClient::new(channels.notifications),
            clicks,
            redirect: Arc::new(redirect),
            links: Arc::default(),
            identity: IdentityClient::new(channels.identity),
            customers: CustomersClient::new(channels.customers),
            orders: OrdersClient::new(channels.orders),
            db,
            clock,
            metrics,
            api_keys: ApiKeyCache::default(),
            verifier,
        }))
    }
}

impl Shared {
    /// A client of the attribution service.
    pub fn attribution(&self) -> AttributionClient<Channel> {
        self.attribution.clone()
    }

    /// A client of the commissions service.
    pub fn commissions(&self) -> CommissionsClient<Channel> {
        self.commissions.clone()
    }

    /// A client of the notifications service.
    pub fn notifications(&self) -> NotificationsClient<Channel> {
        self.notifications.clone()
    }

    /// The notifications service's webhooks (I2).
    pub fn webhooks(&self) -> WebhooksClient<Channel> {
        self.webhooks.clone()
    }

    /// The notifications service's event feed (I1).
    pub fn feed(&self) -> EventFeedClient<Channel> {
        self.feed.clone()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn l2_the_built_in_ip_hash_salt_is_for_development_runs_only() {
        assert_eq!(RedirectConfig::default().resolve(true).unwrap().ip_hash_salt, DEV_IP_HASH_SALT);
        let err = RedirectConfig::default().resolve(false).unwrap_err().to_string();
        assert!(err.contains("gateway.ip_hash_salt"), "{err}");
        let copied = RedirectConfig { ip_hash_salt: DEV_IP_HASH_SALT.into(), ..RedirectConfig::default() };
        assert!(copied.resolve(false).is_err(), "the dev salt set by hand is refused too");
        let own = RedirectConfig { ip_hash_salt: "s3cret".into(), ..RedirectConfig::default() };
        assert_eq!(own.resolve(false).unwrap().ip_hash_salt, "s3cret");
    }
}
