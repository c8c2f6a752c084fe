//! What every page shares: the frame around it (language, navigation, the signed-in person, the
//! CSRF token), the error page, forms, the static assets and the language switcher.

pub mod customers;
pub mod earnings;
pub mod home;
pub mod leads;
pub mod login;
pub mod notifications;
pub mod orders;
pub mod promote;
pub mod public;
pub mod team;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Path, Query, Request};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use gateway::AppState;
use gateway::problem::upstream;
use http::{HeaderValue, StatusCode};
use partnerline_proto::identity::v1 as ipb;
use partnerline_proto::notifications::v1 as npb;
use platform::AppError;
use platform::error::FieldError;

use crate::format;
use crate::i18n::{LANGS, Lang, NATIVE_NAMES};
use crate::session::{self, Signed};

/// The frame of a page: everything `base.html` shows around its content.
pub struct Frame {
    pub lang: Lang,
    pub csrf: String,
    /// The signed-in person's name; empty on the login and error pages (no navigation).
    pub user: String,
    pub program: String,
    /// Which navigation entry is this page's.
    pub section: &'static str,
    /// This page's path and query, for the language switcher to come back to.
    pub path: String,
    /// The merchant's branding on the customer pages (empty: Partnerline's own look).
    pub logo: String,
    pub accent: String,
    /// The person's unread notifications, for the bell (N1).
    pub unread: u32,
    /// A partner is signed in (its pages: announcements, messages).
    pub partner: bool,
}

impl Frame {
    /// The frame of a signed-in page, with the person's account and unread count (a call to
    /// identity and one to notifications, side by side). The count is the bell's: when
    /// notifications cannot answer, the page shows without it.
    pub async fn load(
        s: &AppState,
        signed: &Signed,
        section: &'static str,
        path: &str,
    ) -> Result<(Frame, ipb::Me), AppError> {
        let Signed(caller, visit) = signed;
        let (mut identity, mut notifications) = (s.identity(), s.notifications());
        let (me, unread) = tokio::join!(
            identity.get_me(caller.request(ipb::Empty {})),
            notifications.unread_count(caller.request(npb::Empty {})),
        );
        let me = me.map_err(upstream)?.into_inner();
        let unread = unread.map(|u| u.into_inner().unread).unwrap_or_else(|e| {
            tracing::debug!(error = %e, "no unread count for the bell");
            0
        });
        let frame = Frame {
            lang: visit.lang(&me.language),
            csrf: visit.csrf.clone(),
            user: me.name.clone(),
            program: me.program_name.clone().unwrap_or_default(),
            section,
            path: path.to_string(),
            logo: String::new(),
            accent: String::new(),
            unread,
            partner: me.role == "partner",
        };
        Ok((frame, me))
    }

    /// The frame of a page anyone may see.
    pub fn anonymous(lang: Lang, csrf: &str, path: &str) -> Frame {
        Frame {
            lang,
            csrf: csrf.to_string(),
            user: String::new(),
            program: String::new(),
            section: "",
            path: path.to_string(),
            logo: String::new(),
            accent: String::new(),
            unread: 0,
            partner: false,
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// "3 unread", for the bell and the notifications page.
    pub fn unread_label(&self) -> String {
        self.count("notifications-unread", self.unread)
    }

    /// Whether this page is of `section`.
    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }

    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t1(key, name, value)
    }

    pub fn count(&self, key: &str, n: impl Into<u64>) -> String {
        self.lang.count(key, n.into())
    }

    pub fn money(&self, amount: &str, currency: &str) -> String {
        format::money(self.lang, amount, currency)
    }

    pub fn number(&self, n: &u64) -> String {
        format::number(self.lang, *n)
    }

    pub fn percent(&self, v: &str) -> String {
        format::percent(self.lang, v)
    }

    pub fn date(&self, raw: &str) -> String {
        format::when(self.lang, raw)
    }

    /// A service's word for a state (`pending_payment`, `hot`) in this language.
    pub fn word(&self, kind: &str, value: &str) -> String {
        self.lang.t(&format!("{kind}-{}", value.replace('_', "-")))
    }

