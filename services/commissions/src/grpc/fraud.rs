//! X4: the flagged commissions' queue, and the merchant's decisions on it.

use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use uuid::Uuid;

use super::{admin, money, staff};
use crate::domain::{Decision, Fact};
use crate::events::{self, ts};
use crate::service::CommissionsService;
use crate::store::{self, FlagFilter, FlagRow};

/// A flag as the caller may see it: a partner sees that its order is under review, not why.
fn flag_message(f: &FlagRow, evidence: bool) -> pb::FraudFlag {
    pb::FraudFlag {
        order_id: f.order_id.to_string(),
        partner_id: f.partner_id.map(|p| p.to_string()).unwrap_or_default(),
        status: f.status.clone(),
        signals: if evidence {
            f.signals
                .0
                .iter()
                .map(|s| pb::FraudSignal { kind: s.kind.clone(), evidence: s.evidence.clone().into_iter().collect() })
                .collect()
        } else {
            Vec::new()
        },
        amount: f.amount.map(money).unwrap_or_else(|| "0".into()),
        currency: f.currency.clone().unwrap_or_default(),
        note: if evidence { f.note.clone() } else { String::new() },
        decided_by: if evidence { f.decided_by.map(|u| u.to_string()) } else { None },
        decided_at: f.decided_at.map(ts),
        created_at: ts(f.created_at),
    }
}

impl CommissionsService {
    pub(crate) async fn list_flags_impl(
        &self,
        p: Principal,
        q: pb::FraudFlagQuery,
    ) -> Result<pb::FraudFlagPage, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let status = match q.status.as_deref().map(str::trim).unwrap_or("") {
            "" | "open" => Some("open".to_string()),
            "all" => None,
            s @ ("released" | "rejected") => Some(s.to_string()),
            _ => return Err(AppError::invalid("status", "must be open, released, rejected or all")),
        };
        let limit = platform::paging::page_size(q.limit.unwrap_or(0));
        let offset = platform::paging::offset_cursor(q.cursor.as_deref())?;
        let filter = FlagFilter { status, partner, offset, limit: limit + 1 };
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let mut rows = store::flags(&mut tx, &filter).await?;
        tx.commit().await?;
        let next_cursor = platform::paging::next_cursor(&mut rows, offset, limit);
        let evidence = staff(&p);
        Ok(pb::FraudFlagPage { items: rows.iter().map(|f| flag_message(f, evidence)).collect(), next_cursor })
    }

    /// X4: release (the commission matures now if its hold is over) or reject (it is voided, a
    /// ledger movement back to the merchant's expense); decided once.
    pub(crate) async fn decide_flag_impl(
        &self,
        p: Principal,
        d: pb::FraudFlagDecision,
    ) -> Result<pb::FraudFlag, AppError> {
        admin(&p)?;
        let order = Uuid::parse_str(d.order_id.trim()).map_err(|_| AppError::not_found("fraud flag"))?;
        let (decision, status) = match d.decision.trim() {
            "release" => (Decision::Released, "released"),
            "reject" => (Decision::Rejected, "rejected"),
            _ => return Err(AppError::invalid("decision", "must be release or reject")),
        };
        let note = d.note.trim();
        if note.is_empty() || note.chars().count() > 500 {
            return Err(AppError::invalid("note", "say why, in 1 to 500 characters"));
        }
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let flag = store::flag_for_update(&mut tx, order).await?.ok_or_else(|| AppError::not_found("fraud flag"))?;
        if flag.status != "open" {
            return Err(AppError::conflict("flag_decided", format!("this flag was {} already", flag.status)));
        }
        let now = self.clock.now();
        store::decide_flag(&mut tx, order, status, note, p.subject, now).await?;
        self.apply_facts(&mut tx, vec![(order, Fact::FlagDecided(decision))]).await?;
        let tenant = tx.tenant();
        let msg = events::flag_decided(tenant, &flag, status, note, p.subject, now);
        self.outbox.emit(tx.conn(), tenant, "commission", order, "flag_decided", &msg).await?;
        let after = store::flag_for_update(&mut tx, order).await?.ok_or_else(|| AppError::not_found("fraud flag"))?;
        tx.commit().await?;
        Ok(flag_message(&after, true))
    }
}
