//! Multi-currency (X6) through the gateway: the exchange rates a program keeps, and the rate each
//! order keeps from its placement.

use e2e::{Client, TestSystem, json};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn product(admin: &Client, sku: &str, currency: &str) -> String {
    let p = json!({ "sku": sku, "name": sku, "base_price": "100.00", "currency": currency, "kind": "physical" });
    admin.post("/api/v1/products", &p, 201).await["id"].as_str().unwrap().to_string()
}

/// Waits until orders has heard the program's reporting currency from identity: an order placed
/// before that keeps no rate (X6).
async fn reporting_currency_known(admin: &Client) {
    let day = "/api/v1/reports/sales?every=day&from=2026-06-01&to=2026-06-01";
    e2e::until(admin, day, |r| r["reporting_currency"] == "EUR").await;
}

async fn place(admin: &Client, customer: &str, product: &str) -> Value {
    let o = json!({ "customer_id": customer, "items": [{ "product_id": product, "quantity": 1 }], "payment_method": "card", "paid": true });
    let id = admin.post("/api/v1/orders", &o, 201).await["order"]["id"].as_str().unwrap().to_string();
    admin.get(&format!("/api/v1/orders/{id}"), 200).await
}

/// X6: rates are kept per pair from a date on, as a list or a CSV table; an order keeps the rate
/// to the reporting currency in force when it was placed, however the rates change afterwards;
/// the reporting currency itself is 1, the inverse of a pair given the other way counts, and an
/// order in a currency with no rate says so.
#[tokio::test]
async fn x6_d2_an_order_keeps_the_rate_in_force_when_it_was_placed() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let usd = product(&admin, "CUR-USD", "USD").await;
    let pln = product(&admin, "CUR-PLN", "PLN").await;
    let chf = product(&admin, "CUR-CHF", "CHF").await;
    let eur = product(&admin, "CUR-EUR", "EUR").await;
    let c = admin.post("/api/v1/customers", &json!({ "name": "Xena Rates", "email": "xena@x.test" }), 201).await;
    let customer = c["id"].as_str().unwrap().to_string();

    reporting_currency_known(&admin).await;
    let day1 = "/api/v1/reports/sales?every=day&from=2026-06-01&to=2026-06-01";
    let before = admin.get(day1, 200).await["reporting"][0].clone();
    let body = json!({ "rates": [{ "from": "usd", "to": "EUR", "rate": "0.92", "valid_from": "2026-05-01" }] });
    let kept = admin.expect(Method::PUT, "/api/v1/exchange-rates", Some(&body), 200).await;
    assert_eq!((kept["items"][0]["from"].as_str(), kept["items"][0]["rate"].as_str()), (Some("USD"), Some("0.92")));
    let first = place(&admin, &customer, &usd).await;
    assert_eq!((first["reporting_currency"].as_str(), first["exchange_rate"].as_str()), (Some("EUR"), Some("0.92")));

    // A CSV table: tomorrow's USD rate, and a pair given from the reporting currency.
    let csv = "from,to,rate,valid_from\nUSD,EUR,0.95,2026-06-02\nEUR,PLN,4.30,2026-06-01\n";
    admin.expect(Method::PUT, "/api/v1/exchange-rates", Some(&json!({ "csv": csv })), 200).await;
    let id = first["id"].as_str().unwrap();
    assert_eq!(admin.get(&format!("/api/v1/orders/{id}"), 200).await["exchange_rate"], "0.92", "today's order");
    let by_pln = place(&admin, &customer, &pln).await;
    assert_eq!(by_pln["exchange_rate"], "0.2325581395", "the inverse of EUR→PLN 4.30");
    let by_eur = place(&admin, &customer, &eur).await;
    let none = place(&admin, &customer, &chf).await;
    assert!(none["exchange_rate"].is_null() && none["reporting_currency"] == "EUR", "no CHF rate: {none}");

    // The day's sales in the reporting currency: each order at its own rate; CHF unconverted.
    let after = admin.get(day1, 200).await;
    assert_eq!(after["reporting_currency"], "EUR");
    let (b, a) = (&before, &after["reporting"][0]);
    let count = |r: &Value, f: &str| r[f].as_u64().unwrap_or(0);
    assert_eq!(
        count(b, "unconverted_orders"),
        0,
        "the demo's orders, in EUR, seeded before the currency was known: {b}"
    );
    assert_eq!(count(a, "orders") - count(b, "orders"), 4, "{a}");
    assert_eq!(count(a, "unconverted_orders") - count(b, "unconverted_orders"), 1, "{a}");
    let from: Vec<&str> = a["converted_from"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(from.contains(&"USD") && from.contains(&"PLN") && !from.contains(&"CHF"), "{a}");
    let expected: Decimal = [(&first, "0.92"), (&by_pln, "0.2325581395"), (&by_eur, "1")]
        .iter()
        .map(|(o, rate)| dec(o["total"].as_str().unwrap()) * dec(rate))
        .sum();
    let got = dec(a["net"].as_str().unwrap()) - b["net"].as_str().map(dec).unwrap_or_default();
    assert!((got - expected).abs() <= dec("0.01"), "net in EUR {got}, expected {expected}: {a}");

    // The next day the new rate applies to new orders only.
    sys.clock.set("2026-06-02T09:00:00Z".parse().unwrap());
    let admin = sys.demo_admin().await;
    assert_eq!(place(&admin, &customer, &usd).await["exchange_rate"], "0.95");
    assert_eq!(admin.get(&format!("/api/v1/orders/{id}"), 200).await["exchange_rate"], "0.92", "never recomputed");
    let imported = json!({ "orders": [{ "external_id": "cur-imp", "customer": { "name": "Imp", "email": "imp@x.test" },
        "items": [{ "sku": "CUR-USD", "quantity": 1 }], "payment_method": "card", "status": "paid" }] });
    let r = admin.post("/api/v1/orders/import", &imported, 200).await;
    let imp = r["items"][0]["order_id"].as_str().unwrap();
    assert_eq!(admin.get(&format!("/api/v1/orders/{imp}"), 200).await["exchange_rate"], "0.95", "imports too");
    let day2 = admin.get("/api/v1/reports/sales?every=day&from=2026-06-02&to=2026-06-02", 200).await;
    let r = &day2["reporting"][0];
    assert_eq!((r["orders"].as_u64(), r["unconverted_orders"].as_u64()), (Some(2), Some(0)), "{day2}");
    assert_eq!(r["converted_from"], json!(["USD"]));
    let usd_total = dec(day2["totals"].as_array().unwrap().iter().find(|t| t["currency"] == "USD").unwrap()["net"]
        .as_str()
        .unwrap());
    let net = (usd_total * dec("0.95")).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven);
    assert_eq!(r["net"], net.to_string(), "both at tomorrow's 0.95: {day2}");
    let usd_rates = admin.get("/api/v1/exchange-rates?from=USD", 200).await;
    let days: Vec<&str> =
        usd_rates["items"].as_array().unwrap().iter().map(|r| r["valid_from"].as_str().unwrap()).collect();
    assert_eq!(days, ["2026-06-02", "2026-05-01"], "newest first");

    // Bad input names the rate and line, and keeps nothing of the request.
    for (body, field) in [
        (
            json!({ "rates": [{ "from": "USD", "to": "EUR", "rate": "-1", "valid_from": "2026-06-03" }] }),
            "rates[0].rate",
        ),
        (json!({ "rates": [{ "from": "USD", "to": "USD", "rate": "1", "valid_from": "2026-06-03" }] }), "rates[0].to"),
        (
            json!({ "rates": [{ "from": "XXQ", "to": "EUR", "rate": "1", "valid_from": "2026-06-03" }] }),
            "rates[0].from",
        ),
        (
            json!({ "rates": [{ "from": "USD", "to": "EUR", "rate": "1", "valid_from": "3 June" }] }),
            "rates[0].valid_from",
        ),
        (
            json!({ "csv": "from,to,rate,valid_from\nUSD,EUR,0.99,2026-06-03\nUSD,EUR,abc,2026-06-04\n" }),
            "csv.line_3.rate",
        ),
        (json!({ "csv": "from,to,valid_from\nUSD,EUR,2026-06-03\n" }), "csv"),
        (json!({ "rates": [] }), "rates"),
    ] {
        let r = admin.expect_with(Method::PUT, "/api/v1/exchange-rates", Some(&body), &[], 422).await;
        e2e::assert_problem(&r, 422, "invalid_field", Some(field));
    }
    let after = admin.get("/api/v1/exchange-rates?from=USD", 200).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 2, "nothing of a refused request is kept: {after}");
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let body = json!({ "rates": [{ "from": "USD", "to": "EUR", "rate": "2", "valid_from": "2026-06-03" }] });
    let r = ana.expect_with(Method::PUT, "/api/v1/exchange-rates", Some(&body), &[], 403).await;
    e2e::assert_problem(&r, 403, "forbidden", None);
    ana.expect_with(Method::GET, "/api/v1/exchange-rates", None, &[], 403).await;
    sys.stop().await;
}

