//! I1: a tenant's events for integrators who cannot reach NATS, read from the contexts'
//! JetStream streams by ordered consumers filtered on `<context>.<tenant>.>`: followed as they
//! come (the gateway makes them Server-Sent Events) or read in pages. A cursor is the last
//! sequence read of each stream, so a client resumes where it stopped, days later too, within
//! the streams' retention; each stream's events come in their order.

use std::time::Duration;

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use futures::StreamExt;
use partnerline_proto::catalog::CONTEXTS;
use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use platform::cloudevents::CloudEvent;
use platform::nats::Bus;
use uuid::Uuid;

use crate::webhooks;

/// The last sequence read of each context's stream, in `CONTEXTS` order: `3-0-17-5-40-0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor(pub [u64; CONTEXTS.len()]);

impl Cursor {
    pub fn parse(raw: Option<&str>) -> Result<Cursor, AppError> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(Cursor::default()) };
        let bad = || AppError::invalid("cursor", "is not a cursor this API returned (an event's id in the feed)");
        let parts: Vec<u64> = raw.split('-').map(|p| p.parse::<u64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
        let seqs: [u64; CONTEXTS.len()] = parts.try_into().map_err(|_| bad())?;
        Ok(Cursor(seqs))
    }

    pub fn encode(&self) -> String {
        self.0.iter().map(u64::to_string).collect::<Vec<_>>().join("-")
    }
}

/// What a feed request reads: whose events, of which types.
#[derive(Debug, Clone)]
pub struct Reading {
    pub tenant: Uuid,
    pub types: Vec<String>,
}

impl Reading {
    fn wants_context(&self, context: &str) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| t.split('.').next() == Some(context) || t == "*")
    }
}

/// One event as the feed gives it, with the stream it came from and the cursor after it.
struct Read {
    stream: usize,
    seq: u64,
    time: chrono::DateTime<chrono::Utc>,
    event: Option<pb::FeedEvent>,
}

#[derive(Clone)]
pub struct Feed {
    bus: Bus,
}

impl Feed {
    pub fn new(bus: Bus) -> Feed {
        Feed { bus }
    }

    /// The events of `stream` after `after`, as they come; `None` when it is no stream of the
    /// reading's types. `pending`: how many there were when it started.
    async fn open(
        &self,
        r: &Reading,
        stream: usize,
        after: u64,
    ) -> anyhow::Result<Option<(u64, async_nats::jetstream::consumer::pull::Ordered)>> {
        let context = CONTEXTS[stream];
        if !r.wants_context(context) {
            return Ok(None);
        }
        let js_stream = self.bus.js.get_stream(self.bus.naming.stream(context)).await?;
        let consumer = js_stream
            .create_consumer(OrderedConfig {
                filter_subject: self.bus.naming.filter(&format!("{context}.{}.>", r.tenant)),
                deliver_policy: if after == 0 {
                    DeliverPolicy::All
                } else {
                    DeliverPolicy::ByStartSequence { start_sequence: after + 1 }
                },
                ..Default::default()
            })
            .await?;
        let pending = consumer.cached_info().num_pending;
        Ok(Some((pending, consumer.messages().await?)))
    }

    fn read(&self, r: &Reading, stream: usize, m: &async_nats::jetstream::Message) -> anyhow::Result<Read> {
        let info = m.info().map_err(|e| anyhow::anyhow!("{e}"))?;
        let seq = info.stream_sequence;
        let empty = async_nats::HeaderMap::new();
        let ce = CloudEvent::from_headers(m.headers.as_ref().unwrap_or(&empty)).map_err(|e| anyhow::anyhow!(e))?;
        let subject = self.bus.naming.strip(m.subject.as_str()).to_string();
        let ty = webhooks::event_type(&subject).unwrap_or_default();
        let wanted = r.types.is_empty() || r.types.iter().any(|t| webhooks::matches(t, &ty));
        let event = match wanted {
            true => Some(cloudevent(&ce, &subject, webhooks::event_data(&subject, &m.payload)?)),
            false => None,
        };
        Ok(Read {
            stream,
            seq,
            time: ce.time,
            event: event.map(|cloudevent| pb::FeedEvent { cursor: String::new(), cloudevent }),
        })
    }

