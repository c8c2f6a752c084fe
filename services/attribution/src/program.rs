//! The program settings attribution follows, read from identity's settings document.

use serde::Deserialize;

use crate::domain::{Settings, Validity};

/// The part of identity's `ProgramSettings` JSON that attribution reads; the rest is ignored.
#[derive(Debug, Deserialize)]
#[serde(default)]
struct Document {
    link_validity: String,
    protection_period_days: Option<u32>,
    ignore_partner_clicks_on_partner_links: bool,
    self_purchase: bool,
    excluded_promotion_types: Vec<String>,
}

impl Default for Document {
    fn default() -> Self {
        let s = Settings::default();
        Document {
            link_validity: "short".into(),
            protection_period_days: s.protection_days,
            ignore_partner_clicks_on_partner_links: s.ignore_partner_clicks,
            self_purchase: s.self_purchase,
            excluded_promotion_types: s.excluded_promotion_types,
        }
    }
}

/// The settings in a stored document; the defaults of PRODUCT.md for anything missing.
pub fn settings(doc: Option<&serde_json::Value>) -> Settings {
    let d: Document = doc.and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
    Settings {
        validity: if d.link_validity == "permanent" { Validity::Permanent } else { Validity::Short },
        protection_days: d.protection_period_days.filter(|d| *d > 0),
        ignore_partner_clicks: d.ignore_partner_clicks_on_partner_links,
        self_purchase: d.self_purchase,
        excluded_promotion_types: d.excluded_promotion_types,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn identity_settings_documents_are_read_with_product_defaults() {
        assert_eq!(settings(None), Settings::default());
        let s = settings(Some(&serde_json::json!({
            "link_validity": "permanent", "protection_period_days": 7, "self_purchase": true,
            "excluded_promotion_types": ["auction"], "default_commission_rate": "10"
        })));
        assert_eq!(s.validity, Validity::Permanent);
        assert_eq!(s.protection_days, Some(7));
        assert!(s.self_purchase && s.ignore_partner_clicks);
        assert_eq!(s.excluded_promotion_types, vec!["auction".to_string()]);
    }
}
