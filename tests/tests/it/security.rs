//! Issue 17: what a probe of the running system found, each finding a test named after it
//! (`s17_<n>_...`). A2, A3 and the problem-body rules of the API.

use e2e::{Client, TestSystem, assert_problem, json};
use reqwest::Method;
use serde_json::Value;

/// A value the schema accepts, with only the required fields: enough to pass the gateway's
/// decoding so the service behind it is asked.
fn sample(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return sample(doc, &doc["components"]["schemas"][name]);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.iter().find(|s| s["type"] != "null")) {
            return sample(doc, first);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|a| a.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str().unwrap_or(if schema["properties"].is_object() { "object" } else { "" }) {
        "object" => {
            let mut out = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                out.insert(name.to_string(), sample(doc, &schema["properties"][name]));
            }
            Value::Object(out)
        }
        "string" => match schema["format"].as_str() {
            Some("uuid") => json!(uuid::Uuid::new_v4().to_string()),
            Some("date-time") => json!("2026-06-01T00:00:00Z"),
            Some("date") => json!("2026-06-01"),
            _ => json!("x"),
        },
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        "array" => json!([]),
        _ => json!({}),
    }
}

/// Every protected operation of the document: (method, path with ids filled in, body).
fn protected_operations(doc: &Value) -> Vec<(Method, String, Option<Value>)> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                continue;
            }
            let mut url = path.clone();
            while let Some(start) = url.find('{') {
                let end = url[start..].find('}').unwrap() + start;
                url.replace_range(start..=end, &uuid::Uuid::new_v4().to_string());
            }
            let body = op["requestBody"]["content"]["application/json"]["schema"].as_object().map(|schema| {
                let schema = Value::Object(schema.clone());
                sample(doc, &schema)
            });
            out.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), url, body));
        }
    }
    out
}

async fn call(c: &Client, method: &Method, url: &str, body: Option<&Value>) -> e2e::Reply {
    let text = body.map(Value::to_string);
    c.send(method.clone(), url, text.as_deref().map(|t| ("application/json", t)), &[]).await
}

#[tokio::test]
async fn s17_1_a1_a_token_living_longer_than_the_configured_lifetime_is_refused() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let me = admin.get("/api/v1/me", 200).await;
    let auth = &sys.env.config.auth;
    let signer =
        platform::auth::Signer::from_seed(auth.signing_key.as_deref().unwrap(), &auth.signing_key_id, &auth.issuer)
            .unwrap();
    let now = sys.clock.now().timestamp();
    let forge = |lifetime: i64, role: platform::auth::Role| {
        let claims = platform::auth::Claims {
            sub: me["user_id"].as_str().unwrap().parse().unwrap(),
            iss: auth.issuer.clone(),
            iat: now,
            exp: now + lifetime,
            tid: me["tenant_id"].as_str().and_then(|t| t.parse().ok()),
            role,
            pid: None,
            scp: vec![],
            sus: false,
            sid: None,
        };
        sys.client().with_token(&signer.sign(&claims).unwrap())
    };
    let ttl = i64::try_from(auth.access_token_ttl_secs).unwrap();
    forge(ttl, platform::auth::Role::MerchantAdmin).get("/api/v1/partners", 200).await;
    let decade = forge(10 * 365 * 86_400, platform::auth::Role::PlatformAdmin);
    for path in ["/api/v1/partners", "/api/v1/ledger", "/api/v1/links", "/api/v1/orders"] {
        assert_problem(&decade.send(Method::GET, path, None, &[]).await, 401, "unauthenticated", None);
    }
    sys.stop().await;
}

