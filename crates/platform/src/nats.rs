//! NATS JetStream: connection, naming (with the per-installation prefix) and stream setup.
//!
//! Subjects are `<context>.<tenant>.<aggregate>.<event>`; one stream per context holds
//! `<context>.>`. With a prefix `t42`, they become `t42.orders.>` in stream `T42_ORDERS`.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use uuid::Uuid;

use crate::config::NatsConfig;

/// Builds subject and stream names under the configured prefix.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    prefix: String,
}

impl Naming {
    pub fn new(prefix: &str) -> Self {
        Naming { prefix: prefix.to_string() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `rest` (a subject or filter) under the installation prefix.
    pub fn with_prefix(&self, rest: &str) -> String {
        if self.prefix.is_empty() { rest.to_string() } else { format!("{}.{rest}", self.prefix) }
    }

    /// `<prefix>.<context>.<tenant|_>.<aggregate>.<event>`
    pub fn subject(&self, context: &str, tenant: Option<Uuid>, aggregate: &str, event: &str) -> String {
        let tenant = tenant.map_or_else(|| "_".to_string(), |t| t.to_string());
        self.with_prefix(&format!("{context}.{tenant}.{aggregate}.{event}"))
    }

    /// A subject filter such as `identity.*.partner.approved`, under the prefix.
    pub fn filter(&self, pattern: &str) -> String {
        self.with_prefix(pattern)
    }

    pub fn stream(&self, context: &str) -> String {
        let name = context.to_ascii_uppercase();
        if self.prefix.is_empty() { name } else { format!("{}_{name}", self.prefix.to_ascii_uppercase()) }
    }

    pub fn stream_subjects(&self, context: &str) -> String {
        self.with_prefix(&format!("{context}.>"))
    }

    pub fn dead_letter_stream(&self) -> String {
        self.stream("deadletter")
    }

    pub fn dead_letter_subject(&self, consumer: &str) -> String {
        self.with_prefix(&format!("deadletter.{consumer}"))
    }

    /// The subject as services see it: without the installation prefix.
    pub fn strip<'a>(&self, subject: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            return subject;
        }
        subject.strip_prefix(&self.prefix).and_then(|s| s.strip_prefix('.')).unwrap_or(subject)
    }
}

/// A NATS connection with its JetStream context and naming.
#[derive(Clone)]
pub struct Bus {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub naming: Naming,
    duplicate_window: Duration,
    replicas: usize,
    /// X7: how long a stream keeps an event (zero: for ever).
    max_age: Duration,
}

impl Bus {
    pub async fn connect(cfg: &NatsConfig, name: &str) -> anyhow::Result<Bus> {
        let client = async_nats::ConnectOptions::new()
            .name(name)
            .connection_timeout(Duration::from_secs(5))
            .connect(&cfg.url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to NATS at {}: {e}", cfg.url))?;
        let js = jetstream::new(client.clone());
        Ok(Bus {
            client,
            js,
            naming: Naming::new(&cfg.prefix),
            duplicate_window: Duration::from_secs(cfg.duplicate_window_secs),
            replicas: cfg.stream_replicas,
            max_age: Duration::from_secs(cfg.stream_max_age_days.saturating_mul(86_400)),
        })
    }

    /// Creates the context's stream if missing (the owning service calls this at start).
    pub async fn ensure_stream(&self, context: &str) -> anyhow::Result<stream::Stream> {
        self.ensure(self.naming.stream(context), self.naming.stream_subjects(context)).await
    }

    pub async fn ensure_dead_letter_stream(&self) -> anyhow::Result<stream::Stream> {
        self.ensure(self.naming.dead_letter_stream(), self.naming.with_prefix("deadletter.>")).await
    }

    async fn ensure(&self, name: String, subjects: String) -> anyhow::Result<stream::Stream> {
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![subjects],
            storage: stream::StorageType::File,
            duplicate_window: self.duplicate_window,
            num_replicas: self.replicas,
            max_age: self.max_age,
            ..Default::default()
        };
        let mut last = None;
        // Services starting together race to create the same stream; the loser's create fails
        // ("subjects overlap" on NATS 2.9) although the stream now exists: look again.
        for attempt in 0..5u64 {
            match self.js.get_or_create_stream(config.clone()).await {
                Ok(stream) => return self.keep_max_age(stream).await,
                Err(e) => {
                    if let Ok(stream) = self.js.get_stream(&name).await {
                        return Ok(stream);
                    }
                    last = Some(e);
                    tokio::time::sleep(std::time::Duration::from_millis(50 * (attempt + 1))).await;
                }
            }
        }
        let e = last.map(|e| e.to_string()).unwrap_or_default();
        Err(anyhow::anyhow!(
            "cannot create JetStream stream {name} (is JetStream enabled? run nats-server with -js): {e}"
        ))
    }

    /// X7: a stream created before (or with another age limit) takes this one; events older
    /// than it are removed by JetStream.
    async fn keep_max_age(&self, mut stream: stream::Stream) -> anyhow::Result<stream::Stream> {
        let info = stream.info().await?;
        if info.config.max_age == self.max_age {
            return Ok(stream);
        }
        let config = stream::Config { max_age: self.max_age, ..info.config.clone() };
        self.js
            .update_stream(&config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot set the age limit of stream {}: {e}", config.name))?;
        Ok(self.js.get_stream(&config.name).await?)
    }

    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Deletes every stream under this bus's prefix (tests clean up after themselves).
    pub async fn delete_prefixed_streams(&self, contexts: &[&str]) {
        if self.naming.prefix.is_empty() {
            return;
        }
        for c in contexts.iter().copied().chain(["deadletter"]) {
            let _ = self.js.delete_stream(self.naming.stream(c)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix() {
        let n = Naming::new("t42");
        let t = Uuid::nil();
        assert_eq!(n.subject("orders", Some(t), "order", "completed"), format!("t42.orders.{t}.order.completed"));
        assert_eq!(n.stream("orders"), "T42_ORDERS");
        assert_eq!(n.stream_subjects("orders"), "t42.orders.>");
        assert_eq!(n.strip("t42.orders.x.order.paid"), "orders.x.order.paid");
        let plain = Naming::new("");
        assert_eq!(plain.subject("identity", None, "tenant", "created"), "identity._.tenant.created");
        assert_eq!(plain.stream("identity"), "IDENTITY");
    }
}
