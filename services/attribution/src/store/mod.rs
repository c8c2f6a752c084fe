//! Attribution's SQL: one function per query, each through a `TenantTx` where a tenant is known.

mod attributions;
mod bindings;
mod copies;
mod links;
mod posters;
mod privacy;

pub use attributions::*;
pub use bindings::*;
pub use copies::*;
pub use links::*;
pub use posters::*;
pub use privacy::*;
