//! The web pages: the partner portal (sign-in, home, customers, orders, earnings, promote, leads,
//! team, account) and the customer pages (/join, /pay, /q), server-rendered from
//! askama templates in five languages (Fluent), with CSS and a little JavaScript of its own.
//!
//! The gateway mounts [`router`], so pages and API share one front door, one port and one set of
//! security headers. A page asks the same gRPC services the REST API asks, with the signed-in
//! person's token; it owns no data and decides nothing about who may see what.

// The words and formats are shared with the emails; the pages' paths to them stay as they were.
pub use ::i18n;
pub use ::i18n::format;

pub mod chart;
pub mod errors;
pub mod pages;
pub mod session;

use axum::Router;
use axum::routing::{get, post};
use gateway::AppState;

/// The pages, with their session middleware. Static assets skip it: they hold nothing of anyone.
pub fn router(state: AppState) -> Router<AppState> {
    use pages::{customers, earnings, home, leads, login, notifications, orders, promote, public, team};
    let pages = Router::new()
        .route("/", get(home::root))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang/{code}", get(pages::choose_language))
        .route("/home", get(home::page))
        .route("/links/{id}/qr.svg", get(home::qr))
        .route("/customers", get(customers::list).post(customers::create))
        .route("/customers/{id}", get(customers::show).post(customers::update))
        .route("/customers/{id}/notes", post(customers::add_note))
        .route("/customers/{id}/notes/{note}", post(customers::update_note))
        .route("/customers/{id}/notes/{note}/delete", post(customers::delete_note))
        .route("/customers/{id}/log", post(customers::add_communication))
        .route("/customers/{id}/delete", post(customers::delete))
        .route("/customers/{id}/quick-link", post(customers::quick_link))
        .route("/customers/{id}/quick-link/revoke", post(customers::revoke_quick_link))
        .route("/orders", get(orders::list).post(orders::create))
        .route("/orders/new", get(orders::new_form))
        .route("/orders/{id}", get(orders::show))
        .route("/orders/{id}/notes", post(orders::add_note))
        .route("/orders/{id}/payment-link", post(orders::renew_link))
        .route("/join/{slug}", get(public::join).post(public::apply))
        .route("/pay/{token}", get(public::pay).post(public::pay_now))
        .route("/q/{token}", get(public::quick).post(public::quick_order))
        .route("/leads", get(leads::list).post(leads::submit))
        .route("/leads/{id}", get(leads::show))
        .route("/promote", get(promote::page))
        .route("/promote/links", post(promote::share))
        .route("/promote/posters", post(promote::poster))
        .route("/promote/coupons", post(promote::coupon))
        .route("/posters/{id}/image", get(promote::poster_image))
        .route("/links/{id}/qr.png", get(promote::qr_png))
        .route("/team", get(team::team))
        .route("/team/invite", post(team::invite))
        .route("/account", get(team::account))
        .route("/account/profile", post(team::profile))
        .route("/account/payout", post(team::payout_method))
        .route("/account/password", post(team::password))
        .route("/account/notifications", post(team::notification_preferences))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/open", post(notifications::open))
        .route("/announcements", get(notifications::announcements))
        .route("/messages", get(notifications::messages).post(notifications::send_message))
        .route("/earnings", get(earnings::page))
        .route("/earnings/payouts", post(earnings::request_payout))
        .layer(axum::middleware::from_fn_with_state(state, session::middleware));
    pages.merge(pages::assets())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_the_code_and_templates_use_exists() {
        let english = i18n::keys(i18n::SOURCES[0]);
        let mut used = std::collections::BTreeSet::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"));
        for dir in ["src", "src/pages", "templates"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).into_iter().flatten().flatten() {
                let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
                for call in [".t(\"", ".t1(\"", ".t2(\"", ".count(\"", ".count_with(\""] {
                    for part in text.split(call).skip(1) {
                        if let Some(key) = part.split('"').next().filter(|k| !k.is_empty() && !k.contains(' ')) {
                            used.insert(key.to_string());
                        }
                    }
                }
            }
        }
        assert!(used.len() > 30, "the scan finds the keys in use: {used:?}");
        let missing: Vec<_> = used.difference(&english).collect();
        assert!(missing.is_empty(), "keys used but not in en.ftl: {missing:?}");
    }
}
