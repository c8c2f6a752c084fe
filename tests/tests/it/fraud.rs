//! Fraud signals (X4) through the gateway: self-referrals and click spam flag a commission,
//! which then waits for the merchant's decision instead of maturing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e::{Client, TestSystem, json, referral_code, until};
use reqwest::Method;
use serde_json::Value;

/// Opens `/r/{code}` (as `bearer`'s partner when given) and returns the visitor cookie.
async fn click(sys: &TestSystem, code: &str, bearer: Option<&str>) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = http.get(format!("{}/r/{code}", sys.url));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 302);
    r.headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string())
        .unwrap_or_default()
}

/// Imports a paid order of 100.00 placed by `partner` for a walk-in customer with `email`.
async fn order(admin: &Client, ext: &str, partner: &str, email: &str) -> String {
    let o = json!({
        "external_id": ext, "customer": { "name": "Walk In", "email": email, "language": "en" },
        "items": [{ "sku": "FRD-100", "quantity": 1 }], "payment_method": "card", "status": "paid",
        "shipping": "0", "tax_rate": "0", "placed_by_partner_id": partner,
    });
    let r = admin.post("/api/v1/orders/import", &json!({ "orders": [o] }), 200).await;
    assert_eq!(r["created"], 1, "{r}");
    r["items"][0]["order_id"].as_str().unwrap().to_string()
}

async fn complete(admin: &Client, ext: &str) {
    let o = json!({ "orders": [{ "external_id": ext, "status": "completed" }] });
    assert_eq!(admin.post("/api/v1/orders/import", &o, 200).await["updated"], 1);
}

async fn line(c: &Client, order: &str) -> Value {
    let l = until(c, &format!("/api/v1/commissions?order_id={order}"), |l| {
        l["items"].as_array().is_some_and(|i| !i.is_empty())
    })
    .await;
    l["items"][0].clone()
}

