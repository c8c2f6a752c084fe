//! Webhooks (I2) and the event feed (I1), through the gateway, against a receiver in the test;
//! signatures are checked with the `standardwebhooks` crate, not with our code.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::{Client, TestSystem, assert_problem, json};
use reqwest::Method;
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    headers: http::HeaderMap,
    body: String,
    answered: u16,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }
    /// Whether the request is signed with `secret`, as a receiver using the reference library
    /// checks it.
    fn signed_with(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret).unwrap().verify(self.body.as_bytes(), &self.headers).is_ok()
    }
}

/// A webhook receiver on 127.0.0.1 that fails the next `fail_next` requests (500), or all of
/// them while `fail_always`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    fail_next: Arc<AtomicUsize>,
    fail_always: Arc<AtomicBool>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let rx = Receiver::default();
        let state = rx.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: http::HeaderMap, body: String| {
                let rx = state.clone();
                async move {
                    let fail = rx.fail_always.load(Ordering::SeqCst)
                        || rx.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    let answered = if fail { 500 } else { 204 };
                    rx.got.lock().unwrap().push(Got { headers, body, answered });
                    let status = http::StatusCode::from_u16(answered).unwrap();
                    (status, if fail { "receiver is down" } else { "" })
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await });
        (rx, url)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests have come, and gives them all.
    async fn wait_for(&self, n: usize) -> Vec<Got> {
        for _ in 0..300 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver got {} requests, not {n}: {:?}", self.got().len(), self.got());
    }
}

async fn new_partner(sys: &TestSystem, email: &str) -> Client {
    let admin = sys.demo_admin().await;
    admin.post("/api/v1/partners", &json!({ "name": email, "email": email, "password": "demo-partner" }), 201).await;
    sys.login(email, "demo-partner").await
}

async fn lead(partner: &Client, company: &str) -> String {
    let body = json!({ "product_line": "pos", "contact_name": "Olga", "email": "owner@shop.test", "company": company,
                       "website_url": "https://shop.test", "notes": "", "wants_sales_support": false });
    partner.post("/api/v1/leads", &body, 201).await["id"].as_str().unwrap().to_string()
}

fn advance(sys: &TestSystem, by: chrono::Duration) {
    assert!(sys.clock.advance(by), "the test system runs on the manual clock");
}

