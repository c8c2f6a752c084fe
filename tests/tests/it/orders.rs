//! Orders through the gateway (O1-O9, L9, X2, CU8).

use e2e::{Client, TestSystem, assert_problem, json};
use partnerline_proto::events::v1 as ev;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str_exact(v.as_str().unwrap_or_else(|| panic!("{v} is not a decimal string"))).unwrap()
}

/// A partner of the demo program with no customers yet.
async fn partner(sys: &TestSystem, email: &str) -> (Client, String) {
    let admin = sys.demo_admin().await;
    let p = admin
        .post("/api/v1/partners", &json!({ "name": email, "email": email, "password": "demo-partner" }), 201)
        .await;
    (sys.login(email, "demo-partner").await, id(&p))
}

/// The demo catalog's product with this SKU.
async fn product(c: &Client, sku: &str) -> Value {
    let page = c.get(&format!("/api/v1/products?q={sku}"), 200).await;
    page["items"].as_array().unwrap().iter().find(|p| p["sku"] == sku).cloned().expect("demo product")
}

/// O2: an order's amounts add up, and so do its lines.
fn assert_adds_up(o: &Value) {
    let lines = o["items"].as_array().unwrap();
    let sum = |k: &str| lines.iter().map(|l| dec(&l[k])).sum::<Decimal>();
    assert_eq!(dec(&o["subtotal"]), sum("line_total"));
    assert_eq!(dec(&o["discount"]), sum("discount"));
    assert_eq!(dec(&o["total"]), dec(&o["subtotal"]) - dec(&o["discount"]) + dec(&o["shipping"]) + dec(&o["tax"]));
}

/// O3, O4, O5: Ana places a pay-later order for her customer; the customer opens the link, sees
/// the customer-facing note (not the internal one) and pays; the merchant walks it to completed.
#[tokio::test]
async fn o3_o4_o5_a_pay_later_order_is_paid_through_its_link_and_walked_to_completed() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let customer = &ana.get("/api/v1/customers?q=roma", 200).await["items"][0];
    let t1 = product(&ana, "POS-T1").await;
    let sw = product(&ana, "SW-BASIC").await;
    let placed = ana
        .post(
            "/api/v1/orders",
            &json!({
                "customer_id": id(customer),
                "items": [{ "product_id": id(&t1), "quantity": 2 }, { "product_id": id(&sw), "quantity": 1 }],
                "payment_method": "pay_later_link",
                "notes": [{ "visibility": "customer", "body": "Delivery on Tuesday" }, { "visibility": "internal", "body": "Upsell support later" }]
            }),
            201,
        )
        .await;
    let order = &placed["order"];
    let oid = id(order);
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["channel"], "partner_assisted");
    assert_eq!(order["placed_by_partner_id"], ana.get("/api/v1/me", 200).await["partner"]["id"]);
    assert!(order["number"].as_str().unwrap().starts_with("PL-"));
    assert_adds_up(order);
    assert_eq!(dec(&order["shipping"]), Decimal::new(490, 2), "the demo checkout ships physical orders for 4.90");
    let token = placed["payment_token"].as_str().unwrap().to_string();
    assert!(token.len() >= 43, "at least 256 bits, base64");
    let link: Vec<ev::OrderPaymentLinkCreated> = sys.events("orders", "order.payment_link_created", &oid).await;
    assert_eq!(link[0].pay_path, format!("/pay/{token}"));
    assert_eq!(link[0].customer_email, customer["email"].as_str().unwrap());

    // The customer's page: the order, the customer-facing note only, and a Pay button.
    let anon = sys.client();
    let html = anon.send(Method::GET, &format!("/pay/{token}"), None, &[]).await;
    assert_eq!(html.status, 200);
    let text = html.body.as_str().unwrap();
    assert!(text.contains(order["number"].as_str().unwrap()) && text.contains("Delivery on Tuesday"));
    assert!(!text.contains("Upsell"), "internal notes stay internal");
    assert_eq!(customer["language"], "it");
    let it = web::i18n::Lang::parse("it").unwrap();
    let total = web::format::money(it, order["total"].as_str().unwrap(), "EUR");
    assert!(text.contains(&format!("Paga {total}")), "in the customer's language and its way of writing money");
    assert!(text.contains("Demo Coffee Co.") && text.contains("<html lang=\"it\">"));
    // Ana sends a new link: the old one stops working at once.
    let renewed = ana.post(&format!("/api/v1/orders/{oid}/payment-link"), &json!({}), 201).await;
    anon.get(&format!("/api/v1/payments/{token}"), 404).await;
    let token = renewed["payment_token"].as_str().unwrap().to_string();
    assert_eq!(sys.events::<ev::OrderPaymentLinkCreated>("orders", "order.payment_link_created", &oid).await.len(), 2);
    let page = anon.get(&format!("/api/v1/payments/{token}"), 200).await;
    assert_eq!(page["payable"], true);
    assert_eq!(page["notes"].as_array().unwrap().len(), 1);
    let paid = anon.post(&format!("/api/v1/payments/{token}/pay"), &json!({}), 200).await;
    assert_eq!(paid["status"], "paid");
    let r = anon.expect_with(Method::POST, &format!("/api/v1/payments/{token}/pay"), None, &[], 409).await;
    assert_problem(&r, 409, "not_payable", None);
    anon.get("/api/v1/payments/not-a-token", 404).await;
    assert_eq!(anon.send(Method::GET, "/pay/not-a-token", None, &[]).await.status, 404);

    // The merchant walks it through the workflow; a partner may not.
    let r = ana
        .expect_with(
            Method::POST,
            &format!("/api/v1/orders/{oid}/status"),
            Some(&json!({ "status": "confirmed" })),
            &[],
            403,
        )
        .await;
    assert_problem(&r, 403, "forbidden", None);
    let admin = sys.demo_admin().await;
    for status in ["confirmed", "in_production", "shipped"] {
        admin.post(&format!("/api/v1/orders/{oid}/status"), &json!({ "status": status }), 200).await;
    }
    let r = admin
        .expect_with(
            Method::POST,
            &format!("/api/v1/orders/{oid}/status"),
            Some(&json!({ "status": "cancelled" })),
            &[],
            409,
        )
        .await;
    assert_problem(&r, 409, "illegal_transition", Some("status"));
    assert!(r.body["detail"].as_str().unwrap().contains("completed"), "names the allowed next state");
    let done = admin
        .post(&format!("/api/v1/orders/{oid}/status"), &json!({ "status": "completed", "expected_version": 5 }), 200)
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["version"], 6);
    let history: Vec<_> =
        done["history"].as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap().to_string()).collect();
    assert_eq!(history, ["pending_payment", "paid", "confirmed", "in_production", "shipped", "completed"]);
    assert_eq!(done["history"][1]["actor_kind"], "customer");
    assert_eq!(done["notes"].as_array().unwrap().len(), 2, "the order page shows every note");
    let completed: Vec<ev::OrderStatusChanged> = sys.events("orders", "order.completed", &oid).await;
    assert_eq!(completed[0].version, 6);
    assert_eq!(completed[0].amount_paid, order["total"].as_str().unwrap());
    sys.stop().await;
}

