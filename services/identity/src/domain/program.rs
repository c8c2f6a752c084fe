//! A merchant's program settings: every switch PRODUCT.md names, with its default, its range,
//! and how a patch is validated and applied.

use platform::error::FieldError;
use platform::{AppError, Currency};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use platform::string_enum;

string_enum!(
    /// L3: `short` attributes a click for 15 days; `permanent` keeps the first binding for good.
    LinkValidity { Short = "short", Permanent = "permanent" }
);
string_enum!(
    /// C9: manual payouts, or automatic settlement from the merchant's prepaid balance.
    SettlementMode { Manual = "manual", Automatic = "automatic" }
);
string_enum!(LeadRewardKind { Fixed = "fixed", Percent = "percent" });

/// C1, X3: no rate of any kind may exceed this.
pub const MAX_RATE: Decimal = Decimal::from_parts(50, 0, 0, false, 0);

/// C3: hold period per trust level, each 4–10 weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldPeriods {
    pub new_weeks: u32,
    pub standard_weeks: u32,
    pub trusted_weeks: u32,
}

/// LE6: what a won lead earns: a fixed bounty (program currency) or a percent of its revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadReward {
    pub kind: LeadRewardKind,
    pub value: Decimal,
}

/// L9: the limits partners' coupons must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponLimits {
    pub max_discount_percent: Decimal,
    pub max_validity_days: u32,
    /// 0 = no cap on uses.
    pub max_uses: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgramSettings {
    /// P2
    pub recruitment_enabled: bool,
    /// P3 (off: applicants are approved at once)
    pub review_required: bool,
    /// L3
    pub link_validity: LinkValidity,
    /// L5: `None` = protection off (the default).
    pub protection_period_days: Option<u32>,
    /// L6 (on by default)
    pub ignore_partner_clicks_on_partner_links: bool,
    /// L7, C6
    pub self_purchase: bool,
    /// C1: percent, 10 unless set, at most 50.
    pub default_commission_rate: Decimal,
    /// C3
    pub hold_periods: HoldPeriods,
    /// C9
    pub settlement_mode: SettlementMode,
    /// C10: in the program currency.
    pub minimum_payout: Decimal,
    /// C5 (on by default)
    pub physical_return_voids_commission: bool,
    /// X5
    pub return_window_days: u32,
    /// X3: own sales in the period before a partner earns on its team.
    pub team_sales_threshold: Decimal,
    /// LE6
    pub lead_reward: LeadReward,
    /// L9
    pub coupon_limits: CouponLimits,
    /// L11, C8
    pub excluded_promotion_types: Vec<String>,
    /// CU7
    pub business_customer_approval: bool,
    /// X6: the reporting currency.
    pub currency: Currency,
    /// D2: the IANA zone reports count days in (checked against PostgreSQL's zone list on save).
    pub time_zone: String,
    /// The customer pages' logo: an https address, or empty.
    pub brand_logo_url: String,
    /// The pages' accent colour, `#rrggbb`, or empty for the default.
    pub brand_accent: String,
    /// X4: the fraud signals that flag a commission.
    pub fraud: FraudSettings,
}

/// X4: which fraud signals flag a commission, and the click-spam threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FraudSettings {
    /// The order's customer email, or a click's IP hash, matches the attributed partner's own.
    pub self_referral: bool,
    /// More than `click_spam_clicks` clicks from one IP hash on one partner's links within
    /// `click_spam_window_minutes`.
    pub click_spam: bool,
    pub click_spam_clicks: u32,
    pub click_spam_window_minutes: u32,
    /// At least `customer_burst_customers` new customers signed up for one partner from one IP
    /// hash within `customer_burst_window_minutes`.
    pub customer_burst: bool,
    pub customer_burst_customers: u32,
    pub customer_burst_window_minutes: u32,
}

