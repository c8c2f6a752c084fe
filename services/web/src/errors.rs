//! The services explain a refused field in English (`"is not an email address"`, `"must be between
//! 0 and 100"`); the pages show the common explanations in the person's language, with their
//! numbers, and any other as the service wrote it.

use crate::i18n::Lang;

/// A field's explanation as `lang` says it.
pub fn field_message(lang: Lang, english: &str) -> String {
    let m = english.trim();
    let exact = [
        ("is required", "error-required"),
        ("is not an email address", "error-email"),
        ("must not be negative", "error-negative"),
        ("must be more than zero", "error-positive"),
        ("must be in the future", "error-future"),
        ("must be an ISO 4217 code", "error-currency"),
        ("is not a valid IBAN", "error-iban"),
        ("must not contain a NUL character", "error-control"),
        ("must not contain control characters", "error-control"),
    ];
    if let Some((_, key)) = exact.iter().find(|(text, _)| *text == m) {
        return lang.t(key);
    }
    if m.starts_with("must be a decimal number") {
        return lang.t("error-decimal");
    }
    if m.starts_with("must be an http(s) URL") {
        return lang.t("error-url");
    }
    let numbers = |s: &str| -> Option<(String, String)> {
        let (a, b) = s.split_once(" and ")?;
        let ok = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.');
        (ok(a) && ok(b)).then(|| (a.to_string(), b.to_string()))
    };
    if let Some(rest) = m.strip_prefix("must be between ") {
        if let Some((a, b)) = rest.strip_suffix(" characters").and_then(numbers) {
            return lang.t2("error-length-between", ("min", &a), ("max", &b));
        }
        if let Some((a, b)) = numbers(rest) {
            return lang.t2("error-between", ("min", &a), ("max", &b));
        }
    }
    if let Some(n) = m.strip_prefix("must be at most ").and_then(|r| r.strip_suffix(" characters"))
        && n.chars().all(|c| c.is_ascii_digit())
    {
        return lang.t1("error-length-max", "max", n);
    }
    if let Some(rest) = m.strip_prefix("must be at least the program's minimum payout, ")
        && let Some((amount, currency)) = rest.rsplit_once(' ')
    {
        return lang.t1("error-minimum-payout", "amount", crate::format::money(lang, amount, currency));
    }
    english.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_field_errors_are_said_in_the_persons_language_with_their_numbers() {
        let it = Lang::parse("it").unwrap_or(Lang::EN);
        let en = Lang::EN;
        assert_eq!(field_message(en, "is not an email address"), "Enter an email address, like name@example.com.");
        assert_ne!(field_message(it, "is not an email address"), "is not an email address");
        assert_eq!(field_message(en, "must be between 0 and 100"), "Must be between 0 and 100.");
        assert!(
            field_message(it, "must be between 0 and 100").contains("0")
                && field_message(it, "must be between 0 and 100").contains("100")
        );
        assert_eq!(field_message(en, "must be between 8 and 200 characters"), "Must be 8 to 200 characters long.");
        assert_eq!(field_message(en, "must be at most 5000 characters"), "Must be at most 5000 characters long.");
        assert_eq!(
            field_message(it, "must be at least the program's minimum payout, 50.00 EUR"),
            it.t1("error-minimum-payout", "amount", "50,00\u{a0}€")
        );
        assert_eq!(
            field_message(en, "must be a decimal number written as a string, e.g. \"12.50\""),
            en.t("error-decimal")
        );
        // Anything else is shown as the service wrote it.
        assert_eq!(field_message(it, "must be new, standard or trusted"), "must be new, standard or trusted");
        assert_eq!(field_message(it, "must be between x and y"), "must be between x and y");
    }
}
