#![allow(clippy::unwrap_used)]

use chrono::TimeZone;
use platform::Clock;
use proptest::prelude::*;

use super::*;

fn ana() -> Uuid {
    Uuid::from_u128(0xa)
}
fn bo() -> Uuid {
    Uuid::from_u128(0xb)
}
fn day0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn click(partner: Uuid, at: DateTime<Utc>) -> Click {
    Click { partner, partner_active: true, clicker_partner: None, at }
}

/// Applies `clicks` in order, each at the manual clock moved to its day; returns every decision.
fn replay(s: &Settings, clicks: &[(Uuid, i64)]) -> (Option<Binding>, Vec<Decision>) {
    let clock = Clock::manual(day0());
    let mut binding = None;
    let mut out = Vec::new();
    for (partner, day) in clicks {
        clock.set(day0() + Duration::days(*day));
        let now = clock.now();
        let d = decide(s, binding.as_ref(), &click(*partner, now), now);
        binding = d.apply(binding);
        out.push(d);
    }
    (binding, out)
}

fn protected(days: u32) -> Settings {
    Settings { protection_days: Some(days), ..Settings::default() }
}

/// L5, the seed's example: protection 7 days; Ana binds on day 0; Bo on day 2 changes nothing;
/// Ana on day 3 restarts the full period (protected until day 10); Bo on day 9 changes nothing;
/// on day 11 Bo rebinds.
#[test]
fn l5_the_seed_example_day_0_day_3_day_10() {
    let (b, d) = replay(&protected(7), &[(ana(), 0), (bo(), 2), (ana(), 3), (bo(), 9), (bo(), 11)]);
    assert!(matches!(d[0], Decision::Bind(b) if b.partner == ana()));
    assert_eq!(d[1], Decision::Unchanged(Unchanged::Protected { until: day0() + Duration::days(7) }));
    assert!(matches!(d[2], Decision::Refresh(b) if b.partner == ana() && b.since == day0()));
    assert_eq!(d[3], Decision::Unchanged(Unchanged::Protected { until: day0() + Duration::days(10) }));
    assert!(matches!(d[4], Decision::Rebind { from, to } if from == ana() && to.partner == bo()));
    assert_eq!(b.unwrap().since, day0() + Duration::days(11));
}

/// L5: the period lapses at its end exactly.
#[test]
fn l5_protection_lapses_at_its_end() {
    let (_, d) = replay(&protected(7), &[(ana(), 0), (bo(), 7)]);
    assert!(matches!(d[1], Decision::Rebind { .. }));
}

/// L5: switching protection off ends every running period at once.
#[test]
fn l5_switching_protection_off_ends_running_periods() {
    let (b, _) = replay(&protected(7), &[(ana(), 0)]);
    let now = day0() + Duration::days(1);
    let d = decide(&Settings::default(), b.as_ref(), &click(bo(), now), now);
    assert!(matches!(d, Decision::Rebind { .. }));
}

/// L4: the first click binds; without protection the latest click of another partner rebinds.
#[test]
fn l4_the_first_click_binds() {
    let (b, d) = replay(&Settings::default(), &[(ana(), 0)]);
    assert!(matches!(d[0], Decision::Bind(_)));
    assert_eq!(b.unwrap().partner, ana());
    let (b, _) = replay(&Settings::default(), &[(ana(), 0), (bo(), 1)]);
    assert_eq!(b.unwrap().partner, bo());
}

/// L3: `short` attributes for 15 days from the latest click; after that the next click binds
/// afresh. `permanent` keeps the first binding for good.
#[test]
fn l3_short_validity_lapses_and_permanent_keeps_the_first_binding() {
    let s = Settings::default();
    let (b, _) = replay(&s, &[(ana(), 0)]);
    let b = b.unwrap();
    assert!(b.is_valid(&s, day0() + Duration::days(14)));
    assert!(!b.is_valid(&s, day0() + Duration::days(15)));
    let (_, d) = replay(&s, &[(ana(), 0), (ana(), 20)]);
    assert!(
        matches!(d[1], Decision::Bind(b) if b.since == day0() + Duration::days(20)),
        "a lapsed binding starts over"
    );

    let permanent = Settings { validity: Validity::Permanent, ..Settings::default() };
    let (b, d) = replay(&permanent, &[(ana(), 0), (bo(), 1), (bo(), 400)]);
    assert_eq!(d[1], Decision::Unchanged(Unchanged::Permanent));
    assert_eq!(b.unwrap().partner, ana());
    assert!(b.unwrap().is_valid(&permanent, day0() + Duration::days(4000)));
}

