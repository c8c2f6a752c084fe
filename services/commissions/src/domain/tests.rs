#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::str::FromStr;

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap() + Duration::days(n)
}

fn ana() -> Uuid {
    Uuid::from_u128(0xa)
}
fn parent() -> Uuid {
    Uuid::from_u128(0xb)
}
fn grandparent() -> Uuid {
    Uuid::from_u128(0xc)
}
fn product(n: u128) -> Uuid {
    Uuid::from_u128(0x100 + n)
}

fn item(n: u128, net: &str) -> Item {
    Item {
        product_id: Some(product(n)),
        category: "coffee".into(),
        physical: true,
        quantity: 1,
        net: d(net),
        product_rate: None,
        coupon_applies: false,
    }
}

/// The seed's order: subtotal 100.00, shipping 10.00, tax 22.00.
fn placed() -> Placed {
    Placed {
        currency: "EUR".into(),
        items: vec![item(1, "60.00"), item(2, "40.00")],
        shipping: d("10.00"),
        tax: d("22.00"),
        total: d("132.00"),
        cash_on_delivery: false,
        wholesale: false,
        promotion_type: None,
        coupon_rate: None,
        coupon_limited: false,
        customer_group_id: None,
        placed_at: day(0),
        reporting: None,
    }
}

fn facts_with(p: Placed) -> Facts {
    let mut f = Facts::default();
    f.apply(Fact::Placed(Box::new(p)));
    f.apply(Fact::Attributed(Attribution { version: 1, partner: Some(ana()), chain: vec![] }));
    f
}

fn program() -> Program {
    Program::default()
}

fn ctx<'a>(program: &'a Program, rules: &'a [Rule]) -> Context<'a> {
    Context { program, rules, trust: &|_| TrustLevel::Trusted, team_ok: &|_| true }
}

fn own(o: &Outcome) -> Decimal {
    o.lines.iter().filter(|l| l.level == 0).map(|l| l.amount).sum()
}

fn rule(priority: i32, pays: Pays, conditions: Conditions) -> Rule {
    Rule {
        id: Uuid::from_u128((i64::from(priority) + 1000) as u128),
        priority,
        level: 0,
        pays,
        of: OverrideOf::Base,
        conditions,
    }
}

fn paid(f: &mut Facts, version: u32, amount: &str) {
    f.apply(Fact::Status { version, status: Status::Paid, amount_paid: d(amount), at: day(0) });
}

#[test]
fn c1_program_default_is_ten_percent_and_rates_are_capped_at_fifty() {
    let p = program();
    let o = commission(&facts_with(placed()), &ctx(&p, &[]));
    assert_eq!((o.base, own(&o), o.lines[0].source), (d("100.00"), d("10.0000"), "default"));
    let greedy = Program { default_rate: d("80"), ..program() };
    assert_eq!(own(&commission(&facts_with(placed()), &ctx(&greedy, &[]))), d("50"));
}

