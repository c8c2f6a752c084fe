//! `GET /r/{code}`: a partner's link (L2). Answers 302 at once; the click (time, link, visitor
//! id from a first-party cookie, user agent, referrer, salted IP hash, never the IP) goes to the
//! click buffer. Unknown codes lead to the merchant's home and bind nobody.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use partnerline_proto::attribution::v1 as pb;

use crate::auth::ClientIp;
use crate::state::AppState;

pub const VISITOR_COOKIE: &str = "pl_vid";

/// The visitor id in the request's cookies, if it is one this gateway could have set.
pub fn visitor_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == VISITOR_COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn redirect(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let now = s.clock.now();
    let resolved = s
        .attribution()
        .resolve_link(platform::grpc::request(pb::ResolveLinkRequest { code: code.clone() }, None))
        .await;
    let (target, found) = match resolved {
        Ok(r) if r.get_ref().found => (r.into_inner().target_url, true),
        Ok(_) => (s.redirect.home_url.clone(), false),
        Err(e) => {
            tracing::warn!(error = %e, "link lookup failed; sending the visitor home");
            (s.redirect.home_url.clone(), false)
        }
    };
    let (visitor, new_visitor) = match visitor_cookie(&headers) {
        Some(v) => (v, false),
        None => (hex(&uuid::Uuid::new_v4().into_bytes()), true),
    };
    if found {
        let text =
            |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        s.clicks.push(pb::Click {
            code,
            visitor_id: visitor.clone(),
            user_agent: text(header::USER_AGENT),
            referrer: text(header::REFERER),
            ip_hash: hex(&platform::auth::token_hash(&format!("{}:{ip}", s.redirect.ip_hash_salt))),
            at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            clicker_partner_id: None,
        });
    }
    let mut res = StatusCode::FOUND.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&target) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if new_visitor
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{VISITOR_COOKIE}={visitor}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
        ))
    {
        h.insert(header::SET_COOKIE, v);
    }
    res
}
