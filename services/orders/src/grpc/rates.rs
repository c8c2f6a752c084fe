//! X6: the exchange rates a program keeps (merchant admins write them, staff read them): as a
//! list, or a rate table in CSV. No rate service on the internet is asked.

use chrono::NaiveDate;
use partnerline_proto::events::v1 as ev;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::error::FieldError;
use rust_decimal::Decimal;

use super::{Access, OrdersService};
use crate::store::{self, RateRow};

/// The most rates one request writes.
const MAX_RATES: usize = 5000;

fn rate_message(r: &RateRow) -> pb::ExchangeRate {
    pb::ExchangeRate {
        from: r.from_currency.clone(),
        to: r.to_currency.clone(),
        rate: r.rate.normalize().to_string(),
        valid_from: r.valid_from.to_string(),
        updated_at: r.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

/// One rate, checked; `at` names it in errors (`rates[2]` or `csv line 3`).
fn parse_rate(
    at: &str,
    r: &pb::ExchangeRate,
    now: chrono::DateTime<chrono::Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<RateRow> {
    let mut err = |field: &str, message: String| errors.push(FieldError { field: format!("{at}.{field}"), message });
    let code = |raw: &str| platform::Currency::parse(raw.trim()).map(|c| c.code().to_string());
    let from = code(&r.from).map_err(|e| err("from", e.to_string())).ok();
    let to = code(&r.to).map_err(|e| err("to", e.to_string())).ok();
    let rate = match Decimal::from_str_exact(r.rate.trim()) {
        Ok(d) if d > Decimal::ZERO && d.scale() <= 10 && d < Decimal::from(10_000_000_000i64) => Some(d),
        _ => {
            err("rate", "must be a positive decimal with at most 10 decimal places, e.g. \"0.9234\"".into());
            None
        }
    };
    let day = NaiveDate::parse_from_str(r.valid_from.trim(), "%Y-%m-%d")
        .map_err(|_| err("valid_from", "must be a date, YYYY-MM-DD".into()))
        .ok();
    let (from, to, rate, day) = (from?, to?, rate?, day?);
    if from == to {
        errors.push(FieldError { field: format!("{at}.to"), message: "must be another currency than from".into() });
        return None;
    }
    Some(RateRow { from_currency: from, to_currency: to, rate, valid_from: day, updated_at: now })
}

/// The rates of a CSV table: a header naming from, to, rate and valid_from (in any order).
fn csv_rates(text: &str) -> Result<Vec<(String, pb::ExchangeRate)>, AppError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else { return Ok(Vec::new()) };
    let names: Vec<String> = header.split(',').map(|h| h.trim().trim_matches('"').to_lowercase()).collect();
    let col = |name: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            AppError::invalid("csv", format!("the header must name from, to, rate and valid_from; {name} is missing"))
        })
    };
    let (f, t, r, d) = (col("from")?, col("to")?, col("rate")?, col("valid_from")?);
    let mut out = Vec::new();
    for (n, line) in lines {
        let cells: Vec<&str> = line.split(',').map(|c| c.trim().trim_matches('"')).collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or_default().to_string();
        let rate =
            pb::ExchangeRate { from: cell(f), to: cell(t), rate: cell(r), valid_from: cell(d), ..Default::default() };
        out.push((format!("csv.line_{}", n + 1), rate));
    }
    Ok(out)
}

impl OrdersService {
    pub(super) async fn put_rates_impl(
        &self,
        a: Access,
        req: pb::PutExchangeRatesRequest,
    ) -> Result<pb::ExchangeRateList, AppError> {
        a.require_admin("only the merchant's admins keep exchange rates")?;
        let mut given: Vec<(String, pb::ExchangeRate)> =
            req.rates.into_iter().enumerate().map(|(i, r)| (format!("rates[{i}]"), r)).collect();
        given.extend(csv_rates(&req.csv)?);
        if given.is_empty() {
            return Err(AppError::invalid("rates", "give at least one rate, as rates or as csv"));
        }
        if given.len() > MAX_RATES {
            return Err(AppError::invalid("rates", format!("at most {MAX_RATES} rates at once")));
        }
        let now = self.clock.now();
        let mut errors = Vec::new();
        let mut rows: Vec<RateRow> = given.iter().filter_map(|(at, r)| parse_rate(at, r, now, &mut errors)).collect();
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        // The same pair and day twice: the last one given counts.
        rows.reverse();
        let mut seen = std::collections::HashSet::new();
        rows.retain(|r| seen.insert((r.from_currency.clone(), r.to_currency.clone(), r.valid_from)));
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        store::put_rates(&mut tx, &rows).await?;
        // Commissions keeps them to pay partners in their own currency (X6).
        let msg = ev::ExchangeRatesUpdated {
            tenant_id: a.tenant.to_string(),
            rates: rows
                .iter()
                .map(|r| ev::ExchangeRateGiven {
                    from: r.from_currency.clone(),
                    to: r.to_currency.clone(),
                    rate: r.rate.normalize().to_string(),
                    valid_from: r.valid_from.to_string(),
                })
                .collect(),
        };
        self.outbox.emit(tx.conn(), a.tenant, "exchange_rates", uuid::Uuid::now_v7(), "updated", &msg).await?;
        let all = store::rates(&mut tx, None, None).await?;
        tx.commit().await?;
        Ok(pb::ExchangeRateList { items: all.iter().map(rate_message).collect() })
    }

    pub(super) async fn list_rates_impl(
        &self,
        a: Access,
        q: pb::ExchangeRateQuery,
    ) -> Result<pb::ExchangeRateList, AppError> {
        a.require_staff("exchange rates are the merchant's")?;
        let code = |field: &str, raw: Option<&str>| {
            raw.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    platform::Currency::parse(s)
                        .map(|c| c.code().to_string())
                        .map_err(|e| AppError::invalid(field, e.to_string()))
                })
                .transpose()
        };
        let (from, to) = (code("from", q.from.as_deref())?, code("to", q.to.as_deref())?);
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let all = store::rates(&mut tx, from.as_deref(), to.as_deref()).await?;
        tx.commit().await?;
        Ok(pb::ExchangeRateList { items: all.iter().map(rate_message).collect() })
    }
}
