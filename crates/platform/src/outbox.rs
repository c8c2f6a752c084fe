//! The transactional outbox. A service writes its state change and the event describing it in
//! one transaction ([`Outbox::enqueue`]); the [`Relay`] publishes unsent rows in order, waits for
//! JetStream's acks, then marks them sent. A crash between the ack and the mark republishes the
//! rows with the same `Nats-Msg-Id`: JetStream drops them within its duplicate window, and
//! consumers' inboxes drop them after it. Nothing is lost, nothing is applied twice.

use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Row};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::clock::Clock;
use crate::cloudevents::CloudEvent;
use crate::metrics::{Metrics, labels};
use crate::nats::{Bus, Naming};

const CHANNEL: &str = "partnerline_outbox";

/// An event to publish: `<context>.<tenant>.<aggregate>.<event>` with a protobuf payload.
pub struct NewEvent<'a, M: prost::Message> {
    pub tenant: Option<Uuid>,
    pub aggregate: &'a str,
    pub aggregate_id: String,
    pub event: &'a str,
    pub payload: &'a M,
}

/// Writes events into the service's `outbox` table, inside the caller's transaction.
#[derive(Clone)]
pub struct Outbox {
    context: &'static str,
    naming: Naming,
    clock: Clock,
}

impl Outbox {
    pub fn new(context: &'static str, naming: Naming, clock: Clock) -> Self {
        Outbox { context, naming, clock }
    }

    /// Adds `<context>.<tenant>.<aggregate>.<event>` about `aggregate_id` to the transaction:
    /// the shorthand services use for [`Outbox::enqueue`].
    pub async fn emit<M: prost::Message>(
        &self,
        conn: &mut PgConnection,
        tenant: Uuid,
        aggregate: &str,
        aggregate_id: Uuid,
        event: &str,
        payload: &M,
    ) -> Result<Uuid, sqlx::Error> {
        self.enqueue(
            conn,
            NewEvent { tenant: Some(tenant), aggregate, aggregate_id: aggregate_id.to_string(), event, payload },
        )
        .await
    }

    /// Adds the event to the transaction; it is published only if the transaction commits.
    pub async fn enqueue<M: prost::Message>(
        &self,
        conn: &mut PgConnection,
        ev: NewEvent<'_, M>,
    ) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::now_v7();
        let ce = CloudEvent {
            id: id.to_string(),
            source: format!("/partnerline/{}", self.context),
            ce_type: CloudEvent::type_name(self.context, ev.aggregate, ev.event),
            subject: ev.aggregate_id,
            time: self.clock.now(),
            tenant: ev.tenant,
            traceparent: crate::telemetry::current_traceparent(),
        };
        let headers: serde_json::Map<String, Value> =
            ce.to_pairs().into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
        sqlx::query(
            "INSERT INTO outbox (id, tenant_id, subject, ce_type, payload, headers, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(ev.tenant)
        .bind(self.naming.subject(self.context, ev.tenant, ev.aggregate, ev.event))
        .bind(&ce.ce_type)
        .bind(ev.payload.encode_to_vec())
        .bind(Value::Object(headers))
        .bind(ce.time)
        .execute(&mut *conn)
        .await?;
        // Delivered at commit, so the relay wakes only for committed events.
        sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *conn).await?;
        Ok(id)
    }
}

impl Outbox {
    /// Adds many events to the transaction in one statement (bulk imports); published only if the
    /// transaction commits, in the order given.
    pub async fn enqueue_many<M: prost::Message>(
        &self,
        conn: &mut PgConnection,
        events: &[NewEvent<'_, M>],
    ) -> Result<(), sqlx::Error> {
        if events.is_empty() {
            return Ok(());
        }
        let (mut ids, mut tenants, mut subjects, mut types, mut payloads, mut headers, mut times) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let traceparent = crate::telemetry::current_traceparent();
        for ev in events {
            let id = Uuid::now_v7();
            let ce = CloudEvent {
                id: id.to_string(),
                source: format!("/partnerline/{}", self.context),
                ce_type: CloudEvent::type_name(self.context, ev.aggregate, ev.event),
                subject: ev.aggregate_id.clone(),
                time: self.clock.now(),
                tenant: ev.tenant,
                traceparent: traceparent.clone(),
            };
            let h: serde_json::Map<String, Value> =
                ce.to_pairs().into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
            ids.push(id);
            tenants.push(ev.tenant);
            subjects.push(self.naming.subject(self.context, ev.tenant, ev.aggregate, ev.event));
            types.push(ce.ce_type);
            payloads.push(ev.payload.encode_to_vec());
            headers.push(Value::Object(h));
            times.push(ce.time);
        }
        sqlx::query(
            "INSERT INTO outbox (id, tenant_id, subject, ce_type, payload, headers, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bytea[], $6::jsonb[], $7::timestamptz[])",
        )
        .bind(ids)
        .bind(tenants)
        .bind(subjects)
        .bind(types)
        .bind(payloads)
        .bind(headers)
        .bind(times)
        .execute(&mut *conn)
        .await?;
        sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *conn).await?;
        Ok(())
    }
}

