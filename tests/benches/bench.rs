//! `cargo xtask bench [scenario...]`: speed targets measured against a baseline in the same run.
//! Timing is never asserted in a test; this prints figures (and writes them to
//! `target/bench/<scenario>.json`) for a human to read and the closing notes to quote.
//!
//! Scenarios:
//! - `customers`: 1,000,000 customers across 1,000 partners of one tenant; a partner's
//!   `GET /api/v1/customers?q&status&temperature` through the gateway against the same query run
//!   straight on PostgreSQL (`customers::store::list`). Target: p99 < 20 ms and ≤ 3× SQL.
//! - `orders-import`: 200,000 orders through `POST /api/v1/orders/import` in batches of 1,000
//!   (orders/s, and the time until the last `order.placed` is on the stream) against the same rows
//!   inserted with plain batched INSERTs. Target: ≥ 5,000 orders/s and ≥ 0.3× the baseline.
//! - `clicks`: `GET /r/{code}` under load for 20 s against an axum handler in the same process that
//!   answers the same 302 doing nothing else; then p50/p99 at half the gateway's saturation rate,
//!   and every click counted in the database afterwards. Target: ≥ 0.5× the baseline's
//!   throughput, p99 < 5 ms at half saturation.
//! - `pipeline`: orders imported paid, then completed with every tenth refunded (20,000 unless
//!   `PIPELINE_ORDERS` says otherwise), through attribution into the commissions ledger: events/s
//!   through commissions and the p99 lag from `order.completed` published to its ledger entry,
//!   beside a raw JetStream publish+consume of as many messages of the same sizes; then as many
//!   orders again with commissions stopped, and the projection alone draining that backlog;
//!   then that backlog's events, made into new orders, published at 2,000 orders/s
//!   (`PIPELINE_PACED_RATE` sets another rate) with each completion's lag to its held entry.
//!   Target: 2,000 orders/s, lag p99 < 250 ms, ≥ 0.25× the raw rate.
//! - `replicas`: the pipeline's orders (half as many) imported with commissions stopped; one
//!   commissions process (`partnerline serve --target commissions`, the release binary) drains
//!   that backlog; then the same events, made into new orders, are drained by two processes
//!   sharing the durable consumers. Events/s drained by each, and each replica's share.
//!   Target: two replicas ≥ 0.9× one replica's rate; each handles 35–65 % of the events.
//! - `webhooks`: 100,000 events (`WEBHOOK_EVENTS` sets another count) published on the
//!   customers stream, fanned out to 5 fast endpoints of a local receiver, then as many again
//!   to the same 5 beside 5 slow ones (50 ms per answer): deliveries/s to the fast endpoints
//!   and the p99 from the event's publish ack to the receiver having it, beside a bare HTTP
//!   client posting the same bodies to the same receiver with as many in flight. Targets: fast
//!   deliveries ≥ 0.5× the bare client's rate; their p99 with the slow ones within 1.5× of
//!   without.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::{Options, TestSystem, json};
use platform::db::TenantTx;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// The services run in this process with the allocator the `partnerline` binary has.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; everything else names scenarios.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let all = ["customers", "orders-import", "clicks", "pipeline", "replicas", "reports", "pages", "webhooks"];
    let chosen: Vec<&str> = if args.is_empty() { all.to_vec() } else { args.iter().map(String::as_str).collect() };
    for name in chosen {
        match name {
            "customers" => customers().await,
            "orders-import" => orders_import().await,
            "clicks" => clicks().await,
            "pipeline" => pipeline().await,
            "replicas" => replicas().await,
            "reports" => reports().await,
            "pages" => pages().await,
            "webhooks" => webhooks().await,
            other => {
                eprintln!("unknown scenario {other}; known: {}", all.join(", "));
                std::process::exit(2);
            }
        }
    }
}

/// Latencies of one series, in microseconds.
struct Series {
    name: String,
    micros: Vec<u64>,
}

impl Series {
    fn new(name: &str) -> Series {
        Series { name: name.into(), micros: Vec::new() }
    }
    fn add(&mut self, d: Duration) {
        self.micros.push(d.as_micros() as u64);
    }
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i] as f64 / 1000.0
    }
    fn mean(&self) -> f64 {
        self.micros.iter().sum::<u64>() as f64 / self.micros.len() as f64 / 1000.0
    }
    fn json(&self) -> Value {
        json!({ "name": self.name, "n": self.micros.len(), "p50_ms": self.pct(0.5), "p99_ms": self.pct(0.99), "mean_ms": self.mean() })
    }
}