/// CU8: the customer's link shows the catalog at its prices and places an order without login,
/// attributed to its partner, with its discount applied.
#[tokio::test]
async fn cu8_a_quick_order_link_places_an_order_with_the_customer_discount() {
    let sys = TestSystem::start().await;
    let (pia, pia_id) = partner(&sys, "pia@demo.test").await;
    let c = pia
        .post(
            "/api/v1/customers",
            &json!({ "name": "Quick Bar", "email": "bar@quick.test", "discount_percent": "10", "language": "it" }),
            201,
        )
        .await;
    let link = pia.post(&format!("/api/v1/customers/{}/quick-order-link", id(&c)), &json!({}), 201).await;
    let token = link["token"].as_str().unwrap();
    let anon = sys.client();
    let catalog = anon.get(&format!("/api/v1/quick-order/{token}/catalog"), 200).await;
    let t1 = catalog["products"].as_array().unwrap().iter().find(|p| p["sku"] == "POS-T1").unwrap().clone();
    assert_eq!(t1["base_price"], "349.00");
    assert_eq!(t1["your_price"], "314.10", "base minus the customer's 10%");
    let html = anon.send(Method::GET, &format!("/q/{token}"), None, &[]).await;
    assert_eq!(html.status, 200);
    let page = html.body.as_str().unwrap();
    assert!(page.contains("314,10\u{a0}€"), "the customer's price, as Italian writes it");
    assert!(page.contains("Ordine per Quick Bar") && page.contains("Invia ordine"), "in the customer's language");
    assert!(page.contains("Demo Coffee Co."), "under the merchant's name");

    let placed = anon
        .post(
            &format!("/q/{token}/orders"),
            &json!({ "items": [{ "product_id": t1["product_id"], "quantity": 1 }], "note": "Ring twice" }),
            201,
        )
        .await;
    let o = &placed["order"];
    assert_eq!(o["channel"], "quick_order");
    assert_eq!(o["partner_id"], pia_id.as_str());
    assert_eq!(o["items"][0]["discount"], "34.90");
    assert_eq!(o["customer_name"], "Quick Bar");
    assert_adds_up(o);
    assert!(placed["payment_token"].is_string(), "quick orders are paid through the payment page");
    let e: Vec<ev::OrderPlaced> = sys.events("orders", "order.placed", &id(o)).await;
    assert_eq!(e[0].channel, "quick_order");
    assert_eq!(e[0].customer_owner_partner_id.as_deref(), Some(pia_id.as_str()));
    pia.get(&format!("/api/v1/orders/{}", id(o)), 200).await;
    anon.get("/api/v1/quick-order/guessed-token-aaaaaaaaaaaaaaaaaaaaaaaa/catalog", 404).await;
    let r = anon
        .send(Method::POST, "/q/guessed-token-aaaaaaaaaaaaaaaaaaaaaaaa/orders", Some(("application/json", "{}")), &[])
        .await;
    assert_eq!(r.status, 404);
    sys.stop().await;
}

