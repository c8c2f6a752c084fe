//! Who is calling. The gateway does not verify tokens: it forwards the bearer to the service,
//! which verifies it and decides. An API key (`plk_...`) is first exchanged with identity for a
//! short-lived access token, cached here so an integrator's every call does not cost two.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use chrono::{DateTime, Duration, Utc};
use http::HeaderMap;
use http::request::Parts;
use partnerline_proto::identity::v1::ExchangeApiKeyRequest;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use platform::{AppError, Clock};
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

use crate::problem::upstream;
use crate::state::AppState;

/// API keys are told apart from access tokens by this prefix.
pub const API_KEY_PREFIX: &str = "plk_";

/// At most this many exchanged keys are remembered.
const CACHE_CAPACITY: usize = 10_000;

/// A cached token is dropped this long before identity says it expires.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// The caller's access token, if any. A protected route called without one still goes to the
/// service, which answers Unauthenticated (401).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    token: Option<String>,
}

impl Caller {
    /// A gRPC request carrying the caller's token and the current trace.
    pub fn request<T>(&self, msg: T) -> tonic::Request<T> {
        platform::grpc::request(msg, self.token.as_deref())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, AppError> {
        let token = match bearer(&parts.headers) {
            None => None,
            Some(key) if is_api_key(key) => Some(s.api_keys.access_token(s.identity(), &s.clock, key).await?),
            Some(token) => Some(token.to_string()),
        };
        Ok(Caller { token })
    }
}

/// The token of `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn is_api_key(token: &str) -> bool {
    token.len() > API_KEY_PREFIX.len() && token.starts_with(API_KEY_PREFIX)
}

/// Access tokens obtained for API keys, keyed by the SHA-256 of the key (the key itself is never
/// kept) and valid until shortly before the token expires, by the service's clock.
#[derive(Clone, Default)]
pub struct ApiKeyCache {
    entries: Arc<Mutex<HashMap<String, Cached>>>,
}

#[derive(Clone)]
struct Cached {
    token: String,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
}

impl ApiKeyCache {
    pub async fn access_token(
        &self,
        mut identity: IdentityClient<Channel>,
        clock: &Clock,
        key: &str,
    ) -> Result<String, AppError> {
        let id = hex::encode(Sha256::digest(key.as_bytes()));
        if let Some(token) = self.get(&id, clock.now()) {
            return Ok(token);
        }
        let exchanged = identity
            .exchange_api_key(platform::grpc::request(ExchangeApiKeyRequest { api_key: key.to_string() }, None))
            .await
            .map_err(upstream)?
            .into_inner();
        let now = clock.now();
        let keep = exchanged.expires_in.saturating_sub(EXPIRY_MARGIN_SECS);
        if let Some(ttl) = Duration::try_seconds(keep).filter(|_| keep > 0) {
            self.put(id, Cached { token: exchanged.access_token.clone(), from: now, until: now + ttl });
        }
        Ok(exchanged.access_token)
    }

    fn get(&self, id: &str, now: DateTime<Utc>) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        // `from` matters when a manual clock is set backwards: the token would not be valid yet.
        entries.get(id).filter(|c| c.from <= now && now < c.until).map(|c| c.token.clone())
    }

    fn put(&self, id: String, cached: Cached) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CACHE_CAPACITY {
            let now = cached.from;
            entries.retain(|_, c| c.from <= now && now < c.until);
            if entries.len() >= CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(id, cached);
    }
}

/// Who is signing in, for identity's rate limits: the first `X-Forwarded-For` hop when a proxy
/// set one, else the peer address.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        Ok(ClientIp(client_ip(&parts.headers, peer)))
    }
}

pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|hop| !hop.is_empty());
    match (forwarded, peer) {
        (Some(hop), _) => hop.to_string(),
        (None, Some(addr)) => addr.ip().to_string(),
        (None, None) => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn api_keys_are_told_apart_from_access_tokens() {
        assert!(is_api_key("plk_AbC123"));
        assert!(!is_api_key("plk_"));
        assert!(!is_api_key("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.sig"));
        assert!(!is_api_key("PLK_abc"));
    }

    #[test]
    fn the_bearer_token_is_taken_from_authorization() {
        assert_eq!(bearer(&headers(&[("authorization", "Bearer abc")])), Some("abc"));
        assert_eq!(bearer(&headers(&[("authorization", "bearer  plk_x ")])), Some("plk_x"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic dXNlcjpwdw==")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn client_ip_is_the_first_forwarded_hop_else_the_peer() {
        let peer: SocketAddr = "10.0.0.9:5555".parse().unwrap();
        let h = headers(&[("x-forwarded-for", " 203.0.113.7 , 10.0.0.1")]);
        assert_eq!(client_ip(&h, Some(peer)), "203.0.113.7");
        assert_eq!(client_ip(&headers(&[("x-forwarded-for", "2001:db8::1")]), None), "2001:db8::1");
        assert_eq!(client_ip(&headers(&[("x-forwarded-for", " ")]), Some(peer)), "10.0.0.9");
        assert_eq!(client_ip(&HeaderMap::new(), Some(peer)), "10.0.0.9");
        assert_eq!(client_ip(&HeaderMap::new(), None), "unknown");
    }

    #[test]
    fn cached_tokens_expire_by_the_clock() {
        let cache = ApiKeyCache::default();
        let now: DateTime<Utc> = "2026-06-01T09:00:00Z".parse().unwrap();
        cache.put("k".into(), Cached { token: "t".into(), from: now, until: now + Duration::seconds(840) });
        assert_eq!(cache.get("k", now + Duration::seconds(839)).as_deref(), Some("t"));
        assert_eq!(cache.get("k", now + Duration::seconds(840)), None);
        assert_eq!(cache.get("k", now - Duration::seconds(1)), None, "a clock set backwards");
    }
}
