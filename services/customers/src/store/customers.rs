//! Customers (CU1, CU2, CU5-CU7): their rows, cards and filtered lists.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::Address;

use super::NoteRow;

#[derive(Debug, Clone, FromRow)]
pub struct CustomerRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub vat_number: String,
    pub contact_person: String,
    pub email: String,
    pub phone: String,
    pub address: Json<Address>,
    pub status: String,
    pub temperature: String,
    pub discount_percent: Decimal,
    pub currency: String,
    pub language: String,
    pub owner_partner_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub is_business: bool,
    pub approval: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

/// A customer with what its card shows besides its fields (CU2).
#[derive(Debug, Clone, FromRow)]
pub struct CustomerCard {
    #[sqlx(flatten)]
    pub customer: CustomerRow,
    pub note_id: Option<Uuid>,
    pub note_priority: Option<String>,
    pub note_body: Option<String>,
    pub note_author: Option<Uuid>,
    pub note_created_at: Option<DateTime<Utc>>,
    pub note_updated_at: Option<DateTime<Utc>>,
    pub has_link: bool,
    pub group_name: Option<String>,
}

impl CustomerCard {
    pub fn latest_note(&self) -> Option<NoteRow> {
        Some(NoteRow {
            id: self.note_id?,
            customer_id: self.customer.id,
            priority: self.note_priority.clone()?,
            body: self.note_body.clone()?,
            author_user_id: self.note_author?,
            created_at: self.note_created_at?,
            updated_at: self.note_updated_at?,
        })
    }
}

/// A customer's columns, on the alias `c`: every query that reads a `CustomerRow` selects these.
pub(crate) const COLUMNS: &str =
    "c.id, c.tenant_id, c.name, c.vat_number, c.contact_person, c.email, c.phone, c.address, c.status,
    c.temperature, c.discount_percent, c.currency, c.language, c.owner_partner_id, c.group_id, c.is_business,
    c.approval, c.created_at, c.updated_at, c.erased_at";

pub(crate) fn card_query(condition: &str) -> String {
    format!(
        "SELECT {COLUMNS},
            n.id AS note_id, n.priority AS note_priority, n.body AS note_body, n.author_user_id AS note_author,
            n.created_at AS note_created_at, n.updated_at AS note_updated_at,
            EXISTS (SELECT 1 FROM quick_order_links l WHERE l.customer_id = c.id) AS has_link,
            g.name AS group_name
        FROM customers c
        LEFT JOIN LATERAL (
            SELECT * FROM notes WHERE notes.tenant_id = c.tenant_id AND notes.customer_id = c.id
            ORDER BY priority_rank, created_at DESC, id DESC LIMIT 1
        ) n ON true
        LEFT JOIN customer_groups g ON g.tenant_id = c.tenant_id AND g.id = c.group_id
        WHERE {condition}"
    )
}

#[tracing::instrument(skip_all)]
pub async fn insert_customer(tx: &mut TenantTx<'_>, c: &CustomerRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO customers (id, tenant_id, name, vat_number, contact_person, email, phone, address, status, temperature,
             discount_percent, currency, language, owner_partner_id, group_id, is_business, approval, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(&c.name)
    .bind(&c.vat_number)
    .bind(&c.contact_person)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.address)
    .bind(&c.status)
    .bind(&c.temperature)
    .bind(c.discount_percent)
    .bind(&c.currency)
    .bind(&c.language)
    .bind(c.owner_partner_id)
    .bind(c.group_id)
    .bind(c.is_business)
    .bind(&c.approval)
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A live customer, visible to `owner` when given (a partner reaches only its own).
#[tracing::instrument(skip_all)]
pub async fn card(tx: &mut TenantTx<'_>, id: Uuid, owner: Option<Uuid>) -> Result<Option<CustomerCard>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&card_query(
        "c.tenant_id = $1 AND c.id = $2 AND c.deleted_at IS NULL AND ($3::uuid IS NULL OR c.owner_partner_id = $3)",
    ))
    .bind(tenant)
    .bind(id)
    .bind(owner)
    .fetch_optional(tx.conn())
    .await
}

