//! N1: a person's notifications: the list (newest first, unread only on asking, by cursor), the
//! unread count, and marking read.

use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::paging::page_size;
use uuid::Uuid;

use super::{Inbox, NotificationsService};
use crate::domain::{self, Kind};
use crate::store::{self, NotificationRow};

pub(super) fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn notification(n: &NotificationRow) -> pb::Notification {
    // A kind this build does not know (written by a newer one) still shows, without a text.
    let kind = Kind::parse("kind", &n.kind).ok();
    pb::Notification {
        id: n.id.to_string(),
        kind: n.kind.clone(),
        object_type: n.object_type.clone(),
        object_id: n.object_id.clone(),
        link: kind.map(|k| domain::link(k, &n.object_id)).unwrap_or_default(),
        params: n.params.0.clone().into_iter().collect(),
        text: kind.map(|k| domain::text(k, &n.params.0)).unwrap_or_default(),
        created_at: ts(n.created_at),
        read_at: n.read_at.map(ts),
    }
}

/// Cuts `rows` (fetched with `size + 1`, newest first) to the page, and says the next page's
/// cursor: the last id shown, when more follow.
pub(super) fn keyset_page<T>(rows: &mut Vec<T>, size: i64, id: impl Fn(&T) -> Uuid) -> Option<String> {
    let more = rows.len() as i64 > size;
    rows.truncate(size.max(0) as usize);
    if more { rows.last().map(|r| id(r).to_string()) } else { None }
}

/// A page's cursor: the id of the last item of the page before (ids are UUIDv7, time-ordered).
pub(super) fn parse_cursor(raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    match raw.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => {
            Uuid::parse_str(c).map(Some).map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned"))
        }
        None => Ok(None),
    }
}

impl NotificationsService {
    pub(super) async fn list_impl(
        &self,
        i: Inbox,
        m: pb::ListNotificationsRequest,
    ) -> Result<pb::NotificationPage, AppError> {
        let size = page_size(m.limit);
        let before = parse_cursor(m.cursor.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, i.tenant).await?;
        let mut rows = store::page(&mut tx, &i.recipients, m.unread, before, size + 1).await?;
        tx.commit().await?;
        let next_cursor = keyset_page(&mut rows, size, |r| r.id);
        Ok(pb::NotificationPage { items: rows.iter().map(notification).collect(), next_cursor })
    }

    pub(super) async fn unread_impl(&self, i: Inbox) -> Result<pb::UnreadCount, AppError> {
        let mut tx = TenantTx::begin(&self.pool, i.tenant).await?;
        let n = store::unread(&mut tx, &i.recipients).await?;
        tx.commit().await?;
        Ok(pb::UnreadCount { unread: u32::try_from(n).unwrap_or(u32::MAX) })
    }

    pub(super) async fn mark_read_impl(&self, i: Inbox, m: pb::NotificationRef) -> Result<pb::Notification, AppError> {
        let id = Uuid::parse_str(m.id.trim()).map_err(|_| AppError::not_found("notification"))?;
        let mut tx = TenantTx::begin(&self.pool, i.tenant).await?;
        let row = store::mark_read(&mut tx, &i.recipients, id, self.clock.now()).await?;
        tx.commit().await?;
        // Another person's notification is as absent as one that never was.
        row.map(|r| notification(&r)).ok_or_else(|| AppError::not_found("notification"))
    }

    pub(super) async fn mark_all_read_impl(&self, i: Inbox) -> Result<pb::Marked, AppError> {
        let mut tx = TenantTx::begin(&self.pool, i.tenant).await?;
        let n = store::mark_all_read(&mut tx, &i.recipients, self.clock.now()).await?;
        tx.commit().await?;
        Ok(pb::Marked { marked: u32::try_from(n).unwrap_or(u32::MAX) })
    }
}
