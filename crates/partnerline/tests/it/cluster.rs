//! Issue 18: the topology the chart deploys, as OS processes on 127.0.0.1. Identity and
//! customers run once; orders, attribution, commissions and the gateway twice each. A caller
//! reaches a replicated service through a small TCP balancer (what a ClusterIP Service is to
//! it). Orders go in through both gateways; one replica of each replicated service is killed
//! with SIGKILL mid-load; the ledger must still hold exactly one commission per order that
//! exists, and the hold releases that both commissions replicas race to make happen once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform::testkit::TestEnv;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

const SERVICES: [&str; 7] =
    ["identity", "customers", "orders", "attribution", "commissions", "notifications", "gateway"];
/// Services run twice; the others once.
const REPLICATED: [&str; 4] = ["orders", "attribution", "commissions", "gateway"];
const ORDERS: usize = 60;
/// The default rate of the demo program (C1) on a 100.00 product.
const COMMISSION: &str = "10.00";

/// A port no other process of the test has been given, below the kernel's ephemeral range
/// (32768 up on Linux): a port picked there can be taken, before its process listens, as the
/// local end of some outgoing connection (each service holds dozens), and the process then
/// cannot start.
fn free_port() -> SocketAddr {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // A start of our own per run, so concurrent runs on one machine rarely meet.
    let start = std::process::id() as usize * 97;
    loop {
        // 20000..32000: below the ephemeral range.
        let port = u16::try_from(20_000 + (start + NEXT.fetch_add(1, Ordering::SeqCst)) % 12_000).unwrap();
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return l.local_addr().unwrap();
        }
    }
}

