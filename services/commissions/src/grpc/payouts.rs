//! Payouts (C10), the merchant's prepaid balance and automatic settlements (C9).

use std::str::FromStr;

use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use platform::error::FieldError;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::{Account, EntryKind, PartnerBucket, PayoutAction, PayoutStatus};
use crate::events::ts;
use crate::service::{CommissionsService, minor_units, payout_entries};
use crate::store::{self, NewEntry, PayoutRow};

use super::{admin, money, staff};

pub(crate) fn payout_message(p: &PayoutRow) -> pb::Payout {
    pb::Payout {
        id: p.id.to_string(),
        partner_id: p.partner_id.to_string(),
        amount: money(p.amount),
        currency: p.currency.clone(),
        status: p.status.as_str().into(),
        method: p.method.clone(),
        reference: p.reference.clone(),
        reason: p.reason.clone(),
        requested_at: ts(p.requested_at),
        decided_at: p.decided_at.map(ts),
        paid_at: p.paid_at.map(ts),
        automatic: p.automatic,
        payout_currency: p.converted.payout_currency.clone(),
        payout_amount: p.converted.payout_amount.map(money),
        exchange_rate: p.converted.exchange_rate.map(|r| r.normalize().to_string()),
    }
}

impl CommissionsService {
    /// C10: a partner asks for its available balance (or part of it), at least the program's
    /// minimum, one open request at a time.
    pub(crate) async fn request_payout_impl(
        &self,
        p: Principal,
        req: pb::PayoutRequest,
    ) -> Result<pb::Payout, AppError> {
        let Some(partner) = p.partner.filter(|_| p.role == Role::Partner) else {
            return Err(AppError::forbidden("only partners request payouts"));
        };
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let program = self.program(&mut tx).await?;
        let currency = req.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or(&program.currency);
        let currency = platform::Currency::parse(currency)
            .map_err(|_| AppError::invalid("currency", "must be an ISO 4217 code"))?
            .code()
            .to_string();
        let available_account = Account::partner(partner, PartnerBucket::Available);
        // Serializes this partner's requests: the balance row is the partner's own.
        let available: Decimal = sqlx::query_scalar(
            "SELECT balance FROM balances WHERE tenant_id = $1 AND account = $2 AND currency = $3 FOR UPDATE",
        )
        .bind(tx.tenant())
        .bind(available_account.key())
        .bind(&currency)
        .fetch_optional(tx.conn())
        .await?
        .unwrap_or_default();
        let open = store::payouts(&mut tx, Some(partner), None).await?;
        if open.iter().any(|p| p.status.is_open()) {
            return Err(AppError::conflict("payout_open", "a payout request is open already: wait for its decision"));
        }
        // X4: money a flag raised after it matured holds back waits for the merchant's decision.
        let under_review = store::available_under_review(&mut tx, partner, &currency).await?;
        let payable = available - under_review;
        let amount = match req.amount.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Decimal::from_str(a)
                .ok()
                .filter(|a| *a > Decimal::ZERO && a.scale() <= minor_units(&currency))
                .ok_or_else(|| AppError::invalid("amount", "must be a positive amount in the currency's minor unit"))?,
            None => payable,
        };
        let now = self.clock.now();
        // X6: a partner paid in its own currency gets the amount at today's rate.
        let tenant = tx.tenant();
        let (_, today) = platform::reports::today(tx.conn(), tenant, now).await?;
        let converted = self.conversion(&mut tx, partner, amount, &currency, today).await?.map_err(|to| {
            AppError::conflict(
                "no_exchange_rate",
                format!("no exchange rate from {currency} to {to} is known for {today}: the merchant keeps the rates"),
            )
        })?;
        if amount > available {
            return Err(AppError::invalid(
                "amount",
                format!("is more than the available balance, {available} {currency}"),
            ));
        }
        if amount > payable {
            return Err(AppError::invalid(
                "amount",
                format!(
                    "is more than the available balance not under review, {payable} {currency}: {under_review} \
                     {currency} waits for the merchant's review"
                ),
            ));
        }
        if amount < program.minimum_payout || amount <= Decimal::ZERO {
            return Err(AppError::invalid(
                "amount",
                format!("must be at least the program's minimum payout, {} {currency}", program.minimum_payout),
            ));
        }
        if converted.payout_amount.is_some_and(|a| a <= Decimal::ZERO) {
            return Err(AppError::invalid("amount", "is too small to pay in the payout method's currency"));
        }
        let payout = PayoutRow {
            id: Uuid::now_v7(),
            partner_id: partner,
            currency: currency.clone(),
            amount,
            status: PayoutStatus::Requested,
            method: None,
            reference: None,
            reason: None,
            automatic: false,
            requested_at: now,
            decided_at: None,
            paid_at: None,
            converted,
        };
        if !store::insert_payout(&mut tx, &payout).await? {
            return Err(AppError::conflict("payout_open", "a payout request is open already: wait for its decision"));
        }
        store::post(&mut tx, &payout_entries(&payout, PayoutStatus::Requested, ""), now).await?;
        self.payout_event(&mut tx, &payout).await?;
        tx.commit().await?;
        Ok(payout_message(&payout))
    }

    pub(crate) async fn list_payouts_impl(&self, p: Principal, q: pb::PayoutQuery) -> Result<pb::PayoutList, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let status = q
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                PayoutStatus::parse(s)
                    .ok_or_else(|| AppError::invalid("status", "must be requested, approved, rejected or paid"))
            })
            .transpose()?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let rows = store::payouts(&mut tx, partner, status).await?;
        tx.commit().await?;
        Ok(pb::PayoutList { items: rows.iter().map(payout_message).collect() })
    }

    /// C10: the merchant approves, rejects (with a reason: the money goes back to available) or
    /// marks paid (with method and reference).
    pub(crate) async fn decide_payout_impl(&self, p: Principal, d: pb::PayoutDecision) -> Result<pb::Payout, AppError> {
        admin(&p)?;
        let id = Uuid::parse_str(d.id.trim()).map_err(|_| AppError::not_found("payout"))?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let mut payout = store::payout_for_update(&mut tx, id).await?.ok_or_else(|| AppError::not_found("payout"))?;
        let now = self.clock.now();
        let action = PayoutAction::parse(d.action.trim())
            .ok_or_else(|| AppError::invalid("action", "must be approve, reject or mark_paid"))?;
        let Some(next) = payout.status.next(action) else {
            let why = format!("the payout is {}: it cannot be {} now", payout.status.as_str(), action.done());
            return Err(AppError::conflict("payout_state", why));
        };
        let reason = match next {
            PayoutStatus::Rejected => {
                let reason = d.reason.trim();
                if reason.is_empty() {
                    return Err(AppError::invalid("reason", "say why the payout is rejected"));
                }
                payout.reason = Some(reason.to_string());
                reason.to_string()
            }
            PayoutStatus::Paid => {
                let method = d.method.trim();
                let mut errors = Vec::new();
                if !matches!(method, "bank" | "paypal" | "custom") {
                    errors
                        .push(FieldError { field: "method".into(), message: "must be bank, paypal or custom".into() });
                }
                let reference = d.reference.trim();
                if reference.is_empty() || reference.chars().count() > 200 {
                    errors.push(FieldError {
                        field: "reference".into(),
                        message: "the transfer's reference, 1 to 200 characters".into(),
                    });
                }
                if !errors.is_empty() {
                    return Err(AppError::invalid_fields(errors));
                }
                payout.method = Some(method.to_string());
                payout.reference = Some(reference.to_string());
                payout.paid_at = Some(now);
                format!("{method} {reference}")
            }
            PayoutStatus::Requested | PayoutStatus::Approved => String::new(),
        };
        let entries = payout_entries(&payout, next, &reason);
        payout.status = next;
        payout.decided_at = Some(now);
        store::update_payout(&mut tx, &payout).await?;
        store::post(&mut tx, &entries, now).await?;
        self.payout_event(&mut tx, &payout).await?;
        tx.commit().await?;
        Ok(payout_message(&payout))
    }

    /// C9: the merchant tops up its prepaid balance; failed settlements are retried at once.
    pub(crate) async fn top_up_impl(
        &self,
        p: Principal,
        req: pb::TopUpRequest,
    ) -> Result<pb::MerchantBalance, AppError> {
        admin(&p)?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let program = self.program(&mut tx).await?;
        let currency =
            req.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or(&program.currency).to_string();
        if currency != program.currency {
            return Err(AppError::invalid("currency", format!("the prepaid balance is in {}", program.currency)));
        }
        let amount = Decimal::from_str(req.amount.trim())
            .ok()
            .filter(|a| *a > Decimal::ZERO && a.scale() <= minor_units(&currency))
            .ok_or_else(|| AppError::invalid("amount", "must be a positive amount in the currency's minor unit"))?;
        let entry = NewEntry {
            reason: req.reference.trim().chars().take(200).collect(),
            ..NewEntry::new(EntryKind::TopUp, Account::Funding, Account::Prepaid, amount, &currency)
        };
        let now = self.clock.now();
        store::post(&mut tx, &[entry], now).await?;
        if program.automatic_settlement {
            store::schedule_settlement(&mut tx, Some(now), true).await?;
        }
        let balance = store::balance(&mut tx, Account::Prepaid, &currency).await?;
        tx.commit().await?;
        Ok(pb::MerchantBalance { currency, balance: money(balance), automatic: program.automatic_settlement })
    }

    pub(crate) async fn merchant_balance_impl(&self, p: Principal) -> Result<pb::MerchantBalance, AppError> {
        if !staff(&p) {
            return Err(AppError::forbidden("the merchant's balance is the merchant's"));
        }
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let program = self.program(&mut tx).await?;
        let balance = store::balance(&mut tx, Account::Prepaid, &program.currency).await?;
        tx.commit().await?;
        Ok(pb::MerchantBalance {
            balance: crate::domain::round(balance, minor_units(&program.currency)).to_string(),
            currency: program.currency,
            automatic: program.automatic_settlement,
        })
    }

    pub(crate) async fn settlements_impl(
        &self,
        p: Principal,
        q: pb::SettlementQuery,
    ) -> Result<pb::SettlementList, AppError> {
        if !staff(&p) {
            return Err(AppError::forbidden("settlements are the merchant's"));
        }
        let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if status.is_some_and(|s| !matches!(s, "paid" | "failed")) {
            return Err(AppError::invalid("status", "must be paid or failed"));
        }
        let partner = p.whose(q.partner_id.as_deref())?;
        let from = platform::reports::date("from", q.from.as_deref())?;
        let to = platform::reports::date("to", q.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(AppError::invalid("from", "must not be after `to`"));
        }
        let limit = match q.limit {
            0 => 500,
            n @ 1..=10_000 => i64::from(n),
            _ => return Err(AppError::invalid("limit", "must be 1-10000")),
        };
        let tenant = p.tenant()?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let (zone, _) = platform::reports::today(tx.conn(), tenant, self.clock.now()).await?;
        let filter = store::SettlementFilter { status, partner, zone: &zone, from, to, limit };
        let rows = store::settlements(&mut tx, &filter).await?;
        tx.commit().await?;
        let items = rows
            .iter()
            .map(|l| {
                let s = &l.row;
                pb::Settlement {
                    id: s.id.to_string(),
                    partner_id: s.partner_id.to_string(),
                    amount: money(s.amount),
                    currency: s.currency.clone(),
                    status: s.status.clone(),
                    reason: s.reason.clone(),
                    at: ts(s.at),
                    payout_id: s.payout_id.map(|x| x.to_string()),
                    method: l.method.clone().unwrap_or_default(),
                    reference: l.reference.clone().unwrap_or_default(),
                }
            })
            .collect();
        Ok(pb::SettlementList { items })
    }
}
