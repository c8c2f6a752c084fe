//! `/team` (C7, P4, X7): the partner's invite link and its sub-partners with their results,
//! read-only and without their customers' contact details; `/account` (A1, P5): profile,
//! language, payout method and password.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::StatusCode;
use partnerline_proto::identity::v1 as ipb;
use partnerline_proto::notifications::v1 as npb;
use partnerline_proto::orders::v1 as opb;
use platform::AppError;

use super::{Errors, Form, Frame, is_form_error, render};
use crate::session::Signed;

/// Sub-partners shown with their results; a larger team pages through the merchant's reports.
const TEAM: u32 = 50;

pub struct Member {
    pub p: ipb::Partner,
    pub sales: Vec<opb::SalesRow>,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    c: Frame,
    title: String,
    members: Vec<Member>,
    invite: Option<String>,
}

async fn team_page(s: &AppState, signed: &Signed, invite: Option<String>) -> Result<Response, AppError> {
    let (c, me) = Frame::load(s, signed, "team", "/team").await?;
    let mine = me.partner.as_ref().map(|p| p.id.clone());
    let req = ipb::ListPartnersRequest { parent_partner_id: mine, limit: TEAM, ..Default::default() };
    let team = s.identity().list_partners(signed.0.request(req)).await.map_err(upstream)?.into_inner().items;
    let members = futures::future::try_join_all(team.into_iter().map(|p| {
        let mut o = s.orders();
        let q =
            opb::SalesQuery { every: "month".into(), partner_id: Some(p.id.clone()), periods: 1, ..Default::default() };
        let req = signed.0.request(q);
        async move { o.sales_report(req).await.map(|r| Member { p, sales: r.into_inner().lifetime }) }
    }))
    .await
    .map_err(upstream)?;
    let title = c.t("team-title");
    Ok(render(StatusCode::OK, &TeamPage { c, title, members, invite }))
}

pub async fn team(State(s): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    team_page(&s, &signed, None).await
}

/// P4: a new invite link; who joins through it becomes a sub-partner.
pub async fn invite(State(s): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    let inv = s
        .identity()
        .create_invite(signed.0.request(ipb::CreateInviteRequest { valid_days: 0 }))
        .await
        .map_err(upstream)?
        .into_inner();
    let token: String = form_urlencoded::byte_serialize(inv.token.as_bytes()).collect();
    let url = format!("{}/join/{}?invite={token}", s.redirect.public_url.trim_end_matches('/'), inv.program);
    team_page(&s, &signed, Some(url)).await
}

pub const PAYOUT_KINDS: [&str; 3] = ["bank", "paypal", "custom"];

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Frame,
    title: String,
    me: ipb::Me,
    fv: HashMap<String, String>,
    /// Which form the errors are of: profile, payout or password.
    which: &'static str,
    errors: Errors,
    notice: String,
    /// A1: the partner's topics; empty when notifications cannot answer (the section hides).
    prefs: Vec<npb::Preference>,
}

/// A partner's notification topics, as notifications lists them (A1).
pub const TOPICS: [&str; 8] = [
    "order_attributed",
    "commission_earned",
    "commission_available",
    "payout_paid",
    "lead_submitted",
    "lead_status_changed",
    "announcement",
    "message",
];

impl AccountPage {
    pub fn v(&self, name: &str) -> &str {
        self.fv.get(name).map_or("", String::as_str)
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }

    /// The error of `field` when it belongs to the form `form`.
    pub fn err(&self, form: &str, field: &str) -> &str {
        if self.which == form { self.errors.on(field) } else { "" }
    }
}

