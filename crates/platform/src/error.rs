//! One error shape for every service: a kind (what HTTP/gRPC status it becomes), a stable
//! machine `code`, a human message and, for validation, the fields at fault.
//!
//! Services map their own error enums into [`AppError`]; it becomes a `tonic::Status` (with the
//! code and fields as JSON in the status details) and, in the gateway, an RFC 9457
//! `application/problem+json` body. Internal errors are logged with their cause chain and never
//! shown to the client.

use std::borrow::Cow;

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request itself is malformed (bad JSON, wrong content type): HTTP 400.
    BadRequest,
    /// Well-formed but invalid values: HTTP 422.
    Invalid,
    Unauthenticated,
    Forbidden,
    NotFound,
    /// Duplicate or state conflict (illegal transition, already exists): HTTP 409.
    Conflict,
    TooManyRequests,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            ErrorKind::BadRequest => S::BAD_REQUEST,
            ErrorKind::Invalid => S::UNPROCESSABLE_ENTITY,
            ErrorKind::Unauthenticated => S::UNAUTHORIZED,
            ErrorKind::Forbidden => S::FORBIDDEN,
            ErrorKind::NotFound => S::NOT_FOUND,
            ErrorKind::Conflict => S::CONFLICT,
            ErrorKind::TooManyRequests => S::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => S::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    fn grpc_code(self) -> tonic::Code {
        use tonic::Code as C;
        match self {
            ErrorKind::BadRequest | ErrorKind::Invalid => C::InvalidArgument,
            ErrorKind::Unauthenticated => C::Unauthenticated,
            ErrorKind::Forbidden => C::PermissionDenied,
            ErrorKind::NotFound => C::NotFound,
            ErrorKind::Conflict => C::FailedPrecondition,
            ErrorKind::TooManyRequests => C::ResourceExhausted,
            ErrorKind::Unavailable => C::Unavailable,
            ErrorKind::Internal => C::Internal,
        }
    }

    fn from_grpc_code(code: tonic::Code) -> Self {
        use tonic::Code as C;
        match code {
            C::InvalidArgument | C::OutOfRange => ErrorKind::Invalid,
            C::Unauthenticated => ErrorKind::Unauthenticated,
            C::PermissionDenied => ErrorKind::Forbidden,
            C::NotFound => ErrorKind::NotFound,
            C::AlreadyExists | C::FailedPrecondition | C::Aborted => ErrorKind::Conflict,
            C::ResourceExhausted => ErrorKind::TooManyRequests,
            C::Unavailable | C::DeadlineExceeded | C::Cancelled => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        }
    }
}

/// One field at fault, named as the client sent it (`settings.hold_periods.new_weeks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub code: Cow<'static, str>,
    pub message: String,
    pub errors: Vec<FieldError>,
}

/// What travels in `Status::details`.
#[derive(Serialize, Deserialize)]
struct Details {
    kind: ErrorKind,
    code: String,
    #[serde(default)]
    errors: Vec<FieldError>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        AppError { kind, code: code.into(), message: message.into(), errors: Vec::new() }
    }

    /// A validation error naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        let field = field.into();
        AppError {
            kind: ErrorKind::Invalid,
            code: "invalid_field".into(),
            message: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
        }
    }

    /// A validation error naming several fields at once, so a form can show them all.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let message = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        AppError { kind: ErrorKind::Invalid, code: "invalid_field".into(), message, errors }
    }

    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::BadRequest, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        AppError::new(ErrorKind::NotFound, "not_found", format!("{what} not found"))
    }

    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Conflict, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Unauthenticated, "unauthenticated", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Forbidden, "forbidden", message)
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::TooManyRequests, "too_many_requests", message)
    }

    /// Logs the whole cause chain and returns an error that reveals nothing of it.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        tracing::error!(error = format!("{err:#}"), "internal error");
        AppError::new(ErrorKind::Internal, "internal", "internal error; it has been logged")
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.errors.push(FieldError { field: field.into(), message: self.message.clone() });
        self
    }

    /// Replaces the machine code (keeping kind, message and fields).
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.code = code.into();
        self
    }

    pub fn into_status(self) -> tonic::Status {
        let details = Details { kind: self.kind, code: self.code.into_owned(), errors: self.errors };
        let bytes = serde_json::to_vec(&details).unwrap_or_default();
        tonic::Status::with_details(self.kind.grpc_code(), self.message, bytes.into())
    }

    /// Recovers the error a service sent; a status from elsewhere keeps its gRPC meaning.
    pub fn from_status(status: &tonic::Status) -> Self {
        match serde_json::from_slice::<Details>(status.details()) {
            Ok(d) => {
                AppError { kind: d.kind, code: d.code.into(), message: status.message().to_string(), errors: d.errors }
            }
            Err(_) => {
                let kind = ErrorKind::from_grpc_code(status.code());
                let message = match kind {
                    ErrorKind::Internal => "internal error".to_string(),
                    ErrorKind::Unavailable => "a service is unavailable; try again".to_string(),
                    _ => status.message().to_string(),
                };
                if kind == ErrorKind::Internal {
                    tracing::error!(code = ?status.code(), message = status.message(), "upstream error");
                }
                AppError::new(kind, format!("{:?}", status.code()).to_lowercase(), message)
            }
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            r#type: format!("https://docs.partnerline.dev/problems/{}", self.code),
            title: title(self.kind).to_string(),
            status: self.kind.http_status().as_u16(),
            detail: self.message.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
        }
    }
}

fn title(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadRequest => "Bad request",
        ErrorKind::Invalid => "Invalid input",
        ErrorKind::Unauthenticated => "Not signed in",
        ErrorKind::Forbidden => "Not allowed",
        ErrorKind::NotFound => "Not found",
        ErrorKind::Conflict => "Conflict",
        ErrorKind::TooManyRequests => "Too many requests",
        ErrorKind::Unavailable => "Service unavailable",
        ErrorKind::Internal => "Internal error",
    }
}

impl From<AppError> for tonic::Status {
    fn from(e: AppError) -> Self {
        e.into_status()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(e)
    }
}

/// RFC 9457 problem details, with a stable `code` and the fields at fault.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.kind.http_status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/problem+json"));
        res
    }
}

/// Whether a database error is the violation of the named unique/foreign-key constraint.
pub fn is_constraint(err: &sqlx::Error, name: &str) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.constraint() == Some(name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn field_errors_survive_the_grpc_round_trip() {
        let e = AppError::invalid("settings.return_window_days", "must be between 0 and 365");
        let back = AppError::from_status(&e.clone().into_status());
        assert_eq!(back, e);
        assert_eq!(back.kind.http_status(), http::StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn a_foreign_status_keeps_its_meaning_but_not_internal_details() {
        let s = tonic::Status::internal("connection to 10.0.0.3 refused");
        let e = AppError::from_status(&s);
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(!e.message.contains("10.0.0.3"));
        let nf = AppError::from_status(&tonic::Status::not_found("x"));
        assert_eq!(nf.kind.http_status(), http::StatusCode::NOT_FOUND);
    }

    #[test]
    fn problem_body_is_rfc9457_shaped() {
        let p = AppError::invalid("email", "is not an email address").problem();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["status"], 422);
        assert_eq!(v["code"], "invalid_field");
        assert_eq!(v["errors"][0]["field"], "email");
        assert!(v["type"].as_str().unwrap().starts_with("https://"));
        assert!(v["title"].is_string() && v["detail"].is_string());
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = AppError::internal(anyhow::anyhow!("password=hunter2 in connection string"));
        assert!(!e.message.contains("hunter2"));
        assert_eq!(e.into_response().status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
