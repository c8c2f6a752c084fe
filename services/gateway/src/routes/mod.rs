//! REST handlers: each decodes the request, calls the owning service with the caller's token,
//! and encodes the answer. No handler decides who may do what: the service does.

pub mod api_keys;
pub mod applications;
pub mod auth;
pub mod claims;
pub mod commissions;
pub mod customers;
pub mod join_page;
pub mod leads;
pub mod links;
pub mod orders;
pub mod partners;
pub mod posters;
pub mod program;
pub mod redirect;
pub mod storefront;
pub mod storefront_text;
pub mod tenants;
pub mod test_clock;
pub mod users;

/// Default and largest page sizes.
pub fn limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(50).clamp(1, 200)
}
