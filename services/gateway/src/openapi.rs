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
        (name = "testing", description = "Only with --clock manual"),
    )
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn the_document_is_openapi_3_1_and_lists_the_api() {
        let (_, doc) = crate::api_router(false).split_for_parts();
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
        let (_, doc) = crate::api_router(false).split_for_parts();
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
        let (_, doc) = crate::api_router(true).split_for_parts();
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