async fn account_page(
    s: &AppState,
    signed: &Signed,
    form: Option<(&'static str, &Form, Errors)>,
    notice: &str,
) -> Result<Response, AppError> {
    let (c, me) = Frame::load(s, signed, "account", "/account").await?;
    let p = me.partner.clone().unwrap_or_default();
    let pm = p.payout_method.clone().unwrap_or_default();
    let mut fv: HashMap<String, String> = HashMap::from([
        ("name".into(), p.name.clone()),
        ("phone".into(), p.phone.clone()),
        ("language".into(), p.language.clone()),
        ("kind".into(), if pm.kind.is_empty() { "bank".into() } else { pm.kind.clone() }),
        ("currency".into(), pm.currency.clone()),
    ]);
    for (k, v) in &pm.fields {
        fv.insert(format!("fields.{k}"), v.clone());
    }
    let (which, errors, status) = match form {
        Some((which, f, e)) => {
            for (k, v) in f.fields() {
                if !k.contains("password") && k != "_csrf" {
                    fv.insert(k.clone(), v.trim().to_string());
                }
            }
            (which, e, StatusCode::UNPROCESSABLE_ENTITY)
        }
        None => ("", Errors::default(), StatusCode::OK),
    };
    let notice = if notice.is_empty() { String::new() } else { c.t(&format!("account-done-{notice}")) };
    let title = c.t("account-title");
    let prefs = match s.notifications().get_preferences(signed.0.request(npb::Empty {})).await {
        Ok(p) => p.into_inner().items.into_iter().filter(|p| TOPICS.contains(&p.topic.as_str())).collect(),
        Err(e) => {
            tracing::debug!(error = %e, "no notification preferences for the account page");
            Vec::new()
        }
    };
    Ok(render(status, &AccountPage { c, title, me, fv, which, errors, notice, prefs }))
}

pub async fn account(
    State(s): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let notice = q.get("done").map(String::as_str).filter(|d| ["saved", "password"].contains(d)).unwrap_or("");
    account_page(&s, &signed, None, notice).await
}

/// The signed-in partner's id, from its verified token.
fn my_partner_id(signed: &Signed) -> Result<String, AppError> {
    signed
        .0
        .principal
        .partner
        .map(|p| p.to_string())
        .ok_or_else(|| AppError::forbidden("only partners have a partner profile"))
}

async fn update(
    s: &AppState,
    signed: &Signed,
    which: &'static str,
    form: &Form,
    req: ipb::UpdatePartnerRequest,
) -> Result<Response, AppError> {
    let result = form.send(s.identity().update_partner(signed.0.request(req))).await.map(|_| ());
    match result {
        Ok(()) => Ok(Redirect::to("/account?done=saved").into_response()),
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            account_page(s, signed, Some((which, form, e)), "").await
        }
        Err(err) => Err(err),
    }
}

/// P5: name, phone and language.
pub async fn profile(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let id = my_partner_id(&signed)?;
    let req = ipb::UpdatePartnerRequest {
        id,
        name: Some(form.get("name")),
        phone: Some(form.get("phone")),
        language: Some(form.get("language")),
        ..Default::default()
    };
    update(&s, &signed, "profile", &form, req).await
}

/// C10: where payouts go: a bank account (the IBAN is checked), PayPal, or custom details.
pub async fn payout_method(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let id = my_partner_id(&signed)?;
    let kind = form.get("kind");
    let names: &[&str] = match kind.as_str() {
        "bank" => &["iban", "account_holder", "bic"],
        "paypal" => &["email"],
        _ => &["details"],
    };
    let fields = names.iter().filter_map(|n| form.opt(&format!("fields.{n}")).map(|v| (n.to_string(), v))).collect();
    let method = ipb::PayoutMethod { kind, fields, currency: form.get("currency") };
    let req = ipb::UpdatePartnerRequest { id, payout_method: Some(method), ..Default::default() };
    update(&s, &signed, "payout", &form, req).await
}

/// A1: a new password; the account's other sessions end.
pub async fn password(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let req = ipb::ChangePasswordRequest {
        current_password: form.get("current_password"),
        new_password: form.get("new_password"),
    };
    let lang = signed.1.lang("");
    let result = if form.get("new_password") != form.get("repeat_password") {
        Err(AppError::invalid("repeat_password", lang.t("account-password-mismatch")))
    } else {
        s.identity().change_password(signed.0.request(req)).await.map_err(upstream)
    };
    match result {
        Ok(_) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(err) if is_form_error(&err) || err.kind == platform::ErrorKind::Unauthenticated => {
            // A wrong current password is the form's error, not the session's.
            let e = if err.errors.is_empty() && err.kind == platform::ErrorKind::Unauthenticated {
                Errors::fields(&[platform::error::FieldError {
                    field: "current_password".into(),
                    message: lang.t("sign-in-wrong"),
                }])
            } else {
                Errors::of(&err, lang)
            };
            account_page(&s, &signed, Some(("password", &form, e)), "").await
        }
        Err(err) => Err(err),
    }
}

/// A1: the partner's notification topics, each on or off in the app and by email: a box not
/// sent is off.
pub async fn notification_preferences(
    State(s): State<AppState>,
    signed: Signed,
    form: Form,
) -> Result<Response, AppError> {
    let now = form.send(s.notifications().get_preferences(signed.0.request(npb::Empty {}))).await?;
    let items = now
        .items
        .into_iter()
        .map(|p| npb::Preference {
            in_app: p.has_in_app && form.checked(&format!("in_app.{}", p.topic)),
            email: p.has_email && form.checked(&format!("email.{}", p.topic)),
            topic: p.topic,
            has_in_app: false,
            has_email: false,
        })
        .collect();
    form.send(s.notifications().update_preferences(signed.0.request(npb::Preferences { items }))).await?;
    Ok(Redirect::to("/account?done=saved#notif-h").into_response())
}
