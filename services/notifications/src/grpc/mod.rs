//! The notifications gRPC service: decode, authorize, call domain and store, encode.

mod notifications;

use std::sync::Arc;

use partnerline_proto::notifications::v1 as pb;
use partnerline_proto::notifications::v1::notifications_server::Notifications;
use platform::auth::{Principal, Verifier};
use platform::grpc::{FromCaller, Grant, Reply, authed};
use platform::{AppError, Clock};
use sqlx::PgPool;
use tonic::Request;
use uuid::Uuid;

use crate::domain::Recipient;

#[derive(Clone)]
pub struct NotificationsService {
    pub(crate) pool: PgPool,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    pub(crate) mail: Arc<MailSettings>,
}

/// What the emails are made with: the domain of their `Message-ID`s and the gateway's public
/// address, which their links start with.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub domain: String,
    pub public_url: String,
}

/// The caller's tenant and the inboxes it reads (`Recipient::of_caller`).
#[derive(Debug, Clone)]
pub(crate) struct Inbox {
    pub tenant: Uuid,
    pub recipients: Vec<String>,
}

impl FromCaller for Inbox {
    fn from_caller(p: Principal, _token: &str) -> Result<Inbox, AppError> {
        let recipients = Recipient::of_caller(&p)?.into_iter().map(Recipient::key).collect();
        Ok(Inbox { tenant: p.tenant()?, recipients })
    }
}

// `AnyCaller`: every call is about the caller's own inbox, which a suspended partner still
// reads and clears; `Inbox` refuses API keys.
#[tonic::async_trait]
impl Notifications for NotificationsService {
    async fn list_notifications(&self, req: Request<pb::ListNotificationsRequest>) -> Reply<pb::NotificationPage> {
        authed(&self.verifier, req, Grant::AnyCaller, |i, m| self.list_impl(i, m)).await
    }
    async fn unread_count(&self, req: Request<pb::Empty>) -> Reply<pb::UnreadCount> {
        authed(&self.verifier, req, Grant::AnyCaller, |i, _| self.unread_impl(i)).await
    }
    async fn mark_read(&self, req: Request<pb::NotificationRef>) -> Reply<pb::Notification> {
        authed(&self.verifier, req, Grant::AnyCaller, |i, m| self.mark_read_impl(i, m)).await
    }
    async fn mark_all_read(&self, req: Request<pb::Empty>) -> Reply<pb::Marked> {
        authed(&self.verifier, req, Grant::AnyCaller, |i, _| self.mark_all_read_impl(i)).await
    }
}
