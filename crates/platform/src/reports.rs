//! What every service's reports share (D1-D3): the program's time zone, copied from identity's
//! program events into each service's `report_zones`; the range and period size of a report
//! query; and how a range splits into the day and month rows the services keep.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use partnerline_proto::events::v1 as ev;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppError;
use crate::consumer::{Handler, IncomingEvent};

/// The identity events that carry a program's settings.
pub const ZONE_SUBJECTS: &[&str] = &["identity.*.tenant.created", "identity.*.program.updated"];

/// The longest range a report by day covers.
pub const MAX_DAYS: i64 = 5 * 366;

/// Keeps `report_zones` and, when a program's zone changes, calls the service's SQL function
/// `rebuild(tenant)` so that its totals are counted in the new zone.
#[derive(Clone, Copy)]
pub struct ReportZones {
    pub rebuild: &'static str,
}

impl Handler for ReportZones {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let settings = match e.name().as_str() {
            "tenant.created" => ev::TenantCreated::decode(e.payload.as_ref())?.settings,
            "program.updated" => ev::ProgramUpdated::decode(e.payload.as_ref())?.settings,
            _ => return Ok(()),
        };
        let Some(s) = settings else { anyhow::bail!("{} without settings", e.name()) };
        set_zone(conn, tenant, &s.time_zone, self.rebuild).await
    }
}

/// Records the program's zone (empty: UTC) and rebuilds its totals when it changed. `conn` is
/// in a transaction: the zone's lock lasts until it ends.
pub async fn set_zone(conn: &mut PgConnection, tenant: Uuid, zone: &str, rebuild: &str) -> anyhow::Result<()> {
    let zone = if zone.trim().is_empty() { "UTC" } else { zone.trim() };
    // Waits for writes still open, whose totals are in the old zone; later ones wait for this
    // (migration `report_zone_lock` of each service).
    sqlx::query("SELECT report_zone_lock($1, true)").bind(tenant).execute(&mut *conn).await?;
    let before: Option<String> = sqlx::query_scalar("SELECT time_zone FROM report_zones WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?;
    if before.as_deref() == Some(zone) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO report_zones (tenant_id, time_zone) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone",
    )
    .bind(tenant)
    .bind(zone)
    .execute(&mut *conn)
    .await?;
    // Totals written before the first zone arrived were counted in UTC.
    if before.as_deref().unwrap_or("UTC") != zone {
        sqlx::query(&format!("SELECT {rebuild}($1)")).bind(tenant).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The program's zone and today's date in it.
pub async fn today(conn: &mut PgConnection, tenant: Uuid, now: DateTime<Utc>) -> sqlx::Result<(String, NaiveDate)> {
    sqlx::query_as(
        "SELECT z.zone, ($2::timestamptz AT TIME ZONE z.zone)::date
         FROM (SELECT coalesce((SELECT time_zone FROM report_zones WHERE tenant_id = $1), 'UTC') AS zone) z",
    )
    .bind(tenant)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// What a report query asks, checked: the program's zone, the range and the period size.
/// `every` is day, week or month (default); `from`/`to` are dates in the zone (`to` default
/// today); without `from`, `periods` periods back (0: 12, at most 1000).
pub async fn asked(
    conn: &mut PgConnection,
    tenant: Uuid,
    now: DateTime<Utc>,
    every: &str,
    from: Option<&str>,
    to: Option<&str>,
    periods: u32,
) -> Result<(String, Range, Every), AppError> {
    let every = Every::parse("every", every, Every::Month)?;
    let (zone, today) = today(conn, tenant, now).await?;
    let periods = if periods == 0 { 12 } else { periods.min(1000) };
    let range = Range::parse(from, to, every, periods, today)?;
    Ok((zone, range, every))
}

/// The size of a report's periods; weeks are ISO weeks (Monday first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Day,
    Week,
    Month,
}

impl Every {
    /// `field` names the query parameter in the error; empty is `default`.
    pub fn parse(field: &'static str, raw: &str, default: Every) -> Result<Every, AppError> {
        match raw.trim() {
            "" => Ok(default),
            "day" => Ok(Every::Day),
            "week" => Ok(Every::Week),
            "month" => Ok(Every::Month),
            _ => Err(AppError::invalid(field, "must be day, week or month")),
        }
    }

    /// PostgreSQL's `date_trunc` unit.
    pub fn unit(self) -> &'static str {
        match self {
            Every::Day => "day",
            Every::Week => "week",
            Every::Month => "month",
        }
    }

    /// The first day of the period holding `d`.
    pub fn start(self, d: NaiveDate) -> NaiveDate {
        match self {
            Every::Day => d,
            Every::Week => d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64),
            Every::Month => d.with_day(1).unwrap_or(d),
        }
    }

    /// The first day of the period after the one starting at `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Every::Day => start + chrono::Duration::days(1),
            Every::Week => start + chrono::Duration::days(7),
            Every::Month => start.checked_add_months(Months::new(1)).unwrap_or(start),
        }
    }
}