fn report(scenario: &str, rows: &[&Series], extra: Value) {
    println!("\n{scenario}");
    println!("  {:<44} {:>6} {:>9} {:>9} {:>9}", "series", "n", "p50 ms", "p99 ms", "mean ms");
    for s in rows {
        println!("  {:<44} {:>6} {:>9.2} {:>9.2} {:>9.2}", s.name, s.micros.len(), s.pct(0.5), s.pct(0.99), s.mean());
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").join("target"));
    let dir = dir.join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let out =
        json!({ "scenario": scenario, "series": rows.iter().map(|s| s.json()).collect::<Vec<_>>(), "summary": extra });
    let path = dir.join(format!("{scenario}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("  written to {}", path.display());
}

const CUSTOMERS: i64 = 1_000_000;
const PARTNERS: i64 = 1_000;
/// Words customer names are made of, so searches match realistic shares of a partner's book.
const WORDS: &[&str] = &[
    "caffe",
    "bar",
    "hotel",
    "trattoria",
    "gelateria",
    "osteria",
    "bistro",
    "panificio",
    "enoteca",
    "deli",
    "kawiarnia",
    "cafenea",
    "piekarnia",
    "pizzeria",
    "market",
    "studio",
    "garage",
    "farmacia",
    "libreria",
    "ottica",
];
const PLACES: &[&str] = &[
    "roma",
    "milano",
    "torino",
    "napoli",
    "krakow",
    "warszawa",
    "bucuresti",
    "cluj",
    "verona",
    "parma",
    "gdansk",
    "iasi",
];

/// The system as the benchmarks run it: the system clock, the demo, and each service's pool as
/// large as in production (the tests' pools of 5 starve a service that runs six consumer loops,
/// its relay, jobs and table upkeep).
fn bench_options() -> Options {
    Options {
        manual_clock: false,
        seed_demo: true,
        max_connections: Some(platform::Config::default().database.max_connections),
        ..Default::default()
    }
}

/// Adds the partner the benchmarks measure as (`bench@demo.test`, password `bench-partner`).
async fn bench_partner(sys: &TestSystem) -> Uuid {
    let body = json!({ "name": "Bench Partner", "email": "bench@demo.test", "password": "bench-partner" });
    sys.demo_admin().await.post("/api/v1/partners", &body, 201).await;
    let who = sys.login("bench@demo.test", "bench-partner").await.get("/api/v1/me", 200).await;
    Uuid::parse_str(who["partner"]["id"].as_str().unwrap()).unwrap()
}

async fn customers() {
    println!("customers: starting the platform and loading {CUSTOMERS} customers across {PARTNERS} partners…");
    let sys = TestSystem::start_with(bench_options()).await;
    let partner = bench_partner(&sys).await;
    let pool = PgPool::connect(&sys.env.config.database_url("customers")).await.unwrap();
    let tenant: Uuid = sqlx::query_scalar("SELECT tenant_id FROM customers LIMIT 1").fetch_one(&pool).await.unwrap();
    let started = Instant::now();
    load(&pool, tenant, partner).await;
    let load_secs = started.elapsed().as_secs_f64();
    println!("  loaded in {load_secs:.1} s");

    // Sign in after loading: tokens live 15 minutes.
    let bench = sys.login("bench@demo.test", "bench-partner").await;
    let http = reqwest::Client::new();
    let token = bench.token.clone().unwrap();
    let queries = query_mix();

    let mut gw = Series::new("partner search via gateway (HTTP+gRPC)");
    let mut sql = Series::new("partner search, same query on PostgreSQL");
    let mut gw_all = Series::new("merchant search via gateway (all 1M)");
    let mut sql_all = Series::new("merchant search on PostgreSQL (all 1M)");
    let admin_token = sys.demo_admin().await.token.unwrap();
    let mut matched = 0usize;
    // Interleaved, so both sides see the same cache state; the first round warms up.
    for round in 0..2 {
        for (n, (q, status, temp)) in queries.iter().enumerate() {
            let mut sides = vec![(Some(partner), &mut gw, &mut sql, &token)];
            // Tenant-wide searches are slower and have no target: a sample of them is enough.
            if n.is_multiple_of(10) {
                sides.push((None, &mut gw_all, &mut sql_all, &admin_token));
            }
            for (owner, series_gw, series_sql, tok) in sides {
                let url = format!("{}/api/v1/customers?q={q}&status={status}&temperature={temp}", sys.url);
                let t = Instant::now();
                let r = http.get(&url).bearer_auth(tok).send().await.unwrap();
                assert!(r.status().is_success(), "{url}: {}", r.status());
                let body: Value = r.json().await.unwrap();
                let took = t.elapsed();
                let t = Instant::now();
                let rows = raw(&pool, tenant, owner, q, status, temp).await;
                let took_sql = t.elapsed();
                if round == 1 {
                    series_gw.add(took);
                    series_sql.add(took_sql);
                    if owner.is_some() {
                        matched += rows;
                    }
                }
                assert_eq!(body["items"].as_array().unwrap().len(), rows, "both sides see the same page");
            }
        }
    }
    let ratio_p50 = gw.pct(0.5) / sql.pct(0.5);
    let ratio_p99 = gw.pct(0.99) / sql.pct(0.99);
    let summary = json!({
        "customers": CUSTOMERS, "partners": PARTNERS, "load_seconds": load_secs,
        "partner_p99_ms": gw.pct(0.99), "target_p99_ms": 20.0,
        "gateway_to_sql_p50": ratio_p50, "gateway_to_sql_p99": ratio_p99, "target_ratio": 3.0,
        "mean_rows_per_partner_query": matched as f64 / queries.len() as f64,
    });
    report("customers", &[&gw, &sql, &gw_all, &sql_all], summary);
    println!(
        "  partner search: p99 {:.2} ms (target < 20 ms) — {}; gateway/SQL p50 {ratio_p50:.2}×, p99 {ratio_p99:.2}× (target ≤ 3×) — {}",
        gw.pct(0.99),
        if gw.pct(0.99) < 20.0 { "met" } else { "MISSED" },
        if ratio_p99 <= 3.0 { "met" } else { "MISSED" },
    );
    sys.stop().await;
}

/// Searches a partner makes: parts of names, places, emails and phone numbers, with filters.
fn query_mix() -> Vec<(String, &'static str, &'static str)> {
    let statuses = ["current", "potential"];
    let temps = ["hot", "warm", "cold", "not_interested"];
    let mut out = Vec::new();
    for i in 0..250usize {
        let q = match i % 5 {
            0 => WORDS[i % WORDS.len()].to_string(),
            1 => PLACES[i % PLACES.len()].to_string(),
            2 => WORDS[(i * 3) % WORDS.len()][..3].to_uppercase(),
            3 => format!("{}", 1000 + i * 37),
            _ => format!("contact{}", i * 4001 % CUSTOMERS as usize),
        };
        out.push((q, statuses[i % 2], temps[(i / 2) % 4]));
    }
    out
}

/// The store's own list query, as the service runs it, minus gRPC, HTTP and auth.
async fn raw(pool: &PgPool, tenant: Uuid, owner: Option<Uuid>, q: &str, status: &str, temp: &str) -> usize {
    let mut tx = TenantTx::begin(pool, tenant).await.unwrap();
    let filter = customers::store::CustomerFilter {
        q: Some(q.to_lowercase()),
        status: Some(status.into()),
        temperature: Some(temp.into()),
        owner,
        limit: 51,
        ..Default::default()
    };
    let rows = customers::store::list(&mut tx, &filter).await.unwrap();
    tx.commit().await.unwrap();
    rows.len().min(50)
}

/// Bulk-loads the customers straight into PostgreSQL (the API is not what is measured here):
/// partner 0 is the bench partner, the other 999 are ids of partners that exist only here.
async fn load(pool: &PgPool, tenant: Uuid, partner: Uuid) {
    let words = WORDS.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(",");
    let places = PLACES.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(",");
    sqlx::query("DROP INDEX customers_search").execute(pool).await.unwrap();
    let chunk = 100_000;
    for start in (0..CUSTOMERS).step_by(chunk as usize) {
        let sql = format!(
            "INSERT INTO customers (id, tenant_id, name, email, phone, status, temperature, discount_percent, currency,
                 language, owner_partner_id, created_at, updated_at)
             SELECT gen_random_uuid(), $1,
                 initcap((ARRAY[{words}])[1 + (h / 8) % {nw}] || ' ' || (ARRAY[{places}])[1 + (h / 160) % {np}]) || ' ' || i,
                 'contact' || i || '@example' || (i % 97) || '.test',
                 '+39 02 ' || lpad(i::text, 7, '0'),
                 (ARRAY['current','potential'])[1 + h % 2],
                 (ARRAY['hot','warm','cold','not_interested'])[1 + (h / 2) % 4],
                 (i % 21)::numeric, 'EUR', 'it',
                 CASE WHEN i % {PARTNERS} = 0 THEN $2
                      ELSE ('00000000-0000-4000-8000-' || lpad(to_hex(i % {PARTNERS}), 12, '0'))::uuid END,
                 now(), now()
             FROM (SELECT i, (hashtext(i::text)::bigint & 2147483647) AS h FROM generate_series($3::bigint, $4::bigint) AS i) AS g",
            nw = WORDS.len(),
            np = PLACES.len(),
        );
        sqlx::query(&sql).bind(tenant).bind(partner).bind(start).bind(start + chunk - 1).execute(pool).await.unwrap();
        print!("  {} customers\r", start + chunk);
        use std::io::Write;
        std::io::stdout().flush().ok();
    }
    println!();
    // One customer in three has a note, so the card's latest-note join has work to do.
    sqlx::query(
        "INSERT INTO notes (id, tenant_id, customer_id, priority, body, author_user_id, created_at, updated_at)
         SELECT gen_random_uuid(), tenant_id, id, (ARRAY['high','medium','none'])[1 + (hashtext(id::text)::bigint & 2147483647) % 3],
                'Call back about the order', coalesce(owner_partner_id, id), now(), now()
         FROM customers WHERE tenant_id = $1 AND (hashtext(id::text)::bigint & 2147483647) % 3 = 0",
    )
    .bind(tenant)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("CREATE INDEX customers_search ON customers USING gin (search gin_trgm_ops)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("VACUUM ANALYZE customers").execute(pool).await.unwrap();
    sqlx::query("VACUUM ANALYZE notes").execute(pool).await.unwrap();
}

const REPORT_ORDERS: i64 = 1_000_000;
/// The reports' customers: enough that a count over them is not free.
const REPORT_CUSTOMERS: i64 = 200_000;
const REPORT_DAYS: i64 = 730;

/// The bench's partner ids: `i % PARTNERS == 0` is the bench partner, the others exist only as
/// rows loaded here (as in the customers scenario).
fn partner_sql(i: &str) -> String {
    format!(
        "CASE WHEN {i} % {PARTNERS} = 0 THEN $2
              ELSE ('00000000-0000-4000-8000-' || lpad(to_hex({i} % {PARTNERS}), 12, '0'))::uuid END"
    )
}

/// Loads a program with a million orders over a thousand partners and two years straight into
/// PostgreSQL (each service's triggers keep its totals as the rows arrive, as they would on the
/// write paths), the commissions they earned, and customers; then times the dashboard and the
/// merchant's reports through the gateway beside one SQL query over the raw rows for the same
/// figures.
async fn reports() {
    println!("reports: loading {REPORT_ORDERS} orders over {PARTNERS} partners and {REPORT_DAYS} days…");
    let sys = TestSystem::start_with(bench_options()).await;
    let partner = bench_partner(&sys).await;
    let db = |name: &str| sys.env.config.database_url(name);
    let (orders_db, commissions_db, customers_db, identity_db) = (
        PgPool::connect(&db("orders")).await.unwrap(),
        PgPool::connect(&db("commissions")).await.unwrap(),
        PgPool::connect(&db("customers")).await.unwrap(),
        PgPool::connect(&db("identity")).await.unwrap(),
    );
    let tenant: Uuid = sqlx::query_scalar("SELECT tenant_id FROM orders LIMIT 1").fetch_one(&orders_db).await.unwrap();
    let started = Instant::now();
    // The other 999 partners, in identity (names for the partners report) and commissions.
    sqlx::query(&format!(
        "WITH p AS (SELECT i, {} AS id FROM generate_series(1, {PARTNERS} - 1) i),
         u AS (INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at)
               SELECT id, $1, 'p' || i || '@bench.test', 'Partner ' || i, 'x', 'partner', now() FROM p RETURNING id)
         INSERT INTO partners (id, tenant_id, user_id, name, email, trust_level, status, created_at, updated_at)
         SELECT id, $1, id, 'Partner ' || i, 'p' || i || '@bench.test', 'standard', 'active', now(), now() FROM p",
        partner_sql("i")
    ))
    .bind(tenant)
    .bind(partner)
    .execute(&identity_db)
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO partners (id, tenant_id, trust_level, updated_at)
         SELECT {}, $1, 'standard', now() FROM generate_series(1, {PARTNERS} - 1) i",
        partner_sql("i")
    ))
    .bind(tenant)
    .bind(partner)
    .execute(&commissions_db)
    .await
    .unwrap();
    let seq0: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM orders WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&orders_db)
        .await
        .unwrap();
    let chunk = 100_000i64;
    for start in (0..REPORT_ORDERS).step_by(chunk as usize) {
        // Spread over two years; one in ten partly refunded, one in twenty cancelled or unpaid.
        let sql = format!(
            "INSERT INTO orders (id, tenant_id, number, seq, customer_id, customer_name, kind, channel, payment_method,
                 status, currency, subtotal, discount, shipping, tax_rate, tax, total, amount_paid, amount_refunded,
                 partner_id, version, placed_at, updated_at)
             SELECT gen_random_uuid(), $1, 'B-' || i, $5 + 1 + i,
                 ('00000000-0000-4000-9000-' || lpad(to_hex(i % {REPORT_CUSTOMERS}), 12, '0'))::uuid,
                 'Customer ' || (i % {REPORT_CUSTOMERS}), 'standard',
                 (ARRAY['storefront','quick_order','partner_assisted','api'])[1 + h % 4], 'card',
                 CASE WHEN h % 20 = 0 THEN 'cancelled' WHEN h % 20 = 1 THEN 'pending_payment' ELSE 'completed' END,
                 'EUR', s, 0, 5, 22, round((s + 5) * 0.22, 2), s + 5 + round((s + 5) * 0.22, 2),
                 CASE WHEN h % 20 = 1 THEN 0 ELSE s + 5 + round((s + 5) * 0.22, 2) END,
                 CASE WHEN h % 10 = 3 THEN 10 ELSE 0 END,
                 {}, 1,
                 now() - (((h / 7) % ({REPORT_DAYS} * 86400)) || ' seconds')::interval, now()
             FROM (SELECT i, (hashtext(i::text)::bigint & 2147483647) AS h,
                          (20 + (hashtext(i::text)::bigint & 2147483647) % 300)::numeric AS s
                   FROM generate_series($3::bigint, $4::bigint) AS i) AS g",
            partner_sql("i")
        );
        sqlx::query(&sql)
            .bind(tenant)
            .bind(partner)
            .bind(start)
            .bind(start + chunk - 1)
            .bind(seq0)
            .execute(&orders_db)
            .await
            .unwrap();
        print!("  {} orders\r", start + chunk);
        use std::io::Write;
        std::io::stdout().flush().ok();
    }
    println!();
    // Their commissions: 10% accrued when placed, held and then available 6 and 10 weeks later.
    for start in (0..REPORT_ORDERS).step_by(chunk as usize) {
        let sql = format!(
            "WITH o AS (
                 SELECT {p} AS partner, now() - (((h / 7) % ({REPORT_DAYS} * 86400)) || ' seconds')::interval AS at,
                        round((20 + h % 300) * 0.10 - CASE WHEN h % 10 = 3 THEN 1 ELSE 0 END, 2) AS amount
                 FROM (SELECT i, (hashtext(i::text)::bigint & 2147483647) AS h FROM generate_series($3::bigint, $4::bigint) i) g
                 WHERE h % 20 NOT IN (0, 1)
             )
             INSERT INTO ledger_entries (id, tenant_id, currency, debit_account, credit_account, amount, partner_id, level, kind,
                 reason, at)
             SELECT gen_random_uuid(), $1, 'EUR', m.debit, m.credit, o.amount, o.partner, 0, m.kind, 'bench', o.at + m.after
             FROM o CROSS JOIN LATERAL (VALUES
                 ('merchant:expense', 'partner:' || o.partner || ':pending', 'accrued', interval '0'),
                 ('partner:' || o.partner || ':pending', 'partner:' || o.partner || ':held', 'held', interval '42 days'),
                 ('partner:' || o.partner || ':held', 'partner:' || o.partner || ':available', 'available', interval '70 days')
             ) AS m(debit, credit, kind, after)
             WHERE o.at + m.after < now()",
            p = partner_sql("i")
        );
        sqlx::query(&sql)
            .bind(tenant)
            .bind(partner)
            .bind(start)
            .bind(start + chunk - 1)
            .execute(&commissions_db)
            .await
            .unwrap();
        print!("  commissions of {} orders\r", start + chunk);
        use std::io::Write;
        std::io::stdout().flush().ok();
    }
    println!();
    // The running balances the entries make.
    sqlx::query(
        "INSERT INTO balances AS b (tenant_id, account, currency, balance)
         SELECT $1, a, 'EUR', sum(d) FROM (
             SELECT credit_account AS a, amount AS d FROM ledger_entries WHERE tenant_id = $1 AND reason = 'bench'
             UNION ALL
             SELECT debit_account, -amount FROM ledger_entries WHERE tenant_id = $1 AND reason = 'bench'
         ) m GROUP BY a
         ON CONFLICT (tenant_id, account, currency) DO UPDATE SET balance = b.balance + EXCLUDED.balance",
    )
    .bind(tenant)
    .execute(&commissions_db)
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO customers (id, tenant_id, name, status, temperature, currency, language, owner_partner_id, created_at, updated_at)
         SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, $1, 'Customer ' || i,
                (ARRAY['current','potential'])[1 + i % 2], 'warm', 'EUR', 'it', {},
                now() - ((i % {REPORT_DAYS}) || ' days')::interval, now()
         FROM generate_series(0, {REPORT_CUSTOMERS} - 1) i",
        partner_sql("i")
    ))
    .bind(tenant)
    .bind(partner)
    .execute(&customers_db)
    .await
    .unwrap();
    for (pool, tables) in [
        (&orders_db, &["orders", "sales_totals", "program_sales_totals"][..]),
        (&commissions_db, &["ledger_entries", "ledger_totals", "program_ledger_totals", "balances"][..]),
        (&customers_db, &["customers", "customer_totals", "program_customer_totals"][..]),
        (&identity_db, &["partners", "users"][..]),
    ] {
        for t in tables {
            sqlx::query(&format!("VACUUM ANALYZE {t}")).execute(pool).await.unwrap();
        }
    }
    let load_secs = started.elapsed().as_secs_f64();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sales_totals WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&orders_db)
        .await
        .unwrap();
    println!("  loaded in {load_secs:.1} s; {kept} rows of sales totals");

    // Sign in after loading: tokens live 15 minutes.
    let http = reqwest::Client::new();
    let partner_token = sys.login("bench@demo.test", "bench-partner").await.token.unwrap();
    let admin_token = sys.demo_admin().await.token.unwrap();
    let today = chrono::Utc::now().date_naive();
    let two_years = (today - chrono::Duration::days(REPORT_DAYS)).to_string();
    // "The last 12 months": from the first of the month 11 months back, to today.
    let twelve_months = chrono::Datelike::with_day(&today, 1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
        .unwrap()
        .to_string();
    let one_year = (today - chrono::Duration::days(365)).to_string();
    let get = |path: String, token: String| {
        let http = http.clone();
        let url = format!("{}{path}", sys.url);
        async move {
            let t = Instant::now();
            let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            let body: Value = r.json().await.unwrap();
            (t.elapsed(), body)
        }
    };
    let raw = |sql: String| {
        let pool = orders_db.clone();
        async move {
            let t = Instant::now();
            let rows = sqlx::query(&sql).bind(tenant).bind(partner).fetch_all(&pool).await.unwrap();
            (t.elapsed(), rows.len())
        }
    };
    let counted = "status NOT IN ('pending_payment', 'cancelled')";
    let dash_sql = format!(
        "SELECT date_trunc('week', placed_at AT TIME ZONE 'UTC') AS w, count(*), sum(total - amount_refunded),
                sum(count(*)) OVER (), sum(sum(total - amount_refunded)) OVER ()
         FROM orders WHERE tenant_id = $1 AND partner_id = $2 AND {counted} GROUP BY 1 ORDER BY 1"
    );
    let sales_sql = format!(
        "SELECT date_trunc('month', placed_at AT TIME ZONE 'UTC'), channel, currency, count(*), sum(subtotal),
                sum(discount), sum(shipping), sum(tax), sum(amount_refunded), sum(total - amount_refunded)
         FROM orders WHERE tenant_id = $1 AND $2::uuid IS NOT NULL AND {counted}
           AND placed_at >= '{two_years}'::date GROUP BY 1, 2, 3"
    );
    let partners_sql = format!(
        "SELECT partner_id, count(*), sum(subtotal), sum(total - amount_refunded) FROM orders
         WHERE tenant_id = $1 AND $2::uuid IS NOT NULL AND {counted} AND placed_at >= '{twelve_months}'::date GROUP BY 1"
    );
    let mut series = [
        Series::new("dashboard (partner) via gateway"),
        Series::new("dashboard figures, one query on raw orders"),
        Series::new("sales?every=month, 2 years, via gateway"),
        Series::new("same sales, one query on raw orders"),
        Series::new("reports/partners, 12 months, via gateway"),
        Series::new("same per partner, one query on raw orders"),
        Series::new("reports/partners, 365 days (days at both ends)"),
    ];
    // What the dashboard is made of, each through the gateway as the partner.
    let parts = [
        "/api/v1/orders?limit=10",
        "/api/v1/balances",
        "/api/v1/links",
        "/api/v1/reports/sales?every=week",
        "/api/v1/reports/commissions?every=week",
        "/api/v1/commission-rules",
    ];
    let mut part_series: Vec<Series> = parts.iter().map(|p| Series::new(&format!("  dashboard part: {p}"))).collect();
    let mut check = (0usize, 0usize);
    // Interleaved, so both sides see the same cache state; the first round warms up.
    for round in 0..2 {
        for _ in 0..if round == 0 { 5 } else { 60 } {
            let (d, body) = get("/api/v1/dashboard".into(), partner_token.clone()).await;
            check.0 = body["recent_orders"].as_array().map_or(0, Vec::len);
            let (r, _) = raw(dash_sql.clone()).await;
            let (s, body) =
                get(format!("/api/v1/reports/sales?every=month&from={two_years}"), admin_token.clone()).await;
            check.1 = body["totals"].as_array().map_or(0, Vec::len);
            let (sr, _) = raw(sales_sql.clone()).await;
            let (p, _) =
                get(format!("/api/v1/reports/partners?from={twelve_months}&sort=-sales"), admin_token.clone()).await;
            let (pr, _) = raw(partners_sql.clone()).await;
            let (py, _) =
                get(format!("/api/v1/reports/partners?from={one_year}&sort=-sales"), admin_token.clone()).await;
            for (i, part) in parts.iter().enumerate() {
                let (t, _) = get(part.to_string(), partner_token.clone()).await;
                if round == 1 {
                    part_series[i].add(t);
                }
            }
            if round == 1 {
                for (i, t) in [d, r, s, sr, p, pr, py].into_iter().enumerate() {
                    series[i].add(t);
                }
            }
        }
    }
    let ratio = |a: &Series, b: &Series| b.pct(0.99) / a.pct(0.99);
    let summary = json!({
        "orders": REPORT_ORDERS,
        "partners": PARTNERS,
        "load_seconds": load_secs,
        "sales_total_rows": kept,
        "dashboard_p99_ms": series[0].pct(0.99),
        "dashboard_target_p99_ms": 25,
        "sales_p99_ms": series[2].pct(0.99),
        "partners_p99_ms": series[4].pct(0.99),
        "partners_365_days_p99_ms": series[6].pct(0.99),
        "merchant_target_p99_ms": 100,
        "raw_over_gateway_p99": {
            "dashboard": ratio(&series[0], &series[1]),
            "sales": ratio(&series[2], &series[3]),
            "partners": ratio(&series[4], &series[5]),
        },
        "target_ratio": 20,
        "recent_orders_seen": check.0,
        "sales_months_seen": check.1,
    });
    report("reports", &series.iter().chain(part_series.iter()).collect::<Vec<_>>(), summary.clone());
    println!("  {}", serde_json::to_string(&summary["raw_over_gateway_p99"]).unwrap());
    sys.stop().await;
}

