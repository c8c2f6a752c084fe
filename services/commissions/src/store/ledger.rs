//! The double-entry ledger, its running balances and the ledger check (C11).

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

use crate::domain::{Account, EntryKind};

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
    /// X6: the reporting currency and the amount in it at the order's rate (none: the totals
    /// count it as itself when it is in the program's currency, else as unconverted).
    pub reporting: Option<(String, Decimal)>,
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
            reporting: None,
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
             order_id, level, rule_id, payout_id, lead_id, kind, reason, at, reporting_currency, reporting_amount)
         SELECT u.id, $1, u.currency, u.debit, u.credit, u.amount, u.partner, u.ord, u.level, u.rule, u.payout, u.lead,
             u.kind, u.reason, $14, u.rc, u.ra
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::uuid[], $8::uuid[],
             $9::smallint[], $10::uuid[], $11::uuid[], $12::uuid[], $13::text[], $15::text[], $16::text[],
             $17::numeric[])
             WITH ORDINALITY AS u(id, currency, debit, credit, amount, partner, ord, level, rule, payout, lead, kind,
                 reason, rc, ra, n)
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
    .bind(entries.iter().map(|e| e.reporting.as_ref().map(|r| r.0.clone())).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.reporting.as_ref().map(|r| r.1)).collect::<Vec<_>>())
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
    kind: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "SELECT seq, id, currency, debit_account, credit_account, amount, partner_id, order_id, level, rule_id,
             payout_id, kind, reason, at
         FROM ledger_entries
         WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::uuid IS NULL OR order_id = $3)
             AND ($4::bigint IS NULL OR seq < $4) AND ($6::text IS NULL OR kind = $6)
         ORDER BY seq DESC LIMIT $5",
    )
    .bind(tenant)
    .bind(partner)
    .bind(order)
    .bind(before)
    .bind(limit)
    .bind(kind)
    .fetch_all(tx.conn())
    .await
}
