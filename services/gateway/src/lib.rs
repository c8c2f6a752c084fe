//! The gateway: the one front door for people and integrators. It serves the REST API under
//! `/api/v1` (JSON, RFC 9457 problems, OpenAPI 3.1 at `/api/v1/openapi.json`, Swagger UI at
//! `/api/docs`), `/r/{code}`, and the web crate's pages, which its caller hands to [`run`].
//!
//! It owns no business data and decides nothing about who may do what: every question goes to
//! the owning service over gRPC with the caller's token, and that service authorizes. Its own
//! small database holds only the saved responses behind `Idempotency-Key`.

pub mod asyncapi;
pub mod auth;
pub mod clicks;
pub mod idempotency;
pub mod limits;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod state;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use partnerline_proto::attribution::v1::attribution_client::AttributionClient;
use platform::Runtime;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub use state::AppState;

pub const SERVICE: &str = "gateway";

/// Largest request body accepted (1 MiB).
pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// Serves the REST API, the public pages and `pages` (the web crate's portal, which depends on
/// this crate and so is handed in) on `listener` until `rt.shutdown`; in-flight requests finish
/// first.
pub async fn run(rt: Runtime, listener: TcpListener, pages: fn(AppState) -> Router<AppState>) -> anyhow::Result<()> {
    let redirect = rt.config.section::<state::RedirectConfig>(SERVICE)?.resolve(rt.config.dev)?;
    let db = rt.database(SERVICE, migrator()).await?;
    let channel = |name: &str| rt.channel(name);
    let channels = state::Channels {
        identity: channel("identity")?,
        customers: channel("customers")?,
        orders: channel("orders")?,
        attribution: channel("attribution")?,
        commissions: channel("commissions")?,
        notifications: channel("notifications")?,
    };
    let (clicks, pending) = clicks::ClickSink::channel();
    let writer = AttributionClient::new(channels.attribution.clone());
    let verifier = rt.verifier()?;
    let clicks_per_client = redirect.limits.clicks_per_client;
    let state = AppState::new(channels, clicks, redirect, db.clone(), verifier, rt.metrics.clone());
    // Stops only after the server: clicks of the last requests are still handed over.
    let flushing = CancellationToken::new();
    let flusher = tokio::spawn(clicks::flush(pending, writer, flushing.clone(), clicks_per_client));
    let app = router(state.clone(), rt.clock.is_manual(), pages(state));
    let sweeper = tokio::spawn(idempotency::sweep(db, rt.clock.clone(), rt.shutdown.clone()));
    tracing::info!(addr = %listener.local_addr()?, manual_clock = rt.clock.is_manual(), "gateway listening");
    // TCP_NODELAY: without it, a response's small frames wait for the client's delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    rt.health.started(SERVICE);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(rt.shutdown.clone().cancelled_owned())
        .await?;
    rt.shutdown.cancel();
    flushing.cancel();
    flusher.await?;
    sweeper.await?;
    Ok(())
}

