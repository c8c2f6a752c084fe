//! Demo data for `partnerline seed --demo`: safe to run twice (each record is created only
//! when missing). Written through the same code paths as the API, so events are published too.

use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use uuid::Uuid;

use crate::IdentityService;
use crate::credentials::hash_password;
use crate::store::{self, UserRow};

pub const ROOT_EMAIL: &str = "root@partnerline.test";
pub const ROOT_PASSWORD: &str = "demo-root";
pub const DEMO_PROGRAM: &str = "demo";
pub const ADMIN_EMAIL: &str = "admin@demo.test";
pub const ADMIN_PASSWORD: &str = "demo-admin";
pub const PARTNER_PASSWORD: &str = "demo-partner";
pub const REP_EMAIL: &str = "sam@demo.test";
pub const REP_PASSWORD: &str = "demo-rep";

/// Creates the demo installation when missing; returns what it created (for the log).
pub async fn demo(svc: &IdentityService) -> anyhow::Result<Vec<String>> {
    let mut created = Vec::new();
    let now = svc.clock.now();
    let mut conn = svc.pool.acquire().await?;
    let root =
        match store::users_by_email(&mut conn, ROOT_EMAIL).await?.into_iter().find(|(u, _)| u.tenant_id.is_none()) {
            Some((u, _)) => u,
            None => {
                let u = UserRow {
                    id: Uuid::now_v7(),
                    tenant_id: None,
                    email: ROOT_EMAIL.into(),
                    name: "Platform admin".into(),
                    password_hash: hash_password(ROOT_PASSWORD.into(), svc.settings.argon2_memory_kib).await?,
                    role: Role::PlatformAdmin.as_str().into(),
                    language: "en".into(),
                    phone: String::new(),
                    created_at: now,
                };
                store::insert_user(&mut conn, &u).await?;
                created.push(format!("platform admin {ROOT_EMAIL}"));
                u
            }
        };
    let root_p = Principal {
        subject: root.id,
        tenant: None,
        role: Role::PlatformAdmin,
        partner: None,
        scopes: vec![],
        suspended: false,
        session: None,
    };
    let tenant = match store::tenant_by_slug(&mut conn, DEMO_PROGRAM).await? {
        Some(t) => t.id,
        None => {
            let t = svc
                .create_tenant_impl(
                    root_p,
                    pb::CreateTenantRequest {
                        slug: DEMO_PROGRAM.into(),
                        name: "Demo Coffee Co.".into(),
                        admin_email: ADMIN_EMAIL.into(),
                        admin_password: ADMIN_PASSWORD.into(),
                        admin_name: "Dana Admin".into(),
                        currency: "EUR".into(),
                    },
                )
                .await?;
            created.push(format!("program {DEMO_PROGRAM} with admin {ADMIN_EMAIL}"));
            Uuid::parse_str(&t.id)?
        }
    };
    drop(conn);
    let admin_id = {
        let mut conn = svc.pool.acquire().await?;
        let users = store::users_by_email(&mut conn, ADMIN_EMAIL).await?;
        users
            .into_iter()
            .find(|(u, _)| u.tenant_id == Some(tenant))
            .map(|(u, _)| u.id)
            .ok_or_else(|| anyhow::anyhow!("demo admin missing"))?
    };
    let admin = Principal {
        subject: admin_id,
        tenant: Some(tenant),
        role: Role::MerchantAdmin,
        partner: None,
        scopes: vec![],
        suspended: false,
        session: None,
    };
    // The demo program reviews applications, so the admin has something to approve.
    svc.update_program_impl(
        admin.clone(),
        pb::UpdateProgramRequest { review_required: Some(true), ..Default::default() },
    )
    .await?;

    // A sales rep, whom leads can be assigned to (LE2).
    let reps = svc.list_users_impl(admin.clone(), pb::ListUsersRequest { role: Some("sales_rep".into()) }).await?;
    if !reps.items.iter().any(|u| u.email == REP_EMAIL) {
        let rep = pb::CreateUserRequest {
            email: REP_EMAIL.into(),
            name: "Sam Sales".into(),
            phone: "+39 02 9876 5432".into(),
            password: REP_PASSWORD.into(),
            role: "sales_rep".into(),
            language: "en".into(),
        };
        svc.create_user_impl(admin.clone(), rep).await?;
        created.push(format!("sales rep {REP_EMAIL}"));
    }

    let ana =
        ensure_partner(svc, &admin, "Ana Rossi", "ana@demo.test", "+39 02 1234 5678", "trusted", None, &mut created)
            .await?;
    ensure_partner(svc, &admin, "Bo Nowak", "bo@demo.test", "+48 22 123 45 67", "standard", None, &mut created).await?;
    ensure_partner(svc, &admin, "Cy Popescu", "cy@demo.test", "+40 21 123 4567", "new", Some(ana), &mut created)
        .await?;

    // One application waiting for review.
    let pending = svc
        .list_applications_impl(
            admin.clone(),
            pb::ListApplicationsRequest { status: Some("pending".into()), limit: 1, cursor: None },
        )
        .await?;
    // An applicant who became a partner (approved meanwhile) is not asked to apply again.
    let dee_is_a_member = {
        let mut tx = platform::db::TenantTx::begin(&svc.pool, tenant).await?;
        let taken = crate::store::email_taken(&mut tx, "dee@demo.test").await?;
        tx.commit().await?;
        taken
    };
    if pending.items.is_empty() && !dee_is_a_member {
        svc.submit_application_impl(pb::SubmitApplicationRequest {
            program: DEMO_PROGRAM.into(),
            name: "Dee Applicant".into(),
            email: "dee@demo.test".into(),
            phone: "+44 20 7946 0000".into(),
            password: PARTNER_PASSWORD.into(),
            message: "I run a coffee blog with 20k readers.".into(),
            invite: None,
            language: "en".into(),
        })
        .await?;
        created.push("a pending application from dee@demo.test".into());
    }
    Ok(created)
}

