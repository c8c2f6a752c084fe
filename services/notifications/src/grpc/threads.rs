//! N2: the merchant's announcements, to all its partners or one trust level, each a
//! notification of the partners it reaches. N3: one thread per partner with the merchant,
//! written both ways, each message a notification of the other side, with read markers.

use partnerline_proto::events::v1 as ev;
use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::paging::{next_cursor, offset_cursor, page_size};
use uuid::Uuid;

use super::notifications::{keyset_page, parse_cursor, ts};
use super::{NotificationsService, Person};
use crate::domain::{self, Audience, Draft, Kind, Recipient};
use crate::store::{self, AnnouncementRow, MessageRow, ThreadRow};

fn announcement(a: &AnnouncementRow) -> pb::Announcement {
    pb::Announcement {
        id: a.id.to_string(),
        title: a.title.clone(),
        body: a.body.clone(),
        audience: a.audience.clone(),
        recipients: u32::try_from(a.recipients).unwrap_or(0),
        author_user_id: a.author_user_id.to_string(),
        created_at: ts(a.created_at),
    }
}

fn chat(m: &MessageRow) -> pb::ChatMessage {
    pb::ChatMessage {
        id: m.id.to_string(),
        partner_id: m.partner_id.to_string(),
        from: if m.from_partner { "partner" } else { "merchant" }.to_string(),
        author_user_id: m.author_user_id.to_string(),
        body: m.body.clone(),
        created_at: ts(m.created_at),
    }
}

/// The reader's side of a thread.
fn side(p: &Person) -> &'static str {
    if p.partner.is_some() { "partner" } else { "merchant" }
}

/// The thread a call is about: a partner's own, or the one the merchant names.
fn thread_of(p: &Person, named: Option<&str>) -> Result<Uuid, AppError> {
    if let Some(own) = p.partner {
        return Ok(own);
    }
    if !p.admin {
        return Err(AppError::forbidden("the threads with partners are the merchant admins'"));
    }
    let raw = named
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::invalid("partner_id", "name the partner whose thread it is"))?;
    Uuid::parse_str(raw).map_err(|_| AppError::not_found("partner").with_field("partner_id"))
}

impl NotificationsService {
    pub(super) async fn create_announcement_impl(
        &self,
        p: Person,
        m: pb::CreateAnnouncementRequest,
    ) -> Result<pb::Announcement, AppError> {
        if !p.admin {
            return Err(AppError::forbidden("only the merchant's admins write announcements"));
        }
        let title = domain::written("title", &m.title, 200);
        let body = domain::written("body", &m.body, 10_000);
        let audience = Audience::of(&m.audience);
        let errors: Vec<_> = [title.as_ref().err(), body.as_ref().err(), audience.as_ref().err()]
            .into_iter()
            .flatten()
            .flat_map(|e| e.errors.clone())
            .collect();
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let (title, body, audience) = (title?, body?, audience?);
        let mut tx = TenantTx::begin(&self.pool, p.tenant).await?;
        let partners = store::audience(&mut tx, audience.as_str()).await?;
        let a = AnnouncementRow {
            id: Uuid::now_v7(),
            title,
            body,
            audience: audience.as_str().to_string(),
            recipients: i32::try_from(partners.len()).unwrap_or(i32::MAX),
            author_user_id: p.user,
            created_at: self.clock.now(),
        };
        store::insert_announcement(&mut tx, &a, &partners).await?;
        let mut d = Draft::announcement(&a.id.to_string());
        d.params.insert("title".into(), a.title.clone());
        // Every partner of the audience finds it in its list; those who turned the topic off
        // are not told (A1).
        let told = store::wanting(&mut tx, &partners, Kind::Announcement.as_str()).await?;
        store::insert_for_partners(&mut tx, &d, &told, a.id, a.created_at).await?;
        let msg = ev::AnnouncementCreated {
            tenant_id: p.tenant.to_string(),
            announcement_id: a.id.to_string(),
            title: a.title.clone(),
            audience: a.audience.clone(),
            recipients: u32::try_from(partners.len()).unwrap_or(u32::MAX),
            actor_user_id: p.user.to_string(),
        };
        self.outbox.emit(tx.conn(), p.tenant, "announcement", a.id, "created", &msg).await?;
        tx.commit().await?;
        Ok(announcement(&a))
    }

    pub(super) async fn list_announcements_impl(
        &self,
        p: Person,
        m: pb::ListAnnouncementsRequest,
    ) -> Result<pb::AnnouncementPage, AppError> {
        let size = page_size(m.limit);
        let before = parse_cursor(m.cursor.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant).await?;
        let mut rows = store::announcements(&mut tx, p.partner, before, size + 1).await?;
        // A partner who opens its announcements has read them: their notifications clear.
        if let (Some(own), None) = (p.partner, before) {
            let inbox = [Recipient::Partner(own).key()];
            store::mark_read_about(&mut tx, &inbox, Kind::Announcement.as_str(), None, self.clock.now()).await?;
        }
        tx.commit().await?;
        let next_cursor = keyset_page(&mut rows, size, |r| r.id);
        Ok(pb::AnnouncementPage { items: rows.iter().map(announcement).collect(), next_cursor })
    }

