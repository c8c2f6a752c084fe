#![allow(clippy::unwrap_used)]

use super::*;

fn movement<'a>(credit: &'a str, level: u32) -> Movement<'a> {
    Movement { partner: Uuid::nil(), order: "o-1", level, amount: "12.80", currency: "EUR", credit_account: credit }
}

#[test]
fn n1_an_order_is_news_only_to_a_partner_that_did_not_place_it() {
    let p = Uuid::now_v7();
    let d = Draft::order_attributed("o-1", Some(p), "binding").unwrap();
    assert_eq!((d.recipient, d.kind, d.object_id.as_str()), (Recipient::Partner(p), Kind::OrderAttributed, "o-1"));
    assert_eq!(link(d.kind, &d.object_id), "/orders/o-1");
    assert!(Draft::order_attributed("o-1", Some(p), "placed_by").is_none());
    assert!(Draft::order_attributed("o-1", None, "none").is_none());
}

#[test]
fn n1_a_commission_tells_when_it_is_earned_and_when_it_becomes_available() {
    let earned = Draft::commission("commission.accrued", &movement("partner:x:pending", 0)).unwrap();
    assert_eq!(earned.kind, Kind::CommissionEarned);
    assert_eq!(text(earned.kind, &earned.params), "You earned a commission of 12.80 EUR.");
    assert!(!earned.params.contains_key("level"));
    let team = Draft::commission("commission.accrued", &movement("partner:x:held", 1)).unwrap();
    assert_eq!(team.params["level"], "1");
    let available = Draft::commission("commission.available", &movement("partner:x:available", 0)).unwrap();
    assert_eq!(available.kind, Kind::CommissionAvailable);
    assert!(adds_up(&available) && !adds_up(&earned), "holds end many at once: they add up");
    let mut many = available.params.clone();
    many.insert("count".into(), "3".into());
    assert_eq!(text(Kind::CommissionAvailable, &many), "3 commissions of 12.80 EUR in all are now available.");
    // A recomputation that earns less moves money back to the merchant: nothing to celebrate.
    assert!(Draft::commission("commission.accrued", &movement("merchant:expense", 0)).is_none());
    assert!(Draft::commission("commission.held", &movement("partner:x:held", 0)).is_none());
}

#[test]
fn n1_c10_a_payout_request_goes_to_the_merchant_and_a_payment_to_the_partner() {
    let p = Uuid::now_v7();
    let asked = Draft::payout("payout.requested", p, "pay-1", "50.00", "EUR", "").unwrap();
    assert_eq!(asked.recipient, Recipient::Merchant);
    assert_eq!(text(asked.kind, &asked.params), "A partner asked for a payout of 50.00 EUR.");
    let paid = Draft::payout("payout.paid", p, "pay-1", "50.00", "EUR", "SEPA-1").unwrap();
    assert_eq!((paid.recipient, paid.params["reference"].as_str()), (Recipient::Partner(p), "SEPA-1"));
    assert!(Draft::payout("payout.approved", p, "pay-1", "50.00", "EUR", "").is_none());
}

#[test]
fn n1_le3_a_lead_tells_its_partner_each_status_and_its_rep_the_assignment() {
    let (p, rep) = (Uuid::now_v7(), Uuid::now_v7());
    let moved = Draft::lead("lead.status_changed", "l-1", p, "not_eligible", None).unwrap();
    assert_eq!((moved.recipient, moved.kind), (Recipient::Partner(p), Kind::LeadStatusChanged));
    assert_eq!(text(moved.kind, &moved.params), "Your lead is now not eligible.");
    assert_eq!(link(moved.kind, "l-1"), "/leads/l-1");
    let assigned = Draft::lead("lead.rep_assigned", "l-1", p, "in_progress", Some(rep)).unwrap();
    assert_eq!(assigned.recipient, Recipient::User(rep));
    assert!(Draft::lead("lead.rep_assigned", "l-1", p, "in_progress", None).is_none());
}

#[test]
fn n1_p3_an_approved_application_tells_the_new_partner_and_an_added_partner_nothing() {
    let p = Uuid::now_v7();
    assert_eq!(Draft::application_approved(p, "app-1").unwrap().recipient, Recipient::Partner(p));
    assert!(Draft::application_approved(p, "").is_none());
    let submitted = Draft::application_submitted("app-1", "Dee");
    assert_eq!(text(submitted.kind, &submitted.params), "Dee applied to join the program.");
}

#[test]
fn n1_each_caller_reads_its_own_inboxes_and_an_api_key_none() {
    let user = Uuid::now_v7();
    let partner = Uuid::now_v7();
    let principal = |role, partner| Principal {
        subject: user,
        tenant: Some(Uuid::now_v7()),
        role,
        partner,
        scopes: vec![],
        suspended: false,
        session: None,
    };
    let keys = |p: &Principal| Recipient::of_caller(p).unwrap().into_iter().map(Recipient::key).collect::<Vec<_>>();
    assert_eq!(keys(&principal(Role::Partner, Some(partner))), [format!("partner:{partner}"), format!("user:{user}")]);
    assert_eq!(keys(&principal(Role::MerchantAdmin, None)), ["merchant".to_string(), format!("user:{user}")]);
    assert_eq!(keys(&principal(Role::SalesRep, None)), [format!("user:{user}")]);
    assert_eq!(
        Recipient::of_caller(&principal(Role::Integrator, None)).unwrap_err().kind,
        platform::ErrorKind::Forbidden
    );
}

#[test]
fn n4_a_failed_email_is_tried_again_later_and_later_then_given_up() {
    let waits: Vec<i64> = (1..=9).map(|n| retry_after(n).unwrap().num_minutes()).collect();
    assert_eq!(waits, [1, 5, 15, 30, 60, 120, 240, 480, 600]);
    assert!(waits.windows(2).all(|w| w[0] < w[1]), "each wait is longer");
    assert_eq!(retry_after(10), None, "after ten tries it has failed");
    assert_eq!(retry_after(0).unwrap().num_minutes(), 1);
}

#[test]
fn a1_each_inbox_has_its_topics_and_no_one_turns_off_a_customers_payment_link() {
    let partner = topics(Recipient::Partner(Uuid::nil()));
    let payout = partner.iter().find(|t| t.name == "payout_paid").unwrap();
    assert!(payout.in_app && payout.email);
    let confirmation = partner.iter().find(|t| t.name == "lead_submitted").unwrap();
    assert!(!confirmation.in_app && confirmation.email, "the lead confirmation is an email only");
    for inbox in [Recipient::Partner(Uuid::nil()), Recipient::Merchant, Recipient::User(Uuid::nil())] {
        let names: Vec<&str> = topics(inbox).iter().map(|t| t.name).collect();
        assert!(!names.contains(&"payment_link"), "{names:?}");
        for n in &names {
            let kind = Kind::parse("kind", n).map(|_| ()).or(if *n == "lead_submitted" { Ok(()) } else { Err(()) });
            assert!(kind.is_ok(), "{n} is a notification kind or an email");
        }
    }
    assert!(topics(Recipient::Merchant).iter().all(|t| !t.email));
}
