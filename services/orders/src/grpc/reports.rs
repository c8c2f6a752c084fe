//! Sales and customers' order figures by period (D1-D3).

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::reports::{Every, Range, asked, money, whose_figures};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Access, OrdersService};
use crate::store::{self, SalesTotal};

/// What a report query asks, checked: whose figures, over which days, in periods of what size.
pub(crate) struct Asked {
    pub partner: Option<Uuid>,
    /// The partner asked for is one of the caller's team: its customers' names are not shown
    /// (X7: a team's customers are its own).
    pub team: bool,
    pub zone: String,
    pub range: Range,
    pub every: Every,
}

impl OrdersService {
    /// A partner sees its own figures and its team's; staff one partner of the program (404 for
    /// any other) or the whole program.
    async fn asked(&self, a: &Access, token: &str, q: &pb::SalesQuery) -> Result<Asked, AppError> {
        let (partner, team) =
            whose_figures(&mut self.identity.clone(), token, a.partner, q.partner_id.as_deref()).await?;
        // Staff naming a partner: one of the program's, or 404.
        if let (None, Some(id)) = (a.partner, partner)
            && !self.known_partners(token, HashSet::from([id])).await?.contains(&id)
        {
            return Err(AppError::not_found("partner").with_field("partner_id"));
        }
        let mut conn = self.pool.acquire().await?;
        let now = self.clock.now();
        let (zone, range, every) =
            asked(&mut conn, a.tenant, now, &q.every, q.from.as_deref(), q.to.as_deref(), q.periods).await?;
        Ok(Asked { partner, team, zone, range, every })
    }

    /// L12: units sold per product, the partner's own (or a team member's), or the program's.
    pub(super) async fn product_sales_impl(
        &self,
        (a, token): (Access, String),
        q: pb::SalesQuery,
    ) -> Result<pb::ProductSalesList, AppError> {
        let asked = self.asked(&a, &token, &q).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let rows = store::product_sales(&mut tx, asked.partner).await?;
        tx.commit().await?;
        let rows = rows
            .into_iter()
            .map(|(id, units, orders)| pb::ProductSalesRow {
                product_id: id.to_string(),
                units: u64::try_from(units).unwrap_or(0),
                orders: u64::try_from(orders).unwrap_or(0),
            })
            .collect();
        Ok(pb::ProductSalesList { rows })
    }

    pub(super) async fn sales_report_impl(
        &self,
        (a, token): (Access, String),
        q: pb::SalesQuery,
    ) -> Result<pb::SalesReport, AppError> {
        let asked = self.asked(&a, &token, &q).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let rows = store::sales(&mut tx, asked.partner, asked.range, asked.every).await?;
        let lifetime = store::lifetime_sales(&mut tx, asked.partner).await?;
        let reporting_currency = store::program_currency(&mut tx).await?.unwrap_or_default();
        tx.commit().await?;
        let bounds = asked.range.by_start(asked.every);
        let mut totals: BTreeMap<(NaiveDate, String), SalesTotal> = BTreeMap::new();
        let currencies: std::collections::BTreeSet<String> = rows.iter().map(|r| r.currency.clone()).collect();
        // Every period appears in the totals, with zeros when nothing was sold: charts need them.
        for c in &currencies {
            for &start in bounds.keys() {
                totals.insert((start, c.clone()), zero(start, c));
            }
        }
        let mut by_channel = Vec::with_capacity(rows.len());
        for r in rows {
            let t = totals.entry((r.period, r.currency.clone())).or_insert_with(|| zero(r.period, &r.currency));
            add(t, &r);
            by_channel.push(row(&bounds, &r));
        }
        let (from, to) = platform::reports::dates(&asked.range);
        let reporting = match reporting_currency.as_str() {
            "" => Vec::new(),
            c => reporting(&bounds, &totals, c),
        };
        Ok(pb::SalesReport {
            time_zone: asked.zone,
            from,
            to,
            reporting,
            reporting_currency,
            totals: totals.values().map(|t| row(&bounds, t)).collect(),
            by_channel,
            lifetime: lifetime
                .iter()
                .map(|t| pb::SalesRow { period_start: String::new(), period_end: String::new(), ..row(&bounds, t) })
                .collect(),
        })
    }

