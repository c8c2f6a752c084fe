//! The partner portal in a real headless Chromium (issue 20): sign-in, every page with Ana's demo
//! data, its forms with good and bad values, five languages, phone and desktop widths, axe-core,
//! and the security of the pages. Screenshots of every page go to `target/screenshots/`.

use e2e::browser::Browser;
use e2e::{Client, TestSystem, json};
use serde_json::Value;

/// Every page must open without a console error, fit a phone and a desktop without sideways
/// scrolling, have no serious accessibility violation, and leave a screenshot of each width.
async fn check_page(b: &Browser, name: &str) {
    let url = b.url().await;
    let errors = own_status_aside(b.console_errors().await, &url);
    assert!(errors.is_empty(), "{name} ({url}): console errors {errors:?}");
    for (width, suffix) in [(1280, "desktop"), (390, "phone")] {
        b.width(width).await;
        assert!(!b.scrolls_sideways().await, "{name} scrolls sideways at {width} px");
        b.screenshot(&format!("{name}-{suffix}")).await;
    }
    b.width(1280).await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "{name}: axe-core finds {violations:?}");
    let errors = own_status_aside(b.console_errors().await, &url);
    assert!(errors.is_empty(), "{name} ({url}) after the checks: console errors {errors:?}");
}

/// The browser logs a page answered 401 or 422 (a refused sign-in or form) as a failed load of
/// that page: the status is the page's meaning, not an error of it. Any other failed load, and
/// any failed load of an asset or image, stays an error.
fn own_status_aside(errors: Vec<String>, url: &str) -> Vec<String> {
    let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    errors
        .into_iter()
        .filter(|e| {
            let page = e.starts_with(&origin) && !e.contains("/static/") && !e.contains("/qr.svg");
            !(page && (e.contains("status of 422") || e.contains("status of 401")))
        })
        .collect()
}

async fn sign_in(b: &Browser, sys: &TestSystem, email: &str, password: &str) {
    b.open(&format!("{}/login", sys.url)).await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.click("form[action='/login'] button").await;
}

