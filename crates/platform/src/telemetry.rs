//! Logs and traces. JSON logs to stdout; OpenTelemetry spans exported over OTLP/gRPC when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The W3C trace context (`traceparent`) is carried
//! through HTTP headers, gRPC metadata and NATS message headers, so one trace follows a request
//! from the gateway through services and events.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::TelemetryConfig;

/// Keeps the tracer provider alive; dropping it flushes pending spans.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Installs the global subscriber. Call once per process (later calls are ignored, so tests
/// can call it freely).
pub fn init(service: &str, cfg: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service.to_string()).build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        let exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    // Without an exporter spans still get ids, so `traceparent` propagates all the same.
    let provider = builder.build();
    let tracer = provider.tracer("partnerline");
    opentelemetry::global::set_tracer_provider(provider.clone());

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.log_level));
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let _ = if cfg.log_format == "pretty" {
        registry.with(tracing_subscriber::fmt::layer()).try_init()
    } else {
        registry.with(tracing_subscriber::fmt::layer().json().flatten_event(true).with_current_span(true)).try_init()
    };
    Ok(TelemetryGuard { provider })
}

fn propagator() -> TraceContextPropagator {
    TraceContextPropagator::new()
}

/// The `traceparent` of the current span, if it has a valid context.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut map = std::collections::HashMap::new();
    propagator().inject_context(&cx, &mut map);
    map.remove("traceparent")
}

/// Makes `span` a child of the trace whose `traceparent` is given (from HTTP, gRPC or NATS).
pub fn set_remote_parent(span: &tracing::Span, extractor: &dyn Extractor) {
    let cx = propagator().extract(extractor);
    let _ = span.set_parent(cx);
}

/// Writes the current trace context into outgoing HTTP or gRPC headers.
pub fn inject_http(headers: &mut http::HeaderMap) {
    let cx = tracing::Span::current().context();
    propagator().inject_context(&cx, &mut HttpHeaders(headers));
}

/// Writes the current trace context into outgoing NATS headers.
pub fn inject_nats(headers: &mut async_nats::HeaderMap) {
    let cx = tracing::Span::current().context();
    propagator().inject_context(&cx, &mut NatsHeaders(headers));
}

pub struct HttpHeaders<'a>(pub &'a mut http::HeaderMap);
pub struct HttpHeadersRef<'a>(pub &'a http::HeaderMap);
pub struct NatsHeaders<'a>(pub &'a mut async_nats::HeaderMap);
pub struct NatsHeadersRef<'a>(pub &'a async_nats::HeaderMap);

impl Injector for HttpHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (http::HeaderName::try_from(key), http::HeaderValue::try_from(value)) {
            self.0.insert(k, v);
        }
    }
}

impl Extractor for HttpHeadersRef<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

impl Injector for NatsHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

impl Extractor for NatsHeadersRef<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A tracing span that continues the trace found in gRPC request headers (for tonic's `trace_fn`).
pub fn grpc_server_span(req: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!("grpc", path = %req.uri().path());
    set_remote_parent(&span, &HttpHeadersRef(req.headers()));
    span
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use opentelemetry::trace::TraceContextExt;

    fn trace_id_of(span: &tracing::Span) -> String {
        span.context().span().span_context().trace_id().to_string()
    }

    /// One trace crosses HTTP headers, gRPC metadata and NATS headers unchanged.
    #[test]
    fn trace_context_survives_http_grpc_and_nats_hops() {
        let _g = init("test", &TelemetryConfig { log_format: "json".into(), log_level: "info".into() }).unwrap();
        let root = tracing::info_span!("root");
        let _e = root.enter();
        let trace_id = trace_id_of(&root);
        assert_ne!(trace_id, "00000000000000000000000000000000", "spans must have real ids");

        // HTTP hop
        let mut h = http::HeaderMap::new();
        inject_http(&mut h);
        assert!(h.get("traceparent").unwrap().to_str().unwrap().contains(&trace_id));
        let http_child = tracing::info_span!("http-server");
        set_remote_parent(&http_child, &HttpHeadersRef(&h));
        assert_eq!(trace_id_of(&http_child), trace_id);

        // gRPC hop: tonic metadata is an http::HeaderMap underneath
        let mut req = tonic::Request::new(());
        {
            let _e = http_child.enter();
            let mut hm = http::HeaderMap::new();
            inject_http(&mut hm);
            *req.metadata_mut() = tonic::metadata::MetadataMap::from_headers(hm);
        }
        let (parts, _) =
            http::Request::from_parts(http::Request::builder().body(()).unwrap().into_parts().0, ()).into_parts();
        let mut http_req = http::Request::from_parts(parts, ());
        *http_req.headers_mut() = req.metadata().clone().into_headers();
        let grpc_span = grpc_server_span(&http_req);
        assert_eq!(trace_id_of(&grpc_span), trace_id);

        // NATS hop
        let mut nh = async_nats::HeaderMap::new();
        {
            let _e = grpc_span.enter();
            inject_nats(&mut nh);
        }
        let consumer_span = tracing::info_span!("consume");
        set_remote_parent(&consumer_span, &NatsHeadersRef(&nh));
        assert_eq!(trace_id_of(&consumer_span), trace_id);
    }
}
