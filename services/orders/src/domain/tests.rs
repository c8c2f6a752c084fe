#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn line(price: &str, qty: u32, kind: ProductKind, coupon: bool) -> CartLine {
    CartLine {
        product_id: Uuid::nil(),
        sku: "SKU".into(),
        name: "Thing".into(),
        category: String::new(),
        kind,
        quantity: qty,
        unit_price: d(price),
        commission_rate: None,
        coupon_applies: coupon,
    }
}

/// O4: every (state, target) pair, against the workflow as the rule writes it.
#[test]
fn o4_every_state_and_target_pair() {
    use OrderStatus::*;
    let all = [PendingPayment, Paid, Confirmed, InProduction, Shipped, Completed, Cancelled];
    let allowed = |from: OrderStatus, to: OrderStatus| -> bool {
        matches!(
            (from, to),
            (PendingPayment, Paid)
                | (Paid, Confirmed)
                | (Confirmed, InProduction)
                | (InProduction, Shipped)
                | (Shipped, Completed)
                | (PendingPayment | Paid | Confirmed | InProduction, Cancelled)
        )
    };
    let mut checked = 0;
    for from in all {
        for to in all {
            let r = from.check_move(to);
            assert_eq!(r.is_ok(), allowed(from, to), "{} -> {}", from.as_str(), to.as_str());
            if let Err(e) = r {
                assert_eq!(e.code, "illegal_transition");
                for next in from.next() {
                    assert!(
                        e.message.contains(next.as_str()),
                        "the error names the allowed next states: {}",
                        e.message
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 49);
}

#[test]
fn o2_totals_of_a_simple_cart() {
    let p = Pricing {
        currency: Currency::parse("EUR").unwrap(),
        customer_discount: d("10"),
        coupon_discount: None,
        shipping: d("5.00"),
        tax_rate: d("22"),
    };
    let t =
        price(vec![line("19.99", 3, ProductKind::Physical, false), line("0.05", 1, ProductKind::Digital, false)], &p);
    assert_eq!(t.subtotal, d("60.02"));
    // 10% of 59.97 = 5.997 -> 6.00; 10% of 0.05 = 0.005 -> 0.00 (half-even)
    assert_eq!(t.discount, d("6.00"));
    assert_eq!(t.shipping, d("5.00"));
    // 22% of 59.02 = 12.9844 -> 12.98
    assert_eq!(t.tax, d("12.98"));
    assert_eq!(t.total, d("72.00"));
}

#[test]
fn o2_digital_only_orders_ship_free() {
    let p = Pricing {
        currency: Currency::parse("EUR").unwrap(),
        customer_discount: Decimal::ZERO,
        coupon_discount: None,
        shipping: d("5.00"),
        tax_rate: Decimal::ZERO,
    };
    let t = price(vec![line("10", 1, ProductKind::Digital, false)], &p);
    assert_eq!(t.shipping, d("0.00"));
    assert_eq!(t.total, d("10.00"));
}

/// X2: a coupon limited to some products discounts only those lines.
#[test]
fn x2_a_coupon_discounts_only_its_lines() {
    let p = Pricing {
        currency: Currency::parse("EUR").unwrap(),
        customer_discount: Decimal::ZERO,
        coupon_discount: Some(d("20")),
        shipping: Decimal::ZERO,
        tax_rate: Decimal::ZERO,
    };
    let t = price(vec![line("100", 1, ProductKind::Digital, true), line("50", 1, ProductKind::Digital, false)], &p);
    assert_eq!(t.lines[0].discount, d("20.00"));
    assert_eq!(t.lines[1].discount, d("0.00"));
    assert_eq!(t.total, d("130.00"));
}

#[test]
fn o6_refunds_never_exceed_what_was_paid() {
    assert!(check_refund(d("10"), d("100"), d("80")).is_ok());
    assert!(check_refund(d("20"), d("100"), d("80")).is_ok());
    let e = check_refund(d("20.01"), d("100"), d("80")).unwrap_err();
    assert_eq!(e.code, "refund_exceeds_paid");
    assert_eq!(e.errors[0].field, "amount");
    assert!(check_refund(Decimal::ZERO, d("100"), Decimal::ZERO).is_err());
    assert!(check_refund(d("1"), Decimal::ZERO, Decimal::ZERO).is_err(), "nothing paid, nothing to refund");
}

#[test]
fn l9_coupons_refuse_with_a_reason() {
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let ok = CouponTerms { active: true, expires_at: now + Duration::days(1), max_uses: 2, uses: 1 };
    assert!(check_coupon(&ok, now).is_ok());
    let code = |c: &CouponTerms| check_coupon(c, now).unwrap_err().code;
    assert_eq!(code(&CouponTerms { expires_at: now, ..ok.clone() }), "coupon_expired");
    assert_eq!(code(&CouponTerms { uses: 2, ..ok.clone() }), "coupon_exhausted");
    assert_eq!(code(&CouponTerms { active: false, ..ok.clone() }), "coupon_disabled");
    assert!(check_coupon(&CouponTerms { max_uses: 0, uses: 1000, ..ok }, now).is_ok(), "0 means no cap");
    assert_eq!(parse_coupon_code(" ana-10 ").unwrap(), "ANA-10");
    assert!(parse_coupon_code("a b").is_err());
    assert!(parse_coupon_code("ab").is_err());
}

#[test]
fn c1_rates_above_fifty_are_capped_with_a_notice() {
    assert_eq!(parse_rate("commission_rate", "12.5").unwrap(), (d("12.50"), None));
    let (r, notice) = parse_rate("commission_rate", "75").unwrap();
    assert_eq!(r, d("50.00"));
    assert!(notice.unwrap().contains("50%"));
    assert!(parse_rate("commission_rate", "-1").is_err());
    assert!(parse_rate("commission_rate", "1.234").is_err());
}

#[test]
fn amounts_respect_the_currency_minor_unit() {
    let eur = Currency::parse("EUR").unwrap();
    let jpy = Currency::parse("JPY").unwrap();
    assert_eq!(parse_amount("base_price", "12.5", eur).unwrap().to_string(), "12.50");
    assert!(parse_amount("base_price", "12.505", eur).is_err());
    assert!(parse_amount("base_price", "12.5", jpy).is_err());
    assert_eq!(parse_amount("base_price", "1200", jpy).unwrap().to_string(), "1200");
    assert!(parse_amount("base_price", "-1", eur).is_err());
    assert!(parse_amount("base_price", "1e3", eur).is_err());
}

/// Lines (price in minor units, quantity, physical, coupon applies), customer discount, coupon
/// discount (hundredths of a percent), shipping (minor units), tax rate (hundredths of a percent).
type Generated = (Vec<(u64, u32, bool, bool)>, u32, Option<u32>, u64, u32);

fn cart() -> impl Strategy<Value = Generated> {
    (
        prop::collection::vec((0u64..1_000_000, 1u32..50, any::<bool>(), any::<bool>()), 1..8),
        0u32..10_000,
        prop::option::of(0u32..10_000),
        0u64..10_000,
        0u32..3_000,
    )
}

proptest! {
    /// O2: in a 2-decimal and a 0-decimal currency, totals always equal the sum of their parts
    /// after rounding, every amount is written to the minor unit, and no line goes below zero.
    #[test]
    fn o2_totals_add_up_in_eur_and_jpy((lines, disc, coupon, ship, tax) in cart(), jpy in any::<bool>()) {
        let currency = Currency::parse(if jpy { "JPY" } else { "EUR" }).unwrap();
        let dp = currency.minor_units();
        let lines: Vec<CartLine> = lines
            .into_iter()
            .map(|(cents, qty, physical, coupon)| CartLine {
                unit_price: Decimal::new(cents as i64, dp),
                ..line("0", qty, if physical { ProductKind::Physical } else { ProductKind::Digital }, coupon)
            })
            .collect();
        let p = Pricing {
            currency,
            customer_discount: Decimal::new(disc as i64, 2),
            coupon_discount: coupon.map(|c| Decimal::new(c as i64, 2)),
            shipping: Decimal::new(ship as i64, dp),
            tax_rate: Decimal::new(tax as i64, 2),
        };
        let t = price(lines, &p);
        prop_assert_eq!(t.total, t.subtotal - t.discount + t.shipping + t.tax);
        prop_assert_eq!(t.subtotal, t.lines.iter().map(|l| l.line_total).sum::<Decimal>());
        prop_assert_eq!(t.discount, t.lines.iter().map(|l| l.discount).sum::<Decimal>());
        for amount in [t.subtotal, t.discount, t.shipping, t.tax, t.total] {
            prop_assert!(amount.scale() == dp, "{} is written with {} decimals", amount, dp);
            prop_assert!(amount >= Decimal::ZERO);
        }
        for l in &t.lines {
            prop_assert_eq!(l.net, l.line_total - l.discount);
            prop_assert!(l.net >= Decimal::ZERO);
        }
    }
}

/// O4, O8: an imported status change walks the workflow, or is refused when it cannot.
#[test]
fn o8_status_changes_walk_the_workflow() {
    use OrderStatus::*;
    assert_eq!(PendingPayment.path_to(Shipped).unwrap(), vec![Paid, Confirmed, InProduction, Shipped]);
    assert_eq!(Paid.path_to(Cancelled).unwrap(), vec![Cancelled]);
    assert_eq!(Completed.path_to(Completed).unwrap(), Vec::<OrderStatus>::new());
    assert!(Shipped.path_to(Cancelled).is_none());
    assert!(Completed.path_to(Paid).is_none());
    assert!(Cancelled.path_to(Paid).is_none());
}
