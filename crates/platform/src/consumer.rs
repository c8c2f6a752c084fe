//! The inbox-guarded consumer loop: a durable JetStream pull consumer with explicit acks. Each
//! event is applied in one transaction together with its id in the `inbox` table, so a
//! redelivery (a crash before the ack, a republished duplicate) changes nothing. A failing
//! event is retried with growing delays, then sent to the dead-letter subject.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::cloudevents::CloudEvent;
use crate::metrics::{Metrics, labels};
use crate::nats::Bus;

/// An event as a handler sees it.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    pub id: String,
    pub ce_type: String,
    /// Subject without the installation prefix: `identity.<tenant>.partner.approved`.
    pub subject: String,
    pub tenant: Option<Uuid>,
    pub time: DateTime<Utc>,
    pub payload: Bytes,
    /// 1 on first delivery.
    pub delivered: i64,
}

impl IncomingEvent {
    /// The event name: the subject's last two tokens (`partner.approved`).
    pub fn name(&self) -> String {
        let parts: Vec<&str> = self.subject.split('.').collect();
        parts[parts.len().saturating_sub(2)..].join(".")
    }
}

/// Applies one event inside the given transaction. An error rolls it back and retries later.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, conn: &mut PgConnection, event: &IncomingEvent)
    -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Durable name, shared by the replicas of the consuming service.
    pub durable: String,
    /// The context whose stream is read (`identity`).
    pub stream_context: String,
    /// Subject filters without the prefix (`identity.*.partner.approved`); empty = whole stream.
    pub filter_subjects: Vec<String>,
    /// Deliveries before an event goes to the dead-letter subject.
    pub max_deliver: i64,
    /// Delay before redelivery after the n-th failure (the last value repeats).
    pub backoff: Vec<Duration>,
    /// How long an unacknowledged delivery waits before it is redelivered (a crashed handler).
    pub ack_wait: Duration,
    /// Test hook: this many times, commit the effect and then die before acking.
    #[doc(hidden)]
    pub crash_after_commit: Arc<AtomicUsize>,
}

impl ConsumerSpec {
    pub fn new(durable: &str, stream_context: &str, filters: &[&str]) -> Self {
        ConsumerSpec {
            durable: durable.to_string(),
            stream_context: stream_context.to_string(),
            filter_subjects: filters.iter().map(|s| s.to_string()).collect(),
            max_deliver: 5,
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ],
            ack_wait: Duration::from_secs(30),
            crash_after_commit: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn delay(&self, delivered: i64) -> Duration {
        let i = usize::try_from(delivered.saturating_sub(1)).unwrap_or(0);
        self.backoff.get(i).or(self.backoff.last()).copied().unwrap_or(Duration::from_secs(1))
    }
}

enum Outcome {
    Applied,
    Duplicate,
    /// Not a subject the consumer reads (a server without multi-filter consumers sent it).
    Skipped,
    Retried,
    DeadLettered,
    Crashed,
}

/// Runs the consumer until `shutdown`. Replicas calling this with the same spec share the work.
pub async fn run<H: Handler>(
    pool: PgPool,
    bus: Bus,
    metrics: Metrics,
    spec: ConsumerSpec,
    handler: H,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let stream = bus.ensure_stream(&spec.stream_context).await?;
    bus.ensure_dead_letter_stream().await?;
    let filters: Vec<String> = spec.filter_subjects.iter().map(|f| bus.naming.filter(f)).collect();
    // One filter goes in `filter_subject`, which every JetStream server honours; several go in
    // `filter_subjects` (NATS 2.10+). Servers before 2.10 ignore the latter and send the whole
    // stream, so the loop below also skips what no filter matches.
    let (filter_subject, filter_subjects) = match filters.as_slice() {
        [one] => (one.clone(), Vec::new()),
        _ => (String::new(), filters.clone()),
    };
    let consumer = stream
        .get_or_create_consumer(
            &spec.durable,
            pull::Config {
                durable_name: Some(spec.durable.clone()),
                ack_policy: AckPolicy::Explicit,
                deliver_policy: DeliverPolicy::All,
                ack_wait: spec.ack_wait,
                max_deliver: spec.max_deliver,
                filter_subject,
                filter_subjects,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("consumer {}: {e}", spec.durable))?;

    while !shutdown.is_cancelled() {
        let batch = tokio::select! {
            _ = shutdown.cancelled() => break,
            b = consumer.fetch().max_messages(64).expires(Duration::from_secs(2)).messages() => b,
        };
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(consumer = %spec.durable, error = %e, "fetch failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        while let Some(msg) = batch.next().await {
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(consumer = %spec.durable, error = %e, "bad delivery");
                    continue;
                }
            };
            let outcome = if filters.is_empty() || filters.iter().any(|f| subject_matches(f, msg.subject.as_str())) {
                process(&pool, &bus, &spec, &handler, &msg).await
            } else {
                ack(&msg).await.map(|()| Outcome::Skipped)
            };
            let name = match outcome {
                Ok(Outcome::Applied) => "applied",
                Ok(Outcome::Duplicate) => "duplicate",
                Ok(Outcome::Skipped) => "skipped",
                Ok(Outcome::Retried) => "retried",
                Ok(Outcome::DeadLettered) => "dead_lettered",
                Ok(Outcome::Crashed) => {
                    return Err(anyhow::anyhow!("consumer {}: injected crash before ack", spec.durable));
                }
                Err(e) => {
                    // Infrastructure trouble (database, NATS): leave the message for redelivery.
                    tracing::warn!(consumer = %spec.durable, error = format!("{e:#}"), "event not processed; will be redelivered");
                    let _ = msg.ack_with(AckKind::Nak(Some(Duration::from_secs(1)))).await;
                    "error"
                }
            };
            metrics.events_consumed.get_or_create(&labels(&[("consumer", &spec.durable), ("outcome", name)])).inc();
            if shutdown.is_cancelled() {
                // Unhandled messages of this batch return to the stream after ack_wait, or now:
                break;
            }
        }
    }
    Ok(())
}