const PAGE_CUSTOMERS: i64 = 5_000;
const PAGE_ORDERS: i64 = 50_000;

/// The cookies of a web session: signs in through `/login` as a person would.
async fn web_session(base: &str, email: &str, password: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(format!("{base}/login")).send().await.unwrap();
    let csrf = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let token = csrf.trim_start_matches("pl_csrf=").to_string();
    let form = [("_csrf", token.as_str()), ("email", email), ("password", password), ("next", "/home")];
    let r = http.post(format!("{base}/login")).header("cookie", &csrf).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "signed in");
    let mut cookies = vec![csrf];
    for v in r.headers().get_all("set-cookie") {
        cookies.push(v.to_str().unwrap().split(';').next().unwrap().to_string());
    }
    cookies.join("; ")
}

/// A partner with 5,000 customers and 50,000 orders over a year (with their commissions): the
/// portal's home, customers and orders pages through the gateway, each beside the JSON API calls
/// it is made of, made the way the page makes them (the account, then the page's data).
async fn pages() {
    println!("pages: loading {PAGE_CUSTOMERS} customers and {PAGE_ORDERS} orders of one partner…");
    let sys = TestSystem::start_with(bench_options()).await;
    let partner = bench_partner(&sys).await;
    let db = |name: &str| sys.env.config.database_url(name);
    let (orders_db, commissions_db, customers_db) = (
        PgPool::connect(&db("orders")).await.unwrap(),
        PgPool::connect(&db("commissions")).await.unwrap(),
        PgPool::connect(&db("customers")).await.unwrap(),
    );
    let tenant: Uuid = sqlx::query_scalar("SELECT tenant_id FROM orders LIMIT 1").fetch_one(&orders_db).await.unwrap();
    let started = Instant::now();
    let customer = |i: &str| format!("('00000000-0000-4000-9000-' || lpad(to_hex({i}), 12, '0'))::uuid");
    sqlx::query(&format!(
        "INSERT INTO customers (id, tenant_id, name, email, phone, status, temperature, discount_percent, currency, language,
             owner_partner_id, created_at, updated_at)
         SELECT {}, $1, 'Customer ' || i, 'c' || i || '@bench.test', '+39 02 ' || lpad(i::text, 7, '0'),
                (ARRAY['current','potential'])[1 + i % 2], (ARRAY['hot','warm','cold','not_interested'])[1 + i % 4],
                (i % 21)::numeric, 'EUR', 'it', $2, now() - ((i % 365) || ' days')::interval, now()
         FROM generate_series(0, {PAGE_CUSTOMERS} - 1) i",
        customer("i")
    ))
    .bind(tenant)
    .bind(partner)
    .execute(&customers_db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO notes (id, tenant_id, customer_id, priority, body, author_user_id, created_at, updated_at)
         SELECT gen_random_uuid(), tenant_id, id, 'high', 'Call back about the order', owner_partner_id, now(), now()
         FROM customers WHERE tenant_id = $1 AND owner_partner_id = $2",
    )
    .bind(tenant)
    .bind(partner)
    .execute(&customers_db)
    .await
    .unwrap();
    let seq0: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM orders WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&orders_db)
        .await
        .unwrap();
    sqlx::query(&format!(
        "INSERT INTO orders (id, tenant_id, number, seq, customer_id, customer_name, kind, channel, payment_method,
             status, currency, subtotal, discount, shipping, tax_rate, tax, total, amount_paid, amount_refunded,
             partner_id, version, placed_at, updated_at)
         SELECT gen_random_uuid(), $1, 'W-' || i, $3 + 1 + i, {c}, 'Customer ' || (i % {PAGE_CUSTOMERS}), 'standard',
             'partner_assisted', 'card',
             CASE WHEN h % 20 = 0 THEN 'cancelled' WHEN h % 20 = 1 THEN 'pending_payment' ELSE 'completed' END,
             'EUR', s, 0, 5, 22, round((s + 5) * 0.22, 2), s + 5 + round((s + 5) * 0.22, 2),
             CASE WHEN h % 20 = 1 THEN 0 ELSE s + 5 + round((s + 5) * 0.22, 2) END, 0, $2, 1,
             now() - ((h % (365 * 86400)) || ' seconds')::interval, now()
         FROM (SELECT i, (hashtext(i::text)::bigint & 2147483647) AS h,
                      (20 + (hashtext(i::text)::bigint & 2147483647) % 300)::numeric AS s
               FROM generate_series(0, {PAGE_ORDERS} - 1) AS i) AS g",
        c = customer(&format!("(i % {PAGE_CUSTOMERS})"))
    ))
    .bind(tenant)
    .bind(partner)
    .bind(seq0)
    .execute(&orders_db)
    .await
    .unwrap();
    // Their commissions, in commissions' own database: 10% of each completed order, pending.
    let rows: Vec<(chrono::DateTime<chrono::Utc>, rust_decimal::Decimal)> = sqlx::query_as(
        "SELECT placed_at, round(subtotal * 0.10, 2) FROM orders WHERE tenant_id = $1 AND partner_id = $2 AND status = 'completed'",
    )
    .bind(tenant)
    .bind(partner)
    .fetch_all(&orders_db)
    .await
    .unwrap();
    let (ats, amounts): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
    sqlx::query(
        "INSERT INTO ledger_entries (id, tenant_id, currency, debit_account, credit_account, amount, partner_id, level, kind,
             reason, at)
         SELECT gen_random_uuid(), $1, 'EUR', 'merchant:expense', 'partner:' || $2 || ':pending', a, $2, 0, 'accrued', 'bench', t
         FROM UNNEST($3::timestamptz[], $4::numeric[]) AS u(t, a)",
    )
    .bind(tenant)
    .bind(partner)
    .bind(&ats)
    .bind(&amounts)
    .execute(&commissions_db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO balances AS b (tenant_id, account, currency, balance)
         SELECT $1, 'partner:' || $2 || ':pending', 'EUR', sum(amount) FROM ledger_entries
         WHERE tenant_id = $1 AND partner_id = $2 AND reason = 'bench'
         ON CONFLICT (tenant_id, account, currency) DO UPDATE SET balance = b.balance + EXCLUDED.balance",
    )
    .bind(tenant)
    .bind(partner)
    .execute(&commissions_db)
    .await
    .unwrap();
    for (pool, tables) in [
        (&orders_db, &["orders", "sales_totals"][..]),
        (&commissions_db, &["ledger_entries", "ledger_totals", "balances"][..]),
        (&customers_db, &["customers", "notes", "customer_totals"][..]),
    ] {
        for t in tables {
            sqlx::query(&format!("VACUUM ANALYZE {t}")).execute(pool).await.unwrap();
        }
    }
    let load_secs = started.elapsed().as_secs_f64();
    println!("  loaded in {load_secs:.1} s");

    let http = reqwest::Client::new();
    let cookies = web_session(&sys.url, "bench@demo.test", "bench-partner").await;
    let token = sys.login("bench@demo.test", "bench-partner").await.token.unwrap();
    let page = |path: &'static str| {
        let (http, url, cookies) = (http.clone(), format!("{}{path}", sys.url), cookies.clone());
        async move {
            let t = Instant::now();
            let r = http.get(&url).header("cookie", cookies).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            let body = r.text().await.unwrap();
            assert!(body.contains("Bench Partner"), "{url} is the partner's page");
            t.elapsed()
        }
    };
    let api = |path: String| {
        let (http, url, token) = (http.clone(), format!("{}{path}", sys.url), token.clone());
        async move {
            let r = http.get(&url).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            r.bytes().await.unwrap().len()
        }
    };
    // What each page asks for: the account first (for the language and the name), then its data.
    let composed = |calls: Vec<&'static str>| {
        let api = &api;
        async move {
            let t = Instant::now();
            api("/api/v1/me".into()).await;
            futures::future::join_all(calls.into_iter().map(|c| api(c.to_string()))).await;
            t.elapsed()
        }
    };
    let mut series = [
        Series::new("/home (page)"),
        Series::new("  its API calls: me, then dashboard"),
        Series::new("/customers (page)"),
        Series::new("  its API calls: me, then current + potential"),
        Series::new("/orders (page)"),
        Series::new("  its API calls: me, then orders"),
    ];
    let home = vec!["/api/v1/dashboard?every=week"];
    let customers = vec!["/api/v1/customers?status=current&limit=24", "/api/v1/customers?status=potential&limit=24"];
    let orders = vec!["/api/v1/orders?sort=-placed_at&limit=25"];
    for round in 0..2 {
        for _ in 0..if round == 0 { 20 } else { 500 } {
            let ts = [
                page("/home").await,
                composed(home.clone()).await,
                page("/customers").await,
                composed(customers.clone()).await,
                page("/orders").await,
                composed(orders.clone()).await,
            ];
            if round == 1 {
                for (i, t) in ts.into_iter().enumerate() {
                    series[i].add(t);
                }
            }
        }
    }
    let ratio = |page: &Series, calls: &Series| page.pct(0.99) / calls.pct(0.99);
    let summary = json!({
        "customers": PAGE_CUSTOMERS,
        "orders": PAGE_ORDERS,
        "load_seconds": load_secs,
        "target_p99_ms": 50,
        "target_page_over_calls_p99": 1.5,
        "p99_ms": { "home": series[0].pct(0.99), "customers": series[2].pct(0.99), "orders": series[4].pct(0.99) },
        "page_over_calls_p99": {
            "home": ratio(&series[0], &series[1]),
            "customers": ratio(&series[2], &series[3]),
            "orders": ratio(&series[4], &series[5]),
        },
    });
    report("pages", &series.iter().collect::<Vec<_>>(), summary.clone());
    println!("  {}", serde_json::to_string(&summary["page_over_calls_p99"]).unwrap());
    sys.stop().await;
}

