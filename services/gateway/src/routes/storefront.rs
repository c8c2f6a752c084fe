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
use super::storefront_text::{text, with};
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
.num{text-align:right}.note{background:#fffbe6;padding:.5rem;margin:.5rem 0}.brand{color:#555;font-weight:600}\
button{font-size:1.1rem;padding:.5rem 1.5rem}";

fn page(lang: &str, brand: &str, title: &str, body: &str) -> Response {
    let lang = if ["en", "it", "ro", "pl", "zh"].contains(&lang) { lang } else { "en" };
    Html(format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{t}</title><style>{STYLE}</style></head><body><p class=\"brand\">{b}</p>{body}</body></html>",
        t = escape(title),
        b = escape(brand),
    ))
    .into_response()
}

/// `GET /pay/{token}`: the order, its customer-facing notes and a Pay button (O3), in the
/// customer's language, under the merchant's name.
pub async fn pay_page(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let req = platform::grpc::request(pb::PaymentTokenRequest { token: token.clone() }, None);
    let p = s.orders().get_payment_page(req).await.map_err(upstream)?.into_inner();
    let l = p.language.as_str();
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
            r#"<button id="pay" data-token="{t}" data-done="{done}">{label}</button><p id="result" role="status"></p>
<script>
document.getElementById('pay').addEventListener('click', async (e) => {{
  e.target.disabled = true;
  const r = await fetch('/api/v1/payments/' + encodeURIComponent(e.target.dataset.token) + '/pay', {{ method: 'POST' }});
  const j = await r.json();
  document.getElementById('result').textContent = r.ok ? e.target.dataset.done : j.detail;
}});
</script>"#,
            t = escape(&token),
            done = escape(text(l, "paid")),
            label = with(l, "pay", &format!("{} {cur}", escape(&p.total))),
        )
    } else {
        format!("<p>{}</p>", with(l, "status", &escape(&p.status.replace('_', " "))))
    };
    let row =
        |key: &str, v: &str| format!("<tr><td>{}</td><td class=\"num\">{} {cur}</td></tr>", text(l, key), escape(v));
    let body = format!(
        "<h1>{title}</h1><p>{customer}</p><table><tr><th>{item}</th><th class=\"num\">{qty}</th>\
<th class=\"num\">{price}</th><th class=\"num\">{amount}</th></tr>{rows}</table>\
<table>{sub}{disc}{ship}{tax}<tr><th>{total_label}</th><th class=\"num\">{total} {cur}</th></tr></table>{notes}{action}",
        title = with(l, "order", &escape(&p.number)),
        customer = with(l, "for", &escape(&p.customer_name)),
        item = text(l, "item"),
        qty = text(l, "qty"),
        price = text(l, "price"),
        amount = text(l, "amount"),
        sub = row("subtotal", &p.subtotal),
        disc = row("discount", &format!("-{}", p.discount)),
        ship = row("shipping", &p.shipping),
        tax = row("tax", &p.tax),
        total_label = text(l, "total"),
        total = escape(&p.total),
    );
    Ok(page(l, &p.program_name, &with(l, "order", &p.number), &body))
}

/// `GET /q/{token}`: the merchant's catalog at the customer's prices, in its language and
/// currency, with a form that orders (CU8).
pub async fn quick_page(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let req = with_client(pb::QuickOrderRequest { token: token.clone() }, &ip);
    let c = s.orders().get_quick_order_catalog(req).await.map_err(upstream)?.into_inner();
    let l = c.language.as_str();
    let cur = escape(&c.currency);
    let rows: String = c
        .products
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{name}<br><small>{sku}</small></td><td class=\"num\">{price} {cur}</td>\
<td><input type=\"number\" min=\"0\" max=\"10000\" value=\"0\" data-product=\"{id}\" aria-label=\"{qty}: {name}\"></td></tr>",
                name = escape(&p.name),
                sku = escape(&p.sku),
                price = escape(&p.your_price),
                id = escape(&p.product_id),
                qty = text(l, "quantity"),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>{title}</h1><p>{discount}</p>
<table><tr><th>{product}</th><th class="num">{your_price}</th><th>{quantity}</th></tr>{rows}</table>
<p><label>{note} <input id="note" maxlength="5000"></label></p>
<button id="order" data-token="{t}" data-thanks="{thanks}">{place}</button><p id="result" role="status"></p>
<script>
document.getElementById('order').addEventListener('click', async (e) => {{
  const items = [...document.querySelectorAll('input[data-product]')]
    .filter(i => Number(i.value) > 0).map(i => ({{ product_id: i.dataset.product, quantity: Number(i.value) }}));
  const r = await fetch('/q/' + encodeURIComponent(e.target.dataset.token) + '/orders', {{ method: 'POST',
    headers: {{ 'content-type': 'application/json' }},
    body: JSON.stringify({{ items, note: document.getElementById('note').value }}) }});
  const j = await r.json();
  if (r.ok && j.payment_token) location.href = '/pay/' + encodeURIComponent(j.payment_token);
  else document.getElementById('result').textContent = r.ok ? e.target.dataset.thanks.replace('{{}}', j.order.number) : j.detail;
}});
</script>"#,
        title = with(l, "order_for", &escape(&c.customer_name)),
        discount = with(l, "your_discount", &escape(&c.discount_percent)),
        product = text(l, "product"),
        your_price = text(l, "your_price"),
        quantity = text(l, "quantity"),
        note = text(l, "note"),
        place = text(l, "place"),
        thanks = escape(text(l, "thanks")),
        t = escape(&token),
    );
    Ok(page(l, &c.program_name, &with(l, "order_for", &c.customer_name), &body))
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
