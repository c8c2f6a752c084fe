//! A1 (sign-in, refresh, sign-out) and A3 (API keys).

use partnerline_proto::identity::v1 as pb;
use tonic::Code;

use crate::harness::{Identity, req};

#[tokio::test]
async fn a1_login_refresh_rotates_and_logout_ends_the_session() {
    let mut id = Identity::start().await;
    let pair = id.try_login("ADMIN@demo.test ", "demo-admin", None).await.unwrap();
    let me = id.client.get_me(req(pb::Empty {}, &pair.access_token)).await.unwrap().into_inner();
    assert_eq!(
        (me.email.as_str(), me.role.as_str(), me.program_slug.as_deref()),
        ("admin@demo.test", "merchant_admin", Some("demo"))
    );

    let wrong = id.try_login("admin@demo.test", "nope-nope", None).await.unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    let unknown = id.try_login("nobody@demo.test", "demo-admin", None).await.unwrap_err();
    assert_eq!(unknown.message(), wrong.message(), "an unknown email looks like a wrong password");
    let text = id.metrics.render();
    assert!(
        text.contains(
            r#"partnerline_grpc_requests_total{method="/partnerline.identity.v1.Identity/Login",code="16"} 2"#
        ),
        "{text}"
    );

    let next =
        id.client.refresh(pb::RefreshRequest { refresh_token: pair.refresh_token.clone() }).await.unwrap().into_inner();
    assert_ne!(next.refresh_token, pair.refresh_token);
    // The old refresh token is spent; using it again ends the whole family (theft detection).
    let reused = id.client.refresh(pb::RefreshRequest { refresh_token: pair.refresh_token.clone() }).await.unwrap_err();
    assert_eq!(reused.code(), Code::Unauthenticated);
    let after_theft =
        id.client.refresh(pb::RefreshRequest { refresh_token: next.refresh_token.clone() }).await.unwrap_err();
    assert_eq!(after_theft.code(), Code::Unauthenticated);

    let third = id.try_login("admin@demo.test", "demo-admin", None).await.unwrap();
    id.client.logout(pb::LogoutRequest { refresh_token: third.refresh_token.clone() }).await.unwrap();
    assert!(id.client.refresh(pb::RefreshRequest { refresh_token: third.refresh_token }).await.is_err());

    // Access tokens expire with the clock (15 minutes).
    id.clock.advance(chrono::Duration::minutes(16));
    let expired = id.client.get_me(req(pb::Empty {}, &third.access_token)).await.unwrap_err();
    assert_eq!(expired.code(), Code::Unauthenticated);
    id.stop().await;
}

#[tokio::test]
async fn a1_login_attempts_are_rate_limited_per_email() {
    let mut id = Identity::start().await;
    for _ in 0..5 {
        assert_eq!(
            id.try_login("ana@demo.test", "wrong-password", None).await.unwrap_err().code(),
            Code::Unauthenticated
        );
    }
    let limited = id.try_login("ana@demo.test", "demo-partner", None).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted, "even the right password waits");
    assert!(limited.message().contains("too many"));
    id.clock.advance(chrono::Duration::minutes(16));
    assert!(id.try_login("ana@demo.test", "demo-partner", None).await.is_ok(), "the window slides");
    id.stop().await;
}

#[tokio::test]
async fn a3_api_keys_are_scoped_shown_once_and_revocable() {
    let mut id = Identity::start().await;
    let admin = id.login("admin@demo.test", "demo-admin", None).await;
    let bad = id
        .client
        .create_api_key(req(pb::CreateApiKeyRequest { name: "shop".into(), scopes: vec!["everything".into()] }, &admin))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let created = id
        .client
        .create_api_key(req(
            pb::CreateApiKeyRequest { name: "shop".into(), scopes: vec!["partners:read".into()] },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(created.secret.starts_with("plk_"));

    // Stored hashed: the secret appears nowhere in the database.
    let pool = sqlx::PgPool::connect(&id.env.config.database_url("identity")).await.unwrap();
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_keys WHERE secret_hash::text LIKE '%' || $1 || '%' OR prefix = $1",
    )
    .bind(&created.secret)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
    pool.close().await;

    let token = id
        .client
        .exchange_api_key(pb::ExchangeApiKeyRequest { api_key: created.secret.clone() })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    let page = id.client.list_partners(req(pb::ListPartnersRequest::default(), &token)).await.unwrap().into_inner();
    assert_eq!(page.items.len(), 3, "partners:read lists the tenant's partners");
    let denied = id
        .client
        .update_program(req(pb::UpdateProgramRequest { self_purchase: Some(true), ..Default::default() }, &token))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "no program:write scope");

    let key_id = created.key.unwrap().id;
    id.client.revoke_api_key(req(pb::RevokeApiKeyRequest { id: key_id.clone() }, &admin)).await.unwrap();
    let gone = id.client.exchange_api_key(pb::ExchangeApiKeyRequest { api_key: created.secret }).await.unwrap_err();
    assert_eq!(gone.code(), Code::Unauthenticated);
    let listed = id.client.list_api_keys(req(pb::Empty {}, &admin)).await.unwrap().into_inner();
    assert!(listed.items[0].revoked_at.is_some());
    id.stop().await;
}

