//! What notifications publishes: nothing yet. Its stream (`NOTIFICATIONS`) exists for the emails
//! and webhook deliveries to come (issue 26); a notification read is no one else's business.

pub const CONTEXT: &str = "notifications";
