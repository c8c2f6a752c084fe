//! `/orders` (O2-O7, O9): the partner's orders with search, status, dates and sort; each order's
//! items, totals, history, notes and refunds; and a new order for a customer (partner-assisted),
//! priced by the orders service, paid now or through a payment link (O3).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::StatusCode;
use partnerline_proto::customers::v1 as cpb;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;

use super::{Errors, Form, Frame, render};
use crate::session::Signed;

/// Orders per page.
const PAGE: u32 = 25;

pub const STATUSES: [&str; 7] =
    ["pending_payment", "paid", "confirmed", "in_production", "shipped", "completed", "cancelled"];
/// The sorts a partner can pick: the orders service's name, and the message that names it.
pub const SORTS: [(&str, &str); 6] = [
    ("-placed_at", "sort-newest"),
    ("placed_at", "sort-oldest"),
    ("-total", "sort-total-desc"),
    ("total", "sort-total-asc"),
    ("number", "sort-number"),
    ("customer_name", "sort-customer"),
];
/// How a partner-assisted order is paid: now (the partner takes the payment) or later, through a
/// link the customer opens (O3).
pub const METHODS: [&str; 5] = ["pay_later_link", "card", "bank_transfer", "paypal", "cash_on_delivery"];

#[derive(Default)]
pub struct Filters {
    pub q: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub sort: String,
}

impl Filters {
    pub fn status_is(&self, v: &str) -> bool {
        self.status == v
    }

    pub fn sort_is(&self, v: &str) -> bool {
        self.sort == v
    }

    fn of(q: &HashMap<String, String>) -> Filters {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        let date = |k: &str| Some(get(k)).filter(|v| v.parse::<chrono::NaiveDate>().is_ok()).unwrap_or_default();
        Filters {
            q: get("q").chars().take(200).collect(),
            status: Some(get("status")).filter(|s| STATUSES.contains(&s.as_str())).unwrap_or_default(),
            from: date("from"),
            to: date("to"),
            sort: Some(get("sort"))
                .filter(|s| SORTS.iter().any(|(v, _)| v == s))
                .unwrap_or_else(|| "-placed_at".into()),
        }
    }

