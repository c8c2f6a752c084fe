//! `/home`: the partner's home (D1), from the same composition as `GET /api/v1/dashboard`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use gateway::AppState;
use gateway::problem::upstream;
use gateway::routes::reports::{ChartPoint, Dashboard, DashboardQuery, dashboard_of};
use http::{HeaderValue, StatusCode};
use partnerline_proto::attribution::v1 as apb;
use platform::AppError;
use platform::auth::Role;

use super::{Frame, render};
use crate::chart::{self, Bar};
use crate::format;
use crate::session::{Signed, Visit};

/// `/`: the home of whoever is signed in, or the login page.
pub async fn root(visit: Visit) -> Response {
    Redirect::to(if visit.caller.is_some() { "/home" } else { "/login" }).into_response()
}

/// A chart and the table beside it.
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Frame,
    title: String,
    d: Dashboard,
    every: String,
    rate: String,
    charts: Vec<Chart>,
}

#[derive(Template)]
#[template(path = "merchant.html")]
struct MerchantPage {
    c: Frame,
    title: String,
}

pub async fn page(
    State(s): State<AppState>,
    signed: Signed,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let path = uri.path_and_query().map_or("/home", |p| p.as_str());
    let (c, _me) = Frame::load(&s, &signed, "home", path).await?;
    if signed.0.principal.role != Role::Partner {
        let title = c.t("merchant-title");
        return Ok(render(StatusCode::OK, &MerchantPage { c, title }));
    }
    let every = if q.get("every").is_some_and(|e| e == "month") { "month" } else { "week" };
    let query = DashboardQuery { partner_id: None, every: Some(every.to_string()) };
    let d = dashboard_of(&s, &signed.0, query).await?;
    let rate = match d.current_rate.kind.as_str() {
        "percent" => c.percent(&d.current_rate.value),
        _ => d.current_rate.value.clone(),
    };
    let label = |p: &ChartPoint| {
        let day = p.period_start.parse().unwrap_or_default();
        if every == "month" { format::month_year(c.lang, day) } else { format::day_month(c.lang, day) }
    };
    let new_customers = Chart {
        title: c.t("home-chart-customers"),
        svg: chart::bars(
            &c.t("home-chart-customers"),
            &d.new_customers
                .iter()
                .map(|p| Bar { label: label(p), value: p.value.parse().unwrap_or(0.0), text: p.value.clone() })
                .collect::<Vec<_>>(),
        ),
        rows: d
            .new_customers
            .iter()
            .map(|p| (c.date(&p.period_start), c.number(&p.value.parse::<u64>().unwrap_or(0))))
            .collect(),
    };
    // One chart per currency the partner earned in (most earn in one).
    let mut currencies: Vec<&str> = d.commissions_earned.iter().map(|p| p.currency.as_str()).collect();
    currencies.dedup();
    let mut charts = vec![new_customers];
    for cur in currencies {
        let points: Vec<&ChartPoint> = d.commissions_earned.iter().filter(|p| p.currency == cur).collect();
        let title = c.t1("home-chart-commissions", "currency", cur);
        charts.push(Chart {
            svg: chart::bars(
                &title,
                &points
                    .iter()
                    .map(|p| Bar {
                        label: label(p),
                        value: p.value.parse().unwrap_or(0.0),
                        text: c.money(&p.value, cur),
                    })
                    .collect::<Vec<_>>(),
            ),
            rows: points.iter().map(|p| (c.date(&p.period_start), c.money(&p.value, cur))).collect(),
            title,
        });
    }
    let title = c.t("home-title");
    Ok(render(StatusCode::OK, &HomePage { c, title, d, every: every.to_string(), rate, charts }))
}

/// `/links/{id}/qr.svg`: the QR code of one of the caller's links (L1), for the home page.
pub async fn qr(State(s): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, AppError> {
    let req = apb::LinkQrRequest { link_id: id, format: "svg".into(), public_url: s.redirect.public_url.clone() };
    let q = s.attribution().get_link_qr(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    let mut res = gateway::routes::links::image(q);
    res.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(res)
}
