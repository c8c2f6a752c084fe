//! L2: clicks on `/r/{code}` are answered at once and written later. The handler hands each
//! click to this buffer; one task sends them to attribution in batches (every 100 ms or 500
//! clicks), keeps a batch that could not be sent and tries again, and on shutdown sends what is
//! left before the gateway exits. A client (its IP hash) past a number of clicks in a minute is
//! still redirected, but its further clicks that minute are not counted (issue 17, 8): one
//! script cannot make a partner's numbers. Counted by each gateway replica on its own.

use std::collections::HashMap;
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

/// Clicks per client and minute (of the clicks' own time) this replica has counted.
struct Throttle {
    /// 0: no limit.
    limit: u32,
    minute: i64,
    seen: HashMap<String, u32>,
}

impl Throttle {
    fn new(limit: u32) -> Throttle {
        Throttle { limit, minute: i64::MIN, seen: HashMap::new() }
    }

    /// Whether `click` counts. A click of an earlier minute, come late, counts in this one.
    fn admit(&mut self, click: &pb::Click) -> bool {
        if self.limit == 0 {
            return true;
        }
        let minute =
            chrono::DateTime::parse_from_rfc3339(&click.at).map_or(self.minute, |t| t.timestamp().div_euclid(60));
        if minute > self.minute {
            self.minute = minute;
            self.seen.clear();
        }
        let n = self.seen.entry(click.ip_hash.clone()).or_default();
        *n += 1;
        *n <= self.limit
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

/// Runs until `shutdown`, then drains. `clicks_per_client`: per minute; 0 is no limit.
pub async fn flush(
    mut rx: mpsc::UnboundedReceiver<pb::Click>,
    mut client: AttributionClient<Channel>,
    shutdown: CancellationToken,
    clicks_per_client: u32,
) {
    let mut throttle = Throttle::new(clicks_per_client);
    let mut pending: Vec<pb::Click> = Vec::new();
    let mut fresh: Vec<pb::Click> = Vec::with_capacity(BATCH);
    let mut due: Option<Instant> = None;
    loop {
        let deadline = due.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let room = BATCH.saturating_sub(pending.len()).max(1);
        tokio::select! {
            // Everything waiting at once, not a wake-up and a timer per click.
            n = rx.recv_many(&mut fresh, room) => {
                if n == 0 {
                    break;
                }
                pending.extend(fresh.drain(..).filter(|c| throttle.admit(c)));
                if !pending.is_empty() {
                    due.get_or_insert_with(|| Instant::now() + LINGER);
                }
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
        if throttle.admit(&c) {
            pending.push(c);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn click(ip: &str, at: &str) -> pb::Click {
        pb::Click { ip_hash: ip.into(), at: at.into(), ..Default::default() }
    }

    #[test]
    fn s17_8_a_client_past_its_clicks_per_minute_stops_counting() {
        let mut t = Throttle::new(3);
        let admitted = (0..5).filter(|_| t.admit(&click("a", "2026-06-01T09:00:10Z"))).count();
        assert_eq!(admitted, 3);
        assert!(t.admit(&click("b", "2026-06-01T09:00:50Z")), "another client counts on its own");
        assert!(t.admit(&click("a", "2026-06-01T09:01:00Z")), "a new minute counts again");
        assert!(t.admit(&click("a", "2026-06-01T09:00:59Z")), "a late click counts in the current minute");
        assert!(Throttle::new(0).admit(&click("a", "x")), "0 is no limit");
    }
}