/// The open flag of `order`, once the merchant's queue has it.
async fn flag(admin: &Client, order: &str) -> Value {
    let q =
        until(admin, "/api/v1/fraud-flags", |q| q["items"].as_array().unwrap().iter().any(|f| f["order_id"] == order))
            .await;
    q["items"].as_array().unwrap().iter().find(|f| f["order_id"] == order).unwrap().clone()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// X4: an order placed by a partner for "a customer" whose email is its own (with a +tag), and an
/// order from a customer who clicked from the partner's own IP, are flagged; after the hold the
/// flagged commission is still held while an unflagged one matures; the merchant's release makes
/// it available, a reject voids it; the partner sees that an order is under review, not why; the
/// ledger stays sound throughout.
#[tokio::test]
async fn x4_self_referrals_hold_the_commission_until_the_merchant_decides() {
    let sys = TestSystem::start().await;
    sys.clock.set(at("2026-06-01T09:00:00Z"));
    let admin = sys.demo_admin().await;
    let pia = json!({ "name": "Pia Fraud", "email": "pia.fraud@demo.test", "password": "demo-partner", "trust_level": "trusted" });
    let pia_id = admin.post("/api/v1/partners", &pia, 201).await["id"].as_str().unwrap().to_string();
    let pia = sys.login("pia.fraud@demo.test", "demo-partner").await;
    let p = json!({ "sku": "FRD-100", "name": "Fraud press", "base_price": "100.00", "kind": "physical" });
    let product = admin.post("/api/v1/products", &p, 201).await["id"].as_str().unwrap().to_string();

    // The email is the partner's own, whatever its case and +tag; the control order's is not.
    let own = order(&admin, "frd-own", &pia_id, "Pia.Fraud+shop@Demo.test").await;
    let rejected = order(&admin, "frd-rej", &pia_id, "pia.fraud@demo.test").await;
    let clean = order(&admin, "frd-clean", &pia_id, "carl@x.test").await;
    let f = flag(&admin, &own).await;
    assert_eq!((f["status"].as_str(), f["partner_id"].as_str()), (Some("open"), Some(pia_id.as_str())), "{f}");
    assert_eq!(
        (f["signals"][0]["kind"].as_str(), f["signals"][0]["evidence"]["matched"].as_str()),
        (Some("self_referral"), Some("email"))
    );
    assert_eq!((f["amount"].as_str(), f["currency"].as_str()), (Some("10.00"), Some("EUR")), "{f}");
    flag(&admin, &rejected).await;
    sys.wait_for_event_about("commissions", "commission.flagged", Some(&own)).await;
    let l = line(&pia, &own).await;
    assert_eq!((l["state"].as_str(), l["reason"].as_str()), (Some("pending"), Some("under_review")), "{l}");
    assert_eq!(line(&pia, &clean).await["reason"], "");
    // The partner sees that its order is under review, never the evidence.
    let mine = pia.get("/api/v1/fraud-flags", 200).await;
    let seen = mine["items"].as_array().unwrap().iter().find(|x| x["order_id"] == own.as_str()).unwrap().clone();
    assert!(seen["signals"].as_array().unwrap().is_empty() && seen["note"] == "", "{seen}");
    assert!(!mine.to_string().contains("self_referral"), "{mine}");

    // A customer whose click came from the IP hash Pia clicked her own link from.
    let code = referral_code(&pia).await;
    click(&sys, &code, Some(pia.token.as_deref().unwrap())).await;
    let cookie = click(&sys, &code, None).await;
    let body = json!({ "name": "Ivy Same-Desk", "email": "ivy@x.test" }).to_string();
    let r = sys
        .client()
        .send(
            Method::POST,
            "/api/v1/programs/demo/customers",
            Some(("application/json", &body)),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ivy = r.body["id"].as_str().unwrap().to_string();
    until(&admin, &format!("/api/v1/customers/{ivy}/binding"), |b| b["partner_id"] == pia_id.as_str()).await;
    let placed = json!({ "customer_id": ivy, "items": [{ "product_id": product, "quantity": 1 }], "payment_method": "card", "paid": true });
    let by_ip = admin.post("/api/v1/orders", &placed, 201).await["order"]["id"].as_str().unwrap().to_string();
    let f = flag(&admin, &by_ip).await;
    assert_eq!(f["signals"][0]["evidence"]["matched"], "ip_hash", "{f}");
    assert!(!f.to_string().contains("127.0.0.1"), "never the raw IP: {f}");

    // Completed, then past the 4-week hold: the clean commission matures, the flagged one waits.
    for ext in ["frd-own", "frd-rej", "frd-clean"] {
        complete(&admin, ext).await;
    }
    until(&pia, &format!("/api/v1/commissions?order_id={own}"), |l| l["items"][0]["state"] == "held").await;
    until(&pia, &format!("/api/v1/commissions?order_id={clean}"), |l| l["items"][0]["state"] == "held").await;
    sys.clock.set(at("2026-07-01T09:00:00Z"));
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia.fraud@demo.test", "demo-partner").await);
    until(&pia, &format!("/api/v1/commissions?order_id={clean}"), |l| l["items"][0]["state"] == "available").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let l = line(&pia, &own).await;
    assert_eq!(
        (l["state"].as_str(), l["reason"].as_str(), l["hold_until"].as_str()),
        (Some("held"), Some("under_review"), None),
        "{l}"
    );
    let b = pia.get("/api/v1/balances", 200).await["items"][0].clone();
    assert_eq!((b["held"].as_str(), b["available"].as_str()), (Some("20.00"), Some("10.00")), "{b}");

    // Decisions: merchant admins only, with a reason, once.
    let decide = |order: &str| format!("/api/v1/fraud-flags/{order}/decision");
    let r = pia
        .expect_with(Method::POST, &decide(&own), Some(&json!({ "decision": "release", "note": "mine" })), &[], 403)
        .await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let r = admin
        .expect_with(Method::POST, &decide(&own), Some(&json!({ "decision": "release", "note": " " })), &[], 422)
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("note"));
    let r = admin
        .expect_with(Method::POST, &decide(&own), Some(&json!({ "decision": "maybe", "note": "hm" })), &[], 422)
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("decision"));
    assert_eq!(line(&pia, &own).await["state"], "held", "a refused decision changes nothing");

    let released =
        admin.post(&decide(&own), &json!({ "decision": "release", "note": "her shop's address, checked" }), 200).await;
    assert_eq!(
        (released["status"].as_str(), released["note"].as_str()),
        (Some("released"), Some("her shop's address, checked"))
    );
    let l =
        until(&pia, &format!("/api/v1/commissions?order_id={own}"), |l| l["items"][0]["state"] == "available").await;
    assert_eq!(l["items"][0]["reason"], "");
    let r = admin
        .expect_with(Method::POST, &decide(&own), Some(&json!({ "decision": "reject", "note": "late" })), &[], 409)
        .await;
    e2e::assert_problem(&r, 409, "flag_decided", None);

    admin.post(&decide(&rejected), &json!({ "decision": "reject", "note": "her own purchase" }), 200).await;
    let l =
        until(&pia, &format!("/api/v1/commissions?order_id={rejected}"), |l| l["items"][0]["state"] == "void").await;
    let l = &l["items"][0];
    assert_eq!(l["reason"], "fraud_rejected", "{l}");
    assert!(l["amount"].as_str().unwrap().parse::<f64>().unwrap() == 0.0, "voided: {l}");
    sys.wait_for_event_about("commissions", "commission.flag_decided", Some(&rejected)).await;
    let b = pia.get("/api/v1/balances", 200).await["items"][0].clone();
    assert_eq!((b["held"].as_str(), b["available"].as_str()), (Some("0.00"), Some("20.00")), "{b}");
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);
    let decided = admin.get("/api/v1/fraud-flags?status=rejected", 200).await;
    assert_eq!(decided["items"][0]["order_id"], rejected.as_str(), "{decided}");
    let r = admin.send(Method::GET, "/api/v1/fraud-flags?status=maybe", None, &[]).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("status"));
    sys.stop().await;
}