/// NATS subject matching: `*` stands for one token, a final `>` for one or more.
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut s = subject.split('.');
    for p in pattern.split('.') {
        match (p, s.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (p, Some(t)) if p == t => {}
            _ => return false,
        }
    }
    s.next().is_none()
}

async fn process<H: Handler>(
    pool: &PgPool,
    bus: &Bus,
    spec: &ConsumerSpec,
    handler: &H,
    msg: &async_nats::jetstream::Message,
) -> anyhow::Result<Outcome> {
    let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
    let empty = async_nats::HeaderMap::new();
    let headers = msg.headers.as_ref().unwrap_or(&empty);
    let ce = match CloudEvent::from_headers(headers) {
        Ok(ce) => ce,
        Err(why) => {
            dead_letter(bus, spec, msg, &format!("not a CloudEvent: {why}")).await?;
            return Ok(Outcome::DeadLettered);
        }
    };
    let event = IncomingEvent {
        id: ce.id.clone(),
        ce_type: ce.ce_type,
        subject: bus.naming.strip(msg.subject.as_str()).to_string(),
        tenant: ce.tenant,
        time: ce.time,
        payload: msg.payload.clone(),
        delivered,
    };
    let span = tracing::info_span!("consume", consumer = %spec.durable, subject = %event.subject, event_id = %event.id, delivered);
    crate::telemetry::set_remote_parent(&span, &crate::telemetry::NatsHeadersRef(headers));

    async {
        let mut tx = pool.begin().await?;
        let fresh =
            sqlx::query("INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(&spec.durable)
                .bind(&event.id)
                .bind(&event.subject)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !fresh {
            tx.commit().await?;
            ack(msg).await?;
            return Ok(Outcome::Duplicate);
        }
        match handler.handle(&mut tx, &event).await {
            Ok(()) => {
                tx.commit().await?;
                let crash = spec
                    .crash_after_commit
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if crash {
                    return Ok(Outcome::Crashed);
                }
                ack(msg).await?;
                Ok(Outcome::Applied)
            }
            Err(e) => {
                drop(tx);
                let why = format!("{e:#}");
                if delivered >= spec.max_deliver {
                    tracing::error!(error = %why, "event failed on its last delivery; dead-lettered");
                    dead_letter(bus, spec, msg, &why).await?;
                    Ok(Outcome::DeadLettered)
                } else {
                    let delay = spec.delay(delivered);
                    tracing::warn!(error = %why, ?delay, "event failed; will retry");
                    msg.ack_with(AckKind::Nak(Some(delay))).await.map_err(|e| anyhow::anyhow!("nak: {e}"))?;
                    Ok(Outcome::Retried)
                }
            }
        }
    }
    .instrument(span)
    .await
}

async fn ack(msg: &async_nats::jetstream::Message) -> anyhow::Result<()> {
    msg.double_ack().await.map_err(|e| anyhow::anyhow!("ack: {e}"))
}

/// Copies the event to `<prefix>.deadletter.<consumer>` with the reason, then stops its redelivery.
async fn dead_letter(
    bus: &Bus,
    spec: &ConsumerSpec,
    msg: &async_nats::jetstream::Message,
    why: &str,
) -> anyhow::Result<()> {
    let mut headers = msg.headers.clone().unwrap_or_default();
    headers.insert("pl-dead-letter-reason", why.replace(['\r', '\n'], " ").as_str());
    headers.insert("pl-original-subject", msg.subject.as_str());
    headers.insert("pl-consumer", spec.durable.as_str());
    // A dead letter is a new message, so it must not be dropped as a duplicate of the original.
    if let Some(id) = headers.get("Nats-Msg-Id").map(|v| v.as_str().to_string()) {
        headers.insert("Nats-Msg-Id", format!("dl-{}-{id}", spec.durable).as_str());
    }
    bus.js
        .publish_with_headers(bus.naming.dead_letter_subject(&spec.durable), headers, msg.payload.clone())
        .await?
        .await?;
    msg.ack_with(AckKind::Term).await.map_err(|e| anyhow::anyhow!("term: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_nats_wildcards() {
        assert!(subject_matches("t1.orders.*.order.placed", "t1.orders.abc.order.placed"));
        assert!(!subject_matches("t1.orders.*.order.placed", "t1.orders.abc.order.paid"));
        assert!(!subject_matches("t1.orders.*.order.placed", "t1.orders.abc.order.placed.x"));
        assert!(!subject_matches("t1.orders.*.order.placed", "t1.orders.order.placed"));
        assert!(subject_matches("t1.orders.>", "t1.orders.abc.order.placed"));
        assert!(!subject_matches("t1.orders.>", "t1.orders"));
    }

    #[test]
    fn backoff_grows_then_repeats_its_last_step() {
        let s = ConsumerSpec::new("c", "identity", &[]);
        assert_eq!(s.delay(1), Duration::from_secs(1));
        assert_eq!(s.delay(2), Duration::from_secs(5));
        assert_eq!(s.delay(9), Duration::from_secs(120));
    }

    #[test]
    fn event_name_is_the_last_two_subject_tokens() {
        let e = IncomingEvent {
            id: "1".into(),
            ce_type: String::new(),
            subject: "identity.t.partner.approved".into(),
            tenant: None,
            time: Utc::now(),
            payload: Bytes::new(),
            delivered: 1,
        };
        assert_eq!(e.name(), "partner.approved");
    }
}
