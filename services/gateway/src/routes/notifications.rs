//! A person's notifications (N1): newest first, unread on asking, marked read one by one or all
//! at once. API keys have none (403).

use axum::Json;
use axum::extract::State;
use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::IntoParams;

use super::limit;
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiQuery, ResourceId, upstream};
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
