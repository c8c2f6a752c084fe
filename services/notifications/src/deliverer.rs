//! I2: the deliverer posts the webhook messages that are due, signed per Standard Webhooks, and
//! logs every attempt. Each endpoint has a few deliveries in flight at most, so a slow one
//! holds its own and never the others'; a failed delivery goes back on the schedule
//! (`webhooks::retry_after`) until it succeeds or has failed for good.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use platform::Clock;
use platform::db::TenantTx;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::Draft;
use crate::store::{self, Due, Outcome};
use crate::webhooks;

/// The `[notifications.webhooks]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How long an endpoint has to answer.
    pub timeout_secs: u64,
    /// How often the deliverer looks for messages due (it also looks when one ends).
    pub deliver_every_ms: u64,
    /// Deliveries in flight in this process, and to one endpoint.
    pub in_flight: usize,
    pub per_endpoint: usize,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig { timeout_secs: 15, deliver_every_ms: 200, in_flight: 64, per_endpoint: 8 }
    }
}

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

#[derive(Clone)]
pub struct Deliverer {
    http: reqwest::Client,
    config: WebhooksConfig,
    /// Outside a development run, addresses are checked again at every delivery.
    dev: bool,
    wake: Arc<Notify>,
    busy: Arc<Mutex<HashMap<Uuid, usize>>>,
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
            busy: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Delivers what is due until `shutdown`; what is in flight then is let go with its lease.
    pub async fn run(self, pool: PgPool, clock: Clock, shutdown: CancellationToken) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(self.config.in_flight.max(1)));
        let every = Duration::from_millis(self.config.deliver_every_ms.max(10));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
            }
            if permits.available_permits() == 0 {
                continue;
            }
            let busy: Vec<Uuid> = {
                let b = self.busy.lock().unwrap_or_else(|e| e.into_inner());
                b.iter().filter(|(_, n)| **n >= self.config.per_endpoint).map(|(id, _)| *id).collect()
            };
            let due = match store::claim(&pool, clock.now(), self.config.per_endpoint as i64, &busy, 60.0).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "the deliverer could not claim what is due");
                    continue;
                }
            };
            for d in due {
                let Ok(permit) = permits.clone().acquire_owned().await else { return Ok(()) };
                *self.busy.lock().unwrap_or_else(|e| e.into_inner()).entry(d.endpoint_id).or_default() += 1;
                let (me, pool, clock) = (self.clone(), pool.clone(), clock.clone());
                tokio::spawn(async move {
                    if let Err(e) = me.deliver(&pool, &clock, &d).await {
                        tracing::warn!(
                            error = format!("{e:#}"),
                            message = d.message_id,
                            "a webhook attempt was not recorded"
                        );
                    }
                    let mut b = me.busy.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(n) = b.get_mut(&d.endpoint_id) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            b.remove(&d.endpoint_id);
                        }
                    }
                    drop(b);
                    drop(permit);
                    me.wake.notify_one();
                });
            }
        }
    }

    /// One attempt: post, log, move the delivery on; tell the merchant when its endpoint was
    /// disabled by it.
    async fn deliver(&self, pool: &PgPool, clock: &Clock, d: &Due) -> anyhow::Result<()> {
        let attempted_at = clock.now();
        let mut o = self.post(d, attempted_at).await;
        if !o.succeeded {
            o.next = webhooks::retry_after(d.failures + 1).map(|wait| attempted_at + wait);
        }
        tracing::debug!(message = d.message_id, endpoint = %d.endpoint_id, status = o.status_code, ok = o.succeeded, "webhook attempt");
        if let Some(url) = store::record(pool, d, &o, webhooks::DISABLE_AFTER).await? {
            tracing::info!(endpoint = %d.endpoint_id, url, "a webhook endpoint failed for 5 days and was disabled");
            let mut tx = TenantTx::begin(pool, d.tenant_id).await?;
            store::insert(&mut tx, &Draft::webhook_disabled(d.endpoint_id, &url), Uuid::now_v7(), attempted_at).await?;
            tx.commit().await?;
        }
        Ok(())
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