/// A report's dates, both inclusive, in the program's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `to` is today or later: nothing is kept after it, so its month's row holds exactly the
    /// month's days up to `to` and is read whole.
    pub open: bool,
}

pub fn date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AppError::invalid(field, "must be a date, YYYY-MM-DD"))
        })
        .transpose()
}

impl Range {
    /// `from`/`to` as given (YYYY-MM-DD); `to` defaults to today, `from` to `periods` periods of
    /// `every` ending with the one holding `to`. Refuses `from` after `to` and a day report over
    /// five years.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        every: Every,
        periods: u32,
        today: NaiveDate,
    ) -> Result<Range, AppError> {
        let to = date("to", to)?.unwrap_or(today);
        let from = match date("from", from)? {
            Some(f) => f,
            None => {
                let mut start = every.start(to);
                for _ in 1..periods.max(1) {
                    start = every.start(start - chrono::Duration::days(1));
                }
                start
            }
        };
        if from > to {
            return Err(AppError::invalid("from", "must not be after `to`"));
        }
        if every == Every::Day && (to - from).num_days() >= MAX_DAYS {
            return Err(AppError::invalid(
                "from",
                "a report by day covers at most five years; use every=week or month",
            ));
        }
        if (to - from).num_days() >= 100 * 366 {
            return Err(AppError::invalid("from", "a report covers at most a hundred years"));
        }
        Ok(Range { from, to, open: to >= today })
    }

    /// The periods of the range, each clipped to it: (first day, last day).
    pub fn periods(&self, every: Every) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut start = every.start(self.from);
        while start <= self.to {
            let next = every.next(start);
            out.push((start.max(self.from), (next - chrono::Duration::days(1)).min(self.to)));
            start = next;
        }
        out
    }

    /// The periods of the range by their unclipped first day (what the totals' queries group
    /// by), each with its clipped first and last day.
    pub fn by_start(&self, every: Every) -> std::collections::BTreeMap<NaiveDate, (NaiveDate, NaiveDate)> {
        self.periods(every).into_iter().map(|(s, e)| (every.start(s), (s, e))).collect()
    }

    /// The range as rows kept per day and per month: the months it covers whole (first days of
    /// the first and last such month) and the days around them, as bind values for
    /// [`Range::ROWS`]. An empty part is a range whose start is after its end.
    pub fn rows(&self) -> [NaiveDate; 6] {
        let first_whole =
            if self.from.day() == 1 { self.from } else { Every::Month.next(Every::Month.start(self.from)) };
        let after_last_whole = if self.open {
            Every::Month.next(Every::Month.start(self.to))
        } else {
            Every::Month.start(self.to + chrono::Duration::days(1))
        };
        // An empty part: starts after it ends, whatever the range.
        let (after, before) = (self.to + chrono::Duration::days(1), self.from - chrono::Duration::days(1));
        if first_whole >= after_last_whole {
            // No whole month: days only.
            return [self.from, self.to, after, before, after, before];
        }
        let last_whole = Every::Month.start(after_last_whole - chrono::Duration::days(1));
        [self.from, first_whole - chrono::Duration::days(1), first_whole, last_whole, after_last_whole, self.to]
    }

    /// The condition on `grain` and `period` that [`Range::rows`]' six values (bound from `$n`)
    /// select. Only for totals over the whole range or by month: days and weeks read day rows.
    pub fn rows_condition(n: usize) -> String {
        format!(
            "((grain = 'd' AND period BETWEEN ${a} AND ${b}) OR (grain = 'm' AND period BETWEEN ${c} AND ${d}) \
             OR (grain = 'd' AND period BETWEEN ${e} AND ${f}))",
            a = n,
            b = n + 1,
            c = n + 2,
            d = n + 3,
            e = n + 4,
            f = n + 5
        )
    }
}

/// Whose figures a report is about. A partner: its own, or one of its team's (C7: identity lists
/// a partner's team to the partner itself), else 404; staff: the partner named (checked by the
/// caller's service) or the whole program.
pub async fn whose_figures(
    identity: &mut partnerline_proto::identity::v1::identity_client::IdentityClient<tonic::transport::Channel>,
    token: &str,
    me: Option<Uuid>,
    named: Option<&str>,
) -> Result<(Option<Uuid>, bool), AppError> {
    let named = named
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid("partner_id", "is not an id")))
        .transpose()?;
    let Some(me) = me else { return Ok((named, false)) };
    let Some(other) = named.filter(|n| *n != me) else { return Ok((Some(me), false)) };
    let mut cursor = None;
    loop {
        let req = partnerline_proto::identity::v1::ListPartnersRequest { limit: 200, cursor, ..Default::default() };
        let page = identity
            .list_partners(crate::grpc::request(req, Some(token)))
            .await
            .map_err(|s| AppError::from_status(&s))?
            .into_inner();
        if page.items.iter().any(|p| p.id == other.to_string()) {
            return Ok((Some(other), true));
        }
        match page.next_cursor {
            Some(c) if !c.is_empty() => cursor = Some(c),
            _ => return Err(AppError::not_found("partner").with_field("partner_id")),
        }
    }
}