    /// The switcher: each language, its name, where choosing it leads, and whether it is this
    /// page's.
    pub fn languages(&self) -> Vec<(&'static str, &'static str, String, bool)> {
        let next: String = form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        LANGS
            .iter()
            .zip(NATIVE_NAMES)
            .map(|(code, name)| (*code, name, format!("/lang/{code}?next={next}"), *code == self.lang.code()))
            .collect()
    }

    /// The navigation: (path, label, whether it is this page's section).
    pub fn nav(&self) -> Vec<(&'static str, String, bool)> {
        [
            ("home", "/home", "nav-home"),
            ("customers", "/customers", "nav-customers"),
            ("orders", "/orders", "nav-orders"),
            ("earnings", "/earnings", "nav-earnings"),
            ("promote", "/promote", "nav-promote"),
            ("leads", "/leads", "nav-leads"),
            ("team", "/team", "nav-team"),
            ("account", "/account", "nav-account"),
        ]
        .into_iter()
        .map(|(sec, path, key)| (path, self.t(key), sec == self.section))
        .collect()
    }
}

/// A page as an answer with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Frame,
    title: String,
    status: u16,
    message: String,
}

/// The error page: 404 for anything not there or not the caller's (the same page: it must not
/// tell which), 403, 409, 429 and 5xx each with a sentence of what to do.
pub fn error_page(lang: Lang, status: StatusCode, key: Option<&str>) -> Response {
    let key = key.unwrap_or(match status {
        StatusCode::NOT_FOUND => "error-not-found",
        StatusCode::FORBIDDEN => "error-forbidden",
        StatusCode::CONFLICT => "error-conflict",
        StatusCode::TOO_MANY_REQUESTS => "error-too-many",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "error-bad-request",
        StatusCode::PAYLOAD_TOO_LARGE => "error-too-large",
        _ => "error-internal",
    });
    let c = Frame::anonymous(lang, "", "/");
    let page = ErrorPage { title: c.t("error-title"), status: status.as_u16(), message: c.t(key), c };
    render(status, &page)
}

/// The fields of a posted form, each checked for control characters where it enters (a NUL
/// cannot be stored; a line break only belongs in a text area).
pub struct Form {
    fields: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

/// Fields that are text areas: line breaks are theirs.
const MULTILINE: &[&str] = &["body", "summary", "message"];

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(req: Request, _s: &S) -> Result<Self, Response> {
        let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        Ok(Form::parse(&bytes))
    }
}

impl Form {
    /// The fields of an `application/x-www-form-urlencoded` body (or query string).
    pub fn parse(bytes: &[u8]) -> Form {
        let mut fields = HashMap::new();
        let mut errors = Vec::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            if let Some(m) = gateway::problem::control_character(&v, MULTILINE.contains(&k.as_ref())) {
                errors.push(FieldError { field: k.to_string(), message: m.to_string() });
            }
            fields.insert(k.into_owned(), v.into_owned());
        }
        Form { fields, errors }
    }

    /// Every field, as sent.
    pub fn fields(&self) -> impl Iterator<Item = (&String, &String)> {
        self.fields.iter()
    }

    /// The field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.fields.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
    }

    /// The field, trimmed, when it is not empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// The service's answer to what the form asks, unless a field was already refused where it
    /// entered (then the call is never made).
    pub async fn send<T>(
        &self,
        call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, AppError> {
        if !self.errors.is_empty() {
            return Err(AppError::invalid_fields(self.errors.clone()));
        }
        call.await.map(tonic::Response::into_inner).map_err(upstream)
    }

    pub fn checked(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| v == "on" || v == "true" || v == "1")
    }
}

/// Whether a service's refusal belongs beside the form's fields (else: the error page).
pub fn is_form_error(err: &AppError) -> bool {
    matches!(err.kind, platform::ErrorKind::Invalid | platform::ErrorKind::BadRequest)
}

/// A form's errors by field, to be shown beside each; `_` holds what belongs to no field.
#[derive(Default)]
pub struct Errors(HashMap<String, String>);

