//! The caller's password (A1) and the merchant's staff: admins and sales reps.

use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use platform::error::is_constraint;
use uuid::Uuid;

use super::{IdentityService, convert};
use crate::credentials::{hash_password, verify_password};
use crate::domain::{Email, Password, parse_language, parse_name, parse_phone};
use crate::store::{self, UserRow};

fn user(u: &UserRow) -> pb::User {
    pb::User {
        id: u.id.to_string(),
        email: u.email.clone(),
        name: u.name.clone(),
        phone: u.phone.clone(),
        role: u.role.clone(),
        language: u.language.clone(),
        created_at: convert::ts(u.created_at),
    }
}

fn require_admin(p: &Principal) -> Result<Uuid, AppError> {
    if p.role == Role::MerchantAdmin {
        p.tenant()
    } else {
        Err(AppError::forbidden("only a merchant admin manages staff"))
    }
}

impl IdentityService {
    /// A1: a new password needs the current one; every other session of the account ends, the
    /// one that changed it stays signed in.
    pub(super) async fn change_password_impl(
        &self,
        p: Principal,
        req: pb::ChangePasswordRequest,
    ) -> Result<pb::Empty, AppError> {
        if p.role == Role::Integrator {
            return Err(AppError::forbidden("API keys have no password"));
        }
        let new = Password::parse("new_password", &req.new_password)?;
        let mut conn = self.pool.acquire().await?;
        let u = store::user_by_id(&mut conn, p.subject)
            .await?
            .ok_or_else(|| AppError::unauthenticated("this account no longer exists"))?;
        drop(conn);
        if !verify_password(req.current_password, u.password_hash.clone()).await {
            return Err(AppError::invalid("current_password", "is not your current password"));
        }
        let hash = hash_password(new.expose().to_string(), self.settings.argon2_memory_kib).await?;
        let mut tx = self.pool.begin().await?;
        store::set_password(&mut tx, u.id, &hash).await?;
        let sessions = store::revoke_user_sessions(&mut tx, u.id, self.clock.now(), p.session).await?;
        if let Some(tenant) = u.tenant_id {
            let msg = ev::PasswordChanged { tenant_id: tenant.to_string(), user_id: u.id.to_string() };
            self.outbox.emit(&mut tx, tenant, "user", u.id, "password_changed", &msg).await?;
            crate::events::access_revoked(&self.outbox, &mut tx, tenant, u.id, &sessions, None, "password_changed")
                .await?;
        }
        tx.commit().await?;
        Ok(pb::Empty {})
    }

    pub(crate) async fn create_user_impl(
        &self,
        p: Principal,
        req: pb::CreateUserRequest,
    ) -> Result<pb::User, AppError> {
        let tenant = require_admin(&p)?;
        let role = match req.role.trim() {
            "merchant_admin" => Role::MerchantAdmin,
            "sales_rep" => Role::SalesRep,
            _ => return Err(AppError::invalid("role", "must be one of merchant_admin, sales_rep")),
        };
        let email = Email::parse("email", &req.email)?;
        let name = parse_name("name", &req.name)?;
        let phone = parse_phone("phone", &req.phone)?;
        let language = parse_language("language", &req.language)?;
        let password = Password::parse("password", &req.password)?;
        let u = UserRow {
            id: Uuid::now_v7(),
            tenant_id: Some(tenant),
            email: email.as_str().into(),
            name,
            password_hash: hash_password(password.expose().to_string(), self.settings.argon2_memory_kib).await?,
            role: role.as_str().into(),
            language,
            phone,
            created_at: self.clock.now(),
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::insert_user(tx.conn(), &u).await.map_err(|e| {
            if is_constraint(&e, "users_tenant_email_key") {
                AppError::conflict("email_taken", "someone in this program uses this email already").with_field("email")
            } else {
                e.into()
            }
        })?;
        let msg = ev::UserCreated {
            tenant_id: tenant.to_string(),
            user_id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.clone(),
            actor_user_id: p.subject.to_string(),
        };
        self.outbox.emit(tx.conn(), tenant, "user", u.id, "created", &msg).await?;
        tx.commit().await?;
        Ok(user(&u))
    }

    /// Staff of the program; merchants see all of it (partners see a rep's contact on their leads).
    pub(crate) async fn list_users_impl(
        &self,
        p: Principal,
        req: pb::ListUsersRequest,
    ) -> Result<pb::UserList, AppError> {
        let tenant = if p.is_merchant() {
            p.tenant()?
        } else {
            return Err(AppError::forbidden("only merchant staff list staff"));
        };
        let role = req.role.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = role
            && !["merchant_admin", "sales_rep"].contains(&r)
        {
            return Err(AppError::invalid("role", "must be one of merchant_admin, sales_rep"));
        }
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = store::list_staff(&mut tx, role).await?;
        tx.commit().await?;
        Ok(pb::UserList { items: rows.iter().map(user).collect() })
    }
}