#[test]
fn c1_product_rates_fixed_amounts_and_conditional_rules_apply_by_priority() {
    let p = program();
    // The product's own rate (O1) for its line, the default for the other.
    let mut with_rate = placed();
    with_rate.items[0].product_rate = Some(d("20"));
    assert_eq!(own(&commission(&facts_with(with_rate.clone()), &ctx(&p, &[]))), d("16"));
    // A per-product rule outranks the product's rate; a higher-priority category rule wins.
    let per_product =
        rule(10, Pays::Percent(d("5")), Conditions { product_ids: vec![product(1)], ..Default::default() });
    assert_eq!(own(&commission(&facts_with(with_rate.clone()), &ctx(&p, std::slice::from_ref(&per_product)))), d("7"));
    let category =
        rule(20, Pays::Percent(d("15")), Conditions { categories: vec!["COFFEE".into()], ..Default::default() });
    let o = commission(&facts_with(with_rate.clone()), &ctx(&p, &[per_product.clone(), category.clone()]));
    assert_eq!((own(&o), o.lines[0].rule), (d("15"), Some(category.id)));
    // Fixed per order counts once; fixed per item by quantity.
    let per_order = rule(30, Pays::FixedPerOrder(d("3.50")), Conditions::default());
    assert_eq!(own(&commission(&facts_with(placed()), &ctx(&p, &[per_order]))), d("3.50"));
    let mut two = placed();
    two.items[0].quantity = 2;
    let per_item = rule(30, Pays::FixedPerItem(d("1.25")), Conditions::default());
    assert_eq!(own(&commission(&facts_with(two), &ctx(&p, &[per_item]))), d("3.75"));
    // Order-total threshold and partner tier conditions.
    let big = rule(40, Pays::Percent(d("12")), Conditions { min_order_total: Some(d("500")), ..Default::default() });
    assert_eq!(own(&commission(&facts_with(placed()), &ctx(&p, std::slice::from_ref(&big)))), d("10"));
    let tier =
        rule(40, Pays::Percent(d("12")), Conditions { partner_tier: Some(TrustLevel::Trusted), ..Default::default() });
    assert_eq!(own(&commission(&facts_with(placed()), &ctx(&p, &[tier]))), d("12"));
    // A rule above 50% pays 50%, and fixed amounts never pass 50% of the base either.
    let huge = rule(50, Pays::FixedPerOrder(d("999")), Conditions::default());
    assert_eq!(own(&commission(&facts_with(placed()), &ctx(&p, &[huge]))), d("50"));
}

/// C2, the seed's formula: paid 132.00 − shipping 10.00 − tax 22.00 − refunded 20.00 = 80.00;
/// at 10%, 8.00.
#[test]
fn c2_base_is_paid_minus_shipping_tax_and_refunds() {
    let mut f = facts_with(placed());
    paid(&mut f, 2, "132.00");
    f.apply(Fact::Refunded {
        version: 3,
        refunded_total: d("20.00"),
        amount_paid: d("132.00"),
        physical_returned: false,
    });
    let o = commission(&f, &ctx(&program(), &[]));
    assert_eq!(o.base, d("80.00"));
    assert_eq!(round(own(&o), 2).to_string(), "8.00");
}

#[test]
fn c3_lines_are_pending_then_held_for_the_trust_levels_weeks_then_available() {
    let p = program();
    let mut f = facts_with(placed());
    assert_eq!(phase(&f, &p, TrustLevel::Trusted, day(100)), Phase::Pending);
    f.apply(Fact::Status { version: 6, status: Status::Completed, amount_paid: d("132"), at: day(0) });
    assert_eq!(phase(&f, &p, TrustLevel::Trusted, day(27)), Phase::Held(day(28)));
    assert_eq!(phase(&f, &p, TrustLevel::Trusted, day(28)), Phase::Available);
    assert_eq!(phase(&f, &p, TrustLevel::New, day(28)), Phase::Held(day(56)));
    // Settings outside 4-10 weeks are held to those bounds.
    let odd = Program { hold_weeks: [1, 20, 4], ..program() };
    assert_eq!(odd.hold_until(day(0), TrustLevel::New), day(28));
    assert_eq!(odd.hold_until(day(0), TrustLevel::Standard), day(70));
}

#[test]
fn c4_a_full_refund_before_completion_voids_and_a_partial_one_recomputes() {
    let p = program();
    let mut f = facts_with(placed());
    paid(&mut f, 2, "132.00");
    f.apply(Fact::Refunded {
        version: 3,
        refunded_total: d("50.00"),
        amount_paid: d("132.00"),
        physical_returned: false,
    });
    assert_eq!(own(&commission(&f, &ctx(&p, &[]))), d("5"));
    f.apply(Fact::Refunded {
        version: 4,
        refunded_total: d("132.00"),
        amount_paid: d("132.00"),
        physical_returned: false,
    });
    assert_eq!(commission(&f, &ctx(&p, &[])).none, Some(NoCommission::FullyRefunded));
}

