//! Customers' values and rules, pure: no I/O.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use platform::AppError;
use platform::string_enum;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

string_enum!(
    /// CU1, CU2: the two sections of the customer list.
    CustomerStatus { Current = "current", Potential = "potential" }
);
string_enum!(
    /// CU1, CU2
    Temperature { Hot = "hot", Warm = "warm", Cold = "cold", NotInterested = "not_interested" }
);
string_enum!(
    /// CU3: red, yellow, none.
    NotePriority { High = "high", Medium = "medium", None = "none" }
);
string_enum!(
    /// CU4
    CommunicationKind { Call = "call", Email = "email", Meeting = "meeting", Message = "message" }
);

impl NotePriority {
    /// CU3: high first, then medium, then none.
    pub fn rank(self) -> u8 {
        match self {
            NotePriority::High => 0,
            NotePriority::Medium => 1,
            NotePriority::None => 2,
        }
    }
}

/// CU1: no discount, written with two decimals like every stored discount.
pub const NO_DISCOUNT: Decimal = Decimal::from_parts(0, 0, 0, false, 2);

/// CU1: a discount as every answer writes it, with two decimals (the database gives a zero back
/// without any).
pub fn discount_text(d: Decimal) -> String {
    let mut d = d;
    d.rescale(2);
    d.to_string()
}

/// CU1: a discount percent between 0 and 100 with at most two decimals.
pub fn parse_discount(field: &str, raw: &str) -> Result<Decimal, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(NO_DISCOUNT);
    }
    let d = Decimal::from_str_exact(raw)
        .map_err(|_| AppError::invalid(field, "must be a decimal number written as a string, e.g. \"12.50\""))?;
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        return Err(AppError::invalid(field, "must be between 0 and 100"));
    }
    if d.normalize().scale() > 2 {
        return Err(AppError::invalid(field, "may have at most two decimals"));
    }
    let mut d = d;
    d.rescale(2);
    Ok(d)
}

/// CU1: a VAT number is free text, trimmed, at most 50 characters.
pub fn parse_vat(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.chars().count() > 50 {
        return Err(AppError::invalid(field, "must be at most 50 characters"));
    }
    Ok(s.to_string())
}

/// Free text of bounded length (notes, summaries, contact person).
pub fn parse_text(field: &str, raw: &str, min: usize, max: usize) -> Result<String, AppError> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(AppError::invalid(field, format!("must be between {min} and {max} characters")));
    }
    Ok(s.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2, upper case; empty when unknown.
    #[serde(default)]
    pub country: String,
}

impl Address {
    pub fn parse(field: &str, a: Address) -> Result<Address, AppError> {
        let t = |name: &str, v: &str, max: usize| parse_text(&format!("{field}.{name}"), v, 0, max);
        let country = a.country.trim().to_ascii_uppercase();
        let iso = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
        if !country.is_empty() && !iso {
            return Err(AppError::invalid(format!("{field}.country"), "must be a two-letter ISO 3166 country code"));
        }
        Ok(Address {
            line1: t("line1", &a.line1, 200)?,
            line2: t("line2", &a.line2, 200)?,
            city: t("city", &a.city, 100)?,
            postal_code: t("postal_code", &a.postal_code, 20)?,
            region: t("region", &a.region, 100)?,
            country,
        })
    }
}

/// The order notes are listed in (CU3): priority, then newest first, then id for a stable tie.
pub fn note_order(a: (NotePriority, DateTime<Utc>, Uuid), b: (NotePriority, DateTime<Utc>, Uuid)) -> Ordering {
    a.0.rank().cmp(&b.0.rank()).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2))
}

string_enum!(
    /// LE2
    LeadStatus { Submitted = "submitted", InProgress = "in_progress", Won = "won", NotEligible = "not_eligible" }
);

impl LeadStatus {
    /// LE2: `submitted → in_progress → won | not_eligible`; nothing else.
    pub fn next(self) -> &'static [LeadStatus] {
        match self {
            LeadStatus::Submitted => &[LeadStatus::InProgress],
            LeadStatus::InProgress => &[LeadStatus::Won, LeadStatus::NotEligible],
            LeadStatus::Won | LeadStatus::NotEligible => &[],
        }
    }

    pub fn move_to(self, to: LeadStatus) -> Result<LeadStatus, AppError> {
        if self.next().contains(&to) {
            return Ok(to);
        }
        let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        let hint = if allowed.is_empty() { "none: the lead is closed".to_string() } else { allowed.join(" or ") };
        Err(AppError::conflict(
            "illegal_transition",
            format!("a lead cannot go from {} to {}; allowed next: {hint}", self.as_str(), to.as_str()),
        ))
    }
}

/// LE1: a product line such as `plus` or `pos`.
pub fn parse_product_line(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim().to_lowercase();
    let ok = (1..=50).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok { Ok(s) } else { Err(AppError::invalid(field, "must be 1–50 of a-z, 0-9, '-' or '_', e.g. plus or pos")) }
}

/// LE1: an http(s) URL; empty means none.
pub fn parse_url(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let ok = s.len() <= 2000
        && !s.contains(char::is_whitespace)
        && host.is_some_and(|h| h.contains('.') && !h.starts_with('.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(AppError::invalid(field, "must be an http(s) URL, e.g. https://example.com"))
    }
}

#[cfg(test)]
mod lead_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn le2_leads_move_submitted_in_progress_then_won_or_not_eligible_only() {
        use LeadStatus::*;
        assert_eq!(Submitted.move_to(InProgress).unwrap(), InProgress);
        assert_eq!(InProgress.move_to(Won).unwrap(), Won);
        assert_eq!(InProgress.move_to(NotEligible).unwrap(), NotEligible);
        for (from, to) in [
            (Submitted, Won),
            (Submitted, NotEligible),
            (Won, InProgress),
            (NotEligible, Won),
            (InProgress, Submitted),
            (Won, Won),
        ] {
            let e = from.move_to(to).unwrap_err();
            assert_eq!(e.code, "illegal_transition", "{from:?} -> {to:?}");
        }
        assert!(Submitted.move_to(Won).unwrap_err().message.contains("allowed next: in_progress"));
    }

    #[test]
    fn le1_product_lines_and_urls() {
        assert_eq!(parse_product_line("product_line", " POS ").unwrap(), "pos");
        assert!(parse_product_line("product_line", "point of sale").is_err());
        assert_eq!(parse_url("website_url", "https://shop.example.com/x").unwrap(), "https://shop.example.com/x");
        for bad in ["example.com", "ftp://example.com", "https://", "https://localhost", "https://a b.com"] {
            assert!(parse_url("website_url", bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests;
