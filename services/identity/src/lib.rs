//! Identity: tenants (merchant programs) and their settings, users and roles, partners and
//! teams, applications and invites, sessions (EdDSA access tokens, hashed refresh tokens) and
//! API keys. It signs the tokens every other service verifies. It owns the `partnerline_identity`
//! database and the `IDENTITY` stream; it never reads another service's data.

pub mod credentials;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod seed;
pub mod store;

use std::sync::Arc;

use partnerline_proto::identity::v1::identity_server::IdentityServer;
use platform::Runtime;
use platform::auth::Signer;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;

pub use grpc::IdentityService;

pub const SERVICE: &str = "identity";

/// The `[identity]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdentityConfig {
    /// Failed sign-ins per email within the window before sign-in is refused for a while.
    pub max_failures_per_email: i64,
    /// Failed sign-ins per client (IP) within the window.
    pub max_failures_per_client: i64,
    pub failure_window_secs: i64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig { max_failures_per_email: 5, max_failures_per_client: 30, failure_window_secs: 900 }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// Builds the service over an open pool.
pub fn service(rt: &Runtime, pool: PgPool) -> anyhow::Result<IdentityService> {
    let cfg = &rt.config;
    let own: IdentityConfig = cfg.section(SERVICE)?;
    let signer = Signer::from_config(&cfg.auth)?
        .ok_or_else(|| anyhow::anyhow!("configuration: identity needs auth.signing_key"))?;
    Ok(IdentityService {
        pool,
        outbox: rt.outbox(events::CONTEXT),
        signer: Arc::new(signer),
        verifier: rt.verifier()?,
        clock: rt.clock.clone(),
        settings: Arc::new(grpc::Settings {
            access_ttl_secs: i64::try_from(cfg.auth.access_token_ttl_secs)?,
            refresh_ttl_days: i64::try_from(cfg.auth.refresh_token_ttl_days)?,
            argon2_memory_kib: cfg.auth.argon2_memory_kib,
            max_failures_per_email: own.max_failures_per_email,
            max_failures_per_client: own.max_failures_per_client,
            failure_window_secs: own.failure_window_secs,
        }),
    })
}

/// Serves identity's gRPC API on `listener` and relays its outbox until `rt.shutdown`; then
/// finishes in-flight calls and flushes the outbox before returning.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone())?;
    let router = platform::grpc::server(&rt.metrics).add_service(IdentityServer::new(svc));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
