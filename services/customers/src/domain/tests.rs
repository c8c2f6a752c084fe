#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn cu1_discount_is_0_to_100_with_two_decimals() {
    assert_eq!(parse_discount("discount_percent", "12.5").unwrap().to_string(), "12.50");
    assert_eq!(parse_discount("discount_percent", "").unwrap().to_string(), "0.00");
    assert_eq!(discount_text(Decimal::ZERO), "0.00");
    assert_eq!(discount_text(Decimal::new(75, 1)), "7.50");
    for bad in ["-1", "100.01", "12.345", "ten", "1e2"] {
        let e = parse_discount("discount_percent", bad).unwrap_err();
        assert_eq!(e.errors[0].field, "discount_percent", "{bad}");
    }
    assert_eq!(parse_discount("d", "100").unwrap().to_string(), "100.00");
}

#[test]
fn cu1_vat_is_trimmed_free_text_and_countries_are_iso_codes() {
    assert_eq!(parse_vat("vat_number", "  IT 01234567890 ").unwrap(), "IT 01234567890");
    let a = Address { country: "it".into(), city: " Milano ".into(), ..Default::default() };
    let a = Address::parse("address", a).unwrap();
    assert_eq!((a.country.as_str(), a.city.as_str()), ("IT", "Milano"));
    let e = Address::parse("address", Address { country: "Italy".into(), ..Default::default() }).unwrap_err();
    assert_eq!(e.errors[0].field, "address.country");
}

#[test]
fn cu3_notes_order_by_priority_then_newest_first() {
    use NotePriority::*;
    let t = |h: i64| DateTime::<Utc>::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap();
    let id = |n: u128| Uuid::from_u128(n);
    // (priority, created, id) -> expected position
    let table = [
        ((None, t(9), id(1)), 4),
        ((High, t(1), id(2)), 1),
        ((Medium, t(5), id(3)), 2),
        ((High, t(3), id(4)), 0),
        ((Medium, t(2), id(5)), 3),
        ((None, t(1), id(6)), 5),
    ];
    let mut notes: Vec<_> = table.iter().map(|(n, _)| *n).collect();
    notes.sort_by(|a, b| note_order(*a, *b));
    for (note, want) in table {
        assert_eq!(notes.iter().position(|n| *n == note).unwrap(), want, "{note:?}");
    }
}