    pub(super) async fn send_message_impl(
        &self,
        p: Person,
        m: pb::SendMessageRequest,
    ) -> Result<pb::ChatMessage, AppError> {
        let thread = thread_of(&p, m.partner_id.as_deref());
        let body = domain::written("body", &m.body, 5_000);
        let (thread, body) = match (thread, body) {
            (Ok(t), Ok(b)) => (t, b),
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
            (Err(a), Err(b)) => return Err(AppError::invalid_fields([a.errors, b.errors].concat())),
        };
        let mut tx = TenantTx::begin(&self.pool, p.tenant).await?;
        let Some(partner) = store::partner(&mut tx, thread).await? else {
            return Err(AppError::not_found("partner").with_field("partner_id"));
        };
        let from_partner = p.partner.is_some();
        let row = MessageRow {
            id: Uuid::now_v7(),
            partner_id: thread,
            from_partner,
            author_user_id: p.user,
            body,
            created_at: self.clock.now(),
        };
        store::insert_message(&mut tx, &row).await?;
        // The writer has read its own thread up to what it wrote.
        store::mark_thread_read(&mut tx, thread, side(&p), row.id).await?;
        let (to, name) = if from_partner {
            (Recipient::Merchant, partner.name.clone())
        } else {
            let program = store::program_name(&mut tx).await?.unwrap_or_else(|| "Partnerline".into());
            (Recipient::Partner(thread), program)
        };
        let mut d = Draft::message(to, &thread.to_string());
        d.params.insert("name".into(), name);
        d.params.insert("preview".into(), domain::preview(&row.body));
        if store::wants(&mut tx, &d.recipient.key(), Kind::Message.as_str()).await?.0 {
            store::insert(&mut tx, &d, row.id, row.created_at).await?;
        }
        let msg = ev::MessageSent {
            tenant_id: p.tenant.to_string(),
            message_id: row.id.to_string(),
            partner_id: thread.to_string(),
            from: side(&p).to_string(),
            actor_user_id: p.user.to_string(),
        };
        self.outbox.emit(tx.conn(), p.tenant, "message", row.id, "sent", &msg).await?;
        tx.commit().await?;
        Ok(chat(&row))
    }

    async fn thread_reply(&self, tx: &mut TenantTx<'_>, t: &ThreadRow) -> Result<pb::Thread, AppError> {
        let last = store::message(tx, t.last_id).await?;
        Ok(pb::Thread {
            partner_id: t.partner_id.to_string(),
            partner_name: t.partner_name.clone().unwrap_or_default(),
            last_message: last.as_ref().map(chat),
            unread: u32::try_from(t.unread).unwrap_or(u32::MAX),
        })
    }

    pub(super) async fn list_threads_impl(
        &self,
        p: Person,
        m: pb::ListThreadsRequest,
    ) -> Result<pb::ThreadPage, AppError> {
        if p.partner.is_none() && !p.admin {
            return Err(AppError::forbidden("the threads with partners are the merchant admins'"));
        }
        let size = page_size(m.limit);
        let offset = offset_cursor(m.cursor.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant).await?;
        let mut rows = store::threads(&mut tx, side(&p), p.partner, offset, size + 1).await?;
        let next_cursor = next_cursor(&mut rows, offset, size);
        let mut items = Vec::with_capacity(rows.len());
        for t in &rows {
            items.push(self.thread_reply(&mut tx, t).await?);
        }
        tx.commit().await?;
        Ok(pb::ThreadPage { items, next_cursor })
    }

    pub(super) async fn list_messages_impl(
        &self,
        p: Person,
        m: pb::ListMessagesRequest,
    ) -> Result<pb::MessagePage, AppError> {
        let thread = thread_of(&p, m.partner_id.as_deref())?;
        let size = page_size(m.limit);
        let before = parse_cursor(m.cursor.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant).await?;
        if p.partner.is_none() && store::partner(&mut tx, thread).await?.is_none() {
            return Err(AppError::not_found("partner").with_field("partner_id"));
        }
        let mut rows = store::messages(&mut tx, thread, before, size + 1).await?;
        tx.commit().await?;
        let next_cursor = keyset_page(&mut rows, size, |r| r.id);
        Ok(pb::MessagePage { items: rows.iter().map(chat).collect(), next_cursor })
    }

    pub(super) async fn mark_thread_read_impl(&self, p: Person, m: pb::ThreadRef) -> Result<pb::Thread, AppError> {
        let thread = thread_of(&p, m.partner_id.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant).await?;
        let last = store::messages(&mut tx, thread, None, 1).await?;
        let Some(last) = last.first() else { return Err(AppError::not_found("thread")) };
        store::mark_thread_read(&mut tx, thread, side(&p), last.id).await?;
        let inbox = match p.partner {
            Some(own) => Recipient::Partner(own),
            None => Recipient::Merchant,
        };
        let about = thread.to_string();
        store::mark_read_about(&mut tx, &[inbox.key()], Kind::Message.as_str(), Some(&about), self.clock.now()).await?;
        let rows = store::threads(&mut tx, side(&p), Some(thread), 0, 1).await?;
        let Some(t) = rows.first() else { return Err(AppError::not_found("thread")) };
        let reply = self.thread_reply(&mut tx, t).await?;
        tx.commit().await?;
        Ok(reply)
    }
}
