//! Values people type, parsed once at the edge (parse, don't validate): an `Email` that exists
//! is an email address. Shared by every service, so a phone number is judged the same everywhere.

use crate::AppError;

/// Languages the pages and emails are offered in.
pub const LANGUAGES: &[&str] = &["en", "it", "ro", "pl", "zh"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, AppError> {
        let s = raw.trim().to_lowercase();
        let bad = || AppError::invalid(field, "is not an email address");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';' || c == '<' || c == '>')
            && !domain.contains('@');
        if ok { Ok(Email(s)) } else { Err(bad()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as people write it (+39 02 1234 5678); empty means none.
pub fn parse_phone(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let allowed = s.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let plus_ok = s.rfind('+').is_none_or(|i| i == 0);
    if allowed && plus_ok && (6..=15).contains(&digits) {
        Ok(s.to_string())
    } else {
        Err(AppError::invalid(field, "is not a phone number (6–15 digits, optionally starting with +)"))
    }
}

pub fn parse_name(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 200 {
        return Err(AppError::invalid(field, "must be between 1 and 200 characters"));
    }
    Ok(s.to_string())
}

pub fn parse_language(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim().to_lowercase();
    if s.is_empty() {
        return Ok("en".into());
    }
    if LANGUAGES.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(AppError::invalid(field, format!("must be one of {}", LANGUAGES.join(", "))))
    }
}

/// A closed set of values with their wire names: `as_str`, `parse(field, raw)` (a 422 naming
/// the field and the allowed values), `ALL`.
#[macro_export]
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::AppError> {
                match raw.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::AppError::invalid(field, format!("must be one of {}", Self::ALL.join(", ")))),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(Email::parse("email", "  Ana@Demo.TEST ").unwrap().as_str(), "ana@demo.test");
        for bad in ["", "ana", "ana@", "@demo.test", "ana@demo", "a b@demo.test", "ana@demo.test."] {
            let e = Email::parse("email", bad).unwrap_err();
            assert_eq!(e.errors[0].field, "email", "{bad}");
        }
    }

    #[test]
    fn phones_names_and_languages() {
        assert_eq!(parse_phone("phone", " +39 02 1234 5678 ").unwrap(), "+39 02 1234 5678");
        assert!(parse_phone("phone", "12").is_err());
        assert!(parse_phone("phone", "12+345678").is_err());
        assert_eq!(parse_phone("phone", "").unwrap(), "");
        assert!(parse_name("name", "  ").is_err());
        assert_eq!(parse_language("language", "IT").unwrap(), "it");
        assert_eq!(parse_language("language", "").unwrap(), "en");
        assert!(parse_language("language", "de").unwrap_err().message.contains("en, it, ro, pl, zh"));
    }
}
