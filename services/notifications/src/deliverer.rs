//! I2: the deliverer posts the webhook messages that are due, signed per Standard Webhooks, and
//! logs every attempt. Each endpoint has a lane: at most `per_endpoint` posts in flight, and a
//! queue claimed ahead of them as deep as the endpoint answers in a quarter of the lease, so a
//! fast endpoint is never waiting on the database and a slow one holds only its own lane.
//! Attempts are recorded in batches by one writer; a failed delivery goes back on the schedule
//! (`webhooks::retry_after`) until it succeeds or has failed for good.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use platform::Clock;
use platform::db::TenantTx;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::Draft;
use crate::store::{self, Done, Due, Outcome, Room};
use crate::webhooks;

/// The `[notifications.webhooks]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How long an endpoint has to answer.
    pub timeout_secs: u64,
    /// How often the deliverer looks for messages due (it also looks when attempts are recorded).
    pub deliver_every_ms: u64,
    /// Posts in flight in this process, and to one endpoint.
    pub in_flight: usize,
    pub per_endpoint: usize,
    /// The most deliveries of one endpoint claimed ahead of its posts.
    pub claim_ahead: usize,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig { timeout_secs: 15, deliver_every_ms: 200, in_flight: 256, per_endpoint: 8, claim_ahead: 256 }
    }
}

/// How long a claim is held (database time); a dead deliverer's claims come back then.
const LEASE: Duration = Duration::from_secs(60);

/// Resolves endpoint names to public addresses only, so a name cannot lead a delivery into the
/// cluster (SSRF), whatever it resolved to when the endpoint was registered.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| webhooks::public_address(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// One endpoint's share of this process.
struct Lane {
    /// Claimed and not yet recorded.
    held: usize,
    /// Posts in flight to it.
    gate: Arc<Semaphore>,
    /// Its answers' average time (ms), once it has answered.
    answers_ms: Option<f64>,
    used: Instant,
}

impl Lane {
    /// How many of its deliveries to hold: what it answers in a quarter of the lease at its
    /// average, so none waits in the queue near the end of its lease.
    fn ahead(&self, c: &WebhooksConfig) -> usize {
        let per = c.per_endpoint.max(1);
        match self.answers_ms {
            None => per,
            Some(ms) => {
                let n = (LEASE.as_secs_f64() * 1000.0 / 4.0) * per as f64 / ms.max(1.0);
                (n as usize).clamp(per, c.claim_ahead.max(per))
            }
        }
    }
}

#[derive(Clone)]
pub struct Deliverer {
    http: reqwest::Client,
    config: WebhooksConfig,
    /// Outside a development run, addresses are checked again at every delivery.
    dev: bool,
    wake: Arc<Notify>,
    lanes: Arc<Mutex<HashMap<Uuid, Lane>>>,
}

