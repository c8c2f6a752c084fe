//! Customers and their CRM (CU1-CU8, L8). The customers service decides who reaches what: a
//! partner only its own customers (others are 404), merchants all of their program's.

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use partnerline_proto::customers::v1 as pb;
use platform::AppError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{limit, nullable};
use crate::auth::{Caller, ClientIp};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Part of a name, email or phone (case-insensitive).
    pub q: Option<String>,
    /// current or potential
    pub status: Option<String>,
    /// hot, warm, cold or not_interested
    pub temperature: Option<String>,
    /// Merchants: one partner's customers.
    pub owner_partner_id: Option<String>,
    /// active or pending_approval (CU7: the merchant's approval queue)
    pub approval: Option<String>,
    /// One group's customers.
    pub group_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Hand-written: `null` unassigns the owner or the group, which customers' request spells "".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub name: Option<String>,
    pub vat_number: Option<String>,
    pub contact_person: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<pb::Address>,
    pub status: Option<String>,
    pub temperature: Option<String>,
    pub discount_percent: Option<String>,
    pub currency: Option<String>,
    pub language: Option<String>,
    /// Merchants only (CU6): reassign to another partner; `null` leaves the customer unassigned.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub owner_partner_id: Option<Option<String>>,
    /// Merchants only (CU7): move the customer to a group (`null` takes it out).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<Option<String>>,
}

impl UpdateCustomer {
    pub fn into_request(self, id: String) -> pb::UpdateCustomerRequest {
        pb::UpdateCustomerRequest {
            id,
            name: self.name,
            vat_number: self.vat_number,
            contact_person: self.contact_person,
            email: self.email,
            phone: self.phone,
            address: self.address,
            status: self.status,
            temperature: self.temperature,
            discount_percent: self.discount_percent,
            currency: self.currency,
            language: self.language,
            owner_partner_id: self.owner_partner_id.map(|o| o.unwrap_or_default()),
            group_id: self.group_id.map(|g| g.unwrap_or_default()),
        }
    }
}

/// Hand-written: adds the link itself, a page of the gateway's.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuickOrderLink {
    pub customer_id: String,
    /// Shown once; regenerating replaces it.
    pub token: String,
    /// The link to send to the customer.
    pub url: String,
    pub created_at: String,
    /// The link is on its way to the customer by email (`send_email`).
    pub emailed: bool,
}

/// Hand-written: the customer is the path's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuickOrderLink {
    /// Email the link to the customer too, in the customer's language (CU8, N4); the customer
    /// needs an email address.
    #[serde(default)]
    pub send_email: bool,
}

/// Hand-written: a public page, so it shows none of the customer's ids, owner or email.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuickOrderCustomer {
    pub customer_name: String,
    pub discount_percent: String,
    pub currency: String,
    pub language: String,
}

/// Hand-written: the program comes from the path and the visitor from its cookie, never from
/// the body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCustomer {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub language: String,
    /// The code of the partner link the customer came through (L8).
    pub referral_code: Option<String>,
    #[serde(default)]
    pub is_business: bool,
    #[serde(default)]
    pub vat_number: String,
}

/// Hand-written: `null` unassigns the group, which customers' request spells "".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    pub name: Option<String>,
    /// A partner id moves the group and all its customers to that partner; `null` unassigns the
    /// group (its customers keep their owner).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub partner_id: Option<Option<String>>,
}
/// Two ids in a path; a malformed one is simply not found.
fn ids(customer: &str, note: &str) -> Result<(String, String), AppError> {
    let parse = |s: &str, what| uuid::Uuid::parse_str(s).map(|u| u.to_string()).map_err(|_| AppError::not_found(what));
    Ok((parse(customer, "customer")?, parse(note, "note")?))
}

/// Customers, newest first, each with its latest note for a card view (CU2). Search and filters combine.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), params(CustomerQuery),
    responses((status = 200, body = pb::CustomerPage), (status = 422, body = ProblemDoc)))]
