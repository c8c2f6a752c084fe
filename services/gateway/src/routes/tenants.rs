//! Programs (tenants), created by the platform admin.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, upstream};
use crate::state::AppState;

/// Create a merchant program with its first admin (platform admin only).
#[utoipa::path(post, path = "/api/v1/tenants", tag = "program", security(("bearer" = [])), request_body = pb::CreateTenantRequest,
    responses((status = 201, body = pb::Tenant), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn create_tenant(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateTenantRequest>,
) -> Result<(StatusCode, Json<pb::Tenant>), AppError> {
    let t = s.identity().create_tenant(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(t)))
}