    /// Every event after `from`, then each as it comes, into `to` until the receiver is gone.
    pub async fn follow(
        &self,
        r: Reading,
        from: Cursor,
        to: tokio::sync::mpsc::Sender<Result<pb::FeedEvent, tonic::Status>>,
    ) -> anyhow::Result<()> {
        let mut streams = Vec::new();
        for (i, after) in from.0.iter().enumerate() {
            if let Some((_, msgs)) = self.open(&r, i, *after).await? {
                streams.push(msgs.map(move |m| (i, m)).boxed());
            }
        }
        let mut merged = futures::stream::select_all(streams);
        let mut at = from;
        while let Some((i, m)) = merged.next().await {
            let m = m.map_err(|e| anyhow::anyhow!("the feed's stream {} broke: {e}", CONTEXTS[i]))?;
            let read = self.read(&r, i, &m)?;
            at.0[read.stream] = read.seq;
            if let Some(mut e) = read.event {
                e.cursor = at.encode();
                if to.send(Ok(e)).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Up to `limit` events after `from`, oldest first: each stream's in their order, the
    /// streams merged by the events' times.
    pub async fn page(&self, r: Reading, from: Cursor, limit: usize) -> anyhow::Result<pb::FeedPage> {
        let mut heads: Vec<Vec<Read>> = Vec::new();
        let mut left = 0u64;
        for (i, after) in from.0.iter().enumerate() {
            let mut got = Vec::new();
            if let Some((pending, mut msgs)) = self.open(&r, i, *after).await? {
                let want = pending.min(limit as u64);
                while (got.len() as u64) < want {
                    let next = tokio::time::timeout(Duration::from_secs(5), msgs.next()).await;
                    let Ok(Some(m)) = next else { break };
                    let m = m.map_err(|e| anyhow::anyhow!("the feed's stream {} broke: {e}", CONTEXTS[i]))?;
                    got.push(self.read(&r, i, &m)?);
                }
                left += pending - got.len() as u64;
            }
            got.reverse(); // popped from the back: oldest last
            heads.push(got);
        }
        let mut at = from;
        let mut items = Vec::new();
        while items.len() < limit {
            let next = heads.iter().enumerate().filter_map(|(i, h)| h.last().map(|r| (r.time, i))).min();
            let Some((_, i)) = next else { break };
            let Some(read) = heads[i].pop() else { break };
            at.0[read.stream] = read.seq;
            if let Some(mut e) = read.event {
                e.cursor = at.encode();
                items.push(e);
            }
        }
        let caught_up = left == 0 && heads.iter().all(Vec::is_empty);
        Ok(pb::FeedPage { items, next_cursor: at.encode(), caught_up })
    }
}

/// The CloudEvents JSON envelope of an event, its payload's fields as `data`.
fn cloudevent(ce: &CloudEvent, subject: &str, data: serde_json::Value) -> String {
    let mut v = serde_json::json!({
        "specversion": "1.0",
        "id": ce.id,
        "type": ce.ce_type,
        "source": ce.source,
        "subject": ce.subject,
        "time": ce.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "datacontenttype": "application/json",
        "partnerlinesubject": subject,
        "data": data,
    });
    if let Some(t) = ce.tenant {
        v["tenantid"] = serde_json::Value::String(t.to_string());
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn i1_a_cursor_is_a_sequence_per_stream_and_nothing_else() {
        assert_eq!(Cursor::parse(None).unwrap(), Cursor::default());
        let c = Cursor::parse(Some("3-0-17-5-40-0")).unwrap();
        assert_eq!(c.0, [3, 0, 17, 5, 40, 0]);
        assert_eq!(c.encode(), "3-0-17-5-40-0");
        for bad in ["1-2", "a-b-c-d-e-f", "1-2-3-4-5-6-7", "-1-2-3-4-5-6"] {
            assert_eq!(Cursor::parse(Some(bad)).unwrap_err().errors[0].field, "cursor", "{bad}");
        }
    }
}
