//! Issue 17, 5: access that ends takes effect at once, in every process. Identity publishes
//! `access.revoked` (sessions that ended, a revoked API key); each process follows its stream
//! into one [`Revocations`] its verifiers share, from a token lifetime back, so a process that
//! starts late still knows what ended before it.

use std::time::Duration;

use futures::StreamExt;
use partnerline_proto::events::v1::AccessRevoked;
use prost::Message;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::auth::Revocations;
use crate::nats::Bus;
use crate::{Clock, Config};

/// Follows identity's revocations until `shutdown`; reconnects (and replays) after a failure,
/// and waits for identity's stream while it does not exist yet.
pub async fn follow(config: std::sync::Arc<Config>, revoked: Revocations, clock: Clock, shutdown: CancellationToken) {
    loop {
        match run(&config, &revoked, &clock, &shutdown).await {
            Ok(()) => return,
            Err(e) => tracing::debug!(error = %e, "revocations: not followed yet; trying again"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn run(
    config: &Config,
    revoked: &Revocations,
    clock: &Clock,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    use async_nats::jetstream::consumer::{DeliverPolicy, pull};
    let bus = Bus::connect(&config.nats, "partnerline-revocations").await?;
    let stream = bus.js.get_stream(bus.naming.stream("identity")).await?;
    let lifetime = i64::try_from(config.auth.access_token_ttl_secs)? + 60;
    // By the NATS server's clock: it stamps the messages this selects from.
    let start_time = time::OffsetDateTime::now_utc() - time::Duration::seconds(lifetime);
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: bus.naming.with_prefix("identity.*.access.revoked"),
            deliver_policy: DeliverPolicy::ByStartTime { start_time },
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    tracing::debug!("revocations: following identity's access.revoked");
    loop {
        let m = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            m = messages.next() => m.ok_or_else(|| anyhow::anyhow!("the revocations consumer ended"))??,
        };
        let now = clock.now().timestamp();
        match AccessRevoked::decode(m.payload.as_ref()) {
            Ok(r) => apply(revoked, &r, now),
            Err(e) => tracing::warn!(error = %e, "revocations: an access.revoked event that cannot be read"),
        }
        revoked.forget_before(now - lifetime);
    }
}

/// What one event ends.
pub fn apply(revoked: &Revocations, r: &AccessRevoked, now: i64) {
    for s in &r.session_ids {
        if let Ok(id) = Uuid::parse_str(s) {
            revoked.end_session(id, now);
        }
    }
    if let Some(key) = r.api_key_id.as_deref().and_then(|k| Uuid::parse_str(k).ok()) {
        revoked.end_subject(key, now);
    }
}
