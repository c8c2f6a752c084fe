//! Dashboards and reports (D1-D3) through the gateway: a known set of orders, refunds and
//! commissions over three weeks, in the program's time zone, read back at every period size, as
//! the merchant and as a partner, as JSON and as CSV.

use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e::{Client, TestSystem, json};
use reqwest::Method;
use serde_json::Value;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
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

struct World {
    sys: TestSystem,
}

impl World {
    /// Moves the clock and signs in again (tokens expire with the clock).
    async fn at(&self, when: &str) -> (Client, Client) {
        self.sys.clock.set(t(when));
        (self.sys.demo_admin().await, self.sys.login("ria@demo.test", "ria-partner-1").await)
    }

    /// Imports one paid order of 100.00 (no shipping, no tax) placed by `partner`, and waits until
    /// its commission is written, so the ledger's entries carry the clock's time.
    async fn order(&self, admin: &Client, ext: &str, partner: &str, customer: Value, extra: Value) -> String {
        let mut o = json!({
            "external_id": ext, "customer": customer, "items": [{ "sku": "REP-100", "quantity": 1 }],
            "payment_method": "card", "status": "paid", "shipping": "0", "tax_rate": "0",
            "placed_by_partner_id": partner,
        });
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        let r = admin.post("/api/v1/orders/import", &json!({ "orders": [o] }), 200).await;
        assert_eq!(r["created"], 1, "{r}");
        let id = r["items"][0]["order_id"].as_str().unwrap().to_string();
        // An open order earns a pending commission too (C3), awaiting payment or not.
        until(admin, &format!("/api/v1/commissions?order_id={id}"), |l| {
            l["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await;
        id
    }
}

fn column<'a>(rows: &'a Value, field: &str) -> Vec<&'a str> {
    rows.as_array().unwrap().iter().map(|r| r[field].as_str().unwrap()).collect()
}

fn counts(rows: &Value, field: &str) -> Vec<u64> {
    rows.as_array().unwrap().iter().map(|r| r[field].as_u64().unwrap()).collect()
}

/// Parses an RFC 4180 body without quoted line breaks (none of these reports has one).
fn csv(text: &str) -> Vec<Vec<String>> {
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut fields = Vec::new();
            let (mut cur, mut quoted, mut chars) = (String::new(), false, l.chars().peekable());
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        cur.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => fields.push(std::mem::take(&mut cur)),
                    _ => cur.push(c),
                }
            }
            fields.push(cur);
            fields
        })
        .collect()
}

async fn get_csv(c: &Client, path: &str) -> (String, Vec<Vec<String>>) {
    let r = c.send(Method::GET, path, None, &[("accept", "text/csv")]).await;
    assert_eq!(r.status, 200, "{path}: {r:?}");
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers["content-disposition"].to_str().unwrap().to_string();
    (disposition, csv(r.body.as_str().unwrap()))
}