/// O1, C1: SKUs are unique per program, rates above 50% are stored as 50% with a notice, bulk
/// changes are all or nothing, partners see active products only and change none.
#[tokio::test]
async fn o1_the_catalog_with_unique_skus_capped_rates_and_bulk_changes() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let p = admin
        .post(
            "/api/v1/products",
            &json!({ "sku": "MUG-1", "name": "Mug", "base_price": "9.5", "kind": "physical", "commission_rate": "75", "category": "merch" }),
            201,
        )
        .await;
    assert_eq!(p["base_price"], "9.50");
    assert_eq!(p["currency"], "EUR", "the program currency");
    assert_eq!(p["commission_rate"], "50.00");
    assert!(p["notices"][0].as_str().unwrap().contains("50%"));
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/products",
            Some(&json!({ "sku": "mug-1", "name": "Other", "base_price": "1" })),
            &[],
            409,
        )
        .await;
    assert_problem(&r, 409, "sku_taken", Some("sku"));
    for (body, field) in [
        (json!({ "sku": "X-1", "name": "X", "base_price": "1.001" }), "base_price"),
        (json!({ "sku": "X-1", "name": "X", "base_price": "-1" }), "base_price"),
        (json!({ "sku": "X 1", "name": "X", "base_price": "1" }), "sku"),
        (json!({ "sku": "X-1", "name": "X", "base_price": "1", "kind": "gas" }), "kind"),
        (json!({ "sku": "X-1", "name": "X", "base_price": "1", "currency": "XXX" }), "currency"),
    ] {
        let r = admin.expect_with(Method::POST, "/api/v1/products", Some(&body), &[], 422).await;
        assert_problem(&r, 422, "invalid_field", Some(field));
    }
    let r = admin
        .expect_with(
            Method::POST,
            "/api/v1/products/bulk",
            Some(
                &json!({ "items": [{ "id": id(&p), "base_price": "12" }, { "id": id(&p), "commission_rate": "abc" }] }),
            ),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("items[1].commission_rate"));
    assert_eq!(admin.get(&format!("/api/v1/products/{}", id(&p)), 200).await["base_price"], "9.50", "nothing changed");
    let bulk = admin
        .post(
            "/api/v1/products/bulk",
            &json!({ "items": [{ "id": id(&p), "base_price": "12", "commission_rate": "" }] }),
            200,
        )
        .await;
    assert_eq!(bulk["items"][0]["base_price"], "12.00");
    assert_eq!(bulk["items"][0]["commission_rate"], Value::Null);

    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let r = ana
        .expect_with(
            Method::POST,
            "/api/v1/products",
            Some(&json!({ "sku": "A", "name": "A", "base_price": "1" })),
            &[],
            403,
        )
        .await;
    assert_problem(&r, 403, "forbidden", None);
    admin.patch(&format!("/api/v1/products/{}", id(&p)), &json!({ "active": false }), 200).await;
    ana.get(&format!("/api/v1/products/{}", id(&p)), 404).await;
    let mine = ana.get("/api/v1/products?q=mug", 200).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
    let all = admin.get("/api/v1/products?q=mug&include_inactive=true", 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let page = ana.get("/api/v1/products?limit=5", 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let next =
        ana.get(&format!("/api/v1/products?limit=5&cursor={}", page["next_cursor"].as_str().unwrap()), 200).await;
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);
    sys.stop().await;
}

