//! I2: webhooks' rules, pure: which events an endpoint wants, which URLs it may have, how a
//! message is signed (Standard Webhooks) and when a failed one is tried again.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use platform::AppError;
use rand::RngCore;
use sha2::Sha256;

/// The type of the message "send test event" sends; no event of the system has it.
pub const TEST_TYPE: &str = "webhook.test";

/// After how long a failed delivery is tried again: the n-th wait follows the n-th failure
/// (Svix's schedule); after the last try it has failed for good.
pub const SCHEDULE: [chrono::Duration; 7] = [
    chrono::Duration::seconds(5),
    chrono::Duration::minutes(5),
    chrono::Duration::minutes(30),
    chrono::Duration::hours(2),
    chrono::Duration::hours(5),
    chrono::Duration::hours(10),
    chrono::Duration::hours(10),
];

/// An endpoint that has failed every delivery for this long is disabled.
pub const DISABLE_AFTER: chrono::Duration = chrono::Duration::days(5);

/// The wait after the `failures`-th failure in a row; `None`: no more tries.
pub fn retry_after(failures: i32) -> Option<chrono::Duration> {
    let i = usize::try_from(failures.max(1) - 1).ok()?;
    SCHEDULE.get(i).copied()
}

/// The integrator-facing type of an event on `<context>.<tenant>.<aggregate>.<event>`:
/// `<context>.<aggregate>.<event>`.
pub fn event_type(subject: &str) -> Option<String> {
    let t: Vec<&str> = subject.split('.').collect();
    (t.len() == 4).then(|| format!("{}.{}.{}", t[0], t[2], t[3]))
}

/// Whether a filter (`orders.order.placed`, `orders.order.*`, `orders.*`) takes a type.
pub fn matches(filter: &str, ty: &str) -> bool {
    match filter.strip_suffix(".*") {
        Some(prefix) => ty.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
        None => filter == ty,
    }
}

/// Whether an endpoint's filters (none: everything) take a type.
pub fn wants(filters: &[String], ty: &str) -> bool {
    filters.is_empty() || filters.iter().any(|f| matches(f, ty))
}

/// The filters as given, each a type of the catalog or a context's or aggregate's `.*`; a
/// filter that takes no type is an error naming it.
pub fn filters(field: &str, raw: &[String]) -> Result<Vec<String>, AppError> {
    let known: Vec<String> = partnerline_proto::catalog::EVENTS
        .iter()
        .map(|e| format!("{}.{}", e.context, e.name()))
        .chain([TEST_TYPE.to_string()])
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (i, f) in raw.iter().enumerate() {
        let f = f.trim();
        if !known.iter().any(|k| matches(f, k)) {
            return Err(AppError::invalid(
                format!("{field}[{i}]"),
                format!("`{f}` is no event type (see /api/v1/asyncapi.yaml; `orders.*` takes a context's)"),
            ));
        }
        if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    if out.len() > 100 {
        return Err(AppError::invalid(field, "at most 100 event types"));
    }
    Ok(out)
}

/// Whether a delivery may go to this address: outside a development run, not to the machine
/// itself, the cluster's or a home network, link-local (cloud metadata) or multicast.
pub fn public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0xdb8) // documentation
        }
    }
}

/// An endpoint's URL: http(s), with a host, at most 2000 characters; outside a development
/// run an address literal must be public and `localhost` is refused (names are checked again
/// when they are resolved, at every delivery).
pub fn endpoint_url(raw: &str, dev: bool) -> Result<String, AppError> {
    const FIELD: &str = "url";
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AppError::invalid(FIELD, "is required"));
    }
    if raw.len() > 2000 {
        return Err(AppError::invalid(FIELD, "must be at most 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| AppError::invalid(FIELD, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::invalid(FIELD, "must start with https:// (or http://)"));
    }
    let private = || AppError::invalid(FIELD, "is a private or local address; a webhook goes to a public one");
    match url.host() {
        None => return Err(AppError::invalid(FIELD, "has no host")),
        Some(_) if dev => {}
        Some(url::Host::Ipv4(ip)) if !public_address(IpAddr::V4(ip)) => return Err(private()),
        Some(url::Host::Ipv6(ip)) if !public_address(IpAddr::V6(ip)) => return Err(private()),
        Some(url::Host::Domain(d)) if d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local") => {
            return Err(private());
        }
        Some(_) => {}
    }
    Ok(url.to_string())
}

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("whsec_{}", B64.encode(key))
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under a `whsec_` secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).unwrap_or_default();
    #[allow(clippy::expect_used)] // HMAC takes a key of any length
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per secret, space-separated (during a
/// rotation's grace period, the new secret's and the old one's).
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    secrets.iter().map(|s| signature(s, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// The body of a message: `{"type", "timestamp", "data"}`.
pub fn envelope(ty: &str, timestamp: chrono::DateTime<chrono::Utc>, data: serde_json::Value) -> String {
    serde_json::json!({
        "type": ty,
        "timestamp": timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    })
    .to_string()
}

/// An event's payload as JSON, by the catalog's message of its subject
/// (`<context>.<tenant>.<aggregate>.<event>`); an event the catalog lacks carries `null`.
pub fn event_data(subject: &str, payload: &[u8]) -> anyhow::Result<serde_json::Value> {
    let t: Vec<&str> = subject.split('.').collect();
    let Some(e) = (t.len() == 4)
        .then(|| {
            partnerline_proto::catalog::EVENTS
                .iter()
                .find(|e| e.context == t[0] && e.aggregate == t[2] && e.event == t[3])
        })
        .flatten()
    else {
        tracing::warn!(subject, "an event the catalog does not list: its data is null");
        return Ok(serde_json::Value::Null);
    };
    match partnerline_proto::events::v1::to_json(e.message, payload) {
        Some(data) => Ok(data.map_err(|err| anyhow::anyhow!("{subject}: {err}"))?),
        None => Ok(serde_json::Value::Null),
    }
}

/// `webhook-id`: one per message, the same on every attempt, so a receiver can drop a copy.
pub fn message_id(event_id: &str) -> String {
    format!("msg_{}", event_id.replace('-', ""))
}

#[cfg(test)]
mod tests;
