//! Commissions through the gateway: the whole money path (C1-C5, C10, C11, X5), read back
//! through the REST API, with the manual clock.

use std::time::Duration;

use e2e::{Client, TestSystem, json, referral_code};
use serde_json::Value;

/// A browser that does not follow redirects and keeps the visitor cookie it is given.
async fn visit(sys: &TestSystem, code: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(format!("{}/r/{code}", sys.url)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

/// Polls `path` until `done` holds, and returns the last body.
async fn until(c: &Client, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    // Up to a minute: a killed consumer's unacknowledged events come back after 30 s.
    for _ in 0..600 {
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
    let r = admin2
        .expect_with(
            reqwest::Method::POST,
            &format!("/api/v1/payouts/{pid}/reject"),
            Some(&json!({ "reason": "late" })),
            &[],
            409,
        )
        .await;
    e2e::assert_problem(&r, 409, "payout_state", None);
    assert!(r.body["detail"].as_str().unwrap().contains("cannot be rejected"), "{r:?}");
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
    assert_eq!(sums[&format!("partner:{ana_id}:available")], "-1.00".parse().unwrap());
    // C11: the running balances agree with a full recomputation from the entries (merchant only).
    let check = admin2.get("/api/v1/ledger/check", 200).await;
    assert_eq!(
        (check["sound"].as_bool(), check["mismatched"].as_array().map(Vec::len)),
        (Some(true), Some(0)),
        "{check}"
    );
    assert_eq!(check["totals"], json!([{ "currency": "EUR", "total": "0" }]));
    assert_eq!(check["invalid"], json!([]), "every entry moves money the way its kind may");
    assert!(check["accounts"].as_u64().unwrap() >= 5, "{check}");
    let denied = ana.send(reqwest::Method::GET, "/api/v1/ledger/check", None, &[]).await;
    assert_eq!(denied.status, 403);
    drop(admin);
    sys.stop().await;
}

/// C1: rules through the API — validated field by field, a rate above 50% stored as 50% and
/// reported, merchant admins only; a change applies to orders placed after it, while orders
/// placed before keep the rule set they were placed under.
#[tokio::test]
async fn c1_rules_are_validated_capped_and_snapshotted_per_order() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let nia = json!({ "name": "Nia", "email": "nia@demo.test", "password": "demo-partner" });
    let nia_id = admin.post("/api/v1/partners", &nia, 201).await["id"].as_str().unwrap().to_string();
    let nia = sys.login("nia@demo.test", "demo-partner").await;
    let product = admin
        .post(
            "/api/v1/products",
            &json!({ "sku": "RULE-1", "name": "Grinder", "base_price": "200.00", "kind": "digital" }),
            201,
        )
        .await;
    let pid = product["id"].as_str().unwrap();

    let r = nia
        .expect_with(
            reqwest::Method::POST,
            "/api/v1/commission-rules",
            Some(&json!({ "name": "x", "kind": "percent", "value": "5" })),
            &[],
            403,
        )
        .await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let bad = json!({ "name": "", "kind": "share", "value": "-1", "level": 3, "product_ids": ["nope"], "partner_tier": "gold" });
    let r = admin.expect_with(reqwest::Method::POST, "/api/v1/commission-rules", Some(&bad), &[], 422).await;
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "level", "kind", "value", "product_ids[0]", "partner_tier"]);
    let demo = admin.get("/api/v1/commission-rules", 200).await["items"].as_array().unwrap().len();
    assert_eq!(demo, 1, "the demo's team override only: nothing was stored");
    let capped = admin
        .post(
            "/api/v1/commission-rules",
            &json!({ "name": "Grinders", "kind": "percent", "value": "80", "priority": 10, "product_ids": [pid] }),
            201,
        )
        .await;
    assert_eq!(capped["rule"]["value"], "50");
    assert_eq!(
        (capped["notices"][0]["field"].as_str(), capped["notices"][0]["code"].as_str()),
        (Some("value"), Some("rate_capped"))
    );
    let rule_id = capped["rule"]["id"].as_str().unwrap().to_string();
    let lowered = admin.patch(&format!("/api/v1/commission-rules/{rule_id}"), &json!({ "value": "20" }), 200).await;
    assert_eq!((lowered["rule"]["value"].as_str(), lowered["rule"]["version"].as_u64()), (Some("20"), Some(2)));

    // Nia sells one to her own customer: 20% of 200.00 (digital: no shipping; no tax).
    let customer = nia.post("/api/v1/customers", &json!({ "name": "Nia's shop", "email": "shop@nia.test" }), 201).await;
    let order_body = json!({ "customer_id": customer["id"], "items": [{ "product_id": pid, "quantity": 1 }],
                             "payment_method": "card", "tax_rate": "0", "shipping": "0" });
    let first = admin.post("/api/v1/orders", &order_body, 201).await["order"]["id"].as_str().unwrap().to_string();
    let lines = |o: &str| format!("/api/v1/commissions?order_id={o}");
    let l = until(&admin, &lines(&first), |l| l["items"][0]["amount"] == "40.00").await;
    assert_eq!(
        (l["items"][0]["rule_id"].as_str(), l["items"][0]["source"].as_str()),
        (Some(rule_id.as_str()), Some("rule"))
    );
    assert_eq!(l["items"][0]["partner_id"], nia_id.as_str());

    // The rule changes an hour later: the next order earns 30%, the first keeps 20% even when
    // something new about it (a refund) makes it recompute.
    sys.clock.advance(chrono::Duration::hours(1));
    let admin = sys.demo_admin().await;
    admin.patch(&format!("/api/v1/commission-rules/{rule_id}"), &json!({ "value": "30" }), 200).await;
    let second = admin.post("/api/v1/orders", &order_body, 201).await["order"]["id"].as_str().unwrap().to_string();
    until(&admin, &lines(&second), |l| l["items"][0]["amount"] == "60.00").await;
    admin.post(&format!("/api/v1/orders/{first}/status"), &json!({ "status": "paid" }), 200).await;
    admin.post(&format!("/api/v1/orders/{first}/refunds"), &json!({ "amount": "50.00" }), 201).await;
    until(&admin, &lines(&first), |l| l["items"][0]["amount"] == "30.00").await;
    // Deleting the rule: later orders fall back to the program default (10%).
    let nia = sys.login("nia@demo.test", "demo-partner").await;
    let r = nia.send(reqwest::Method::DELETE, &format!("/api/v1/commission-rules/{rule_id}"), None, &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        admin.send(reqwest::Method::DELETE, &format!("/api/v1/commission-rules/{rule_id}"), None, &[]).await.status,
        204
    );
    admin.get(&format!("/api/v1/commission-rules/{rule_id}"), 405).await;
    sys.clock.advance(chrono::Duration::minutes(1));
    let third = admin.post("/api/v1/orders", &order_body, 201).await["order"]["id"].as_str().unwrap().to_string();
    let l = until(&admin, &lines(&third), |l| l["items"][0]["amount"] == "20.00").await;
    assert_eq!(l["items"][0]["source"], "default");
    sys.stop().await;
}