/// Publishes the outbox to JetStream.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    bus: Bus,
    metrics: Metrics,
    batch_size: i64,
    /// How often to look even without a notification (a missed NOTIFY, a failed publish).
    poll: Duration,
    /// How long sent rows are kept (audit, debugging) before the relay deletes them.
    retention: Duration,
}

enum Fault {
    None,
    CrashAfterAck,
}

impl Relay {
    pub fn new(pool: PgPool, bus: Bus, metrics: Metrics) -> Self {
        Relay {
            pool,
            bus,
            metrics,
            batch_size: 256,
            poll: Duration::from_secs(2),
            retention: Duration::from_secs(7 * 86_400),
        }
    }

    /// Runs until `shutdown`, then flushes what is left (bounded by 10 s) and returns.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let mut failures = 0u32;
        let mut pruned_at = tokio::time::Instant::now();
        loop {
            if pruned_at.elapsed() >= Duration::from_secs(3600) {
                pruned_at = tokio::time::Instant::now();
                match self.prune().await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "outbox relay: pruned sent rows"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "outbox relay: prune failed"),
                }
            }
            match self.drain().await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = format!("{e:#}"), failures, "outbox relay: publish failed; will retry");
                }
            }
            let wait = if failures == 0 { self.poll } else { Duration::from_millis(200 * u64::from(failures.min(25))) };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                r = listener.recv(), if failures == 0 => {
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "outbox relay: LISTEN connection lost; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        match tokio::time::timeout(Duration::from_secs(10), self.drain()).await {
            Ok(Ok(n)) => tracing::info!(published = n, "outbox relay: flushed before shutdown"),
            Ok(Err(e)) => {
                tracing::warn!(error = format!("{e:#}"), "outbox relay: flush failed; rows stay for the next start")
            }
            Err(_) => tracing::warn!("outbox relay: flush timed out; rows stay for the next start"),
        }
        Ok(())
    }

    /// Publishes batches until nothing is left; returns how many rows were published.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let n = self.publish_batch_inner(Fault::None).await?;
            total += n;
            if n < self.batch_size as usize {
                return Ok(total);
            }
        }
    }

    /// Publishes one batch; returns how many rows it held.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        self.publish_batch_inner(Fault::None).await
    }

    /// Test hook: publishes a batch and gets its acks, then dies before marking the rows sent,
    /// as a process killed at that instant would.
    #[doc(hidden)]
    pub async fn publish_batch_then_crash(&self) -> anyhow::Result<usize> {
        self.publish_batch_inner(Fault::CrashAfterAck).await
    }

    async fn publish_batch_inner(&self, fault: Fault) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        // SKIP LOCKED lets replicas relay side by side without publishing a row twice.
        let rows = sqlx::query(
            "SELECT seq, subject, payload, headers FROM outbox
             WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Publish the whole batch first, then await the acks: one round trip per batch, not per row.
        let mut pending = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        for row in &rows {
            let subject: String = row.try_get("subject")?;
            let payload: Vec<u8> = row.try_get("payload")?;
            let headers: Value = row.try_get("headers")?;
            let mut map = async_nats::HeaderMap::new();
            if let Value::Object(h) = headers {
                for (k, v) in h {
                    if let Value::String(v) = v {
                        map.insert(k.as_str(), v.as_str());
                    }
                }
            }
            pending.push(self.bus.js.publish_with_headers(subject, map, payload.into()).await?);
            seqs.push(row.try_get::<i64, _>("seq")?);
        }
        let mut published = 0u64;
        for ack in pending {
            let ack = ack.await?;
            if !ack.duplicate {
                published += 1;
            }
        }
        if let Fault::CrashAfterAck = fault {
            drop(tx);
            anyhow::bail!("injected crash after the JetStream ack, before marking rows sent");
        }
        sqlx::query("UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE seq = ANY($1)")
            .bind(&seqs)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.metrics.events_published.get_or_create(&labels(&[("outcome", "stored")])).inc_by(published);
        self.metrics
            .events_published
            .get_or_create(&labels(&[("outcome", "duplicate")]))
            .inc_by(seqs.len() as u64 - published);
        Ok(seqs.len())
    }

    /// Deletes rows sent longer ago than the retention period. `sent_at` is the database's
    /// time, so the database's clock judges it.
    pub async fn prune(&self) -> anyhow::Result<u64> {
        let r = sqlx::query(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at <= now() - make_interval(secs => $1)",
        )
        .bind(self.retention.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Keeps sent rows for `retention` (tests use zero to see pruning at work).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Rows not yet published.
    pub async fn unsent(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&self.pool).await?)
    }
}