    /// D3: per partner over the range; staff only.
    pub(super) async fn partner_sales_impl(
        &self,
        (a, token): (Access, String),
        q: pb::SalesQuery,
    ) -> Result<pb::PartnerSalesList, AppError> {
        a.require_staff("results per partner are the merchant's")?;
        let asked = self.asked(&a, &token, &q).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let rows = store::partner_sales(&mut tx, asked.range).await?;
        let reporting_currency = store::program_currency(&mut tx).await?.unwrap_or_default();
        tx.commit().await?;
        let (from, to) = platform::reports::dates(&asked.range);
        Ok(pb::PartnerSalesList {
            time_zone: asked.zone,
            from,
            to,
            rows: rows
                .into_iter()
                .filter(|r| asked.partner.is_none_or(|p| p == r.partner_id))
                .map(|r| pb::PartnerSalesRow {
                    partner_id: if r.partner_id.is_nil() { String::new() } else { r.partner_id.to_string() },
                    orders: r.orders.max(0) as u64,
                    gross: money(&r.currency, r.gross),
                    net: money(&r.currency, r.net),
                    net_reporting: match reporting_currency.as_str() {
                        "" => String::new(),
                        c => money(c, r.net_reporting),
                    },
                    unconverted_orders: r.unconverted.max(0) as u64,
                    currency: r.currency,
                })
                .collect(),
            reporting_currency,
        })
    }

    /// D2 customers: active customers and average order value per period; over the range the
    /// repeat rate and the top customers by net sales.
    pub(super) async fn customer_sales_impl(
        &self,
        (a, token): (Access, String),
        q: pb::SalesQuery,
    ) -> Result<pb::CustomerSales, AppError> {
        let asked = self.asked(&a, &token, &q).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let rows = store::customer_periods(&mut tx, asked.partner, &asked.zone, asked.range, asked.every).await?;
        tx.commit().await?;
        let bounds = asked.range.by_start(asked.every);
        // (period, currency) -> (customers, orders, net)
        let mut per: BTreeMap<(NaiveDate, String), (u64, u64, Decimal)> = BTreeMap::new();
        // (customer, currency) -> (name, orders, net)
        let mut whole: BTreeMap<(String, String), (String, u64, Decimal)> = BTreeMap::new();
        for r in &rows {
            let p = per.entry((r.period, r.currency.clone())).or_default();
            p.0 += 1;
            p.1 += r.orders as u64;
            p.2 += r.net;
            let w = whole.entry((r.customer.clone(), r.currency.clone())).or_default();
            w.0 = r.name.clone();
            w.1 += r.orders as u64;
            w.2 += r.net;
        }
        let period = |start: NaiveDate, currency: &str, (customers, orders, net): (u64, u64, Decimal)| {
            let (s, e) = bounds.get(&start).copied().unwrap_or((start, start));
            pb::CustomerSalesPeriod {
                period_start: s.to_string(),
                period_end: e.to_string(),
                currency: currency.to_string(),
                active_customers: customers,
                orders,
                net: money(currency, net),
                average_order_value: money(
                    currency,
                    if orders == 0 { Decimal::ZERO } else { net / Decimal::from(orders) },
                ),
            }
        };
        let mut range_per_currency: BTreeMap<String, (u64, u64, Decimal)> = BTreeMap::new();
        let (mut active, mut repeat) = (HashSet::new(), HashSet::new());
        for ((customer, currency), (_, orders, net)) in &whole {
            let t = range_per_currency.entry(currency.clone()).or_default();
            t.0 += 1;
            t.1 += orders;
            t.2 += net;
            active.insert(customer.clone());
            if *orders >= 2 {
                repeat.insert(customer.clone());
            }
        }
        let repeat_rate = if active.is_empty() {
            Decimal::ZERO
        } else {
            (Decimal::from(repeat.len()) / Decimal::from(active.len())).round_dp(4)
        };
        let mut top: Vec<_> = whole.into_iter().collect();
        top.sort_by(|a, b| b.1.2.cmp(&a.1.2).then_with(|| b.1.1.cmp(&a.1.1)).then_with(|| a.0.cmp(&b.0)));
        let (from, to) = platform::reports::dates(&asked.range);
        let whole_range = (asked.range.from, asked.range.to);
        Ok(pb::CustomerSales {
            time_zone: asked.zone,
            periods: per.into_iter().map(|((start, c), v)| period(start, &c, v)).collect(),
            range: range_per_currency
                .into_iter()
                .map(|(c, v)| {
                    let mut p = period(whole_range.0, &c, v);
                    p.period_start = from.clone();
                    p.period_end = to.clone();
                    p
                })
                .collect(),
            from,
            to,
            repeat_rate: repeat_rate.to_string(),
            top: top
                .into_iter()
                .take(10)
                .map(|((customer, currency), (name, orders, net))| pb::TopCustomer {
                    customer_id: if customer.starts_with("name:") || asked.team { String::new() } else { customer },
                    name: if asked.team { String::new() } else { name },
                    net: money(&currency, net),
                    currency,
                    orders,
                })
                .collect(),
        })
    }
}

