//! Attribution's SQL: one function per query, each through a `TenantTx` where a tenant is known.

mod attributions;
mod bindings;
mod copies;
mod fraud;
mod links;
mod posters;
mod privacy;

pub use attributions::*;
pub use bindings::*;
pub use copies::*;
pub use fraud::*;
pub use links::*;
pub use posters::*;
pub use privacy::*;
