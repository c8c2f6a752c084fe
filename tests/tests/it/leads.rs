//! Leads and referrals through the gateway (LE1-LE6).

use e2e::{Client, TestSystem, assert_problem, json};
use reqwest::Method;

async fn new_partner(sys: &TestSystem, email: &str) -> Client {
    sys.demo_admin()
        .await
        .post("/api/v1/partners", &json!({ "name": email, "email": email, "password": "demo-partner" }), 201)
        .await;
    sys.login(email, "demo-partner").await
}

fn lead_body(company: &str, contact: &str, website: &str) -> serde_json::Value {
    json!({ "product_line": "pos", "contact_name": contact, "email": "owner@shop.test", "company": company,
            "website_url": website, "notes": "Wants two terminals", "wants_sales_support": true })
}

#[tokio::test]
async fn le1_le2_le3_le5_a_lead_goes_from_submitted_to_won_on_a_timeline_with_a_sales_rep() {
    let sys = TestSystem::start().await;
    let pia = new_partner(&sys, "pia@demo.test").await;
    let lead = pia.post("/api/v1/leads", &lead_body("Shop One", "Olga", "https://shop-one.test"), 201).await;
    assert_eq!(lead["status"], "submitted");
    assert_eq!(lead["wants_sales_support"], true);
    let id = lead["id"].as_str().unwrap().to_string();
    sys.wait_for_event_about("customers", "lead.submitted", Some(&id)).await; // LE3: notifications sends the confirmation

    let admin = sys.demo_admin().await;
    let r = admin
        .expect_with(
            Method::POST,
            &format!("/api/v1/leads/{id}/status"),
            Some(&json!({ "status": "won", "plan": "pro", "revenue": "10" })),
            &[],
            409,
        )
        .await;
    assert_problem(&r, 409, "illegal_transition", None);
    assert!(r.body["detail"].as_str().unwrap().contains("allowed next: in_progress"));
    admin.post(&format!("/api/v1/leads/{id}/status"), &json!({ "status": "in_progress" }), 200).await;

    let reps = admin.get("/api/v1/users?role=sales_rep", 200).await;
    let sam = reps["items"][0]["id"].as_str().unwrap().to_string();
    admin
        .post(
            &format!("/api/v1/leads/{id}/sales-rep"),
            &json!({ "user_id": "01900000-0000-7000-8000-000000000000" }),
            422,
        )
        .await;
    admin.post(&format!("/api/v1/leads/{id}/sales-rep"), &json!({ "user_id": sam }), 200).await;
    let seen = pia.get(&format!("/api/v1/leads/{id}"), 200).await;
    assert_eq!(seen["sales_rep"]["name"], "Sam Sales");
    assert_eq!(seen["sales_rep"]["email"], "sam@demo.test");
    assert_eq!(seen["sales_rep"]["phone"], "+39 02 9876 5432");

    // Two hours later the assigned rep moves it; a won lead needs plan and revenue.
    sys.clock.advance(chrono::Duration::hours(2));
    let rep = sys.login("sam@demo.test", "demo-rep").await;
    let pia = sys.login("pia@demo.test", "demo-partner").await;
    let r = rep
        .expect_with(Method::POST, &format!("/api/v1/leads/{id}/status"), Some(&json!({ "status": "won" })), &[], 422)
        .await;
    assert_problem(&r, 422, "invalid_field", Some("plan"));
    let won = rep
        .post(
            &format!("/api/v1/leads/{id}/status"),
            &json!({ "status": "won", "plan": "pos-pro", "revenue": "1200.5", "currency": "EUR" }),
            200,
        )
        .await;
    assert_eq!((won["status"].as_str(), won["revenue"].as_str()), (Some("won"), Some("1200.50")));
    let timeline: Vec<(String, String)> = won["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["change"].as_str().unwrap().to_string(), e["to_status"].as_str().unwrap().to_string()))
        .collect();
    let expected =
        [("status", "submitted"), ("status", "in_progress"), ("sales_rep", "in_progress"), ("status", "won")];
    assert_eq!(timeline, expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
    let me = rep.get("/api/v1/me", 200).await;
    assert_eq!(won["timeline"][3]["actor_user_id"], me["user_id"], "LE2: the actor is on the timeline");
    rep.post(&format!("/api/v1/leads/{id}/status"), &json!({ "status": "not_eligible" }), 409).await;

    // LE5, LE6: the referral and the event commissions will pay from.
    let refs = pia.get("/api/v1/referrals", 200).await;
    assert_eq!(refs["items"][0]["plan"], "pos-pro");
    assert_eq!(refs["items"][0]["revenue"], "1200.50");
    assert!(refs["items"][0]["won_at"].as_str().unwrap().starts_with("2026-06-01T11:00"));
    let (_, headers) = sys.wait_for_event_about("customers", "lead.won", Some(&id)).await;
    assert_eq!(headers["ce-type"], "partnerline.customers.lead.won.v1");
    sys.stop().await;
}

#[tokio::test]
async fn le4_leads_sort_by_any_column_filter_by_status_and_search() {
    let sys = TestSystem::start().await;
    let pia = new_partner(&sys, "pia@demo.test").await;
    for (company, contact, web) in [
        ("Beta Bikes", "Zoe", "https://beta.test"),
        ("Alpha Art", "Yan", "https://alpha.test"),
        ("Gamma Gym", "Xia", "https://gamma-gym.test"),
    ] {
        pia.post("/api/v1/leads", &lead_body(company, contact, web), 201).await;
    }
    let names = |v: &serde_json::Value, field: &str| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|l| l[field].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        names(&pia.get("/api/v1/leads?sort=company&order=asc", 200).await, "company"),
        ["Alpha Art", "Beta Bikes", "Gamma Gym"]
    );
    assert_eq!(
        names(&pia.get("/api/v1/leads?sort=contact_name&order=asc", 200).await, "contact_name"),
        ["Xia", "Yan", "Zoe"]
    );
    assert_eq!(
        names(&pia.get("/api/v1/leads?sort=company&order=desc&limit=2", 200).await, "company"),
        ["Gamma Gym", "Beta Bikes"]
    );
    let page2 = pia.get("/api/v1/leads?sort=company&order=desc&limit=2&cursor=2", 200).await;
    assert_eq!(names(&page2, "company"), ["Alpha Art"]);
    assert_eq!(names(&pia.get("/api/v1/leads?q=gamma-gym", 200).await, "company"), ["Gamma Gym"], "search by website");
    assert_eq!(names(&pia.get("/api/v1/leads?q=yan", 200).await, "company"), ["Alpha Art"], "search by contact");
    assert!(pia.get("/api/v1/leads?status=won", 200).await["items"].as_array().unwrap().is_empty());
    let r = pia.expect_with(Method::GET, "/api/v1/leads?sort=password", None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("sort"));
    pia.get("/api/v1/leads?status=lost", 422).await;
    sys.stop().await;
}

#[tokio::test]
async fn le1_bad_lead_fields_are_422_and_others_cannot_reach_a_lead() {
    let sys = TestSystem::start().await;
    let pia = new_partner(&sys, "pia@demo.test").await;
    let quin = new_partner(&sys, "quin@demo.test").await;
    for (field, value) in
        [("product_line", "point of sale"), ("email", "nope"), ("website_url", "shop.test"), ("contact_name", " ")]
    {
        let mut body = lead_body("Shop", "Olga", "https://shop.test");
        body[field] = json!(value);
        let r = pia.expect_with(Method::POST, "/api/v1/leads", Some(&body), &[], 422).await;
        assert_problem(&r, 422, "invalid_field", Some(field));
    }
    assert!(pia.get("/api/v1/leads", 200).await["items"].as_array().unwrap().is_empty(), "nothing was stored");
    let lead = pia.post("/api/v1/leads", &lead_body("Shop", "Olga", "https://shop.test"), 201).await;
    let id = lead["id"].as_str().unwrap();
    quin.get(&format!("/api/v1/leads/{id}"), 404).await;
    assert!(quin.get("/api/v1/leads", 200).await["items"].as_array().unwrap().is_empty());
    pia.post(&format!("/api/v1/leads/{id}/status"), &json!({ "status": "in_progress" }), 403).await;
    let rep = sys.login("sam@demo.test", "demo-rep").await;
    rep.get(&format!("/api/v1/leads/{id}"), 404).await; // not assigned to Sam
    sys.demo_admin().await.post("/api/v1/leads", &lead_body("Shop", "Olga", "https://shop.test"), 403).await;
    sys.stop().await;
}

#[tokio::test]
async fn le2_the_demo_has_leads_in_every_status() {
    let sys = TestSystem::start().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let leads = ana.get("/api/v1/leads?sort=status&order=asc", 200).await;
    let mut statuses: Vec<&str> =
        leads["items"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["in_progress", "not_eligible", "submitted", "won"]);
    assert_eq!(ana.get("/api/v1/referrals", 200).await["items"][0]["revenue"], "2400.00");
    sys.stop().await;
}