/// X4: 25 clicks from one IP hash within an hour on a partner's links flag its next commission
/// (one burst, one flag); with every signal off nothing is flagged.
#[tokio::test]
async fn x4_click_spam_flags_the_next_commission_and_signals_switch_off() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let sam = json!({ "name": "Sam Spam", "email": "sam.spam@demo.test", "password": "demo-partner" });
    let sam_id = admin.post("/api/v1/partners", &sam, 201).await["id"].as_str().unwrap().to_string();
    let sam = sys.login("sam.spam@demo.test", "demo-partner").await;
    let p = json!({ "sku": "FRD-100", "name": "Fraud press", "base_price": "100.00", "kind": "physical" });
    admin.post("/api/v1/products", &p, 201).await;
    let code = referral_code(&sam).await;

    // 20 clicks in the hour is no burst; the 21st makes one.
    for _ in 0..20 {
        click(&sys, &code, None).await;
    }
    let calm = order(&admin, "spam-0", &sam_id, "a@x.test").await;
    line(&admin, &calm).await;
    for _ in 0..5 {
        click(&sys, &code, None).await;
    }
    // Clicks reach attribution in the gateway's batches: wait until all 25 are written.
    let today = format!("/api/v1/partners/{sam_id}/clicks?from=2026-06-01&to=2026-06-01");
    until(&sam, &today, |c| c["total"] == 25).await;
    let next = order(&admin, "spam-1", &sam_id, "b@x.test").await;
    let after = order(&admin, "spam-2", &sam_id, "c@x.test").await;
    let f = flag(&admin, &next).await;
    assert_eq!(f["signals"][0]["kind"], "click_spam", "{f}");
    assert_eq!(
        (f["signals"][0]["evidence"]["clicks"].as_str(), f["signals"][0]["evidence"]["window_minutes"].as_str()),
        (Some("25"), Some("60"))
    );
    let lines = [line(&admin, &calm).await, line(&admin, &after).await];
    assert!(lines.iter().all(|l| l["reason"] == ""), "before the burst, and after its flag: {lines:?}");
    let open = admin.get(&format!("/api/v1/fraud-flags?partner_id={sam_id}"), 200).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "one burst, one flag: {open}");

    // Signals off: the same burst and a self-referral flag nothing. A bad threshold is refused.
    let r = admin
        .expect_with(
            Method::PATCH,
            "/api/v1/program",
            Some(&json!({ "settings": { "fraud_click_spam_clicks": 1 } })),
            &[],
            422,
        )
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("settings.fraud_click_spam_clicks"));
    let off = json!({ "settings": { "fraud_self_referral": false, "fraud_click_spam": false, "fraud_customer_burst": false } });
    let s = admin.patch("/api/v1/program", &off, 200).await;
    assert_eq!(
        (s["settings"]["fraud_self_referral"].as_bool(), s["settings"]["fraud_click_spam_clicks"].as_u64()),
        (Some(false), Some(20))
    );
    sys.wait_for_event("identity", "program.updated").await;
    // Attribution reads program.updated in its own consumer; give it the moment it takes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for _ in 0..25 {
        click(&sys, &code, None).await;
    }
    until(&sam, &today, |c| c["total"] == 50).await;
    let quiet = [
        order(&admin, "spam-3", &sam_id, "d@x.test").await,
        order(&admin, "spam-4", &sam_id, "sam.spam@demo.test").await,
    ];
    for o in &quiet {
        assert_eq!(line(&admin, o).await["reason"], "", "signals off: {o}");
    }
    let open = admin.get(&format!("/api/v1/fraud-flags?partner_id={sam_id}"), 200).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
    sys.stop().await;
}

