//! X7: one customer's data, exported from every service that holds it, and erased on request.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use partnerline_proto::{attribution::v1 as at, customers::v1 as pb, notifications::v1 as nt, orders::v1 as or};
use platform::AppError;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ResourceId, upstream};
use crate::state::AppState;

/// Hand-written: the customer is the path's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseCustomer {
    /// The customer's name as it is now, to say this is the customer to erase.
    pub confirm: String,
}

fn part(raw: &str) -> Result<serde_json::Value, AppError> {
    serde_json::from_str(raw).map_err(|e| AppError::internal(anyhow::anyhow!("a service's export is not JSON: {e}")))
}

/// Everything Partnerline holds about one customer, as one JSON document (X7): its record,
/// notes and communication log (customers), its orders with lines, notes, refunds and payments
/// (orders), its bindings and the clicks tied to it (attribution), the emails it was sent
/// (notifications). Merchant admins, or an API key with `customers:read` and `orders:read`.
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the customer's data, one object per service", content_type = "application/json"),
        (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn export_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Response, AppError> {
    // Customers first: it says whether the customer exists and whether the caller may export.
    let customers =
        s.customers().export_customer(caller.request(pb::CustomerRef { id: id.clone() })).await.map_err(upstream)?;
    let (mut o, mut a, mut n) = (s.orders(), s.attribution(), s.notifications());
    let (orders, attribution, notifications) = tokio::try_join!(
        o.export_customer(caller.request(or::CustomerExportRequest { customer_id: id.clone() })),
        a.export_customer(caller.request(at::CustomerExportRequest { customer_id: id.clone() })),
        n.export_customer(caller.request(nt::CustomerExportRequest { customer_id: id.clone() })),
    )
    .map_err(upstream)?;
    let doc = serde_json::json!({
        "customer_id": id,
        "exported_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "customers": part(&customers.into_inner().document)?,
        "orders": part(&orders.into_inner().document)?,
        "attribution": part(&attribution.into_inner().document)?,
        "notifications": part(&notifications.into_inner().document)?,
    });
    let disposition = format!("attachment; filename=\"customer-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(doc)).into_response())
}

/// Erase a customer's personal data (X7): name, email, phone, address, VAT number, notes' text
/// and communication summaries here, and the copies in orders, attribution and notifications
/// (through `customer.erased`). Orders, commissions and the ledger stay, amounts untouched, the
/// customer named "erased customer"; search finds it no more. Merchant admins only; `confirm`
/// repeats the customer's name.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = EraseCustomer,
    responses((status = 200, body = pb::Customer), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn erase_customer(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<EraseCustomer>,
) -> Result<Json<pb::Customer>, AppError> {
    let req = pb::EraseCustomerRequest { id, confirm: b.confirm };
    let c = s.customers().erase_customer(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(c))
}
