//! Customers counted by period (D1, D2).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use partnerline_proto::customers::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::reports::{asked, whose_figures};
use uuid::Uuid;

use super::{Access, CustomersService};
use crate::store;

impl CustomersService {
    /// A partner counts its own customers or its team's; staff one partner's, or the program's.
    pub(super) async fn customer_counts_impl(
        &self,
        (a, token): (Access, String),
        q: pb::CustomerCountsQuery,
    ) -> Result<pb::CustomerCounts, AppError> {
        let (partner, _) = whose_figures(&mut self.identity.clone(), &token, a.owner, q.partner_id.as_deref()).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let (from, to) = (q.from.as_deref(), q.to.as_deref());
        let (zone, range, every) = asked(tx.conn(), a.tenant, self.clock.now(), &q.every, from, to, q.periods).await?;
        let created = store::new_customers(&mut tx, partner, range, every).await?;
        let now = store::customers_now(&mut tx, partner).await?;
        if q.by_partner && a.owner.is_some() {
            return Err(AppError::forbidden("customers per partner are the merchant's"));
        }
        let by_partner = if q.by_partner { store::customers_by_partner(&mut tx).await? } else { Vec::new() };
        tx.commit().await?;
        let mut per: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
        for (start, status, n) in created {
            let e = per.entry(start).or_default();
            let n = n.max(0) as u64;
            if status == "current" { e.0 += n } else { e.1 += n }
        }
        let count = |s: &str| now.iter().filter(|(st, _)| st == s).map(|(_, n)| (*n).max(0) as u64).sum::<u64>();
        let mut partners: BTreeMap<Uuid, pb::PartnerCustomers> = BTreeMap::new();
        for (pid, status, n) in by_partner {
            let e = partners.entry(pid).or_insert_with(|| pb::PartnerCustomers {
                partner_id: pid.to_string(),
                current: 0,
                potential: 0,
            });
            if status == "current" { e.current += n.max(0) as u64 } else { e.potential += n.max(0) as u64 }
        }
        Ok(pb::CustomerCounts {
            partners: partners.into_values().collect(),
            time_zone: zone,
            from: range.from.to_string(),
            to: range.to.to_string(),
            current: count("current"),
            potential: count("potential"),
            periods: range
                .periods(every)
                .into_iter()
                .map(|(s, e)| {
                    let (c, p) = per.get(&every.start(s)).copied().unwrap_or_default();
                    pb::CustomerCountsPeriod {
                        period_start: s.to_string(),
                        period_end: e.to_string(),
                        new_customers: c + p,
                        new_current: c,
                        new_potential: p,
                    }
                })
                .collect(),
        })
    }
}
