//! `GET /r/{code}`: a partner's link (L2). Answers 302 at once; the click (time, link, visitor
//! id from a first-party cookie, user agent, referrer, salted IP hash, never the IP) goes to the
//! click buffer. Unknown codes lead to the merchant's home and bind nobody.
//!
//! Where a code leads is kept in memory ([`LinkCache`]): a code seen in the last 30 s is answered
//! without asking attribution; an older entry is answered at once too, while one background call
//! refreshes it, so neither attribution nor its database being away slows or stops a redirect of
//! a known link.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use partnerline_proto::attribution::v1 as pb;

use crate::auth::client_ip;
use crate::state::AppState;

pub const VISITOR_COOKIE: &str = "pl_vid";

/// How long an answer is used without asking again.
const FRESH: Duration = Duration::from_secs(30);
/// How long a first lookup may take before the visitor is sent home instead.
const LOOKUP: Duration = Duration::from_secs(2);
/// Entries kept at most; past this the cache starts over.
const CAPACITY: usize = 200_000;

/// Where a code leads: `None` for an unknown code.
type Target = Option<String>;

struct Entry {
    read: Instant,
    target: Target,
    refreshing: bool,
}

/// Codes and where they lead, as attribution last said.
#[derive(Default)]
pub struct LinkCache {
    entries: Mutex<HashMap<String, Entry>>,
}

enum Cached {
    Fresh(Target),
    /// Use it, and refresh it (this caller was chosen to).
    Stale(Target, bool),
    Missing,
}

impl LinkCache {
    fn get(&self, code: &str) -> Cached {
        let Ok(mut map) = self.entries.lock() else { return Cached::Missing };
        match map.get_mut(code) {
            Some(e) if e.read.elapsed() < FRESH => Cached::Fresh(e.target.clone()),
            Some(e) => {
                let refresh = !e.refreshing;
                e.refreshing = true;
                Cached::Stale(e.target.clone(), refresh)
            }
            None => Cached::Missing,
        }
    }

    fn put(&self, code: &str, target: Target) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= CAPACITY && !map.contains_key(code) {
                map.clear();
            }
            map.insert(code.to_string(), Entry { read: Instant::now(), target, refreshing: false });
        }
    }

    fn refresh_failed(&self, code: &str) {
        if let Ok(mut map) = self.entries.lock()
            && let Some(e) = map.get_mut(code)
        {
            e.refreshing = false;
        }
    }
}

/// Asks attribution where `code` leads; `Err` when it could not say.
async fn lookup(s: &AppState, code: &str) -> Result<Target, ()> {
    let req = platform::grpc::request(pb::ResolveLinkRequest { code: code.to_string() }, None);
    match tokio::time::timeout(LOOKUP, s.attribution().resolve_link(req)).await {
        Ok(Ok(r)) => {
            let r = r.into_inner();
            Ok(r.found.then_some(r.target_url))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "link lookup failed");
            Err(())
        }
        Err(_) => {
            tracing::warn!("link lookup timed out");
            Err(())
        }
    }
}

/// Where `code` leads, from memory when it can be.
async fn resolve(s: &AppState, code: &str) -> Target {
    match s.links.get(code) {
        Cached::Fresh(t) => t,
        Cached::Stale(t, refresh) => {
            if refresh {
                let (s, code) = (s.clone(), code.to_string());
                tokio::spawn(async move {
                    match lookup(&s, &code).await {
                        Ok(t) => s.links.put(&code, t),
                        Err(()) => s.links.refresh_failed(&code),
                    }
                });
            }
            t
        }
        Cached::Missing => match lookup(s, code).await {
            Ok(t) => {
                s.links.put(code, t.clone());
                t
            }
            Err(()) => None,
        },
    }
}

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

/// L2: the salted hash a client's address is kept as (clicks, X4's sign-ups); never the address.
pub fn ip_hash(s: &AppState, ip: &str) -> String {
    hex(&platform::auth::token_hash(&format!("{}:{ip}", s.redirect.ip_hash_salt)))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// L6: the partner a signed-in caller is (a bearer token, as an app or the partner's own pages
/// send it), so a partner opening another's link does not count as a visitor. Verified only when
/// a token is there: a browser's click carries none and costs nothing more.
fn clicker_partner(s: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = crate::auth::bearer(headers)?;
    let p = s.verifier.verify(token).ok()?;
    p.partner.map(|id| id.to_string())
}

/// The request is read in place (no copy of its headers): a click is the hottest path there is.
pub async fn redirect(State(s): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let headers = req.headers();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let now = s.clock.now();
    let valid = !code.is_empty() && code.len() <= 32 && code.chars().all(|c| c.is_ascii_alphanumeric());
    let resolved = if valid { resolve(&s, &code).await } else { None };
    let found = resolved.is_some();
    let target = resolved.unwrap_or_else(|| s.redirect.home_url.clone());
    let (visitor, new_visitor) = match visitor_cookie(headers) {
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
            ip_hash: ip_hash(&s, &client_ip(headers, peer, &s.redirect.proxies)),
            at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            clicker_partner_id: clicker_partner(&s, headers),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn only_cookies_this_gateway_could_have_set_are_visitors() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; pl_vid=0123456789abcdef0123456789abcdef"));
        assert_eq!(visitor_cookie(&h).as_deref(), Some("0123456789abcdef0123456789abcdef"));
        h.insert(header::COOKIE, HeaderValue::from_static("pl_vid=<script>"));
        assert_eq!(visitor_cookie(&h), None);
    }
}
