//! The walking skeleton, end to end: sign in through the gateway, see and change the program,
//! review an application and watch its event reach the stream; errors as problem+json.

use e2e::{Options, TestSystem, assert_problem, json};
use reqwest::Method;

#[tokio::test]
async fn p3_admin_signs_in_changes_a_setting_and_approves_an_application_seen_on_the_stream() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let me = admin.get("/api/v1/me", 200).await;
    assert_eq!(me["email"], "admin@demo.test");
    assert_eq!(me["role"], "merchant_admin");
    assert_eq!(me["program_slug"], "demo");

    let program = admin
        .patch(
            "/api/v1/program",
            &json!({ "settings": { "protection_period_days": 7, "default_commission_rate": "12.5" } }),
            200,
        )
        .await;
    assert_eq!(program["settings"]["protection_period_days"], 7);
    assert_eq!(program["settings"]["default_commission_rate"], "12.5");
    let again = admin.get("/api/v1/program", 200).await;
    assert_eq!(again["settings"]["protection_period_days"], 7, "the change was stored");

    let pending = admin.get("/api/v1/applications?status=pending", 200).await;
    let app = &pending["items"][0];
    assert_eq!(app["email"], "dee@demo.test");
    let approved =
        admin.post(&format!("/api/v1/applications/{}/approve", app["id"].as_str().unwrap()), &json!({}), 200).await;
    assert_eq!(approved["status"], "approved");
    let partner_id = approved["partner_id"].as_str().unwrap().to_string();

    let (subject, headers) = sys.wait_for_event("identity", "partner.approved").await;
    assert!(subject.starts_with("identity."), "{subject}");
    assert_eq!(headers["ce-type"], "partnerline.identity.partner.approved.v1");
    assert_eq!(headers["ce-specversion"], "1.0");
    assert_eq!(headers["Nats-Msg-Id"], headers["ce-id"]);

    // The new partner signs in with the password it applied with.
    let dee = sys.login("dee@demo.test", "demo-partner").await;
    let me = dee.get("/api/v1/me", 200).await;
    assert_eq!(me["partner"]["id"], partner_id.as_str());
    sys.stop().await;
}

