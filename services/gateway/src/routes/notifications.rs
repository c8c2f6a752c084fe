//! A person's notifications (N1): newest first, unread on asking, marked read one by one or all
//! at once; the merchant's announcements (N2); the threads of partners with the merchant (N3).
//! API keys have none (403).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::notifications::v1 as pb;
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
pub struct NotificationQuery {
    /// Only the unread ones (default false).
    pub unread: Option<bool>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first: what happened, about which object, its link in
/// the portal and an English text (N1).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(NotificationQuery),
    responses((status = 200, body = pb::NotificationPage), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<pb::NotificationPage>, AppError> {
    let req =
        pb::ListNotificationsRequest { unread: q.unread.unwrap_or(false), limit: limit(q.limit), cursor: q.cursor };
    let page = s.notifications().list_notifications(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = pb::UnreadCount), (status = 403, body = ProblemDoc)))]
pub async fn unread_count(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::UnreadCount>, AppError> {
    let n = s.notifications().unread_count(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(n))
}

/// Marks one notification read (already read: it stays as it was).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = pb::Notification), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn mark_read(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Notification>, AppError> {
    let req = pb::NotificationRef { id };
    let n = s.notifications().mark_read(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(n))
}

/// Marks every unread notification of the caller read, and says how many there were.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = pb::Marked), (status = 403, body = ProblemDoc)))]
pub async fn mark_all_read(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::Marked>, AppError> {
    let n = s.notifications().mark_all_read(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(n))
}

/// The merchant writes an announcement (Markdown) to all its partners or one trust level; each
/// is told once (N2).
#[utoipa::path(post, path = "/api/v1/announcements", tag = "notifications", security(("bearer" = [])),
    request_body = pb::CreateAnnouncementRequest,
    responses((status = 201, body = pb::Announcement), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_announcement(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::CreateAnnouncementRequest>,
) -> Result<(StatusCode, Json<pb::Announcement>), AppError> {
    let a = s.notifications().create_announcement(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A partner's announcements; the merchant's, all of them. Newest first.
#[utoipa::path(get, path = "/api/v1/announcements", tag = "notifications", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = pb::AnnouncementPage), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn list_announcements(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<pb::AnnouncementPage>, AppError> {
    let req = pb::ListAnnouncementsRequest { limit: limit(q.limit), cursor: q.cursor };
    let page = s.notifications().list_announcements(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// A message in a partner's thread with the merchant: a partner writes in its own, the merchant
/// names the partner (N3). The other side is told.
#[utoipa::path(post, path = "/api/v1/messages", tag = "notifications", security(("bearer" = [])),
    request_body = pb::SendMessageRequest,
    responses((status = 201, body = pb::ChatMessage), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn send_message(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::SendMessageRequest>,
) -> Result<(StatusCode, Json<pb::ChatMessage>), AppError> {
    let m = s.notifications().send_message(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(m)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ThreadQuery {
    /// The merchant names the partner whose thread it reads; a partner reads its own.
    pub partner_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A thread's messages, newest first.
#[utoipa::path(get, path = "/api/v1/messages", tag = "notifications", security(("bearer" = [])), params(ThreadQuery),
    responses((status = 200, body = pb::MessagePage), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn list_messages(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ThreadQuery>,
) -> Result<Json<pb::MessagePage>, AppError> {
    let req = pb::ListMessagesRequest { partner_id: q.partner_id, limit: limit(q.limit), cursor: q.cursor };
    let page = s.notifications().list_messages(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// The caller has read the thread (the merchant names the partner).
#[utoipa::path(post, path = "/api/v1/messages/read", tag = "notifications", security(("bearer" = [])),
    request_body = pb::ThreadRef,
    responses((status = 200, body = pb::Thread), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn mark_thread_read(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::ThreadRef>,
) -> Result<Json<pb::Thread>, AppError> {
    let t = s.notifications().mark_thread_read(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(t))
}

/// The merchant's threads with its partners, unread first; a partner's own thread.
#[utoipa::path(get, path = "/api/v1/message-threads", tag = "notifications", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = pb::ThreadPage), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn list_threads(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<pb::ThreadPage>, AppError> {
    let req = pb::ListThreadsRequest { limit: limit(q.limit), cursor: q.cursor };
    let page = s.notifications().list_threads(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(page))
}

/// What the caller wants to be told, topic by topic, in the app and by email (A1); the payment
/// link a customer needs is no one's to turn off.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = pb::Preferences), (status = 403, body = ProblemDoc)))]
pub async fn get_preferences(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::Preferences>, AppError> {
    let p = s.notifications().get_preferences(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(p))
}

/// Sets the topics named (the others stay as they are).
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    request_body = pb::Preferences,
    responses((status = 200, body = pb::Preferences), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_preferences(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<pb::Preferences>,
) -> Result<Json<pb::Preferences>, AppError> {
    let p = s.notifications().update_preferences(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(p))
}
