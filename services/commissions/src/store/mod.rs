//! Commissions' SQL: one function per query, each through a `TenantTx`.

mod copies;
mod fraud;
mod ledger;
mod lines;
mod payouts;
mod reports;
mod rules;

pub use copies::*;
pub use fraud::*;
pub use ledger::*;
pub use lines::*;
pub use payouts::*;
pub use reports::*;
pub use rules::*;
