//! X7: a customer's data exported, and erased on request (merchant admins and integrators).

use partnerline_proto::customers::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;

use super::customers::{erased, require_merchant_admin};
use super::{Access, CustomersService, parse_id};
use crate::{events, store};

impl CustomersService {
    pub(super) async fn export_customer_impl(
        &self,
        a: Access,
        req: pb::CustomerRef,
    ) -> Result<pb::CustomerExport, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        // A customer the caller does not reach is not there (404); one it reaches, only the
        // merchant exports (403).
        store::card(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        require_merchant_admin(&a, "only the merchant exports a customer's data")?;
        let doc = store::export(&mut tx, id).await?;
        tx.commit().await?;
        if doc.is_null() {
            return Err(AppError::not_found("customer"));
        }
        Ok(pb::CustomerExport { document: doc.to_string() })
    }

    pub(super) async fn erase_customer_impl(
        &self,
        a: Access,
        req: pb::EraseCustomerRequest,
    ) -> Result<pb::Customer, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let c =
            store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        require_merchant_admin(&a, "only the merchant erases a customer's data")?;
        if c.erased_at.is_some() {
            return Err(erased());
        }
        if req.confirm.trim().to_lowercase() != c.name.trim().to_lowercase() {
            return Err(AppError::invalid(
                "confirm",
                "must repeat the customer's name, to say this is the customer to erase",
            ));
        }
        let now = self.clock.now();
        store::erase(&mut tx, id, a.actor, now).await?;
        events::customer_erased(&self.outbox, tx.conn(), a.tenant, id, a.actor, now).await?;
        let card = store::card(&mut tx, id, None).await?.ok_or_else(|| AppError::not_found("customer"))?;
        tx.commit().await?;
        Ok(super::convert::customer(&card))
    }
}
