//! The merchant's staff: admins and sales reps.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// merchant_admin or sales_rep
    pub role: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "program", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = pb::UserList), (status = 403, body = ProblemDoc)))]
pub async fn list_users(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<pb::UserList>, AppError> {
    let list = s
        .identity()
        .list_users(caller.request(pb::ListUsersRequest { role: q.role }))
        .await
        .map_err(upstream)?
        .into_inner();
    Ok(Json(list))
}

/// Add a merchant admin or sales rep (merchant admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "program", security(("bearer" = [])), request_body = pb::CreateUserRequest,
    responses((status = 201, body = pb::User), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_user(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateUserRequest>,
) -> Result<(StatusCode, Json<pb::User>), AppError> {
    let u = s.identity().create_user(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(u)))
}
