//! REST handlers: each decodes the request, calls the owning service with the caller's token,
//! and encodes the answer. No handler decides who may do what: the service does.
//!
//! One rule for bodies: a service's own request and response messages are the REST bodies
//! (`proto/build.rs` gives them serde and OpenAPI schemas). A handler fills path parameters into
//! the request (`{ id, ..body }`). A hand-written type, kept beside its handler, says in a line
//! why REST differs: a `null` that clears, a public page that shows less, a URL of the gateway's.

pub mod api_keys;
pub mod applications;
pub mod auth;
pub mod claims;
pub mod commissions;
pub mod customers;
pub mod events;
pub mod fraud;
pub mod leads;
pub mod links;
pub mod notifications;
pub mod orders;
pub mod partners;
pub mod posters;
pub mod privacy;
pub mod program;
pub mod rates;
pub mod redirect;
pub mod reports;
pub mod storefront;
pub mod tenants;
pub mod test_clock;
pub mod users;
pub mod webhooks;

/// Distinguishes a field set to `null` (`Some(None)`) from a missing one (`None`), for the few
/// patches whose REST body clears a field with `null`.
pub fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(serde::Deserialize::deserialize(d)?))
}

/// Default and largest page sizes.
pub fn limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(50).clamp(1, 200)
}
