//! The notifications gRPC service: decode, authorize, call domain and store, encode.

mod feed;
mod notifications;
mod preferences;
mod privacy;
mod threads;
mod webhooks;

use std::sync::Arc;

use partnerline_proto::notifications::v1 as pb;
use partnerline_proto::notifications::v1::notifications_server::Notifications;
use platform::auth::{Principal, Verifier};
use platform::grpc::{FromCaller, Grant, Reply, authed};
use platform::outbox::Outbox;
use platform::{AppError, Clock};
use sqlx::PgPool;
use tonic::Request;
use uuid::Uuid;

use crate::domain::Recipient;

pub use feed::FeedService;

#[derive(Clone)]
pub struct NotificationsService {
    pub(crate) pool: PgPool,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    pub(crate) outbox: Outbox,
    pub(crate) mail: Arc<MailSettings>,
    /// A development run: webhooks may go to private addresses (a local receiver).
    pub(crate) dev: bool,
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

/// A person of the program: a partner, a merchant admin, or other staff (a sales rep).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    pub tenant: Uuid,
    pub user: Uuid,
    pub partner: Option<Uuid>,
    pub admin: bool,
}

impl FromCaller for Person {
    fn from_caller(p: Principal, _token: &str) -> Result<Person, AppError> {
        Recipient::of_caller(&p)?; // refuses API keys and platform admins, as inboxes do
        let admin = p.role == platform::auth::Role::MerchantAdmin;
        Ok(Person { tenant: p.tenant()?, user: p.subject, partner: p.partner, admin })
    }
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
    async fn export_customer(&self, req: Request<pb::CustomerExportRequest>) -> Reply<pb::CustomerExport> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |p, m| self.export_customer_impl(p, m)).await
    }
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
    async fn get_preferences(&self, req: Request<pb::Empty>) -> Reply<pb::Preferences> {
        authed(&self.verifier, req, Grant::AnyCaller, |i, _| self.get_preferences_impl(i)).await
    }
    async fn update_preferences(&self, req: Request<pb::Preferences>) -> Reply<pb::Preferences> {
        authed(&self.verifier, req, Grant::AnyCaller, |i, m| self.update_preferences_impl(i, m)).await
    }
    async fn create_announcement(&self, req: Request<pb::CreateAnnouncementRequest>) -> Reply<pb::Announcement> {
        authed(&self.verifier, req, Grant::People, |p, m| self.create_announcement_impl(p, m)).await
    }
    async fn list_announcements(&self, req: Request<pb::ListAnnouncementsRequest>) -> Reply<pb::AnnouncementPage> {
        authed(&self.verifier, req, Grant::AnyCaller, |p, m| self.list_announcements_impl(p, m)).await
    }
    async fn send_message(&self, req: Request<pb::SendMessageRequest>) -> Reply<pb::ChatMessage> {
        authed(&self.verifier, req, Grant::People, |p, m| self.send_message_impl(p, m)).await
    }
    async fn list_threads(&self, req: Request<pb::ListThreadsRequest>) -> Reply<pb::ThreadPage> {
        authed(&self.verifier, req, Grant::AnyCaller, |p, m| self.list_threads_impl(p, m)).await
    }
    async fn list_messages(&self, req: Request<pb::ListMessagesRequest>) -> Reply<pb::MessagePage> {
        authed(&self.verifier, req, Grant::AnyCaller, |p, m| self.list_messages_impl(p, m)).await
    }
    async fn mark_thread_read(&self, req: Request<pb::ThreadRef>) -> Reply<pb::Thread> {
        authed(&self.verifier, req, Grant::AnyCaller, |p, m| self.mark_thread_read_impl(p, m)).await
    }
}