/// A new partner whose won lead pays it 150.00 EUR at once (LE6), paid in `currency`.
async fn partner_paid_in(sys: &TestSystem, admin: &Client, name: &str, currency: &str) -> (String, Client) {
    let email = format!("{}@fx.test", name.to_lowercase());
    let body = json!({ "name": name, "email": email, "password": "demo-partner" });
    let id = admin.post("/api/v1/partners", &body, 201).await["id"].as_str().unwrap().to_string();
    let me = sys.login(&email, "demo-partner").await;
    let method = json!({ "payout_method": { "kind": "paypal", "fields": { "email": email }, "currency": currency } });
    let p = me.patch(&format!("/api/v1/partners/{id}"), &method, 200).await;
    assert_eq!(p["payout_method"]["currency"], currency.to_uppercase(), "{p}");
    let lead =
        json!({ "product_line": "pos", "contact_name": "Olga", "email": format!("o-{email}"), "company": "Shop" });
    let lid = me.post("/api/v1/leads", &lead, 201).await["id"].as_str().unwrap().to_string();
    admin.post(&format!("/api/v1/leads/{lid}/status"), &json!({ "status": "in_progress" }), 200).await;
    let won = json!({ "status": "won", "plan": "pos-pro", "revenue": "1200" });
    admin.post(&format!("/api/v1/leads/{lid}/status"), &won, 200).await;
    e2e::until(&me, "/api/v1/balances", |b| b["items"][0]["available"] == "150.00").await;
    (id, me)
}

