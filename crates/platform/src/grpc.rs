//! gRPC plumbing shared by services: serving on a given listener until shutdown, with each call
//! continuing the caller's trace; and client-side requests that carry the caller's token and
//! the current trace context.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint, Server};

/// A server builder whose calls join the trace found in their metadata.
pub fn server() -> Server {
    Server::builder().trace_fn(crate::telemetry::grpc_server_span)
}

/// Serves `router` on `listener` until `shutdown`; in-flight calls finish first.
pub async fn serve(listener: TcpListener, router: tonic::transport::server::Router, shutdown: CancellationToken) -> anyhow::Result<()> {
    router
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled_owned())
        .await?;
    Ok(())
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
