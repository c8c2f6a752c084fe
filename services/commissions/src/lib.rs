//! Commissions: what partners earn and are paid (C1-C11, LE6, X2, X3, X5). Owns the
//! `partnerline_commissions` database and the `COMMISSIONS` stream; keeps a copy of identity's
//! programs and partners; folds the facts of each order from the orders and attribution streams
//! (in any order) and recomputes the order's commission into a double-entry ledger; moves holds
//! on with the `Clock`; pays leads, payouts and automatic settlements. The rules live in
//! `domain`, free of I/O.

pub mod consumers;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod program;
pub mod seed;
pub mod service;
pub mod store;

use std::time::Duration;

use partnerline_proto::commissions::v1::commissions_server::CommissionsServer;
use platform::Runtime;
use platform::consumer::ConsumerSpec;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use service::CommissionsService;

pub const SERVICE: &str = "commissions";

/// How often the jobs look for holds that ended and settlements that are due.
const TICK: Duration = Duration::from_millis(250);

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

pub fn service(rt: &Runtime, pool: PgPool) -> anyhow::Result<CommissionsService> {
    Ok(CommissionsService::new(
        pool,
        rt.outbox(events::CONTEXT),
        rt.verifier()?,
        rt.clock.clone(),
        rt.channel("orders")?,
    ))
}

/// Loops sharing each of the orders and attribution consumers: more read faster but wait on each
/// other's uncommitted facts rows (docs/decisions/2026-12-01-commissions-fact-loops.md).
const FACT_LOOPS: usize = 2;

/// C3, C9: ends holds whose time has come and runs due settlements, by the service's `Clock`
/// (so a manual clock moves them in tests). Replicas share the work: each order and program is
/// locked while one of them handles it.
pub async fn jobs(svc: CommissionsService, shutdown: CancellationToken) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(TICK) => {}
        }
        if let Err(e) = svc.release_due().await {
            tracing::warn!(error = %e, "releasing held commissions failed; trying again");
        }
        if let Err(e) = svc.settle_due().await {
            tracing::warn!(error = %e, "automatic settlement failed; trying again");
        }
    }
}

/// Serves the commissions gRPC API, consumes identity, customers, orders and attribution
/// events, runs the jobs and relays its outbox, until `rt.shutdown`.
pub async fn run(rt: Runtime, listener: TcpListener) -> anyhow::Result<()> {
    let mut started = rt.start(SERVICE, migrator(), events::CONTEXT).await?;
    let svc = service(&rt, started.pool.clone())?;
    started.tasks.spawn(jobs(svc.clone(), rt.shutdown.clone()));
    // An order's facts fold the same in any order (`domain::Facts`), so orders and attribution
    // events are read by two loops each, as two replicas would: one batch is computed while the
    // other is written. Programs, partners and customers are read by one, in order.
    // The same fold makes a redelivered fact old news (it changes no order's facts, so nothing is
    // recomputed or written: the property test `any_arrival_order_with_duplicates_yields_the_same_ledger`
    // holds it), so those two consumers keep no inbox: a fact costs no inbox row, and the inbox
    // does not grow by every order event. The others keep theirs (a won lead pays once through it).
    for (context, filters, loops, facts) in [
        ("identity", consumers::IDENTITY, 1, false),
        ("customers", consumers::CUSTOMERS, 1, false),
        ("orders", consumers::ORDERS, FACT_LOOPS, true),
        ("attribution", consumers::ATTRIBUTION, FACT_LOOPS, true),
    ] {
        let mut spec = ConsumerSpec::new(&format!("commissions-{context}"), context, filters);
        if facts {
            spec = spec.without_inbox();
        }
        started.consume(&rt, spec, consumers::Events(svc.clone()), loops);
    }
    let router = platform::grpc::server(&rt.metrics).add_service(CommissionsServer::new(svc));
    platform::grpc::serve_service(&rt, SERVICE, listener, router, started.tasks).await
}
