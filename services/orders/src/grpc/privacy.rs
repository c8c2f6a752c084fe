//! X7: a customer's orders, for its data export (merchant admins and integrators).

use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;

use super::{Access, OrdersService, parse_id};
use crate::store;

impl OrdersService {
    pub(super) async fn export_customer_impl(
        &self,
        a: Access,
        req: pb::CustomerExportRequest,
    ) -> Result<pb::CustomerExport, AppError> {
        a.require_admin("only the merchant exports a customer's data")?;
        let id = parse_id(&req.customer_id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let doc = store::export_customer(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::CustomerExport { document: doc.to_string() })
    }
}