/// X4, C10, C9: a flag that arrives after the commission matured (a late `order.attributed`)
/// claws nothing back, but that money waits for the merchant: a payout request of it is refused,
/// one of the rest goes through, and the release makes it payable again.
#[tokio::test]
async fn x4_c10_a_flag_after_the_money_matured_holds_that_much_of_the_next_payout() {
    let sys = TestSystem::start().await;
    sys.clock.set(at("2026-06-01T09:00:00Z"));
    let admin = sys.demo_admin().await;
    admin.patch("/api/v1/program", &json!({ "settings": { "minimum_payout": "5" } }), 200).await;
    let rex = json!({ "name": "Rex Late", "email": "rex.late@demo.test", "password": "demo-partner", "trust_level": "trusted" });
    let rex_id = admin.post("/api/v1/partners", &rex, 201).await["id"].as_str().unwrap().to_string();
    let p = json!({ "sku": "FRD-100", "name": "Fraud press", "base_price": "100.00", "kind": "physical" });
    admin.post("/api/v1/products", &p, 201).await;
    let late = order(&admin, "late-1", &rex_id, "dora@x.test").await;
    let clean = order(&admin, "late-2", &rex_id, "eli@x.test").await;
    for ext in ["late-1", "late-2"] {
        complete(&admin, ext).await;
    }
    let rex = sys.login("rex.late@demo.test", "demo-partner").await;
    until(&rex, &format!("/api/v1/commissions?order_id={late}"), |l| l["items"][0]["state"] == "held").await;
    sys.clock.set(at("2026-07-01T09:00:00Z"));
    let (admin, rex) = (sys.demo_admin().await, sys.login("rex.late@demo.test", "demo-partner").await);
    for o in [&late, &clean] {
        until(&rex, &format!("/api/v1/commissions?order_id={o}"), |l| l["items"][0]["state"] == "available").await;
    }

    // The order's attribution arrives again, late, with a signal.
    let mut attributed: Vec<partnerline_proto::events::v1::OrderAttributed> =
        sys.events("attribution", "order.attributed", &late).await;
    let mut m = attributed.remove(0);
    m.signals = vec![partnerline_proto::events::v1::FraudSignal {
        kind: "self_referral".into(),
        evidence: [("matched".to_string(), "email".to_string())].into_iter().collect(),
    }];
    let tenant = m.tenant_id.clone();
    sys.publish(("attribution", "order", "attributed"), &tenant, &late, &m).await;
    let f = flag(&admin, &late).await;
    assert_eq!((f["status"].as_str(), f["amount"].as_str()), (Some("open"), Some("10.00")), "{f}");
    let l = line(&rex, &late).await;
    assert_eq!(l["state"], "available", "a late suspicion claws nothing back: {l}");
    let b = rex.get("/api/v1/balances", 200).await["items"][0].clone();
    assert_eq!(b["available"], "20.00", "{b}");

    // All of it: refused, naming what waits; nothing is created. The rest: paid out.
    let r = rex.expect_with(Method::POST, "/api/v1/payouts", Some(&json!({ "amount": "20.00" })), &[], 422).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("amount"));
    assert!(r.body.to_string().contains("10.00 EUR waits for the merchant's review"), "{:?}", r.body);
    assert_eq!(rex.get("/api/v1/payouts", 200).await["items"], json!([]));
    let p = rex.post("/api/v1/payouts", &json!({}), 201).await;
    assert_eq!(p["amount"], "10.00", "what is not under review: {p}");
    let id = p["id"].as_str().unwrap();
    admin
        .post(&format!("/api/v1/payouts/{id}/mark-paid"), &json!({ "method": "bank", "reference": "LATE-1" }), 200)
        .await;
    let r = rex.expect_with(Method::POST, "/api/v1/payouts", Some(&json!({})), &[], 422).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("amount"));

    // Released: the money is payable again.
    let decide = format!("/api/v1/fraud-flags/{late}/decision");
    admin.post(&decide, &json!({ "decision": "release", "note": "a neighbour's order, checked" }), 200).await;
    let p = rex.post("/api/v1/payouts", &json!({}), 201).await;
    assert_eq!(p["amount"], "10.00", "{p}");
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);
    sys.stop().await;
}