    fn link(&self, after: &str) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in
            [("q", &self.q), ("status", &self.status), ("from", &self.from), ("to", &self.to), ("sort", &self.sort)]
        {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("after", after);
        format!("/orders?{}", s.finish())
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct ListPage {
    c: Frame,
    title: String,
    f: Filters,
    items: Vec<pb::OrderSummary>,
    more: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    signed: Signed,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let path = uri.path_and_query().map_or("/orders", |p| p.as_str());
    let (c, _) = Frame::load(&s, &signed, "orders", path).await?;
    let f = Filters::of(&q);
    let req = pb::ListOrdersRequest {
        q: Some(f.q.clone()).filter(|v| !v.is_empty()),
        status: Some(f.status.clone()).filter(|v| !v.is_empty()),
        placed_from: Some(f.from.clone()).filter(|v| !v.is_empty()),
        placed_to: Some(f.to.clone()).filter(|v| !v.is_empty()),
        sort: Some(f.sort.clone()),
        limit: PAGE,
        cursor: q.get("after").cloned().filter(|v| !v.is_empty()),
        ..Default::default()
    };
    let page = s.orders().list_orders(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    let more = page.next_cursor.as_deref().map(|cur| f.link(cur));
    let title = c.t("orders-title");
    Ok(render(StatusCode::OK, &ListPage { c, title, f, items: page.items, more }))
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Frame,
    title: String,
    o: pb::Order,
    /// The payment link, shown once after the order is placed or the link renewed (O3).
    pay_url: Option<String>,
    errors: Errors,
}

async fn order_page(
    s: &AppState,
    signed: &Signed,
    id: &str,
    status: StatusCode,
    pay_url: Option<String>,
    errors: Errors,
) -> Result<Response, AppError> {
    let (c, _) = Frame::load(s, signed, "orders", &format!("/orders/{id}")).await?;
    let o = s
        .orders()
        .get_order(signed.0.request(pb::OrderRef { id: id.to_string() }))
        .await
        .map_err(upstream)?
        .into_inner();
    let title = c.t1("order-title", "number", &o.number);
    Ok(render(status, &OrderPage { c, title, o, pay_url, errors }))
}

pub async fn show(State(s): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, AppError> {
    order_page(&s, &signed, &id, StatusCode::OK, None, Errors::default()).await
}

fn pay_url(s: &AppState, token: &str) -> String {
    format!("{}/pay/{token}", s.redirect.public_url.trim_end_matches('/'))
}

/// O5: a note on the order, internal or for the customer.
pub async fn add_note(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, AppError> {
    let req = pb::AddOrderNoteRequest { id: id.clone(), visibility: form.get("visibility"), body: form.get("body") };
    let result = form.send(s.orders().add_order_note(signed.0.request(req))).await.map(|_| ());
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orders/{id}#notes")).into_response()),
        Err(err) if super::is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            order_page(&s, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, None, e).await
        }
        Err(err) => Err(err),
    }
}

/// O3: a new payment link for an order still waiting for payment (the old one stops working).
pub async fn renew_link(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let placed =
        s.orders().renew_payment_link(signed.0.request(pb::OrderRef { id: id.clone() })).await.map_err(upstream)?;
    let url = placed.into_inner().payment_token.map(|t| pay_url(&s, &t));
    order_page(&s, &signed, &id, StatusCode::OK, url, Errors::default()).await
}

/// One product of the new-order form, with the quantity asked and, once quoted, its line.
pub struct CartLine {
    pub p: pb::Product,
    pub quantity: String,
    pub line: Option<pb::OrderItem>,
}

#[derive(Template)]
#[template(path = "order_new.html")]
struct NewOrderPage {
    c: Frame,
    title: String,
    customers: Vec<cpb::Customer>,
    customer_id: String,
    lines: Vec<CartLine>,
    coupon: String,
    method: String,
    wholesale: bool,
    quote: Option<pb::Order>,
    errors: Errors,
}

impl NewOrderPage {
    pub fn customer_is(&self, id: &str) -> bool {
        self.customer_id == id
    }

    pub fn method_is(&self, m: &str) -> bool {
        self.method == m
    }
}

/// The form's cart: product id → quantity, from fields `qty.<product id>`.
fn cart(form: &Form, products: &[pb::Product]) -> Vec<pb::PlaceOrderItem> {
    products
        .iter()
        .filter_map(|p| {
            let q = form.get(&format!("qty.{}", p.id));
            q.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(|quantity| pb::PlaceOrderItem { product_id: p.id.clone(), quantity })
        })
        .collect()
}

async fn new_order_page(
    s: &AppState,
    signed: &Signed,
    form: Option<&Form>,
    quote: Option<pb::Order>,
    errors: Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (c, _) = Frame::load(s, signed, "orders", "/orders/new").await?;
    let (mut cu, mut pr) = (s.customers(), s.orders());
    let customers = cpb::ListCustomersRequest { limit: 100, ..Default::default() };
    let products = pb::ListProductsRequest { limit: 100, ..Default::default() };
    let (customers, products) =
        tokio::try_join!(cu.list_customers(signed.0.request(customers)), pr.list_products(signed.0.request(products)))
            .map_err(upstream)?;
    let mut customers = customers.into_inner().items;
    customers.sort_by_key(|c| c.name.to_lowercase());
    let get = |k: &str| form.map(|f| f.get(k)).unwrap_or_default();
    let lines = products
        .into_inner()
        .items
        .into_iter()
        .map(|p| {
            let line = quote.as_ref().and_then(|q| q.items.iter().find(|i| i.product_id == p.id).cloned());
            CartLine { quantity: get(&format!("qty.{}", p.id)), p, line }
        })
        .collect();
    let method = Some(get("payment_method")).filter(|m| !m.is_empty()).unwrap_or_else(|| "pay_later_link".into());
    let title = c.t("order-new");
    let page = NewOrderPage {
        c,
        title,
        customers,
        customer_id: get("customer_id"),
        lines,
        coupon: get("coupon_code"),
        method,
        wholesale: form.is_some_and(|f| f.checked("wholesale")),
        quote,
        errors,
    };
    Ok(render(status, &page))
}

pub async fn new_form(
    State(s): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    // A customer named in the address starts the form with them picked.
    let seeded = q
        .get("customer_id")
        .map(|id| format!("customer_id={}", form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()));
    let form = seeded.map(|body| Form::parse(body.as_bytes()));
    new_order_page(&s, &signed, form.as_ref(), None, Errors::default(), StatusCode::OK).await
}

/// Quotes (`action=quote`) or places the order. Placed with a payment link, the order's page
/// shows the link once, to copy and send.
pub async fn create(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let products = s
        .orders()
        .list_products(signed.0.request(pb::ListProductsRequest { limit: 100, ..Default::default() }))
        .await
        .map_err(upstream)?
        .into_inner()
        .items;
    let wholesale = form.checked("wholesale");
    let req = pb::PlaceOrderRequest {
        customer_id: form.opt("customer_id"),
        items: cart(&form, &products),
        payment_method: form.get("payment_method"),
        coupon_code: form.opt("coupon_code"),
        kind: if wholesale { "wholesale".into() } else { "standard".into() },
        ..Default::default()
    };
    let mut errors = form.errors.clone();
    if req.items.is_empty() {
        errors.push(platform::error::FieldError {
            field: "items".into(),
            message: signed.1.lang("").t("order-no-items"),
        });
    }
    if !wholesale && req.customer_id.is_none() {
        errors.push(platform::error::FieldError {
            field: "customer_id".into(),
            message: signed.1.lang("").t("order-pick-customer"),
        });
    }
    if !errors.is_empty() {
        return new_order_page(
            &s,
            &signed,
            Some(&form),
            None,
            Errors::fields(&errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if form.get("action") == "quote" {
        return match s.orders().quote_order(signed.0.request(req)).await.map_err(upstream) {
            Ok(q) => {
                new_order_page(&s, &signed, Some(&form), Some(q.into_inner()), Errors::default(), StatusCode::OK).await
            }
            Err(err) if super::is_form_error(&err) => {
                let e = Errors::of(&err, signed.1.lang(""));
                new_order_page(&s, &signed, Some(&form), None, e, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(err) => Err(err),
        };
    }
    match s.orders().place_order(signed.0.request(req)).await.map_err(upstream) {
        Ok(placed) => {
            let placed = placed.into_inner();
            let id = placed.order.as_ref().map(|o| o.id.clone()).unwrap_or_default();
            let url = placed.payment_token.as_deref().map(|t| pay_url(&s, t));
            order_page(&s, &signed, &id, StatusCode::CREATED, url, Errors::default()).await
        }
        Err(err) if super::is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            new_order_page(&s, &signed, Some(&form), None, e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(err) => Err(err),
    }
}
