//! Program and partner rules P1–P5, tenant isolation (A2), and the events they publish.

use partnerline_proto::identity::v1 as pb;
use tonic::Code;

use crate::harness::{Identity, req};

fn application(program: &str, email: &str, invite: Option<&str>) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        program: program.into(),
        name: "Eve Applicant".into(),
        email: email.into(),
        phone: String::new(),
        password: "applicant-pw".into(),
        message: "I sell to cafés.".into(),
        invite: invite.map(Into::into),
        language: "it".into(),
    }
}

#[tokio::test]
async fn p1_join_page_shows_the_default_plan_until_the_merchant_writes_one() {
    let mut id = Identity::start().await;
    let (_, admin) = id.program("acme").await;
    let page = id
        .client
        .get_join_page(pb::GetJoinPageRequest { program: "acme".into(), invite: None, tenant_id: None })
        .await
        .unwrap()
        .into_inner();
    assert!(page.open);
    for section in ["How to join", "How to promote", "Rewards", "Settlement", "Contact"] {
        assert!(page.recruitment_plan.contains(section), "{section}");
    }
    id.set_program(
        &admin,
        pb::UpdateProgramRequest { recruitment_plan: Some("Join us: 12% on everything.".into()), ..Default::default() },
    )
    .await;
    let page = id
        .client
        .get_join_page(pb::GetJoinPageRequest { program: "acme".into(), invite: None, tenant_id: None })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.recruitment_plan, "Join us: 12% on everything.");
    let reset =
        id.set_program(&admin, pb::UpdateProgramRequest { reset_recruitment_plan: true, ..Default::default() }).await;
    assert!(reset.recruitment_plan.contains("How to promote"));
    id.stop().await;
}

#[tokio::test]
async fn p2_recruitment_off_refuses_applications_and_invites() {
    let mut id = Identity::start().await;
    let (_, admin) = id.program("closed").await;
    let p = id.partner(&admin, "inviter@closed.test", None).await;
    let partner = id.login("inviter@closed.test", "partner-password", Some("closed")).await;
    let invite =
        id.client.create_invite(req(pb::CreateInviteRequest { valid_days: 0 }, &partner)).await.unwrap().into_inner();
    assert_eq!(invite.partner_id, p.id);

    id.set_program(&admin, pb::UpdateProgramRequest { recruitment_enabled: Some(false), ..Default::default() }).await;
    let page = id
        .client
        .get_join_page(pb::GetJoinPageRequest { program: "closed".into(), invite: None, tenant_id: None })
        .await
        .unwrap()
        .into_inner();
    assert!(!page.open);
    assert!(page.closed_reason.contains("not accepting"));
    for inv in [None, Some(invite.token.as_str())] {
        let e = id.client.submit_application(application("closed", "late@x.test", inv)).await.unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition);
        assert!(e.message().contains("not accepting new partners"));
    }
    id.stop().await;
}

