//! Reports by partner and period (D2).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::service::{CommissionsService, minor_units};
use crate::store::{self};

pub(crate) fn day(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AppError::invalid(field, "must be a date, YYYY-MM-DD"))
        })
        .transpose()
}

pub(crate) fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

impl CommissionsService {
    /// D2: per partner and period, commissions earned (orders placed in the period), what of it
    /// is still pending or held, and payouts paid in the period.
    pub(crate) async fn report_impl(&self, p: Principal, q: pb::ReportQuery) -> Result<pb::ReportResult, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let period = match q.period.trim() {
            "" | "month" => "month",
            "week" => "week",
            "day" => "day",
            _ => return Err(AppError::invalid("period", "must be day, week or month")),
        };
        let today = self.clock.now().date_naive();
        let to = day("to", q.to.as_deref())?.unwrap_or(today);
        let from = day("from", q.from.as_deref())?.unwrap_or(to - chrono::Duration::days(365));
        if from > to {
            return Err(AppError::invalid("from", "must not be after `to`"));
        }
        let (start, end) = (start_of(from), start_of(to + chrono::Duration::days(1)));
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let earned = store::earned_by_period(&mut tx, period, start, end, partner).await?;
        let paid = store::paid_by_period(&mut tx, period, start, end, partner).await?;
        tx.commit().await?;
        let mut rows: BTreeMap<(DateTime<Utc>, Uuid, String), [Decimal; 3]> = BTreeMap::new();
        for (at, pid, cur, e, pend) in earned {
            let r = rows.entry((at, pid, cur)).or_default();
            r[0] += e;
            r[1] += pend;
        }
        for (at, pid, cur, amount) in paid {
            rows.entry((at, pid, cur)).or_default()[2] += amount;
        }
        let rows = rows
            .into_iter()
            .map(|((at, pid, currency), v)| {
                let dp = minor_units(&currency);
                pb::ReportRow {
                    period_start: at.date_naive().to_string(),
                    partner_id: pid.to_string(),
                    earned: crate::domain::round(v[0], dp).to_string(),
                    pending: crate::domain::round(v[1], dp).to_string(),
                    paid: crate::domain::round(v[2], dp).to_string(),
                    currency,
                }
            })
            .collect();
        Ok(pb::ReportResult { rows })
    }
}
