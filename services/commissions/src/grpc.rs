//! The commissions gRPC service: rules (C1), commission lines, the ledger and balances (C11),
//! payouts (C10), the merchant's prepaid balance and settlements (C9), reports (D2).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use partnerline_proto::commissions::v1 as pb;
use partnerline_proto::commissions::v1::commissions_server::Commissions;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use platform::error::FieldError;
use platform::grpc::{Grant, Reply, authed};
use rust_decimal::Decimal;
use tonic::Request;
use uuid::Uuid;

use crate::domain::MAX_RATE;
use crate::domain::{Account, EntryKind, PartnerBucket, PayoutAction, PayoutStatus};
use crate::events::ts;
use crate::service::{CommissionsService, minor_units};
use crate::store::{self, NewEntry, PayoutRow, RuleRow};

fn money(d: Decimal) -> String {
    d.to_string()
}

fn staff(p: &Principal) -> bool {
    matches!(p.role, Role::MerchantAdmin | Role::SalesRep | Role::Integrator)
}

fn admin(p: &Principal) -> Result<(), AppError> {
    if p.role == Role::MerchantAdmin {
        Ok(())
    } else {
        Err(AppError::forbidden("only the merchant's admins manage this"))
    }
}

fn opt_id(field: &'static str, raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid(field, "is not an id")))
        .transpose()
}

fn rule_message(r: &RuleRow) -> pb::Rule {
    pb::Rule {
        id: r.id.to_string(),
        name: r.name.clone(),
        priority: r.priority,
        level: r.level as u32,
        kind: r.kind.clone(),
        value: money(r.value),
        of: r.of_what.clone(),
        product_ids: r.product_ids.iter().map(Uuid::to_string).collect(),
        categories: r.categories.clone(),
        customer_group_id: r.customer_group_id.map(|g| g.to_string()),
        min_order_total: r.min_order_total.map(money),
        partner_tier: r.partner_tier.clone(),
        created_at: ts(r.valid_from),
        version: r.version as u32,
    }
}

/// C11: an entry's kind allows its move, and the partner it names is its accounts' partner.
fn entry_is_valid(kind: &str, debit: &str, credit: &str, partner: Option<Uuid>) -> bool {
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

/// C1: checks a rule; every bad field is named. A percent above 50 is stored as 50 with a notice.
fn validate_rule(input: &pb::RuleInput, now: DateTime<Utc>) -> Result<(RuleRow, Vec<pb::Notice>), AppError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut bad = |field: &str, message: &str| errors.push(FieldError { field: field.into(), message: message.into() });
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        bad("name", "must be 1 to 200 characters");
    }
    if input.level > 2 {
        bad("level", "must be 0 (the partner), 1 (its parent) or 2 (its grandparent)");
    }
    let kind = input.kind.trim();
    if !matches!(kind, "percent" | "fixed_per_order" | "fixed_per_item") {
        bad("kind", "must be percent, fixed_per_order or fixed_per_item");
    }
    let of = match input.of.trim() {
        "" | "base" => "base",
        "child_commission" if input.level > 0 => "child_commission",
        _ => {
            bad("of", "must be base, or child_commission for levels 1 and 2");
            "base"
        }
    };
    let mut notices = Vec::new();
    let mut value = Decimal::from_str(input.value.trim()).ok().filter(|v| *v >= Decimal::ZERO && v.scale() <= 6);
    if value.is_none() {
        bad("value", "must be a non-negative decimal number, e.g. \"12.5\"");
    }
    if kind == "percent"
        && let Some(v) = value.filter(|v| *v > MAX_RATE)
    {
        value = Some(MAX_RATE);
        notices.push(pb::Notice {
            field: "value".into(),
            code: "rate_capped".into(),
            message: format!("{v}% is above the 50% cap (C1): stored as 50%"),
        });
    }
    let mut products = Vec::new();
    for (i, p) in input.product_ids.iter().enumerate() {
        match Uuid::parse_str(p.trim()) {
            Ok(id) => products.push(id),
            Err(_) => bad(&format!("product_ids[{i}]"), "is not an id"),
        }
    }
    let group = match input.customer_group_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(g) => match Uuid::parse_str(g) {
            Ok(id) => Some(id),
            Err(_) => {
                bad("customer_group_id", "is not an id");
                None
            }
        },
        None => None,
    };
    let min_total = match input.min_order_total.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => match Decimal::from_str(t).ok().filter(|t| *t >= Decimal::ZERO) {
            Some(t) => Some(t),
            None => {
                bad("min_order_total", "must be a non-negative amount");
                None
            }
        },
        None => None,
    };
    let tier = input.partner_tier.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if tier.is_some_and(|t| !matches!(t, "new" | "standard" | "trusted")) {
        bad("partner_tier", "must be new, standard or trusted");
    }
    let categories: Vec<String> =
        input.categories.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let row = RuleRow {
        id: Uuid::now_v7(),
        version: 1,
        name: name.to_string(),
        priority: input.priority,
        level: input.level as i16,
        kind: kind.to_string(),
        value: value.unwrap_or_default(),
        of_what: of.to_string(),
        product_ids: products,
        categories,
        customer_group_id: group,
        min_order_total: min_total,
        partner_tier: tier.map(str::to_string),
        valid_from: now,
        valid_to: None,
    };
    Ok((row, notices))
}

