//! Commission rules (C1): validated, capped at 50 %, versioned so that an order keeps the rules in force when it was placed.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use partnerline_proto::commissions::v1 as pb;
use partnerline_proto::orders::v1 as orders_pb;
use platform::AppError;
use platform::auth::Principal;
use platform::db::TenantTx;
use platform::error::FieldError;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::MAX_RATE;
use crate::events::{instant, ts};
use crate::service::CommissionsService;
use crate::store::{self, RuleRow};

use super::{admin, money};

pub(crate) fn rule_message(r: &RuleRow) -> pb::Rule {
    pb::Rule {
        id: r.id.to_string(),
        name: r.name.clone(),
        priority: r.priority,
        level: r.level as u32,
        kind: r.kind.clone(),
        value: money(r.value),
        of: r.of_what.clone(),
        product_ids: r.product_ids.iter().map(Uuid::to_string).collect(),
        categories: r.categories.clone(),
        customer_group_id: r.customer_group_id.map(|g| g.to_string()),
        min_order_total: r.min_order_total.map(money),
        partner_tier: r.partner_tier.clone(),
        created_at: ts(r.valid_from),
        version: r.version as u32,
    }
}

/// C1: checks a rule; every bad field is named. A percent above 50 is stored as 50 with a notice.
pub(crate) fn validate_rule(input: &pb::RuleInput, now: DateTime<Utc>) -> Result<(RuleRow, Vec<pb::Notice>), AppError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut bad = |field: &str, message: &str| errors.push(FieldError { field: field.into(), message: message.into() });
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        bad("name", "must be 1 to 200 characters");
    }
    if input.level > 2 {
        bad("level", "must be 0 (the partner), 1 (its parent) or 2 (its grandparent)");
    }
    let kind = input.kind.trim();
    if !matches!(kind, "percent" | "fixed_per_order" | "fixed_per_item") {
        bad("kind", "must be percent, fixed_per_order or fixed_per_item");
    }
    let of = match input.of.trim() {
        "" | "base" => "base",
        "child_commission" if input.level > 0 => "child_commission",
        _ => {
            bad("of", "must be base, or child_commission for levels 1 and 2");
            "base"
        }
    };
    let mut notices = Vec::new();
    let mut value = Decimal::from_str(input.value.trim()).ok().filter(|v| *v >= Decimal::ZERO && v.scale() <= 6);
    if value.is_none() {
        bad("value", "must be a non-negative decimal number, e.g. \"12.5\"");
    }
    if kind == "percent"
        && let Some(v) = value.filter(|v| *v > MAX_RATE)
    {
        value = Some(MAX_RATE);
        notices.push(pb::Notice {
            field: "value".into(),
            code: "rate_capped".into(),
            message: format!("{v}% is above the 50% cap (C1): stored as 50%"),
        });
    }
    let mut products = Vec::new();
    for (i, p) in input.product_ids.iter().enumerate() {
        match Uuid::parse_str(p.trim()) {
            Ok(id) => products.push(id),
            Err(_) => bad(&format!("product_ids[{i}]"), "is not an id"),
        }
    }
    let group = match input.customer_group_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(g) => match Uuid::parse_str(g) {
            Ok(id) => Some(id),
            Err(_) => {
                bad("customer_group_id", "is not an id");
                None
            }
        },
        None => None,
    };
    let min_total = match input.min_order_total.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => match Decimal::from_str(t).ok().filter(|t| *t >= Decimal::ZERO) {
            Some(t) => Some(t),
            None => {
                bad("min_order_total", "must be a non-negative amount");
                None
            }
        },
        None => None,
    };
    let tier = input.partner_tier.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if tier.is_some_and(|t| !matches!(t, "new" | "standard" | "trusted")) {
        bad("partner_tier", "must be new, standard or trusted");
    }
    let categories: Vec<String> =
        input.categories.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let row = RuleRow {
        id: Uuid::now_v7(),
        version: 1,
        name: name.to_string(),
        priority: input.priority,
        level: input.level as i16,
        kind: kind.to_string(),
        value: value.unwrap_or_default(),
        of_what: of.to_string(),
        product_ids: products,
        categories,
        customer_group_id: group,
        min_order_total: min_total,
        partner_tier: tier.map(str::to_string),
        valid_from: now,
        valid_to: None,
    };
    Ok((row, notices))
}

