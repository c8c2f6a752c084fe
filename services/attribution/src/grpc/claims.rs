//! X1: attribution is auditable. Every decision on an order is a new version with its reason; a
//! merchant overrides with a written reason, a partner files a missing-referral claim that the
//! merchant accepts or rejects. Each change publishes a new `order.attributed`, so commissions
//! follow.

use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use uuid::Uuid;

use crate::events::ts;
use crate::service::AttributionService;
use crate::store::{self, AttributionRow, ClaimRow};

fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be 1 to {max} characters")));
    }
    Ok(t.to_string())
}

fn order_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found("order"))
}

fn claim(c: &ClaimRow) -> pb::Claim {
    pb::Claim {
        id: c.id.to_string(),
        order_id: c.order_id.to_string(),
        partner_id: c.partner_id.to_string(),
        message: c.message.clone(),
        status: c.status.clone(),
        decision_reason: c.decision_reason.clone(),
        created_at: ts(c.created_at),
        decided_at: c.decided_at.map(ts),
    }
}

fn history(order: Uuid, rows: &[AttributionRow]) -> pb::OrderAttribution {
    pb::OrderAttribution {
        order_id: order.to_string(),
        history: rows
            .iter()
            .map(|a| pb::AttributionVersion {
                version: a.version as u32,
                partner_id: a.partner_id.map(|p| p.to_string()),
                parent_chain: a.parent_chain.iter().map(|p| p.to_string()).collect(),
                reason: a.reason.clone(),
                detail: a.detail.clone(),
                actor_user_id: a.actor_user_id.map(|u| u.to_string()),
                at: ts(a.at),
            })
            .collect(),
    }
}

fn require_admin(p: &Principal) -> Result<(), AppError> {
    match p.role {
        Role::MerchantAdmin => Ok(()),
        _ => Err(AppError::forbidden("only a merchant admin decides attribution")),
    }
}

impl AttributionService {
    pub(crate) async fn order_attribution_impl(
        &self,
        p: Principal,
        req: pb::OrderRef,
    ) -> Result<pb::OrderAttribution, AppError> {
        let order = order_id(&req.order_id)?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let rows = store::attributions(&mut tx, order).await?;
        // A partner sees the history of orders it was ever attributed or has claimed.
        let visible = match (p.role, p.partner) {
            (Role::MerchantAdmin | Role::SalesRep | Role::Integrator, _) => true,
            (Role::Partner, Some(me)) => {
                rows.iter().any(|a| a.partner_id == Some(me))
                    || store::claims(&mut tx, Some(me), None).await?.iter().any(|c| c.order_id == order)
            }
            _ => false,
        };
        tx.commit().await?;
        if rows.is_empty() || !visible {
            return Err(AppError::not_found("order"));
        }
        Ok(history(order, &rows))
    }

    pub(crate) async fn override_impl(
        &self,
        p: Principal,
        req: pb::OverrideRequest,
    ) -> Result<pb::OrderAttribution, AppError> {
        let tenant = p.tenant()?;
        let order = order_id(&req.order_id)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = store::attributions(&mut tx, order).await?;
        let seen = match (p.role, p.partner) {
            (Role::Partner, Some(me)) => rows.iter().any(|a| a.partner_id == Some(me)),
            _ => true,
        };
        if rows.is_empty() || !seen {
            return Err(AppError::not_found("order"));
        }
        require_admin(&p)?;
        let reason = text("reason", &req.reason, 1000)?;
        let partner = match req.partner_id.trim() {
            "" => None,
            raw => {
                let id = Uuid::parse_str(raw).map_err(|_| AppError::invalid("partner_id", "no such partner"))?;
                store::partner(&mut tx, id).await?.ok_or_else(|| AppError::invalid("partner_id", "no such partner"))?;
                Some(id)
            }
        };
        self.reattribute(&mut tx, order, partner, "override", &reason, p.subject).await?;
        let rows = store::attributions(&mut tx, order).await?;
        tx.commit().await?;
        Ok(history(order, &rows))
    }

    pub(crate) async fn file_claim_impl(&self, p: Principal, req: pb::FileClaimRequest) -> Result<pb::Claim, AppError> {
        let tenant = p.tenant()?;
        let me = match (p.role, p.partner) {
            (Role::Partner, Some(me)) => me,
            _ => return Err(AppError::forbidden("partners file missing-referral claims")),
        };
        let order = order_id(&req.order_id)?;
        let message = text("message", &req.message, 2000)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let latest = store::latest_attribution(&mut tx, order).await?.ok_or_else(|| AppError::not_found("order"))?;
        if latest.partner_id == Some(me) {
            return Err(AppError::conflict("already_yours", "this order is already attributed to you"));
        }
        let c = ClaimRow {
            id: Uuid::now_v7(),
            order_id: order,
            partner_id: me,
            message,
            status: "pending".into(),
            decided_by: None,
            decision_reason: None,
            created_at: self.clock.now(),
            decided_at: None,
        };
        if !store::insert_claim(&mut tx, &c).await? {
            return Err(AppError::conflict("claim_open", "you have a claim on this order waiting already"));
        }
        tx.commit().await?;
        Ok(claim(&c))
    }

    pub(crate) async fn list_claims_impl(
        &self,
        p: Principal,
        req: pb::ListClaimsRequest,
    ) -> Result<pb::ClaimList, AppError> {
        let tenant = p.tenant()?;
        let partner = match (p.role, p.partner) {
            (Role::Partner, Some(me)) => Some(me),
            (Role::Partner, None) => return Err(AppError::forbidden("this account has no partner profile")),
            _ => None,
        };
        let status = match req.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s @ ("pending" | "accepted" | "rejected")) => Some(s),
            Some(_) => return Err(AppError::invalid("status", "must be pending, accepted or rejected")),
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = store::claims(&mut tx, partner, status).await?;
        tx.commit().await?;
        Ok(pb::ClaimList { items: rows.iter().map(claim).collect() })
    }

    pub(crate) async fn decide_claim_impl(
        &self,
        p: Principal,
        req: pb::DecideClaimRequest,
    ) -> Result<pb::Claim, AppError> {
        let tenant = p.tenant()?;
        let id = Uuid::parse_str(req.id.trim()).map_err(|_| AppError::not_found("claim"))?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut c = store::claim_for_update(&mut tx, id, p.partner.filter(|_| p.role == Role::Partner))
            .await?
            .ok_or_else(|| AppError::not_found("claim"))?;
        require_admin(&p)?;
        if c.status != "pending" {
            return Err(AppError::conflict("claim_decided", format!("this claim was {} already", c.status)));
        }
        let reason = req.reason.trim();
        if !req.accept && reason.is_empty() {
            return Err(AppError::invalid("reason", "say why the claim is rejected"));
        }
        c.status = if req.accept { "accepted" } else { "rejected" }.into();
        c.decided_by = Some(p.subject);
        c.decision_reason = (!reason.is_empty()).then(|| reason.chars().take(1000).collect());
        c.decided_at = Some(self.clock.now());
        store::decide_claim(&mut tx, &c).await?;
        if req.accept {
            let detail = format!("claim {}", c.id);
            self.reattribute(&mut tx, c.order_id, Some(c.partner_id), "claim", &detail, p.subject).await?;
        }
        tx.commit().await?;
        Ok(claim(&c))
    }
}
