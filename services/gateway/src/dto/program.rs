//! The program and its settings, as JSON.

use partnerline_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::nullable;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldPeriods {
    pub new_weeks: u32,
    pub standard_weeks: u32,
    pub trusted_weeks: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadReward {
    /// fixed or percent
    pub kind: String,
    /// A decimal string.
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponLimits {
    pub max_discount_percent: String,
    pub max_validity_days: u32,
    /// 0 = no cap
    pub max_uses: u32,
}

/// Every switch of a program (see PRODUCT.md for the rule each one serves).
#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    /// P2
    pub recruitment_enabled: bool,
    /// P3
    pub review_required: bool,
    /// L3: short or permanent
    pub link_validity: String,
    /// L5: null = protection off
    pub protection_period_days: Option<u32>,
    /// L6
    pub ignore_partner_clicks_on_partner_links: bool,
    /// L7
    pub self_purchase: bool,
    /// C1: percent, at most 50
    pub default_commission_rate: String,
    /// C3: 4–10 weeks each
    pub hold_periods: Option<HoldPeriods>,
    /// C9: manual or automatic
    pub settlement_mode: String,
    /// C10, in the program currency
    pub minimum_payout: String,
    /// C5
    pub physical_return_voids_commission: bool,
    /// X5
    pub return_window_days: u32,
    /// X3
    pub team_sales_threshold: String,
    /// LE6
    pub lead_reward: Option<LeadReward>,
    /// L9
    pub coupon_limits: Option<CouponLimits>,
    /// L11, C8
    pub excluded_promotion_types: Vec<String>,
    /// CU7
    pub business_customer_approval: bool,
    /// X6: reporting currency
    pub currency: String,
}

impl From<pb::ProgramSettings> for Settings {
    fn from(s: pb::ProgramSettings) -> Self {
        Settings {
            recruitment_enabled: s.recruitment_enabled,
            review_required: s.review_required,
            link_validity: s.link_validity,
            protection_period_days: s.protection_period_days,
            ignore_partner_clicks_on_partner_links: s.ignore_partner_clicks_on_partner_links,
            self_purchase: s.self_purchase,
            default_commission_rate: s.default_commission_rate,
            hold_periods: s.hold_periods.map(|h| HoldPeriods {
                new_weeks: h.new_weeks,
                standard_weeks: h.standard_weeks,
                trusted_weeks: h.trusted_weeks,
            }),
            settlement_mode: s.settlement_mode,
            minimum_payout: s.minimum_payout,
            physical_return_voids_commission: s.physical_return_voids_commission,
            return_window_days: s.return_window_days,
            team_sales_threshold: s.team_sales_threshold,
            lead_reward: s.lead_reward.map(|l| LeadReward { kind: l.kind, value: l.value }),
            coupon_limits: s.coupon_limits.map(|c| CouponLimits {
                max_discount_percent: c.max_discount_percent,
                max_validity_days: c.max_validity_days,
                max_uses: c.max_uses,
            }),
            excluded_promotion_types: s.excluded_promotion_types,
            business_customer_approval: s.business_customer_approval,
            currency: s.currency,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notice {
    pub field: String,
    /// e.g. rate_capped
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Program {
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    /// P1: shown on the public join page.
    pub recruitment_plan: String,
    pub settings: Option<Settings>,
    pub updated_at: String,
    /// Values adjusted on save, e.g. a rate above 50% stored as 50% (C1).
    pub notices: Vec<Notice>,
}

impl From<pb::Program> for Program {
    fn from(p: pb::Program) -> Self {
        Program {
            tenant_id: p.tenant_id,
            slug: p.slug,
            name: p.name,
            recruitment_plan: p.recruitment_plan,
            settings: p.settings.map(Into::into),
            updated_at: p.updated_at,
            notices: p
                .notices
                .into_iter()
                .map(|n| Notice { field: n.field, code: n.code, message: n.message })
                .collect(),
        }
    }
}

/// Changes to the program; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateProgram {
    pub name: Option<String>,
    pub recruitment_plan: Option<String>,
    /// Restore the default recruitment plan template (P1).
    #[serde(default)]
    pub reset_recruitment_plan: bool,
    pub settings: Option<SettingsPatch>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub recruitment_enabled: Option<bool>,
    pub review_required: Option<bool>,
    pub link_validity: Option<String>,
    /// Days (1–365); `null` switches protection off.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub protection_period_days: Option<Option<u32>>,
    pub ignore_partner_clicks_on_partner_links: Option<bool>,
    pub self_purchase: Option<bool>,
    pub default_commission_rate: Option<String>,
    pub hold_periods: Option<HoldPeriods>,
    pub settlement_mode: Option<String>,
    pub minimum_payout: Option<String>,
    pub physical_return_voids_commission: Option<bool>,
    pub return_window_days: Option<u32>,
    pub team_sales_threshold: Option<String>,
    pub lead_reward: Option<LeadReward>,
    pub coupon_limits: Option<CouponLimits>,
    pub excluded_promotion_types: Option<Vec<String>>,
    pub business_customer_approval: Option<bool>,
    pub currency: Option<String>,
}

impl From<UpdateProgram> for pb::UpdateProgramRequest {
    fn from(u: UpdateProgram) -> Self {
        let s = u.settings.unwrap_or_default();
        pb::UpdateProgramRequest {
            name: u.name,
            recruitment_plan: u.recruitment_plan,
            reset_recruitment_plan: u.reset_recruitment_plan,
            recruitment_enabled: s.recruitment_enabled,
            review_required: s.review_required,
            link_validity: s.link_validity,
            // `null` means off, which identity spells 0.
            protection_period_days: s.protection_period_days.map(|d| d.unwrap_or(0)),
            ignore_partner_clicks_on_partner_links: s.ignore_partner_clicks_on_partner_links,
            self_purchase: s.self_purchase,
            default_commission_rate: s.default_commission_rate,
            hold_periods: s.hold_periods.map(|h| pb::HoldPeriods {
                new_weeks: h.new_weeks,
                standard_weeks: h.standard_weeks,
                trusted_weeks: h.trusted_weeks,
            }),
            settlement_mode: s.settlement_mode,
            minimum_payout: s.minimum_payout,
            physical_return_voids_commission: s.physical_return_voids_commission,
            return_window_days: s.return_window_days,
            team_sales_threshold: s.team_sales_threshold,
            lead_reward: s.lead_reward.map(|l| pb::LeadReward { kind: l.kind, value: l.value }),
            coupon_limits: s.coupon_limits.map(|c| pb::CouponLimits {
                max_discount_percent: c.max_discount_percent,
                max_validity_days: c.max_validity_days,
                max_uses: c.max_uses,
            }),
            set_excluded_promotion_types: s.excluded_promotion_types.is_some(),
            excluded_promotion_types: s.excluded_promotion_types.unwrap_or_default(),
            business_customer_approval: s.business_customer_approval,
            currency: s.currency,
        }
    }
}
