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
async fn x6_an_order_keeps_the_rate_in_force_when_it_was_placed() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let usd = product(&admin, "CUR-USD", "USD").await;
    let pln = product(&admin, "CUR-PLN", "PLN").await;
    let chf = product(&admin, "CUR-CHF", "CHF").await;
    let eur = product(&admin, "CUR-EUR", "EUR").await;
    let c = admin.post("/api/v1/customers", &json!({ "name": "Xena Rates", "email": "xena@x.test" }), 201).await;
    let customer = c["id"].as_str().unwrap().to_string();

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
