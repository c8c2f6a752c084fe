//! Attribution through the gateway: links, `/r/{code}` clicks and bindings (L1-L8, L10).

use std::time::Duration;

use e2e::{TestSystem, json};
use serde_json::Value;

/// A browser that does not follow redirects and keeps the visitor cookie it is given.
struct Visitor {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Visitor {
    fn new(sys: &TestSystem) -> Visitor {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Visitor { http, base: sys.url.clone(), cookie: None }
    }

    /// Opens `/r/{code}`; returns where it was sent.
    async fn open(&mut self, code: &str) -> String {
        let mut req = self.http.get(format!("{}/r/{code}", self.base)).header("user-agent", "e2e-browser");
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 302);
        if let Some(set) = r.headers().get("set-cookie") {
            let set = set.to_str().unwrap();
            assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
            assert!(self.cookie.is_none(), "the visitor cookie is set once");
            self.cookie = Some(set.split(';').next().unwrap().to_string());
        }
        r.headers()["location"].to_str().unwrap().to_string()
    }
}

async fn referral_code(sys: &TestSystem, email: &str) -> String {
    let c = sys.login(email, "demo-partner").await;
    for _ in 0..200 {
        let links = c.get("/api/v1/links", 200).await;
        if let Some(l) = links["items"].as_array().unwrap().iter().find(|l| l["kind"] == "referral") {
            assert_eq!(l["path"], format!("/r/{}", l["code"].as_str().unwrap()));
            return l["code"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{email} has no referral link");
}

/// Waits until the customer's binding satisfies `done`.
async fn binding_until(sys: &TestSystem, customer: &str, done: impl Fn(&Value) -> bool) -> Value {
    let admin = sys.demo_admin().await;
    let mut last = Value::Null;
    for _ in 0..200 {
        last = admin.get(&format!("/api/v1/customers/{customer}/binding"), 200).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the binding never got there: {last}");
}

fn day(n: i64) -> String {
    (chrono::DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z").unwrap() + chrono::Duration::days(n))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// L5, the seed's example end to end: protection 7 days; Ana's link binds on day 0; Bo's link on
/// day 2 changes nothing; Ana's link again on day 3; Bo's link on day 9 changes nothing; on day 11
/// Bo's link rebinds. Read back through the relationship query (L10).
#[tokio::test]
async fn l5_l10_the_seed_example_through_the_gateway() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    admin.patch("/api/v1/program", &json!({ "settings": { "protection_period_days": 7 } }), 200).await;
    // A partner approved after the change: once its link exists, attribution has read the change.
    admin
        .post(
            "/api/v1/partners",
            &json!({ "name": "Late", "email": "late@demo.test", "password": "demo-partner" }),
            201,
        )
        .await;
    referral_code(&sys, "late@demo.test").await;
    let ana = referral_code(&sys, "ana@demo.test").await;
    let bo = referral_code(&sys, "bo@demo.test").await;
    let ana_id = sys.login("ana@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"].clone();
    let bo_id = sys.login("bo@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"].clone();

    // Day 0: a visitor opens Ana's link, then registers in the shop.
    let mut v = Visitor::new(&sys);
    assert_eq!(v.open(&ana).await, "https://shop.example/");
    let cookie = v.cookie.clone().unwrap();
    let c = sys
        .client()
        .send(
            reqwest::Method::POST,
            "/api/v1/programs/demo/customers",
            Some(("application/json", &json!({ "name": "Walk-in", "email": "walkin@x.test" }).to_string())),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(c.status, 201);
    // CU1: an amount reads the same from every endpoint: no discount is "0.00", as elsewhere.
    assert_eq!(c.body["discount_percent"], "0.00", "{}", c.body);
    let customer = c.body["id"].as_str().unwrap().to_string();
    let b = binding_until(&sys, &customer, |b| b["partner_id"] == ana_id).await;
    assert_eq!(b["since"], day(0));
    assert_eq!(b["protected_until"], day(7));

    for (n, code) in [(2, &bo), (3, &ana), (9, &bo), (11, &bo)] {
        sys.clock.set(chrono::DateTime::parse_from_rfc3339(&day(n)).unwrap().to_utc());
        v.open(code).await;
    }
    let b = binding_until(&sys, &customer, |b| b["partner_id"] == bo_id).await;
    assert_eq!(b["since"], day(11));
    assert_eq!(b["protected_until"], day(18));
    let kinds: Vec<(String, String, String)> = b["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["kind"].as_str().unwrap().into(),
                h["partner_id"].as_str().unwrap().into(),
                h["at"].as_str().unwrap().into(),
            )
        })
        .collect();
    let (a, o) = (ana_id.as_str().unwrap().to_string(), bo_id.as_str().unwrap().to_string());
    assert_eq!(
        kinds,
        vec![
            ("bound".into(), a.clone(), day(0)),
            ("refreshed".into(), a.clone(), day(3)),
            ("rebound".into(), o.clone(), day(11)),
        ]
    );
    assert_eq!(b["history"][2]["from_partner_id"], ana_id);

    // L10: the clicks, per day and per link, for the dashboards.
    let clicks = sys
        .demo_admin()
        .await
        .get(&format!("/api/v1/partners/{}/clicks?from=2026-06-01&to=2026-06-30", bo_id.as_str().unwrap()), 200)
        .await;
    let days: Vec<(String, u64, u64)> = clicks["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["day"].as_str().unwrap().into(), d["clicks"].as_u64().unwrap(), d["bindings"].as_u64().unwrap()))
        .collect();
    assert_eq!(days, vec![("2026-06-03".into(), 1, 0), ("2026-06-10".into(), 1, 0), ("2026-06-12".into(), 1, 1)]);
    assert_eq!(clicks["total"], 3);
    assert_eq!(clicks["links"][0]["code"], bo.as_str());
    let bo_client = sys.login("bo@demo.test", "demo-partner").await;
    bo_client.get(&format!("/api/v1/partners/{}/clicks", ana_id.as_str().unwrap()), 404).await;

    // Unknown codes lead home and bind nobody; the cookie is not set twice.
    assert_eq!(v.open("nosuchcode1").await, "https://shop.example/");
    sys.stop().await;
}

/// L1, L8: share links have unguessable codes and check their target; a customer who registers
/// with a partner's referral code is bound to that partner.
#[tokio::test]
async fn l1_l8_share_links_and_registration_through_a_referral_code() {
    let sys = TestSystem::start().await;
    let code = referral_code(&sys, "ana@demo.test").await;
    assert!(code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()));
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].clone();
    let l =
        ana.post("/api/v1/links", &json!({ "target_url": "https://shop.example/p/pos-t1", "label": "T1" }), 201).await;
    assert_eq!(l["kind"], "share");
    assert_ne!(l["code"], code);
    let r = ana
        .expect_with(
            reqwest::Method::POST,
            "/api/v1/links",
            Some(&json!({ "target_url": "javascript:alert(1)" })),
            &[],
            422,
        )
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("target_url"));
    let mut v = Visitor::new(&sys);
    assert_eq!(v.open(l["code"].as_str().unwrap()).await, "https://shop.example/p/pos-t1");
    // L1: every link has a QR code, SVG and PNG, for its owner only.
    let lid = l["id"].as_str().unwrap();
    let svg = ana.send(reqwest::Method::GET, &format!("/api/v1/links/{lid}/qr.svg"), None, &[]).await;
    assert_eq!((svg.status, svg.headers["content-type"].to_str().unwrap()), (200, "image/svg+xml"));
    assert!(svg.body.as_str().unwrap().contains("<svg"));
    let png = ana.send(reqwest::Method::GET, &format!("/api/v1/links/{lid}/qr.png"), None, &[]).await;
    assert_eq!((png.status, png.headers["content-type"].to_str().unwrap()), (200, "image/png"));
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    bo.get(&format!("/api/v1/links/{lid}/qr.svg"), 404).await;

    let c = sys
        .client()
        .post(
            "/api/v1/programs/demo/customers",
            &json!({ "name": "Referred", "email": "ref@x.test", "referral_code": code }),
            201,
        )
        .await;
    let b = binding_until(&sys, c["id"].as_str().unwrap(), |b| b["partner_id"] == ana_id).await;
    assert_eq!(b["history"][0]["reason"], "registration");
    // L8: the customer is assigned to Ana (customers reads `customer.bound` with cause
    // `registration`): Ana sees it in her CRM and its binding; Bo sees neither.
    let cid = c["id"].as_str().unwrap();
    let admin = sys.demo_admin().await;
    let mut owner = Value::Null;
    for _ in 0..100 {
        owner = admin.get(&format!("/api/v1/customers/{cid}"), 200).await["owner_partner_id"].clone();
        if owner == ana_id {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(owner, ana_id, "the registered customer is Ana's");
    ana.get(&format!("/api/v1/customers/{cid}"), 200).await;
    ana.get(&format!("/api/v1/customers/{cid}/binding"), 200).await;
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    bo.get(&format!("/api/v1/customers/{cid}"), 404).await;
    bo.get(&format!("/api/v1/customers/{cid}/binding"), 404).await;
    sys.stop().await;
}

/// L9, L10, L11: `order.attributed` follows the precedence placed-by > coupon > binding > none,
/// carries the partner's parents (C7) and never goes to cash-on-delivery orders.
#[tokio::test]
async fn l9_l10_l11_orders_are_attributed_by_precedence_with_the_parent_chain() {
    use partnerline_proto::events::v1 as ev;
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let ana_id = sys.login("ana@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"].clone();
    let cy = sys.login("cy@demo.test", "demo-partner").await;
    let cy_id = cy.get("/api/v1/me", 200).await["partner"]["id"].clone();
    let code = referral_code(&sys, "cy@demo.test").await;
    let product = admin.get("/api/v1/products?q=POS-T1", 200).await["items"][0]["id"].clone();

    // A customer who came through Cy's link and registered.
    let c = sys
        .client()
        .post(
            "/api/v1/programs/demo/customers",
            &json!({ "name": "Via Cy", "email": "viacy@x.test", "referral_code": code }),
            201,
        )
        .await;
    let customer = c["id"].as_str().unwrap().to_string();
    binding_until(&sys, &customer, |b| b["partner_id"] == cy_id).await;
    let order = |method: &str| json!({ "customer_id": customer, "items": [{ "product_id": product, "quantity": 1 }], "payment_method": method });
    let bound = admin.post("/api/v1/orders", &order("card"), 201).await;
    let cod = admin.post("/api/v1/orders", &order("cash_on_delivery"), 201).await;

    let a: Vec<ev::OrderAttributed> =
        sys.events("attribution", "order.attributed", bound["order"]["id"].as_str().unwrap()).await;
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].reason.as_str(), a[0].partner_id.as_deref()), ("binding", cy_id.as_str()));
    assert_eq!(a[0].parent_chain, vec![ana_id.as_str().unwrap().to_string()], "Cy's parent is Ana");
    assert_eq!((a[0].attribution_version, a[0].order_version), (1, 1));
    // Orders follows the decision: Cy now sees the order it was attributed, with the reason.
    let oid = bound["order"]["id"].as_str().unwrap();
    let mut seen = Value::Null;
    for _ in 0..200 {
        let r = cy.send(reqwest::Method::GET, &format!("/api/v1/orders/{oid}"), None, &[]).await;
        if r.status == 200 {
            seen = r.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen["partner_id"], cy_id);
    assert_eq!(seen["attribution_reason"], "binding");
    let n: Vec<ev::OrderAttributed> =
        sys.events("attribution", "order.attributed", cod["order"]["id"].as_str().unwrap()).await;
    assert_eq!(
        (n[0].reason.as_str(), n[0].detail.as_str(), n[0].partner_id.as_deref()),
        ("none", "cash_on_delivery", None)
    );

    // Placed by Ana for her own customer: Ana, whoever the customer is bound to.
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let hers = &ana.get("/api/v1/customers", 200).await["items"][0];
    let placed = ana
        .post("/api/v1/orders", &json!({ "customer_id": hers["id"], "items": [{ "product_id": product, "quantity": 1 }], "payment_method": "card" }), 201)
        .await;
    let p: Vec<ev::OrderAttributed> =
        sys.events("attribution", "order.attributed", placed["order"]["id"].as_str().unwrap()).await;
    assert_eq!((p[0].reason.as_str(), p[0].partner_id.as_deref()), ("placed_by", ana_id.as_str()));
    assert!(p[0].parent_chain.is_empty());
    // With Ana's coupon, for Cy's customer: the coupon wins over the binding.
    let mut with_coupon = order("card");
    with_coupon["coupon_code"] = json!("ANA10");
    let coupon = admin.post("/api/v1/orders", &with_coupon, 201).await;
    let k: Vec<ev::OrderAttributed> =
        sys.events("attribution", "order.attributed", coupon["order"]["id"].as_str().unwrap()).await;
    assert_eq!((k[0].reason.as_str(), k[0].partner_id.as_deref()), ("coupon", ana_id.as_str()));
    sys.stop().await;
}

/// Waits until the order's attribution history has `n` versions (as the merchant sees it).
async fn history_until(sys: &TestSystem, order: &str, n: usize) -> Value {
    let admin = sys.demo_admin().await;
    for _ in 0..200 {
        let r = admin.send(reqwest::Method::GET, &format!("/api/v1/orders/{order}/attribution"), None, &[]).await;
        if r.status == 200 && r.body["history"].as_array().unwrap().len() >= n {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("order {order} never had {n} attribution versions");
}

/// X1: a merchant overrides with a written reason, a partner's claim is accepted or rejected;
/// every change is a new version on the order's history and a new `order.attributed`, and the
/// order follows.
#[tokio::test]
async fn x1_overrides_and_claims_are_audited_and_orders_follow() {
    use partnerline_proto::events::v1 as ev;
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let (ana_id, bo_id) = (
        ana.get("/api/v1/me", 200).await["partner"]["id"].clone(),
        bo.get("/api/v1/me", 200).await["partner"]["id"].clone(),
    );
    let customer = &bo.get("/api/v1/customers", 200).await["items"][0];
    let product = admin.get("/api/v1/products?q=SW-BASIC", 200).await["items"][0]["id"].clone();
    let placed = admin
        .post("/api/v1/orders", &json!({ "customer_id": customer["id"], "items": [{ "product_id": product, "quantity": 1 }], "payment_method": "card" }), 201)
        .await;
    let oid = placed["order"]["id"].as_str().unwrap().to_string();
    let h = history_until(&sys, &oid, 1).await;
    assert_eq!(
        (h["history"][0]["reason"].as_str(), h["history"][0]["partner_id"].clone()),
        (Some("binding"), bo_id.clone())
    );

    // The merchant gives it to Ana, saying why; Bo may not.
    let r = bo
        .expect_with(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{oid}/attribution/override"),
            Some(&json!({ "partner_id": ana_id, "reason": "mine" })),
            &[],
            403,
        )
        .await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let r = admin
        .expect_with(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{oid}/attribution/override"),
            Some(&json!({ "partner_id": ana_id, "reason": " " })),
            &[],
            422,
        )
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("reason"));
    let h = admin
        .post(
            &format!("/api/v1/orders/{oid}/attribution/override"),
            &json!({ "partner_id": ana_id, "reason": "Ana closed the deal by phone" }),
            200,
        )
        .await;
    assert_eq!(h["history"][1]["reason"], "override");
    assert_eq!(h["history"][1]["detail"], "Ana closed the deal by phone");
    let e: Vec<ev::OrderAttributed> = sys.events("attribution", "order.attributed", &oid).await;
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[1].attribution_version, e[1].reason.as_str(), e[1].partner_id.as_deref()),
        (2, "override", ana_id.as_str())
    );

    // Bo claims it back; the merchant first rejects a claim without a reason, then accepts.
    let r = ana
        .expect_with(
            reqwest::Method::POST,
            "/api/v1/attribution-claims",
            Some(&json!({ "order_id": oid, "message": "x" })),
            &[],
            409,
        )
        .await;
    e2e::assert_problem(&r, 409, "already_yours", None);
    let claim = bo
        .post(
            "/api/v1/attribution-claims",
            &json!({ "order_id": oid, "message": "The customer is mine since May" }),
            201,
        )
        .await;
    assert_eq!(claim["status"], "pending");
    bo.expect_with(
        reqwest::Method::POST,
        "/api/v1/attribution-claims",
        Some(&json!({ "order_id": oid, "message": "again" })),
        &[],
        409,
    )
    .await;
    assert_eq!(ana.get("/api/v1/attribution-claims", 200).await["items"].as_array().unwrap().len(), 0);
    assert_eq!(admin.get("/api/v1/attribution-claims?status=pending", 200).await["items"].as_array().unwrap().len(), 1);
    let cid = claim["id"].as_str().unwrap();
    let r = bo
        .expect_with(reqwest::Method::POST, &format!("/api/v1/attribution-claims/{cid}/accept"), None, &[], 403)
        .await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let r = admin
        .expect_with(
            reqwest::Method::POST,
            &format!("/api/v1/attribution-claims/{cid}/reject"),
            Some(&json!({ "reason": "" })),
            &[],
            422,
        )
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("reason"));
    let accepted = admin.post(&format!("/api/v1/attribution-claims/{cid}/accept"), &json!({}), 200).await;
    assert_eq!(accepted["status"], "accepted");
    admin.expect_with(reqwest::Method::POST, &format!("/api/v1/attribution-claims/{cid}/accept"), None, &[], 409).await;
    let h = history_until(&sys, &oid, 3).await;
    assert_eq!(
        (h["history"][2]["reason"].as_str(), h["history"][2]["partner_id"].clone()),
        (Some("claim"), bo_id.clone())
    );
    bo.get(&format!("/api/v1/orders/{oid}/attribution"), 200).await;
    // The order follows the last decision.
    for _ in 0..200 {
        let o = admin.get(&format!("/api/v1/orders/{oid}"), 200).await;
        if o["attribution_reason"] == "claim" {
            assert_eq!(o["partner_id"], bo_id);
            sys.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the order never followed the claim");
}

/// L1: posters print the merchant's design and a link of their own that is valid for 30 days;
/// after that the image is refused as expired, the link leads home and binds nobody, and the
/// partner is told to issue a new one.
#[tokio::test]
async fn l1_posters_carry_the_merchants_design_and_expire_after_30_days() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].clone();
    referral_code(&sys, "ana@demo.test").await;

    // The design: merchant admins only, every bad field named, nothing stored on a 422.
    let design =
        json!({ "background": "#6B2E1F", "text_color": "#FFF8E7", "headline": "Demo Coffee Co. — scan for 10% off" });
    let r = ana.expect_with(reqwest::Method::PUT, "/api/v1/poster-design", Some(&design), &[], 403).await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let bad = json!({ "background": "brown", "text_color": "#FFF8E7", "headline": "" });
    let r = admin.expect_with(reqwest::Method::PUT, "/api/v1/poster-design", Some(&bad), &[], 422).await;
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["background", "headline"]);
    assert_eq!(ana.get("/api/v1/poster-design", 200).await["background"], "#1F3A5F", "the default stays");
    admin.expect_with(reqwest::Method::PUT, "/api/v1/poster-design", Some(&design), &[], 200).await;

    // Ana issues a poster: a link of its own, valid 30 days, and a PNG in the merchant's colours.
    let p = ana.post("/api/v1/posters", &json!({}), 201).await;
    assert_eq!(p["partner_id"], ana_id);
    assert_eq!(p["expires_at"], day(30));
    assert_eq!((p["expired"].as_bool(), p["headline"].as_str()), (Some(false), design["headline"].as_str()));
    let image = p["image"].as_str().unwrap();
    let png = ana.send(reqwest::Method::GET, image, None, &[]).await;
    assert_eq!((png.status, png.headers["content-type"].to_str().unwrap()), (200, "image/png"));
    sys.login("bo@demo.test", "demo-partner").await.get(image, 404).await;
    assert_eq!(admin.send(reqwest::Method::GET, image, None, &[]).await.status, 200);
    let links = ana.get("/api/v1/links", 200).await;
    let link = links["items"].as_array().unwrap().iter().find(|l| l["code"] == p["code"]).unwrap().clone();
    assert_eq!((link["kind"].as_str(), link["expires_at"].as_str()), (Some("poster"), Some(day(30).as_str())));

    // Within the 30 days the poster's link binds.
    sys.clock.set(chrono::DateTime::parse_from_rfc3339(&day(29)).unwrap().to_utc());
    let mut v = Visitor::new(&sys);
    assert_eq!(v.open(p["code"].as_str().unwrap()).await, "https://shop.example/");
    let registered = |email: &'static str, cookie: String| {
        let sys = &sys;
        async move {
            let c = sys
                .client()
                .send(
                    reqwest::Method::POST,
                    "/api/v1/programs/demo/customers",
                    Some(("application/json", &json!({ "name": email, "email": email }).to_string())),
                    &[("cookie", &cookie)],
                )
                .await;
            assert_eq!(c.status, 201);
            c.body["id"].as_str().unwrap().to_string()
        }
    };
    let early = registered("early@x.test", v.cookie.clone().unwrap()).await;
    binding_until(&sys, &early, |b| b["partner_id"] == ana_id).await;

    // Day 30: expired. The image is refused with what to do; the list says so; the link binds nobody.
    sys.clock.set(chrono::DateTime::parse_from_rfc3339(&day(30)).unwrap().to_utc());
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let r = ana.expect_with(reqwest::Method::GET, image, None, &[], 409).await;
    e2e::assert_problem(&r, 409, "poster_expired", None);
    assert!(r.body["detail"].as_str().unwrap().contains("POST /api/v1/posters"), "{r:?}");
    let list = ana.get("/api/v1/posters", 200).await;
    assert_eq!((list["items"][0]["id"].clone(), list["items"][0]["expired"].clone()), (p["id"].clone(), json!(true)));
    let mut late = Visitor::new(&sys);
    assert_eq!(late.open(p["code"].as_str().unwrap()).await, "https://shop.example/");
    let too_late = registered("late@x.test", late.cookie.clone().unwrap()).await;
    // The click is recorded (and counted) but binds nobody.
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = ana
            .get(&format!("/api/v1/partners/{}/clicks?from=2026-07-01&to=2026-07-01", ana_id.as_str().unwrap()), 200)
            .await;
        if seen["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((seen["total"].clone(), seen["days"][0]["bindings"].clone()), (json!(1), json!(0)), "{seen}");
    let b = sys.demo_admin().await.get(&format!("/api/v1/customers/{too_late}/binding"), 200).await;
    assert_eq!(b["partner_id"], Value::Null);
    // A new poster works again.
    let fresh = ana.post("/api/v1/posters", &json!({ "target_url": "https://shop.example/p/pos-t1" }), 201).await;
    assert_eq!(fresh["expires_at"], day(60));
    assert_eq!(Visitor::new(&sys).open(fresh["code"].as_str().unwrap()).await, "https://shop.example/p/pos-t1");
    sys.stop().await;
}