pub async fn list_customers(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> Result<Json<pb::CustomerPage>, AppError> {
    let req = pb::ListCustomersRequest {
        q: q.q,
        status: q.status,
        temperature: q.temperature,
        owner_partner_id: q.owner_partner_id,
        limit: limit(q.limit),
        cursor: q.cursor,
        approval: q.approval,
        group_id: q.group_id,
    };
    let page = s.customers().list_customers(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// Add a customer. A partner owns the customers it adds; a merchant may name the owner.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), request_body = pb::CreateCustomerRequest,
    responses((status = 201, body = pb::Customer), (status = 422, body = ProblemDoc)))]
pub async fn create_customer(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::CreateCustomerRequest>,
) -> Result<(StatusCode, Json<pb::Customer>), AppError> {
    let c = s.customers().create_customer(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = pb::Customer), (status = 404, body = ProblemDoc)))]
pub async fn get_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Customer>, AppError> {
    let c = s.customers().get_customer(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(c))
}

/// Change a customer; a merchant may reassign it (`owner_partner_id`, CU6).
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateCustomer,
    responses((status = 200, body = pb::Customer), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<UpdateCustomer>,
) -> Result<Json<pb::Customer>, AppError> {
    let c = s.customers().update_customer(caller.request(b.into_request(id))).await.map_err(upstream)?.into_inner();
    Ok(Json(c))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ProblemDoc)))]
pub async fn delete_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    s.customers().delete_customer(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Notes by priority (high, medium, none), then newest first (CU3).
#[utoipa::path(get, path = "/api/v1/customers/{id}/notes", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = pb::NoteList), (status = 404, body = ProblemDoc)))]
pub async fn list_notes(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::NoteList>, AppError> {
    let list = s.customers().list_notes(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(list))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/notes", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = pb::AddNoteRequest, responses((status = 201, body = pb::Note), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add_note(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::AddNoteRequest>,
) -> Result<(StatusCode, Json<pb::Note>), AppError> {
    let req = pb::AddNoteRequest { customer_id: id, ..b };
    let n = s.customers().add_note(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(n)))
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}/notes/{note_id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path), ("note_id" = String, Path)), request_body = pb::UpdateNoteRequest,
    responses((status = 200, body = pb::Note), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_note(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, note_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<pb::UpdateNoteRequest>,
) -> Result<Json<pb::Note>, AppError> {
    let (customer_id, note_id) = ids(&id, &note_id)?;
    let req = pb::UpdateNoteRequest { customer_id, note_id, ..b };
    let n = s.customers().update_note(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(n))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}/notes/{note_id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path), ("note_id" = String, Path)), responses((status = 204), (status = 404, body = ProblemDoc)))]