#[tokio::test]
async fn a1_bad_password_is_401_problem_json() {
    let sys = TestSystem::start().await;
    let c = sys.client();
    let r = c
        .expect_with(
            Method::POST,
            "/api/v1/auth/login",
            Some(&json!({ "email": "admin@demo.test", "password": "wrong-one" })),
            &[],
            401,
        )
        .await;
    assert_problem(&r, 401, "unauthenticated", None);
    let r = c.send(Method::GET, "/api/v1/me", None, &[]).await;
    assert_problem(&r, 401, "unauthenticated", None);
    sys.stop().await;
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_problem() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let r = admin
        .send(
            Method::PATCH,
            "/api/v1/program",
            Some(("application/json", r#"{"settings": {"self_purchase": tru"#)),
            &[],
        )
        .await;
    assert_problem(&r, 400, "malformed_json", None);
    assert!(r.body["detail"].as_str().unwrap().contains("line"), "{:?}", r.body);
    let before = admin.get("/api/v1/program", 200).await;
    assert_eq!(before["settings"]["self_purchase"], false, "nothing changed");
    sys.stop().await;
}

#[tokio::test]
async fn unknown_field_values_are_422_naming_the_field_and_change_nothing() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let r = admin
        .expect_with(
            Method::PATCH,
            "/api/v1/program",
            Some(&json!({ "settings": { "link_validity": "forever", "self_purchase": true } })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("settings.link_validity"));
    let r = admin.expect_with(Method::PATCH, "/api/v1/program", Some(&json!({ "settings": { "hold_periods": { "new_weeks": 12, "standard_weeks": 6, "trusted_weeks": 4 } } })), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("settings.hold_periods.new_weeks"));
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/partners",
            Some(&json!({ "name": "X", "email": "not-an-email", "password": "long-enough" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("email"));
    let program = admin.get("/api/v1/program", 200).await;
    assert_eq!(program["settings"]["self_purchase"], false);
    assert_eq!(program["settings"]["link_validity"], "short");
    sys.stop().await;
}

/// Identity's and customers' own messages are their REST bodies (issue 24): a field they do not
/// have is refused by name, one left out is the service's to judge, and nothing unset is shown
/// as an empty shell.
#[tokio::test]
async fn rest_bodies_are_the_services_messages_refusing_unknown_fields_by_name() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let partner = json!({ "name": "Rita", "email": "rita@demo.test", "password": "long-enough", "nickname": "R" });
    let r = admin.expect_with(Method::POST, "/api/v1/partners", Some(&partner), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("nickname"));
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/partners",
            Some(&json!({ "email": "rita@demo.test", "password": "long-enough" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("name"));
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/customers",
            Some(&json!({ "name": "Bar Roma", "fax": "06 1234" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("fax"));
    assert_eq!(admin.get("/api/v1/partners?q=rita", 200).await["items"], json!([]), "nothing was stored");

    let created = admin
        .post("/api/v1/partners", &json!({ "name": "Rita", "email": "rita@demo.test", "password": "long-enough" }), 201)
        .await;
    assert_eq!(created["payout_method"], serde_json::Value::Null, "no payout method is null, not {{kind: \"\"}}");
    assert_eq!(created["trust_level"], "new");
    let customer = admin.post("/api/v1/customers", &json!({ "name": "Bar Roma" }), 201).await;
    assert_eq!(customer["discount_percent"], "0.00");
    assert_eq!(customer["temperature"], "warm");
    sys.stop().await;
}

/// Every gRPC port answers `grpc.health.v1` (kubelet gRPC probes); the gateway is probed over
/// HTTP on its admin port instead.
#[tokio::test]
async fn every_grpc_service_answers_grpc_health() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let sys = TestSystem::start_with(Options { seed_demo: false, ..Default::default() }).await;
    for service in ["identity", "customers", "orders", "attribution", "commissions"] {
        let url = &sys.env.config.endpoint(service).unwrap().url;
        let mut health = HealthClient::new(platform::grpc::channel(url).unwrap());
        let reply = health.check(HealthCheckRequest { service: String::new() }).await;
        let status = reply.unwrap_or_else(|e| panic!("{service}: {e}")).into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }
    sys.stop().await;
}

#[tokio::test]
async fn the_test_clock_exists_only_in_manual_clock_mode() {
    let normal = TestSystem::start_with(Options { manual_clock: false, seed_demo: false, ..Default::default() }).await;
    let r = normal
        .client()
        .send(Method::POST, "/api/v1/_test/clock", Some(("application/json", r#"{"advance_seconds": 60}"#)), &[])
        .await;
    assert_eq!(r.status, 404);
    normal.stop().await;

    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let before = sys.clock.now();
    let moved = sys.client().post("/api/v1/_test/clock", &json!({ "advance_seconds": 3600 }), 200).await;
    assert_eq!(sys.clock.now() - before, chrono::Duration::hours(1));
    assert!(moved["now"].is_string());
    // Every service follows: the admin's 15-minute access token is now expired.
    let r = admin.send(Method::GET, "/api/v1/me", None, &[]).await;
    assert_eq!(r.status, 401);
    sys.client().post("/api/v1/_test/clock", &json!({ "set": "2027-01-01T00:00:00Z" }), 200).await;
    assert_eq!(sys.clock.now().to_rfc3339(), "2027-01-01T00:00:00+00:00");
    sys.client().post("/api/v1/_test/clock", &json!({}), 422).await;
    sys.stop().await;
}

#[tokio::test]
async fn a3_an_api_key_works_through_the_gateway_within_its_scopes() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let created =
        admin.post("/api/v1/api-keys", &json!({ "name": "storefront", "scopes": ["partners:read"] }), 201).await;
    let secret = created["secret"].as_str().unwrap();
    let integrator = sys.client().with_token(secret);
    let partners = integrator.get("/api/v1/partners", 200).await;
    assert_eq!(partners["items"].as_array().unwrap().len(), 3);
    integrator.patch("/api/v1/program", &json!({ "settings": { "self_purchase": true } }), 403).await;
    admin.delete(&format!("/api/v1/api-keys/{}", created["key"]["id"].as_str().unwrap()), 204).await;
    let listed = admin.get("/api/v1/api-keys", 200).await;
    assert!(listed["items"][0]["revoked_at"].is_string());
    sys.stop().await;
}

#[tokio::test]
async fn creating_with_an_idempotency_key_twice_creates_once() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let body = json!({ "name": "Flo", "email": "flo@demo.test", "password": "flo-password" });
    let key = [("Idempotency-Key", "create-flo-1")];
    let first = admin.expect_with(Method::POST, "/api/v1/partners", Some(&body), &key, 201).await;
    let second = admin.expect_with(Method::POST, "/api/v1/partners", Some(&body), &key, 201).await;
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(second.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let reordered = admin
        .send(
            Method::POST,
            "/api/v1/partners",
            Some(("application/json", r#"{ "password": "flo-password", "email": "flo@demo.test", "name": "Flo" }"#)),
            &key,
        )
        .await;
    assert_eq!(
        (reordered.status, &reordered.body["id"]),
        (201, &first.body["id"]),
        "the same JSON, spaced and ordered differently"
    );
    // Sign-ins are never saved: a replay would hand out stored tokens.
    let login = json!({ "email": "admin@demo.test", "password": "demo-admin" });
    let l1 = sys
        .client()
        .expect_with(Method::POST, "/api/v1/auth/login", Some(&login), &[("Idempotency-Key", "login-1")], 200)
        .await;
    let l2 = sys
        .client()
        .expect_with(Method::POST, "/api/v1/auth/login", Some(&login), &[("Idempotency-Key", "login-1")], 200)
        .await;
    assert!(l2.headers.get("idempotent-replayed").is_none());
    assert_ne!(l1.body["refresh_token"], l2.body["refresh_token"]);
    let other = json!({ "name": "Flo", "email": "flo2@demo.test", "password": "flo-password" });
    let r = admin.expect_with(Method::POST, "/api/v1/partners", Some(&other), &key, 422).await;
    assert_problem(&r, 422, "idempotency_key_reused", None);
    let found = admin.get("/api/v1/partners?q=flo", 200).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    sys.stop().await;
}

#[tokio::test]
async fn p1_p2_public_join_page_and_application_through_the_gateway() {
    let sys = TestSystem::start().await;
    let anon = sys.client();
    let page = anon.get("/api/v1/programs/demo/join", 200).await;
    assert_eq!(page["open"], true);
    assert!(page["recruitment_plan"].as_str().unwrap().contains("How to promote"));
    let html = anon.send(Method::GET, "/join/demo", None, &[]).await;
    assert_eq!(html.status, 200);
    assert!(html.body.as_str().unwrap().contains("Demo Coffee Co."));
    let app = anon
        .post(
            "/api/v1/programs/demo/applications",
            &json!({ "name": "Gil", "email": "gil@x.test", "password": "gil-password", "message": "hi" }),
            201,
        )
        .await;
    assert_eq!(app["status"], "pending", "the demo program reviews applications");
    let admin = sys.demo_admin().await;
    admin.patch("/api/v1/program", &json!({ "settings": { "recruitment_enabled": false } }), 200).await;
    let r = anon
        .expect_with(
            Method::POST,
            "/api/v1/programs/demo/applications",
            Some(&json!({ "name": "Hal", "email": "hal@x.test", "password": "hal-password" })),
            &[],
            409,
        )
        .await;
    assert_problem(&r, 409, "recruitment_closed", None);
    anon.get("/api/v1/programs/nope/join", 404).await;
    sys.stop().await;
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served() {
    let sys = TestSystem::start_with(Options { manual_clock: false, seed_demo: false, ..Default::default() }).await;
    let c = sys.client();
    let doc = c.get("/api/v1/openapi.json", 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/program",
        "/api/v1/partners/{id}",
        "/api/v1/applications/{id}/approve",
        "/api/v1/api-keys",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let docs = c.send(Method::GET, "/api/docs/", None, &[]).await;
    assert_eq!(docs.status, 200);
    sys.stop().await;
}

#[tokio::test]
async fn a1_a_partner_changes_its_password_and_a_merchant_adds_a_sales_rep() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let r = ana
        .expect_with(
            Method::POST,
            "/api/v1/me/password",
            Some(&json!({ "current_password": "wrong-one", "new_password": "ana-new-password" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("current_password"));
    ana.post(
        "/api/v1/me/password",
        &json!({ "current_password": "demo-partner", "new_password": "ana-new-password" }),
        204,
    )
    .await;
    sys.client()
        .post("/api/v1/auth/login", &json!({ "email": "ana@demo.test", "password": "demo-partner" }), 401)
        .await;
    sys.login("ana@demo.test", "ana-new-password").await;

    let admin = sys.demo_admin().await;
    let rep = admin
        .post("/api/v1/users", &json!({ "email": "rita@demo.test", "name": "Rita", "phone": "+39 333 000 1111", "password": "rita-password", "role": "sales_rep" }), 201)
        .await;
    assert_eq!(rep["role"], "sales_rep");
    let reps = admin.get("/api/v1/users?role=sales_rep", 200).await;
    assert_eq!(reps["items"].as_array().unwrap().len(), 2, "the seeded rep and Rita");
    ana.get("/api/v1/users", 403).await;
    sys.stop().await;
}

#[tokio::test]
async fn seed_demo_is_safe_to_run_twice() {
    let sys = TestSystem::start().await;
    let rt =
        platform::Runtime::new(sys.env.config.clone(), sys.clock.clone(), tokio_util::sync::CancellationToken::new());
    let again = partnerline::seed_demo(&rt).await.unwrap();
    assert!(again.is_empty(), "the second run creates nothing: {again:?}");
    let admin = sys.demo_admin().await;
    assert_eq!(admin.get("/api/v1/partners", 200).await["items"].as_array().unwrap().len(), 3);
    assert_eq!(admin.get("/api/v1/applications?status=pending", 200).await["items"].as_array().unwrap().len(), 1);
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let crm = ana.get("/api/v1/customers?limit=200", 200).await;
    let items = crm["items"].as_array().unwrap();
    assert_eq!(items.len(), 15, "a lived-in CRM, seeded once");
    for t in ["hot", "warm", "cold", "not_interested"] {
        assert!(items.iter().any(|c| c["temperature"] == t), "{t}");
    }
    assert!(items.iter().any(|c| c["has_quick_order_link"] == true));
    assert!(items.iter().all(|c| c["latest_note"].is_object()));
    sys.stop().await;
}

/// X9, I1: every event the demo program's services published is in the one list of event types,
/// whose AsyncAPI document the gateway serves as it is checked in.
#[tokio::test]
async fn x9_i1_every_event_the_system_publishes_is_in_the_catalog() {
    use futures::TryStreamExt;
    let sys = TestSystem::start().await;
    // A few more kinds of change than the seed makes.
    let admin = sys.demo_admin().await;
    admin.post("/api/v1/announcements", &json!({ "title": "Hello", "body": "All partners" }), 201).await;
    let bus = platform::nats::Bus::connect(&sys.env.config.nats, "e2e-catalog").await.unwrap();
    let mut seen = 0;
    let mut missing = Vec::new();
    for ctx in partnerline_proto::catalog::CONTEXTS {
        let Ok(stream) = bus.js.get_stream(bus.naming.stream(ctx)).await else { continue };
        let mut subjects = stream.info_with_subjects(">").await.unwrap();
        while let Some((subject, _)) = subjects.try_next().await.unwrap() {
            let subject = bus.naming.strip(&subject).to_string();
            let parts: Vec<&str> = subject.split('.').collect();
            let name = parts[parts.len() - 2..].join(".");
            seen += 1;
            if partnerline_proto::catalog::find(ctx, &name).is_none() {
                missing.push(subject);
            }
        }
    }
    assert!(seen > 30, "the demo publishes many kinds of event: {seen}");
    assert!(missing.is_empty(), "published but not in the catalog: {missing:?}");
    let doc = sys.client().send(Method::GET, "/api/v1/asyncapi.yaml", None, &[]).await;
    assert_eq!(doc.status, 200);
    let kept = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/asyncapi.yaml")).unwrap();
    assert_eq!(doc.body.as_str().unwrap(), kept, "the served document is the checked-in one");
    sys.stop().await;
}
