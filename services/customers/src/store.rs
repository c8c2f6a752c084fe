//! Customers' SQL: one function per query, each through a `TenantTx` so it filters by tenant.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::Address;

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
}

#[derive(Debug, Clone, FromRow)]
pub struct NoteRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub priority: String,
    pub body: String,
    pub author_user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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

#[derive(Debug, Clone, FromRow)]
pub struct CommunicationRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub author_user_id: Uuid,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

/// A customer's columns, on the alias `c`: every query that reads a `CustomerRow` selects these.
const COLUMNS: &str =
    "c.id, c.tenant_id, c.name, c.vat_number, c.contact_person, c.email, c.phone, c.address, c.status,
    c.temperature, c.discount_percent, c.currency, c.language, c.owner_partner_id, c.group_id, c.is_business,
    c.approval, c.created_at, c.updated_at";

fn card_query(condition: &str) -> String {
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
           AND ($2::text IS NULL OR {search})
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
    sqlx::query("DELETE FROM quick_order_links WHERE tenant_id = $1 AND customer_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

// ---- notes ----

#[tracing::instrument(skip_all)]
pub async fn notes(tx: &mut TenantTx<'_>, customer: Uuid) -> Result<Vec<NoteRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, customer_id, priority, body, author_user_id, created_at, updated_at FROM notes
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY priority_rank, created_at DESC, id DESC",
    )
    .bind(tenant)
    .bind(customer)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_note(tx: &mut TenantTx<'_>, n: &NoteRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO notes (id, tenant_id, customer_id, priority, body, author_user_id, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(n.id)
    .bind(tenant)
    .bind(n.customer_id)
    .bind(&n.priority)
    .bind(&n.body)
    .bind(n.author_user_id)
    .bind(n.created_at)
    .bind(n.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn note_for_update(tx: &mut TenantTx<'_>, customer: Uuid, id: Uuid) -> Result<Option<NoteRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, customer_id, priority, body, author_user_id, created_at, updated_at FROM notes
         WHERE tenant_id = $1 AND customer_id = $2 AND id = $3 FOR UPDATE",
    )
    .bind(tenant)
    .bind(customer)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update_note(tx: &mut TenantTx<'_>, n: &NoteRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE notes SET priority = $3, body = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(n.id)
        .bind(&n.priority)
        .bind(&n.body)
        .bind(n.updated_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_note(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("DELETE FROM notes WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id).execute(tx.conn()).await?;
    Ok(())
}

// ---- communications ----

#[tracing::instrument(skip_all)]
pub async fn communications(tx: &mut TenantTx<'_>, customer: Uuid) -> Result<Vec<CommunicationRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, customer_id, kind, occurred_at, author_user_id, summary, created_at FROM communications
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY occurred_at DESC, id DESC",
    )
    .bind(tenant)
    .bind(customer)
    .fetch_all(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_communication(tx: &mut TenantTx<'_>, c: &CommunicationRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO communications (id, tenant_id, customer_id, kind, occurred_at, author_user_id, summary, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(c.id)
    .bind(tenant)
    .bind(c.customer_id)
    .bind(&c.kind)
    .bind(c.occurred_at)
    .bind(c.author_user_id)
    .bind(&c.summary)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

// ---- quick-order links ----

/// Creates the customer's link, or replaces it: the old token stops resolving at once.
#[tracing::instrument(skip_all)]
pub async fn put_link(
    tx: &mut TenantTx<'_>,
    customer: Uuid,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO quick_order_links (customer_id, tenant_id, token_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (customer_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at",
    )
    .bind(customer)
    .bind(tenant)
    .bind(hash)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_link(tx: &mut TenantTx<'_>, customer: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query("DELETE FROM quick_order_links WHERE tenant_id = $1 AND customer_id = $2")
        .bind(tenant)
        .bind(customer)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The live customer a token belongs to (any tenant: the token is the credential).
#[tracing::instrument(skip_all)]
pub async fn customer_by_token(conn: &mut PgConnection, hash: &[u8]) -> Result<Option<CustomerRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}
         FROM quick_order_links l JOIN customers c ON c.id = l.customer_id AND c.tenant_id = l.tenant_id
         WHERE l.token_hash = $1 AND c.deleted_at IS NULL AND c.approval = 'active'"
    ))
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Records a token lookup and returns how many this client made in the window.
#[tracing::instrument(skip_all)]
pub async fn count_lookup(
    conn: &mut PgConnection,
    client: &str,
    now: DateTime<Utc>,
    window_secs: i64,
) -> Result<i64, sqlx::Error> {
    let since = now - chrono::Duration::seconds(window_secs);
    // Lookups older than the window no longer count: drop this client's, so the table stays small.
    sqlx::query("DELETE FROM quick_order_lookups WHERE client = $1 AND at <= $2")
        .bind(client)
        .bind(since)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO quick_order_lookups (client, at) VALUES ($1, $2)")
        .bind(client)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT count(*) FROM quick_order_lookups WHERE client = $1 AND at > $2")
        .bind(client)
        .bind(since)
        .fetch_one(conn)
        .await
}

// ---- leads ----

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SalesRep {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct LeadRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub partner_id: Uuid,
    pub product_line: String,
    pub contact_name: String,
    pub email: String,
    pub company: String,
    pub website_url: String,
    pub notes: String,
    pub wants_sales_support: bool,
    pub status: String,
    pub sales_rep: Option<Json<SalesRep>>,
    pub sales_rep_user_id: Option<Uuid>,
    pub plan: String,
    pub revenue: Decimal,
    pub currency: String,
    pub won_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct LeadEventRow {
    pub at: DateTime<Utc>,
    pub actor_user_id: Uuid,
    pub change: String,
    pub from_status: String,
    pub to_status: String,
}

/// Who sees which leads: a partner its own, a sales rep those assigned to it, admins all.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadScope {
    pub partner: Option<Uuid>,
    pub rep: Option<Uuid>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_lead(tx: &mut TenantTx<'_>, l: &LeadRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO leads (id, tenant_id, partner_id, product_line, contact_name, email, company, website_url, notes,
             wants_sales_support, status, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(l.id)
    .bind(tenant)
    .bind(l.partner_id)
    .bind(&l.product_line)
    .bind(&l.contact_name)
    .bind(&l.email)
    .bind(&l.company)
    .bind(&l.website_url)
    .bind(&l.notes)
    .bind(l.wants_sales_support)
    .bind(&l.status)
    .bind(l.created_at)
    .bind(l.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn lead(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    scope: LeadScope,
    lock: bool,
) -> Result<Option<LeadRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let sql = format!(
        "SELECT * FROM leads WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR partner_id = $3)
         AND ($4::uuid IS NULL OR sales_rep_user_id = $4){}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(&sql).bind(tenant).bind(id).bind(scope.partner).bind(scope.rep).fetch_optional(tx.conn()).await
}

pub struct LeadFilter {
    pub scope: LeadScope,
    pub status: Option<String>,
    pub q: Option<String>,
    /// A whitelisted column name.
    pub sort: &'static str,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
    pub won_only: bool,
}

#[tracing::instrument(skip_all)]
pub async fn list_leads(tx: &mut TenantTx<'_>, f: &LeadFilter) -> Result<Vec<LeadRow>, sqlx::Error> {
    let tenant = tx.tenant();
    let q = f.q.as_deref().map(platform::db::contains_pattern);
    // `sort` comes from a fixed list, never from the client's text.
    let sql = format!(
        "SELECT * FROM leads WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2)
           AND ($3::uuid IS NULL OR sales_rep_user_id = $3) AND ($4::text IS NULL OR status = $4)
           AND ($5::text IS NULL OR contact_name ILIKE $5 OR email ILIKE $5 OR company ILIKE $5 OR website_url ILIKE $5)
           AND (NOT $6 OR status = 'won')
         ORDER BY {} {}, id {} OFFSET $7 LIMIT $8",
        f.sort,
        if f.descending { "DESC" } else { "ASC" },
        if f.descending { "DESC" } else { "ASC" },
    );
    sqlx::query_as(&sql)
        .bind(tenant)
        .bind(f.scope.partner)
        .bind(f.scope.rep)
        .bind(&f.status)
        .bind(q)
        .bind(f.won_only)
        .bind(f.offset)
        .bind(f.limit)
        .fetch_all(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn update_lead(tx: &mut TenantTx<'_>, l: &LeadRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE leads SET status = $3, sales_rep = $4, sales_rep_user_id = $5, plan = $6, revenue = $7, currency = $8,
             won_at = $9, updated_at = $10
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(l.id)
    .bind(&l.status)
    .bind(&l.sales_rep)
    .bind(l.sales_rep_user_id)
    .bind(&l.plan)
    .bind(l.revenue)
    .bind(&l.currency)
    .bind(l.won_at)
    .bind(l.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn insert_lead_event(tx: &mut TenantTx<'_>, lead: Uuid, e: &LeadEventRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO lead_events (id, tenant_id, lead_id, at, actor_user_id, change, from_status, to_status)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(lead)
    .bind(e.at)
    .bind(e.actor_user_id)
    .bind(&e.change)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn lead_events(tx: &mut TenantTx<'_>, lead: Uuid) -> Result<Vec<LeadEventRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as("SELECT at, actor_user_id, change, from_status, to_status FROM lead_events WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id")
        .bind(tenant)
        .bind(lead)
        .fetch_all(tx.conn())
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct GroupRow {
    pub id: Uuid,
    pub name: String,
    pub partner_id: Option<Uuid>,
    pub customer_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const GROUP: &str = "SELECT g.id, g.name, g.partner_id, g.created_at, g.updated_at,
        (SELECT count(*) FROM customers c
         WHERE c.tenant_id = g.tenant_id AND c.group_id = g.id AND c.deleted_at IS NULL) AS customer_count
    FROM customer_groups g";

/// Inserts a group; `false` when the program already has one of that name (any case).
#[tracing::instrument(skip_all)]
pub async fn insert_group(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    name: &str,
    partner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO customer_groups (id, tenant_id, name, partner_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(tenant)
    .bind(name)
    .bind(partner)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn group(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<GroupRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{GROUP} WHERE g.tenant_id = $1 AND g.id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// Locks a group while it or its customers change.
#[tracing::instrument(skip_all)]
pub async fn group_for_update(tx: &mut TenantTx<'_>, id: Uuid) -> Result<Option<GroupRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{GROUP} WHERE g.tenant_id = $1 AND g.id = $2 FOR UPDATE OF g"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn groups(tx: &mut TenantTx<'_>) -> Result<Vec<GroupRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{GROUP} WHERE g.tenant_id = $1 ORDER BY lower(g.name), g.id"))
        .bind(tenant)
        .fetch_all(tx.conn())
        .await
}

/// Renames or reassigns a group; `false` when the new name is taken.
#[tracing::instrument(skip_all)]
pub async fn update_group(
    tx: &mut TenantTx<'_>,
    id: Uuid,
    name: &str,
    partner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "UPDATE customer_groups SET name = $3, partner_id = $4, updated_at = $5
         WHERE tenant_id = $1 AND id = $2
           AND NOT EXISTS (SELECT 1 FROM customer_groups o WHERE o.tenant_id = $1 AND o.id <> $2 AND lower(o.name) = lower($3))",
    )
    .bind(tenant)
    .bind(id)
    .bind(name)
    .bind(partner)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Hands every live customer of a group to `partner`; returns the customers whose owner changed,
/// as they are now, with their previous owner.
#[tracing::instrument(skip_all)]
pub async fn reassign_group(
    tx: &mut TenantTx<'_>,
    group: Uuid,
    partner: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(CustomerRow, Option<Uuid>)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Moved {
        #[sqlx(flatten)]
        customer: CustomerRow,
        previous_owner: Option<Uuid>,
    }
    let tenant = tx.tenant();
    let rows: Vec<Moved> = sqlx::query_as(&format!(
        "WITH moved AS (
             SELECT id, owner_partner_id AS previous_owner FROM customers
             WHERE tenant_id = $1 AND group_id = $2 AND deleted_at IS NULL AND owner_partner_id IS DISTINCT FROM $3
             FOR UPDATE
         )
         UPDATE customers c SET owner_partner_id = $3, updated_at = $4
         FROM moved WHERE c.tenant_id = $1 AND c.id = moved.id
         RETURNING {COLUMNS}, moved.previous_owner"
    ))
    .bind(tenant)
    .bind(group)
    .bind(partner)
    .bind(now)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|m| (m.customer, m.previous_owner)).collect())
}

/// Deletes a group; its customers (live or deleted) leave it and keep their owner.
#[tracing::instrument(skip_all)]
pub async fn delete_group(tx: &mut TenantTx<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query("UPDATE customers SET group_id = NULL WHERE tenant_id = $1 AND group_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM customer_groups WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
