//! gRPC plumbing shared by services: serving on a given listener until shutdown, with each call
//! continuing the caller's trace; and client-side requests that carry the caller's token and
//! the current trace context.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint, Server};

use crate::auth::{Principal, Verifier};
use crate::error::AppError;
use crate::metrics::{Metrics, labels};

/// What a gRPC method answers.
pub type Reply<T> = Result<tonic::Response<T>, tonic::Status>;

/// A service's result as a gRPC answer: its error mapped once to a `tonic::Status`.
pub fn reply<T>(r: Result<T, AppError>) -> Reply<T> {
    r.map(tonic::Response::new).map_err(AppError::into_status)
}

/// What an API key must hold to make a call. People are judged by the service's own rules
/// (role, ownership) inside the call; this is checked first, the same way in every service (A3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// An integrator needs this scope.
    Scope(&'static str),
    /// No API key may make this call: it is a person's (a merchant admin's or a partner's).
    People,
    /// Any signed-in caller, API keys included: the call tells the caller about itself.
    AnyCaller,
}

impl Grant {
    /// Whether a call under this grant may change something: a `:write` scope, or a person's
    /// action. What tells the caller about itself (`AnyCaller`) and every `:read` do not.
    fn changes_something(self) -> bool {
        match self {
            Grant::Scope(scope) => !scope.ends_with(":read"),
            Grant::People => true,
            Grant::AnyCaller => false,
        }
    }

    /// Refuses an integrator the grant does not cover (403 naming the scope); anyone else passes.
    pub fn check(self, p: &Principal) -> Result<(), AppError> {
        if p.suspended && self.changes_something() {
            return Err(AppError::forbidden(
                "a suspended partner can read its history and earnings, not change anything",
            )
            .with_code("partner_suspended"));
        }
        if p.role != crate::auth::Role::Integrator {
            return Ok(());
        }
        match self {
            Grant::Scope(scope) if p.scopes.iter().any(|s| s == scope) => Ok(()),
            Grant::Scope(scope) => Err(AppError::forbidden(format!("this API key lacks the `{scope}` scope"))),
            Grant::People => Err(AppError::forbidden("an API key cannot do this; a person signs in to do it")),
            Grant::AnyCaller => Ok(()),
        }
    }
}

/// What a service makes of an authenticated caller before the call runs: the principal itself,
/// or the service's own view of it (orders' and customers' `Access`: whose rows the caller reaches).
pub trait FromCaller: Sized {
    fn from_caller(p: Principal, token: &str) -> Result<Self, AppError>;
}

impl FromCaller for Principal {
    fn from_caller(p: Principal, _token: &str) -> Result<Self, AppError> {
        Ok(p)
    }
}

/// The caller's view with its bearer token, for a call that asks other services as the caller.
impl<A: FromCaller> FromCaller for (A, String) {
    fn from_caller(p: Principal, token: &str) -> Result<Self, AppError> {
        Ok((A::from_caller(p, token)?, token.to_string()))
    }
}

/// The one way a service authorizes a gRPC call: verifies the bearer token, checks `grant`, turns
/// the principal into the service's view `A`, runs `body` with it and the message, and maps the
/// error to a `tonic::Status`.
pub async fn authed<A, T, R, F, Fut>(verifier: &Verifier, req: tonic::Request<T>, grant: Grant, body: F) -> Reply<R>
where
    A: FromCaller,
    F: FnOnce(A, T) -> Fut,
    Fut: Future<Output = Result<R, AppError>>,
{
    let caller = verifier.principal(&req).and_then(|p| {
        grant.check(&p)?;
        A::from_caller(p, crate::auth::bearer(req.metadata()).unwrap_or_default())
    });
    reply(match caller {
        Ok(a) => body(a, req.into_inner()).await,
        Err(e) => Err(e),
    })
}

/// A server builder whose calls join the trace found in their metadata and are counted in
/// `partnerline_grpc_requests_total{method, code}`.
pub fn server(metrics: &Metrics) -> Server<tower::layer::util::Stack<CountCalls, tower::layer::util::Identity>> {
    Server::builder().trace_fn(crate::telemetry::grpc_server_span).layer(CountCalls(metrics.clone()))
}

/// What a service runs beside its gRPC server: its outbox relay, its consumers.
pub type Tasks = tokio::task::JoinSet<anyhow::Result<()>>;

/// How every service ends its `run`: says it has started (readiness), serves `router` and
/// `grpc.health.v1` (for kubelet gRPC probes) on `listener` until `rt.shutdown`, in-flight calls finishing first; then stops its `tasks` too
/// (also when the server ended on its own, with an error) and waits for them, so the relay
/// flushes and the consumers finish their batch.
pub async fn serve_service<L>(
    rt: &crate::Runtime,
    service: &str,
    listener: TcpListener,
    router: tonic::transport::server::Router<L>,
    mut tasks: Tasks,
) -> anyhow::Result<()>
where
    L: tower::Layer<tonic::service::Routes> + Clone,
    L::Service: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + Sync
        + 'static,
    <L::Service as tower::Service<http::Request<tonic::body::Body>>>::Future: Send + 'static,
    <L::Service as tower::Service<http::Request<tonic::body::Body>>>::Error:
        Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    tracing::info!(addr = %listener.local_addr()?, "{service} serving gRPC");
    // The reporter starts with the server as a whole ("") serving, which is what a probe asks.
    let (_health, health_service) = tonic_health::server::health_reporter();
    let router = router.add_service(health_service);
    // TCP_NODELAY: without it, small HTTP/2 frames wait for the peer's delayed ACK
    // (docs/decisions/2026-11-23-tcp-nodelay.md).
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let shutdown = rt.shutdown.clone();
    rt.health.started(service);
    let served = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()).await;
    shutdown.cancel();
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok(served?)
}

/// A lazily connecting channel to another service.
pub fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .connect_lazy())
}

/// A request carrying `authorization: Bearer <token>` (when given) and `traceparent`.
pub fn request<T>(msg: T, token: Option<&str>) -> tonic::Request<T> {
    let mut headers = http::HeaderMap::new();
    crate::telemetry::inject_http(&mut headers);
    if let Some(t) = token
        && let Ok(v) = http::HeaderValue::try_from(format!("Bearer {t}"))
    {
        headers.insert(http::header::AUTHORIZATION, v);
    }
    let mut req = tonic::Request::new(msg);
    *req.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
    req
}

/// Counts gRPC calls by method and status. A failed call answers "trailers-only", so its
/// `grpc-status` is in the response headers; a successful unary call has none there (code 0).
#[derive(Clone)]
pub struct CountCalls(Metrics);

impl<S> tower::Layer<S> for CountCalls {
    type Service = CountCallsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        CountCallsService { inner, metrics: self.0.clone() }
    }
}

#[derive(Clone)]
pub struct CountCallsService<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B, R> tower::Service<http::Request<B>> for CountCallsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = req.uri().path().to_string();
        let metrics = self.metrics.clone();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await?;
            let code = res.headers().get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("0").to_string();
            metrics.grpc_requests.get_or_create(&labels(&[("method", &method), ("code", &code)])).inc();
            Ok(res)
        })
    }
}