/// O6: partial and full refunds, never beyond what was paid, with returned items per line;
/// `order.refunded` carries the cumulative amount and whether a physical item came back.
#[tokio::test]
async fn o6_refunds_are_partial_or_full_and_never_exceed_what_was_paid() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let customer = &admin.get(&format!("/api/v1/customers?q=roma&owner_partner_id={ana_id}"), 200).await["items"][0];
    let t1 = product(&admin, "POS-T1").await;
    let sw = product(&admin, "SW-PLUS").await;
    let placed = admin
        .post(
            "/api/v1/orders",
            &json!({ "customer_id": id(customer), "items": [{ "product_id": id(&t1), "quantity": 1 }, { "product_id": id(&sw), "quantity": 1 }],
                     "payment_method": "card", "paid": true, "shipping": "0", "tax_rate": "0" }),
            201,
        )
        .await;
    let o = &placed["order"];
    let oid = id(o);
    assert_eq!(o["status"], "paid");
    let paid = dec(&o["amount_paid"]);
    assert_eq!(paid, dec(&o["total"]));

    let r1 = admin
        .post(
            &format!("/api/v1/orders/{oid}/refunds"),
            &json!({ "amount": "100.00", "reason": "goodwill", "items": [{ "line": 2, "quantity": 1 }] }),
            201,
        )
        .await;
    assert_eq!(r1["amount_refunded"], "100.00");
    let first: Vec<ev::OrderRefunded> = sys.events("orders", "order.refunded", &oid).await;
    assert!(!first[0].physical_returned, "the software line is digital");
    for (body, field, code) in [
        (
            json!({ "amount": (paid - Decimal::new(10000, 2) + Decimal::new(1, 2)).to_string() }),
            "amount",
            "refund_exceeds_paid",
        ),
        (json!({ "amount": "0" }), "amount", "invalid_field"),
        (json!({ "amount": "1", "items": [{ "line": 9, "quantity": 1 }] }), "items[0].line", "invalid_field"),
        (json!({ "amount": "1", "items": [{ "line": 2, "quantity": 1 }] }), "items[0].quantity", "invalid_field"),
    ] {
        let r = admin.expect_with(Method::POST, &format!("/api/v1/orders/{oid}/refunds"), Some(&body), &[], 422).await;
        assert_problem(&r, 422, code, Some(field));
    }
    let r = ana
        .expect_with(Method::POST, &format!("/api/v1/orders/{oid}/refunds"), Some(&json!({ "amount": "1" })), &[], 403)
        .await;
    assert_problem(&r, 403, "forbidden", None);

    let rest = (paid - Decimal::new(10000, 2)).to_string();
    let full = admin
        .post(
            &format!("/api/v1/orders/{oid}/refunds"),
            &json!({ "amount": rest, "items": [{ "line": 1, "quantity": 1 }] }),
            201,
        )
        .await;
    assert_eq!(dec(&full["amount_refunded"]), paid);
    assert_eq!(full["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(full["items"][0]["returned_quantity"], 1);
    let all: Vec<ev::OrderRefunded> = sys.events("orders", "order.refunded", &oid).await;
    assert_eq!(all.len(), 2);
    assert_eq!(Decimal::from_str_exact(&all[1].refunded_total).unwrap(), paid);
    assert!(all[1].physical_returned, "the terminal came back");
    assert!(all[1].version > all[0].version);
    let r = admin
        .expect_with(
            Method::POST,
            &format!("/api/v1/orders/{oid}/refunds"),
            Some(&json!({ "amount": "0.01" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "refund_exceeds_paid", Some("amount"));
    sys.stop().await;
}

/// L9, X2: a partner's coupon within the program's limits; limited to one product it discounts
/// that line only; the order names the coupon's partner; exhausted, expired and unknown codes are
/// refused with their reason.
#[tokio::test]
async fn l9_x2_coupons_within_limits_discount_their_lines_and_name_their_partner() {
    let sys = TestSystem::start().await;
    let (pia, pia_id) = partner(&sys, "pia@demo.test").await;
    let sw = product(&pia, "SW-BASIC").await;
    let t1 = product(&pia, "POS-T1").await;
    let r = pia
        .expect_with(
            Method::POST,
            "/api/v1/coupons",
            Some(&json!({ "code": "PIA50", "discount_percent": "50" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("discount_percent"));
    let r = pia
        .expect_with(
            Method::POST,
            "/api/v1/coupons",
            Some(&json!({ "code": "PIA5", "discount_percent": "5", "expires_at": "2027-12-31" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("expires_at"));
    let coupon = pia
        .post(
            "/api/v1/coupons",
            &json!({ "code": "pia-sw", "discount_percent": "20", "commission_rate": "15", "product_ids": [id(&sw)], "max_uses": 1 }),
            201,
        )
        .await;
    assert_eq!(coupon["code"], "PIA-SW");
    assert_eq!(coupon["partner_id"], pia_id.as_str());
    let r = pia
        .expect_with(
            Method::POST,
            "/api/v1/coupons",
            Some(&json!({ "code": "PIA-SW", "discount_percent": "5" })),
            &[],
            409,
        )
        .await;
    assert_problem(&r, 409, "coupon_code_taken", Some("code"));

    let admin = sys.demo_admin().await;
    let customer = &admin.get("/api/v1/customers?q=roma", 200).await["items"][0];
    let cart = |code: &str| {
        json!({ "customer_id": id(customer), "items": [{ "product_id": id(&sw), "quantity": 1 }, { "product_id": id(&t1), "quantity": 1 }],
                "payment_method": "card", "coupon_code": code })
    };
    let placed = admin.post("/api/v1/orders", &cart("pia-sw"), 201).await;
    let o = &placed["order"];
    assert_eq!(o["coupon_partner_id"], pia_id.as_str());
    assert_eq!(o["partner_id"], pia_id.as_str(), "the coupon's partner, until attribution decides");
    assert_eq!(o["coupon_commission_rate"], "15.00");
    assert!(o["items"][0]["coupon_applies"].as_bool().unwrap());
    assert!(!o["items"][1]["coupon_applies"].as_bool().unwrap());
    assert_eq!(o["items"][1]["discount"], "0.00", "the coupon is limited to the software");
    assert_adds_up(o);
    let e: Vec<ev::OrderPlaced> = sys.events("orders", "order.placed", &id(o)).await;
    assert_eq!(e[0].coupon_partner_id.as_deref(), Some(pia_id.as_str()));
    assert_eq!(e[0].coupon_commission_rate.as_deref(), Some("15.00"));
    pia.get(&format!("/api/v1/orders/{}", id(o)), 200).await;

    for (code, reason) in [("PIA-SW", "coupon_exhausted"), ("NOPE-1", "coupon_unknown")] {
        let r = admin.expect_with(Method::POST, "/api/v1/orders", Some(&cart(code)), &[], 422).await;
        assert_problem(&r, 422, reason, Some("coupon_code"));
    }
    let soon = pia
        .post("/api/v1/coupons", &json!({ "code": "SOON", "discount_percent": "5", "expires_at": "2026-06-10" }), 201)
        .await;
    assert_eq!(soon["max_uses"], 0, "no cap unless the program sets one");
    admin.post("/api/v1/orders/quote", &cart("SOON"), 200).await;
    sys.clock.advance(chrono::Duration::days(10));
    let admin = sys.demo_admin().await;
    let r = admin.expect_with(Method::POST, "/api/v1/orders/quote", Some(&cart("SOON")), &[], 422).await;
    assert_problem(&r, 422, "coupon_expired", Some("coupon_code"));
    sys.stop().await;
}

/// O9: a partner buys for resale at the wholesale price; the order is flagged wholesale.
#[tokio::test]
async fn o9_wholesale_orders_are_the_partners_own_at_wholesale_price() {
    let sys = TestSystem::start().await;
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let t1 = product(&bo, "POS-T1").await;
    let sw = product(&bo, "SW-BASIC").await;
    let placed = bo
        .post("/api/v1/orders", &json!({ "kind": "wholesale", "items": [{ "product_id": id(&t1), "quantity": 3 }], "payment_method": "bank_transfer" }), 201)
        .await;
    let o = &placed["order"];
    assert_eq!(o["kind"], "wholesale");
    assert_eq!(o["items"][0]["unit_price"], "249.00");
    assert_eq!(o["customer_id"], Value::Null);
    let e: Vec<ev::OrderPlaced> = sys.events("orders", "order.placed", &id(o)).await;
    assert_eq!(e[0].kind, "wholesale");
    let r = bo
        .expect_with(Method::POST, "/api/v1/orders", Some(&json!({ "kind": "wholesale", "items": [{ "product_id": id(&sw), "quantity": 1 }], "payment_method": "card" })), &[], 422)
        .await;
    assert_problem(&r, 422, "invalid_field", Some("items[0].product_id"));
    let admin = sys.demo_admin().await;
    let r = admin
        .expect_with(Method::POST, "/api/v1/orders", Some(&json!({ "kind": "wholesale", "items": [{ "product_id": id(&t1), "quantity": 1 }], "payment_method": "card" })), &[], 403)
        .await;
    assert_problem(&r, 403, "forbidden", Some("kind"));
    sys.stop().await;
}

/// O2, O7: bad input is a 422 naming the field and stores nothing; the list filters, searches,
/// sorts and pages; a partner sees only its own orders.
#[tokio::test]
async fn o2_o7_bad_carts_change_nothing_and_the_list_filters_searches_and_sorts() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let customer = &ana.get("/api/v1/customers?q=roma", 200).await["items"][0];
    let t1 = product(&ana, "POS-T1").await;
    let before = ana.get("/api/v1/orders?limit=200", 200).await["items"].as_array().unwrap().len();
    let good = json!({ "customer_id": id(customer), "items": [{ "product_id": id(&t1), "quantity": 1 }], "payment_method": "card" });
    let bo_customer = &sys.login("bo@demo.test", "demo-partner").await.get("/api/v1/customers", 200).await["items"][0];
    for (patch, field, status) in [
        (json!({ "payment_method": "barter" }), "payment_method", 422),
        (json!({ "items": [{ "product_id": id(&t1), "quantity": 0 }] }), "items[0].quantity", 422),
        (
            json!({ "items": [{ "product_id": "01900000-0000-7000-8000-000000000000", "quantity": 1 }] }),
            "items[0].product_id",
            422,
        ),
        (json!({ "items": [] }), "items", 422),
        (json!({ "customer_id": id(bo_customer) }), "customer_id", 422),
        (json!({ "channel": "quick_order" }), "channel", 422),
        (json!({ "paid": true }), "paid", 403),
        (json!({ "shipping": "0" }), "shipping", 403),
        (json!({ "promotion_type": "spring sale!" }), "promotion_type", 422),
    ] {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = ana.expect_with(Method::POST, "/api/v1/orders", Some(&body), &[], status).await;
        assert!(r.body["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {}", r.body);
    }
    assert_eq!(
        ana.get("/api/v1/orders?limit=200", 200).await["items"].as_array().unwrap().len(),
        before,
        "nothing stored"
    );

    let admin = sys.demo_admin().await;
    let all = admin.get("/api/v1/orders?limit=200", 200).await["items"].as_array().unwrap().clone();
    assert!(all.len() > before, "the merchant sees every partner's orders");
    for status in ["pending_payment", "paid", "confirmed", "in_production", "shipped", "completed", "cancelled"] {
        let some = admin.get(&format!("/api/v1/orders?status={status}"), 200).await;
        assert!(some["items"].as_array().unwrap().iter().all(|o| o["status"] == status));
        assert!(!some["items"].as_array().unwrap().is_empty(), "the demo has an order {status}");
    }
    let by_total = admin.get("/api/v1/orders?sort=-total&limit=200", 200).await["items"].as_array().unwrap().clone();
    let totals: Vec<Decimal> = by_total.iter().map(|o| dec(&o["total"])).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "sorted by total, descending");
    let number = all[0]["number"].as_str().unwrap();
    let found = admin.get(&format!("/api/v1/orders?q={}", &number[3..]), 200).await;
    assert_eq!(found["items"][0]["number"], number);
    let today = admin.get("/api/v1/orders?placed_from=2026-06-01&placed_to=2026-06-01", 200).await;
    // The demo also has orders from weeks ago (their commissions have matured).
    let placed_today = all.iter().filter(|o| o["placed_at"].as_str().unwrap().starts_with("2026-06-01")).count();
    assert!(placed_today < all.len());
    assert_eq!(today["items"].as_array().unwrap().len(), placed_today.min(50));
    assert_eq!(admin.get("/api/v1/orders?placed_from=2026-06-02", 200).await["items"].as_array().unwrap().len(), 0);
    let r = admin.expect_with(Method::GET, "/api/v1/orders?sort=secret", None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("sort"));
    let page = admin.get("/api/v1/orders?limit=2", 200).await;
    let next =
        admin.get(&format!("/api/v1/orders?limit=2&cursor={}", page["next_cursor"].as_str().unwrap()), 200).await;
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);
    let mine = ana.get("/api/v1/orders?limit=200", 200).await["items"].as_array().unwrap().clone();
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].clone();
    assert!(mine.iter().all(|o| o["partner_id"] == ana_id), "{mine:?}");
    sys.stop().await;
}

/// A2: every order endpoint, for a partner who is not the order's, and for a merchant and a
/// partner of another program: 404, and nothing changes. Endpoints come from the OpenAPI document.
#[tokio::test]
async fn o_a2_authorization_matrix_over_every_order_endpoint() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let customer = &ana.get("/api/v1/customers", 200).await["items"][0];
    let t1 = product(&ana, "POS-T1").await;
    let o = ana
        .post("/api/v1/orders", &json!({ "customer_id": id(customer), "items": [{ "product_id": id(&t1), "quantity": 1 }], "payment_method": "card" }), 201)
        .await;
    let oid = id(&o["order"]);
    let program_b = sys.other_program().await;
    let (admin_b, zed) = (program_b.admin, program_b.partner);
    let bo = sys.login("bo@demo.test", "demo-partner").await;

    let doc = sys.client().get("/api/v1/openapi.json", 200).await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/orders/{id}") {
            continue;
        }
        let url = path.replace("{id}", &oid);
        for method in ops.as_object().unwrap().keys() {
            let body = match path.as_str() {
                "/api/v1/orders/{id}/status" => Some(json!({ "status": "cancelled" })),
                "/api/v1/orders/{id}/notes" => Some(json!({ "visibility": "internal", "body": "x" })),
                "/api/v1/orders/{id}/refunds" => Some(json!({ "amount": "1" })),
                "/api/v1/orders/{id}/attribution/override" => Some(json!({ "partner_id": "", "reason": "x" })),
                _ => None,
            };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (who, client) in [("bo (same program)", &bo), ("admin of B", &admin_b), ("partner of B", &zed)] {
                let text = body.as_ref().map(|b| b.to_string());
                let r = client.send(m.clone(), &url, text.as_deref().map(|t| ("application/json", t)), &[]).await;
                assert_eq!(r.status, 404, "{who}: {method} {path} -> {} {:?}", r.status, r.body);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 7, "every order endpoint was tried");
    let after = ana.get(&format!("/api/v1/orders/{oid}"), 200).await;
    assert_eq!(after["status"], "pending_payment");
    assert_eq!(after["notes"].as_array().unwrap().len(), 0);
    for other in [&bo, &admin_b, &zed] {
        let list = other.get("/api/v1/orders?limit=200", 200).await;
        assert!(list["items"].as_array().unwrap().iter().all(|x| x["id"] != oid.as_str()));
    }
    sys.stop().await;
}

/// The same order sent twice with one Idempotency-Key is placed once.
#[tokio::test]
async fn o2_an_order_sent_twice_with_one_idempotency_key_is_placed_once() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let customer = &ana.get("/api/v1/customers", 200).await["items"][0];
    let t1 = product(&ana, "POS-T1").await;
    let body = json!({ "customer_id": id(customer), "items": [{ "product_id": id(&t1), "quantity": 1 }], "payment_method": "card" }).to_string();
    let key = [("idempotency-key", "order-42")];
    let a = ana.send(Method::POST, "/api/v1/orders", Some(("application/json", &body)), &key).await;
    let b = ana.send(Method::POST, "/api/v1/orders", Some(("application/json", &body)), &key).await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(a.body["order"]["id"], b.body["order"]["id"]);
    sys.stop().await;
}

fn import_order(ext: &str, sku: &str, extra: Value) -> Value {
    let mut o = json!({
        "external_id": ext,
        "customer": { "name": "Web Shopper", "email": "web@shop.test", "language": "en" },
        "items": [{ "sku": sku, "quantity": 2 }],
        "payment_method": "card",
    });
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

/// O8: a batch is answered item by item; re-sending it changes nothing; later status changes
/// and refunds arrive by external id; partners may not import.
#[tokio::test]
async fn o8_imports_answer_each_order_and_are_idempotent_by_external_id() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let batch = json!({ "orders": [
        import_order("web-1", "POS-T1", json!({})),
        import_order("web-2", "NO-SUCH", json!({ "payment_method": "barter" })),
        import_order("web-3", "SW-BASIC", json!({ "status": "completed", "shipping": "0", "tax_rate": "0" })),
        import_order("web-1", "POS-T1", json!({})),
    ]});
    let r = admin.post("/api/v1/orders/import", &batch, 200).await;
    assert_eq!((r["created"].as_u64(), r["rejected"].as_u64()), (Some(2), Some(2)));
    let results: Vec<_> =
        r["items"].as_array().unwrap().iter().map(|i| i["result"].as_str().unwrap().to_string()).collect();
    assert_eq!(results, ["created", "rejected", "created", "rejected"]);
    let fields: Vec<_> =
        r["items"][1]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"orders[1].items[0].sku") && fields.contains(&"orders[1].payment_method"), "{fields:?}");
    assert_eq!(r["items"][3]["errors"][0]["field"], "orders[3].external_id");
    let web3 = admin.get(&format!("/api/v1/orders/{}", r["items"][2]["order_id"].as_str().unwrap()), 200).await;
    assert_eq!(web3["status"], "completed");
    assert_eq!(web3["channel"], "api");
    assert_eq!(web3["total"], "480.00");
    assert_eq!(web3["amount_paid"], "480.00");
    assert_adds_up(&web3);
    let placed: Vec<ev::OrderPlaced> = sys.events("orders", "order.placed", &id(&web3)).await;
    assert_eq!(placed[0].external_id.as_deref(), Some("web-3"));

    let again =
        admin.post("/api/v1/orders/import", &json!({ "orders": [batch["orders"][0], batch["orders"][2]] }), 200).await;
    assert_eq!(again["duplicate"], 2, "re-sending changes nothing");
    assert_eq!(again["items"][0]["order_id"], r["items"][0]["order_id"]);

    // Later changes of web-1: walked to shipped, then a refund, each once.
    let web1 = r["items"][0]["order_id"].as_str().unwrap().to_string();
    let change = json!({ "orders": [{ "external_id": "web-1", "status": "shipped",
        "refunds": [{ "external_id": "rf-1", "amount": "10.00", "reason": "late" }] }] });
    let u = admin.post("/api/v1/orders/import", &change, 200).await;
    assert_eq!(u["items"][0]["result"], "updated", "{}", u);
    let o = admin.get(&format!("/api/v1/orders/{web1}"), 200).await;
    assert_eq!(o["status"], "shipped");
    assert_eq!(o["history"].as_array().unwrap().len(), 5);
    assert_eq!(o["amount_refunded"], "10.00");
    assert_eq!(admin.post("/api/v1/orders/import", &change, 200).await["items"][0]["result"], "duplicate");
    let back = json!({ "orders": [{ "external_id": "web-1", "status": "paid" }] });
    let b = admin.post("/api/v1/orders/import", &back, 200).await;
    assert_eq!(b["items"][0]["result"], "rejected");
    assert_eq!(b["items"][0]["errors"][0]["field"], "orders[0].status");
    let too_much =
        json!({ "orders": [{ "external_id": "web-1", "refunds": [{ "external_id": "rf-2", "amount": "100000" }] }] });
    let t = admin.post("/api/v1/orders/import", &too_much, 200).await;
    assert_eq!(t["items"][0]["errors"][0]["field"], "orders[0].refunds[0].amount");

    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let r = ana.expect_with(Method::POST, "/api/v1/orders/import", Some(&batch), &[], 403).await;
    assert_problem(&r, 403, "forbidden", None);
    let r = admin.expect_with(Method::POST, "/api/v1/orders/import", Some(&json!({ "orders": [] })), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("orders"));
    sys.stop().await;
}

/// O8: the same batch sent twice at once creates each order once; beside a third batch, no two
/// orders get the same number (numbers are reserved apart from the batch's writes).
#[tokio::test]
async fn o8_the_same_batch_sent_twice_concurrently_creates_each_order_once() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let orders: Vec<Value> = (0..200).map(|i| import_order(&format!("race-{i}"), "PAP-50", json!({}))).collect();
    let batch = json!({ "orders": orders });
    let others: Vec<Value> = (0..200).map(|i| import_order(&format!("other-{i}"), "PAP-50", json!({}))).collect();
    let others = json!({ "orders": others });
    let (a, b, c) = tokio::join!(
        admin.post("/api/v1/orders/import", &batch, 200),
        admin.post("/api/v1/orders/import", &batch, 200),
        admin.post("/api/v1/orders/import", &others, 200)
    );
    assert_eq!(c["created"], 200);
    let numbers: std::collections::HashSet<&str> = [&a, &b, &c]
        .iter()
        .flat_map(|r| r["items"].as_array().unwrap())
        .filter(|i| i["result"] == "created")
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 400, "every created order has a number of its own");
    assert_eq!(a["created"].as_u64().unwrap() + b["created"].as_u64().unwrap(), 200);
    assert_eq!(a["duplicate"].as_u64().unwrap() + b["duplicate"].as_u64().unwrap(), 200);
    // O8: the batch that lost the race names the order, as a sequential duplicate does.
    for i in 0..200 {
        let (x, y) = (&a["items"][i], &b["items"][i]);
        assert!(x["order_id"].is_string() && y["order_id"].is_string(), "race-{i}: {x} {y}");
        assert_eq!((&x["order_id"], &x["number"]), (&y["order_id"], &y["number"]), "race-{i} is one order");
    }
    let listed = admin.get("/api/v1/orders?q=shopper&limit=200", 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 200);
    sys.stop().await;
}

/// O3: a provider's signed webhook marks a pay-later order paid, once; a bad signature, an
/// unknown provider and a wrong amount change nothing.
#[tokio::test]
async fn o3_a_signed_provider_webhook_marks_the_order_paid_once() {
    let secret = "whsec_test";
    let sys = TestSystem::start_with(e2e::Options {
        sections: vec![("orders", json!({ "webhook_secrets": { "acmepay": secret } }))],
        ..Default::default()
    })
    .await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let customer = &ana.get("/api/v1/customers", 200).await["items"][0];
    let t1 = product(&ana, "POS-T1").await;
    let placed = ana
        .post("/api/v1/orders", &json!({ "customer_id": id(customer), "items": [{ "product_id": id(&t1), "quantity": 1 }], "payment_method": "pay_later_link" }), 201)
        .await;
    let o = &placed["order"];
    let me = sys.demo_admin().await.get("/api/v1/me", 200).await;
    let body = |amount: &str| {
        json!({ "tenant_id": me["tenant_id"], "order_id": id(o), "reference": "ch_1", "amount": amount,
                "currency": "EUR", "status": "succeeded" })
        .to_string()
    };
    let now = sys.clock.now().timestamp();
    let anon = sys.client();
    let send = |body: String, sig: String, provider: &'static str| {
        let anon = anon.clone();
        async move {
            anon.send(
                Method::POST,
                &format!("/api/v1/payments/webhooks/{provider}"),
                Some(("application/json", &body)),
                &[("partnerline-signature", &sig)],
            )
            .await
        }
    };
    let good = body(o["total"].as_str().unwrap());
    let r = send(good.clone(), orders::grpc::webhooks::sign("wrong", good.as_bytes(), now), "acmepay").await;
    assert_problem(&r, 401, "unauthenticated", None);
    let r = send(good.clone(), orders::grpc::webhooks::sign(secret, good.as_bytes(), now), "nopay").await;
    assert_eq!(r.status, 404);
    let cheap = body("1.00");
    let r = send(cheap.clone(), orders::grpc::webhooks::sign(secret, cheap.as_bytes(), now), "acmepay").await;
    assert_problem(&r, 409, "amount_mismatch", None);
    assert_eq!(
        ana.get(&format!("/api/v1/orders/{}", id(o)), 200).await["status"],
        "pending_payment",
        "nothing changed"
    );
    let r = send(good.clone(), orders::grpc::webhooks::sign(secret, good.as_bytes(), now), "acmepay").await;
    assert_eq!((r.status, r.body["status"].as_str(), r.body["duplicate"].as_bool()), (200, Some("paid"), Some(false)));
    let r = send(good.clone(), orders::grpc::webhooks::sign(secret, good.as_bytes(), now), "acmepay").await;
    assert_eq!(r.body["duplicate"], true, "a redelivery changes nothing");
    let after = ana.get(&format!("/api/v1/orders/{}", id(o)), 200).await;
    assert_eq!(after["status"], "paid");
    assert_eq!(after["history"].as_array().unwrap().len(), 2);
    assert_eq!(after["history"][1]["actor_kind"], "provider");
    sys.stop().await;
}

