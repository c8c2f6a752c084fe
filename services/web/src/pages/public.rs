//! The pages anyone opens without an account: the recruitment page with its application form
//! (`/join/{program}`, P1-P3), a pay-later order's payment page (`/pay/{token}`, O3) and a
//! customer's quick-order catalog (`/q/{token}`, CU8), under the merchant's name and in the
//! customer's language. A bad token is the same 404 page as a revoked one.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::auth::ClientIp;
use gateway::problem::upstream;
use gateway::routes::storefront::with_client;
use http::StatusCode;
use partnerline_proto::identity::v1 as ipb;
use partnerline_proto::orders::v1 as opb;
use platform::AppError;

use super::{Errors, Form, Frame, is_form_error, render};
use crate::i18n::Lang;
use crate::session::Visit;

/// The merchant's name and branding on a customer page: (name, logo address, accent colour).
struct Brand<'a>(&'a str, &'a str, &'a str);

fn frame(visit: &Visit, lang: Option<Lang>, brand: Brand<'_>, path: &str) -> Frame {
    let lang = visit.chosen.or(lang).unwrap_or(visit.accepted);
    let mut c = Frame::anonymous(lang, &visit.csrf, path);
    c.program = brand.0.to_string();
    c.logo = brand.1.to_string();
    // Identity accepts only `#rrggbb`; checked again, as it goes into a <style> element.
    let hex = brand.2.len() == 7 && brand.2.starts_with('#') && brand.2[1..].chars().all(|c| c.is_ascii_hexdigit());
    c.accent = if hex { brand.2.to_string() } else { String::new() };
    c
}

/// The recruitment plan (Markdown) as HTML: raw HTML in it is shown as text, never run, and a
/// link keeps its address only when it is http(s) or mailto.
pub fn markdown(source: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag};
    let events = Parser::new(source).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let safe = ["http://", "https://", "mailto:"].iter().any(|p| dest_url.to_lowercase().starts_with(p));
            let dest_url = if safe { dest_url } else { "#".into() };
            Event::Start(Tag::Link { link_type, dest_url, title, id })
        }
        Event::Start(Tag::Image { title, .. }) => Event::Text(title),
        Event::End(pulldown_cmark::TagEnd::Image) => Event::Text("".into()),
        e => e,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    c: Frame,
    title: String,
    p: ipb::JoinPage,
    plan: String,
    invite: String,
    fv: HashMap<String, String>,
    errors: Errors,
    /// After a successful application: what happens next.
    done: String,
}

impl JoinPage {
    pub fn v(&self, name: &str) -> &str {
        self.fv.get(name).map_or("", String::as_str)
    }
}

/// What the join page shows under the plan: the empty form, the form refused with its errors,
/// or what happens after applying.
enum Outcome<'a> {
    Blank,
    Refused(&'a Form, Errors),
    Done(String),
}

