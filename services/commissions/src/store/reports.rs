//! Reports' SQL (D1-D3), from the ledger's movements kept per day and month by the entries'
//! trigger (migration `ledger_totals`).

use chrono::NaiveDate;
use platform::db::TenantTx;
use platform::reports::{Every, Range};
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

/// What moved between two buckets in one period (`None` before the range: the opening balance).
#[derive(Debug, Clone, FromRow)]
pub struct Movement {
    pub period: Option<NaiveDate>,
    pub partner_id: Uuid,
    pub level: i16,
    pub kind: String,
    pub debit: String,
    pub credit: String,
    pub currency: String,
    pub amount: Decimal,
    /// X6: the reporting currency the amount was converted to ('' none) and the amount in it.
    pub reporting_currency: String,
    pub amount_reporting: Decimal,
}

/// Movements per period (first day, unclipped) of one partner or of the program, and, with
/// `period` None, everything before the range (balances start from it). Months and the opening
/// read month rows where they can.
#[tracing::instrument(skip_all)]
pub async fn movements(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    range: Range,
    every: Every,
) -> sqlx::Result<Vec<Movement>> {
    let (table, who, pid) = match partner {
        Some(_) => ("ledger_totals", "partner_id = $2", "partner_id"),
        None => ("program_ledger_totals", "$2::uuid IS NULL", "'00000000-0000-0000-0000-000000000000'::uuid"),
    };
    let inside = if every == Every::Month {
        Range::rows_condition(5)
    } else {
        "(grain = 'd' AND period BETWEEN $5 AND $6)".to_string()
    };
    // Before the range: whole months before the range's month, then its days before `from`.
    let sql = format!(
        "SELECT date_trunc('{unit}', period)::date AS period, {pid} AS partner_id, level, kind, debit, credit,
                currency, sum(amount) AS amount, reporting_currency, sum(amount_reporting) AS amount_reporting
         FROM {table} WHERE tenant_id = $1 AND {who} AND {inside}
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 9
         UNION ALL
         SELECT NULL, {pid}, level, kind, debit, credit, currency, sum(amount), reporting_currency,
                sum(amount_reporting)
         FROM {table} WHERE tenant_id = $1 AND {who}
           AND ((grain = 'm' AND period < $3) OR (grain = 'd' AND period >= $3 AND period < $4))
         GROUP BY 2, 3, 4, 5, 6, 7, 9
         ORDER BY 1 NULLS FIRST",
        unit = every.unit()
    );
    let month_of_from = Every::Month.start(range.from);
    let mut q =
        sqlx::query_as::<_, Movement>(&sql).bind(tx.tenant()).bind(partner).bind(month_of_from).bind(range.from);
    if every == Every::Month {
        for d in range.rows() {
            q = q.bind(d);
        }
    } else {
        q = q.bind(range.from).bind(range.to);
    }
    q.fetch_all(tx.conn()).await
}

/// D3: every partner's movements over the range (what was earned and paid in it).
#[tracing::instrument(skip_all)]
pub async fn partner_movements(tx: &mut TenantTx<'_>, range: Range) -> sqlx::Result<Vec<Movement>> {
    let sql = format!(
        "SELECT NULL::date AS period, partner_id, level, kind, debit, credit, currency, sum(amount) AS amount,
                reporting_currency, sum(amount_reporting) AS amount_reporting
         FROM ledger_totals WHERE tenant_id = $1 AND {} AND kind IN ('accrued', 'lead_reward', 'payout_paid')
         GROUP BY 2, 3, 4, 5, 6, 7, 9 ORDER BY 2",
        Range::rows_condition(2)
    );
    let mut q = sqlx::query_as::<_, Movement>(&sql).bind(tx.tenant());
    for d in range.rows() {
        q = q.bind(d);
    }
    q.fetch_all(tx.conn()).await
}