/// The documented API. `/api/v1/_test/clock` exists only when the clock is manual.
pub fn api_router(manual_clock: bool) -> OpenApiRouter<AppState> {
    use routes::{
        api_keys, applications, auth, claims, commissions, customers, events, fraud, leads, links, notifications,
        orders, partners, posters, privacy, program, rates, reports, storefront, tenants, test_clock, users, webhooks,
    };
    let api = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(tenants::create_tenant))
        .routes(routes!(program::get_program, program::update_program))
        .routes(routes!(program::join_page))
        .routes(routes!(partners::list_partners, partners::create_partner))
        .routes(routes!(partners::get_partner, partners::update_partner))
        .routes(routes!(partners::create_invite))
        .routes(routes!(applications::submit_application))
        .routes(routes!(applications::list_applications))
        .routes(routes!(applications::approve_application))
        .routes(routes!(applications::reject_application))
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(customers::list_customers, customers::create_customer))
        .routes(routes!(customers::get_customer, customers::update_customer, customers::delete_customer))
        .routes(routes!(customers::list_notes, customers::add_note))
        .routes(routes!(customers::update_note, customers::delete_note))
        .routes(routes!(customers::list_communications, customers::add_communication))
        .routes(routes!(customers::create_link, customers::revoke_link))
        .routes(routes!(customers::resolve_link))
        .routes(routes!(customers::register_customer))
        .routes(routes!(customers::approve_customer))
        .routes(routes!(privacy::export_customer))
        .routes(routes!(privacy::erase_customer))
        .routes(routes!(customers::list_groups, customers::create_group))
        .routes(routes!(customers::get_group, customers::update_group, customers::delete_group))
        .routes(routes!(leads::list_leads, leads::submit_lead))
        .routes(routes!(leads::get_lead))
        .routes(routes!(leads::change_status))
        .routes(routes!(leads::assign_rep))
        .routes(routes!(leads::list_referrals))
        .routes(routes!(orders::list_products, orders::create_product))
        .routes(routes!(orders::bulk_update_products))
        .routes(routes!(orders::get_product, orders::update_product))
        .routes(routes!(orders::list_orders, orders::place_order))
        .routes(routes!(orders::quote_order))
        .routes(routes!(orders::import_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::change_status))
        .routes(routes!(orders::add_note))
        .routes(routes!(orders::refund))
        .routes(routes!(orders::renew_payment_link))
        .routes(routes!(orders::list_coupons, orders::create_coupon))
        .routes(routes!(orders::disable_coupon))
        .routes(routes!(orders::get_checkout, orders::update_checkout))
        .routes(routes!(links::list_links, links::create_link))
        .routes(routes!(links::customer_binding))
        .routes(routes!(links::qr_svg))
        .routes(routes!(links::qr_png))
        .routes(routes!(links::partner_clicks))
        .routes(routes!(posters::get_design, posters::put_design))
        .routes(routes!(posters::create, posters::list))
        .routes(routes!(posters::image))
        .routes(routes!(commissions::list_rules, commissions::create_rule))
        .routes(routes!(commissions::update_rule, commissions::delete_rule))
        .routes(routes!(commissions::list_commissions))
        .routes(routes!(commissions::ledger))
        .routes(routes!(commissions::balances))
        .routes(routes!(commissions::request_payout, commissions::list_payouts))
        .routes(routes!(rates::list_rates, rates::put_rates))
        .routes(routes!(fraud::list_flags))
        .routes(routes!(fraud::decide_flag))
        .routes(routes!(commissions::approve_payout))
        .routes(routes!(commissions::reject_payout))
        .routes(routes!(commissions::mark_paid))
        .routes(routes!(commissions::check_ledger))
        .routes(routes!(commissions::merchant_balance))
        .routes(routes!(commissions::top_up))
        .routes(routes!(commissions::settlements))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::get_preferences, notifications::update_preferences))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::mark_all_read))
        .routes(routes!(notifications::list_announcements, notifications::create_announcement))
        .routes(routes!(notifications::list_messages, notifications::send_message))
        .routes(routes!(notifications::mark_thread_read))
        .routes(routes!(notifications::list_threads))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::attempts))
        .routes(routes!(webhooks::resend))
        .routes(routes!(webhooks::recover))
        .routes(routes!(events::stream))
        .routes(routes!(events::page))
        .routes(routes!(reports::dashboard))
        .routes(routes!(reports::sales))
        .routes(routes!(reports::commissions))
        .routes(routes!(reports::customers))
        .routes(routes!(reports::partners))
        .routes(routes!(reports::settlements))
        .routes(routes!(claims::order_attribution))
        .routes(routes!(claims::override_attribution))
        .routes(routes!(claims::list_claims, claims::file_claim))
        .routes(routes!(claims::accept_claim))
        .routes(routes!(claims::reject_claim))
        .routes(routes!(storefront::payment))
        .routes(routes!(storefront::pay))
        .routes(routes!(storefront::payment_webhook))
        .routes(routes!(storefront::quick_catalog))
        .routes(routes!(storefront::quick_order));
    if manual_clock { api.routes(routes!(test_clock::move_clock)) } else { api }
}

/// The whole public HTTP surface, with its middleware.
pub fn router(state: AppState, manual_clock: bool, pages: Router<AppState>) -> Router {
    let (api, mut doc) = api_router(manual_clock).split_for_parts();
    openapi::problems(&mut doc);
    api.merge(pages)
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/asyncapi.yaml", get(asyncapi_yaml))
        .route("/q/{token}/orders", axum::routing::post(routes::storefront::quick_order))
        // Serves the document at /api/v1/openapi.json itself; nothing else registers that path.
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::public_writes))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(middleware::plain_text))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(middleware::timeout))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), middleware::observe))
        // Added after the layers above, so a click passes only its own lean one.
        .merge(Router::new().route("/r/{code}", get(routes::redirect::redirect)).layer(
            axum::middleware::from_fn_with_state(
                middleware::RedirectMetrics::new(&state.metrics, "/r/{code}"),
                middleware::observe_redirect,
            ),
        ))
        .with_state(state)
}

/// The events' AsyncAPI document (I1), made once.
async fn asyncapi_yaml() -> impl axum::response::IntoResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(asyncapi::document).clone();
    ([(http::header::CONTENT_TYPE, "application/yaml; charset=utf-8")], doc)
}
