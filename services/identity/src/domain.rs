//! Identity's values and rules, pure: no I/O. Values are parsed once at the edge, so one that
//! exists is valid (`Email`, `Slug`, `Password`...).

pub mod program;

use std::collections::BTreeMap;

use platform::AppError;
use serde::{Deserialize, Serialize};

pub use program::{LinkValidity, ProgramPatch, ProgramSettings, SettlementMode, default_recruitment_plan};

pub use platform::values::{Email, LANGUAGES, parse_language, parse_name, parse_phone};

pub(crate) use platform::string_enum;

/// A program's URL slug: lower-case letters, digits and dashes, 3–40 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Slug, AppError> {
        let s = raw.trim();
        let ok = (3..=40).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Slug(s.to_string()))
        } else {
            Err(AppError::invalid(
                field,
                "must be 3–40 lower-case letters, digits or dashes, not starting or ending with a dash",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–200 characters, not all whitespace.
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Password, AppError> {
        let n = raw.chars().count();
        if !(8..=200).contains(&n) || raw.trim().is_empty() {
            return Err(AppError::invalid(field, "must be between 8 and 200 characters"));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

string_enum!(
    /// Decides the hold period (C3) and, later, fraud checks.
    TrustLevel { New = "new", Standard = "standard", Trusted = "trusted" }
);
string_enum!(
    /// P5: a suspended partner's links stop attributing.
    PartnerStatus { Active = "active", Suspended = "suspended" }
);
string_enum!(ApplicationStatus { Pending = "pending", Approved = "approved", Rejected = "rejected" });
string_enum!(PayoutKind { Bank = "bank", Paypal = "paypal", Custom = "custom" });

/// How a partner is paid (P5): bank (IBAN + holder), PayPal (email) or a custom method with
/// free fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PayoutMethod {
    #[serde(default)]
    pub kind: Option<PayoutKind>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// X6: the ISO 4217 code the partner is paid in (none: the balance's own currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl PayoutMethod {
    pub fn parse(field: &str, kind: &str, fields: BTreeMap<String, String>) -> Result<PayoutMethod, AppError> {
        let fields: BTreeMap<String, String> =
            fields.into_iter().map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
        if kind.trim().is_empty() {
            return if fields.is_empty() {
                Ok(PayoutMethod::default())
            } else {
                Err(AppError::invalid(format!("{field}.kind"), "is required when fields are given"))
            };
        }
        let kind = PayoutKind::parse(&format!("{field}.kind"), kind)?;
        let need = |name: &str| -> Result<&String, AppError> {
            fields
                .get(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| AppError::invalid(format!("{field}.fields.{name}"), "is required"))
        };
        match kind {
            PayoutKind::Bank => {
                need("account_holder")?;
                let iban = need("iban")?;
                if !iban_is_valid(iban) {
                    return Err(AppError::invalid(format!("{field}.fields.iban"), "is not a valid IBAN"));
                }
            }
            PayoutKind::Paypal => {
                Email::parse(&format!("{field}.fields.email"), need("email")?)?;
            }
            PayoutKind::Custom => {
                need("method")?;
            }
        }
        if fields.len() > 20 || fields.iter().any(|(k, v)| k.is_empty() || k.len() > 40 || v.len() > 500) {
            return Err(AppError::invalid(
                format!("{field}.fields"),
                "at most 20 fields, names 1–40 and values up to 500 characters",
            ));
        }
        Ok(PayoutMethod { kind: Some(kind), fields, currency: None })
    }

    /// X6: the method paid in `currency` ("": the balance's own); only a method has one.
    pub fn with_currency(mut self, field: &str, currency: &str) -> Result<PayoutMethod, AppError> {
        let currency = currency.trim();
        if currency.is_empty() {
            self.currency = None;
            return Ok(self);
        }
        if self.kind.is_none() {
            return Err(AppError::invalid(format!("{field}.kind"), "is required when a currency is given"));
        }
        let code = platform::Currency::parse(currency)
            .map_err(|_| AppError::invalid(format!("{field}.currency"), "must be an ISO 4217 code, e.g. PLN"))?;
        self.currency = Some(code.code().to_string());
        Ok(self)
    }
}

/// ISO 13616 check: move the country and check digits to the end, letters to numbers, mod 97 = 1.
pub fn iban_is_valid(raw: &str) -> bool {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if !(15..=34).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let (head, tail) = s.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// A partner may not become its own ancestor (teams are trees).
pub fn parent_would_cycle(partner: uuid::Uuid, new_parent: uuid::Uuid, ancestors_of_new_parent: &[uuid::Uuid]) -> bool {
    partner == new_parent || ancestors_of_new_parent.contains(&partner)
}

#[cfg(test)]
mod tests;
