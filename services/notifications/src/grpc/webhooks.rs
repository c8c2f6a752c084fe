//! I2: the merchant's webhook endpoints and their delivery log. Merchant admins, or API keys
//! with `webhooks:read` / `webhooks:write`.

use partnerline_proto::notifications::v1 as pb;
use partnerline_proto::notifications::v1::webhooks_server::Webhooks;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use platform::grpc::{Grant, Reply, authed};
use platform::paging::page_size;
use tonic::Request;
use uuid::Uuid;

use super::NotificationsService;
use super::notifications::{keyset_page, parse_cursor, ts};
use crate::store::{self, AttemptRow, DeliveryRow, EndpointChange, EndpointRow};
use crate::webhooks;

const READ: &str = "webhooks:read";
const WRITE: &str = "webhooks:write";

fn endpoint(e: &EndpointRow, now: chrono::DateTime<chrono::Utc>) -> pb::Endpoint {
    pb::Endpoint {
        id: e.id.to_string(),
        url: e.url.clone(),
        event_types: e.event_types.clone(),
        description: e.description.clone(),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason.clone(),
        failing_since: e.failing_since.map(ts).unwrap_or_default(),
        previous_secret_until: e.previous_secret_until.filter(|u| *u > now).map(ts).unwrap_or_default(),
        created_at: ts(e.created_at),
        updated_at: ts(e.updated_at),
    }
}

fn delivery(d: &DeliveryRow) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        message_id: d.message_id.clone(),
        endpoint_id: d.endpoint_id.to_string(),
        event_type: d.event_type.clone(),
        status: d.status.clone(),
        attempts: u32::try_from(d.attempts).unwrap_or(u32::MAX),
        next_attempt_at: if d.status == "pending" { ts(d.next_attempt_at) } else { String::new() },
        payload: d.payload.clone(),
        created_at: ts(d.created_at),
        delivered_at: d.delivered_at.map(ts).unwrap_or_default(),
    }
}

fn attempt(a: &AttemptRow) -> pb::Attempt {
    pb::Attempt {
        id: a.id.to_string(),
        message_id: a.message_id.clone(),
        endpoint_id: a.endpoint_id.to_string(),
        attempted_at: ts(a.attempted_at),
        status_code: u32::try_from(a.status_code).unwrap_or_default(),
        duration_ms: u32::try_from(a.duration_ms).unwrap_or_default(),
        response: a.response.clone(),
        error: a.error.clone(),
        succeeded: a.succeeded,
        trigger: a.trigger.clone(),
    }
}

fn endpoint_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found("webhook endpoint"))
}

fn description(raw: &str) -> Result<String, AppError> {
    let d = raw.trim();
    if d.chars().count() > 500 {
        return Err(AppError::invalid("description", "must be at most 500 characters"));
    }
    Ok(d.to_string())
}

#[tonic::async_trait]
impl Webhooks for NotificationsService {
    async fn create_endpoint(&self, req: Request<pb::CreateEndpointRequest>) -> Reply<pb::EndpointSecret> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.create_endpoint_impl(p, m)).await
    }
    async fn list_endpoints(&self, req: Request<pb::ListEndpointsRequest>) -> Reply<pb::EndpointPage> {
        authed(&self.verifier, req, Grant::Scope(READ), |p, m| self.list_endpoints_impl(p, m)).await
    }
    async fn get_endpoint(&self, req: Request<pb::EndpointRef>) -> Reply<pb::Endpoint> {
        authed(&self.verifier, req, Grant::Scope(READ), |p, m| self.get_endpoint_impl(p, m)).await
    }
    async fn update_endpoint(&self, req: Request<pb::UpdateEndpointRequest>) -> Reply<pb::Endpoint> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.update_endpoint_impl(p, m)).await
    }
    async fn delete_endpoint(&self, req: Request<pb::EndpointRef>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.delete_endpoint_impl(p, m)).await
    }
    async fn rotate_secret(&self, req: Request<pb::RotateSecretRequest>) -> Reply<pb::EndpointSecret> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.rotate_secret_impl(p, m)).await
    }
    async fn send_test_event(&self, req: Request<pb::EndpointRef>) -> Reply<pb::WebhookDelivery> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.send_test_event_impl(p, m)).await
    }
    async fn list_deliveries(&self, req: Request<pb::ListDeliveriesRequest>) -> Reply<pb::DeliveryPage> {
        authed(&self.verifier, req, Grant::Scope(READ), |p, m| self.list_deliveries_impl(p, m)).await
    }
    async fn list_attempts(&self, req: Request<pb::ListAttemptsRequest>) -> Reply<pb::AttemptPage> {
        authed(&self.verifier, req, Grant::Scope(READ), |p, m| self.list_attempts_impl(p, m)).await
    }
    async fn resend(&self, req: Request<pb::ResendRequest>) -> Reply<pb::WebhookDelivery> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.resend_impl(p, m)).await
    }
    async fn recover(&self, req: Request<pb::RecoverRequest>) -> Reply<pb::Recovered> {
        authed(&self.verifier, req, Grant::Scope(WRITE), |p, m| self.recover_impl(p, m)).await
    }
}

