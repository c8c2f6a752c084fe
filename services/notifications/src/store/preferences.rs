//! A1: what each inbox wants to be told. No row: everything on.

use platform::db::TenantTx;
use uuid::Uuid;

/// An inbox's choices: (topic, in the app, by email).
#[tracing::instrument(skip_all)]
pub async fn preferences(tx: &mut TenantTx<'_>, recipient: &str) -> Result<Vec<(String, bool, bool)>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT topic, in_app, email FROM preferences WHERE tenant_id = $1 AND recipient = $2")
        .bind(tenant)
        .bind(recipient)
        .fetch_all(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn put_preference(
    tx: &mut TenantTx<'_>,
    recipient: &str,
    topic: &str,
    in_app: bool,
    email: bool,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO preferences (tenant_id, recipient, topic, in_app, email) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, recipient, topic) DO UPDATE SET in_app = EXCLUDED.in_app, email = EXCLUDED.email",
    )
    .bind(tenant)
    .bind(recipient)
    .bind(topic)
    .bind(in_app)
    .bind(email)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether `recipient` wants `topic` (in the app, by email); on unless turned off.
#[tracing::instrument(skip_all)]
pub async fn wants(tx: &mut TenantTx<'_>, recipient: &str, topic: &str) -> Result<(bool, bool), sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<(bool, bool)> =
        sqlx::query_as("SELECT in_app, email FROM preferences WHERE tenant_id = $1 AND recipient = $2 AND topic = $3")
            .bind(tenant)
            .bind(recipient)
            .bind(topic)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.unwrap_or((true, true)))
}

/// Of `partners`, those who have not turned `topic` off in the app.
#[tracing::instrument(skip_all)]
pub async fn wanting(tx: &mut TenantTx<'_>, partners: &[Uuid], topic: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT p FROM unnest($2::uuid[]) AS p
         WHERE NOT EXISTS (SELECT 1 FROM preferences f
                           WHERE f.tenant_id = $1 AND f.recipient = 'partner:' || p AND f.topic = $3 AND NOT f.in_app)
         ORDER BY p",
    )
    .bind(tenant)
    .bind(partners)
    .bind(topic)
    .fetch_all(tx.conn())
    .await
}
