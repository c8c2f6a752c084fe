//! X4: flagged commissions, and the merchant's decisions on them. Commissions decides who sees
//! what: a merchant the queue with each flag's signals, a partner only that its orders are under
//! review.

use axum::Json;
use axum::extract::State;
use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::limit;
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FlagQuery {
    /// open (default), released, rejected or all
    pub status: Option<String>,
    /// Merchants: one partner's flags.
    pub partner_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Hand-written: the order is the path's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagDecision {
    /// release (the commission matures, now if its hold is over) or reject (it is voided)
    pub decision: String,
    /// Why, 1-500 characters; kept with the decision.
    pub note: String,
}

/// X4: flagged commissions, newest first: open ones unless `status` says otherwise.
#[utoipa::path(get, path = "/api/v1/fraud-flags", tag = "commissions", security(("bearer" = [])), params(FlagQuery),
    responses((status = 200, body = pb::FraudFlagPage), (status = 422, body = ProblemDoc)))]
pub async fn list_flags(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FlagQuery>,
) -> Result<Json<pb::FraudFlagPage>, AppError> {
    let req = pb::FraudFlagQuery {
        status: q.status,
        partner_id: q.partner_id,
        limit: Some(limit(q.limit)),
        cursor: q.cursor,
    };
    Ok(Json(s.commissions().list_fraud_flags(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// X4: the merchant releases or rejects a flagged order's commission (merchant admins, once).
#[utoipa::path(post, path = "/api/v1/fraud-flags/{order_id}/decision", tag = "commissions", security(("bearer" = [])),
    params(("order_id" = String, Path)), request_body = FlagDecision,
    responses((status = 200, body = pb::FraudFlag), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn decide_flag(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(order_id): ResourceId,
    ApiJson(b): ApiJson<FlagDecision>,
) -> Result<Json<pb::FraudFlag>, AppError> {
    let req = pb::FraudFlagDecision { order_id, decision: b.decision, note: b.note };
    Ok(Json(s.commissions().decide_fraud_flag(caller.request(req)).await.map_err(upstream)?.into_inner()))
}
