//! Customers and their CRM (CU1-CU8, L8). The customers service decides who reaches what: a
//! partner only its own customers (others are 404), merchants all of their program's.

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use partnerline_proto::customers::v1 as pb;
use platform::AppError;

use super::limit;
use crate::auth::{Caller, ClientIp};
use crate::dto::{
    AddCommunication, AddNote, ApproveCustomer, Communication, CommunicationList, CreateCustomer, CreateGroup,
    Customer, CustomerGroup, CustomerQuery, GroupList, Note, NoteList, Page, QuickOrderCustomer, QuickOrderLink,
    RegisterCustomer, UpdateCustomer, UpdateGroup, UpdateNote,
};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

/// Two ids in a path; a malformed one is simply not found.
fn ids(customer: &str, note: &str) -> Result<(String, String), AppError> {
    let parse = |s: &str, what| uuid::Uuid::parse_str(s).map(|u| u.to_string()).map_err(|_| AppError::not_found(what));
    Ok((parse(customer, "customer")?, parse(note, "note")?))
}

/// Customers, newest first, each with its latest note for a card view (CU2). Search and filters combine.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), params(CustomerQuery),
    responses((status = 200, body = Page<Customer>), (status = 422, body = ProblemDoc)))]
pub async fn list_customers(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> Result<Json<Page<Customer>>, AppError> {
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
    Ok(Json(Page { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Add a customer. A partner owns the customers it adds; a merchant may name the owner.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), request_body = CreateCustomer,
    responses((status = 201, body = Customer), (status = 422, body = ProblemDoc)))]
pub async fn create_customer(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateCustomer>,
) -> Result<(StatusCode, Json<Customer>), AppError> {
    let c = s.customers().create_customer(caller.request(b.into())).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ProblemDoc)))]
pub async fn get_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<Customer>, AppError> {
    let c = s.customers().get_customer(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(c.into()))
}

/// Change a customer; a merchant may reassign it (`owner_partner_id`, CU6).
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateCustomer,
    responses((status = 200, body = Customer), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<UpdateCustomer>,
) -> Result<Json<Customer>, AppError> {
    let c = s.customers().update_customer(caller.request(b.into_request(id))).await.map_err(upstream)?.into_inner();
    Ok(Json(c.into()))
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
    responses((status = 200, body = NoteList), (status = 404, body = ProblemDoc)))]
pub async fn list_notes(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<NoteList>, AppError> {
    let list = s.customers().list_notes(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(NoteList { items: list.items.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/notes", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AddNote, responses((status = 201, body = Note), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add_note(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<AddNote>,
) -> Result<(StatusCode, Json<Note>), AppError> {
    let req = pb::AddNoteRequest { customer_id: id, priority: b.priority, body: b.body };
    let n = s.customers().add_note(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(n.into())))
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}/notes/{note_id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path), ("note_id" = String, Path)), request_body = UpdateNote,
    responses((status = 200, body = Note), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_note(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, note_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateNote>,
) -> Result<Json<Note>, AppError> {
    let (customer_id, note_id) = ids(&id, &note_id)?;
    let req = pb::UpdateNoteRequest { customer_id, note_id, priority: b.priority, body: b.body };
    let n = s.customers().update_note(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(n.into()))
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
    params(("id" = String, Path)), responses((status = 200, body = CommunicationList), (status = 404, body = ProblemDoc)))]
pub async fn list_communications(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<CommunicationList>, AppError> {
    let list =
        s.customers().list_communications(caller.request(pb::CustomerRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(CommunicationList { items: list.items.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/communications", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AddCommunication,
    responses((status = 201, body = Communication), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn add_communication(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<AddCommunication>,
) -> Result<(StatusCode, Json<Communication>), AppError> {
    let req =
        pb::AddCommunicationRequest { customer_id: id, kind: b.kind, occurred_at: b.occurred_at, summary: b.summary };
    let c = s.customers().add_communication(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Create or regenerate the customer's quick-order link (CU8); the old link stops working at once.
#[utoipa::path(post, path = "/api/v1/customers/{id}/quick-order-link", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 201, body = QuickOrderLink), (status = 404, body = ProblemDoc)))]
pub async fn create_link(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<axum::response::Response, AppError> {
    let l = s
        .customers()
        .create_quick_order_link(caller.request(pb::CustomerRef { id }))
        .await
        .map_err(upstream)?
        .into_inner();
    let url = format!("/q/{}", l.token);
    let id = l.customer_id.clone();
    let created = Json(QuickOrderLink { customer_id: l.customer_id, token: l.token, url, created_at: l.created_at });
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
    responses((status = 201, body = Customer), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn register_customer(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: http::HeaderMap,
    ApiJson(b): ApiJson<RegisterCustomer>,
) -> Result<(StatusCode, Json<Customer>), AppError> {
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
    };
    let c = s.customers().register_customer(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// CU7: approve a business customer waiting in `pending_approval`, picking its partner.
#[utoipa::path(post, path = "/api/v1/customers/{id}/approve", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ApproveCustomer,
    responses((status = 200, body = Customer), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn approve_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<ApproveCustomer>,
) -> Result<Json<Customer>, AppError> {
    let req = pb::ApproveCustomerRequest { id, owner_partner_id: b.owner_partner_id };
    let c = s.customers().approve_customer(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(c.into()))
}

/// CU7: the program's customer groups, by name (merchant only).
#[utoipa::path(get, path = "/api/v1/customer-groups", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = GroupList), (status = 403, body = ProblemDoc)))]
pub async fn list_groups(State(s): State<AppState>, caller: Caller) -> Result<Json<GroupList>, AppError> {
    let list = s.customers().list_groups(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(GroupList { items: list.items.into_iter().map(Into::into).collect() }))
}

/// CU7: a new group, maybe assigned to a partner at once.
#[utoipa::path(post, path = "/api/v1/customer-groups", tag = "customers", security(("bearer" = [])),
    request_body = CreateGroup,
    responses((status = 201, body = CustomerGroup), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn create_group(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateGroup>,
) -> Result<(StatusCode, Json<CustomerGroup>), AppError> {
    let req = pb::CreateGroupRequest { name: b.name, partner_id: b.partner_id };
    let g = s.customers().create_group(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(g.into())))
}

#[utoipa::path(get, path = "/api/v1/customer-groups/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CustomerGroup), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn get_group(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<CustomerGroup>, AppError> {
    let g = s.customers().get_group(caller.request(pb::GroupRef { id })).await.map_err(upstream)?.into_inner();
    Ok(Json(g.into()))
}

/// CU7: rename a group, or assign it to a partner (its customers move with it) or unassign it.
#[utoipa::path(patch, path = "/api/v1/customer-groups/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateGroup,
    responses((status = 200, body = CustomerGroup), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_group(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<UpdateGroup>,
) -> Result<Json<CustomerGroup>, AppError> {
    let req = pb::UpdateGroupRequest { id, name: b.name, partner_id: b.partner_id.map(|p| p.unwrap_or_default()) };
    let g = s.customers().update_group(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(g.into()))
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
