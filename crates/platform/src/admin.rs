//! The admin port: `/healthz` (the process is alive), `/readyz` (its dependencies answer),
//! `/metrics` (Prometheus). Kept off the public port so probes and scrapes need no auth.
//! Under the manual clock of a development run, also `POST /clock?advance_seconds=N`, so a test
//! of several processes moves every process's time.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::Clock;
use crate::metrics::{Health, Metrics};

#[derive(Clone)]
struct AdminState {
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
    clock: Clock,
}

pub fn router(metrics: Metrics, health: Health, shutdown: CancellationToken, clock: Clock) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text));
    // Only a manual clock can be moved, and only a development run has one.
    if clock.is_manual() {
        router = router.route("/clock", post(move_clock));
    }
    router.with_state(AdminState { metrics, health, shutdown, clock })
}

#[derive(serde::Deserialize)]
struct ClockMove {
    advance_seconds: i64,
}

async fn move_clock(State(s): State<AdminState>, Query(q): Query<ClockMove>) -> impl IntoResponse {
    match chrono::Duration::try_seconds(q.advance_seconds) {
        Some(by) if q.advance_seconds >= 0 => {
            s.clock.advance(by);
            (StatusCode::OK, s.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true) + "\n")
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "advance_seconds: a number of seconds, 0 or more\n".to_string()),
    }
}

async fn readyz(State(s): State<AdminState>) -> impl IntoResponse {
    if s.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".to_string());
    }
    let failures = s.health.failures().await;
    if failures.is_empty() {
        (StatusCode::OK, "ready\n".to_string())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, failures.join("\n") + "\n")
    }
}

async fn metrics_text(State(s): State<AdminState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], s.metrics.render())
}

/// Serves the admin endpoints until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
    clock: Clock,
) -> anyhow::Result<()> {
    let app = router(metrics, health, shutdown.clone(), clock);
    axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
    Ok(())
}