/// X8: a customer who becomes a partner leaves its own binding; its orders are its own from then
/// on (nobody's while self-purchase is off), not its former partner's.
#[tokio::test]
async fn x8_a_customer_who_becomes_a_partner_leaves_its_binding() {
    use partnerline_proto::events::v1 as ev;
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let ana_id = sys.login("ana@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"].clone();
    let code = referral_code(&sys, "ana@demo.test").await;
    let c = sys
        .client()
        .post(
            "/api/v1/programs/demo/customers",
            &json!({ "name": "Dana", "email": "Dana@X.test", "referral_code": code }),
            201,
        )
        .await;
    let customer = c["id"].as_str().unwrap().to_string();
    binding_until(&sys, &customer, |b| b["partner_id"] == ana_id).await;

    // Dana joins the program as a partner (same email, any case).
    let dana = admin
        .post("/api/v1/partners", &json!({ "name": "Dana", "email": "dana@x.test", "password": "demo-partner" }), 201)
        .await;
    assert_eq!(dana["status"], "active");
    let b = binding_until(&sys, &customer, |b| b["partner_id"].is_null()).await;
    let last = b["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["reason"].as_str()), (Some("released"), Some("became_partner")));
    assert_eq!(last["partner_id"], ana_id);
    let released: Vec<ev::BindingChanged> = sys.events("attribution", "customer.released", &customer).await;
    assert_eq!(released[0].partner_id, ana_id.as_str().unwrap());

    // Her next order is her own: Ana earns nothing on it (self-purchase is off).
    let product = admin.get("/api/v1/products?q=POS-T1", 200).await["items"][0]["id"].clone();
    let order = json!({ "customer_id": customer, "items": [{ "product_id": product, "quantity": 1 }], "payment_method": "card" });
    let o = admin.post("/api/v1/orders", &order, 201).await;
    let a: Vec<ev::OrderAttributed> =
        sys.events("attribution", "order.attributed", o["order"]["id"].as_str().unwrap()).await;
    assert_eq!((a[0].reason.as_str(), a[0].detail.as_str(), a[0].partner_id.as_deref()), ("none", "own_order", None));
    sys.stop().await;
}

/// L2: `/r/{code}` answers 302 while PostgreSQL is stopped; the clicks wait in the gateway and are
/// written, every one, once the database is back.
#[tokio::test]
async fn l2_redirects_answer_while_postgres_is_stopped_and_the_clicks_are_written_later() {
    let sys = TestSystem::start_with(e2e::Options { db_proxy: true, ..Default::default() }).await;
    let code = referral_code(&sys, "ana@demo.test").await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let today = format!("/api/v1/partners/{ana_id}/clicks?from=2026-06-01&to=2026-06-01");
    // One click before: the gateway knows the code.
    assert_eq!(Visitor::new(&sys).open(&code).await, "https://shop.example/");

    let db = sys.db.as_ref().unwrap();
    db.stop();
    for _ in 0..25 {
        assert_eq!(Visitor::new(&sys).open(&code).await, "https://shop.example/");
    }
    // The database is really away: a request that needs it fails.
    let r = ana.send(reqwest::Method::GET, &today, None, &[]).await;
    assert!(r.status >= 500, "{r:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    db.start();

    let mut seen = Value::Null;
    for _ in 0..300 {
        let r = ana.send(reqwest::Method::GET, &today, None, &[]).await;
        if r.status == 200 {
            seen = r.body;
            if seen["total"] == 26 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen["total"], 26, "every click is written once the database is back: {seen}");
    // click.recorded is published per batch, counted per link.
    sys.wait_for_event("attribution", "click.recorded").await;
    sys.stop().await;
}

/// Ana's clicks and new bindings so far (today, by the system's clock), once `total` reaches
/// `at_least`.
async fn clicks_of(sys: &TestSystem, ana_id: &str, at_least: u64) -> (u64, u64) {
    let admin = sys.demo_admin().await;
    let day = sys.clock.now().date_naive();
    let path = format!("/api/v1/partners/{ana_id}/clicks?from={day}&to={day}");
    let mut last = Value::Null;
    for _ in 0..100 {
        last = admin.get(&path, 200).await;
        if last["total"].as_u64().unwrap_or(0) >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bindings = last["days"].as_array().unwrap().iter().map(|d| d["bindings"].as_u64().unwrap()).sum();
    (last["total"].as_u64().unwrap(), bindings)
}

/// Issue 17, 12: a signed-in partner (its bearer token) opening another partner's link is that
/// partner, not an anonymous visitor, so L6 applies: the click counts, nobody is bound.
#[tokio::test]
async fn s17_12_l6_a_signed_in_partner_on_another_partners_link_binds_nothing() {
    let sys = TestSystem::start().await;
    let code = referral_code(&sys, "ana@demo.test").await;
    let ana_id = sys.login("ana@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let (total, bindings) = clicks_of(&sys, &ana_id, 0).await;

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(format!("{}/r/{code}", sys.url)).bearer_auth(bo.token.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(clicks_of(&sys, &ana_id, total + 1).await, (total + 1, bindings), "Bo's click binds no one (L6)");

    Visitor::new(&sys).open(&code).await;
    assert_eq!(clicks_of(&sys, &ana_id, total + 2).await, (total + 2, bindings + 1), "a visitor's click binds");
    sys.stop().await;
}

/// Issue 17, 8: one client past its clicks per minute is still redirected, but its further clicks
/// that minute do not count; the next minute they count again.
#[tokio::test]
async fn s17_8_l2_a_client_past_its_clicks_per_minute_stops_counting() {
    let sys = TestSystem::start().await;
    let code = referral_code(&sys, "ana@demo.test").await;
    let ana_id = sys.login("ana@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (total, _) = clicks_of(&sys, &ana_id, 0).await;
    // Every request of this test comes from 127.0.0.1; the default is 60 a minute.
    for _ in 0..70 {
        assert_eq!(Visitor::new(&sys).open(&code).await, "https://shop.example/");
    }
    assert_eq!(clicks_of(&sys, &ana_id, total + 60).await.0, total + 60);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(clicks_of(&sys, &ana_id, total + 60).await.0, total + 60, "the ten past the limit never count");
    sys.client().post("/api/v1/_test/clock", &json!({ "advance_seconds": 60 }), 200).await;
    Visitor::new(&sys).open(&code).await;
    assert_eq!(clicks_of(&sys, &ana_id, total + 61).await.0, total + 61, "a new minute counts again");
    sys.stop().await;
}
