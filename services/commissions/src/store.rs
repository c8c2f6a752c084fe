//! Commissions' SQL: one function per query, each through a `TenantTx`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

use crate::domain::{self, Account, Conditions, EntryKind, Facts, OverrideOf, PayoutStatus, Pays, TrustLevel};

#[tracing::instrument(skip_all)]
pub async fn put_program(tx: &mut TenantTx<'_>, settings: &serde_json::Value, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO programs (tenant_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET settings = $2, updated_at = $3 WHERE programs.updated_at <= $3",
    )
    .bind(tenant)
    .bind(settings)
    .bind(at)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO program_versions (tenant_id, valid_from, settings) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, valid_from) DO UPDATE SET settings = $3",
    )
    .bind(tenant)
    .bind(at)
    .bind(settings)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The program's settings in force at `at` (the oldest known when `at` precedes them all).
#[tracing::instrument(skip_all)]
pub async fn program_at(tx: &mut TenantTx<'_>, at: DateTime<Utc>) -> sqlx::Result<Option<serde_json::Value>> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT settings FROM program_versions WHERE tenant_id = $1
         ORDER BY valid_from <= $2 DESC, CASE WHEN valid_from <= $2 THEN valid_from END DESC, valid_from LIMIT 1",
    )
    .bind(tenant)
    .bind(at)
    .fetch_optional(tx.conn())
    .await
}

#[tracing::instrument(skip_all)]
pub async fn program(tx: &mut TenantTx<'_>) -> sqlx::Result<Option<serde_json::Value>> {
    let tenant = tx.tenant();
    sqlx::query_scalar("SELECT settings FROM programs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn put_partner(tx: &mut TenantTx<'_>, id: Uuid, trust: &str, at: DateTime<Utc>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO partners (id, tenant_id, trust_level, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET trust_level = $3, updated_at = $4 WHERE partners.updated_at <= $4",
    )
    .bind(id)
    .bind(tenant)
    .bind(trust)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Trust levels of `ids` (unknown partners are `new`).
#[tracing::instrument(skip_all)]
pub async fn trust_levels(tx: &mut TenantTx<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, TrustLevel)>> {
    let tenant = tx.tenant();
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, trust_level FROM partners WHERE tenant_id = $1 AND id = ANY($2)")
            .bind(tenant)
            .bind(ids)
            .fetch_all(tx.conn())
            .await?;
    Ok(rows.into_iter().map(|(id, t)| (id, TrustLevel::parse(&t))).collect())
}

#[tracing::instrument(skip_all)]
pub async fn put_customer_group(tx: &mut TenantTx<'_>, customer: Uuid, group: Option<Uuid>) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO customer_groups (tenant_id, customer_id, group_id) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, customer_id) DO UPDATE SET group_id = $3",
    )
    .bind(tenant)
    .bind(customer)
    .bind(group)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The groups of `customers` (each asked for is in the answer; `None`: no group).
#[tracing::instrument(skip_all)]
pub async fn customer_groups(tx: &mut TenantTx<'_>, customers: &[Uuid]) -> sqlx::Result<HashMap<Uuid, Option<Uuid>>> {
    let tenant = tx.tenant();
    let mut groups: HashMap<Uuid, Option<Uuid>> = customers.iter().map(|c| (*c, None)).collect();
    if customers.is_empty() {
        return Ok(groups);
    }
    let rows: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT customer_id, group_id FROM customer_groups WHERE tenant_id = $1 AND customer_id = ANY($2)",
    )
    .bind(tenant)
    .bind(customers)
    .fetch_all(tx.conn())
    .await?;
    groups.extend(rows);
    Ok(groups)
}

/// C1: a version of a rule.
#[derive(Debug, Clone, FromRow)]
pub struct RuleRow {
    pub id: Uuid,
    pub version: i32,
    pub name: String,
    pub priority: i32,
    pub level: i16,
    pub kind: String,
    pub value: Decimal,
    pub of_what: String,
    pub product_ids: Vec<Uuid>,
    pub categories: Vec<String>,
    pub customer_group_id: Option<Uuid>,
    pub min_order_total: Option<Decimal>,
    pub partner_tier: Option<String>,
    pub valid_from: DateTime<Utc>,
    /// When a newer version (or the rule's deletion) ended this one.
    pub valid_to: Option<DateTime<Utc>>,
}

