//! Identity's SQL: one function per query. Tenant-owned data is reached only through a
//! `TenantTx`, so every such query filters by the caller's tenant.

mod partners;
mod sessions;
mod tenants;
mod users;

pub use partners::*;
pub use sessions::*;
pub use tenants::*;
pub use users::*;
