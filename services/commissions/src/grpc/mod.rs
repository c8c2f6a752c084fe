//! The commissions gRPC service: rules (C1), commission lines, the ledger and balances (C11),
//! payouts (C10), the merchant's prepaid balance and settlements (C9), reports (D2). Each
//! resource has its own file; this one holds what they share and wires them to the generated trait.

mod fraud;
mod ledger;
mod payouts;
mod reports;
mod rules;

use partnerline_proto::commissions::v1 as pb;
use partnerline_proto::commissions::v1::commissions_server::Commissions;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::grpc::{Grant, Reply, authed};
use rust_decimal::Decimal;
use tonic::Request;
use uuid::Uuid;

use crate::service::CommissionsService;

pub(crate) fn money(d: Decimal) -> String {
    d.to_string()
}

pub(crate) fn staff(p: &Principal) -> bool {
    matches!(p.role, Role::MerchantAdmin | Role::SalesRep | Role::Integrator)
}

pub(crate) fn admin(p: &Principal) -> Result<(), AppError> {
    if p.role == Role::MerchantAdmin {
        Ok(())
    } else {
        Err(AppError::forbidden("only the merchant's admins manage this"))
    }
}

pub(crate) fn opt_id(field: &'static str, raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid(field, "is not an id")))
        .transpose()
}

#[tonic::async_trait]
impl Commissions for CommissionsService {
    async fn list_fraud_flags(&self, req: Request<pb::FraudFlagQuery>) -> Reply<pb::FraudFlagPage> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.list_flags_impl(p, m)).await
    }
    async fn decide_fraud_flag(&self, req: Request<pb::FraudFlagDecision>) -> Reply<pb::FraudFlag> {
        authed(&self.verifier, req, Grant::People, |p, m| self.decide_flag_impl(p, m)).await
    }
    async fn list_rules(&self, req: Request<pb::ListRulesRequest>) -> Reply<pb::RuleList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, _| self.list_rules_impl(p)).await
    }
    async fn create_rule(&self, req: Request<pb::RuleInput>) -> Reply<pb::RuleResult> {
        authed(&self.verifier, req, Grant::People, |(p, token), m| self.create_rule_impl(p, token, m)).await
    }
    async fn update_rule(&self, req: Request<pb::UpdateRuleRequest>) -> Reply<pb::RuleResult> {
        authed(&self.verifier, req, Grant::People, |(p, token), m| self.update_rule_impl(p, token, m)).await
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
    async fn partner_earnings(&self, req: Request<pb::ReportQuery>) -> Reply<pb::PartnerEarningsList> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.partner_earnings_impl(p, m)).await
    }
    async fn get_current_rate(&self, req: Request<pb::CurrentRateQuery>) -> Reply<pb::CurrentRate> {
        authed(&self.verifier, req, Grant::Scope("commissions:read"), |p, m| self.current_rate_impl(p, m)).await
    }
}
