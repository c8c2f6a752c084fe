//! Customers' SQL: one function per query, each through a `TenantTx` so it filters by tenant.

mod crm;
mod customers;
mod groups;
mod leads;
mod links;
mod privacy;
mod reports;

pub use crm::*;
pub use customers::*;
pub use groups::*;
pub use leads::*;
pub use links::*;
pub use privacy::*;
pub use reports::*;