/// An amount as reports write it: rounded to the currency's minor unit ("12.50" EUR), or as
/// stored when the currency is unknown.
pub fn money(currency: &str, amount: rust_decimal::Decimal) -> String {
    match crate::Currency::parse(currency) {
        Ok(c) => c.round(amount).to_string(),
        Err(_) => amount.normalize().to_string(),
    }
}

/// A report's header: its zone and range as written back to the caller.
pub fn dates(range: &Range) -> (String, String) {
    (range.from.to_string(), range.to.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn covered(r: &Range) -> Vec<NaiveDate> {
        let [a, b, c, e, f, g] = r.rows();
        let mut days = Vec::new();
        let mut x = a;
        while x <= b {
            days.push(x);
            x += chrono::Duration::days(1);
        }
        let mut m = c;
        while m <= e {
            let mut x = m;
            while x < Every::Month.next(m) {
                days.push(x);
                x += chrono::Duration::days(1);
            }
            m = Every::Month.next(m);
        }
        let mut x = f;
        while x <= g {
            days.push(x);
            x += chrono::Duration::days(1);
        }
        days
    }

    #[test]
    fn d2_day_and_month_rows_cover_the_range_once() {
        for (from, to) in [
            ("2026-01-01", "2026-12-31"),
            ("2026-01-15", "2026-03-10"),
            ("2026-01-15", "2026-01-20"),
            ("2026-01-01", "2026-01-31"),
            ("2026-01-31", "2026-02-01"),
            ("2025-02-28", "2026-03-01"),
            ("2026-03-01", "2026-03-01"),
        ] {
            let r = Range { from: d(from), to: d(to), open: false };
            let days = covered(&r);
            let mut want = Vec::new();
            let mut x = r.from;
            while x <= r.to {
                want.push(x);
                x += chrono::Duration::days(1);
            }
            let mut got = days.clone();
            got.sort();
            assert_eq!(got, want, "{from}..{to}");
        }
    }

    #[test]
    fn d2_a_range_ending_today_reads_its_month_row_whole() {
        // Nothing is kept after today, so this month's row is this month to date.
        let r = Range { from: d("2025-12-01"), to: d("2026-12-02"), open: true };
        let [_, _, c, e, f, g] = r.rows();
        assert_eq!((c, e), (d("2025-12-01"), d("2026-12-01")), "every month from its row");
        assert!(f > g, "no day rows after the last month");
        let r = Range { from: d("2026-12-01"), to: d("2026-12-02"), open: true };
        let [a, b, c, e, ..] = r.rows();
        assert!(a > b && c == e && c == d("2026-12-01"), "{:?}", r.rows());
    }

    #[test]
    fn d2_weeks_start_on_monday_and_periods_are_clipped() {
        // 2026-12-02 is a Wednesday.
        assert_eq!(Every::Week.start(d("2026-12-02")), d("2026-11-30"));
        let r = Range { from: d("2026-12-02"), to: d("2026-12-15"), open: false };
        assert_eq!(
            r.periods(Every::Week),
            vec![
                (d("2026-12-02"), d("2026-12-06")),
                (d("2026-12-07"), d("2026-12-13")),
                (d("2026-12-14"), d("2026-12-15"))
            ]
        );
        assert_eq!(r.periods(Every::Month), vec![(d("2026-12-02"), d("2026-12-15"))]);
    }

    #[test]
    fn d2_bad_ranges_name_the_field() {
        let today = d("2026-12-02");
        let e = Range::parse(Some("2026-12-03"), Some("2026-12-01"), Every::Day, 1, today).unwrap_err();
        assert_eq!(e.errors[0].field.as_str(), "from");
        let e = Range::parse(Some("2020-01-01"), Some("2026-12-01"), Every::Day, 1, today).unwrap_err();
        assert_eq!(e.errors[0].field.as_str(), "from");
        assert!(Range::parse(Some("2020-01-01"), Some("2026-12-01"), Every::Month, 1, today).is_ok());
        let e = Range::parse(Some("2026-13-01"), None, Every::Day, 1, today).unwrap_err();
        assert_eq!(e.errors[0].field.as_str(), "from");
        assert_eq!(Every::parse("every", "year", Every::Month).unwrap_err().errors[0].field.as_str(), "every");
        // Default: twelve weeks ending with this one.
        let r = Range::parse(None, None, Every::Week, 12, today).unwrap();
        assert_eq!((r.from, r.to), (d("2026-09-14"), today));
    }
}
