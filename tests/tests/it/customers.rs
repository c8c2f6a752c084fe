//! Customers and CRM through the gateway (CU1-CU8, L8).

use e2e::{Client, TestSystem, assert_problem, json};
use reqwest::Method;
use serde_json::Value;

/// A partner of the demo program with no customers yet (the demo partners have seeded ones).
async fn partner(sys: &TestSystem, email: &str) -> Client {
    let admin = sys.demo_admin().await;
    admin.post("/api/v1/partners", &json!({ "name": email, "email": email, "password": "demo-partner" }), 201).await;
    sys.login(email, "demo-partner").await
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn cu3_cu2_cu8_a_partner_keeps_a_customer_with_notes_filters_and_a_quick_order_link() {
    let sys = TestSystem::start().await;
    let ana = partner(&sys, "pia@demo.test").await;
    let c = ana
        .post(
            "/api/v1/customers",
            &json!({ "name": "Caffè Roma", "email": "Orders@CaffeRoma.it", "phone": "+39 06 1234 5678", "status": "potential",
                     "temperature": "hot", "discount_percent": "7.5", "currency": "eur", "language": "it",
                     "vat_number": " IT01234567890 ", "address": { "city": "Roma", "country": "it" } }),
            201,
        )
        .await;
    assert_eq!(c["email"], "orders@cafferoma.it");
    assert_eq!(c["discount_percent"], "7.50");
    assert_eq!(c["currency"], "EUR");
    assert_eq!(c["vat_number"], "IT01234567890");
    let me = ana.get("/api/v1/me", 200).await;
    assert_eq!(c["owner_partner_id"], me["partner"]["id"], "CU6: a partner owns what it adds");
    let cid = id(&c);

    // CU3: notes come back by priority, then newest first.
    for (priority, body) in [("none", "n1"), ("high", "h1"), ("medium", "m1"), ("high", "h2"), ("none", "n2")] {
        ana.post(&format!("/api/v1/customers/{cid}/notes"), &json!({ "priority": priority, "body": body }), 201).await;
        sys.clock.advance(chrono::Duration::seconds(1));
    }
    let notes = ana.get(&format!("/api/v1/customers/{cid}/notes"), 200).await;
    let order: Vec<&str> = notes["items"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(order, vec!["h2", "h1", "m1", "n2", "n1"]);
    let n1 = notes["items"][4]["id"].as_str().unwrap().to_string();
    ana.patch(&format!("/api/v1/customers/{cid}/notes/{n1}"), &json!({ "priority": "high" }), 200).await;
    let notes = ana.get(&format!("/api/v1/customers/{cid}/notes"), 200).await;
    assert_eq!(notes["items"][2]["body"], "n1", "edited to high, it sorts among the highs by age");
    ana.delete(&format!("/api/v1/customers/{cid}/notes/{n1}"), 204).await;

    // CU2: the card carries the latest note by priority and the discount.
    ana.post("/api/v1/customers", &json!({ "name": "Bar Sport", "status": "potential", "temperature": "cold" }), 201)
        .await;
    ana.post("/api/v1/customers", &json!({ "name": "Hotel Nord", "status": "current", "temperature": "hot" }), 201)
        .await;
    let hot = ana.get("/api/v1/customers?status=potential&temperature=hot", 200).await;
    let items = hot["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Caffè Roma");
    assert_eq!(items[0]["latest_note"]["body"], "h2");
    assert_eq!(items[0]["discount_percent"], "7.50");
    let found = ana.get("/api/v1/customers?q=CAFFEROMA", 200).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "search is partial and case-insensitive, on email too");
    let by_phone = ana.get("/api/v1/customers?q=1234%205678", 200).await;
    assert_eq!(by_phone["items"][0]["name"], "Caffè Roma");

    // CU8: generate, regenerate (the old link dies at once), revoke.
    let anon = sys.client();
    let first = ana.post(&format!("/api/v1/customers/{cid}/quick-order-link"), &json!({}), 201).await;
    let t1 = first["token"].as_str().unwrap().to_string();
    assert!(t1.len() >= 22, "at least 128 bits");
    let opened = anon.get(&format!("/api/v1/quick-order/{t1}"), 200).await;
    assert_eq!(
        (opened["customer_name"].as_str(), opened["language"].as_str(), opened["discount_percent"].as_str()),
        (Some("Caffè Roma"), Some("it"), Some("7.50"))
    );
    let second = ana.post(&format!("/api/v1/customers/{cid}/quick-order-link"), &json!({}), 201).await;
    let t2 = second["token"].as_str().unwrap().to_string();
    let gone = anon.send(Method::GET, &format!("/api/v1/quick-order/{t1}"), None, &[]).await;
    let never = anon.send(Method::GET, "/api/v1/quick-order/never-existed-token-0000000000", None, &[]).await;
    assert_problem(&gone, 404, "not_found", None);
    assert_eq!(gone.body, never.body, "a regenerated link answers like one that never existed");
    anon.get(&format!("/api/v1/quick-order/{t2}"), 200).await;
    ana.delete(&format!("/api/v1/customers/{cid}/quick-order-link"), 204).await;
    anon.get(&format!("/api/v1/quick-order/{t2}"), 404).await;
    ana.delete(&format!("/api/v1/customers/{cid}/quick-order-link"), 404).await;
    sys.stop().await;
}

#[tokio::test]
async fn cu4_cu5_the_communication_log_and_the_full_customer_page() {
    let sys = TestSystem::start().await;
    let bo = partner(&sys, "quin@demo.test").await;
    let c = bo
        .post("/api/v1/customers", &json!({ "name": "Deli Kraków", "contact_person": "Ola", "status": "current" }), 201)
        .await;
    let cid = id(&c);
    bo.post(
        &format!("/api/v1/customers/{cid}/communications"),
        &json!({ "kind": "call", "occurred_at": "2026-05-01T10:00:00Z", "summary": "Asked for a price list" }),
        201,
    )
    .await;
    bo.post(
        &format!("/api/v1/customers/{cid}/communications"),
        &json!({ "kind": "meeting", "occurred_at": "2026-05-03T15:00:00Z", "summary": "Tasting" }),
        201,
    )
    .await;
    let log = bo.get(&format!("/api/v1/customers/{cid}/communications"), 200).await;
    let kinds: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["meeting", "call"], "newest first");
    let me = bo.get("/api/v1/me", 200).await;
    assert_eq!(log["items"][0]["author_user_id"], me["user_id"]);
    let r = bo
        .expect_with(
            Method::POST,
            &format!("/api/v1/customers/{cid}/communications"),
            Some(&json!({ "kind": "fax", "summary": "x" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("kind"));
    let page = bo.get(&format!("/api/v1/customers/{cid}"), 200).await;
    assert_eq!(page["contact_person"], "Ola");
    sys.stop().await;
}

#[tokio::test]
async fn cu6_a_merchant_sees_all_and_reassigns_with_an_event() {
    let sys = TestSystem::start().await;
    let ana = partner(&sys, "pia@demo.test").await;
    let bo = partner(&sys, "quin@demo.test").await;
    let c = ana.post("/api/v1/customers", &json!({ "name": "Moving Co" }), 201).await;
    let cid = id(&c);
    let bo_id = bo.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    bo.get(&format!("/api/v1/customers/{cid}"), 404).await;
    let r = ana
        .expect_with(
            Method::PATCH,
            &format!("/api/v1/customers/{cid}"),
            Some(&json!({ "owner_partner_id": bo_id })),
            &[],
            403,
        )
        .await;
    assert_problem(&r, 403, "forbidden", Some("owner_partner_id"));

    let admin = sys.demo_admin().await;
    let all = admin.get("/api/v1/customers", 200).await;
    assert!(all["items"].as_array().unwrap().iter().any(|x| x["id"] == cid.as_str()));
    let r = admin
        .expect_with(
            Method::PATCH,
            &format!("/api/v1/customers/{cid}"),
            Some(&json!({ "owner_partner_id": "01900000-0000-7000-8000-000000000000" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("owner_partner_id"));
    let moved = admin.patch(&format!("/api/v1/customers/{cid}"), &json!({ "owner_partner_id": bo_id }), 200).await;
    assert_eq!(moved["owner_partner_id"], bo_id.as_str());
    bo.get(&format!("/api/v1/customers/{cid}"), 200).await;
    ana.get(&format!("/api/v1/customers/{cid}"), 404).await;
    let (_, headers) = sys.wait_for_event_about("customers", "customer.reassigned", Some(&cid)).await;
    assert_eq!(headers["ce-type"], "partnerline.customers.customer.reassigned.v1");
    sys.stop().await;
}

#[tokio::test]
async fn cu1_each_bad_field_is_a_422_naming_it_and_changes_nothing() {
    let sys = TestSystem::start().await;
    let ana = partner(&sys, "pia@demo.test").await;
    let c = ana.post("/api/v1/customers", &json!({ "name": "Steady" }), 201).await;
    let cid = id(&c);
    let cases = [
        ("name", json!("  ")),
        ("email", json!("not-an-email")),
        ("phone", json!("12")),
        ("status", json!("former")),
        ("temperature", json!("lukewarm")),
        ("discount_percent", json!("100.5")),
        ("discount_percent", json!("1.234")),
        ("discount_percent", json!(12)),
        ("currency", json!("EURO")),
        ("language", json!("de")),
        ("vat_number", json!("x".repeat(51))),
    ];
    for (field, value) in cases {
        let mut create = json!({ "name": "X" });
        create[field] = value.clone();
        let r = ana.expect_with(Method::POST, "/api/v1/customers", Some(&create), &[], 422).await;
        assert_problem(&r, 422, "invalid_field", Some(field));
        let r = ana
            .expect_with(Method::PATCH, &format!("/api/v1/customers/{cid}"), Some(&json!({ field: value })), &[], 422)
            .await;
        assert_problem(&r, 422, "invalid_field", Some(field));
    }
    let r = ana
        .expect_with(
            Method::POST,
            "/api/v1/customers",
            Some(&json!({ "name": "X", "address": { "country": "Italy" } })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("address.country"));
    let after = ana.get(&format!("/api/v1/customers/{cid}"), 200).await;
    assert_eq!(after["name"], "Steady");
    assert_eq!(after["updated_at"], c["updated_at"], "nothing changed");
    let all = ana.get("/api/v1/customers", 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "no half-created customer");
    sys.stop().await;
}

#[tokio::test]
async fn l8_a_customer_registers_through_a_partner_link_and_the_code_travels_on() {
    let sys = TestSystem::start().await;
    let anon = sys.client();
    let c = anon
        .post(
            "/api/v1/programs/demo/customers",
            &json!({ "name": "Eva", "email": "eva@x.test", "referral_code": "ana-2026" }),
            201,
        )
        .await;
    assert_eq!(c["owner_partner_id"], Value::Null, "attribution assigns it when it reads the event");
    let (_, headers) = sys.wait_for_event_about("customers", "customer.registered", Some(&id(&c))).await;
    assert_eq!(headers["ce-type"], "partnerline.customers.customer.registered.v1");
    let r = anon
        .expect_with(
            Method::POST,
            "/api/v1/programs/demo/customers",
            Some(&json!({ "name": "Eva", "email": "eva@x.test", "referral_code": "bad code!" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("referral_code"));
    anon.post("/api/v1/programs/nope/customers", &json!({ "name": "Eva", "email": "eva@x.test" }), 404).await;
    sys.stop().await;
}

/// Every customers endpoint, for a partner who does not own the customer, and for a merchant and
/// a partner of another tenant: 404, and nothing changes. Endpoints come from the OpenAPI
/// document, so a new one without an ownership check fails here.
#[tokio::test]
async fn cu6_a2_authorization_matrix_over_every_customer_endpoint() {
    let sys = TestSystem::start().await;
    let ana = partner(&sys, "pia@demo.test").await;
    let c = ana.post("/api/v1/customers", &json!({ "name": "Ana's own", "temperature": "hot" }), 201).await;
    let cid = id(&c);
    let note = ana
        .post(&format!("/api/v1/customers/{cid}/notes"), &json!({ "priority": "high", "body": "secret" }), 201)
        .await;
    let nid = id(&note);
    ana.post(&format!("/api/v1/customers/{cid}/communications"), &json!({ "kind": "call", "summary": "hello" }), 201)
        .await;
    ana.post(&format!("/api/v1/customers/{cid}/quick-order-link"), &json!({}), 201).await;

    // Program B with its own admin and partner.
    let program_b = sys.other_program().await;
    let (admin_b, zed) = (program_b.admin, program_b.partner);
    let bo = partner(&sys, "quin@demo.test").await;

    let doc = sys.client().get("/api/v1/openapi.json", 200).await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/customers/{id}") {
            continue;
        }
        let url = path.replace("{id}", &cid).replace("{note_id}", &nid);
        for method in ops.as_object().unwrap().keys() {
            let body = match (method.as_str(), path.as_str()) {
                ("patch", "/api/v1/customers/{id}") => Some(json!({ "name": "Stolen" })),
                ("post", "/api/v1/customers/{id}/notes") => Some(json!({ "priority": "high", "body": "x" })),
                ("patch", "/api/v1/customers/{id}/notes/{note_id}") => Some(json!({ "body": "x" })),
                ("post", "/api/v1/customers/{id}/communications") => Some(json!({ "kind": "call", "summary": "x" })),
                // X7: even with the right confirmation.
                ("post", "/api/v1/customers/{id}/erase") => Some(json!({ "confirm": "Ana's own" })),
                ("post", _) => Some(json!({})),
                _ => None,
            };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (who, client) in [("bo (same tenant)", &bo), ("admin of B", &admin_b), ("partner of B", &zed)] {
                let r = client
                    .send(
                        m.clone(),
                        &url,
                        body.as_ref()
                            .map(|b| ("application/json", b.to_string()))
                            .as_ref()
                            .map(|(c, b)| (*c, b.as_str())),
                        &[],
                    )
                    .await;
                assert_eq!(r.status, 404, "{who}: {method} {path} -> {} {:?}", r.status, r.body);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 15, "every customer endpoint was tried");
    let after = ana.get(&format!("/api/v1/customers/{cid}"), 200).await;
    assert_eq!(after["name"], "Ana's own");
    assert!(after["has_quick_order_link"].as_bool().unwrap());
    let notes = ana.get(&format!("/api/v1/customers/{cid}/notes"), 200).await;
    assert_eq!(notes["items"].as_array().unwrap().len(), 1);
    for other in [&bo, &admin_b, &zed] {
        let list = other.get("/api/v1/customers?q=ana", 200).await;
        assert!(list["items"].as_array().unwrap().iter().all(|x| x["id"] != cid.as_str()));
    }
    sys.stop().await;
}

#[tokio::test]
async fn cu8_quick_order_lookups_are_rate_limited_per_client() {
    // The test's requests come through a proxy on 127.0.0.1 that names each client (s17_4).
    let sections = vec![("gateway", json!({ "trusted_proxies": ["127.0.0.1/32"] }))];
    let sys = TestSystem::start_with(e2e::Options { sections, ..e2e::Options::default() }).await;
    let ana = partner(&sys, "pia@demo.test").await;
    let c = ana.post("/api/v1/customers", &json!({ "name": "Limited" }), 201).await;
    let link = ana.post(&format!("/api/v1/customers/{}/quick-order-link", id(&c)), &json!({}), 201).await;
    let url = format!("/api/v1/quick-order/{}", link["token"].as_str().unwrap());
    let anon = sys.client();
    let guess = [("x-forwarded-for", "203.0.113.9")];
    // A client guessing tokens is stopped after 30 lookups a minute, right tokens included.
    for i in 0..30 {
        let r = anon
            .send(Method::GET, &format!("/api/v1/quick-order/guess-{i:02}-aaaaaaaaaaaaaaaaaaaa"), None, &guess)
            .await;
        assert_eq!(r.status, 404);
    }
    let r = anon.send(Method::GET, &url, None, &guess).await;
    assert_problem(&r, 429, "too_many_requests", None);
    // Another client is not affected, and the guesser may try again a minute later.
    assert_eq!(anon.send(Method::GET, &url, None, &[("x-forwarded-for", "198.51.100.1")]).await.status, 200);
    sys.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(anon.send(Method::GET, &url, None, &guess).await.status, 200);
    sys.stop().await;
}

/// CU7: a group assigned to a partner makes its customers that partner's, present and future;
/// moving the group moves them all, each with `customer.reassigned`.
#[tokio::test]
async fn cu7_groups_assigned_to_partners_carry_their_customers() {
    let sys = TestSystem::start().await;
    let pia = partner(&sys, "pia@demo.test").await;
    let quin = partner(&sys, "quin@demo.test").await;
    let pia_id = pia.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let quin_id = quin.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let admin = sys.demo_admin().await;

    let g = admin.post("/api/v1/customer-groups", &json!({ "name": "Retail North", "partner_id": pia_id }), 201).await;
    let gid = id(&g);
    assert_eq!(g["partner_id"], pia_id.as_str());
    let r = admin
        .expect_with(Method::POST, "/api/v1/customer-groups", Some(&json!({ "name": "retail north" })), &[], 409)
        .await;
    assert_problem(&r, 409, "group_name_taken", Some("name"));
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/customer-groups",
            Some(&json!({ "name": "Ghosts", "partner_id": "01900000-0000-7000-8000-000000000000" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("partner_id"));

    // A customer put in the group belongs to the group's partner, and says which group it is in.
    let a = admin.post("/api/v1/customers", &json!({ "name": "Shop A", "group_id": gid }), 201).await;
    assert_eq!(a["owner_partner_id"], pia_id.as_str());
    assert_eq!(a["group_name"], "Retail North");
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/customers",
            Some(&json!({ "name": "Shop X", "group_id": gid, "owner_partner_id": quin_id })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("owner_partner_id"));
    let b = quin.post("/api/v1/customers", &json!({ "name": "Shop B" }), 201).await;
    let moved = admin.patch(&format!("/api/v1/customers/{}", id(&b)), &json!({ "group_id": gid }), 200).await;
    assert_eq!(moved["owner_partner_id"], pia_id.as_str(), "joining the group hands the customer to its partner");
    pia.get(&format!("/api/v1/customers/{}", id(&b)), 200).await;
    quin.get(&format!("/api/v1/customers/{}", id(&b)), 404).await;
    let listed = admin.get(&format!("/api/v1/customers?group_id={gid}"), 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(admin.get(&format!("/api/v1/customer-groups/{gid}"), 200).await["customer_count"], 2);

    // Partners neither see nor manage groups, nor put their customers in one.
    let r = pia.expect_with(Method::GET, "/api/v1/customer-groups", None, &[], 403).await;
    assert_problem(&r, 403, "forbidden", None);
    let r = pia
        .expect_with(
            Method::PATCH,
            &format!("/api/v1/customers/{}", id(&a)),
            Some(&json!({ "group_id": null })),
            &[],
            403,
        )
        .await;
    assert_problem(&r, 403, "forbidden", Some("group_id"));

    // Reassigning the group moves every customer in it.
    let g = admin.patch(&format!("/api/v1/customer-groups/{gid}"), &json!({ "partner_id": quin_id }), 200).await;
    assert_eq!(g["partner_id"], quin_id.as_str());
    for c in [&a, &b] {
        quin.get(&format!("/api/v1/customers/{}", id(c)), 200).await;
        pia.get(&format!("/api/v1/customers/{}", id(c)), 404).await;
        sys.wait_for_event_about("customers", "customer.reassigned", Some(&id(c))).await;
    }
    sys.wait_for_event_about("customers", "group.updated", Some(&gid)).await;

    // Unassigning leaves owners as they are; deleting takes customers out of the group.
    admin.patch(&format!("/api/v1/customer-groups/{gid}"), &json!({ "partner_id": null }), 200).await;
    quin.get(&format!("/api/v1/customers/{}", id(&a)), 200).await;
    admin.delete(&format!("/api/v1/customer-groups/{gid}"), 204).await;
    let a = quin.get(&format!("/api/v1/customers/{}", id(&a)), 200).await;
    assert_eq!(a["group_id"], Value::Null);
    admin.get(&format!("/api/v1/customer-groups/{gid}"), 404).await;
    assert_eq!(admin.get("/api/v1/customer-groups", 200).await["items"].as_array().unwrap().len(), 0);
    sys.stop().await;
}

/// CU7: with business approval on, business customers added by partners or registering through a
/// link wait in `pending_approval` until the merchant approves them and picks the partner. New
/// customers default to the program currency.
#[tokio::test]
async fn cu7_business_customers_wait_for_the_merchant_to_approve_and_pick_the_partner() {
    let sys = TestSystem::start().await;
    let pia = partner(&sys, "pia@demo.test").await;
    let quin = partner(&sys, "quin@demo.test").await;
    let quin_id = quin.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let admin = sys.demo_admin().await;
    admin
        .patch(
            "/api/v1/program",
            &json!({ "settings": { "business_customer_approval": true, "currency": "PLN" } }),
            200,
        )
        .await;

    let person = pia.post("/api/v1/customers", &json!({ "name": "Just a person" }), 201).await;
    assert_eq!(person["approval"], "active");
    assert_eq!(person["currency"], "PLN", "the program currency is the default");
    let biz =
        pia.post("/api/v1/customers", &json!({ "name": "Big Co", "is_business": true, "currency": "EUR" }), 201).await;
    assert_eq!(biz["approval"], "pending_approval");
    assert_eq!(biz["currency"], "EUR");
    let bid = id(&biz);
    // Nothing is sold to it before approval.
    let r = pia
        .expect_with(Method::POST, &format!("/api/v1/customers/{bid}/quick-order-link"), Some(&json!({})), &[], 409)
        .await;
    assert_problem(&r, 409, "customer_pending_approval", None);
    let r =
        pia.expect_with(Method::POST, &format!("/api/v1/customers/{bid}/approve"), Some(&json!({})), &[], 403).await;
    assert_problem(&r, 403, "forbidden", None);
    let mine = admin.post("/api/v1/customers", &json!({ "name": "Merchant's own Co", "is_business": true }), 201).await;
    assert_eq!(mine["approval"], "active", "the merchant approves what it adds");

    let registered = sys
        .client()
        .post(
            "/api/v1/programs/demo/customers",
            &json!({ "name": "Signed Up Ltd", "email": "ltd@x.test", "is_business": true, "vat_number": " PL123 " }),
            201,
        )
        .await;
    assert_eq!(registered["approval"], "pending_approval");
    assert_eq!(registered["currency"], "PLN");
    let rid = id(&registered);

    let queue = admin.get("/api/v1/customers?approval=pending_approval", 200).await;
    let ids: Vec<_> = queue["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, vec![rid.clone(), bid.clone()], "the approval queue, newest first");
    let r = admin.expect_with(Method::GET, "/api/v1/customers?approval=maybe", None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("approval"));

    // The registered one has no partner yet: the approver must pick one.
    let r =
        admin.expect_with(Method::POST, &format!("/api/v1/customers/{rid}/approve"), Some(&json!({})), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("owner_partner_id"));
    let ok =
        admin.post(&format!("/api/v1/customers/{rid}/approve"), &json!({ "owner_partner_id": quin_id }), 200).await;
    assert_eq!(ok["approval"], "active");
    assert_eq!(ok["owner_partner_id"], quin_id.as_str());
    quin.get(&format!("/api/v1/customers/{rid}"), 200).await;
    sys.wait_for_event_about("customers", "customer.approved", Some(&rid)).await;
    // Pia's keeps Pia when the approver does not pick another.
    let ok = admin.post(&format!("/api/v1/customers/{bid}/approve"), &json!({}), 200).await;
    assert_eq!(ok["approval"], "active");
    let r =
        admin.expect_with(Method::POST, &format!("/api/v1/customers/{bid}/approve"), Some(&json!({})), &[], 409).await;
    assert_problem(&r, 409, "not_pending", None);
    pia.post(&format!("/api/v1/customers/{bid}/quick-order-link"), &json!({}), 201).await;
    assert_eq!(
        admin.get("/api/v1/customers?approval=pending_approval", 200).await["items"].as_array().unwrap().len(),
        0
    );
    sys.stop().await;
}