#[tokio::test]
async fn s17_2_a3_an_api_key_without_the_scope_gets_403_on_every_protected_operation() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let created =
        admin.post("/api/v1/api-keys", &json!({ "name": "events only", "scopes": ["events:read"] }), 201).await;
    let key = sys.client().with_token(created["secret"].as_str().unwrap());
    let doc = sys.client().get("/api/v1/openapi.json", 200).await;
    let ops = protected_operations(&doc);
    assert!(ops.len() > 80, "the document lists the API: {}", ops.len());
    let mut wrong = Vec::new();
    for (method, url, body) in &ops {
        if url == "/api/v1/me" {
            continue; // any caller may ask who it is; an integrator is told its key's scopes
        }
        if url.starts_with("/api/v1/events") {
            continue; // the key's one scope opens the event feed (I1)
        }
        let r = call(&key, method, url, body.as_ref()).await;
        if r.status != 403 {
            wrong.push(format!("{method} {url} -> {} {}", r.status, r.body));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} operations did not refuse a key without their scope:\n{}",
        wrong.len(),
        ops.len(),
        wrong.join("\n")
    );
    // Nothing was created by those calls.
    let links = admin.get("/api/v1/links", 200).await;
    let before = links["items"].as_array().unwrap().len();
    key.post(
        "/api/v1/links",
        &json!({ "partner_id": uuid::Uuid::new_v4().to_string(), "target_url": "https://shop.example/x" }),
        403,
    )
    .await;
    assert_eq!(admin.get("/api/v1/links", 200).await["items"].as_array().unwrap().len(), before);
    sys.stop().await;
}

