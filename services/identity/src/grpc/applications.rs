//! Applications to join a program (P2, P3, P4): submitted on the public join page, approved at
//! once when review is off, otherwise reviewed by the merchant.

use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use uuid::Uuid;

use super::partners::NewPartner;
use super::program::RECRUITMENT_CLOSED;
use super::{IdentityService, convert, cursor, next_cursor, parse_id};
use crate::credentials::{hash_password, sha256};
use crate::domain::{
    ApplicationStatus, Email, Password, PayoutMethod, TrustLevel, parse_language, parse_name, parse_phone,
};
use crate::events;
use crate::store::{self, ApplicationRow};

impl IdentityService {
    pub(crate) async fn submit_application_impl(
        &self,
        req: pb::SubmitApplicationRequest,
    ) -> Result<pb::Application, AppError> {
        let mut conn = self.pool.acquire().await?;
        let program = store::tenant_by_slug(&mut conn, req.program.trim())
            .await?
            .ok_or_else(|| AppError::not_found("program"))?;
        drop(conn);
        // P2: recruitment switched off refuses every application, invited or not.
        if !program.settings.recruitment_enabled {
            return Err(AppError::conflict("recruitment_closed", RECRUITMENT_CLOSED));
        }
        let name = parse_name("name", &req.name)?;
        let email = Email::parse("email", &req.email)?;
        let phone = parse_phone("phone", &req.phone)?;
        let password = Password::parse("password", &req.password)?;
        let language = parse_language("language", &req.language)?;
        let message = req.message.trim().to_string();
        if message.chars().count() > 5000 {
            return Err(AppError::invalid("message", "must be at most 5000 characters"));
        }
        let hash = hash_password(password.expose().to_string(), self.settings.argon2_memory_kib).await?;
        let now = self.clock.now();

        let mut tx = TenantTx::begin(&self.pool, program.id).await?;
        let invite = match req.invite.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(token) => {
                let i = store::invite_by_hash(&mut tx, &sha256(token))
                    .await?
                    .filter(|i| i.expires_at > now)
                    .ok_or_else(|| AppError::invalid("invite", "this invite link is unknown or has expired"))?;
                Some(i)
            }
        };
        let mut app = ApplicationRow {
            id: Uuid::now_v7(),
            tenant_id: program.id,
            name,
            email: email.as_str().into(),
            phone,
            message,
            language,
            password_hash: hash,
            invite_id: invite.as_ref().map(|i| i.id),
            parent_partner_id: invite.as_ref().map(|i| i.partner_id),
            status: ApplicationStatus::Pending.as_str().into(),
            reason: String::new(),
            reviewed_by: None,
            reviewed_at: None,
            partner_id: None,
            created_at: now,
        };
        // Issue 17: an email that has an account, or an application waiting, is answered as any
        // application is (nothing is stored), so the form tells no one who is a member; the
        // address's owner is told by email instead.
        let repeated = if store::email_taken(&mut tx, email.as_str()).await? {
            Some("account")
        } else if store::pending_application_exists(&mut tx, email.as_str()).await? {
            Some("pending")
        } else {
            None
        };
        if let Some(reason) = repeated {
            let msg = ev::ApplicationRepeated {
                tenant_id: program.id.to_string(),
                email: app.email.clone(),
                reason: reason.into(),
                language: app.language.clone(),
            };
            self.outbox.emit(tx.conn(), program.id, "application", app.id, "repeated", &msg).await?;
            tx.commit().await?;
            return Ok(convert::application(&app));
        }
        if let Err(e) = store::insert_application(&mut tx, &app).await {
            // The same email's application racing this one won: answered alike, nothing kept.
            if platform::error::is_constraint(&e, "applications_one_pending_per_email") {
                return Ok(convert::application(&app));
            }
            return Err(e.into());
        }
        let msg = ev::ApplicationSubmitted {
            tenant_id: program.id.to_string(),
            application_id: app.id.to_string(),
            name: app.name.clone(),
            email: app.email.clone(),
            parent_partner_id: app.parent_partner_id.map(|p| p.to_string()),
            language: app.language.clone(),
        };
        self.outbox.emit(tx.conn(), program.id, "application", app.id, "submitted", &msg).await?;
        if !program.settings.review_required {
            // P3: with review off, applicants are approved at once.
            self.approve(&mut tx, &mut app, None).await?;
        }
        tx.commit().await?;
        Ok(convert::application(&app))
    }

    pub(crate) async fn list_applications_impl(
        &self,
        p: Principal,
        req: pb::ListApplicationsRequest,
    ) -> Result<pb::ApplicationPage, AppError> {
        let tenant = p.require_merchant_or_scope("applications:read")?;
        if let Some(s) = req.status.as_deref() {
            ApplicationStatus::parse("status", s)?;
        }
        let limit = platform::paging::page_size(req.limit);
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut rows =
            store::list_applications(&mut tx, req.status.as_deref(), cursor(req.cursor.as_deref())?, limit + 1).await?;
        tx.commit().await?;
        let next = next_cursor(&mut rows, limit, |r| r.id);
        Ok(pb::ApplicationPage { items: rows.iter().map(convert::application).collect(), next_cursor: next })
    }

    pub(super) async fn approve_application_impl(
        &self,
        p: Principal,
        req: pb::ReviewApplicationRequest,
    ) -> Result<pb::Application, AppError> {
        let tenant = p.require_admin_or_scope("applications:write")?;
        let id = parse_id(&req.id, "application")?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut app = self.pending(&mut tx, id).await?;
        self.approve(&mut tx, &mut app, Some(p.subject)).await?;
        tx.commit().await?;
        Ok(convert::application(&app))
    }

    pub(super) async fn reject_application_impl(
        &self,
        p: Principal,
        req: pb::ReviewApplicationRequest,
    ) -> Result<pb::Application, AppError> {
        let tenant = p.require_admin_or_scope("applications:write")?;
        let id = parse_id(&req.id, "application")?;
        let reason = req.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid("reason", "tell the applicant why, in 1–2000 characters"));
        }
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut app = self.pending(&mut tx, id).await?;
        app.status = ApplicationStatus::Rejected.as_str().into();
        app.reason = reason;
        app.reviewed_by = Some(p.subject);
        app.reviewed_at = Some(self.clock.now());
        store::review_application(&mut tx, &app).await?;
        let msg = ev::ApplicationRejected {
            tenant_id: tenant.to_string(),
            application_id: app.id.to_string(),
            email: app.email.clone(),
            reason: app.reason.clone(),
            language: app.language.clone(),
            actor_user_id: p.subject.to_string(),
        };
        self.outbox.emit(tx.conn(), tenant, "application", app.id, "rejected", &msg).await?;
        tx.commit().await?;
        Ok(convert::application(&app))
    }

    async fn pending(&self, tx: &mut TenantTx<'_>, id: Uuid) -> Result<ApplicationRow, AppError> {
        let app = store::application_for_update(tx, id).await?.ok_or_else(|| AppError::not_found("application"))?;
        if app.status != ApplicationStatus::Pending.as_str() {
            return Err(AppError::conflict(
                "illegal_transition",
                format!("the application is {} already; only pending applications can be reviewed", app.status),
            ));
        }
        Ok(app)
    }

    /// Turns the application into a partner (a sub-partner when it came through an invite, P4).
    async fn approve(
        &self,
        tx: &mut TenantTx<'_>,
        app: &mut ApplicationRow,
        reviewer: Option<uuid::Uuid>,
    ) -> Result<(), AppError> {
        let parent = match app.parent_partner_id {
            Some(id) => store::partner(tx, id).await?.map(|p| p.id),
            None => None,
        };
        let partner = self
            .insert_partner(
                tx,
                NewPartner {
                    name: app.name.clone(),
                    email: Email::parse("email", &app.email)?,
                    phone: app.phone.clone(),
                    password_hash: app.password_hash.clone(),
                    payout_method: PayoutMethod::default(),
                    trust: TrustLevel::New,
                    parent,
                    language: app.language.clone(),
                    commission_plan: None,
                },
            )
            .await?;
        app.status = ApplicationStatus::Approved.as_str().into();
        app.reviewed_by = reviewer;
        app.reviewed_at = Some(self.clock.now());
        app.partner_id = Some(partner.id);
        store::review_application(tx, app).await?;
        let actor = reviewer.unwrap_or(partner.user_id);
        events::partner_approved(&self.outbox, tx.conn(), &partner, Some(app.id), actor).await?;
        Ok(())
    }
}
