//! Dashboards and reports (D1-D3) through the gateway: a known set of orders, refunds and
//! commissions over three weeks, in the program's time zone, read back at every period size, as
//! the merchant and as a partner, as JSON and as CSV.

use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e::{Client, TestSystem, json, until};
use reqwest::Method;
use serde_json::Value;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
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
    // Tea is on Ria's team: the demo's team override rule pays Ria 5% of Tea's sales (C7).
    let tea = json!({ "name": "Tea Team", "email": "tea@demo.test", "password": "tea-partner-1", "parent_partner_id": ria_id });
    let tea_id = admin.post("/api/v1/partners", &tea, 201).await["id"].as_str().unwrap().to_string();
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
    let tina = json!({ "name": "Tina Tea", "email": "tina@x.test", "language": "en" });
    w.order(&admin, "rep-t", &tea_id, tina, json!({})).await;
    let refund = json!({ "orders": [{ "external_id": "rep-b", "refunds": [{ "external_id": "rep-b-r1", "amount": "30.00", "reason": "dent" }] }] });
    assert_eq!(admin.post("/api/v1/orders/import", &refund, 200).await["updated"], 1);
    // B's commission goes down to 7.00 and Tea's order pays Ria 5.00 before the clock moves on, so
    // the entries are dated the 16th.
    until(&ria, "/api/v1/balances", |b| b["items"][0]["pending"] == "32.00").await;

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
    // Every commission is pending: A 10, B 7, C 10, D 10, F 10 (F's order is open, C3) and the
    // 5.00 on Tea's order.
    until(&ria, "/api/v1/balances", |b| b["items"][0]["pending"] == "52.00").await;

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
    // The program: Leo's E and Tea's order too.
    let all = admin.get(&format!("/api/v1/reports/sales?{weeks}"), 200).await;
    assert_eq!(counts(&all["totals"], "orders"), [3, 2, 1], "{all}");
    assert_eq!(column(&all["totals"], "net"), ["270.00", "200.00", "100.00"]);

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
    // pending); B's refund takes 3.00 back in week 2, when Tea's order earns Ria 5.00 (team).
    let c = ria.get(&format!("/api/v1/reports/commissions?{weeks}"), 200).await;
    let rows = &c["rows"];
    assert_eq!(column(rows, "earned"), ["20.00", "12.00", "20.00"], "{c}");
    assert_eq!(column(rows, "earned_own"), ["20.00", "7.00", "20.00"]);
    assert_eq!(column(rows, "earned_team"), ["0.00", "5.00", "0.00"]);
    assert_eq!(column(rows, "pending"), ["20.00", "32.00", "52.00"], "balances at each week's end: {c}");
    assert_eq!(column(rows, "paid"), ["0.00", "0.00", "0.00"]);
    let c_all = admin.get(&format!("/api/v1/reports/commissions?{weeks}"), 200).await;
    assert_eq!(column(&c_all["rows"], "earned"), ["30.00", "22.00", "20.00"], "{c_all}");

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
    let relationship = cu["top"][0]["relationship"].as_str().unwrap();
    assert_eq!(relationship, format!("/api/v1/customers/{c1_id}/binding"), "L10 from the row");
    ria.get(relationship, 200).await;
    assert_eq!(column(&cu["top"], "net"), ["170.00", "100.00", "100.00"]);

    // D3: results per partner, sortable; the merchant's only.
    let month = "from=2026-09-01&to=2026-09-30";
    let res = admin.get(&format!("/api/v1/reports/partners?{month}&sort=-sales&limit=2"), 200).await;
    assert_eq!(res["items"].as_array().unwrap().len(), 2);
    assert!(res["total"].as_u64().unwrap() >= 4, "every partner, sold or not: {res}");
    let top = &res["items"][0];
    assert_eq!(
        (top["partner_id"].as_str(), top["orders"].as_u64(), top["sales"].as_str(), top["earned"].as_str()),
        (Some(ria_id.as_str()), Some(4), Some("370.00"), Some("52.00")),
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
    assert_eq!(sheet[0][..6], ["basis", "period_start", "period_end", "channel", "currency", "orders"]);
    let total = sheet.iter().find(|r| r[0] == "kept" && r[3].is_empty() && r[1] == "2026-09-01").unwrap();
    assert_eq!((total[5].as_str(), total[11].as_str()), ("4", "370.00"));
    // X6: the same month in the reporting currency (EUR, as the orders are: nothing converted).
    let eur = sheet.iter().find(|r| r[0] == "reporting").unwrap();
    assert_eq!((eur[4].as_str(), eur[5].as_str(), eur[11].as_str(), eur[12].as_str()), ("EUR", "4", "370.00", ""));
    let (_, sheet) = get_csv(&ria, &format!("/api/v1/reports/commissions?{weeks}&format=csv")).await;
    let earned =
        |basis: &str| -> Vec<String> { sheet[1..].iter().filter(|r| r[0] == basis).map(|r| r[4].clone()).collect() };
    assert_eq!(earned("kept"), ["20.00", "12.00", "20.00"]);
    assert_eq!(earned("reporting"), earned("kept"), "one currency, the reporting one");
    let (_, sheet) = get_csv(&ria, &format!("/api/v1/reports/customers?{weeks}")).await;
    assert_eq!(sheet.len(), 4, "a header and three weeks: {sheet:?}");
    let (_, sheet) = get_csv(&admin, &format!("/api/v1/reports/partners?{month}&partner_q=report&sort=name")).await;
    assert_eq!(sheet[1][1], "Leo Report");
    assert_eq!((sheet[2][1].as_str(), sheet[2][7].as_str(), sheet[2][8].as_str()), ("Ria Report", "370.00", "52.00"));
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
        (Some("52.00"), Some("52.00"), Some("0.00"))
    );
    assert_eq!(
        (d["current_rate"]["value"].as_str(), d["current_rate"]["source"].as_str()),
        (Some("10"), Some("default"))
    );
    assert_eq!(d["recent_orders"].as_array().unwrap().len(), 5, "F, awaiting payment, is an order too");
    assert_eq!(d["new_customers"].as_array().unwrap().len(), 12);
    let earned: Vec<&str> =
        d["commissions_earned"].as_array().unwrap()[9..].iter().map(|p| p["value"].as_str().unwrap()).collect();
    assert_eq!(earned, ["20.00", "12.00", "20.00"], "the last three of twelve weeks");
    assert_eq!(d["commissions_earned_reporting"].as_array().unwrap().len(), 12, "{d}");
    // A rule for trusted partners is the rate's source once it exists.
    let rule =
        json!({ "name": "Trusted 15", "priority": 5, "kind": "percent", "value": "15", "partner_tier": "trusted" });
    admin.post("/api/v1/commission-rules", &rule, 201).await;
    let rate = admin.get(&format!("/api/v1/dashboard?partner_id={ria_id}"), 200).await["current_rate"].clone();
    assert_eq!((rate["value"].as_str(), rate["source"].as_str()), (Some("15"), Some("trust_level")), "{rate}");

    // A partner sees its team's sales and customers (C7), without its team's customers' names
    // (X7), and not its team's earnings; no other partner's figures at all.
    let team = ria.get(&format!("/api/v1/reports/sales?{weeks}&partner_id={tea_id}"), 200).await;
    assert_eq!(counts(&team["totals"], "orders"), [0, 1, 0], "{team}");
    let team = ria.get(&format!("/api/v1/reports/customers?{weeks}&partner_id={tea_id}"), 200).await;
    assert_eq!((team["top"][0]["name"].as_str(), team["top"][0]["net"].as_str()), (Some(""), Some("100.00")), "{team}");
    let r =
        ria.expect_with(Method::GET, &format!("/api/v1/reports/commissions?partner_id={tea_id}"), None, &[], 404).await;
    e2e::assert_problem(&r, 404, "not_found", Some("partner_id"));
    // Bad input names its field and changes nothing.
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