/// L6: a partner clicking another partner's link changes nothing while the option is on.
#[test]
fn l6_a_partner_clicking_another_partners_link_changes_nothing() {
    let now = day0();
    let c = Click { clicker_partner: Some(bo()), ..click(ana(), now) };
    assert_eq!(decide(&Settings::default(), None, &c, now), Decision::Unchanged(Unchanged::PartnerClick));
    let off = Settings { ignore_partner_clicks: false, ..Settings::default() };
    assert!(matches!(decide(&off, None, &c, now), Decision::Bind(_)));
}

/// L7: with self-purchase on a partner is bound to itself, outside the protection rules; off,
/// its own link does nothing and its own orders go to nobody.
#[test]
fn l7_self_purchase_binds_a_partner_to_itself() {
    let now = day0() + Duration::days(1);
    let own = Click { clicker_partner: Some(ana()), ..click(ana(), now) };
    let bound_to_bo = Binding { partner: bo(), since: day0(), last_click: day0() };
    let on = Settings { self_purchase: true, protection_days: Some(30), ..Settings::default() };
    assert!(matches!(decide(&on, Some(&bound_to_bo), &own, now), Decision::Rebind { to, .. } if to.partner == ana()));
    assert_eq!(decide(&Settings::default(), None, &own, now), Decision::Unchanged(Unchanged::OwnLink));

    let facts = OrderFacts {
        placed_by: None,
        coupon_partner: None,
        cash_on_delivery: false,
        promotion_type: None,
        binding: Some(Binding { partner: ana(), since: day0(), last_click: day0() }),
        customer_partner: Some(ana()),
        placed_at: now,
    };
    assert_eq!(attribute(&Settings::default(), &facts, |_| true), (None, Reason::None(NoPartner::OwnOrder)));
    assert_eq!(attribute(&on, &facts, |_| true), (Some(ana()), Reason::Binding));
    // Ana buying for herself with Bo's coupon, or with Bo placing the order, is still her own
    // order: Bo earns nothing on it (L6, C6).
    let with_coupon = OrderFacts { coupon_partner: Some(bo()), binding: None, ..facts.clone() };
    assert_eq!(attribute(&on, &with_coupon, |_| true), (Some(ana()), Reason::Binding));
    let placed = OrderFacts { placed_by: Some(bo()), ..with_coupon.clone() };
    assert_eq!(attribute(&Settings::default(), &placed, |_| true), (None, Reason::None(NoPartner::OwnOrder)));
}

/// X8: a customer who becomes a partner leaves its own binding: its orders no longer go to the
/// partner it was bound to, even a permanent binding within validity.
#[test]
fn x8_a_customer_who_becomes_a_partner_leaves_its_binding() {
    let permanent = Settings { validity: Validity::Permanent, ..Settings::default() };
    let facts = OrderFacts {
        placed_by: None,
        coupon_partner: None,
        cash_on_delivery: false,
        promotion_type: None,
        binding: Some(Binding { partner: bo(), since: day0(), last_click: day0() }),
        customer_partner: None,
        placed_at: day0() + Duration::days(40),
    };
    assert_eq!(attribute(&permanent, &facts, |_| true), (Some(bo()), Reason::Binding));
    let became = OrderFacts { customer_partner: Some(ana()), ..facts };
    assert_eq!(attribute(&permanent, &became, |_| true), (None, Reason::None(NoPartner::OwnOrder)));
    let own = Settings { self_purchase: true, ..permanent };
    assert_eq!(attribute(&own, &became, |_| true), (Some(ana()), Reason::Binding));
}

/// P5: a suspended partner's links do not bind, and its bindings stop attributing.
#[test]
fn p5_suspended_partners_links_do_not_bind() {
    let c = Click { partner_active: false, ..click(ana(), day0()) };
    assert_eq!(decide(&Settings::default(), None, &c, day0()), Decision::Unchanged(Unchanged::PartnerSuspended));
    let facts = OrderFacts {
        placed_by: None,
        coupon_partner: None,
        cash_on_delivery: false,
        promotion_type: None,
        binding: Some(Binding { partner: ana(), since: day0(), last_click: day0() }),
        customer_partner: None,
        placed_at: day0(),
    };
    assert_eq!(attribute(&Settings::default(), &facts, |p| p != ana()).1, Reason::None(NoPartner::PartnerSuspended));
}

