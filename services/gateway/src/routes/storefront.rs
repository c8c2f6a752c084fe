//! What customers open without signing in: the payment page of a pay-later order (O3) and the
//! quick-order catalog of their link (CU8), as JSON and as small server-rendered pages. A bad
//! token is a plain 404 that reveals nothing.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;

use super::join_page::escape;
use crate::auth::ClientIp;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, upstream};
use crate::state::AppState;

fn with_client<T>(msg: T, ip: &str) -> tonic::Request<T> {
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

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}\
table{width:100%;border-collapse:collapse}td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}\
.num{text-align:right}.note{background:#fffbe6;padding:.5rem;margin:.5rem 0}button{font-size:1.1rem;padding:.5rem 1.5rem}";

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{t}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        t = escape(title)
    ))
    .into_response()
}

/// `GET /pay/{token}`: the order, its customer-facing notes and a Pay button (O3).
pub async fn pay_page(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let req = platform::grpc::request(pb::PaymentTokenRequest { token: token.clone() }, None);
    let p = s.orders().get_payment_page(req).await.map_err(upstream)?.into_inner();
    let rows: String = p
        .items
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&i.name),
                i.quantity,
                escape(&i.unit_price),
                escape(&i.net)
            )
        })
        .collect();
    let notes: String = p.notes.iter().map(|n| format!("<p class=\"note\">{}</p>", escape(&n.body))).collect();
    let cur = escape(&p.currency);
    let action = if p.payable {
        format!(
            r#"<button id="pay" data-token="{t}">Pay {total} {cur}</button><p id="result" role="status"></p>
<script>
document.getElementById('pay').addEventListener('click', async (e) => {{
  e.target.disabled = true;
  const r = await fetch('/api/v1/payments/' + encodeURIComponent(e.target.dataset.token) + '/pay', {{ method: 'POST' }});
  const j = await r.json();
  document.getElementById('result').textContent = r.ok ? 'Thank you: your payment was received.' : j.detail;
}});
</script>"#,
            t = escape(&token),
            total = escape(&p.total),
        )
    } else {
        format!("<p>This order is {}.</p>", escape(&p.status.replace('_', " ")))
    };
    let body = format!(
        "<h1>Order {number}</h1><p>For {customer}</p><table><tr><th>Item</th><th class=\"num\">Qty</th>\
<th class=\"num\">Price</th><th class=\"num\">Amount</th></tr>{rows}</table>\
<table><tr><td>Subtotal</td><td class=\"num\">{sub} {cur}</td></tr><tr><td>Discount</td><td class=\"num\">-{disc} {cur}</td></tr>\
<tr><td>Shipping</td><td class=\"num\">{ship} {cur}</td></tr><tr><td>Tax</td><td class=\"num\">{tax} {cur}</td></tr>\
<tr><th>Total</th><th class=\"num\">{total} {cur}</th></tr></table>{notes}{action}",
        number = escape(&p.number),
        customer = escape(&p.customer_name),
        sub = escape(&p.subtotal),
        disc = escape(&p.discount),
        ship = escape(&p.shipping),
        tax = escape(&p.tax),
        total = escape(&p.total),
    );
    Ok(page(&format!("Order {}", p.number), &body))
}

/// `GET /q/{token}`: the catalog at the customer's prices, with a form that orders (CU8).
pub async fn quick_page(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let req = with_client(pb::QuickOrderRequest { token: token.clone() }, &ip);
    let c = s.orders().get_quick_order_catalog(req).await.map_err(upstream)?.into_inner();
    let cur = escape(&c.currency);
    let rows: String = c
        .products
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{name}<br><small>{sku}</small></td><td class=\"num\">{price} {cur}</td>\
<td><input type=\"number\" min=\"0\" max=\"10000\" value=\"0\" data-product=\"{id}\" aria-label=\"Quantity of {name}\"></td></tr>",
                name = escape(&p.name),
                sku = escape(&p.sku),
                price = escape(&p.your_price),
                id = escape(&p.product_id),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Order for {customer}</h1><p>Your prices include your {discount}% discount.</p>
<table><tr><th>Product</th><th class="num">Your price</th><th>Quantity</th></tr>{rows}</table>
<p><label>Note <input id="note" maxlength="5000"></label></p>
<button id="order" data-token="{t}">Place order</button><p id="result" role="status"></p>
<script>
document.getElementById('order').addEventListener('click', async (e) => {{
  const items = [...document.querySelectorAll('input[data-product]')]
    .filter(i => Number(i.value) > 0).map(i => ({{ product_id: i.dataset.product, quantity: Number(i.value) }}));
  const r = await fetch('/q/' + encodeURIComponent(e.target.dataset.token) + '/orders', {{ method: 'POST',
    headers: {{ 'content-type': 'application/json' }},
    body: JSON.stringify({{ items, note: document.getElementById('note').value }}) }});
  const j = await r.json();
  if (r.ok && j.payment_token) location.href = '/pay/' + encodeURIComponent(j.payment_token);
  else document.getElementById('result').textContent = r.ok ? 'Thank you: order ' + j.order.number : j.detail;
}});
</script>"#,
        customer = escape(&c.customer_name),
        discount = escape(&c.discount_percent),
        t = escape(&token),
    );
    Ok(page(&format!("Order for {}", c.customer_name), &body))
}
