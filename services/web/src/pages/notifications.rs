//! `/notifications` (N1): the person's notifications, newest first, each said in the reader's
//! language and the unread ones marked; opening one marks it read and goes to what it is about;
//! all can be marked read at once. The bell in every page's header counts the unread ones.
//! `/announcements` (N2): what the merchant wrote to the partner. `/messages` (N3): the
//! partner's thread with the merchant, read when shown, and its form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::StatusCode;
use partnerline_proto::notifications::v1 as pb;
use platform::AppError;

use super::{Errors, Form, Frame, is_form_error, render};
use crate::session::Signed;

const PAGE: u32 = 25;

/// The address of the next page of `path`, after the cursor a page gave.
fn next_page(path: &str, cursor: &str) -> String {
    format!("{path}?after={}", form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>())
}

pub struct Item {
    pub id: String,
    pub text: String,
    pub when: String,
    pub unread: bool,
}

/// What a notification says, in the reader's language; a kind this build does not know shows
/// the service's English text.
fn say(c: &Frame, n: &pb::Notification) -> String {
    let p = |k: &str| n.params.get(k).map_or("", String::as_str);
    let money = || c.money(p("amount"), p("currency"));
    match n.kind.as_str() {
        "order_attributed" => c.t("notification-order-attributed"),
        "commission_earned" => c.t1("notification-commission-earned", "amount", money()),
        "commission_available" => match p("count").parse::<u64>().unwrap_or(1) {
            n if n > 1 => c.lang.count_with("notification-commissions-available", n, "amount", &money()),
            _ => c.t1("notification-commission-available", "amount", money()),
        },
        "payout_requested" => {
            let who =
                if p("partner_name").is_empty() { c.t("notification-a-partner") } else { p("partner_name").into() };
            c.lang.t2("notification-payout-requested", ("name", &who), ("amount", &money()))
        }
        "payout_paid" => c.t1("notification-payout-paid", "amount", money()),
        "application_submitted" => c.t1("notification-application-submitted", "name", p("name")),
        "application_approved" => c.t("notification-application-approved"),
        "lead_status_changed" => c.t1("notification-lead-status-changed", "status", c.word("lead-status", p("status"))),
        "lead_assigned" => c.t("notification-lead-assigned"),
        "announcement" => c.t1("notification-announcement", "title", p("title")),
        "message" => c.lang.t2("notification-message", ("name", p("name")), ("preview", p("preview"))),
        "webhook_disabled" => c.t1("notification-webhook-disabled", "url", p("url")),
        _ => n.text.clone(),
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    c: Frame,
    title: String,
    tab: &'static str,
    unread_only: bool,
    items: Vec<Item>,
    more: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let unread_only = q.get("unread").is_some_and(|v| v == "1");
    let after = q.get("after").cloned().filter(|v| !v.is_empty());
    let mut path = String::from("/notifications");
    if unread_only {
        path.push_str("?unread=1");
    }
    let (c, _) = Frame::load(&s, &signed, "notifications", &path).await?;
    let req = pb::ListNotificationsRequest { unread: unread_only, limit: PAGE, cursor: after };
    let page = s.notifications().list_notifications(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    let more = page.next_cursor.map(|cur| {
        let mut link = form_urlencoded::Serializer::new(String::new());
        if unread_only {
            link.append_pair("unread", "1");
        }
        link.append_pair("after", &cur);
        format!("/notifications?{}", link.finish())
    });
    let items = page
        .items
        .iter()
        .map(|n| Item { id: n.id.clone(), text: say(&c, n), when: n.created_at.clone(), unread: n.read_at.is_none() })
        .collect();
    let title = c.t("notifications-title");
    let tab = if unread_only { "unread" } else { "all" };
    Ok(render(StatusCode::OK, &ListPage { c, title, tab, unread_only, items, more }))
}

/// Opens a notification: marks it read and goes to what it is about (its list, when that has
/// no page in the portal).
pub async fn open(State(s): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, AppError> {
    let n = s.notifications().mark_read(signed.0.request(pb::NotificationRef { id })).await.map_err(upstream)?;
    let link = n.into_inner().link;
    // Only a path of this site: a link is never a way off it.
    let to = if link.starts_with('/') && !link.starts_with("//") { link } else { "/notifications".to_string() };
    Ok(Redirect::to(&to).into_response())
}

pub async fn read_all(State(s): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    s.notifications().mark_all_read(signed.0.request(pb::Empty {})).await.map_err(upstream)?;
    Ok(Redirect::to("/notifications").into_response())
}

pub struct Shown {
    pub id: String,
    pub title: String,
    pub when: String,
    /// The body's Markdown as HTML: raw HTML in it is text, links only http(s) and mailto.
    pub html: String,
}

#[derive(Template)]
#[template(path = "announcements.html")]
struct AnnouncementsPage {
    c: Frame,
    title: String,
    tab: &'static str,
    items: Vec<Shown>,
    more: Option<String>,
}

pub async fn announcements(
    State(s): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let cursor = q.get("after").cloned().filter(|v| !v.is_empty());
    let req = pb::ListAnnouncementsRequest { limit: 10, cursor };
    // Listed first: it reads their notifications, which the bell of this very page then counts.
    let page = s.notifications().list_announcements(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    let (c, _) = Frame::load(&s, &signed, "notifications", "/announcements").await?;
    let more = page.next_cursor.map(|cur| next_page("/announcements", &cur));
    let items = page
        .items
        .into_iter()
        .map(|a| Shown { html: super::public::markdown(&a.body), id: a.id, title: a.title, when: a.created_at })
        .collect();
    let title = c.t("announcements-title");
    Ok(render(StatusCode::OK, &AnnouncementsPage { c, title, tab: "announcements", items, more }))
}

pub struct Said {
    pub mine: bool,
    pub body: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    c: Frame,
    title: String,
    tab: &'static str,
    /// Oldest first, as a conversation reads.
    items: Vec<Said>,
    older: Option<String>,
    draft: String,
    errors: Errors,
}

async fn messages_page(
    s: &AppState,
    signed: &Signed,
    after: Option<String>,
    draft: String,
    errors: Errors,
) -> Result<Response, AppError> {
    if signed.0.principal.partner.is_none() {
        // The merchant's threads with its partners belong to its console (issue 21).
        return Err(AppError::forbidden("this page is a partner's thread with the merchant"));
    }
    let req = pb::ListMessagesRequest { partner_id: None, limit: 30, cursor: after };
    let page = s.notifications().list_messages(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    if !page.items.is_empty() {
        // Shown is read: the unread count and the thread's notifications clear, before the bell
        // of this very page counts them.
        s.notifications()
            .mark_thread_read(signed.0.request(pb::ThreadRef { partner_id: None }))
            .await
            .map_err(upstream)?;
    }
    let (c, _) = Frame::load(s, signed, "notifications", "/messages").await?;
    let older = page.next_cursor.map(|cur| next_page("/messages", &cur));
    let items = page
        .items
        .into_iter()
        .rev()
        .map(|m| Said { mine: m.from == "partner", body: m.body, when: m.created_at })
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = c.t("messages-title");
    Ok(render(status, &MessagesPage { c, title, tab: "messages", items, older, draft, errors }))
}

pub async fn messages(
    State(s): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let after = q.get("after").cloned().filter(|v| !v.is_empty());
    messages_page(&s, &signed, after, String::new(), Errors::default()).await
}

/// N3: the partner writes to the merchant; what it wrote stays in the box when it is refused.
pub async fn send_message(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let req = pb::SendMessageRequest { partner_id: None, body: form.get("body") };
    match form.send(s.notifications().send_message(signed.0.request(req))).await {
        Ok(_) => Ok(Redirect::to("/messages#message-body").into_response()),
        Err(err) if is_form_error(&err) => {
            let e = Errors::of(&err, signed.1.lang(""));
            messages_page(&s, &signed, None, form.get("body"), e).await
        }
        Err(err) => Err(err),
    }
}
