//! Notifications: what the platform tells the people of a program (N1), made from the other
//! services' events (identity, customers, attribution, commissions). Owns the
//! `partnerline_notifications` database; calls no other service.

pub mod consumers;
pub mod deliverer;
pub mod domain;
pub mod email;
pub mod events;
pub mod feed;
pub mod grpc;
pub mod mailer;
pub mod store;
pub mod webhooks;

use partnerline_proto::notifications::v1::event_feed_server::EventFeedServer;
use partnerline_proto::notifications::v1::notifications_server::NotificationsServer;
use partnerline_proto::notifications::v1::webhooks_server::WebhooksServer;
use platform::Runtime;
use platform::consumer::ConsumerSpec;
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use grpc::{FeedService, MailSettings, NotificationsService};
pub use mailer::{Mailer, NotificationsConfig};

pub const SERVICE: &str = "notifications";

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// The gateway's public address, which the emails' links start with (`[gateway] public_url`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Gateway {
    public_url: String,
}

pub fn service(rt: &Runtime, pool: PgPool, mailer: &Mailer) -> anyhow::Result<NotificationsService> {
    let public_url = rt.config.section::<Gateway>("gateway")?.public_url;
    let public_url = if public_url.is_empty() { rt.config.endpoint("gateway")?.url.clone() } else { public_url };
    let mail = Arc::new(MailSettings { domain: mailer.domain().to_string(), public_url });
    let outbox = rt.outbox(events::CONTEXT);
    let dev = rt.config.dev;
    Ok(NotificationsService { pool, verifier: rt.verifier()?, clock: rt.clock.clone(), outbox, mail, dev })
}

/// Serves the notifications gRPC API and makes notifications from events until `rt.shutdown`.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let config = rt.config.section::<NotificationsConfig>(SERVICE)?;
    let mailer = Mailer::from_config(&config)?;
    let mut started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone(), &mailer)?;
    for (durable, context, subjects) in [
        ("notifications-identity", "identity", consumers::IDENTITY),
        ("notifications-customers", "customers", consumers::CUSTOMERS),
        ("notifications-orders", "orders", consumers::ORDERS),
        ("notifications-attribution", "attribution", consumers::ATTRIBUTION),
        ("notifications-commissions", "commissions", consumers::COMMISSIONS),
    ] {
        started.consume(&rt, ConsumerSpec::new(durable, context, subjects), consumers::Events(svc.clone()), 1);
    }
    // I2: every context's events, for the endpoints that want them.
    for context in partnerline_proto::catalog::CONTEXTS {
        let spec = ConsumerSpec::new(&format!("notifications-webhooks-{context}"), context, &[&format!("{context}.>")])
            .without_inbox();
        started.consume(&rt, spec, consumers::Webhooks(svc.clone()), 1);
    }
    started.tasks.spawn(mailer.run(started.pool.clone(), rt.clock.clone(), rt.shutdown.clone()));
    let deliverer = deliverer::Deliverer::new(config.webhooks.clone(), rt.config.dev)?;
    started.tasks.spawn(deliverer.run(started.pool.clone(), rt.clock.clone(), rt.shutdown.clone()));
    let router = platform::grpc::server(&rt.metrics)
        .add_service(NotificationsServer::new(svc.clone()))
        .add_service(WebhooksServer::new(svc.clone()))
        .add_service(EventFeedServer::new(FeedService {
            feed: feed::Feed::new(started.bus.clone()),
            verifier: svc.verifier.clone(),
        }));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
