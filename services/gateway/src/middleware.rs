//! Around every request: a span that continues the caller's trace, metrics by route template,
//! and a time limit. `/r/{code}` has a lean stack of its own ([`observe_redirect`]).

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use platform::metrics::{Metrics, labels};
use platform::telemetry::{HttpHeadersRef, set_remote_parent};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use tracing::Instrument;

use crate::problem::problem;

/// Requests taking longer are answered 504.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn observe(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let span = tracing::info_span!("http", %method, %route, status = tracing::field::Empty);
    set_remote_parent(&span, &HttpHeadersRef(req.headers()));
    let started = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let status = res.status().as_u16().to_string();
    span.record("status", status.as_str());
    metrics.http_requests.get_or_create(&labels(&[("method", &method), ("route", &route), ("status", &status)])).inc();
    metrics
        .http_duration
        .get_or_create(&labels(&[("method", &method), ("route", &route)]))
        .observe(started.elapsed().as_secs_f64());
    res
}

pub async fn timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => problem(StatusCode::GATEWAY_TIMEOUT, "timeout", "Timeout", "the request took too long; try again"),
    }
}

/// The series a redirect records, looked up once: `GET /r/{code}` always answers 302.
#[derive(Clone)]
pub struct RedirectMetrics {
    requests: Counter,
    duration: Histogram,
}

impl RedirectMetrics {
    pub fn new(metrics: &Metrics, route: &str) -> Self {
        let requests =
            metrics.http_requests.get_or_create(&labels(&[("method", "GET"), ("route", route), ("status", "302")]));
        let duration = metrics.http_duration.get_or_create(&labels(&[("method", "GET"), ("route", route)]));
        RedirectMetrics { requests: requests.clone(), duration: duration.clone() }
    }
}

/// L2: a click is counted and timed like any request, without a span, label sets built per
/// request or a time limit (the handler bounds its one lookup itself): a redirect is a map
/// lookup, and the stack around it must not cost more than it.
pub async fn observe_redirect(State(m): State<RedirectMetrics>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let res = next.run(req).await;
    m.requests.inc();
    m.duration.observe(started.elapsed().as_secs_f64());
    res
}