impl RuleRow {
    /// C1: whether this version is part of the rule set in force at `at`.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from <= at && self.valid_to.is_none_or(|to| to > at)
    }

    pub fn to_rule(&self) -> domain::Rule {
        domain::Rule {
            id: self.id,
            priority: self.priority,
            level: self.level.clamp(0, 2) as u8,
            pays: match self.kind.as_str() {
                "fixed_per_order" => Pays::FixedPerOrder(self.value),
                "fixed_per_item" => Pays::FixedPerItem(self.value),
                _ => Pays::Percent(self.value),
            },
            of: if self.of_what == "child_commission" { OverrideOf::ChildCommission } else { OverrideOf::Base },
            conditions: Conditions {
                product_ids: self.product_ids.clone(),
                categories: self.categories.clone(),
                customer_group_id: self.customer_group_id,
                min_order_total: self.min_order_total,
                partner_tier: self.partner_tier.as_deref().map(TrustLevel::parse),
            },
        }
    }
}

const RULE: &str = "SELECT id, version, name, priority, level, kind, value, of_what, product_ids, categories,
    customer_group_id, min_order_total, partner_tier, valid_from, valid_to FROM rules";

#[tracing::instrument(skip_all)]
pub async fn insert_rule(tx: &mut TenantTx<'_>, r: &RuleRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO rules (id, version, tenant_id, name, priority, level, kind, value, of_what, product_ids, categories,
             customer_group_id, min_order_total, partner_tier, valid_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(r.id)
    .bind(r.version)
    .bind(tenant)
    .bind(&r.name)
    .bind(r.priority)
    .bind(r.level)
    .bind(&r.kind)
    .bind(r.value)
    .bind(&r.of_what)
    .bind(&r.product_ids)
    .bind(&r.categories)
    .bind(r.customer_group_id)
    .bind(r.min_order_total)
    .bind(&r.partner_tier)
    .bind(r.valid_from)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The current version of a rule, locked.
#[tracing::instrument(skip_all)]
pub async fn current_rule(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<RuleRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{RULE} WHERE tenant_id = $1 AND id = $2 AND valid_to IS NULL FOR UPDATE"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// Ends the current version of a rule at `at`.
#[tracing::instrument(skip_all)]
pub async fn end_rule(tx: &mut TenantTx<'_>, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query("UPDATE rules SET valid_to = $3 WHERE tenant_id = $1 AND id = $2 AND valid_to IS NULL")
        .bind(tenant)
        .bind(id)
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn current_rules(tx: &mut TenantTx<'_>) -> sqlx::Result<Vec<RuleRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{RULE} WHERE tenant_id = $1 AND valid_to IS NULL ORDER BY level, priority DESC, valid_from, id"
    ))
    .bind(tenant)
    .fetch_all(tx.conn())
    .await
}

/// C1: every rule version in force at some time in `[from, to]` (each order then picks the set in
/// force when it was placed, see `in_force_at`).
#[tracing::instrument(skip_all)]
pub async fn rules_between(
    tx: &mut TenantTx<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<RuleRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{RULE} WHERE tenant_id = $1 AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $2) ORDER BY id, version"
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}

