//! Dashboards and reports (D1-D3). Each service answers from the totals it keeps of its own
//! facts (docs/reports.md); the handlers here compose them and write JSON or CSV. Composed
//! answers are hand-written types: no one service's message holds them.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use partnerline_proto::commissions::v1 as cpb;
use partnerline_proto::customers::v1 as cupb;
use partnerline_proto::identity::v1 as ipb;
use partnerline_proto::orders::v1 as opb;
use platform::AppError;
use platform::auth::Role;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiQuery, upstream};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// day, week or month (default)
    pub every: Option<String>,
    /// YYYY-MM-DD in the program's time zone, inclusive; default 12 periods before `to`
    pub from: Option<String>,
    /// YYYY-MM-DD in the program's time zone, inclusive; default today
    pub to: Option<String>,
    /// Staff: one partner's figures (a partner sees its own whatever this says)
    pub partner_id: Option<String>,
    /// Staff: the partner whose name, email or phone matches (exactly one must)
    pub partner_q: Option<String>,
    /// json (default) or csv; `Accept: text/csv` asks for CSV too
    pub format: Option<String>,
}

/// JSON unless `?format=csv` or `Accept: text/csv`.
fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, AppError> {
    match format.map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some("") | None => Ok(headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/csv")))),
        Some(_) => Err(AppError::invalid("format", "must be json or csv")),
    }
}

