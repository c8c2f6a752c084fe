//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// An RFC 9457 problem, as every error of this API is answered.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only: the body is platform::error::Problem
pub struct ProblemDoc {
    /// A URL naming the kind of problem.
    r#type: String,
    title: String,
    status: u16,
    /// What went wrong, for people.
    detail: String,
    /// A stable machine code, e.g. `invalid_field`, `not_found`, `rate_capped`.
    code: String,
    /// The fields at fault.
    errors: Option<Vec<FieldErrorDoc>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    /// The field as the client sent it, e.g. `settings.hold_periods.new_weeks`.
    field: String,
    message: String,
}

/// Issue 17: every error is documented as what it is served as, `application/problem+json`, and
/// the statuses every operation of its kind can answer are documented on each: 401 and 403 where
/// a token is needed, 400 (malformed JSON), 413 and 422 where a body is read. Run over the whole
/// document once the routes have added their operations.
pub fn problems(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, RefOr, ResponseBuilder, schema::Ref};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", Content::new(Some(Ref::from_schema_name("ProblemDoc"))))
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ];
        for (method, op) in ops.into_iter().filter_map(|(m, op)| Some((m, op.as_mut()?))) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let body = op.request_body.is_some();
            let responses = &mut op.responses.responses;
            for (status, response) in responses.iter_mut() {
                if let (true, RefOr::T(r)) = (status.starts_with('4') || status.starts_with('5'), response)
                    && let Some(content) = r.content.shift_remove("application/json")
                {
                    r.content.insert("application/problem+json".into(), content);
                }
            }
            if secured {
                responses.entry("401".into()).or_insert_with(|| problem("No valid access token or API key"));
                responses.entry("403".into()).or_insert_with(|| problem("The caller may not do this (role or scope)"));
            }
            if body {
                responses.entry("400".into()).or_insert_with(|| problem("The body is not JSON"));
                responses.entry("413".into()).or_insert_with(|| problem("The body is too large"));
                responses.entry("422".into()).or_insert_with(|| problem("A field is invalid; `errors` names each"));
            }
            if crate::limits::is_limited(method, path) {
                let limited =
                    problem("Too many requests from this client or for this program; `Retry-After` says when to retry");
                responses.entry("429".into()).or_insert(limited);
            }
            for p in op.parameters.iter_mut().flatten() {
                if let Some(schema) = p.schema.as_mut() {
                    bound_strings(schema, crate::problem::MAX_QUERY);
                }
            }
            for content in op.request_body.iter_mut().flat_map(|b| b.content.values_mut()) {
                if let Some(schema) = content.schema.as_mut() {
                    bound_strings(schema, crate::problem::MAX_TEXT);
                }
            }
        }
    }
    if let Some(components) = doc.components.as_mut() {
        for schema in components.schemas.values_mut() {
            bound_strings(schema, crate::problem::MAX_TEXT);
        }
    }
}

