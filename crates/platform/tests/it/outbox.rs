//! The outbox and the inbox-guarded consumer, crashed at their worst moments.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform::consumer::{self, ConsumerSpec, Handler, IncomingEvent};
use platform::metrics::Metrics;
use platform::nats::Bus;
use platform::outbox::{NewEvent, Outbox, Relay};
use platform::testkit::TestEnv;
use platform::{Clock, Runtime};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

const CONTEXT: &str = "widgets";

struct Setup {
    env: TestEnv,
    pool: PgPool,
    bus: Bus,
    outbox: Outbox,
    relay: Relay,
}

async fn setup(duplicate_window: Duration) -> Setup {
    let mut env = TestEnv::new();
    env.config.nats.duplicate_window_secs = duplicate_window.as_secs().max(1);
    let rt = Runtime::new(env.config.clone(), Clock::system(), CancellationToken::new());
    let pool = rt.database("outboxtest", sqlx::migrate::Migrator::DEFAULT).await.unwrap();
    sqlx::query("CREATE TABLE effects (event_id TEXT NOT NULL, n INT NOT NULL)").execute(&pool).await.unwrap();
    let mut bus = rt.bus("outboxtest").await.unwrap();
    if duplicate_window < Duration::from_secs(1) {
        // JetStream's duplicate window in milliseconds, below what the config expresses.
        bus = with_window(bus, duplicate_window).await;
    }
    bus.ensure_stream(CONTEXT).await.unwrap();
    let outbox = Outbox::new("widgets", bus.naming.clone(), Clock::system());
    let relay = Relay::new(pool.clone(), bus.clone(), Metrics::new());
    Setup { env, pool, bus, outbox, relay }
}

/// A consumer loop running in the background until [`Running::stop`].
struct Running {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops the loop and asserts it ended cleanly.
    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

/// Runs the consumer `spec` with `handler` on the setup's database and bus.
fn start<H: Handler + Send + Sync + 'static>(s: &Setup, metrics: &Metrics, spec: ConsumerSpec, handler: H) -> Running {
    let shutdown = CancellationToken::new();
    let task =
        tokio::spawn(consumer::run(s.pool.clone(), s.bus.clone(), metrics.clone(), spec, handler, shutdown.clone()));
    Running { shutdown, task }
}

async fn with_window(bus: Bus, window: Duration) -> Bus {
    use async_nats::jetstream::stream;
    bus.js
        .create_stream(stream::Config {
            name: bus.naming.stream(CONTEXT),
            subjects: vec![bus.naming.stream_subjects(CONTEXT)],
            duplicate_window: window,
            ..Default::default()
        })
        .await
        .unwrap();
    bus
}

async fn enqueue(s: &Setup, n: usize) -> Vec<uuid::Uuid> {
    let mut tx = s.pool.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let payload = format!("widget {i}");
        let id = s
            .outbox
            .enqueue(
                &mut tx,
                NewEvent {
                    tenant: None,
                    aggregate: "widget",
                    aggregate_id: i.to_string(),
                    event: "made",
                    payload: &payload,
                },
            )
            .await
            .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

async fn stream_count(s: &Setup) -> u64 {
    let mut stream = s.bus.js.get_stream(s.bus.naming.stream(CONTEXT)).await.unwrap();
    stream.info().await.unwrap().state.messages
}

/// Counts applications of each event in the `effects` table, in the handler's transaction.
#[derive(Clone)]
struct CountingHandler;

impl Handler for CountingHandler {
    async fn handle(&self, conn: &mut PgConnection, event: &IncomingEvent) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO effects (event_id, n) VALUES ($1, 1)").bind(&event.id).execute(conn).await?;
        Ok(())
    }
}

async fn effects(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT count(*), count(DISTINCT event_id) FROM effects").fetch_one(pool).await.unwrap()
}

