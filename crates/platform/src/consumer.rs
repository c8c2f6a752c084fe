//! The inbox-guarded consumer loop: a durable JetStream pull consumer with explicit acks. Each
//! event is applied in one transaction together with its id in the `inbox` table, so a
//! redelivery (a crash before the ack, a republished duplicate) changes nothing. A handler that
//! is idempotent by itself may go without the inbox (`ConsumerSpec::without_inbox`). A failing
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
    /// The aggregate's id (`ce-subject`): events of one aggregate keep their order downstream.
    pub aggregate_id: String,
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

/// Applies events inside the consumer's transaction. An error rolls it back and retries later.
pub trait Handler: Send + Sync + 'static {
    /// Applies one event.
    fn handle(&self, conn: &mut PgConnection, event: &IncomingEvent)
    -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Applies several events, in delivery order, in one transaction: all or none. The default
    /// applies them one after another; a handler that can read and write for many events at once
    /// overrides it. When it fails, the consumer applies the events one by one instead, so one bad
    /// event is retried and dead-lettered on its own.
    fn handle_batch(
        &self,
        conn: &mut PgConnection,
        events: &[IncomingEvent],
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async move {
            for e in events {
                self.handle(conn, e).await?;
            }
            Ok(())
        }
    }
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
    /// The most events fetched and applied in one transaction.
    pub batch: usize,
    /// Whether each event's id goes into the `inbox` (true, the default), so a redelivery never
    /// reaches the handler. False only for a handler that is idempotent by itself (a projection
    /// whose state already tells it a fact is old news): it then sees redeliveries, and saves the
    /// inbox's insert per event and the inbox's growth.
    pub inbox: bool,
    /// How long an applied event's id stays in the inbox (30 days): a redelivery within it is
    /// turned away. Redeliveries come within JetStream's ack wait, or when a relay republishes
    /// after a crash (the outage of its service); older ids are deleted (`prune_inbox`), so the
    /// inbox stops growing with every event ever read.
    pub inbox_retention: Duration,
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
            batch: 512,
            inbox: true,
            inbox_retention: INBOX_RETENTION,
            crash_after_commit: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// For a handler that is idempotent by itself: no inbox (see `inbox`).
    pub fn without_inbox(mut self) -> Self {
        self.inbox = false;
        self
    }

    /// How many deliveries may wait for their ack, across the replicas sharing the durable. Each
    /// loop fetches a batch only once the last one is acknowledged, so what is in flight is bounded
    /// by loops × batch anyway; the bound here only has to stay above that. At JetStream's default
    /// (1,000), two loops fetching 512 each deadlocked: each got part of its batch, waited for the
    /// rest until the fetch expired (2 s), and neither acknowledged in the meantime.
    fn max_ack_pending(&self) -> i64 {
        i64::try_from(self.batch.max(1) * MAX_LOOPS).unwrap_or(i64::MAX)
    }

    /// Test hook: whether to die now, after a commit and before its acks (`crash_after_commit`).
    fn crash_now(&self) -> bool {
        self.crash_after_commit.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }

    fn delay(&self, delivered: i64) -> Duration {
        let i = usize::try_from(delivered.saturating_sub(1)).unwrap_or(0);
        self.backoff.get(i).or(self.backoff.last()).copied().unwrap_or(Duration::from_secs(1))
    }
}

/// `ConsumerSpec::inbox_retention` unless set.
pub const INBOX_RETENTION: Duration = Duration::from_secs(30 * 86_400);

/// How often a consumer loop deletes its expired inbox ids (and once at start).
pub const INBOX_PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes `consumer`'s inbox ids recorded longer ago than `retention` (the database's clock
/// judges), a few thousand rows per statement, skipping rows another replica is deleting.
/// Returns how many went.
pub async fn prune_inbox(pool: &PgPool, consumer: &str, retention: Duration) -> sqlx::Result<u64> {
    const CHUNK: i64 = 5_000;
    let mut total = 0;
    loop {
        let n = sqlx::query(
            "DELETE FROM inbox WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM inbox WHERE consumer = $1 AND received_at < now() - make_interval(secs => $2)
                 LIMIT $3 FOR UPDATE SKIP LOCKED))",
        )
        .bind(consumer)
        .bind(retention.as_secs_f64())
        .bind(CHUNK)
        .execute(pool)
        .await?
        .rows_affected();
        total += n;
        if n < CHUNK as u64 {
            return Ok(total);
        }
    }
}