/// A small deterministic generator (xorshift), so a failure can be replayed from its seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The totals in `table` against the same sums recounted from the raw rows by `recount`, both
/// read in one snapshot; rows whose sums are all zero are left out of both.
async fn same_totals(pool: &sqlx::PgPool, what: &str, kept: &str, recount: &str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await.unwrap();
    let read = |sql: String| format!("SELECT row_to_json(t)::text FROM ({sql}) t ORDER BY 1");
    let a: Vec<String> = sqlx::query_scalar(&read(kept.to_string())).fetch_all(&mut *tx).await.unwrap();
    let b: Vec<String> = sqlx::query_scalar(&read(recount.to_string())).fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!b.is_empty(), "{what}: nothing to compare");
    assert_eq!(a, b, "{what}: the kept totals drifted from the rows");
}

/// The sales totals kept in `table` (per partner or for the program), and their recount in
/// Kolkata's zone from the orders that count (placed in any other status than unpaid or cancelled).
fn sales_kept(table: &str, tenant: uuid::Uuid) -> String {
    let partner = if table == "sales_totals" { "partner_id," } else { "" };
    format!(
        "SELECT grain, period, {partner} channel, currency, orders, gross, discounts, shipping, tax, refunds, net
         FROM {table} WHERE tenant_id = '{tenant}'
           AND (orders, gross, discounts, shipping, tax, refunds, net) <> (0, 0, 0, 0, 0, 0, 0)"
    )
}

