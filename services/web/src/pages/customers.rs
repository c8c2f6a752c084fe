//! `/customers` (CU2–CU6): the partner's customers in two sections, Current then Potential, as
//! cards with search and filters, the add form (CU1), and each customer's page with its fields,
//! notes, communication log and orders.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::StatusCode;
use partnerline_proto::customers::v1 as pb;
use partnerline_proto::orders::v1 as opb;
use platform::AppError;

use super::{Errors, Form, Frame, is_form_error, render};
use crate::session::Signed;

/// Cards per section and page.
const PAGE: u32 = 24;

pub const TEMPERATURES: [&str; 4] = ["hot", "warm", "cold", "not_interested"];
pub const STATUSES: [&str; 2] = ["current", "potential"];
pub const PRIORITIES: [&str; 3] = ["high", "medium", "none"];
pub const KINDS: [&str; 4] = ["call", "email", "meeting", "message"];
pub const LANGUAGES: [&str; 5] = crate::i18n::LANGS;

/// One section of the list.
pub struct Section {
    pub status: &'static str,
    pub items: Vec<pb::Customer>,
    /// The address of the section's next page, when there is one.
    pub more: Option<String>,
}

/// The filters as asked, kept in the form and in every link.
#[derive(Default)]
pub struct Filters {
    pub q: String,
    pub status: String,
    pub temperature: String,
}

impl Filters {
    pub fn status_is(&self, v: &str) -> bool {
        self.status == v
    }

    pub fn temperature_is(&self, v: &str) -> bool {
        self.temperature == v
    }
}

/// What the add and edit forms show: the values as typed (kept when they are refused).
#[derive(Default)]
pub struct Fields(HashMap<String, String>);

impl Fields {
    pub fn v(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }

    /// Fields the form requires (CU1: a customer has a name).
    pub fn required(&self, name: &str) -> bool {
        name == "name"
    }

