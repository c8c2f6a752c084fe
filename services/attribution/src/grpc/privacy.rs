//! X7: what attribution keeps about a customer, for its data export (merchant admins and
//! integrators).

use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use uuid::Uuid;

use crate::service::AttributionService;
use crate::store;

impl AttributionService {
    pub(super) async fn export_customer_impl(
        &self,
        p: Principal,
        req: pb::CustomerExportRequest,
    ) -> Result<pb::CustomerExport, AppError> {
        let tenant = p.require_admin_or_scope("customers:read")?;
        let id = Uuid::parse_str(req.customer_id.trim()).map_err(|_| AppError::not_found("customer"))?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let doc = store::export_customer(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::CustomerExport { document: doc.to_string() })
    }
}
