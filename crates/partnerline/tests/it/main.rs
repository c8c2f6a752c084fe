//! The binary as a cluster runs it: every service a process of its own (`partnerline serve
//! --target <svc>`), several replicas of some, reaching each other through addresses that
//! balance over the replicas as a Kubernetes Service does.
#![allow(clippy::unwrap_used)]

mod cluster;
