//! What customers open without signing in, as JSON: the payment page of a pay-later order (O3)
//! and the quick-order catalog of their link (CU8); the web crate renders them as pages. A bad
//! token is a plain 404 that reveals nothing.

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;

use crate::auth::ClientIp;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, upstream};
use crate::state::AppState;

/// A request without a caller, naming the client it is counted against (per-client limits).
pub fn with_client<T>(msg: T, ip: &str) -> tonic::Request<T> {
    let mut req = platform::grpc::request(msg, None);
    if let Ok(v) = ip.parse() {
        req.metadata_mut().insert("x-client", v);
    }
    req
}

/// O3: the order behind a payment link, with its customer-facing notes.
#[utoipa::path(get, path = "/api/v1/payments/{token}", tag = "storefront", params(("token" = String, Path)),
    responses((status = 200, body = pb::PaymentPage), (status = 404, body = ProblemDoc)))]
pub async fn payment(State(s): State<AppState>, Path(token): Path<String>) -> Result<Json<pb::PaymentPage>, AppError> {
    let req = platform::grpc::request(pb::PaymentTokenRequest { token }, None);
    Ok(Json(s.orders().get_payment_page(req).await.map_err(upstream)?.into_inner()))
}

/// O3: pay the order (the built-in provider confirms at once); 409 when it is not payable.
#[utoipa::path(post, path = "/api/v1/payments/{token}/pay", tag = "storefront", params(("token" = String, Path)),
    responses((status = 200, body = pb::PaymentPage), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn pay(State(s): State<AppState>, Path(token): Path<String>) -> Result<Json<pb::PaymentPage>, AppError> {
    let req = platform::grpc::request(pb::PaymentTokenRequest { token }, None);
    Ok(Json(s.orders().pay_by_token(req).await.map_err(upstream)?.into_inner()))
}

/// CU8: the catalog at the customer's prices, in its currency and language.
#[utoipa::path(get, path = "/api/v1/quick-order/{token}/catalog", tag = "storefront", params(("token" = String, Path)),
    responses((status = 200, body = pb::QuickOrderCatalog), (status = 404, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
pub async fn quick_catalog(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Json<pb::QuickOrderCatalog>, AppError> {
    let req = with_client(pb::QuickOrderRequest { token }, &ip);
    Ok(Json(s.orders().get_quick_order_catalog(req).await.map_err(upstream)?.into_inner()))
}

/// CU8: order through the link, without signing in (channel `quick_order`, attributed to the
/// customer's partner). Pay-later orders answer with the payment token.
#[utoipa::path(post, path = "/api/v1/quick-order/{token}/orders", tag = "storefront", params(("token" = String, Path)),
    request_body = pb::PlaceQuickOrderRequest,
    responses((status = 201, body = pb::PlacedOrder), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc),
        (status = 429, body = ProblemDoc)))]
pub async fn quick_order(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ApiJson(b): ApiJson<pb::PlaceQuickOrderRequest>,
) -> Result<(StatusCode, Json<pb::PlacedOrder>), AppError> {
    let req = with_client(pb::PlaceQuickOrderRequest { token, ..b }, &ip);
    let o = s.orders().place_quick_order(req).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(o)))
}

/// O3: a payment provider confirms a payment. The raw body is checked against the
/// `partnerline-signature` header (`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) with the
/// provider's secret; a redelivery changes nothing.
#[utoipa::path(post, path = "/api/v1/payments/webhooks/{provider}", tag = "storefront",
    params(("provider" = String, Path), ("partnerline-signature" = String, Header)),
    responses((status = 200, body = pb::PaymentWebhookResult), (status = 401, body = ProblemDoc),
        (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn payment_webhook(
    State(s): State<AppState>,
    Path(provider): Path<String>,
    headers: http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<pb::PaymentWebhookResult>, AppError> {
    let signature = headers.get("partnerline-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let req = platform::grpc::request(pb::PaymentWebhook { provider, body: body.to_vec(), signature }, None);
    Ok(Json(s.orders().confirm_payment_webhook(req).await.map_err(upstream)?.into_inner()))
}
