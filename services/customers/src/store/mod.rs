//! Customers' SQL: one function per query, each through a `TenantTx` so it filters by tenant.

mod crm;
mod customers;
mod groups;
mod leads;
mod links;

pub use crm::*;
pub use customers::*;
pub use groups::*;
pub use leads::*;
pub use links::*;