/// L10, L9, L11: placed-by > coupon > binding within validity > none; never cash on delivery
/// or an excluded promotion.
#[test]
fn l10_precedence_placed_by_coupon_binding_none() {
    let s = Settings { excluded_promotion_types: vec!["auction".into()], ..Settings::default() };
    let carol = Uuid::from_u128(0xc);
    let base = OrderFacts {
        placed_by: Some(ana()),
        coupon_partner: Some(bo()),
        cash_on_delivery: false,
        promotion_type: None,
        binding: Some(Binding { partner: carol, since: day0(), last_click: day0() }),
        customer_partner: None,
        placed_at: day0() + Duration::days(1),
    };
    assert_eq!(attribute(&s, &base, |_| true), (Some(ana()), Reason::PlacedBy));
    let coupon = OrderFacts { placed_by: None, ..base.clone() };
    assert_eq!(attribute(&s, &coupon, |_| true), (Some(bo()), Reason::Coupon));
    let bound = OrderFacts { coupon_partner: None, ..coupon.clone() };
    assert_eq!(attribute(&s, &bound, |_| true), (Some(carol), Reason::Binding));
    let late = OrderFacts { placed_at: day0() + Duration::days(16), ..bound.clone() };
    assert_eq!(attribute(&s, &late, |_| true), (None, Reason::None(NoPartner::BindingExpired)));
    let nobody = OrderFacts { binding: None, ..bound.clone() };
    assert_eq!(attribute(&s, &nobody, |_| true), (None, Reason::None(NoPartner::NotBound)));
    let cod = OrderFacts { cash_on_delivery: true, ..base.clone() };
    assert_eq!(attribute(&s, &cod, |_| true), (None, Reason::None(NoPartner::CashOnDelivery)));
    let auction = OrderFacts { promotion_type: Some("auction".into()), ..base };
    assert_eq!(attribute(&s, &auction, |_| true).1, Reason::None(NoPartner::ExcludedPromotion("auction".into())));
}

fn settings() -> impl Strategy<Value = Settings> {
    (any::<bool>(), prop::option::of(1u32..30), any::<bool>(), any::<bool>()).prop_map(|(perm, prot, l6, l7)| {
        Settings {
            validity: if perm { Validity::Permanent } else { Validity::Short },
            protection_days: prot,
            ignore_partner_clicks: l6,
            self_purchase: l7,
            excluded_promotion_types: Vec::new(),
            fraud: Default::default(),
        }
    })
}

proptest! {
    /// For any sequence of clicks: at most one partner is bound at any time, a live binding moves
    /// only by a Rebind, and a protected binding never moves to another partner (except by L7's own
    /// link, which is outside the protection rules).
    #[test]
    fn bound_to_one_partner_and_protected_bindings_never_move(
        s in settings(),
        clicks in prop::collection::vec((0u8..4, 0i64..48, any::<bool>(), prop::option::of(0u8..4)), 1..40),
    ) {
        let partners: Vec<Uuid> = (1..=4u128).map(Uuid::from_u128).collect();
        let mut hours = 0;
        let mut binding: Option<Binding> = None;
        for (p, gap, active, clicker) in clicks {
            hours += gap * 6;
            let now = day0() + Duration::hours(hours);
            let c = Click {
                partner: partners[p as usize],
                partner_active: active,
                clicker_partner: clicker.map(|c| partners[c as usize]),
                at: now,
            };
            let d = decide(&s, binding.as_ref(), &c, now);
            let after = d.apply(binding);
            // A lapsed short-validity binding is no binding: the next click binds afresh.
            let effective = binding.filter(|b| b.is_valid(&s, now));
            if let (Some(before), Some(after)) = (effective, after)
                && before.partner != after.partner
            {
                prop_assert!(matches!(d, Decision::Rebind { .. }), "only a rebind moves a binding");
                let own_link = c.clicker_partner == Some(c.partner) && s.self_purchase;
                prop_assert!(!before.is_protected(&s, now) || own_link, "a protected binding moved: {:?}", d);
                prop_assert!(s.validity == Validity::Short || !before.is_valid(&s, now) || own_link);
            }
            if let Decision::Unchanged(_) = d {
                prop_assert_eq!(after, binding);
            }
            if !active {
                prop_assert_eq!(after, binding, "suspended partners' links never bind");
            }
            binding = after;
        }
    }
}

#[test]
fn x4_an_email_is_the_same_person_whatever_its_case_and_plus_tag() {
    use crate::domain::email_identity;
    assert_eq!(email_identity(" Ana+Shop@Demo.Test "), "ana@demo.test");
    assert_eq!(email_identity("ana@demo.test"), email_identity("ANA+x+y@demo.test"));
    assert_ne!(email_identity("ana@demo.test"), email_identity("anna@demo.test"));
}

#[test]
fn x4_a_phone_is_its_last_nine_digits_and_a_name_its_words_in_any_order() {
    use crate::domain::{name_identity, phone_identity};
    assert_eq!(phone_identity("+39 333 123 4567"), phone_identity("333-1234567"));
    assert_eq!(phone_identity("0048 (501) 234-567").as_deref(), Some("501234567"));
    assert_ne!(phone_identity("+39 333 123 4567"), phone_identity("+39 333 123 4568"));
    assert_eq!(phone_identity("12-34"), None, "too short to be anyone's");
    assert_eq!(phone_identity(""), None);
    assert_eq!(name_identity("  Rossi   ANA "), name_identity("ana rossi"));
    assert_ne!(name_identity("Ana Rossi"), name_identity("Ana Rossini"));
    assert_eq!(name_identity("   "), None);
}
