//! Notes (CU3) and the communication log (CU4) of a customer the caller reaches.

use partnerline_proto::customers::v1 as pb;
use partnerline_proto::events::v1 as ev;
use platform::AppError;
use platform::db::TenantTx;
use uuid::Uuid;

use super::{Access, CustomersService, convert, parse_id};
use crate::domain::{CommunicationKind, NotePriority, parse_text};
use crate::store::{self, CommunicationRow, NoteRow};

impl CustomersService {
    /// Opens a transaction on a customer the caller reaches, else NotFound.
    async fn reach(&self, a: &Access, customer: &str) -> Result<(TenantTx<'static>, Uuid), AppError> {
        let id = parse_id(customer, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        Ok((tx, id))
    }

    pub(super) async fn list_notes_impl(&self, a: Access, req: pb::CustomerRef) -> Result<pb::NoteList, AppError> {
        let (mut tx, id) = self.reach(&a, &req.id).await?;
        let rows = store::notes(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::NoteList { items: rows.iter().map(convert::note).collect() })
    }

    pub(crate) async fn add_note_impl(&self, a: Access, req: pb::AddNoteRequest) -> Result<pb::Note, AppError> {
        let priority = NotePriority::parse("priority", if req.priority.is_empty() { "none" } else { &req.priority })?;
        let body = parse_text("body", &req.body, 1, 10_000)?;
        let (mut tx, customer) = self.reach(&a, &req.customer_id).await?;
        let now = self.clock.now();
        let n = NoteRow {
            id: Uuid::now_v7(),
            customer_id: customer,
            priority: priority.as_str().into(),
            body,
            author_user_id: a.actor,
            created_at: now,
            updated_at: now,
        };
        store::insert_note(&mut tx, &n).await?;
        self.note_event(&mut tx, &a, &n, "added").await?;
        tx.commit().await?;
        Ok(convert::note(&n))
    }

    pub(super) async fn update_note_impl(&self, a: Access, req: pb::UpdateNoteRequest) -> Result<pb::Note, AppError> {
        let priority = req.priority.as_deref().map(|p| NotePriority::parse("priority", p)).transpose()?;
        let body = req.body.as_deref().map(|b| parse_text("body", b, 1, 10_000)).transpose()?;
        let (mut tx, customer) = self.reach(&a, &req.customer_id).await?;
        let note = parse_id(&req.note_id, "note")?;
        let mut n =
            store::note_for_update(&mut tx, customer, note).await?.ok_or_else(|| AppError::not_found("note"))?;
        if let Some(p) = priority {
            n.priority = p.as_str().into();
        }
        if let Some(b) = body {
            n.body = b;
        }
        n.updated_at = self.clock.now();
        store::update_note(&mut tx, &n).await?;
        self.note_event(&mut tx, &a, &n, "updated").await?;
        tx.commit().await?;
        Ok(convert::note(&n))
    }

    pub(super) async fn delete_note_impl(&self, a: Access, req: pb::NoteRef) -> Result<pb::Empty, AppError> {
        let (mut tx, customer) = self.reach(&a, &req.customer_id).await?;
        let note = parse_id(&req.note_id, "note")?;
        let n = store::note_for_update(&mut tx, customer, note).await?.ok_or_else(|| AppError::not_found("note"))?;
        store::delete_note(&mut tx, n.id).await?;
        self.note_event(&mut tx, &a, &n, "deleted").await?;
        tx.commit().await?;
        Ok(pb::Empty {})
    }

    async fn note_event(&self, tx: &mut TenantTx<'_>, a: &Access, n: &NoteRow, event: &str) -> Result<(), AppError> {
        let msg = ev::NoteChanged {
            tenant_id: a.tenant.to_string(),
            customer_id: n.customer_id.to_string(),
            note_id: n.id.to_string(),
            priority: n.priority.clone(),
            actor_user_id: a.actor.to_string(),
        };
        self.outbox.emit(tx.conn(), a.tenant, "note", n.id, event, &msg).await?;
        Ok(())
    }

    pub(super) async fn list_communications_impl(
        &self,
        a: Access,
        req: pb::CustomerRef,
    ) -> Result<pb::CommunicationList, AppError> {
        let (mut tx, id) = self.reach(&a, &req.id).await?;
        let rows = store::communications(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::CommunicationList { items: rows.iter().map(convert::communication).collect() })
    }

    pub(crate) async fn add_communication_impl(
        &self,
        a: Access,
        req: pb::AddCommunicationRequest,
    ) -> Result<pb::Communication, AppError> {
        let kind = CommunicationKind::parse("kind", &req.kind)?;
        let summary = parse_text("summary", &req.summary, 1, 5_000)?;
        let now = self.clock.now();
        let occurred_at = if req.occurred_at.trim().is_empty() {
            now
        } else {
            chrono::DateTime::parse_from_rfc3339(req.occurred_at.trim())
                .map_err(|_| AppError::invalid("occurred_at", "must be an RFC 3339 time, e.g. 2026-05-01T10:30:00Z"))?
                .with_timezone(&chrono::Utc)
        };
        let (mut tx, customer) = self.reach(&a, &req.customer_id).await?;
        let c = CommunicationRow {
            id: Uuid::now_v7(),
            customer_id: customer,
            kind: kind.as_str().into(),
            occurred_at,
            author_user_id: a.actor,
            summary,
            created_at: now,
        };
        store::insert_communication(&mut tx, &c).await?;
        let msg = ev::CommunicationLogged {
            tenant_id: a.tenant.to_string(),
            customer_id: customer.to_string(),
            communication_id: c.id.to_string(),
            kind: c.kind.clone(),
            occurred_at: convert::ts(occurred_at),
            actor_user_id: a.actor.to_string(),
        };
        self.outbox.emit(tx.conn(), a.tenant, "communication", c.id, "logged", &msg).await?;
        tx.commit().await?;
        Ok(convert::communication(&c))
    }
}