/// Issue 17: every string a client may send has the maximum length the gateway enforces
/// (`problem::MAX_TEXT` in bodies, `MAX_QUERY` in queries; a `csv` table the body's limit), unless
/// its schema declares a tighter one.
fn bound_strings(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::Schema>, max: usize) {
    use utoipa::openapi::schema::{ArrayItems, SchemaType, Type};
    use utoipa::openapi::{RefOr, Schema};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            let string = match &o.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(ts) => ts.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if string && o.max_length.is_none() {
                o.max_length = Some(max);
            }
            for (name, property) in o.properties.iter_mut() {
                bound_strings(property, if name == "csv" { crate::BODY_LIMIT } else { max });
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                bound_strings(items, max);
            }
        }
        Schema::OneOf(o) => o.items.iter_mut().for_each(|s| bound_strings(s, max)),
        Schema::AllOf(o) => o.items.iter_mut().for_each(|s| bound_strings(s, max)),
        Schema::AnyOf(o) => o.items.iter_mut().for_each(|s| bound_strings(s, max)),
        _ => {}
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.bearer_format = Some("JWT access token, or an API key (plk_...)".into());
            components.add_security_scheme("bearer", SecurityScheme::Http(http));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Partnerline API", version = "1", description = "Partner programs, attribution and commissions. Errors are application/problem+json (RFC 9457). POSTs that create accept an Idempotency-Key header."),
    modifiers(&BearerAuth),
    components(schemas(ProblemDoc, FieldErrorDoc)),
    tags(
        (name = "auth", description = "Sign-in and the caller's account (A1)"),
        (name = "program", description = "Programs and their settings"),
        (name = "partners", description = "Partners and teams (P4, P5)"),
        (name = "applications", description = "Joining a program (P1-P3)"),
        (name = "api-keys", description = "Integrator keys (A3)"),
        (name = "customers", description = "Customers and CRM (CU1-CU8)"),
        (name = "leads", description = "Leads and referrals (LE1-LE6)"),
        (name = "notifications", description = "A person's notifications (N1), announcements (N2) and messages (N3)"),
        (name = "webhooks", description = "Webhook endpoints signed per Standard Webhooks, with their delivery log (I2)"),
        (name = "events", description = "The program's events for integrators: Server-Sent Events and pages (I1)"),
        (name = "reports", description = "Dashboards and reports, JSON or CSV (D1-D3)"),
        (name = "testing", description = "Only with --clock manual"),
    )
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    fn document(manual_clock: bool) -> utoipa::openapi::OpenApi {
        let (_, mut doc) = crate::api_router(manual_clock).split_for_parts();
        super::problems(&mut doc);
        doc
    }

    /// Issue 17: a generated client must see every error as the problem+json it is served as,
    /// and the statuses any operation of its kind answers.
    #[test]
    fn s17_every_error_is_documented_as_problem_json() {
        let v = serde_json::to_value(document(false)).unwrap();
        let mut errors = 0;
        for (path, ops) in v["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                for (status, r) in responses.iter().filter(|(s, _)| s.starts_with('4') || s.starts_with('5')) {
                    errors += 1;
                    let content = r["content"].as_object().unwrap();
                    assert!(
                        content.contains_key("application/problem+json") && !content.contains_key("application/json"),
                        "{method} {path} {status}: {r}"
                    );
                }
                if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                    assert!(responses.contains_key("401"), "{method} {path}: 401");
                }
                if op.get("requestBody").is_some() {
                    for status in ["400", "422"] {
                        assert!(responses.contains_key(status), "{method} {path}: {status}");
                    }
                }
            }
        }
        assert!(errors > 200, "{errors} error responses");
    }

    /// Issue 17: the bounds the gateway enforces are in the document, and every rate-limited
    /// operation says it answers 429.
    #[test]
    fn s17_11_strings_are_bounded_and_limited_operations_document_429() {
        let v = serde_json::to_value(document(false)).unwrap();
        let schemas = &v["components"]["schemas"];
        assert_eq!(schemas["TopUpRequest"]["properties"]["reference"]["maxLength"], 10_000);
        assert_eq!(schemas["PutExchangeRatesRequest"]["properties"]["csv"]["maxLength"], crate::BODY_LIMIT);
        let q = v["paths"]["/api/v1/customers"]["get"]["parameters"].as_array().unwrap();
        let q = q.iter().find(|p| p["name"] == "q").unwrap();
        assert_eq!(q["schema"]["maxLength"], 1_000, "{q}");
        for (path, method) in [
            ("/api/v1/programs/{slug}/customers", "post"),
            ("/api/v1/programs/{slug}/applications", "post"),
            ("/api/v1/programs/{slug}/join", "get"),
            ("/api/v1/quick-order/{token}/orders", "post"),
        ] {
            assert!(v["paths"][path][method]["responses"]["429"].is_object(), "{method} {path}: 429");
        }
        assert!(v["paths"]["/api/v1/customers"]["post"]["responses"]["429"].is_null(), "only the limited ones");
    }

    #[test]
    fn the_document_is_openapi_3_1_and_lists_the_api() {
        let doc = document(false);
        let v = serde_json::to_value(&doc).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
        for p in [
            "/api/v1/auth/login",
            "/api/v1/partners/{id}",
            "/api/v1/programs/{slug}/applications",
            "/api/v1/api-keys/{id}",
        ] {
            assert!(v["paths"][p].is_object(), "{p}");
        }
        assert!(v["paths"]["/api/v1/_test/clock"].is_null(), "the test clock is not part of the normal API");
        assert!(v["components"]["securitySchemes"]["bearer"].is_object());
    }

    /// The services' messages are the schemas, described by their proto comments; the two
    /// `Notice` messages keep a schema each instead of one silently replacing the other.
    #[test]
    fn the_bodies_are_the_services_messages_with_their_comments() {
        let doc = document(false);
        let v = serde_json::to_value(&doc).unwrap();
        let schemas = &v["components"]["schemas"];
        let body = &v["paths"]["/api/v1/partners"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["$ref"], "#/components/schemas/CreatePartnerRequest");
        let password = schemas["CreatePartnerRequest"]["properties"]["password"]["description"].as_str().unwrap();
        assert!(password.contains("8-200"), "{password}");
        for name in ["Customer", "Lead", "ProgramSettings", "Program", "Partner", "Notice", "ProgramNotice"] {
            assert!(schemas[name].is_object(), "schema {name}");
        }
        let program = &schemas["Program"]["properties"]["notices"]["items"]["$ref"];
        assert_eq!(program, "#/components/schemas/ProgramNotice");
        let rule = &schemas["RuleResult"]["properties"]["notices"]["items"]["$ref"];
        assert_eq!(rule, "#/components/schemas/Notice");
    }

    /// What a generated client sees: a parameter `in: path` is a `{placeholder}` of its path,
    /// and every placeholder is one; list filters and cursors are query parameters (s17).
    #[test]
    fn s17_every_parameter_is_where_the_path_says() {
        let doc = document(true);
        let v = serde_json::to_value(&doc).unwrap();
        let mut queries = 0;
        for (path, ops) in v["paths"].as_object().unwrap() {
            let placeholders: std::collections::BTreeSet<&str> =
                path.split('{').skip(1).filter_map(|rest| rest.split('}').next()).collect();
            for (method, op) in ops.as_object().unwrap() {
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let in_path: std::collections::BTreeSet<&str> =
                    params.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
                assert_eq!(in_path, placeholders, "{method} {path}: path parameters");
                queries += params.iter().filter(|p| p["in"] == "query").count();
                for p in params.iter().filter(|p| p["in"] == "query") {
                    assert_ne!(p["required"], true, "{method} {path}: query parameter {} is optional", p["name"]);
                }
            }
        }
        let customers = &v["paths"]["/api/v1/customers"]["get"]["parameters"];
        for name in ["q", "status", "limit", "cursor"] {
            let p = customers.as_array().unwrap().iter().find(|p| p["name"] == name);
            assert_eq!(p.map(|p| &p["in"]), Some(&serde_json::json!("query")), "GET /customers ?{name}");
        }
        assert!(queries > 60, "list operations' filters are query parameters: {queries}");
    }
}
