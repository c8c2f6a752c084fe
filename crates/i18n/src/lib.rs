//! Partnerline's words, shared by the web pages and the emails: one Fluent file per language
//! (`locales/<lang>.ftl`), compiled into the binary and parsed once, and how each language writes
//! money, numbers and dates (`format`). A message missing from a language is a test failure,
//! never a blank.

pub mod format;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The product's languages, English first (the fallback).
pub const LANGS: [&str; 5] = ["en", "it", "ro", "pl", "zh"];

/// The Fluent sources, in the order of [`LANGS`].
pub const SOURCES: [&str; 5] = [
    include_str!("../locales/en.ftl"),
    include_str!("../locales/it.ftl"),
    include_str!("../locales/ro.ftl"),
    include_str!("../locales/pl.ftl"),
    include_str!("../locales/zh.ftl"),
];

/// Each language's name in itself, for the switcher.
pub const NATIVE_NAMES: [&str; 5] = ["English", "Italiano", "Română", "Polski", "中文"];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Bundle; 5] {
    static BUNDLES: OnceLock<[Bundle; 5]> = OnceLock::new();
    BUNDLES.get_or_init(|| std::array::from_fn(|i| bundle(LANGS[i], SOURCES[i])))
}

fn bundle(lang: &str, source: &str) -> Bundle {
    // The files are ours and checked by the tests below; a syntax error keeps what did parse.
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, _)| partial);
    let id = lang.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks (U+2068/U+2069) around values would show up in copied text and tests.
    b.set_use_isolating(false);
    let _ = b.add_resource(resource);
    b
}

/// One of [`LANGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(usize);

impl Lang {
    pub const EN: Lang = Lang(0);

    /// `code` when it is one of ours (`it`, `it-IT`, `zh-Hans-CN`...).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        LANGS.iter().position(|l| *l == primary).map(Lang)
    }

    /// The first of ours an `Accept-Language` header asks for, by its q-values.
    pub fn from_accept(header: &str) -> Option<Lang> {
        let mut asked: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut it = part.split(';');
                let lang = Lang::parse(it.next()?)?;
                let q =
                    it.find_map(|p| p.trim().strip_prefix("q=")).map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        asked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        asked.first().map(|a| a.2)
    }

    pub fn code(self) -> &'static str {
        LANGS[self.0]
    }

    pub fn index(self) -> usize {
        self.0
    }

    /// The message `key`; its key itself when missing (the tests make sure none is).
    pub fn t(self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one named value.
    pub fn t1(self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value.to_string()));
        self.format(key, Some(&args))
    }

    /// The message `key` with two named values.
    pub fn t2(self, key: &str, a: (&str, &str), b: (&str, &str)) -> String {
        let mut args = FluentArgs::new();
        args.set(a.0, FluentValue::from(a.1.to_string()));
        args.set(b.0, FluentValue::from(b.1.to_string()));
        self.format(key, Some(&args))
    }

    /// The message `key` with a count, for plurals (`{ $n -> [one] ... *[other] ... }`).
    pub fn count(self, key: &str, n: u64) -> String {
        let mut args = FluentArgs::new();
        args.set("n", FluentValue::from(n));
        self.format(key, Some(&args))
    }

    /// The message `key` with any number of named values.
    pub fn with(self, key: &str, values: &[(&str, &str)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set(*name, FluentValue::from(value.to_string()));
        }
        self.format(key, Some(&args))
    }

    /// The message `key` with a count (`$n`, for plurals) and one named value.
    pub fn count_with(self, key: &str, n: u64, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set("n", FluentValue::from(n));
        args.set(name, FluentValue::from(value.to_string()));
        self.format(key, Some(&args))
    }

    fn format(self, key: &str, args: Option<&FluentArgs>) -> String {
        let b = &bundles()[self.0];
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = self.code(), "missing message");
            return key.to_string();
        };
        let mut errors = Vec::new();
        b.format_pattern(pattern, args, &mut errors).into_owned()
    }
}

/// The message ids of a Fluent source: the lines that start a message (`id = ...`).
pub fn keys(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language_and_every_file_parses() {
        let english = keys(SOURCES[0]);
        assert!(english.len() > 50, "the English file has its messages");
        for (lang, source) in LANGS.iter().zip(SOURCES) {
            if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
                panic!("{lang}.ftl does not parse: {errors:?}");
            }
            let here = keys(source);
            let missing: Vec<_> = english.difference(&here).collect();
            let extra: Vec<_> = here.difference(&english).collect();
            assert!(missing.is_empty(), "{lang}.ftl lacks {missing:?}");
            assert!(extra.is_empty(), "{lang}.ftl has keys English lacks: {extra:?}");
        }
    }

    #[test]
    fn the_language_is_negotiated_from_accept_language() {
        assert_eq!(Lang::from_accept("it-IT,it;q=0.9,en;q=0.8"), Lang::parse("it"));
        assert_eq!(Lang::from_accept("fr-FR, de;q=0.9, pl;q=0.5"), Lang::parse("pl"));
        assert_eq!(Lang::from_accept("en;q=0.2, zh-CN;q=0.8"), Lang::parse("zh"));
        assert_eq!(Lang::from_accept("ro;q=0, fr"), None);
        assert_eq!(Lang::from_accept(""), None);
        assert_eq!(Lang::parse("zh_Hans"), Lang::parse("zh"));
    }

    #[test]
    fn values_and_plurals_are_put_in_without_isolation_marks() {
        let en = Lang::EN;
        assert_eq!(en.count("orders-count", 1), "1 order");
        assert_eq!(en.count("orders-count", 3), "3 orders");
        let pl = Lang::parse("pl").unwrap_or(Lang::EN);
        assert_eq!(pl.count("orders-count", 1), "1 zamówienie");
        assert_eq!(pl.count("orders-count", 2), "2 zamówienia");
        assert_eq!(pl.count("orders-count", 5), "5 zamówień");
        assert_eq!(pl.count("orders-count", 22), "22 zamówienia");
        assert!(!en.t1("hello", "name", "Ana").contains('\u{2068}'));
        assert_eq!(en.t1("hello", "name", "Ana"), "Hello, Ana");
    }
}
