//! `Idempotency-Key` on POSTs that create: the first response (status and body) is saved and
//! replayed to a retry with the same key and body; the same key with another body is refused.
//! Saved in the gateway's own database, so replicas agree.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderValue, Method, StatusCode};
use platform::{AppError, Clock};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::BODY_LIMIT;
use crate::problem::{payload_too_large, problem};
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// A saved response is replayed for this long.
pub const RETENTION_HOURS: i64 = 24;

/// Which caller and endpoint a key belongs to: two clients may use the same key. The caller is
/// its verified principal (see `auth::principal_scope`), not its token, so a retry after the
/// token was refreshed is still the same request.
pub fn scope(principal: Option<&str>, method: &Method, path: &str) -> String {
    hex::encode(Sha256::digest(format!("{} {method} {path}", principal.unwrap_or("anonymous")).as_bytes()))
}

/// Hash of the request body. A JSON body is hashed in a canonical form (keys sorted, no
/// whitespace), so a retry that spaces or orders its JSON differently is still the same request.
pub fn request_hash(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => hex::encode(Sha256::digest(canonical(&v).to_string().as_bytes())),
        Err(_) => hex::encode(Sha256::digest(body)),
    }
}

fn canonical(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Marks a response carrying a secret shown once (an API key, an invite, quick-order or payment
/// token): it is never saved, since the table would hold the secret in plain text for a day. A
/// retry with the same key answers 409 `already_created` naming the object created, without it.
#[derive(Debug, Clone)]
pub struct SecretInside {
    /// What the first request created.
    pub id: String,
}

/// `res`, marked as carrying a secret about `id`.
pub fn secret_inside(res: impl IntoResponse, id: impl Into<String>) -> Response {
    let mut res = res.into_response();
    res.extensions_mut().insert(SecretInside { id: id.into() });
    res
}

/// What is saved in place of a response that carried a secret.
fn already_created(id: &str) -> (StatusCode, Vec<u8>) {
    let body = serde_json::json!({
        "type": "https://docs.partnerline.dev/problems/already_created",
        "title": "Conflict",
        "status": 409,
        "detail": format!("a request with this Idempotency-Key already created {id}; its secret was shown only in that response"),
        "code": "already_created",
        "id": id,
    });
    (StatusCode::CONFLICT, serde_json::to_vec(&body).unwrap_or_default())
}

/// Sessions and the test clock are never saved: a stored login response would keep live tokens.
pub fn applies_to(path: &str) -> bool {
    !(path.starts_with("/api/v1/auth/") || path == "/api/v1/me/password" || path.starts_with("/api/v1/_test/"))
}

/// A request still "in progress" after this long died (client gone, timeout): its key is free again.
pub const ABANDONED_AFTER_SECS: i64 = 120;

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !applies_to(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_string)) else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if valid_key(&k) => k,
        _ => return AppError::invalid("Idempotency-Key", "must be 1–255 visible ASCII characters").into_response(),
    };
    match run(&s, key, req, next).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn run(s: &AppState, key: String, mut req: Request, next: Next) -> Result<Response, AppError> {
    let principal = match crate::auth::principal_scope(req.headers(), &s.verifier) {
        Some((p, verified)) => {
            if let Some(v) = verified {
                req.extensions_mut().insert(v);
            }
            Some(p)
        }
        // A bearer that does not verify is answered 401 by the route; nothing to save.
        None if crate::auth::bearer(req.headers()).is_some() => return Ok(next.run(req).await),
        None => None,
    };
    let scope = scope(principal.as_deref(), req.method(), req.uri().path());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else { return Ok(payload_too_large()) };
    let hash = request_hash(&bytes);
    let now = s.clock.now();

    if !claim(&s.db, &scope, &key, &hash, now).await? {
        let saved: Option<(String, Option<i32>, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT request_hash, status, body FROM idempotency WHERE scope = $1 AND key = $2")
                .bind(&scope)
                .bind(&key)
                .fetch_optional(&s.db)
                .await?;
        // Gone between our claim and this read: another request just finished with it; retry.
        let Some((saved_hash, status, body)) = saved else {
            return Ok(problem(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "Conflict",
                "a request with this key is still in progress; retry shortly",
            ));
        };
        if saved_hash != hash {
            return Err(AppError::invalid("Idempotency-Key", "this key was used with a different request")
                .with_code("idempotency_key_reused"));
        }
        let Some(status) = status else {
            return Ok(problem(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "Conflict",
                "a request with this key is still in progress; retry shortly",
            ));
        };
        let status =
            StatusCode::from_u16(u16::try_from(status).unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, body.unwrap_or_default()).into_response();
        let ct = if status.is_success() { "application/json" } else { "application/problem+json" };
        res.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        return Ok(res);
    }

    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = res.into_parts();
    let bytes =
        to_bytes(body, usize::MAX).await.map_err(|e| AppError::internal(anyhow::anyhow!("response body: {e}")))?;
    if parts.status.is_server_error() || parts.status == StatusCode::TOO_MANY_REQUESTS {
        // Not an answer worth replaying: let the client retry for real.
        sqlx::query("DELETE FROM idempotency WHERE scope = $1 AND key = $2")
            .bind(&scope)
            .bind(&key)
            .execute(&s.db)
            .await?;
    } else {
        let (status, saved) = match parts.extensions.get::<SecretInside>() {
            Some(secret) => already_created(&secret.id),
            None => (parts.status, bytes.to_vec()),
        };
        sqlx::query("UPDATE idempotency SET status = $3, body = $4 WHERE scope = $1 AND key = $2")
            .bind(&scope)
            .bind(&key)
            .bind(i32::from(status.as_u16()))
            .bind(saved)
            .execute(&s.db)
            .await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Takes the key for this request: a new row, one older than the retention period, or one left
/// "in progress" by a request that died. False when a live row exists.
async fn claim(db: &PgPool, scope: &str, key: &str, hash: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    let expired = now - chrono::Duration::hours(RETENTION_HOURS);
    let taken = sqlx::query(
        "INSERT INTO idempotency (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = NULL, body = NULL, created_at = EXCLUDED.created_at
         WHERE idempotency.created_at < $5 OR (idempotency.status IS NULL AND idempotency.created_at < $6)",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(now)
    .bind(expired)
    .bind(now - chrono::Duration::seconds(ABANDONED_AFTER_SECS))
    .execute(db)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Deletes expired keys, and past minutes' rate-limit counts, every hour until shutdown.
pub async fn sweep(db: PgPool, clock: Clock, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
        let cutoff = clock.now() - chrono::Duration::hours(RETENTION_HOURS);
        if let Err(e) = sqlx::query("DELETE FROM idempotency WHERE created_at < $1").bind(cutoff).execute(&db).await {
            tracing::warn!(error = %e, "idempotency sweep failed");
        }
        if let Err(e) = crate::limits::forget_before(&db, clock.now() - chrono::Duration::minutes(5)).await {
            tracing::warn!(error = %e, "rate limit sweep failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_separate_callers_and_endpoints_and_hashes_bodies() {
        let a = scope(Some("Bearer a"), &Method::POST, "/api/v1/partners");
        assert_ne!(a, scope(Some("Bearer b"), &Method::POST, "/api/v1/partners"));
        assert_ne!(a, scope(Some("Bearer a"), &Method::POST, "/api/v1/api-keys"));
        assert_eq!(a, scope(Some("Bearer a"), &Method::POST, "/api/v1/partners"));
        assert_eq!(request_hash(b"{}"), request_hash(b"{}"));
        assert_eq!(
            request_hash(br#"{"a":1,"b":[{"y":2,"x":1}]}"#),
            request_hash(br#"{ "b": [ {"x":1, "y":2} ], "a": 1 }"#)
        );
        assert_ne!(request_hash(br#"{"a":1}"#), request_hash(br#"{"a":2}"#));
        assert_ne!(request_hash(b"not json"), request_hash(b"not  json"));
    }

    #[test]
    fn sessions_are_never_saved() {
        assert!(!applies_to("/api/v1/auth/login"));
        assert!(!applies_to("/api/v1/auth/refresh"));
        assert!(!applies_to("/api/v1/me/password"));
        assert!(!applies_to("/api/v1/_test/clock"));
        assert!(applies_to("/api/v1/partners"));
        assert!(applies_to("/api/v1/programs/demo/applications"));
    }

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("create-flo-1"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"x".repeat(256)));
    }
}
