//! `POST /api/v1/_test/clock`: moves every service's time. Registered only when the process runs
//! with `--clock manual`; otherwise the path does not exist (404).

use axum::Json;
use axum::extract::State;
use platform::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::openapi::ProblemDoc;
use crate::problem::ApiJson;
use crate::state::AppState;

// Hand-written: the clock is the gateway's own, no service's API.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveClock {
    /// Move the clock forward by this many seconds.
    pub advance_seconds: Option<i64>,
    /// Or set it to this RFC 3339 time.
    pub set: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockNow {
    pub now: String,
}

/// Advance the manual clock by `advance_seconds`, or `set` it to a time (tests only).
#[utoipa::path(post, path = "/api/v1/_test/clock", tag = "testing", request_body = MoveClock,
    responses((status = 200, body = ClockNow), (status = 422, body = ProblemDoc)))]
pub async fn move_clock(State(s): State<AppState>, ApiJson(b): ApiJson<MoveClock>) -> Result<Json<ClockNow>, AppError> {
    match (b.advance_seconds, b.set) {
        (Some(secs), None) => {
            let by = chrono::Duration::try_seconds(secs)
                .ok_or_else(|| AppError::invalid("advance_seconds", "is out of range"))?;
            s.clock.advance(by);
        }
        (None, Some(at)) => {
            let at = chrono::DateTime::parse_from_rfc3339(&at)
                .map_err(|_| AppError::invalid("set", "must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z"))?;
            s.clock.set(at.with_timezone(&chrono::Utc));
        }
        _ => return Err(AppError::invalid("advance_seconds", "give exactly one of advance_seconds or set")),
    }
    Ok(Json(ClockNow { now: s.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true) }))
}