/// The partner a staff report is about: `partner_id`, or the one partner `partner_q` finds.
async fn partner_filter(s: &AppState, caller: &Caller, q: &ReportQuery) -> Result<Option<String>, AppError> {
    let id = q.partner_id.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let search = q.partner_q.as_deref().map(str::trim).filter(|v| !v.is_empty());
    if caller.principal.role == Role::Partner {
        if search.is_some() {
            return Err(AppError::invalid("partner_q", "a partner's reports are its own; search is the merchant's"));
        }
        // Its own figures, or its team's: the services check which (C7, A2).
        return Ok(id.map(str::to_string));
    }
    match (id, search) {
        (Some(_), Some(_)) => Err(AppError::invalid("partner_q", "give partner_id or partner_q, not both")),
        (Some(id), None) => Ok(Some(id.to_string())),
        (None, None) => Ok(None),
        (None, Some(text)) => {
            let req = ipb::ListPartnersRequest { q: Some(text.to_string()), limit: 6, ..Default::default() };
            let found = s.identity().list_partners(caller.request(req)).await.map_err(upstream)?.into_inner();
            match found.items.as_slice() {
                [] => Err(AppError::not_found("partner").with_field("partner_q")),
                [one] => Ok(Some(one.id.clone())),
                many => Err(AppError::invalid(
                    "partner_q",
                    format!(
                        "matches {}{} partners ({}): be more specific, or use partner_id",
                        if found.next_cursor.is_some() { "more than " } else { "" },
                        many.len(),
                        many.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
    }
}

/// RFC 4180: fields quoted when they hold a comma, a quote or a line break; CRLF line ends.
fn csv_line(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
    out
}

/// A CSV download: the header, then the rows rendered a chunk at a time as the body is sent, so
/// a large report is never one string in memory.
fn csv_response<T: Send + 'static>(
    name: &str,
    from: &str,
    to: &str,
    header: &'static [&'static str],
    rows: Vec<T>,
    render: fn(&T) -> Vec<String>,
) -> Response {
    let label = match (from.get(..7), to.get(..7)) {
        // A whole calendar month is named after it: sales-2026-11.csv.
        (Some(a), Some(b)) if a == b && from.ends_with("-01") && month_ends(to) => a.to_string(),
        _ => format!("{from}_{to}"),
    };
    let head = csv_line(header);
    // Each chunk of 500 rows is rendered only when the body asks for it.
    let body = futures::stream::unfold((Some(head), rows.into_iter()), move |(head, mut rows)| async move {
        let chunk = match head {
            Some(h) => h,
            None => rows
                .by_ref()
                .take(500)
                .map(|r| csv_line(&render(&r).iter().map(String::as_str).collect::<Vec<_>>()))
                .collect::<String>(),
        };
        (!chunk.is_empty()).then_some((Ok::<_, std::convert::Infallible>(chunk), (None, rows)))
    });
    (
        [
            (http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}-{label}.csv\"")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

fn month_ends(day: &str) -> bool {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok_and(|d| (d + chrono::Duration::days(1)).day() == 1)
}

// ---------------------------------------------------------------------------------------------
// D2: sales

/// D2 sales: per period (and per channel) orders, gross, discounts, shipping, tax, refunds and
/// net, in the program's time zone. Orders count once paid for; refunds against the day the order
/// was placed. A partner sees its own sales.
#[utoipa::path(get, path = "/api/v1/reports/sales", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = opb::SalesReport, description = "JSON, or CSV (text/csv) of the totals"),
        (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn sales(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    let partner_id = partner_filter(&s, &caller, &q).await?;
    let req = opb::SalesQuery { every: q.every.unwrap_or_default(), from: q.from, to: q.to, partner_id, periods: 0 };
    let r = s.orders().sales_report(caller.request(req)).await.map_err(upstream)?.into_inner();
    if !csv {
        return Ok(Json(r).into_response());
    }
    // The totals and each channel in one table: `channel` empty on a period's total.
    let mut kept = r.totals.clone();
    kept.extend(r.by_channel.iter().cloned());
    kept.sort_by(|a, b| (&a.period_start, &a.currency, &a.channel).cmp(&(&b.period_start, &b.currency, &b.channel)));
    // X6: then each period in the reporting currency, every currency's orders converted.
    let mut rows: Vec<(&'static str, opb::SalesRow, String, String)> =
        kept.into_iter().map(|row| ("kept", row, String::new(), String::new())).collect();
    rows.extend(r.reporting.iter().map(|p| {
        let row = opb::SalesRow {
            period_start: p.period_start.clone(),
            period_end: p.period_end.clone(),
            currency: r.reporting_currency.clone(),
            orders: p.orders,
            gross: p.gross.clone(),
            net: p.net.clone(),
            ..Default::default()
        };
        ("reporting", row, p.converted_from.join(" "), p.unconverted_orders.to_string())
    }));
    Ok(csv_response(
        "sales",
        &r.from,
        &r.to,
        &[
            "basis",
            "period_start",
            "period_end",
            "channel",
            "currency",
            "orders",
            "gross",
            "discounts",
            "shipping",
            "tax",
            "refunds",
            "net",
            "converted_from",
            "unconverted_orders",
        ],
        rows,
        |(basis, r, converted, unconverted)| {
            vec![
                basis.to_string(),
                r.period_start.clone(),
                r.period_end.clone(),
                r.channel.clone(),
                r.currency.clone(),
                r.orders.to_string(),
                r.gross.clone(),
                r.discounts.clone(),
                r.shipping.clone(),
                r.tax.clone(),
                r.refunds.clone(),
                r.net.clone(),
                converted.clone(),
                unconverted.clone(),
            ]
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// D2: commissions

/// D2 commissions: per period, earned (own and team), voided, clawed back and paid, and the
/// pending, held, available and requested balances at the period's end.
#[utoipa::path(get, path = "/api/v1/reports/commissions", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = cpb::ReportResult, description = "JSON, or CSV (text/csv) of the rows"),
        (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn commissions(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    let partner_id = partner_filter(&s, &caller, &q).await?;
    let req = cpb::ReportQuery { every: q.every.unwrap_or_default(), from: q.from, to: q.to, partner_id, periods: 0 };
    let r = s.commissions().report(caller.request(req)).await.map_err(upstream)?.into_inner();
    if !csv {
        return Ok(Json(r).into_response());
    }
    // X6: each currency's rows as kept ("kept"), then the periods in the reporting currency.
    let mut rows: Vec<(&'static str, cpb::ReportRow, String, String)> =
        r.rows.iter().map(|row| ("kept", row.clone(), String::new(), String::new())).collect();
    rows.extend(r.reporting.iter().map(|f| {
        let row = cpb::ReportRow {
            period_start: f.period_start.clone(),
            period_end: f.period_end.clone(),
            currency: r.reporting_currency.clone(),
            earned: f.earned.clone(),
            earned_own: f.earned_own.clone(),
            earned_team: f.earned_team.clone(),
            voided: f.voided.clone(),
            clawed_back: f.clawed_back.clone(),
            paid: f.paid.clone(),
            ..Default::default()
        };
        ("reporting", row, f.converted_from.join(" "), f.unconverted.join(" "))
    }));
    Ok(csv_response(
        "commissions",
        &r.from,
        &r.to,
        &[
            "basis",
            "period_start",
            "period_end",
            "currency",
            "earned",
            "earned_own",
            "earned_team",
            "voided",
            "clawed_back",
            "paid",
            "pending",
            "held",
            "available",
            "requested",
            "converted_from",
            "unconverted",
        ],
        rows,
        |(basis, r, converted, unconverted)| {
            vec![
                basis.to_string(),
                r.period_start.clone(),
                r.period_end.clone(),
                r.currency.clone(),
                r.earned.clone(),
                r.earned_own.clone(),
                r.earned_team.clone(),
                r.voided.clone(),
                r.clawed_back.clone(),
                r.paid.clone(),
                r.pending.clone(),
                r.held.clone(),
                r.available.clone(),
                r.requested.clone(),
                converted.clone(),
                unconverted.clone(),
            ]
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// D2: customers

/// One period of the customers report: customers' service counts beside orders' figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomersPeriod {
    pub period_start: String,
    pub period_end: String,
    /// customers created in the period (and still there)
    pub new_customers: u64,
    /// per currency: customers with an order in the period, its orders, net and average order value
    pub sales: Vec<opb::CustomerSalesPeriod>,
}

/// Hand-written: customers' counts and orders' figures of the same periods, side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomersReport {
    pub time_zone: String,
    pub from: String,
    pub to: String,
    /// customers managed now
    pub current: u64,
    pub potential: u64,
    pub periods: Vec<CustomersPeriod>,
    /// the whole range, per currency
    pub range: Vec<opb::CustomerSalesPeriod>,
    /// share of the range's active customers with two orders or more (0-1)
    pub repeat_rate: String,
    /// by net sales over the range, at most 10
    pub top: Vec<TopCustomerRow>,
}

/// A top customer, with where its relationship to its partner is told (D3, L10).
#[derive(Debug, Serialize, ToSchema)]
pub struct TopCustomerRow {
    #[serde(flatten)]
    pub customer: opb::TopCustomer,
    /// `GET` it for the bound partner, since when, protection left and the bindings' history (L10);
    /// absent for an order's customer with no customer record
    pub relationship: Option<String>,
}

/// D2 customers: new and active customers per period, average order value, the repeat rate and
/// the top customers by net sales over the range.
#[utoipa::path(get, path = "/api/v1/reports/customers", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = CustomersReport, description = "JSON, or CSV (text/csv) of the periods"),
        (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn customers(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    let partner_id = partner_filter(&s, &caller, &q).await?;
    let every = q.every.unwrap_or_default();
    let counts = cupb::CustomerCountsQuery {
        every: every.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        partner_id: partner_id.clone(),
        periods: 0,
        by_partner: false,
    };
    let sales = opb::SalesQuery { every, from: q.from, to: q.to, partner_id, periods: 0 };
    let (mut cu, mut or) = (s.customers(), s.orders());
    let (counts, sales) =
        tokio::try_join!(cu.customer_counts(caller.request(counts)), or.customer_sales(caller.request(sales)))
            .map_err(upstream)?;
    let (counts, sales) = (counts.into_inner(), sales.into_inner());
    let mut by_start: BTreeMap<String, Vec<opb::CustomerSalesPeriod>> = BTreeMap::new();
    for p in sales.periods {
        by_start.entry(p.period_start.clone()).or_default().push(p);
    }
    let periods: Vec<CustomersPeriod> = counts
        .periods
        .into_iter()
        .map(|p| CustomersPeriod {
            sales: by_start.remove(&p.period_start).unwrap_or_default(),
            period_start: p.period_start,
            period_end: p.period_end,
            new_customers: p.new_customers,
        })
        .collect();
    let report = CustomersReport {
        time_zone: counts.time_zone,
        from: counts.from,
        to: counts.to,
        current: counts.current,
        potential: counts.potential,
        periods,
        range: sales.range,
        repeat_rate: sales.repeat_rate,
        top: sales
            .top
            .into_iter()
            .map(|c| TopCustomerRow {
                relationship: (!c.customer_id.is_empty())
                    .then(|| format!("/api/v1/customers/{}/binding", c.customer_id)),
                customer: c,
            })
            .collect(),
    };
    if !csv {
        return Ok(Json(report).into_response());
    }
    // One line per period and currency (a period with no sales: one line, currency empty).
    let mut rows: Vec<(CustomersPeriod, Option<opb::CustomerSalesPeriod>)> = Vec::new();
    for p in report.periods {
        if p.sales.is_empty() {
            rows.push((p, None));
        } else {
            for s in p.sales.clone() {
                rows.push((p.clone(), Some(s)));
            }
        }
    }
    Ok(csv_response(
        "customers",
        &report.from,
        &report.to,
        &[
            "period_start",
            "period_end",
            "new_customers",
            "currency",
            "active_customers",
            "orders",
            "net",
            "average_order_value",
        ],
        rows,
        |(p, s)| {
            let (currency, active, orders, net, aov) = match s {
                Some(s) => (
                    s.currency.clone(),
                    s.active_customers.to_string(),
                    s.orders.to_string(),
                    s.net.clone(),
                    s.average_order_value.clone(),
                ),
                None => (String::new(), "0".into(), "0".into(), String::new(), String::new()),
            };
            vec![
                p.period_start.clone(),
                p.period_end.clone(),
                p.new_customers.to_string(),
                currency,
                active,
                orders,
                net,
                aov,
            ]
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// D3: results per partner

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnersQuery {
    /// YYYY-MM-DD in the program's time zone, inclusive; default the first of this month
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive; default today
    pub to: Option<String>,
    /// name (default), customers, orders, sales, earned, paid, awaiting or balance; prefix `-`
    /// for descending
    pub sort: Option<String>,
    /// 1-200, default 50 (CSV: every row)
    pub limit: Option<u32>,
    /// rows to skip, default 0
    pub offset: Option<u32>,
    /// only partners whose name, email or phone matches
    pub partner_q: Option<String>,
    /// json (default) or csv
    pub format: Option<String>,
}

/// One partner's results in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerResult {
    pub partner_id: String,
    pub name: String,
    pub email: String,
    /// active or suspended
    pub status: String,
    pub currency: String,
    /// customers managed now (current and potential)
    pub customers: u64,
    /// paid-for orders in the range, and their net sales
    pub orders: u64,
    pub sales: String,
    /// commissions earned and payouts paid in the range
    pub earned: String,
    pub paid: String,
    /// now: awaiting payout (requested) and available
    pub awaiting: String,
    pub balance: String,
    /// X6: `sales`, `earned` and `paid` in the program's reporting currency, each order and its
    /// commission at the rate the order kept from its placement (empty: no reporting currency)
    pub reporting_currency: String,
    pub sales_reporting: String,
    pub earned_reporting: String,
    pub paid_reporting: String,
    /// some of this row's amounts had no rate and are left out of the `_reporting` figures
    pub unconverted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerResults {
    pub time_zone: String,
    pub from: String,
    pub to: String,
    /// rows in all (before limit and offset)
    pub total: u64,
    pub items: Vec<PartnerResult>,
}

const PARTNER_SORTS: &[&str] = &["name", "customers", "orders", "sales", "earned", "paid", "awaiting", "balance"];

/// D3: per partner, customers, orders and sales, commissions earned and paid over the range, and
/// what awaits payout and is available now. Every partner of the program appears, sold or not.
#[utoipa::path(get, path = "/api/v1/reports/partners", tag = "reports", security(("bearer" = [])), params(PartnersQuery),
    responses((status = 200, body = PartnerResults, description = "JSON, or CSV (text/csv) of every row"),
        (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn partners(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PartnersQuery>,
) -> Result<Response, AppError> {
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    if caller.principal.role == Role::Partner {
        return Err(AppError::forbidden("results per partner are the merchant's"));
    }
    let sort = q.sort.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or("name");
    let (descending, column) = match sort.strip_prefix('-') {
        Some(c) => (true, c),
        None => (false, sort),
    };
    if !PARTNER_SORTS.contains(&column) {
        return Err(AppError::invalid(
            "sort",
            format!("must be one of {} (prefix - for descending)", PARTNER_SORTS.join(", ")),
        ));
    }
    let limit = match q.limit {
        None => 50,
        Some(n @ 1..=200) => n as usize,
        Some(_) => return Err(AppError::invalid("limit", "must be 1-200")),
    };
    let offset = q.offset.unwrap_or(0) as usize;
    // A month to date unless told: the merchant's usual question.
    let every = "month".to_string();
    let sales =
        opb::SalesQuery { every: every.clone(), from: q.from.clone(), to: q.to.clone(), partner_id: None, periods: 1 };
    let earnings = cpb::ReportQuery { every, from: q.from, to: q.to, partner_id: None, periods: 1 };
    let counts = cupb::CustomerCountsQuery { by_partner: true, periods: 1, ..Default::default() };
    let (mut or, mut co, mut cu, mut id) = (s.orders(), s.commissions(), s.customers(), s.identity());
    let ((sales, earnings, counts, program), people) = tokio::try_join!(
        async {
            tokio::try_join!(
                or.partner_sales(caller.request(sales)),
                co.partner_earnings(caller.request(earnings)),
                cu.customer_counts(caller.request(counts)),
                id.get_program(caller.request(ipb::Empty {})),
            )
            .map_err(upstream)
        },
        all_partners(&s, &caller, q.partner_q.as_deref()),
    )?;
    let (sales, earnings, counts, program) =
        (sales.into_inner(), earnings.into_inner(), counts.into_inner(), program.into_inner());
    let currency = program.settings.map(|st| st.currency).unwrap_or_default();
    let rc = if sales.reporting_currency.is_empty() { &earnings.reporting_currency } else { &sales.reporting_currency };
    let zero_rc = if rc.is_empty() { String::new() } else { platform::reports::money(rc, Decimal::ZERO) };

    let customers: BTreeMap<String, u64> =
        counts.partners.into_iter().map(|p| (p.partner_id, p.current + p.potential)).collect();
    let mut cells: BTreeMap<(String, String), PartnerResult> = BTreeMap::new();
    let blank = |p: &ipb::Partner, c: &str| PartnerResult {
        partner_id: p.id.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        status: p.status.clone(),
        currency: c.to_string(),
        customers: customers.get(&p.id).copied().unwrap_or(0),
        orders: 0,
        sales: platform::reports::money(c, Decimal::ZERO),
        earned: platform::reports::money(c, Decimal::ZERO),
        paid: platform::reports::money(c, Decimal::ZERO),
        awaiting: platform::reports::money(c, Decimal::ZERO),
        balance: platform::reports::money(c, Decimal::ZERO),
        reporting_currency: rc.clone(),
        sales_reporting: zero_rc.clone(),
        earned_reporting: zero_rc.clone(),
        paid_reporting: zero_rc.clone(),
        unconverted: false,
    };
    let by_id: BTreeMap<&str, &ipb::Partner> = people.iter().map(|p| (p.id.as_str(), p)).collect();
    for r in &sales.rows {
        if let Some(p) = by_id.get(r.partner_id.as_str()) {
            let cell = cells.entry((r.partner_id.clone(), r.currency.clone())).or_insert_with(|| blank(p, &r.currency));
            cell.orders = r.orders;
            cell.sales = r.net.clone();
            if !rc.is_empty() {
                cell.sales_reporting = r.net_reporting.clone();
            }
            cell.unconverted |= r.unconverted_orders > 0;
        }
    }
    for r in &earnings.rows {
        if let Some(p) = by_id.get(r.partner_id.as_str()) {
            let cell = cells.entry((r.partner_id.clone(), r.currency.clone())).or_insert_with(|| blank(p, &r.currency));
            cell.earned = r.earned.clone();
            cell.paid = r.paid.clone();
            cell.awaiting = r.requested.clone();
            cell.balance = r.available.clone();
            if !rc.is_empty() {
                cell.earned_reporting = r.earned_reporting.clone();
                cell.paid_reporting = r.paid_reporting.clone();
            }
            cell.unconverted |= r.unconverted;
        }
    }
    let seen: BTreeSet<String> = cells.keys().map(|(p, _)| p.clone()).collect();
    for p in &people {
        if !seen.contains(&p.id) {
            cells.insert((p.id.clone(), currency.clone()), blank(p, &currency));
        }
    }
    let mut rows: Vec<PartnerResult> = cells.into_values().collect();
    let num = |v: &str| v.parse::<Decimal>().unwrap_or_default();
    rows.sort_by(|a, b| {
        let o = match column {
            "customers" => a.customers.cmp(&b.customers),
            "orders" => a.orders.cmp(&b.orders),
            "sales" => num(&a.sales).cmp(&num(&b.sales)),
            "earned" => num(&a.earned).cmp(&num(&b.earned)),
            "paid" => num(&a.paid).cmp(&num(&b.paid)),
            "awaiting" => num(&a.awaiting).cmp(&num(&b.awaiting)),
            "balance" => num(&a.balance).cmp(&num(&b.balance)),
            _ => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| a.partner_id.cmp(&b.partner_id)).then_with(|| a.currency.cmp(&b.currency))
    });
    if csv {
        return Ok(csv_response(
            "partners",
            &sales.from,
            &sales.to,
            &[
                "partner_id",
                "name",
                "email",
                "status",
                "currency",
                "customers",
                "orders",
                "sales",
                "earned",
                "paid",
                "awaiting",
                "balance",
                "reporting_currency",
                "sales_reporting",
                "earned_reporting",
                "paid_reporting",
                "unconverted",
            ],
            rows,
            |r| {
                vec![
                    r.partner_id.clone(),
                    r.name.clone(),
                    r.email.clone(),
                    r.status.clone(),
                    r.currency.clone(),
                    r.customers.to_string(),
                    r.orders.to_string(),
                    r.sales.clone(),
                    r.earned.clone(),
                    r.paid.clone(),
                    r.awaiting.clone(),
                    r.balance.clone(),
                    r.reporting_currency.clone(),
                    r.sales_reporting.clone(),
                    r.earned_reporting.clone(),
                    r.paid_reporting.clone(),
                    r.unconverted.to_string(),
                ]
            },
        ));
    }
    let total = rows.len() as u64;
    let items = rows.into_iter().skip(offset).take(limit).collect();
    Ok(Json(PartnerResults { time_zone: sales.time_zone, from: sales.from, to: sales.to, total, items })
        .into_response())
}

/// Every partner of the program (or those `q` matches), page by page from identity.
async fn all_partners(s: &AppState, caller: &Caller, q: Option<&str>) -> Result<Vec<ipb::Partner>, AppError> {
    let q = q.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let req = ipb::ListPartnersRequest { q: q.clone(), limit: 200, cursor, ..Default::default() };
        let page = s.identity().list_partners(caller.request(req)).await.map_err(upstream)?.into_inner();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) if !c.is_empty() => cursor = Some(c),
            _ => return Ok(out),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// D3: settlements per partner

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SettlementsQuery {
    /// YYYY-MM-DD in the program's time zone, inclusive
    pub from: Option<String>,
    pub to: Option<String>,
    pub partner_id: Option<String>,
    /// the partner whose name, email or phone matches (exactly one must)
    pub partner_q: Option<String>,
    /// paid or failed
    pub status: Option<String>,
    /// 1-10000, default 500
    pub limit: Option<u32>,
    /// json (default) or csv
    pub format: Option<String>,
}

/// D3, C9: what automatic settlement paid each partner, when, by which method and reference,
/// and what failed (with the reason); newest first.
#[utoipa::path(get, path = "/api/v1/reports/settlements", tag = "reports", security(("bearer" = [])), params(SettlementsQuery),
    responses((status = 200, body = cpb::SettlementList, description = "JSON, or CSV (text/csv)"),
        (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn settlements(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SettlementsQuery>,
) -> Result<Response, AppError> {
    let csv = wants_csv(q.format.as_deref(), &headers)?;
    let filter = ReportQuery {
        every: None,
        from: None,
        to: None,
        partner_id: q.partner_id,
        partner_q: q.partner_q,
        format: None,
    };
    let partner_id = partner_filter(&s, &caller, &filter).await?;
    let req = cpb::SettlementQuery {
        status: q.status,
        from: q.from.clone(),
        to: q.to.clone(),
        partner_id,
        limit: q.limit.unwrap_or(0),
    };
    let r = s.commissions().list_settlements(caller.request(req)).await.map_err(upstream)?.into_inner();
    if !csv {
        return Ok(Json(r).into_response());
    }
    let (from, to) = (q.from.unwrap_or_else(|| "all".into()), q.to.unwrap_or_else(|| "now".into()));
    Ok(csv_response(
        "settlements",
        &from,
        &to,
        &["at", "partner_id", "currency", "amount", "status", "method", "reference", "reason", "payout_id", "id"],
        r.items,
        |x| {
            vec![
                x.at.clone(),
                x.partner_id.clone(),
                x.currency.clone(),
                x.amount.clone(),
                x.status.clone(),
                x.method.clone(),
                x.reference.clone(),
                x.reason.clone(),
                x.payout_id.clone().unwrap_or_default(),
                x.id.clone(),
            ]
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// D1: the partner's home

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Staff: the partner whose home to show (a partner sees its own)
    pub partner_id: Option<String>,
    /// the charts' periods: week (default, the last 12) or month (the last 12)
    pub every: Option<String>,
}

/// What a partner earned, per currency, from its balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct Earnings {
    pub currency: String,
    /// everything earned and not taken back: pending + held + available + requested + paid
    pub lifetime: String,
    /// not yet available: pending + held
    pub pending: String,
    pub available: String,
    /// awaiting payout (requested)
    pub awaiting_payout: String,
    pub paid: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChartPoint {
    pub period_start: String,
    pub period_end: String,
    /// empty for counts
    pub currency: String,
    pub value: String,
}

/// Hand-written: a partner's home, composed from identity, customers, orders, attribution and
/// commissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub partner_id: String,
    pub time_zone: String,
    /// the partner's referral link (L1): its path on this gateway and the full address
    pub referral_path: Option<String>,
    pub referral_url: Option<String>,
    /// the referral link's id, for its QR code (`/api/v1/links/{id}/qr.svg`)
    pub referral_link_id: Option<String>,
    /// customers managed now
    pub customers_current: u64,
    pub customers_potential: u64,
    /// every paid-for order of the partner, per currency: count and net value
    pub orders: Vec<opb::SalesRow>,
    pub earnings: Vec<Earnings>,
    /// the rate a plain order earns now, and why
    pub current_rate: cpb::CurrentRate,
    /// the last 10 orders
    pub recent_orders: Vec<opb::OrderSummary>,
    /// new customers per period (12 periods)
    pub new_customers: Vec<ChartPoint>,
    /// commissions earned per period and currency (12 periods)
    pub commissions_earned: Vec<ChartPoint>,
    /// X6: the program's reporting currency (empty: none), and the same 12 periods' commissions
    /// and net sales added up in it, each order at the rate it kept from its placement
    pub reporting_currency: String,
    pub commissions_earned_reporting: Vec<ChartPoint>,
    pub sales_reporting: Vec<ChartPoint>,
    /// currencies with commissions in these periods that had no rate, left out of the series
    pub unconverted: Vec<String>,
}

/// D1: a partner's home: referral link, customers, orders, earnings, its current rate, the last
/// orders and two charts. A partner sees its own; staff any partner's with `partner_id`.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "reports", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn dashboard(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<Dashboard>, AppError> {
    Ok(Json(dashboard_of(&s, &caller, q).await?))
}

/// D1, composed: what `GET /api/v1/dashboard` answers and the portal's home shows.
pub async fn dashboard_of(s: &AppState, caller: &Caller, q: DashboardQuery) -> Result<Dashboard, AppError> {
    let every = match q.every.as_deref().map(str::trim) {
        None | Some("") | Some("week") => "week",
        Some("month") => "month",
        Some(_) => return Err(AppError::invalid("every", "must be week or month")),
    }
    .to_string();
    if let (Role::Partner, Some(me)) = (caller.principal.role, caller.principal.partner)
        && q.partner_id.as_deref().map(str::trim).is_some_and(|id| !id.is_empty() && id != me.to_string())
    {
        return Err(AppError::not_found("partner").with_field("partner_id"));
    }
    // Whose home: a partner's own; staff name the partner. Without one, commissions alone is
    // asked, so that it checks the caller first (a key without the scope is 403, not 422).
    let named = match (caller.principal.role, caller.principal.partner) {
        (Role::Partner, Some(me)) => Some(me.to_string()),
        _ => q.partner_id.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string),
    };
    let Some(partner) = named else {
        let rate = cpb::CurrentRateQuery { partner_id: None };
        s.commissions().get_current_rate(caller.request(rate)).await.map_err(upstream)?;
        return Err(AppError::invalid("partner_id", "name the partner whose home to show"));
    };
    let pid = Some(partner.clone());
    let (mut co0, mut or, mut or2, mut co, mut co2, mut cu, mut at) =
        (s.commissions(), s.orders(), s.orders(), s.commissions(), s.commissions(), s.customers(), s.attribution());
    let sales = opb::SalesQuery { every: every.clone(), partner_id: pid.clone(), periods: 12, ..Default::default() };
    let recent = opb::ListOrdersRequest { partner_id: pid.clone(), limit: 10, ..Default::default() };
    let balances = cpb::BalancesQuery { partner_id: pid.clone() };
    let earned = cpb::ReportQuery { every: every.clone(), partner_id: pid.clone(), periods: 12, ..Default::default() };
    let counts = cupb::CustomerCountsQuery { every, partner_id: pid.clone(), periods: 12, ..Default::default() };
    let links = partnerline_proto::attribution::v1::ListLinksRequest { partner_id: pid.clone() };
    // Commissions' answer about the rate is also the check that the partner is the program's (404).
    let (rate, sales, recent, balances, earned, counts, links) = tokio::try_join!(
        co0.get_current_rate(caller.request(cpb::CurrentRateQuery { partner_id: pid.clone() })),
        or.sales_report(caller.request(sales)),
        or2.list_orders(caller.request(recent)),
        co.get_balances(caller.request(balances)),
        co2.report(caller.request(earned)),
        cu.customer_counts(caller.request(counts)),
        at.list_links(caller.request(links)),
    )
    .map_err(upstream)?;
    let rate = rate.into_inner();
    let partner = rate.partner_id.clone();
    let (sales, recent, balances, earned, counts, links) = (
        sales.into_inner(),
        recent.into_inner(),
        balances.into_inner(),
        earned.into_inner(),
        counts.into_inner(),
        links.into_inner(),
    );
    let referral_link = links.items.iter().find(|l| l.kind == "referral" && l.active);
    let referral = referral_link.map(|l| format!("/r/{}", l.code));
    let earnings = balances
        .items
        .into_iter()
        .filter(|b| b.partner_id == partner)
        .map(|b| {
            let d = |v: &str| v.parse::<Decimal>().unwrap_or_default();
            Earnings {
                pending: platform::reports::money(&b.currency, d(&b.pending) + d(&b.held)),
                lifetime: b.lifetime,
                available: b.available,
                awaiting_payout: b.requested,
                paid: b.paid,
                currency: b.currency,
            }
        })
        .collect();
    Ok(Dashboard {
        referral_link_id: referral_link.map(|l| l.id.clone()),
        referral_url: referral.as_ref().map(|p| format!("{}{p}", s.redirect.public_url.trim_end_matches('/'))),
        referral_path: referral,
        partner_id: partner,
        time_zone: counts.time_zone,
        customers_current: counts.current,
        customers_potential: counts.potential,
        orders: sales.lifetime,
        earnings,
        current_rate: rate,
        recent_orders: recent.items,
        new_customers: counts
            .periods
            .into_iter()
            .map(|p| ChartPoint {
                period_start: p.period_start,
                period_end: p.period_end,
                currency: String::new(),
                value: p.new_customers.to_string(),
            })
            .collect(),
        reporting_currency: earned.reporting_currency.clone(),
        unconverted: earned
            .reporting
            .iter()
            .flat_map(|r| r.unconverted.iter().cloned())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect(),
        commissions_earned_reporting: earned
            .reporting
            .iter()
            .map(|r| ChartPoint {
                period_start: r.period_start.clone(),
                period_end: r.period_end.clone(),
                currency: earned.reporting_currency.clone(),
                value: r.earned.clone(),
            })
            .collect(),
        sales_reporting: sales
            .reporting
            .iter()
            .map(|r| ChartPoint {
                period_start: r.period_start.clone(),
                period_end: r.period_end.clone(),
                currency: sales.reporting_currency.clone(),
                value: r.net.clone(),
            })
            .collect(),
        commissions_earned: earned
            .rows
            .into_iter()
            .map(|r| ChartPoint {
                period_start: r.period_start,
                period_end: r.period_end,
                currency: r.currency,
                value: r.earned,
            })
            .collect(),
    })
}