/// Three weeks of September 2026 in Europe/Rome (UTC+2): Ria's orders A and B in the first week
/// (B later refunded 30.00), C in the second, D at 23:30 UTC on Sunday the 20th, which is Monday
/// the 21st in Rome, so the third week; F awaits payment and counts nowhere. Leo's E in the first
/// week shows in the program's figures and never in Ria's.
#[tokio::test]
async fn d1_d2_d3_reports_give_exact_figures_per_period_zone_and_caller() {
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    // D2: the time zone is a program setting, checked against the server's zone list.
    let r = admin
        .expect_with(
            Method::PATCH,
            "/api/v1/program",
            Some(&json!({ "settings": { "time_zone": "Mars/Olympus" } })),
            &[],
            422,
        )
        .await;
    e2e::assert_problem(&r, 422, "invalid_field", Some("settings.time_zone"));
    let p = admin.patch("/api/v1/program", &json!({ "settings": { "time_zone": "Europe/Rome" } }), 200).await;
    assert_eq!(p["settings"]["time_zone"], "Europe/Rome");
    let ria = json!({ "name": "Ria Report", "email": "ria@demo.test", "password": "ria-partner-1", "trust_level": "trusted" });
    let ria_id = admin.post("/api/v1/partners", &ria, 201).await["id"].as_str().unwrap().to_string();
    let leo = json!({ "name": "Leo Report", "email": "leo@demo.test", "password": "leo-partner-1" });
    let leo_id = admin.post("/api/v1/partners", &leo, 201).await["id"].as_str().unwrap().to_string();
    admin
        .post(
            "/api/v1/products",
            &json!({ "sku": "REP-100", "name": "Report machine", "base_price": "100.00", "kind": "physical" }),
            201,
        )
        .await;
    let w = World { sys };

    // Week 1 (Mon 7 - Sun 13 September).
    let (admin, ria) = w.at("2026-09-07T09:00:00Z").await;
    let c1 = ria.post("/api/v1/customers", &json!({ "name": "Carla Uno", "status": "current" }), 201).await;
    let c1_id = c1["id"].as_str().unwrap().to_string();
    let carla = json!({ "id": c1_id, "name": "Carla Uno", "email": "carla@x.test", "language": "it" });
    w.order(&admin, "rep-a", &ria_id, carla.clone(), json!({})).await;
    let (admin, _) = w.at("2026-09-08T09:00:00Z").await;
    let walk_e = json!({ "name": "Eva Leo", "email": "eva@x.test", "language": "en" });
    w.order(&admin, "rep-e", &leo_id, walk_e, json!({})).await;
    let (admin, _) = w.at("2026-09-09T09:00:00Z").await;
    w.order(&admin, "rep-b", &ria_id, carla.clone(), json!({})).await;

    // Week 2: a second customer and order C; B refunded 30.00 (counted on B's day, the 9th).
    let (admin, ria) = w.at("2026-09-16T09:00:00Z").await;
    let c2 = ria.post("/api/v1/customers", &json!({ "name": "Dario Due", "status": "potential" }), 201).await;
    let c2_id = c2["id"].as_str().unwrap().to_string();
    let dario = json!({ "id": c2_id, "name": "Dario Due", "email": "dario@x.test", "language": "it" });
    w.order(&admin, "rep-c", &ria_id, dario, json!({ "channel": "partner_assisted" })).await;
    let refund = json!({ "orders": [{ "external_id": "rep-b", "refunds": [{ "external_id": "rep-b-r1", "amount": "30.00", "reason": "dent" }] }] });
    assert_eq!(admin.post("/api/v1/orders/import", &refund, 200).await["updated"], 1);
    // B's commission goes down to 7.00 before the clock moves on, so the entry is dated the 16th.
    until(&ria, "/api/v1/balances", |b| b["items"][0]["pending"] == "27.00").await;

    // Week 3: D at 23:30 UTC on Sunday is 01:30 on Monday in Rome; F is never paid.
    let (admin, _) = w.at("2026-09-20T23:30:00Z").await;
    let walk_in = json!({ "name": "Walk In", "email": "", "language": "en" });
    w.order(&admin, "rep-d", &ria_id, walk_in.clone(), json!({})).await;
    let (admin, _) = w.at("2026-09-22T09:00:00Z").await;
    w.order(
        &admin,
        "rep-f",
        &ria_id,
        walk_in,
        json!({ "status": "pending_payment", "payment_method": "bank_transfer" }),
    )
    .await;
    let (admin, ria) = w.at("2026-09-23T12:00:00Z").await;
    // Every commission is pending: A 10, B 7, C 10, D 10 and F 10 (F's order is open, C3).
    until(&ria, "/api/v1/balances", |b| b["items"][0]["pending"] == "47.00").await;

    let weeks = "every=week&from=2026-09-07&to=2026-09-27";
    // D2 sales, by week: Ria's own, whoever asks for them.
    let expect_ria = |r: &Value| {
        let t = &r["totals"];
        assert_eq!(column(t, "period_start"), ["2026-09-07", "2026-09-14", "2026-09-21"], "{r}");
        assert_eq!(counts(t, "orders"), [2, 1, 1], "{r}");
        assert_eq!(column(t, "gross"), ["200.00", "100.00", "100.00"], "{r}");
        assert_eq!(column(t, "refunds"), ["30.00", "0.00", "0.00"], "{r}");
        assert_eq!(column(t, "net"), ["170.00", "100.00", "100.00"], "{r}");
        assert_eq!(r["time_zone"], "Europe/Rome");
    };
    let mine = ria.get(&format!("/api/v1/reports/sales?{weeks}"), 200).await;
    expect_ria(&mine);
    let by_channel: Vec<(&str, &str)> = mine["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["period_start"].as_str().unwrap(), r["channel"].as_str().unwrap()))
        .collect();
    assert_eq!(by_channel, [("2026-09-07", "api"), ("2026-09-14", "partner_assisted"), ("2026-09-21", "api")]);
    expect_ria(&admin.get(&format!("/api/v1/reports/sales?{weeks}&partner_id={ria_id}"), 200).await);
    expect_ria(&admin.get(&format!("/api/v1/reports/sales?{weeks}&partner_q=ria%20report"), 200).await);
    // The program: Leo's E too.
    let all = admin.get(&format!("/api/v1/reports/sales?{weeks}"), 200).await;
    assert_eq!(counts(&all["totals"], "orders"), [3, 1, 1], "{all}");
    assert_eq!(column(&all["totals"], "net"), ["270.00", "100.00", "100.00"]);

    // By day around the zone's edge: D is on the 21st in Rome, not on the 20th as in UTC.
    let days = ria.get("/api/v1/reports/sales?every=day&from=2026-09-20&to=2026-09-21", 200).await;
    assert_eq!(column(&days["totals"], "period_start"), ["2026-09-20", "2026-09-21"]);
    assert_eq!(counts(&days["totals"], "orders"), [0, 1], "{days}");
    // By month, a range that starts mid-month: clipped periods, one row.
    let month = ria.get("/api/v1/reports/sales?every=month&from=2026-09-01&to=2026-09-30", 200).await;
    assert_eq!(column(&month["totals"], "period_end"), ["2026-09-30"]);
    assert_eq!((counts(&month["totals"], "orders"), column(&month["totals"], "net")), (vec![4], vec!["370.00"]));
    let whole = ria.get("/api/v1/reports/sales?every=month&from=2026-08-15&to=2026-10-10", 200).await;
    assert_eq!(column(&whole["totals"], "period_start"), ["2026-08-15", "2026-09-01", "2026-10-01"]);
    assert_eq!(counts(&whole["totals"], "orders"), [0, 4, 0]);

    // D2 commissions: 10% of each order, F's too (its order is open, so its commission is
    // pending); B's refund takes 3.00 back in week 2.
    let c = ria.get(&format!("/api/v1/reports/commissions?{weeks}"), 200).await;
    let rows = &c["rows"];
    assert_eq!(column(rows, "earned"), ["20.00", "7.00", "20.00"], "{c}");
    assert_eq!(column(rows, "earned_own"), ["20.00", "7.00", "20.00"]);
    assert_eq!(column(rows, "earned_team"), ["0.00", "0.00", "0.00"]);
    assert_eq!(column(rows, "pending"), ["20.00", "27.00", "47.00"], "balances at each week's end: {c}");
    assert_eq!(column(rows, "paid"), ["0.00", "0.00", "0.00"]);
    let c_all = admin.get(&format!("/api/v1/reports/commissions?{weeks}"), 200).await;
    assert_eq!(column(&c_all["rows"], "earned"), ["30.00", "7.00", "20.00"], "{c_all}");

    // D2 customers: new per week (customers service) beside active, AOV and the top (orders).
    let cu = ria.get(&format!("/api/v1/reports/customers?{weeks}"), 200).await;
    assert_eq!((cu["current"].as_u64(), cu["potential"].as_u64()), (Some(1), Some(1)), "{cu}");
    assert_eq!(counts(&cu["periods"], "new_customers"), [1, 1, 0], "{cu}");
    let active: Vec<u64> =
        cu["periods"].as_array().unwrap().iter().map(|p| p["sales"][0]["active_customers"].as_u64().unwrap()).collect();
    assert_eq!(active, [1, 1, 1]);
    assert_eq!(cu["periods"][0]["sales"][0]["average_order_value"], "85.00");
    assert_eq!(cu["range"][0]["active_customers"], 3);
    assert_eq!(cu["range"][0]["average_order_value"], "92.50");
    assert_eq!(cu["repeat_rate"], "0.3333", "one of three customers ordered twice");
    assert_eq!(column(&cu["top"], "name")[0], "Carla Uno");
    assert_eq!(column(&cu["top"], "net"), ["170.00", "100.00", "100.00"]);

    // D3: results per partner, sortable; the merchant's only.
    let month = "from=2026-09-01&to=2026-09-30";
    let res = admin.get(&format!("/api/v1/reports/partners?{month}&sort=-sales&limit=2"), 200).await;
    assert_eq!(res["items"].as_array().unwrap().len(), 2);
    assert!(res["total"].as_u64().unwrap() >= 3, "every partner, sold or not: {res}");
    let top = &res["items"][0];
    assert_eq!(
        (top["partner_id"].as_str(), top["orders"].as_u64(), top["sales"].as_str(), top["earned"].as_str()),
        (Some(ria_id.as_str()), Some(4), Some("370.00"), Some("47.00")),
        "{res}"
    );
    assert_eq!((top["customers"].as_u64(), top["balance"].as_str()), (Some(2), Some("0.00")));
    assert_eq!(res["items"][1]["partner_id"], leo_id.as_str());
    let by_name = admin.get(&format!("/api/v1/reports/partners?{month}&partner_q=report"), 200).await;
    assert_eq!(column(&by_name["items"], "name"), ["Leo Report", "Ria Report"]);
    let r = ria.expect_with(Method::GET, "/api/v1/reports/partners", None, &[], 403).await;
    e2e::assert_problem(&r, 403, "forbidden", None);

    // CSV of each report parses back to the JSON's figures.
    let (disposition, sheet) = get_csv(&ria, "/api/v1/reports/sales?every=month&from=2026-09-01&to=2026-09-30").await;
    assert_eq!(disposition, "attachment; filename=\"sales-2026-09.csv\"");
    assert_eq!(sheet[0][..5], ["period_start", "period_end", "channel", "currency", "orders"]);
    let total = sheet.iter().find(|r| r[2].is_empty() && r[0] == "2026-09-01").unwrap();
    assert_eq!((total[4].as_str(), total[10].as_str()), ("4", "370.00"));
    let (_, sheet) = get_csv(&ria, &format!("/api/v1/reports/commissions?{weeks}&format=csv")).await;
    let earned: Vec<&str> = sheet[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(earned, ["20.00", "7.00", "20.00"]);
    let (_, sheet) = get_csv(&ria, &format!("/api/v1/reports/customers?{weeks}")).await;
    assert_eq!(sheet.len(), 4, "a header and three weeks: {sheet:?}");
    let (_, sheet) = get_csv(&admin, &format!("/api/v1/reports/partners?{month}&partner_q=report&sort=name")).await;
    assert_eq!(sheet[1][1], "Leo Report");
    assert_eq!((sheet[2][1].as_str(), sheet[2][7].as_str(), sheet[2][8].as_str()), ("Ria Report", "370.00", "47.00"));
    let (_, sheet) = get_csv(&admin, "/api/v1/reports/settlements").await;
    assert_eq!(sheet[0][..6], ["at", "partner_id", "currency", "amount", "status", "method"]);

    // D1: Ria's home.
    let d = ria.get("/api/v1/dashboard", 200).await;
    assert_eq!(d["partner_id"], ria_id.as_str());
    assert!(d["referral_path"].as_str().unwrap().starts_with("/r/"), "{d}");
    assert_eq!((d["customers_current"].as_u64(), d["customers_potential"].as_u64()), (Some(1), Some(1)));
    assert_eq!((d["orders"][0]["orders"].as_u64(), d["orders"][0]["net"].as_str()), (Some(4), Some("370.00")));
    let e = &d["earnings"][0];
    assert_eq!(
        (e["lifetime"].as_str(), e["pending"].as_str(), e["paid"].as_str()),
        (Some("47.00"), Some("47.00"), Some("0.00"))
    );
    assert_eq!(
        (d["current_rate"]["value"].as_str(), d["current_rate"]["source"].as_str()),
        (Some("10"), Some("default"))
    );
    assert_eq!(d["recent_orders"].as_array().unwrap().len(), 5, "F, awaiting payment, is an order too");
    assert_eq!(d["new_customers"].as_array().unwrap().len(), 12);
    let earned: Vec<&str> =
        d["commissions_earned"].as_array().unwrap()[9..].iter().map(|p| p["value"].as_str().unwrap()).collect();
    assert_eq!(earned, ["20.00", "7.00", "20.00"], "the last three of twelve weeks");
    // A rule for trusted partners is the rate's source once it exists.
    let rule =
        json!({ "name": "Trusted 15", "priority": 5, "kind": "percent", "value": "15", "partner_tier": "trusted" });
    admin.post("/api/v1/commission-rules", &rule, 201).await;
    let rate = admin.get(&format!("/api/v1/dashboard?partner_id={ria_id}"), 200).await["current_rate"].clone();
    assert_eq!((rate["value"].as_str(), rate["source"].as_str()), (Some("15"), Some("trust_level")), "{rate}");

    // A partner sees no other partner's figures; bad input names its field and changes nothing.
    for path in [format!("/api/v1/reports/sales?partner_id={leo_id}"), format!("/api/v1/dashboard?partner_id={leo_id}")]
    {
        let r = ria.expect_with(Method::GET, &path, None, &[], 404).await;
        e2e::assert_problem(&r, 404, "not_found", Some("partner_id"));
    }
    for (path, field) in [
        ("/api/v1/reports/sales?from=2026-09-10&to=2026-09-01", "from"),
        ("/api/v1/reports/sales?every=year", "every"),
        ("/api/v1/reports/commissions?every=day&from=2019-01-01&to=2026-09-01", "from"),
        ("/api/v1/reports/customers?to=2026-02-30", "to"),
        ("/api/v1/reports/sales?format=xlsx", "format"),
        ("/api/v1/reports/partners?sort=mood", "sort"),
        ("/api/v1/reports/sales?partner_q=nobody-at-all", "partner_q"),
        ("/api/v1/dashboard", "partner_id"),
    ] {
        let r = admin.send(Method::GET, path, None, &[]).await;
        assert!(r.status == 422 || r.status == 404, "{path}: {r:?}");
        let named = r.body["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["field"] == field));
        assert!(named, "{path} names {field}: {r:?}");
    }
    let other = w.sys.other_program().await;
    let r = admin
        .expect_with(Method::GET, &format!("/api/v1/reports/sales?partner_id={}", other.partner_id), None, &[], 404)
        .await;
    e2e::assert_problem(&r, 404, "not_found", Some("partner_id"));
    let r = admin
        .expect_with(
            Method::GET,
            &format!("/api/v1/reports/commissions?partner_id={}", other.partner_id),
            None,
            &[],
            404,
        )
        .await;
    e2e::assert_problem(&r, 404, "not_found", Some("partner_id"));
    w.sys.stop().await;
}
