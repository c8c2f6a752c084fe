//! The black-box harness every service's system tests reuse: [`TestSystem::start`] runs the
//! whole system in this process on free ports, against fresh databases and a unique NATS prefix,
//! and hands out a typed REST [`Client`] that asserts the status it expects and, when it gets
//! another, prints the request and the problem body.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test harness: failing loudly is its job

use std::collections::BTreeMap;
use std::time::Duration;

use platform::testkit::TestEnv;
use platform::{Clock, Runtime};
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use serde_json::json;

pub mod browser;
mod db_proxy;
pub mod mail;
pub use db_proxy::DbProxy;
pub use mail::MailSink;

#[derive(Debug, Clone)]
pub struct Options {
    /// Run with `--clock manual`, so `/api/v1/_test/clock` exists and time stands still.
    pub manual_clock: bool,
    /// Seed the demo program (`seed --demo`).
    pub seed_demo: bool,
    /// Configuration sections of services, e.g. `("orders", json!({"webhook_secrets": ...}))`.
    pub sections: Vec<(&'static str, Value)>,
    /// Services reach PostgreSQL through a [`DbProxy`] the test can stop ([`TestSystem::db`]).
    pub db_proxy: bool,
    /// Services not started with the others: the test starts (and kills) them with
    /// [`TestSystem::start_detached`].
    pub detached: Vec<&'static str>,
    /// Connections in each service's pool; `None` keeps the tests' small pools (`TestEnv`).
    /// Benchmarks run with the production default, or they measure a starved pool.
    pub max_connections: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            manual_clock: true,
            seed_demo: true,
            sections: Vec::new(),
            db_proxy: false,
            detached: Vec::new(),
            max_connections: None,
        }
    }
}

