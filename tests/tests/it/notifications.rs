//! Notifications (N1, LE3, P3, C10): what each person of a program is told, through the gateway.

use std::time::Duration;

use e2e::{Client, TestSystem, assert_problem, json};
use reqwest::Method;
use serde_json::Value;

/// Polls the caller's notifications until one of `kind` about `object` is there, and returns it.
async fn told(c: &Client, kind: &str, object: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = c.get("/api/v1/notifications?limit=200", 200).await;
        let found = last["items"].as_array().unwrap().iter().find(|n| n["kind"] == kind && n["object_id"] == object);
        if let Some(n) = found {
            return n.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} about {object}: {last}");
}

fn kinds(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_string()).collect()
}

async fn new_partner(sys: &TestSystem, email: &str) -> (String, Client) {
    let admin = sys.demo_admin().await;
    let p = admin
        .post("/api/v1/partners", &json!({ "name": email, "email": email, "password": "demo-partner" }), 201)
        .await;
    (p["id"].as_str().unwrap().to_string(), sys.login(email, "demo-partner").await)
}

/// LE3: each move of a lead tells its partner, and nobody else; the partner reads its
/// notifications page by page, unread first on asking, and marks them read one by one or all.
#[tokio::test]
async fn n1_le3_a_partner_is_told_each_move_of_its_lead_and_reads_marks_and_pages_them() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let (_, pia) = new_partner(&sys, "pia@demo.test").await;
    let (_, quinn) = new_partner(&sys, "quinn@demo.test").await;
    let body = json!({ "product_line": "pos", "contact_name": "Olga", "email": "owner@shop.test", "company": "Shop One",
                       "website_url": "https://shop-one.test", "notes": "", "wants_sales_support": false });
    let lead = pia.post("/api/v1/leads", &body, 201).await["id"].as_str().unwrap().to_string();
    // LE3: the partner's confirmation email, with the lead's page.
    let mail = sys.mail.wait_for("pia@demo.test").await;
    assert_eq!(mail.header("Subject"), "We received your lead Shop One");
    assert!(mail.part("text/plain").contains(&format!("{}/leads/{lead}", sys.url)), "{}", mail.part("text/plain"));
    admin.post(&format!("/api/v1/leads/{lead}/status"), &json!({ "status": "in_progress" }), 200).await;
    let first = told(&pia, "lead_status_changed", &lead).await;
    assert_eq!(first["params"]["status"], "in_progress");
    assert_eq!(first["text"], "Your lead is now in progress.");
    assert_eq!(first["link"], format!("/leads/{lead}"));
    assert_eq!(first["object_type"], "lead");
    assert!(first["read_at"].is_null());
    admin.post(&format!("/api/v1/leads/{lead}/status"), &json!({ "status": "not_eligible" }), 200).await;
    let mut page = Value::Null;
    for _ in 0..300 {
        page = pia.get("/api/v1/notifications", 200).await;
        if page["items"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Newest first; a partner added by the merchant had no application to be told about.
    let statuses: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|n| n["params"]["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["not_eligible", "in_progress"], "{page}");
    assert_eq!(pia.get("/api/v1/notifications/unread-count", 200).await["unread"], 2);
    // Another partner is told nothing of it, and cannot touch it.
    assert_eq!(quinn.get("/api/v1/notifications", 200).await["items"], json!([]));
    let id = first["id"].as_str().unwrap();
    let r = quinn.expect_with(Method::POST, &format!("/api/v1/notifications/{id}/read"), None, &[], 404).await;
    assert_problem(&r, 404, "not_found", None);
    assert_eq!(pia.get("/api/v1/notifications/unread-count", 200).await["unread"], 2);

    // Pages of one, with no repeat; a cursor of no page is refused, naming it.
    let one = pia.get("/api/v1/notifications?limit=1", 200).await;
    let cursor = one["next_cursor"].as_str().unwrap();
    let two = pia.get(&format!("/api/v1/notifications?limit=1&cursor={cursor}"), 200).await;
    assert_eq!(two["items"][0]["id"], first["id"]);
    assert!(two["next_cursor"].is_null(), "{two}");
    let r = pia.expect_with(Method::GET, "/api/v1/notifications?cursor=yesterday", None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("cursor"));

    // Read once, its time stays; the unread filter leaves it out.
    let read = pia.post(&format!("/api/v1/notifications/{id}/read"), &json!({}), 200).await;
    let at = read["read_at"].as_str().unwrap().to_string();
    sys.clock.advance(chrono::Duration::minutes(5));
    let pia = sys.login("pia@demo.test", "demo-partner").await;
    let again = pia.post(&format!("/api/v1/notifications/{id}/read"), &json!({}), 200).await;
    assert_eq!(again["read_at"], at);
    let unread = pia.get("/api/v1/notifications?unread=true", 200).await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert_eq!(unread["items"][0]["params"]["status"], "not_eligible");
    assert_eq!(pia.post("/api/v1/notifications/read-all", &json!({}), 200).await["marked"], 1);
    assert_eq!(pia.get("/api/v1/notifications/unread-count", 200).await["unread"], 0);
    assert_eq!(pia.post("/api/v1/notifications/read-all", &json!({}), 200).await["marked"], 0);

    // Notifications are for people: an API key has none.
    let key = admin.post("/api/v1/api-keys", &json!({ "name": "reader", "scopes": ["customers:read"] }), 201).await;
    let key = sys.client().with_token(key["secret"].as_str().unwrap());
    let r = key.expect_with(Method::GET, "/api/v1/notifications", None, &[], 403).await;
    assert_problem(&r, 403, "forbidden", None);
    sys.stop().await;
}

/// P3, C10 and N1: the merchant is told of an application and of a payout request; the applicant,
/// once approved, of its approval; a partner of the commission its order earns, of the
/// commission becoming available, and of its payout paid.
#[tokio::test]
async fn n1_p3_c10_the_merchant_and_a_partner_are_told_of_applications_commissions_and_payouts() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let anon = sys.client();
    let app = anon
        .post(
            "/api/v1/programs/demo/applications",
            &json!({ "name": "Gil Ray", "email": "gil@x.test", "password": "gil-password", "message": "hi" }),
            201,
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_string();
    let submitted = told(&admin, "application_submitted", &app_id).await;
    assert_eq!(submitted["text"], "Gil Ray applied to join the program.");
    admin.post(&format!("/api/v1/applications/{app_id}/approve"), &json!({}), 200).await;
    let gil = sys.login("gil@x.test", "gil-password").await;
    let approved = told(&gil, "application_approved", &app_id).await;
    assert_eq!(approved["link"], "/home");
    let welcome = sys.mail.wait_for("gil@x.test").await;
    assert_eq!(welcome.header("Subject"), "Welcome to Demo Coffee Co.");
    // A rejected applicant is told why, in its language.
    let hal = json!({ "name": "Hal", "email": "hal@x.test", "password": "hal-password", "language": "pl" });
    let hal = anon.post("/api/v1/programs/demo/applications", &hal, 201).await;
    let reason = "Poza naszym regionem";
    admin
        .post(
            &format!("/api/v1/applications/{}/reject", hal["id"].as_str().unwrap()),
            &json!({ "reason": reason }),
            200,
        )
        .await;
    let no = sys.mail.wait_for("hal@x.test").await;
    let pl = web::i18n::Lang::parse("pl").unwrap();
    assert_eq!(no.header("Subject"), pl.t1("email-rejected-subject", "program", "Demo Coffee Co."));
    assert!(no.part("text/plain").contains(reason), "{}", no.part("text/plain"));
    // The merchant's inbox is not the partner's.
    let merchant = admin.get("/api/v1/notifications?limit=200", 200).await;
    assert!(!kinds(&merchant).contains(&"application_approved".to_string()), "{merchant}");

    // An order of two products placed by Gil for its customer: one notification of what it earns.
    let me = gil.get("/api/v1/me", 200).await;
    let gil_id = me["partner"]["id"].as_str().unwrap().to_string();
    let skus: Vec<String> = admin.get("/api/v1/products?limit=2", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap().to_string())
        .collect();
    let order = |ext: &str| {
        json!({
            "external_id": ext, "items": [{ "sku": skus[0], "quantity": 1 }, { "sku": skus[1], "quantity": 2 }],
            "customer": { "name": "Gil's customer", "email": "", "language": "en" }, "payment_method": "card",
            "channel": "api", "status": "completed", "placed_by_partner_id": gil_id,
        })
    };
    let r =
        admin.post("/api/v1/orders/import", &json!({ "orders": [order("notify-1"), order("notify-2")] }), 200).await;
    let decimal = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    let mut total = rust_decimal::Decimal::ZERO;
    for item in r["items"].as_array().unwrap() {
        let order_id = item["order_id"].as_str().unwrap().to_string();
        let lines = format!("/api/v1/commissions?order_id={order_id}");
        let mut expected = rust_decimal::Decimal::ZERO;
        for _ in 0..300 {
            let l = admin.get(&lines, 200).await;
            let items = l["items"].as_array().unwrap();
            if !items.is_empty() && items.iter().all(|i| i["state"] == "held") {
                expected = items.iter().map(|i| decimal(&i["amount"])).sum();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(expected > rust_decimal::Decimal::ZERO, "the order earned a held commission");
        let earned = told(&gil, "commission_earned", &order_id).await;
        assert_eq!(decimal(&earned["params"]["amount"]), expected);
        assert_eq!(earned["link"], "/earnings");
        total += expected;
    }
    let page = gil.get("/api/v1/notifications?limit=200", 200).await;
    assert_eq!(kinds(&page).iter().filter(|k| *k == "commission_earned").count(), 2, "one per order: {page}");
    // An order Gil placed itself is not news to it.
    assert!(!kinds(&page).contains(&"order_attributed".to_string()), "{page}");

    // The holds end on one tick of the clock: one notification says both, until it is read.
    sys.clock.advance(chrono::Duration::days(120));
    let gil = sys.login("gil@x.test", "gil-password").await;
    let admin = sys.demo_admin().await;
    let mut available = Value::Null;
    for _ in 0..300 {
        let page = gil.get("/api/v1/notifications?limit=200", 200).await;
        let found = page["items"].as_array().unwrap().iter().find(|n| n["kind"] == "commission_available").cloned();
        available = found.unwrap_or(Value::Null);
        if available["params"]["count"] == "2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(available["params"]["count"], "2", "{available}");
    assert_eq!(decimal(&available["params"]["amount"]), total);
    let page = gil.get("/api/v1/notifications?limit=200", 200).await;
    assert_eq!(kinds(&page).iter().filter(|k| *k == "commission_available").count(), 1, "{page}");
    admin.patch("/api/v1/program", &json!({ "settings": { "minimum_payout": "1" } }), 200).await;
    let mut payout = Value::Null;
    for _ in 0..100 {
        let r = gil.send(Method::POST, "/api/v1/payouts", Some(("application/json", "{}")), &[]).await;
        if r.status == 201 {
            payout = r.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = payout["id"].as_str().unwrap().to_string();
    let asked = told(&admin, "payout_requested", &pid).await;
    assert_eq!(asked["text"], format!("Gil Ray asked for a payout of {} EUR.", payout["amount"].as_str().unwrap()));
    admin
        .post(&format!("/api/v1/payouts/{pid}/mark-paid"), &json!({ "method": "bank", "reference": "SEPA-N1" }), 200)
        .await;
    let paid = told(&gil, "payout_paid", &pid).await;
    assert_eq!(paid["params"]["reference"], "SEPA-N1");
    let notice = sys.mail.wait_for_text("gil@x.test", "SEPA-N1").await;
    assert!(notice.part("text/plain").contains("SEPA-N1"), "C10: the payout notice: {}", notice.part("text/plain"));
    assert_eq!(paid["text"], format!("Your payout of {} EUR was paid.", payout["amount"].as_str().unwrap()));

    // An order of nobody's, given to Gil, then to Ana, then back: each is told once.
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let order = json!({
        "external_id": "notify-3", "items": [{ "sku": skus[0], "quantity": 1 }],
        "customer": { "name": "Walk-in", "email": "", "language": "en" }, "payment_method": "card",
        "channel": "api", "status": "paid",
    });
    let r = admin.post("/api/v1/orders/import", &json!({ "orders": [order] }), 200).await;
    let walk_in = r["items"][0]["order_id"].as_str().unwrap().to_string();
    let history = format!("/api/v1/orders/{walk_in}/attribution");
    for _ in 0..300 {
        let h = admin.send(Method::GET, &history, None, &[]).await;
        if h.status == 200 && !h.body["history"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let moves = format!("/api/v1/orders/{walk_in}/attribution/override");
    for (partner, why) in [(&gil_id, "Gil sold it"), (&ana_id, "Ana sold it"), (&gil_id, "Gil after all")] {
        admin.post(&moves, &json!({ "partner_id": partner, "reason": why }), 200).await;
    }
    let to_gil = told(&gil, "order_attributed", &walk_in).await;
    assert_eq!(
        (to_gil["link"].as_str(), to_gil["params"]["reason"].as_str()),
        (Some(format!("/orders/{walk_in}").as_str()), Some("override"))
    );
    told(&ana, "order_attributed", &walk_in).await;
    let page = gil.get("/api/v1/notifications?limit=200", 200).await;
    let about = page["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "order_attributed").count();
    assert_eq!(about, 1, "{page}");
    sys.stop().await;
}

/// A customer of the demo program with an address of its own, in `language`.
async fn customer(admin: &Client, name: &str, email: &str, language: &str) -> String {
    let body = json!({ "name": name, "email": email, "status": "current", "language": language });
    admin.post("/api/v1/customers", &body, 201).await["id"].as_str().unwrap().to_string()
}

async fn pay_later(admin: &Client, customer: &str) -> Value {
    let product = admin.get("/api/v1/products?limit=1", 200).await["items"][0]["id"].clone();
    let body = json!({ "customer_id": customer, "items": [{ "product_id": product, "quantity": 1 }],
                       "payment_method": "pay_later_link" });
    admin.post("/api/v1/orders", &body, 201).await["order"].clone()
}

/// N4, O3: a pay-later order's customer gets its payment link by email, in Italian (its
/// language), from the program, with a plain-text and an HTML part; the link opens the pay page.
#[tokio::test]
async fn n4_o3_a_pay_later_customer_gets_its_payment_link_in_italian_and_it_opens_the_pay_page() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let lia = customer(&admin, "Lia Verdi", "lia@cliente.example", "it").await;
    let order = pay_later(&admin, &lia).await;
    let number = order["number"].as_str().unwrap();
    let mail = sys.mail.wait_for("lia@cliente.example").await;
    let it = web::i18n::Lang::parse("it").unwrap();
    assert_eq!(mail.header("Subject"), it.t1("email-payment-subject", "number", number));
    assert_eq!(mail.header("From"), "\"Demo Coffee Co.\" <noreply@partnerline.localhost>");
    assert!(mail.header("To").contains("Lia Verdi"), "{}", mail.header("To"));
    let id = mail.header("Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@partnerline.localhost>"), "{id}");
    let text = mail.part("text/plain");
    let html = mail.part("text/html");
    let total = web::format::money(it, order["total"].as_str().unwrap(), "EUR");
    assert!(text.starts_with("Ciao Lia Verdi,") && text.contains(&total), "{text}");
    let start = text.find(&format!("{}/pay/", sys.url)).expect("the link is in the text part");
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(html.contains(&format!("href=\"{link}\"")), "and in the HTML part: {html}");
    let page = sys.client().send(reqwest::Method::GET, link.trim_start_matches(&sys.url), None, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap().contains(number), "the link opens the order's pay page");
    // One email for one link, however often the event comes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_lia = sys.mail.messages().into_iter().filter(|m| m.to == ["lia@cliente.example"]).count();
    assert_eq!(to_lia, 1);
    // A renamed program's emails carry its new name.
    admin.patch("/api/v1/program", &json!({ "name": "Demo Coffee Roasters" }), 200).await;
    let db = sqlx::PgPool::connect(&sys.env.config.database_url("notifications")).await.unwrap();
    for _ in 0..300 {
        let n: Option<String> = sqlx::query_scalar("SELECT name FROM programs WHERE name = 'Demo Coffee Roasters'")
            .fetch_optional(&db)
            .await
            .unwrap();
        if n.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let max = customer(&admin, "Max", "max@cliente.example", "en").await;
    pay_later(&admin, &max).await;
    let renamed = sys.mail.wait_for("max@cliente.example").await;
    assert_eq!(renamed.header("From"), "\"Demo Coffee Roasters\" <noreply@partnerline.localhost>");
    sys.stop().await;
}

/// N4, CU8: a partner sends a customer its quick-order link by email, in the customer's
/// language (Romanian) and with the partner's name; the link opens the customer's order page.
/// Without `send_email` nothing is sent; a customer without an email address is a 422 on
/// `send_email` and gets no link.
#[tokio::test]
async fn n4_cu8_a_customer_gets_its_quick_order_link_by_email_in_its_language() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let body = json!({ "name": "Radu Pop", "email": "radu@client.example", "status": "current", "language": "ro" });
    let radu = ana.post("/api/v1/customers", &body, 201).await["id"].as_str().unwrap().to_string();
    let link =
        ana.post(&format!("/api/v1/customers/{radu}/quick-order-link"), &json!({ "send_email": true }), 201).await;
    assert_eq!(link["emailed"], true);
    let mail = sys.mail.wait_for("radu@client.example").await;
    let ro = web::i18n::Lang::parse("ro").unwrap();
    assert_eq!(mail.header("Subject"), ro.t1("email-quick-order-subject", "program", "Demo Coffee Co."));
    assert!(mail.header("To").contains("Radu Pop"), "{}", mail.header("To"));
    let text = mail.part("text/plain");
    assert!(text.starts_with("Bună, Radu Pop,"), "greeted in Romanian: {text}");
    assert!(text.contains("Ana Rossi"), "the partner who sent it: {text}");
    let at = format!("{}/q/{}", sys.url, link["token"].as_str().unwrap());
    assert!(text.contains(&at), "the new link is in the text part: {text}");
    assert!(mail.part("text/html").contains(&format!("href=\"{at}\"")), "and in the HTML part");
    let page = sys.client().send(Method::GET, at.trim_start_matches(&sys.url), None, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap().contains("Radu Pop"), "the link opens Radu's order page");

    // Regenerated without `send_email`: a new link, no email.
    let again = ana.post(&format!("/api/v1/customers/{radu}/quick-order-link"), &json!({}), 201).await;
    assert_eq!(again["emailed"], false);
    // No address to send to: refused, and no link is made.
    let body = json!({ "name": "No Mail", "status": "current", "phone": "+40 721 000 111" });
    let nomail = ana.post("/api/v1/customers", &body, 201).await["id"].as_str().unwrap().to_string();
    let r = ana
        .expect_with(
            Method::POST,
            &format!("/api/v1/customers/{nomail}/quick-order-link"),
            Some(&json!({ "send_email": true })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("send_email"));
    assert_eq!(ana.get(&format!("/api/v1/customers/{nomail}"), 200).await["has_quick_order_link"], false);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let to_radu = sys.mail.messages().into_iter().filter(|m| m.to == ["radu@client.example"]).count();
    assert_eq!(to_radu, 1, "one email, for the link that asked for one");
    sys.stop().await;
}

/// N4: while the SMTP server is down, emails wait and are tried again later; when it is back,
/// each arrives once, and none is sent again.
#[tokio::test]
async fn n4_an_smtp_server_down_for_a_while_loses_no_email_and_sends_none_twice() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    // The demo's own emails go out first.
    let db = sqlx::PgPool::connect(&sys.env.config.database_url("notifications")).await.unwrap();
    let queued = || {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM emails WHERE status = 'queued'")
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    for _ in 0..300 {
        if queued().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sys.mail.stop();
    let addresses = ["down1@cliente.example", "down2@cliente.example", "down3@cliente.example"];
    for (i, a) in addresses.iter().enumerate() {
        let c = customer(&admin, &format!("Down {i}"), a, "en").await;
        pay_later(&admin, &c).await;
    }
    // Each is tried and fails, and waits for its next try.
    let tried = "SELECT count(*) FROM emails WHERE status = 'queued' AND attempts >= 1 AND last_error <> ''
                 AND to_address LIKE 'down%'";
    let mut n = 0;
    for _ in 0..300 {
        n = sqlx::query_scalar::<_, i64>(tried).fetch_one(&db).await.unwrap();
        if n == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(n, 3, "the three emails were tried while the server was down");
    assert!(sys.mail.messages().iter().all(|m| !m.to[0].starts_with("down")));

    sys.mail.resume().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sys.mail.messages().iter().all(|m| !m.to[0].starts_with("down")), "not before their next try");
    sys.clock.advance(chrono::Duration::minutes(2));
    for a in addresses {
        sys.mail.wait_for(a).await;
    }
    sys.clock.advance(chrono::Duration::hours(12));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let received = sys.mail.messages();
    for a in addresses {
        let copies: Vec<_> = received.iter().filter(|m| m.to == [a]).collect();
        assert_eq!(copies.len(), 1, "{a} got its email once");
    }
    let sent = "SELECT count(*) FROM emails WHERE status = 'sent' AND to_address LIKE 'down%' AND sent_at IS NOT NULL";
    assert_eq!(sqlx::query_scalar::<_, i64>(sent).fetch_one(&db).await.unwrap(), 3);
    sys.stop().await;
}

/// Waits until notifications' copy of identity's partners holds `emails` (announcements reach
/// the partners it knows).
async fn known_to_notifications(sys: &TestSystem, emails: &[&str]) {
    let db = sqlx::PgPool::connect(&sys.env.config.database_url("notifications")).await.unwrap();
    let list: Vec<String> = emails.iter().map(|e| e.to_string()).collect();
    for _ in 0..300 {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM partners WHERE email = ANY($1)")
            .bind(&list)
            .fetch_one(&db)
            .await
            .unwrap();
        if n == emails.len() as i64 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("notifications never learnt of {emails:?}");
}

/// N2: an announcement to a trust level reaches only the partners of that level, once each, as a
/// notification and in their list; a bad one is refused, naming its fields, and sends nothing.
#[tokio::test]
async fn n2_an_announcement_to_a_trust_level_reaches_only_those_partners() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    for (email, trust) in [("tia@demo.test", "trusted"), ("nel@demo.test", "new")] {
        let p = json!({ "name": email, "email": email, "password": "demo-partner", "trust_level": trust });
        admin.post("/api/v1/partners", &p, 201).await;
    }
    known_to_notifications(&sys, &["tia@demo.test", "nel@demo.test"]).await;
    let (tia, nel) =
        (sys.login("tia@demo.test", "demo-partner").await, sys.login("nel@demo.test", "demo-partner").await);

    let bad = admin
        .expect_with(
            Method::POST,
            "/api/v1/announcements",
            Some(&json!({ "title": " ", "body": "x", "audience": "vip" })),
            &[],
            422,
        )
        .await;
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "audience"], "{:?}", bad.body);
    let r = tia
        .expect_with(Method::POST, "/api/v1/announcements", Some(&json!({ "title": "Hi", "body": "x" })), &[], 403)
        .await;
    assert_problem(&r, 403, "forbidden", None);
    assert_eq!(admin.get("/api/v1/announcements", 200).await["items"], json!([]), "nothing was sent");

    let body = "**Double commissions** this week on *espresso machines*.";
    let a = admin
        .post("/api/v1/announcements", &json!({ "title": "Trusted week", "body": body, "audience": "trusted" }), 201)
        .await;
    assert_eq!((a["audience"].as_str(), a["body"].as_str()), (Some("trusted"), Some(body)));
    let id = a["id"].as_str().unwrap();
    let told_tia = told(&tia, "announcement", id).await;
    assert_eq!(told_tia["text"], "New announcement: Trusted week");
    assert_eq!(told_tia["link"], format!("/announcements#a-{id}"));
    assert_eq!(tia.get("/api/v1/announcements", 200).await["items"][0]["id"], id);
    let unread = tia.get("/api/v1/notifications?unread=true", 200).await;
    assert!(!kinds(&unread).contains(&"announcement".to_string()), "listed is read: {unread}");
    assert_eq!(nel.get("/api/v1/announcements", 200).await["items"], json!([]), "a new partner is not trusted");
    assert!(!kinds(&nel.get("/api/v1/notifications", 200).await).contains(&"announcement".to_string()));
    // Each trusted partner the program has, and no one else.
    let db = sqlx::PgPool::connect(&sys.env.config.database_url("notifications")).await.unwrap();
    let trusted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM partners WHERE trust_level = 'trusted' AND status = 'active'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(a["recipients"], trusted);
    let told_n: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = 'announcement'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(told_n, trusted, "once each");
    // To everyone: Nel too.
    let all = admin.post("/api/v1/announcements", &json!({ "title": "Summer", "body": "Hello all" }), 201).await;
    assert_eq!(all["audience"], "all");
    told(&nel, "announcement", all["id"].as_str().unwrap()).await;
    sys.stop().await;
}

/// N3: a partner and the merchant write in the partner's thread both ways; each side is told
/// and sees what it has not read; the merchant's threads put the unread first.
#[tokio::test]
async fn n3_message_threads_go_both_ways_with_unread_counts() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let (pia_id, pia) = new_partner(&sys, "pia@demo.test").await;
    let (_, quinn) = new_partner(&sys, "quinn@demo.test").await;
    known_to_notifications(&sys, &["pia@demo.test", "quinn@demo.test"]).await;

    let first = pia.post("/api/v1/messages", &json!({ "body": "Can I get posters in Polish?" }), 201).await;
    assert_eq!((first["from"].as_str(), first["partner_id"].as_str()), (Some("partner"), Some(pia_id.as_str())));
    let threads = admin.get("/api/v1/message-threads", 200).await;
    assert_eq!(threads["items"][0]["partner_id"], pia_id.as_str(), "unread first: {threads}");
    assert_eq!(threads["items"][0]["unread"], 1);
    assert_eq!(threads["items"][0]["partner_name"], "pia@demo.test");
    let to_merchant = told(&admin, "message", &pia_id).await;
    assert_eq!(to_merchant["text"], "New message from pia@demo.test: Can I get posters in Polish?");

    // The merchant answers in Pia's thread; it must say whose.
    let r = admin.expect_with(Method::POST, "/api/v1/messages", Some(&json!({ "body": "Yes" })), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("partner_id"));
    let nobody = json!({ "partner_id": uuid::Uuid::new_v4().to_string(), "body": "Yes" });
    let r = admin.expect_with(Method::POST, "/api/v1/messages", Some(&nobody), &[], 404).await;
    assert_problem(&r, 404, "not_found", Some("partner_id"));
    let r = pia.expect_with(Method::POST, "/api/v1/messages", Some(&json!({ "body": "  " })), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("body"));
    admin.post("/api/v1/messages", &json!({ "partner_id": pia_id, "body": "Yes, next week." }), 201).await;
    let to_pia = told(&pia, "message", &pia_id).await;
    assert_eq!(to_pia["link"], "/messages");
    let mine = pia.get("/api/v1/message-threads", 200).await;
    assert_eq!((mine["items"].as_array().unwrap().len(), mine["items"][0]["unread"].as_u64()), (1, Some(1)));
    let msgs = pia.get("/api/v1/messages", 200).await;
    let froms: Vec<&str> = msgs["items"].as_array().unwrap().iter().map(|m| m["from"].as_str().unwrap()).collect();
    assert_eq!(froms, ["merchant", "partner"], "newest first");
    // Another partner reads only its own (empty) thread, whatever it names.
    let other = quinn.get(&format!("/api/v1/messages?partner_id={pia_id}"), 200).await;
    assert_eq!(other["items"], json!([]));

    // Reading the thread clears its unread count and its notifications.
    let t = pia.post("/api/v1/messages/read", &json!({}), 200).await;
    assert_eq!(t["unread"], 0);
    let unread = pia.get("/api/v1/notifications?unread=true", 200).await;
    assert!(!kinds(&unread).contains(&"message".to_string()), "{unread}");
    let t = admin.post("/api/v1/messages/read", &json!({ "partner_id": pia_id }), 200).await;
    assert_eq!(t["unread"], 0);
    // A sales rep has no threads with partners.
    let sam = sys.login("sam@demo.test", "demo-rep").await;
    let r = sam.expect_with(Method::GET, "/api/v1/message-threads", None, &[], 403).await;
    assert_problem(&r, 403, "forbidden", None);
    sys.stop().await;
}

/// A1: a partner turns a topic off, in the app or by email, and is not told of it until it turns
/// it back on; a topic of another inbox, or an email where a topic has none, is refused by item.
#[tokio::test]
async fn a1_n1_le3_a_partner_turns_topics_off_and_on() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let (_, pia) = new_partner(&sys, "pia@demo.test").await;
    known_to_notifications(&sys, &["pia@demo.test"]).await;
    let p = pia.get("/api/v1/notifications/preferences", 200).await;
    let topic = |p: &Value, t: &str| p["items"].as_array().unwrap().iter().find(|i| i["topic"] == t).cloned().unwrap();
    assert_eq!(topic(&p, "lead_status_changed")["in_app"], true, "everything is on at first");
    assert_eq!(topic(&p, "lead_submitted")["has_in_app"], false);
    assert!(p["items"].as_array().unwrap().iter().all(|i| i["topic"] != "payment_link"));

    let bad = json!({ "items": [{ "topic": "lead_submitted", "email": false }, { "topic": "application_submitted", "in_app": false },
                                { "topic": "lead_status_changed", "in_app": true, "email": true }] });
    let r = pia.expect_with(Method::PUT, "/api/v1/notifications/preferences", Some(&bad), &[], 422).await;
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["items[1].topic", "items[2].email"], "{:?}", r.body);
    assert_eq!(pia.get("/api/v1/notifications/preferences", 200).await, p, "nothing changed");

    let off = json!({ "items": [{ "topic": "lead_status_changed", "in_app": false }, { "topic": "lead_submitted", "email": false }] });
    let now = pia
        .send(Method::PUT, "/api/v1/notifications/preferences", Some(("application/json", &off.to_string())), &[])
        .await;
    assert_eq!(now.status, 200, "{now:?}");
    assert_eq!(topic(&now.body, "lead_status_changed")["in_app"], false);
    let body = json!({ "product_line": "pos", "contact_name": "Olga", "email": "owner@shop.test", "company": "Quiet Shop",
                       "website_url": "https://quiet.test", "notes": "", "wants_sales_support": false });
    let lead = pia.post("/api/v1/leads", &body, 201).await["id"].as_str().unwrap().to_string();
    admin.post(&format!("/api/v1/leads/{lead}/status"), &json!({ "status": "in_progress" }), 200).await;
    // Once notifications has read that move (its inbox holds the event), the topic goes back on.
    let (_, headers) = sys.wait_for_event_about("customers", "lead.status_changed", Some(&lead)).await;
    let event = headers["ce-id"].clone();
    let db = sqlx::PgPool::connect(&sys.env.config.database_url("notifications")).await.unwrap();
    let mut read = false;
    for _ in 0..300 {
        read = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM inbox WHERE event_id = $1)")
            .bind(&event)
            .fetch_one(&db)
            .await
            .unwrap();
        if read {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(read, "notifications read the move");
    let on = json!({ "items": [{ "topic": "lead_status_changed", "in_app": true }] });
    pia.send(Method::PUT, "/api/v1/notifications/preferences", Some(("application/json", &on.to_string())), &[]).await;
    // The next move tells; the one before did not, nor did the confirmation email.
    admin.post(&format!("/api/v1/leads/{lead}/status"), &json!({ "status": "not_eligible" }), 200).await;
    let told_now = told(&pia, "lead_status_changed", &lead).await;
    assert_eq!(told_now["params"]["status"], "not_eligible");
    let page = pia.get("/api/v1/notifications", 200).await;
    assert_eq!(kinds(&page).iter().filter(|k| *k == "lead_status_changed").count(), 1, "{page}");
    assert!(sys.mail.messages().iter().all(|m| m.to != ["pia@demo.test"]), "no confirmation email");
    sys.stop().await;
}
