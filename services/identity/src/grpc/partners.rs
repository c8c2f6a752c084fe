//! Partners and teams (P4, P5). A partner reaches itself and, read-only, its team; merchants
//! reach every partner of their tenant and nothing of another (A2).

use std::collections::BTreeMap;

use chrono::Duration;
use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use platform::error::is_constraint;
use sqlx::types::Json;
use uuid::Uuid;

use super::{IdentityService, convert, cursor, next_cursor, parse_id};
use crate::credentials::{hash_password, random_token, sha256};
use crate::domain::{
    Email, PartnerStatus, Password, PayoutMethod, TrustLevel, parent_would_cycle, parse_language, parse_name,
    parse_phone,
};
use crate::events;
use crate::store::{self, PartnerFilter, PartnerRow, UserRow};

fn payout(field: &str, m: Option<pb::PayoutMethod>) -> Result<PayoutMethod, AppError> {
    match m {
        None => Ok(PayoutMethod::default()),
        Some(m) => PayoutMethod::parse(field, &m.kind, m.fields.into_iter().collect::<BTreeMap<_, _>>())?
            .with_currency(field, &m.currency),
    }
}

fn email_conflict(e: sqlx::Error) -> AppError {
    if is_constraint(&e, "users_tenant_email_key") || is_constraint(&e, "partners_tenant_email_key") {
        AppError::conflict("email_taken", "someone in this program uses this email already").with_field("email")
    } else {
        e.into()
    }
}

impl IdentityService {
    /// Which of the ids are partners of the caller's program; ids that are no ids are not.
    pub(crate) async fn known_partners_impl(
        &self,
        p: Principal,
        req: pb::KnownPartnersRequest,
    ) -> Result<pb::KnownPartnersReply, AppError> {
        if req.ids.len() > 1000 {
            return Err(AppError::invalid("ids", "at most 1000 at once"));
        }
        let ids: Vec<Uuid> = req.ids.iter().filter_map(|id| Uuid::parse_str(id.trim()).ok()).collect();
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let known = store::known_partners(&mut tx, &ids).await?;
        tx.commit().await?;
        Ok(pb::KnownPartnersReply { ids: known.iter().map(Uuid::to_string).collect() })
    }

