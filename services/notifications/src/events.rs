//! What notifications publishes (subjects `notifications.<tenant>.<aggregate>.<event>`, payloads
//! from `proto/partnerline/events/v1/notifications.proto`): the announcements and messages people
//! write. A notification made or read is no one else's business.

pub const CONTEXT: &str = "notifications";