/// The orders' facts, locked for this transaction in id order (so two writers never deadlock);
/// a row is made for an order's first fact.
#[tracing::instrument(skip_all)]
pub async fn facts_for_update(
    tx: &mut TenantTx<'_>,
    orders: &[Uuid],
    at: DateTime<Utc>,
) -> sqlx::Result<HashMap<Uuid, Facts>> {
    let tenant = tx.tenant();
    let mut sorted = orders.to_vec();
    sorted.sort();
    sorted.dedup();
    sqlx::query(
        "INSERT INTO order_facts (tenant_id, order_id, facts, updated_at)
         SELECT $1, o, convert_to('{}', 'UTF8'), $3 FROM unnest($2::uuid[]) AS o ORDER BY o
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&sorted)
    .bind(at)
    .execute(tx.conn())
    .await?;
    let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
        "SELECT order_id, facts FROM order_facts WHERE tenant_id = $1 AND order_id = ANY($2)
         ORDER BY order_id FOR UPDATE",
    )
    .bind(tenant)
    .bind(&sorted)
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|(id, doc)| Ok((id, serde_json::from_slice(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)))
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn put_facts(tx: &mut TenantTx<'_>, facts: &[(Uuid, &Facts)], at: DateTime<Utc>) -> sqlx::Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let ids: Vec<Uuid> = facts.iter().map(|(id, _)| *id).collect();
    let docs = facts
        .iter()
        .map(|(_, f)| serde_json::to_vec(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "UPDATE order_facts SET facts = u.facts, updated_at = $4
         FROM unnest($2::uuid[], $3::bytea[]) AS u(id, facts) WHERE tenant_id = $1 AND order_id = u.id",
    )
    .bind(tenant)
    .bind(ids)
    .bind(docs)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One partner's commission on one order, with what the ledger holds for it.
#[derive(Debug, Clone, FromRow)]
pub struct LineRow {
    pub order_id: Uuid,
    pub partner_id: Uuid,
    pub level: i16,
    pub currency: String,
    pub amount: Decimal,
    pub base: Decimal,
    pub pending: Decimal,
    pub held: Decimal,
    pub matured: Decimal,
    pub state: String,
    pub hold_until: Option<DateTime<Utc>>,
    pub rule_id: Option<Uuid>,
    pub source: String,
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const LINE: &str = "SELECT order_id, partner_id, level, currency, amount, base, pending, held, matured, state,
    hold_until, rule_id, source, reason, placed_at, updated_at FROM commission_lines";

/// The lines of these orders.
#[tracing::instrument(skip_all)]
pub async fn order_lines(tx: &mut TenantTx<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<LineRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{LINE} WHERE tenant_id = $1 AND order_id = ANY($2) ORDER BY order_id, level, partner_id"))
        .bind(tenant)
        .bind(orders)
        .fetch_all(tx.conn())
        .await
}

/// Writes lines (new or changed) in one statement.
#[tracing::instrument(skip_all)]
pub async fn put_lines(tx: &mut TenantTx<'_>, lines: &[LineRow]) -> sqlx::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let col = |f: fn(&LineRow) -> Decimal| lines.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO commission_lines (tenant_id, order_id, partner_id, level, currency, amount, base, pending, held,
             matured, state, hold_until, rule_id, source, reason, placed_at, updated_at)
         SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::smallint[], $5::text[], $6::numeric[], $7::numeric[],
             $8::numeric[], $9::numeric[], $10::numeric[], $11::text[], $12::timestamptz[], $13::uuid[], $14::text[],
             $15::text[], $16::timestamptz[], $17::timestamptz[]) AS u
         ON CONFLICT (tenant_id, order_id, partner_id, level) DO UPDATE SET amount = EXCLUDED.amount,
             base = EXCLUDED.base, pending = EXCLUDED.pending, held = EXCLUDED.held, matured = EXCLUDED.matured,
             state = EXCLUDED.state, hold_until = EXCLUDED.hold_until, rule_id = EXCLUDED.rule_id,
             source = EXCLUDED.source, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(lines.iter().map(|l| l.order_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.partner_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.level).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.currency.clone()).collect::<Vec<_>>())
    .bind(col(|l| l.amount))
    .bind(col(|l| l.base))
    .bind(col(|l| l.pending))
    .bind(col(|l| l.held))
    .bind(col(|l| l.matured))
    .bind(lines.iter().map(|l| l.state.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.hold_until).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.rule_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.source.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.reason.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.placed_at).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.updated_at).collect::<Vec<_>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A page of lines, newest orders first.
