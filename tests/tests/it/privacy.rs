//! Privacy (X7) through the gateway: a customer's data exported from every service that holds
//! it and erased everywhere but in the money; a parent partner's view of its team.

use e2e::{Client, TestSystem, json, referral_code, until};
use reqwest::Method;
use serde_json::Value;

/// Opens `/r/{code}` as a browser would, and returns the visitor cookie it was given.
async fn visit(sys: &TestSystem, code: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(format!("{}/r/{code}", sys.url)).header("user-agent", "Erin-Phone/1.0").send().await.unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn product(admin: &Client, sku: &str) -> String {
    let p = json!({ "sku": sku, "name": "Privacy press", "base_price": "100.00", "kind": "physical" });
    admin.post("/api/v1/products", &p, 201).await["id"].as_str().unwrap().to_string()
}

/// X7: the export holds what customers, orders, attribution and notifications keep about one
/// customer; the erasure (confirmed, audited, on the stream) anonymises every copy, while the
/// order's amounts, the commission and every balance stay as they were.
#[tokio::test]
async fn x7_export_gathers_every_service_and_erasure_leaves_only_the_money() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let sku = product(&admin, "PRV-100").await;

    // A visitor opens Ana's link and registers; the merchant completes the record.
    let cookie = visit(&sys, &referral_code(&ana).await).await;
    let body = json!({ "name": "Erin Erase", "email": "erin@x.test", "phone": "+39 333 1234567" }).to_string();
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
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/customers/{id}");
    until(&admin, &format!("{path}/binding"), |b| b["partner_id"] == ana_id.as_str()).await;
    let address = json!({ "line1": "Via Roma 1", "city": "Milano", "postal_code": "20100", "country": "IT" });
    let owned = json!({ "address": address, "vat_number": "IT12345678901", "owner_partner_id": ana_id });
    admin.patch(&path, &owned, 200).await;
    admin.post(&format!("{path}/notes"), &json!({ "body": "Erin prefers calls after six" }), 201).await;
    let call = json!({ "kind": "call", "summary": "Called Erin about the spring offer" });
    admin.post(&format!("{path}/communications"), &call, 201).await;
    admin.post(&format!("{path}/quick-order-link"), &json!({ "send_email": true }), 201).await;
    sys.mail.wait_for("erin@x.test").await;
    let order = json!({ "customer_id": id, "items": [{ "product_id": sku, "quantity": 1 }], "payment_method": "card", "paid": true });
    let placed = admin.post("/api/v1/orders", &order, 201).await;
    let order_id = placed["order"]["id"].as_str().or(placed["id"].as_str()).unwrap().to_string();
    let lines = until(&ana, &format!("/api/v1/commissions?order_id={order_id}"), |l| {
        l["items"].as_array().is_some_and(|i| !i.is_empty())
    })
    .await;
    let balances = ana.get("/api/v1/balances", 200).await;

    // Export: one document, one part per service, each with what it holds.
    let export_path = format!("{path}/export");
    let r = admin.send(Method::GET, &export_path, None, &[]).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.headers["content-disposition"], format!("attachment; filename=\"customer-{id}.json\"").as_str());
    let doc = until(&admin, &export_path, |d| {
        d["attribution"]["clicks"].as_array().is_some_and(|c| !c.is_empty())
            && d["notifications"]["emails"].as_array().is_some_and(|e| !e.is_empty())
    })
    .await;
    let c = &doc["customers"];
    assert_eq!(
        (c["customer"]["name"].as_str(), c["customer"]["email"].as_str()),
        (Some("Erin Erase"), Some("erin@x.test"))
    );
    assert_eq!(c["customer"]["phone"], "+39 333 1234567");
    assert_eq!(c["customer"]["address"]["city"], "Milano");
    assert_eq!(c["notes"][0]["body"], "Erin prefers calls after six");
    assert_eq!(c["communications"][0]["summary"], "Called Erin about the spring offer");
    assert!(c["quick_order_link"]["created_at"].is_string(), "{c}");
    assert!(c["quick_order_link"].get("token_hash").is_none(), "never the link's hash: {c}");
    let o = &doc["orders"]["orders"][0];
    assert_eq!((o["id"].as_str(), o["customer_name"].as_str()), (Some(order_id.as_str()), Some("Erin Erase")));
    assert_eq!(o["items"][0]["sku"], "PRV-100");
    let a = &doc["attribution"];
    assert_eq!(a["clicks"][0]["user_agent"], "Erin-Phone/1.0");
    assert_eq!(a["bindings"][0]["partner_id"], ana_id.as_str());
    assert_eq!(a["email"], "erin@x.test");
    let mails = &doc["notifications"]["emails"];
    assert_eq!(
        (mails[0]["kind"].as_str(), mails[0]["to_address"].as_str()),
        (Some("quick_order_link"), Some("erin@x.test"))
    );

    // Only the merchant exports and erases; a bad confirmation names its field and changes nothing.
    let r = ana.send(Method::GET, &export_path, None, &[]).await;
    assert_eq!(r.status, 403, "the owner partner may not: {r:?}");
    let r = ana
        .send(Method::POST, &format!("{path}/erase"), Some(("application/json", r#"{"confirm":"Erin Erase"}"#)), &[])
        .await;
    assert_eq!(r.status, 403, "the owner partner may not: {r:?}");
    let r =
        admin.expect_with(Method::POST, &format!("{path}/erase"), Some(&json!({ "confirm": "Erin" })), &[], 422).await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("confirm"));
    assert_eq!(admin.get(&path, 200).await["email"], "erin@x.test");

    // Erase: the record is anonymised at once, and the erasure is on the stream and audited.
    let erased = admin.post(&format!("{path}/erase"), &json!({ "confirm": " erin erase " }), 200).await;
    assert_eq!(
        (erased["name"].as_str(), erased["email"].as_str(), erased["phone"].as_str()),
        (Some("erased customer"), Some(""), Some(""))
    );
    assert_eq!((erased["vat_number"].as_str(), erased["address"]["city"].as_str()), (Some(""), Some("")));
    assert!(erased["erased_at"].is_string() && !erased["has_quick_order_link"].as_bool().unwrap(), "{erased}");
    sys.wait_for_event_about("customers", "customer.erased", Some(&id)).await;
    for q in ["erin", "333", "x.test", "erased"] {
        let found = admin.get(&format!("/api/v1/customers?q={q}"), 200).await;
        assert!(!found.to_string().contains(&id), "search for {q} finds the erased customer: {found}");
    }
    // Every copy goes: orders' name and email, attribution's clicks and email, the emails.
    let doc = until(&admin, &export_path, |d| {
        d["orders"]["orders"][0]["customer_name"] == "erased customer"
            && d["attribution"]["email"].is_null()
            && d["notifications"]["emails"][0]["to_address"] == ""
    })
    .await;
    let text = doc.to_string();
    for personal in ["Erin", "erin@x.test", "1234567", "Milano", "IT12345678901", "after six", "spring offer"] {
        assert!(!text.contains(personal), "the export still holds {personal}: {doc}");
    }
    let c = &doc["customers"];
    assert_eq!(c["notes"][0]["body"], "", "the note stays, without its text");
    assert!(c["quick_order_link"].is_null(), "{c}");
    let me = admin.get("/api/v1/me", 200).await;
    assert_eq!(c["erasure"]["actor_user_id"], me["user_id"], "who erased it: {c}");
    assert!(
        doc["attribution"]["clicks"].as_array().unwrap().iter().all(|k| k["user_agent"] == "" && k["ip_hash"] == "")
    );
    assert_eq!(doc["attribution"]["bindings"][0]["partner_id"], ana_id.as_str(), "the binding is the partner's");
    assert_eq!(doc["orders"]["orders"][0]["customer_email"], "");

    // The money stays: the order's amounts, its commission, every balance, a sound ledger.
    let o = admin.get(&format!("/api/v1/orders/{order_id}"), 200).await;
    assert_eq!((o["customer_name"].as_str(), o["total"].as_str()), (Some("erased customer"), placed_total(&placed)));
    let after = ana.get(&format!("/api/v1/commissions?order_id={order_id}"), 200).await;
    assert_eq!(after["items"], lines["items"]);
    assert_eq!(ana.get("/api/v1/balances", 200).await, balances);
    assert_eq!(admin.get("/api/v1/ledger/check", 200).await["sound"], true);
    let r = admin.send(Method::GET, "/api/v1/orders?q=erin", None, &[]).await;
    assert!(!r.body.to_string().contains(&order_id), "order search by the old name: {r:?}");

    // Erased stays erased: no second erasure, no new personal data, no new link.
    let r = admin
        .expect_with(Method::POST, &format!("{path}/erase"), Some(&json!({ "confirm": "erased customer" })), &[], 409)
        .await;
    e2e::assert_problem(&r, 409, "customer_erased", None);
    let r = admin.expect_with(Method::PATCH, &path, Some(&json!({ "email": "erin@x.test" })), &[], 409).await;
    e2e::assert_problem(&r, 409, "customer_erased", None);
    let r = admin.expect_with(Method::POST, &format!("{path}/quick-order-link"), Some(&json!({})), &[], 409).await;
    e2e::assert_problem(&r, 409, "customer_erased", None);
    sys.stop().await;
}

fn placed_total(placed: &Value) -> Option<&str> {
    placed["order"]["total"].as_str().or(placed["total"].as_str())
}

/// X7, C7: Ana sees her sub-partner Cy's results, and none of Cy's customers' names, emails or
/// phones on any page of the API she can reach.
#[tokio::test]
async fn x7_a_parent_sees_its_teams_results_and_none_of_their_customers_contact_data() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let sku = product(&admin, "PRV-200").await;
    let cy = sys.login("cy@demo.test", "demo-partner").await;
    let cy_id = cy.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let sales_path = format!("/api/v1/reports/sales?partner_id={cy_id}");
    let before = orders_in(&ana.get(&sales_path, 200).await);
    let zed =
        json!({ "name": "Zed Secret", "email": "zed.secret@x.test", "phone": "+40 722 000 111", "status": "current" });
    let zed_id = cy.post("/api/v1/customers", &zed, 201).await["id"].as_str().unwrap().to_string();
    let order = json!({ "customer_id": zed_id, "items": [{ "product_id": sku, "quantity": 1 }], "payment_method": "card", "paid": true });
    let placed = admin.post("/api/v1/orders", &order, 201).await;
    let order_id = placed["order"]["id"].as_str().or(placed["id"].as_str()).unwrap().to_string();
    until(&cy, &format!("/api/v1/commissions?order_id={order_id}"), |l| {
        l["items"].as_array().is_some_and(|i| !i.is_empty())
    })
    .await;

    // Ana's team results: Cy's new sale counts in Cy's report; Cy's best customers are there,
    // nameless and without ids.
    until(&ana, &sales_path, |r| orders_in(r) == before + 1).await;
    let customers = ana.get(&format!("/api/v1/reports/customers?partner_id={cy_id}"), 200).await;
    let top = customers["top"].as_array().unwrap();
    assert!(!top.is_empty() && top.iter().all(|t| t["name"] == "" && t["customer_id"] == ""), "{customers}");

    let leaks = ["Zed", "zed.secret", "722 000 111"];
    let paths = [
        "/api/v1/customers".to_string(),
        "/api/v1/customers?q=zed".to_string(),
        format!("/api/v1/customers?owner_partner_id={cy_id}"),
        format!("/api/v1/customers/{zed_id}"),
        format!("/api/v1/customers/{zed_id}/binding"),
        format!("/api/v1/customers/{zed_id}/notes"),
        format!("/api/v1/customers/{zed_id}/export"),
        "/api/v1/orders".to_string(),
        "/api/v1/orders?q=zed".to_string(),
        format!("/api/v1/orders/{order_id}"),
        "/api/v1/commissions".to_string(),
        "/api/v1/ledger".to_string(),
        "/api/v1/notifications".to_string(),
        "/api/v1/dashboard".to_string(),
        format!("/api/v1/dashboard?partner_id={cy_id}"),
        format!("/api/v1/reports/sales?partner_id={cy_id}"),
        format!("/api/v1/reports/customers?partner_id={cy_id}"),
        format!("/api/v1/reports/customers?partner_id={cy_id}&format=csv"),
        "/api/v1/reports/commissions".to_string(),
        "/api/v1/reports/partners".to_string(),
        "/api/v1/partners".to_string(),
        format!("/api/v1/partners/{cy_id}"),
        "/api/v1/referrals".to_string(),
        "/api/v1/leads".to_string(),
    ];
    for p in &paths {
        let r = ana.send(Method::GET, p, None, &[]).await;
        let text = r.body.to_string();
        for leak in leaks {
            assert!(!text.to_lowercase().contains(&leak.to_lowercase()), "{p} shows Ana {leak}: {text}");
        }
    }
    // The customer itself is none of Ana's business.
    for p in [format!("/api/v1/customers/{zed_id}"), format!("/api/v1/orders/{order_id}")] {
        assert_eq!(ana.send(Method::GET, &p, None, &[]).await.status, 404, "{p}");
    }
    sys.stop().await;
}

/// The orders a sales report counts over its periods.
fn orders_in(report: &Value) -> u64 {
    report["totals"].as_array().unwrap().iter().filter_map(|t| t["orders"].as_u64()).sum()
}
