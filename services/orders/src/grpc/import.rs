//! O8: integrators push orders from their own stores in bulk. Each order is checked on its own
//! (one bad order never blocks the others) and answered `created`, `updated`, `duplicate` or
//! `rejected` with reasons. Re-sending changes nothing: the external id is unique per program, and
//! two batches racing on one id create it once (the loser reports `duplicate`). New orders are
//! written with one statement per table for the whole batch.

use std::collections::{HashMap, HashSet};

use partnerline_proto::events::v1 as ev;
use partnerline_proto::orders::v1 as pb;
use platform::db::TenantTx;
use platform::outbox::NewEvent;
use platform::{AppError, Currency};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Access, OrdersService};
use crate::domain::{self, CartLine, Channel, OrderKind, OrderStatus, PaymentMethod, Pricing, ProductKind};
use crate::store::{self, ItemRow, OrderRow, ProductRow, RefundRow, StatusChangeRow};

pub const MAX_BATCH: usize = 1000;

/// What one item of a batch asked for, once checked.
enum Plan {
    Create(Box<(OrderRow, Vec<ItemRow>)>),
    Update { external_id: String, status: Option<OrderStatus>, refunds: Vec<pb::ImportRefund> },
}

fn problem(field: String, message: impl Into<String>) -> pb::FieldProblem {
    pb::FieldProblem { field, message: message.into() }
}

fn problems(e: AppError, prefix: &str) -> Vec<pb::FieldProblem> {
    if e.errors.is_empty() {
        return vec![problem(prefix.trim_end_matches('.').to_string(), e.message)];
    }
    e.errors.into_iter().map(|f| problem(format!("{prefix}{}", f.field), f.message)).collect()
}

fn external_id(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 100 || s.chars().any(char::is_control) {
        return Err("must be 1 to 100 characters".into());
    }
    Ok(s.to_string())
}

impl OrdersService {
    /// O8: the partners a batch names (who placed an order, who owns its customer) must be
    /// partners of the caller's program, or the order is rejected naming the field (issue 17, 9).
    /// One question to identity for the whole batch.
    async fn check_partners(
        &self,
        token: &str,
        req: &pb::ImportOrdersRequest,
        outcomes: &mut [pb::ImportOutcome],
    ) -> Result<(), AppError> {
        let named = |o: &pb::ImportOrder| {
            let owner = o.customer.as_ref().and_then(|c| c.owner_partner_id.clone());
            [("placed_by_partner_id", o.placed_by_partner_id.clone()), ("customer.owner_partner_id", owner)]
                .into_iter()
                .filter_map(|(field, raw)| Some((field, Uuid::parse_str(raw?.trim()).ok()?)))
                .collect::<Vec<_>>()
        };
        let asked: HashSet<Uuid> = req.orders.iter().flat_map(|o| named(o).into_iter().map(|(_, id)| id)).collect();
        if asked.is_empty() {
            return Ok(());
        }
        let known = self.known_partners(token, asked).await?;
        for (i, o) in req.orders.iter().enumerate() {
            for (field, id) in named(o) {
                if !known.contains(&id) {
                    outcomes[i].errors.push(problem(format!("orders[{i}].{field}"), "no such partner in this program"));
                }
            }
        }
        Ok(())
    }

