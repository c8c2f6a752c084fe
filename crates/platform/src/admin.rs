//! The admin port: `/healthz` (the process is alive), `/readyz` (its dependencies answer),
//! `/metrics` (Prometheus). Kept off the public port so probes and scrapes need no auth.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::metrics::{Health, Metrics};

#[derive(Clone)]
struct AdminState {
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
}

pub fn router(metrics: Metrics, health: Health, shutdown: CancellationToken) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(AdminState { metrics, health, shutdown })
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
) -> anyhow::Result<()> {
    let app = router(metrics, health, shutdown.clone());
    axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
    Ok(())
}