    fn of(c: &pb::Customer) -> Fields {
        let a = c.address.clone().unwrap_or_default();
        let pairs = [
            ("name", c.name.clone()),
            ("vat_number", c.vat_number.clone()),
            ("contact_person", c.contact_person.clone()),
            ("email", c.email.clone()),
            ("phone", c.phone.clone()),
            ("address.line1", a.line1),
            ("address.line2", a.line2),
            ("address.city", a.city),
            ("address.postal_code", a.postal_code),
            ("address.region", a.region),
            ("address.country", a.country),
            ("status", c.status.clone()),
            ("temperature", c.temperature.clone()),
            ("discount_percent", c.discount_percent.clone()),
            ("currency", c.currency.clone()),
            ("language", c.language.clone()),
            ("is_business", if c.is_business { "on".into() } else { String::new() }),
        ];
        Fields(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn from_form(f: &Form) -> Fields {
        Fields(FIELDS.iter().map(|k| (k.to_string(), f.get(k))).collect())
    }
}

const FIELDS: [&str; 17] = [
    "name",
    "vat_number",
    "contact_person",
    "email",
    "phone",
    "address.line1",
    "address.line2",
    "address.city",
    "address.postal_code",
    "address.region",
    "address.country",
    "status",
    "temperature",
    "discount_percent",
    "currency",
    "language",
    "is_business",
];

#[derive(Template)]
#[template(path = "customers.html")]
struct ListPage {
    c: Frame,
    title: String,
    f: Filters,
    sections: Vec<Section>,
    /// The add form's values (`customer_fields.html` reads `fv` and `prefix`).
    fv: Fields,
    prefix: &'static str,
    errors: Errors,
    /// The add form is open (it was refused, or asked for with `#add`).
    open: bool,
    notice: String,
}

fn address(f: &Form) -> pb::Address {
    pb::Address {
        line1: f.get("address.line1"),
        line2: f.get("address.line2"),
        city: f.get("address.city"),
        postal_code: f.get("address.postal_code"),
        region: f.get("address.region"),
        country: f.get("address.country").to_uppercase(),
    }
}

async fn sections(
    s: &AppState,
    signed: &Signed,
    f: &Filters,
    q: &HashMap<String, String>,
) -> Result<Vec<Section>, AppError> {
    let wanted: Vec<&'static str> = STATUSES.into_iter().filter(|st| f.status.is_empty() || f.status == *st).collect();
    let ask = |status: &'static str| {
        let mut client = s.customers();
        let req = pb::ListCustomersRequest {
            q: Some(f.q.clone()).filter(|v| !v.is_empty()),
            status: Some(status.to_string()),
            temperature: Some(f.temperature.clone()).filter(|v| !v.is_empty()),
            limit: PAGE,
            cursor: q.get(&format!("{status}_after")).cloned().filter(|v| !v.is_empty()),
            ..Default::default()
        };
        let req = signed.0.request(req);
        async move { client.list_customers(req).await.map(|r| (status, r.into_inner())) }
    };
    let pages = futures::future::try_join_all(wanted.into_iter().map(ask)).await.map_err(upstream)?;
    Ok(pages
        .into_iter()
        .map(|(status, page)| Section {
            status,
            more: page.next_cursor.map(|cur| {
                let mut link = form_urlencoded::Serializer::new(String::new());
                for (k, v) in [("q", &f.q), ("status", &f.status), ("temperature", &f.temperature)] {
                    if !v.is_empty() {
                        link.append_pair(k, v);
                    }
                }
                link.append_pair(&format!("{status}_after"), &cur);
                format!("/customers?{}", link.finish())
            }),
            items: page.items,
        })
        .collect())
}

fn filters(q: &HashMap<String, String>) -> Filters {
    let pick = |name: &str, allowed: &[&str]| {
        q.get(name).map(|v| v.trim().to_string()).filter(|v| allowed.contains(&v.as_str())).unwrap_or_default()
    };
    Filters {
        q: q.get("q").map(|v| v.trim().chars().take(200).collect()).unwrap_or_default(),
        status: pick("status", &STATUSES),
        temperature: pick("temperature", &TEMPERATURES),
    }
}

pub async fn list(
    State(s): State<AppState>,
    signed: Signed,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let path = uri.path_and_query().map_or("/customers", |p| p.as_str());
    let (c, _) = Frame::load(&s, &signed, "customers", path).await?;
    let f = filters(&q);
    let sections = sections(&s, &signed, &f, &q).await?;
    let notice = match q.get("done").map(String::as_str) {
        Some("deleted") => c.t("customer-deleted"),
        _ => String::new(),
    };
    let title = c.t("customers-title");
    let add = Fields(HashMap::from([
        ("temperature".to_string(), "warm".to_string()),
        ("status".to_string(), "potential".to_string()),
    ]));
    Ok(render(
        StatusCode::OK,
        &ListPage { c, title, f, sections, fv: add, prefix: "add", errors: Errors::default(), open: false, notice },
    ))
}

/// CU1: add a customer; refused, the list page comes back with the form open, its values kept
/// and each error beside its field.
pub async fn create(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let req = pb::CreateCustomerRequest {
        name: form.get("name"),
        vat_number: form.get("vat_number"),
        contact_person: form.get("contact_person"),
        email: form.get("email"),
        phone: form.get("phone"),
        address: Some(address(&form)),
        status: form.get("status"),
        temperature: form.get("temperature"),
        discount_percent: form.get("discount_percent"),
        currency: form.get("currency").to_uppercase(),
        language: form.get("language"),
        is_business: form.checked("is_business"),
        ..Default::default()
    };
    let result = form.send(s.customers().create_customer(signed.0.request(req))).await;
    match result {
        Ok(created) => Ok(Redirect::to(&format!("/customers/{}?done=created", created.id)).into_response()),
        Err(err) if is_form_error(&err) => {
            let (c, _) = Frame::load(&s, &signed, "customers", "/customers").await?;
            let f = Filters::default();
            let sections = sections(&s, &signed, &f, &HashMap::new()).await?;
            let title = c.t("customers-title");
            let errors = Errors::of(&err, c.lang);
            let page = ListPage {
                c,
                title,
                f,
                sections,
                fv: Fields::from_form(&form),
                prefix: "add",
                errors,
                open: true,
                notice: String::new(),
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(err) => Err(err),
    }
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    c: Frame,
    title: String,
    cu: pb::Customer,
    /// The edit form's values.
    fv: Fields,
    prefix: &'static str,
    errors: Errors,
    note_errors: Errors,
    comm_errors: Errors,
    notes: Vec<pb::Note>,
    comms: Vec<pb::Communication>,
    orders: Vec<opb::OrderSummary>,
    notice: String,
    /// The quick-order link, shown once when it is made (CU8).
    quick_url: Option<String>,
}

/// For templates: a service's value equals one of a list's.
pub fn same(a: &str, b: &str) -> bool {
    a == b
}

/// The customer's notes, high before medium before none, then newest first (CU3).
pub fn sort_notes(notes: &mut [pb::Note]) {
    let rank = |p: &str| PRIORITIES.iter().position(|x| *x == p).unwrap_or(PRIORITIES.len());
    notes.sort_by(|a, b| rank(&a.priority).cmp(&rank(&b.priority)).then(b.created_at.cmp(&a.created_at)));
}

struct Shown {
    cu: pb::Customer,
    notes: Vec<pb::Note>,
    comms: Vec<pb::Communication>,
    orders: Vec<opb::OrderSummary>,
}

async fn load(s: &AppState, signed: &Signed, id: &str) -> Result<Shown, AppError> {
    let (mut a, mut b, mut cl, mut o) = (s.customers(), s.customers(), s.customers(), s.orders());
    let r = || pb::CustomerRef { id: id.to_string() };
    let orders = opb::ListOrdersRequest { customer_id: Some(id.to_string()), limit: 20, ..Default::default() };
    let (cu, notes, comms, orders) = tokio::try_join!(
        a.get_customer(signed.0.request(r())),
        b.list_notes(signed.0.request(r())),
        cl.list_communications(signed.0.request(r())),
        o.list_orders(signed.0.request(orders)),
    )
    .map_err(upstream)?;
    let mut notes = notes.into_inner().items;
    sort_notes(&mut notes);
    let mut comms = comms.into_inner().items;
    comms.sort_by(|a, b| b.occurred_at.cmp(&a.occurred_at));
    Ok(Shown { cu: cu.into_inner(), notes, comms, orders: orders.into_inner().items })
}

async fn customer_page(
    s: &AppState,
    signed: &Signed,
    id: &str,
    status: StatusCode,
    form: Option<(&str, &Form, Errors)>,
    notice: &str,
    quick_url: Option<String>,
) -> Result<Response, AppError> {
    let path = format!("/customers/{id}");
    let (c, _) = Frame::load(s, signed, "customers", &path).await?;
    let shown = load(s, signed, id).await?;
    let (mut edit, mut errors, mut note_errors, mut comm_errors) =
        (Fields::of(&shown.cu), Errors::default(), Errors::default(), Errors::default());
    match form {
        Some(("edit", f, e)) => {
            edit = Fields::from_form(f);
            errors = e;
        }
        Some(("note", _, e)) => note_errors = e,
        Some((_, _, e)) => comm_errors = e,
        None => {}
    }
    let notice = if notice.is_empty() { String::new() } else { c.t(&format!("customer-{notice}")) };
    let title = shown.cu.name.clone();
    let page = CustomerPage {
        c,
        title,
        cu: shown.cu,
        fv: edit,
        prefix: "edit",
        errors,
        note_errors,
        comm_errors,
        notes: shown.notes,
        comms: shown.comms,
        orders: shown.orders,
        notice,
        quick_url,
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let notice = q
        .get("done")
        .map(String::as_str)
        .filter(|n| ["created", "saved", "noted", "logged", "revoked", "note-saved", "note-deleted"].contains(n))
        .unwrap_or("");
    customer_page(&s, &signed, &id, StatusCode::OK, None, notice, None).await
}

/// CU4: change the customer's fields; only those that differ are sent.
pub async fn update(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, AppError> {
    let before = s
        .customers()
        .get_customer(signed.0.request(pb::CustomerRef { id: id.clone() }))
        .await
        .map_err(upstream)?
        .into_inner();
    let was = Fields::of(&before);
    let changed = |name: &str| Some(form.get(name)).filter(|v| v != was.v(name));
    let addr_changed = FIELDS.iter().filter(|f| f.starts_with("address.")).any(|f| changed(f).is_some());
    let req = pb::UpdateCustomerRequest {
        id: id.clone(),
        name: changed("name"),
        vat_number: changed("vat_number"),
        contact_person: changed("contact_person"),
        email: changed("email"),
        phone: changed("phone"),
        address: addr_changed.then(|| address(&form)),
        status: changed("status"),
        temperature: changed("temperature"),
        discount_percent: changed("discount_percent"),
        currency: changed("currency").map(|c| c.to_uppercase()),
        language: changed("language"),
        ..Default::default()
    };
    let result = form.send(s.customers().update_customer(signed.0.request(req))).await.map(|_| ());
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/customers/{id}?done=saved")).into_response()),
        Err(err) if is_form_error(&err) => {
            let lang = signed.1.lang("");
            let e = Errors::of(&err, lang);
            customer_page(&s, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(("edit", &form, e)), "", None).await
        }
        Err(err) => Err(err),
    }
}

/// CU3: a note, with its priority.
pub async fn add_note(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, AppError> {
    let req = pb::AddNoteRequest { customer_id: id.clone(), priority: form.get("priority"), body: form.get("body") };
    let result = form.send(s.customers().add_note(signed.0.request(req))).await.map(|_| ());
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/customers/{id}?done=noted#notes")).into_response()),
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            customer_page(&s, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(("note", &form, e)), "", None).await
        }
        Err(err) => Err(err),
    }
}

/// CU3: a note changed (its text or priority).
pub async fn update_note(
    State(s): State<AppState>,
    signed: Signed,
    Path((id, note)): Path<(String, String)>,
    form: Form,
) -> Result<Response, AppError> {
    let req = pb::UpdateNoteRequest {
        customer_id: id.clone(),
        note_id: note,
        priority: form.opt("priority"),
        body: Some(form.get("body")),
    };
    match form.send(s.customers().update_note(signed.0.request(req))).await {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{id}?done=note-saved#notes")).into_response()),
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            customer_page(&s, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(("note", &form, e)), "", None).await
        }
        Err(err) => Err(err),
    }
}

/// CU3: a note deleted, after the page asked for a confirmation.
pub async fn delete_note(
    State(s): State<AppState>,
    signed: Signed,
    Path((id, note)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let req = pb::NoteRef { customer_id: id.clone(), note_id: note };
    s.customers().delete_note(signed.0.request(req)).await.map_err(upstream)?;
    Ok(Redirect::to(&format!("/customers/{id}?done=note-deleted#notes")).into_response())
}

/// CU5: a call, email, meeting or message in the customer's log.
pub async fn add_communication(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, AppError> {
    let req = pb::AddCommunicationRequest {
        customer_id: id.clone(),
        kind: form.get("kind"),
        occurred_at: String::new(),
        summary: form.get("summary"),
    };
    let result = form.send(s.customers().add_communication(signed.0.request(req))).await.map(|_| ());
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/customers/{id}?done=logged#log")).into_response()),
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            customer_page(&s, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(("log", &form, e)), "", None).await
        }
        Err(err) => Err(err),
    }
}

/// CU8: a quick-order link for the customer; a new one replaces the old, which stops working.
/// The link is shown once, on the page this answers with.
pub async fn quick_link(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let link = s
        .customers()
        .create_quick_order_link(
            signed.0.request(pb::CreateQuickOrderLinkRequest { id: id.clone(), send_email: false }),
        )
        .await
        .map_err(upstream)?
        .into_inner();
    let url = format!("{}/q/{}", s.redirect.public_url.trim_end_matches('/'), link.token);
    customer_page(&s, &signed, &id, StatusCode::OK, None, "", Some(url)).await
}

/// CU8: the quick-order link stops working.
pub async fn revoke_quick_link(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    s.customers()
        .revoke_quick_order_link(signed.0.request(pb::CustomerRef { id: id.clone() }))
        .await
        .map_err(upstream)?;
    Ok(Redirect::to(&format!("/customers/{id}?done=revoked#quick")).into_response())
}

/// CU4: delete the customer; the page asked for a confirmation first.
pub async fn delete(State(s): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, AppError> {
    s.customers().delete_customer(signed.0.request(pb::CustomerRef { id })).await.map_err(upstream)?;
    Ok(Redirect::to("/customers?done=deleted").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(priority: &str, at: &str) -> pb::Note {
        pb::Note { priority: priority.into(), created_at: at.into(), ..Default::default() }
    }

    #[test]
    fn cu3_notes_show_high_then_medium_then_none_each_newest_first() {
        let mut notes = vec![
            note("none", "2026-06-03"),
            note("high", "2026-06-01"),
            note("medium", "2026-06-02"),
            note("high", "2026-06-04"),
            note("none", "2026-06-05"),
        ];
        sort_notes(&mut notes);
        let order: Vec<_> = notes.iter().map(|n| (n.priority.as_str(), n.created_at.as_str())).collect();
        assert_eq!(
            order,
            [
                ("high", "2026-06-04"),
                ("high", "2026-06-01"),
                ("medium", "2026-06-02"),
                ("none", "2026-06-05"),
                ("none", "2026-06-03")
            ]
        );
    }
}
