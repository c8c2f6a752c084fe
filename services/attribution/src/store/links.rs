//! Links (L1) and their clicks (L2): written in batches, counted per day and per link.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct LinkRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub code: String,
    pub kind: String,
    pub target_url: String,
    pub label: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Posters' links (L1) stop binding after this.
    pub expires_at: Option<DateTime<Utc>>,
}

impl LinkRow {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }
}

pub(crate) const LINK: &str =
    "SELECT id, tenant_id, partner_id, code, kind, target_url, label, active, created_at, expires_at FROM links";

/// Inserts a link; `false` when its code (or a second referral link of the partner) exists.
#[tracing::instrument(skip_all)]
pub async fn insert_link(tx: &mut TenantTx<'_>, l: &LinkRow) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO links (id, tenant_id, partner_id, code, kind, target_url, label, active, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(l.id)
    .bind(tenant)
    .bind(l.partner_id)
    .bind(&l.code)
    .bind(&l.kind)
    .bind(&l.target_url)
    .bind(&l.label)
    .bind(l.active)
    .bind(l.created_at)
    .bind(l.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The link behind a code, in any program (the code is the key).
#[tracing::instrument(skip_all)]
pub async fn link_by_code(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<LinkRow>> {
    sqlx::query_as(&format!("{LINK} WHERE code = $1")).bind(code).fetch_optional(conn).await
}

#[tracing::instrument(skip_all)]
pub async fn link(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<LinkRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{LINK} WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn links(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<LinkRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{LINK} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) ORDER BY created_at DESC, id DESC"
    ))
    .bind(tenant)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone)]
pub struct ClickRow {
    pub id: Uuid,
    pub link_id: Uuid,
    pub partner_id: Uuid,
    pub visitor_id: String,
    pub subject: String,
    pub user_agent: String,
    pub referrer: String,
    pub ip_hash: String,
    pub decision: String,
    pub at: DateTime<Utc>,
    /// X4: the partner who made the click itself (L6, L7), if one did.
    pub clicker_partner_id: Option<Uuid>,
}

/// Clicks per UTC day in [from, to), with how many bound someone.
#[tracing::instrument(skip_all)]
pub async fn clicks_per_day(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(chrono::NaiveDate, i64, i64)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT (at AT TIME ZONE 'UTC')::date AS day, count(*), count(*) FILTER (WHERE decision IN ('bound', 'rebound'))
         FROM clicks WHERE tenant_id = $1 AND partner_id = $2 AND at >= $3 AND at < $4 GROUP BY 1 ORDER BY 1",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}

/// Clicks per link in [from, to), most clicked first.
#[tracing::instrument(skip_all)]
pub async fn clicks_per_link(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(Uuid, String, String, i64)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT l.id, l.code, l.label, count(c.id) FROM links l
         JOIN clicks c ON c.tenant_id = l.tenant_id AND c.link_id = l.id AND c.at >= $3 AND c.at < $4
         WHERE l.tenant_id = $1 AND l.partner_id = $2 GROUP BY l.id, l.code, l.label ORDER BY 4 DESC, l.id",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}

/// Writes many clicks in one statement.
#[tracing::instrument(skip_all)]
pub async fn insert_clicks(tx: &mut TenantTx<'_>, rows: &[ClickRow]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let text = |f: fn(&ClickRow) -> &String| rows.iter().map(|c| f(c).clone()).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO clicks (id, tenant_id, link_id, partner_id, visitor_id, subject, user_agent, referrer, ip_hash,
             decision, at, clicker_partner_id)
         SELECT id, $1, l, p, v, s, ua, r, ip, d, a, k
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::timestamptz[], $12::uuid[]) AS u(id, l, p, v, s, ua, r, ip, d, a, k)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(tenant)
    .bind(rows.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.link_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.partner_id).collect::<Vec<_>>())
    .bind(text(|c| &c.visitor_id))
    .bind(text(|c| &c.subject))
    .bind(text(|c| &c.user_agent))
    .bind(text(|c| &c.referrer))
    .bind(text(|c| &c.ip_hash))
    .bind(text(|c| &c.decision))
    .bind(rows.iter().map(|c| c.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|c| c.clicker_partner_id).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}