impl NotificationsService {
    /// The caller's program and an endpoint of it (another program's is as absent as none).
    async fn open_endpoint(&self, tenant: Uuid, id: &str) -> Result<(TenantTx<'static>, EndpointRow), AppError> {
        let id = endpoint_id(id)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let e = store::endpoint(&mut tx, id).await?.ok_or_else(|| AppError::not_found("webhook endpoint"))?;
        Ok((tx, e))
    }

    async fn create_endpoint_impl(
        &self,
        p: Principal,
        m: pb::CreateEndpointRequest,
    ) -> Result<pb::EndpointSecret, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let url = webhooks::endpoint_url(&m.url, self.dev)?;
        let types = webhooks::filters("event_types", &m.event_types)?;
        let description = description(&m.description)?;
        let secret = webhooks::new_secret();
        let now = self.clock.now();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let e = store::insert_endpoint(&mut tx, Uuid::now_v7(), &url, &types, &description, &secret, now).await?;
        tx.commit().await?;
        Ok(pb::EndpointSecret { endpoint: Some(endpoint(&e, now)), secret })
    }

    async fn list_endpoints_impl(
        &self,
        p: Principal,
        m: pb::ListEndpointsRequest,
    ) -> Result<pb::EndpointPage, AppError> {
        let tenant = p.require_admin_or_scope(READ)?;
        let size = page_size(m.limit);
        let before = parse_cursor(m.cursor.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut rows = store::endpoints(&mut tx, before, size + 1).await?;
        tx.commit().await?;
        let next_cursor = keyset_page(&mut rows, size, |r| r.id);
        let now = self.clock.now();
        Ok(pb::EndpointPage { items: rows.iter().map(|e| endpoint(e, now)).collect(), next_cursor })
    }

    async fn get_endpoint_impl(&self, p: Principal, m: pb::EndpointRef) -> Result<pb::Endpoint, AppError> {
        let tenant = p.require_admin_or_scope(READ)?;
        let (tx, e) = self.open_endpoint(tenant, &m.id).await?;
        tx.commit().await?;
        Ok(endpoint(&e, self.clock.now()))
    }

    async fn update_endpoint_impl(&self, p: Principal, m: pb::UpdateEndpointRequest) -> Result<pb::Endpoint, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let id = endpoint_id(&m.id)?;
        let change = EndpointChange {
            url: m.url.as_deref().map(|u| webhooks::endpoint_url(u, self.dev)).transpose()?,
            event_types: m.set_event_types.then(|| webhooks::filters("event_types", &m.event_types)).transpose()?,
            description: m.description.as_deref().map(description).transpose()?,
            enabled: m.enabled,
        };
        let now = self.clock.now();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let e = store::update_endpoint(&mut tx, id, &change, now)
            .await?
            .ok_or_else(|| AppError::not_found("webhook endpoint"))?;
        tx.commit().await?;
        Ok(endpoint(&e, now))
    }

    async fn delete_endpoint_impl(&self, p: Principal, m: pb::EndpointRef) -> Result<pb::Empty, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let id = endpoint_id(&m.id)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let gone = store::delete_endpoint(&mut tx, id, self.clock.now()).await?;
        tx.commit().await?;
        if gone { Ok(pb::Empty {}) } else { Err(AppError::not_found("webhook endpoint")) }
    }

    async fn rotate_secret_impl(
        &self,
        p: Principal,
        m: pb::RotateSecretRequest,
    ) -> Result<pb::EndpointSecret, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let id = endpoint_id(&m.id)?;
        let hours = m.grace_hours.unwrap_or(24);
        if hours > 72 {
            return Err(AppError::invalid("grace_hours", "must be at most 72"));
        }
        let now = self.clock.now();
        let secret = webhooks::new_secret();
        let until = now + chrono::Duration::hours(i64::from(hours));
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let e = store::rotate_secret(&mut tx, id, &secret, until, now)
            .await?
            .ok_or_else(|| AppError::not_found("webhook endpoint"))?;
        tx.commit().await?;
        Ok(pb::EndpointSecret { endpoint: Some(endpoint(&e, now)), secret })
    }

    async fn send_test_event_impl(&self, p: Principal, m: pb::EndpointRef) -> Result<pb::WebhookDelivery, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let (mut tx, e) = self.open_endpoint(tenant, &m.id).await?;
        let now = self.clock.now();
        let id = webhooks::message_id(&Uuid::now_v7().to_string());
        let data = serde_json::json!({ "endpoint_id": e.id.to_string(), "message": "a test event from Partnerline" });
        let body = webhooks::envelope(webhooks::TEST_TYPE, now, data);
        let aggregate = format!("test:{}", e.id);
        let test = store::NewMessage {
            id: id.clone(),
            event_type: webhooks::TEST_TYPE.into(),
            aggregate_id: aggregate,
            payload: body,
            endpoints: vec![e.id],
        };
        store::insert_webhook_messages(&mut tx, &[test], "test", now).await?;
        let d =
            store::delivery(&mut tx, e.id, &id).await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("lost")))?;
        tx.commit().await?;
        Ok(delivery(&d))
    }

    async fn list_deliveries_impl(
        &self,
        p: Principal,
        m: pb::ListDeliveriesRequest,
    ) -> Result<pb::DeliveryPage, AppError> {
        let tenant = p.require_admin_or_scope(READ)?;
        let status = match m.status.trim() {
            "" => None,
            s @ ("pending" | "succeeded" | "failed") => Some(s.to_string()),
            _ => return Err(AppError::invalid("status", "must be pending, succeeded or failed")),
        };
        let size = page_size(m.limit);
        let before = match m.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => {
                Some(c.parse::<i64>().map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned"))?)
            }
            None => None,
        };
        let (mut tx, e) = self.open_endpoint(tenant, &m.endpoint_id).await?;
        let mut rows = store::deliveries(&mut tx, e.id, status.as_deref(), before, size + 1).await?;
        tx.commit().await?;
        let more = rows.len() as i64 > size;
        rows.truncate(size as usize);
        let next_cursor = if more { rows.last().map(|r| r.seq.to_string()) } else { None };
        Ok(pb::DeliveryPage { items: rows.iter().map(delivery).collect(), next_cursor })
    }

    async fn list_attempts_impl(&self, p: Principal, m: pb::ListAttemptsRequest) -> Result<pb::AttemptPage, AppError> {
        let tenant = p.require_admin_or_scope(READ)?;
        let size = page_size(m.limit);
        let before = parse_cursor(m.cursor.as_deref())?;
        let message = m.message_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let (mut tx, e) = self.open_endpoint(tenant, &m.endpoint_id).await?;
        let mut rows = store::attempts(&mut tx, e.id, message, before, size + 1).await?;
        tx.commit().await?;
        let next_cursor = keyset_page(&mut rows, size, |r| r.id);
        Ok(pb::AttemptPage { items: rows.iter().map(attempt).collect(), next_cursor })
    }

    async fn resend_impl(&self, p: Principal, m: pb::ResendRequest) -> Result<pb::WebhookDelivery, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let (mut tx, e) = self.open_endpoint(tenant, &m.endpoint_id).await?;
        let message = m.message_id.trim();
        let n = store::redeliver(&mut tx, e.id, Some(message), None, "resend", self.clock.now()).await?;
        if n == 0 {
            return Err(AppError::not_found("webhook message"));
        }
        let d = store::delivery(&mut tx, e.id, message).await?.ok_or_else(|| AppError::not_found("webhook message"))?;
        tx.commit().await?;
        Ok(delivery(&d))
    }

    async fn recover_impl(&self, p: Principal, m: pb::RecoverRequest) -> Result<pb::Recovered, AppError> {
        let tenant = p.require_admin_or_scope(WRITE)?;
        let since = chrono::DateTime::parse_from_rfc3339(m.since.trim())
            .map_err(|_| AppError::invalid("since", "must be a time in RFC 3339 (2026-12-01T00:00:00Z)"))?
            .with_timezone(&chrono::Utc);
        let (mut tx, e) = self.open_endpoint(tenant, &m.endpoint_id).await?;
        let n = store::redeliver(&mut tx, e.id, None, Some(since), "recover", self.clock.now()).await?;
        tx.commit().await?;
        Ok(pb::Recovered { messages: u32::try_from(n).unwrap_or(u32::MAX) })
    }
}
