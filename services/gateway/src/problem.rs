//! Turning what the client sent wrong into RFC 9457 problems: JSON bodies (`ApiJson`), query
//! strings (`ApiQuery`), path ids (`ResourceId`), unknown paths and methods, and errors from the
//! services behind the gateway.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use platform::error::{FieldError, Problem};
use platform::{AppError, ErrorKind};
use serde::de::DeserializeOwned;

/// Any error a service returned, as the problem it describes.
pub fn upstream(status: tonic::Status) -> AppError {
    AppError::from_status(&status)
}

/// A problem whose status has no [`ErrorKind`] (413, 415, 405, 504).
pub fn problem(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Response {
    let p = Problem {
        r#type: format!("https://docs.partnerline.dev/problems/{code}"),
        title: title.to_string(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_string(),
        errors: Vec::new(),
    };
    let body = serde_json::to_vec(&p).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/problem+json"));
    res
}

pub fn payload_too_large() -> Response {
    problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large", "the body may be at most 1 MiB")
}

pub async fn not_found() -> AppError {
    AppError::new(ErrorKind::NotFound, "not_found", "there is nothing at this path")
}

pub async fn method_not_allowed() -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this path does not accept this method",
    )
}

/// A JSON body; any rejection becomes a problem: 400 `malformed_json`, 415
/// `unsupported_media_type`, 422 `invalid_field` naming the field, 413 `payload_too_large`.
///
/// The body must be a JSON object (serde would fill a struct from an array by position), and
/// no string in it may hold a NUL or another control character but tab and line breaks: text is
/// checked once, here, before any service sees it.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let value = match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        if !value.is_object() {
            let error = FieldError { field: "body".into(), message: "must be a JSON object".into() };
            return Err(AppError::invalid_fields(vec![error]).into_response());
        }
        if let Some(error) = bad_text(&value, &mut String::new()) {
            return Err(AppError::invalid_fields(vec![error]).into_response());
        }
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => Err(AppError::invalid_fields(vec![field_error(&e.to_string())]).into_response()),
        }
    }
}

/// Issue 17: the longest string a JSON body may hold, in characters (services check tighter
/// bounds of their own: names, notes...); a table sent as `csv` is bounded by the body's size.
pub const MAX_TEXT: usize = 10_000;
/// The longest value of a query parameter, in characters.
pub const MAX_QUERY: usize = 1_000;

/// Why `text` is refused, if it is longer than `max` characters.
pub fn too_long(text: &str, max: usize) -> Option<String> {
    (text.chars().count() > max).then(|| format!("must be at most {max} characters"))
}

/// Why `text` cannot be stored as it is, if it holds a NUL or a control character (tab and line
/// breaks are allowed where `multiline`).
pub fn control_character(text: &str, multiline: bool) -> Option<&'static str> {
    let allowed = |c: char| multiline && matches!(c, '\t' | '\n' | '\r');
    if text.contains('\0') {
        Some("must not contain a NUL character")
    } else if text.chars().any(|c| c.is_control() && !allowed(c)) {
        Some("must not contain control characters")
    } else {
        None
    }
}

/// The first string (or key) in `value` with a control character, named by its path.
fn bad_text(value: &serde_json::Value, path: &mut String) -> Option<FieldError> {
    let here = |path: &str, message: &str| {
        let field = if path.is_empty() { "body".to_string() } else { path.to_string() };
        FieldError { field, message: message.to_string() }
    };
    match value {
        serde_json::Value::String(text) => {
            if let Some(m) = control_character(text, true) {
                return Some(here(path, m));
            }
            let table = path.rsplit('.').next() == Some("csv");
            too_long(text, if table { usize::MAX } else { MAX_TEXT }).map(|m| here(path, &m))
        }
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = bad_text(item, path);
            path.truncate(len);
            found
        }),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = match control_character(key, false) {
                Some(m) => Some(here(path, m)),
                None => bad_text(item, path),
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

pub fn json_rejection(rejection: JsonRejection) -> Response {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let text = e.body_text();
            AppError::invalid_fields(vec![field_error(after_prefix(&text))]).into_response()
        }
        JsonRejection::JsonSyntaxError(e) => {
            let text = e.body_text();
            let detail = format!("the body is not valid JSON: {}", after_prefix(&text));
            AppError::bad_request("malformed_json", detail).into_response()
        }
        JsonRejection::MissingJsonContentType(_) => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        other => AppError::bad_request("unreadable_body", other.body_text()).into_response(),
    }
}

/// Query parameters; a bad one becomes 422 `invalid_field` naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