    pub(super) async fn import_impl(
        &self,
        a: Access,
        token: String,
        req: pb::ImportOrdersRequest,
    ) -> Result<pb::ImportOrdersResult, AppError> {
        a.require_admin("only the merchant and its integrations import orders")?;
        if req.orders.is_empty() || req.orders.len() > MAX_BATCH {
            return Err(AppError::invalid("orders", format!("a batch holds 1 to {MAX_BATCH} orders")));
        }
        let mut outcomes: Vec<pb::ImportOutcome> = req
            .orders
            .iter()
            .enumerate()
            .map(|(i, o)| pb::ImportOutcome {
                index: i as u32,
                external_id: o.external_id.trim().to_string(),
                ..Default::default()
            })
            .collect();
        self.check_partners(&token, &req, &mut outcomes).await?;
        let _turn = self.imports.acquire().await.map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;

        // What the batch refers to, fetched once.
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        for (i, o) in req.orders.iter().enumerate() {
            match external_id(&o.external_id) {
                Ok(id) if seen.insert(id.clone()) => ids.push(id),
                Ok(_) => {
                    outcomes[i].errors.push(problem(format!("orders[{i}].external_id"), "appears twice in the batch"))
                }
                Err(m) => outcomes[i].errors.push(problem(format!("orders[{i}].external_id"), m)),
            }
        }
        let known: HashMap<String, OrderRow> = store::orders_by_external_ids(&mut tx, &ids)
            .await?
            .into_iter()
            .filter_map(|o| o.external_id.clone().map(|e| (e, o)))
            .collect();
        let skus: Vec<String> =
            req.orders.iter().flat_map(|o| o.items.iter().map(|l| l.sku.trim().to_lowercase())).collect();
        let products: HashMap<String, ProductRow> =
            store::products_by_skus(&mut tx, &skus).await?.into_iter().map(|p| (p.sku.to_lowercase(), p)).collect();
        let settings = store::checkout(&mut tx).await?;

        let mut plans: Vec<(usize, Plan)> = Vec::new();
        for (i, o) in req.orders.iter().enumerate() {
            if !outcomes[i].errors.is_empty() {
                continue;
            }
            let prefix = format!("orders[{i}].");
            let ext = o.external_id.trim().to_string();
            let result = match known.get(&ext) {
                Some(existing) => self.plan_update(existing, o).map(|p| p.map(|p| (i, p))),
                None => self.plan_create(&a, o, &products, &settings).map(|p| Some((i, Plan::Create(Box::new(p))))),
            };
            match result {
                Ok(Some(p)) => plans.push(p),
                Ok(None) => {
                    outcomes[i].result = "duplicate".into();
                    let k = &known[&ext];
                    outcomes[i].order_id = Some(k.id.to_string());
                    outcomes[i].number = Some(k.number.clone());
                }
                Err(e) => outcomes[i].errors.extend(problems(e, &prefix)),
            }
        }

        // New orders: numbers reserved at once, then one statement per table.
        let creates: Vec<(usize, &(OrderRow, Vec<ItemRow>))> = plans
            .iter()
            .filter_map(|(i, p)| if let Plan::Create(c) = p { Some((*i, c.as_ref())) } else { None })
            .collect();
        if !creates.is_empty() {
            // The numbers come from a transaction of their own, committed at once, so that
            // concurrent imports do not queue on the program's counter row for the length of each
            // other's inserts (docs/decisions/2026-12-01-import-batches.md). Numbers still never
            // repeat; a batch that fails after this leaves its numbers unused.
            let first = {
                let mut numbers = TenantTx::begin(&self.pool, a.tenant).await?;
                let first = store::reserve_order_seqs(&mut numbers, creates.len() as i64).await?;
                numbers.commit().await?;
                first
            };
            let mut rows: Vec<OrderRow> = Vec::with_capacity(creates.len());
            for (n, (_, (order, _))) in creates.iter().enumerate() {
                let mut o = order.clone();
                o.seq = first + n as i64;
                o.number = domain::order_number(o.seq);
                rows.push(o);
            }
            let mut inserted = HashSet::new();
            let snapshots = store::insert_orders_bulk(&mut tx, &rows).await?;
            let snapshots: std::collections::HashMap<Uuid, _> =
                snapshots.into_iter().map(|(id, c, r)| (id, (c, r))).collect();
            for o in &mut rows {
                if let Some((c, r)) = snapshots.get(&o.id) {
                    (o.reporting_currency, o.exchange_rate) = (c.clone(), *r);
                    inserted.insert(o.id);
                }
            }
            let written: Vec<&OrderRow> = rows.iter().filter(|o| inserted.contains(&o.id)).collect();
            let lines: Vec<(Uuid, &ItemRow)> = creates
                .iter()
                .zip(&rows)
                .filter(|(_, o)| inserted.contains(&o.id))
                .flat_map(|((_, (_, items)), o)| items.iter().map(move |it| (o.id, it)))
                .collect();
            store::insert_items_bulk(&mut tx, &lines).await?;
            let firsts: Vec<StatusChangeRow> =
                written.iter().map(|o| StatusChangeRow::first(o, Some(a.actor), a.actor_kind())).collect();
            let firsts: Vec<(Uuid, &StatusChangeRow)> = written.iter().map(|o| o.id).zip(&firsts).collect();
            store::insert_status_changes_bulk(&mut tx, &firsts).await?;
            let messages: Vec<(Uuid, Uuid, ev::OrderPlaced)> = creates
                .iter()
                .zip(&rows)
                .filter(|(_, o)| inserted.contains(&o.id))
                .map(|((_, (_, items)), o)| (o.tenant_id, o.id, crate::events::placed_message(o, items)))
                .collect();
            let events: Vec<NewEvent<'_, ev::OrderPlaced>> = messages
                .iter()
                .map(|(tenant, id, msg)| NewEvent {
                    tenant: Some(*tenant),
                    aggregate: "order",
                    aggregate_id: id.to_string(),
                    event: "placed",
                    payload: msg,
                })
                .collect();
            self.outbox.enqueue_many(tx.conn(), &events).await?;
            // Lost a race with another batch importing the same id: it is there, once, and a
            // duplicate names it as a sequential one does.
            let lost: Vec<String> =
                rows.iter().filter(|o| !inserted.contains(&o.id)).filter_map(|o| o.external_id.clone()).collect();
            let theirs = if lost.is_empty() {
                HashMap::new()
            } else {
                store::order_numbers_by_external_ids(&mut tx, &lost).await?
            };
            for ((i, _), o) in creates.iter().zip(&rows) {
                let out = &mut outcomes[*i];
                let (id, number) = if inserted.contains(&o.id) {
                    out.result = "created".into();
                    (Some(o.id), Some(o.number.clone()))
                } else {
                    out.result = "duplicate".into();
                    let known = o.external_id.as_ref().and_then(|e| theirs.get(e));
                    (known.map(|k| k.0), known.map(|k| k.1.clone()))
                };
                out.order_id = id.map(|id| id.to_string());
                out.number = number;
            }
        }

        // Changes to known orders: each walks the workflow and records its new refunds in memory,
        // then every table is written once for the whole batch (one statement per change took
        // longer than the gateway waits: docs/decisions/2026-12-01-import-batches.md).
        let updates: Vec<(usize, &OrderRow, Option<OrderStatus>, &[pb::ImportRefund])> = plans
            .iter()
            .filter_map(|(i, p)| match p {
                Plan::Update { external_id, status, refunds } => {
                    Some((*i, &known[external_id], *status, refunds.as_slice()))
                }
                Plan::Create(_) => None,
            })
            .collect();
        if !updates.is_empty() {
            let with_refunds: Vec<Uuid> = updates.iter().filter(|u| !u.3.is_empty()).map(|u| u.1.id).collect();
            let before = store::refunds_so_far(&mut tx, &with_refunds).await?;
            let mut changes = Vec::new();
            for (i, o, status, refunds) in updates {
                let seen = before.get(&o.id);
                let planned = self.plan_changes(&a, o, status, refunds, seen);
                let out = &mut outcomes[i];
                out.order_id = Some(o.id.to_string());
                out.number = Some(o.number.clone());
                match planned {
                    Ok(Some(c)) => {
                        out.result = "updated".into();
                        changes.push(c);
                    }
                    Ok(None) => out.result = "duplicate".into(),
                    Err(e) => out.errors.extend(problems(e, &format!("orders[{i}]."))),
                }
            }
            self.write_changes(&mut tx, &changes).await?;
        }
        tx.commit().await?;

        let mut result = pb::ImportOrdersResult::default();
        for out in &mut outcomes {
            if !out.errors.is_empty() {
                out.result = "rejected".into();
                out.order_id = None;
                out.number = None;
            }
            match out.result.as_str() {
                "created" => result.created += 1,
                "updated" => result.updated += 1,
                "duplicate" => result.duplicate += 1,
                _ => result.rejected += 1,
            }
        }
        result.items = outcomes;
        Ok(result)
    }