fn sales_recount(per_partner: bool, tenant: uuid::Uuid) -> String {
    let (partner, group) = if per_partner {
        ("coalesce(o.partner_id, '00000000-0000-0000-0000-000000000000') AS partner_id,", "3,")
    } else {
        ("", "")
    };
    format!(
        "SELECT g.grain, CASE g.grain WHEN 'd' THEN o.day ELSE date_trunc('month', o.day)::date END AS period,
                {partner} o.channel, o.currency, count(*)::bigint AS orders, sum(o.subtotal) AS gross,
                sum(o.discount) AS discounts, sum(o.shipping) AS shipping, sum(o.tax) AS tax,
                sum(o.amount_refunded) AS refunds, sum(o.total - o.amount_refunded) AS net
         FROM (SELECT *, (placed_at AT TIME ZONE 'Asia/Kolkata')::date AS day FROM orders
               WHERE tenant_id = '{tenant}' AND status NOT IN ('pending_payment', 'cancelled')) o
         CROSS JOIN (VALUES ('d'), ('m')) g(grain)
         GROUP BY 1, 2, {group} o.channel, o.currency"
    )
}

fn customers_kept(tenant: uuid::Uuid) -> String {
    format!(
        "SELECT grain, period, partner_id, status, customers FROM customer_totals
         WHERE tenant_id = '{tenant}' AND customers <> 0"
    )
}

fn customers_recount(tenant: uuid::Uuid) -> String {
    format!(
        "SELECT g.grain, CASE g.grain WHEN 'd' THEN c.day ELSE date_trunc('month', c.day)::date END AS period,
                coalesce(c.owner_partner_id, '00000000-0000-0000-0000-000000000000') AS partner_id, c.status,
                count(*)::bigint AS customers
         FROM (SELECT *, (created_at AT TIME ZONE 'Asia/Kolkata')::date AS day FROM customers
               WHERE tenant_id = '{tenant}' AND deleted_at IS NULL) c
         CROSS JOIN (VALUES ('d'), ('m')) g(grain) GROUP BY 1, 2, 3, 4"
    )
}

fn ledger_kept(tenant: uuid::Uuid) -> String {
    format!(
        "SELECT grain, period, partner_id, level, kind, debit, credit, currency, amount, entries
         FROM ledger_totals WHERE tenant_id = '{tenant}'"
    )
}

