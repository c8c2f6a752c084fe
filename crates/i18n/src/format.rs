//! Money, numbers and dates as each language writes them, from a small table of CLDR's data for
//! our five languages (docs/decisions/2026-12-02-web-stack.md says why not ICU4X).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::Lang;

/// CLDR's number symbols and currency pattern of one language.
struct Numbers {
    decimal: char,
    group: char,
    /// Polish groups only from five digits (CLDR `minimumGroupingDigits` 2).
    min_grouping: usize,
    /// `¤#,##0.00` (symbol first, no space) or `#,##0.00 ¤`.
    symbol_first: bool,
}

const NUMBERS: [Numbers; 5] = [
    Numbers { decimal: '.', group: ',', min_grouping: 1, symbol_first: true }, // en
    Numbers { decimal: ',', group: '.', min_grouping: 1, symbol_first: false }, // it
    Numbers { decimal: ',', group: '.', min_grouping: 1, symbol_first: false }, // ro
    Numbers { decimal: ',', group: '\u{a0}', min_grouping: 2, symbol_first: false }, // pl
    Numbers { decimal: '.', group: ',', min_grouping: 1, symbol_first: true }, // zh
];

/// A currency's symbol in a language (CLDR's `symbol`, not `narrow`): the code where CLDR has
/// no symbol of its own for it.
fn symbol(lang: Lang, currency: &str) -> String {
    let l = lang.code();
    match (currency, l) {
        ("EUR", _) => "€".into(),
        ("GBP", _) => "£".into(),
        ("USD", "en") => "$".into(),
        ("USD", "zh") => "US$".into(),
        ("CNY", "zh") => "¥".into(),
        ("CNY", "en") => "CN¥".into(),
        ("PLN", "pl") => "zł".into(),
        ("RON", "ro") => "RON".into(),
        ("JPY", "en") => "¥".into(),
        ("JPY", "zh") => "JP¥".into(),
        (code, _) => code.to_string(),
    }
}

/// Digits after the point a currency is written with (ISO 4217 minor units).
fn minor_units(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "HUF" | "CLP" | "ISK" => 0,
        _ => 2,
    }
}

/// `amount` (a decimal string as the services send it) in `currency`, as `lang` writes it:
/// `€1,234.56` (en), `1.234,56 €` (it, ro), `1234,56 €` and `12 345,67 zł` (pl), `€1,234.56` (zh).
pub fn money(lang: Lang, amount: &str, currency: &str) -> String {
    let Ok(value) = amount.trim().parse::<Decimal>() else { return format!("{amount} {currency}") };
    let n = &NUMBERS[lang.index()];
    let value =
        value.round_dp_with_strategy(minor_units(currency), rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let number = decimal(n, value.abs(), minor_units(currency));
    let sym = symbol(lang, currency);
    // After rounding: -0.004 is written 0.00, not -0.00.
    let sign = if value.is_sign_negative() && !value.is_zero() { "-" } else { "" };
    if n.symbol_first {
        // A symbol of letters is set apart from the digits (CLDR's currency spacing).
        let gap = if sym.chars().last().is_some_and(char::is_alphabetic) { "\u{a0}" } else { "" };
        format!("{sign}{sym}{gap}{number}")
    } else {
        format!("{sign}{number}\u{a0}{sym}")
    }
}

/// A plain number (counts) in `lang`'s grouping.
pub fn number(lang: Lang, n: u64) -> String {
    decimal(&NUMBERS[lang.index()], Decimal::from(n), 0)
}

/// A percentage such as `"12.5"` (as the services send it) in `lang`: `12.5%`, `12,5%`, `12,5 %`.
pub fn percent(lang: Lang, value: &str) -> String {
    let Ok(v) = value.trim().parse::<Decimal>() else { return format!("{value}%") };
    let n = &NUMBERS[lang.index()];
    let text = decimal(n, v.normalize(), v.normalize().scale());
    // CLDR: it and zh write `12%`, ro and pl `12 %`.
    match lang.code() {
        "ro" | "pl" => format!("{text}\u{a0}%"),
        _ => format!("{text}%"),
    }
}

fn decimal(n: &Numbers, value: Decimal, scale: u32) -> String {
    let rounded = value.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", scale as usize, rounded);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = int.trim_start_matches('-');
    let mut grouped = String::new();
    let group = digits.len() >= 4 + (n.min_grouping - 1);
    for (i, c) in digits.chars().enumerate() {
        if group && i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(n.group);
        }
        grouped.push(c);
    }
    if frac.is_empty() { grouped } else { format!("{grouped}{}{frac}", n.decimal) }
}

const MONTHS: [[&str; 12]; 5] = [
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
    ["ian.", "feb.", "mar.", "apr.", "mai", "iun.", "iul.", "aug.", "sept.", "oct.", "nov.", "dec."],
    ["sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"],
    ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
];

