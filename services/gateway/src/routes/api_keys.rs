//! API keys for integrators (A3).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use crate::auth::Caller;
use crate::idempotency::secret_inside;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ResourceId, upstream};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, body = pb::ApiKeyList), (status = 403, body = ProblemDoc)))]
pub async fn list_api_keys(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::ApiKeyList>, AppError> {
    let list = s.identity().list_api_keys(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(list))
}

/// Create a key limited to `scopes`; its secret is shown only in this response.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])), request_body = pb::CreateApiKeyRequest,
    responses((status = 201, body = pb::CreatedApiKey), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_api_key(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateApiKeyRequest>,
) -> Result<Response, AppError> {
    let k = s.identity().create_api_key(caller.request(req)).await.map_err(upstream)?.into_inner();
    let id = k.key.as_ref().map(|k| k.id.clone()).unwrap_or_default();
    let created = (StatusCode::CREATED, Json(k));
    Ok(secret_inside(created, id))
}

/// Revoke a key: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ProblemDoc)))]
pub async fn revoke_api_key(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    s.identity().revoke_api_key(caller.request(pb::RevokeApiKeyRequest { id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}