fn ledger_recount(tenant: uuid::Uuid) -> String {
    format!(
        "SELECT g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE date_trunc('month', e.day)::date END AS period,
                coalesce(e.partner_id, '00000000-0000-0000-0000-000000000000') AS partner_id,
                coalesce(e.level, -1)::smallint AS level, e.kind,
                CASE WHEN e.debit_account LIKE 'partner:%' THEN split_part(e.debit_account, ':', 3) ELSE e.debit_account END AS debit,
                CASE WHEN e.credit_account LIKE 'partner:%' THEN split_part(e.credit_account, ':', 3) ELSE e.credit_account END AS credit,
                e.currency, sum(e.amount) AS amount, count(*)::bigint AS entries
         FROM (SELECT *, (at AT TIME ZONE 'Asia/Kolkata')::date AS day FROM ledger_entries WHERE tenant_id = '{tenant}') e
         CROSS JOIN (VALUES ('d'), ('m')) g(grain) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
    )
}

/// D2: a write whose transaction is still open when the program's zone changes is counted once,
/// in the new zone, by each service that keeps totals: the change waits for the write, which
/// the rebuild could not see yet (the order, customer and ledger entry are written here as rows).
#[tokio::test]
async fn d2_a_write_still_open_when_the_zone_changes_is_counted_once_in_the_new_zone() {
    let sys = TestSystem::start().await;
    // A program of its own that no event reaches: only this test writes to it.
    let tenant = uuid::Uuid::new_v4();
    let partner = uuid::Uuid::new_v4();
    // 20:00 in UTC is already the next day in Kolkata.
    let at = t("2026-08-01T20:00:00Z");
    let writes = [
        (
            "orders",
            "sales_totals_rebuild",
            "INSERT INTO orders (id, tenant_id, number, seq, customer_name, kind, channel, payment_method, status,
                 currency, subtotal, discount, shipping, tax_rate, tax, total, amount_paid, partner_id, version,
                 placed_at, updated_at)
             VALUES (gen_random_uuid(), $1, 'PL-1', 1, 'Open order', 'standard', 'api', 'card', 'paid',
                 'EUR', 100, 0, 5, 22, 23, 128, 128, $2, 1, $3, $3)",
        ),
        (
            "customers",
            "customer_totals_rebuild",
            "INSERT INTO customers (id, tenant_id, name, status, temperature, currency, language, owner_partner_id,
                 created_at, updated_at)
             VALUES (gen_random_uuid(), $1, 'Open customer', 'current', 'warm', 'EUR', 'en', $2, $3, $3)",
        ),
        (
            "commissions",
            "ledger_totals_rebuild",
            "INSERT INTO ledger_entries (id, tenant_id, currency, debit_account, credit_account, amount, partner_id,
                 level, kind, at)
             VALUES (gen_random_uuid(), $1, 'EUR', 'merchant:expense', 'partner:' || $2 || ':pending', 12.80, $2,
                 0, 'accrued', $3)",
        ),
    ];
    for (db, rebuild, write) in writes {
        let pool = sqlx::PgPool::connect(&sys.env.config.database_url(db)).await.unwrap();
        let mut writer = pool.begin().await.unwrap();
        sqlx::query(write).bind(tenant).bind(partner).bind(at).execute(&mut *writer).await.unwrap();
        let change = tokio::spawn({
            let pool = pool.clone();
            async move {
                let mut tx = pool.begin().await.unwrap();
                platform::reports::set_zone(&mut tx, tenant, "Asia/Kolkata", rebuild).await.unwrap();
                tx.commit().await.unwrap();
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!change.is_finished(), "{db}: the zone changed under a write still open");
        writer.commit().await.unwrap();
        change.await.unwrap();
        let (kept, recount) = match db {
            "orders" => (sales_kept("sales_totals", tenant), sales_recount(true, tenant)),
            "customers" => (customers_kept(tenant), customers_recount(tenant)),
            _ => (ledger_kept(tenant), ledger_recount(tenant)),
        };
        same_totals(&pool, db, &kept, &recount).await;
        if db == "orders" {
            let (kept, recount) = (sales_kept("program_sales_totals", tenant), sales_recount(false, tenant));
            same_totals(&pool, "orders of the program", &kept, &recount).await;
        }
    }
    sys.stop().await;
}

/// D1-D3: after a random sequence of orders (any status, channel and partner), refunds, status
/// changes, attribution decisions delivered twice and out of order, customers created, moved to
/// another partner and deleted, and a change of time zone, every total each service keeps equals
/// a recount from its raw rows.
#[tokio::test]
async fn d2_kept_totals_equal_a_recount_after_random_orders_refunds_and_redeliveries() {
    let seed = std::env::var("REPORTS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("REPORTS_SEED={seed}");
    let mut dice = Dice(seed);
    let sys = TestSystem::start().await;
    let admin = sys.demo_admin().await;
    admin.patch("/api/v1/program", &json!({ "settings": { "time_zone": "America/New_York" } }), 200).await;
    let mut partners = Vec::new();
    for n in 0..3 {
        let p =
            json!({ "name": format!("Dice {n}"), "email": format!("dice{n}@demo.test"), "password": "dice-partner-1" });
        partners.push(admin.post("/api/v1/partners", &p, 201).await["id"].as_str().unwrap().to_string());
    }
    let sku = admin.get("/api/v1/products?limit=1", 200).await["items"][0]["sku"].as_str().unwrap().to_string();
    let orders_db = sqlx::PgPool::connect(&sys.env.config.database_url("orders")).await.unwrap();
    let tenant: uuid::Uuid =
        sqlx::query_scalar("SELECT tenant_id FROM orders LIMIT 1").fetch_one(&orders_db).await.unwrap();
    let channels = ["api", "storefront", "quick_order", "partner_assisted"];
    let statuses = ["pending_payment", "paid", "confirmed", "shipped", "completed", "cancelled"];
    let mut placed: Vec<(String, String)> = Vec::new();
    let mut customers: Vec<String> = Vec::new();
    let start: DateTime<Utc> = t("2026-07-01T00:00:00Z");
    for step in 0..60 {
        // Anywhere in four months, at any hour: days and months in New York differ from UTC's.
        sys.clock.set(start + chrono::Duration::minutes(dice.roll(120 * 24 * 60) as i64));
        let admin = sys.demo_admin().await;
        match dice.roll(6) {
            0 | 1 => {
                let ext = format!("dice-{step}");
                let partner = &partners[dice.roll(3) as usize];
                let o = json!({
                    "external_id": ext, "items": [{ "sku": sku, "quantity": 1 + dice.roll(3) }],
                    "customer": { "name": format!("Dice customer {}", dice.roll(5)), "email": "", "language": "en" },
                    "payment_method": "card", "channel": channels[dice.roll(4) as usize],
                    "status": statuses[dice.roll(6) as usize], "placed_by_partner_id": partner,
                });
                let r = admin.post("/api/v1/orders/import", &json!({ "orders": [o] }), 200).await;
                if let Some(id) = r["items"][0]["order_id"].as_str() {
                    placed.push((ext, id.to_string()));
                }
            }
            2 if !placed.is_empty() => {
                // A later status (an illegal one is refused, which must change nothing) or a refund.
                let (ext, _) = &placed[dice.roll(placed.len() as u64) as usize];
                let change = if dice.roll(2) == 0 {
                    json!({ "external_id": ext, "status": statuses[dice.roll(6) as usize] })
                } else {
                    json!({ "external_id": ext, "refunds": [{ "external_id": format!("{ext}-r{step}"), "amount": "1.50", "reason": "dice" }] })
                };
                admin.post("/api/v1/orders/import", &json!({ "orders": [change] }), 200).await;
            }
            3 if !placed.is_empty() => {
                // Attribution's decisions, each delivered twice, a stale one after a newer one.
                let (_, id) = &placed[dice.roll(placed.len() as u64) as usize];
                let order = uuid::Uuid::parse_str(id).unwrap();
                let partner = uuid::Uuid::parse_str(&partners[dice.roll(3) as usize]).unwrap();
                let version = 10 + dice.roll(5) as i32;
                let d = |v: i32, p: Option<uuid::Uuid>| orders::store::AttributionDecision {
                    order,
                    partner: p,
                    version: v,
                    reason: "dice".into(),
                };
                let mut conn = orders_db.acquire().await.unwrap();
                let none = if dice.roll(4) == 0 { None } else { Some(partner) };
                orders::store::set_attributions(&mut conn, tenant, &[d(version, none)]).await.unwrap();
                orders::store::set_attributions(&mut conn, tenant, &[d(version, none), d(version - 5, Some(partner))])
                    .await
                    .unwrap();
            }
            4 => {
                let owner = &partners[dice.roll(3) as usize];
                let status = if dice.roll(2) == 0 { "current" } else { "potential" };
                let body = json!({ "name": format!("Dice card {step}"), "status": status, "owner_partner_id": owner });
                let r = admin
                    .send(Method::POST, "/api/v1/customers", Some(("application/json", &body.to_string())), &[])
                    .await;
                assert_eq!(r.status, 201, "{r:?}");
                customers.push(r.body["id"].as_str().unwrap().to_string());
            }
            _ if !customers.is_empty() => {
                let id = customers[dice.roll(customers.len() as u64) as usize].clone();
                match dice.roll(3) {
                    0 => {
                        admin.send(Method::DELETE, &format!("/api/v1/customers/{id}"), None, &[]).await;
                    }
                    1 => {
                        let owner = &partners[dice.roll(3) as usize];
                        let body = json!({ "owner_partner_id": owner }).to_string();
                        admin
                            .send(
                                Method::PATCH,
                                &format!("/api/v1/customers/{id}"),
                                Some(("application/json", &body)),
                                &[],
                            )
                            .await;
                    }
                    _ => {
                        let body = json!({ "status": "current" }).to_string();
                        admin
                            .send(
                                Method::PATCH,
                                &format!("/api/v1/customers/{id}"),
                                Some(("application/json", &body)),
                                &[],
                            )
                            .await;
                    }
                }
            }
            _ => {}
        }
        if step == 40 {
            // A new zone recounts every total in it.
            admin.patch("/api/v1/program", &json!({ "settings": { "time_zone": "Asia/Kolkata" } }), 200).await;
        }
    }
    assert!(placed.len() >= 5 && !customers.is_empty(), "the dice made orders and customers: {placed:?}");
    // Until the zone has reached every service, the totals are counted in the old one.
    let zone = |db: &'static str| {
        let url = sys.env.config.database_url(db);
        async move {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            for _ in 0..300 {
                let z: Option<String> = sqlx::query_scalar("SELECT time_zone FROM report_zones WHERE tenant_id = $1")
                    .bind(tenant)
                    .fetch_optional(&pool)
                    .await
                    .unwrap();
                if z.as_deref() == Some("Asia/Kolkata") {
                    return pool;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("{db} never learnt the new zone");
        }
    };
    let orders_db = zone("orders").await;
    same_totals(&orders_db, "sales per partner", &sales_kept("sales_totals", tenant), &sales_recount(true, tenant))
        .await;
    same_totals(
        &orders_db,
        "sales of the program",
        &sales_kept("program_sales_totals", tenant),
        &sales_recount(false, tenant),
    )
    .await;
    let customers_db = zone("customers").await;
    same_totals(&customers_db, "customers per owner", &customers_kept(tenant), &customers_recount(tenant)).await;
    let commissions_db = zone("commissions").await;
    same_totals(&commissions_db, "ledger movements per partner", &ledger_kept(tenant), &ledger_recount(tenant)).await;
    sys.stop().await;
}
