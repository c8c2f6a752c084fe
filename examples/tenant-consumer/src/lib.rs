//! An integrator's consumer of one program's events straight from JetStream (I1,
//! `docs/integrators.md`): one durable pull consumer per stream, filtered to
//! `<context>.<tenant>.>`, each event handed on as JSON once (deduplicated by `ce-id`) and
//! acknowledged after it was handled.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt;
use partnerline_proto::catalog;
use partnerline_proto::events::v1::to_json;

/// Whose events, from where.
pub struct Options {
    pub nats: String,
    pub tenant: uuid::Uuid,
    /// The installation's subject prefix (`[nats] prefix`); empty: none.
    pub prefix: String,
    /// Names the durable consumers, `<durable>-<context>`: the same name resumes where it stopped.
    pub durable: String,
}

/// An event's fields, as the catalog's message of its subject.
struct Event {
    id: String,
    subject: String,
    json: serde_json::Value,
}

/// The `ce-id`s seen lately: a redelivery (after a crash before the ack, or a relay that
/// published twice) is acknowledged and skipped. A real integrator keeps them in its own
/// database, in the transaction that applies the event.
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    const KEEP: usize = 100_000;

    fn first_time(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > Self::KEEP
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

fn decode(prefix: &str, msg: &async_nats::jetstream::Message) -> anyhow::Result<Event> {
    let headers = msg.headers.as_ref().context("an event without headers")?;
    let header = |k: &str| headers.get(k).map(|v| v.as_str().to_string()).unwrap_or_default();
    let subject = msg.subject.as_str();
    let bare = subject.strip_prefix(prefix).unwrap_or(subject);
    // <context>.<tenant>.<aggregate>.<event>
    let parts: Vec<&str> = bare.split('.').collect();
    let [context, _tenant, aggregate, event] = parts[..] else {
        anyhow::bail!("not an event subject: {subject}");
    };
    let data = match catalog::find(context, &format!("{aggregate}.{event}")) {
        Some(t) => to_json(t.message, &msg.payload).transpose()?.unwrap_or(serde_json::Value::Null),
        // A type newer than this build of the example: keep going, without its fields.
        None => serde_json::Value::Null,
    };
    let json = serde_json::json!({
        "id": header("ce-id"),
        "type": header("ce-type"),
        "subject": header("ce-subject"),
        "time": header("ce-time"),
        "tenantid": header("ce-tenantid"),
        "data": data,
    });
    Ok(Event { id: header("ce-id"), subject: subject.to_string(), json })
}

/// Reads the program's events and hands each to `handle` once, acknowledging it after;
/// returns when `handle` says to stop (`false`).
pub async fn run(o: &Options, mut handle: impl FnMut(serde_json::Value) -> bool) -> anyhow::Result<()> {
    let client = async_nats::connect(&o.nats).await.with_context(|| format!("cannot reach NATS at {}", o.nats))?;
    let js = jetstream::new(client);
    let prefix = if o.prefix.is_empty() { String::new() } else { format!("{}.", o.prefix) };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<async_nats::jetstream::Message>(256);
    for context in catalog::CONTEXTS {
        let stream_name = if o.prefix.is_empty() {
            context.to_ascii_uppercase()
        } else {
            format!("{}_{}", o.prefix.to_ascii_uppercase(), context.to_ascii_uppercase())
        };
        let stream = js.get_stream(&stream_name).await.with_context(|| format!("no stream {stream_name}"))?;
        let name = format!("{}-{context}", o.durable);
        let mut messages = stream
            .get_or_create_consumer(
                &name,
                pull::Config {
                    durable_name: Some(name.clone()),
                    filter_subject: format!("{prefix}{context}.{}.>", o.tenant),
                    ack_wait: Duration::from_secs(30),
                    ..Default::default()
                },
            )
            .await
            .with_context(|| format!("cannot open the durable consumer {name} on {stream_name}"))?
            .messages()
            .await?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = messages.next().await {
                if tx.send(msg).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut seen = Seen { ids: HashSet::new(), order: VecDeque::new() };
    while let Some(msg) = rx.recv().await {
        let go_on = match decode(&prefix, &msg) {
            Ok(e) if seen.first_time(&e.id) => handle(e.json),
            Ok(e) => {
                eprintln!("a copy of {} on {}: skipped", e.id, e.subject);
                true
            }
            Err(err) => {
                eprintln!("skipped: {err:#}");
                true
            }
        };
        // Acknowledged after it was handled: a crash before this line brings the event again.
        msg.ack_with(AckKind::Ack).await.map_err(|e| anyhow::anyhow!("ack: {e}"))?;
        if !go_on {
            break;
        }
    }
    Ok(())
}
