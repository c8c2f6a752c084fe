//! Orders through the API: place and quote (O2, O3, O9), read and list (O7), the status workflow
//! (O4), notes (O5) and refunds (O6).

use chrono::{DateTime, NaiveDate, Utc};
use partnerline_proto::customers::v1 as cpb;
use partnerline_proto::identity::v1 as idpb;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::paging::{next_cursor, offset_cursor, page_size};
use rust_decimal::Decimal;
use sqlx::types::Json;
use uuid::Uuid;

use super::place::{Buyer, Cart, note_body, parse_notes, parse_promotion};
use super::{Access, OrdersService, convert, parse_id};
use crate::domain::{self, Channel, NoteVisibility, OrderKind, OrderStatus, PaymentMethod};
use crate::events;
use crate::store::{self, NoteRow, OrderFilter, OrderRow, RefundRow, ReturnedLine, StatusChangeRow};

/// `placed_from` / `placed_to`: a day (inclusive) or an instant.
fn parse_day(field: &str, raw: &str, end: bool) -> Result<DateTime<Utc>, AppError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// O7: the sortable columns, with the clause each sorts by.
fn sort_clause(raw: Option<&str>) -> Result<&'static str, AppError> {
    Ok(match raw.map(str::trim).unwrap_or("-placed_at") {
        "" | "-placed_at" => "o.placed_at DESC",
        "placed_at" => "o.placed_at ASC",
        "total" => "o.total ASC",
        "-total" => "o.total DESC",
        "number" => "o.seq ASC",
        "-number" => "o.seq DESC",
        "status" => "o.status ASC",
        "-status" => "o.status DESC",
        "customer_name" => "lower(o.customer_name) ASC",
        "-customer_name" => "lower(o.customer_name) DESC",
        _ => {
            return Err(AppError::invalid(
                "sort",
                "must be one of placed_at, total, number, status, customer_name, each maybe with a leading -",
            ));
        }
    })
}

