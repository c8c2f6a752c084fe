//! Sign-in, token refresh, sign-out and the caller's own account (A1).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use crate::auth::{Caller, ClientIp};
use crate::dto::{ChangePassword, LoginBody, Me, RefreshBody, TokenPair};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, upstream};
use crate::state::AppState;

/// Sign in with email and password. Repeated failures are refused for a while (429).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = TokenPair), (status = 401, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<LoginBody>,
) -> Result<Json<TokenPair>, AppError> {
    let req = pb::LoginRequest { email: b.email, password: b.password, program: b.program, client: ip };
    let pair = s.identity().login(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Json(pair.into()))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokenPair), (status = 401, body = ProblemDoc)))]
pub async fn refresh(State(s): State<AppState>, ApiJson(b): ApiJson<RefreshBody>) -> Result<Json<TokenPair>, AppError> {
    let req = pb::RefreshRequest { refresh_token: b.refresh_token };
    let pair = s.identity().refresh(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Json(pair.into()))
}

/// Sign out: ends the session of this refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshBody, responses((status = 204)))]
pub async fn logout(State(s): State<AppState>, ApiJson(b): ApiJson<RefreshBody>) -> Result<StatusCode, AppError> {
    let req = pb::LogoutRequest { refresh_token: b.refresh_token };
    s.identity().logout(platform::grpc::request(req, None)).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account, its program and, for partners, its partner profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ProblemDoc)))]
pub async fn me(State(s): State<AppState>, caller: Caller) -> Result<Json<Me>, AppError> {
    let me = s.identity().get_me(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(me.into()))
}

/// Change the signed-in account's password (A1); every session of the account ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204), (status = 401, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn change_password(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ChangePassword>,
) -> Result<StatusCode, AppError> {
    let req = pb::ChangePasswordRequest { current_password: b.current_password, new_password: b.new_password };
    s.identity().change_password(caller.request(req)).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}
