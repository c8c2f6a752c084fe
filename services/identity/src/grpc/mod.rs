//! The identity gRPC service: decode, authorize, call domain and store, encode. Each area has
//! its own file; this one wires them to the generated trait.

mod api_keys;
mod applications;
mod convert;
mod partners;
mod program;
mod sessions;
mod staff;

use std::sync::Arc;

use partnerline_proto::identity::v1 as pb;
use partnerline_proto::identity::v1::identity_server::Identity;
use platform::auth::{Signer, Verifier};
use platform::grpc::{Grant, Reply, authed, reply};
use platform::outbox::Outbox;
use platform::{AppError, Clock};
use sqlx::PgPool;
use tonic::Request;
use uuid::Uuid;

/// Shared state of the identity service.
#[derive(Clone)]
pub struct IdentityService {
    pub(crate) pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) signer: Arc<Signer>,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    pub(crate) settings: Arc<Settings>,
}

/// Identity's own tunables (from `auth.*` and `[identity]`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_ttl_secs: i64,
    pub refresh_ttl_days: i64,
    pub argon2_memory_kib: u32,
    pub max_failures_per_email: i64,
    pub max_failures_per_client: i64,
    pub failure_window_secs: i64,
}

/// Parses an id from the client; a malformed id is simply not found.
pub(crate) fn parse_id(raw: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found(what))
}

pub(crate) fn cursor(raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    raw.filter(|c| !c.is_empty())
        .map(|c| Uuid::parse_str(c).map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned")))
        .transpose()
}

/// Trims a page fetched with `limit + 1` rows and returns the next cursor.
pub(crate) fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid) -> Option<String> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| id(r).to_string())
    } else {
        None
    }
}

#[tonic::async_trait]
impl Identity for IdentityService {
    async fn login(&self, req: Request<pb::LoginRequest>) -> Reply<pb::TokenPair> {
        reply(self.login_impl(req.into_inner()).await)
    }
    async fn refresh(&self, req: Request<pb::RefreshRequest>) -> Reply<pb::TokenPair> {
        reply(self.refresh_impl(req.into_inner()).await)
    }
    async fn logout(&self, req: Request<pb::LogoutRequest>) -> Reply<pb::Empty> {
        reply(self.logout_impl(req.into_inner()).await)
    }
    async fn exchange_api_key(&self, req: Request<pb::ExchangeApiKeyRequest>) -> Reply<pb::AccessToken> {
        reply(self.exchange_api_key_impl(req.into_inner()).await)
    }
    async fn get_jwks(&self, _req: Request<pb::Empty>) -> Reply<pb::Jwks> {
        reply(Ok(self.jwks()))
    }
    async fn get_me(&self, req: Request<pb::Empty>) -> Reply<pb::Me> {
        authed(&self.verifier, req, Grant::AnyCaller, |p, _: pb::Empty| self.me_impl(p)).await
    }
    async fn change_password(&self, req: Request<pb::ChangePasswordRequest>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::People, |p, m| self.change_password_impl(p, m)).await
    }
    async fn create_user(&self, req: Request<pb::CreateUserRequest>) -> Reply<pb::User> {
        authed(&self.verifier, req, Grant::People, |p, m| self.create_user_impl(p, m)).await
    }
    async fn list_users(&self, req: Request<pb::ListUsersRequest>) -> Reply<pb::UserList> {
        authed(&self.verifier, req, Grant::People, |p, m| self.list_users_impl(p, m)).await
    }
    async fn create_tenant(&self, req: Request<pb::CreateTenantRequest>) -> Reply<pb::Tenant> {
        authed(&self.verifier, req, Grant::People, |p, m| self.create_tenant_impl(p, m)).await
    }
    async fn get_program(&self, req: Request<pb::Empty>) -> Reply<pb::Program> {
        authed(&self.verifier, req, Grant::Scope("program:read"), |p, _: pb::Empty| self.get_program_impl(p)).await
    }
    async fn update_program(&self, req: Request<pb::UpdateProgramRequest>) -> Reply<pb::Program> {
        authed(&self.verifier, req, Grant::Scope("program:write"), |p, m| self.update_program_impl(p, m)).await
    }
    async fn get_join_page(&self, req: Request<pb::GetJoinPageRequest>) -> Reply<pb::JoinPage> {
        reply(self.join_page_impl(req.into_inner()).await)
    }
    async fn list_partners(&self, req: Request<pb::ListPartnersRequest>) -> Reply<pb::PartnerPage> {
        authed(&self.verifier, req, Grant::Scope("partners:read"), |p, m| self.list_partners_impl(p, m)).await
    }
    async fn create_partner(&self, req: Request<pb::CreatePartnerRequest>) -> Reply<pb::Partner> {
        authed(&self.verifier, req, Grant::Scope("partners:write"), |p, m| self.create_partner_impl(p, m)).await
    }
    async fn get_partner(&self, req: Request<pb::GetPartnerRequest>) -> Reply<pb::Partner> {
        authed(&self.verifier, req, Grant::Scope("partners:read"), |p, m| self.get_partner_impl(p, m)).await
    }
    async fn update_partner(&self, req: Request<pb::UpdatePartnerRequest>) -> Reply<pb::Partner> {
        authed(&self.verifier, req, Grant::Scope("partners:write"), |p, m| self.update_partner_impl(p, m)).await
    }
    async fn known_partners(&self, req: Request<pb::KnownPartnersRequest>) -> Reply<pb::KnownPartnersReply> {
        authed(&self.verifier, req, Grant::AnyCaller, |p, m| self.known_partners_impl(p, m)).await
    }
    async fn create_invite(&self, req: Request<pb::CreateInviteRequest>) -> Reply<pb::Invite> {
        authed(&self.verifier, req, Grant::People, |p, m| self.create_invite_impl(p, m)).await
    }
    async fn submit_application(&self, req: Request<pb::SubmitApplicationRequest>) -> Reply<pb::Application> {
        reply(self.submit_application_impl(req.into_inner()).await)
    }
    async fn list_applications(&self, req: Request<pb::ListApplicationsRequest>) -> Reply<pb::ApplicationPage> {
        authed(&self.verifier, req, Grant::Scope("applications:read"), |p, m| self.list_applications_impl(p, m)).await
    }
    async fn approve_application(&self, req: Request<pb::ReviewApplicationRequest>) -> Reply<pb::Application> {
        authed(&self.verifier, req, Grant::Scope("applications:write"), |p, m| self.approve_application_impl(p, m))
            .await
    }
    async fn reject_application(&self, req: Request<pb::ReviewApplicationRequest>) -> Reply<pb::Application> {
        authed(&self.verifier, req, Grant::Scope("applications:write"), |p, m| self.reject_application_impl(p, m)).await
    }
    async fn create_api_key(&self, req: Request<pb::CreateApiKeyRequest>) -> Reply<pb::CreatedApiKey> {
        authed(&self.verifier, req, Grant::People, |p, m| self.create_api_key_impl(p, m)).await
    }
    async fn list_api_keys(&self, req: Request<pb::Empty>) -> Reply<pb::ApiKeyList> {
        authed(&self.verifier, req, Grant::People, |p, _: pb::Empty| self.list_api_keys_impl(p)).await
    }
    async fn revoke_api_key(&self, req: Request<pb::RevokeApiKeyRequest>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::People, |p, m| self.revoke_api_key_impl(p, m)).await
    }
}
