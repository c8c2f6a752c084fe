//! X1: an order's attribution history, the merchant's overrides and the partners' claims.
//! Bodies are attribution's own messages (`proto/partnerline/attribution/v1`).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

/// X1: every attribution decision on the order, newest last, with its reason.
#[utoipa::path(get, path = "/api/v1/orders/{id}/attribution", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = pb::OrderAttribution), (status = 404, body = ProblemDoc)))]
pub async fn order_attribution(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::OrderAttribution>, AppError> {
    let req = pb::OrderRef { order_id: id };
    Ok(Json(s.attribution().get_order_attribution(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The partner the order now belongs to; "" for nobody.
    #[serde(default)]
    pub partner_id: String,
    /// Why: kept on the order's attribution history.
    pub reason: String,
}

/// X1: the merchant gives the order to another partner (or to nobody), with a written reason.
#[utoipa::path(post, path = "/api/v1/orders/{id}/attribution/override", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Override,
    responses((status = 200, body = pb::OrderAttribution), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn override_attribution(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<Override>,
) -> Result<Json<pb::OrderAttribution>, AppError> {
    let req = pb::OverrideRequest { order_id: id, partner_id: b.partner_id, reason: b.reason };
    Ok(Json(s.attribution().override_attribution(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileClaim {
    pub order_id: String,
    /// What the partner says happened.
    pub message: String,
}

/// X1: a partner says an order was its referral.
#[utoipa::path(post, path = "/api/v1/attribution-claims", tag = "attribution", security(("bearer" = [])),
    request_body = FileClaim,
    responses((status = 201, body = pb::Claim), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn file_claim(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<FileClaim>,
) -> Result<(StatusCode, Json<pb::Claim>), AppError> {
    let req = pb::FileClaimRequest { order_id: b.order_id, message: b.message };
    let c = s.attribution().file_claim(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClaimQuery {
    /// pending, accepted or rejected
    pub status: Option<String>,
}

/// X1: a partner's claims; the merchant sees all.
#[utoipa::path(get, path = "/api/v1/attribution-claims", tag = "attribution", security(("bearer" = [])),
    params(ClaimQuery), responses((status = 200, body = pb::ClaimList), (status = 422, body = ProblemDoc)))]
pub async fn list_claims(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ClaimQuery>,
) -> Result<Json<pb::ClaimList>, AppError> {
    let req = pb::ListClaimsRequest { status: q.status };
    Ok(Json(s.attribution().list_claims(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// X1: the merchant accepts a claim: the order goes to the claimant (reason `claim`).
#[utoipa::path(post, path = "/api/v1/attribution-claims/{id}/accept", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = pb::Claim), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc)))]
pub async fn accept_claim(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Claim>, AppError> {
    let req = pb::DecideClaimRequest { id, accept: true, reason: String::new() };
    Ok(Json(s.attribution().decide_claim(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectClaim {
    pub reason: String,
}

/// X1: the merchant rejects a claim, saying why.
#[utoipa::path(post, path = "/api/v1/attribution-claims/{id}/reject", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RejectClaim,
    responses((status = 200, body = pb::Claim), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn reject_claim(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<RejectClaim>,
) -> Result<Json<pb::Claim>, AppError> {
    let req = pb::DecideClaimRequest { id, accept: false, reason: b.reason };
    Ok(Json(s.attribution().decide_claim(caller.request(req)).await.map_err(upstream)?.into_inner()))
}
