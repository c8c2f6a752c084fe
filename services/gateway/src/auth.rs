//! Who is calling. The gateway verifies the bearer first, so a protected route answers 401 to a
//! caller without a valid token before it reads anything else of the request; then it forwards
//! the token to the service, which verifies it again and decides what the caller may do. An API
//! key (`plk_...`) is first exchanged with identity for a short-lived access token, cached here
//! so an integrator's every call does not cost two.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use chrono::{DateTime, Duration, Utc};
use http::HeaderMap;
use http::request::Parts;
use partnerline_proto::identity::v1::ExchangeApiKeyRequest;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use platform::auth::{Principal, Verifier};
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

/// A signed-in caller of a protected route: its verified principal and the access token the
/// services are called with. Extracting it answers 401 when there is no valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    token: String,
    pub principal: Principal,
}

/// An access token a middleware before the route has verified already (the idempotency guard),
/// left in the request's extensions so that `Caller` does not verify it a second time.
#[derive(Clone)]
pub struct Verified(Caller);

impl Caller {
    /// A caller whose token has been verified (by the web pages' session, from its cookie).
    pub fn new(token: String, principal: Principal) -> Caller {
        Caller { token, principal }
    }

    /// A gRPC request carrying the caller's token and the current trace.
    pub fn request<T>(&self, msg: T) -> tonic::Request<T> {
        platform::grpc::request(msg, Some(&self.token))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, AppError> {
        if let Some(Verified(caller)) = parts.extensions.remove::<Verified>() {
            return Ok(caller);
        }
        let token = match bearer(&parts.headers) {
            None => return Err(AppError::unauthenticated("sign in first: no access token")),
            Some(key) if is_api_key(key) => s.api_keys.access_token(s.identity(), &s.clock, key).await?,
            Some(token) => token.to_string(),
        };
        let principal = s.verifier.verify(&token)?;
        Ok(Caller { token, principal })
    }
}

/// Who a request is from, for scoping what is saved of it (idempotency keys): the tenant and
/// user of a valid access token (with the token, verified), or the hash of an API key. `None`
/// for anyone else.
pub fn principal_scope(headers: &HeaderMap, verifier: &Verifier) -> Option<(String, Option<Verified>)> {
    let token = bearer(headers)?;
    if is_api_key(token) {
        return Some((format!("api-key {}", hex::encode(Sha256::digest(token.as_bytes()))), None));
    }
    let p = verifier.verify(token).ok()?;
    let tenant = p.tenant.map_or_else(|| "platform".to_string(), |t| t.to_string());
    let scope = format!("{tenant} {} {}", p.role.as_str(), p.subject);
    Some((scope, Some(Verified(Caller { token: token.to_string(), principal: p }))))
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

/// Who is calling, for per-client rate limits and click IP hashes: the peer address, unless the
/// peer is a configured trusted proxy (`gateway.trusted_proxies`), then the right-most
/// `X-Forwarded-For` hop that is not one. A client cannot pick its own address by sending the
/// header: only a trusted proxy's word is taken, and a proxy appends, never replaces.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(&parts.headers, &parts.extensions, &s.redirect.proxies))
    }
}

impl ClientIp {
    /// The client of a request, from its headers and the peer address axum put in its extensions.
    pub fn of(headers: &HeaderMap, extensions: &http::Extensions, trusted: &TrustedProxies) -> ClientIp {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        ClientIp(client_ip(headers, peer, trusted))
    }
}

/// Networks whose `X-Forwarded-For` is believed (CIDRs such as `10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    pub fn parse(cidrs: &[String]) -> anyhow::Result<TrustedProxies> {
        let mut nets = Vec::new();
        for raw in cidrs {
            let (addr, bits) = raw.trim().split_once('/').unwrap_or((raw.trim(), ""));
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| anyhow::anyhow!("configuration: gateway.trusted_proxies: `{raw}` is not a CIDR"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = if bits.is_empty() { Some(max) } else { bits.parse::<u8>().ok().filter(|b| *b <= max) };
            let bits = bits.ok_or_else(|| {
                anyhow::anyhow!("configuration: gateway.trusted_proxies: `{raw}` has a bad prefix length")
            })?;
            nets.push((addr, bits));
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            _ => false,
        })
    }
}

fn prefix_eq(net: &[u8], addr: &[u8], bits: u8) -> bool {
    let (whole, rest) = (usize::from(bits / 8), bits % 8);
    if net[..whole] != addr[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        net[whole] & mask == addr[whole] & mask
    }
}

pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trusted: &TrustedProxies) -> String {
    let Some(peer) = peer.map(|p| p.ip()) else { return "unknown".to_string() };
    if !trusted.contains(peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(ip) => continue,
            Ok(ip) => return ip.to_string(),
            // Not an address: a proxy would not write it, so it is the client's own.
            Err(_) => return (*hop).to_string(),
        }
    }
    hops.first().map_or_else(|| peer.to_string(), |h| (*h).to_string())
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
    fn s17_4_l2_forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let ingress = TrustedProxies::parse(&["10.0.0.0/8".into(), "fd00::/8".into()]).unwrap();
        let client: SocketAddr = "198.51.100.4:5555".parse().unwrap();
        let proxy: SocketAddr = "10.0.0.9:5555".parse().unwrap();
        let forged = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(client_ip(&forged, Some(client), &none), "198.51.100.4", "no proxy configured: the peer");
        assert_eq!(client_ip(&forged, Some(client), &ingress), "198.51.100.4", "an untrusted peer's header");
        // The client forged the left hop; the ingress appended the address it saw.
        let appended = headers(&[("x-forwarded-for", "203.0.113.7, 198.51.100.4, 10.1.2.3")]);
        assert_eq!(client_ip(&appended, Some(proxy), &ingress), "198.51.100.4", "right-most untrusted hop");
        assert_eq!(client_ip(&headers(&[("x-forwarded-for", "10.2.2.2")]), Some(proxy), &ingress), "10.2.2.2");
        assert_eq!(client_ip(&HeaderMap::new(), Some(proxy), &ingress), "10.0.0.9");
        let v6: SocketAddr = "[fd00::1]:80".parse().unwrap();
        assert_eq!(client_ip(&headers(&[("x-forwarded-for", "2001:db8::1")]), Some(v6), &ingress), "2001:db8::1");
        assert_eq!(client_ip(&HeaderMap::new(), None, &ingress), "unknown");
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["ten".into()]).is_err());
        assert!(TrustedProxies::parse(&["192.168.1.0/23".into()]).unwrap().contains("192.168.0.200".parse().unwrap()));
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