#[tracing::instrument(skip_all)]
pub async fn lines(
    tx: &mut TenantTx<'_>,
    order: Option<Uuid>,
    partner: Option<Uuid>,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<LineRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{LINE} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR order_id = $2) AND ($3::uuid IS NULL OR partner_id = $3)
         ORDER BY placed_at DESC, order_id, level, partner_id OFFSET $4 LIMIT $5"
    ))
    .bind(tenant)
    .bind(order)
    .bind(partner)
    .bind(offset)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

/// X3: a partner's own sales (the base of its own lines) in `[from, to)`.
#[tracing::instrument(skip_all)]
pub async fn own_sales(
    tx: &mut TenantTx<'_>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Decimal> {
    let tenant = tx.tenant();
    sqlx::query_scalar(
        "SELECT COALESCE(sum(base), 0) FROM commission_lines
         WHERE tenant_id = $1 AND partner_id = $2 AND level = 0 AND state <> 'void' AND placed_at >= $3 AND placed_at < $4",
    )
    .bind(tenant)
    .bind(partner)
    .bind(from)
    .bind(to)
    .fetch_one(tx.conn())
    .await
}

/// Orders with a line whose hold is over: (tenant, order), oldest first.
#[tracing::instrument(skip_all)]
pub async fn due_orders(
    conn: &mut sqlx::PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT DISTINCT tenant_id, order_id FROM (
             SELECT tenant_id, order_id FROM commission_lines WHERE state = 'held' AND hold_until <= $1
             ORDER BY hold_until LIMIT $2) due",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One ledger entry to write (what it is not about stays `None`).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub debit: Account,
    pub credit: Account,
    pub amount: Decimal,
    pub currency: String,
    pub partner: Option<Uuid>,
    pub order: Option<Uuid>,
    pub level: Option<i16>,
    pub rule: Option<Uuid>,
    pub payout: Option<Uuid>,
    pub lead: Option<Uuid>,
    pub kind: EntryKind,
    pub reason: String,
}

impl NewEntry {
    /// An entry of `kind` moving `amount` from `debit` to `credit`, about nothing in particular yet.
    pub fn new(kind: EntryKind, debit: Account, credit: Account, amount: Decimal, currency: &str) -> NewEntry {
        NewEntry {
            debit,
            credit,
            amount,
            currency: currency.to_string(),
            partner: None,
            order: None,
            level: None,
            rule: None,
            payout: None,
            lead: None,
            kind,
            reason: String::new(),
        }
    }
}

/// C11: writes entries (one statement) and moves the running balances of their accounts with
/// them (one statement, accounts in a fixed order so concurrent writers never deadlock).
/// Returns the entries' ids.
#[tracing::instrument(skip_all)]
pub async fn post(tx: &mut TenantTx<'_>, entries: &[NewEntry], at: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    let ids = insert_entries(tx, entries, at).await?;
    move_balances(tx, entries).await?;
    Ok(ids)
}

/// C11: writes entries (one statement), returning their ids; their accounts' running balances
/// must be moved by [`move_balances`] in the same transaction.
#[tracing::instrument(skip_all)]
pub async fn insert_entries(tx: &mut TenantTx<'_>, entries: &[NewEntry], at: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.tenant();
    let ids: Vec<Uuid> = entries.iter().map(|_| Uuid::now_v7()).collect();
    let col = |f: fn(&NewEntry) -> String| entries.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO ledger_entries (id, tenant_id, currency, debit_account, credit_account, amount, partner_id,
             order_id, level, rule_id, payout_id, lead_id, kind, reason, at)
         SELECT u.id, $1, u.currency, u.debit, u.credit, u.amount, u.partner, u.ord, u.level, u.rule, u.payout, u.lead,
             u.kind, u.reason, $14
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::uuid[], $8::uuid[],
             $9::smallint[], $10::uuid[], $11::uuid[], $12::uuid[], $13::text[], $15::text[])
             WITH ORDINALITY AS u(id, currency, debit, credit, amount, partner, ord, level, rule, payout, lead, kind,
                 reason, n)
         ORDER BY u.n",
    )
    .bind(tenant)
    .bind(&ids)
    .bind(col(|e| e.currency.clone()))
    .bind(col(|e| e.debit.key()))
    .bind(col(|e| e.credit.key()))
    .bind(entries.iter().map(|e| e.amount).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.partner).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.order).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.level).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.rule).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.payout).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.lead).collect::<Vec<_>>())
    .bind(col(|e| e.kind.as_str().to_string()))
    .bind(at)
    .bind(col(|e| e.reason.clone()))
    .execute(tx.conn())
    .await?;
    Ok(ids)
}

