//! I1: the tenant's events for integrators outside the cluster: a Server-Sent Events stream
//! (each event's `id:` is the cursor to resume from with `Last-Event-ID`, its `data:` a
//! CloudEvents JSON envelope) and the same as pages of JSON, for catching up. Merchant admins,
//! or API keys with `events:read`; only the caller's tenant, ever.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::StreamExt;
use http::HeaderMap;
use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiQuery, upstream};
use crate::state::AppState;

/// The stream's path: the gateway's time limit does not apply to it.
pub const STREAM: &str = "/api/v1/events";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Comma-separated types or patterns: `orders.order.placed`, `orders.order.*`, `orders.*`.
    pub types: Option<String>,
    /// Where to start: an event's `id` from the stream (or a page's `next_cursor`); the
    /// `Last-Event-ID` header wins over it. None: from the oldest event kept.
    pub cursor: Option<String>,
    /// Pages only: at most this many events (default 50, at most 200).
    pub limit: Option<u32>,
}

fn request(q: FeedQuery, headers: &HeaderMap) -> pb::FeedRequest {
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    pb::FeedRequest {
        types: q
            .types
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        cursor: last.or(q.cursor),
        limit: q.limit.unwrap_or(0),
    }
}

/// The tenant's events as Server-Sent Events: those after the cursor, then each as it comes.
/// Each `id:` is where to resume (`Last-Event-ID`); each `event:` the CloudEvents type.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])), params(FeedQuery),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`id: <cursor>`, `event: <ce type>`, `data: <CloudEvents JSON>` per event"),
        (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn stream(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>, AppError> {
    let req = request(q, &headers);
    let events = s.feed().follow(caller.request(req)).await.map_err(upstream)?.into_inner();
    let sse = events.map(|e| {
        Ok(match e {
            Ok(e) => {
                let ty = serde_json::from_str::<serde_json::Value>(&e.cloudevent)
                    .ok()
                    .and_then(|v| v["type"].as_str().map(str::to_string))
                    .unwrap_or_default();
                Event::default().id(e.cursor).event(ty).data(e.cloudevent)
            }
            // The stream broke off: the client resumes from its last id.
            Err(status) => Event::default().event("error").data(status.message()),
        })
    });
    Ok(Sse::new(sse).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One page of the tenant's events after the cursor, oldest first; `caught_up` says none was
/// left when it was made.
#[utoipa::path(get, path = "/api/v1/events/page", tag = "events", security(("bearer" = [])), params(FeedQuery),
    responses((status = 200, body = pb::FeedPage), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn page(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Json<pb::FeedPage>, AppError> {
    let req = request(q, &headers);
    Ok(Json(s.feed().page(caller.request(req)).await.map_err(upstream)?.into_inner()))
}
