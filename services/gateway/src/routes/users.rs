//! The merchant's staff: admins and sales reps.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use crate::auth::Caller;
use crate::dto::{CreateUser, User, UserList, UserQuery};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, upstream};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/users", tag = "program", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = UserList), (status = 403, body = ProblemDoc)))]
pub async fn list_users(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<UserList>, AppError> {
    let list = s
        .identity()
        .list_users(caller.request(pb::ListUsersRequest { role: q.role }))
        .await
        .map_err(upstream)?
        .into_inner();
    Ok(Json(UserList { items: list.items.into_iter().map(Into::into).collect() }))
}

/// Add a merchant admin or sales rep (merchant admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "program", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_user(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), AppError> {
    let req = pb::CreateUserRequest {
        email: b.email,
        name: b.name,
        phone: b.phone,
        password: b.password,
        role: b.role,
        language: b.language,
    };
    let u = s.identity().create_user(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(u.into())))
}