/// LE6, C9: a won lead pays its bounty into the available balance; automatic settlement pays
/// available balances from the merchant's prepaid balance, fails visibly with
/// `insufficient_merchant_balance` when it is short, and is retried after a top-up.
#[tokio::test]
async fn le6_c9_lead_rewards_and_automatic_settlement_from_the_prepaid_balance() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let settings = json!({ "settings": { "lead_reward": { "kind": "fixed", "value": "150" },
                                         "settlement_mode": "automatic", "minimum_payout": "100" } });
    // The reward changes a minute after the demo's leads were won: those keep the reward of their
    // time (none), however late commissions reads them.
    sys.clock.advance(chrono::Duration::minutes(1));
    admin.patch("/api/v1/program", &settings, 200).await;
    until(&admin, "/api/v1/merchant-balance", |m| m["automatic"] == true).await;
    let pia = json!({ "name": "Pia", "email": "pia@demo.test", "password": "demo-partner" });
    let pia_id = admin.post("/api/v1/partners", &pia, 201).await["id"].as_str().unwrap().to_string();
    let pia = sys.login("pia@demo.test", "demo-partner").await;

    let lead = pia
        .post(
            "/api/v1/leads",
            &json!({ "product_line": "pos", "contact_name": "Olga", "email": "o@shop.test", "company": "Shop" }),
            201,
        )
        .await;
    let lid = lead["id"].as_str().unwrap();
    admin.post(&format!("/api/v1/leads/{lid}/status"), &json!({ "status": "in_progress" }), 200).await;
    admin
        .post(
            &format!("/api/v1/leads/{lid}/status"),
            &json!({ "status": "won", "plan": "pos-pro", "revenue": "1200" }),
            200,
        )
        .await;

    // The bounty is available at once; the daily settlement comes the next day.
    until(&pia, "/api/v1/balances", |b| b["items"][0]["available"] == "150.00").await;
    sys.clock.advance(chrono::Duration::days(1));
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia@demo.test", "demo-partner").await);
    // Nothing prepaid: the settlement fails, visibly, and the money stays available.
    let failed =
        until(&admin, "/api/v1/settlements?status=failed", |s| !s["items"].as_array().unwrap().is_empty()).await;
    assert_eq!(
        (failed["items"][0]["reason"].as_str(), failed["items"][0]["amount"].as_str()),
        (Some("insufficient_merchant_balance"), Some("150.00"))
    );
    assert_eq!(failed["items"][0]["partner_id"], pia_id.as_str());
    let b = pia.get("/api/v1/balances", 200).await["items"][0].clone();
    assert_eq!((b["available"].as_str(), b["paid"].as_str()), (Some("150.00"), Some("0.00")));
    let ledger = pia.get("/api/v1/ledger", 200).await;
    assert_eq!(
        (ledger["items"][0]["kind"].as_str(), ledger["items"][0]["reason"].as_str()),
        (Some("lead_reward"), Some("lead won: pos-pro"))
    );
    let failures: Vec<partnerline_proto::events::v1::SettlementFailed> =
        sys.events("commissions", "settlement.failed", failed["items"][0]["id"].as_str().unwrap()).await;
    assert_eq!(failures[0].merchant_balance, "0");

    // A top-up (bad amounts refused) retries at once.
    let r = admin
        .expect_with(
            reqwest::Method::POST,
            "/api/v1/merchant-balance/top-ups",
            Some(&json!({ "amount": "-5" })),
            &[],
            422,
        )
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("amount"));
    let r = pia
        .expect_with(
            reqwest::Method::POST,
            "/api/v1/merchant-balance/top-ups",
            Some(&json!({ "amount": "500" })),
            &[],
            403,
        )
        .await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    let m = admin
        .post("/api/v1/merchant-balance/top-ups", &json!({ "amount": "500.00", "reference": "wire 42" }), 201)
        .await;
    assert_eq!(m["balance"], "500.00");
    let b = until(&pia, "/api/v1/balances", |b| b["items"][0]["paid"] == "150.00").await;
    assert_eq!(b["items"][0]["available"], "0.00");
    let payouts = pia.get("/api/v1/payouts", 200).await;
    assert_eq!(
        (payouts["items"][0]["status"].as_str(), payouts["items"][0]["automatic"].as_bool()),
        (Some("paid"), Some(true))
    );
    // The demo partners' matured commissions were settled in the same run: the prepaid balance
    // went down by exactly what was paid.
    let paid = admin.get("/api/v1/settlements?status=paid", 200).await;
    let paid = paid["items"].as_array().unwrap();
    assert!(paid.iter().any(|s| s["payout_id"] == payouts["items"][0]["id"] && s["amount"] == "150.00"));
    let total: rust_decimal::Decimal =
        paid.iter().map(|s| s["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    let left: rust_decimal::Decimal =
        admin.get("/api/v1/merchant-balance", 200).await["balance"].as_str().unwrap().parse().unwrap();
    assert_eq!(left, rust_decimal::Decimal::from(500) - total);
    sys.stop().await;
}

/// What one order should earn, computed apart from the service: 10% of paid (the total while
/// unpaid) − shipping − tax − refunds, rounded half-even to cents; nothing when cancelled.
fn oracle(order: &Value, refunded: rust_decimal::Decimal, cancelled: bool) -> rust_decimal::Decimal {
    use rust_decimal::Decimal;
    if cancelled {
        return Decimal::ZERO;
    }
    let d = |k: &str| order[k].as_str().unwrap().parse::<Decimal>().unwrap();
    let base = (d("total") - d("shipping") - d("tax") - refunded).max(Decimal::ZERO);
    (base * Decimal::new(10, 2)).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
}

/// Orders → attribution → commissions end to end with the commissions service killed (its task
/// aborted, mid-transaction or not) and restarted while events keep coming: the ledger ends as an
/// independent oracle says, sums to zero, and every running balance equals its recomputation
/// from the entries (C11).
#[tokio::test]
async fn c11_a_killed_and_restarted_consumer_ends_with_the_oracles_ledger() {
    use rust_decimal::Decimal;
    let sys = TestSystem::start_with(e2e::Options { detached: vec!["commissions"], ..Default::default() }).await;
    let mut commissions = sys.start_detached("commissions").await;
    let admin = sys.demo_admin().await;
    let ola = json!({ "name": "Ola", "email": "ola@demo.test", "password": "demo-partner", "trust_level": "standard" });
    let ola_id = admin.post("/api/v1/partners", &ola, 201).await["id"].as_str().unwrap().to_string();
    let ola = sys.login("ola@demo.test", "demo-partner").await;
    let customer = ola.post("/api/v1/customers", &json!({ "name": "Ola's café", "email": "cafe@ola.test" }), 201).await;
    let product = admin
        .post(
            "/api/v1/products",
            &json!({ "sku": "CHAOS-1", "name": "Beans", "base_price": "33.33", "kind": "digital" }),
            201,
        )
        .await;

    let mut expected: Vec<(String, Decimal, bool)> = Vec::new();
    for n in 0..24u32 {
        if n == 8 {
            commissions.kill();
        }
        if n == 16 {
            commissions = sys.start_detached("commissions").await;
        }
        let body = json!({ "customer_id": customer["id"], "items": [{ "product_id": product["id"], "quantity": 1 + n % 3 }],
                           "payment_method": "card", "paid": n % 2 == 0 });
        let placed = admin.post("/api/v1/orders", &body, 201).await;
        let order = placed["order"].clone();
        let oid = order["id"].as_str().unwrap().to_string();
        let mut refunded = Decimal::ZERO;
        let mut completed = false;
        if n % 2 == 0 && n % 3 == 0 {
            refunded = Decimal::new(1000 + i64::from(n), 2);
            admin.post(&format!("/api/v1/orders/{oid}/refunds"), &json!({ "amount": refunded.to_string() }), 201).await;
        }
        if n % 2 == 0 && n % 4 == 0 {
            for status in ["confirmed", "in_production", "shipped", "completed"] {
                admin.post(&format!("/api/v1/orders/{oid}/status"), &json!({ "status": status }), 200).await;
            }
            completed = true;
        }
        let cancelled = n % 7 == 5 && !completed;
        if cancelled {
            admin.post(&format!("/api/v1/orders/{oid}/status"), &json!({ "status": "cancelled" }), 200).await;
        }
        expected.push((oid, oracle(&order, refunded, cancelled), completed));
    }
    // O8, C3: orders imported already shipped or completed have no status event for the steps
    // they skipped; the completed one is held from its `order.placed` alone, the shipped one
    // stays pending (commissions does not read `order.shipped`: nothing changes with it).
    let batch: Vec<Value> = ["completed", "shipped"]
        .iter()
        .map(|s| {
            json!({ "external_id": format!("chaos-{s}"), "customer": { "name": "Imported" },
                    "items": [{ "sku": "CHAOS-1", "quantity": 2 }], "payment_method": "card",
                    "placed_by_partner_id": ola_id, "status": s })
        })
        .collect();
    let imported = admin.post("/api/v1/orders/import", &json!({ "orders": batch }), 200).await;
    for (item, completed) in imported["items"].as_array().unwrap().iter().zip([true, false]) {
        let oid = item["order_id"].as_str().unwrap().to_string();
        let order = admin.get(&format!("/api/v1/orders/{oid}"), 200).await;
        expected.push((oid, oracle(&order, Decimal::ZERO, false), completed));
    }

    // Once it has caught up, every order's line is what the oracle says.
    let want: Decimal = expected.iter().map(|(_, a, _)| *a).sum();
    let held: Decimal = expected.iter().filter(|(_, _, c)| *c).map(|(_, a, _)| *a).sum();
    let path = format!("/api/v1/commissions?partner_id={ola_id}&limit=200");
    let lines = until(&admin, &path, |l| {
        let items = l["items"].as_array().unwrap();
        items.len() == expected.len()
            && items.iter().map(|i| i["amount"].as_str().unwrap().parse::<Decimal>().unwrap()).sum::<Decimal>() == want
    })
    .await;
    for (oid, amount, completed) in &expected {
        let line = lines["items"].as_array().unwrap().iter().find(|l| l["order_id"] == oid.as_str()).unwrap();
        assert_eq!(line["amount"].as_str().unwrap().parse::<Decimal>().unwrap(), *amount, "{line}");
        let state = if amount.is_zero() {
            "void"
        } else if *completed {
            "held"
        } else {
            "pending"
        };
        assert_eq!(line["state"], state, "{line}");
    }
    let b = until(&ola, "/api/v1/balances", |b| b["items"][0]["held"].as_str() == Some(&held.to_string())).await;
    let pending: Decimal = b["items"][0]["pending"].as_str().unwrap().parse().unwrap();
    assert_eq!(pending + held, want);

    // C11: what the partners hold is what the merchant spent, and every running balance is its
    // recomputation.
    let pool = sqlx::PgPool::connect(&sys.env.config.database_url("commissions")).await.unwrap();
    let (expense, partners, mismatched): (Decimal, Decimal, i64) = sqlx::query_as(
        "WITH moves AS (SELECT credit_account a, currency c, amount v FROM ledger_entries
                        UNION ALL SELECT debit_account, currency, -amount FROM ledger_entries),
              derived AS (SELECT a, c, sum(v) total FROM moves GROUP BY a, c)
         SELECT COALESCE((SELECT sum(balance) FROM balances WHERE account = 'merchant:expense'), 0),
                COALESCE((SELECT sum(balance) FROM balances WHERE account LIKE 'partner:%'), 0),
                (SELECT count(*) FROM derived d FULL JOIN balances b ON b.account = d.a AND b.currency = d.c
                 WHERE COALESCE(d.total, 0) <> COALESCE(b.balance, 0))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(partners > Decimal::ZERO, "the partners hold commissions");
    assert_eq!((expense + partners, mismatched), (Decimal::ZERO, 0));
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);

    // Every orders event delivered again, as a relay republishing past JetStream's duplicate
    // window would (same CloudEvent ids, new message ids): the projection, which keeps no inbox,
    // learns nothing new from them, and the ledger does not move (C11).
    let entries = |pool: sqlx::PgPool| async move {
        let n: (i64, Decimal) = sqlx::query_as("SELECT count(*), COALESCE(sum(amount), 0) FROM ledger_entries")
            .fetch_one(&pool)
            .await
            .unwrap();
        n
    };
    let before = entries(pool.clone()).await;
    let orders_db = sqlx::PgPool::connect(&sys.env.config.database_url("orders")).await.unwrap();
    let sent: Vec<(String, Value, Vec<u8>)> =
        sqlx::query_as("SELECT subject, headers, payload FROM outbox WHERE sent_at IS NOT NULL ORDER BY seq")
            .fetch_all(&orders_db)
            .await
            .unwrap();
    orders_db.close().await;
    let bus = platform::nats::Bus::connect(&sys.env.config.nats, "redelivery").await.unwrap();
    for (subject, headers, payload) in &sent {
        let mut map = async_nats::HeaderMap::new();
        for (k, v) in headers.as_object().unwrap() {
            map.insert(k.as_str(), v.as_str().unwrap());
        }
        map.insert("Nats-Msg-Id", format!("again-{}", headers["ce-id"].as_str().unwrap()).as_str());
        bus.js.publish_with_headers(subject.clone(), map, payload.clone().into()).await.unwrap().await.unwrap();
    }
    let stream = bus.js.get_stream(bus.naming.stream("orders")).await.unwrap();
    let mut caught_up = false;
    for _ in 0..600 {
        let info = stream.consumer_info("commissions-orders").await.unwrap();
        if info.num_pending + info.num_ack_pending as u64 == 0 {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(caught_up, "commissions read the events delivered again");
    assert_eq!(entries(pool.clone()).await, before, "{} events delivered again changed the ledger", sent.len());
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);

    // A running total that drifts from its entries is caught by the check.
    let account = format!("partner:{ola_id}:held");
    sqlx::query("UPDATE balances SET balance = balance + 1 WHERE account = $1")
        .bind(&account)
        .execute(&pool)
        .await
        .unwrap();
    let check = admin.get("/api/v1/ledger/check", 200).await;
    assert_eq!(check["sound"], false);
    assert_eq!(check["mismatched"].as_array().unwrap().len(), 1, "{check}");
    assert_eq!(check["mismatched"][0]["account"], account.as_str());

    // C11: the ledger is append-only: changing or removing an entry is an error, not a no-op.
    for sql in ["UPDATE ledger_entries SET amount = amount + 1", "DELETE FROM ledger_entries"] {
        let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // C11: an entry its kind may not make (a clawback paying the partner) is named by the check.
    sqlx::query(
        "INSERT INTO ledger_entries (id, tenant_id, currency, debit_account, credit_account, amount, partner_id,
             kind, at)
         SELECT gen_random_uuid(), tenant_id, currency, 'merchant:expense', credit_account, 1, partner_id,
             'clawback', now()
         FROM ledger_entries WHERE credit_account = $1 LIMIT 1",
    )
    .bind(format!("partner:{ola_id}:held"))
    .execute(&pool)
    .await
    .unwrap();
    let check = admin.get("/api/v1/ledger/check", 200).await;
    assert_eq!(check["sound"], false);
    assert_eq!(
        check["invalid"],
        json!([{ "kind": "clawback", "debit_account": "merchant:expense",
                 "credit_account": format!("partner:{ola_id}:held"), "count": 1 }]),
        "{check}"
    );
    pool.close().await;
    drop(commissions);
    sys.stop().await;
}

/// `seed --demo` ends with ledgers that show every state: pending, held and available
/// commissions, a paid payout (Ana) and a requested one (Bo), a clawback (a refund after Ana was
/// paid), and Cy's orders paying Ana, its parent, an override (C7).
#[tokio::test]
async fn the_demo_ledger_shows_every_state() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let d = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    let b = ana.get("/api/v1/balances", 200).await["items"][0].clone();
    assert!(d(&b["pending"]) > 0.into() && d(&b["held"]) > 0.into() && d(&b["paid"]) > 0.into(), "{b}");
    let kinds: Vec<String> = ana.get("/api/v1/ledger?limit=200", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    for kind in ["accrued", "held", "available", "payout_requested", "payout_paid", "clawback"] {
        assert!(kinds.iter().any(|k| k == kind), "Ana's ledger has a {kind} entry: {kinds:?}");
    }
    let lines = ana.get("/api/v1/commissions?limit=200", 200).await;
    let override_line = lines["items"].as_array().unwrap().iter().find(|l| l["level"] == 1).cloned();
    let override_line = override_line.expect("Ana earns an override on Cy's orders");
    assert_eq!(
        (override_line["source"].as_str(), override_line["partner_id"].as_str()),
        (Some("override"), Some(ana_id.as_str()))
    );
    let payouts = bo.get("/api/v1/payouts", 200).await;
    assert_eq!(payouts["items"][0]["status"], "requested");
    assert!(d(&bo.get("/api/v1/balances", 200).await["items"][0]["requested"]) > 0.into());
    let admin = sys.demo_admin().await;
    let all = admin.get("/api/v1/payouts?status=paid", 200).await;
    assert_eq!(all["items"][0]["reference"], "SEPA-DEMO-0001");
    sys.stop().await;
}