/// I2: a receiver failing the first three attempts gets the fourth, each signed (checked by the
/// reference library) under one webhook-id, on the schedule the manual clock drives; the log
/// has the four attempts with their status codes and answers. Bad registrations name their field.
#[tokio::test]
async fn i2_a_receiver_failing_three_attempts_gets_the_fourth_on_the_schedule_with_four_in_the_log() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let (rx, url) = Receiver::start().await;
    advance(&sys, chrono::Duration::seconds(1)); // the demo's events are before the endpoint

    let r =
        admin.expect_with(Method::POST, "/api/v1/webhooks", Some(&json!({ "url": "ftp://x.test/" })), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("url"));
    let bad = json!({ "url": url, "event_types": ["customers.lead.*", "customers.lead.eaten"] });
    let r = admin.expect_with(Method::POST, "/api/v1/webhooks", Some(&bad), &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("event_types[1]"));
    assert_eq!(admin.get("/api/v1/webhooks", 200).await["items"], json!([]), "a refused endpoint is not kept");

    let created = admin
        .post(
            "/api/v1/webhooks",
            &json!({ "url": url, "event_types": ["customers.lead.*"], "description": "CRM" }),
            201,
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created["endpoint"]["id"].as_str().unwrap().to_string();
    let shown = admin.get(&format!("/api/v1/webhooks/{id}"), 200).await;
    assert_eq!(shown["event_types"], json!(["customers.lead.*"]));
    assert!(shown.get("secret").is_none(), "the secret is answered once: {shown}");

    rx.fail_next.store(3, Ordering::SeqCst);
    let pia = new_partner(&sys, "pia@demo.test").await;
    let lead_id = lead(&pia, "Shop One").await;
    rx.wait_for(1).await; // the first attempt goes at once
    for (n, wait) in
        [(2, chrono::Duration::seconds(5)), (3, chrono::Duration::minutes(5)), (4, chrono::Duration::minutes(30))]
    {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(rx.got().len(), n - 1, "no attempt before its time");
        advance(&sys, wait);
        rx.wait_for(n).await;
    }
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia@demo.test", "demo-partner").await); // tokens expired
    let got = rx.got();
    assert_eq!(got.iter().map(|g| g.answered).collect::<Vec<_>>(), [500, 500, 500, 204]);
    let webhook_id = got[0].header("webhook-id");
    assert!(webhook_id.starts_with("msg_"), "{webhook_id}");
    for g in &got {
        assert_eq!(g.header("webhook-id"), webhook_id, "every attempt is the same message");
        assert!(g.signed_with(&secret), "signed per Standard Webhooks: {:?}", g.headers);
        assert!(!g.signed_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "and with that secret only");
    }
    let body = got[3].json();
    assert_eq!(body["type"], "customers.lead.submitted");
    assert_eq!(body["data"]["lead_id"], lead_id.as_str());
    assert_eq!(body["data"]["company"], "Shop One");
    assert!(body["timestamp"].as_str().unwrap().starts_with("2026-06-01T"), "{body}");

    // The log: the message succeeded after 4 attempts, newest first, each with its code.
    let mut messages = Value::Null;
    for _ in 0..100 {
        messages = admin.get(&format!("/api/v1/webhooks/{id}/messages"), 200).await;
        if messages["items"][0]["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages["items"].as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages["items"][0]["status"], "succeeded", "{messages}");
    assert_eq!(messages["items"][0]["attempts"], 4);
    assert_eq!(messages["items"][0]["message_id"], webhook_id.as_str());
    let log = admin.get(&format!("/api/v1/webhooks/{id}/attempts?message_id={webhook_id}"), 200).await;
    let codes: Vec<u64> = log["items"].as_array().unwrap().iter().map(|a| a["status_code"].as_u64().unwrap()).collect();
    assert_eq!(codes, [204, 500, 500, 500], "{log}");
    assert_eq!(log["items"][1]["response"], "receiver is down");
    assert_eq!(log["items"][0]["succeeded"], true);
    let failed = admin.get(&format!("/api/v1/webhooks/{id}/messages?status=failed"), 200).await;
    assert_eq!(failed["items"], json!([]));
    let r =
        admin.expect_with(Method::GET, &format!("/api/v1/webhooks/{id}/messages?status=lost"), None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("status"));

    // Only the merchant manages them: a partner, a key without the scope, another program.
    pia.get("/api/v1/webhooks", 403).await;
    let key = admin.post("/api/v1/api-keys", &json!({ "name": "feed", "scopes": ["events:read"] }), 201).await;
    let key = sys.client().with_token(key["secret"].as_str().unwrap());
    let r = key.expect_with(Method::POST, "/api/v1/webhooks", Some(&json!({ "url": url })), &[], 403).await;
    assert!(r.body["detail"].as_str().unwrap().contains("webhooks:write"), "{}", r.body);
    let other = sys.other_program().await;
    other.admin.get(&format!("/api/v1/webhooks/{id}"), 404).await;
    other.admin.get(&format!("/api/v1/webhooks/{id}/attempts"), 404).await;
    sys.stop().await;
}

/// I2: one aggregate's messages reach an endpoint in their order, the later ones waiting while
/// an earlier one is retried; another aggregate's go meanwhile.
#[tokio::test]
async fn i2_one_aggregates_messages_keep_their_order_while_an_earlier_one_is_retried() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let (rx, url) = Receiver::start().await;
    advance(&sys, chrono::Duration::seconds(1)); // the demo's events are before the endpoint
    admin.post("/api/v1/webhooks", &json!({ "url": url, "event_types": ["customers.lead.*"] }), 201).await;
    let pia = new_partner(&sys, "pia@demo.test").await;

    rx.fail_next.store(1, Ordering::SeqCst);
    let first = lead(&pia, "Shop One").await;
    rx.wait_for(1).await;
    admin.post(&format!("/api/v1/leads/{first}/status"), &json!({ "status": "in_progress" }), 200).await;
    admin.post(&format!("/api/v1/leads/{first}/status"), &json!({ "status": "not_eligible" }), 200).await;
    let second = lead(&pia, "Shop Two").await;
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].json()["data"]["lead_id"], second.as_str(), "another lead's message is not held up");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.got().len(), 2, "the first lead's later messages wait for its first: {:?}", rx.got());

    advance(&sys, chrono::Duration::seconds(5));
    let got = rx.wait_for(5).await;
    let of_first: Vec<(String, String)> = got
        .iter()
        .filter(|g| g.answered == 204)
        .map(Got::json)
        .filter(|b| b["data"]["lead_id"] == first.as_str())
        .map(|b| (b["type"].as_str().unwrap().to_string(), b["data"]["to_status"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        of_first,
        [
            ("customers.lead.submitted".to_string(), String::new()),
            ("customers.lead.status_changed".to_string(), "in_progress".to_string()),
            ("customers.lead.status_changed".to_string(), "not_eligible".to_string()),
        ]
    );
    sys.stop().await;
}

/// I2: resend one message, recover the failed ones since a time, a rotation signing with both
/// secrets during its grace period and the new one after it, a test event, and an endpoint
/// failing for five days disabled, the merchant told (N1).
#[tokio::test]
async fn i2_resend_recover_rotation_test_event_and_disabling_after_five_days() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let (rx, url) = Receiver::start().await;
    advance(&sys, chrono::Duration::seconds(1)); // the demo's events are before the endpoint
    let created =
        admin.post("/api/v1/webhooks", &json!({ "url": url, "event_types": ["customers.lead.submitted"] }), 201).await;
    let old_secret = created["secret"].as_str().unwrap().to_string();
    let id = created["endpoint"]["id"].as_str().unwrap().to_string();
    let pia = new_partner(&sys, "pia@demo.test").await;

    // Resend: the same message again, under its id.
    lead(&pia, "Shop One").await;
    let got = rx.wait_for(1).await;
    let msg = got[0].header("webhook-id");
    let resent = admin.post(&format!("/api/v1/webhooks/{id}/messages/{msg}/resend"), &json!({}), 202).await;
    assert_eq!(resent["message_id"], msg.as_str());
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].header("webhook-id"), msg);
    // The receiver may have the resend before the worker has written its attempt.
    let attempts = format!("/api/v1/webhooks/{id}/attempts?message_id={msg}");
    let log = e2e::until(&admin, &attempts, |l| l["items"].as_array().is_some_and(|i| i.len() >= 2)).await;
    let triggers: Vec<&str> = log["items"].as_array().unwrap().iter().map(|a| a["trigger"].as_str().unwrap()).collect();
    assert_eq!(triggers, ["resend", "scheduled"], "{log}");
    admin.post(&format!("/api/v1/webhooks/{id}/messages/msg_nothing/resend"), &json!({}), 404).await;

    // Rotation: both signatures for the grace period, then the new one alone.
    let r = admin
        .expect_with(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&json!({ "grace_hours": 99 })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("grace_hours"));
    let rotated = admin.post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &json!({ "grace_hours": 24 }), 200).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, old_secret);
    assert!(!rotated["endpoint"]["previous_secret_until"].as_str().unwrap().is_empty());
    lead(&pia, "Shop Two").await;
    let got = rx.wait_for(3).await;
    assert_eq!(got[2].header("webhook-signature").split(' ').count(), 2, "{:?}", got[2].headers);
    assert!(got[2].signed_with(&new_secret) && got[2].signed_with(&old_secret));
    advance(&sys, chrono::Duration::hours(25));
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia@demo.test", "demo-partner").await);
    lead(&pia, "Shop Three").await;
    let got = rx.wait_for(4).await;
    assert_eq!(got[3].header("webhook-signature").split(' ').count(), 1);
    assert!(got[3].signed_with(&new_secret) && !got[3].signed_with(&old_secret));

    // A test event goes whatever the endpoint's types.
    let t = admin.post(&format!("/api/v1/webhooks/{id}/test"), &json!({}), 202).await;
    assert_eq!(t["event_type"], "webhook.test");
    let got = rx.wait_for(5).await;
    assert_eq!(got[4].json()["type"], "webhook.test");
    assert!(got[4].signed_with(&new_secret));

    // Recover: a message that failed every attempt of the schedule goes again.
    let before = sys.clock.now();
    rx.fail_always.store(true, Ordering::SeqCst);
    lead(&pia, "Shop Four").await;
    rx.wait_for(6).await;
    let waits = [(5, 's'), (5, 'm'), (30, 'm'), (2, 'h'), (5, 'h'), (10, 'h'), (10, 'h')];
    for (i, (n, unit)) in waits.into_iter().enumerate() {
        let by = match unit {
            's' => chrono::Duration::seconds(n),
            'm' => chrono::Duration::minutes(n),
            _ => chrono::Duration::hours(n),
        };
        advance(&sys, by);
        rx.wait_for(7 + i).await;
    }
    let admin = sys.demo_admin().await;
    let mut failed = Value::Null;
    for _ in 0..100 {
        failed = admin.get(&format!("/api/v1/webhooks/{id}/messages?status=failed"), 200).await;
        if failed["items"].as_array().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(failed["items"][0]["attempts"], 8, "{failed}");
    advance(&sys, chrono::Duration::hours(1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.got().len(), 13, "no attempt after the last of the schedule");
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia@demo.test", "demo-partner").await);
    assert!(!admin.get(&format!("/api/v1/webhooks/{id}"), 200).await["failing_since"].as_str().unwrap().is_empty());
    rx.fail_always.store(false, Ordering::SeqCst);
    let r = admin
        .expect_with(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/recover"),
            Some(&json!({ "since": "yesterday" })),
            &[],
            422,
        )
        .await;
    assert_problem(&r, 422, "invalid_field", Some("since"));
    let since = before.to_rfc3339();
    let recovered = admin.post(&format!("/api/v1/webhooks/{id}/recover"), &json!({ "since": since }), 202).await;
    assert_eq!(recovered["messages"], 1);
    let got = rx.wait_for(14).await;
    assert_eq!(got[13].answered, 204);
    assert_eq!(got[13].header("webhook-id"), got[5].header("webhook-id"));
    for _ in 0..100 {
        if admin.get(&format!("/api/v1/webhooks/{id}"), 200).await["failing_since"] == "" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(admin.get(&format!("/api/v1/webhooks/{id}"), 200).await["failing_since"], "", "a success ends the run");

    // Five days of failures disable the endpoint; the merchant is told.
    rx.fail_always.store(true, Ordering::SeqCst);
    lead(&pia, "Shop Five").await;
    rx.wait_for(15).await;
    advance(&sys, chrono::Duration::days(5) + chrono::Duration::minutes(1));
    rx.wait_for(16).await;
    let (admin, pia) = (sys.demo_admin().await, sys.login("pia@demo.test", "demo-partner").await);
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = admin.get(&format!("/api/v1/webhooks/{id}"), 200).await;
        if shown["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(shown["enabled"], false, "{shown}");
    assert_eq!(shown["disabled_reason"], "every delivery failed for 5 days");
    let told = admin.get("/api/v1/notifications", 200).await;
    let n = told["items"].as_array().unwrap().iter().find(|n| n["kind"] == "webhook_disabled").cloned();
    let n = n.unwrap_or_else(|| panic!("the merchant is told: {told}"));
    assert_eq!(n["object_id"], id.as_str());
    assert!(n["text"].as_str().unwrap().contains(&url), "{n}");
    // Disabled: nothing more goes, until the merchant turns it back on.
    lead(&pia, "Shop Six").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.got().len(), 16);
    rx.fail_always.store(false, Ordering::SeqCst);
    let on = admin.patch(&format!("/api/v1/webhooks/{id}"), &json!({ "enabled": true }), 200).await;
    assert_eq!((on["enabled"].clone(), on["disabled_reason"].clone()), (json!(true), json!("")));
    admin.delete(&format!("/api/v1/webhooks/{id}"), 204).await;
    admin.get(&format!("/api/v1/webhooks/{id}"), 404).await;
    sys.stop().await;
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
struct Sse {
    id: String,
    data: Value,
}

/// Reads SSE events from `path` until `done` says enough, or 20 s pass.
async fn read_sse(sys: &TestSystem, token: &str, path: &str, last_id: &str, done: impl Fn(&[Sse]) -> bool) -> Vec<Sse> {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", sys.url))
        .bearer_auth(token)
        .header("last-event-id", last_id)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut r = r;
    let (mut buf, mut out) = (String::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(&out) {
        let chunk = tokio::time::timeout_at(deadline, r.chunk()).await;
        let Ok(Ok(Some(chunk))) = chunk else { panic!("the stream gave {} events: {out:?}", out.len()) };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut id, mut data) = (String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !data.is_empty() {
                out.push(Sse { id, data: serde_json::from_str(&data).unwrap() });
            }
        }
    }
    out
}

fn seqs(cursor: &str) -> Vec<u64> {
    cursor.split('-').map(|s| s.parse().unwrap()).collect()
}

/// I1: from a `Last-Event-ID`, an SSE client gets every later event of its program once, in
/// each stream's order, none of another program's; pages catch up the same; a key without
/// `events:read` gets 403.
#[tokio::test]
async fn i1_an_sse_client_resuming_from_its_last_event_id_gets_each_later_event_of_its_program_once() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let other = sys.other_program().await;
    let key = admin.post("/api/v1/api-keys", &json!({ "name": "feed", "scopes": ["events:read"] }), 201).await;
    let key = key["secret"].as_str().unwrap().to_string();
    let feed = sys.client().with_token(&key);

    // Catch up by pages: every event of the demo program, each once, cursors only moving on.
    let (mut cursor, mut seen, mut tenants) =
        (String::new(), std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    loop {
        let page = feed.get(&format!("/api/v1/events/page?limit=100&cursor={cursor}"), 200).await;
        for e in page["items"].as_array().unwrap() {
            let ce: Value = serde_json::from_str(e["cloudevent"].as_str().unwrap()).unwrap();
            assert!(seen.insert(ce["id"].as_str().unwrap().to_string()), "each event once: {ce}");
            tenants.insert(ce["tenantid"].as_str().unwrap().to_string());
            assert_eq!(ce["specversion"], "1.0");
            assert!(ce["type"].as_str().unwrap().starts_with("partnerline."), "{ce}");
        }
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if page["caught_up"] == true {
            break;
        }
    }
    assert!(seen.len() > 10, "the demo program's history: {}", seen.len());
    assert_eq!(tenants.len(), 1, "one program's events only: {tenants:?}");
    let other_page = other.admin.get("/api/v1/events/page?limit=200", 200).await;
    for e in other_page["items"].as_array().unwrap() {
        let ce: Value = serde_json::from_str(e["cloudevent"].as_str().unwrap()).unwrap();
        assert!(!tenants.contains(ce["tenantid"].as_str().unwrap()), "the other program sees none of ours");
        assert!(!seen.contains(ce["id"].as_str().unwrap()));
    }

    // Later events: three leads here, a partner there. The stream from the cursor gives ours.
    let pia = new_partner(&sys, "pia@demo.test").await;
    let mut leads = Vec::new();
    for c in ["Shop One", "Shop Two", "Shop Three"] {
        leads.push(lead(&pia, c).await);
    }
    other
        .admin
        .post("/api/v1/partners", &json!({ "name": "Yan", "email": "yan@other.test", "password": "yan-password" }), 201)
        .await;
    let want =
        |es: &[Sse]| es.iter().filter(|e| e.data["type"] == "partnerline.customers.lead.submitted.v1").count() >= 3;
    let events = read_sse(&sys, &key, "/api/v1/events", &cursor, want).await;
    let mut ids = std::collections::BTreeSet::new();
    let mut at = seqs(&cursor);
    for e in &events {
        assert_eq!(e.data["tenantid"], tenants.first().unwrap().as_str(), "ours only: {:?}", e.data);
        let ce_id = e.data["id"].as_str().unwrap().to_string();
        assert!(!seen.contains(&ce_id), "nothing from before the cursor: {:?}", e.data);
        assert!(ids.insert(ce_id), "each once");
        let next = seqs(&e.id);
        let moved: Vec<usize> = (0..next.len()).filter(|i| next[*i] != at[*i]).collect();
        assert_eq!(moved.len(), 1, "one stream moves per event: {at:?} -> {next:?}");
        assert!(next[moved[0]] > at[moved[0]], "in the stream's order: {at:?} -> {next:?}");
        at = next;
    }
    let submitted: Vec<&str> = events
        .iter()
        .filter(|e| e.data["type"] == "partnerline.customers.lead.submitted.v1")
        .map(|e| e.data["data"]["lead_id"].as_str().unwrap())
        .collect();
    assert_eq!(submitted, leads.iter().map(String::as_str).collect::<Vec<_>>(), "in the order they happened");

    // Filtered by type, from the same cursor: the leads only.
    let only = read_sse(&sys, &key, "/api/v1/events?types=customers.lead.*", &cursor, |es| es.len() >= 3).await;
    assert!(
        only.iter().all(|e| e.data["type"].as_str().unwrap().starts_with("partnerline.customers.lead.")),
        "{only:?}"
    );

    // Who may read: not a key without the scope, not a partner; a cursor of no feed is refused.
    let narrow = admin.post("/api/v1/api-keys", &json!({ "name": "orders", "scopes": ["orders:read"] }), 201).await;
    let narrow = sys.client().with_token(narrow["secret"].as_str().unwrap());
    let r = narrow.expect_with(Method::GET, "/api/v1/events", None, &[], 403).await;
    assert!(r.body["detail"].as_str().unwrap().contains("events:read"), "{}", r.body);
    narrow.get("/api/v1/events/page", 403).await;
    pia.get("/api/v1/events/page", 403).await;
    let r = feed.expect_with(Method::GET, "/api/v1/events/page?cursor=1-2", None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("cursor"));
    let r = feed.expect_with(Method::GET, "/api/v1/events/page?types=orders.pizza", None, &[], 422).await;
    assert_problem(&r, 422, "invalid_field", Some("types[0]"));
    sys.stop().await;
}

/// I1: the integrators' example (`examples/tenant-consumer`) reads its program's events from
/// JetStream through durable consumers filtered to the tenant: each once, none of another
/// program's, and the same durable name resumes after the last event it acknowledged.
#[tokio::test]
async fn i1_the_example_consumer_reads_its_programs_events_once_and_resumes_where_it_stopped() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    let other = sys.other_program().await;
    let tenant: uuid::Uuid = admin.get("/api/v1/me", 200).await["tenant_id"].as_str().unwrap().parse().unwrap();
    let o = tenant_consumer::Options {
        nats: sys.env.config.nats.url.clone(),
        tenant,
        prefix: sys.env.config.nats.prefix.clone(),
        durable: "erp".into(),
    };
    let pia = new_partner(&sys, "pia@demo.test").await;
    let first = lead(&pia, "Shop One").await;

    // Reads until it has the lead: everything before it too, each once, all the demo's.
    let read_until = |lead: String| {
        let o = &o;
        async move {
            let mut events = Vec::new();
            let run = tenant_consumer::run(o, |e| {
                let done = e["type"] == "partnerline.customers.lead.submitted.v1" && e["data"]["lead_id"] == lead;
                events.push(e);
                !done
            });
            tokio::time::timeout(Duration::from_secs(60), run).await.expect("the lead's event comes").unwrap();
            events
        }
    };
    let before = read_until(first.clone()).await;
    assert!(before.len() > 10, "the demo's history, then the lead: {}", before.len());
    let mut ids = std::collections::BTreeSet::new();
    for e in &before {
        assert!(ids.insert(e["id"].as_str().unwrap().to_string()), "each once: {e}");
        assert_ne!(e["data"], Value::Null, "decoded by the catalog's message: {e}");
        assert_eq!(e["tenantid"], tenant.to_string(), "the demo's only: {e}");
    }
    let lead_event = before.last().unwrap();
    assert_eq!(lead_event["data"]["company"], "Shop One", "{lead_event}");

    // The other program acts, then ours; the same durable goes on after what it acknowledged.
    other
        .admin
        .post("/api/v1/partners", &json!({ "name": "Yan", "email": "yan@other.test", "password": "yan-password" }), 201)
        .await;
    let second = lead(&pia, "Shop Two").await;
    // Streams it had not finished (orders, commissions) go on from where they were too.
    let after = read_until(second).await;
    for e in &after {
        assert!(!ids.contains(e["id"].as_str().unwrap()), "nothing it acknowledged comes again: {e}");
        assert_eq!(e["tenantid"], tenant.to_string(), "none of the other program's: {e}");
    }
    let leads: Vec<&Value> = after
        .iter()
        .filter(|e| e["type"] == "partnerline.customers.lead.submitted.v1")
        .map(|e| &e["data"]["company"])
        .collect();
    assert_eq!(leads, [&json!("Shop Two")], "the first lead was acknowledged and does not come again");
    sys.stop().await;
}