pub struct TestSystem {
    /// `http://127.0.0.1:<port>` of the gateway.
    pub url: String,
    pub env: TestEnv,
    pub clock: Clock,
    /// The database proxy, with [`Options::db_proxy`].
    pub db: Option<DbProxy>,
    /// The SMTP server the emails go to (N4).
    pub mail: MailSink,
    /// Where the detached services listen, and the configuration they run with.
    detached: BTreeMap<&'static str, std::net::SocketAddr>,
    serve_config: platform::Config,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestSystem {
    pub async fn start() -> TestSystem {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> TestSystem {
        let mut env = TestEnv::new();
        if let Some(n) = opts.max_connections {
            env.config.database.max_connections = n;
        }
        let mail = MailSink::start().await;
        env.config.extra.insert(
            "notifications".to_string(),
            json!({ "smtp": { "host": "127.0.0.1", "port": mail.port, "tls": "none" }, "send_every_ms": 100 }),
        );
        for (name, value) in &opts.sections {
            env.config.extra.insert(name.to_string(), value.clone());
        }
        let mut listeners = BTreeMap::new();
        for name in partnerline::SERVICES {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let ep = env.config.services.get_mut(*name).expect("every service has an endpoint");
            ep.listen = addr;
            ep.url = format!("http://{addr}");
            listeners.insert(*name, l);
        }
        let url = env.config.endpoint("gateway").unwrap().url.clone();
        let clock =
            if opts.manual_clock { Clock::manual("2026-06-01T09:00:00Z".parse().unwrap()) } else { Clock::system() };
        let shutdown = CancellationToken::new();
        let rt = Runtime::new(env.config.clone(), clock.clone(), shutdown.clone());
        partnerline::migrate(&rt, partnerline::SERVICES).await.expect("migrate");
        if opts.seed_demo {
            partnerline::seed_demo(&rt).await.expect("seed --demo");
        }
        let mut detached = BTreeMap::new();
        for name in &opts.detached {
            let l = listeners.remove(name).expect("a detached service is a service");
            detached.insert(*name, l.local_addr().unwrap());
        }
        let (rt, db) = if opts.db_proxy {
            // Migrated and seeded directly; served through the proxy.
            let mut direct: reqwest::Url = env.config.database.url.parse().expect("database url");
            let upstream = format!("{}:{}", direct.host_str().unwrap_or("127.0.0.1"), direct.port().unwrap_or(5432));
            let proxy = DbProxy::start_to(upstream).await;
            direct.set_host(Some("127.0.0.1")).unwrap();
            direct.set_port(Some(proxy.addr.port())).unwrap();
            let mut config = env.config.clone();
            config.database.url = direct.to_string().trim_end_matches('/').to_string();
            (Runtime::new(config, clock.clone(), shutdown.clone()), Some(proxy))
        } else {
            (rt, None)
        };
        let serve_config = (*rt.config).clone();
        let task = tokio::spawn(partnerline::serve(rt, listeners));
        let sys = TestSystem { url, env, clock, db, mail, detached, serve_config, shutdown, task };
        sys.wait_healthy().await;
        sys
    }

    async fn wait_healthy(&self) {
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{}/healthz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the gateway at {} did not become healthy", self.url);
    }

    /// Starts a service named in [`Options::detached`] on its address, with its own runtime.
    pub async fn start_detached(&self, name: &'static str) -> Detached {
        let addr = self.detached[name];
        let mut listener = None;
        for _ in 0..100 {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let listener = listener.unwrap_or_else(|| panic!("{name} cannot listen on {addr} again"));
        let shutdown = self.shutdown.child_token();
        let rt = Runtime::new(self.serve_config.clone(), self.clock.clone(), shutdown.clone());
        let task = tokio::spawn(partnerline::serve(rt, BTreeMap::from([(name, listener)])));
        Detached { task, shutdown }
    }

    /// An anonymous client.
    pub fn client(&self) -> Client {
        Client { http: reqwest::Client::new(), base: self.url.clone(), token: None }
    }

    /// Signs in through `POST /api/v1/auth/login` and returns a client carrying the access token.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let body =
            self.client().post("/api/v1/auth/login", &json!({ "email": email, "password": password }), 200).await;
        let token = body["access_token"].as_str().expect("access_token").to_string();
        Client { token: Some(token), ..self.client() }
    }

    /// The seeded merchant admin of the demo program.
    pub async fn demo_admin(&self) -> Client {
        self.login("admin@demo.test", "demo-admin").await
    }

    /// A second program, `other`, created by the platform admin, with its admin and one partner
    /// (Zed): the other tenant of cross-tenant checks (A2).
    pub async fn other_program(&self) -> OtherProgram {
        let root = self.login("root@partnerline.test", "demo-root").await;
        let tenant = json!({ "slug": "other", "name": "Other", "admin_email": "admin@other.test", "admin_password": "other-admin" });
        root.post("/api/v1/tenants", &tenant, 201).await;
        let admin = self.login("admin@other.test", "other-admin").await;
        let zed = json!({ "name": "Zed", "email": "zed@other.test", "password": "zed-password" });
        let created = admin.post("/api/v1/partners", &zed, 201).await;
        let partner_id = created["id"].as_str().expect("partner id").to_string();
        let partner = self.login("zed@other.test", "zed-password").await;
        OtherProgram { admin, partner, partner_id }
    }

    /// Waits until an event whose subject (without the test prefix) ends with `suffix` is on the
    /// `context` stream, and returns its subject and CloudEvents headers.
    pub async fn wait_for_event(&self, context: &str, suffix: &str) -> (String, BTreeMap<String, String>) {
        self.wait_for_event_about(context, suffix, None).await
    }

    /// Like [`Self::wait_for_event`], for the event about one aggregate (`ce-subject`) when given.
    pub async fn wait_for_event_about(
        &self,
        context: &str,
        suffix: &str,
        about: Option<&str>,
    ) -> (String, BTreeMap<String, String>) {
        let bus = platform::nats::Bus::connect(&self.env.config.nats, "e2e-reader").await.unwrap();
        for _ in 0..100 {
            if let Ok(mut stream) = bus.js.get_stream(bus.naming.stream(context)).await {
                let n = stream.info().await.map(|i| i.state.messages).unwrap_or(0);
                for seq in 1..=n {
                    if let Ok(m) = stream.get_raw_message(seq).await {
                        let subject = bus.naming.strip(m.subject.as_str()).to_string();
                        let about_it =
                            about.is_none_or(|a| m.headers.get("ce-subject").is_some_and(|v| v.as_str() == a));
                        if subject.ends_with(suffix) && about_it {
                            let headers = m
                                .headers
                                .iter()
                                .map(|(k, v)| {
                                    (k.to_string(), v.first().map(|v| v.as_str().to_string()).unwrap_or_default())
                                })
                                .collect();
                            return (subject, headers);
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no event ending in {suffix} on the {context} stream");
    }

    /// Every payload on the `context` stream whose subject ends with `suffix` and whose
    /// `ce-subject` is `about`, oldest first, decoded as `M` (waits for the first one).
    pub async fn events<M: prost::Message + Default>(&self, context: &str, suffix: &str, about: &str) -> Vec<M> {
        self.wait_for_event_about(context, suffix, Some(about)).await;
        let bus = platform::nats::Bus::connect(&self.env.config.nats, "e2e-reader").await.unwrap();
        let mut stream = bus.js.get_stream(bus.naming.stream(context)).await.unwrap();
        let n = stream.info().await.unwrap().state.messages;
        let mut out = Vec::new();
        for seq in 1..=n {
            let Ok(m) = stream.get_raw_message(seq).await else { continue };
            let subject = bus.naming.strip(m.subject.as_str()).to_string();
            if subject.ends_with(suffix) && m.headers.get("ce-subject").is_some_and(|v| v.as_str() == about) {
                out.push(M::decode(m.payload.as_ref()).expect("payload decodes"));
            }
        }
        out
    }

    /// Publishes `msg` as `context`'s `aggregate.event` about `about` (a new event id), the way a
    /// service's relay does: for a test that needs an event to arrive late.
    pub async fn publish<M: prost::Message>(
        &self,
        (context, aggregate, event): (&str, &str, &str),
        tenant: &str,
        about: &str,
        msg: &M,
    ) {
        let bus = platform::nats::Bus::connect(&self.env.config.nats, "e2e-writer").await.unwrap();
        let tenant = uuid::Uuid::parse_str(tenant).unwrap();
        let ce = platform::cloudevents::CloudEvent {
            id: uuid::Uuid::now_v7().to_string(),
            source: format!("/partnerline/{context}"),
            ce_type: platform::cloudevents::CloudEvent::type_name(context, aggregate, event),
            subject: about.to_string(),
            time: self.clock.now(),
            tenant: Some(tenant),
            traceparent: None,
        };
        let subject = bus.naming.subject(context, Some(tenant), aggregate, event);
        let ack = bus.js.publish_with_headers(subject, ce.to_headers(), msg.encode_to_vec().into()).await.unwrap();
        ack.await.unwrap();
    }

    /// Stops every service gracefully and removes the databases and streams.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let r = tokio::time::timeout(Duration::from_secs(30), &mut self.task).await;
        self.env.cleanup().await;
        r.expect("the system stopped within 30 s").expect("join").expect("services ended cleanly");
    }
}

/// What [`TestSystem::other_program`] made.
pub struct OtherProgram {
    pub admin: Client,
    pub partner: Client,
    pub partner_id: String,
}

/// A service the test started alone ([`TestSystem::start_detached`]).
pub struct Detached {
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    shutdown: CancellationToken,
}

impl Detached {
    /// Kills the service where it stands (its task is aborted: no graceful shutdown).
    pub fn kill(&mut self) {
        self.task.abort();
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A response: status, headers and the body (JSON when it is JSON, else a string value).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// A REST client for the gateway.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn with_token(&self, token: &str) -> Client {
        Client { token: Some(token.to_string()), ..self.clone() }
    }

    /// Sends a request with optional raw body and extra headers; asserts nothing.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, &str)>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some((content_type, text)) = body {
            req = req.header("content-type", content_type).body(text.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, headers, body }
    }

    /// Sends JSON and asserts the status; on a mismatch prints the request and the body.
    pub async fn expect(&self, method: Method, path: &str, body: Option<&Value>, status: u16) -> Value {
        self.expect_with(method, path, body, &[], status).await.body
    }

    pub async fn expect_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        status: u16,
    ) -> Reply {
        let text = body.map(|b| b.to_string());
        let reply = self.send(method.clone(), path, text.as_deref().map(|t| ("application/json", t)), headers).await;
        assert_eq!(
            reply.status,
            status,
            "\n{method} {path}\nrequest: {}\nexpected {status}, got {}:\n{}",
            text.unwrap_or_default(),
            reply.status,
            serde_json::to_string_pretty(&reply.body).unwrap_or_default()
        );
        reply
    }

    pub async fn get(&self, path: &str, status: u16) -> Value {
        self.expect(Method::GET, path, None, status).await
    }

    pub async fn post(&self, path: &str, body: &Value, status: u16) -> Value {
        self.expect(Method::POST, path, Some(body), status).await
    }

    pub async fn patch(&self, path: &str, body: &Value, status: u16) -> Value {
        self.expect(Method::PATCH, path, Some(body), status).await
    }

    pub async fn delete(&self, path: &str, status: u16) -> Value {
        self.expect(Method::DELETE, path, None, status).await
    }
}

/// Polls `path` with `c` for up to 30 seconds until `done` holds, and returns the last body.
pub async fn until(c: &Client, path: &str, done: impl Fn(&Value) -> bool) -> Value {
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

/// The partner's referral code (L1), once attribution has made its link.
pub async fn referral_code(partner: &Client) -> String {
    let links = until(partner, "/api/v1/links", |l| {
        l["items"].as_array().is_some_and(|i| i.iter().any(|l| l["kind"] == "referral"))
    })
    .await;
    let found = links["items"].as_array().into_iter().flatten().find(|l| l["kind"] == "referral");
    found.and_then(|l| l["code"].as_str()).unwrap_or_default().to_string()
}

/// Asserts that a reply is an RFC 9457 problem with this status and code, naming `field` if given.
pub fn assert_problem(reply: &Reply, status: u16, code: &str, field: Option<&str>) {
    let ct = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(ct, "application/problem+json", "{reply:?}");
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.body["status"], status, "{reply:?}");
    assert_eq!(reply.body["code"], code, "{reply:?}");
    assert!(
        reply.body["title"].is_string() && reply.body["detail"].is_string() && reply.body["type"].is_string(),
        "{reply:?}"
    );
    if let Some(field) = field {
        let named = reply.body["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["field"] == field));
        assert!(named, "the problem names `{field}`: {reply:?}");
    }
}
