//! Who is calling. identity signs short-lived EdDSA access tokens; every service verifies them
//! itself and turns them into a [`Principal`]. Authorization is decided by the owning service,
//! next to its data. Token expiry is judged by the service's [`Clock`], so a manual clock in
//! tests moves token lifetimes too.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::AuthConfig;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    MerchantAdmin,
    SalesRep,
    Partner,
    /// An integrator's API key (A3): tenant-scoped, limited to its scopes.
    Integrator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::MerchantAdmin => "merchant_admin",
            Role::SalesRep => "sales_rep",
            Role::Partner => "partner",
            Role::Integrator => "integrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::PlatformAdmin, Role::MerchantAdmin, Role::SalesRep, Role::Partner, Role::Integrator]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The permissions an API key can carry. Users get theirs from their role.
pub const SCOPES: &[&str] = &[
    "program:read",
    "program:write",
    "partners:read",
    "partners:write",
    "applications:read",
    "applications:write",
    "customers:read",
    "customers:write",
    "orders:read",
    "orders:write",
    "commissions:read",
    "links:read",
    "links:write",
    "events:read",
    "webhooks:read",
    "webhooks:write",
];

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id, or the API key id for integrators.
    pub sub: Uuid,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Uuid>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scp: Vec<String>,
    /// A suspended partner (P5): it may sign in and read, not change anything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sus: bool,
    /// The session (refresh family) the token belongs to, so a sign-out ends it at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id, or API key id when `role` is `Integrator`.
    pub subject: Uuid,
    pub tenant: Option<Uuid>,
    pub role: Role,
    pub partner: Option<Uuid>,
    pub scopes: Vec<String>,
    /// A suspended partner: every call that changes something is refused (`Grant::check`).
    pub suspended: bool,
    /// The signed-in session (refresh family) the call comes from; none for API keys and seeds.
    pub session: Option<Uuid>,
}

impl Principal {
    /// The tenant of a tenant-scoped caller; platform admins have none.
    pub fn tenant(&self) -> Result<Uuid, AppError> {
        self.tenant.ok_or_else(|| AppError::forbidden("this action belongs to a program; sign in to one"))
    }

    pub fn is_merchant(&self) -> bool {
        matches!(self.role, Role::MerchantAdmin | Role::SalesRep)
    }

    /// Allows merchant admins, and integrators holding `scope`.
    pub fn require_admin_or_scope(&self, scope: &str) -> Result<Uuid, AppError> {
        match self.role {
            Role::MerchantAdmin => self.tenant(),
            Role::Integrator if self.scopes.iter().any(|s| s == scope) => self.tenant(),
            Role::Integrator => Err(AppError::forbidden(format!("this API key lacks the `{scope}` scope"))),
            _ => Err(AppError::forbidden("only a merchant admin may do this")),
        }
    }

    /// Allows merchant staff (admin or sales rep), and integrators holding `scope`.
    pub fn require_merchant_or_scope(&self, scope: &str) -> Result<Uuid, AppError> {
        match self.role {
            Role::MerchantAdmin | Role::SalesRep => self.tenant(),
            _ => self.require_admin_or_scope(scope),
        }
    }

    /// The partner a request is about: a partner itself whatever it names, or the one merchant
    /// staff name (`None`: all of the program's).
    pub fn whose(&self, named: Option<&str>) -> Result<Option<Uuid>, AppError> {
        match (self.role, self.partner) {
            (Role::Partner, Some(me)) => Ok(Some(me)),
            (Role::Partner, None) => Err(AppError::forbidden("this account has no partner profile")),
            (Role::MerchantAdmin | Role::SalesRep | Role::Integrator, _) => named
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid("partner_id", "is not an id")))
                .transpose(),
            (Role::PlatformAdmin, _) => Err(AppError::forbidden("sign in to a program first")),
        }
    }

    pub fn require_platform_admin(&self) -> Result<(), AppError> {
        if self.role == Role::PlatformAdmin {
            Ok(())
        } else {
            Err(AppError::forbidden("only a platform admin may do this"))
        }
    }

    /// The caller's partner id when the caller is a partner.
    pub fn partner_id(&self) -> Option<Uuid> {
        if self.role == Role::Partner { self.partner } else { None }
    }
}

/// Signs access tokens (identity only).
pub struct Signer {
    kid: String,
    key: EncodingKey,
    public_x: String,
    issuer: String,
}

impl Signer {
    pub fn from_config(cfg: &AuthConfig) -> anyhow::Result<Option<Signer>> {
        let Some(seed) = &cfg.signing_key else { return Ok(None) };
        Ok(Some(Signer::from_seed(seed, &cfg.signing_key_id, &cfg.issuer)?))
    }