impl Errors {
    pub fn of(err: &AppError, lang: Lang) -> Errors {
        let mut m = HashMap::new();
        for e in &err.errors {
            m.entry(e.field.clone()).or_insert_with(|| crate::errors::field_message(lang, &e.message));
        }
        if m.is_empty() {
            let general = match err.kind {
                platform::ErrorKind::Invalid | platform::ErrorKind::BadRequest => {
                    crate::errors::field_message(lang, &err.message)
                }
                platform::ErrorKind::Conflict => err.message.clone(),
                platform::ErrorKind::TooManyRequests => lang.t("error-too-many"),
                _ => lang.t("error-internal"),
            };
            m.insert("_".into(), general);
        }
        Errors(m)
    }

    pub fn fields(list: &[FieldError]) -> Errors {
        Errors(list.iter().map(|e| (e.field.clone(), e.message.clone())).collect())
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// A field's error, or an empty string (for templates).
    pub fn on(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }
}

/// `GET /lang/{code}?next=`: the switcher remembers the choice in a cookie and goes back.
pub async fn choose_language(
    axum::extract::State(s): axum::extract::State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = q.get("next").map_or("/", |n| session::safe_next(n));
    let mut res = Redirect::to(next).into_response();
    if let Some(lang) = Lang::parse(&code) {
        let c = session::set_cookie(session::secure(&s), session::LANG, lang.code(), Some(365 * 24 * 3600));
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
    res
}

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
const ICON: &str = include_str!("../../static/icon.svg");

/// `/static/app.css` and `/static/app.js`, compiled into the binary (no CDN: pages work offline).
pub fn assets() -> Router<AppState> {
    let asset = |body: &'static str, ct: &'static str| {
        move || async move {
            let mut res = body.into_response();
            let h = res.headers_mut();
            h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
            h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            res
        }
    };
    Router::new()
        .route("/static/app.css", get(asset(CSS, "text/css; charset=utf-8")))
        .route("/static/app.js", get(asset(JS, "text/javascript; charset=utf-8")))
        .route("/static/icon.svg", get(asset(ICON, "image/svg+xml")))
        .route("/favicon.ico", get(asset(ICON, "image/svg+xml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys the pages build from a service's value (`Frame::word`) or pick from a list: each must
    /// exist, or a page would show its key.
    #[test]
    fn every_key_built_from_a_value_exists() {
        let en = crate::i18n::keys(crate::i18n::SOURCES[0]);
        let mut wanted: Vec<String> = Vec::new();
        let words: &[(&str, &[&str])] = &[
            (
                "order-status",
                &["pending_payment", "paid", "confirmed", "in_production", "shipped", "completed", "cancelled"],
            ),
            ("temperature", &customers::TEMPERATURES),
            ("customer-status", &customers::STATUSES),
            ("customers-section", &customers::STATUSES),
            ("priority", &customers::PRIORITIES),
            ("log-kind", &customers::KINDS),
            ("rate-source", &["default", "trust_level", "rule"]),
            ("payout-status", &["requested", "approved", "rejected", "paid"]),
            ("ledger", &earnings::KINDS),
            ("ledger-kind", &earnings::KINDS),
            ("topic", &team::TOPICS),
        ];
        for (kind, values) in words {
            wanted.extend(values.iter().map(|v| format!("{kind}-{}", v.replace('_', "-"))));
        }
        wanted.push("ledger-accrued-team".into());
        wanted.extend(orders::SORTS.iter().map(|(_, key)| key.to_string()));
        wanted.extend(leads::COLUMNS.iter().map(|(_, key)| key.to_string()));
        wanted.extend(promote::SORTS.iter().map(|(_, key)| key.to_string()));
        wanted.extend(["account-done-saved", "account-done-password"].map(String::from));
        wanted.extend(["customer-note-saved", "customer-note-deleted", "customer-revoked"].map(String::from));
        for key in [
            "error-not-found",
            "error-forbidden",
            "error-conflict",
            "error-too-many",
            "error-bad-request",
            "error-too-large",
            "error-internal",
            "error-csrf",
        ] {
            wanted.push(key.into());
        }
        let fields = include_str!("../../templates/customer_fields.html");
        for part in fields.split("\"field-").skip(1) {
            if let Some(k) = part.split('"').next() {
                wanted.push(format!("field-{k}"));
            }
        }
        let missing: Vec<_> = wanted.iter().filter(|k| !en.contains(*k)).collect();
        assert!(missing.is_empty(), "missing in en.ftl: {missing:?}");
    }
}