#[tokio::test]
async fn a1_changing_the_password_needs_the_current_one_and_ends_every_other_session() {
    let mut id = Identity::start().await;
    let first = id.try_login("ana@demo.test", "demo-partner", None).await.unwrap();
    let second = id.try_login("ana@demo.test", "demo-partner", None).await.unwrap();
    let wrong = id
        .client
        .change_password(req(
            pb::ChangePasswordRequest { current_password: "nope-nope".into(), new_password: "brand-new-pw".into() },
            &first.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::InvalidArgument);
    assert!(wrong.message().contains("current_password"));
    let short = id
        .client
        .change_password(req(
            pb::ChangePasswordRequest { current_password: "demo-partner".into(), new_password: "short".into() },
            &first.access_token,
        ))
        .await
        .unwrap_err();
    assert!(short.message().contains("new_password"));

    id.client
        .change_password(req(
            pb::ChangePasswordRequest { current_password: "demo-partner".into(), new_password: "brand-new-pw".into() },
            &first.access_token,
        ))
        .await
        .unwrap();
    // The session that changed it stays; every other one ends.
    let other = id.client.refresh(pb::RefreshRequest { refresh_token: second.refresh_token }).await;
    assert!(other.is_err(), "the other session ends");
    let own = id.client.refresh(pb::RefreshRequest { refresh_token: first.refresh_token }).await;
    assert!(own.is_ok(), "the session that changed the password goes on: {own:?}");
    assert!(id.try_login("ana@demo.test", "demo-partner", None).await.is_err());
    assert!(id.try_login("ana@demo.test", "brand-new-pw", None).await.is_ok());
    id.stop().await;
}

#[tokio::test]
async fn merchant_admins_add_sales_reps_whose_contact_details_are_kept() {
    let mut id = Identity::start().await;
    let admin = id.login("admin@demo.test", "demo-admin", None).await;
    let reps = id
        .client
        .list_users(req(pb::ListUsersRequest { role: Some("sales_rep".into()) }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reps.items.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), vec!["sam@demo.test"], "seeded");
    assert_eq!(reps.items[0].phone, "+39 02 9876 5432");

    let bad = id
        .client
        .create_user(req(
            pb::CreateUserRequest {
                email: "x@demo.test".into(),
                name: "X".into(),
                password: "long-enough".into(),
                role: "partner".into(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert!(bad.message().contains("role"), "{bad:?}");
    let rep = id
        .client
        .create_user(req(
            pb::CreateUserRequest {
                email: "rita@demo.test".into(),
                name: "Rita".into(),
                phone: "+39 333 000 1111".into(),
                password: "rita-password".into(),
                role: "sales_rep".into(),
                language: "it".into(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rep.role, "sales_rep");
    let rita = id.login("rita@demo.test", "rita-password", None).await;
    let me = id.client.get_me(req(pb::Empty {}, &rita)).await.unwrap().into_inner();
    assert_eq!(me.role, "sales_rep");
    // Sales reps cannot add staff; partners cannot even list it.
    let denied = id
        .client
        .create_user(req(
            pb::CreateUserRequest {
                email: "y@demo.test".into(),
                name: "Y".into(),
                password: "long-enough".into(),
                role: "sales_rep".into(),
                ..Default::default()
            },
            &rita,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let ana = id.login("ana@demo.test", "demo-partner", None).await;
    assert_eq!(
        id.client.list_users(req(pb::ListUsersRequest::default(), &ana)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    id.stop().await;
}
