//! Tenants (merchant programs), their settings and the public join page (P1, P2).

use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use platform::error::is_constraint;
use sqlx::types::Json;
use uuid::Uuid;

use super::{IdentityService, convert};
use crate::credentials::{hash_password, sha256};
use crate::domain::program::HoldPeriods;
use crate::domain::{Email, Password, ProgramPatch, ProgramSettings, Slug, default_recruitment_plan, parse_name};
use crate::store::{self, TenantRow, UserRow};

impl IdentityService {
    pub(crate) async fn create_tenant_impl(
        &self,
        p: Principal,
        req: pb::CreateTenantRequest,
    ) -> Result<pb::Tenant, AppError> {
        p.require_platform_admin()?;
        let slug = Slug::parse("slug", &req.slug)?;
        let name = parse_name("name", &req.name)?;
        let admin_email = Email::parse("admin_email", &req.admin_email)?;
        let admin_password = Password::parse("admin_password", &req.admin_password)?;
        let admin_name =
            parse_name("admin_name", if req.admin_name.trim().is_empty() { &name } else { &req.admin_name })?;
        let mut settings = ProgramSettings::default();
        if !req.currency.trim().is_empty() {
            settings.currency =
                platform::Currency::parse(&req.currency).map_err(|e| AppError::invalid("currency", e.to_string()))?;
        }
        let hash = hash_password(admin_password.expose().to_string(), self.settings.argon2_memory_kib).await?;
        let now = self.clock.now();
        let tenant = TenantRow {
            id: Uuid::now_v7(),
            slug: slug.as_str().into(),
            recruitment_plan: default_recruitment_plan(&name, &settings),
            name,
            settings: Json(settings),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.pool.begin().await?;
        store::insert_tenant(&mut tx, &tenant).await.map_err(|e| {
            if is_constraint(&e, "tenants_slug_key") {
                AppError::conflict("slug_taken", "a program with this slug exists already").with_field("slug")
            } else {
                e.into()
            }
        })?;
        let admin = UserRow {
            id: Uuid::now_v7(),
            tenant_id: Some(tenant.id),
            email: admin_email.as_str().into(),
            name: admin_name,
            password_hash: hash,
            role: Role::MerchantAdmin.as_str().into(),
            language: "en".into(),
            phone: String::new(),
            created_at: now,
        };
        store::insert_user(&mut tx, &admin).await?;
        let msg = ev::TenantCreated {
            tenant_id: tenant.id.to_string(),
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            currency: tenant.settings.currency.code().into(),
            settings: Some(convert::settings(&tenant.settings)),
        };
        self.outbox.emit(&mut tx, tenant.id, "tenant", tenant.id, "created", &msg).await?;
        tx.commit().await?;
        Ok(pb::Tenant { id: tenant.id.to_string(), slug: tenant.slug, name: tenant.name, created_at: convert::ts(now) })
    }

    pub(super) async fn get_program_impl(&self, p: Principal) -> Result<pb::Program, AppError> {
        let tenant = match p.role {
            Role::Integrator => p.require_admin_or_scope("program:read")?,
            _ => p.tenant()?,
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let t = store::tenant(&mut tx).await?.ok_or_else(|| AppError::not_found("program"))?;
        tx.commit().await?;
        Ok(convert::program(&t, &[]))
    }

    pub(crate) async fn update_program_impl(
        &self,
        p: Principal,
        req: pb::UpdateProgramRequest,
    ) -> Result<pb::Program, AppError> {
        let tenant = p.require_admin_or_scope("program:write")?;
        let name = req.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
        let plan = match &req.recruitment_plan {
            Some(text) if text.trim().is_empty() => {
                return Err(AppError::invalid(
                    "recruitment_plan",
                    "must not be empty; use reset_recruitment_plan to restore the template",
                ));
            }
            Some(text) if text.chars().count() > 20_000 => {
                return Err(AppError::invalid("recruitment_plan", "must be at most 20000 characters"));
            }
            other => other.clone(),
        };
        let patch = ProgramPatch {
            recruitment_enabled: req.recruitment_enabled,
            review_required: req.review_required,
            link_validity: req.link_validity,
            protection_period_days: req.protection_period_days,
            ignore_partner_clicks_on_partner_links: req.ignore_partner_clicks_on_partner_links,
            self_purchase: req.self_purchase,
            default_commission_rate: req.default_commission_rate,
            hold_periods: req.hold_periods.map(|h| HoldPeriods {
                new_weeks: h.new_weeks,
                standard_weeks: h.standard_weeks,
                trusted_weeks: h.trusted_weeks,
            }),
            settlement_mode: req.settlement_mode,
            minimum_payout: req.minimum_payout,
            physical_return_voids_commission: req.physical_return_voids_commission,
            return_window_days: req.return_window_days,
            team_sales_threshold: req.team_sales_threshold,
            lead_reward: req.lead_reward.map(|l| (l.kind, l.value)),
            coupon_limits: req.coupon_limits.map(|c| (c.max_discount_percent, c.max_validity_days, c.max_uses)),
            excluded_promotion_types: req.set_excluded_promotion_types.then_some(req.excluded_promotion_types),
            business_customer_approval: req.business_customer_approval,
            currency: req.currency,
            time_zone: req.time_zone,
            brand_logo_url: req.brand_logo_url,
            brand_accent: req.brand_accent,
            fraud_self_referral: req.fraud_self_referral,
            fraud_click_spam: req.fraud_click_spam,
            fraud_click_spam_clicks: req.fraud_click_spam_clicks,
            fraud_click_spam_window_minutes: req.fraud_click_spam_window_minutes,
            fraud_customer_burst: req.fraud_customer_burst,
            fraud_customer_burst_customers: req.fraud_customer_burst_customers,
            fraud_customer_burst_window_minutes: req.fraud_customer_burst_window_minutes,
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut t = store::tenant_for_update(&mut tx).await?.ok_or_else(|| AppError::not_found("program"))?;
        let (settings, notices, mut changed) = t.settings.apply(patch)?;
        if changed.contains(&"time_zone") && !store::time_zone_known(&mut tx, &settings.time_zone).await? {
            return Err(AppError::invalid(
                "settings.time_zone",
                format!(
                    "`{}` is not a time zone this server knows (IANA names, e.g. \"Europe/Rome\")",
                    settings.time_zone
                ),
            ));
        }
        if let Some(name) = name.filter(|n| *n != t.name) {
            t.name = name;
            changed.push("name");
        }
        let plan = if req.reset_recruitment_plan { Some(default_recruitment_plan(&t.name, &settings)) } else { plan };
        if let Some(plan) = plan.filter(|pl| *pl != t.recruitment_plan) {
            t.recruitment_plan = plan;
            changed.push("recruitment_plan");
        }
        t.settings = Json(settings);
        if !changed.is_empty() {
            t.updated_at = self.clock.now();
            store::update_program(&mut tx, &t.name, &t.recruitment_plan, &t.settings, t.updated_at).await?;
            let msg = ev::ProgramUpdated {
                tenant_id: tenant.to_string(),
                changed: changed.iter().map(|c| c.to_string()).collect(),
                actor_user_id: p.subject.to_string(),
                settings: Some(convert::settings(&t.settings.0)),
                name: t.name.clone(),
            };
            self.outbox.emit(tx.conn(), tenant, "program", tenant, "updated", &msg).await?;
        }
        tx.commit().await?;
        Ok(convert::program(&t, &notices))
    }

    /// P1, P2: the public join page; `open` is false with the reason when applications are refused.
    pub(super) async fn join_page_impl(&self, req: pb::GetJoinPageRequest) -> Result<pb::JoinPage, AppError> {
        let mut conn = self.pool.acquire().await?;
        let found = match req.tenant_id.as_deref().filter(|_| req.program.trim().is_empty()) {
            Some(id) => match Uuid::parse_str(id.trim()) {
                Ok(id) => store::tenant_by_id(&mut conn, id).await?,
                Err(_) => None,
            },
            None => store::tenant_by_slug(&mut conn, req.program.trim()).await?,
        };
        let t = found.ok_or_else(|| AppError::not_found("program"))?;
        drop(conn);
        let mut page = pb::JoinPage {
            program: t.slug.clone(),
            program_name: t.name.clone(),
            recruitment_plan: t.recruitment_plan.clone(),
            open: t.settings.recruitment_enabled,
            closed_reason: if t.settings.recruitment_enabled { String::new() } else { RECRUITMENT_CLOSED.into() },
            inviting_partner: None,
            tenant_id: t.id.to_string(),
            currency: t.settings.currency.code().to_string(),
            business_customer_approval: t.settings.business_customer_approval,
            logo_url: t.settings.brand_logo_url.clone(),
            accent: t.settings.brand_accent.clone(),
        };
        if let Some(token) = req.invite.as_deref().filter(|s| !s.is_empty()) {
            let mut tx = TenantTx::begin(&self.pool, t.id).await?;
            let invite =
                store::invite_by_hash(&mut tx, &sha256(token)).await?.filter(|i| i.expires_at > self.clock.now());
            match invite {
                Some(i) => page.inviting_partner = store::partner(&mut tx, i.partner_id).await?.map(|p| p.name),
                None => return Err(AppError::invalid("invite", "this invite link is unknown or has expired")),
            }
            tx.commit().await?;
        }
        Ok(page)
    }
}

pub(super) const RECRUITMENT_CLOSED: &str = "This program is not accepting new partners right now.";
