//! Reports' SQL (D1-D3): sales from the totals the orders' triggers keep (migration
//! `sales_totals`), customers' figures from the orders of the range.

use chrono::NaiveDate;
use platform::db::TenantTx;
use platform::reports::{Every, Range};
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

/// One period, channel and currency of sales.
#[derive(Debug, Clone, FromRow)]
pub struct SalesTotal {
    pub period: NaiveDate,
    pub channel: String,
    pub currency: String,
    pub orders: i64,
    pub gross: Decimal,
    pub discounts: Decimal,
    pub shipping: Decimal,
    pub tax: Decimal,
    pub refunds: Decimal,
    pub net: Decimal,
    /// X6: gross and net in the reporting currency, through each order's rate; the orders with
    /// no rate are not in them, and are counted here.
    pub gross_reporting: Decimal,
    pub net_reporting: Decimal,
    pub unconverted: i64,
}

const SUMS: &str = "sum(orders)::bigint AS orders, sum(gross) AS gross, sum(discounts) AS discounts, \
    sum(shipping) AS shipping, sum(tax) AS tax, sum(refunds) AS refunds, sum(net) AS net, \
    sum(gross_reporting) AS gross_reporting, sum(net_reporting) AS net_reporting, \
    sum(unconverted)::bigint AS unconverted";

/// Sales per period (its first day, unclipped), channel and currency, of one partner or of the
/// program (`partner` None). Months read month rows where the range covers them whole.
#[tracing::instrument(skip_all)]
pub async fn sales(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    range: Range,
    every: Every,
) -> sqlx::Result<Vec<SalesTotal>> {
    let table = if partner.is_some() { "sales_totals" } else { "program_sales_totals" };
    let who = if partner.is_some() { "AND partner_id = $2" } else { "AND $2::uuid IS NULL" };
    let rows = if every == Every::Month {
        format!("AND {}", Range::rows_condition(3))
    } else {
        "AND grain = 'd' AND period BETWEEN $3 AND $4".to_string()
    };
    let sql = format!(
        "SELECT date_trunc('{unit}', period)::date AS period, channel, currency, {SUMS}
         FROM {table} WHERE tenant_id = $1 {who} {rows}
         GROUP BY 1, 2, 3 HAVING sum(orders) <> 0 OR sum(refunds) <> 0 ORDER BY 1, 2, 3",
        unit = every.unit()
    );
    let mut q = sqlx::query_as::<_, SalesTotal>(&sql).bind(tx.tenant()).bind(partner);
    if every == Every::Month {
        for d in range.rows() {
            q = q.bind(d);
        }
    } else {
        q = q.bind(range.from).bind(range.to);
    }
    q.fetch_all(tx.conn()).await
}

#[derive(Debug, Clone, FromRow)]
pub struct PartnerSales {
    pub partner_id: Uuid,
    pub currency: String,
    pub orders: i64,
    pub gross: Decimal,
    pub net: Decimal,
    /// X6: as in [`SalesTotal`]
    pub net_reporting: Decimal,
    pub unconverted: i64,
}

/// D3: per partner (nil: none) and currency over the range.
#[tracing::instrument(skip_all)]
pub async fn partner_sales(tx: &mut TenantTx<'_>, range: Range) -> sqlx::Result<Vec<PartnerSales>> {
    let sql = format!(
        "SELECT partner_id, currency, sum(orders)::bigint AS orders, sum(gross) AS gross, sum(net) AS net,
                sum(net_reporting) AS net_reporting, sum(unconverted)::bigint AS unconverted
         FROM sales_totals WHERE tenant_id = $1 AND {}
         GROUP BY 1, 2 HAVING sum(orders) <> 0 OR sum(refunds) <> 0 ORDER BY 1, 2",
        Range::rows_condition(2)
    );
    let mut q = sqlx::query_as::<_, PartnerSales>(&sql).bind(tx.tenant());
    for d in range.rows() {
        q = q.bind(d);
    }
    q.fetch_all(tx.conn()).await
}

/// Every order ever of one partner or of the program, per currency (month rows hold them all).
#[tracing::instrument(skip_all)]
pub async fn lifetime_sales(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<SalesTotal>> {
    let (table, who) = match partner {
        Some(_) => ("sales_totals", "partner_id = $2"),
        None => ("program_sales_totals", "$2::uuid IS NULL"),
    };
    sqlx::query_as(&format!(
        "SELECT '0001-01-01'::date AS period, '' AS channel, currency, {SUMS}
         FROM {table} WHERE tenant_id = $1 AND {who} AND grain = 'm' GROUP BY currency ORDER BY currency"
    ))
    .bind(tx.tenant())
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

/// L12: (product, units sold less returns, orders) over the counted orders of a partner, or of
/// the program.
pub async fn product_sales(tx: &mut TenantTx<'_>, partner: Option<Uuid>) -> sqlx::Result<Vec<(Uuid, i64, i64)>> {
    sqlx::query_as(
        "SELECT i.product_id, sum(i.quantity - i.returned_quantity)::bigint, count(DISTINCT i.order_id)
         FROM orders o JOIN order_items i ON i.order_id = o.id
         WHERE o.tenant_id = $1 AND ($2::uuid IS NULL OR o.partner_id = $2)
           AND o.status NOT IN ('pending_payment', 'cancelled')
         GROUP BY i.product_id",
    )
    .bind(tx.tenant())
    .bind(partner)
    .fetch_all(tx.conn())
    .await
}

/// One customer's counted orders of the range, per period: what the customers report is made of.
/// Distinct customers and repeat rates do not add up across days, so these come from the orders
/// of the range (through `orders_partner` or `orders_placed`), not from totals.
#[derive(Debug, Clone, FromRow)]
pub struct CustomerPeriod {
    pub period: NaiveDate,
    pub customer: String,
    pub name: String,
    pub currency: String,
    pub orders: i64,
    pub net: Decimal,
}

#[tracing::instrument(skip_all)]
pub async fn customer_periods(
    tx: &mut TenantTx<'_>,
    partner: Option<Uuid>,
    zone: &str,
    range: Range,
    every: Every,
) -> sqlx::Result<Vec<CustomerPeriod>> {
    // An order without a customer record counts under its customer's name.
    let sql = format!(
        "SELECT date_trunc('{unit}', (placed_at AT TIME ZONE $2)::date)::date AS period,
                coalesce(customer_id::text, 'name:' || lower(customer_name)) AS customer,
                max(customer_name) AS name, currency, count(*) AS orders, sum(total - amount_refunded) AS net
         FROM orders
         WHERE tenant_id = $1 AND ($5::uuid IS NULL OR partner_id = $5) AND sales_counts(status)
           AND placed_at >= ($3::date::timestamp AT TIME ZONE $2)
           AND placed_at < (($4::date + 1)::timestamp AT TIME ZONE $2)
         GROUP BY 1, 2, 4 ORDER BY 1, 2, 4",
        unit = every.unit()
    );
    sqlx::query_as(&sql)
        .bind(tx.tenant())
        .bind(zone)
        .bind(range.from)
        .bind(range.to)
        .bind(partner)
        .fetch_all(tx.conn())
        .await
}

/// X6: the program's reporting currency, once identity has told it.
#[tracing::instrument(skip_all)]
pub async fn program_currency(tx: &mut TenantTx<'_>) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT currency FROM program_currencies WHERE tenant_id = $1")
        .bind(tx.tenant())
        .fetch_optional(tx.conn())
        .await
}