#[tokio::test]
async fn p3_review_on_keeps_applications_pending_until_the_merchant_decides() {
    let mut id = Identity::start().await;
    let (_, admin) = id.program("rev").await;
    id.set_program(&admin, pb::UpdateProgramRequest { review_required: Some(true), ..Default::default() }).await;
    let a = id.client.submit_application(application("rev", "eve@x.test", None)).await.unwrap().into_inner();
    assert_eq!(a.status, "pending");
    assert!(id.try_login("eve@x.test", "applicant-pw", None).await.is_err(), "no account while pending");
    // One pending application per email; a second is answered alike (issue 17: the form tells
    // no one who applied) and not kept.
    let dup = id.client.submit_application(application("rev", "EVE@x.test", None)).await.unwrap().into_inner();
    assert_eq!(dup.status, "pending");
    assert_ne!(dup.id, a.id);
    let pending = id
        .client
        .list_applications(req(
            pb::ListApplicationsRequest { status: Some("pending".into()), limit: 50, cursor: None },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let eves: Vec<_> = pending.items.iter().filter(|x| x.email == "eve@x.test").collect();
    assert_eq!(eves.len(), 1, "{pending:?}");

    let no_reason = id
        .client
        .reject_application(req(pb::ReviewApplicationRequest { id: a.id.clone(), reason: " ".into() }, &admin))
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    let approved = id
        .client
        .approve_application(req(pb::ReviewApplicationRequest { id: a.id.clone(), reason: String::new() }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.status, "approved");
    assert!(approved.partner_id.is_some());
    let again = id
        .client
        .approve_application(req(pb::ReviewApplicationRequest { id: a.id, reason: String::new() }, &admin))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    let token = id.login("eve@x.test", "applicant-pw", Some("rev")).await;
    let me = id.client.get_me(req(pb::Empty {}, &token)).await.unwrap().into_inner();
    assert_eq!(me.role, "partner");
    assert_eq!(me.partner.unwrap().language, "it");

    let b = id.client.submit_application(application("rev", "mallory@x.test", None)).await.unwrap().into_inner();
    let rejected = id
        .client
        .reject_application(req(
            pb::ReviewApplicationRequest { id: b.id, reason: "We only work with cafés in Italy.".into() },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((rejected.status.as_str(), rejected.reason.as_str()), ("rejected", "We only work with cafés in Italy."));

    let subjects = id.published_subjects().await;
    for event in ["application.submitted", "partner.approved", "application.rejected"] {
        assert!(subjects.iter().any(|s| s.ends_with(event)), "{event} in {subjects:?}");
    }
    id.stop().await;
}

#[tokio::test]
async fn p3_review_off_approves_applicants_at_once() {
    let mut id = Identity::start().await;
    id.program("open").await;
    let a = id.client.submit_application(application("open", "quick@x.test", None)).await.unwrap().into_inner();
    assert_eq!(a.status, "approved");
    assert!(id.try_login("quick@x.test", "applicant-pw", Some("open")).await.is_ok());
    id.stop().await;
}

#[tokio::test]
async fn p4_an_approved_invitee_becomes_the_inviters_sub_partner() {
    let mut id = Identity::start().await;
    let (_, admin) = id.program("team").await;
    let parent = id.partner(&admin, "lead@team.test", None).await;
    let lead = id.login("lead@team.test", "partner-password", Some("team")).await;
    let invite =
        id.client.create_invite(req(pb::CreateInviteRequest { valid_days: 7 }, &lead)).await.unwrap().into_inner();
    let page = id
        .client
        .get_join_page(pb::GetJoinPageRequest {
            program: "team".into(),
            invite: Some(invite.token.clone()),
            tenant_id: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.inviting_partner.as_deref(), Some("Partner lead@team.test"));

    let a = id
        .client
        .submit_application(application("team", "sub@team.test", Some(&invite.token)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.parent_partner_id.as_deref(), Some(parent.id.as_str()));
    let child = id
        .client
        .get_partner(req(pb::GetPartnerRequest { id: a.partner_id.clone().unwrap() }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(child.parent_partner_id.as_deref(), Some(parent.id.as_str()));

    // The parent sees its team (A2: read-only results of its sub-partners).
    let team = id.client.list_partners(req(pb::ListPartnersRequest::default(), &lead)).await.unwrap().into_inner();
    assert_eq!(team.items.iter().map(|p| p.email.as_str()).collect::<Vec<_>>(), vec!["sub@team.test"]);
    assert!(id.client.get_partner(req(pb::GetPartnerRequest { id: child.id.clone() }, &lead)).await.is_ok());
    // ... and the child cannot see its parent, nor make the parent its own sub-partner.
    let sub = id.login("sub@team.test", "applicant-pw", Some("team")).await;
    let e = id.client.get_partner(req(pb::GetPartnerRequest { id: parent.id.clone() }, &sub)).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let cycle = id
        .client
        .update_partner(req(
            pb::UpdatePartnerRequest {
                id: parent.id.clone(),
                parent_partner_id: Some(child.id.clone()),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(cycle.code(), Code::InvalidArgument);

    // An expired invite is refused.
    id.clock.advance(chrono::Duration::days(8));
    let late =
        id.client.submit_application(application("team", "late@team.test", Some(&invite.token))).await.unwrap_err();
    assert_eq!(late.code(), Code::InvalidArgument);
    id.stop().await;
}

#[tokio::test]
async fn p5_partner_profile_payout_trust_and_suspension() {
    let mut id = Identity::start().await;
    let (_, admin) = id.program("prof").await;
    let p = id.partner(&admin, "pat@prof.test", None).await;
    assert_eq!((p.trust_level.as_str(), p.status.as_str()), ("new", "active"));
    let me = id.login("pat@prof.test", "partner-password", Some("prof")).await;

    // The partner edits its own payout details (A1) ...
    let bank = pb::PayoutMethod {
        kind: "bank".into(),
        fields: [
            ("iban".to_string(), "DE89 3704 0044 0532 0130 00".to_string()),
            ("account_holder".to_string(), "Pat".to_string()),
        ]
        .into_iter()
        .collect(),
        currency: String::new(),
    };
    let updated = id
        .client
        .update_partner(req(
            pb::UpdatePartnerRequest { id: p.id.clone(), payout_method: Some(bank), ..Default::default() },
            &me,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.payout_method.unwrap().kind, "bank");
    let bad = pb::PayoutMethod { kind: "paypal".into(), ..Default::default() };
    let e = id
        .client
        .update_partner(req(
            pb::UpdatePartnerRequest { id: p.id.clone(), payout_method: Some(bad), ..Default::default() },
            &me,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("payout_method.fields.email"));
    // ... but not its standing.
    let e = id
        .client
        .update_partner(req(
            pb::UpdatePartnerRequest { id: p.id.clone(), trust_level: Some("trusted".into()), ..Default::default() },
            &me,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    let suspended = id
        .client
        .update_partner(req(
            pb::UpdatePartnerRequest {
                id: p.id.clone(),
                status: Some("suspended".into()),
                trust_level: Some("trusted".into()),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((suspended.status.as_str(), suspended.trust_level.as_str()), ("suspended", "trusted"));
    let subjects = id.published_subjects().await;
    assert!(subjects.iter().any(|s| s.ends_with(&"partner.suspended".to_string())), "{subjects:?}");
    id.stop().await;
}

#[tokio::test]
async fn c1_default_rate_above_50_is_stored_as_50_and_reported() {
    let mut id = Identity::start().await;
    let (_, admin) = id.program("rates").await;
    let prog = id
        .set_program(
            &admin,
            pb::UpdateProgramRequest { default_commission_rate: Some("62.5".into()), ..Default::default() },
        )
        .await;
    assert_eq!(prog.settings.unwrap().default_commission_rate, "50");
    assert_eq!(prog.notices[0].code, "rate_capped");
    let bad = id
        .client
        .update_program(req(
            pb::UpdateProgramRequest {
                link_validity: Some("forever".into()),
                self_purchase: Some(true),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let now = id.client.get_program(req(pb::Empty {}, &admin)).await.unwrap().into_inner().settings.unwrap();
    assert!(!now.self_purchase, "an invalid patch changes nothing");
    id.stop().await;
}

#[tokio::test]
async fn a2_a_merchant_admin_of_one_tenant_gets_404_for_every_object_of_another() {
    let mut id = Identity::start().await;
    let (_, admin_a) = id.program("tenant-a").await;
    let (_, admin_b) = id.program("tenant-b").await;
    let pb_partner = id.partner(&admin_b, "p@b.test", None).await;
    id.set_program(&admin_b, pb::UpdateProgramRequest { review_required: Some(true), ..Default::default() }).await;
    let app_b =
        id.client.submit_application(application("tenant-b", "applicant@b.test", None)).await.unwrap().into_inner();
    let key_b = id
        .client
        .create_api_key(req(
            pb::CreateApiKeyRequest { name: "b".into(), scopes: vec!["partners:read".into()] },
            &admin_b,
        ))
        .await
        .unwrap()
        .into_inner()
        .key
        .unwrap();

    let c = &mut id.client;
    let codes = [
        c.get_partner(req(pb::GetPartnerRequest { id: pb_partner.id.clone() }, &admin_a)).await.unwrap_err().code(),
        c.update_partner(req(
            pb::UpdatePartnerRequest { id: pb_partner.id.clone(), name: Some("x".into()), ..Default::default() },
            &admin_a,
        ))
        .await
        .unwrap_err()
        .code(),
        c.approve_application(req(
            pb::ReviewApplicationRequest { id: app_b.id.clone(), reason: String::new() },
            &admin_a,
        ))
        .await
        .unwrap_err()
        .code(),
        c.reject_application(req(pb::ReviewApplicationRequest { id: app_b.id.clone(), reason: "no".into() }, &admin_a))
            .await
            .unwrap_err()
            .code(),
        c.revoke_api_key(req(pb::RevokeApiKeyRequest { id: key_b.id.clone() }, &admin_a)).await.unwrap_err().code(),
    ];
    assert!(codes.iter().all(|c| *c == Code::NotFound), "{codes:?}");
    let listed = c.list_partners(req(pb::ListPartnersRequest::default(), &admin_a)).await.unwrap().into_inner();
    assert!(listed.items.is_empty());
    let apps = c.list_applications(req(pb::ListApplicationsRequest::default(), &admin_a)).await.unwrap().into_inner();
    assert!(apps.items.is_empty());
    // B's objects are untouched.
    let still = c.get_partner(req(pb::GetPartnerRequest { id: pb_partner.id }, &admin_b)).await.unwrap().into_inner();
    assert_eq!(still.name, "Partner p@b.test");
    id.stop().await;
}