/// A day as `lang` writes it in CLDR's medium style: `Dec 1, 2026`, `1 dic 2026`, `1 dec. 2026`,
/// `1 gru 2026`, `2026年12月1日`.
pub fn date(lang: Lang, day: NaiveDate) -> String {
    let (d, m, y) = (day.day(), day.month0() as usize, day.year());
    match lang.code() {
        "en" => format!("{} {d}, {y}", MONTHS[0][m]),
        "zh" => format!("{y}年{}月{d}日", m + 1),
        _ => format!("{d} {} {y}", MONTHS[lang.index()][m]),
    }
}

/// A short label of a period's first day for a chart axis: `Dec 1`, `1 dic`, `12月1日`.
pub fn day_month(lang: Lang, day: NaiveDate) -> String {
    let (d, m) = (day.day(), day.month0() as usize);
    match lang.code() {
        "en" => format!("{} {d}", MONTHS[0][m]),
        "zh" => format!("{}月{d}日", m + 1),
        _ => format!("{d} {}", MONTHS[lang.index()][m]),
    }
}

/// A month for a chart axis: `Dec 2026`, `dic 2026`, `2026年12月`.
pub fn month_year(lang: Lang, day: NaiveDate) -> String {
    let (m, y) = (day.month0() as usize, day.year());
    match lang.code() {
        "zh" => format!("{y}年{}月", m + 1),
        _ => format!("{} {y}", MONTHS[lang.index()][m]),
    }
}

/// A timestamp or day as the services send it (RFC 3339 or `YYYY-MM-DD`), as its day in `lang`;
/// the text itself when it is neither.
pub fn when(lang: Lang, raw: &str) -> String {
    if let Ok(t) = raw.parse::<DateTime<Utc>>() {
        return date(lang, t.date_naive());
    }
    match raw.parse::<NaiveDate>() {
        Ok(d) => date(lang, d),
        Err(_) => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(code: &str) -> Lang {
        Lang::parse(code).unwrap_or(Lang::EN)
    }

    #[test]
    fn money_is_written_as_each_language_writes_it() {
        assert_eq!(money(l("en"), "1234.56", "EUR"), "€1,234.56");
        assert_eq!(money(l("it"), "1234.56", "EUR"), "1.234,56\u{a0}€");
        assert_eq!(money(l("ro"), "1234.56", "EUR"), "1.234,56\u{a0}€");
        assert_eq!(money(l("pl"), "1234.56", "EUR"), "1234,56\u{a0}€");
        assert_eq!(money(l("pl"), "12345.6", "PLN"), "12\u{a0}345,60\u{a0}zł");
        assert_eq!(money(l("zh"), "1234.56", "EUR"), "€1,234.56");
        assert_eq!(money(l("zh"), "1234.5", "CNY"), "¥1,234.50");
        assert_eq!(money(l("en"), "1234567.891", "USD"), "$1,234,567.89");
        assert_eq!(money(l("en"), "-12.5", "EUR"), "-€12.50");
        assert_eq!(money(l("it"), "-0.004", "EUR"), "0,00\u{a0}€");
        assert_eq!(money(l("en"), "10", "CHF"), "CHF\u{a0}10.00");
        assert_eq!(money(l("en"), "1500", "JPY"), "¥1,500");
        assert_eq!(money(l("en"), "n/a", "EUR"), "n/a EUR");
    }

    #[test]
    fn numbers_percentages_and_dates_follow_the_language() {
        assert_eq!(number(l("en"), 1_234_567), "1,234,567");
        assert_eq!(number(l("it"), 1234), "1.234");
        assert_eq!(number(l("pl"), 1234), "1234");
        assert_eq!(number(l("pl"), 12345), "12\u{a0}345");
        assert_eq!(number(l("en"), 999), "999");
        assert_eq!(percent(l("en"), "12.50"), "12.5%");
        assert_eq!(percent(l("it"), "12.50"), "12,5%");
        assert_eq!(percent(l("pl"), "10"), "10\u{a0}%");
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        assert_eq!(date(l("en"), d), "Dec 1, 2026");
        assert_eq!(date(l("it"), d), "1 dic 2026");
        assert_eq!(date(l("ro"), d), "1 dec. 2026");
        assert_eq!(date(l("pl"), d), "1 gru 2026");
        assert_eq!(date(l("zh"), d), "2026年12月1日");
        assert_eq!(when(l("zh"), "2026-12-01T09:30:00Z"), "2026年12月1日");
        assert_eq!(when(l("en"), "2026-06-03"), "Jun 3, 2026");
        assert_eq!(day_month(l("zh"), d), "12月1日");
    }
}
