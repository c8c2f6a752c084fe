//! The web pages: the partner portal (sign-in, home, customers, orders, earnings, promote, leads,
//! team, account) and the customer pages (/join, /pay, /q), server-rendered from
//! askama templates in five languages (Fluent), with CSS and a little JavaScript of its own.
//!
//! The gateway mounts [`router`], so pages and API share one front door, one port and one set of
//! security headers. A page asks the same gRPC services the REST API asks, with the signed-in
//! person's token; it owns no data and decides nothing about who may see what.

pub mod chart;
pub mod errors;
pub mod format;
pub mod i18n;
pub mod pages;
pub mod session;

use axum::Router;
use axum::routing::{get, post};
use gateway::AppState;

/// The pages, with their session middleware. Static assets skip it: they hold nothing of anyone.
pub fn router(state: AppState) -> Router<AppState> {
    use pages::{customers, earnings, home, leads, login, orders, promote, public, team};
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
        .route("/earnings", get(earnings::page))
        .route("/earnings/payouts", post(earnings::request_payout))
        .layer(axum::middleware::from_fn_with_state(state, session::middleware));
    pages.merge(pages::assets())
}