    /// A new order, priced like any other (O2), from the catalog by SKU.
    fn plan_create(
        &self,
        a: &Access,
        o: &pb::ImportOrder,
        products: &HashMap<String, ProductRow>,
        settings: &store::CheckoutRow,
    ) -> Result<(OrderRow, Vec<ItemRow>), AppError> {
        let mut errors = Vec::new();
        let nobody = pb::ImportCustomer::default();
        let customer = o.customer.as_ref().unwrap_or(&nobody);
        let kind = OrderKind::parse("kind", if o.kind.is_empty() { "standard" } else { &o.kind });
        let method = PaymentMethod::parse("payment_method", &o.payment_method);
        let channel = Channel::parse("channel", if o.channel.is_empty() { "api" } else { &o.channel });
        let status =
            OrderStatus::parse("status", o.status.as_deref().filter(|s| !s.is_empty()).unwrap_or("pending_payment"));
        let name = platform::values::parse_name("customer.name", &customer.name);
        let email = if customer.email.trim().is_empty() {
            Ok(String::new())
        } else {
            platform::values::Email::parse("customer.email", &customer.email).map(|e| e.as_str().to_string())
        };
        let language = platform::values::parse_language("customer.language", &customer.language);
        let discount = if customer.discount_percent.trim().is_empty() {
            Ok(Decimal::ZERO)
        } else {
            domain::parse_percent("customer.discount_percent", &customer.discount_percent, Decimal::ONE_HUNDRED)
        };
        let id = |field: &str, raw: Option<&str>| -> Result<Option<Uuid>, AppError> {
            raw.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid(field, "is not an id")))
                .transpose()
        };
        let customer_id = id("customer.id", customer.id.as_deref());
        let owner = id("customer.owner_partner_id", customer.owner_partner_id.as_deref());
        let placed_by = id("placed_by_partner_id", o.placed_by_partner_id.as_deref());
        let promotion = super::place::parse_promotion(o.promotion_type.as_deref());
        if o.items.is_empty() || o.items.len() > 200 {
            errors.push(platform::error::FieldError {
                field: "items".into(),
                message: "an order holds 1 to 200 lines".into(),
            });
        }
        if !o.refunds.is_empty() {
            errors.push(platform::error::FieldError {
                field: "refunds".into(),
                message: "refunds apply to orders imported before".into(),
            });
        }
        let mut currency: Option<Currency> = None;
        let mut lines = Vec::new();
        for (n, l) in o.items.iter().enumerate() {
            let Some(p) = products.get(&l.sku.trim().to_lowercase()).filter(|p| p.active) else {
                errors.push(platform::error::FieldError {
                    field: format!("items[{n}].sku"),
                    message: "no such product".into(),
                });
                continue;
            };
            let c = Currency::parse(&p.currency).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            if currency.is_some_and(|first| first != c) {
                errors.push(platform::error::FieldError {
                    field: format!("items[{n}].sku"),
                    message: "one currency per order".into(),
                });
                continue;
            }
            currency = Some(c);
            if l.quantity == 0 || l.quantity > 10_000 {
                errors.push(platform::error::FieldError {
                    field: format!("items[{n}].quantity"),
                    message: "must be between 1 and 10000".into(),
                });
            }
            let unit_price = match l.unit_price.as_deref().filter(|u| !u.trim().is_empty()) {
                Some(u) => match domain::parse_amount(&format!("items[{n}].unit_price"), u, c) {
                    Ok(u) => u,
                    Err(e) => {
                        errors.extend(e.errors);
                        continue;
                    }
                },
                None if matches!(kind, Ok(OrderKind::Wholesale)) => match p.wholesale_price {
                    Some(w) => w,
                    None => {
                        errors.push(platform::error::FieldError {
                            field: format!("items[{n}].sku"),
                            message: "has no wholesale price".into(),
                        });
                        continue;
                    }
                },
                None => p.base_price,
            };
            lines.push(CartLine {
                product_id: p.id,
                sku: p.sku.clone(),
                name: p.name.clone(),
                category: p.category.clone(),
                kind: ProductKind::parse("kind", &p.kind)?,
                quantity: l.quantity,
                unit_price,
                commission_rate: p.commission_rate,
                coupon_applies: false,
            });
        }
        let shipping = match (&o.shipping, currency) {
            (Some(s), Some(c)) => domain::parse_amount("shipping", s, c).map(Some),
            _ => Ok(None),
        };
        let tax_rate =
            o.tax_rate.as_deref().map(|t| domain::parse_percent("tax_rate", t, Decimal::ONE_HUNDRED)).transpose();
        let quick = (channel.as_ref().ok() == Some(&Channel::QuickOrder))
            .then(|| AppError::invalid("channel", "quick orders come through the customer's link"));
        let failed = [
            kind.as_ref().err(),
            method.as_ref().err(),
            channel.as_ref().err(),
            status.as_ref().err(),
            name.as_ref().err(),
            email.as_ref().err(),
            language.as_ref().err(),
            discount.as_ref().err(),
            customer_id.as_ref().err(),
            owner.as_ref().err(),
            placed_by.as_ref().err(),
            promotion.as_ref().err(),
            shipping.as_ref().err(),
            tax_rate.as_ref().err(),
            quick.as_ref(),
        ];
        for e in failed.into_iter().flatten() {
            errors.extend(e.errors.iter().cloned());
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        // Every value was checked just above.
        let (kind, method, channel, status) = (kind?, method?, channel?, status?);
        let currency = currency.ok_or_else(|| AppError::invalid("items", "an order holds 1 to 200 lines"))?;
        let pricing = Pricing {
            currency,
            customer_discount: if kind == OrderKind::Standard { discount? } else { Decimal::ZERO },
            coupon_discount: None,
            shipping: shipping?.unwrap_or_else(|| domain::round(settings.shipping_flat, currency)),
            tax_rate: tax_rate?.unwrap_or(settings.tax_rate),
        };
        let totals = domain::price(lines, &pricing);
        let now = self.clock.now();
        let (owner, placed_by) = (owner?, placed_by?);
        let order = OrderRow {
            id: Uuid::now_v7(),
            tenant_id: a.tenant,
            number: String::new(),
            seq: 0,
            customer_id: customer_id?,
            customer_name: name?,
            customer_email: email?,
            customer_language: language?,
            customer_owner_id: owner,
            kind: kind.as_str().into(),
            channel: channel.as_str().into(),
            payment_method: method.as_str().into(),
            promotion_type: promotion?,
            status: status.as_str().into(),
            currency: currency.code().into(),
            subtotal: totals.subtotal,
            discount: totals.discount,
            shipping: totals.shipping,
            tax_rate: pricing.tax_rate,
            tax: totals.tax,
            total: totals.total,
            amount_paid: if status.is_paid() { totals.total } else { Decimal::ZERO },
            amount_refunded: Decimal::ZERO,
            placed_by_partner_id: placed_by,
            coupon_id: None,
            coupon_code: None,
            coupon_partner_id: None,
            coupon_commission_rate: None,
            partner_id: placed_by.or(owner),
            external_id: Some(o.external_id.trim().to_string()),
            version: 1,
            placed_at: now,
            updated_at: now,
            attribution_reason: None,
            reporting_currency: None,
            exchange_rate: None,
        };
        let items = super::place::item_rows(totals.lines);
        Ok((order, items))
    }

    /// A known order: what would change, or `None` when nothing would (a re-send).
    fn plan_update(&self, existing: &OrderRow, o: &pb::ImportOrder) -> Result<Option<Plan>, AppError> {
        let target = o
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| OrderStatus::parse("status", s))
            .transpose()?
            .filter(|s| s.as_str() != existing.status);
        if let Some(to) = target {
            let from = OrderStatus::parse("status", &existing.status)?;
            if from.path_to(to).is_none() {
                return Err(AppError::conflict(
                    "illegal_transition",
                    format!("an order {} cannot become {}", from.as_str(), to.as_str()),
                )
                .with_field("status"));
            }
        }
        if target.is_none() && o.refunds.is_empty() {
            return Ok(None);
        }
        Ok(Some(Plan::Update {
            external_id: existing.external_id.clone().unwrap_or_default(),
            status: target,
            refunds: o.refunds.clone(),
        }))
    }

    /// Walks a known order to its new status and records refunds not seen before, in memory:
    /// the order as it ends, each step and refund with its event. `None` when nothing is new; an
    /// error (a refund beyond what was paid) leaves the order as it was.
    fn plan_changes(
        &self,
        a: &Access,
        o: &OrderRow,
        status: Option<OrderStatus>,
        refunds: &[pb::ImportRefund],
        before: Option<&store::RefundsSoFar>,
    ) -> Result<Option<Changes>, AppError> {
        let currency = Currency::parse(&o.currency).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        // Check every new refund before anything, against what will have been paid.
        let from = OrderStatus::parse("status", &o.status)?;
        let steps = status.and_then(|to| from.path_to(to)).unwrap_or_default();
        let paid = if steps.contains(&OrderStatus::Paid) { o.total } else { o.amount_paid };
        let done: &[String] = before.map(|b| b.external_ids.as_slice()).unwrap_or_default();
        let mut refunded = o.amount_refunded;
        let mut new_refunds = Vec::new();
        for (n, r) in refunds.iter().enumerate() {
            let ext =
                external_id(&r.external_id).map_err(|m| AppError::invalid(format!("refunds[{n}].external_id"), m))?;
            if done.contains(&ext) || new_refunds.iter().any(|(e, _, _): &(String, Decimal, String)| *e == ext) {
                continue;
            }
            let amount = domain::parse_amount(&format!("refunds[{n}].amount"), &r.amount, currency)?;
            domain::check_refund(amount, paid, refunded)
                .map_err(|e| AppError::invalid(format!("refunds[{n}].amount"), e.message))?;
            refunded += amount;
            new_refunds.push((ext, amount, r.reason.trim().chars().take(1000).collect()));
        }
        if steps.is_empty() && new_refunds.is_empty() {
            return Ok(None);
        }
        let now = self.clock.now();
        let mut o = o.clone();
        let (mut moved, mut recorded) = (Vec::new(), Vec::new());
        // O4: one step at a time, each recorded with time and actor and published with its version.
        for to in steps {
            let change = super::orders::step(&mut o, to, Some(a.actor), a.actor_kind(), now)?;
            let msg = crate::events::status_message(&o, change.from_status.as_deref(), Some(a.actor));
            moved.push((change, msg));
        }
        // O6: imported refunds return no item, so the order's physical return is what it was.
        let physical = before.is_some_and(|b| b.physical_returned);
        for (ext, amount, reason) in new_refunds {
            let row = RefundRow {
                id: Uuid::now_v7(),
                amount,
                reason,
                items: sqlx::types::Json(Vec::new()),
                physical_returned: false,
                actor_user_id: Some(a.actor),
                created_at: now,
            };
            super::orders::refund_step(&mut o, amount, now);
            let msg = crate::events::refunded_message(&o, row.id, amount, physical);
            recorded.push((row, ext, msg));
        }
        Ok(Some(Changes { order: o, steps: moved, refunds: recorded }))
    }

    /// Writes planned changes of known orders: one statement per table for them all, and their
    /// events in the order each order went through them.
    async fn write_changes(&self, tx: &mut TenantTx<'_>, changes: &[Changes]) -> Result<(), AppError> {
        if changes.is_empty() {
            return Ok(());
        }
        let orders: Vec<&OrderRow> = changes.iter().map(|c| &c.order).collect();
        store::update_orders_bulk(tx, &orders).await?;
        let steps: Vec<(Uuid, &StatusChangeRow)> =
            changes.iter().flat_map(|c| c.steps.iter().map(move |(s, _)| (c.order.id, s))).collect();
        store::insert_status_changes_bulk(tx, &steps).await?;
        let refunds: Vec<(Uuid, &RefundRow, &str)> = changes
            .iter()
            .flat_map(|c| c.refunds.iter().map(move |(r, ext, _)| (c.order.id, r, ext.as_str())))
            .collect();
        store::insert_refunds_bulk(tx, &refunds).await?;
        // Each order's steps come before its refunds (their versions say so too).
        let tenant = Some(tx.tenant());
        let moved: Vec<NewEvent<'_, ev::OrderStatusChanged>> = changes
            .iter()
            .flat_map(|c| {
                c.steps.iter().map(move |(s, msg)| NewEvent {
                    tenant,
                    aggregate: "order",
                    aggregate_id: c.order.id.to_string(),
                    event: s.to_status.as_str(),
                    payload: msg,
                })
            })
            .collect();
        self.outbox.enqueue_many(tx.conn(), &moved).await?;
        let refunded: Vec<NewEvent<'_, ev::OrderRefunded>> = changes
            .iter()
            .flat_map(|c| {
                c.refunds.iter().map(move |(_, _, msg)| NewEvent {
                    tenant,
                    aggregate: "order",
                    aggregate_id: c.order.id.to_string(),
                    event: "refunded",
                    payload: msg,
                })
            })
            .collect();
        self.outbox.enqueue_many(tx.conn(), &refunded).await?;
        Ok(())
    }
}

/// What an import changes on one known order: the order as it ends, each workflow step (with
/// its `order.<status>` message) and each new refund (with its external id and `order.refunded`).
struct Changes {
    order: OrderRow,
    steps: Vec<(store::StatusChangeRow, ev::OrderStatusChanged)>,
    refunds: Vec<(RefundRow, String, ev::OrderRefunded)>,
}
