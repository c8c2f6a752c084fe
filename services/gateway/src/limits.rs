//! Limits on what anyone can do without signing in: submitting applications, registering as a
//! customer, opening a join page, ordering through a quick-order link, paying a payment link.
//! Each answer counts against the client (its address, see `auth::ClientIp`) and against the
//! program (or the token), per minute of the service's clock, in the gateway's own database, so
//! every replica counts the same hits. Past a limit: 429 with `Retry-After`.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DurationRound, TimeDelta};
use http::HeaderValue;
use platform::AppError;
use serde::Deserialize;

use crate::state::AppState;

/// The `[gateway.limits]` section: hits per minute; 0 is no limit.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Applications to join (each costs a password hash) per client.
    pub applications_per_client: i32,
    /// Applications per program, from every client together.
    pub applications_per_program: i32,
    /// Customer registrations through a program's page per client.
    pub registrations_per_client: i32,
    pub registrations_per_program: i32,
    /// Join pages (`/join/{program}` and its API) per client.
    pub join_pages_per_client: i32,
    /// Orders through one quick-order link, and payments of one link, per client.
    pub token_writes_per_client: i32,
    pub token_writes_per_token: i32,
    /// Clicks on `/r/{code}` counted per client and minute, by each gateway replica; past it the
    /// client is still redirected, its clicks not counted.
    pub clicks_per_client: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            applications_per_client: 10,
            applications_per_program: 300,
            registrations_per_client: 20,
            registrations_per_program: 600,
            join_pages_per_client: 120,
            token_writes_per_client: 20,
            token_writes_per_token: 60,
            clicks_per_client: 60,
        }
    }
}

/// What is being limited.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Application,
    Registration,
    JoinPage,
    TokenWrite,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Application => "application",
            Action::Registration => "registration",
            Action::JoinPage => "join_page",
            Action::TokenWrite => "token_write",
        }
    }

    /// (per client, per program or token); 0 is no limit.
    fn limits(self, l: &Limits) -> (i32, i32) {
        match self {
            Action::Application => (l.applications_per_client, l.applications_per_program),
            Action::Registration => (l.registrations_per_client, l.registrations_per_program),
            Action::JoinPage => (l.join_pages_per_client, 0),
            Action::TokenWrite => (l.token_writes_per_client, l.token_writes_per_token),
        }
    }
}

/// Whether requests of `method` to `route` are limited (the OpenAPI document says 429).
pub fn is_limited(method: &str, route: &str) -> bool {
    let method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
    classify(&method, route, route).is_some()
}

/// What a request is, if it is limited: its action and what it is aimed at (a program's slug,
/// or a token), read from the route it matched.
fn classify(method: &http::Method, route: &str, path: &str) -> Option<(Action, String)> {
    let action = match (method.as_str(), route) {
        ("POST", "/api/v1/programs/{slug}/applications" | "/join/{slug}") => Action::Application,
        ("POST", "/api/v1/programs/{slug}/customers") => Action::Registration,
        ("GET", "/join/{slug}" | "/api/v1/programs/{slug}/join") => Action::JoinPage,
        (
            "POST",
            "/q/{token}/orders"
            | "/q/{token}"
            | "/pay/{token}"
            | "/api/v1/quick-order/{token}/orders"
            | "/api/v1/payments/{token}/pay",
        ) => Action::TokenWrite,
        _ => return None,
    };
    let target = route
        .split('/')
        .zip(path.split('/'))
        .find(|(template, _)| *template == "{slug}" || *template == "{token}")
        .map(|(_, actual)| actual.to_string())?;
    Some((action, target))
}

/// Counts each limited request against its client and its target, and answers 429 with
/// `Retry-After` when either is past its limit this minute.
pub async fn public_writes(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let Some((action, target)) = route.and_then(|r| classify(req.method(), &r, req.uri().path())) else {
        return next.run(req).await;
    };
    let client = crate::auth::ClientIp::of(req.headers(), req.extensions(), &s.redirect.proxies).0;
    match admit(&s, action, &client, &target).await {
        Ok(()) => next.run(req).await,
        Err(res) => res,
    }
}

/// A request refused for its client is not counted against its target: one client flooding
/// uses up its own allowance, not the program's.
async fn admit(s: &AppState, action: Action, client: &str, target: &str) -> Result<(), Response> {
    let (per_client, per_target) = action.limits(&s.redirect.limits);
    let now = s.clock.now();
    let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let client_key = format!("{} client {client}", action.name());
    // Tokens are secrets: only their hash is kept.
    let target_key = format!("{} target {}", action.name(), hex::encode(platform::auth::token_hash(target)));
    for (key, limit) in [(client_key, per_client), (target_key, per_target)] {
        if limit == 0 {
            continue; // no limit: nothing to count
        }
        let hits = count(&s.db, &key, minute).await.map_err(|e| AppError::from(e).into_response())?;
        if hits > limit {
            let wait = (minute + TimeDelta::minutes(1) - now).num_seconds().max(1);
            let mut res =
                AppError::too_many_requests(format!("too many requests; try again in {wait} s")).into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
            return Err(res);
        }
    }
    Ok(())
}

/// One more hit on `key` in the minute starting at `minute`; the hits so far, this one included.
async fn count(db: &sqlx::PgPool, key: &str, minute: chrono::DateTime<chrono::Utc>) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1
         RETURNING hits",
    )
    .bind(key)
    .bind(minute)
    .fetch_one(db)
    .await
}

/// Deletes the counts of past minutes (called by the idempotency sweeper).
pub async fn forget_before(db: &sqlx::PgPool, before: chrono::DateTime<chrono::Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s17_8_public_writes_are_limited_by_their_route_and_target() {
        let post = http::Method::POST;
        let got = classify(&post, "/api/v1/programs/{slug}/applications", "/api/v1/programs/demo/applications");
        assert!(matches!(got, Some((Action::Application, ref t)) if t == "demo"));
        let got = classify(&post, "/q/{token}/orders", "/q/abc/orders");
        assert!(matches!(got, Some((Action::TokenWrite, ref t)) if t == "abc"));
        let got = classify(&http::Method::GET, "/join/{slug}", "/join/demo");
        assert!(matches!(got, Some((Action::JoinPage, ref t)) if t == "demo"));
        assert!(classify(&post, "/api/v1/orders", "/api/v1/orders").is_none(), "signed-in writes are not");
        assert!(classify(&http::Method::GET, "/api/v1/programs/{slug}/applications", "/x").is_none());
    }
}