pub fn query_rejection(rejection: &QueryRejection) -> AppError {
    AppError::invalid_fields(vec![field_error(after_prefix(&rejection.body_text()))])
}

/// The `{id}` of a path, which must be a UUID. Anything else is simply not found (404), never a
/// 400: a client asking for `/partners/abc` asks for something that does not exist.
pub struct ResourceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Ok(Path(raw)) = Path::<String>::from_request_parts(parts, state).await else {
            return Err(AppError::not_found("resource"));
        };
        match uuid::Uuid::parse_str(&raw) {
            Ok(id) => Ok(ResourceId(id.to_string())),
            Err(_) => Err(AppError::not_found("resource")),
        }
    }
}

/// axum's rejection texts read "<what failed>: <serde error>"; keeps the serde error.
fn after_prefix(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// Names the field of a serde error as serde_path_to_error reports it ("settings.hold_periods:
/// missing field `new_weeks` at line 1 column 40" → `settings.hold_periods.new_weeks`).
pub fn field_error(text: &str) -> FieldError {
    let (path, message) = match text.split_once(": ") {
        Some((head, tail)) if !head.is_empty() && !head.contains([' ', '`']) => (Some(head), tail),
        _ => (None, text),
    };
    let plain = without_rust_types(strip_position(message));
    let message = plain.as_str();
    let named = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next());
    let (child, message) = if let Some(name) = named("missing field `") {
        (Some(name), "is required".to_string())
    } else if let Some(name) = named("unknown field `") {
        (Some(name), "is not a known field".to_string())
    } else if let Some(name) = named("duplicate field `") {
        (Some(name), "is given twice".to_string())
    } else {
        (None, message.to_string())
    };
    let field = match (path, child) {
        // Whether serde_path_to_error already put the key in the path depends on where it failed.
        (Some(p), Some(c)) if p == c || p.ends_with(&format!(".{c}")) => p.to_string(),
        (Some(p), Some(c)) => format!("{p}.{c}"),
        (Some(p), None) => p.to_string(),
        (None, Some(c)) => c.to_string(),
        (None, None) => "body".to_string(),
    };
    FieldError { field, message }
}

/// serde names the Rust type it expected ("expected struct CustomerGroupPatch", "expected
/// u32"); a client knows the API's words, not ours.
fn without_rust_types(message: &str) -> String {
    let Some((head, expected)) = message.split_once("expected ") else { return message.to_string() };
    let word = expected.split([' ', ',']).next().unwrap_or_default();
    let plain = match word {
        "struct" | "map" => "a JSON object",
        "enum" => "one of the documented values",
        "tuple" | "sequence" => "a JSON array",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number that is not negative",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        _ => return message.to_string(),
    };
    format!("{head}expected {plain}")
}