/// C11: moves the running balances of the entries' accounts (one statement, accounts in a fixed
/// order so concurrent writers never deadlock). A program's accounts are few and every batch
/// moves them, so writers queue on their rows until commit: call it last.
#[tracing::instrument(skip_all)]
pub async fn move_balances(tx: &mut TenantTx<'_>, entries: &[NewEntry]) -> sqlx::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant();
    let mut deltas: std::collections::BTreeMap<(String, String), Decimal> = std::collections::BTreeMap::new();
    for e in entries {
        *deltas.entry((e.credit.key(), e.currency.clone())).or_default() += e.amount;
        *deltas.entry((e.debit.key(), e.currency.clone())).or_default() -= e.amount;
    }
    let (accounts, rest): (Vec<(String, String)>, Vec<Decimal>) = deltas.into_iter().unzip();
    let (names, currencies): (Vec<String>, Vec<String>) = accounts.into_iter().unzip();
    sqlx::query(
        "INSERT INTO balances (tenant_id, account, currency, balance)
         SELECT $1, a, c, d FROM unnest($2::text[], $3::text[], $4::numeric[]) AS u(a, c, d) ORDER BY a, c
         ON CONFLICT (tenant_id, account, currency) DO UPDATE SET balance = balances.balance + EXCLUDED.balance",
    )
    .bind(tenant)
    .bind(names)
    .bind(currencies)
    .bind(rest)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The running balance of one account.
#[tracing::instrument(skip_all)]
pub async fn balance(tx: &mut TenantTx<'_>, account: Account, currency: &str) -> sqlx::Result<Decimal> {
    let tenant = tx.tenant();
    let b: Option<Decimal> =
        sqlx::query_scalar("SELECT balance FROM balances WHERE tenant_id = $1 AND account = $2 AND currency = $3")
            .bind(tenant)
            .bind(account.key())
            .bind(currency)
            .fetch_optional(tx.conn())
            .await?;
    Ok(b.unwrap_or_default())
}

/// Running balances of partners' accounts: (account, currency, balance).
#[tracing::instrument(skip_all)]
pub async fn partner_balances(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
) -> sqlx::Result<Vec<(String, String, Decimal)>> {
    let tenant = tx.tenant();
    let prefix = format!("{}%", Account::partner_prefix(partner));
    sqlx::query_as(
        "SELECT account, currency, balance FROM balances WHERE tenant_id = $1 AND account LIKE $2
         ORDER BY account, currency",
    )
    .bind(tenant)
    .bind(prefix)
    .fetch_all(tx.conn())
    .await
}

/// C11 check: every account's balance recomputed from the entries, beside the running total.
#[tracing::instrument(skip_all)]
pub async fn recomputed_balances(tx: &mut TenantTx<'_>) -> sqlx::Result<Vec<(String, String, Decimal, Decimal)>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "WITH moves AS (
             SELECT credit_account AS account, currency, amount FROM ledger_entries WHERE tenant_id = $1
             UNION ALL
             SELECT debit_account, currency, -amount FROM ledger_entries WHERE tenant_id = $1),
         derived AS (SELECT account, currency, sum(amount) AS total FROM moves GROUP BY account, currency)
         SELECT COALESCE(d.account, b.account), COALESCE(d.currency, b.currency), COALESCE(d.total, 0),
             COALESCE(b.balance, 0)
         FROM derived d FULL JOIN (SELECT * FROM balances WHERE tenant_id = $1) b
             ON b.account = d.account AND b.currency = d.currency
         ORDER BY 1, 2",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await
}

