//! L2: clicks on `/r/{code}` are answered at once and written later. The handler hands each
//! click to this buffer; one task sends them to attribution in batches (every 100 ms or 500
//! clicks), keeps a batch that could not be sent and tries again, and on shutdown sends what is
//! left before the gateway exits.

use std::time::Duration;

use partnerline_proto::attribution::v1 as pb;
use partnerline_proto::attribution::v1::attribution_client::AttributionClient;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const BATCH: usize = 500;
const LINGER: Duration = Duration::from_millis(100);
const RETRY: Duration = Duration::from_millis(500);
/// How long a shutting-down gateway keeps trying to hand over its last clicks.
const DRAIN: Duration = Duration::from_secs(10);

/// Where handlers put clicks.
#[derive(Clone)]
pub struct ClickSink(mpsc::UnboundedSender<pb::Click>);

impl ClickSink {
    pub fn channel() -> (ClickSink, mpsc::UnboundedReceiver<pb::Click>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (ClickSink(tx), rx)
    }

    pub fn push(&self, click: pb::Click) {
        if self.0.send(click).is_err() {
            tracing::error!("click buffer closed: a click was not recorded");
        }
    }
}

/// Sends `pending`: emptied when attribution took it, kept for the next try when not.
async fn send(client: &mut AttributionClient<Channel>, pending: &mut Vec<pb::Click>) -> bool {
    let batch = pb::RecordClicksRequest { clicks: pending.clone() };
    match client.record_clicks(platform::grpc::request(batch, None)).await {
        Ok(_) => {
            pending.clear();
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, clicks = pending.len(), "clicks not recorded yet; kept for the next try");
            false
        }
    }
}

/// Runs until `shutdown`, then drains.
pub async fn flush(
    mut rx: mpsc::UnboundedReceiver<pb::Click>,
    mut client: AttributionClient<Channel>,
    shutdown: CancellationToken,
) {
    let mut pending: Vec<pb::Click> = Vec::new();
    let mut due: Option<Instant> = None;
    loop {
        let deadline = due.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let room = BATCH.saturating_sub(pending.len()).max(1);
        tokio::select! {
            // Everything waiting at once, not a wake-up and a timer per click.
            n = rx.recv_many(&mut pending, room) => {
                if n == 0 {
                    break;
                }
                due.get_or_insert_with(|| Instant::now() + LINGER);
            }
            _ = tokio::time::sleep_until(deadline), if due.is_some() => {}
            _ = shutdown.cancelled() => break,
        }
        let ready = pending.len() >= BATCH || due.is_some_and(|d| Instant::now() >= d);
        if ready && !pending.is_empty() {
            due = if send(&mut client, &mut pending).await { None } else { Some(Instant::now() + RETRY) };
        }
    }
    rx.close();
    while let Ok(c) = rx.try_recv() {
        pending.push(c);
    }
    let give_up = Instant::now() + DRAIN;
    while !pending.is_empty() && !send(&mut client, &mut pending).await {
        if Instant::now() >= give_up {
            tracing::error!(clicks = pending.len(), "shutting down with clicks attribution could not take");
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}
