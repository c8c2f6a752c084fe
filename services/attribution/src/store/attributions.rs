//! Order attributions (L9-L11), versioned, and missing-referral claims (X1).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct AttributionRow {
    pub order_id: Uuid,
    pub version: i32,
    pub partner_id: Option<Uuid>,
    pub parent_chain: Vec<Uuid>,
    pub reason: String,
    pub detail: String,
    pub order_version: i32,
    pub actor_user_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn latest_attribution(tx: &mut TenantTx<'_>, order: Uuid) -> sqlx::Result<Option<AttributionRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT order_id, version, partner_id, parent_chain, reason, detail, order_version, actor_user_id, at
         FROM order_attributions WHERE tenant_id = $1 AND order_id = $2 ORDER BY version DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tenant)
    .bind(order)
    .fetch_optional(tx.conn())
    .await
}

/// Records many orders' decisions in one statement; returns the orders recorded (an order whose
/// version exists already, a racing delivery's, is left out).
#[tracing::instrument(skip_all)]
pub async fn insert_attributions(
    tx: &mut TenantTx<'_>,
    rows: &[AttributionRow],
) -> sqlx::Result<std::collections::HashSet<Uuid>> {
    if rows.is_empty() {
        return Ok(Default::default());
    }
    let tenant = tx.tenant();
    let mut q = sqlx::QueryBuilder::new(
        "INSERT INTO order_attributions (tenant_id, order_id, version, partner_id, parent_chain, reason, detail,
             order_version, actor_user_id, at) ",
    );
    q.push_values(rows, |mut b, a| {
        b.push_bind(tenant)
            .push_bind(a.order_id)
            .push_bind(a.version)
            .push_bind(a.partner_id)
            .push_bind(&a.parent_chain)
            .push_bind(&a.reason)
            .push_bind(&a.detail)
            .push_bind(a.order_version)
            .push_bind(a.actor_user_id)
            .push_bind(a.at);
    });
    q.push(" ON CONFLICT DO NOTHING RETURNING order_id");
    let inserted: Vec<Uuid> = q.build_query_scalar().fetch_all(tx.conn()).await?;
    Ok(inserted.into_iter().collect())
}

/// Which of `orders` have been decided already.
#[tracing::instrument(skip_all)]
pub async fn attributed_orders(tx: &mut TenantTx<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT DISTINCT order_id FROM order_attributions WHERE tenant_id = $1 AND order_id = ANY($2)")
        .bind(tenant)
        .bind(orders)
        .fetch_all(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn attributions(tx: &mut TenantTx<'_>, order: Uuid) -> sqlx::Result<Vec<AttributionRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT order_id, version, partner_id, parent_chain, reason, detail, order_version, actor_user_id, at
         FROM order_attributions WHERE tenant_id = $1 AND order_id = $2 ORDER BY version",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct ClaimRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub partner_id: Uuid,
    pub message: String,
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub(crate) const CLAIM: &str =
    "SELECT id, order_id, partner_id, message, status, decided_by, decision_reason, created_at, decided_at
    FROM attribution_claims";

/// Files a claim; `false` when the partner has one open on the order already.
#[tracing::instrument(skip_all)]
pub async fn insert_claim(tx: &mut TenantTx<'_>, c: &ClaimRow) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO attribution_claims (id, tenant_id, order_id, partner_id, message, status, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT DO NOTHING",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(c.order_id)
    .bind(c.partner_id)
    .bind(&c.message)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn claim_for_update(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    partner: Option<Uuid>,
) -> sqlx::Result<Option<ClaimRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{CLAIM} WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR partner_id = $3) FOR UPDATE"
    ))
    .bind(tenant)
    .bind(id)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn claims(tx: &mut TenantTx<'_>, partner: Option<Uuid>, status: Option<&str>) -> sqlx::Result<Vec<ClaimRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{CLAIM} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at DESC, id DESC LIMIT 500"
    ))
    .bind(tenant)
    .bind(partner)
    .bind(status)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn decide_claim(tx: &mut TenantTx<'_>, c: &ClaimRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE attribution_claims SET status = $3, decided_by = $4, decision_reason = $5, decided_at = $6
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(c.id)
    .bind(&c.status)
    .bind(c.decided_by)
    .bind(&c.decision_reason)
    .bind(c.decided_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}