/// Entries of one kind between two accounts, naming one partner.
#[derive(Debug, Clone, FromRow)]
pub struct EntryShape {
    pub kind: String,
    pub debit_account: String,
    pub credit_account: String,
    pub partner_id: Option<Uuid>,
    pub count: i64,
}

/// C11 check: the entries grouped by kind, accounts and partner, with how many there are.
#[tracing::instrument(skip_all)]
pub async fn entry_shapes(tx: &mut TenantTx<'_>) -> sqlx::Result<Vec<EntryShape>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT kind, debit_account, credit_account, partner_id, count(*) AS count FROM ledger_entries WHERE tenant_id = $1
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub seq: i64,
    pub id: Uuid,
    pub currency: String,
    pub debit_account: String,
    pub credit_account: String,
    pub amount: Decimal,
    pub partner_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub level: Option<i16>,
    pub rule_id: Option<Uuid>,
    pub payout_id: Option<Uuid>,
    pub kind: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Entries newest first, after the cursor's `seq`.
#[tracing::instrument(skip_all)]
pub async fn entries(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    order: Option<Uuid>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT seq, id, currency, debit_account, credit_account, amount, partner_id, order_id, level, rule_id,
             payout_id, kind, reason, at
         FROM ledger_entries
         WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::uuid IS NULL OR order_id = $3)
             AND ($4::bigint IS NULL OR seq < $4)
         ORDER BY seq DESC LIMIT $5",
    )
    .bind(tenant)
    .bind(partner)
    .bind(order)
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct PayoutRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub currency: String,
    pub amount: Decimal,
    #[sqlx(try_from = "String")]
    pub status: PayoutStatus,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub automatic: bool,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

const PAYOUT: &str = "SELECT id, partner_id, currency, amount, status, method, reference, reason, automatic,
    requested_at, decided_at, paid_at FROM payouts";

