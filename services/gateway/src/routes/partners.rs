//! Partners and their teams (P4, P5). Merchants see all of their program; a partner sees itself
//! and its team.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{limit, nullable};
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnerQuery {
    /// Part of a name, email or phone (case-insensitive).
    pub q: Option<String>,
    /// active or suspended
    pub status: Option<String>,
    pub parent_partner_id: Option<String>,
    /// 1–200, default 50
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Hand-written: `"parent_partner_id": null` takes the partner out of its team, which a proto3
/// optional field cannot say (identity's request spells it `clear_parent`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartner {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub payout_method: Option<pb::PayoutMethod>,
    /// new, standard or trusted
    pub trust_level: Option<String>,
    /// active or suspended (P5: a suspended partner's links stop attributing)
    pub status: Option<String>,
    pub commission_plan: Option<String>,
    pub language: Option<String>,
    /// `null` removes the partner from its parent's team.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub parent_partner_id: Option<Option<String>>,
}

/// Hand-written: adds the join page URL, a page of the gateway's, to identity's invite.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub id: String,
    /// Shown once.
    pub token: String,
    pub partner_id: String,
    pub expires_at: String,
    pub program: String,
    /// The join page this invite opens.
    pub url: String,
}

/// Partners, searchable by name, email or phone, filterable by status and parent.
#[utoipa::path(get, path = "/api/v1/partners", tag = "partners", security(("bearer" = [])), params(PartnerQuery),
    responses((status = 200, body = pb::PartnerPage), (status = 401, body = ProblemDoc)))]
pub async fn list_partners(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PartnerQuery>,
) -> Result<Json<pb::PartnerPage>, AppError> {
    let req = pb::ListPartnersRequest {
        q: q.q,
        status: q.status,
        parent_partner_id: q.parent_partner_id,
        limit: limit(q.limit),
        cursor: q.cursor,
    };
    let page = s.identity().list_partners(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// Add a partner directly (merchant admin); it is active at once.
#[utoipa::path(post, path = "/api/v1/partners", tag = "partners", security(("bearer" = [])), request_body = pb::CreatePartnerRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = pb::Partner), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_partner(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreatePartnerRequest>,
) -> Result<(StatusCode, Json<pb::Partner>), AppError> {
    let p = s.identity().create_partner(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/partners/{id}", tag = "partners", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = pb::Partner), (status = 404, body = ProblemDoc)))]
pub async fn get_partner(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Partner>, AppError> {
    let p =
        s.identity().get_partner(caller.request(pb::GetPartnerRequest { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(p))
}

/// Change a partner. Merchants change anything; a partner changes its own name, phone, payout
/// method and language.
#[utoipa::path(patch, path = "/api/v1/partners/{id}", tag = "partners", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdatePartner,
    responses((status = 200, body = pb::Partner), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_partner(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<UpdatePartner>,
) -> Result<Json<pb::Partner>, AppError> {
    let req = pb::UpdatePartnerRequest {
        id,
        name: b.name,
        phone: b.phone,
        payout_method: b.payout_method,
        trust_level: b.trust_level,
        status: b.status,
        commission_plan: b.commission_plan,
        language: b.language,
        clear_parent: matches!(b.parent_partner_id, Some(None)),
        parent_partner_id: b.parent_partner_id.flatten(),
        email: b.email,
    };
    let p = s.identity().update_partner(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(p))
}

/// An invite link for the signed-in partner: approved invitees join its team (P4).
#[utoipa::path(post, path = "/api/v1/partners/me/invites", tag = "partners", security(("bearer" = [])), request_body = pb::CreateInviteRequest,
    responses((status = 201, body = Invite), (status = 403, body = ProblemDoc)))]
pub async fn create_invite(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateInviteRequest>,
) -> Result<axum::response::Response, AppError> {
    let i = s.identity().create_invite(caller.request(req)).await.map_err(upstream)?.into_inner();
    let id = i.id.clone();
    Ok(crate::idempotency::secret_inside((StatusCode::CREATED, Json(invite(i))), id))
}

fn invite(i: pb::Invite) -> Invite {
    let url = format!("/join/{}?invite={}", i.program, i.token);
    Invite { id: i.id, token: i.token, partner_id: i.partner_id, expires_at: i.expires_at, program: i.program, url }
}
