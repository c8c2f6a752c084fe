//! `/login` and `/logout` (A1): partners and merchants sign in at the same page and land on their
//! own home, or back on the page that sent them here.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::auth::ClientIp;
use http::StatusCode;
use partnerline_proto::identity::v1 as ipb;
use platform::ErrorKind;

use super::{Form, Frame, render};
use crate::session::{self, Visit};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Frame,
    title: String,
    next: String,
    email: String,
    error: String,
}

fn login_page(visit: &Visit, status: StatusCode, next: &str, email: &str, error: String) -> Response {
    let c = Frame::anonymous(visit.chosen.unwrap_or(visit.accepted), &visit.csrf, "/login");
    let page = LoginPage { title: c.t("sign-in-title"), next: next.to_string(), email: email.to_string(), error, c };
    render(status, &page)
}

pub async fn page(visit: Visit, Query(q): Query<HashMap<String, String>>) -> Response {
    let next = session::safe_next(q.get("next").map_or("/home", String::as_str));
    if visit.caller.is_some() {
        return Redirect::to(next).into_response();
    }
    login_page(&visit, StatusCode::OK, next, "", String::new())
}

pub async fn submit(State(s): State<AppState>, visit: Visit, ClientIp(ip): ClientIp, form: Form) -> Response {
    let next = session::safe_next(&form.get("next")).to_string();
    let next = if next == "/" { "/home".to_string() } else { next };
    let email = form.get("email");
    let lang = visit.chosen.unwrap_or(visit.accepted);
    if email.is_empty() || form.get("password").is_empty() || !form.errors.is_empty() {
        return login_page(&visit, StatusCode::UNPROCESSABLE_ENTITY, &next, &email, lang.t("sign-in-missing"));
    }
    let req = ipb::LoginRequest { email: email.clone(), password: form.get("password"), program: None, client: ip };
    match s.identity().login(platform::grpc::request(req, None)).await {
        Ok(pair) => {
            let mut res = Redirect::to(&next).into_response();
            session::append_cookies(&mut res, session::sign_in_cookies(session::secure(&s), &pair.into_inner()));
            res
        }
        Err(status) => {
            let err = platform::AppError::from_status(&status);
            let (code, key) = match err.kind {
                ErrorKind::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "sign-in-too-many"),
                ErrorKind::Unauthenticated | ErrorKind::Invalid | ErrorKind::NotFound => {
                    (StatusCode::UNAUTHORIZED, "sign-in-wrong")
                }
                _ => (StatusCode::SERVICE_UNAVAILABLE, "error-internal"),
            };
            login_page(&visit, code, &next, &email, lang.t(key))
        }
    }
}

/// Ends the session at identity and in the browser.
pub async fn logout(State(s): State<AppState>, headers: http::HeaderMap) -> Response {
    if let Some(refresh) = session::cookie(&headers, session::REFRESH) {
        let req = ipb::LogoutRequest { refresh_token: refresh.to_string() };
        if let Err(e) = s.identity().logout(platform::grpc::request(req, None)).await {
            tracing::warn!(error = %e, "sign-out could not reach identity; the cookies are cleared anyway");
        }
    }
    let mut res = Redirect::to("/login").into_response();
    session::append_cookies(&mut res, session::sign_out_cookies(session::secure(&s)));
    res
}