#[test]
fn c5_a_returned_physical_item_zeroes_the_order_and_a_refund_after_payout_claws_back() {
    let mut f = facts_with(placed());
    f.apply(Fact::Refunded { version: 3, refunded_total: d("10"), amount_paid: d("132"), physical_returned: true });
    assert_eq!(commission(&f, &ctx(&program(), &[])).none, Some(NoCommission::PhysicalReturn));
    let lenient = Program { physical_return_voids: false, ..program() };
    assert_eq!(own(&commission(&f, &ctx(&lenient, &[]))), d("9"));
    // 8.00 matured (and maybe paid); the refund makes it 6.00: 2.00 comes back from available.
    let (moves, after) =
        reconcile(Position { matured: d("8.00"), ..Position::default() }, d("6.00"), Some(Phase::Available));
    assert_eq!(
        moves,
        vec![Move { from: Bucket::Available, to: Bucket::Expense, amount: d("2.00"), kind: Kind::Clawback }]
    );
    assert_eq!(after.matured, d("6.00"));
}

/// C6 (with L7): attribution decides own-use orders — to nobody while self-purchase is off, to
/// the partner itself when on — and commissions pays whom attribution names.
#[test]
fn c6_own_use_orders_earn_only_when_attributed_to_the_partner_itself() {
    let mut f = facts_with(placed());
    f.apply(Fact::Attributed(Attribution { version: 2, partner: None, chain: vec![] }));
    assert_eq!(commission(&f, &ctx(&program(), &[])).none, Some(NoCommission::NotAttributed));
    f.apply(Fact::Attributed(Attribution { version: 3, partner: Some(ana()), chain: vec![] }));
    assert_eq!(own(&commission(&f, &ctx(&program(), &[]))), d("10"));
}

#[test]
fn c7_parents_earn_overrides_of_the_base_or_of_the_childs_commission() {
    let mut f = facts_with(placed());
    f.apply(Fact::Attributed(Attribution { version: 2, partner: Some(ana()), chain: vec![parent(), grandparent()] }));
    let p = program();
    // No override rule: only Ana earns.
    assert_eq!(commission(&f, &ctx(&p, &[])).lines.len(), 1);
    let parent_rule = Rule { level: 1, ..rule(1, Pays::Percent(d("5")), Conditions::default()) };
    let grand_rule = Rule {
        id: Uuid::from_u128(77),
        level: 2,
        of: OverrideOf::ChildCommission,
        ..rule(1, Pays::Percent(d("50")), Conditions::default())
    };
    let o = commission(&f, &ctx(&p, &[parent_rule, grand_rule]));
    let lines: Vec<(Uuid, u8, Decimal)> = o.lines.iter().map(|l| (l.partner, l.level, l.amount)).collect();
    assert_eq!(lines, vec![(ana(), 0, d("10")), (parent(), 1, d("5")), (grandparent(), 2, d("2.5"))]);
    assert!(o.lines[1..].iter().all(|l| l.source == "override"));
}

#[test]
fn c8_cash_on_delivery_wholesale_and_excluded_promotions_earn_nothing() {
    let p = Program { excluded_promotion_types: vec!["auction".into()], ..program() };
    let cod = facts_with(Placed { cash_on_delivery: true, ..placed() });
    assert_eq!(commission(&cod, &ctx(&p, &[])).none, Some(NoCommission::CashOnDelivery));
    let wholesale = facts_with(Placed { wholesale: true, ..placed() });
    assert_eq!(commission(&wholesale, &ctx(&p, &[])).none, Some(NoCommission::Wholesale));
    let auction = facts_with(Placed { promotion_type: Some("auction".into()), ..placed() });
    assert_eq!(commission(&auction, &ctx(&p, &[])).none, Some(NoCommission::ExcludedPromotion));
    let mut cancelled = facts_with(placed());
    cancelled.apply(Fact::Status { version: 2, status: Status::Cancelled, amount_paid: d("0"), at: day(1) });
    assert_eq!(commission(&cancelled, &ctx(&p, &[])).none, Some(NoCommission::Cancelled));
}

/// C11: the ledger would accept the move: its kind may take money from `from` to `to`.
fn allowed(m: &Move) -> bool {
    let p = Uuid::nil();
    EntryKind::Line(m.kind).allows(Account::of(p, m.from), Account::of(p, m.to))
}