    /// From a base64url Ed25519 seed of 32 bytes.
    pub fn from_seed(seed_b64: &str, kid: &str, issuer: &str) -> anyhow::Result<Signer> {
        let seed = B64.decode(seed_b64.trim()).map_err(|_| anyhow::anyhow!("auth.signing_key is not base64url"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| anyhow::anyhow!("auth.signing_key must hold 32 bytes"))?;
        let sk = SigningKey::from_bytes(&seed);
        let der = sk.to_pkcs8_der().map_err(|e| anyhow::anyhow!("auth.signing_key: {e}"))?;
        Ok(Signer {
            kid: kid.to_string(),
            key: EncodingKey::from_ed_der(der.as_bytes()),
            public_x: B64.encode(sk.verifying_key().as_bytes()),
            issuer: issuer.to_string(),
        })
    }

    /// A fresh random key: tests use one per system.
    pub fn generate_seed() -> String {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        B64.encode(seed)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_x(&self) -> &str {
        &self.public_x
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|e| AppError::internal(anyhow::anyhow!("signing: {e}")))
    }
}

/// Verifies access tokens against the configured public keys.
#[derive(Clone)]
pub struct Verifier {
    keys: std::sync::Arc<HashMap<String, DecodingKey>>,
    issuer: String,
    clock: Clock,
    /// The longest lifetime identity gives a token (`auth.access_token_ttl_secs`).
    max_lifetime: i64,
    /// Sessions and subjects whose tokens ended, as identity's events tell (shared by every
    /// verifier of the process).
    revoked: Revocations,
}

/// Access that ended before its tokens expire (issue 17, 5): sessions (a token's `sid`) and API
/// keys (an integrator token's `sub`), each with when it ended, kept only as long as a token it
/// could refuse may live.
#[derive(Clone, Default)]
pub struct Revocations(std::sync::Arc<std::sync::RwLock<RevokedInner>>);

#[derive(Default)]
struct RevokedInner {
    sessions: HashMap<Uuid, i64>,
    subjects: HashMap<Uuid, i64>,
}

impl Revocations {
    /// Every token of `session` ends.
    pub fn end_session(&self, session: Uuid, at: i64) {
        if let Ok(mut r) = self.0.write() {
            r.sessions.insert(session, at);
        }
    }

    /// Every token of `subject` (an API key) ends.
    pub fn end_subject(&self, subject: Uuid, at: i64) {
        if let Ok(mut r) = self.0.write() {
            r.subjects.insert(subject, at);
        }
    }

    /// Forgets what ended before `before`: every token it could refuse has expired.
    pub fn forget_before(&self, before: i64) {
        if let Ok(mut r) = self.0.write() {
            r.sessions.retain(|_, at| *at >= before);
            r.subjects.retain(|_, at| *at >= before);
        }
    }

    fn refuses(&self, c: &Claims) -> bool {
        let Ok(r) = self.0.read() else { return false };
        c.sid.is_some_and(|s| r.sessions.contains_key(&s)) || r.subjects.contains_key(&c.sub)
    }
}

/// Clocks of two processes may disagree by this much about when a token was issued.
const CLOCK_SKEW_SECS: i64 = 60;

impl Verifier {
    pub fn from_config(cfg: &AuthConfig, clock: Clock) -> anyhow::Result<Verifier> {
        let mut keys = HashMap::new();
        for k in &cfg.verify_keys {
            keys.insert(k.kid.clone(), DecodingKey::from_ed_components(&k.x)?);
        }
        if let Some(signer) = Signer::from_config(cfg)? {
            keys.insert(signer.kid.clone(), DecodingKey::from_ed_components(&signer.public_x)?);
        }
        anyhow::ensure!(!keys.is_empty(), "configuration: no auth.verify_keys and no auth.signing_key");
        Ok(Verifier {
            keys: std::sync::Arc::new(keys),
            issuer: cfg.issuer.clone(),
            clock,
            max_lifetime: i64::try_from(cfg.access_token_ttl_secs)?,
            revoked: Revocations::default(),
        })
    }

    /// This verifier refuses what `revoked` says has ended.
    pub fn with_revocations(mut self, revoked: Revocations) -> Verifier {
        self.revoked = revoked;
        self
    }

