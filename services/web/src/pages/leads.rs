//! `/leads` (LE1-LE5): the partner's leads in a table sortable by any column, filtered by status
//! and searched; the submit form; each lead's page with its timeline and the sales rep to talk
//! to; and the referrals won (LE5).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::StatusCode;
use partnerline_proto::customers::v1 as pb;
use platform::AppError;

use super::{Errors, Form, Frame, is_form_error, render};
use crate::session::Signed;

const PAGE: u32 = 25;

pub const STATUSES: [&str; 4] = ["submitted", "in_progress", "won", "not_eligible"];
/// The columns the table sorts by, with their heading's message.
pub const COLUMNS: [(&str, &str); 6] = [
    ("contact_name", "lead-contact"),
    ("company", "lead-company"),
    ("email", "field-email"),
    ("product_line", "lead-product-line"),
    ("status", "field-status"),
    ("created_at", "lead-submitted-at"),
];

#[derive(Default)]
pub struct Filters {
    pub q: String,
    pub status: String,
    pub sort: String,
    pub descending: bool,
}

impl Filters {
    pub fn status_is(&self, v: &str) -> bool {
        self.status == v
    }

    fn of(q: &HashMap<String, String>) -> Filters {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        let sort = get("sort");
        let (descending, column) = match sort.strip_prefix('-') {
            Some(c) => (true, c.to_string()),
            None => (sort.is_empty(), sort.clone()),
        };
        let column = if COLUMNS.iter().any(|(c, _)| *c == column) { column } else { "created_at".to_string() };
        Filters {
            q: get("q").chars().take(200).collect(),
            status: Some(get("status")).filter(|s| STATUSES.contains(&s.as_str())).unwrap_or_default(),
            sort: column,
            descending,
        }
    }

    fn link(&self, sort: &str, after: Option<&str>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("q", &self.q), ("status", &self.status)] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("sort", sort);
        if let Some(a) = after {
            s.append_pair("after", a);
        }
        format!("/leads?{}", s.finish())
    }

    /// The address that sorts by `column`: ascending first, descending when already ascending.
    pub fn sort_link(&self, column: &str) -> String {
        let flip = self.sort == column && !self.descending;
        self.link(&if flip { format!("-{column}") } else { column.to_string() }, None)
    }

    /// The next page, in the same order.
    fn next_page(&self, after: &str) -> String {
        let sort = if self.descending { format!("-{}", self.sort) } else { self.sort.clone() };
        self.link(&sort, Some(after))
    }

    /// `aria-sort` of a column's heading.
    pub fn aria_sort(&self, column: &str) -> &'static str {
        match (self.sort == column, self.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }
}

#[derive(Template)]
#[template(path = "leads.html")]
struct ListPage {
    c: Frame,
    title: String,
    f: Filters,
    items: Vec<pb::Lead>,
    more: Option<String>,
    referrals: Vec<pb::Referral>,
    fv: HashMap<String, String>,
    errors: Errors,
    open: bool,
}

impl ListPage {
    pub fn v(&self, name: &str) -> &str {
        self.fv.get(name).map_or("", String::as_str)
    }
}

async fn list_page(
    s: &AppState,
    signed: &Signed,
    path: &str,
    q: &HashMap<String, String>,
    form: Option<&Form>,
    errors: Errors,
) -> Result<Response, AppError> {
    let (c, _) = Frame::load(s, signed, "leads", path).await?;
    let f = Filters::of(q);
    let req = pb::ListLeadsRequest {
        status: Some(f.status.clone()).filter(|v| !v.is_empty()),
        q: Some(f.q.clone()).filter(|v| !v.is_empty()),
        sort: f.sort.clone(),
        descending: f.descending,
        limit: PAGE,
        cursor: q.get("after").cloned().filter(|v| !v.is_empty()),
    };
    let (mut a, mut b) = (s.customers(), s.customers());
    let (page, referrals) = tokio::try_join!(
        a.list_leads(signed.0.request(req)),
        b.list_referrals(signed.0.request(pb::ListReferralsRequest { limit: 50, cursor: None })),
    )
    .map_err(upstream)?;
    let page = page.into_inner();
    let more = page.next_cursor.map(|cur| f.next_page(&cur));
    let fv = ["product_line", "contact_name", "email", "company", "website_url", "notes"]
        .into_iter()
        .map(|k| (k.to_string(), form.map(|f| f.get(k)).unwrap_or_default()))
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = c.t("leads-title");
    let open = errors.any();
    let page =
        ListPage { c, title, f, items: page.items, more, referrals: referrals.into_inner().items, fv, errors, open };
    Ok(render(status, &page))
}

pub async fn list(
    State(s): State<AppState>,
    signed: Signed,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let path = uri.path_and_query().map_or("/leads", |p| p.as_str()).to_string();
    list_page(&s, &signed, &path, &q, None, Errors::default()).await
}

/// LE1: submit a lead.
pub async fn submit(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let req = pb::SubmitLeadRequest {
        product_line: form.get("product_line"),
        contact_name: form.get("contact_name"),
        email: form.get("email"),
        company: form.get("company"),
        website_url: form.get("website_url"),
        notes: form.get("notes"),
        wants_sales_support: form.checked("wants_sales_support"),
    };
    let result = form.send(s.customers().submit_lead(signed.0.request(req))).await;
    match result {
        Ok(lead) => Ok(Redirect::to(&format!("/leads/{}", lead.id)).into_response()),
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            list_page(&s, &signed, "/leads", &HashMap::new(), Some(&form), e).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    c: Frame,
    title: String,
    l: pb::Lead,
}

/// LE2: the lead, its timeline and its sales rep.
pub async fn show(State(s): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, AppError> {
    let (c, _) = Frame::load(&s, &signed, "leads", &format!("/leads/{id}")).await?;
    let l = s.customers().get_lead(signed.0.request(pb::LeadRef { id })).await.map_err(upstream)?.into_inner();
    let title = if l.company.is_empty() { l.contact_name.clone() } else { l.company.clone() };
    Ok(render(StatusCode::OK, &LeadPage { c, title, l }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le3_a_column_sorts_ascending_then_descending_and_keeps_the_filters() {
        let q = HashMap::from([("q".to_string(), "acme".to_string()), ("sort".to_string(), "company".to_string())]);
        let f = Filters::of(&q);
        assert_eq!((f.sort.as_str(), f.descending), ("company", false));
        assert_eq!(f.sort_link("company"), "/leads?q=acme&sort=-company");
        assert_eq!(f.sort_link("email"), "/leads?q=acme&sort=email");
        assert_eq!(f.aria_sort("company"), "ascending");
        let newest = Filters::of(&HashMap::new());
        assert_eq!((newest.sort.as_str(), newest.descending), ("created_at", true), "newest first by default");
        let bad = Filters::of(&HashMap::from([("sort".to_string(), "password".to_string())]));
        assert_eq!(bad.sort, "created_at", "an unknown column is not sent on");
    }
}