impl CommissionsService {
    pub(crate) async fn list_rules_impl(&self, p: Principal) -> Result<pb::RuleList, AppError> {
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let rows = store::current_rules(&mut tx).await?;
        tx.commit().await?;
        Ok(pb::RuleList { items: rows.iter().map(rule_message).collect() })
    }

    /// Issue 17, 9: every product a rule names is one of the program's, as orders knows them
    /// (asked as the caller, so another program's product is not found).
    async fn check_products(&self, token: &str, products: &[Uuid]) -> Result<(), AppError> {
        let mut errors = Vec::new();
        for (i, id) in products.iter().enumerate() {
            let req = platform::grpc::request(orders_pb::ProductRef { id: id.to_string() }, Some(token));
            match self.orders.clone().get_product(req).await {
                Ok(_) => {}
                Err(s) if s.code() == tonic::Code::NotFound => errors.push(FieldError {
                    field: format!("product_ids[{i}]"),
                    message: "no such product in this program".into(),
                }),
                Err(s) => return Err(AppError::from_status(&s)),
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(AppError::invalid_fields(errors)) }
    }

    pub(crate) async fn create_rule_impl(
        &self,
        p: Principal,
        token: String,
        input: pb::RuleInput,
    ) -> Result<pb::RuleResult, AppError> {
        admin(&p)?;
        let (row, notices) = validate_rule(&input, instant(self.clock.now()))?;
        self.check_products(&token, &row.product_ids).await?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        store::insert_rule(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(pb::RuleResult { rule: Some(rule_message(&row)), notices })
    }

    /// C1: a change makes a new version from now on; orders placed before keep the old one.
    pub(crate) async fn update_rule_impl(
        &self,
        p: Principal,
        token: String,
        req: pb::UpdateRuleRequest,
    ) -> Result<pb::RuleResult, AppError> {
        admin(&p)?;
        let id = Uuid::parse_str(req.id.trim()).map_err(|_| AppError::not_found("rule"))?;
        let input = req.rule.ok_or_else(|| AppError::invalid("rule", "is required"))?;
        let now = instant(self.clock.now());
        let (mut row, notices) = validate_rule(&input, now)?;
        self.check_products(&token, &row.product_ids).await?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        let current = store::current_rule(&mut tx, id).await?.ok_or_else(|| AppError::not_found("rule"))?;
        store::end_rule(&mut tx, id, now).await?;
        row.id = id;
        row.version = current.version + 1;
        store::insert_rule(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(pb::RuleResult { rule: Some(rule_message(&row)), notices })
    }

    pub(crate) async fn delete_rule_impl(&self, p: Principal, req: pb::RuleRef) -> Result<pb::RuleRef, AppError> {
        admin(&p)?;
        let id = Uuid::parse_str(req.id.trim()).map_err(|_| AppError::not_found("rule"))?;
        let mut tx = TenantTx::begin(&self.pool, p.tenant()?).await?;
        if !store::end_rule(&mut tx, id, instant(self.clock.now())).await? {
            return Err(AppError::not_found("rule"));
        }
        tx.commit().await?;
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::service::parse_time;

    /// C1: a rule created at 09:00:00.123456 is in force for an order placed after it in the
    /// same millisecond, whose `order.placed` says 09:00:00.123.
    #[test]
    fn c1_a_rule_from_now_holds_for_an_order_placed_in_the_same_millisecond() {
        let created: DateTime<Utc> = "2026-06-01T09:00:00.123456Z".parse().unwrap();
        let input =
            pb::RuleInput { name: "Spring".into(), kind: "percent".into(), value: "12".into(), ..Default::default() };
        let (row, _) = validate_rule(&input, instant(created)).unwrap();
        let placed: DateTime<Utc> = "2026-06-01T09:00:00.123789Z".parse().unwrap();
        let as_read = parse_time(&ts(placed), created);
        assert!(row.in_force_at(as_read), "valid from {} at {as_read}", row.valid_from);
    }
}