/// O8: an import and a batch of attribution's decisions lock orders in one order (by id), so they
/// never deadlock. The "import" here holds the lower order while the batch, which names the higher
/// order first, waits for it: the batch must not have taken the higher one meanwhile.
#[tokio::test]
async fn o8_an_import_and_a_batch_of_attribution_decisions_never_deadlock() {
    use platform::consumer::{Handler, IncomingEvent};
    use prost::Message;
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let batch = json!({ "orders": [
        import_order("lock-1", "POS-T1", json!({})),
        import_order("lock-2", "POS-T1", json!({})),
    ]});
    let r = admin.post("/api/v1/orders/import", &batch, 200).await;
    let mut ids: Vec<uuid::Uuid> =
        r["items"].as_array().unwrap().iter().map(|i| i["order_id"].as_str().unwrap().parse().unwrap()).collect();
    ids.sort();
    let (low, high) = (ids[0], ids[1]);
    let pool = sqlx::PgPool::connect(&sys.env.config.database_url("orders")).await.unwrap();
    let tenant: uuid::Uuid =
        sqlx::query_scalar("SELECT tenant_id FROM orders WHERE id = $1").bind(low).fetch_one(&pool).await.unwrap();
    // Attribution's own decisions (version 1) first, so they do not take part.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let decided: i64 =
            sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = ANY($1) AND attribution_version >= 1")
                .bind(&ids)
                .fetch_one(&pool)
                .await
                .unwrap();
        if decided == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "attribution never decided the imported orders");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let partner = uuid::Uuid::now_v7();
    let decision = |order: uuid::Uuid, version: u32| {
        let m = ev::OrderAttributed {
            tenant_id: tenant.to_string(),
            order_id: order.to_string(),
            partner_id: Some(partner.to_string()),
            attribution_version: version,
            reason: "link".into(),
            ..Default::default()
        };
        IncomingEvent {
            id: uuid::Uuid::now_v7().to_string(),
            ce_type: "partnerline.attribution.order.attributed.v1".into(),
            subject: format!("attribution.{tenant}.order.attributed"),
            aggregate_id: m.order_id.clone(),
            tenant: Some(tenant),
            time: chrono::Utc::now(),
            payload: m.encode_to_vec().into(),
            delivered: 1,
        }
    };

    let mut import = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE").bind(low).execute(&mut *import).await.unwrap();
    // An older decision about the lower order in the same batch loses to the later one.
    let events = vec![decision(high, 7), decision(low, 7), decision(low, 3)];
    let consumer = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await?;
            orders::consumers::Attributed.handle_batch(&mut tx, &events).await?;
            tx.commit().await?;
            anyhow::Ok(())
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Had the batch locked the higher order first, this would wait on it and deadlock.
    sqlx::query("SET LOCAL lock_timeout = '5s'").execute(&mut *import).await.unwrap();
    sqlx::query("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE")
        .bind(high)
        .execute(&mut *import)
        .await
        .expect("the batch left the higher order alone while it waited for the lower one");
    import.commit().await.unwrap();
    consumer.await.unwrap().expect("the batch applied once the import was done");
    let versions: Vec<i32> =
        sqlx::query_scalar("SELECT attribution_version FROM orders WHERE id = ANY($1) ORDER BY id")
            .bind(&ids)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(versions, [7, 7]);
    pool.close().await;
    sys.stop().await;
}
