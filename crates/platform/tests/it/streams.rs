//! JetStream streams as the services create them.

use std::time::Duration;

use platform::nats::Bus;
use platform::testkit::TestEnv;

/// X7: a stream keeps events for `nats.stream_max_age_days`, and a stream that exists already
/// takes a changed limit at the next start (0: for ever), so personal data in events ages out.
#[tokio::test]
async fn x7_streams_keep_events_for_the_configured_days_only() {
    let mut env = TestEnv::new();
    let day = Duration::from_secs(86_400);
    for (days, want) in [(30, day * 30), (2, day * 2), (0, Duration::ZERO)] {
        env.config.nats.stream_max_age_days = days;
        let bus = Bus::connect(&env.config.nats, "x7-test").await.unwrap();
        let mut stream = bus.ensure_stream("orders").await.unwrap();
        assert_eq!(stream.info().await.unwrap().config.max_age, want, "{days} days");
        let mut dl = bus.ensure_dead_letter_stream().await.unwrap();
        assert_eq!(dl.info().await.unwrap().config.max_age, want, "dead letters, {days} days");
    }
    env.cleanup().await;
}