/// C11: every movement leaves one bucket and reaches another; a line's journey pending → held →
/// available → clawback sums to zero across the buckets.
#[test]
fn c11_reconcile_moves_money_between_buckets_and_the_whole_always_sums_to_zero() {
    let mut all = Vec::new();
    let (m1, p1) = reconcile(Position::default(), d("10.00"), Some(Phase::Pending));
    let (m2, p2) = reconcile(p1, d("8.00"), Some(Phase::Held(day(28))));
    let (m3, p3) = reconcile(p2, d("8.00"), Some(Phase::Available));
    let (m4, p4) = reconcile(p3, d("0"), None);
    for m in [m1.clone(), m2.clone(), m3.clone(), m4.clone()] {
        all.extend(m);
    }
    assert_eq!(m1, vec![Move { from: Bucket::Expense, to: Bucket::Pending, amount: d("10.00"), kind: Kind::Accrued }]);
    assert_eq!(
        m2,
        vec![
            Move { from: Bucket::Pending, to: Bucket::Held, amount: d("10.00"), kind: Kind::Held },
            Move { from: Bucket::Held, to: Bucket::Expense, amount: d("2.00"), kind: Kind::Accrued },
        ]
    );
    assert_eq!(m3, vec![Move { from: Bucket::Held, to: Bucket::Available, amount: d("8.00"), kind: Kind::Available }]);
    assert_eq!(
        m4,
        vec![Move { from: Bucket::Available, to: Bucket::Expense, amount: d("8.00"), kind: Kind::Clawback }]
    );
    assert_eq!(p4, Position::default());
    let b = balances(&all);
    assert!(b.values().all(|v| v.is_zero()), "every bucket is empty again: {b:?}");
    assert!(all.iter().all(allowed), "each move is one its kind may make: {all:?}");
}

#[test]
fn x2_a_coupons_rate_wins_and_a_limited_coupon_counts_only_its_lines() {
    let p = program();
    let mut coupon = placed();
    coupon.coupon_rate = Some(d("12"));
    for i in &mut coupon.items {
        i.coupon_applies = true;
    }
    let per_product = rule(99, Pays::Percent(d("30")), Conditions::default());
    assert_eq!(own(&commission(&facts_with(coupon.clone()), &ctx(&p, &[per_product]))), d("12"));
    // Limited to the first product: only its 60.00 counts (with its share of nothing else).
    coupon.coupon_limited = true;
    coupon.items[1].coupon_applies = false;
    let o = commission(&facts_with(coupon), &ctx(&p, &[]));
    assert_eq!((o.base, own(&o)), (d("60.00"), d("7.2")));
}

#[test]
fn x3_team_overrides_wait_for_the_threshold_and_all_levels_stay_within_fifty_percent() {
    let mut f = facts_with(placed());
    f.apply(Fact::Attributed(Attribution { version: 2, partner: Some(ana()), chain: vec![parent()] }));
    let p = Program { default_rate: d("45"), ..program() };
    let parent_rule = Rule { level: 1, ..rule(1, Pays::Percent(d("20")), Conditions::default()) };
    let rules = [parent_rule];
    let o = commission(&f, &ctx(&p, &rules));
    assert_eq!(o.lines.iter().map(|l| l.amount).collect::<Vec<_>>(), vec![d("45"), d("5")], "capped at 50 in all");
    let below = Context { team_ok: &|_| false, ..ctx(&p, &rules) };
    assert_eq!(commission(&f, &below).lines.len(), 1, "the parent's own sales are below the threshold");
}

#[test]
fn x5_a_hold_never_ends_before_the_return_window_closes() {
    let p = Program { return_window_days: 60, ..program() };
    assert_eq!(p.hold_until(day(0), TrustLevel::Trusted), day(60));
    assert_eq!(program().hold_until(day(0), TrustLevel::Trusted), day(28));
}

#[test]
fn le6_a_won_lead_earns_a_bounty_or_a_percent_of_its_revenue() {
    let fixed = Program { lead_reward: LeadReward::Fixed(d("150")), ..program() };
    assert_eq!(lead_reward(&fixed, d("9999")), d("150"));
    let percent = Program { lead_reward: LeadReward::Percent(d("70")), ..program() };
    assert_eq!(lead_reward(&percent, d("1000")), d("500"), "capped at 50%");
}

