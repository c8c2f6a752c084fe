//! Black-box tests of the whole system through the public REST API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attribution;
mod commissions;
mod currency;
mod customers;
mod foundation;
mod fraud;
mod leads;
mod notifications;
mod orders;
mod privacy;
mod reports;
mod security;
mod web;
mod webhooks;
