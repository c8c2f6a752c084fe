//! The program settings commissions follows: identity's `ProgramSettings`, carried typed in its
//! events and kept as JSON. Read strictly: a setting commissions cannot read is an error (the
//! event is dead-lettered), never a default that would silently reset a merchant's rates.

use std::str::FromStr;

use anyhow::{Context, anyhow, bail};
use partnerline_proto::identity::v1::ProgramSettings;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::domain::{LeadReward, Program};

fn decimal(field: &str, raw: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(raw.trim()).with_context(|| format!("settings.{field}: `{raw}` is not a decimal"))
}

/// The program identity's settings describe.
pub fn from_settings(s: &ProgramSettings) -> anyhow::Result<Program> {
    let hold = s.hold_periods.as_ref().ok_or_else(|| anyhow!("settings.hold_periods is missing"))?;
    let reward = s.lead_reward.as_ref().ok_or_else(|| anyhow!("settings.lead_reward is missing"))?;
    let value = decimal("lead_reward.value", &reward.value)?;
    let currency = s.currency.trim();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!("settings.currency: `{currency}` is not an ISO 4217 code");
    }
    Ok(Program {
        default_rate: decimal("default_commission_rate", &s.default_commission_rate)?,
        hold_weeks: [hold.new_weeks, hold.standard_weeks, hold.trusted_weeks],
        return_window_days: s.return_window_days,
        physical_return_voids: s.physical_return_voids_commission,
        excluded_promotion_types: s.excluded_promotion_types.clone(),
        team_sales_threshold: decimal("team_sales_threshold", &s.team_sales_threshold)?,
        minimum_payout: decimal("minimum_payout", &s.minimum_payout)?,
        automatic_settlement: match s.settlement_mode.as_str() {
            "manual" => false,
            "automatic" => true,
            other => bail!("settings.settlement_mode: `{other}` is neither manual nor automatic"),
        },
        lead_reward: match reward.kind.as_str() {
            "fixed" => LeadReward::Fixed(value),
            "percent" => LeadReward::Percent(value),
            other => bail!("settings.lead_reward.kind: `{other}` is neither fixed nor percent"),
        },
        currency: currency.to_string(),
    })
}

/// The document kept for `s`, once it reads.
pub fn document(s: &ProgramSettings) -> anyhow::Result<serde_json::Value> {
    from_settings(s)?;
    Ok(serde_json::to_value(s)?)
}

/// The program in a kept document; before identity has told any, the defaults of PRODUCT.md.
pub fn program(doc: Option<&serde_json::Value>) -> anyhow::Result<Program> {
    match doc {
        None => Ok(Program::default()),
        Some(v) => from_settings(&ProgramSettings::deserialize(v).context("the kept program settings")?),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use partnerline_proto::identity::v1::{HoldPeriods, LeadReward as Reward};

    use super::*;

    fn settings() -> ProgramSettings {
        ProgramSettings {
            link_validity: "short".into(),
            default_commission_rate: "12.5".into(),
            hold_periods: Some(HoldPeriods { new_weeks: 10, standard_weeks: 6, trusted_weeks: 4 }),
            settlement_mode: "automatic".into(),
            minimum_payout: "25".into(),
            return_window_days: 30,
            team_sales_threshold: "0".into(),
            lead_reward: Some(Reward { kind: "percent".into(), value: "7".into() }),
            currency: "PLN".into(),
            ..Default::default()
        }
    }

    #[test]
    fn c1_c3_c9_identity_settings_are_read_through_their_kept_document() {
        assert_eq!(program(None).unwrap(), Program::default());
        let p = program(Some(&document(&settings()).unwrap())).unwrap();
        assert_eq!(p.default_rate, Decimal::from_str("12.5").unwrap());
        assert_eq!(p.hold_weeks, [10, 6, 4]);
        assert!(p.automatic_settlement);
        assert_eq!((p.minimum_payout, p.return_window_days), (Decimal::from(25), 30));
        assert_eq!(p.lead_reward, LeadReward::Percent(Decimal::from(7)));
        assert_eq!(p.currency, "PLN");
    }

    /// Settings that do not read are an error naming the setting, never the defaults: a renamed
    /// or garbled field would otherwise reset every merchant's rates and holds.
    #[test]
    fn c1_settings_that_do_not_read_are_refused_not_defaulted() {
        let mut bad = settings();
        bad.default_commission_rate = "ten".into();
        assert!(document(&bad).unwrap_err().to_string().contains("default_commission_rate"));
        let mut bad = settings();
        bad.hold_periods = None;
        assert!(document(&bad).unwrap_err().to_string().contains("hold_periods"));
        let mut bad = settings();
        bad.settlement_mode = "weekly".into();
        assert!(document(&bad).is_err());
        let renamed = serde_json::json!({ "default_rate": "12.5" });
        assert!(program(Some(&renamed)).is_err(), "a field it does not know");
    }
}