async fn join_page(
    s: &AppState,
    visit: &Visit,
    slug: &str,
    invite: Option<String>,
    outcome: Outcome<'_>,
) -> Result<Response, AppError> {
    let (form, errors, done, status) = match outcome {
        Outcome::Blank => (None, Errors::default(), String::new(), StatusCode::OK),
        Outcome::Refused(f, e) => (Some(f), e, String::new(), StatusCode::UNPROCESSABLE_ENTITY),
        Outcome::Done(d) => (None, Errors::default(), d, StatusCode::CREATED),
    };
    let req = ipb::GetJoinPageRequest { program: slug.to_string(), invite: invite.clone(), tenant_id: None };
    let p = s.identity().get_join_page(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    let c = frame(visit, None, Brand(&p.program_name, &p.logo_url, &p.accent), &format!("/join/{slug}"));
    let title = c.t1("join-title", "program", &p.program_name);
    let fv = ["name", "email", "phone", "message"]
        .into_iter()
        .map(|k| (k.to_string(), form.map(|f| f.get(k)).unwrap_or_default()))
        .collect();
    let plan = markdown(&p.recruitment_plan);
    Ok(render(status, &JoinPage { c, title, plan, p, invite: invite.unwrap_or_default(), fv, errors, done }))
}

pub async fn join(
    State(s): State<AppState>,
    visit: Visit,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let invite = q.get("invite").cloned().filter(|v| !v.is_empty());
    join_page(&s, &visit, &slug, invite, Outcome::Blank).await
}

/// P2: apply; refused, the form comes back with each error beside its field.
pub async fn apply(
    State(s): State<AppState>,
    visit: Visit,
    Path(slug): Path<String>,
    form: Form,
) -> Result<Response, AppError> {
    let invite = form.opt("invite");
    let lang = visit.chosen.unwrap_or(visit.accepted);
    let req = ipb::SubmitApplicationRequest {
        program: slug.clone(),
        name: form.get("name"),
        email: form.get("email"),
        phone: form.get("phone"),
        password: form.get("password"),
        message: form.get("message"),
        invite: invite.clone(),
        language: lang.code().to_string(),
    };
    let result = form.send(s.identity().submit_application(platform::grpc::request(req, None))).await;
    match result {
        Ok(app) => {
            let key = if app.status == "approved" { "join-approved" } else { "join-review" };
            join_page(&s, &visit, &slug, invite, Outcome::Done(lang.t(key))).await
        }
        Err(err) if is_form_error(&err) || err.kind == platform::ErrorKind::Conflict => {
            let e = Errors::of(&err, lang);
            join_page(&s, &visit, &slug, invite, Outcome::Refused(&form, e)).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage {
    c: Frame,
    title: String,
    token: String,
    p: opb::PaymentPage,
    done: bool,
    error: String,
}

async fn pay_page(s: &AppState, visit: &Visit, token: &str, done: bool, error: String) -> Result<Response, AppError> {
    let req = platform::grpc::request(opb::PaymentTokenRequest { token: token.to_string() }, None);
    let p = s.orders().get_payment_page(req).await.map_err(upstream)?.into_inner();
    let c = frame(
        visit,
        Lang::parse(&p.language),
        Brand(&p.program_name, &p.logo_url, &p.accent),
        &format!("/pay/{token}"),
    );
    let title = c.t1("order-title", "number", &p.number);
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::CONFLICT };
    Ok(render(status, &PayPage { c, title, token: token.to_string(), p, done, error }))
}

/// `GET /pay/{token}`: the order, its customer-facing notes and a Pay button (O3).
pub async fn pay(State(s): State<AppState>, visit: Visit, Path(token): Path<String>) -> Result<Response, AppError> {
    pay_page(&s, &visit, &token, false, String::new()).await
}

/// `POST /pay/{token}`: pays through the built-in provider; an order no longer payable says why.
pub async fn pay_now(State(s): State<AppState>, visit: Visit, Path(token): Path<String>) -> Result<Response, AppError> {
    let req = platform::grpc::request(opb::PaymentTokenRequest { token: token.clone() }, None);
    match s.orders().pay_by_token(req).await.map_err(upstream) {
        Ok(_) => pay_page(&s, &visit, &token, true, String::new()).await,
        Err(err) if err.kind == platform::ErrorKind::Conflict => pay_page(&s, &visit, &token, false, err.message).await,
        Err(err) => Err(err),
    }
}

#[derive(Template)]
#[template(path = "quick.html")]
struct QuickPage {
    c: Frame,
    title: String,
    token: String,
    q: opb::QuickOrderCatalog,
    quantities: HashMap<String, String>,
    note: String,
    errors: Errors,
}

impl QuickPage {
    pub fn quantity(&self, product: &str) -> &str {
        self.quantities.get(product).map_or("", String::as_str)
    }
}

async fn quick_page(
    s: &AppState,
    visit: &Visit,
    ip: &str,
    token: &str,
    form: Option<&Form>,
    errors: Errors,
) -> Result<Response, AppError> {
    let req = with_client(opb::QuickOrderRequest { token: token.to_string() }, ip);
    let q = s.orders().get_quick_order_catalog(req).await.map_err(upstream)?.into_inner();
    let c =
        frame(visit, Lang::parse(&q.language), Brand(&q.program_name, &q.logo_url, &q.accent), &format!("/q/{token}"));
    let title = c.t1("quick-title", "name", &q.customer_name);
    let quantities = q
        .products
        .iter()
        .map(|p| (p.product_id.clone(), form.map(|f| f.get(&format!("qty.{}", p.product_id))).unwrap_or_default()))
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let note = form.map(|f| f.get("note")).unwrap_or_default();
    Ok(render(status, &QuickPage { c, title, token: token.to_string(), q, quantities, note, errors }))
}

/// `GET /q/{token}`: the merchant's catalog at the customer's prices, with a cart (CU8).
pub async fn quick(
    State(s): State<AppState>,
    visit: Visit,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    quick_page(&s, &visit, &ip, &token, None, Errors::default()).await
}

/// `POST /q/{token}`: orders what the cart holds, then goes on to the payment page.
pub async fn quick_order(
    State(s): State<AppState>,
    visit: Visit,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    form: Form,
) -> Result<Response, AppError> {
    let items: Vec<opb::PlaceOrderItem> = form
        .fields()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("qty.")?;
            let quantity = v.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
            Some(opb::PlaceOrderItem { product_id: id.to_string(), quantity })
        })
        .collect();
    let lang = visit.chosen.unwrap_or(visit.accepted);
    if items.is_empty() || !form.errors.is_empty() {
        let mut errors = form.errors.clone();
        if items.is_empty() {
            errors.push(platform::error::FieldError { field: "items".into(), message: lang.t("order-no-items") });
        }
        return quick_page(&s, &visit, &ip, &token, Some(&form), Errors::fields(&errors)).await;
    }
    let msg = opb::PlaceQuickOrderRequest {
        token: token.clone(),
        items,
        payment_method: String::new(),
        note: form.get("note"),
    };
    match s.orders().place_quick_order(with_client(msg, &ip)).await.map_err(upstream) {
        Ok(placed) => match placed.into_inner().payment_token {
            Some(pay) => Ok(Redirect::to(&format!("/pay/{pay}")).into_response()),
            None => Ok(Redirect::to(&format!("/q/{token}?done=1")).into_response()),
        },
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, lang);
            quick_page(&s, &visit, &ip, &token, Some(&form), e).await
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p1_the_recruitment_plan_is_markdown_whose_raw_html_is_shown_not_run() {
        let html = markdown(
            "# Earn more\n\n**10%** on every sale\n\n<script>alert(1)</script>\n\n- one\n- two <img src=x onerror=alert(1)>\n\n[site](https://shop.example) [bad](javascript:alert(1))",
        );
        assert!(html.contains("<h1>Earn more</h1>"), "{html}");
        assert!(html.contains("<strong>10%</strong>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
        assert!(!html.contains("<script") && html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("href=\"https://shop.example\""), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