impl Default for FraudSettings {
    fn default() -> Self {
        FraudSettings {
            self_referral: true,
            click_spam: true,
            click_spam_clicks: 20,
            click_spam_window_minutes: 60,
            customer_burst: true,
            customer_burst_customers: 3,
            customer_burst_window_minutes: 1440,
        }
    }
}

impl Default for ProgramSettings {
    fn default() -> Self {
        ProgramSettings {
            recruitment_enabled: true,
            review_required: false,
            link_validity: LinkValidity::Short,
            protection_period_days: None,
            ignore_partner_clicks_on_partner_links: true,
            self_purchase: false,
            default_commission_rate: Decimal::TEN,
            hold_periods: HoldPeriods { new_weeks: 8, standard_weeks: 6, trusted_weeks: 4 },
            settlement_mode: SettlementMode::Manual,
            minimum_payout: Decimal::from(50),
            physical_return_voids_commission: true,
            return_window_days: 14,
            team_sales_threshold: Decimal::ZERO,
            lead_reward: LeadReward { kind: LeadRewardKind::Fixed, value: Decimal::ZERO },
            coupon_limits: CouponLimits { max_discount_percent: Decimal::from(20), max_validity_days: 90, max_uses: 0 },
            excluded_promotion_types: Vec::new(),
            business_customer_approval: false,
            currency: Currency::EUR,
            time_zone: "UTC".into(),
            brand_logo_url: String::new(),
            brand_accent: String::new(),
            fraud: FraudSettings::default(),
        }
    }
}

/// A value that was adjusted on save, reported back to the caller (e.g. a rate capped at 50%).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A partial update, as raw input; `apply` validates every field and reports all errors at once.
#[derive(Debug, Clone, Default)]
pub struct ProgramPatch {
    pub recruitment_enabled: Option<bool>,
    pub review_required: Option<bool>,
    pub link_validity: Option<String>,
    /// `Some(0)` switches protection off.
    pub protection_period_days: Option<u32>,
    pub ignore_partner_clicks_on_partner_links: Option<bool>,
    pub self_purchase: Option<bool>,
    pub default_commission_rate: Option<String>,
    pub hold_periods: Option<HoldPeriods>,
    pub settlement_mode: Option<String>,
    pub minimum_payout: Option<String>,
    pub physical_return_voids_commission: Option<bool>,
    pub return_window_days: Option<u32>,
    pub team_sales_threshold: Option<String>,
    pub lead_reward: Option<(String, String)>,
    pub coupon_limits: Option<(String, u32, u32)>,
    pub excluded_promotion_types: Option<Vec<String>>,
    pub business_customer_approval: Option<bool>,
    pub currency: Option<String>,
    pub time_zone: Option<String>,
    pub brand_logo_url: Option<String>,
    pub brand_accent: Option<String>,
    pub fraud_self_referral: Option<bool>,
    pub fraud_click_spam: Option<bool>,
    pub fraud_click_spam_clicks: Option<u32>,
    pub fraud_click_spam_window_minutes: Option<u32>,
    pub fraud_customer_burst: Option<bool>,
    pub fraud_customer_burst_customers: Option<u32>,
    pub fraud_customer_burst_window_minutes: Option<u32>,
}

fn decimal(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<Decimal> {
    match Decimal::from_str_exact(raw.trim()) {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => {
            errors.push(FieldError { field: field.into(), message: "must not be negative".into() });
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field: field.into(),
                message: "must be a decimal number written as a string, e.g. \"12.50\"".into(),
            });
            None
        }
    }
}

fn collect<T>(errors: &mut Vec<FieldError>, r: Result<T, AppError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.extend(e.errors);
            None
        }
    }
}

fn capped_rate(notices: &mut Vec<Notice>, field: &str, rate: Decimal) -> Decimal {
    if rate > MAX_RATE {
        notices.push(Notice {
            field: field.into(),
            code: "rate_capped",
            message: format!("{rate}% is above the 50% limit; stored as 50%"),
        });
        MAX_RATE
    } else {
        rate
    }
}