fn count(v: &Value) -> usize {
    v["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a1_d1_cu1_cu3_cu8_o2_o3_o9_c10_c11_l1_l9_l12_le1_n1_n2_n3_a1_p5_the_portal_in_a_real_browser() {
    let sys = TestSystem::start().await;
    let b = Browser::start().await;
    let ana: Client = sys.login("ana@demo.test", "demo-partner").await;

    // A1: a page asked for without a session leads to the login page, and back after it.
    b.open(&format!("{}/customers?status=current", sys.url)).await;
    assert!(b.url().await.contains("/login?next="), "{}", b.url().await);
    b.fill("#email", "ana@demo.test").await;
    b.fill("#password", "wrong-password").await;
    b.click("form[action='/login'] button").await;
    assert!(b.text("#login-error").await.contains("not right"), "a wrong password is said so");
    assert_eq!(
        b.client.find(fantoccini::Locator::Css("#email")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("ana@demo.test"),
        "the email typed is kept"
    );
    check_page(&b, "login-error").await;
    b.fill("#password", "demo-partner").await;
    b.click("form[action='/login'] button").await;
    assert!(b.url().await.ends_with("/customers?status=current"), "back where she was: {}", b.url().await);

    // D1: the home shows what the API says.
    b.open(&format!("{}/home", sys.url)).await;
    let d = ana.get("/api/v1/dashboard", 200).await;
    assert_eq!(b.text("#stat-current").await, d["customers_current"].to_string());
    assert_eq!(b.text("#stat-potential").await, d["customers_potential"].to_string());
    let url = d["referral_url"].as_str().unwrap();
    let shown = b.client.find(fantoccini::Locator::Css("#ref-url")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some(url));
    let lifetime = d["earnings"][0]["lifetime"].as_str().unwrap();
    let expected = web::format::money(web::i18n::Lang::EN, lifetime, "EUR");
    assert_eq!(b.text(".lifetime").await, expected, "lifetime earnings, as English writes money");
    let recent = b.text("#recent-orders").await;
    let first = d["recent_orders"][0]["number"].as_str().unwrap();
    assert!(recent.contains(first), "the last orders are listed: {recent}");
    assert!(b.has("svg.chart rect.bar").await, "the charts are drawn");
    check_page(&b, "home").await;
    b.open(&format!("{}/home?every=month", sys.url)).await;
    check_page(&b, "home-monthly").await;

    // CU2: two sections, current then potential; search and filters combine.
    b.open(&format!("{}/customers", sys.url)).await;
    let body = b.body().await;
    let (cur, pot) = (body.find("Current customers").unwrap(), body.find("Potential customers").unwrap());
    assert!(cur < pot, "Current comes first");
    check_page(&b, "customers").await;
    let hot = ana.get("/api/v1/customers?status=current&temperature=hot&limit=100", 200).await;
    b.open(&format!("{}/customers?status=current&temperature=hot", sys.url)).await;
    let cards = b.client.find_all(fantoccini::Locator::Css("#sec-current ~ ul .card h3")).await.unwrap();
    assert_eq!(cards.len(), count(&hot), "the filters give what the API gives");
    assert!(!b.has("#sec-potential").await, "a status filter shows one section");

    // CU1: a bad value is shown beside its field and nothing is created.
    let before = count(&ana.get("/api/v1/customers?limit=100", 200).await);
    b.open(&format!("{}/customers#add", sys.url)).await;
    b.fill("#add-name", "Browser Test SRL").await;
    b.fill("#add-email", "not-an-email").await;
    b.click("#add form button.primary").await;
    let error = b.text("#add-email-error").await;
    assert_eq!(error, web::i18n::Lang::EN.t("error-email"), "the email's error is beside it, in words");
    assert_eq!(
        b.client.find(fantoccini::Locator::Css("#add-name")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("Browser Test SRL"),
        "what was typed is kept"
    );
    check_page(&b, "customers-add-error").await;
    assert_eq!(count(&ana.get("/api/v1/customers?limit=100", 200).await), before, "nothing was created");
    b.fill("#add-email", "buyer@browser.test").await;
    b.fill("#add-phone", "+39 333 1234567").await;
    b.fill("#add-address\\.city", "Milano").await;
    b.fill("#add-address\\.country", "it").await;
    b.select("#add-status", "current").await;
    b.select("#add-temperature", "hot").await;
    b.fill("#add-discount_percent", "5").await;
    b.click("#add form button.primary").await;
    assert!(b.text(".notice").await.contains("added"), "the customer page says it was added");
    let list = ana.get("/api/v1/customers?q=buyer%40browser.test", 200).await;
    assert_eq!(count(&list), 1, "{list}");
    let created = &list["items"][0];
    assert_eq!(created["status"], "current");
    assert_eq!(created["address"]["country"], "IT");
    let id = created["id"].as_str().unwrap().to_string();

    // CU3: notes, high before medium before none.
    for (body, priority) in [("plain note", "none"), ("urgent note", "high"), ("soon note", "medium")] {
        b.fill("#note-body", body).await;
        b.select("#note-priority", priority).await;
        b.click("#notes form button").await;
    }
    let notes = b.text("ul.notes").await;
    let pos = |s: &str| notes.find(s).unwrap_or(usize::MAX);
    assert!(pos("urgent note") < pos("soon note") && pos("soon note") < pos("plain note"), "{notes}");
    // CU4: a customer deleted after the page's confirmation.
    let doomed = ana.post("/api/v1/customers", &json!({ "name": "Delete Me Ltd" }), 201).await;
    let doomed = doomed["id"].as_str().unwrap();
    b.open(&format!("{}/customers/{doomed}", sys.url)).await;
    b.client.find(fantoccini::Locator::Css("details.danger summary")).await.unwrap().click().await.unwrap();
    b.click("details.danger button.danger").await;
    assert!(b.text(".notice").await.contains("deleted"), "the list says so");
    ana.get(&format!("/api/v1/customers/{doomed}"), 404).await;
    b.open(&format!("{}/customers/{id}", sys.url)).await;

    // CU3: a note edited, then deleted after its confirmation.
    let notes_api = ana.get(&format!("/api/v1/customers/{id}/notes"), 200).await;
    let plain = notes_api["items"].as_array().unwrap().iter().find(|n| n["body"] == "plain note").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    b.client.find(fantoccini::Locator::Css(&format!("#note-{plain} summary"))).await.unwrap().click().await.unwrap();
    b.fill(&format!("#edit-note-{plain}"), "plain note, now urgent").await;
    b.select(&format!("#edit-prio-{plain}"), "high").await;
    b.click(&format!("#note-{plain} form[action$='/{plain}'] button")).await;
    let notes = b.text("ul.notes").await;
    assert!(notes.starts_with("High") && notes.find("plain note, now urgent") < notes.find("soon note"), "{notes}");
    b.client.find(fantoccini::Locator::Css(&format!("#note-{plain} summary"))).await.unwrap().click().await.unwrap();
    b.click(&format!("#note-{plain} form[action$='/delete'] button")).await;
    assert!(!b.text("ul.notes").await.contains("now urgent"), "the note is gone");
    assert_eq!(count(&ana.get(&format!("/api/v1/customers/{id}/notes"), 200).await), 2);

    // CU5: the log.
    b.select("#log-kind", "call").await;
    b.fill("#log-summary", "Called about the spring order").await;
    b.click("#log form button").await;
    assert!(b.text("ul.log").await.contains("Called about the spring order"));
    // CU4: an edit; a bad discount is refused beside its field and changes nothing.
    b.fill("#edit-discount_percent", "250").await;
    b.click("#details-h ~ form button.primary").await;
    assert!(!b.text("#edit-discount_percent-error").await.is_empty(), "the discount's error is beside it");
    assert_eq!(ana.get(&format!("/api/v1/customers/{id}"), 200).await["discount_percent"], "5.00");
    b.fill("#edit-discount_percent", "7.5").await;
    b.fill("#edit-phone", "+39 333 7654321").await;
    b.click("#details-h ~ form button.primary").await;
    let saved = ana.get(&format!("/api/v1/customers/{id}"), 200).await;
    assert_eq!((saved["discount_percent"].as_str(), saved["phone"].as_str()), (Some("7.50"), Some("+39 333 7654321")));
    check_page(&b, "customer").await;

    // O2, O3: a partner-assisted order for her, paid later by the customer through the link.
    b.click("#new-order").await;
    check_page(&b, "order-new").await;
    b.click("#place").await;
    assert!(!b.text("#items-error").await.is_empty(), "an empty cart is refused beside the cart");
    let products = ana.get("/api/v1/products?limit=100", 200).await;
    let product = products["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "digital")
        .unwrap_or(&products["items"][0])
        .clone();
    let pid = product["id"].as_str().unwrap();
    b.fill(&format!("#qty-{pid}"), "2").await;
    b.select("#payment_method", "pay_later_link").await;
    b.click("button[value='quote']").await;
    let quote = b.text("#quote").await;
    let quoted = ana
        .post(
            "/api/v1/orders/quote",
            &json!({ "customer_id": id, "items": [{ "product_id": pid, "quantity": 2 }], "payment_method": "pay_later_link" }),
            200,
        )
        .await;
    let total = web::format::money(web::i18n::Lang::EN, quoted["total"].as_str().unwrap(), "EUR");
    assert!(quote.contains(&total), "the quote is the service's: {quote} vs {total}");
    b.click("#place").await;
    let pay_url =
        b.client.find(fantoccini::Locator::Css("#pay-url")).await.unwrap().prop("value").await.unwrap().unwrap();
    let number = b.text("h1").await.trim_start_matches("Order ").to_string();
    assert_eq!(b.text("#order-status").await, "Awaiting payment");
    check_page(&b, "order").await;
    let order_url = b.url().await;
    // O5: a note for the customer, which the payment page shows.
    b.fill("#onote-body", "Delivery on Tuesday morning").await;
    b.select("#onote-visibility", "customer").await;
    b.click("#notes form button").await;
    assert!(b.text("ul.notes").await.contains("Delivery on Tuesday morning"));
    // O3: a new payment link; the old one stops working at once.
    b.click("form[action$='/payment-link'] button").await;
    let renewed =
        b.client.find(fantoccini::Locator::Css("#pay-url")).await.unwrap().prop("value").await.unwrap().unwrap();
    assert_ne!(renewed, pay_url, "a new link");
    let old_path = &pay_url[pay_url.find("/pay/").unwrap()..];
    b.open(&format!("{}{old_path}", sys.url)).await;
    assert!(b.body().await.contains("404"), "the old link is dead");
    let _ = b.console_errors().await;
    let pay_url = renewed;
    let _ = order_url;
    // The customer opens the link and pays (the link is on `gateway.public_url`; the test's
    // gateway has a port of its own).
    let path = &pay_url[pay_url.find("/pay/").unwrap()..];
    b.open(&format!("{}{path}", sys.url)).await;
    check_page(&b, "pay").await;
    assert!(b.body().await.contains("Delivery on Tuesday morning"), "the customer-facing note is on the payment page");
    b.click("#pay").await;
    assert!(b.text("#result").await.contains("payment was received"), "the customer is told it is paid");
    check_page(&b, "pay-done").await;
    b.open(&format!("{}/orders?q={number}", sys.url)).await;
    assert!(b.text("#orders").await.contains("Paid"), "the order shows as paid on her orders page");
    check_page(&b, "orders").await;
    // Its commission shows as recorded (pending) on her earnings page, once commissions has it.
    let mut ledger = String::new();
    for _ in 0..100 {
        b.open(&format!("{}/earnings", sys.url)).await;
        ledger = b.text("#ledger").await;
        if ledger.contains(&format!("Commission on order {number} recorded")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ledger.contains(&format!("Commission on order {number} recorded")), "{ledger}");

    // X4: an order she placed for "a customer" with her own email waits for the merchant's
    // review, and her earnings say so, in her language.
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    let sku = products["items"][0]["sku"].as_str().unwrap().to_string();
    let own = json!({ "orders": [{ "external_id": "web-own", "customer": { "name": "Me", "email": "ana+web@demo.test" },
        "items": [{ "sku": sku, "quantity": 1 }], "payment_method": "card", "status": "paid",
        "placed_by_partner_id": ana_id }] });
    sys.demo_admin().await.post("/api/v1/orders/import", &own, 200).await;
    let mut lines = String::new();
    for _ in 0..100 {
        b.open(&format!("{}/earnings", sys.url)).await;
        lines = b.body().await;
        if lines.contains("under review") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(lines.contains("under review"), "the flagged commission says so");
    check_page(&b, "earnings-under-review").await;

    // O9: a wholesale purchase for resale, for herself, at the wholesale price.
    let resale =
        products["items"].as_array().unwrap().iter().find(|p| p["wholesale_price"].is_string()).unwrap().clone();
    b.open(&format!("{}/orders/new", sys.url)).await;
    b.client.find(fantoccini::Locator::Css("input[name='wholesale']")).await.unwrap().click().await.unwrap();
    b.fill(&format!("#qty-{}", resale["id"].as_str().unwrap()), "3").await;
    b.select("#payment_method", "bank_transfer").await;
    b.click("#place").await;
    assert!(b.body().await.contains("Wholesale, for resale"), "{}", b.body().await);
    let unit = web::format::money(web::i18n::Lang::EN, resale["wholesale_price"].as_str().unwrap(), "EUR");
    assert!(b.text("table.data").await.contains(&unit), "at the wholesale price {unit}");

    // CU8: a quick-order link made on the customer's page, shown once; the customer's page it
    // opens refuses an empty cart and sends a full one on to pay.
    b.open(&format!("{}/customers/{id}", sys.url)).await;
    b.click("#quick-new").await;
    let quick =
        b.client.find(fantoccini::Locator::Css("#quick-url")).await.unwrap().prop("value").await.unwrap().unwrap();
    let token = quick.rsplit('/').next().unwrap().to_string();
    b.open(&format!("{}/q/{token}", sys.url)).await;
    assert!(b.text("h1").await.contains("Browser Test SRL"));
    check_page(&b, "quick-order").await;
    b.click("#order").await;
    assert!(!b.text("#items-error").await.is_empty(), "an empty cart is refused");
    b.fill(&format!("#qty-{pid}"), "1").await;
    b.click("#order").await;
    assert!(b.url().await.contains("/pay/"), "on to the payment page: {}", b.url().await);
    // A token that is not one is the same 404 page as a revoked one.
    b.open(&format!("{}/q/not-a-token", sys.url)).await;
    let bad = b.body().await;
    assert!(bad.contains("404"));
    b.open(&format!("{}/customers/{id}", sys.url)).await;
    assert!(b.text("#quick-state").await.contains("working link"));
    b.click("#quick-revoke").await;
    assert!(b.text(".notice").await.contains("no longer works"));
    b.open(&format!("{}/q/{token}", sys.url)).await;
    assert_eq!(b.body().await, bad, "a revoked link is the same 404 page as a bad token");
    let _ = b.console_errors().await;

    // C11: earnings in words.
    b.open(&format!("{}/earnings", sys.url)).await;
    let balances = ana.get("/api/v1/balances", 200).await;
    let available = balances["items"][0]["available"].as_str().unwrap();
    assert_eq!(b.text("dd.available").await, web::format::money(web::i18n::Lang::EN, available, "EUR"));
    assert!(b.text("#ledger").await.contains("PL-"), "ledger entries name their orders by number");
    // C10: a payout request beyond what is available is refused beside the amount.
    b.fill("#amount-EUR", "5000").await;
    b.click("form[action='/earnings/payouts'] button").await;
    assert!(!b.text("#amount-error").await.is_empty(), "refused beside the amount");
    let _ = b.console_errors().await;
    b.open(&format!("{}/earnings", sys.url)).await;
    // C11: the ledger filtered by kind, on the page and in the API; a kind that is not one is 422.
    // The filter applies as it changes (its script submits the form).
    b.select("#f-kind", "clawback").await;
    for _ in 0..100 {
        if b.url().await.contains("kind=clawback") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.settle().await;
    let filtered = b.text("#ledger tbody").await;
    let clawbacks = ana.get("/api/v1/ledger?kind=clawback", 200).await;
    assert!(count(&clawbacks) > 0 && clawbacks["items"].as_array().unwrap().iter().all(|e| e["kind"] == "clawback"));
    assert_eq!(filtered.lines().count(), count(&clawbacks), "{filtered}");
    assert!(filtered.lines().all(|l| l.contains("Clawback")), "{filtered}");
    let bad = ana.expect(reqwest::Method::GET, "/api/v1/ledger?kind=bonus", None, 422).await;
    assert_eq!(bad["errors"][0]["field"], "kind", "{bad}");
    b.open(&format!("{}/earnings", sys.url)).await;
    let ledger = ana.get("/api/v1/ledger?limit=25", 200).await;
    let team =
        ledger["items"].as_array().unwrap().iter().any(|e| e["kind"] == "accrued" && e["level"].as_u64() > Some(0));
    assert_eq!(b.text("#ledger").await.contains("Team commission on order"), team, "a team member's sale says so (C7)");
    let lines = ana.get("/api/v1/commissions?limit=25", 200).await;
    let rows = b.client.find_all(fantoccini::Locator::Css("#commission-lines tbody tr")).await.unwrap();
    assert_eq!(rows.len(), count(&lines), "one line per order's commission (C3)");
    let program = sys.demo_admin().await.get("/api/v1/program", 200).await;
    let minimum =
        web::format::money(web::i18n::Lang::EN, program["settings"]["minimum_payout"].as_str().unwrap(), "EUR");
    assert!(b.text("#minimum").await.contains(&minimum), "the minimum payout is shown (C10)");
    check_page(&b, "earnings").await;

    // LE1-LE3: a lead submitted (a bad email refused beside the field), its page with its timeline
    // and the demo's sales rep; the table sorts by any column.
    b.open(&format!("{}/leads", sys.url)).await;
    check_page(&b, "leads").await;
    let leads = ana.get("/api/v1/leads?limit=100", 200).await;
    let rows = b.client.find_all(fantoccini::Locator::Css("#leads tbody tr")).await.unwrap();
    assert_eq!(rows.len(), count(&leads).min(25), "the table lists her leads");
    b.click("#leads thead th:nth-child(2) a").await;
    assert!(b.url().await.contains("sort=company"), "{}", b.url().await);
    let companies: Vec<String> = {
        let mut out = Vec::new();
        for cell in b.client.find_all(fantoccini::Locator::Css("#leads tbody td:nth-child(2)")).await.unwrap() {
            out.push(cell.text().await.unwrap());
        }
        out
    };
    let mut sorted = companies.clone();
    sorted.sort_by_key(|c| c.to_lowercase());
    assert_eq!(companies, sorted, "sorted by company");
    b.open(&format!("{}/leads#submit", sys.url)).await;
    b.fill("#lead-contact_name", "Lia Web").await;
    b.fill("#lead-company", "Web Leads SRL").await;
    b.fill("#lead-email", "lia@").await;
    b.fill("#lead-product_line", "pos").await;
    b.click("#submit form button.primary").await;
    assert!(!b.text("#lead-email-error").await.is_empty(), "the email's error is beside it");
    assert_eq!(count(&ana.get("/api/v1/leads?q=Web%20Leads", 200).await), 0, "nothing was submitted");
    b.fill("#lead-email", "lia@webleads.test").await;
    b.click("#submit form button.primary").await;
    assert!(b.text("#lead-timeline").await.contains("Submitted"), "the new lead's page shows its timeline");
    check_page(&b, "lead").await;
    let assigned = leads["items"].as_array().unwrap().iter().find(|l| l["sales_rep"].is_object()).cloned();
    if let Some(l) = assigned {
        b.open(&format!("{}/leads/{}", sys.url, l["id"].as_str().unwrap())).await;
        assert!(b.text("#lead-rep").await.contains(l["sales_rep"]["email"].as_str().unwrap()), "whom to talk to (LE2)");
    }

    // L1, L9, L12: promote a product: its rate and what a sale earns, a share link with its QR
    // codes, a poster valid 30 days, and a coupon (a bad discount refused beside the field).
    b.open(&format!("{}/promote?sort=-price", sys.url)).await;
    check_page(&b, "promote").await;
    let prices: Vec<f64> = products["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["base_price"].as_str().unwrap().parse().unwrap())
        .collect();
    let dearest = prices.iter().cloned().fold(0.0, f64::max);
    let first = b.text("#products li:first-child").await;
    assert!(
        first.contains(&web::format::money(web::i18n::Lang::EN, &format!("{dearest:.2}"), "EUR")),
        "dearest first: {first}"
    );
    // L12: sorted by what she sold, best first (her completed demo orders sold something).
    b.open(&format!("{}/promote?sort=-sold", sys.url)).await;
    let mut sold = Vec::new();
    for cell in b.client.find_all(fantoccini::Locator::Css("#products dd.sold")).await.unwrap() {
        sold.push(cell.text().await.unwrap().replace(',', "").parse::<u64>().unwrap());
    }
    assert!(sold.windows(2).all(|w| w[0] >= w[1]) && sold[0] > 0, "best sold first: {sold:?}");
    b.click(&format!("#product-{pid} button.share")).await;
    let share = b
        .client
        .find(fantoccini::Locator::Css(&format!("#product-{pid} input[readonly]")))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(share.contains("/r/"), "{share}");
    let links = ana.get("/api/v1/links", 200).await;
    let made = links["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| share.ends_with(l["code"].as_str().unwrap()))
        .expect("the link exists");
    assert_eq!(made["kind"], "share");
    b.click(&format!("#product-{pid} button.link")).await;
    assert!(b.text("#poster-list").await.contains("/r/"), "the poster is listed");
    let posters = ana.get("/api/v1/posters", 200).await;
    let until = posters["items"][0]["expires_at"].as_str().unwrap();
    assert!(
        b.text("#poster-list").await.contains(&web::format::when(web::i18n::Lang::EN, until)),
        "its 30-day validity is shown"
    );
    b.fill("#cp-code", "WEBTEN").await;
    b.fill("#cp-discount_percent", "150").await;
    b.click("#make-coupon").await;
    assert!(
        !b.text("#cp-discount_percent-error").await.is_empty(),
        "a discount over the limit is refused beside the field"
    );
    b.fill("#cp-discount_percent", "5").await;
    b.click("#make-coupon").await;
    assert!(b.text("#coupon-list").await.contains("WEBTEN"), "the coupon is listed");
    check_page(&b, "promote-done").await;

    // C7, P4, X7: the team, read-only, and an invite link.
    b.open(&format!("{}/team", sys.url)).await;
    assert!(b.text("#team").await.contains("Cy"), "Cy is Ana's sub-partner");
    b.click("#make-invite").await;
    let invite =
        b.client.find(fantoccini::Locator::Css("#invite-url")).await.unwrap().prop("value").await.unwrap().unwrap();
    assert!(invite.contains("/join/demo?invite="), "{invite}");
    check_page(&b, "team").await;

    // A1, P5: the account: a bad IBAN refused beside its field, a good one saved.
    b.open(&format!("{}/account", sys.url)).await;
    check_page(&b, "account").await;
    b.client.find(fantoccini::Locator::Css("input[name='kind'][value='bank']")).await.unwrap().click().await.unwrap();
    b.fill("#a-iban", "IT60 X054 2811 1010 0000 0123 457").await;
    b.fill("#a-account_holder", "Ana Rossi").await;
    b.click("#save-payout").await;
    // The same refusal in the person's language (here the switcher's: Polish).
    b.open(&format!("{}/lang/pl?next=/account", sys.url)).await;
    b.client.find(fantoccini::Locator::Css("input[name='kind'][value='bank']")).await.unwrap().click().await.unwrap();
    b.fill("#a-iban", "IT60 X054 2811 1010 0000 0123 457").await;
    b.fill("#a-account_holder", "Ana Rossi").await;
    b.click("#save-payout").await;
    let pl = web::i18n::Lang::parse("pl").unwrap();
    assert_eq!(
        b.text("#a-iban-error").await,
        pl.t("error-iban"),
        "a wrong IBAN check digit is refused beside the field, in Polish"
    );
    b.open(&format!("{}/lang/en?next=/account", sys.url)).await;
    b.client.find(fantoccini::Locator::Css("input[name='kind'][value='bank']")).await.unwrap().click().await.unwrap();
    b.fill("#a-account_holder", "Ana Rossi").await;
    b.fill("#a-iban", "IT60 X054 2811 1010 0000 0123 456").await;
    b.click("#save-payout").await;
    let me = ana.get("/api/v1/me", 200).await;
    assert_eq!(me["partner"]["payout_method"]["kind"], "bank", "{me}");
    // P5: the profile: a new phone number saved.
    b.fill("#a-phone", "+39 02 9999 0000").await;
    b.click("form[action='/account/profile'] button").await;
    assert!(b.text(".notice").await.contains("saved"));
    assert_eq!(ana.get("/api/v1/me", 200).await["partner"]["phone"], "+39 02 9999 0000");
    b.fill("#a-current_password", "demo-partner").await;
    b.fill("#a-new_password", "demo-partner-2").await;
    b.fill("#a-repeat_password", "something-else").await;
    b.click("form[action='/account/password'] button").await;
    assert!(!b.text("#a-repeat_password-error").await.is_empty(), "two different new passwords are refused");

    // A partner opening another partner's customer gets the same 404 page as a missing one.
    let bo = sys.login("bo@demo.test", "demo-partner").await;
    let bos = bo.get("/api/v1/customers?limit=1", 200).await;
    let other = bos["items"][0]["id"].as_str().unwrap();
    b.open(&format!("{}/customers/{other}", sys.url)).await;
    let not_found = b.body().await;
    assert!(not_found.contains("not yours to see") && not_found.contains("404"), "{not_found}");
    assert!(!not_found.contains(bos["items"][0]["name"].as_str().unwrap()), "nothing of Bo's customer shows");
    let _ = b.console_errors().await; // the 404 itself is logged as a failed load
    b.open(&format!("{}/customers/00000000-0000-0000-0000-000000000000", sys.url)).await;
    assert_eq!(b.body().await, not_found, "a missing customer looks the same");
    let bos_order = bo.get("/api/v1/orders?limit=1", 200).await["items"][0]["id"].as_str().unwrap().to_string();
    b.open(&format!("{}/orders/{bos_order}", sys.url)).await;
    assert_eq!(b.body().await, not_found, "another partner's order is the same 404 page");
    let _ = b.console_errors().await;

    // A form posted without its CSRF token is refused, and changes nothing.
    let status = b
        .client
        .execute_async(
            "const done = arguments[0]; fetch('/customers', { method: 'POST', headers: { 'content-type': \
             'application/x-www-form-urlencoded' }, body: 'name=Forged' }).then(r => done(r.status));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(403));
    assert_eq!(count(&ana.get("/api/v1/customers?q=Forged", 200).await), 0);
    let _ = b.console_errors().await;

    // Each language: the home renders with every message and money as the language writes it.
    let d = ana.get("/api/v1/dashboard", 200).await;
    let lifetime = d["earnings"][0]["lifetime"].as_str().unwrap().to_string();
    for code in web::i18n::LANGS {
        b.open(&format!("{}/lang/{code}?next=/home", sys.url)).await;
        let lang = web::i18n::Lang::parse(code).unwrap();
        let html = b.client.source().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{code}\"")), "{code}");
        // WebDriver reads a no-break space as a space.
        let money = web::format::money(lang, &lifetime, "EUR").replace('\u{a0}', " ");
        assert_eq!(b.text(".lifetime").await, money, "{code}");
        let body = b.body().await;
        for key in ["home-", "nav-", "balance-", "order-status-", "rate-source-"] {
            assert!(!body.contains(key), "{code}: a message key shows on the page: {key}");
        }
        check_page(&b, &format!("home-{code}")).await;
    }
    b.open(&format!("{}/lang/en?next=/home", sys.url)).await;

    // N1: the bell counts what is unread; the page says each notification in the reader's
    // language; opening one marks it read and goes to what it is about; all can be marked read.
    let lead = json!({ "product_line": "pos", "contact_name": "Bell", "email": "bell@shop.test", "company": "Bell Shop",
                       "website_url": "https://bell.test", "notes": "", "wants_sales_support": false });
    let lead = ana.post("/api/v1/leads", &lead, 201).await["id"].as_str().unwrap().to_string();
    sys.demo_admin()
        .await
        .post(&format!("/api/v1/leads/{lead}/status"), &json!({ "status": "in_progress" }), 200)
        .await;
    let mut newest = Value::Null;
    for _ in 0..300 {
        newest = ana.get("/api/v1/notifications?limit=1", 200).await["items"][0].clone();
        if newest["object_id"] == lead.as_str() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(newest["kind"], "lead_status_changed", "{newest}");
    let unread = ana.get("/api/v1/notifications/unread-count", 200).await["unread"].as_u64().unwrap();
    b.open(&format!("{}/home", sys.url)).await;
    assert_eq!(b.text("header .bell .count").await, unread.to_string(), "the bell counts the unread ones");
    b.click("header .bell").await;
    assert!(b.url().await.ends_with("/notifications"), "{}", b.url().await);
    let en = web::i18n::Lang::EN;
    let said = en.t1("notification-lead-status-changed", "status", en.t("lead-status-in-progress"));
    assert_eq!(b.text("#notifications li.unread .what").await, said, "the newest first, in words");
    check_page(&b, "notifications").await;
    b.open(&format!("{}/lang/it?next=/notifications", sys.url)).await;
    let it = web::i18n::Lang::parse("it").unwrap();
    let detto = it.t1("notification-lead-status-changed", "status", it.t("lead-status-in-progress"));
    assert_eq!(b.text("#notifications li.unread .what").await, detto, "in Italian");
    check_page(&b, "notifications-it").await;
    b.open(&format!("{}/lang/en?next=/notifications", sys.url)).await;
    b.click("#notifications li.unread button").await;
    assert!(b.url().await.ends_with(&format!("/leads/{lead}")), "it opens the lead: {}", b.url().await);
    let left = ana.get("/api/v1/notifications/unread-count", 200).await["unread"].as_u64().unwrap();
    assert_eq!(left, unread - 1, "opening it read it");
    b.open(&format!("{}/notifications", sys.url)).await;
    if left > 0 {
        b.click("form[action='/notifications/read-all'] button").await;
    }
    assert!(!b.has("header .bell .count").await, "nothing unread: no count on the bell");
    b.open(&format!("{}/notifications?unread=1", sys.url)).await;
    assert_eq!(b.text(".empty").await, en.t("notifications-none-unread"));
    check_page(&b, "notifications-read").await;

    // N2: an announcement reads as Markdown, its raw HTML as text.
    let admin = sys.demo_admin().await;
    let body = "**Double commissions** this week. <script>alert(1)</script>";
    let a = admin.post("/api/v1/announcements", &json!({ "title": "Espresso week", "body": body }), 201).await;
    b.open(&format!("{}/announcements", sys.url)).await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(b.text(&format!("#a-{id} h2")).await, "Espresso week");
    assert_eq!(b.text(&format!("#a-{id} strong")).await, "Double commissions");
    assert!(!b.has(&format!("#a-{id} script")).await, "raw HTML is shown as text, never run");
    assert!(!b.has("header .bell .count").await, "the announcement, shown, is read");
    check_page(&b, "announcements").await;
    // N3: the thread with the merchant; an empty message is refused beside its box.
    b.open(&format!("{}/messages", sys.url)).await;
    b.click("form[action='/messages'] button").await;
    assert_eq!(b.text("#message-body-error").await, en.t("error-required"), "the error is beside the box, in words");
    check_page(&b, "messages-error").await;
    b.fill("#message-body", "Can I have posters in Italian?").await;
    b.click("form[action='/messages'] button").await;
    assert_eq!(b.text("#thread li.mine .body").await, "Can I have posters in Italian?");
    let ana_id = ana.get("/api/v1/me", 200).await["partner"]["id"].as_str().unwrap().to_string();
    admin.post("/api/v1/messages", &json!({ "partner_id": ana_id, "body": "Yes: on the promote page." }), 201).await;
    b.open(&format!("{}/messages", sys.url)).await;
    assert_eq!(b.text("#thread li.theirs .body").await, "Yes: on the promote page.");
    check_page(&b, "messages").await;
    let thread = ana.get("/api/v1/message-threads", 200).await;
    assert_eq!(thread["items"][0]["unread"], 0, "shown is read: {thread}");
    // A1: the account page turns a topic off; the service says so.
    b.open(&format!("{}/account", sys.url)).await;
    assert!(b.has("#preferences #email\\.payout_paid").await, "payout notices can be emails");
    assert!(!b.has("#preferences #in_app\\.lead_submitted").await, "a lead's confirmation is an email only");
    // A box: no new page until the form is saved.
    let boxed = b.client.find(fantoccini::Locator::Css("#preferences #in_app\\.lead_status_changed")).await.unwrap();
    boxed.click().await.unwrap();
    b.click("#save-preferences").await;
    assert!(b.url().await.contains("/account?done=saved"), "{}", b.url().await);
    let prefs = ana.get("/api/v1/notifications/preferences", 200).await;
    let moved = prefs["items"].as_array().unwrap().iter().find(|p| p["topic"] == "lead_status_changed").unwrap();
    assert_eq!((moved["in_app"].as_bool(), moved["email"].as_bool()), (Some(false), Some(false)), "{prefs}");
    let paid = prefs["items"].as_array().unwrap().iter().find(|p| p["topic"] == "payout_paid").unwrap();
    assert_eq!((paid["in_app"].as_bool(), paid["email"].as_bool()), (Some(true), Some(true)), "the others stay on");
    check_page(&b, "account-notifications").await;

    // A1: an access token that expired is refreshed on the server, without a new sign-in.
    sys.clock.advance(chrono::Duration::minutes(20));
    b.open(&format!("{}/customers", sys.url)).await;
    assert!(b.url().await.ends_with("/customers"), "still signed in: {}", b.url().await);
    // A1: a session that has expired altogether (its refresh token too) sends the person to the
    // login page, and after it back to the page they were on.
    sys.clock.advance(chrono::Duration::days(31));
    b.open(&format!("{}/orders?status=paid", sys.url)).await;
    assert!(b.url().await.contains("/login?next=%2Forders%3Fstatus%3Dpaid"), "{}", b.url().await);
    b.fill("#email", "ana@demo.test").await;
    b.fill("#password", "demo-partner").await;
    b.click("form[action='/login'] button").await;
    assert!(b.url().await.ends_with("/orders?status=paid"), "back where she was: {}", b.url().await);
    // Sign out: the session ends, and the pages ask for a sign-in again.
    b.click("form.logout button").await;
    b.open(&format!("{}/home", sys.url)).await;
    assert!(b.url().await.contains("/login"), "{}", b.url().await);

    // The customer pages wear the merchant's branding from its program settings; a colour that
    // is not #rrggbb is refused, naming the field, and changes nothing.
    let admin = sys.demo_admin().await;
    let bad = admin
        .expect(
            reqwest::Method::PATCH,
            "/api/v1/program",
            Some(&json!({ "settings": { "brand_accent": "red;}" } })),
            422,
        )
        .await;
    assert_eq!(bad["errors"][0]["field"], "settings.brand_accent", "{bad}");
    let logo = format!("{}/static/icon.svg", sys.url.replace("http://", "https://"));
    let brand = json!({ "settings": { "brand_logo_url": logo, "brand_accent": "#A0522D" } });
    admin.patch("/api/v1/program", &brand, 200).await;
    b.open(&format!("{}/join/demo", sys.url)).await;
    let accent = b
        .client
        .execute("return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()", vec![])
        .await
        .unwrap();
    assert_eq!(accent, json!("#a0522d"), "the accent colour applies (its inline style is allowed by hash)");
    let src =
        b.client.find(fantoccini::Locator::Css("header .brand img.logo")).await.unwrap().attr("src").await.unwrap();
    assert_eq!(src.as_deref(), Some(logo.as_str()));
    let _ = b.console_errors().await; // the logo's https address does not answer here
    admin.patch("/api/v1/program", &json!({ "settings": { "brand_logo_url": "", "brand_accent": "" } }), 200).await;

    // P1-P3: the recruitment page renders its plan and takes an application, errors beside fields.
    b.open(&format!("{}/join/demo", sys.url)).await;
    assert!(b.has(".plan h1, .plan h2, .plan p").await, "the plan is rendered from its Markdown");
    check_page(&b, "join").await;
    b.fill("#j-name", "Gil Web").await;
    b.fill("#j-email", "not-an-email").await;
    b.fill("#j-password", "gil-password").await;
    b.click("form[action='/join/demo'] button").await;
    assert!(!b.text("#j-email-error").await.is_empty(), "the email's error is beside it");
    check_page(&b, "join-error").await;
    b.fill("#j-email", "gil.web@demo.test").await;
    b.fill("#j-password", "gil-password").await;
    b.click("form[action='/join/demo'] button").await;
    assert!(b.text("#join-done").await.contains("review"), "the demo program reviews applications");
    let apps = admin.get("/api/v1/applications?status=pending", 200).await;
    assert!(apps.to_string().contains("gil.web@demo.test"), "{apps}");

    // A merchant signs in at the same page and sees its own short page.
    sign_in(&b, &sys, "admin@demo.test", "demo-admin").await;
    assert!(b.body().await.contains("merchant console"), "{}", b.body().await);
    check_page(&b, "merchant").await;
    // N1: the merchant's inbox is its own; the partners' thread page is not its page.
    b.open(&format!("{}/notifications", sys.url)).await;
    assert!(b.has("#notifications").await, "the merchant's notifications (applications, payout requests)");
    assert!(!b.has("nav.tabs a[href='/messages']").await, "no partner thread for the merchant");
    b.open(&format!("{}/messages", sys.url)).await;
    assert!(b.body().await.contains(&en.t("error-forbidden")), "{}", b.body().await);
    b.close().await;
    sys.stop().await;
}

#[tokio::test]
async fn s20_pages_carry_their_security_headers_and_session_cookies_are_http_only() {
    let sys = TestSystem::start().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(format!("{}/login", sys.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let csrf_cookie = h["set-cookie"].to_str().unwrap().to_string();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
    let token = csrf_cookie.split(';').next().unwrap().trim_start_matches("pl_csrf=").to_string();
    let body = r.text().await.unwrap();
    assert!(body.contains(&format!("value=\"{token}\"")), "the form carries the cookie's token");

    // Signing in sets HttpOnly cookies and goes home; a forged `next` leads nowhere else.
    let form = [
        ("_csrf", token.as_str()),
        ("email", "ana@demo.test"),
        ("password", "demo-partner"),
        ("next", "//evil.example"),
    ];
    let r = http
        .post(format!("{}/login", sys.url))
        .header("cookie", format!("pl_csrf={token}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/home", "an open redirect is refused");
    let cookies: Vec<_> = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    for name in ["pl_at=", "pl_rt="] {
        let c = cookies.iter().find(|c| c.starts_with(name)).unwrap_or_else(|| panic!("{name} in {cookies:?}"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"), "{c}");
    }
    // Without its CSRF token, the same sign-in is refused.
    let r = http.post(format!("{}/login", sys.url)).form(&form[1..]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Static assets are the binary's own, no CDN.
    let css = http.get(format!("{}/static/app.css", sys.url)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    sys.stop().await;
}