/// The most loops (replicas × loops per replica) expected to share one durable consumer: room
/// for this many full batches in flight at once (`ConsumerSpec::max_ack_pending`).
pub const MAX_LOOPS: usize = 64;

enum Outcome {
    Applied,
    Duplicate,
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
    let config = pull::Config {
        durable_name: Some(spec.durable.clone()),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        ack_wait: spec.ack_wait,
        max_deliver: spec.max_deliver,
        max_ack_pending: spec.max_ack_pending(),
        filter_subject,
        filter_subjects,
        ..Default::default()
    };
    let mut consumer = stream
        .get_or_create_consumer(&spec.durable, config.clone())
        .await
        .map_err(|e| anyhow::anyhow!("consumer {}: {e}", spec.durable))?;
    // A durable made before its bound was raised, or before its service read another event
    // type, keeps the old settings until it is updated (the create call updates an existing
    // durable's editable settings, filters among them).
    let had = &consumer.cached_info().config;
    if had.max_ack_pending < config.max_ack_pending
        || had.filter_subject != config.filter_subject
        || had.filter_subjects != config.filter_subjects
    {
        match stream.create_consumer(config).await {
            Ok(updated) => consumer = updated,
            Err(e) => tracing::warn!(consumer = %spec.durable, error = %e, "could not update the durable's settings"),
        }
    }

    let count = |outcome: &str, n: u64| {
        metrics.events_consumed.get_or_create(&labels(&[("consumer", &spec.durable), ("outcome", outcome)])).inc_by(n);
    };
    let mut pruned_at: Option<tokio::time::Instant> = None;
    while !shutdown.is_cancelled() {
        if spec.inbox && pruned_at.is_none_or(|at| at.elapsed() >= INBOX_PRUNE_EVERY) {
            pruned_at = Some(tokio::time::Instant::now());
            match prune_inbox(&pool, &spec.durable, spec.inbox_retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(consumer = %spec.durable, deleted = n, "inbox: forgot expired event ids"),
                Err(e) => tracing::warn!(consumer = %spec.durable, error = %e, "inbox: prune failed; will retry"),
            }
        }
        let fetched = tokio::select! {
            _ = shutdown.cancelled() => break,
            b = consumer.fetch().max_messages(spec.batch.max(1)).expires(Duration::from_secs(2)).messages() => b,
        };
        let mut fetched = match fetched {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(consumer = %spec.durable, error = %e, "fetch failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let mut messages = Vec::new();
        while let Some(msg) = fetched.next().await {
            match msg {
                Ok(m) => messages.push(m),
                Err(e) => tracing::warn!(consumer = %spec.durable, error = %e, "bad delivery"),
            }
        }
        // What no filter matches is acknowledged unread; what is not a CloudEvent is dead-lettered.
        let mut events = Vec::with_capacity(messages.len());
        for msg in messages {
            if !filters.is_empty() && !filters.iter().any(|f| subject_matches(f, msg.subject.as_str())) {
                match ack(&msg).await {
                    Ok(()) => count("skipped", 1),
                    Err(e) => tracing::warn!(consumer = %spec.durable, error = format!("{e:#}"), "ack failed"),
                }
                continue;
            }
            match incoming(&bus, &msg) {
                Ok(event) => events.push((msg, event)),
                Err(why) => match dead_letter(&bus, &spec, &msg, &format!("not a CloudEvent: {why}")).await {
                    Ok(()) => count("dead_lettered", 1),
                    Err(e) => tracing::warn!(consumer = %spec.durable, error = format!("{e:#}"), "dead-letter failed"),
                },
            }
        }
        if events.len() > 1 {
            match process_batch(&pool, &spec, &handler, &events).await {
                Ok(BatchOutcome::Done { applied, duplicates }) => {
                    count("applied", applied);
                    count("duplicate", duplicates);
                    continue;
                }
                Ok(BatchOutcome::Crashed) => {
                    return Err(anyhow::anyhow!("consumer {}: injected crash before ack", spec.durable));
                }
                Err(e) => {
                    tracing::info!(consumer = %spec.durable, events = events.len(), error = format!("{e:#}"), "batch failed; applying its events one by one");
                }
            }
        }
        for (i, (msg, event)) in events.iter().enumerate() {
            let name = match process(&pool, &bus, &spec, &handler, msg, event).await {
                Ok(Outcome::Applied) => "applied",
                Ok(Outcome::Duplicate) => "duplicate",
                Ok(Outcome::Retried) => "retried",
                Ok(Outcome::DeadLettered) => "dead_lettered",
                Ok(Outcome::Crashed) => {
                    return Err(anyhow::anyhow!("consumer {}: injected crash before ack", spec.durable));
                }
                Err(e) => {
                    // Infrastructure trouble (database, NATS): this event and the rest of the
                    // batch go back for redelivery at once, rather than each waiting out the
                    // same trouble in turn.
                    tracing::warn!(consumer = %spec.durable, error = format!("{e:#}"), left = events.len() - i, "events not processed; will be redelivered");
                    for (m, _) in &events[i..] {
                        let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(1)))).await;
                    }
                    count("error", (events.len() - i) as u64);
                    break;
                }
            };
            count(name, 1);
            if shutdown.is_cancelled() {
                // Unhandled messages of this batch return to the stream after ack_wait.
                break;
            }
        }
    }
    Ok(())
}