#[test]
fn amounts_round_half_even_to_the_minor_unit() {
    assert_eq!(round(d("0.125"), 2).to_string(), "0.12");
    assert_eq!(round(d("0.135"), 2).to_string(), "0.14");
    assert_eq!(round(d("1234.5"), 0).to_string(), "1234");
    assert_eq!(round(d("8"), 2).to_string(), "8.00");
}

/// Every fact one order could produce, in a canonical order.
fn order_events(refund: u32, returned: bool, completes: bool, cancel: bool) -> Vec<Fact> {
    let mut v = vec![
        Fact::Placed(Box::new(placed())),
        Fact::Attributed(Attribution { version: 1, partner: Some(ana()), chain: vec![parent()] }),
        Fact::Status { version: 2, status: Status::Paid, amount_paid: d("132.00"), at: day(0) },
    ];
    if cancel {
        v.push(Fact::Status { version: 3, status: Status::Cancelled, amount_paid: d("132.00"), at: day(1) });
        return v;
    }
    v.push(Fact::Refunded {
        version: 3,
        refunded_total: Decimal::from(refund),
        amount_paid: d("132.00"),
        physical_returned: returned,
    });
    if completes {
        v.push(Fact::Status { version: 4, status: Status::Completed, amount_paid: d("132.00"), at: day(3) });
    }
    v.push(Fact::Attributed(Attribution { version: 2, partner: Some(parent()), chain: vec![grandparent()] }));
    v
}

/// The ledger a sequence of facts leaves: each fact folded in, each line reconciled at `now`.
fn ledger(events: &[Fact], now: DateTime<Utc>) -> (HashMap<(Uuid, u8), Position>, Vec<Move>) {
    let p = program();
    let rules = [Rule { level: 1, ..rule(1, Pays::Percent(d("5")), Conditions::default()) }];
    let mut f = Facts::default();
    let mut positions: HashMap<(Uuid, u8), Position> = HashMap::new();
    let mut moves = Vec::new();
    for e in events {
        f.apply(e.clone());
        let o = commission(&f, &ctx(&p, &rules));
        let ph = phase(&f, &p, TrustLevel::Trusted, now);
        let wanted: HashMap<(Uuid, u8), Decimal> =
            o.lines.iter().map(|l| ((l.partner, l.level), round(l.amount, 2))).collect();
        let keys: Vec<(Uuid, u8)> = positions.keys().copied().chain(wanted.keys().copied()).collect();
        for k in keys {
            let target = wanted.get(&k).copied();
            let pos = positions.get(&k).copied().unwrap_or_default();
            let (m, after) = reconcile(pos, target.unwrap_or_default(), target.map(|_| ph));
            moves.extend(m);
            positions.insert(k, after);
        }
    }
    positions.retain(|_, p| *p != Position::default());
    (positions, moves)
}

