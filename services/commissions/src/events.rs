//! What commissions publishes: `commissions.<tenant>.<aggregate>.<event>`.

pub const CONTEXT: &str = "commissions";

/// Times as every commissions message writes them.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