/// Asks for a payout too large to pay until the answer has `code` (nothing is created either
/// way): commissions then knows what the partner's currency and the rates have become.
async fn until_payout_refused_with(partner: &Client, code: &str) {
    for _ in 0..200 {
        let body = json!({ "amount": "1000000" });
        let r = partner.send(Method::POST, "/api/v1/payouts", Some(("application/json", &body.to_string())), &[]).await;
        if r.body["code"] == code {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("a payout request never came back {code}");
}

fn balance<'a>(balances: &'a Value, currency: &str) -> &'a Value {
    balances["items"].as_array().unwrap().iter().find(|b| b["currency"] == currency).unwrap_or(&Value::Null)
}

/// X6, C10, C11: a partner paid in PLN asks for its EUR balance. The payout keeps both amounts
/// and the rate of the request's day (not a later one); the ledger moves each currency through
/// the EUR→PLN FX account and sums to zero in each; a rejection gives back exactly the EUR, and
/// the next day's request takes the next day's rate. Paid in JPY, the amount is rounded once,
/// half-even, to whole yen. With no rate known the request is refused and nothing moves.
#[tokio::test]
async fn x6_c10_a_payout_in_the_partners_currency_keeps_both_amounts() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    sys.clock.advance(chrono::Duration::minutes(1));
    let settings = json!({ "settings": { "lead_reward": { "kind": "fixed", "value": "150" }, "minimum_payout": "5" } });
    admin.patch("/api/v1/program", &settings, 200).await;
    let (pia_id, pia) = partner_paid_in(&sys, &admin, "Pia", "pln").await;
    let bad = json!({ "payout_method": { "kind": "paypal", "fields": { "email": "pia@fx.test" }, "currency": "PLZ" } });
    let r = pia.expect_with(Method::PATCH, &format!("/api/v1/partners/{pia_id}"), Some(&bad), &[], 422).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("payout_method.currency"));

    until_payout_refused_with(&pia, "no_exchange_rate").await;
    assert_eq!(pia.get("/api/v1/payouts", 200).await["items"], json!([]), "a refused request leaves nothing");
    let rates = json!({ "csv": "from,to,rate,valid_from\nEUR,PLN,4.30,2026-05-01\nEUR,PLN,4.50,2026-06-02\nEUR,JPY,161.25,2026-05-01\n" });
    admin.expect(Method::PUT, "/api/v1/exchange-rates", Some(&rates), 200).await;
    until_payout_refused_with(&pia, "invalid_field").await;

    let p = pia.post("/api/v1/payouts", &json!({}), 201).await;
    let got = |p: &Value, f: &str| p[f].as_str().unwrap_or_default().to_string();
    assert_eq!(
        [
            got(&p, "amount"),
            got(&p, "currency"),
            got(&p, "payout_amount"),
            got(&p, "payout_currency"),
            got(&p, "exchange_rate")
        ],
        ["150.00", "EUR", "645.00", "PLN", "4.3"],
        "today's rate, not tomorrow's: {p}"
    );
    let b = pia.get("/api/v1/balances", 200).await;
    assert_eq!(
        (balance(&b, "EUR")["available"].as_str(), balance(&b, "PLN")["requested"].as_str()),
        (Some("0.00"), Some("645.00")),
        "{b}"
    );
    let check = admin.get("/api/v1/ledger/check", 200).await;
    assert_eq!(check["sound"], true, "{check}");
    for t in check["totals"].as_array().unwrap() {
        assert_eq!(dec(t["total"].as_str().unwrap()), Decimal::ZERO, "each currency sums to zero: {check}");
    }
    let legs = pia.get("/api/v1/ledger?kind=payout_requested", 200).await;
    let legs: Vec<(String, Decimal, String)> = legs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                got(e, "currency"),
                dec(&got(e, "amount")),
                format!("{} → {}", got(e, "debit_account"), got(e, "credit_account")),
            )
        })
        .collect();
    let eur = ("EUR".to_string(), dec("150"), format!("partner:{pia_id}:available → merchant:fx:EUR:PLN"));
    let pln = ("PLN".to_string(), dec("645"), format!("merchant:fx:EUR:PLN → partner:{pia_id}:requested"));
    assert!(legs.contains(&eur) && legs.contains(&pln) && legs.len() == 2, "one leg in each currency: {legs:?}");

    // Rejected: the EUR comes back whole, nothing stays requested in PLN.
    let id = got(&p, "id");
    admin.post(&format!("/api/v1/payouts/{id}/reject"), &json!({ "reason": "wrong account" }), 200).await;
    let b = pia.get("/api/v1/balances", 200).await;
    assert_eq!(
        (balance(&b, "EUR")["available"].as_str(), balance(&b, "PLN")["requested"].as_str()),
        (Some("150.00"), Some("0.00")),
        "{b}"
    );

    // The next day, the next day's rate; paid in PLN.
    sys.clock.set("2026-06-02T09:00:00Z".parse().unwrap());
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia@fx.test", "demo-partner").await);
    let p = pia.post("/api/v1/payouts", &json!({}), 201).await;
    assert_eq!((got(&p, "payout_amount"), got(&p, "exchange_rate")), ("675.00".to_string(), "4.5".to_string()), "{p}");
    let id = got(&p, "id");
    let paid = json!({ "method": "paypal", "reference": "PP-FX-1" });
    admin.post(&format!("/api/v1/payouts/{id}/mark-paid"), &paid, 200).await;
    let b = pia.get("/api/v1/balances", 200).await;
    assert_eq!(
        (balance(&b, "PLN")["paid"].as_str(), balance(&b, "EUR")["available"].as_str()),
        (Some("675.00"), Some("0.00")),
        "{b}"
    );

    // JPY has no minor unit: 10.00 EUR at 161.25 is 1612.5 yen, paid as 1612 (half-even).
    let (_, quin) = partner_paid_in(&sys, &admin, "Quin", "JPY").await;
    until_payout_refused_with(&quin, "invalid_field").await;
    let p = quin.post("/api/v1/payouts", &json!({ "amount": "10.00" }), 201).await;
    assert_eq!((got(&p, "payout_amount"), got(&p, "payout_currency")), ("1612".to_string(), "JPY".to_string()), "{p}");
    let check = admin.get("/api/v1/ledger/check", 200).await;
    assert_eq!(check["sound"], true, "{check}");
    assert!(check["totals"].as_array().unwrap().iter().all(|t| dec(t["total"].as_str().unwrap()).is_zero()), "{check}");
    sys.stop().await;
}

