//! API keys for integrators (A3): scoped to a tenant and to permissions, shown once, stored
//! hashed, revocable.

use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role, SCOPES};
use platform::db::TenantTx;
use uuid::Uuid;

use super::{IdentityService, convert, parse_id};
use crate::credentials::{new_api_key, sha256};
use crate::store::{self, ApiKeyRow};

fn require_admin(p: &Principal) -> Result<Uuid, AppError> {
    if p.role == Role::MerchantAdmin {
        p.tenant()
    } else {
        Err(AppError::forbidden("only a merchant admin manages API keys"))
    }
}

impl IdentityService {
    pub(super) async fn create_api_key_impl(
        &self,
        p: Principal,
        req: pb::CreateApiKeyRequest,
    ) -> Result<pb::CreatedApiKey, AppError> {
        let tenant = require_admin(&p)?;
        let name = crate::domain::parse_name("name", &req.name)?;
        if req.scopes.is_empty() {
            return Err(AppError::invalid("scopes", format!("name at least one of {}", SCOPES.join(", "))));
        }
        let mut scopes: Vec<String> = Vec::new();
        for s in req.scopes {
            let s = s.trim().to_string();
            if !SCOPES.contains(&s.as_str()) {
                return Err(AppError::invalid("scopes", format!("`{s}` is not a scope; use {}", SCOPES.join(", "))));
            }
            if !scopes.contains(&s) {
                scopes.push(s);
            }
        }
        let (secret, prefix) = new_api_key();
        let row = ApiKeyRow {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name,
            prefix,
            scopes,
            created_at: self.clock.now(),
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::insert_api_key(&mut tx, &row, &sha256(&secret), p.subject).await?;
        let msg = ev::ApiKeyCreated {
            tenant_id: tenant.to_string(),
            api_key_id: row.id.to_string(),
            name: row.name.clone(),
            scopes: row.scopes.clone(),
            actor_user_id: p.subject.to_string(),
        };
        self.outbox.emit(tx.conn(), tenant, "api_key", row.id, "created", &msg).await?;
        tx.commit().await?;
        Ok(pb::CreatedApiKey { key: Some(convert::api_key(&row)), secret })
    }

    pub(super) async fn list_api_keys_impl(&self, p: Principal) -> Result<pb::ApiKeyList, AppError> {
        let tenant = require_admin(&p)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = store::list_api_keys(&mut tx).await?;
        tx.commit().await?;
        Ok(pb::ApiKeyList { items: rows.iter().map(convert::api_key).collect() })
    }

    pub(super) async fn revoke_api_key_impl(
        &self,
        p: Principal,
        req: pb::RevokeApiKeyRequest,
    ) -> Result<pb::Empty, AppError> {
        let tenant = require_admin(&p)?;
        let id = parse_id(&req.id, "API key")?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if !store::revoke_api_key(&mut tx, id, self.clock.now()).await? {
            return Err(AppError::not_found("API key"));
        }
        let msg = ev::ApiKeyRevoked {
            tenant_id: tenant.to_string(),
            api_key_id: id.to_string(),
            actor_user_id: p.subject.to_string(),
        };
        self.outbox.emit(tx.conn(), tenant, "api_key", id, "revoked", &msg).await?;
        crate::events::access_revoked(&self.outbox, tx.conn(), tenant, id, &[], Some(id), "api_key_revoked").await?;
        tx.commit().await?;
        Ok(pb::Empty {})
    }
}