const IMPORT_ORDERS: usize = 200_000;
const IMPORT_BATCH: usize = 1_000;
/// Batches in flight at once: enough to keep both cores and the database busy.
const IMPORT_SENDERS: usize = 4;

/// One import batch: 1 to 3 lines of demo products each, a customer given inline.
fn import_batch(b: usize, skus: &[String]) -> Value {
    let orders: Vec<Value> = (0..IMPORT_BATCH)
        .map(|i| {
            let n = b * IMPORT_BATCH + i;
            let lines: Vec<Value> = (0..1 + n % 3)
                .map(|k| json!({ "sku": skus[(n + k * 5) % skus.len()], "quantity": 1 + (n + k) % 4 }))
                .collect();
            json!({
                "external_id": format!("shop-{n}"),
                "customer": { "name": format!("Shop customer {n}"), "email": format!("c{n}@shop.test"), "language": "en" },
                "items": lines,
                "payment_method": "card",
                "status": if n.is_multiple_of(2) { "paid" } else { "pending_payment" },
            })
        })
        .collect();
    json!({ "orders": orders })
}

async fn orders_import() {
    println!("orders-import: {IMPORT_ORDERS} orders in batches of {IMPORT_BATCH}, {IMPORT_SENDERS} in flight…");
    let sys = TestSystem::start_with(bench_options()).await;
    let admin = sys.demo_admin().await;
    let skus: Vec<String> = admin.get("/api/v1/products?limit=200", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap().to_string())
        .collect();
    let token = admin.token.clone().unwrap();
    let bus = platform::nats::Bus::connect(&sys.env.config.nats, "bench").await.unwrap();
    let mut stream = bus.js.get_stream(bus.naming.stream("orders")).await.unwrap();
    let before = stream.info().await.unwrap().state.messages;
    let batches: Vec<String> = (0..IMPORT_ORDERS / IMPORT_BATCH).map(|b| import_batch(b, &skus).to_string()).collect();

    let mut per_batch = Series::new("import batch of 1,000 via gateway");
    let started = Instant::now();
    for d in import_all(&sys, &token, batches).await {
        per_batch.add(d);
    }
    let imported = started.elapsed();
    // The relay publishes after commit: wait for the last order.placed on the stream.
    loop {
        let n = stream.info().await.unwrap().state.messages;
        if n >= before + IMPORT_ORDERS as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let on_stream = started.elapsed();
    let rate = IMPORT_ORDERS as f64 / imported.as_secs_f64();

    // Baseline: the same rows (orders and their lines) with plain multi-row INSERTs.
    let pool = PgPool::connect(&sys.env.config.database_url("orders")).await.unwrap();
    let started = Instant::now();
    baseline_inserts(&pool).await;
    let base = started.elapsed();
    let base_rate = IMPORT_ORDERS as f64 / base.as_secs_f64();
    let ratio = rate / base_rate;
    let summary = json!({
        "orders": IMPORT_ORDERS, "batch": IMPORT_BATCH, "senders": IMPORT_SENDERS,
        "import_seconds": imported.as_secs_f64(), "orders_per_second": rate,
        "last_event_on_stream_seconds": on_stream.as_secs_f64(),
        "baseline_seconds": base.as_secs_f64(), "baseline_orders_per_second": base_rate,
        "ratio_to_baseline": ratio, "target_orders_per_second": 5000, "target_ratio": 0.3,
    });
    report("orders-import", &[&per_batch], summary);
    println!(
        "  import: {rate:.0} orders/s (target ≥ 5,000) — {}; last order.placed on the stream after {:.1} s",
        if rate >= 5000.0 { "met" } else { "MISSED" },
        on_stream.as_secs_f64()
    );
    println!(
        "  baseline (plain batched INSERTs): {base_rate:.0} orders/s; import/baseline {ratio:.2}× (target ≥ 0.3×) — {}",
        if ratio >= 0.3 { "met" } else { "MISSED" }
    );
    sys.stop().await;
}

/// The rows the import writes for its orders and lines, inserted 1,000 orders per statement.
async fn baseline_inserts(pool: &PgPool) {
    let tenant = Uuid::now_v7();
    let product = Uuid::now_v7();
    let now = chrono::Utc::now();
    for b in 0..IMPORT_ORDERS / IMPORT_BATCH {
        let mut tx = pool.begin().await.unwrap();
        let ids: Vec<Uuid> = (0..IMPORT_BATCH).map(|_| Uuid::now_v7()).collect();
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO orders (id, tenant_id, number, seq, customer_name, customer_email, customer_language, kind,
                channel, payment_method, status, currency, subtotal, discount, shipping, tax_rate, tax, total, amount_paid,
                external_id, version, placed_at, updated_at) ",
        );
        q.push_values(ids.iter().enumerate(), |mut row, (i, id)| {
            let n = (b * IMPORT_BATCH + i) as i64;
            let total = rust_decimal::Decimal::new(34900 + n % 1000, 2);
            row.push_bind(id)
                .push_bind(tenant)
                .push_bind(format!("PL-{n:06}"))
                .push_bind(n + 1)
                .push_bind(format!("Shop customer {n}"))
                .push_bind(format!("c{n}@shop.test"))
                .push_bind("en")
                .push_bind("standard")
                .push_bind("api")
                .push_bind("card")
                .push_bind("paid")
                .push_bind("EUR")
                .push_bind(total)
                .push_bind(rust_decimal::Decimal::ZERO)
                .push_bind(rust_decimal::Decimal::ZERO)
                .push_bind(rust_decimal::Decimal::ZERO)
                .push_bind(rust_decimal::Decimal::ZERO)
                .push_bind(total)
                .push_bind(total)
                .push_bind(format!("base-{n}"))
                .push_bind(1)
                .push_bind(now)
                .push_bind(now);
        });
        q.build().execute(&mut *tx).await.unwrap();
        let lines: Vec<(Uuid, i32)> = ids
            .iter()
            .enumerate()
            .flat_map(|(i, id)| (0..1 + (b * IMPORT_BATCH + i) % 3).map(move |k| (*id, k as i32 + 1)))
            .collect();
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO order_items (order_id, line, tenant_id, product_id, sku, name, kind, quantity, unit_price,
                line_total, discount, net) ",
        );
        q.push_values(lines, |mut row, (id, line)| {
            let price = rust_decimal::Decimal::new(34900, 2);
            row.push_bind(id)
                .push_bind(line)
                .push_bind(tenant)
                .push_bind(product)
                .push_bind("POS-T1")
                .push_bind("POS Terminal T1")
                .push_bind("physical")
                .push_bind(1)
                .push_bind(price)
                .push_bind(price)
                .push_bind(rust_decimal::Decimal::ZERO)
                .push_bind(price);
        });
        q.build().execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
}

const CLICK_SECONDS: u64 = 20;
const CLICK_WORKERS: usize = 32;

/// Requests `url` from `workers` tasks for `secs`; with `rate`, paced to that many per second in
/// all. Returns every latency.
async fn hammer(url: &str, workers: usize, secs: u64, rate: Option<f64>) -> Series {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (http, url) = (http.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let gap = rate.map(|r| Duration::from_secs_f64(workers as f64 / r));
            let mut next = Instant::now() + gap.map(|g| g.mul_f64(w as f64 / workers as f64)).unwrap_or_default();
            while Instant::now() < stop {
                if let Some(g) = gap {
                    tokio::time::sleep_until(next.into()).await;
                    next += g;
                }
                let t = Instant::now();
                let r =
                    http.get(&url).header("cookie", "pl_vid=0123456789abcdef0123456789abcdef").send().await.unwrap();
                assert_eq!(r.status(), 302);
                took.push(t.elapsed());
            }
            took
        }));
    }
    let mut s = Series::new(url);
    for t in tasks {
        for d in t.await.unwrap() {
            s.add(d);
        }
    }
    s
}

