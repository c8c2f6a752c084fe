//! Identity against the real PostgreSQL and NATS, through its gRPC API. Each test is named
//! after the PRODUCT.md rule it holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod rules;
mod sessions;
