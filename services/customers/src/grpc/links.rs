//! Quick-order links (CU8): one unguessable token per customer (256 random bits, stored only as
//! its hash), regenerated or revoked at will. Resolving it needs no login, so every failure
//! looks the same and lookups are rate-limited per client.

use partnerline_proto::customers::v1 as pb;
use partnerline_proto::events::v1 as ev;
use platform::AppError;
use platform::auth::{random_token as new_token, token_hash as hash};
use platform::db::TenantTx;

use super::{Access, CustomersService, convert, parse_id};
use crate::store;

impl CustomersService {
    pub(crate) async fn create_link_impl(
        &self,
        a: Access,
        req: pb::CreateQuickOrderLinkRequest,
    ) -> Result<pb::QuickOrderLink, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let c =
            store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        if c.erased_at.is_some() {
            return Err(super::customers::erased());
        }
        if c.approval == "pending_approval" {
            return Err(AppError::conflict(
                "customer_pending_approval",
                "this business customer waits for the merchant's approval (CU7)",
            ));
        }
        if req.send_email && c.email.trim().is_empty() {
            return Err(AppError::invalid("send_email", "this customer has no email address to send the link to"));
        }
        let token = new_token();
        let now = self.clock.now();
        store::put_link(&mut tx, id, &hash(&token), now).await?;
        self.link_event(&mut tx, &a, id, c.owner_partner_id, "created").await?;
        if req.send_email {
            let msg = ev::QuickOrderLinkSent {
                tenant_id: a.tenant.to_string(),
                customer_id: id.to_string(),
                owner_partner_id: c.owner_partner_id.map(|o| o.to_string()),
                customer_name: c.name.clone(),
                customer_email: c.email.clone(),
                language: c.language.clone(),
                quick_order_path: format!("/q/{token}"),
                actor_user_id: a.actor.to_string(),
            };
            self.outbox.emit(tx.conn(), a.tenant, "quick_order_link", id, "sent", &msg).await?;
        }
        tx.commit().await?;
        Ok(pb::QuickOrderLink {
            customer_id: id.to_string(),
            token,
            created_at: convert::ts(now),
            emailed: req.send_email,
        })
    }

    pub(super) async fn revoke_link_impl(&self, a: Access, req: pb::CustomerRef) -> Result<pb::Empty, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let c =
            store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        if !store::delete_link(&mut tx, id).await? {
            return Err(AppError::not_found("quick-order link"));
        }
        self.link_event(&mut tx, &a, id, c.owner_partner_id, "revoked").await?;
        tx.commit().await?;
        Ok(pb::Empty {})
    }

    async fn link_event(
        &self,
        tx: &mut TenantTx<'_>,
        a: &Access,
        customer: uuid::Uuid,
        owner: Option<uuid::Uuid>,
        event: &str,
    ) -> Result<(), AppError> {
        let msg = ev::QuickOrderLinkChanged {
            tenant_id: a.tenant.to_string(),
            customer_id: customer.to_string(),
            owner_partner_id: owner.map(|o| o.to_string()),
            actor_user_id: a.actor.to_string(),
        };
        self.outbox.emit(tx.conn(), a.tenant, "quick_order_link", customer, event, &msg).await?;
        Ok(())
    }

    pub(super) async fn resolve_token_impl(
        &self,
        req: pb::ResolveQuickOrderTokenRequest,
    ) -> Result<pb::QuickOrderCustomer, AppError> {
        let mut conn = self.pool.acquire().await?;
        let client = if req.client.is_empty() { "unknown" } else { req.client.as_str() };
        let n = store::count_lookup(&mut conn, client, self.clock.now(), self.settings.lookup_window_secs).await?;
        if n > self.settings.lookups_per_window {
            return Err(AppError::too_many_requests("too many quick-order link lookups; try again in a minute"));
        }
        // Unknown, revoked and replaced tokens are indistinguishable.
        let c = store::customer_by_token(&mut conn, &hash(req.token.trim()))
            .await?
            .ok_or_else(|| AppError::not_found("quick-order link"))?;
        Ok(pb::QuickOrderCustomer {
            tenant_id: c.tenant_id.to_string(),
            customer_id: c.id.to_string(),
            customer_name: c.name,
            owner_partner_id: c.owner_partner_id.map(|p| p.to_string()),
            discount_percent: crate::domain::discount_text(c.discount_percent),
            currency: c.currency,
            language: c.language,
            customer_email: c.email,
        })
    }
}