#[tokio::test]
async fn s17_3_s17_11_p1_l8_a_nul_byte_or_an_overlong_string_is_a_clear_error_never_a_500() {
    let sys = TestSystem::start().await;
    let anon = sys.client();
    let admin = sys.demo_admin().await;
    let nul = "Eva\u{0}";
    let r = anon
        .expect_with(
            Method::POST,
            "/api/v1/programs/demo/customers",
            Some(&json!({ "name": nul, "email": "eva@x.test" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("name"));
    let r = anon
        .expect_with(
            Method::POST,
            "/api/v1/programs/demo/applications",
            Some(&json!({ "name": "Eva", "email": "eva@x.test", "password": "long-enough-pw", "answers": { "why\u{0}": "x" } })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", None);
    let r = admin.send(Method::GET, "/api/v1/customers?q=a%00b", None, &[]).await;
    assert_problem(&r, 422, "invalid_field", Some("q"));
    let r = admin.send(Method::GET, "/api/v1/products?category=%1b", None, &[]).await;
    assert_problem(&r, 422, "invalid_field", Some("category"));
    for path in
        ["/api/v1/programs/de%00mo/join", "/join/de%00mo", "/q/abc%00", "/pay/x%00y", "/api/v1/quick-order/a%00"]
    {
        let r = anon.send(Method::GET, path, None, &[]).await;
        assert_eq!(r.status, 404, "{path}: {r:?}");
    }
    let customers = admin.get("/api/v1/customers?q=eva", 200).await;
    assert!(customers["items"].as_array().unwrap().is_empty(), "nothing was registered: {customers}");

    // s17_11: no string is unbounded: a 20,000-character top-up reference, a 2,000-character search.
    let before = admin.get("/api/v1/merchant-balance", 200).await;
    let top_up = json!({ "amount": "10.00", "reference": "r".repeat(20_000) });
    let r = admin.expect_with(Method::POST, "/api/v1/merchant-balance/top-ups", Some(&top_up), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("reference"));
    assert_eq!(admin.get("/api/v1/merchant-balance", 200).await, before, "nothing was topped up");
    let r = admin.send(Method::GET, &format!("/api/v1/customers?q={}", "a".repeat(2_000)), None, &[]).await;
    assert_problem(&r, 422, "invalid_field", Some("q"));
    sys.stop().await;
}

#[tokio::test]
async fn s17_6_a3_a_replayed_request_that_created_a_secret_gets_its_id_not_the_secret() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let body = json!({ "name": "erp", "scopes": ["orders:read"] });
    let headers = [("idempotency-key", "key-create-1")];
    let first = admin.expect_with(Method::POST, "/api/v1/api-keys", Some(&body), &headers, 201).await;
    let secret = first.body["secret"].as_str().unwrap().to_string();
    let replay = admin.expect_with(Method::POST, "/api/v1/api-keys", Some(&body), &headers, 409).await;
    assert_problem(&replay, 409, "already_created", None);
    assert_eq!(replay.body["id"], first.body["key"]["id"], "{replay:?}");
    assert!(!replay.body.to_string().contains(&secret), "the secret is not replayed");
    let keys = admin.get("/api/v1/api-keys", 200).await;
    assert_eq!(keys["items"].as_array().unwrap().len(), 1, "one key was created");
    // Nothing saved holds it.
    let url = format!("{}/{}", sys.env.config.database.url.trim_end_matches('/'), sys.env.database_name("gateway"));
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let saved: Vec<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT body FROM idempotency").fetch_all(&mut db).await.unwrap();
    assert!(!saved.is_empty());
    for body in saved.into_iter().flatten() {
        assert!(!String::from_utf8_lossy(&body).contains(&secret), "the idempotency store holds the secret");
    }
    sys.stop().await;
}

#[tokio::test]
async fn s17_7_cu7_a_retry_after_a_token_refresh_is_the_same_request() {
    let sys = TestSystem::start().await;
    let pair = sys
        .client()
        .post("/api/v1/auth/login", &json!({ "email": "admin@demo.test", "password": "demo-admin" }), 200)
        .await;
    let admin = sys.client().with_token(pair["access_token"].as_str().unwrap());
    let body = json!({ "name": "Retail West" });
    let headers = [("idempotency-key", "group-1")];
    let first = admin.expect_with(Method::POST, "/api/v1/customer-groups", Some(&body), &headers, 201).await;
    sys.client().post("/api/v1/_test/clock", &json!({ "advance_seconds": 5 }), 200).await;
    let refreshed =
        sys.client().post("/api/v1/auth/refresh", &json!({ "refresh_token": pair["refresh_token"] }), 200).await;
    assert_ne!(refreshed["access_token"], pair["access_token"]);
    let again = sys.client().with_token(refreshed["access_token"].as_str().unwrap());
    let second = again.expect_with(Method::POST, "/api/v1/customer-groups", Some(&body), &headers, 201).await;
    assert_eq!(second.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(second.body["id"], first.body["id"], "the same group, not a second one");
    sys.stop().await;
}

#[tokio::test]
async fn s17_10_a2_a_body_must_be_a_json_object() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let g = admin.post("/api/v1/customer-groups", &json!({ "name": "Retail North" }), 201).await;
    let path = format!("/api/v1/customer-groups/{}", g["id"].as_str().unwrap());
    let r = admin.send(Method::PATCH, &path, Some(("application/json", r#"["Renamed"]"#)), &[]).await;
    assert_problem(&r, 422, "invalid_field", Some("body"));
    assert!(!r.body.to_string().contains("struct"), "no Rust type is named: {r:?}");
    let groups = admin.get("/api/v1/customer-groups", 200).await;
    assert!(groups["items"].as_array().unwrap().iter().any(|x| x["name"] == "Retail North"), "unchanged: {groups}");
    sys.stop().await;
}

#[tokio::test]
async fn s17_11_an_anonymous_caller_is_refused_before_its_body_is_read() {
    let sys = TestSystem::start().await;
    let anon = sys.client();
    let r = anon.send(Method::POST, "/api/v1/partners", Some(("application/json", "{}")), &[]).await;
    assert_problem(&r, 401, "unauthenticated", None);
    let r = anon
        .with_token("not-a-token")
        .send(Method::POST, "/api/v1/partners", Some(("application/json", "[1]")), &[])
        .await;
    assert_problem(&r, 401, "unauthenticated", None);
    sys.stop().await;
}

#[tokio::test]
async fn s17_8_p1_l8_unauthenticated_writes_are_limited_per_client_and_per_program() {
    let limits = json!({ "registrations_per_client": 3, "registrations_per_program": 5, "applications_per_client": 2 });
    let gateway = json!({ "trusted_proxies": ["127.0.0.1/32"], "limits": limits });
    let sys =
        TestSystem::start_with(e2e::Options { sections: vec![("gateway", gateway)], ..e2e::Options::default() }).await;
    let anon = sys.client();
    let register = |n: u32, from: &'static str| {
        let anon = anon.clone();
        async move {
            let body = json!({ "name": format!("Flood {n}"), "email": format!("flood{n}@x.test") }).to_string();
            anon.send(
                Method::POST,
                "/api/v1/programs/demo/customers",
                Some(("application/json", body.as_str())),
                &[("x-forwarded-for", from)],
            )
            .await
        }
    };
    for n in 0..3 {
        assert_eq!(register(n, "203.0.113.1").await.status, 201);
    }
    let refused = register(3, "203.0.113.1").await;
    assert_problem(&refused, 429, "too_many_requests", None);
    let wait: i64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    // Another client may still register, until the program's own limit.
    assert_eq!(register(4, "203.0.113.2").await.status, 201);
    assert_eq!(register(5, "203.0.113.2").await.status, 201);
    assert_eq!(register(6, "203.0.113.3").await.status, 429, "five a minute for the whole program");
    sys.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(register(7, "203.0.113.1").await.status, 201, "a minute later");
    // Applications too, and what was refused was not created.
    let apply = |n: u32| {
        let anon = anon.clone();
        async move {
            let body =
                json!({ "name": "A", "email": format!("app{n}@x.test"), "password": "long-enough-pw" }).to_string();
            anon.send(
                Method::POST,
                "/api/v1/programs/demo/applications",
                Some(("application/json", body.as_str())),
                &[],
            )
            .await
            .status
        }
    };
    assert_eq!(apply(0).await, 201);
    assert_eq!(apply(1).await, 201);
    assert_eq!(apply(2).await, 429);
    let admin = sys.demo_admin().await;
    let customers = admin.get("/api/v1/customers?q=flood&limit=100", 200).await;
    assert_eq!(customers["items"].as_array().unwrap().len(), 6, "{customers}");
    sys.stop().await;
}

#[tokio::test]
async fn s17_9_l9_a_coupon_for_a_partner_of_another_program_or_of_none_is_refused() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let zed_id = sys.other_program().await.partner_id;
    for partner in [zed_id.clone(), uuid::Uuid::new_v4().to_string()] {
        let body = json!({ "code": "STOLEN10", "discount_percent": "10", "partner_id": partner });
        let r = admin.expect_with(Method::POST, "/api/v1/coupons", Some(&body), &[], 422).await;
        assert_problem(&r, 422, "invalid_field", Some("partner_id"));
    }
    let coupons = admin.get("/api/v1/coupons", 200).await;
    assert!(!coupons.to_string().contains("STOLEN10"), "nothing was created: {coupons}");
    let ana = admin.get("/api/v1/partners?q=ana", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    admin.post("/api/v1/coupons", &json!({ "code": "ANA15", "discount_percent": "10", "partner_id": ana }), 201).await;
    sys.stop().await;
}

/// Issue 17, 12: a partner id that is no partner of the program (another program's, or none) is
/// 404 on a merchant's balances and clicks, not a partner with zeros.
#[tokio::test]
async fn s17_12_c11_l10_balances_and_clicks_of_no_partner_of_the_program_are_404() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let zed_id = sys.other_program().await.partner_id;
    for partner in [zed_id, uuid::Uuid::new_v4().to_string()] {
        let r = admin.expect_with(Method::GET, &format!("/api/v1/balances?partner_id={partner}"), None, &[], 404).await;
        assert_problem(&r, 404, "not_found", None);
        let r = admin.expect_with(Method::GET, &format!("/api/v1/partners/{partner}/clicks"), None, &[], 404).await;
        assert_problem(&r, 404, "not_found", None);
    }
    let ana = admin.get("/api/v1/partners?q=ana", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    admin.get(&format!("/api/v1/balances?partner_id={ana}"), 200).await;
    admin.get(&format!("/api/v1/partners/{ana}/clicks"), 200).await;
    sys.stop().await;
}

/// Issue 17, 9: an imported order naming a partner of another program (or of none) as the one who
/// placed it, or as its customer's owner, is rejected naming the field, and makes no commission
/// line for that id; an integrator key with only `orders:write` still imports its own partners'.
#[tokio::test]
async fn s17_9_o8_an_import_naming_a_partner_of_another_program_is_rejected() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let zed = sys.other_program().await.partner_id;
    let ana = admin.get("/api/v1/partners?q=ana", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    let order = |ext: &str, placed_by: &str, owner: Option<&str>| {
        json!({ "external_id": ext, "customer": { "name": "Shop buyer", "email": format!("{ext}@shop.test"), "owner_partner_id": owner },
                "items": [{ "sku": "POS-T1", "quantity": 1 }], "payment_method": "card", "placed_by_partner_id": placed_by })
    };
    let created =
        admin.post("/api/v1/api-keys", &json!({ "name": "shop sync", "scopes": ["orders:write"] }), 201).await;
    let key = sys.client().with_token(created["secret"].as_str().unwrap());
    let nobody = uuid::Uuid::new_v4().to_string();
    let batch = json!({ "orders": [
        order("x-zed", &zed, None),
        order("x-nobody", &nobody, None),
        order("x-owner", &ana, Some(&zed)),
        order("x-ana", &ana, Some(&ana)),
    ]});
    let r = key.post("/api/v1/orders/import", &batch, 200).await;
    let results: Vec<&str> = r["items"].as_array().unwrap().iter().map(|i| i["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["rejected", "rejected", "rejected", "created"], "{r}");
    assert_eq!(r["items"][0]["errors"][0]["field"], "orders[0].placed_by_partner_id");
    assert_eq!(r["items"][1]["errors"][0]["field"], "orders[1].placed_by_partner_id");
    assert_eq!(r["items"][2]["errors"][0]["field"], "orders[2].customer.owner_partner_id");
    let orders = admin.get("/api/v1/orders?q=x-&limit=50", 200).await;
    assert!(!orders.to_string().contains(&zed), "no order names Zed: {orders}");
    sys.stop().await;
}

/// Issue 17, 9: a commission rule naming a product of another program (or of none) is refused
/// naming each, and nothing is stored.
#[tokio::test]
async fn s17_9_c1_a_rule_naming_a_product_of_another_program_is_refused() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let other = sys.other_program().await;
    let theirs = other
        .admin
        .post(
            "/api/v1/products",
            &json!({ "sku": "THEIRS-1", "name": "Theirs", "base_price": "10.00", "kind": "digital" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rules_before = admin.get("/api/v1/commission-rules", 200).await["items"].as_array().unwrap().len();
    let body = json!({ "name": "Stolen", "kind": "percent", "value": "5", "product_ids": [theirs, uuid::Uuid::new_v4().to_string()] });
    let r = admin.expect_with(Method::POST, "/api/v1/commission-rules", Some(&body), &[], 422).await;
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["product_ids[0]", "product_ids[1]"], "{:?}", r.body);
    assert_eq!(admin.get("/api/v1/commission-rules", 200).await["items"].as_array().unwrap().len(), rules_before);
    let ours = admin.get("/api/v1/products?limit=1", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    let body = json!({ "name": "Ours", "kind": "percent", "value": "5", "product_ids": [ours] });
    admin.post("/api/v1/commission-rules", &body, 201).await;
    sys.stop().await;
}

/// Issue 17, 11 (P5): a suspended partner may sign in and read its customers and earnings; every
/// change it asks for is 403 `partner_suspended`, and nothing changes; reactivated, it may again.
#[tokio::test]
async fn s17_11_p5_a_suspended_partner_reads_but_changes_nothing() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let bo_id = admin.get("/api/v1/partners?q=bo@", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    admin.patch(&format!("/api/v1/partners/{bo_id}"), &json!({ "status": "suspended" }), 200).await;
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let before = bo.get("/api/v1/customers?limit=200", 200).await["items"].as_array().unwrap().len();
    bo.get("/api/v1/balances", 200).await;
    bo.get("/api/v1/orders", 200).await;
    for (method, path, body) in [
        (Method::POST, "/api/v1/customers", json!({ "name": "Not while suspended" })),
        (Method::POST, "/api/v1/leads", json!({ "product_line": "pos", "contact_name": "Lea", "email": "lea@x.test" })),
        (Method::POST, "/api/v1/links", json!({ "target_url": "https://shop.example/x" })),
        (Method::POST, "/api/v1/payouts", json!({})),
        (Method::PATCH, &format!("/api/v1/partners/{bo_id}"), json!({ "phone": "+39 06 000" })),
    ] {
        let r = bo.expect_with(method.clone(), path, Some(&body), &[], 403).await;
        assert_problem(&r, 403, "partner_suspended", None);
    }
    assert_eq!(bo.get("/api/v1/customers?limit=200", 200).await["items"].as_array().unwrap().len(), before);

    admin.patch(&format!("/api/v1/partners/{bo_id}"), &json!({ "status": "active" }), 200).await;
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    bo.post("/api/v1/customers", &json!({ "name": "Back again" }), 201).await;
    sys.stop().await;
}

/// Polls `path` with `c` until it answers 401, for up to three seconds (an event's way from
/// identity to every process); returns how many tries it took, or panics.
async fn refused_soon(c: &Client, path: &str) -> usize {
    for i in 0..60 {
        if c.send(Method::GET, path, None, &[]).await.status == 401 {
            return i;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} still answers with a token whose access ended");
}

/// Issue 17, 5: access that ends ends at once, not when its token expires: a revoked API key
/// (whose exchanged token the gateway caches), a signed-out session, every other session of an account
/// whose password changed, and a partner's sessions when it is suspended.
#[tokio::test]
async fn s17_5_a3_revoked_keys_and_ended_sessions_stop_at_once() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;

    let created = admin.post("/api/v1/api-keys", &json!({ "name": "sync", "scopes": ["partners:read"] }), 201).await;
    let key = sys.client().with_token(created["secret"].as_str().unwrap());
    key.get("/api/v1/partners", 200).await;
    admin.delete(&format!("/api/v1/api-keys/{}", created["key"]["id"].as_str().unwrap()), 204).await;
    refused_soon(&key, "/api/v1/partners").await;

    let pair = sys
        .client()
        .post("/api/v1/auth/login", &json!({ "email": "ana@demo.test", "password": "demo-partner" }), 200)
        .await;
    let ana = sys.client().with_token(pair["access_token"].as_str().unwrap());
    ana.get("/api/v1/me", 200).await;
    sys.client().post("/api/v1/auth/logout", &json!({ "refresh_token": pair["refresh_token"] }), 204).await;
    refused_soon(&ana, "/api/v1/me").await;
    let again = sys.login("ana@demo.test", "demo-partner").await;
    again.get("/api/v1/me", 200).await;

    // A1: the session that changed the password stays; every other one ends.
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let bo_elsewhere = sys.login("bo@demo.test", "demo-partner").await;
    let change = json!({ "current_password": "demo-partner", "new_password": "a-new-one-for-bo" });
    bo.post("/api/v1/me/password", &change, 204).await;
    refused_soon(&bo_elsewhere, "/api/v1/me").await;
    bo.get("/api/v1/me", 200).await;
    let bo = sys.login("bo@demo.test", "a-new-one-for-bo").await;
    bo.get("/api/v1/me", 200).await;

    let bo_id = admin.get("/api/v1/partners?q=bo@", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    admin.patch(&format!("/api/v1/partners/{bo_id}"), &json!({ "status": "suspended" }), 200).await;
    refused_soon(&bo, "/api/v1/me").await;
    let suspended = sys.login("bo@demo.test", "a-new-one-for-bo").await;
    let r = suspended.expect_with(Method::POST, "/api/v1/customers", Some(&json!({ "name": "No" })), &[], 403).await;
    assert_problem(&r, 403, "partner_suspended", None);
    sys.stop().await;
}

/// Issue 17 (P2, P3): an application with the email of a partner, or of an application waiting
/// for review, is answered as any other, so the form tells no one who is a member; nothing is
/// stored, and the address's owner is told by email (once a day, however often the form is sent).
#[tokio::test]
async fn s17_13_p3_n4_an_application_with_a_members_email_tells_the_member_not_the_applicant() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let anon = sys.client();
    let apply = |email: &str| json!({ "name": "Someone", "email": email, "password": "some-password-1" });
    let pending = |admin: &Client| {
        let admin = admin.clone();
        async move { admin.get("/api/v1/applications?status=pending", 200).await["items"].as_array().unwrap().clone() }
    };
    let before = pending(&admin).await;
    let fresh = anon.post("/api/v1/programs/demo/applications", &apply("new.applicant@x.test"), 201).await;
    let member = anon.post("/api/v1/programs/demo/applications", &apply("ana@demo.test"), 201).await;
    let waiting = anon.post("/api/v1/programs/demo/applications", &apply("dee@demo.test"), 201).await;
    for a in [&member, &waiting] {
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(a), keys(&fresh), "the same answer: {a}");
        assert_eq!((a["status"].as_str(), a["partner_id"].is_null()), (fresh["status"].as_str(), true), "{a}");
    }
    let after = pending(&admin).await;
    assert_eq!(after.len(), before.len() + 1, "only the new applicant's application is kept: {after:?}");
    assert!(after.iter().all(|a| a["id"] != member["id"] && a["id"] != waiting["id"]));

    // (Ana also has the demo's lead emails.)
    let told = sys.mail.wait_for_text("ana@demo.test", "already has an account").await;
    assert_eq!(told.header("Subject"), "Someone applied to Demo Coffee Co. with your email");
    assert!(told.part("text/plain").contains("/login"), "{}", told.part("text/plain"));
    let told = sys.mail.wait_for_text("dee@demo.test", "already waiting for review").await;
    assert_eq!(told.header("Subject"), "Someone applied to Demo Coffee Co. with your email");
    sys.wait_for_event("identity", "application.repeated").await;
    // Again, the same day: still the same answer, and no second email.
    anon.post("/api/v1/programs/demo/applications", &apply("ana@demo.test"), 201).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let to_ana = sys
        .mail
        .messages()
        .iter()
        .filter(|m| m.header("To").contains("ana@demo.test") && m.header("Subject").starts_with("Someone applied"))
        .count();
    assert_eq!(to_ana, 1, "one such email a day");
    sys.stop().await;
}

/// Issue 17, the BOLA matrix: every operation on an object of the demo program (`{id}` filled
/// with a real one, read from its collection), called by the admin and by a partner of another
/// program, is 403 or 404 (or the 422 a made-up id gets too), and the object reads the same
/// afterwards.
#[tokio::test]
async fn s17_a2_the_bola_matrix_no_operation_reaches_another_programs_object() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let other = sys.other_program().await;
    let doc = sys.client().get("/api/v1/openapi.json", 200).await;
    let mut ids: std::collections::BTreeMap<String, Option<String>> = std::collections::BTreeMap::new();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some((collection, rest)) = path.split_once("/{id}") else { continue };
        if rest.contains('{') {
            continue; // a second placeholder names a child the collection does not list
        }
        if !ids.contains_key(collection) {
            let listed = doc["paths"][collection]["get"].is_object();
            let id = if listed {
                let r = admin.send(Method::GET, collection, None, &[]).await;
                r.body["items"][0]["id"].as_str().map(String::from)
            } else {
                None
            };
            ids.insert(collection.to_string(), id);
        }
        let Some(id) = ids[collection].clone() else { continue };
        for (method, op) in item.as_object().unwrap() {
            let body = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| sample(&doc, &Value::Object(s.clone())));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            ops.push((method, collection.to_string(), path.replace("{id}", &id), body, path.clone()));
        }
    }
    assert!(ops.len() > 30, "the matrix covers the API's objects: {} operations", ops.len());
    let mut wrong = Vec::new();
    let mut before = std::collections::BTreeMap::new();
    for (_, collection, url, _, _) in &ops {
        let object = url[..collection.len() + 37].to_string();
        if !before.contains_key(&object) {
            before.insert(object.clone(), admin.send(Method::GET, &object, None, &[]).await.body);
        }
    }
    for (who, caller) in [("other admin", &other.admin), ("other partner", &other.partner)] {
        for (method, _, url, body, template) in &ops {
            let r = call(caller, method, url, body.as_ref()).await;
            // A body refused before the object is looked up tells nothing of it: a made-up id
            // gets the same answer.
            let unknown = template.replace("{id}", &uuid::Uuid::new_v4().to_string());
            let blind = r.status == 422 && call(caller, method, &unknown, body.as_ref()).await.body == r.body;
            if r.status != 403 && r.status != 404 && !blind {
                wrong.push(format!("{who}: {method} {url} -> {} {}", r.status, r.body));
            }
        }
    }
    assert!(wrong.is_empty(), "{} calls reached another program's object:\n{}", wrong.len(), wrong.join("\n"));
    for (object, was) in &before {
        assert_eq!(&admin.send(Method::GET, object, None, &[]).await.body, was, "{object} changed");
    }
    sys.stop().await;
}