/// Spawns `loops` loops of the consumer `spec` into `tasks`; they share its durable consumer as
/// that many replicas would, so use more than one only where events may be applied in any order.
pub fn spawn<H: Handler + Clone>(
    tasks: &mut tokio::task::JoinSet<anyhow::Result<()>>,
    rt: &crate::Runtime,
    pool: &PgPool,
    bus: &Bus,
    spec: ConsumerSpec,
    handler: H,
    loops: usize,
) {
    for _ in 0..loops.max(1) {
        let (pool, bus, metrics, shutdown) = (pool.clone(), bus.clone(), rt.metrics.clone(), rt.shutdown.clone());
        tasks.spawn(run(pool, bus, metrics, spec.clone(), handler.clone(), shutdown));
    }
}

/// A stretch of a batch: an event to apply alone, or a tenant's run of consecutive events to apply
/// together.
pub enum Run<'a> {
    One(&'a IncomingEvent),
    Together(Uuid, &'a [IncomingEvent]),
}

/// Splits a batch, in order, into runs of one tenant's consecutive events that `together` accepts
/// and the events in between, one by one.
pub fn runs(events: &[IncomingEvent], together: impl Fn(&IncomingEvent) -> bool) -> Vec<Run<'_>> {
    let key = |e: &IncomingEvent| e.tenant.filter(|_| together(e));
    let mut out = Vec::new();
    let mut rest = events;
    while let Some(first) = rest.first() {
        match key(first) {
            None => {
                out.push(Run::One(first));
                rest = &rest[1..];
            }
            Some(tenant) => {
                let n = rest.iter().take_while(|e| key(e) == Some(tenant)).count();
                out.push(Run::Together(tenant, &rest[..n]));
                rest = &rest[n..];
            }
        }
    }
    out
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

/// The CloudEvent a delivery carries, as handlers see it.
fn incoming(bus: &Bus, msg: &async_nats::jetstream::Message) -> Result<IncomingEvent, String> {
    let empty = async_nats::HeaderMap::new();
    let ce = CloudEvent::from_headers(msg.headers.as_ref().unwrap_or(&empty))?;
    Ok(IncomingEvent {
        id: ce.id.clone(),
        ce_type: ce.ce_type,
        subject: bus.naming.strip(msg.subject.as_str()).to_string(),
        aggregate_id: ce.subject,
        tenant: ce.tenant,
        time: ce.time,
        payload: msg.payload.clone(),
        delivered: msg.info().map(|i| i.delivered).unwrap_or(1),
    })
}

enum BatchOutcome {
    Done { applied: u64, duplicates: u64 },
    Crashed,
}

/// Applies a batch in one transaction: one inbox insert for all its ids, the fresh events handed
/// to the handler together, one commit, then every delivery acknowledged. An error leaves the
/// whole batch unapplied (the caller then goes one by one).
async fn process_batch<H: Handler>(
    pool: &PgPool,
    spec: &ConsumerSpec,
    handler: &H,
    events: &[(async_nats::jetstream::Message, IncomingEvent)],
) -> anyhow::Result<BatchOutcome> {
    let span = tracing::info_span!("consume_batch", consumer = %spec.durable, events = events.len());
    async {
        let mut tx = pool.begin().await?;
        let todo: Vec<IncomingEvent> = if spec.inbox {
            let ids: Vec<&str> = events.iter().map(|(_, e)| e.id.as_str()).collect();
            let subjects: Vec<&str> = events.iter().map(|(_, e)| e.subject.as_str()).collect();
            let inserted: Vec<String> = sqlx::query_scalar(
                "INSERT INTO inbox (consumer, event_id, subject)
                 SELECT $1, u.id, u.subject FROM unnest($2::text[], $3::text[]) AS u(id, subject)
                 ON CONFLICT DO NOTHING RETURNING event_id",
            )
            .bind(&spec.durable)
            .bind(&ids)
            .bind(&subjects)
            .fetch_all(&mut *tx)
            .await?;
            // Each fresh id once, at its first delivery in the batch; the rest are duplicates.
            let mut fresh: std::collections::HashSet<String> = inserted.into_iter().collect();
            events.iter().filter(|(_, e)| fresh.remove(&e.id)).map(|(_, e)| e.clone()).collect()
        } else {
            events.iter().map(|(_, e)| e.clone()).collect()
        };
        handler.handle_batch(&mut tx, &todo).await?;
        tx.commit().await?;
        if spec.crash_now() {
            return Ok(BatchOutcome::Crashed);
        }
        // Acknowledged together; a lost ack only means a redelivery the inbox turns away.
        let acks = futures::future::join_all(events.iter().map(|(m, _)| ack(m))).await;
        if let Some(Err(e)) = acks.into_iter().find(Result::is_err) {
            tracing::warn!(error = format!("{e:#}"), "ack failed; the event will be redelivered and skipped");
        }
        let applied = todo.len() as u64;
        Ok(BatchOutcome::Done { applied, duplicates: events.len() as u64 - applied })
    }
    .instrument(span)
    .await
}

async fn process<H: Handler>(
    pool: &PgPool,
    bus: &Bus,
    spec: &ConsumerSpec,
    handler: &H,
    msg: &async_nats::jetstream::Message,
    event: &IncomingEvent,
) -> anyhow::Result<Outcome> {
    let delivered = event.delivered;
    let empty = async_nats::HeaderMap::new();
    let headers = msg.headers.as_ref().unwrap_or(&empty);
    let span = tracing::info_span!("consume", consumer = %spec.durable, subject = %event.subject, event_id = %event.id, delivered);
    crate::telemetry::set_remote_parent(&span, &crate::telemetry::NatsHeadersRef(headers));

    async {
        let mut tx = pool.begin().await?;
        let fresh = !spec.inbox
            || sqlx::query(
                "INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
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
        match handler.handle(&mut tx, event).await {
            Ok(()) => {
                tx.commit().await?;
                if spec.crash_now() {
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

/// Acknowledges without waiting for the server to confirm: the effect is committed and recorded
/// in the inbox, so an ack lost on the way only brings a redelivery the inbox turns away, and
/// waiting would cost a round trip (and a reply message) per event.
async fn ack(msg: &async_nats::jetstream::Message) -> anyhow::Result<()> {
    msg.ack().await.map_err(|e| anyhow::anyhow!("ack: {e}"))
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
    fn a_batch_splits_into_runs_of_one_tenant_and_single_events() {
        let ev = |tenant: Option<u128>, subject: &str| IncomingEvent {
            id: subject.into(),
            ce_type: String::new(),
            subject: subject.into(),
            aggregate_id: String::new(),
            tenant: tenant.map(Uuid::from_u128),
            time: Utc::now(),
            payload: Bytes::new(),
            delivered: 1,
        };
        let batch = [
            ev(Some(1), "orders.t.order.placed"),
            ev(Some(1), "orders.t.order.paid"),
            ev(Some(2), "orders.t.order.placed"),
            ev(Some(2), "customers.t.lead.won"),
            ev(None, "orders.t.order.placed"),
            ev(Some(2), "orders.t.order.paid"),
        ];
        let shape: Vec<String> = runs(&batch, |e| e.name().starts_with("order."))
            .into_iter()
            .map(|r| match r {
                Run::One(e) => format!("one {}", e.name()),
                Run::Together(t, es) => format!("{} x{}", t.as_u128(), es.len()),
            })
            .collect();
        assert_eq!(shape, ["1 x2", "2 x1", "one lead.won", "one order.placed", "2 x1"]);
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
            aggregate_id: String::new(),
            tenant: None,
            time: Utc::now(),
            payload: Bytes::new(),
            delivered: 1,
        };
        assert_eq!(e.name(), "partner.approved");
    }
}
