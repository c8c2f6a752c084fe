//! Partners and their teams (P4, P5). Merchants see all of their program; a partner sees itself
//! and its team.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use super::limit;
use crate::auth::Caller;
use crate::dto::{CreateInvite, CreatePartner, Invite, Page, Partner, PartnerQuery, UpdatePartner};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

/// Partners, searchable by name, email or phone, filterable by status and parent.
#[utoipa::path(get, path = "/api/v1/partners", tag = "partners", security(("bearer" = [])), params(PartnerQuery),
    responses((status = 200, body = Page<Partner>), (status = 401, body = ProblemDoc)))]
pub async fn list_partners(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PartnerQuery>,
) -> Result<Json<Page<Partner>>, AppError> {
    let req = pb::ListPartnersRequest {
        q: q.q,
        status: q.status,
        parent_partner_id: q.parent_partner_id,
        limit: limit(q.limit),
        cursor: q.cursor,
    };
    let page = s.identity().list_partners(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Add a partner directly (merchant admin); it is active at once.
#[utoipa::path(post, path = "/api/v1/partners", tag = "partners", security(("bearer" = [])), request_body = CreatePartner,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = Partner), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_partner(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreatePartner>,
) -> Result<(StatusCode, Json<Partner>), AppError> {
    let req = pb::CreatePartnerRequest {
        name: b.name,
        email: b.email,
        phone: b.phone,
        password: b.password,
        payout_method: b.payout_method.map(Into::into),
        trust_level: b.trust_level,
        parent_partner_id: b.parent_partner_id,
        commission_plan: b.commission_plan,
        language: b.language,
    };
    let p = s.identity().create_partner(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(p.into())))
}

#[utoipa::path(get, path = "/api/v1/partners/{id}", tag = "partners", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Partner), (status = 404, body = ProblemDoc)))]
pub async fn get_partner(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<Partner>, AppError> {
    let p =
        s.identity().get_partner(caller.request(pb::GetPartnerRequest { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(p.into()))
}

/// Change a partner. Merchants change anything; a partner changes its own name, phone, payout
/// method and language.
#[utoipa::path(patch, path = "/api/v1/partners/{id}", tag = "partners", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdatePartner,
    responses((status = 200, body = Partner), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_partner(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<UpdatePartner>,
) -> Result<Json<Partner>, AppError> {
    let req = pb::UpdatePartnerRequest {
        id,
        name: b.name,
        phone: b.phone,
        payout_method: b.payout_method.map(Into::into),
        trust_level: b.trust_level,
        status: b.status,
        commission_plan: b.commission_plan,
        language: b.language,
        clear_parent: matches!(b.parent_partner_id, Some(None)),
        parent_partner_id: b.parent_partner_id.flatten(),
        email: b.email,
    };
    let p = s.identity().update_partner(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(p.into()))
}

/// An invite link for the signed-in partner: approved invitees join its team (P4).
#[utoipa::path(post, path = "/api/v1/partners/me/invites", tag = "partners", security(("bearer" = [])), request_body = CreateInvite,
    responses((status = 201, body = Invite), (status = 403, body = ProblemDoc)))]
pub async fn create_invite(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateInvite>,
) -> Result<axum::response::Response, AppError> {
    let req = pb::CreateInviteRequest { valid_days: b.valid_days.unwrap_or(0) };
    let i = s.identity().create_invite(caller.request(req)).await.map_err(upstream)?.into_inner();
    let id = i.id.clone();
    Ok(crate::idempotency::secret_inside((StatusCode::CREATED, Json(Invite::from(i))), id))
}