/// Forwards each connection to the first replica that accepts it, starting with the next one in
/// turn: what a Service's kube-proxy does for a client that connects anew.
async fn balancer(replicas: Vec<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let turn = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let (replicas, turn) = (replicas.clone(), turn.clone());
            tokio::spawn(async move {
                let first = turn.fetch_add(1, Ordering::Relaxed);
                for i in 0..replicas.len() {
                    if let Ok(mut outbound) = TcpStream::connect(replicas[(first + i) % replicas.len()]).await {
                        let _ = outbound.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    addr
}

struct Process {
    name: String,
    child: Child,
    admin: SocketAddr,
    log: PathBuf,
}

struct Cluster {
    env: TestEnv,
    processes: Vec<Process>,
    /// Every replica's own address, by service.
    replicas: BTreeMap<&'static str, Vec<SocketAddr>>,
    /// Where callers reach each service (a balancer for the replicated ones).
    reach: BTreeMap<&'static str, SocketAddr>,
    logs: PathBuf,
}

impl Cluster {
    async fn start() -> Cluster {
        let env = TestEnv::new();
        let logs = std::env::temp_dir().join(format!("partnerline-cluster-{}", env.id));
        std::fs::create_dir_all(&logs).unwrap();
        let mut replicas = BTreeMap::new();
        let mut reach = BTreeMap::new();
        for s in SERVICES {
            let n = if REPLICATED.contains(&s) { 2 } else { 1 };
            let addrs: Vec<SocketAddr> = (0..n).map(|_| free_port()).collect();
            let at = if n == 1 { addrs[0] } else { balancer(addrs.clone()).await };
            replicas.insert(s, addrs);
            reach.insert(s, at);
        }
        let mut cluster = Cluster { env, processes: Vec::new(), replicas, reach, logs };
        let seed = cluster.command(None, &["seed", "--demo"]).status().unwrap();
        assert!(seed.success(), "partnerline seed --demo failed: see {}", cluster.logs.display());
        for s in SERVICES {
            for i in 0..cluster.replicas[s].len() {
                cluster.spawn(s, i);
            }
        }
        for p in &cluster.processes {
            wait_ready(p).await;
        }
        cluster
    }

    /// `partnerline <args>` with this cluster's configuration; `replica` names the process's
    /// own service and replica, which listen on their own addresses.
    fn command(&self, replica: Option<(&str, usize)>, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_partnerline"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.process_env())
            .env("PARTNERLINE_DATABASE__MAX_CONNECTIONS", "4")
            .env("PARTNERLINE_TELEMETRY__LOG_FORMAT", "pretty")
            .env("PARTNERLINE_TELEMETRY__LOG_LEVEL", "info,sqlx=warn")
            .stdin(Stdio::null());
        for s in SERVICES {
            let key = s.to_ascii_uppercase();
            let listen = match replica {
                Some((own, i)) if own == s => self.replicas[s][i],
                _ => self.reach[s],
            };
            cmd.env(format!("PARTNERLINE_SERVICES__{key}__LISTEN"), listen.to_string())
                .env(format!("PARTNERLINE_SERVICES__{key}__URL"), format!("http://{}", self.reach[s]));
        }
        let name = replica.map(|(s, i)| format!("{s}-{i}")).unwrap_or_else(|| "seed".into());
        let log = std::fs::File::create(self.logs.join(format!("{name}.log"))).unwrap();
        cmd.stdout(log.try_clone().unwrap()).stderr(log);
        cmd
    }

    fn spawn(&mut self, service: &'static str, replica: usize) {
        let admin = free_port();
        let mut cmd = self.command(Some((service, replica)), &["serve", "--target", service, "--clock", "manual"]);
        cmd.env("PARTNERLINE_ADMIN__LISTEN", admin.to_string());
        let name = format!("{service}-{replica}");
        let log = self.logs.join(format!("{name}.log"));
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.processes.push(Process { name, child, admin, log });
    }

    /// SIGKILL: no graceful shutdown, no flushed relay, no finished batch.
    fn kill(&mut self, name: &str) {
        let p = self.processes.iter_mut().find(|p| p.name == name).unwrap();
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }

    fn gateways(&self) -> Vec<String> {
        self.replicas["gateway"].iter().map(|a| format!("http://{a}")).collect()
    }

    /// Moves the manual clock of every live process by the same amount.
    async fn advance(&mut self, by: Duration) {
        let http = reqwest::Client::new();
        for p in &mut self.processes {
            if p.child.try_wait().unwrap().is_some() {
                continue;
            }
            let url = format!("http://{}/clock?advance_seconds={}", p.admin, by.as_secs());
            let r = http.post(url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{}: move the clock", p.name);
        }
    }

    async fn stop(mut self) {
        for p in &mut self.processes {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
        self.env.cleanup().await;
        let _ = std::fs::remove_dir_all(&self.logs);
    }
}

/// A test that panics still leaves no process behind: they would outlive it, retrying against
/// databases and streams its environment dropped.
impl Drop for Cluster {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

async fn wait_ready(p: &Process) {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("http://{}/readyz", p.admin)).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(&p.log).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(30).collect();
    panic!("{} never became ready; its log ends:\n{}", p.name, tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
}

/// One REST call through the first gateway that answers: a gateway that is gone, or an answer
/// of 5xx (a replica behind it just died), moves on to the next and, after a pause, again.
async fn call(gateways: &[String], token: &str, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let mut last = String::new();
    for attempt in 0..60 {
        let base = &gateways[attempt % gateways.len()];
        let mut req = http.request(method.clone(), format!("{base}{path}")).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => return r.json().await.unwrap_or(Value::Null),
            Ok(r) if r.status().is_server_error() || r.status() == 429 => {
                last = format!("{} {}", r.status(), r.text().await.unwrap_or_default());
            }
            Ok(r) => panic!("{method} {path}: {} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{method} {path}: no gateway answered: {last}");
}

async fn login(gateways: &[String], email: &str, password: &str) -> String {
    let body = json!({ "email": email, "password": password });
    let http = reqwest::Client::new();
    for _ in 0..100 {
        for base in gateways {
            if let Ok(r) = http.post(format!("{base}/api/v1/auth/login")).json(&body).send().await
                && r.status() == 200
            {
                let v: Value = r.json().await.unwrap();
                return v["access_token"].as_str().unwrap().to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{email} cannot sign in");
}

fn dec(v: &Value) -> Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not a decimal: {v}"))
}

/// Every entry of the partner's ledger, all pages.
async fn ledger(gateways: &[String], token: &str, partner: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/ledger?partner_id={partner}&limit=200{cursor}");
        let page = call(gateways, token, reqwest::Method::GET, &path, None).await;
        entries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) if !c.is_empty() => cursor = format!("&cursor={c}"),
            _ => return entries,
        }
    }
}

/// Waits until the partner's balance is `want` (pending, held, available), and returns it.
async fn settles(gateways: &[String], token: &str, partner: &str, want: (Decimal, Decimal, Decimal)) -> Value {
    let mut last = Value::Null;
    // Up to 90 s: a killed consumer's unacknowledged events come back after its ack wait.
    for _ in 0..450 {
        let path = format!("/api/v1/balances?partner_id={partner}");
        last = call(gateways, token, reqwest::Method::GET, &path, None).await["items"][0].clone();
        if !last.is_null() && (dec(&last["pending"]), dec(&last["held"]), dec(&last["available"])) == want {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the balance never reached {want:?}: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c3_c11_replicas_killed_mid_load_lose_and_double_nothing() {
    let mut cluster = Cluster::start().await;
    let gateways = cluster.gateways();
    let admin = login(&gateways, "admin@demo.test", "demo-admin").await;
    let post = reqwest::Method::POST;

    // A partner of its own, so the demo's orders do not mix in; a product of 100.00; a customer.
    let partner = json!({ "name": "Kai Replica", "email": "kai@demo.test", "password": "demo-partner", "trust_level": "trusted" });
    let kai_id = call(&gateways, &admin, post.clone(), "/api/v1/partners", Some(&partner)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let product = json!({ "sku": "REPLICA-100", "name": "Replica", "base_price": "100.00", "kind": "physical" });
    let product_id = call(&gateways, &admin, post.clone(), "/api/v1/products", Some(&product)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kai = login(&gateways, "kai@demo.test", "demo-partner").await;
    let customer = json!({ "name": "Replica Bar" });
    let customer_id = call(&gateways, &kai, post.clone(), "/api/v1/customers", Some(&customer)).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The load: four workers place orders for Kai's customer through both gateways; after a
    // third of them, one replica of each replicated service dies.
    let placed = Arc::new(tokio::sync::Mutex::new(BTreeSet::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (gateways, kai, placed, next) = (gateways.clone(), kai.clone(), placed.clone(), next.clone());
        let order = json!({ "customer_id": customer_id, "items": [{ "product_id": product_id, "quantity": 1 }],
                            "payment_method": "bank_transfer" });
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < ORDERS {
                let mine: Vec<String> =
                    if w % 2 == 0 { gateways.clone() } else { gateways.iter().rev().cloned().collect() };
                let o = call(&mine, &kai, reqwest::Method::POST, "/api/v1/orders", Some(&order)).await;
                placed.lock().await.insert(o["order"]["id"].as_str().unwrap().to_string());
            }
        }));
    }
    while placed.lock().await.len() < ORDERS / 3 && !workers.iter().any(|w| w.is_finished()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for s in REPLICATED {
        cluster.kill(&format!("{s}-0"));
    }
    for w in workers {
        w.await.unwrap();
    }
    let gateways = vec![gateways[1].clone()];
    let acknowledged = placed.lock().await.clone();
    assert_eq!(acknowledged.len(), ORDERS);

    // The test's oracle: the orders that exist. Every acknowledged one does (nothing lost); a
    // request whose gateway died before answering may have made one more, which is an order too.
    let listed =
        call(&gateways, &admin, reqwest::Method::GET, &format!("/api/v1/orders?partner_id={kai_id}&limit=200"), None)
            .await;
    let existing: BTreeSet<String> =
        listed["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    assert!(acknowledged.is_subset(&existing), "an acknowledged order is missing");
    let n = Decimal::from(existing.len());
    let each: Decimal = COMMISSION.parse().unwrap();
    let advance = |id: &String, statuses: &'static [&'static str]| {
        let (gateways, admin, id) = (gateways.clone(), admin.clone(), id.clone());
        async move {
            for status in statuses {
                let body = json!({ "status": status });
                call(&gateways, &admin, reqwest::Method::POST, &format!("/api/v1/orders/{id}/status"), Some(&body))
                    .await;
            }
        }
    };
    for id in &existing {
        advance(id, &["paid", "confirmed", "in_production", "shipped"]).await;
    }
    settles(&gateways, &admin, &kai_id, (each * n, Decimal::ZERO, Decimal::ZERO)).await;

    // Completed, then past the 4-week hold of a trusted partner and the return window (X5): the
    // killed commissions replica comes back, so two replicas' jobs race to release each hold.
    for id in &existing {
        advance(id, &["completed"]).await;
    }
    settles(&gateways, &admin, &kai_id, (Decimal::ZERO, each * n, Decimal::ZERO)).await;
    cluster.spawn("commissions", 0);
    let restarted = cluster.processes.last().unwrap();
    wait_ready(restarted).await;
    cluster.advance(Duration::from_secs(12 * 7 * 24 * 3600)).await;
    let admin = login(&gateways, "admin@demo.test", "demo-admin").await;
    settles(&gateways, &admin, &kai_id, (Decimal::ZERO, Decimal::ZERO, each * n)).await;

    // Exactly one accrual, one hold and one release per order; nothing else.
    let entries = ledger(&gateways, &admin, &kai_id).await;
    let mut kinds: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &entries {
        *kinds
            .entry((e["order_id"].as_str().unwrap_or("-").to_string(), e["kind"].as_str().unwrap().to_string()))
            .or_default() += 1;
    }
    for id in &existing {
        for kind in ["accrued", "held", "available"] {
            assert_eq!(kinds.get(&(id.clone(), kind.to_string())), Some(&1), "order {id}: {kind} entries");
        }
    }
    assert_eq!(entries.len(), existing.len() * 3, "no other entry for Kai: {entries:?}");
    let check = call(&gateways, &admin, reqwest::Method::GET, "/api/v1/ledger/check", None).await;
    assert_eq!(check["sound"], true, "{check}");
    cluster.stop().await;
}
