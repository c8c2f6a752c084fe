//! Commissions (C1-C11): rules, commission lines, the ledger, balances, payouts, the merchant's
//! prepaid balance, settlements and reports. Bodies are commissions' own messages
//! (`proto/partnerline/commissions/v1`).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use partnerline_proto::commissions::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

/// C1: the rules in force (partners may read them: they show the rates that apply).
#[utoipa::path(get, path = "/api/v1/commission-rules", tag = "commissions", security(("bearer" = [])),
    responses((status = 200, body = pb::RuleList)))]
pub async fn list_rules(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::RuleList>, AppError> {
    Ok(Json(s.commissions().list_rules(caller.request(pb::ListRulesRequest {})).await.map_err(upstream)?.into_inner()))
}

/// C1: a rule — a rate, a fixed amount per order or per item, for some products, categories, a
/// customer group, orders above a total or a partner tier; `level` 1 and 2 pay parents an
/// override (C7). Applies to orders placed from now on. A rate above 50% is stored as 50% and
/// `notices` says so.
#[utoipa::path(post, path = "/api/v1/commission-rules", tag = "commissions", security(("bearer" = [])),
    request_body = pb::RuleInput,
    responses((status = 201, body = pb::RuleResult), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create_rule(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::RuleInput>,
) -> Result<(StatusCode, Json<pb::RuleResult>), AppError> {
    let r = s.commissions().create_rule(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(r)))
}

/// Fields to change; the rest stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RulePatch {
    pub name: Option<String>,
    pub priority: Option<i32>,
    pub level: Option<u32>,
    pub kind: Option<String>,
    pub value: Option<String>,
    pub of: Option<String>,
    pub product_ids: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
    pub customer_group_id: Option<Option<String>>,
    pub min_order_total: Option<Option<String>>,
    pub partner_tier: Option<Option<String>>,
}

