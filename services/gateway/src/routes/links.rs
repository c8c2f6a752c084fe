//! A partner's links (L1) and a customer's binding (L10). Attribution decides who sees what.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    pub id: String,
    pub partner_id: String,
    pub code: String,
    /// referral (made at approval), share or poster
    pub kind: String,
    pub target_url: String,
    /// The address to share: `/r/{code}` on this gateway.
    pub path: String,
    pub label: String,
    pub active: bool,
    pub created_at: String,
    /// Posters' links: after this the link leads home and binds nobody (L1).
    pub expires_at: Option<String>,
    pub expired: bool,
}

impl From<pb::Link> for Link {
    fn from(l: pb::Link) -> Self {
        Link {
            path: format!("/r/{}", l.code),
            id: l.id,
            partner_id: l.partner_id,
            code: l.code,
            kind: l.kind,
            target_url: l.target_url,
            label: l.label,
            active: l.active,
            created_at: l.created_at,
            expires_at: l.expires_at,
            expired: l.expired,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkList {
    pub items: Vec<Link>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// A page or product of the shop (http or https).
    pub target_url: String,
    #[serde(default)]
    pub label: String,
    /// Merchants: the partner the link is for.
    pub partner_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    /// Merchants: one partner's links.
    pub partner_id: Option<String>,
}

/// L1: the caller's links (a merchant: every partner's, or one's).
#[utoipa::path(get, path = "/api/v1/links", tag = "attribution", security(("bearer" = [])), params(LinkQuery),
    responses((status = 200, body = LinkList)))]
pub async fn list_links(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Json<LinkList>, AppError> {
    let req = pb::ListLinksRequest { partner_id: q.partner_id };
    let list = s.attribution().list_links(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(LinkList { items: list.items.into_iter().map(Into::into).collect() }))
}

/// L1: a share link to a product or page, with an unguessable code.
#[utoipa::path(post, path = "/api/v1/links", tag = "attribution", security(("bearer" = [])), request_body = CreateLink,
    responses((status = 201, body = Link), (status = 422, body = ProblemDoc)))]
pub async fn create_link(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateLink>,
) -> Result<(StatusCode, Json<Link>), AppError> {
    let req = pb::CreateLinkRequest { target_url: b.target_url, label: b.label, partner_id: b.partner_id };
    let l = s.attribution().create_link(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(l.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BindingEvent {
    /// bound, rebound or refreshed
    pub kind: String,
    pub partner_id: String,
    pub from_partner_id: Option<String>,
    pub at: String,
    /// The click that caused it (absent for a registration through a link).
    pub click_id: Option<String>,
    /// click, registration or visitor_merged
    pub reason: String,
}

/// L10: who the customer belongs to, since when, what protects it, and how it got there.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerBinding {
    pub customer_id: String,
    pub partner_id: Option<String>,
    pub since: Option<String>,
    pub protected_until: Option<String>,
    pub valid_until: Option<String>,
    pub valid: bool,
    pub history: Vec<BindingEvent>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/binding", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CustomerBinding), (status = 404, body = ProblemDoc)))]
pub async fn customer_binding(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<CustomerBinding>, AppError> {
    let b = s
        .attribution()
        .get_customer_binding(caller.request(pb::CustomerBindingRequest { customer_id: id }))
        .await
        .map_err(upstream)?
        .into_inner();
    Ok(Json(CustomerBinding {
        customer_id: b.customer_id,
        partner_id: b.partner_id,
        since: b.since,
        protected_until: b.protected_until,
        valid_until: b.valid_until,
        valid: b.valid,
        history: b
            .history
            .into_iter()
            .map(|h| BindingEvent {
                kind: h.kind,
                partner_id: h.partner_id,
                from_partner_id: h.from_partner_id,
                at: h.at,
                click_id: h.click_id,
                reason: h.reason,
            })
            .collect(),
    }))
}

async fn qr(s: AppState, caller: Caller, id: String, format: &str) -> Result<axum::response::Response, AppError> {
    let req = pb::LinkQrRequest { link_id: id, format: format.into(), public_url: s.redirect.public_url.clone() };
    let q = s.attribution().get_link_qr(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(image(q))
}

/// An image attribution rendered (a QR code, a poster), with its content type.
pub fn image(q: pb::LinkQr) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = q.body.into_response();
    if let Ok(v) = http::HeaderValue::from_str(&q.content_type) {
        res.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    res
}

/// L1: the link's QR code as SVG (it encodes `<public_url>/r/<code>`).
#[utoipa::path(get, path = "/api/v1/links/{id}/qr.svg", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ProblemDoc)))]
pub async fn qr_svg(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<axum::response::Response, AppError> {
    qr(s, caller, id, "svg").await
}

/// L1: the link's QR code as PNG.
#[utoipa::path(get, path = "/api/v1/links/{id}/qr.png", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ProblemDoc)))]
pub async fn qr_png(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<axum::response::Response, AppError> {
    qr(s, caller, id, "png").await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClickQuery {
    /// YYYY-MM-DD, inclusive; default 29 days before `to`
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive; default today
    pub to: Option<String>,
}

/// L10: a partner's clicks per day (with how many bound someone) and per link.
#[utoipa::path(get, path = "/api/v1/partners/{id}/clicks", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path), ClickQuery),
    responses((status = 200, body = pb::PartnerClicks), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn partner_clicks(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiQuery(q): ApiQuery<ClickQuery>,
) -> Result<Json<pb::PartnerClicks>, AppError> {
    let req = pb::PartnerClicksRequest { partner_id: id, from: q.from, to: q.to };
    Ok(Json(s.attribution().get_partner_clicks(caller.request(req)).await.map_err(upstream)?.into_inner()))
}