impl Deliverer {
    pub fn new(config: WebhooksConfig, dev: bool) -> anyhow::Result<Deliverer> {
        let mut b = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Partnerline-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !dev {
            b = b.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Deliverer {
            http: b.build()?,
            config,
            dev,
            wake: Arc::new(Notify::new()),
            lanes: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    fn lanes(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Lane>> {
        self.lanes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers what is due until `shutdown`; what is claimed then is let go with its lease.
    pub async fn run(self, pool: PgPool, clock: Clock, shutdown: CancellationToken) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(self.config.in_flight.max(1)));
        let every = Duration::from_millis(self.config.deliver_every_ms.max(10));
        let (done_tx, done_rx) = mpsc::channel::<Done>(self.config.in_flight.max(1) * 4);
        let recorder = tokio::spawn(self.clone().record(pool.clone(), clock.clone(), done_rx, shutdown.clone()));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
            }
            let room = self.room();
            if room.total <= 0 {
                continue;
            }
            let due = match store::claim(&pool, clock.now(), &room, LEASE.as_secs_f64()).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "the deliverer could not claim what is due");
                    continue;
                }
            };
            let claimed = Instant::now();
            let mut lanes = self.lanes();
            for d in due {
                let lane = lanes.entry(d.endpoint_id).or_insert_with(|| Lane {
                    held: 0,
                    gate: Arc::new(Semaphore::new(self.config.per_endpoint.max(1))),
                    answers_ms: None,
                    used: claimed,
                });
                lane.held += 1;
                lane.used = claimed;
                let (me, gate, permits, done_tx, clock, stop) = (
                    self.clone(),
                    lane.gate.clone(),
                    permits.clone(),
                    done_tx.clone(),
                    clock.clone(),
                    shutdown.clone(),
                );
                tokio::spawn(async move {
                    // The lane first: a slow endpoint's waiting posts hold none of the others'.
                    let Ok(_lane) = gate.acquire_owned().await else { return };
                    let Ok(_permit) = permits.acquire_owned().await else { return };
                    // Let go unposted when stopping, or when the post could outlast the lease.
                    let attempt =
                        if !stop.is_cancelled() && claimed.elapsed() + me.timeout() + Duration::from_secs(5) < LEASE {
                            Some(me.attempt(&clock, &d).await)
                        } else {
                            None
                        };
                    if let Some(o) = &attempt {
                        me.answered(d.endpoint_id, o.duration_ms);
                    }
                    let done = Done {
                        message_id: d.message_id,
                        endpoint_id: d.endpoint_id,
                        tenant_id: d.tenant_id,
                        trigger: d.next_trigger,
                        attempt,
                    };
                    let _ = done_tx.send(done).await;
                });
            }
        }
        drop(done_tx);
        let _ = recorder.await;
        Ok(())
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_secs.max(1))
    }

    /// What the next claim may take: each lane's room up to its depth (a lane is refilled once
    /// half of it is free, not a row at a time), new endpoints `per_endpoint`.
    fn room(&self) -> Room {
        let c = &self.config;
        let mut lanes = self.lanes();
        lanes.retain(|_, l| l.held > 0 || l.used.elapsed() < Duration::from_secs(600));
        let mut r = Room { default_room: c.per_endpoint.max(1) as i32, ..Room::default() };
        let mut held = 0;
        for (id, l) in lanes.iter() {
            held += l.held;
            let ahead = l.ahead(c);
            let free = ahead.saturating_sub(l.held);
            if free == 0 || (l.held > 0 && free * 2 < ahead) {
                r.full.push(*id);
            } else {
                r.endpoints.push(*id);
                r.room.push(free as i32);
            }
        }
        // Memory's bound: what all lanes may hold together.
        let most = c.in_flight.max(1) * 16;
        r.total = most.saturating_sub(held) as i64;
        r
    }

    fn answered(&self, endpoint: Uuid, ms: u32) {
        if let Some(l) = self.lanes().get_mut(&endpoint) {
            let ms = f64::from(ms);
            l.answers_ms = Some(l.answers_ms.map_or(ms, |avg| avg * 0.8 + ms * 0.2));
        }
    }

    /// One attempt: post, and when to try again if it failed.
    async fn attempt(&self, clock: &Clock, d: &Due) -> Outcome {
        let attempted_at = clock.now();
        let mut o = self.post(d, attempted_at).await;
        if !o.succeeded {
            o.next = webhooks::retry_after(d.failures + 1).map(|wait| attempted_at + wait);
        }
        tracing::debug!(message = d.message_id, endpoint = %d.endpoint_id, status = o.status_code, ok = o.succeeded, "webhook attempt");
        o
    }

    /// Writes what the posts gave, as many at a time as have come in while the last write ran;
    /// then frees their lanes and tells the merchants whose endpoints were disabled.
    async fn record(self, pool: PgPool, clock: Clock, mut rx: mpsc::Receiver<Done>, shutdown: CancellationToken) {
        let mut batch = Vec::with_capacity(1024);
        while rx.recv_many(&mut batch, 1024).await > 0 {
            let mut wait = Duration::from_millis(100);
            let disabled = loop {
                match store::record(&pool, &batch, webhooks::DISABLE_AFTER).await {
                    Ok(disabled) => break disabled,
                    // Kept and written again: until their leases end, nobody else posts them.
                    Err(e) => {
                        tracing::warn!(error = %e, attempts = batch.len(), "webhook attempts were not recorded; trying again");
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(wait) => {}
                        }
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            };
            {
                let mut lanes = self.lanes();
                for d in &batch {
                    if let Some(l) = lanes.get_mut(&d.endpoint_id) {
                        l.held = l.held.saturating_sub(1);
                    }
                }
            }
            batch.clear();
            self.wake.notify_one();
            for e in disabled {
                tracing::info!(endpoint = %e.id, url = e.url, "a webhook endpoint failed for 5 days and was disabled");
                if let Err(err) = notify_disabled(&pool, &e, clock.now()).await {
                    tracing::warn!(error = format!("{err:#}"), endpoint = %e.id, "the merchant was not told of a disabled endpoint");
                }
            }
        }
    }

    async fn post(&self, d: &Due, attempted_at: chrono::DateTime<chrono::Utc>) -> Outcome {
        let mut secrets = vec![d.secret.as_str()];
        if let (Some(old), Some(until)) = (&d.previous_secret, d.previous_secret_until)
            && until > attempted_at
        {
            secrets.push(old.as_str());
        }
        // The receiver compares the timestamp with its own clock: the wall clock's, not the
        // service's (which a test may have moved).
        let timestamp = chrono::Utc::now().timestamp();
        let signature = webhooks::signature_header(&secrets, &d.message_id, timestamp, &d.payload);
        let mut o = Outcome {
            attempted_at,
            status_code: 0,
            duration_ms: 0,
            response: String::new(),
            error: String::new(),
            succeeded: false,
            next: None,
        };
        if !self.dev
            && let Err(e) = webhooks::endpoint_url(&d.url, false)
        {
            o.error = e.errors.first().map(|f| format!("url {}", f.message)).unwrap_or_default();
            return o;
        }
        let started = Instant::now();
        let sent = self
            .http
            .post(&d.url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await;
        match sent {
            Ok(r) => {
                o.status_code = r.status().as_u16();
                o.succeeded = r.status().is_success();
                let body = r.bytes().await.unwrap_or_default();
                let head = &body[..body.len().min(1024)];
                o.response = String::from_utf8_lossy(head).replace('\0', "");
            }
            Err(e) => {
                let mut err: &dyn std::error::Error = &e;
                let mut text = e.to_string();
                while let Some(source) = err.source() {
                    text = format!("{text}: {source}");
                    err = source;
                }
                o.error = text.chars().take(500).collect();
            }
        }
        o.duration_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        o
    }
}

async fn notify_disabled(pool: &PgPool, e: &store::Disabled, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    let mut tx = TenantTx::begin(pool, e.tenant_id).await?;
    store::insert(&mut tx, &Draft::webhook_disabled(e.id, &e.url), Uuid::now_v7(), now).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::str::FromStr;

    use reqwest::dns::{Name, Resolve};

    use super::*;

    #[tokio::test]
    async fn i2_outside_a_development_run_a_name_resolving_to_the_machine_leads_nowhere() {
        // localhost resolves to loopback only: a delivery to it is refused at resolution, so a
        // name registered as public and changed later cannot reach the cluster either.
        let err = PublicOnly.resolve(Name::from_str("localhost").unwrap()).await.err().unwrap();
        assert!(err.to_string().contains("no public address"), "{err}");
    }
}
