//! Sign-in, refresh, sign-out (A1), API key exchange (A3), JWKS and `/me`.

use chrono::Duration;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::{Claims, Principal, Role};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{IdentityService, convert};
use crate::credentials::{dummy_verify, random_token, sha256, verify_password};
use crate::store::{self, UserRow};

const WRONG: &str = "the email or password is wrong";

impl IdentityService {
    pub(super) async fn login_impl(&self, req: pb::LoginRequest) -> Result<pb::TokenPair, AppError> {
        let email = req.email.trim().to_lowercase();
        if email.is_empty() {
            return Err(AppError::invalid("email", "is required"));
        }
        let now = self.clock.now();
        let email_key = format!("email:{email}");
        let mut keys = vec![email_key.clone()];
        if !req.client.is_empty() {
            keys.push(format!("client:{}", req.client));
        }
        let mut conn = self.pool.acquire().await?;
        let since = now - Duration::seconds(self.settings.failure_window_secs);
        for (key, n) in store::count_failures(&mut conn, &keys, since).await? {
            let limit = if key.starts_with("email:") {
                self.settings.max_failures_per_email
            } else {
                self.settings.max_failures_per_client
            };
            if n >= limit {
                return Err(AppError::too_many_requests(format!(
                    "too many failed sign-in attempts; try again in {} minutes",
                    self.settings.failure_window_secs / 60
                )));
            }
        }
        let mut users = store::users_by_email(&mut conn, &email).await?;
        if let Some(program) = req.program.as_deref().filter(|p| !p.is_empty()) {
            users.retain(|(_, slug)| slug.as_deref() == Some(program));
        }
        if users.len() > 1 {
            return Err(AppError::invalid(
                "program",
                "this email has accounts in several programs; name the program to sign in to",
            ));
        }
        let Some((user, _)) = users.pop() else {
            dummy_verify(self.settings.argon2_memory_kib).await;
            store::record_failure(&mut conn, &keys, now, since).await?;
            return Err(AppError::unauthenticated(WRONG));
        };
        if !verify_password(req.password, user.password_hash.clone()).await {
            store::record_failure(&mut conn, &keys, now, since).await?;
            return Err(AppError::unauthenticated(WRONG));
        }
        store::clear_failures(&mut conn, &email_key).await?;
        let mut tx = self.pool.begin().await?;
        let pair = self.issue(&mut tx, &user, Uuid::now_v7()).await?;
        tx.commit().await?;
        Ok(pair)
    }

    pub(super) async fn refresh_impl(&self, req: pb::RefreshRequest) -> Result<pb::TokenPair, AppError> {
        let now = self.clock.now();
        let invalid = || AppError::unauthenticated("the refresh token is invalid or expired; sign in again");
        let mut tx = self.pool.begin().await?;
        let row = store::refresh_for_update(&mut tx, &sha256(req.refresh_token.trim())).await?.ok_or_else(invalid)?;
        if row.revoked_at.is_some() {
            // A revoked token used again means it leaked: end every session of its family.
            store::revoke_family(&mut tx, row.family, now).await?;
            self.session_ended(&mut tx, row.user_id, row.family, "refresh_reused").await?;
            tx.commit().await?;
            return Err(invalid());
        }
        if row.expires_at <= now {
            return Err(invalid());
        }
        let user = store::user_by_id(&mut tx, row.user_id).await?.ok_or_else(invalid)?;
        let pair = self.issue(&mut tx, &user, row.family).await?;
        let new_id = self.last_issued(&mut tx, &pair.refresh_token).await?;
        store::revoke_refresh(&mut tx, row.id, now, Some(new_id)).await?;
        tx.commit().await?;
        Ok(pair)
    }

    pub(super) async fn logout_impl(&self, req: pb::LogoutRequest) -> Result<pb::Empty, AppError> {
        let mut tx = self.pool.begin().await?;
        if let Some(row) = store::refresh_for_update(&mut tx, &sha256(req.refresh_token.trim())).await? {
            store::revoke_family(&mut tx, row.family, self.clock.now()).await?;
            self.session_ended(&mut tx, row.user_id, row.family, "signed_out").await?;
        }
        tx.commit().await?;
        Ok(pb::Empty {})
    }

    /// Tells every process that the session's access tokens ended (users of a program; the
    /// platform admin's have no program to publish on, and end when they expire).
    async fn session_ended(
        &self,
        conn: &mut PgConnection,
        user: Uuid,
        family: Uuid,
        reason: &str,
    ) -> Result<(), AppError> {
        if let Some(tenant) = store::user_by_id(conn, user).await?.and_then(|u| u.tenant_id) {
            crate::events::access_revoked(&self.outbox, conn, tenant, user, &[family], None, reason).await?;
        }
        Ok(())
    }

