//! Sign-in, token refresh, sign-out and the caller's own account (A1).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Caller, ClientIp};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, upstream};
use crate::state::AppState;

/// Hand-written: the client a sign-in is counted against (A1 rate limit) is the connection's,
/// never one the body names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// Program slug; needed only when the email has accounts in several programs.
    pub program: Option<String>,
}

/// Sign in with email and password. Repeated failures are refused for a while (429).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = pb::TokenPair), (status = 401, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<LoginBody>,
) -> Result<Json<pb::TokenPair>, AppError> {
    let req = pb::LoginRequest { email: b.email, password: b.password, program: b.program, client: ip };
    let pair = s.identity().login(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Json(pair))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = pb::RefreshRequest,
    responses((status = 200, body = pb::TokenPair), (status = 401, body = ProblemDoc)))]
pub async fn refresh(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<pb::RefreshRequest>,
) -> Result<Json<pb::TokenPair>, AppError> {
    let pair = s.identity().refresh(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Json(pair))
}

/// Sign out: ends the session of this refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = pb::LogoutRequest, responses((status = 204)))]
pub async fn logout(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<pb::LogoutRequest>,
) -> Result<StatusCode, AppError> {
    s.identity().logout(platform::grpc::request(req, None)).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account, its program and, for partners, its partner profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = pb::Me), (status = 401, body = ProblemDoc)))]
pub async fn me(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::Me>, AppError> {
    let me = s.identity().get_me(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(me))
}

/// Change the signed-in account's password (A1); every session of the account ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = pb::ChangePasswordRequest,
    responses((status = 204), (status = 401, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn change_password(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    s.identity().change_password(caller.request(req)).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}