/// Imports a paid order of 100.00 for the known customer `customer`, placed by `partner` if any.
async fn order_of(admin: &Client, ext: &str, customer: &str, partner: Option<&str>) -> String {
    let mut o = json!({
        "external_id": ext, "customer": { "id": customer, "name": "Known", "email": "", "language": "en" },
        "items": [{ "sku": "FRD-100", "quantity": 1 }], "payment_method": "card", "status": "paid",
        "shipping": "0", "tax_rate": "0",
    });
    if let Some(p) = partner {
        o["placed_by_partner_id"] = json!(p);
    }
    let r = admin.post("/api/v1/orders/import", &json!({ "orders": [o] }), 200).await;
    assert_eq!(r["created"], 1, "{r}");
    r["items"][0]["order_id"].as_str().unwrap().to_string()
}

/// A customer the merchant adds, once attribution keeps its phone and name.
async fn known_customer(admin: &Client, name: &str, email: &str, phone: &str) -> String {
    let c = admin.post("/api/v1/customers", &json!({ "name": name, "email": email, "phone": phone }), 201).await;
    let id = c["id"].as_str().unwrap().to_string();
    until(admin, &format!("/api/v1/customers/{id}/export"), |d| d["attribution"]["contact"]["name"] == name).await;
    id
}

/// The kinds and matched fields of an order's open flag.
async fn matched(admin: &Client, order: &str) -> Vec<(String, String)> {
    let f = flag(admin, order).await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    f["signals"].as_array().unwrap().iter().map(|s| (text(&s["kind"]), text(&s["evidence"]["matched"]))).collect()
}