/// C1: changes a rule from now on (a new version; orders placed before keep the old one).
#[utoipa::path(patch, path = "/api/v1/commission-rules/{id}", tag = "commissions", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RulePatch,
    responses((status = 200, body = pb::RuleResult), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn update_rule(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(p): ApiJson<RulePatch>,
) -> Result<Json<pb::RuleResult>, AppError> {
    let rules = s.commissions().list_rules(caller.request(pb::ListRulesRequest {})).await.map_err(upstream)?;
    let r = rules.into_inner().items.into_iter().find(|r| r.id == id).ok_or_else(|| AppError::not_found("rule"))?;
    let input = pb::RuleInput {
        name: p.name.unwrap_or(r.name),
        priority: p.priority.unwrap_or(r.priority),
        level: p.level.unwrap_or(r.level),
        kind: p.kind.unwrap_or(r.kind),
        value: p.value.unwrap_or(r.value),
        of: p.of.unwrap_or(r.of),
        product_ids: p.product_ids.unwrap_or(r.product_ids),
        categories: p.categories.unwrap_or(r.categories),
        customer_group_id: p.customer_group_id.unwrap_or(r.customer_group_id),
        min_order_total: p.min_order_total.unwrap_or(r.min_order_total),
        partner_tier: p.partner_tier.unwrap_or(r.partner_tier),
    };
    let req = pb::UpdateRuleRequest { id, rule: Some(input) };
    Ok(Json(s.commissions().update_rule(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// C1: ends a rule from now on.
#[utoipa::path(delete, path = "/api/v1/commission-rules/{id}", tag = "commissions", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)))]
pub async fn delete_rule(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    s.commissions().delete_rule(caller.request(pb::RuleRef { id })).await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Merchants: one partner's (partners always see their own).
    pub partner_id: Option<String>,
    pub order_id: Option<String>,
    pub cursor: Option<String>,
    /// 1-200, default 50
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerParams {
    /// Merchants: one partner's (partners always see their own).
    pub partner_id: Option<String>,
    pub order_id: Option<String>,
    /// Only entries of this kind: accrued, held, available, voided, clawback, payout_requested,
    /// payout_rejected, payout_paid, lead_reward, top_up, settlement
    pub kind: Option<String>,
    pub cursor: Option<String>,
    /// 1-200, default 50
    pub limit: Option<u32>,
}

/// C2-C8: commission lines — per order and partner, what it earns, its state and why.
#[utoipa::path(get, path = "/api/v1/commissions", tag = "commissions", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = pb::CommissionList), (status = 422, body = ProblemDoc)))]
pub async fn list_commissions(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<pb::CommissionList>, AppError> {
    let req = pb::CommissionQuery { order_id: q.order_id, partner_id: q.partner_id, cursor: q.cursor, limit: q.limit };
    Ok(Json(s.commissions().list_commissions(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// C11: ledger entries, newest first (a partner: its own; a merchant: all, or one partner's).
#[utoipa::path(get, path = "/api/v1/ledger", tag = "commissions", security(("bearer" = [])), params(LedgerParams),
    responses((status = 200, body = pb::LedgerPage), (status = 422, body = ProblemDoc)))]
pub async fn ledger(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LedgerParams>,
) -> Result<Json<pb::LedgerPage>, AppError> {
    let req = pb::LedgerQuery {
        partner_id: q.partner_id,
        order_id: q.order_id,
        cursor: q.cursor,
        limit: q.limit,
        kind: q.kind,
    };
    Ok(Json(s.commissions().list_ledger(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnerQuery {
    /// Merchants: one partner's (partners always see their own).
    pub partner_id: Option<String>,
}

/// C11: balances per partner and currency — pending, held, available (negative after a
/// clawback), requested, paid, lifetime — derived from the ledger.
#[utoipa::path(get, path = "/api/v1/balances", tag = "commissions", security(("bearer" = [])), params(PartnerQuery),
    responses((status = 200, body = pb::BalanceList)))]
pub async fn balances(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PartnerQuery>,
) -> Result<Json<pb::BalanceList>, AppError> {
    let req = pb::BalancesQuery { partner_id: q.partner_id };
    Ok(Json(s.commissions().get_balances(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// C10: a partner requests a payout of its available balance (all of it unless `amount` says
/// less), at least the program's minimum; one open request at a time.
#[utoipa::path(post, path = "/api/v1/payouts", tag = "commissions", security(("bearer" = [])), request_body = pb::PayoutRequest,
    responses((status = 201, body = pb::Payout), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc),
        (status = 422, body = ProblemDoc)))]
pub async fn request_payout(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::PayoutRequest>,
) -> Result<(StatusCode, Json<pb::Payout>), AppError> {
    let p = s.commissions().request_payout(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(p)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PayoutQuery {
    pub partner_id: Option<String>,
    /// requested, approved, rejected or paid
    pub status: Option<String>,
}

/// C10: payouts, newest first.
#[utoipa::path(get, path = "/api/v1/payouts", tag = "commissions", security(("bearer" = [])), params(PayoutQuery),
    responses((status = 200, body = pb::PayoutList), (status = 422, body = ProblemDoc)))]
pub async fn list_payouts(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PayoutQuery>,
) -> Result<Json<pb::PayoutList>, AppError> {
    let req = pb::PayoutQuery { partner_id: q.partner_id, status: q.status };
    Ok(Json(s.commissions().list_payouts(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

async fn decide(s: AppState, caller: Caller, d: pb::PayoutDecision) -> Result<Json<pb::Payout>, AppError> {
    Ok(Json(s.commissions().decide_payout(caller.request(d)).await.map_err(upstream)?.into_inner()))
}

/// C10: the merchant approves a requested payout.
#[utoipa::path(post, path = "/api/v1/payouts/{id}/approve", tag = "commissions", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = pb::Payout), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc)))]
pub async fn approve_payout(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<pb::Payout>, AppError> {
    decide(s, caller, pb::PayoutDecision { id, action: "approve".into(), ..Default::default() }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// Told to the partner.
    pub reason: String,
}

/// C10: the merchant rejects a payout with a reason; the amount returns to available.
#[utoipa::path(post, path = "/api/v1/payouts/{id}/reject", tag = "commissions", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Reject,
    responses((status = 200, body = pb::Payout), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn reject_payout(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<Reject>,
) -> Result<Json<pb::Payout>, AppError> {
    decide(s, caller, pb::PayoutDecision { id, action: "reject".into(), reason: b.reason, ..Default::default() }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaid {
    /// bank, paypal or custom
    pub method: String,
    /// The transfer's reference.
    pub reference: String,
}

/// C9 manual, C10: the merchant marks a payout paid, with method and reference.
#[utoipa::path(post, path = "/api/v1/payouts/{id}/mark-paid", tag = "commissions", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MarkPaid,
    responses((status = 200, body = pb::Payout), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn mark_paid(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(b): ApiJson<MarkPaid>,
) -> Result<Json<pb::Payout>, AppError> {
    let d = pb::PayoutDecision {
        id,
        action: "mark_paid".into(),
        method: b.method,
        reference: b.reference,
        ..Default::default()
    };
    decide(s, caller, d).await
}

/// C11: every account's running total recomputed from the ledger's entries: the accounts that
/// differ (none when the ledger is sound) and each currency's sum over all accounts (zero).
/// Merchant staff only.
#[utoipa::path(get, path = "/api/v1/ledger/check", tag = "commissions", security(("bearer" = [])),
    responses((status = 200, body = pb::LedgerCheck), (status = 403, body = ProblemDoc)))]
pub async fn check_ledger(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::LedgerCheck>, AppError> {
    let req = pb::LedgerCheckRequest {};
    Ok(Json(s.commissions().check_ledger(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// C9: the merchant's prepaid balance, from which automatic settlement pays.
#[utoipa::path(get, path = "/api/v1/merchant-balance", tag = "commissions", security(("bearer" = [])),
    responses((status = 200, body = pb::MerchantBalance), (status = 403, body = ProblemDoc)))]
pub async fn merchant_balance(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<pb::MerchantBalance>, AppError> {
    let req = pb::MerchantBalanceRequest {};
    Ok(Json(s.commissions().get_merchant_balance(caller.request(req)).await.map_err(upstream)?.into_inner()))
}

/// C9: tops up the prepaid balance; settlements that failed for want of it are retried at once.
#[utoipa::path(post, path = "/api/v1/merchant-balance/top-ups", tag = "commissions", security(("bearer" = [])),
    request_body = pb::TopUpRequest,
    responses((status = 201, body = pb::MerchantBalance), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn top_up(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::TopUpRequest>,
) -> Result<(StatusCode, Json<pb::MerchantBalance>), AppError> {
    let m = s.commissions().top_up(caller.request(b)).await.map_err(upstream)?.into_inner();
    Ok((StatusCode::CREATED, Json(m)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SettlementQuery {
    /// paid or failed
    pub status: Option<String>,
}

/// C9: automatic settlements, paid and failed (with the reason), newest first.
#[utoipa::path(get, path = "/api/v1/settlements", tag = "commissions", security(("bearer" = [])), params(SettlementQuery),
    responses((status = 200, body = pb::SettlementList), (status = 403, body = ProblemDoc)))]
pub async fn settlements(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SettlementQuery>,
) -> Result<Json<pb::SettlementList>, AppError> {
    let req = pb::SettlementQuery { status: q.status, ..Default::default() };
    Ok(Json(s.commissions().list_settlements(caller.request(req)).await.map_err(upstream)?.into_inner()))
}