/// O4: one step of the workflow applied to the order in memory (status, the amount paid on
/// `paid`, version, time), refused when the workflow does not allow it; returns the change to
/// record. Writing it and publishing `order.<status>` are the caller's.
pub(crate) fn step(
    o: &mut OrderRow,
    to: OrderStatus,
    actor: Option<Uuid>,
    actor_kind: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<StatusChangeRow, AppError> {
    OrderStatus::parse("status", &o.status)?.check_move(to)?;
    let previous = std::mem::replace(&mut o.status, to.as_str().into());
    if to == OrderStatus::Paid {
        o.amount_paid = o.total;
    }
    o.version += 1;
    o.updated_at = now;
    Ok(StatusChangeRow {
        from_status: Some(previous),
        to_status: o.status.clone(),
        actor_user_id: actor,
        actor_kind: actor_kind.into(),
        version: o.version,
        at: now,
    })
}

/// O6: a refund of `amount` applied to the order in memory (amount refunded, version, time); the
/// caller has checked it against what was paid, and writes it and publishes `order.refunded`.
pub(crate) fn refund_step(o: &mut OrderRow, amount: Decimal, now: DateTime<Utc>) {
    o.amount_refunded += amount;
    o.version += 1;
    o.updated_at = now;
}

impl OrdersService {
    /// The customer of an order, asked of the customers service with the caller's token: a partner
    /// reaches only its own customers.
    async fn buyer(&self, token: &str, raw: &str) -> Result<Buyer, AppError> {
        let bad = || AppError::invalid("customer_id", "no such customer");
        let id = Uuid::parse_str(raw.trim()).map_err(|_| bad())?;
        let req = platform::grpc::request(cpb::CustomerRef { id: id.to_string() }, Some(token));
        let c = match self.customers.clone().get_customer(req).await {
            Ok(c) => c.into_inner(),
            Err(s) if s.code() == tonic::Code::NotFound => return Err(bad()),
            Err(s) => return Err(AppError::from_status(&s)),
        };
        if c.approval == "pending_approval" {
            return Err(AppError::conflict(
                "customer_pending_approval",
                "this business customer waits for the merchant's approval (CU7)",
            )
            .with_field("customer_id"));
        }
        Ok(Buyer {
            customer_id: Some(id),
            name: c.name,
            email: c.email,
            language: c.language,
            owner: c.owner_partner_id.as_deref().and_then(|p| Uuid::parse_str(p).ok()),
            discount: Decimal::from_str_exact(&c.discount_percent).unwrap_or_default(),
        })
    }

    /// The cart a signed-in caller describes; what only the merchant may set is refused to partners.
    async fn cart(&self, a: &Access, token: &str, req: pb::PlaceOrderRequest) -> Result<Cart, AppError> {
        let kind = OrderKind::parse("kind", if req.kind.is_empty() { "standard" } else { &req.kind })?;
        let payment_method = PaymentMethod::parse("payment_method", &req.payment_method)?;
        let default_channel = match (a.is_partner(), a.role) {
            (true, _) => "partner_assisted",
            (false, platform::auth::Role::Integrator) => "api",
            _ => "storefront",
        };
        let channel = Channel::parse("channel", if req.channel.is_empty() { default_channel } else { &req.channel })?;
        if a.is_partner() {
            if channel != Channel::PartnerAssisted {
                return Err(AppError::invalid("channel", "partners place partner_assisted orders"));
            }
            for (set, field) in
                [(req.shipping.is_some(), "shipping"), (req.tax_rate.is_some(), "tax_rate"), (req.paid, "paid")]
            {
                if set {
                    return Err(AppError::forbidden("only the merchant sets this").with_field(field));
                }
            }
        } else if channel == Channel::QuickOrder {
            return Err(AppError::invalid("channel", "quick orders come through the customer's link"));
        }
        let buyer = match (kind, req.customer_id.as_deref().filter(|c| !c.trim().is_empty()), a.partner) {
            (OrderKind::Standard, Some(c), _) => self.buyer(token, c).await?,
            (OrderKind::Standard, None, _) => {
                return Err(AppError::invalid("customer_id", "an order needs a customer"));
            }
            // O9: the partner buys for itself, to resell.
            (OrderKind::Wholesale, None, Some(me)) => {
                let req = platform::grpc::request(idpb::GetPartnerRequest { id: me.to_string() }, Some(token));
                let p = self.identity.clone().get_partner(req).await.map_err(|s| AppError::from_status(&s))?;
                let p = p.into_inner();
                Buyer {
                    customer_id: None,
                    name: p.name,
                    email: p.email,
                    language: p.language,
                    owner: Some(me),
                    discount: Decimal::ZERO,
                }
            }
            (OrderKind::Wholesale, Some(_), _) => {
                return Err(AppError::invalid("customer_id", "a wholesale order is the partner's own, for resale"));
            }
            (OrderKind::Wholesale, None, None) => {
                return Err(AppError::forbidden("partners place wholesale orders, for resale").with_field("kind"));
            }
        };
        let notes: Vec<(String, String)> = req.notes.into_iter().map(|n| (n.visibility, n.body)).collect();
        Ok(Cart {
            buyer,
            items: req.items.into_iter().map(|i| (i.product_id, i.quantity)).collect(),
            kind,
            payment_method,
            channel,
            promotion_type: parse_promotion(req.promotion_type.as_deref())?,
            coupon_code: req.coupon_code.filter(|c| !c.trim().is_empty()),
            shipping: req.shipping,
            tax_rate: req.tax_rate,
            paid: req.paid,
            placed_by: a.partner,
            external_id: None,
            notes: parse_notes(&notes)?,
            actor: Some(a.actor),
            actor_kind: a.actor_kind(),
        })
    }

    pub(super) async fn place_order_impl(
        &self,
        a: Access,
        token: String,
        req: pb::PlaceOrderRequest,
    ) -> Result<pb::PlacedOrder, AppError> {
        let cart = self.cart(&a, &token, req).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let built = self.build(&mut tx, &cart, true).await?;
        let placed = self.store_order(&mut tx, &cart, built).await?;
        let order = self.detail(&mut tx, &placed.order).await?;
        tx.commit().await?;
        Ok(pb::PlacedOrder {
            order: Some(order),
            payment_token: placed.payment.as_ref().map(|(t, _)| t.clone()),
            payment_link_expires_at: placed.payment.map(|(_, e)| convert::ts(e)),
        })
    }

    /// A cart's totals as placing would compute them; nothing is stored.
    pub(super) async fn quote_order_impl(
        &self,
        a: Access,
        token: String,
        req: pb::PlaceOrderRequest,
    ) -> Result<pb::Order, AppError> {
        let cart = self.cart(&a, &token, req).await?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let built = self.build(&mut tx, &cart, false).await?;
        drop(tx); // a quote stores nothing: the transaction rolls back
        Ok(convert::order(convert::OrderParts {
            order: &built.order,
            items: &built.items,
            history: &[],
            notes: &[],
            refunds: &[],
        }))
    }

    /// The order page: lines, history, notes, refunds.
    pub(crate) async fn detail(&self, tx: &mut TenantTx<'_>, o: &OrderRow) -> Result<pb::Order, AppError> {
        let items = store::items(tx, o.id).await?;
        let history = store::history(tx, o.id).await?;
        let notes = store::notes(tx, o.id, false).await?;
        let refunds = store::refunds(tx, o.id).await?;
        Ok(convert::order(convert::OrderParts {
            order: o,
            items: &items,
            history: &history,
            notes: &notes,
            refunds: &refunds,
        }))
    }

    pub(super) async fn get_order_impl(&self, a: Access, req: pb::OrderRef) -> Result<pb::Order, AppError> {
        let id = parse_id(&req.id, "order")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let o = store::order(&mut tx, id, a.partner, false).await?.ok_or_else(|| AppError::not_found("order"))?;
        let out = self.detail(&mut tx, &o).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn list_orders_impl(
        &self,
        a: Access,
        req: pb::ListOrdersRequest,
    ) -> Result<pb::OrderPage, AppError> {
        let status = req
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| OrderStatus::parse("status", s))
            .transpose()?
            .map(|s| s.as_str().to_string());
        let id = |field: &str, raw: Option<&str>| -> Result<Option<Uuid>, AppError> {
            raw.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Uuid::parse_str(s).map_err(|_| AppError::invalid(field, "is not an id")))
                .transpose()
        };
        let customer = id("customer_id", req.customer_id.as_deref())?;
        let partner = match a.partner {
            Some(me) => Some(me),
            None => id("partner_id", req.partner_id.as_deref())?,
        };
        let from = req.placed_from.as_deref().filter(|s| !s.is_empty()).map(|s| parse_day("placed_from", s, false));
        let to = req.placed_to.as_deref().filter(|s| !s.is_empty()).map(|s| parse_day("placed_to", s, true));
        let offset = offset_cursor(req.cursor.as_deref())?;
        let limit = page_size(req.limit);
        let filter = OrderFilter {
            q: req.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()),
            status,
            customer,
            partner,
            from: from.transpose()?,
            to: to.transpose()?,
            order_by: sort_clause(req.sort.as_deref())?,
            offset,
            limit: limit + 1,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut rows = store::orders(&mut tx, &filter).await?;
        tx.commit().await?;
        let next = next_cursor(&mut rows, offset, limit);
        Ok(pb::OrderPage { items: rows.iter().map(convert::summary).collect(), next_cursor: next })
    }

    /// O4: one step of the workflow, recorded with time and actor, published with the new version.
    pub(crate) async fn move_order(
        &self,
        tx: &mut TenantTx<'_>,
        o: &mut OrderRow,
        to: OrderStatus,
        actor: Option<Uuid>,
        actor_kind: &str,
    ) -> Result<(), AppError> {
        let change = step(o, to, actor, actor_kind, self.clock.now())?;
        store::update_order(tx, o).await?;
        store::insert_status_change(tx, o.id, &change).await?;
        events::status_changed(&self.outbox, tx.conn(), o, change.from_status.as_deref(), actor).await?;
        Ok(())
    }

    pub(super) async fn change_status_impl(
        &self,
        a: Access,
        req: pb::ChangeOrderStatusRequest,
    ) -> Result<pb::Order, AppError> {
        let id = parse_id(&req.id, "order")?;
        let to = OrderStatus::parse("status", &req.status)?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut o = store::order(&mut tx, id, a.partner, true).await?.ok_or_else(|| AppError::not_found("order"))?;
        a.require_staff("only the merchant moves orders through their workflow")?;
        if let Some(v) = req.expected_version
            && v as i32 != o.version
        {
            return Err(AppError::conflict(
                "version_conflict",
                format!("the order is at version {}, not {v}; reload it", o.version),
            ));
        }
        self.move_order(&mut tx, &mut o, to, Some(a.actor), a.actor_kind()).await?;
        let out = self.detail(&mut tx, &o).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// O5: internal or customer-facing; the partner who sees the order may add notes too.
    pub(super) async fn add_note_impl(&self, a: Access, req: pb::AddOrderNoteRequest) -> Result<pb::Order, AppError> {
        let id = parse_id(&req.id, "order")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let o = store::order(&mut tx, id, a.partner, true).await?.ok_or_else(|| AppError::not_found("order"))?;
        let visibility =
            NoteVisibility::parse("visibility", if req.visibility.is_empty() { "internal" } else { &req.visibility })?;
        let n = NoteRow {
            id: Uuid::now_v7(),
            visibility: visibility.as_str().into(),
            body: note_body("body", &req.body)?,
            author_user_id: Some(a.actor),
            created_at: self.clock.now(),
        };
        store::insert_note(&mut tx, id, &n).await?;
        let out = self.detail(&mut tx, &o).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// O3: the partner who sees the order, or the merchant, sends the customer a new link.
    pub(super) async fn renew_link_impl(&self, a: Access, req: pb::OrderRef) -> Result<pb::PlacedOrder, AppError> {
        let id = parse_id(&req.id, "order")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let o = store::order(&mut tx, id, a.partner, true).await?.ok_or_else(|| AppError::not_found("order"))?;
        if o.status != OrderStatus::PendingPayment.as_str() {
            return Err(AppError::conflict(
                "not_payable",
                format!("this order is {} and needs no payment link", o.status),
            ));
        }
        let (token, expires) = self.payment_link(&mut tx, &o).await?;
        let order = self.detail(&mut tx, &o).await?;
        tx.commit().await?;
        Ok(pb::PlacedOrder {
            order: Some(order),
            payment_token: Some(token),
            payment_link_expires_at: Some(convert::ts(expires)),
        })
    }

    /// O6: partial or full; never more than was paid; returned items are counted per line.
    pub(super) async fn refund_impl(&self, a: Access, req: pb::RefundOrderRequest) -> Result<pb::Order, AppError> {
        let id = parse_id(&req.id, "order")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut o = store::order(&mut tx, id, a.partner, true).await?.ok_or_else(|| AppError::not_found("order"))?;
        a.require_admin("only the merchant refunds orders")?;
        let currency =
            platform::Currency::parse(&o.currency).map_err(|e| AppError::internal(anyhow::anyhow!("currency: {e}")))?;
        let amount = domain::parse_amount("amount", &req.amount, currency)?;
        domain::check_refund(amount, o.amount_paid, o.amount_refunded)?;
        let reason = req.reason.trim();
        if reason.chars().count() > 1000 {
            return Err(AppError::invalid("reason", "must be at most 1000 characters"));
        }
        let items = store::items(&mut tx, id).await?;
        let mut returned = Vec::new();
        for (i, r) in req.items.iter().enumerate() {
            let Some(line) = items.iter().find(|l| l.line == r.line as i32) else {
                return Err(AppError::invalid(format!("items[{i}].line"), "no such line on this order"));
            };
            if r.quantity == 0 || !store::return_items(&mut tx, id, line.line, r.quantity as i32).await? {
                return Err(AppError::invalid(
                    format!("items[{i}].quantity"),
                    format!(
                        "between 1 and {} of this line may still come back",
                        line.quantity - line.returned_quantity
                    ),
                ));
            }
            returned.push(ReturnedLine {
                line: line.line,
                quantity: r.quantity as i32,
                physical: line.kind == "physical",
            });
        }
        let physical_now = returned.iter().any(|r| r.physical);
        let refund = RefundRow {
            id: Uuid::now_v7(),
            amount,
            reason: reason.to_string(),
            items: Json(returned),
            physical_returned: physical_now,
            actor_user_id: Some(a.actor),
            created_at: self.clock.now(),
        };
        store::insert_refund(&mut tx, id, &refund).await?;
        refund_step(&mut o, amount, refund.created_at);
        store::update_order(&mut tx, &o).await?;
        // C5 needs to know whether any physical item of the order has come back, ever.
        let physical_ever = physical_now || store::refunds(&mut tx, id).await?.iter().any(|r| r.physical_returned);
        events::refunded(&self.outbox, tx.conn(), &o, refund.id, amount, physical_ever).await?;
        let out = self.detail(&mut tx, &o).await?;
        tx.commit().await?;
        Ok(out)
    }
}
