//! Orders' SQL: one function per query, each through a `TenantTx` so it filters by tenant.

mod catalog;
mod coupons;
mod imports;
mod orders;
mod payments;
mod privacy;
mod rates;
mod reports;

pub use catalog::*;
pub use coupons::*;
pub use imports::*;
pub use orders::*;
pub use payments::*;
pub use privacy::*;
pub use rates::*;
pub use reports::*;