/// Inserts a payout; `false` when the partner has one open already.
#[tracing::instrument(skip_all)]
pub async fn insert_payout(tx: &mut TenantTx<'_>, p: &PayoutRow) -> sqlx::Result<bool> {
    let tenant = tx.tenant();
    let r = sqlx::query(
        "INSERT INTO payouts (id, tenant_id, partner_id, currency, amount, status, method, reference, reason,
             automatic, requested_at, decided_at, paid_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
    )
    .bind(p.id)
    .bind(tenant)
    .bind(p.partner_id)
    .bind(&p.currency)
    .bind(p.amount)
    .bind(p.status.as_str())
    .bind(&p.method)
    .bind(&p.reference)
    .bind(&p.reason)
    .bind(p.automatic)
    .bind(p.requested_at)
    .bind(p.decided_at)
    .bind(p.paid_at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn payout_for_update(tx: &mut TenantTx<'_>, id: Uuid) -> sqlx::Result<Option<PayoutRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!("{PAYOUT} WHERE tenant_id = $1 AND id = $2 FOR UPDATE"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

#[tracing::instrument(skip_all)]
pub async fn update_payout(tx: &mut TenantTx<'_>, p: &PayoutRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "UPDATE payouts SET status = $3, method = $4, reference = $5, reason = $6, decided_at = $7, paid_at = $8
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(p.id)
    .bind(p.status.as_str())
    .bind(&p.method)
    .bind(&p.reference)
    .bind(&p.reason)
    .bind(p.decided_at)
    .bind(p.paid_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn payouts(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    status: Option<PayoutStatus>,
) -> sqlx::Result<Vec<PayoutRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(&format!(
        "{PAYOUT} WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::text IS NULL OR status = $3)
         ORDER BY requested_at DESC, id DESC LIMIT 500"
    ))
    .bind(tenant)
    .bind(partner)
    .bind(status.map(PayoutStatus::as_str))
    .fetch_all(tx.conn())
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct SettlementRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub currency: String,
    pub amount: Decimal,
    pub status: String,
    pub reason: String,
    pub payout_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert_settlement(tx: &mut TenantTx<'_>, s: &SettlementRow) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "INSERT INTO settlements (id, tenant_id, partner_id, currency, amount, status, reason, payout_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.id)
    .bind(tenant)
    .bind(s.partner_id)
    .bind(&s.currency)
    .bind(s.amount)
    .bind(&s.status)
    .bind(&s.reason)
    .bind(s.payout_id)
    .bind(s.at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn settlements(tx: &mut TenantTx<'_>, status: Option<&str>) -> sqlx::Result<Vec<SettlementRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT id, partner_id, currency, amount, status, reason, payout_id, at FROM settlements
         WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY at DESC, id DESC LIMIT 500",
    )
    .bind(tenant)
    .bind(status)
    .fetch_all(tx.conn())
    .await
}

/// C9: when the program settles next (`None`: not automatic).
#[tracing::instrument(skip_all)]
pub async fn schedule_settlement(
    tx: &mut TenantTx<'_>,
    next: Option<DateTime<Utc>>,
    only_if_sooner: bool,
) -> sqlx::Result<()> {
    let tenant = tx.tenant();
    match next {
        None => {
            sqlx::query("DELETE FROM settlement_schedule WHERE tenant_id = $1").bind(tenant).execute(tx.conn()).await?;
        }
        Some(at) => {
            let sql = if only_if_sooner {
                "INSERT INTO settlement_schedule (tenant_id, next_at) VALUES ($1, $2)
                 ON CONFLICT (tenant_id) DO UPDATE SET next_at = LEAST(settlement_schedule.next_at, $2)"
            } else {
                "INSERT INTO settlement_schedule (tenant_id, next_at) VALUES ($1, $2)
                 ON CONFLICT (tenant_id) DO UPDATE SET next_at = $2"
            };
            sqlx::query(sql).bind(tenant).bind(at).execute(tx.conn()).await?;
        }
    }
    Ok(())
}

/// Whether any program's automatic settlement is due (a look without a transaction or a lock,
/// so the job's ticks cost one statement when there is nothing to do).
#[tracing::instrument(skip_all)]
pub async fn settlement_due(conn: &mut sqlx::PgConnection, now: DateTime<Utc>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM settlement_schedule WHERE next_at <= $1)")
        .bind(now)
        .fetch_one(conn)
        .await
}

/// Programs whose automatic settlement is due, locked so one replica runs each.
#[tracing::instrument(skip_all)]
pub async fn due_settlements(conn: &mut sqlx::PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT tenant_id FROM settlement_schedule WHERE next_at <= $1 ORDER BY next_at LIMIT 20 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

/// (period start, partner, currency, earned, still pending or held)
pub type EarnedRow = (DateTime<Utc>, Uuid, String, Decimal, Decimal);
/// (period start, partner, currency, paid)
pub type PaidRow = (DateTime<Utc>, Uuid, String, Decimal);

/// D2: per period and partner, what was earned (lines of orders placed then) and what of it is
/// still pending or held.
#[tracing::instrument(skip_all)]
pub async fn earned_by_period(
    tx: &mut TenantTx<'_>,
    period: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    partner: Option<Uuid>,
) -> sqlx::Result<Vec<EarnedRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT date_trunc($2, placed_at, 'UTC'), partner_id, currency, sum(amount), sum(pending + held)
         FROM commission_lines
         WHERE tenant_id = $1 AND placed_at >= $3 AND placed_at < $4 AND ($5::uuid IS NULL OR partner_id = $5)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(tenant)
    .bind(period)
    .bind(from)
    .bind(to)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

/// D2: payouts paid per period and partner.
#[tracing::instrument(skip_all)]
pub async fn paid_by_period(
    tx: &mut TenantTx<'_>,
    period: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    partner: Option<Uuid>,
) -> sqlx::Result<Vec<PaidRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT date_trunc($2, at, 'UTC'), partner_id, currency, sum(amount)
         FROM ledger_entries
         WHERE tenant_id = $1 AND kind = 'payout_paid' AND at >= $3 AND at < $4 AND ($5::uuid IS NULL OR partner_id = $5)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(tenant)
    .bind(period)
    .bind(from)
    .bind(to)
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}