async fn clicks() {
    println!("clicks: GET /r/{{code}} for {CLICK_SECONDS} s with {CLICK_WORKERS} connections, beside a bare axum 302…");
    // One load generator is one client: every click it makes must count here.
    let limits = ("gateway", json!({ "limits": { "clicks_per_client": 0 } }));
    let sys = TestSystem::start_with(Options { sections: vec![limits], ..bench_options() }).await;
    let ana = sys.login("ana@demo.test", "demo-partner").await;
    let code = ana.get("/api/v1/links", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "referral")
        .map(|l| l["code"].as_str().unwrap().to_string())
        .expect("Ana's referral link");
    let pool = PgPool::connect(&sys.env.config.database_url("attribution")).await.unwrap();
    let count =
        || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM clicks").fetch_one(&pool).await.unwrap() };
    let before = count().await;

    // Baseline: the same answer, nothing else.
    let bare = axum::Router::new().route(
        "/r/{code}",
        axum::routing::get(|| async { (http::StatusCode::FOUND, [(http::header::LOCATION, "https://shop.example/")]) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_url = format!("http://{}/r/{code}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, bare).await.unwrap() });

    let base = hammer(&bare_url, CLICK_WORKERS, CLICK_SECONDS, None).await;
    let gw_url = format!("{}/r/{code}", sys.url);
    let gw = hammer(&gw_url, CLICK_WORKERS, CLICK_SECONDS, None).await;
    let (base_rps, gw_rps) =
        (base.micros.len() as f64 / CLICK_SECONDS as f64, gw.micros.len() as f64 / CLICK_SECONDS as f64);
    let half = hammer(&gw_url, CLICK_WORKERS, CLICK_SECONDS / 2, Some(gw_rps / 2.0)).await;
    let sent = (gw.micros.len() + half.micros.len()) as i64;
    println!(
        "  saturated: gateway {gw_rps:.0}/s (p50 {:.2} ms, p99 {:.2} ms), bare axum {base_rps:.0}/s; at half rate p50 {:.2} ms, p99 {:.2} ms",
        gw.pct(0.5),
        gw.pct(0.99),
        half.pct(0.5),
        half.pct(0.99)
    );
    let started = Instant::now();
    // The redirects are answered at once; the writes follow at their own pace.
    while count().await - before < sent && started.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let counted = count().await - before;
    println!("  {counted} of {sent} clicks in the database after {:.1} s", started.elapsed().as_secs_f64());
    let written_after = started.elapsed().as_secs_f64();
    let mut base = base;
    base.name = "bare axum 302 (saturated)".into();
    let mut gw = gw;
    gw.name = "gateway /r/{code} (saturated)".into();
    let mut half = half;
    half.name = "gateway /r/{code} at half saturation".into();
    let summary = json!({
        "baseline_rps": base_rps, "gateway_rps": gw_rps, "ratio": gw_rps / base_rps, "target_ratio": 0.5,
        "half_rate_p99_ms": half.pct(0.99), "target_p99_ms": 5.0, "clicks_sent": sent, "clicks_counted": counted,
        "all_counted_seconds_after": written_after,
    });
    report("clicks", &[&base, &gw, &half], summary);
    println!(
        "  throughput: gateway {gw_rps:.0}/s, bare {base_rps:.0}/s → {:.2}× (target ≥ 0.5×) — {}; p99 at half rate {:.2} ms (target < 5 ms) — {}; {counted} of {sent} clicks in the database {written_after:.1} s after the load",
        gw_rps / base_rps,
        if gw_rps / base_rps >= 0.5 { "met" } else { "MISSED" },
        half.pct(0.99),
        if half.pct(0.99) < 5.0 { "met" } else { "MISSED" },
    );
    sys.stop().await;
}

/// The rate the issue asks the projection to keep up with.
const PACED_ORDERS_PER_SECOND: f64 = 2_000.0;

/// The paced phase's rate: `PIPELINE_PACED_RATE` (orders/s), to find how far past the target
/// the projection keeps up; the target otherwise.
fn paced_rate() -> f64 {
    std::env::var("PIPELINE_PACED_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|r| *r > 0.0)
        .unwrap_or(PACED_ORDERS_PER_SECOND)
}

/// Orders the pipeline scenario pushes (`PIPELINE_ORDERS` overrides).
fn pipeline_orders() -> usize {
    std::env::var("PIPELINE_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

/// One import batch of the pipeline: new orders placed by Ana, paid (`stage` 0), or the same
/// orders completed, every tenth with a refund (`stage` 1).
fn pipeline_batch(b: usize, stage: u8, ana: &str, skus: &[String]) -> Value {
    let orders: Vec<Value> = (0..IMPORT_BATCH)
        .map(|i| {
            let n = b * IMPORT_BATCH + i;
            let mut o = json!({
                "external_id": format!("pipe-{n}"),
                "customer": { "name": format!("Pipeline customer {n}"), "email": format!("p{n}@shop.test"), "language": "en" },
                "items": [{ "sku": skus[n % skus.len()], "quantity": 1 + n % 3 }],
                "payment_method": "card",
                "placed_by_partner_id": ana,
                "status": if stage == 0 { "paid" } else { "completed" },
            });
            if stage == 1 && n.is_multiple_of(10) {
                o["refunds"] = json!([{ "external_id": format!("r-{n}"), "amount": "5.00", "reason": "bench" }]);
            }
            o
        })
        .collect();
    json!({ "orders": orders })
}

/// What the pipeline's imports need: the demo admin's token, Ana's partner id (she places every
/// order) and the demo's digital SKUs.
async fn importer(sys: &TestSystem) -> (String, String, Vec<String>) {
    let admin = sys.demo_admin().await;
    let ana = sys.login("ana@demo.test", "demo-partner").await.get("/api/v1/me", 200).await["partner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let skus: Vec<String> = admin.get("/api/v1/products?limit=200", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "digital")
        .map(|p| p["sku"].as_str().unwrap().to_string())
        .collect();
    (admin.token.clone().unwrap(), ana, skus)
}

/// Sends import batches from `IMPORT_SENDERS` tasks; each must take all its orders. Returns how
/// long each batch took.
async fn import_all(sys: &TestSystem, token: &str, batches: Vec<String>) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/orders/import", sys.url);
    let queue = std::sync::Arc::new(std::sync::Mutex::new(batches.into_iter()));
    let mut senders = Vec::new();
    for _ in 0..IMPORT_SENDERS {
        let (queue, http, url, token) = (queue.clone(), http.clone(), url.clone(), token.to_string());
        senders.push(tokio::spawn(async move {
            let mut took = Vec::new();
            loop {
                let next = queue.lock().unwrap().next();
                let Some(body) = next else { break };
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "import: {}", r.status());
                let v: Value = r.json().await.unwrap();
                assert_eq!(v["rejected"], 0, "{}", v["items"][0]);
                took.push(t.elapsed());
            }
            took
        }));
    }
    let mut took = Vec::new();
    for s in senders {
        took.extend(s.await.unwrap());
    }
    took
}

/// The CloudEvent types of the orders events commissions reads (`commissions::consumers::ORDERS`).
fn consumed_order_events() -> Vec<String> {
    commissions::consumers::ORDERS
        .iter()
        .map(|f| format!("partnerline.orders.order.{}.v1", f.rsplit('.').next().unwrap_or_default()))
        .collect()
}

/// The CloudEvent types of every orders event of an order's life: what the orders stream holds,
/// read by commissions or not (a consumer on NATS before 2.10 is sent them all and skips the rest).
fn order_stream_events() -> Vec<String> {
    ["placed", "paid", "confirmed", "in_production", "shipped", "completed", "cancelled", "refunded"]
        .iter()
        .map(|e| format!("partnerline.orders.order.{e}.v1"))
        .collect()
}

/// The entry that put each order's own line on hold, since `since`: `commission.held` from
/// pending, or `commission.accrued` straight into held when the order's facts came together.
async fn held_at(
    ledger: &PgPool,
    since: chrono::DateTime<chrono::Utc>,
) -> HashMap<Uuid, chrono::DateTime<chrono::Utc>> {
    sqlx::query_as(
        "SELECT order_id, min(at) FROM ledger_entries
         WHERE credit_account LIKE 'partner:%:held' AND at >= $1 AND level = 0 GROUP BY order_id",
    )
    .bind(since)
    .fetch_all(ledger)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// Waits until commissions has acknowledged everything in its streams.
async fn commissions_idle(bus: &platform::nats::Bus, started: Instant, what: &str) {
    while consumers_state(bus, COMMISSIONS).await.0 > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(started.elapsed() < Duration::from_secs(3600), "commissions did not {what} in an hour");
    }
}

/// The pipeline's events since `since` of the orders `types` (with every `order.attributed`):
/// `order_stream_events()` counts what passed through commissions' consumers,
/// `consumed_order_events()` what it read.
async fn pipeline_events(
    orders: &PgPool,
    attribution: &PgPool,
    since: chrono::DateTime<chrono::Utc>,
    types: &[String],
) -> i64 {
    let o: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE created_at >= $1 AND ce_type = ANY($2)")
        .bind(since)
        .bind(types)
        .fetch_one(orders)
        .await
        .unwrap();
    let a: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE created_at >= $1 AND ce_type = 'partnerline.attribution.order.attributed.v1'",
    )
    .bind(since)
    .fetch_one(attribution)
    .await
    .unwrap();
    o + a
}

/// Where the pipeline's durable consumers stand, read from JetStream (the bench asks NATS, not
/// the databases under test, so its polling costs them nothing): events not yet acknowledged
/// by any of `durables` (`(stream context, durable)`), and how many they have acknowledged.
async fn consumers_state(bus: &platform::nats::Bus, durables: &[(&str, &str)]) -> (u64, u64) {
    let (mut open, mut acked) = (0, 0);
    for (context, durable) in durables {
        // A consumer its service has not made yet has everything still to read.
        let Ok(stream) = bus.js.get_stream(bus.naming.stream(context)).await else {
            open += 1;
            continue;
        };
        let Ok(info) = stream.consumer_info(*durable).await else {
            open += 1;
            continue;
        };
        open += info.num_pending + info.num_ack_pending as u64;
        acked += info.ack_floor.consumer_sequence;
    }
    (open, acked)
}

/// The commissions consumers the pipeline feeds.
const COMMISSIONS: &[(&str, &str)] = &[("orders", "commissions-orders"), ("attribution", "commissions-attribution")];
/// Every consumer between the import and the ledger.
const PIPELINE: &[(&str, &str)] =
    &[("orders", "attribution-orders"), ("orders", "commissions-orders"), ("attribution", "commissions-attribution")];

/// The pipeline's events, recorded from the orders and attribution outboxes since `since` in the
/// order they were published, made into a new batch of orders: each order gets a new id, each
/// event a new CloudEvent id, so commissions reads them as orders it has never seen.
struct Replay {
    /// NATS subject, headers, payload; and the new order's id when the event is its completion.
    events: Vec<(String, async_nats::HeaderMap, Vec<u8>, Option<Uuid>)>,
    orders: usize,
}

/// Decodes `payload` as `M`, gives its order the new id `new_id` picks, and encodes it again.
fn renumber<M: prost::Message + Default>(
    payload: &[u8],
    order_id: fn(&mut M) -> &mut String,
    new_id: &mut impl FnMut(&str) -> Uuid,
) -> (Uuid, Vec<u8>) {
    let mut m = M::decode(payload).unwrap();
    let id = new_id(order_id(&mut m));
    *order_id(&mut m) = id.to_string();
    (id, m.encode_to_vec())
}

async fn replay(orders_db: &PgPool, attribution_db: &PgPool, since: chrono::DateTime<chrono::Utc>) -> Replay {
    use partnerline_proto::events::v1 as ev;
    type Row = (String, String, Vec<u8>, Value, chrono::DateTime<chrono::Utc>);
    let query = "SELECT subject, ce_type, payload, headers, sent_at FROM outbox
                 WHERE created_at >= $1 AND sent_at IS NOT NULL AND ce_type = ANY($2)";
    let consumed = order_stream_events();
    let mut rows: Vec<Row> = sqlx::query_as(query).bind(since).bind(&consumed).fetch_all(orders_db).await.unwrap();
    let attributed = vec!["partnerline.attribution.order.attributed.v1".to_string()];
    rows.extend(sqlx::query_as::<_, Row>(query).bind(since).bind(&attributed).fetch_all(attribution_db).await.unwrap());
    // A steady stream of orders: each order's events together, in the order they were published,
    // orders in the order they were first heard of. (Replayed in publication order, the import's
    // shape came through: every order placed and attributed in the first third, completions
    // after, so "2,000 orders/s" began with 6,000 orders placed and attributed a second.)
    let subject_of = |r: &Row| r.3.get("ce-subject").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut first: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
    for r in &rows {
        let f = first.entry(subject_of(r)).or_insert(r.4);
        *f = (*f).min(r.4);
    }
    rows.sort_by_key(|r| {
        let o = subject_of(r);
        (first[&o], o, r.4)
    });
    let mut ids: HashMap<String, Uuid> = HashMap::new();
    let mut events = Vec::with_capacity(rows.len());
    for (subject, ce_type, payload, headers, _) in rows {
        let mut new_id = |old: &str| *ids.entry(old.to_string()).or_insert_with(Uuid::now_v7);
        let (order, payload) = match ce_type.rsplit('.').nth(1).unwrap_or_default() {
            "placed" => renumber::<ev::OrderPlaced>(&payload, |m| &mut m.order_id, &mut new_id),
            "refunded" => renumber::<ev::OrderRefunded>(&payload, |m| &mut m.order_id, &mut new_id),
            "attributed" => renumber::<ev::OrderAttributed>(&payload, |m| &mut m.order_id, &mut new_id),
            _ => renumber::<ev::OrderStatusChanged>(&payload, |m| &mut m.order_id, &mut new_id),
        };
        let event_id = Uuid::now_v7().to_string();
        let mut map = async_nats::HeaderMap::new();
        for (k, v) in headers.as_object().into_iter().flatten() {
            let v = match k.as_str() {
                "ce-id" | "Nats-Msg-Id" => event_id.clone(),
                // The event's subject is its order, whatever the context.
                "ce-subject" if v.as_str().and_then(|s| ids.get(s)) == Some(&order) => order.to_string(),
                _ => v.as_str().unwrap_or_default().to_string(),
            };
            map.insert(k.as_str(), v.as_str());
        }
        let completed = ce_type.ends_with(".order.completed.v1").then_some(order);
        events.push((subject, map, payload, completed));
    }
    Replay { events, orders: ids.len() }
}

/// Publishes `replay` at `orders_per_second` (its events evenly spread over the time its orders
/// take at that rate), returning when each completion was published.
async fn publish_paced(
    bus: &platform::nats::Bus,
    replay: Replay,
    orders_per_second: f64,
) -> Vec<(Uuid, chrono::DateTime<chrono::Utc>)> {
    let seconds = replay.orders as f64 / orders_per_second;
    let per_second = replay.events.len() as f64 / seconds;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let acks = tokio::spawn(async move {
        while let Some(ack) = rx.recv().await {
            let ack: async_nats::jetstream::context::PublishAckFuture = ack;
            ack.await.unwrap();
        }
    });
    let mut completed = Vec::new();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    let mut events = replay.events.into_iter().enumerate().peekable();
    while events.peek().is_some() {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * per_second) as usize;
        while let Some((_, (subject, headers, payload, done))) = events.next_if(|(i, _)| *i <= due) {
            let ack = bus.js.publish_with_headers(subject, headers, payload.into()).await.unwrap();
            if let Some(order) = done {
                completed.push((order, chrono::Utc::now()));
            }
            tx.send(ack).unwrap();
        }
    }
    drop(tx);
    acks.await.unwrap();
    completed
}

/// Whether every outbox row is published.
async fn all_sent(pool: &PgPool) -> bool {
    sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL)").fetch_one(pool).await.unwrap()
}

async fn pipeline() {
    let n = pipeline_orders();
    println!(
        "pipeline: {n} orders imported paid, then completed (every tenth refunded), through attribution to the commissions ledger…"
    );
    // Commissions runs on its own, so the second phase can stop it and start it again; so does
    // attribution, so the third can stop it (the replayed orders must not be attributed again).
    let sys = TestSystem::start_with(Options { detached: vec!["commissions", "attribution"], ..bench_options() }).await;
    let commissions = sys.start_detached("commissions").await;
    let attribution = sys.start_detached("attribution").await;
    let (token, ana, skus) = importer(&sys).await;
    let db = |s: &str| sys.env.config.database_url(s);
    let (orders_db, attribution_db, ledger_db) = (
        PgPool::connect(&db("orders")).await.unwrap(),
        PgPool::connect(&db("attribution")).await.unwrap(),
        PgPool::connect(&db("commissions")).await.unwrap(),
    );
    let bus = platform::nats::Bus::connect(&sys.env.config.nats, "bench-raw").await.unwrap();
    // Everything published, and every consumer up to the ledger has acknowledged it.
    let settled = || async {
        consumers_state(&bus, PIPELINE).await.0 == 0 && all_sent(&orders_db).await && all_sent(&attribution_db).await
    };
    // Let the demo's own events settle first.
    while !settled().await {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let since = chrono::Utc::now();
    let started = Instant::now();
    let batches = n / IMPORT_BATCH;
    import_all(&sys, &token, (0..batches).map(|b| pipeline_batch(b, 0, &ana, &skus).to_string()).collect()).await;
    import_all(&sys, &token, (0..batches).map(|b| pipeline_batch(b, 1, &ana, &skus).to_string()).collect()).await;
    let imported = started.elapsed();
    // Wait until commissions has consumed every event this run produced.
    while !settled().await {
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(started.elapsed() < Duration::from_secs(3600), "commissions did not catch up in an hour");
    }
    let through = started.elapsed();
    let produced = pipeline_events(&orders_db, &attribution_db, since, &order_stream_events()).await;
    let produced_read = pipeline_events(&orders_db, &attribution_db, since, &consumed_order_events()).await;
    let rate = produced as f64 / through.as_secs_f64();

    // Lag: `order.completed` published (the relay's ack) to the entry that put the line on hold
    // (`held_at`).
    let completed: Vec<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT headers->>'ce-subject', sent_at FROM outbox
         WHERE created_at >= $1 AND ce_type = 'partnerline.orders.order.completed.v1' AND sent_at IS NOT NULL",
    )
    .bind(since)
    .fetch_all(&orders_db)
    .await
    .unwrap();
    let held = held_at(&ledger_db, since).await;
    // Why an order is late: its `order.attributed` was published after its `order.completed`
    // (the line waited for attribution), or not (it waited for commissions itself).
    let attributed: std::collections::HashMap<String, chrono::DateTime<chrono::Utc>> = sqlx::query_as(
        "SELECT headers->>'ce-subject', min(sent_at) FROM outbox
         WHERE created_at >= $1 AND ce_type = 'partnerline.attribution.order.attributed.v1' AND sent_at IS NOT NULL
         GROUP BY 1",
    )
    .bind(since)
    .fetch_all(&attribution_db)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let mut lag = Series::new("order.completed published → held entry");
    let (mut late, mut late_for_attribution) = (0, 0);
    for (order, sent) in &completed {
        if let Some(at) = Uuid::parse_str(order).ok().and_then(|o| held.get(&o)) {
            let took = (*at - *sent).to_std().unwrap_or_default();
            lag.add(took);
            if took >= Duration::from_millis(250) {
                late += 1;
                late_for_attribution += usize::from(attributed.get(order).is_some_and(|a| a > sent));
            }
        }
    }

    // Baseline: the same number of messages of the same sizes published to a fresh stream and
    // consumed (pull, explicit ack) in this process.
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE created_at >= $1 AND ce_type = ANY($2) ORDER BY seq")
            .bind(since)
            .bind(order_stream_events())
            .fetch_all(&orders_db)
            .await
            .unwrap();
    let name = format!("{}_RAWBENCH", sys.env.config.nats.prefix.to_uppercase());
    let subject = format!("{}.rawbench.x", sys.env.config.nats.prefix);
    let stream = bus
        .js
        .get_or_create_stream(async_nats::jetstream::stream::Config {
            name: name.clone(),
            subjects: vec![format!("{}.rawbench.>", sys.env.config.nats.prefix)],
            ..Default::default()
        })
        .await
        .unwrap();
    let raw_started = Instant::now();
    let total = produced as usize;
    let mut acks = Vec::with_capacity(256);
    for i in 0..total {
        let p = payloads[i % payloads.len().max(1)].clone();
        acks.push(bus.js.publish(subject.clone(), p.into()).await.unwrap());
        if acks.len() == 256 {
            for a in acks.drain(..) {
                a.await.unwrap();
            }
        }
    }
    for a in acks.drain(..) {
        a.await.unwrap();
    }
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: Some("raw".into()),
            ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut got = 0;
    while got < total {
        let mut batch = consumer.fetch().max_messages(256).expires(Duration::from_secs(2)).messages().await.unwrap();
        while let Some(Ok(m)) = futures::StreamExt::next(&mut batch).await {
            m.ack().await.unwrap();
            got += 1;
        }
    }
    let raw = raw_started.elapsed();
    let raw_rate = total as f64 / raw.as_secs_f64();
    let _ = bus.js.delete_stream(&name).await;

    // Phase two, the projection alone: with commissions stopped, as many orders again go through
    // import and attribution into the streams; then commissions starts and drains that backlog.
    drop(commissions);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let since_backlog = chrono::Utc::now();
    let (_, acked_before) = consumers_state(&bus, COMMISSIONS).await;
    import_all(&sys, &token, (batches..2 * batches).map(|b| pipeline_batch(b, 0, &ana, &skus).to_string()).collect())
        .await;
    import_all(&sys, &token, (batches..2 * batches).map(|b| pipeline_batch(b, 1, &ana, &skus).to_string()).collect())
        .await;
    // The backlog is complete once attribution has read every order and nothing waits in an outbox.
    while !(consumers_state(&bus, &PIPELINE[..1]).await.0 == 0
        && all_sent(&orders_db).await
        && all_sent(&attribution_db).await)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let backlog = pipeline_events(&orders_db, &attribution_db, since_backlog, &order_stream_events()).await;
    let backlog_read = pipeline_events(&orders_db, &attribution_db, since_backlog, &consumed_order_events()).await;
    let commissions = sys.start_detached("commissions").await;
    // Timed from the first batch acknowledged (not the service's start-up) to the last.
    let first = loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_, acked) = consumers_state(&bus, COMMISSIONS).await;
        if acked > acked_before {
            break (acked - acked_before) as i64;
        }
    };
    let drain_started = Instant::now();
    commissions_idle(&bus, drain_started, "drain").await;
    let drain = drain_started.elapsed();
    let drain_rate = (backlog - first) as f64 / drain.as_secs_f64();
    let drain_orders = drain_rate * n as f64 / backlog as f64;
    let drain_read_rate = drain_rate * backlog_read as f64 / backlog as f64;

    // Phase three, the projection at the target rate: the backlog's events, made into new orders,
    // are published straight to JetStream at 2,000 orders/s, each order's events together
    // (nothing upstream competes for the cores), and each completion's lag to its held entry is
    // measured.
    // It starts from a settled system, as a steady 2,000 orders/s would find it: the drain's own
    // commission events published, and upkeep done with the tables the import and the drain grew
    // (see below). Without this, the first tenth of the orders
    // waited a median 580 ms (20,000 orders) or 2,478 ms (100,000), the last tenth 26 and 9 ms.
    while !all_sent(&ledger_db).await {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settle_started = Instant::now();
    let mut databases = Vec::new();
    for service in partnerline::SERVICES {
        databases.push(PgPool::connect(&db(service)).await.unwrap());
    }
    let mut quiet_since: Option<Instant> = None;
    while settle_started.elapsed() < Duration::from_secs(300) {
        // Quiet: no VACUUM or ANALYZE running, and no table any service's upkeep would take up
        // next (`platform::upkeep::due`), for longer than PostgreSQL takes to report an idle
        // backend's changes (10 s). Between two upkeep rounds nothing runs, and a table's
        // counters can cross its threshold only once those changes are reported, so "nothing
        // running" alone can end the wait just before the next VACUUM.
        let upkeep: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE $1 AND state = 'active'
             AND (query ILIKE 'vacuum%' OR query ILIKE 'analyze%')",
        )
        .bind(format!("{}%", sys.env.config.database.name_prefix))
        .fetch_one(&orders_db)
        .await
        .unwrap();
        let mut due = 0;
        for pool in &databases {
            let mut conn = pool.acquire().await.unwrap();
            due += platform::upkeep::due(&mut conn).await.unwrap().len();
        }
        if upkeep > 0 || due > 0 {
            quiet_since = None;
        } else if quiet_since.get_or_insert_with(Instant::now).elapsed() >= Duration::from_secs(12) {
            break;
        }
        tokio::time::sleep(platform::upkeep::INTERVAL).await;
    }
    for pool in databases {
        pool.close().await;
    }
    let settled_after = settle_started.elapsed();
    // Attribution stops here: it would read the replayed `order.placed` events, attribute every
    // order again, and publish a second `order.attributed` for each, so commissions would share
    // the cores with it and read a fifth more events (the replay brings each order's recorded
    // attribution already).
    drop(attribution);
    let replayed = replay(&orders_db, &attribution_db, since_backlog).await;
    let paced_orders = replayed.orders;
    let paced_since = chrono::Utc::now();
    let paced_started = Instant::now();
    // Where each commissions consumer stands every half second, so a queue shows in the stream it
    // builds in. It samples until commissions is idle after the last publish (a consumer that
    // keeps up shows an empty backlog on the way, which must not end the record).
    let paced_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let backlog_watch = {
        let (bus, done) = (bus.clone(), paced_done.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let t = paced_started.elapsed().as_secs_f64();
                let orders = consumers_state(&bus, &COMMISSIONS[..1]).await.0;
                let attributions = consumers_state(&bus, &COMMISSIONS[1..]).await.0;
                samples.push(json!({ "t": (t * 10.0).round() / 10.0, "orders": orders, "attribution": attributions }));
                if finished {
                    return samples;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    let paced_rate = paced_rate();
    let published = publish_paced(&bus, replayed, paced_rate).await;
    let paced_publish = paced_started.elapsed();
    commissions_idle(&bus, paced_started, "keep up").await;
    paced_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let paced_backlog = backlog_watch.await.unwrap();
    let paced_held = held_at(&ledger_db, paced_since).await;
    let mut paced = Series::new("paced: order.completed published → held entry");
    for (order, sent) in &published {
        if let Some(at) = paced_held.get(order) {
            paced.add((*at - *sent).to_std().unwrap_or_default());
        }
    }
    assert_eq!(paced.micros.len(), published.len(), "every paced completion was held");
    // A queue that grows shows as a lag that grows from the first tenth to the last.
    let tenth = (paced.micros.len() / 10).max(1);
    let median = |v: &[u64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or_default() as f64 / 1000.0
    };
    let (paced_first, paced_last) =
        (median(&paced.micros[..tenth]), median(&paced.micros[paced.micros.len() - tenth..]));
    drop(commissions);

    let orders_rate = n as f64 / through.as_secs_f64();
    let summary = json!({
        "orders": n, "events": produced, "events_read": produced_read, "imported_seconds": imported.as_secs_f64(), "through_seconds": through.as_secs_f64(),
        "events_per_second": rate, "orders_per_second": orders_rate, "raw_jetstream_per_second": raw_rate,
        "ratio": rate / raw_rate, "target_ratio": 0.25, "target_orders_per_second": 2000, "lag_p99_ms": lag.pct(0.99),
        "target_lag_p99_ms": 250, "projection_events": backlog, "projection_events_read": backlog_read,
        "projection_read_events_per_second": drain_read_rate, "projection_read_ratio": drain_read_rate / raw_rate, "projection_seconds": drain.as_secs_f64(),
        "projection_events_per_second": drain_rate, "projection_orders_per_second": drain_orders,
        "projection_ratio": drain_rate / raw_rate, "late_orders": late, "late_waiting_for_attribution": late_for_attribution,
        "paced_orders": paced_orders, "paced_orders_per_second": paced_rate,
        "paced_publish_seconds": paced_publish.as_secs_f64(), "paced_lag_p50_ms": paced.pct(0.5),
        "paced_lag_p99_ms": paced.pct(0.99), "paced_lag_first_tenth_p50_ms": paced_first,
        "paced_lag_last_tenth_p50_ms": paced_last, "paced_settled_after_seconds": settled_after.as_secs_f64(),
        "paced_backlog": paced_backlog,
    });
    report("pipeline", &[&lag, &paced], summary);
    let met = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "  live, import → orders → attribution → commissions: {produced} events ({produced_read} read by commissions; {n} orders) in {:.1} s (import alone {:.1} s): {rate:.0} events/s, {orders_rate:.0} orders/s; lag p99 {:.0} ms (target < 250 ms) — {}",
        through.as_secs_f64(),
        imported.as_secs_f64(),
        lag.pct(0.99),
        met(lag.pct(0.99) < 250.0),
    );
    println!(
        "  {late} orders took 250 ms or more to be held; for {late_for_attribution} of them attribution was published after the completion"
    );
    println!(
        "  projection alone, draining a backlog of {backlog} events ({backlog_read} of them read; {n} orders): {:.1} s, {drain_rate:.0} events/s ({drain_read_rate:.0} read/s), {drain_orders:.0} orders/s (target 2,000) — {}; raw JetStream publish+consume {raw_rate:.0}/s → {:.2}× (target ≥ 0.25×) — {}; counting only the events read {:.2}×",
        drain.as_secs_f64(),
        met(drain_orders >= 2000.0),
        drain_rate / raw_rate,
        met(drain_rate / raw_rate >= 0.25),
        drain_read_rate / raw_rate,
    );
    println!(
        "  projection at {paced_rate:.0} orders/s ({paced_orders} orders published straight to JetStream in {:.1} s, after {:.0} s for upkeep to settle): lag p99 {:.0} ms, p50 {:.0} ms (first tenth of the orders p50 {paced_first:.0} ms, last tenth {paced_last:.0} ms) (target < 250 ms) — {}",
        paced_publish.as_secs_f64(),
        settled_after.as_secs_f64(),
        paced.pct(0.99),
        paced.pct(0.5),
        met(paced.pct(0.99) < 250.0),
    );
    let at = |i: usize| &paced_backlog[i.min(paced_backlog.len() - 1)];
    println!(
        "  events commissions had still to read (orders / attribution stream) during that phase: {}",
        (0..paced_backlog.len())
            .step_by(4)
            .map(|i| format!("{}s {}/{}", at(i)["t"], at(i)["orders"], at(i)["attribution"]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    orders_db.close().await;
    attribution_db.close().await;
    ledger_db.close().await;
    sys.stop().await;
}

/// A commissions process of the release binary, configured as the bench's system is.
struct Replica {
    child: std::process::Child,
    admin: std::net::SocketAddr,
}

fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn spawn_commissions(sys: &TestSystem) -> Replica {
    // The bench runs from target/release/deps; `cargo xtask bench` builds the binary beside it.
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|d| d.parent()).unwrap().join("partnerline");
    assert!(bin.exists(), "{} is missing: run `cargo build --release -p partnerline`", bin.display());
    let admin = free_addr();
    let child = std::process::Command::new(bin)
        .args(["serve", "--target", "commissions"])
        .envs(sys.env.process_env())
        .env("PARTNERLINE_DATABASE__MAX_CONNECTIONS", platform::Config::default().database.max_connections.to_string())
        .env("PARTNERLINE_SERVICES__COMMISSIONS__LISTEN", free_addr().to_string())
        .env("PARTNERLINE_ADMIN__LISTEN", admin.to_string())
        .env("PARTNERLINE_TELEMETRY__LOG_LEVEL", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Replica { child, admin }
}

/// A bench that panics leaves no process behind.
impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    /// Events its commissions consumers have handled (`/metrics`).
    async fn consumed(&self) -> u64 {
        let text = reqwest::get(format!("http://{}/metrics", self.admin)).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with("partnerline_events_consumed_total{") && l.contains("consumer=\"commissions-"))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum::<f64>() as u64
    }

    /// SIGTERM, so its last batch is acknowledged and nothing waits for a redelivery.
    fn stop(mut self) {
        let _ = std::process::Command::new("kill").arg(self.child.id().to_string()).status();
        self.child.wait().unwrap();
    }
}

/// Starts `n` commissions processes on the backlog and returns (events drained, seconds taken,
/// each replica's count), the processes stopped again.
async fn drain_with(sys: &TestSystem, bus: &platform::nats::Bus, n: usize) -> (u64, f64, Vec<u64>) {
    let before = consumers_state(bus, COMMISSIONS).await.1;
    let started = Instant::now();
    let replicas: Vec<Replica> = (0..n).map(|_| spawn_commissions(sys)).collect();
    // Until both consumers exist (the first process makes them) and have nothing left.
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (open, acked) = consumers_state(bus, COMMISSIONS).await;
        if open == 0 && acked > before {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1800), "commissions did not drain in 30 minutes");
    }
    let took = started.elapsed().as_secs_f64();
    let drained = consumers_state(bus, COMMISSIONS).await.1 - before;
    let mut counts = Vec::new();
    for r in &replicas {
        counts.push(r.consumed().await);
    }
    for r in replicas {
        r.stop();
    }
    (drained, took, counts)
}

async fn replicas() {
    let n = pipeline_orders() / 2;
    println!(
        "replicas: {n} orders imported with commissions stopped, drained by one commissions process, then again by two…"
    );
    let sys = TestSystem::start_with(Options { detached: vec!["commissions"], ..bench_options() }).await;
    let (token, ana, skus) = importer(&sys).await;
    let db = |s: &str| sys.env.config.database_url(s);
    let (orders_db, attribution_db) =
        (PgPool::connect(&db("orders")).await.unwrap(), PgPool::connect(&db("attribution")).await.unwrap());
    let bus = platform::nats::Bus::connect(&sys.env.config.nats, "bench-replicas").await.unwrap();
    let attributed = || async {
        consumers_state(&bus, &PIPELINE[..1]).await.0 == 0
            && all_sent(&orders_db).await
            && all_sent(&attribution_db).await
    };
    let since = chrono::Utc::now();
    let batches = n / IMPORT_BATCH;
    import_all(&sys, &token, (0..batches).map(|b| pipeline_batch(b, 0, &ana, &skus).to_string()).collect()).await;
    import_all(&sys, &token, (0..batches).map(|b| pipeline_batch(b, 1, &ana, &skus).to_string()).collect()).await;
    while !attributed().await {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = replay(&orders_db, &attribution_db, since).await;

    let (one_events, one_secs, one_counts) = drain_with(&sys, &bus, 1).await;
    // The same events as new orders, published while no commissions process runs.
    publish_paced(&bus, again, 1e9).await;
    let (two_events, two_secs, two_counts) = drain_with(&sys, &bus, 2).await;

    let (one_rate, two_rate) = (one_events as f64 / one_secs, two_events as f64 / two_secs);
    let total: u64 = two_counts.iter().sum();
    let shares: Vec<f64> = two_counts.iter().map(|c| 100.0 * *c as f64 / total.max(1) as f64).collect();
    println!("\nreplicas");
    println!(
        "  one replica:  {one_events} events in {one_secs:.1} s = {one_rate:.0} events/s (handled {one_counts:?})"
    );
    println!(
        "  two replicas: {two_events} events in {two_secs:.1} s = {two_rate:.0} events/s (handled {two_counts:?})"
    );
    println!(
        "  two / one = {:.2}× (target ≥ 0.9×); shares {:.0} % / {:.0} % (target 35–65 % each)",
        two_rate / one_rate,
        shares[0],
        shares[1]
    );
    report(
        "replicas",
        &[],
        json!({ "orders": n, "one": { "events": one_events, "seconds": one_secs, "events_per_s": one_rate },
                "two": { "events": two_events, "seconds": two_secs, "events_per_s": two_rate, "handled": two_counts, "share_percent": shares },
                "ratio": two_rate / one_rate }),
    );
    sys.stop().await;
}

// ---------------------------------------------------------------------------------------------
// webhooks

const WEBHOOK_FAST: usize = 5;
const WEBHOOK_SLOW: usize = 5;
const WEBHOOK_SLOW_MS: u64 = 50;

fn webhook_events() -> usize {
    std::env::var("WEBHOOK_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

/// What the receiver got: per endpoint path, each `webhook-id`'s first arrival.
#[derive(Default)]
struct Received {
    first: HashMap<(String, String), Instant>,
    per_path: HashMap<String, usize>,
    copies: usize,
}

impl Received {
    fn count(&self, paths: &[String]) -> usize {
        paths.iter().map(|p| self.per_path.get(p).copied().unwrap_or(0)).sum()
    }
}

type Inbox = std::sync::Arc<std::sync::Mutex<Received>>;

async fn webhook_receiver() -> (String, Inbox) {
    let inbox: Inbox = Default::default();
    let got = inbox.clone();
    let app = axum::Router::new().route(
        "/{kind}/{n}",
        axum::routing::post(
            move |axum::extract::Path((kind, n)): axum::extract::Path<(String, String)>,
                  headers: http::HeaderMap,
                  _body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    if kind == "slow" {
                        tokio::time::sleep(Duration::from_millis(WEBHOOK_SLOW_MS)).await;
                    }
                    if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
                        let mut r = got.lock().unwrap();
                        let path = format!("{kind}/{n}");
                        match r.first.entry((path.clone(), id.to_string())) {
                            std::collections::hash_map::Entry::Occupied(_) => r.copies += 1,
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(Instant::now());
                                *r.per_path.entry(path).or_default() += 1;
                            }
                        }
                    }
                    http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, inbox)
}

/// Publishes `n` lead events of `tenant` (five per lead), returning each `webhook-id` with its
/// publish ack's time.
async fn publish_leads(bus: &platform::nats::Bus, tenant: Uuid, n: usize) -> Vec<(String, Instant)> {
    use partnerline_proto::events::v1 as ev;
    use prost::Message;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(String, async_nats::jetstream::context::PublishAckFuture)>(4096);
    let acks = tokio::spawn(async move {
        let mut out = Vec::new();
        while let Some((id, ack)) = rx.recv().await {
            ack.await.unwrap();
            out.push((id, Instant::now()));
        }
        out
    });
    let subject = bus.naming.subject("customers", Some(tenant), "lead", "submitted");
    let mut lead = Uuid::now_v7();
    for i in 0..n {
        if i % 5 == 0 {
            lead = Uuid::now_v7();
        }
        let msg = ev::LeadSubmitted {
            tenant_id: tenant.to_string(),
            lead_id: lead.to_string(),
            partner_id: Uuid::now_v7().to_string(),
            product_line: "pos".into(),
            company: format!("Shop {i}"),
            contact_name: "Olga".into(),
            wants_sales_support: false,
        };
        let ce = platform::cloudevents::CloudEvent {
            id: Uuid::now_v7().to_string(),
            source: "/partnerline/customers".into(),
            ce_type: platform::cloudevents::CloudEvent::type_name("customers", "lead", "submitted"),
            subject: lead.to_string(),
            time: chrono::Utc::now(),
            tenant: Some(tenant),
            traceparent: None,
        };
        let ack =
            bus.js.publish_with_headers(subject.clone(), ce.to_headers(), msg.encode_to_vec().into()).await.unwrap();
        tx.send((notifications::webhooks::message_id(&ce.id), ack)).await.unwrap();
    }
    drop(tx);
    acks.await.unwrap()
}

/// Waits until every one of `paths` has each of `ids`, or `limit` passes; the latencies from
/// publish to arrival on those paths, and when the last arrived.
async fn arrivals(
    inbox: &Inbox,
    paths: &[String],
    before: usize,
    ids: &[(String, Instant)],
    limit: Duration,
) -> (Series, Instant) {
    let started = Instant::now();
    let want = before + paths.len() * ids.len();
    loop {
        let have = inbox.lock().unwrap().count(paths);
        if have >= want || started.elapsed() > limit {
            if have < want {
                println!("  only {have} of {want} deliveries after {:.0} s", limit.as_secs_f64());
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let r = inbox.lock().unwrap();
    let mut s = Series::new("");
    let mut last = ids.first().map(|(_, t)| *t).unwrap_or_else(Instant::now);
    for p in paths {
        for (id, at) in ids {
            if let Some(got) = r.first.get(&(p.clone(), id.clone())) {
                s.add(got.saturating_duration_since(*at));
                last = last.max(*got);
            }
        }
    }
    (s, last)
}

/// Posts every body to the fast paths from a plain client, `in_flight` at once per path.
async fn bare_posts(url: &str, paths: &[String], bodies: std::sync::Arc<[String]>, in_flight: usize) -> (Series, f64) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut all = Series::new("bare client to the fast endpoints");
    let mut tasks = Vec::new();
    for p in paths {
        for w in 0..in_flight {
            // Every worker shares the one copy of the bodies.
            let (client, target, bodies) = (client.clone(), format!("{url}/{p}"), bodies.clone());
            tasks.push(tokio::spawn(async move {
                let mut s = Vec::new();
                for (i, b) in bodies.iter().enumerate().skip(w).step_by(in_flight) {
                    let t = Instant::now();
                    let res = client
                        .post(&target)
                        .header("webhook-id", format!("bare_{i}"))
                        .header("content-type", "application/json")
                        .body(b.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(res.status().is_success());
                    s.push(t.elapsed());
                }
                s
            }));
        }
    }
    for t in tasks {
        for d in t.await.unwrap() {
            all.add(d);
        }
    }
    let rate = all.micros.len() as f64 / started.elapsed().as_secs_f64();
    (all, rate)
}

async fn webhooks() {
    let n = webhook_events();
    println!(
        "webhooks: {n} events to {WEBHOOK_FAST} fast endpoints, then {n} more beside {WEBHOOK_SLOW} slow ones ({WEBHOOK_SLOW_MS} ms), beside a bare client…"
    );
    let sys = TestSystem::start_with(bench_options()).await;
    let admin = sys.demo_admin().await;
    let tenant: Uuid = admin.get("/api/v1/me", 200).await["tenant_id"].as_str().unwrap().parse().unwrap();
    let bus = platform::nats::Bus::connect(&sys.env.config.nats, "bench-webhooks").await.unwrap();
    let (url, inbox) = webhook_receiver().await;
    let fast: Vec<String> = (0..WEBHOOK_FAST).map(|i| format!("fast/{i}")).collect();
    let slow: Vec<String> = (0..WEBHOOK_SLOW).map(|i| format!("slow/{i}")).collect();
    let per_endpoint = notifications::deliverer::WebhooksConfig::default().per_endpoint;

    // The baseline: the bodies the deliverer would send, posted by a bare client.
    let bodies: std::sync::Arc<[String]> = (0..n)
        .map(|i| {
            let data = json!({ "tenant_id": tenant, "lead_id": Uuid::now_v7(), "company": format!("Shop {i}"),
                               "contact_name": "Olga", "product_line": "pos", "partner_id": Uuid::now_v7() });
            notifications::webhooks::envelope("customers.lead.submitted", chrono::Utc::now(), data)
        })
        .collect();
    // Paths of their own, so the receiver does not count them as the deliverer's.
    let bare_paths: Vec<String> = (0..WEBHOOK_FAST).map(|i| format!("bare/{i}")).collect();
    let (mut bare, bare_rate) = bare_posts(&url, &bare_paths, bodies, per_endpoint).await;
    println!("  bare client: {bare_rate:.0} posts/s to {WEBHOOK_FAST} endpoints, {per_endpoint} in flight each");

    let register = |path: &String| {
        let body = json!({ "url": format!("{url}/{path}"), "event_types": ["customers.lead.*"], "description": path });
        let admin = &admin;
        async move { admin.post("/api/v1/webhooks", &body, 201).await["endpoint"]["id"].as_str().unwrap().to_string() }
    };
    for p in &fast {
        register(p).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Fast endpoints alone.
    let started = Instant::now();
    let ids = publish_leads(&bus, tenant, n).await;
    let published_in = started.elapsed();
    let (mut alone, last) = arrivals(&inbox, &fast, 0, &ids, Duration::from_secs(3600)).await;
    let alone_rate = alone.micros.len() as f64 / last.duration_since(started).as_secs_f64();
    alone.name = "fast endpoints alone: publish → received".into();
    println!(
        "  alone: published in {:.1} s; {alone_rate:.0} deliveries/s, p50 {:.0} ms, p99 {:.0} ms",
        published_in.as_secs_f64(),
        alone.pct(0.5),
        alone.pct(0.99)
    );

    // The same beside slow endpoints.
    let mut slow_ids = Vec::new();
    for p in &slow {
        slow_ids.push(register(p).await);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = inbox.lock().unwrap().count(&fast);
    let started = Instant::now();
    let ids = publish_leads(&bus, tenant, n).await;
    let (mut beside, last) = arrivals(&inbox, &fast, before, &ids, Duration::from_secs(3600)).await;
    let fast_done = last.duration_since(started).as_secs_f64();
    let beside_rate = beside.micros.len() as f64 / fast_done;
    beside.name = "fast endpoints beside slow: publish → received".into();
    let slow_got = inbox.lock().unwrap().count(&slow);
    let slow_rate = slow_got as f64 / started.elapsed().as_secs_f64();
    println!(
        "  beside slow: {beside_rate:.0} fast deliveries/s, p50 {:.0} ms, p99 {:.0} ms; slow endpoints {slow_got} delivered ({slow_rate:.0}/s)",
        beside.pct(0.5),
        beside.pct(0.99)
    );
    let copies = inbox.lock().unwrap().copies;
    for id in &slow_ids {
        admin.patch(&format!("/api/v1/webhooks/{id}"), &json!({ "enabled": false }), 200).await;
    }
    bare.name = "bare client post (each)".into();
    let ratio = alone_rate / bare_rate;
    let p99_ratio = beside.pct(0.99) / alone.pct(0.99);
    let summary = json!({
        "events": n, "bare_posts_per_s": bare_rate, "fast_alone_per_s": alone_rate, "fast_beside_slow_per_s": beside_rate,
        "ratio": ratio, "target_ratio": 0.5, "p99_alone_ms": alone.pct(0.99), "p99_beside_slow_ms": beside.pct(0.99),
        "p99_ratio": p99_ratio, "target_p99_ratio": 1.5, "slow_delivered": slow_got, "slow_per_s": slow_rate,
        "copies_received": copies,
    });
    report("webhooks", &[&bare, &alone, &beside], summary);
    println!(
        "  fast deliveries {alone_rate:.0}/s vs bare {bare_rate:.0}/s → {ratio:.2}× (target ≥ 0.5×) — {}; p99 beside slow {:.0} ms vs alone {:.0} ms → {p99_ratio:.2}× (target ≤ 1.5×) — {}; {copies} copies",
        if ratio >= 0.5 { "met" } else { "MISSED" },
        beside.pct(0.99),
        alone.pct(0.99),
        if p99_ratio <= 1.5 { "met" } else { "MISSED" },
    );
    sys.stop().await;
}