    /// The clock expiry is judged by.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn verify(&self, token: &str) -> Result<Principal, AppError> {
        let bad = || AppError::unauthenticated("the access token is invalid or expired; sign in again");
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad())?;
        let key = header.kid.as_deref().and_then(|k| self.keys.get(k)).ok_or_else(bad)?;
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_issuer(&[&self.issuer]);
        // Expiry is judged by our Clock (below), not the system time.
        v.validate_exp = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(token, key, &v).map_err(|_| bad())?;
        let c = data.claims;
        let now = self.clock.now().timestamp();
        // A token living longer than identity ever signs one for was not made by identity.
        let too_long = c.exp.saturating_sub(c.iat) > self.max_lifetime
            || c.exp > now.saturating_add(self.max_lifetime + CLOCK_SKEW_SECS);
        if c.exp <= now || too_long {
            return Err(bad());
        }
        if self.revoked.refuses(&c) {
            return Err(AppError::unauthenticated("this session has ended; sign in again"));
        }
        Ok(Principal {
            subject: c.sub,
            tenant: c.tid,
            role: c.role,
            partner: c.pid,
            scopes: c.scp,
            suspended: c.sus,
            session: c.sid,
        })
    }

    /// The principal of a gRPC request (`authorization: Bearer <token>` metadata).
    pub fn principal<T>(&self, req: &tonic::Request<T>) -> Result<Principal, AppError> {
        let token =
            bearer(req.metadata()).ok_or_else(|| AppError::unauthenticated("sign in first: no access token"))?;
        self.verify(token)
    }
}

/// An opaque secret (refresh token, API key, invite or quick-order link): 256 random bits, base64url.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    B64.encode(b)
}

/// What is stored of an opaque secret: its SHA-256, never the secret itself (A3, CU8).
pub fn token_hash(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}

/// The bearer token in gRPC metadata, if any.
pub fn bearer(md: &tonic::metadata::MetadataMap) -> Option<&str> {
    md.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;

    fn setup() -> (Signer, Verifier, Clock) {
        let mut cfg = Config::default().auth;
        cfg.signing_key = Some(Signer::generate_seed());
        let clock = Clock::manual("2026-03-01T00:00:00Z".parse().unwrap());
        (Signer::from_config(&cfg).unwrap().unwrap(), Verifier::from_config(&cfg, clock.clone()).unwrap(), clock)
    }

    fn claims(clock: &Clock) -> Claims {
        let now = clock.now().timestamp();
        Claims {
            sub: Uuid::now_v7(),
            iss: "partnerline".into(),
            iat: now,
            exp: now + 900,
            tid: Some(Uuid::now_v7()),
            role: Role::Partner,
            pid: Some(Uuid::now_v7()),
            scp: vec![],
            sus: false,
            sid: None,
        }
    }

    #[test]
    fn a_signed_token_verifies_into_its_principal() {
        let (s, v, clock) = setup();
        let c = claims(&clock);
        let p = v.verify(&s.sign(&c).unwrap()).unwrap();
        assert_eq!((p.subject, p.tenant, p.role, p.partner), (c.sub, c.tid, Role::Partner, c.pid));
    }

    #[test]
    fn expiry_follows_the_clock() {
        let (s, v, clock) = setup();
        let t = s.sign(&claims(&clock)).unwrap();
        clock.advance(chrono::Duration::seconds(901));
        assert_eq!(v.verify(&t).unwrap_err().kind, crate::error::ErrorKind::Unauthenticated);
    }

    #[test]
    fn a1_a_token_living_longer_than_the_configured_lifetime_is_refused() {
        let (s, v, clock) = setup();
        let mut c = claims(&clock);
        c.exp = c.iat + 10 * 365 * 86_400;
        assert!(v.verify(&s.sign(&c).unwrap()).is_err(), "exp ten years out");
        let mut c = claims(&clock);
        c.iat += 9 * 365 * 86_400;
        c.exp = c.iat + 900;
        assert!(v.verify(&s.sign(&c).unwrap()).is_err(), "a lifetime of 900 s issued in the future");
        let mut c = claims(&clock);
        c.exp = c.iat + 901;
        assert!(v.verify(&s.sign(&c).unwrap()).is_err(), "one second longer than auth.access_token_ttl_secs");
        let c = claims(&clock);
        assert!(v.verify(&s.sign(&c).unwrap()).is_ok(), "exactly the configured lifetime");
    }

    #[test]
    fn a_token_from_another_key_or_tampered_is_refused() {
        let (s, _, clock) = setup();
        let (_, other_v, _) = setup();
        let t = s.sign(&claims(&clock)).unwrap();
        assert!(other_v.verify(&t).is_err());
        let (s2, v2, clock2) = setup();
        let mut t2 = s2.sign(&claims(&clock2)).unwrap();
        t2.push('x');
        assert!(v2.verify(&t2).is_err());
    }

    #[test]
    fn integrators_need_the_scope() {
        let p = Principal {
            subject: Uuid::nil(),
            tenant: Some(Uuid::nil()),
            role: Role::Integrator,
            partner: None,
            scopes: vec!["partners:read".into()],
            suspended: false,
            session: None,
        };
        assert!(p.require_admin_or_scope("partners:read").is_ok());
        assert_eq!(p.require_admin_or_scope("partners:write").unwrap_err().kind, crate::error::ErrorKind::Forbidden);
    }
}
