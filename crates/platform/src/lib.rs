//! The shared runtime of every Partnerline service: configuration, telemetry, metrics and
//! health, PostgreSQL (pool, migrations, tenant-scoped transactions), NATS (streams, the
//! transactional outbox and the inbox-guarded consumer), CloudEvents, authentication, `Currency`,
//! `Clock`, errors and graceful shutdown.
//!
//! It must never hold a business rule: nothing here knows what a partner or an order is.

pub mod admin;
pub mod auth;
pub mod clock;
pub mod cloudevents;
pub mod config;
pub mod consumer;
pub mod db;
pub mod error;
pub mod grpc;
pub mod metrics;
pub mod money;
pub mod nats;
pub mod outbox;
pub mod paging;
pub mod reports;
pub mod revocations;
pub mod shutdown;
pub mod telemetry;
pub mod testkit;
pub mod upkeep;
pub mod values;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use clock::Clock;
pub use config::Config;
pub use error::{AppError, ErrorKind};
pub use money::Currency;

/// What a service is given when it starts: configuration, time, metrics, health checks and the
/// process's shutdown signal. Several services in one process share one `Runtime`.
#[derive(Clone)]
pub struct Runtime {
    pub config: Arc<Config>,
    pub clock: Clock,
    pub metrics: metrics::Metrics,
    pub health: metrics::Health,
    pub shutdown: CancellationToken,
    /// What ended before its tokens expire; every verifier of the process refuses it.
    pub revoked: auth::Revocations,
}

impl Runtime {
    pub fn new(config: Config, clock: Clock, shutdown: CancellationToken) -> Self {
        Runtime {
            config: Arc::new(config),
            clock,
            metrics: metrics::Metrics::new(),
            health: metrics::Health::default(),
            shutdown,
            revoked: auth::Revocations::default(),
        }
    }

    /// Connects to the service's database and applies its migrations, nothing more (`partnerline
    /// migrate`, `seed`).
    pub async fn migrated(&self, service: &str, migrator: sqlx::migrate::Migrator) -> anyhow::Result<sqlx::PgPool> {
        let pool = db::connect(&self.config, service).await?;
        db::migrate(&pool, migrator).await?;
        Ok(pool)
    }

    /// The outbox of a service publishing on the `context` stream.
    pub fn outbox(&self, context: &'static str) -> outbox::Outbox {
        outbox::Outbox::new(context, nats::Naming::new(&self.config.nats.prefix), self.clock.clone())
    }

    /// The verifier of access tokens, on this runtime's clock.
    pub fn verifier(&self) -> anyhow::Result<auth::Verifier> {
        Ok(auth::Verifier::from_config(&self.config.auth, self.clock.clone())?.with_revocations(self.revoked.clone()))
    }

    /// A lazily connecting channel to another service, at its configured address.
    pub fn channel(&self, service: &str) -> anyhow::Result<tonic::transport::Channel> {
        grpc::channel(&self.config.endpoint(service)?.url)
    }

    /// Connects to the service's database, applies its migrations and registers a readiness check.
    pub async fn database(&self, service: &str, migrator: sqlx::migrate::Migrator) -> anyhow::Result<sqlx::PgPool> {
        let pool = self.migrated(service, migrator).await?;
        tokio::spawn(upkeep::run(pool.clone(), self.config.database.upkeep, self.shutdown.clone()));
        let p = pool.clone();
        self.health.add_check(&format!("{service} database"), move || {
            let p = p.clone();
            async move {
                sqlx::query("SELECT 1").execute(&p).await?;
                Ok(())
            }
        });
        Ok(pool)
    }

    /// What every service starts with: its migrated database (with upkeep and a readiness check),
    /// NATS with the stream of its `context`, and its outbox relay running in `tasks`.
    pub async fn start(
        &self,
        service: &str,
        migrator: sqlx::migrate::Migrator,
        context: &str,
    ) -> anyhow::Result<Started> {
        let pool = self.database(service, migrator).await?;
        let bus = self.bus(service).await?;
        bus.ensure_stream(context).await?;
        let mut tasks = grpc::Tasks::new();
        let relay = outbox::Relay::new(pool.clone(), bus.clone(), self.metrics.clone());
        tasks.spawn(relay.run(self.shutdown.clone()));
        Ok(Started { pool, bus, tasks })
    }

    /// Connects to NATS and registers a readiness check.
    pub async fn bus(&self, service: &str) -> anyhow::Result<nats::Bus> {
        let bus = nats::Bus::connect(&self.config.nats, &format!("partnerline-{service}")).await?;
        let b = bus.clone();
        self.health.add_check(&format!("{service} nats"), move || {
            let ok = b.is_connected();
            async move { if ok { Ok(()) } else { anyhow::bail!("not connected") } }
        });
        Ok(bus)
    }
}

/// A started service's database, bus and background tasks (see [`Runtime::start`]).
pub struct Started {
    pub pool: sqlx::PgPool,
    pub bus: nats::Bus,
    pub tasks: grpc::Tasks,
}

impl Started {
    /// Runs `loops` loops of the durable consumer `spec` (several share its messages, as
    /// replicas do), stopped with the service.
    pub fn consume<H: consumer::Handler + Clone>(
        &mut self,
        rt: &Runtime,
        spec: consumer::ConsumerSpec,
        handler: H,
        loops: usize,
    ) {
        consumer::spawn(&mut self.tasks, rt, &self.pool, &self.bus, spec, handler, loops);
    }
}
