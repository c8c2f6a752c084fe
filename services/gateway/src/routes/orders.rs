//! Catalog, orders, coupons and checkout settings (O1-O9, L9). The orders service decides who may
//! do what; a partner reaches only its own orders (others are 404). Bodies are the orders API's
//! own messages (see `proto/partnerline/orders/v1/orders.proto`).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::orders::v1 as pb;
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
pub struct ProductQuery {
    /// Part of a SKU, name or category (case-insensitive).
    pub q: Option<String>,
    pub category: Option<String>,
    /// Merchants: list inactive products too.
    #[serde(default)]
    pub include_inactive: bool,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// O1: the catalog, by name. Partners see active products.
#[utoipa::path(get, path = "/api/v1/products", tag = "orders", security(("bearer" = [])), params(ProductQuery),
    responses((status = 200, body = pb::ProductPage), (status = 422, body = ProblemDoc)))]
pub async fn list_products(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> Result<Json<pb::ProductPage>, AppError> {
    let req = pb::ListProductsRequest {
        q: q.q,
        category: q.category,
        include_inactive: q.include_inactive,
        limit: limit(q.limit),
        cursor: q.cursor,
    };
    Ok(Json(s.orders().list_products(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// O1: a product; a commission rate above 50% is stored as 50% and `notices` says so (C1).
#[utoipa::path(post, path = "/api/v1/products", tag = "orders", security(("bearer" = [])),
    request_body = pb::CreateProductRequest,
    responses((status = 201, body = pb::Product), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn create_product(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::CreateProductRequest>,
) -> Result<(StatusCode, Json<pb::Product>), AppError> {
    let p = s.orders().create_product(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = pb::Product), (status = 404, body = ProblemDoc)))]
pub async fn get_product(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Product>, AppError> {
    Ok(Json(s.orders().get_product(caller.request(pb::ProductRef { id })).await.map_err(upstream)?.into_inner()))
}

/// O1: change a product; `""` clears the commission rate or the wholesale price.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::UpdateProductRequest,
    responses((status = 200, body = pb::Product), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_product(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::UpdateProductRequest>,
) -> Result<Json<pb::Product>, AppError> {
    let req = pb::UpdateProductRequest { id, ..b };
    Ok(Json(s.orders().update_product(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// O1: many prices and commission rates at once; all or nothing, each bad item named.
#[utoipa::path(post, path = "/api/v1/products/bulk", tag = "orders", security(("bearer" = [])),
    request_body = pb::BulkUpdateProductsRequest,
    responses((status = 200, body = pb::BulkUpdateProductsResult), (status = 403, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn bulk_update_products(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::BulkUpdateProductsRequest>,
) -> Result<Json<pb::BulkUpdateProductsResult>, AppError> {
    Ok(Json(s.orders().bulk_update_products(caller.request(b)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// Part of an order number or customer name.
    pub q: Option<String>,
    pub status: Option<String>,
    pub customer_id: Option<String>,
    /// Merchants: one partner's orders (attributed to it or placed by it).
    pub partner_id: Option<String>,
    /// YYYY-MM-DD or RFC 3339, inclusive.
    pub placed_from: Option<String>,
    pub placed_to: Option<String>,
    /// placed_at (default -placed_at), total, number, status, customer_name; `-` for descending.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// O7: number, customer, status and total; search, filters, sort, pages.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), params(OrderQuery),
    responses((status = 200, body = pb::OrderPage), (status = 422, body = ProblemDoc)))]
pub async fn list_orders(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<pb::OrderPage>, AppError> {
    let req = pb::ListOrdersRequest {
        q: q.q,
        status: q.status,
        customer_id: q.customer_id,
        partner_id: q.partner_id,
        placed_from: q.placed_from,
        placed_to: q.placed_to,
        sort: q.sort,
        limit: limit(q.limit),
        cursor: q.cursor,
    };
    Ok(Json(s.orders().list_orders(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// O2, O3, O9, L9: place an order; totals are computed by the server. A `pay_later_link` order
/// answers with its payment token once (the customer pays at `/pay/{token}`).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    request_body = pb::PlaceOrderRequest,
    responses((status = 201, body = pb::PlacedOrder), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn place_order(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::PlaceOrderRequest>,
) -> Result<axum::response::Response, AppError> {
    let o = s.orders().place_order(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok(placed(o))
}

/// 201 with the order; one that carries its payment token is never saved for a replay.
fn placed(o: pb::PlacedOrder) -> axum::response::Response {
    let id = o.order.as_ref().map(|o| o.id.clone()).unwrap_or_default();
    let secret = o.payment_token.is_some();
    let res = axum::response::IntoResponse::into_response((StatusCode::CREATED, Json(o)));
    if secret { crate::idempotency::secret_inside(res, id) } else { res }
}

/// The cart's totals exactly as placing would compute them; nothing is stored.
#[utoipa::path(post, path = "/api/v1/orders/quote", tag = "orders", security(("bearer" = [])),
    request_body = pb::PlaceOrderRequest,
    responses((status = 200, body = pb::Order), (status = 422, body = ProblemDoc)))]
pub async fn quote_order(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::PlaceOrderRequest>,
) -> Result<Json<pb::Order>, AppError> {
    Ok(Json(s.orders().quote_order(caller.request(b)).await.map_err(upstream)?.into_inner()))
}

/// O7: the order page, with its lines, status history, notes and refunds.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = pb::Order), (status = 404, body = ProblemDoc)))]
pub async fn get_order(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Order>, AppError> {
    Ok(Json(s.orders().get_order(caller.request(pb::OrderRef { id })).await.map_err(upstream)?.into_inner()))
}

/// O4: move the order one step; any other move is a 409 naming the allowed next states.
#[utoipa::path(post, path = "/api/v1/orders/{id}/status", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::ChangeOrderStatusRequest,
    responses((status = 200, body = pb::Order), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn change_status(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::ChangeOrderStatusRequest>,
) -> Result<Json<pb::Order>, AppError> {
    let req = pb::ChangeOrderStatusRequest { id, ..b };
    Ok(Json(s.orders().change_order_status(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// O5: an internal or customer-facing note (customer-facing ones show on the payment page).
#[utoipa::path(post, path = "/api/v1/orders/{id}/notes", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::AddOrderNoteRequest,
    responses((status = 201, body = pb::Order), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add_note(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::AddOrderNoteRequest>,
) -> Result<(StatusCode, Json<pb::Order>), AppError> {
    let req = pb::AddOrderNoteRequest { id, ..b };
    let o = s.orders().add_order_note(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(o)))
}

/// O6: a partial or full refund, with the items that came back; never more than was paid.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refunds", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::RefundOrderRequest,
    responses((status = 201, body = pb::Order), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn refund(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::RefundOrderRequest>,
) -> Result<(StatusCode, Json<pb::Order>), AppError> {
    let req = pb::RefundOrderRequest { id, ..b };
    let o = s.orders().refund_order(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(o)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CouponQuery {
    /// Merchants: one partner's coupons.
    pub partner_id: Option<String>,
}

/// L9: a partner's coupons (the merchant sees all).
#[utoipa::path(get, path = "/api/v1/coupons", tag = "orders", security(("bearer" = [])), params(CouponQuery),
    responses((status = 200, body = pb::CouponList)))]
pub async fn list_coupons(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CouponQuery>,
) -> Result<Json<pb::CouponList>, AppError> {
    let req = pb::ListCouponsRequest { partner_id: q.partner_id };
    Ok(Json(s.orders().list_coupons(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// L9, X2: a coupon within the program's limits, maybe limited to some products, maybe with its
/// own commission rate.
#[utoipa::path(post, path = "/api/v1/coupons", tag = "orders", security(("bearer" = [])),
    request_body = pb::CreateCouponRequest,
    responses((status = 201, body = pb::Coupon), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn create_coupon(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::CreateCouponRequest>,
) -> Result<(StatusCode, Json<pb::Coupon>), AppError> {
    let c = s.orders().create_coupon(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(post, path = "/api/v1/coupons/{id}/disable", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = pb::Coupon), (status = 404, body = ProblemDoc)))]
pub async fn disable_coupon(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Coupon>, AppError> {
    Ok(Json(s.orders().disable_coupon(caller.request(pb::CouponRef { id })).await.map_err(upstream)?.into_inner()))
}

/// What checkout adds: flat shipping for orders with a physical item, and the tax rate.
#[utoipa::path(get, path = "/api/v1/checkout-settings", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = pb::CheckoutSettings)))]
pub async fn get_checkout(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::CheckoutSettings>, AppError> {
    Ok(Json(s.orders().get_checkout_settings(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner()))
}

#[utoipa::path(patch, path = "/api/v1/checkout-settings", tag = "orders", security(("bearer" = [])),
    request_body = pb::UpdateCheckoutSettingsRequest,
    responses((status = 200, body = pb::CheckoutSettings), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_checkout(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::UpdateCheckoutSettingsRequest>,
) -> Result<Json<pb::CheckoutSettings>, AppError> {
    Ok(Json(s.orders().update_checkout_settings(caller.request(b)).await.map_err(upstream)?.into_inner()))
}

/// O8: up to 1,000 orders (new ones, or status changes and refunds of ones imported before), each
/// answered `created`, `updated`, `duplicate` or `rejected` with reasons; idempotent by
/// `external_id`. One bad order never blocks the others.
#[utoipa::path(post, path = "/api/v1/orders/import", tag = "orders", security(("bearer" = [])),
    request_body = pb::ImportOrdersRequest,
    responses((status = 200, body = pb::ImportOrdersResult), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn import_orders(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::ImportOrdersRequest>,
) -> Result<Json<pb::ImportOrdersResult>, AppError> {
    Ok(Json(s.orders().import_orders(caller.request(b)).await.map_err(upstream)?.into_inner()))
}

/// O3: a new payment link for an order waiting for payment (the old link stops working); the
/// customer is emailed again.
#[utoipa::path(post, path = "/api/v1/orders/{id}/payment-link", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = pb::PlacedOrder), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn renew_payment_link(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<axum::response::Response, AppError> {
    let o = s.orders().renew_payment_link(caller.request(pb::OrderRef { id })).await.map_err(upstream)?.into_inner();
    Ok(placed(o))
}
