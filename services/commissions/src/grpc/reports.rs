//! Earnings by period (D2), per partner (D3) and the rate a partner earns now (D1).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use platform::reports::{Every, Range, asked, money};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::{Pays, TrustLevel};
use crate::service::CommissionsService;
use crate::store::{self, Movement};

/// What a period's movements add up to.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    earned_own: Decimal,
    earned_team: Decimal,
    voided: Decimal,
    clawed_back: Decimal,
    paid: Decimal,
    /// pending, held, available, requested: what the movements put in minus what they took out
    buckets: [Decimal; 4],
}

const BUCKETS: [&str; 4] = ["pending", "held", "available", "requested"];

impl Figures {
    fn add(&mut self, m: &Movement) {
        let a = m.amount;
        match m.kind.as_str() {
            // An accrual reduced later (a partial refund) moves back to the expense account.
            "accrued" => {
                let signed = if m.credit == "merchant:expense" { -a } else { a };
                if m.level <= 0 { self.earned_own += signed } else { self.earned_team += signed }
            }
            "lead_reward" => self.earned_own += a,
            "voided" => self.voided += a,
            "clawback" => self.clawed_back += a,
            "payout_paid" => self.paid += a,
            _ => {}
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if m.credit == *b {
                self.buckets[i] += a;
            }
            if m.debit == *b {
                self.buckets[i] -= a;
            }
        }
    }
}

