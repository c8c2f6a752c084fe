#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn i2_signs_as_the_standard_webhooks_specification_example() {
    // The specification's example: secret, id, timestamp, body and the signature it gives.
    let sig = signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        r#"{"test": 2432232314}"#,
    );
    assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    let both = signature_header(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &new_secret()], "m", 1, "{}");
    assert_eq!(both.split(' ').count(), 2);
    assert!(new_secret().starts_with("whsec_") && new_secret() != new_secret());
}

#[test]
fn i2_retries_on_the_schedule_then_gives_up() {
    let waits: Vec<i64> = (1..=8).filter_map(retry_after).map(|d| d.num_seconds()).collect();
    assert_eq!(waits, [5, 300, 1800, 7200, 18000, 36000, 36000]);
    assert_eq!(retry_after(8), None);
}

#[test]
fn i2_filters_take_types_contexts_and_aggregates() {
    assert!(matches("orders.order.placed", "orders.order.placed"));
    assert!(matches("orders.*", "orders.order.placed"));
    assert!(matches("orders.order.*", "orders.order.placed"));
    assert!(!matches("orders.order.*", "orders.orderx.placed"));
    assert!(!matches("order.*", "orders.order.placed"));
    assert!(wants(&[], "identity.partner.approved"));
    assert!(!wants(&["orders.*".into()], "identity.partner.approved"));
    let ok = filters("event_types", &["orders.*".into(), "commissions.payout.paid".into(), "orders.*".into()]).unwrap();
    assert_eq!(ok, ["orders.*", "commissions.payout.paid"]);
    let err = filters("event_types", &["orders.order.placed".into(), "orders.order.eaten".into()]).unwrap_err();
    assert_eq!(err.errors[0].field, "event_types[1]");
    assert_eq!(event_type("orders.t1.order.placed").as_deref(), Some("orders.order.placed"));
}

#[test]
fn i2_private_addresses_are_refused_outside_a_development_run() {
    for bad in [
        "http://127.0.0.1:9000/hook",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8080/",
        "http://kube-dns.local/",
    ] {
        let e = endpoint_url(bad, false).unwrap_err();
        assert_eq!(e.errors[0].field, "url", "{bad}");
        assert!(endpoint_url(bad, true).is_ok(), "a development run takes {bad}");
    }
    for bad in ["ftp://example.com/", "not a url", "", "file:///etc/passwd"] {
        assert!(endpoint_url(bad, true).is_err(), "{bad}");
    }
    assert_eq!(endpoint_url(" https://hooks.example.com/p ", false).unwrap(), "https://hooks.example.com/p");
    assert!(endpoint_url("http://8.8.8.8/", false).is_ok());
    assert!(public_address("2606:4700::1111".parse().unwrap()));
}

#[test]
fn i2_a_batch_of_attempts_keeps_each_endpoints_failure_run() {
    use crate::store::{Done, Outcome, Run, failure_runs};
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z").unwrap().to_utc();
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    let (a, b, c) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2), uuid::Uuid::from_u128(3));
    let done =
        |e| Done { message_id: "m".into(), endpoint_id: e, tenant_id: e, trigger: "scheduled".into(), attempt: None };
    let o = |s, ok| Outcome {
        attempted_at: at(s),
        status_code: if ok { 204 } else { 500 },
        duration_ms: 1,
        response: String::new(),
        error: String::new(),
        succeeded: ok,
        next: None,
    };
    let (da, db, dc) = (done(a), done(b), done(c));
    // Given out of time order, as posts end: a fails, succeeds, fails twice; b only fails; c
    // fails then succeeds.
    let (a1, a2, a3, a4, b1, b2, c1, c2) =
        (o(3, false), o(1, false), o(2, true), o(4, false), o(5, false), o(6, false), o(7, false), o(8, true));
    let tried = [(&da, &a1), (&da, &a2), (&da, &a3), (&da, &a4), (&db, &b2), (&db, &b1), (&dc, &c1), (&dc, &c2)];
    assert_eq!(
        failure_runs(&tried),
        [
            // The run starts again at the first failure after the success, and is failing.
            Run { endpoint: a, reset: true, since: Some(at(3)), last_failure: Some(at(4)) },
            // No success: the run goes on from where it was, or starts at the first failure.
            Run { endpoint: b, reset: false, since: Some(at(5)), last_failure: Some(at(6)) },
            // Ends well: no run.
            Run { endpoint: c, reset: true, since: None, last_failure: None },
        ]
    );
}