/// X4: self-referral beyond the email: the customer's phone is the partner's (written another
/// way), the customer's email is the partner's PayPal, the customer's name is the holder of the
/// partner's bank account. And a burst of new customers: three signing up for one partner from one
/// IP hash within a day flag their commissions, one from another address does not; the evidence
/// names the count, never the address; the export shows the sign-up's hash and erasure removes it.
#[tokio::test]
async fn x4_phone_payout_details_and_a_burst_of_new_customers_flag_the_commission() {
    // The test's requests come through a proxy on 127.0.0.1 that names each client (s17_4).
    let sections = vec![("gateway", json!({ "trusted_proxies": ["127.0.0.1/32"] }))];
    let sys = TestSystem::start_with(e2e::Options { sections, ..e2e::Options::default() }).await;
    let admin = sys.demo_admin().await;
    let p = json!({ "sku": "FRD-100", "name": "Fraud press", "base_price": "100.00", "kind": "physical" });
    admin.post("/api/v1/products", &p, 201).await;
    let paypal = json!({ "kind": "paypal", "fields": { "email": "Pia.Pays@pp.test" } });
    let pia = json!({ "name": "Pia Phone", "email": "pia.x4@demo.test", "phone": "+39 333 123 4567",
        "password": "demo-partner", "payout_method": paypal });
    let pia_id = admin.post("/api/v1/partners", &pia, 201).await["id"].as_str().unwrap().to_string();
    let bank = json!({ "kind": "bank", "fields": { "iban": "IT60 X054 2811 1010 0000 0123 456", "account_holder": "Bo Banca" } });
    let bo = json!({ "name": "Bo", "email": "bo.x4@demo.test", "password": "demo-partner", "payout_method": bank });
    let bo_id = admin.post("/api/v1/partners", &bo, 201).await["id"].as_str().unwrap().to_string();
    // Their referral links come with attribution's copy of them (phone and payout details).
    let pia_code = referral_code(&sys.login("pia.x4@demo.test", "demo-partner").await).await;
    referral_code(&sys.login("bo.x4@demo.test", "demo-partner").await).await;

    let carla = known_customer(&admin, "Carla Phone", "carla@x.test", "333-1234567").await;
    let by_phone = order_of(&admin, "x4-phone", &carla, Some(&pia_id)).await;
    assert_eq!(matched(&admin, &by_phone).await, [("self_referral".into(), "phone".into())]);
    let by_paypal = order(&admin, "x4-paypal", &pia_id, "pia.pays+shop@PP.test").await;
    assert_eq!(matched(&admin, &by_paypal).await, [("self_referral".into(), "payout_email".into())]);
    let holder = known_customer(&admin, "banca  BO", "bb@x.test", "").await;
    let by_holder = order_of(&admin, "x4-holder", &holder, Some(&bo_id)).await;
    assert_eq!(matched(&admin, &by_holder).await, [("self_referral".into(), "payout_account_holder".into())]);
    let dan = known_customer(&admin, "Dan Other", "dan@x.test", "+39 333 123 4568").await;
    let clean = order_of(&admin, "x4-clean", &dan, Some(&pia_id)).await;
    assert_eq!(line(&admin, &clean).await["reason"], "", "another phone, name and email");

    // Three sign-ups through Pia's link from one address within the day, one from another.
    let register = |n: u32, from: &'static str| {
        let (sys, code) = (&sys, pia_code.clone());
        async move {
            let body = json!({ "name": format!("New {n}"), "email": format!("new{n}@x.test"), "referral_code": code });
            let r = sys
                .client()
                .send(
                    Method::POST,
                    "/api/v1/programs/demo/customers",
                    Some(("application/json", body.to_string().as_str())),
                    &[("x-forwarded-for", from)],
                )
                .await;
            assert_eq!(r.status, 201, "{r:?}");
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let mut new = Vec::new();
    for (n, from) in [(1, "198.51.100.7"), (2, "198.51.100.7"), (3, "198.51.100.7"), (4, "198.51.100.8")] {
        let id = register(n, from).await;
        until(&admin, &format!("/api/v1/customers/{id}/binding"), |b| b["partner_id"] == pia_id.as_str()).await;
        new.push(id);
    }
    let burst = order_of(&admin, "x4-burst", &new[0], None).await;
    let f = flag(&admin, &burst).await;
    let s = &f["signals"][0];
    assert_eq!(s["kind"], "customer_burst", "{f}");
    assert_eq!(
        (s["evidence"]["customers"].as_str(), s["evidence"]["window_minutes"].as_str()),
        (Some("3"), Some("1440"))
    );
    assert!(!f.to_string().contains("198.51.100"), "never the raw IP: {f}");
    let apart = order_of(&admin, "x4-apart", &new[3], None).await;
    assert_eq!(line(&admin, &apart).await["reason"], "", "alone at its address");

    // The export shows the sign-up as its hash; erasure takes it with the contact copy.
    let export = format!("/api/v1/customers/{}/export", new[0]);
    let doc = admin.get(&export, 200).await;
    let hash = doc["attribution"]["sign_up"]["ip_hash"].as_str().unwrap().to_string();
    assert!(hash.len() == 64 && !doc.to_string().contains("198.51.100"), "{doc}");
    admin.post(&format!("/api/v1/customers/{}/erase", new[0]), &json!({ "confirm": "New 1" }), 200).await;
    let doc = until(&admin, &export, |d| d["attribution"]["sign_up"].is_null()).await;
    assert!(doc["attribution"]["contact"].is_null() && !doc.to_string().contains(&hash), "{doc}");

    // A threshold out of range is refused, naming the field; the defaults are as documented.
    let bad = json!({ "settings": { "fraud_customer_burst_customers": 1 } });
    let r = admin.expect_with(Method::PATCH, "/api/v1/program", Some(&bad), &[], 422).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("settings.fraud_customer_burst_customers"));
    let program = admin.get("/api/v1/program", 200).await;
    let s = &program["settings"];
    assert_eq!(
        (s["fraud_customer_burst"].as_bool(), s["fraud_customer_burst_window_minutes"].as_u64()),
        (Some(true), Some(1440))
    );
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);
    sys.stop().await;
}
