//! Rows and domain values to their protobuf form.

use partnerline_proto::identity::v1 as pb;

use crate::domain::ProgramSettings;
use crate::domain::program::Notice;
use crate::store::{ApiKeyRow, ApplicationRow, PartnerRow, TenantRow};

pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn partner(p: &PartnerRow) -> pb::Partner {
    pb::Partner {
        id: p.id.to_string(),
        tenant_id: p.tenant_id.to_string(),
        user_id: p.user_id.to_string(),
        name: p.name.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        payout_method: p.payout_method.kind.map(|k| pb::PayoutMethod {
            kind: k.as_str().to_string(),
            fields: p.payout_method.fields.clone().into_iter().collect(),
            currency: p.payout_method.currency.clone().unwrap_or_default(),
        }),
        commission_plan: p.commission_plan.clone(),
        trust_level: p.trust_level.clone(),
        status: p.status.clone(),
        parent_partner_id: p.parent_partner_id.map(|x| x.to_string()),
        language: p.language.clone(),
        created_at: ts(p.created_at),
        updated_at: ts(p.updated_at),
    }
}

pub fn application(a: &ApplicationRow) -> pb::Application {
    pb::Application {
        id: a.id.to_string(),
        tenant_id: a.tenant_id.to_string(),
        name: a.name.clone(),
        email: a.email.clone(),
        phone: a.phone.clone(),
        message: a.message.clone(),
        status: a.status.clone(),
        reason: a.reason.clone(),
        parent_partner_id: a.parent_partner_id.map(|x| x.to_string()),
        partner_id: a.partner_id.map(|x| x.to_string()),
        created_at: ts(a.created_at),
        reviewed_at: a.reviewed_at.map(ts),
    }
}

pub fn settings(s: &ProgramSettings) -> pb::ProgramSettings {
    pb::ProgramSettings {
        recruitment_enabled: s.recruitment_enabled,
        review_required: s.review_required,
        link_validity: s.link_validity.as_str().into(),
        protection_period_days: s.protection_period_days,
        ignore_partner_clicks_on_partner_links: s.ignore_partner_clicks_on_partner_links,
        self_purchase: s.self_purchase,
        default_commission_rate: s.default_commission_rate.to_string(),
        hold_periods: Some(pb::HoldPeriods {
            new_weeks: s.hold_periods.new_weeks,
            standard_weeks: s.hold_periods.standard_weeks,
            trusted_weeks: s.hold_periods.trusted_weeks,
        }),
        settlement_mode: s.settlement_mode.as_str().into(),
        minimum_payout: s.minimum_payout.to_string(),
        physical_return_voids_commission: s.physical_return_voids_commission,
        return_window_days: s.return_window_days,
        team_sales_threshold: s.team_sales_threshold.to_string(),
        lead_reward: Some(pb::LeadReward {
            kind: s.lead_reward.kind.as_str().into(),
            value: s.lead_reward.value.to_string(),
        }),
        coupon_limits: Some(pb::CouponLimits {
            max_discount_percent: s.coupon_limits.max_discount_percent.to_string(),
            max_validity_days: s.coupon_limits.max_validity_days,
            max_uses: s.coupon_limits.max_uses,
        }),
        excluded_promotion_types: s.excluded_promotion_types.clone(),
        business_customer_approval: s.business_customer_approval,
        currency: s.currency.code().into(),
        time_zone: s.time_zone.clone(),
        brand_logo_url: s.brand_logo_url.clone(),
        brand_accent: s.brand_accent.clone(),
        fraud_self_referral: s.fraud.self_referral,
        fraud_click_spam: s.fraud.click_spam,
        fraud_click_spam_clicks: s.fraud.click_spam_clicks,
        fraud_click_spam_window_minutes: s.fraud.click_spam_window_minutes,
        fraud_customer_burst: s.fraud.customer_burst,
        fraud_customer_burst_customers: s.fraud.customer_burst_customers,
        fraud_customer_burst_window_minutes: s.fraud.customer_burst_window_minutes,
    }
}

pub fn program(t: &TenantRow, notices: &[Notice]) -> pb::Program {
    pb::Program {
        tenant_id: t.id.to_string(),
        slug: t.slug.clone(),
        name: t.name.clone(),
        recruitment_plan: t.recruitment_plan.clone(),
        settings: Some(settings(&t.settings)),
        updated_at: ts(t.updated_at),
        notices: notices
            .iter()
            .map(|n| pb::Notice { field: n.field.clone(), code: n.code.into(), message: n.message.clone() })
            .collect(),
    }
}

pub fn api_key(k: &ApiKeyRow) -> pb::ApiKey {
    pb::ApiKey {
        id: k.id.to_string(),
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        scopes: k.scopes.clone(),
        created_at: ts(k.created_at),
        last_used_at: k.last_used_at.map(ts),
        revoked_at: k.revoked_at.map(ts),
    }
}
