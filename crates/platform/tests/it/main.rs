//! Platform integration tests against the real PostgreSQL and NATS JetStream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod db;
mod outbox;
mod streams;
mod upkeep;
