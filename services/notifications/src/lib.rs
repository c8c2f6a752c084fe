//! Notifications: what the platform tells the people of a program (N1), made from the other
//! services' events (identity, customers, attribution, commissions). Owns the
//! `partnerline_notifications` database; calls no other service.

pub mod consumers;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

use partnerline_proto::notifications::v1::notifications_server::NotificationsServer;
use platform::Runtime;
use platform::consumer::ConsumerSpec;
use sqlx::PgPool;
use tokio::net::TcpListener;

pub use grpc::NotificationsService;

pub const SERVICE: &str = "notifications";

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

pub fn service(rt: &Runtime, pool: PgPool) -> anyhow::Result<NotificationsService> {
    Ok(NotificationsService { pool, verifier: rt.verifier()?, clock: rt.clock.clone() })
}

/// Serves the notifications gRPC API and makes notifications from events until `rt.shutdown`.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let mut started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone())?;
    for (durable, context, subjects) in [
        ("notifications-identity", "identity", consumers::IDENTITY),
        ("notifications-customers", "customers", consumers::CUSTOMERS),
        ("notifications-attribution", "attribution", consumers::ATTRIBUTION),
        ("notifications-commissions", "commissions", consumers::COMMISSIONS),
    ] {
        started.consume(&rt, ConsumerSpec::new(durable, context, subjects), consumers::Events(svc.clone()), 1);
    }
    let router = platform::grpc::server(&rt.metrics).add_service(NotificationsServer::new(svc));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
