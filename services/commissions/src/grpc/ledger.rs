//! Commission lines, the ledger and balances, and the ledger check (C11).

use std::collections::BTreeMap;

use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::{Account, EntryKind};
use crate::events::ts;
use crate::service::{CommissionsService, minor_units};
use crate::store::{self};

use super::{money, opt_id, staff};

pub(crate) fn line_message(l: &store::LineRow) -> pb::CommissionLine {
    pb::CommissionLine {
        order_id: l.order_id.to_string(),
        partner_id: l.partner_id.to_string(),
        level: l.level as u32,
        currency: l.currency.clone(),
        amount: money(l.amount),
        base: money(l.base),
        state: l.state.clone(),
        hold_until: l.hold_until.map(ts),
        rule_id: l.rule_id.map(|r| r.to_string()),
        source: l.source.clone(),
        reason: l.reason.clone(),
        updated_at: ts(l.updated_at),
    }
}

/// C11: an entry's kind allows its move, and the partner it names is its accounts' partner.
pub(crate) fn entry_is_valid(kind: &str, debit: &str, credit: &str, partner: Option<Uuid>) -> bool {
    let (Some(kind), Some(debit), Some(credit)) =
        (EntryKind::parse(kind), Account::parse(debit), Account::parse(credit))
    else {
        return false;
    };
    let named = [debit, credit].into_iter().find_map(|a| match a {
        Account::Partner(p, _) => Some(p),
        _ => None,
    });
    kind.allows(debit, credit) && named.is_none_or(|p| partner == Some(p))
}

impl CommissionsService {
    pub(crate) async fn commissions_impl(
        &self,
        p: Principal,
        q: pb::CommissionQuery,
    ) -> Result<pb::CommissionList, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let order = opt_id("order_id", q.order_id.as_deref())?;
        let size = platform::paging::page_size(q.limit.unwrap_or(0));
        let offset = platform::paging::offset_cursor(q.cursor.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let mut rows = store::lines(&mut tx, order, partner, offset, size + 1).await?;
        tx.commit().await?;
        let next_cursor = platform::paging::next_cursor(&mut rows, offset, size);
        Ok(pb::CommissionList { items: rows.iter().map(line_message).collect(), next_cursor })
    }

    pub(crate) async fn ledger_impl(&self, p: Principal, q: pb::LedgerQuery) -> Result<pb::LedgerPage, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let order = opt_id("order_id", q.order_id.as_deref())?;
        let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) if EntryKind::parse(k).is_some() => Some(k.to_string()),
            Some(_) => {
                let kinds: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(AppError::invalid("kind", format!("must be one of {}", kinds.join(", "))));
            }
            None => None,
        };
        let size = platform::paging::page_size(q.limit.unwrap_or(0));
        let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this API returned"))?,
            ),
            None => None,
        };
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let mut rows = store::entries(&mut tx, partner, order, kind.as_deref(), before, size + 1).await?;
        tx.commit().await?;
        let more = rows.len() as i64 > size;
        rows.truncate(size as usize);
        let next_cursor = if more { rows.last().map(|r| r.seq.to_string()) } else { None };
        let items = rows
            .iter()
            .map(|e| pb::LedgerEntry {
                id: e.id.to_string(),
                at: ts(e.at),
                debit_account: e.debit_account.clone(),
                credit_account: e.credit_account.clone(),
                amount: money(e.amount),
                currency: e.currency.clone(),
                partner_id: e.partner_id.map(|x| x.to_string()),
                order_id: e.order_id.map(|x| x.to_string()),
                level: e.level.map(|l| l as u32),
                rule_id: e.rule_id.map(|x| x.to_string()),
                payout_id: e.payout_id.map(|x| x.to_string()),
                kind: e.kind.clone(),
                reason: e.reason.clone(),
            })
            .collect();
        Ok(pb::LedgerPage { items, next_cursor })
    }

    pub(crate) async fn balances_impl(&self, p: Principal, q: pb::BalancesQuery) -> Result<pb::BalanceList, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        // A merchant naming a partner of no one (or of another program) is told so, not shown
        // zeros (issue 17, 12). Partners are known here from identity's events.
        if let (Some(named), Some(_)) = (partner, q.partner_id.as_deref())
            && store::trust_levels(&mut tx, &[named]).await?.is_empty()
        {
            return Err(AppError::not_found("partner"));
        }
        let rows = store::partner_balances(&mut tx, partner).await?;
        let program = self.program(&mut tx).await?;
        tx.commit().await?;
        let mut by: BTreeMap<(String, String), [Decimal; 5]> = BTreeMap::new();
        for (acct, currency, balance) in rows {
            let mut parts = acct.splitn(3, ':');
            let (Some(_), Some(pid), Some(bucket)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let i = match bucket {
                "pending" => 0,
                "held" => 1,
                "available" => 2,
                "requested" => 3,
                "paid" => 4,
                _ => continue,
            };
            by.entry((pid.to_string(), currency)).or_default()[i] += balance;
        }
        // A partner with nothing yet still has a (zero) balance in the program currency.
        if let Some(me) = partner
            && !by.keys().any(|(p, _)| *p == me.to_string())
        {
            by.insert((me.to_string(), program.currency.clone()), [Decimal::ZERO; 5]);
        }
        let items = by
            .into_iter()
            .map(|((pid, currency), b)| {
                let dp = minor_units(&currency);
                let f = |d: Decimal| crate::domain::round(d, dp).to_string();
                pb::Balance {
                    partner_id: pid,
                    pending: f(b[0]),
                    held: f(b[1]),
                    available: f(b[2]),
                    requested: f(b[3]),
                    paid: f(b[4]),
                    lifetime: f(b.iter().copied().sum()),
                    currency,
                }
            })
            .collect();
        Ok(pb::BalanceList { items })
    }

    /// C11: recomputes every account from the entries and sets it beside its running total.
    pub(crate) async fn check_ledger_impl(&self, p: Principal) -> Result<pb::LedgerCheck, AppError> {
        if !staff(&p) {
            return Err(AppError::forbidden("the ledger check is the merchant's"));
        }
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let rows = store::recomputed_balances(&mut tx).await?;
        let shapes = store::entry_shapes(&mut tx).await?;
        tx.commit().await?;
        let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut mismatched = Vec::new();
        for (account, currency, derived, running) in &rows {
            let total = totals.entry(currency.clone()).or_default();
            if matches!(Account::parse(account), Some(Account::Expense | Account::Partner(..) | Account::Fx(..))) {
                *total += *running;
            }
            if derived != running {
                mismatched.push(pb::AccountCheck {
                    account: account.clone(),
                    currency: currency.clone(),
                    derived: derived.to_string(),
                    running: running.to_string(),
                });
            }
        }
        let invalid: Vec<pb::EntryCheck> = shapes
            .into_iter()
            .filter(|e| !entry_is_valid(&e.kind, &e.debit_account, &e.credit_account, e.partner_id))
            .map(|e| pb::EntryCheck {
                kind: e.kind,
                debit_account: e.debit_account,
                credit_account: e.credit_account,
                count: e.count as u32,
            })
            .collect();
        let sound = mismatched.is_empty() && invalid.is_empty() && totals.values().all(Decimal::is_zero);
        Ok(pb::LedgerCheck {
            accounts: rows.len() as u32,
            mismatched,
            totals: totals
                .into_iter()
                .map(|(currency, total)| pb::CurrencyTotal { currency, total: total.normalize().to_string() })
                .collect(),
            sound,
            invalid,
        })
    }
}
