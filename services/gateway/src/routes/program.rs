//! The merchant's program: settings and recruitment plan (P1, P2, P3 and every switch of
//! PRODUCT.md), and the public join information.

use axum::Json;
use axum::extract::{Path, State};
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::nullable;
use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, upstream};
use crate::state::AppState;

/// Changes to the program; absent fields stay as they are. Hand-written: settings nest as in
/// `Program`, and `null` switches protection off, which identity's flat request spells 0.
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
    pub hold_periods: Option<pb::HoldPeriods>,
    pub settlement_mode: Option<String>,
    pub minimum_payout: Option<String>,
    pub physical_return_voids_commission: Option<bool>,
    pub return_window_days: Option<u32>,
    pub team_sales_threshold: Option<String>,
    pub lead_reward: Option<pb::LeadReward>,
    pub coupon_limits: Option<pb::CouponLimits>,
    pub excluded_promotion_types: Option<Vec<String>>,
    pub business_customer_approval: Option<bool>,
    pub currency: Option<String>,
    /// IANA name ("Europe/Rome"); reports count days, weeks and months in it (D2).
    pub time_zone: Option<String>,
    /// The customer pages' logo: an https address of an image; "" removes it.
    pub brand_logo_url: Option<String>,
    /// The pages' accent colour, "#rrggbb"; "" goes back to the default.
    pub brand_accent: Option<String>,
    /// X4: flag commissions whose customer email or click IP hash matches the partner's own.
    pub fraud_self_referral: Option<bool>,
    /// X4: flag a partner's next commission after a burst of clicks from one IP hash.
    pub fraud_click_spam: Option<bool>,
    /// X4: a burst is more than this many clicks (2-100000; default 20) ...
    pub fraud_click_spam_clicks: Option<u32>,
    /// ... within this many minutes (1-1440; default 60).
    pub fraud_click_spam_window_minutes: Option<u32>,
    /// X4: flag the commissions of a partner's new customers when many signed up from one IP hash.
    pub fraud_customer_burst: Option<bool>,
    /// X4: that many customers or more (2-10000; default 3) ...
    pub fraud_customer_burst_customers: Option<u32>,
    /// ... within this many minutes (1-10080; default 1440, a day).
    pub fraud_customer_burst_window_minutes: Option<u32>,
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
            hold_periods: s.hold_periods,
            settlement_mode: s.settlement_mode,
            minimum_payout: s.minimum_payout,
            physical_return_voids_commission: s.physical_return_voids_commission,
            return_window_days: s.return_window_days,
            team_sales_threshold: s.team_sales_threshold,
            lead_reward: s.lead_reward,
            coupon_limits: s.coupon_limits,
            set_excluded_promotion_types: s.excluded_promotion_types.is_some(),
            excluded_promotion_types: s.excluded_promotion_types.unwrap_or_default(),
            business_customer_approval: s.business_customer_approval,
            currency: s.currency,
            time_zone: s.time_zone,
            brand_logo_url: s.brand_logo_url,
            brand_accent: s.brand_accent,
            fraud_self_referral: s.fraud_self_referral,
            fraud_click_spam: s.fraud_click_spam,
            fraud_click_spam_clicks: s.fraud_click_spam_clicks,
            fraud_click_spam_window_minutes: s.fraud_click_spam_window_minutes,
            fraud_customer_burst: s.fraud_customer_burst,
            fraud_customer_burst_customers: s.fraud_customer_burst_customers,
            fraud_customer_burst_window_minutes: s.fraud_customer_burst_window_minutes,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JoinQuery {
    pub invite: Option<String>,
}

/// Hand-written: a public page, so it shows none of what identity adds for other services
/// (tenant id, currency, approval switch).
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinPage {
    pub program: String,
    pub program_name: String,
    pub recruitment_plan: String,
    /// False when recruitment is switched off (P2); `closed_reason` says so.
    pub open: bool,
    pub closed_reason: String,
    pub inviting_partner: Option<String>,
    /// The merchant's logo (https) and accent colour (#rrggbb); empty when unset.
    pub logo_url: String,
    pub accent: String,
}

/// The caller's program with all its settings.
#[utoipa::path(get, path = "/api/v1/program", tag = "program", security(("bearer" = [])),
    responses((status = 200, body = pb::Program), (status = 401, body = ProblemDoc)))]
pub async fn get_program(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::Program>, AppError> {
    let p = s.identity().get_program(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(p))
}

/// Change settings (merchant admin). Invalid values are refused (422, naming each field) and
/// change nothing; values adjusted on save are reported in `notices`.
#[utoipa::path(patch, path = "/api/v1/program", tag = "program", security(("bearer" = [])), request_body = UpdateProgram,
    responses((status = 200, body = pb::Program), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_program(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<UpdateProgram>,
) -> Result<Json<pb::Program>, AppError> {
    let p = s.identity().update_program(caller.request(b.into())).await.map_err(upstream)?.into_inner();
    Ok(Json(p))
}

/// Public: a program's recruitment plan and whether it takes applications (P1, P2).
#[utoipa::path(get, path = "/api/v1/programs/{slug}/join", tag = "applications", params(("slug" = String, Path), JoinQuery),
    responses((status = 200, body = JoinPage), (status = 404, body = ProblemDoc)))]
pub async fn join_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<JoinQuery>,
) -> Result<Json<JoinPage>, AppError> {
    let req = pb::GetJoinPageRequest { program: slug, invite: q.invite, tenant_id: None };
    let page = s.identity().get_join_page(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Json(JoinPage {
        program: page.program,
        program_name: page.program_name,
        recruitment_plan: page.recruitment_plan,
        open: page.open,
        closed_reason: page.closed_reason,
        inviting_partner: page.inviting_partner,
        logo_url: page.logo_url,
        accent: page.accent,
    }))
}
