//! Notifications' SQL: one function per query, each through a `TenantTx` so it filters by tenant
//! (the mailer's claim of what is due, across programs, is the one exception).

mod emails;
mod notifications;
mod partners;
mod preferences;
mod privacy;
mod threads;
mod webhooks;

pub use emails::*;
pub use notifications::*;
pub use partners::*;
pub use preferences::*;
pub use privacy::*;
pub use threads::*;
pub use webhooks::*;
