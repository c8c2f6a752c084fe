//! Reports' SQL (D1, D2), from the counts the customers' triggers keep (migration
//! `customer_totals`).

use chrono::NaiveDate;
use platform::db::TenantTx;
use platform::reports::{Every, Range};
use uuid::Uuid;

/// Customers created per period (first day, unclipped) and status, of one owner or the program.
#[tracing::instrument(skip_all)]
pub async fn new_customers(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    range: Range,
    every: Every,
) -> sqlx::Result<Vec<(NaiveDate, String, i64)>> {
    let (table, who) = match partner {
        Some(_) => ("customer_totals", "partner_id = $2"),
        None => ("program_customer_totals", "$2::uuid IS NULL"),
    };
    let rows = if every == Every::Month {
        Range::rows_condition(3)
    } else {
        "(grain = 'd' AND period BETWEEN $3 AND $4)".to_string()
    };
    let sql = format!(
        "SELECT date_trunc('{unit}', period)::date, status, sum(customers)::bigint
         FROM {table} WHERE tenant_id = $1 AND {who} AND {rows} GROUP BY 1, 2 ORDER BY 1, 2",
        unit = every.unit()
    );
    let mut q = sqlx::query_as(&sql).bind(tx.tenant()).bind(partner);
    if every == Every::Month {
        for d in range.rows() {
            q = q.bind(d);
        }
    } else {
        q = q.bind(range.from).bind(range.to);
    }
    q.fetch_all(tx.conn()).await
}

/// Customers there now, by status (month rows hold every customer).
#[tracing::instrument(skip_all)]
pub async fn customers_now(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<(String, i64)>> {
    let (table, who) = match partner {
        Some(_) => ("customer_totals", "partner_id = $2"),
        None => ("program_customer_totals", "$2::uuid IS NULL"),
    };
    sqlx::query_as(&format!(
        "SELECT status, sum(customers)::bigint FROM {table} WHERE tenant_id = $1 AND {who} AND grain = 'm' GROUP BY 1"
    ))
    .bind(tx.tenant())
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

/// D3: every owner's customers now, by status.
#[tracing::instrument(skip_all)]
pub async fn customers_by_partner(tx: &mut TenantTx<'_>) -> sqlx::Result<Vec<(Uuid, String, i64)>> {
    sqlx::query_as(
        "SELECT partner_id, status, sum(customers)::bigint FROM customer_totals
         WHERE tenant_id = $1 AND grain = 'm' AND partner_id <> '00000000-0000-0000-0000-000000000000'
         GROUP BY 1, 2 HAVING sum(customers) <> 0 ORDER BY 1, 2",
    )
    .bind(tx.tenant())
    .fetch_all(tx.conn())
    .await
}
