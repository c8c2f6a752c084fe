//! Commissions through the gateway: the whole money path (C1-C5, C10, C11, X5), read back
//! through the REST API, with the manual clock.

use std::time::Duration;

use e2e::{Client, TestSystem, json};
use serde_json::Value;

/// A browser that does not follow redirects and keeps the visitor cookie it is given.
async fn visit(sys: &TestSystem, code: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(format!("{}/r/{code}", sys.url)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn referral_code(partner: &Client) -> String {
    for _ in 0..200 {
        let links = partner.get("/api/v1/links", 200).await;
        if let Some(l) = links["items"].as_array().unwrap().iter().find(|l| l["kind"] == "referral") {
            return l["code"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no referral link");
}

/// Polls `path` until `done` holds, and returns the last body.
async fn until(c: &Client, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = c.get(path, 200).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never got there: {last}");
}

fn at_day(n: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z").unwrap().to_utc() + chrono::Duration::days(n)
}

/// The seed's money path: a click on a partner's link; the customer orders (subtotal 100.00,
/// shipping 10.00, tax 22.00) and pays; a partial refund of 20.00 with no item returned; the
/// order completes; with a 4-week hold (a trusted partner) and a 14-day return window, after 27
/// days the commission is held, after 28 available at the 10% default = 8.00; the partner
/// requests a payout; the merchant marks it paid; a later refund claws back and her available
/// balance goes negative. (`ana` below is that partner, Mia.)
#[tokio::test]
async fn c2_c3_c4_c5_c10_c11_the_whole_money_path_through_the_gateway() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    // A partner of her own, so the demo's orders do not mix in: trusted, so a 4-week hold.
    let mia =
        json!({ "name": "Mia Keller", "email": "mia@demo.test", "password": "demo-partner", "trust_level": "trusted" });
    let ana_id = admin.post("/api/v1/partners", &mia, 201).await["id"].as_str().unwrap().to_string();
    let ana = sys.login("mia@demo.test", "demo-partner").await;
    let product = admin
        .post(
            "/api/v1/products",
            &json!({ "sku": "MONEY-100", "name": "Espresso machine", "base_price": "100.00", "kind": "physical", "category": "machines" }),
            201,
        )
        .await;

    // Day 0: a visitor comes through Ana's link and registers.
    let cookie = visit(&sys, &referral_code(&ana).await).await;
    let c = sys
        .client()
        .send(
            reqwest::Method::POST,
            "/api/v1/programs/demo/customers",
            Some(("application/json", &json!({ "name": "Money Path", "email": "money@x.test" }).to_string())),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(c.status, 201);
    let customer = c.body["id"].as_str().unwrap().to_string();
    until(&admin, &format!("/api/v1/customers/{customer}/binding"), |b| b["partner_id"] == ana_id.as_str()).await;

    // The order: 100.00 + 10.00 shipping + 20% tax on both = 22.00; 132.00 paid.
    let placed = admin
        .post(
            "/api/v1/orders",
            &json!({ "customer_id": customer, "items": [{ "product_id": product["id"], "quantity": 1 }],
                     "payment_method": "card", "paid": true, "shipping": "10.00", "tax_rate": "20" }),
            201,
        )
        .await;
    let order = placed["order"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        (placed["order"]["subtotal"].as_str(), placed["order"]["tax"].as_str(), placed["order"]["total"].as_str()),
        (Some("100.00"), Some("22.00"), Some("132.00"))
    );
    let lines = format!("/api/v1/commissions?order_id={order}");
    let l = until(&admin, &lines, |l| l["items"][0]["amount"] == "10.00").await;
    assert_eq!(
        (l["items"][0]["state"].as_str(), l["items"][0]["partner_id"].as_str()),
        (Some("pending"), Some(ana_id.as_str()))
    );
    assert_eq!(l["items"][0]["source"], "default");
    let balance = |c: &Client| {
        let c = c.clone();
        async move { c.get("/api/v1/balances", 200).await["items"][0].clone() }
    };
    assert_eq!(balance(&ana).await["pending"], "10.00");

    // C4: a partial refund of 20.00 (no item back) recomputes: (132 − 10 − 22 − 20) × 10% = 8.00.
    admin
        .post(&format!("/api/v1/orders/{order}/refunds"), &json!({ "amount": "20.00", "reason": "scratch" }), 201)
        .await;
    until(&admin, &lines, |l| l["items"][0]["amount"] == "8.00").await;
    for status in ["confirmed", "in_production", "shipped", "completed"] {
        admin.post(&format!("/api/v1/orders/{order}/status"), &json!({ "status": status }), 200).await;
    }
    let l = until(&admin, &lines, |l| l["items"][0]["state"] == "held").await;
    assert_eq!(l["items"][0]["hold_until"], "2026-06-29T09:00:00.000Z", "4 weeks for a trusted partner (C3, X5)");

    // Day 27: still held. Day 28: available.
    sys.clock.set(at_day(27));
    let ana = sys.login("mia@demo.test", "demo-partner").await;
    let admin = sys.demo_admin().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let b = balance(&ana).await;
    assert_eq!((b["held"].as_str(), b["available"].as_str()), (Some("8.00"), Some("0.00")), "{b}");
    sys.clock.set(at_day(28));
    let ana = sys.login("mia@demo.test", "demo-partner").await;
    let admin2 = sys.demo_admin().await;
    until(&admin2, &lines, |l| l["items"][0]["state"] == "available").await;
    let b = balance(&ana).await;
    assert_eq!(
        (b["pending"].as_str(), b["held"].as_str(), b["available"].as_str()),
        (Some("0.00"), Some("0.00"), Some("8.00"))
    );
    assert_eq!(b["lifetime"], "8.00");

    // C10: below the program minimum (50 by default) a request is refused, naming the amount.
    let r = ana.expect_with(reqwest::Method::POST, "/api/v1/payouts", Some(&json!({})), &[], 422).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("amount"));
    admin2.patch("/api/v1/program", &json!({ "settings": { "minimum_payout": "5" } }), 200).await;
    let mut payout = Value::Null;
    for _ in 0..100 {
        let r = ana.send(reqwest::Method::POST, "/api/v1/payouts", Some(("application/json", "{}")), &[]).await;
        if r.status == 201 {
            payout = r.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((payout["amount"].as_str(), payout["status"].as_str()), (Some("8.00"), Some("requested")), "{payout}");
    let r = ana.expect_with(reqwest::Method::POST, "/api/v1/payouts", Some(&json!({})), &[], 409).await;
    e2e::assert_problem(&r, 409, "payout_open", None);
    let b = balance(&ana).await;
    assert_eq!((b["available"].as_str(), b["requested"].as_str()), (Some("0.00"), Some("8.00")));
    let pid = payout["id"].as_str().unwrap();
    let r = ana
        .expect_with(
            reqwest::Method::POST,
            &format!("/api/v1/payouts/{pid}/mark-paid"),
            Some(&json!({ "method": "bank", "reference": "x" })),
            &[],
            403,
        )
        .await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let r = admin2
        .expect_with(
            reqwest::Method::POST,
            &format!("/api/v1/payouts/{pid}/mark-paid"),
            Some(&json!({ "method": "cheque", "reference": "" })),
            &[],
            422,
        )
        .await;
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["method", "reference"]);
    let paid = admin2
        .post(
            &format!("/api/v1/payouts/{pid}/mark-paid"),
            &json!({ "method": "bank", "reference": "SEPA-2026-0629-001" }),
            200,
        )
        .await;
    assert_eq!((paid["status"].as_str(), paid["method"].as_str()), (Some("paid"), Some("bank")));
    let b = balance(&ana).await;
    assert_eq!((b["requested"].as_str(), b["paid"].as_str()), (Some("0.00"), Some("8.00")));

    // C5: a refund after the payout claws back 1.00: (132 − 10 − 22 − 30) × 10% = 7.00.
    admin2.post(&format!("/api/v1/orders/{order}/refunds"), &json!({ "amount": "10.00" }), 201).await;
    until(&admin2, &lines, |l| l["items"][0]["amount"] == "7.00").await;
    let b = balance(&ana).await;
    assert_eq!(
        (b["available"].as_str(), b["paid"].as_str(), b["lifetime"].as_str()),
        (Some("-1.00"), Some("8.00"), Some("7.00"))
    );

    // C11: the ledger as the partner sees it, every movement with its order and kind, adds up to
    // her balances; the merchant's whole ledger sums to zero.
    let ledger = ana.get("/api/v1/ledger", 200).await;
    let kinds: Vec<&str> =
        ledger["items"].as_array().unwrap().iter().rev().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["accrued", "accrued", "held", "available", "payout_requested", "payout_paid", "clawback"]);
    let all = admin2.get("/api/v1/ledger?limit=200", 200).await;
    let mut sums: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
    for e in all["items"].as_array().unwrap() {
        let amount: rust_decimal::Decimal = e["amount"].as_str().unwrap().parse().unwrap();
        *sums.entry(e["credit_account"].as_str().unwrap().to_string()).or_default() += amount;
        *sums.entry(e["debit_account"].as_str().unwrap().to_string()).or_default() -= amount;
    }
    assert_eq!(sums.values().copied().sum::<rust_decimal::Decimal>(), rust_decimal::Decimal::ZERO);
    assert_eq!(sums[&format!("partner:{ana_id}:available")], "-1.00".parse().unwrap());
    drop(admin);
    sys.stop().await;
}
