//! Applications to join a program (P2, P3, P4).

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::IntoParams;

use super::limit;
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    /// pending, approved or rejected
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Public: apply to a program. Approved at once unless the program reviews applications.
#[utoipa::path(post, path = "/api/v1/programs/{slug}/applications", tag = "applications", params(("slug" = String, Path)),
    request_body = pb::SubmitApplicationRequest,
    responses((status = 201, body = pb::Application), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn submit_application(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<pb::SubmitApplicationRequest>,
) -> Result<(StatusCode, Json<pb::Application>), AppError> {
    let req = pb::SubmitApplicationRequest { program: slug, ..b };
    let a = s.identity().submit_application(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(get, path = "/api/v1/applications", tag = "applications", security(("bearer" = [])), params(ApplicationQuery),
    responses((status = 200, body = pb::ApplicationPage), (status = 403, body = ProblemDoc)))]
pub async fn list_applications(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ApplicationQuery>,
) -> Result<Json<pb::ApplicationPage>, AppError> {
    let req = pb::ListApplicationsRequest { status: q.status, limit: limit(q.limit), cursor: q.cursor };
    let page = s.identity().list_applications(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// Approve a pending application: the applicant becomes a partner (a sub-partner when invited).
#[utoipa::path(post, path = "/api/v1/applications/{id}/approve", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = pb::Application), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn approve_application(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Application>, AppError> {
    let req = pb::ReviewApplicationRequest { id, reason: String::new() };
    let a = s.identity().approve_application(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(a))
}

/// Reject a pending application with a reason told to the applicant.
#[utoipa::path(post, path = "/api/v1/applications/{id}/reject", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::ReviewApplicationRequest,
    responses((status = 200, body = pb::Application), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn reject_application(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::ReviewApplicationRequest>,
) -> Result<Json<pb::Application>, AppError> {
    let req = pb::ReviewApplicationRequest { id, ..b };
    let a = s.identity().reject_application(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(a))
}