pub async fn delete_note(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, note_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let (customer_id, note_id) = ids(&id, &note_id)?;
    s.customers().delete_note(caller.request(pb::NoteRef { customer_id, note_id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The communication log, newest first (CU4).
#[utoipa::path(get, path = "/api/v1/customers/{id}/communications", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = pb::CommunicationList), (status = 404, body = ProblemDoc)))]
pub async fn list_communications(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::CommunicationList>, AppError> {
    let list =
        s.customers().list_communications(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(list))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/communications", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::AddCommunicationRequest,
    responses((status = 201, body = pb::Communication), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add_communication(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::AddCommunicationRequest>,
) -> Result<(StatusCode, Json<pb::Communication>), AppError> {
    let req = pb::AddCommunicationRequest { customer_id: id, ..b };
    let c = s.customers().add_communication(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c)))
}

/// Create or regenerate the customer's quick-order link (CU8); the old link stops working at once.
#[utoipa::path(post, path = "/api/v1/customers/{id}/quick-order-link", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CreateQuickOrderLink,
    responses((status = 201, body = QuickOrderLink), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_link(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<CreateQuickOrderLink>,
) -> Result<axum::response::Response, AppError> {
    let l = s
        .customers()
        .create_quick_order_link(caller.request(pb::CreateQuickOrderLinkRequest { id, send_email: b.send_email }))
        .await
        .map_err(upstream)?
        .into_inner();
    let url = format!("/q/{}", l.token);
    let id = l.customer_id.clone();
    let created = Json(QuickOrderLink {
        customer_id: l.customer_id,
        token: l.token,
        url,
        created_at: l.created_at,
        emailed: l.emailed,
    });
    Ok(crate::idempotency::secret_inside((StatusCode::CREATED, created), id))
}

/// Revoke the customer's quick-order link.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/quick-order-link", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ProblemDoc)))]
pub async fn revoke_link(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    s.customers().revoke_quick_order_link(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Public: what a quick-order link opens for (name, prices' discount, currency, language).
/// Unknown, revoked and replaced links are the same 404; lookups are rate-limited per client.
#[utoipa::path(get, path = "/api/v1/quick-order/{token}", tag = "customers", params(("token" = String, Path)),
    responses((status = 200, body = QuickOrderCustomer), (status = 404, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
pub async fn resolve_link(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Json<QuickOrderCustomer>, AppError> {
    let req = pb::ResolveQuickOrderTokenRequest { token, client: ip };
    let c = s
        .customers()
        .resolve_quick_order_token(platform::grpc::request(req, None))
        .await
        .map_err(upstream)?
        .into_inner();
    Ok(Json(QuickOrderCustomer {
        customer_name: c.customer_name,
        discount_percent: c.discount_percent,
        currency: c.currency,
        language: c.language,
    }))
}

/// Public: a customer signs up, maybe through a partner's link (L8: attribution assigns it).
#[utoipa::path(post, path = "/api/v1/programs/{slug}/customers", tag = "customers", params(("slug" = String, Path)),
    request_body = RegisterCustomer,
    responses((status = 201, body = pb::Customer), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn register_customer(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: http::HeaderMap,
    ApiJson(b): ApiJson<RegisterCustomer>,
) -> Result<(StatusCode, Json<pb::Customer>), AppError> {
    let req = pb::RegisterCustomerRequest {
        program: slug,
        name: b.name,
        email: b.email,
        phone: b.phone,
        language: b.language,
        referral_code: b.referral_code,
        is_business: b.is_business,
        vat_number: b.vat_number,
        visitor_id: crate::routes::redirect::visitor_cookie(&headers),
        ip_hash: crate::routes::redirect::ip_hash(&s, &ip),
    };
    let c = s.customers().register_customer(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c)))
}

/// CU7: approve a business customer waiting in `pending_approval`, picking its partner.
#[utoipa::path(post, path = "/api/v1/customers/{id}/approve", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = pb::ApproveCustomerRequest,
    responses((status = 200, body = pb::Customer), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn approve_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<pb::ApproveCustomerRequest>,
) -> Result<Json<pb::Customer>, AppError> {
    let req = pb::ApproveCustomerRequest { id, ..b };
    let c = s.customers().approve_customer(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(c))
}

/// CU7: the program's customer groups, by name (merchant only).
#[utoipa::path(get, path = "/api/v1/customer-groups", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = pb::GroupList), (status = 403, body = ProblemDoc)))]
pub async fn list_groups(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::GroupList>, AppError> {
    let list = s.customers().list_groups(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(list))
}

/// CU7: a new group, maybe assigned to a partner at once.
#[utoipa::path(post, path = "/api/v1/customer-groups", tag = "customers", security(("bearer" = [])),
    request_body = pb::CreateGroupRequest,
    responses((status = 201, body = pb::CustomerGroup), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn create_group(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateGroupRequest>,
) -> Result<(StatusCode, Json<pb::CustomerGroup>), AppError> {
    let g = s.customers().create_group(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(g)))
}

#[utoipa::path(get, path = "/api/v1/customer-groups/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = pb::CustomerGroup), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn get_group(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::CustomerGroup>, AppError> {
    let g = s.customers().get_group(caller.request(pb::GroupRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(g))
}

/// CU7: rename a group, or assign it to a partner (its customers move with it) or unassign it.
#[utoipa::path(patch, path = "/api/v1/customer-groups/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateGroup,
    responses((status = 200, body = pb::CustomerGroup), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_group(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<UpdateGroup>,
) -> Result<Json<pb::CustomerGroup>, AppError> {
    let req = pb::UpdateGroupRequest { id, name: b.name, partner_id: b.partner_id.map(|p| p.unwrap_or_default()) };
    let g = s.customers().update_group(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(g))
}

/// CU7: delete a group; its customers leave it and keep their owner.
#[utoipa::path(delete, path = "/api/v1/customer-groups/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn delete_group(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    s.customers().delete_group(caller.request(pb::GroupRef { id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}
