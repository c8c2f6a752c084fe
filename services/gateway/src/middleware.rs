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
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let span = tracing::info_span!("http", %method, %route, status = tracing::field::Empty);
    set_remote_parent(&span, &HttpHeadersRef(req.headers()));
    let started = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let status = res.status().as_u16().to_string();
    span.record("status", status.as_str());
    metrics.http_requests.get_or_create(&labels(&[("method", method), ("route", &route), ("status", &status)])).inc();
    metrics
        .http_duration
        .get_or_create(&labels(&[("method", method), ("route", &route)]))
        .observe(started.elapsed().as_secs_f64());
    res
}

/// A method as a metric label: anyone can send any method, and each value would be a new series.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Text in a path or query string is checked once, here: a NUL (which PostgreSQL cannot store)
/// or another control character is never part of an id or a search. A path holding one names
/// nothing (404); a query parameter holding one, or longer than `MAX_QUERY`, is 422 naming it.
pub async fn plain_text(req: Request, next: Next) -> Response {
    let path = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    if path.chars().any(char::is_control) {
        return axum::response::IntoResponse::into_response(crate::problem::not_found().await);
    }
    if let Some(query) = req.uri().query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let problem = crate::problem::control_character(&value, false)
                .map(String::from)
                .or_else(|| crate::problem::too_long(&value, crate::problem::MAX_QUERY));
            if let Some(message) = problem {
                let field = platform::error::FieldError { field: name.into_owned(), message };
                return axum::response::IntoResponse::into_response(platform::AppError::invalid_fields(vec![field]));
            }
        }
    }
    next.run(req).await
}

/// Security headers: `nosniff` on every answer, and on pages a Content-Security-Policy that lets
/// run only scripts and styles of this origin and the page's own inline ones (by their hashes:
/// an injected one has another), shows images of this origin or of https sites (a merchant's
/// logo), sends nothing to other
/// sites, cannot be framed and leaks no token in a `Referer` (`/q/{token}`, `/pay/{token}`).
pub async fn security_headers(req: Request, next: Next) -> Response {
    // Swagger UI's bundle injects its own <style> elements; that page holds no secret.
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    res.headers_mut().insert("x-content-type-options", http::HeaderValue::from_static("nosniff"));
    let html = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if !html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::BODY_LIMIT).await else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "the page could not be sent");
    };
    let text = String::from_utf8_lossy(&bytes);
    let csp = format!(
        "default-src 'none'; script-src 'self' {}; style-src 'self' {}; img-src 'self' data: https:; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        inline_hashes(&text, "script"),
        if docs { "'unsafe-inline'".to_string() } else { inline_hashes(&text, "style") },
    );
    let h = &mut parts.headers;
    if let Ok(v) = http::HeaderValue::from_str(&csp) {
        h.insert("content-security-policy", v);
    }
    h.insert("x-frame-options", http::HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", http::HeaderValue::from_static("no-referrer"));
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// `'sha256-…'` of each inline `<tag>…</tag>` of a page.
fn inline_hashes(html: &str, tag: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let body = &rest[start + open.len()..];
        let Some(end) = body.find(&close) else { break };
        let digest = sha2::Sha256::digest(&body.as_bytes()[..end]);
        out.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        rest = &body[end + close.len()..];
    }
    out.join(" ")
}

pub async fn timeout(req: Request, next: Next) -> Response {
    // I1: the event stream stays open as long as its client reads.
    if req.uri().path() == crate::routes::events::STREAM {
        return next.run(req).await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s17_11_a_page_may_run_only_its_own_inline_scripts() {
        use base64::Engine;
        use sha2::Digest;
        let page = "<style>p{}</style><script>go()</script><p><script>more()</script>";
        let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()));
        assert_eq!(inline_hashes(page, "script"), format!("'sha256-{}' 'sha256-{}'", hash("go()"), hash("more()")));
        assert_eq!(inline_hashes(page, "style"), format!("'sha256-{}'", hash("p{}")));
        assert_eq!(inline_hashes("<p>none</p>", "script"), "");
    }

    #[test]
    fn unknown_methods_share_one_metric_label() {
        assert_eq!(method_label(&http::Method::GET), "GET");
        #[allow(clippy::unwrap_used)]
        let made_up = http::Method::from_bytes(b"SPAM123").unwrap();
        assert_eq!(method_label(&made_up), "other");
    }
}
