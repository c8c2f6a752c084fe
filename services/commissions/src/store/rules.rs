//! Commission rules (C1), versioned.

use chrono::{DateTime, Utc};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

use crate::domain::{self, Conditions, OverrideOf, Pays, TrustLevel};

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

pub(crate) const RULE: &str =
    "SELECT id, version, name, priority, level, kind, value, of_what, product_ids, categories,
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
