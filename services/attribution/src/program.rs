//! The program settings attribution follows: identity's `ProgramSettings`, carried typed in its
//! events and kept as JSON. Read strictly: a setting attribution cannot read is an error (the
//! event is dead-lettered), never a default that would silently change how links attribute.

use anyhow::{Context, bail};
use partnerline_proto::identity::v1::ProgramSettings;
use serde::Deserialize;

use crate::domain::{Fraud, Settings, Validity};

/// The settings identity's describe.
pub fn from_settings(s: &ProgramSettings) -> anyhow::Result<Settings> {
    Ok(Settings {
        validity: match s.link_validity.as_str() {
            "short" => Validity::Short,
            "permanent" => Validity::Permanent,
            other => bail!("settings.link_validity: `{other}` is neither short nor permanent"),
        },
        protection_days: s.protection_period_days.filter(|d| *d > 0),
        ignore_partner_clicks: s.ignore_partner_clicks_on_partner_links,
        self_purchase: s.self_purchase,
        excluded_promotion_types: s.excluded_promotion_types.clone(),
        // Settings kept before X4 carry no threshold: the defaults stand in.
        fraud: {
            let d = Fraud::default();
            let or = |given: u32, default: u32| if given == 0 { default } else { given };
            Fraud {
                self_referral: s.fraud_self_referral,
                click_spam: s.fraud_click_spam,
                spam_clicks: or(s.fraud_click_spam_clicks, d.spam_clicks),
                spam_window_minutes: or(s.fraud_click_spam_window_minutes, d.spam_window_minutes),
                customer_burst: s.fraud_customer_burst,
                burst_customers: or(s.fraud_customer_burst_customers, d.burst_customers),
                burst_window_minutes: or(s.fraud_customer_burst_window_minutes, d.burst_window_minutes),
            }
        },
    })
}

/// The document kept for `s`, once it reads.
pub fn document(s: &ProgramSettings) -> anyhow::Result<serde_json::Value> {
    from_settings(s)?;
    Ok(serde_json::to_value(s)?)
}

/// The settings in a kept document; before identity has told any, the defaults of PRODUCT.md.
pub fn settings(doc: Option<&serde_json::Value>) -> anyhow::Result<Settings> {
    match doc {
        None => Ok(Settings::default()),
        Some(v) => from_settings(&ProgramSettings::deserialize(v).context("the kept program settings")?),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn l3_l5_l6_l7_identity_settings_are_read_through_their_kept_document() {
        assert_eq!(settings(None).unwrap(), Settings::default());
        let s = ProgramSettings {
            link_validity: "permanent".into(),
            protection_period_days: Some(7),
            ignore_partner_clicks_on_partner_links: true,
            self_purchase: true,
            excluded_promotion_types: vec!["auction".into()],
            ..Default::default()
        };
        let s = settings(Some(&document(&s).unwrap())).unwrap();
        assert_eq!(s.validity, Validity::Permanent);
        assert_eq!(s.protection_days, Some(7));
        assert!(s.self_purchase && s.ignore_partner_clicks);
        assert_eq!(s.excluded_promotion_types, vec!["auction".to_string()]);
    }

    #[test]
    fn l3_settings_that_do_not_read_are_refused_not_defaulted() {
        let bad = ProgramSettings { link_validity: "forever".into(), ..Default::default() };
        assert!(document(&bad).unwrap_err().to_string().contains("link_validity"));
        assert!(settings(Some(&serde_json::json!({ "validity": "short" }))).is_err(), "a field it does not know");
    }
}