    pub(crate) async fn list_partners_impl(
        &self,
        p: Principal,
        req: pb::ListPartnersRequest,
    ) -> Result<pb::PartnerPage, AppError> {
        let (tenant, team_of) = match p.role {
            Role::Partner => (p.tenant()?, p.partner),
            _ => (p.require_merchant_or_scope("partners:read")?, None),
        };
        if let Some(s) = req.status.as_deref() {
            PartnerStatus::parse("status", s)?;
        }
        let parent = req
            .parent_partner_id
            .as_deref()
            .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid("parent_partner_id", "is not an id")))
            .transpose()?;
        let limit = platform::paging::page_size(req.limit);
        let filter = PartnerFilter {
            q: req.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
            status: req.status,
            parent,
            team_of,
            after: cursor(req.cursor.as_deref())?,
            limit: limit + 1,
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut rows = store::list_partners(&mut tx, &filter).await?;
        tx.commit().await?;
        let next = next_cursor(&mut rows, limit, |r| r.id);
        Ok(pb::PartnerPage { items: rows.iter().map(convert::partner).collect(), next_cursor: next })
    }

    pub(crate) async fn create_partner_impl(
        &self,
        p: Principal,
        req: pb::CreatePartnerRequest,
    ) -> Result<pb::Partner, AppError> {
        let tenant = p.require_admin_or_scope("partners:write")?;
        let name = parse_name("name", &req.name)?;
        let email = Email::parse("email", &req.email)?;
        let phone = parse_phone("phone", &req.phone)?;
        let password = Password::parse("password", &req.password)?;
        let payout_method = payout("payout_method", req.payout_method)?;
        let trust = TrustLevel::parse("trust_level", req.trust_level.as_deref().unwrap_or("new"))?;
        let language = parse_language("language", req.language.as_deref().unwrap_or(""))?;
        let parent = req
            .parent_partner_id
            .as_deref()
            .map(|s| parse_id(s, "parent partner"))
            .transpose()
            .map_err(|_| AppError::invalid("parent_partner_id", "no such partner"))?;
        let hash = hash_password(password.expose().to_string(), self.settings.argon2_memory_kib).await?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if let Some(parent) = parent
            && store::partner(&mut tx, parent).await?.is_none()
        {
            return Err(AppError::invalid("parent_partner_id", "no such partner"));
        }
        let row = self
            .insert_partner(
                &mut tx,
                NewPartner {
                    name,
                    email,
                    phone,
                    password_hash: hash,
                    payout_method,
                    trust,
                    parent,
                    language,
                    commission_plan: req.commission_plan,
                },
            )
            .await?;
        events::partner_approved(&self.outbox, tx.conn(), &row, None, p.subject).await?;
        tx.commit().await?;
        Ok(convert::partner(&row))
    }

    /// Creates the user account and partner profile of a new partner.
    pub(super) async fn insert_partner(&self, tx: &mut TenantTx<'_>, n: NewPartner) -> Result<PartnerRow, AppError> {
        let now = self.clock.now();
        let user = UserRow {
            id: Uuid::now_v7(),
            tenant_id: Some(tx.tenant()),
            email: n.email.as_str().into(),
            name: n.name.clone(),
            password_hash: n.password_hash,
            role: Role::Partner.as_str().into(),
            language: n.language.clone(),
            phone: n.phone.clone(),
            created_at: now,
        };
        store::insert_user(tx.conn(), &user).await.map_err(email_conflict)?;
        let row = PartnerRow {
            id: Uuid::now_v7(),
            tenant_id: tx.tenant(),
            user_id: user.id,
            name: n.name,
            email: user.email.clone(),
            phone: n.phone,
            payout_method: Json(n.payout_method),
            commission_plan: n.commission_plan.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| "default".into()),
            trust_level: n.trust.as_str().into(),
            status: PartnerStatus::Active.as_str().into(),
            parent_partner_id: n.parent,
            language: n.language,
            created_at: now,
            updated_at: now,
        };
        store::insert_partner(tx, &row).await.map_err(email_conflict)?;
        Ok(row)
    }

    /// A partner the caller may read: any of the tenant for merchants, itself or its team for a partner.
    async fn readable_partner(&self, tx: &mut TenantTx<'_>, p: &Principal, id: Uuid) -> Result<PartnerRow, AppError> {
        let row = store::partner(tx, id).await?.ok_or_else(|| AppError::not_found("partner"))?;
        if let Some(me) = p.partner_id()
            && me != id
            && !store::ancestors(tx, id).await?.contains(&me)
        {
            return Err(AppError::not_found("partner"));
        }
        Ok(row)
    }

    pub(super) async fn get_partner_impl(
        &self,
        p: Principal,
        req: pb::GetPartnerRequest,
    ) -> Result<pb::Partner, AppError> {
        let tenant = match p.role {
            Role::Partner => p.tenant()?,
            _ => p.require_merchant_or_scope("partners:read")?,
        };
        let id = parse_id(&req.id, "partner")?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let row = self.readable_partner(&mut tx, &p, id).await?;
        tx.commit().await?;
        Ok(convert::partner(&row))
    }

    pub(super) async fn update_partner_impl(
        &self,
        p: Principal,
        req: pb::UpdatePartnerRequest,
    ) -> Result<pb::Partner, AppError> {
        let id = parse_id(&req.id, "partner")?;
        let is_self = p.partner_id() == Some(id);
        let tenant = if is_self {
            p.tenant()?
        } else if p.role == Role::Partner {
            return Err(AppError::not_found("partner"));
        } else {
            p.require_admin_or_scope("partners:write")?
        };
        if is_self {
            // A1: partners edit their own profile and payout details, never their standing.
            let forbidden = [
                ("email", req.email.is_some()),
                ("trust_level", req.trust_level.is_some()),
                ("status", req.status.is_some()),
                ("commission_plan", req.commission_plan.is_some()),
                ("parent_partner_id", req.parent_partner_id.is_some() || req.clear_parent),
            ];
            if let Some((field, _)) = forbidden.iter().find(|(_, set)| *set) {
                return Err(AppError::forbidden(format!("{field} is set by the merchant")).with_field(*field));
            }
        }
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let old = store::partner_for_update(&mut tx, id).await?.ok_or_else(|| AppError::not_found("partner"))?;
        let mut row = old.clone();
        if let Some(v) = &req.name {
            row.name = parse_name("name", v)?;
        }
        if let Some(v) = &req.email {
            row.email = Email::parse("email", v)?.as_str().into();
        }
        if let Some(v) = &req.phone {
            row.phone = parse_phone("phone", v)?;
        }
        if req.payout_method.is_some() {
            row.payout_method = Json(payout("payout_method", req.payout_method.clone())?);
        }
        if let Some(v) = &req.trust_level {
            row.trust_level = TrustLevel::parse("trust_level", v)?.as_str().into();
        }
        if let Some(v) = &req.status {
            row.status = PartnerStatus::parse("status", v)?.as_str().into();
        }
        if let Some(v) = &req.commission_plan {
            row.commission_plan = if v.trim().is_empty() { "default".into() } else { v.trim().into() };
        }
        if let Some(v) = &req.language {
            row.language = parse_language("language", v)?;
        }
        if req.clear_parent {
            row.parent_partner_id = None;
        } else if let Some(v) = &req.parent_partner_id {
            let parent = Uuid::parse_str(v).map_err(|_| AppError::invalid("parent_partner_id", "no such partner"))?;
            if store::partner(&mut tx, parent).await?.is_none() {
                return Err(AppError::invalid("parent_partner_id", "no such partner"));
            }
            let above = store::ancestors(&mut tx, parent).await?;
            if parent_would_cycle(id, parent, &above) {
                return Err(AppError::invalid("parent_partner_id", "a partner cannot join its own team"));
            }
            row.parent_partner_id = Some(parent);
        }
        let changed = changed_fields(&old, &row);
        if !changed.is_empty() {
            row.updated_at = self.clock.now();
            store::update_partner(&mut tx, &row).await.map_err(email_conflict)?;
            store::update_user_profile(&mut tx, row.user_id, &row.name, &row.email, &row.language)
                .await
                .map_err(email_conflict)?;
            let msg = ev::PartnerUpdated {
                tenant_id: tenant.to_string(),
                partner: Some(events::snapshot(&row)),
                changed: changed.iter().map(|c| c.to_string()).collect(),
                actor_user_id: p.subject.to_string(),
            };
            self.outbox.emit(tx.conn(), tenant, "partner", id, "updated", &msg).await?;
            if old.status != row.status {
                // P5: attribution stops (or resumes) binding this partner's links.
                let event = if row.status == PartnerStatus::Suspended.as_str() { "suspended" } else { "reactivated" };
                let msg = ev::PartnerStatusChanged {
                    tenant_id: tenant.to_string(),
                    partner_id: id.to_string(),
                    status: row.status.clone(),
                    actor_user_id: p.subject.to_string(),
                };
                self.outbox.emit(tx.conn(), tenant, "partner", id, event, &msg).await?;
                // Its tokens say whether it is suspended (P5): the ones out there end now.
                let sessions = store::revoke_user_sessions(tx.conn(), row.user_id, self.clock.now(), None).await?;
                events::access_revoked(&self.outbox, tx.conn(), tenant, row.user_id, &sessions, None, "partner_status")
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(convert::partner(&row))
    }

    /// P4: an invite link that makes its approved applicants this partner's sub-partners.
    pub(super) async fn create_invite_impl(
        &self,
        p: Principal,
        req: pb::CreateInviteRequest,
    ) -> Result<pb::Invite, AppError> {
        let me = p.partner_id().ok_or_else(|| AppError::forbidden("only partners invite sub-partners"))?;
        let tenant = p.tenant()?;
        let days = if req.valid_days == 0 { 30 } else { req.valid_days };
        if days > 365 {
            return Err(AppError::invalid("valid_days", "must be between 1 and 365"));
        }
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let partner = store::partner(&mut tx, me).await?.ok_or_else(|| AppError::not_found("partner"))?;
        if partner.status != PartnerStatus::Active.as_str() {
            return Err(AppError::conflict("partner_suspended", "a suspended partner cannot invite others"));
        }
        let program = store::tenant(&mut tx).await?.ok_or_else(|| AppError::not_found("program"))?;
        let token = random_token();
        let now = self.clock.now();
        let id = Uuid::now_v7();
        let expires = now + Duration::days(i64::from(days));
        store::insert_invite(&mut tx, id, me, &sha256(&token), expires, now).await?;
        let msg = ev::InviteCreated {
            tenant_id: tenant.to_string(),
            invite_id: id.to_string(),
            partner_id: me.to_string(),
            expires_at: convert::ts(expires),
        };
        self.outbox.emit(tx.conn(), tenant, "invite", id, "created", &msg).await?;
        tx.commit().await?;
        Ok(pb::Invite {
            id: id.to_string(),
            token,
            partner_id: me.to_string(),
            expires_at: convert::ts(expires),
            program: program.slug,
        })
    }
}

pub(super) struct NewPartner {
    pub name: String,
    pub email: Email,
    pub phone: String,
    pub password_hash: String,
    pub payout_method: PayoutMethod,
    pub trust: TrustLevel,
    pub parent: Option<Uuid>,
    pub language: String,
    pub commission_plan: Option<String>,
}

fn changed_fields(a: &PartnerRow, b: &PartnerRow) -> Vec<&'static str> {
    let mut c = Vec::new();
    let pairs: [(&'static str, bool); 9] = [
        ("name", a.name != b.name),
        ("email", a.email != b.email),
        ("phone", a.phone != b.phone),
        ("payout_method", a.payout_method.0 != b.payout_method.0),
        ("trust_level", a.trust_level != b.trust_level),
        ("status", a.status != b.status),
        ("commission_plan", a.commission_plan != b.commission_plan),
        ("language", a.language != b.language),
        ("parent_partner_id", a.parent_partner_id != b.parent_partner_id),
    ];
    for (name, differs) in pairs {
        if differs {
            c.push(name);
        }
    }
    c
}