proptest! {
    /// (1) Any permutation, with duplicates, of one order's events yields the same ledger.
    #[test]
    fn any_arrival_order_with_duplicates_yields_the_same_ledger(
        refund in 0u32..140,
        returned in any::<bool>(),
        completes in any::<bool>(),
        cancel in any::<bool>(),
        order in proptest::collection::vec(0usize..100, 1..20),
        now_day in 0i64..60,
    ) {
        let canonical = order_events(refund, returned, completes, cancel);
        let mut shuffled = canonical.clone();
        for (i, k) in order.iter().enumerate() {
            let j = k % shuffled.len();
            if i % 3 == 0 {
                let dup = shuffled[j].clone();
                shuffled.push(dup);
            } else {
                let last = shuffled.len() - 1;
                shuffled.swap(j, last);
            }
        }
        let now = day(now_day);
        let (a, _) = ledger(&canonical, now);
        let (b, moves) = ledger(&shuffled, now);
        prop_assert_eq!(&a, &b);
        // (2) each move is one its kind may make, and each bucket's balance is what the
        // positions say.
        prop_assert!(moves.iter().all(allowed), "{:?}", moves);
        let bal = balances(&moves);
        let pending: Decimal = b.values().map(|p| p.pending).sum();
        let held: Decimal = b.values().map(|p| p.held).sum();
        let matured: Decimal = b.values().map(|p| p.matured).sum();
        prop_assert_eq!(bal.get(&Bucket::Pending).copied().unwrap_or_default(), pending);
        prop_assert_eq!(bal.get(&Bucket::Held).copied().unwrap_or_default(), held);
        prop_assert_eq!(bal.get(&Bucket::Available).copied().unwrap_or_default(), matured);
    }

    /// (3) Commission, all levels together, never exceeds 50% of the base.
    #[test]
    fn commission_never_exceeds_half_the_base(
        rate in 0u32..200,
        parent_rate in 0u32..200,
        fixed in 0u32..500,
        nets in proptest::collection::vec(1u32..100_000, 1..5),
        refund in 0u32..1000,
        priority in -5i32..5,
    ) {
        let mut pl = placed();
        pl.items = nets.iter().enumerate().map(|(i, n)| item(i as u128, &format!("{}.{:02}", n / 100, n % 100))).collect();
        let subtotal: Decimal = pl.items.iter().map(|i| i.net).sum();
        pl.total = subtotal + pl.shipping + pl.tax;
        let mut f = facts_with(pl);
        f.apply(Fact::Attributed(Attribution { version: 2, partner: Some(ana()), chain: vec![parent(), grandparent()] }));
        f.apply(Fact::Refunded { version: 3, refunded_total: Decimal::from(refund), amount_paid: Decimal::ZERO, physical_returned: false });
        let p = Program { default_rate: Decimal::from(rate), ..program() };
        let rules = [
            rule(priority, Pays::FixedPerOrder(Decimal::from(fixed)), Conditions { min_order_total: Some(d("500")), ..Default::default() }),
            Rule { level: 1, ..rule(1, Pays::Percent(Decimal::from(parent_rate)), Conditions::default()) },
            Rule { id: Uuid::from_u128(5), level: 2, ..rule(1, Pays::FixedPerItem(Decimal::from(fixed)), Conditions::default()) },
        ];
        let o = commission(&f, &ctx(&p, &rules));
        let total: Decimal = o.lines.iter().map(|l| l.amount).sum();
        prop_assert!(total <= o.base * MAX_RATE / Decimal::ONE_HUNDRED, "{} > 50% of {}", total, o.base);
        prop_assert!(o.lines.iter().all(|l| l.amount >= Decimal::ZERO));
    }
}

#[test]
fn x4_a_flag_holds_the_line_past_its_hold_until_released_and_a_reject_voids_it() {
    let p = program();
    let mut f = facts_with(placed());
    f.apply(Fact::Status { version: 6, status: Status::Completed, amount_paid: d("132"), at: day(0) });
    let signal = Signal { kind: "self_referral".into(), evidence: [("matched".into(), "email".into())].into() };
    f.apply(Fact::Flagged(vec![signal.clone()]));
    f.apply(Fact::Flagged(vec![signal])); // a redelivery adds nothing
    assert_eq!(f.fraud.as_ref().map(|x| x.signals.len()), Some(1));
    assert_eq!(phase(&f, &p, TrustLevel::Trusted, day(27)), Phase::Held(day(28)));
    assert_eq!(phase(&f, &p, TrustLevel::Trusted, day(90)), Phase::Flagged);
    // Held money stays held; money that matured before the flag is not clawed back.
    let held = Position { held: d("8.00"), ..Position::default() };
    assert_eq!(reconcile(held, d("8.00"), Some(Phase::Flagged)), (Vec::new(), held));
    let matured = Position { matured: d("8.00"), ..Position::default() };
    assert_eq!(reconcile(matured, d("8.00"), Some(Phase::Flagged)).0, Vec::new());
    // The first decision stands.
    let mut released = f.clone();
    released.apply(Fact::FlagDecided(Decision::Released));
    released.apply(Fact::FlagDecided(Decision::Rejected));
    assert_eq!(phase(&released, &p, TrustLevel::Trusted, day(90)), Phase::Available);
    assert_eq!(commission(&released, &ctx(&p, &[])).none, None);
    let mut rejected = f;
    rejected.apply(Fact::FlagDecided(Decision::Rejected));
    assert_eq!(commission(&rejected, &ctx(&p, &[])).none, Some(NoCommission::FraudRejected));
}
