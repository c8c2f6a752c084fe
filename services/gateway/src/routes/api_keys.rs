//! API keys for integrators (A3).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use crate::auth::Caller;
use crate::dto::{ApiKeyList, CreateApiKey, CreatedApiKey};
use crate::idempotency::secret_inside;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ResourceId, upstream};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, body = ApiKeyList), (status = 403, body = ProblemDoc)))]
pub async fn list_api_keys(State(s): State<AppState>, caller: Caller) -> Result<Json<ApiKeyList>, AppError> {
    let list = s.identity().list_api_keys(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(ApiKeyList { items: list.items.into_iter().map(Into::into).collect() }))
}

/// Create a key limited to `scopes`; its secret is shown only in this response.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])), request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_api_key(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateApiKey>,
) -> Result<Response, AppError> {
    let req = pb::CreateApiKeyRequest { name: b.name, scopes: b.scopes };
    let k = s.identity().create_api_key(caller.request(req)).await.map_err(upstream)?.into_inner();
    let id = k.key.as_ref().map(|k| k.id.clone()).unwrap_or_default();
    let created = (StatusCode::CREATED, Json(CreatedApiKey { key: k.key.map(Into::into), secret: k.secret }));
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