fn zero(period: NaiveDate, currency: &str) -> SalesTotal {
    SalesTotal {
        period,
        channel: String::new(),
        currency: currency.to_string(),
        orders: 0,
        gross: Decimal::ZERO,
        discounts: Decimal::ZERO,
        shipping: Decimal::ZERO,
        tax: Decimal::ZERO,
        refunds: Decimal::ZERO,
        net: Decimal::ZERO,
        gross_reporting: Decimal::ZERO,
        net_reporting: Decimal::ZERO,
        unconverted: 0,
    }
}

fn add(t: &mut SalesTotal, r: &SalesTotal) {
    t.orders += r.orders;
    t.gross += r.gross;
    t.discounts += r.discounts;
    t.shipping += r.shipping;
    t.tax += r.tax;
    t.refunds += r.refunds;
    t.net += r.net;
    t.gross_reporting += r.gross_reporting;
    t.net_reporting += r.net_reporting;
    t.unconverted += r.unconverted;
}

/// X6: each period's sales over every currency, in the reporting currency (rounded once, here).
fn reporting(
    bounds: &BTreeMap<NaiveDate, (NaiveDate, NaiveDate)>,
    totals: &BTreeMap<(NaiveDate, String), SalesTotal>,
    currency: &str,
) -> Vec<pb::ReportingRow> {
    let mut per: BTreeMap<NaiveDate, (SalesTotal, std::collections::BTreeSet<String>)> = BTreeMap::new();
    for ((start, c), t) in totals {
        let (sum, from) = per.entry(*start).or_insert_with(|| (zero(*start, currency), Default::default()));
        add(sum, t);
        if c != currency && t.orders != t.unconverted {
            from.insert(c.clone());
        }
    }
    per.into_values()
        .map(|(t, from)| {
            let (s, e) = bounds.get(&t.period).copied().unwrap_or((t.period, t.period));
            pb::ReportingRow {
                period_start: s.to_string(),
                period_end: e.to_string(),
                orders: t.orders.max(0) as u64,
                gross: money(currency, t.gross_reporting),
                net: money(currency, t.net_reporting),
                converted_from: from.into_iter().collect(),
                unconverted_orders: t.unconverted.max(0) as u64,
            }
        })
        .collect()
}

fn row(bounds: &BTreeMap<NaiveDate, (NaiveDate, NaiveDate)>, r: &SalesTotal) -> pb::SalesRow {
    let (s, e) = bounds.get(&r.period).copied().unwrap_or((r.period, r.period));
    let c = r.currency.as_str();
    pb::SalesRow {
        period_start: s.to_string(),
        period_end: e.to_string(),
        channel: r.channel.clone(),
        currency: r.currency.clone(),
        orders: r.orders.max(0) as u64,
        gross: money(c, r.gross),
        discounts: money(c, r.discounts),
        shipping: money(c, r.shipping),
        tax: money(c, r.tax),
        refunds: money(c, r.refunds),
        net: money(c, r.net),
    }
}
