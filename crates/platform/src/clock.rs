//! "Now", given to every service. The system clock in production; a manual clock, moved only by
//! `POST /api/v1/_test/clock`, when the process runs with `--clock manual`, so hold, link and
//! protection periods are testable without sleeping.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

#[derive(Clone)]
pub struct Clock(Inner);

#[derive(Clone)]
enum Inner {
    System,
    Manual(Arc<watch::Sender<DateTime<Utc>>>),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Inner::System)
    }

    /// A clock that stands still at `start` until it is moved.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Clock(Inner::Manual(Arc::new(watch::channel(start).0)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Inner::System => Utc::now(),
            Inner::Manual(tx) => *tx.borrow(),
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self.0, Inner::Manual(_))
    }

    /// Moves a manual clock forward. Refused (returns false) for the system clock.
    pub fn advance(&self, by: chrono::Duration) -> bool {
        match &self.0 {
            Inner::System => false,
            Inner::Manual(tx) => {
                tx.send_modify(|t| *t += by);
                true
            }
        }
    }

    /// Sets a manual clock to `to` (backwards too: tests may need it). False for the system clock.
    pub fn set(&self, to: DateTime<Utc>) -> bool {
        match &self.0 {
            Inner::System => false,
            Inner::Manual(tx) => {
                tx.send_replace(to);
                true
            }
        }
    }

    /// Waits until the clock reads `deadline` or later. With the system clock this sleeps; with
    /// a manual clock it wakes whenever the clock is moved.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        match &self.0 {
            Inner::System => {
                let left = (deadline - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep(left).await;
            }
            Inner::Manual(tx) => {
                let mut rx = tx.subscribe();
                // Only fails when the sender is gone, which cannot happen while `self` holds it.
                let _ = rx.wait_for(|now| *now >= deadline).await;
            }
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Inner::System => f.write_str("Clock::System"),
            Inner::Manual(_) => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn system_clock_cannot_be_moved() {
        let c = Clock::system();
        assert!(!c.advance(chrono::Duration::days(1)));
        assert!(!c.is_manual());
    }

    #[test]
    fn manual_clock_stands_still_until_moved() {
        let start = "2026-01-01T00:00:00Z".parse().unwrap();
        let c = Clock::manual(start);
        assert_eq!(c.now(), start);
        assert!(c.advance(chrono::Duration::days(3)));
        assert_eq!(c.now(), start + chrono::Duration::days(3));
        let other = c.clone();
        assert_eq!(other.now(), c.now(), "clones share one time");
    }

    #[tokio::test]
    async fn sleep_until_wakes_when_the_manual_clock_passes_the_deadline() {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let c = Clock::manual(start);
        let waiter = tokio::spawn({
            let c = c.clone();
            async move { c.sleep_until(start + chrono::Duration::weeks(4)).await }
        });
        tokio::task::yield_now().await;
        c.advance(chrono::Duration::weeks(2));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        c.advance(chrono::Duration::weeks(2));
        tokio::time::timeout(Duration::from_secs(2), waiter).await.unwrap().unwrap();
    }
}