/// Locks a live customer the caller may change.
#[tracing::instrument(skip_all)]
pub async fn customer_for_update(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    owner: Option<Uuid>,
) -> Result<Option<CustomerRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM customers c
         WHERE c.tenant_id = $1 AND c.id = $2 AND c.deleted_at IS NULL AND ($3::uuid IS NULL OR c.owner_partner_id = $3)
         FOR UPDATE OF c"
    ))
    .bind(tenant)
    .bind(id)
    .bind(owner)
    .fetch_optional(tx.conn())
    .await
}

#[derive(Debug, Default)]
pub struct CustomerFilter {
    /// Lower-cased part of a name, email or phone.
    pub q: Option<String>,
    pub status: Option<String>,
    pub temperature: Option<String>,
    pub owner: Option<Uuid>,
    /// Ids below this one (the list is newest first).
    pub before: Option<Uuid>,
    pub limit: i64,
    pub approval: Option<String>,
    pub group: Option<Uuid>,
}

#[tracing::instrument(skip_all)]
pub async fn list(tx: &mut TenantTx<'_>, f: &CustomerFilter) -> Result<Vec<CustomerCard>, sqlx::Error> {
    let tenant = tx.tenant();
    // A partner's book is small and indexed by owner: scan it and test each row, rather than let
    // the planner intersect it with the trigram index, which reads every match in the tenant.
    // Across the whole tenant, the trigram index is what finds matches.
    let (q, search) = match (&f.q, f.owner) {
        (None, _) => (None, "true"),
        (Some(q), Some(_)) => (Some(q.clone()), "strpos(c.search, $2) > 0"),
        (Some(q), None) => (Some(platform::db::contains_pattern(q)), "c.search LIKE $2"),
    };
    sqlx::query_as(&card_query(&format!(
        "c.tenant_id = $1 AND c.deleted_at IS NULL
           AND ($2::text IS NULL OR ({search} AND c.erased_at IS NULL))
           AND ($3::text IS NULL OR c.status = $3)
           AND ($4::text IS NULL OR c.temperature = $4)
           AND ($5::uuid IS NULL OR c.owner_partner_id = $5)
           AND ($6::uuid IS NULL OR c.id < $6)
           AND ($8::text IS NULL OR c.approval = $8)
           AND ($9::uuid IS NULL OR c.group_id = $9)
         ORDER BY c.id DESC LIMIT $7"
    )))
    .bind(tenant)
    .bind(q)
    .bind(&f.status)
    .bind(&f.temperature)
    .bind(f.owner)
    .bind(f.before)
    .bind(f.limit)
    .bind(&f.approval)
    .bind(f.group)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update_customer(tx: &mut TenantTx<'_>, c: &CustomerRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE customers SET name = $3, vat_number = $4, contact_person = $5, email = $6, phone = $7, address = $8,
             status = $9, temperature = $10, discount_percent = $11, currency = $12, language = $13, owner_partner_id = $14,
             updated_at = $15, group_id = $16, approval = $17
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.vat_number)
    .bind(&c.contact_person)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.address)
    .bind(&c.status)
    .bind(&c.temperature)
    .bind(c.discount_percent)
    .bind(&c.currency)
    .bind(&c.language)
    .bind(c.owner_partner_id)
    .bind(c.updated_at)
    .bind(c.group_id)
    .bind(&c.approval)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Soft delete: the customer disappears from every list and lookup; its link stops working.
#[tracing::instrument(skip_all)]
pub async fn delete_customer(tx: &mut TenantTx<'_>, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE customers SET deleted_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(now)
        .execute(tx.conn())
        .await?;
    super::delete_link(tx, id).await?;
    Ok(())
}

// ---- notes ----
