//! I2: the merchant's webhook endpoints (signed per Standard Webhooks) and their delivery log:
//! every message with its state, every attempt, resend one, recover the failed since a time,
//! rotate the secret, send a test event. Merchant admins, or API keys with `webhooks:read` /
//! `webhooks:write`.

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::limit;
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

/// Registers an endpoint; the answer holds its signing secret, and nothing answers it again.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = pb::CreateEndpointRequest,
    responses((status = 201, body = pb::EndpointSecret), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateEndpointRequest>,
) -> Result<(StatusCode, Json<pb::EndpointSecret>), AppError> {
    let e = s.webhooks().create_endpoint(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(e)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The program's endpoints, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = pb::EndpointPage), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<pb::EndpointPage>, AppError> {
    let req = pb::ListEndpointsRequest { limit: limit(q.limit), cursor: q.cursor };
    Ok(Json(s.webhooks().list_endpoints(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = pb::Endpoint), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Endpoint>, AppError> {
    let req = pb::EndpointRef { id };
    Ok(Json(s.webhooks().get_endpoint(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// A patch: a field left out stays as it is. `event_types` is the new list (`[]`: every type).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    /// `true` turns a disabled endpoint back on (its failure run starts again).
    pub enabled: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = EndpointPatch,
    responses((status = 200, body = pb::Endpoint), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(p): ApiJson<EndpointPatch>,
) -> Result<Json<pb::Endpoint>, AppError> {
    let req = pb::UpdateEndpointRequest {
        id,
        url: p.url,
        set_event_types: p.event_types.is_some(),
        event_types: p.event_types.unwrap_or_default(),
        description: p.description,
        enabled: p.enabled,
    };
    Ok(Json(s.webhooks().update_endpoint(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// Deletes an endpoint: nothing is delivered to it again.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    s.webhooks().delete_endpoint(caller.request(pb::EndpointRef { id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Rotation {
    /// How long the old secret keeps signing beside the new one, 0-72 hours (default 24).
    pub grace_hours: Option<u32>,
}

/// A new secret, answered once (the body may be `{}`); during the grace period every message carries both signatures.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Rotation,
    responses((status = 200, body = pb::EndpointSecret), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn rotate_secret(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(r): ApiJson<Rotation>,
) -> Result<Json<pb::EndpointSecret>, AppError> {
    let req = pb::RotateSecretRequest { id, grace_hours: r.grace_hours };
    Ok(Json(s.webhooks().rotate_secret(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// Sends a `webhook.test` message to this endpoint now; its attempts are in the log.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 202, body = pb::WebhookDelivery), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn send_test(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<(StatusCode, Json<pb::WebhookDelivery>), AppError> {
    let d = s.webhooks().send_test_event(caller.request(pb::EndpointRef { id })).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::ACCEPTED, Json(d)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// pending, succeeded or failed
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The endpoint's messages, newest first, each with its state and number of attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/messages", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path), DeliveryQuery),
    responses((status = 200, body = pb::DeliveryPage), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn deliveries(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(endpoint_id): ResourceId,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<pb::DeliveryPage>, AppError> {
    let req = pb::ListDeliveriesRequest {
        endpoint_id,
        status: q.status.unwrap_or_default(),
        limit: limit(q.limit),
        cursor: q.cursor,
    };
    Ok(Json(s.webhooks().list_deliveries(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttemptQuery {
    /// Only this message's attempts.
    pub message_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Every attempt at the endpoint, newest first: time, status code, duration, the answer's start.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/attempts", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path), AttemptQuery),
    responses((status = 200, body = pb::AttemptPage), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn attempts(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(endpoint_id): ResourceId,
    ApiQuery(q): ApiQuery<AttemptQuery>,
) -> Result<Json<pb::AttemptPage>, AppError> {
    let req =
        pb::ListAttemptsRequest { endpoint_id, message_id: q.message_id, limit: limit(q.limit), cursor: q.cursor };
    Ok(Json(s.webhooks().list_attempts(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// Delivers one message again now, from the start of the schedule.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/messages/{message_id}/resend", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path), ("message_id" = String, Path)),
    responses((status = 202, body = pb::WebhookDelivery), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn resend(
    State(s): State<AppState>,
    caller: Caller,
    Path((endpoint_id, message_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<pb::WebhookDelivery>), AppError> {
    let req = pb::ResendRequest { endpoint_id, message_id };
    let d = s.webhooks().resend(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::ACCEPTED, Json(d)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// RFC 3339: the failed messages made since then are delivered again.
    pub since: String,
}

/// Delivers again every message to this endpoint that failed for good since a time.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/recover", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Recovery,
    responses((status = 202, body = pb::Recovered), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn recover(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(endpoint_id): ResourceId,
    ApiJson(r): ApiJson<Recovery>,
) -> Result<(StatusCode, Json<pb::Recovered>), AppError> {
    let req = pb::RecoverRequest { endpoint_id, since: r.since };
    let n = s.webhooks().recover(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::ACCEPTED, Json(n)))
}
