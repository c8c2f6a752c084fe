//! Exact money: a `Decimal` amount with an ISO 4217 currency. Never floats.
//!
//! Arithmetic keeps full precision; rounding to the currency's minor unit (half-even) is a
//! separate, explicit step taken only when an amount is written down (a ledger entry, a total).

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// ISO 4217 codes this installation accepts, with their minor-unit exponents.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PEN", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// A currency known to ISO 4217 (and to this installation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency code this installation supports")]
    UnknownCurrency(String),
    #[error("`{0}` is not a decimal amount")]
    BadAmount(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflow")]
    Overflow,
}

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, _)| {
                let b = c.as_bytes();
                Currency([b[0], b[1], b[2]])
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        // The bytes always come from the ASCII table above.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point of the currency's minor unit (EUR 2, JPY 0, KWD 3).
    pub fn minor_units(&self) -> u32 {
        CURRENCIES.iter().find(|(c, _)| c.as_bytes() == self.0).map_or(2, |(_, e)| *e)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount of a currency. Serialized as `{"amount": "12.50", "currency": "EUR"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { amount: Decimal::ZERO, currency }
    }

    /// Parses a decimal string such as `"12.50"`; floats never enter.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let currency = Currency::parse(currency)?;
        let amount = Decimal::from_str_exact(amount.trim()).map_err(|_| MoneyError::BadAmount(amount.to_string()))?;
        Ok(Money { amount, currency })
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_sub(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// Multiplies by a factor (a quantity or a rate) at full precision: no rounding here.
    pub fn checked_mul(self, factor: Decimal) -> Result<Money, MoneyError> {
        let amount = self.amount.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `percent` of this amount (10 means 10%), at full precision.
    pub fn percent(self, percent: Decimal) -> Result<Money, MoneyError> {
        self.checked_mul(percent / Decimal::ONE_HUNDRED)
    }

    /// Rounds half-even to the currency's minor unit: the last step before writing an amount down.
    pub fn round(self) -> Money {
        let amount =
            self.amount.round_dp_with_strategy(self.currency.minor_units(), RoundingStrategy::MidpointNearestEven);
        Money::new(amount.normalize_to(self.currency.minor_units()), self.currency)
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

trait NormalizeTo {
    fn normalize_to(self, dp: u32) -> Decimal;
}

impl NormalizeTo for Decimal {
    /// Shows exactly `dp` decimals ("12.5" EUR → "12.50"), so amounts print the way people write them.
    fn normalize_to(mut self, dp: u32) -> Decimal {
        self.rescale(dp);
        self
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn eur(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    #[test]
    fn currency_codes_are_validated_and_case_insensitive() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
        assert!(matches!(Currency::parse("EURO"), Err(MoneyError::UnknownCurrency(_))));
        assert!(Currency::parse("XYZ").is_err());
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
    }

    #[test]
    fn rounding_is_half_even_to_the_minor_unit() {
        assert_eq!(eur("2.345").round().amount.to_string(), "2.34");
        assert_eq!(eur("2.355").round().amount.to_string(), "2.36");
        assert_eq!(eur("-2.345").round().amount.to_string(), "-2.34");
        assert_eq!(eur("12.5").round().amount.to_string(), "12.50");
        let yen = Money::parse("100.5", "JPY").unwrap().round();
        assert_eq!(yen.amount.to_string(), "100");
        let dinar = Money::parse("1.23450", "KWD").unwrap().round();
        assert_eq!(dinar.amount.to_string(), "1.234");
    }

    #[test]
    fn mixing_currencies_is_refused() {
        let usd = Money::parse("1", "USD").unwrap();
        assert!(matches!(eur("1").checked_add(usd), Err(MoneyError::CurrencyMismatch(..))));
    }

    #[test]
    fn percent_keeps_full_precision_until_rounded() {
        let c = eur("19.99").percent(Decimal::from(15)).unwrap();
        assert_eq!(c.amount, Decimal::from_str("2.9985").unwrap());
        assert_eq!(c.round().amount.to_string(), "3.00");
    }

    #[test]
    fn amounts_serialize_as_strings() {
        let json = serde_json::to_string(&eur("10.10")).unwrap();
        assert_eq!(json, r#"{"amount":"10.10","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, eur("10.10"));
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"ZZZ"}"#).is_err());
    }

    proptest! {
        #[test]
        fn addition_then_subtraction_is_exact(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let x = Money::new(Decimal::new(a, 2), Currency::EUR);
            let y = Money::new(Decimal::new(b, 2), Currency::EUR);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
        }

        #[test]
        fn rounding_moves_at_most_half_a_minor_unit(a in -1_000_000_000_000i64..1_000_000_000_000) {
            let x = Money::new(Decimal::new(a, 5), Currency::EUR);
            let diff = (x.round().amount - x.amount).abs();
            prop_assert!(diff <= Decimal::new(5, 3));
        }
    }
}
