#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn slugs() {
    assert!(Slug::parse("slug", "demo").is_ok());
    assert!(Slug::parse("slug", "Demo").is_err());
    assert!(Slug::parse("slug", "-demo").is_err());
}

#[test]
fn p5_payout_methods_bank_paypal_custom() {
    let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert!(
        PayoutMethod::parse(
            "payout_method",
            "bank",
            f(&[("iban", "IT60 X054 2811 1010 0000 0123 456"), ("account_holder", "Ana")])
        )
        .is_ok()
    );
    let e = PayoutMethod::parse(
        "payout_method",
        "bank",
        f(&[("iban", "IT60 X054 2811 1010 0000 0123 457"), ("account_holder", "Ana")]),
    )
    .unwrap_err();
    assert_eq!(e.errors[0].field, "payout_method.fields.iban");
    assert!(PayoutMethod::parse("payout_method", "paypal", f(&[("email", "ana@paypal.test")])).is_ok());
    let e = PayoutMethod::parse("payout_method", "paypal", f(&[])).unwrap_err();
    assert_eq!(e.errors[0].field, "payout_method.fields.email");
    assert!(PayoutMethod::parse("payout_method", "custom", f(&[("method", "Wise"), ("account", "ana-wise")])).is_ok());
    let e = PayoutMethod::parse("payout_method", "crypto", f(&[])).unwrap_err();
    assert_eq!(e.errors[0].field, "payout_method.kind");
}

#[test]
fn p4_teams_cannot_form_a_cycle() {
    let (a, b, c) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    assert!(parent_would_cycle(a, a, &[]));
    // c's ancestors are b and a: making c the parent of a would loop.
    assert!(parent_would_cycle(a, c, &[b, a]));
    assert!(!parent_would_cycle(c, a, &[]));
}

#[test]
fn enums_name_their_allowed_values() {
    let e = TrustLevel::parse("trust_level", "gold").unwrap_err();
    assert!(e.message.contains("new, standard, trusted"));
    assert_eq!(PartnerStatus::parse("status", "suspended").unwrap(), PartnerStatus::Suspended);
}
