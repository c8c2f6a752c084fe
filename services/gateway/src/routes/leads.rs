//! Leads and referrals (LE1-LE5): partners submit and follow their leads; the merchant moves
//! them and assigns sales reps; won leads are the partner's referrals.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::customers::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::IntoParams;

use super::limit;
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeadQuery {
    pub status: Option<String>,
    /// Part of the contact name, email, company or website.
    pub q: Option<String>,
    /// created_at (default), updated_at, status, product_line, contact_name, email, company or website_url
    pub sort: Option<String>,
    /// asc or desc (default desc)
    pub order: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReferralQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Leads, sortable by any column, filterable by status, searchable (LE4).
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", security(("bearer" = [])), params(LeadQuery),
    responses((status = 200, body = pb::LeadPage), (status = 422, body = ProblemDoc)))]
pub async fn list_leads(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LeadQuery>,
) -> Result<Json<pb::LeadPage>, AppError> {
    let descending = match q.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(AppError::invalid("order", "must be asc or desc")),
    };
    let req = pb::ListLeadsRequest {
        status: q.status,
        q: q.q,
        sort: q.sort.unwrap_or_default(),
        descending,
        limit: limit(q.limit),
        cursor: q.cursor,
    };
    let page = s.customers().list_leads(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// A partner submits a lead (LE1).
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads", security(("bearer" = [])), request_body = pb::SubmitLeadRequest,
    responses((status = 201, body = pb::Lead), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn submit_lead(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::SubmitLeadRequest>,
) -> Result<(StatusCode, Json<pb::Lead>), AppError> {
    let l = s.customers().submit_lead(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(l)))
}

/// A lead with its timeline.
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = pb::Lead), (status = 404, body = ProblemDoc)))]
pub async fn get_lead(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Lead>, AppError> {
    let l = s.customers().get_lead(caller.request(pb::LeadRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(l))
}

/// Move a lead (LE2): submitted → in_progress → won (with plan and revenue) or not_eligible.
#[utoipa::path(post, path = "/api/v1/leads/{id}/status", tag = "leads", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = pb::ChangeLeadStatusRequest,
    responses((status = 200, body = pb::Lead), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn change_status(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::ChangeLeadStatusRequest>,
) -> Result<Json<pb::Lead>, AppError> {
    let req = pb::ChangeLeadStatusRequest { id, ..b };
    let l = s.customers().change_lead_status(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(l))
}

/// Assign a sales rep (merchant admin); the partner then sees the rep's contact details.
#[utoipa::path(post, path = "/api/v1/leads/{id}/sales-rep", tag = "leads", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = pb::AssignSalesRepRequest,
    responses((status = 200, body = pb::Lead), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn assign_rep(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::AssignSalesRepRequest>,
) -> Result<Json<pb::Lead>, AppError> {
    let l = s
        .customers()
        .assign_sales_rep(caller.request(pb::AssignSalesRepRequest { id, ..b }))
        .await
        .map_err(upstream)?
        .into_inner();
    Ok(Json(l))
}

/// Won referrals with date, plan and revenue (LE5).
#[utoipa::path(get, path = "/api/v1/referrals", tag = "leads", security(("bearer" = [])), params(ReferralQuery),
    responses((status = 200, body = pb::ReferralPage)))]
pub async fn list_referrals(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReferralQuery>,
) -> Result<Json<pb::ReferralPage>, AppError> {
    let req = pb::ListReferralsRequest { limit: limit(q.limit), cursor: q.cursor };
    let page = s.customers().list_referrals(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}
