//! The program settings commissions follows, read from identity's settings document.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::domain::{LeadReward, Program};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Hold {
    new_weeks: Option<u32>,
    standard_weeks: Option<u32>,
    trusted_weeks: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Reward {
    kind: String,
    value: Option<String>,
}

/// The part of identity's `ProgramSettings` JSON that commissions reads; the rest is ignored.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Document {
    default_commission_rate: Option<String>,
    hold_periods: Option<Hold>,
    settlement_mode: Option<String>,
    minimum_payout: Option<String>,
    physical_return_voids_commission: Option<bool>,
    return_window_days: Option<u32>,
    team_sales_threshold: Option<String>,
    lead_reward: Option<Reward>,
    excluded_promotion_types: Option<Vec<String>>,
    currency: Option<String>,
}

fn decimal(v: Option<String>) -> Option<Decimal> {
    v.and_then(|s| Decimal::from_str(s.trim()).ok())
}

/// The program in a stored document; the defaults of PRODUCT.md for anything missing.
pub fn program(doc: Option<&serde_json::Value>) -> Program {
    // Decimals arrive as strings or numbers; read both.
    let doc = doc.map(|v| {
        let mut v = v.clone();
        normalize_numbers(&mut v);
        v
    });
    let d: Document = doc.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let base = Program::default();
    let hold = d.hold_periods.unwrap_or_default();
    Program {
        default_rate: decimal(d.default_commission_rate).unwrap_or(base.default_rate),
        hold_weeks: [
            hold.new_weeks.unwrap_or(base.hold_weeks[0]),
            hold.standard_weeks.unwrap_or(base.hold_weeks[1]),
            hold.trusted_weeks.unwrap_or(base.hold_weeks[2]),
        ],
        return_window_days: d.return_window_days.unwrap_or(base.return_window_days),
        physical_return_voids: d.physical_return_voids_commission.unwrap_or(base.physical_return_voids),
        excluded_promotion_types: d.excluded_promotion_types.unwrap_or_default(),
        team_sales_threshold: decimal(d.team_sales_threshold).unwrap_or(base.team_sales_threshold),
        minimum_payout: decimal(d.minimum_payout).unwrap_or(base.minimum_payout),
        automatic_settlement: d.settlement_mode.as_deref() == Some("automatic"),
        lead_reward: match d.lead_reward {
            Some(r) => {
                let value = decimal(r.value).unwrap_or_default();
                if r.kind == "percent" { LeadReward::Percent(value) } else { LeadReward::Fixed(value) }
            }
            None => base.lead_reward,
        },
        currency: d.currency.filter(|c| c.len() == 3).unwrap_or(base.currency),
    }
}

/// Numbers become strings, so decimals read the same whichever way they were written.
fn normalize_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if !n.is_u64() => *v = serde_json::Value::String(n.to_string()),
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                // Whole numbers that are counts stay numbers.
                if matches!(k.as_str(), "new_weeks" | "standard_weeks" | "trusted_weeks" | "return_window_days") {
                    continue;
                }
                if let serde_json::Value::Number(n) = x {
                    *x = serde_json::Value::String(n.to_string());
                } else {
                    normalize_numbers(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(normalize_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn identity_settings_documents_are_read_with_product_defaults() {
        assert_eq!(program(None), Program::default());
        let p = program(Some(&serde_json::json!({
            "default_commission_rate": "12.5", "hold_periods": {"new_weeks": 10, "standard_weeks": 6, "trusted_weeks": 4},
            "settlement_mode": "automatic", "minimum_payout": 25, "return_window_days": 30,
            "lead_reward": {"kind": "percent", "value": "7"}, "currency": "PLN", "link_validity": "short"
        })));
        assert_eq!(p.default_rate, Decimal::from_str("12.5").unwrap());
        assert_eq!(p.hold_weeks, [10, 6, 4]);
        assert!(p.automatic_settlement);
        assert_eq!((p.minimum_payout, p.return_window_days), (Decimal::from(25), 30));
        assert_eq!(p.lead_reward, LeadReward::Percent(Decimal::from(7)));
        assert_eq!(p.currency, "PLN");
    }
}