impl ProgramSettings {
    /// Applies `patch`, returning the notices about adjusted values and the names of the
    /// settings that changed. Nothing changes when any field is invalid.
    pub fn apply(&self, patch: ProgramPatch) -> Result<(ProgramSettings, Vec<Notice>, Vec<&'static str>), AppError> {
        let mut s = self.clone();
        let mut errors = Vec::new();
        let mut notices = Vec::new();
        let f = |name: &str| format!("settings.{name}");

        if let Some(v) = patch.recruitment_enabled {
            s.recruitment_enabled = v;
        }
        if let Some(v) = patch.review_required {
            s.review_required = v;
        }
        if let Some(v) = patch.link_validity
            && let Some(v) = collect(&mut errors, LinkValidity::parse(&f("link_validity"), &v))
        {
            s.link_validity = v;
        }
        if let Some(days) = patch.protection_period_days {
            if days > 365 {
                errors.push(FieldError {
                    field: f("protection_period_days"),
                    message: "must be between 1 and 365 days, or null to switch protection off".into(),
                });
            } else {
                s.protection_period_days = (days > 0).then_some(days);
            }
        }
        if let Some(v) = patch.ignore_partner_clicks_on_partner_links {
            s.ignore_partner_clicks_on_partner_links = v;
        }
        if let Some(v) = patch.self_purchase {
            s.self_purchase = v;
        }
        if let Some(raw) = patch.default_commission_rate
            && let Some(rate) = decimal(&mut errors, &f("default_commission_rate"), &raw)
        {
            s.default_commission_rate = capped_rate(&mut notices, &f("default_commission_rate"), rate);
        }
        if let Some(h) = patch.hold_periods {
            let mut ok = true;
            for (name, weeks) in
                [("new_weeks", h.new_weeks), ("standard_weeks", h.standard_weeks), ("trusted_weeks", h.trusted_weeks)]
            {
                if !(4..=10).contains(&weeks) {
                    ok = false;
                    errors.push(FieldError {
                        field: f(&format!("hold_periods.{name}")),
                        message: "must be between 4 and 10 weeks".into(),
                    });
                }
            }
            if ok {
                s.hold_periods = h;
            }
        }
        if let Some(v) = patch.settlement_mode
            && let Some(v) = collect(&mut errors, SettlementMode::parse(&f("settlement_mode"), &v))
        {
            s.settlement_mode = v;
        }
        if let Some(raw) = patch.minimum_payout
            && let Some(v) = decimal(&mut errors, &f("minimum_payout"), &raw)
        {
            s.minimum_payout = v;
        }
        if let Some(v) = patch.physical_return_voids_commission {
            s.physical_return_voids_commission = v;
        }
        if let Some(days) = patch.return_window_days {
            if days > 365 {
                errors.push(FieldError {
                    field: f("return_window_days"),
                    message: "must be between 0 and 365 days".into(),
                });
            } else {
                s.return_window_days = days;
            }
        }
        if let Some(raw) = patch.team_sales_threshold
            && let Some(v) = decimal(&mut errors, &f("team_sales_threshold"), &raw)
        {
            s.team_sales_threshold = v;
        }
        if let Some((kind, value)) = patch.lead_reward {
            let kind = collect(&mut errors, LeadRewardKind::parse(&f("lead_reward.kind"), &kind));
            let value = decimal(&mut errors, &f("lead_reward.value"), &value);
            if let (Some(kind), Some(value)) = (kind, value) {
                let value = if kind == LeadRewardKind::Percent {
                    capped_rate(&mut notices, &f("lead_reward.value"), value)
                } else {
                    value
                };
                s.lead_reward = LeadReward { kind, value };
            }
        }
        if let Some((max_discount, validity, uses)) = patch.coupon_limits {
            let pct = decimal(&mut errors, &f("coupon_limits.max_discount_percent"), &max_discount);
            if pct.is_some_and(|p| p > Decimal::ONE_HUNDRED) {
                errors.push(FieldError {
                    field: f("coupon_limits.max_discount_percent"),
                    message: "must be between 0 and 100".into(),
                });
            } else if !(1..=3650).contains(&validity) {
                errors.push(FieldError {
                    field: f("coupon_limits.max_validity_days"),
                    message: "must be between 1 and 3650 days".into(),
                });
            } else if let Some(pct) = pct {
                s.coupon_limits =
                    CouponLimits { max_discount_percent: pct, max_validity_days: validity, max_uses: uses };
            }
        }
        if let Some(types) = patch.excluded_promotion_types {
            let mut clean: Vec<String> = Vec::new();
            for t in types {
                let t = t.trim().to_lowercase();
                let ok = (1..=50).contains(&t.len())
                    && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !ok {
                    errors.push(FieldError {
                        field: f("excluded_promotion_types"),
                        message: format!("`{t}` must be 1–50 characters of a-z, 0-9 and _"),
                    });
                } else if !clean.contains(&t) {
                    clean.push(t);
                }
            }
            s.excluded_promotion_types = clean;
        }
        if let Some(v) = patch.business_customer_approval {
            s.business_customer_approval = v;
        }
        if let Some(code) = patch.currency {
            match Currency::parse(&code) {
                Ok(c) => s.currency = c,
                Err(e) => errors.push(FieldError { field: f("currency"), message: e.to_string() }),
            }
        }
        if let Some(zone) = patch.time_zone {
            let zone = zone.trim();
            // The shape of an IANA name; whether PostgreSQL knows it is checked on save.
            let ok =
                (1..=64).contains(&zone.len()) && zone.chars().all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
            if ok {
                s.time_zone = zone.to_string();
            } else {
                errors.push(FieldError {
                    field: f("time_zone"),
                    message: "must be an IANA time zone name, e.g. \"Europe/Rome\" or \"UTC\"".into(),
                });
            }
        }
        if let Some(url) = patch.brand_logo_url {
            let url = url.trim();
            // An image on another site: https only (the pages are https), no spaces or quotes.
            let ok = url.is_empty()
                || (url.len() <= 500
                    && url.starts_with("https://")
                    && url.len() > "https://".len()
                    && !url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\".contains(c)));
            if ok {
                s.brand_logo_url = url.to_string();
            } else {
                errors.push(FieldError {
                    field: f("brand_logo_url"),
                    message: "must be an https address of an image (at most 500 characters), or empty".into(),
                });
            }
        }
        if let Some(colour) = patch.brand_accent {
            let colour = colour.trim().to_ascii_lowercase();
            let ok = colour.is_empty()
                || (colour.len() == 7 && colour.starts_with('#') && colour[1..].chars().all(|c| c.is_ascii_hexdigit()));
            if ok {
                s.brand_accent = colour;
            } else {
                errors.push(FieldError {
                    field: f("brand_accent"),
                    message: "must be a colour written #rrggbb, e.g. \"#1f5fbf\", or empty".into(),
                });
            }
        }
        if let Some(v) = patch.fraud_self_referral {
            s.fraud.self_referral = v;
        }
        if let Some(v) = patch.fraud_click_spam {
            s.fraud.click_spam = v;
        }
        if let Some(n) = patch.fraud_click_spam_clicks {
            if (2..=100_000).contains(&n) {
                s.fraud.click_spam_clicks = n;
            } else {
                errors.push(FieldError {
                    field: f("fraud_click_spam_clicks"),
                    message: "must be between 2 and 100000 clicks".into(),
                });
            }
        }
        if let Some(m) = patch.fraud_click_spam_window_minutes {
            if (1..=1440).contains(&m) {
                s.fraud.click_spam_window_minutes = m;
            } else {
                errors.push(FieldError {
                    field: f("fraud_click_spam_window_minutes"),
                    message: "must be between 1 and 1440 minutes (a day)".into(),
                });
            }
        }
        if let Some(v) = patch.fraud_customer_burst {
            s.fraud.customer_burst = v;
        }
        if let Some(n) = patch.fraud_customer_burst_customers {
            if (2..=10_000).contains(&n) {
                s.fraud.customer_burst_customers = n;
            } else {
                errors.push(FieldError {
                    field: f("fraud_customer_burst_customers"),
                    message: "must be between 2 and 10000 customers".into(),
                });
            }
        }
        if let Some(m) = patch.fraud_customer_burst_window_minutes {
            if (1..=10_080).contains(&m) {
                s.fraud.customer_burst_window_minutes = m;
            } else {
                errors.push(FieldError {
                    field: f("fraud_customer_burst_window_minutes"),
                    message: "must be between 1 and 10080 minutes (a week)".into(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let changed = s.changed_from(self);
        Ok((s, notices, changed))
    }

    /// Names of the top-level settings that differ.
    pub fn changed_from(&self, old: &ProgramSettings) -> Vec<&'static str> {
        let (a, b) = (serde_json::to_value(self).unwrap_or_default(), serde_json::to_value(old).unwrap_or_default());
        const NAMES: &[&str] = &[
            "recruitment_enabled",
            "review_required",
            "link_validity",
            "protection_period_days",
            "ignore_partner_clicks_on_partner_links",
            "self_purchase",
            "default_commission_rate",
            "hold_periods",
            "settlement_mode",
            "minimum_payout",
            "physical_return_voids_commission",
            "return_window_days",
            "team_sales_threshold",
            "lead_reward",
            "coupon_limits",
            "excluded_promotion_types",
            "business_customer_approval",
            "currency",
            "time_zone",
            "brand_logo_url",
            "brand_accent",
            "fraud",
        ];
        NAMES.iter().copied().filter(|n| a.get(n) != b.get(n)).collect()
    }
}

/// P1: the recruitment plan a new program starts from, filled with its settings.
pub fn default_recruitment_plan(program_name: &str, s: &ProgramSettings) -> String {
    let hold = s.hold_periods;
    format!(
        "# Become a partner of {program_name}\n\n\
         ## How to join\n\
         Fill in the application form on this page. {review}\n\n\
         ## How to promote\n\
         Share your personal referral link, product links, QR codes and posters with your \
         audience and customers, or place orders for them from your dashboard. Customers who \
         arrive through your link are bound to you.\n\n\
         ## Rewards\n\
         You earn {rate}% commission on the orders of the customers you bring, computed on the \
         amount paid without shipping and tax. You can also invite other partners to your team.\n\n\
         ## Settlement\n\
         Commissions are held for {trusted} to {new} weeks after an order is completed, then \
         become available. You can request a payout once your available balance reaches \
         {min} {cur}.\n\n\
         ## Contact\n\
         Questions? Reply to any email from the {program_name} partner team.\n",
        review = if s.review_required {
            "We review every application and reply by email."
        } else {
            "You are approved at once and can start right away."
        },
        rate = s.default_commission_rate,
        trusted = hold.trusted_weeks,
        new = hold.new_weeks,
        min = s.minimum_payout,
        cur = s.currency,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_follow_the_product_rules() {
        let s = ProgramSettings::default();
        assert_eq!(s.default_commission_rate, Decimal::TEN, "C1: 10% unless set");
        assert_eq!(s.protection_period_days, None, "L5: off by default");
        assert!(s.ignore_partner_clicks_on_partner_links, "L6: on by default");
        assert!(s.physical_return_voids_commission, "C5: on by default");
        assert!(s.recruitment_enabled);
    }

    #[test]
    fn c1_rate_above_50_is_stored_as_50_and_reported() {
        let patch = ProgramPatch { default_commission_rate: Some("75".into()), ..Default::default() };
        let (s, notices, changed) = ProgramSettings::default().apply(patch).unwrap();
        assert_eq!(s.default_commission_rate, MAX_RATE);
        assert_eq!(notices[0].code, "rate_capped");
        assert_eq!(notices[0].field, "settings.default_commission_rate");
        assert_eq!(changed, vec!["default_commission_rate"]);
    }

    #[test]
    fn c3_hold_periods_must_be_4_to_10_weeks() {
        let patch = ProgramPatch {
            hold_periods: Some(HoldPeriods { new_weeks: 11, standard_weeks: 6, trusted_weeks: 3 }),
            ..Default::default()
        };
        let e = ProgramSettings::default().apply(patch).unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["settings.hold_periods.new_weeks", "settings.hold_periods.trusted_weeks"]);
    }

    #[test]
    fn l5_protection_zero_switches_it_off() {
        let on = ProgramSettings::default()
            .apply(ProgramPatch { protection_period_days: Some(7), ..Default::default() })
            .unwrap()
            .0;
        assert_eq!(on.protection_period_days, Some(7));
        let (off, _, changed) =
            on.apply(ProgramPatch { protection_period_days: Some(0), ..Default::default() }).unwrap();
        assert_eq!(off.protection_period_days, None);
        assert_eq!(changed, vec!["protection_period_days"]);
    }

    #[test]
    fn an_invalid_patch_changes_nothing_and_names_every_bad_field() {
        let patch = ProgramPatch {
            self_purchase: Some(true),
            link_validity: Some("forever".into()),
            minimum_payout: Some("-5".into()),
            currency: Some("XXY".into()),
            ..Default::default()
        };
        let e = ProgramSettings::default().apply(patch).unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["settings.link_validity", "settings.minimum_payout", "settings.currency"]);
    }

    #[test]
    fn p1_branding_is_an_https_logo_and_a_hex_colour_or_nothing() {
        let s = ProgramSettings::default();
        let patch = ProgramPatch {
            brand_logo_url: Some(" https://shop.example/logo.png ".into()),
            brand_accent: Some("#A0522D".into()),
            ..Default::default()
        };
        let (set, _, changed) = s.apply(patch).unwrap();
        assert_eq!(
            (set.brand_logo_url.as_str(), set.brand_accent.as_str()),
            ("https://shop.example/logo.png", "#a0522d")
        );
        assert_eq!(changed, vec!["brand_logo_url", "brand_accent"]);
        for (logo, accent) in [
            ("http://shop.example/logo.png", "#a0522d"),
            ("javascript:alert(1)", "#a0522d"),
            ("https://x.example/a\"onerror=alert(1)", "#a0522d"),
            ("https://shop.example/logo.png", "red"),
            ("https://shop.example/logo.png", "#12345g"),
            ("https://shop.example/logo.png", "#fff;}body{display:none"),
        ] {
            let patch = ProgramPatch {
                brand_logo_url: Some(logo.into()),
                brand_accent: Some(accent.into()),
                ..Default::default()
            };
            let e = set.apply(patch).unwrap_err();
            assert!(!e.errors.is_empty(), "{logo} {accent}");
        }
        let cleared = set
            .apply(ProgramPatch {
                brand_logo_url: Some(String::new()),
                brand_accent: Some(String::new()),
                ..Default::default()
            })
            .unwrap()
            .0;
        assert_eq!((cleared.brand_logo_url.as_str(), cleared.brand_accent.as_str()), ("", ""));
    }

    #[test]
    fn settings_round_trip_through_json_and_old_documents_get_defaults() {
        let s = ProgramSettings::default();
        let back: ProgramSettings = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let partial: ProgramSettings = serde_json::from_str(r#"{"self_purchase": true}"#).unwrap();
        assert!(partial.self_purchase && partial.recruitment_enabled);
    }

    #[test]
    fn p1_default_plan_covers_every_section() {
        let plan = default_recruitment_plan("Demo", &ProgramSettings::default());
        for section in ["How to join", "How to promote", "Rewards", "Settlement", "Contact"] {
            assert!(plan.contains(section), "{section}");
        }
        assert!(plan.contains("10%"));
    }
}