    pub(super) async fn exchange_api_key_impl(
        &self,
        req: pb::ExchangeApiKeyRequest,
    ) -> Result<pb::AccessToken, AppError> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let key = store::use_api_key(&mut conn, &sha256(req.api_key.trim()), now)
            .await?
            .ok_or_else(|| AppError::unauthenticated("the API key is unknown or revoked"))?;
        let claims = Claims {
            sub: key.id,
            iss: self.signer.issuer().to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.settings.access_ttl_secs,
            tid: Some(key.tenant_id),
            role: Role::Integrator,
            pid: None,
            scp: key.scopes,
            sus: false,
            sid: None,
        };
        Ok(pb::AccessToken { access_token: self.signer.sign(&claims)?, expires_in: self.settings.access_ttl_secs })
    }

    pub(super) fn jwks(&self) -> pb::Jwks {
        pb::Jwks {
            keys: vec![pb::Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: self.signer.public_x().into(),
                kid: self.signer.kid().into(),
                alg: "EdDSA".into(),
                r#use: "sig".into(),
            }],
        }
    }

    pub(super) async fn me_impl(&self, p: Principal) -> Result<pb::Me, AppError> {
        let mut conn = self.pool.acquire().await?;
        let program = match p.tenant {
            Some(t) => {
                let mut tx = platform::db::TenantTx::begin(&self.pool, t).await?;
                let row = store::tenant(&mut tx).await?;
                tx.commit().await?;
                row
            }
            None => None,
        };
        if p.role == Role::Integrator {
            return Ok(pb::Me {
                user_id: p.subject.to_string(),
                email: String::new(),
                name: "API key".into(),
                role: p.role.as_str().into(),
                tenant_id: p.tenant.map(|t| t.to_string()),
                program_slug: program.as_ref().map(|t| t.slug.clone()),
                program_name: program.as_ref().map(|t| t.name.clone()),
                partner: None,
                language: "en".into(),
                scopes: p.scopes,
            });
        }
        let user = store::user_by_id(&mut conn, p.subject)
            .await?
            .ok_or_else(|| AppError::unauthenticated("this account no longer exists"))?;
        let partner = match p.partner_id() {
            Some(_) => store::partner_by_user(&mut conn, user.id).await?.map(|r| convert::partner(&r)),
            None => None,
        };
        Ok(pb::Me {
            user_id: user.id.to_string(),
            email: user.email,
            name: user.name,
            role: user.role,
            tenant_id: user.tenant_id.map(|t| t.to_string()),
            program_slug: program.as_ref().map(|t| t.slug.clone()),
            program_name: program.as_ref().map(|t| t.name.clone()),
            partner,
            language: user.language,
            scopes: Vec::new(),
        })
    }

    /// Signs an access token for the user and stores a new refresh token in `family`.
    async fn issue(&self, conn: &mut PgConnection, user: &UserRow, family: Uuid) -> Result<pb::TokenPair, AppError> {
        let now = self.clock.now();
        let role =
            Role::parse(&user.role).ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown role {}", user.role)))?;
        let partner = if role == Role::Partner { store::partner_by_user(conn, user.id).await? } else { None };
        // P5: a suspended partner signs in to read; every change it asks for is refused.
        let suspended = partner.as_ref().is_some_and(|p| p.status == "suspended");
        let partner = partner.map(|p| p.id);
        let claims = Claims {
            sub: user.id,
            iss: self.signer.issuer().to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.settings.access_ttl_secs,
            tid: user.tenant_id,
            role,
            pid: partner,
            scp: Vec::new(),
            sus: suspended,
            sid: Some(family),
        };
        let refresh = random_token();
        let expires = now + Duration::days(self.settings.refresh_ttl_days);
        store::insert_refresh(conn, Uuid::now_v7(), user.id, family, &sha256(&refresh), expires, now).await?;
        Ok(pb::TokenPair {
            access_token: self.signer.sign(&claims)?,
            refresh_token: refresh,
            expires_in: self.settings.access_ttl_secs,
            token_type: "Bearer".into(),
        })
    }

    async fn last_issued(&self, conn: &mut PgConnection, refresh: &str) -> Result<Uuid, AppError> {
        let row = store::refresh_for_update(conn, &sha256(refresh))
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("refresh token vanished")))?;
        Ok(row.id)
    }
}