#[allow(clippy::too_many_arguments)]
async fn ensure_partner(
    svc: &IdentityService,
    admin: &Principal,
    name: &str,
    email: &str,
    phone: &str,
    trust: &str,
    parent: Option<Uuid>,
    created: &mut Vec<String>,
) -> anyhow::Result<Uuid> {
    let found = svc
        .list_partners_impl(
            admin.clone(),
            pb::ListPartnersRequest {
                q: Some(email.into()),
                status: None,
                parent_partner_id: None,
                limit: 5,
                cursor: None,
            },
        )
        .await?;
    if let Some(p) = found.items.iter().find(|p| p.email == email) {
        return Ok(Uuid::parse_str(&p.id)?);
    }
    let p = svc
        .create_partner_impl(
            admin.clone(),
            pb::CreatePartnerRequest {
                name: name.into(),
                email: email.into(),
                phone: phone.into(),
                password: PARTNER_PASSWORD.into(),
                payout_method: Some(pb::PayoutMethod {
                    kind: "paypal".into(),
                    fields: [("email".to_string(), email.to_string())].into_iter().collect(),
                    currency: String::new(),
                }),
                trust_level: Some(trust.into()),
                parent_partner_id: parent.map(|p| p.to_string()),
                commission_plan: None,
                language: Some("en".into()),
            },
        )
        .await
        .map_err(|e: AppError| anyhow::anyhow!("{e}"))?;
    created.push(format!("partner {email}"));
    Ok(Uuid::parse_str(&p.id)?)
}

/// (tenant, partner, user) of a demo partner, for seeding other services.
pub async fn demo_partner(svc: &IdentityService, email: &str) -> anyhow::Result<(Uuid, Uuid, Uuid)> {
    let mut conn = svc.pool.acquire().await?;
    let (user, _) = store::users_by_email(&mut conn, email)
        .await?
        .into_iter()
        .find(|(_, slug)| slug.as_deref() == Some(DEMO_PROGRAM))
        .ok_or_else(|| anyhow::anyhow!("demo partner {email} missing"))?;
    let partner =
        store::partner_by_user(&mut conn, user.id).await?.ok_or_else(|| anyhow::anyhow!("{email} is not a partner"))?;
    Ok((partner.tenant_id, partner.id, user.id))
}

/// (tenant, user) of the demo program's admin, for seeding other services.
pub async fn demo_admin(svc: &IdentityService) -> anyhow::Result<(Uuid, Uuid)> {
    let mut conn = svc.pool.acquire().await?;
    let (user, _) = store::users_by_email(&mut conn, ADMIN_EMAIL)
        .await?
        .into_iter()
        .find(|(_, slug)| slug.as_deref() == Some(DEMO_PROGRAM))
        .ok_or_else(|| anyhow::anyhow!("demo admin missing"))?;
    Ok((user.tenant_id.unwrap_or_default(), user.id))
}