/// X6: each period's flows in the reporting currency `rc`: the movements converted to it (at
/// their orders' rates, or in it already), rounded once; which currencies went into them, and
/// which had amounts left out.
fn reporting_figures(moves: &[Movement], rc: &str, range: Range, every: Every) -> Vec<pb::ReportingFigures> {
    let mut per: BTreeMap<NaiveDate, (Figures, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for m in moves {
        let Some(d) = m.period else { continue };
        let (f, converted, left) = per.entry(d).or_default();
        if m.reporting_currency == rc {
            f.add(&Movement { amount: m.amount_reporting, ..m.clone() });
            if m.currency != rc {
                converted.insert(m.currency.clone());
            }
        } else if !m.amount.is_zero()
            && matches!(m.kind.as_str(), "accrued" | "lead_reward" | "voided" | "clawback" | "payout_paid")
        {
            left.insert(m.currency.clone());
        }
    }
    range
        .periods(every)
        .into_iter()
        .map(|(start, end)| {
            let (f, converted, left) = per.remove(&every.start(start)).unwrap_or_default();
            let m = |d: Decimal| money(rc, d);
            pb::ReportingFigures {
                period_start: start.to_string(),
                period_end: end.to_string(),
                earned: m(f.earned_own + f.earned_team),
                earned_own: m(f.earned_own),
                earned_team: m(f.earned_team),
                voided: m(f.voided),
                clawed_back: m(f.clawed_back),
                paid: m(f.paid),
                converted_from: converted.into_iter().collect(),
                unconverted: left.into_iter().collect(),
            }
        })
        .collect()
}

impl CommissionsService {
    /// Whose figures: a partner its own; staff one partner of the program (404 for any other)
    /// or the whole program. And over which days, in periods of what size.
    async fn asked(
        &self,
        p: &Principal,
        tx: &mut TenantTx<'_>,
        q: &pb::ReportQuery,
    ) -> Result<(Option<Uuid>, String, Range, Every), AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        // A partner's earnings are its own: what it earns on its team's sales is its `earned_team`.
        if let (Some(me), Some(named)) = (p.partner_id(), q.partner_id.as_deref().map(str::trim))
            && !named.is_empty()
            && named != me.to_string()
        {
            return Err(AppError::not_found("partner").with_field("partner_id"));
        }
        if let (Some(named), Some(_)) = (partner, q.partner_id.as_deref().filter(|s| !s.trim().is_empty()))
            && p.partner_id().is_none()
            && store::trust_levels(tx, &[named]).await?.is_empty()
        {
            return Err(AppError::not_found("partner").with_field("partner_id"));
        }
        let tenant = tx.tenant();
        let (from, to) = (q.from.as_deref(), q.to.as_deref());
        let (zone, range, every) = asked(tx.conn(), tenant, self.clock.now(), &q.every, from, to, q.periods).await?;
        Ok((partner, zone, range, every))
    }

    /// D2: per period and currency, what was earned (own and team), voided, clawed back and paid,
    /// and the balances at the period's end.
    pub(crate) async fn report_impl(&self, p: Principal, q: pb::ReportQuery) -> Result<pb::ReportResult, AppError> {
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let (partner, zone, range, every) = self.asked(&p, &mut tx, &q).await?;
        let moves = store::movements(&mut tx, partner, range, every).await?;
        let reporting_currency = self.program(&mut tx).await?.currency;
        tx.commit().await?;
        let reporting = reporting_figures(&moves, &reporting_currency, range, every);
        let mut opening: BTreeMap<String, Figures> = BTreeMap::new();
        let mut per: BTreeMap<(String, NaiveDate), Figures> = BTreeMap::new();
        for m in &moves {
            match m.period {
                None => opening.entry(m.currency.clone()).or_default().add(m),
                Some(d) => per.entry((m.currency.clone(), d)).or_default().add(m),
            }
        }
        let currencies: std::collections::BTreeSet<String> =
            opening.keys().chain(per.keys().map(|(c, _)| c)).cloned().collect();
        let mut rows = Vec::new();
        for c in currencies {
            let mut balance = opening.get(&c).map(|f| f.buckets).unwrap_or_default();
            // Every period appears, with zeros when nothing moved: charts need them.
            for (start, end) in range.periods(every) {
                let f = per.get(&(c.clone(), every.start(start))).copied().unwrap_or_default();
                for (b, moved) in balance.iter_mut().zip(f.buckets) {
                    *b += moved;
                }
                let m = |d: Decimal| money(&c, d);
                rows.push(pb::ReportRow {
                    period_start: start.to_string(),
                    period_end: end.to_string(),
                    currency: c.clone(),
                    earned: m(f.earned_own + f.earned_team),
                    earned_own: m(f.earned_own),
                    earned_team: m(f.earned_team),
                    voided: m(f.voided),
                    clawed_back: m(f.clawed_back),
                    paid: m(f.paid),
                    pending: m(balance[0]),
                    held: m(balance[1]),
                    available: m(balance[2]),
                    requested: m(balance[3]),
                });
            }
        }
        let (from, to) = platform::reports::dates(&range);
        Ok(pb::ReportResult { time_zone: zone, from, to, rows, reporting, reporting_currency })
    }

    /// D3: per partner, earned and paid over the range, and its balances now. Staff only.
    pub(crate) async fn partner_earnings_impl(
        &self,
        p: Principal,
        q: pb::ReportQuery,
    ) -> Result<pb::PartnerEarningsList, AppError> {
        if p.partner_id().is_some() {
            return Err(AppError::forbidden("results per partner are the merchant's"));
        }
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let (partner, zone, range, _) = self.asked(&p, &mut tx, &q).await?;
        let moves = store::partner_movements(&mut tx, range).await?;
        let balances = store::partner_balances(&mut tx, partner).await?;
        let rc = self.program(&mut tx).await?.currency;
        tx.commit().await?;
        let mut by: BTreeMap<(Uuid, String), Figures> = BTreeMap::new();
        // X6: the same figures in the reporting currency, and whether some had no rate.
        let mut reporting: BTreeMap<(Uuid, String), (Figures, bool)> = BTreeMap::new();
        for m in moves.iter().filter(|m| partner.is_none_or(|p| p == m.partner_id)) {
            by.entry((m.partner_id, m.currency.clone())).or_default().add(m);
            let r = reporting.entry((m.partner_id, m.currency.clone())).or_default();
            if !rc.is_empty() && m.reporting_currency == rc {
                r.0.add(&Movement { amount: m.amount_reporting, ..m.clone() });
            } else if !m.amount.is_zero() {
                r.1 = true;
            }
        }
        // Balances now, from the running totals (`Figures::buckets` of the range are not them).
        let mut now: BTreeMap<(Uuid, String), [Decimal; 4]> = BTreeMap::new();
        for (acct, currency, balance) in balances {
            let mut parts = acct.splitn(3, ':');
            let (Some(_), Some(pid), Some(bucket)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let (Ok(pid), Some(i)) = (Uuid::parse_str(pid), BUCKETS.iter().position(|b| *b == bucket)) else {
                continue;
            };
            now.entry((pid, currency)).or_default()[i] += balance;
        }
        let keys: std::collections::BTreeSet<(Uuid, String)> = by.keys().chain(now.keys()).cloned().collect();
        let rows = keys
            .into_iter()
            .map(|(pid, c)| {
                let f = by.get(&(pid, c.clone())).copied().unwrap_or_default();
                let b = now.get(&(pid, c.clone())).copied().unwrap_or_default();
                let (r, unconverted) = reporting.get(&(pid, c.clone())).copied().unwrap_or_default();
                let m = |d: Decimal| money(&c, d);
                let in_rc = |d: Decimal| if rc.is_empty() { String::new() } else { money(&rc, d) };
                pb::PartnerEarningsRow {
                    partner_id: pid.to_string(),
                    earned: m(f.earned_own + f.earned_team),
                    paid: m(f.paid),
                    earned_reporting: in_rc(r.earned_own + r.earned_team),
                    paid_reporting: in_rc(r.paid),
                    unconverted,
                    pending: m(b[0]),
                    held: m(b[1]),
                    available: m(b[2]),
                    requested: m(b[3]),
                    currency: c,
                }
            })
            .collect();
        let (from, to) = platform::reports::dates(&range);
        Ok(pb::PartnerEarningsList { time_zone: zone, from, to, rows, reporting_currency: rc })
    }

    /// D1: the first own-commission rule in force (by priority) that a plain order meets, for the
    /// partner's trust level; otherwise the program default (C1).
    pub(crate) async fn current_rate_impl(
        &self,
        p: Principal,
        q: pb::CurrentRateQuery,
    ) -> Result<pb::CurrentRate, AppError> {
        let partner = p
            .whose(q.partner_id.as_deref())?
            .ok_or_else(|| AppError::invalid("partner_id", "name the partner whose rate to show"))?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let trust = store::trust_levels(&mut tx, &[partner]).await?;
        let Some(&(_, tier)) = trust.first() else {
            return Err(AppError::not_found("partner").with_field("partner_id"));
        };
        let rules = store::current_rules(&mut tx).await?;
        let program = self.program(&mut tx).await?;
        tx.commit().await?;
        let now = self.clock.now();
        let plain = rules.iter().filter(|r| r.level == 0 && r.in_force_at(now)).find(|r| {
            r.product_ids.is_empty()
                && r.categories.is_empty()
                && r.customer_group_id.is_none()
                && r.min_order_total.is_none_or(|m| m.is_zero())
                && r.partner_tier.as_deref().is_none_or(|t| TrustLevel::parse(t) == tier)
        });
        let mut rate = pb::CurrentRate {
            partner_id: partner.to_string(),
            kind: "percent".into(),
            value: program.default_rate.normalize().to_string(),
            source: "default".into(),
            rule_id: None,
            rule_name: String::new(),
            trust_level: tier.as_str().into(),
        };
        if let Some(r) = plain {
            let (kind, value) = match r.to_rule().pays {
                Pays::Percent(v) => ("percent", v.min(Decimal::from(50))),
                Pays::FixedPerOrder(v) => ("fixed_per_order", v),
                Pays::FixedPerItem(v) => ("fixed_per_item", v),
            };
            rate.kind = kind.into();
            rate.value = value.normalize().to_string();
            rate.source = if r.partner_tier.is_some() { "trust_level" } else { "rule" }.into();
            rate.rule_id = Some(r.id.to_string());
            rate.rule_name = r.name.clone();
        }
        Ok(rate)
    }
}