/// Drops serde_json's " at line 1 column 7": the field name says where.
fn strip_position(message: &str) -> &str {
    match message.rsplit_once(" at line ") {
        Some((head, tail))
            if tail.split(" column ").all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            head
        }
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::body::Body;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
        hold: Option<Hold>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Hold {
        new_weeks: u32,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Fixed,
    }

    async fn reject(content_type: Option<&str>, body: &str) -> (StatusCode, serde_json::Value) {
        let mut req = Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let req = req.body(Body::from(body.to_string())).unwrap();
        let res = match ApiJson::<Login>::from_request(req, &()).await {
            Ok(_) => panic!("accepted {body}"),
            Err(res) => res,
        };
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn malformed_json_is_400_naming_the_position() {
        let (status, p) = reject(Some("application/json"), r#"{"email": "a@b.c",}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(p["code"], "malformed_json");
        assert!(p["detail"].as_str().unwrap().contains("line 1 column"), "{p}");
    }

    #[tokio::test]
    async fn missing_or_wrong_content_type_is_415() {
        let body = r#"{"email": "a@b.c", "password": "x"}"#;
        for ct in [None, Some("text/plain")] {
            let (status, p) = reject(ct, body).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(p["code"], "unsupported_media_type");
        }
    }

    #[tokio::test]
    async fn wrong_shape_is_422_naming_the_field() {
        let cases = [
            (r#"{"password": "x"}"#, "email"),
            (r#"{"email": 5, "password": "x"}"#, "email"),
            (r#"{"email": "a", "password": "x", "emial": "typo"}"#, "emial"),
            (r#"{"email": "a", "password": "x", "hold": {}}"#, "hold.new_weeks"),
            (r#"{"email": "a", "password": "x", "hold": {"new_weeks": -1}}"#, "hold.new_weeks"),
            (r#"{"email": "a", "password": "x", "hold": {"new_weeks": 1, "kind": "pct"}}"#, "hold.kind"),
            (r#"[]"#, "body"),
        ];
        for (body, field) in cases {
            let (status, p) = reject(Some("application/json"), body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
            assert_eq!(p["code"], "invalid_field");
            assert_eq!(p["errors"][0]["field"], field, "{body}: {p}");
            assert!(!p["errors"][0]["message"].as_str().unwrap().contains("line 1"), "{p}");
        }
    }

    #[tokio::test]
    async fn s17_3_a_nul_or_control_character_in_any_string_is_422_naming_the_field() {
        let cases = [
            (r#"{"email": "a\u0000b", "password": "x"}"#, "email", "NUL"),
            (r#"{"email": "a", "password": "x", "hold": {"new_weeks": 1, "kind": "\u0000"}}"#, "hold.kind", "NUL"),
            (r#"{"email": "a\u001b[31m", "password": "x"}"#, "email", "control"),
            (r#"{"email": "a", "password": "x", "a\u0000": 1}"#, "a\u{0}", "NUL"),
        ];
        for (body, field, what) in cases {
            let (status, p) = reject(Some("application/json"), body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
            assert_eq!(p["errors"][0]["field"], field, "{body}: {p}");
            assert!(p["errors"][0]["message"].as_str().unwrap().contains(what), "{p}");
        }
        assert_eq!(control_character("line one\nline two\ttabbed", true), None, "multi-line text keeps its breaks");
        assert!(control_character("one\ntwo", false).is_some(), "a single-line value has none");
    }

    #[tokio::test]
    async fn s17_11_every_string_of_a_body_has_a_maximum_length() {
        let long = "x".repeat(super::MAX_TEXT + 1);
        let body = format!(r#"{{"email": "a", "password": "x", "hold": {{"new_weeks": 1, "kind": "{long}"}}}}"#);
        let (status, p) = reject(Some("application/json"), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], "hold.kind", "{p}");
        assert_eq!(p["errors"][0]["message"], "must be at most 10000 characters");
        // The limit counts characters, not bytes; a `csv` table is bounded by the body's size.
        let at_limit = "é".repeat(super::MAX_TEXT);
        let body = format!(r#"{{"email": "{at_limit}", "password": "x", "csv": "{long}"}}"#);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(super::bad_text(&value, &mut String::new()).is_none(), "at the limit, and a table");
    }

    #[tokio::test]
    async fn s17_10_a_body_must_be_an_object_and_errors_name_no_rust_type() {
        for body in [r#"["a@b.c", "x"]"#, r#""text""#, "5", "null"] {
            let (status, p) = reject(Some("application/json"), body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
            assert_eq!(p["errors"][0]["field"], "body", "{body}: {p}");
            assert_eq!(p["errors"][0]["message"], "must be a JSON object", "{body}: {p}");
        }
        let (_, p) = reject(Some("application/json"), r#"{"email": "a", "password": "x", "hold": [1]}"#).await;
        let message = p["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains("Hold") && !message.contains("struct"), "{p}");
        let (_, p) =
            reject(Some("application/json"), r#"{"email": "a", "password": "x", "hold": {"new_weeks": -1}}"#).await;
        assert!(!p["errors"][0]["message"].as_str().unwrap().contains("u32"), "{p}");
    }

    #[test]
    fn field_names_come_from_serde_messages() {
        assert_eq!(field_error("missing field `email` at line 1 column 2").field, "email");
        assert_eq!(field_error("missing field `email` at line 1 column 2").message, "is required");
        assert_eq!(field_error("unknown field `x`, expected `a` or `b` at line 1 column 9").field, "x");
        let e = field_error("settings.return_window_days: invalid type: string \"x\", expected u32 at line 1 column 9");
        assert_eq!(e.field, "settings.return_window_days");
        assert_eq!(e.message, "invalid type: string \"x\", expected a whole number that is not negative");
        assert_eq!(field_error("invalid type: map, expected a string").field, "body");
    }

    #[tokio::test]
    async fn a_bad_query_parameter_is_422_naming_it() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Q {
            limit: Option<u32>,
        }
        let req = Request::builder().uri("/x?limit=ten").body(Body::empty()).unwrap();
        let (mut parts, _) = req.into_parts();
        let Err(e) = ApiQuery::<Q>::from_request_parts(&mut parts, &()).await else { panic!("accepted") };
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.errors[0].field, "limit");
    }
}
