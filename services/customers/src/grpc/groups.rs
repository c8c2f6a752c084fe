//! CU7: customer groups. A merchant admin creates groups, puts customers in them, and may assign
//! a group to a partner: its customers (present and future) then belong to that partner.

use partnerline_proto::customers::v1 as pb;
use partnerline_proto::events::v1 as ev;
use platform::AppError;
use platform::db::TenantTx;
use platform::values::parse_name;
use uuid::Uuid;

use super::customers::require_merchant_admin;
use super::{Access, CustomersService, convert, parse_id};
use crate::events;
use crate::store::{self, GroupRow};

const ONLY: &str = "only the merchant manages customer groups";

fn group(g: &GroupRow) -> pb::CustomerGroup {
    pb::CustomerGroup {
        id: g.id.to_string(),
        name: g.name.clone(),
        partner_id: g.partner_id.map(|p| p.to_string()),
        customer_count: g.customer_count.max(0) as u64,
        created_at: convert::ts(g.created_at),
        updated_at: convert::ts(g.updated_at),
    }
}

fn taken(name: &str) -> AppError {
    AppError::conflict("group_name_taken", format!("a group named {name} already exists")).with_field("name")
}

impl CustomersService {
    async fn group_event(&self, tx: &mut TenantTx<'_>, a: &Access, g: &GroupRow, event: &str) -> Result<(), AppError> {
        let msg = ev::GroupChanged {
            tenant_id: a.tenant.to_string(),
            group_id: g.id.to_string(),
            name: g.name.clone(),
            partner_id: g.partner_id.map(|p| p.to_string()),
            actor_user_id: a.actor.to_string(),
        };
        self.outbox.emit(tx.conn(), a.tenant, "group", g.id, event, &msg).await?;
        Ok(())
    }

    /// Moves every customer of the group to `partner`, each with its `customer.reassigned`.
    async fn hand_over(&self, tx: &mut TenantTx<'_>, a: &Access, g: Uuid, partner: Uuid) -> Result<(), AppError> {
        let now = self.clock.now();
        for (c, previous) in store::reassign_group(tx, g, partner, now).await? {
            events::customer_changed(&self.outbox, tx.conn(), &c, "updated", &["owner_partner_id"], a.actor).await?;
            events::customer_reassigned(&self.outbox, tx.conn(), &c, previous, a.actor).await?;
        }
        Ok(())
    }

    pub(super) async fn create_group_impl(
        &self,
        a: Access,
        token: String,
        req: pb::CreateGroupRequest,
    ) -> Result<pb::CustomerGroup, AppError> {
        if a.is_partner() {
            return Err(AppError::forbidden(ONLY));
        }
        require_merchant_admin(&a, ONLY)?;
        let name = parse_name("name", &req.name)?;
        let partner = match req.partner_id.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(self.check_group_partner(&token, p).await?),
            None => None,
        };
        let id = Uuid::now_v7();
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        if !store::insert_group(&mut tx, id, &name, partner, self.clock.now()).await? {
            return Err(taken(&name));
        }
        let g = store::group(&mut tx, id).await?.ok_or_else(|| AppError::not_found("group"))?;
        self.group_event(&mut tx, &a, &g, "created").await?;
        tx.commit().await?;
        Ok(group(&g))
    }

    pub(super) async fn list_groups_impl(&self, a: Access) -> Result<pb::GroupList, AppError> {
        if a.is_partner() {
            return Err(AppError::forbidden(ONLY));
        }
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let rows = store::groups(&mut tx).await?;
        tx.commit().await?;
        Ok(pb::GroupList { items: rows.iter().map(group).collect() })
    }

    pub(super) async fn get_group_impl(&self, a: Access, req: pb::GroupRef) -> Result<pb::CustomerGroup, AppError> {
        if a.is_partner() {
            return Err(AppError::forbidden(ONLY));
        }
        let id = parse_id(&req.id, "group")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let g = store::group(&mut tx, id).await?.ok_or_else(|| AppError::not_found("group"))?;
        tx.commit().await?;
        Ok(group(&g))
    }

    pub(super) async fn update_group_impl(
        &self,
        a: Access,
        token: String,
        req: pb::UpdateGroupRequest,
    ) -> Result<pb::CustomerGroup, AppError> {
        if a.is_partner() {
            return Err(AppError::forbidden(ONLY));
        }
        require_merchant_admin(&a, ONLY)?;
        let id = parse_id(&req.id, "group")?;
        let name = req.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
        let partner = match req.partner_id.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(p) => Some(Some(self.check_group_partner(&token, p).await?)),
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let old = store::group_for_update(&mut tx, id).await?.ok_or_else(|| AppError::not_found("group"))?;
        let name = name.unwrap_or_else(|| old.name.clone());
        let partner = partner.unwrap_or(old.partner_id);
        if name == old.name && partner == old.partner_id {
            tx.commit().await?;
            return Ok(group(&old));
        }
        if !store::update_group(&mut tx, id, &name, partner, self.clock.now()).await? {
            return Err(taken(&name));
        }
        if let Some(p) = partner.filter(|p| Some(*p) != old.partner_id) {
            self.hand_over(&mut tx, &a, id, p).await?;
        }
        let g = store::group(&mut tx, id).await?.ok_or_else(|| AppError::not_found("group"))?;
        self.group_event(&mut tx, &a, &g, "updated").await?;
        tx.commit().await?;
        Ok(group(&g))
    }

    pub(super) async fn delete_group_impl(&self, a: Access, req: pb::GroupRef) -> Result<pb::Empty, AppError> {
        if a.is_partner() {
            return Err(AppError::forbidden(ONLY));
        }
        require_merchant_admin(&a, ONLY)?;
        let id = parse_id(&req.id, "group")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let g = store::group_for_update(&mut tx, id).await?.ok_or_else(|| AppError::not_found("group"))?;
        store::delete_group(&mut tx, id).await?;
        self.group_event(&mut tx, &a, &g, "deleted").await?;
        tx.commit().await?;
        Ok(pb::Empty {})
    }

    /// The partner a group is assigned to must exist; identity answers with the caller's rights.
    async fn check_group_partner(&self, token: &str, id: &str) -> Result<Uuid, AppError> {
        self.check_partner(token, id).await.map_err(|e| {
            if e.errors.iter().any(|f| f.field == "owner_partner_id") {
                AppError::invalid("partner_id", "no such partner")
            } else {
                e
            }
        })
    }
}