fn line_message(l: &store::LineRow) -> pb::CommissionLine {
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

fn payout_message(p: &PayoutRow) -> pb::Payout {
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
    }
}

fn day(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| AppError::invalid(field, "must be a date, YYYY-MM-DD"))
        })
        .transpose()
}

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

impl CommissionsService {
    async fn list_rules_impl(&self, p: Principal) -> Result<pb::RuleList, AppError> {
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let rows = store::current_rules(&mut tx).await?;
        tx.commit().await?;
        Ok(pb::RuleList { items: rows.iter().map(rule_message).collect() })
    }

    async fn create_rule_impl(&self, p: Principal, input: pb::RuleInput) -> Result<pb::RuleResult, AppError> {
        admin(&p)?;
        let (row, notices) = validate_rule(&input, self.clock.now())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        store::insert_rule(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(pb::RuleResult { rule: Some(rule_message(&row)), notices })
    }

    /// C1: a change makes a new version from now on; orders placed before keep the old one.
    async fn update_rule_impl(&self, p: Principal, req: pb::UpdateRuleRequest) -> Result<pb::RuleResult, AppError> {
        admin(&p)?;
        let id = Uuid::parse_str(req.id.trim()).map_err(|_| AppError::not_found("rule"))?;
        let input = req.rule.ok_or_else(|| AppError::invalid("rule", "is required"))?;
        let now = self.clock.now();
        let (mut row, notices) = validate_rule(&input, now)?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let current = store::current_rule(&mut tx, id).await?.ok_or_else(|| AppError::not_found("rule"))?;
        store::end_rule(&mut tx, id, now).await?;
        row.id = id;
        row.version = current.version + 1;
        store::insert_rule(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(pb::RuleResult { rule: Some(rule_message(&row)), notices })
    }

    async fn delete_rule_impl(&self, p: Principal, req: pb::RuleRef) -> Result<pb::RuleRef, AppError> {
        admin(&p)?;
        let id = Uuid::parse_str(req.id.trim()).map_err(|_| AppError::not_found("rule"))?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        if !store::end_rule(&mut tx, id, self.clock.now()).await? {
            return Err(AppError::not_found("rule"));
        }
        tx.commit().await?;
        Ok(req)
    }

    async fn commissions_impl(&self, p: Principal, q: pb::CommissionQuery) -> Result<pb::CommissionList, AppError> {
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

    async fn ledger_impl(&self, p: Principal, q: pb::LedgerQuery) -> Result<pb::LedgerPage, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let order = opt_id("order_id", q.order_id.as_deref())?;
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
        let mut rows = store::entries(&mut tx, partner, order, before, size + 1).await?;
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

    async fn balances_impl(&self, p: Principal, q: pb::BalancesQuery) -> Result<pb::BalanceList, AppError> {
        let partner = p.whose(q.partner_id.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
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
        let amount = match req.amount.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Decimal::from_str(a)
                .ok()
                .filter(|a| *a > Decimal::ZERO && a.scale() <= minor_units(&currency))
                .ok_or_else(|| AppError::invalid("amount", "must be a positive amount in the currency's minor unit"))?,
            None => available,
        };
        if amount > available {
            return Err(AppError::invalid(
                "amount",
                format!("is more than the available balance, {available} {currency}"),
            ));
        }
        if amount < program.minimum_payout || amount <= Decimal::ZERO {
            return Err(AppError::invalid(
                "amount",
                format!("must be at least the program's minimum payout, {} {currency}", program.minimum_payout),
            ));
        }
        let now = self.clock.now();
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
        };
        if !store::insert_payout(&mut tx, &payout).await? {
            return Err(AppError::conflict("payout_open", "a payout request is open already: wait for its decision"));
        }
        let entry = NewEntry {
            partner: Some(partner),
            payout: Some(payout.id),
            ..NewEntry::new(
                EntryKind::PayoutRequested,
                available_account,
                Account::partner(partner, PartnerBucket::Requested),
                amount,
                &currency,
            )
        };
        store::post(&mut tx, &[entry], now).await?;
        self.payout_event(&mut tx, &payout).await?;
        tx.commit().await?;
        Ok(payout_message(&payout))
    }

    async fn list_payouts_impl(&self, p: Principal, q: pb::PayoutQuery) -> Result<pb::PayoutList, AppError> {
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
        let entries: Vec<NewEntry> = PayoutStatus::entry_kind(next)
            .map(|(kind, from, to)| NewEntry {
                partner: Some(payout.partner_id),
                payout: Some(payout.id),
                reason,
                ..NewEntry::new(
                    kind,
                    Account::partner(payout.partner_id, from),
                    Account::partner(payout.partner_id, to),
                    payout.amount,
                    &payout.currency,
                )
            })
            .into_iter()
            .collect();
        payout.status = next;
        payout.decided_at = Some(now);
        store::update_payout(&mut tx, &payout).await?;
        store::post(&mut tx, &entries, now).await?;
        self.payout_event(&mut tx, &payout).await?;
        tx.commit().await?;
        Ok(payout_message(&payout))
    }

    /// C9: the merchant tops up its prepaid balance; failed settlements are retried at once.
    async fn top_up_impl(&self, p: Principal, req: pb::TopUpRequest) -> Result<pb::MerchantBalance, AppError> {
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

    /// C11: recomputes every account from the entries and sets it beside its running total.
    async fn check_ledger_impl(&self, p: Principal) -> Result<pb::LedgerCheck, AppError> {
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
            if matches!(Account::parse(account), Some(Account::Expense | Account::Partner(..))) {
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

    async fn merchant_balance_impl(&self, p: Principal) -> Result<pb::MerchantBalance, AppError> {
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

    async fn settlements_impl(&self, p: Principal, q: pb::SettlementQuery) -> Result<pb::SettlementList, AppError> {
        if !staff(&p) {
            return Err(AppError::forbidden("settlements are the merchant's"));
        }
        let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if status.is_some_and(|s| !matches!(s, "paid" | "failed")) {
            return Err(AppError::invalid("status", "must be paid or failed"));
        }
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let rows = store::settlements(&mut tx, status).await?;
        tx.commit().await?;
        let items = rows
            .iter()
            .map(|s| pb::Settlement {
                id: s.id.to_string(),
                partner_id: s.partner_id.to_string(),
                amount: money(s.amount),
                currency: s.currency.clone(),
                status: s.status.clone(),
                reason: s.reason.clone(),
                at: ts(s.at),
                payout_id: s.payout_id.map(|x| x.to_string()),
            })
            .collect();
        Ok(pb::SettlementList { items })
    }

    /// D2: per partner and period, commissions earned (orders placed in the period), what of it
    /// is still pending or held, and payouts paid in the period.
    async fn report_impl(&self, p: Principal, q: pb::ReportQuery) -> Result<pb::ReportResult, AppError> {
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

#[tonic::async_trait]
impl Commissions for CommissionsService {
    async fn list_rules(&self, req: Request<pb::ListRulesRequest>) -> Reply<pb::RuleList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, _| self.list_rules_impl(p)).await
    }
    async fn create_rule(&self, req: Request<pb::RuleInput>) -> Reply<pb::RuleResult> {
        authed(&self.verifier, req, Grant::People, |p, m| self.create_rule_impl(p, m)).await
    }
    async fn update_rule(&self, req: Request<pb::UpdateRuleRequest>) -> Reply<pb::RuleResult> {
        authed(&self.verifier, req, Grant::People, |p, m| self.update_rule_impl(p, m)).await
    }
    async fn delete_rule(&self, req: Request<pb::RuleRef>) -> Reply<pb::RuleRef> {
        authed(&self.verifier, req, Grant::People, |p, m| self.delete_rule_impl(p, m)).await
    }
    async fn list_commissions(&self, req: Request<pb::CommissionQuery>) -> Reply<pb::CommissionList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.commissions_impl(p, m)).await
    }
    async fn list_ledger(&self, req: Request<pb::LedgerQuery>) -> Reply<pb::LedgerPage> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.ledger_impl(p, m)).await
    }
    async fn get_balances(&self, req: Request<pb::BalancesQuery>) -> Reply<pb::BalanceList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.balances_impl(p, m)).await
    }
    async fn request_payout(&self, req: Request<pb::PayoutRequest>) -> Reply<pb::Payout> {
        authed(&self.verifier, req, Grant::People, |p, m| self.request_payout_impl(p, m)).await
    }
    async fn list_payouts(&self, req: Request<pb::PayoutQuery>) -> Reply<pb::PayoutList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.list_payouts_impl(p, m)).await
    }
    async fn decide_payout(&self, req: Request<pb::PayoutDecision>) -> Reply<pb::Payout> {
        authed(&self.verifier, req, Grant::People, |p, m| self.decide_payout_impl(p, m)).await
    }
    async fn top_up(&self, req: Request<pb::TopUpRequest>) -> Reply<pb::MerchantBalance> {
        authed(&self.verifier, req, Grant::People, |p, m| self.top_up_impl(p, m)).await
    }
    async fn check_ledger(&self, req: Request<pb::LedgerCheckRequest>) -> Reply<pb::LedgerCheck> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, _| self.check_ledger_impl(p)).await
    }
    async fn get_merchant_balance(&self, req: Request<pb::MerchantBalanceRequest>) -> Reply<pb::MerchantBalance> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, _| self.merchant_balance_impl(p)).await
    }
    async fn list_settlements(&self, req: Request<pb::SettlementQuery>) -> Reply<pb::SettlementList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.settlements_impl(p, m)).await
    }
    async fn report(&self, req: Request<pb::ReportQuery>) -> Reply<pb::ReportResult> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.report_impl(p, m)).await
    }
}
