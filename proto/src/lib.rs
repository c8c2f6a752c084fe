//! The protobuf contracts of Partnerline: one gRPC API per service and one file of event
//! messages per bounded context. Generated at build time by protox + tonic-prost-build.
//! This crate holds no logic.
#![allow(clippy::all, clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod identity {
    pub mod v1 {
        tonic::include_proto!("partnerline.identity.v1");
    }
}

pub mod customers {
    pub mod v1 {
        tonic::include_proto!("partnerline.customers.v1");
    }
}

pub mod orders {
    pub mod v1 {
        tonic::include_proto!("partnerline.orders.v1");
    }
}

pub mod attribution {
    pub mod v1 {
        tonic::include_proto!("partnerline.attribution.v1");
    }
}

pub mod commissions {
    pub mod v1 {
        tonic::include_proto!("partnerline.commissions.v1");
    }
}

pub mod notifications {
    pub mod v1 {
        tonic::include_proto!("partnerline.notifications.v1");
    }
}

pub mod catalog;

/// The compiled `.proto` files (a `google.protobuf.FileDescriptorSet`), for documents that list
/// each message's fields.
pub const DESCRIPTOR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));

pub mod events {
    pub mod v1 {
        tonic::include_proto!("partnerline.events.v1");
        include!(concat!(env!("OUT_DIR"), "/events_json.rs"));
    }
}