async fn wait_for_effects(pool: &PgPool, want: i64) {
    for _ in 0..200 {
        if effects(pool).await.1 >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {want} effects; have {:?}", effects(pool).await);
}

#[tokio::test]
async fn outbox_relay_killed_between_ack_and_mark_delivers_each_event_once() {
    let mut s = setup(Duration::from_secs(120)).await;
    enqueue(&s, 5).await;

    let err = s.relay.publish_batch_then_crash().await.unwrap_err();
    assert!(err.to_string().contains("injected crash"));
    assert_eq!(s.relay.unsent().await.unwrap(), 5, "rows stay unsent after the crash");
    assert_eq!(stream_count(&s).await, 5, "the events reached JetStream before the crash");

    // Restart: the same rows are published again, JetStream drops them as duplicates.
    assert_eq!(s.relay.drain().await.unwrap(), 5);
    assert_eq!(s.relay.unsent().await.unwrap(), 0);
    assert_eq!(stream_count(&s).await, 5, "Nats-Msg-Id = event id: stored once");

    let running = start(&s, &Metrics::new(), ConsumerSpec::new("counter", CONTEXT, &["widgets.>"]), CountingHandler);
    wait_for_effects(&s.pool, 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.stop().await;
    assert_eq!(effects(&s.pool).await, (5, 5), "each event applied exactly once");
    // Sent rows are kept for the retention period, then pruned; unsent ones never are.
    assert_eq!(s.relay.prune().await.unwrap(), 0, "sent rows are kept a week by default");
    enqueue(&s, 1).await;
    let pruned = s.relay.clone().with_retention(Duration::ZERO).prune().await.unwrap();
    assert_eq!(pruned, 5);
    assert_eq!(s.relay.unsent().await.unwrap(), 1, "the unsent row stays");
    s.env.cleanup().await;
}

/// Three events whose relay crashed after publishing and published them again once JetStream's
/// duplicate window (100 ms here) had passed, so the stream holds each of them twice.
async fn three_events_stored_twice() -> Setup {
    let s = setup(Duration::from_millis(100)).await;
    enqueue(&s, 3).await;
    s.relay.publish_batch_then_crash().await.unwrap_err();
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.relay.drain().await.unwrap();
    assert_eq!(stream_count(&s).await, 6, "the stream now holds every event twice");
    s
}

#[tokio::test]
async fn outbox_duplicates_past_the_jetstream_window_are_dropped_by_the_inbox() {
    // Only the consumers' inbox stands between the duplicates and a double effect.
    let mut s = three_events_stored_twice().await;

    let running = start(&s, &Metrics::new(), ConsumerSpec::new("counter", CONTEXT, &[]), CountingHandler);
    wait_for_effects(&s.pool, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.stop().await;
    assert_eq!(effects(&s.pool).await, (3, 3), "six deliveries, three effects");
    s.env.cleanup().await;
}

#[tokio::test]
async fn a_consumer_forgets_inbox_ids_older_than_its_retention_and_keeps_the_rest() {
    let mut s = setup(Duration::from_secs(1)).await;
    let days = |d: i32| format!("now() - interval '{d} days'");
    for (consumer, id, age) in [("counter", "old", 31), ("counter", "recent", 29), ("other", "old", 31)] {
        sqlx::query(&format!(
            "INSERT INTO inbox (consumer, event_id, subject, received_at) VALUES ($1, $2, 'x', {})",
            days(age)
        ))
        .bind(consumer)
        .bind(id)
        .execute(&s.pool)
        .await
        .unwrap();
    }
    let left = |pool: PgPool| async move {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT consumer, event_id FROM inbox ORDER BY 1, 2").fetch_all(&pool).await.unwrap();
        rows.into_iter().map(|(c, e)| format!("{c}/{e}")).collect::<Vec<_>>()
    };
    assert_eq!(consumer::prune_inbox(&s.pool, "counter", consumer::INBOX_RETENTION).await.unwrap(), 1);
    assert_eq!(left(s.pool.clone()).await, ["counter/recent", "other/old"], "only counter's expired id goes");

    // A running consumer prunes its own at start (here with a retention of 28 days).
    let mut spec = ConsumerSpec::new("counter", CONTEXT, &[]);
    spec.inbox_retention = Duration::from_secs(28 * 86_400);
    let running = start(&s, &Metrics::new(), spec, CountingHandler);
    for _ in 0..100 {
        if left(s.pool.clone()).await.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.stop().await;
    assert_eq!(left(s.pool.clone()).await, ["other/old"]);
    s.env.cleanup().await;
}

#[tokio::test]
async fn a_consumer_without_inbox_hands_every_delivery_to_its_handler_and_records_none() {
    // The same republished duplicates as above, read by a consumer whose handler must turn them
    // away itself (an idempotent projection): it sees all six, the inbox stays empty.
    let mut s = three_events_stored_twice().await;

    let spec = ConsumerSpec::new("projection", CONTEXT, &[]).without_inbox();
    assert!(!spec.inbox);
    let running = start(&s, &Metrics::new(), spec, CountingHandler);
    for _ in 0..200 {
        if effects(&s.pool).await.0 >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.stop().await;
    assert_eq!(effects(&s.pool).await, (6, 3), "six deliveries reach the handler, three events among them");
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox").fetch_one(&s.pool).await.unwrap();
    assert_eq!(inbox, 0, "nothing recorded in the inbox");
    s.env.cleanup().await;
}

#[tokio::test]
async fn a_durable_leaves_room_for_every_loops_batch_in_flight_and_an_old_one_is_raised() {
    // JetStream's default of 1,000 unacknowledged deliveries is less than two loops' batches of
    // 512: each loop then waits out its fetch for a batch the server will not finish.
    let mut s = setup(Duration::from_secs(120)).await;
    let stream = s.bus.ensure_stream(CONTEXT).await.unwrap();
    let old = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: Some("sized".into()),
            ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.cached_info().config.max_ack_pending, 1000, "JetStream's default");

    let spec = ConsumerSpec::new("sized", CONTEXT, &[]);
    let running = start(&s, &Metrics::new(), spec.clone(), CountingHandler);
    let want = i64::try_from(spec.batch * consumer::MAX_LOOPS).unwrap();
    let mut got = 0;
    for _ in 0..100 {
        got = stream.clone().consumer_info("sized").await.unwrap().config.max_ack_pending;
        if got == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.stop().await;
    assert_eq!(got, want);
    assert!(got >= 2 * spec.batch as i64);
    s.env.cleanup().await;
}

#[tokio::test]
async fn consumer_crash_before_ack_is_redelivered_and_applied_once() {
    let mut s = setup(Duration::from_secs(120)).await;
    enqueue(&s, 1).await;
    s.relay.drain().await.unwrap();

    let mut spec = ConsumerSpec::new("crashy", CONTEXT, &[]);
    spec.ack_wait = Duration::from_secs(1);
    spec.crash_after_commit = Arc::new(AtomicUsize::new(1));
    let crashed = consumer::run(
        s.pool.clone(),
        s.bus.clone(),
        Metrics::new(),
        spec.clone(),
        CountingHandler,
        CancellationToken::new(),
    )
    .await;
    assert!(crashed.unwrap_err().to_string().contains("injected crash"));
    assert_eq!(effects(&s.pool).await, (1, 1), "the effect committed before the crash");
    assert_eq!(spec.crash_after_commit.load(Ordering::SeqCst), 0);

    // Restart: the unacknowledged event comes back after ack_wait; the inbox turns it into a no-op.
    let metrics = Metrics::new();
    let running = start(&s, &metrics, spec, CountingHandler);
    let mut redelivered = false;
    for _ in 0..100 {
        if metrics.render().contains(r#"outcome="duplicate"} 1"#) {
            redelivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.stop().await;
    assert!(redelivered, "the event was redelivered: {}", metrics.render());
    assert_eq!(effects(&s.pool).await, (1, 1), "and applied once");
    s.env.cleanup().await;
}

/// The last event the consumer `durable` dead-lettered, waiting up to 10 s for one.
async fn dead_letter(s: &Setup, durable: &str) -> Option<async_nats::jetstream::message::StreamMessage> {
    let dl = s.bus.ensure_dead_letter_stream().await.unwrap();
    for _ in 0..100 {
        if let Ok(m) = dl.get_last_raw_message_by_subject(&s.bus.naming.dead_letter_subject(durable)).await {
            return Some(m);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Fails every time.
struct Failing;

impl Handler for Failing {
    async fn handle(&self, _conn: &mut PgConnection, _event: &IncomingEvent) -> anyhow::Result<()> {
        anyhow::bail!("widget factory on fire")
    }
}

#[tokio::test]
async fn consumer_gives_up_after_bounded_redelivery_and_dead_letters_the_event() {
    let mut s = setup(Duration::from_secs(120)).await;
    let ids = enqueue(&s, 1).await;
    s.relay.drain().await.unwrap();

    let mut spec = ConsumerSpec::new("doomed", CONTEXT, &[]);
    spec.max_deliver = 3;
    spec.backoff = vec![Duration::from_millis(100)];
    let running = start(&s, &Metrics::new(), spec, Failing);

    let found = dead_letter(&s, "doomed").await;
    running.stop().await;
    let m = found.expect("the event reached the dead-letter subject");
    let headers = m.headers;
    assert_eq!(headers.get("ce-id").unwrap().as_str(), ids[0].to_string());
    assert!(headers.get("pl-dead-letter-reason").unwrap().as_str().contains("on fire"));
    assert_eq!(effects(&s.pool).await, (0, 0));
    s.env.cleanup().await;
}

/// Applies every event but `widget 3`, which always fails.
struct OneBad;

impl Handler for OneBad {
    async fn handle(&self, conn: &mut PgConnection, event: &IncomingEvent) -> anyhow::Result<()> {
        if event.payload.ends_with(b"widget 3") {
            anyhow::bail!("widget 3 is on fire");
        }
        CountingHandler.handle(conn, event).await
    }
}

#[tokio::test]
async fn a_batch_with_one_bad_event_applies_the_others_once_and_dead_letters_it_alone() {
    let mut s = setup(Duration::from_secs(120)).await;
    let ids = enqueue(&s, 10).await;
    s.relay.drain().await.unwrap();

    let mut spec = ConsumerSpec::new("batchy", CONTEXT, &[]);
    spec.max_deliver = 2;
    spec.backoff = vec![Duration::from_millis(100)];
    let metrics = Metrics::new();
    let running = start(&s, &metrics, spec, OneBad);
    wait_for_effects(&s.pool, 9).await;
    let found = dead_letter(&s, "batchy").await;
    running.stop().await;
    let m = found.unwrap_or_else(|| panic!("the bad event reached the dead-letter subject: {}", metrics.render()));
    assert_eq!(m.headers.get("ce-id").unwrap().as_str(), ids[3].to_string());
    // The batch failed as a whole and was applied one by one: nine effects, each once.
    assert_eq!(effects(&s.pool).await, (9, 9));
    let text = metrics.render();
    assert!(text.contains(r#"consumer="batchy",outcome="applied"} 9"#), "{text}");
    assert!(text.contains(r#"consumer="batchy",outcome="dead_lettered"} 1"#), "{text}");
    s.env.cleanup().await;
}

#[tokio::test]
async fn a_batch_is_applied_in_one_transaction_and_each_event_once() {
    let mut s = setup(Duration::from_secs(120)).await;
    enqueue(&s, 300).await;
    s.relay.drain().await.unwrap();

    let spec = ConsumerSpec::new("bulk", CONTEXT, &[]);
    let metrics = Metrics::new();
    let running = start(&s, &metrics, spec, CountingHandler);
    wait_for_effects(&s.pool, 300).await;
    running.stop().await;
    assert_eq!(effects(&s.pool).await, (300, 300));
    // All 300 were waiting, so one fetch took them and one transaction wrote them.
    let txs: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT xmin::text) FROM effects").fetch_one(&s.pool).await.unwrap();
    assert_eq!(txs, 1);
    s.env.cleanup().await;
}