/// Imports a paid order of one `sku` placed by `partner` for a walk-in customer.
async fn import_for(admin: &Client, ext: &str, sku: &str, partner: &str) {
    let o = json!({
        "external_id": ext, "customer": { "name": "Walk In", "email": format!("{ext}@x.test") },
        "items": [{ "sku": sku, "quantity": 1 }], "payment_method": "card", "status": "paid",
        "shipping": "0", "tax_rate": "0", "placed_by_partner_id": partner,
    });
    assert_eq!(admin.post("/api/v1/orders/import", &json!({ "orders": [o] }), 200).await["created"], 1);
}

/// X6, D1-D3: commissions are earned in each order's currency and the reports add them up in the
/// reporting currency at the rate each order kept: a USD order at that day's rate, an EUR one as
/// it is, a CHF one (no rate) left out and named; a later rate changes only later orders. The
/// partners report (D3), its CSV, the commissions CSV and the partner's home (D1) say the same.
#[tokio::test]
async fn x6_d1_d3_commissions_add_up_in_the_reporting_currency_at_each_orders_rate() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let rates = "from,to,rate,valid_from\nUSD,EUR,0.92,2026-05-01\nUSD,EUR,0.95,2026-06-02\n";
    admin.expect(Method::PUT, "/api/v1/exchange-rates", Some(&json!({ "csv": rates })), 200).await;
    reporting_currency_known(&admin).await;
    for (sku, cur) in [("FX-USD", "USD"), ("FX-EUR", "EUR"), ("FX-CHF", "CHF")] {
        product(&admin, sku, cur).await;
    }
    let body = json!({ "name": "Ravi Rates", "email": "ravi@fx.test", "password": "demo-partner" });
    let ravi = admin.post("/api/v1/partners", &body, 201).await["id"].as_str().unwrap().to_string();
    for (ext, sku) in [("fx-1", "FX-USD"), ("fx-2", "FX-EUR"), ("fx-3", "FX-CHF")] {
        import_for(&admin, ext, sku, &ravi).await;
    }
    let day = |d: &str| format!("/api/v1/reports/commissions?every=day&from={d}&to={d}&partner_id={ravi}");
    let r = e2e::until(&admin, &day("2026-06-01"), |r| r["rows"].as_array().is_some_and(|x| x.len() == 3)).await;
    let earned = |r: &Value, c: &str| {
        r["rows"].as_array().unwrap().iter().find(|x| x["currency"] == c).map(|x| dec(x["earned"].as_str().unwrap()))
    };
    assert_eq!(
        (earned(&r, "USD"), earned(&r, "EUR"), earned(&r, "CHF")),
        (Some(dec("10")), Some(dec("10")), Some(dec("10"))),
        "each in its own currency: {r}"
    );
    let rep = &r["reporting"][0];
    assert_eq!(r["reporting_currency"], "EUR");
    assert_eq!(rep["earned"], "19.20", "10.00 USD at 0.92 and 10.00 EUR: {r}");
    assert_eq!((rep["converted_from"].clone(), rep["unconverted"].clone()), (json!(["USD"]), json!(["CHF"])), "{r}");

    // The next day's rate: the first day stays as it was, the new order takes it.
    sys.clock.set("2026-06-02T09:00:00Z".parse().unwrap());
    let admin = sys.demo_admin().await;
    import_for(&admin, "fx-4", "FX-USD", &ravi).await;
    let r2 = e2e::until(&admin, &day("2026-06-02"), |r| r["reporting"][0]["earned"] != "0.00").await;
    assert_eq!(r2["reporting"][0]["earned"], "9.50", "{r2}");
    assert_eq!(admin.get(&day("2026-06-01"), 200).await["reporting"][0]["earned"], "19.20", "never recomputed");
    let program = admin.get("/api/v1/reports/commissions?every=day&from=2026-06-01&to=2026-06-02", 200).await;
    let all: Vec<&str> =
        program["reporting"].as_array().unwrap().iter().map(|p| p["earned"].as_str().unwrap()).collect();
    assert_eq!(all.len(), 2, "one figure per day: {program}");

    // D3: per partner and currency, what was kept and its value in EUR at each order's rate.
    let d3 = admin.get("/api/v1/reports/partners?from=2026-06-01&to=2026-06-02&partner_q=Ravi", 200).await;
    let row = |c: &str| d3["items"].as_array().unwrap().iter().find(|x| x["currency"] == c).cloned().unwrap();
    let figures = |r: Value| {
        let f = |k: &str| r[k].as_str().unwrap().to_string();
        (f("sales"), f("sales_reporting"), f("earned"), f("earned_reporting"), r["unconverted"].as_bool().unwrap())
    };
    let s = |v: &str| v.to_string();
    assert_eq!(
        figures(row("USD")),
        (s("200.00"), s("187.00"), s("20.00"), s("18.70"), false),
        "100 USD at 0.92, then 100 at 0.95: {d3}"
    );
    assert_eq!(figures(row("EUR")), (s("100.00"), s("100.00"), s("10.00"), s("10.00"), false), "{d3}");
    assert_eq!(figures(row("CHF")), (s("100.00"), s("0.00"), s("10.00"), s("0.00"), true), "no rate: {d3}");
    assert_eq!(row("CHF")["reporting_currency"], "EUR");
    let csv = admin
        .send(
            Method::GET,
            "/api/v1/reports/partners?from=2026-06-01&to=2026-06-02&partner_q=Ravi&format=csv",
            None,
            &[],
        )
        .await;
    let text = csv.body.as_str().unwrap().to_string();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let usd = lines.iter().find(|l| l[4] == "USD").unwrap();
    assert_eq!(
        lines[0][12..],
        ["reporting_currency", "sales_reporting", "earned_reporting", "paid_reporting", "unconverted"]
    );
    assert_eq!(usd[12..], ["EUR", "187.00", "18.70", "0.00", "false"], "{text}");
    // D2's CSV: the kept rows, then each day in EUR with what went into it.
    let csv = admin.send(Method::GET, &format!("{}&format=csv", day("2026-06-01")), None, &[]).await;
    let text = csv.body.as_str().unwrap().to_string();
    let eur: Vec<&str> = text.lines().find(|l| l.starts_with("reporting,")).unwrap().split(',').collect();
    assert_eq!((eur[3], eur[4], eur[14], eur[15]), ("EUR", "19.20", "USD", "CHF"), "{text}");

    // D1: the partner's home charts its commissions in EUR too; the week of 1-2 June is last.
    let d1 = admin.get(&format!("/api/v1/dashboard?partner_id={ravi}"), 200).await;
    assert_eq!(d1["reporting_currency"], "EUR");
    let last = |k: &str| d1[k].as_array().unwrap().last().unwrap()["value"].as_str().unwrap().to_string();
    assert_eq!(last("commissions_earned_reporting"), "28.70", "19.20 and 9.50: {d1}");
    assert_eq!(last("sales_reporting"), "287.00", "92 + 100 + 95, the CHF order left out: {d1}");
    assert_eq!(d1["unconverted"], json!(["CHF"]));
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);
    sys.stop().await;
}
