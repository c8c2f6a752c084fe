//! X6: the exchange rates a program keeps, given as a list or a CSV rate table.

use axum::Json;
use axum::extract::State;
use partnerline_proto::orders::v1 as pb;
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
pub struct RateQuery {
    /// One currency the rates convert from (ISO 4217).
    pub from: Option<String>,
    /// One currency the rates convert to.
    pub to: Option<String>,
}

/// Every rate, by pair, newest first (merchant staff).
#[utoipa::path(get, path = "/api/v1/exchange-rates", tag = "orders", security(("bearer" = [])), params(RateQuery),
    responses((status = 200, body = pb::ExchangeRateList), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn list_rates(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RateQuery>,
) -> Result<Json<pb::ExchangeRateList>, AppError> {
    let req = pb::ExchangeRateQuery { from: q.from, to: q.to };
    Ok(Json(s.orders().list_exchange_rates(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// Keep exchange rates (merchant admins): `rates` (from, to, rate, valid_from), or `csv`, a rate
/// table with the header `from,to,rate,valid_from`. A rate given again for the same pair and day
/// replaces it; an order keeps the rate in force when it was placed. Answers every rate kept.
#[utoipa::path(put, path = "/api/v1/exchange-rates", tag = "orders", security(("bearer" = [])),
    request_body = pb::PutExchangeRatesRequest,
    responses((status = 200, body = pb::ExchangeRateList), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn put_rates(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::PutExchangeRatesRequest>,
) -> Result<Json<pb::ExchangeRateList>, AppError> {
    Ok(Json(s.orders().put_exchange_rates(caller.request(b)).await.map_err(upstream)?.into_inner()))
}
