//! Prometheus metrics (OpenMetrics text on the admin port's `/metrics`) and the
//! readiness checks behind `/readyz`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub type Labels = Vec<(String, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics every part of the platform records. Cloning shares them.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    /// HTTP requests by method, route template and status.
    pub http_requests: Family<Labels, Counter>,
    pub http_duration: HistogramFamily,
    /// gRPC calls by service, method and status code.
    pub grpc_requests: Family<Labels, Counter>,
    /// Events the outbox relay published, by stream.
    pub events_published: Family<Labels, Counter>,
    /// Events consumed, by consumer and outcome (applied, duplicate, retried, dead_lettered).
    pub events_consumed: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("partnerline");
        let http_requests = Family::<Labels, Counter>::default();
        let http_duration = HistogramFamily::new_with_constructor(latency_histogram as fn() -> Histogram);
        let grpc_requests = Family::<Labels, Counter>::default();
        let events_published = Family::<Labels, Counter>::default();
        let events_consumed = Family::<Labels, Counter>::default();
        registry.register("http_requests", "HTTP requests served", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", http_duration.clone());
        registry.register("grpc_requests", "gRPC calls served", grpc_requests.clone());
        registry.register("events_published", "Events published by the outbox relay", events_published.clone());
        registry.register("events_consumed", "Events handled by consumers", events_consumed.clone());
        Metrics {
            registry: Arc::new(Mutex::new(registry)),
            http_requests,
            http_duration,
            grpc_requests,
            events_published,
            events_consumed,
        }
    }

    /// Lets a service register metrics of its own.
    pub fn register<M: prometheus_client::registry::Metric>(&self, name: &str, help: &str, metric: M) {
        if let Ok(mut r) = self.registry.lock() {
            r.register(name, help, metric);
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(r) = self.registry.lock() {
            let _ = encode(&mut out, &r);
        }
        out
    }
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

type Check = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Readiness: every registered check must pass (database reachable, NATS connected...), and
/// every service the process runs must have finished starting.
#[derive(Clone, Default)]
pub struct Health {
    checks: Arc<Mutex<Vec<(String, Check)>>>,
    started: Arc<Mutex<std::collections::BTreeMap<String, bool>>>,
}

impl Health {
    /// The process will run `service`: not ready until [`Health::started`] says it serves. Its
    /// other checks appear only once it has connected, so without this a service still
    /// connecting (or about to fail to) would look ready.
    pub fn starting(&self, service: &str) {
        if let Ok(mut s) = self.started.lock() {
            s.insert(service.to_string(), false);
        }
    }

    /// `service` has connected to everything and serves.
    pub fn started(&self, service: &str) {
        if let Ok(mut s) = self.started.lock() {
            s.insert(service.to_string(), true);
        }
    }

    pub fn add_check<F, Fut>(&self, name: &str, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let check: Check = Arc::new(move || Box::pin(check()));
        if let Ok(mut c) = self.checks.lock() {
            c.push((name.to_string(), check));
        }
    }

    /// Runs every check (each bounded by a timeout) and returns the failures.
    pub async fn failures(&self) -> Vec<String> {
        let checks: Vec<(String, Check)> = self.checks.lock().map(|c| c.clone()).unwrap_or_default();
        let mut failed: Vec<String> = self
            .started
            .lock()
            .map(|s| s.iter().filter(|(_, up)| !**up).map(|(name, _)| format!("{name}: starting")).collect())
            .unwrap_or_default();
        for (name, check) in checks {
            match tokio::time::timeout(Duration::from_secs(2), check()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failed.push(format!("{name}: {e}")),
                Err(_) => failed.push(format!("{name}: timed out")),
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn recorded_metrics_appear_in_the_exposition() {
        let m = Metrics::new();
        m.http_requests.get_or_create(&labels(&[("route", "/api/v1/me"), ("status", "200")])).inc();
        m.http_duration.get_or_create(&labels(&[("route", "/api/v1/me")])).observe(0.01);
        let text = m.render();
        assert!(text.contains(r#"partnerline_http_requests_total{route="/api/v1/me",status="200"} 1"#), "{text}");
        assert!(text.contains("partnerline_http_request_duration_seconds_bucket"));
    }

    #[tokio::test]
    async fn readiness_reports_each_failing_check_by_name() {
        let h = Health::default();
        h.add_check("database", || async { Ok(()) });
        h.add_check("nats", || async { anyhow::bail!("disconnected") });
        assert_eq!(h.failures().await, vec!["nats: disconnected".to_string()]);
    }

    /// A service still connecting has registered none of its checks yet: it is not ready until
    /// it says it serves (found by running a service against an unreachable NATS).
    #[tokio::test]
    async fn a_service_is_not_ready_until_it_has_started() {
        let h = Health::default();
        h.starting("orders");
        h.starting("gateway");
        assert_eq!(h.failures().await, vec!["gateway: starting".to_string(), "orders: starting".to_string()]);
        h.started("orders");
        assert_eq!(h.failures().await, vec!["gateway: starting".to_string()]);
        h.started("gateway");
        assert!(h.failures().await.is_empty());
    }
}
