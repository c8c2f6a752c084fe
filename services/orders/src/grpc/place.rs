//! Turning a cart into an order (O2, O3, O9, L9, X2): shared by partners' and merchants' orders,
//! quotes, and quick orders. Totals are computed here, never taken from the caller.

use std::collections::HashMap;

use platform::db::TenantTx;
use platform::error::FieldError;
use platform::{AppError, Currency};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::OrdersService;
use crate::domain::{
    self, CartLine, Channel, CouponTerms, NoteVisibility, OrderKind, OrderStatus, PaymentMethod, PricedLine, Pricing,
    ProductKind,
};
use crate::events;
use crate::store::{self, ItemRow, NoteRow, OrderRow, StatusChangeRow};

/// The customer an order is for, as the customers service knows it.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub customer_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub language: String,
    pub owner: Option<Uuid>,
    /// CU1: applied to every line of a standard order.
    pub discount: Decimal,
}

/// A cart, checked for shape by the caller's entry point.
#[derive(Debug, Clone)]
pub(crate) struct Cart {
    pub buyer: Buyer,
    pub items: Vec<(String, u32)>,
    pub kind: OrderKind,
    pub payment_method: PaymentMethod,
    pub channel: Channel,
    pub promotion_type: Option<String>,
    pub coupon_code: Option<String>,
    /// Merchant or integrator overrides of the checkout settings.
    pub shipping: Option<String>,
    pub tax_rate: Option<String>,
    pub paid: bool,
    pub placed_by: Option<Uuid>,
    pub external_id: Option<String>,
    pub notes: Vec<(NoteVisibility, String)>,
    pub actor: Option<Uuid>,
    pub actor_kind: &'static str,
}

/// An order ready to be written.
pub(crate) struct Built {
    pub order: OrderRow,
    pub items: Vec<ItemRow>,
}

/// What placing returns besides the order: the payment token, shown once.
pub(crate) struct Placed {
    pub order: OrderRow,
    pub payment: Option<(String, chrono::DateTime<chrono::Utc>)>,
}

pub(crate) fn parse_promotion(raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(p) if p.len() <= 50 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
            Ok(Some(p.to_lowercase()))
        }
        Some(_) => Err(AppError::invalid("promotion_type", "must be up to 50 letters, digits, - or _")),
    }
}

pub(crate) fn parse_notes(notes: &[(String, String)]) -> Result<Vec<(NoteVisibility, String)>, AppError> {
    notes
        .iter()
        .enumerate()
        .map(|(i, (vis, body))| {
            let v = NoteVisibility::parse(
                &format!("notes[{i}].visibility"),
                if vis.is_empty() { "internal" } else { vis },
            )?;
            Ok((v, note_body(&format!("notes[{i}].body"), body)?))
        })
        .collect()
}

pub(crate) fn note_body(field: &str, raw: &str) -> Result<String, AppError> {
    let b = raw.trim();
    if b.is_empty() || b.chars().count() > 5000 {
        return Err(AppError::invalid(field, "must be 1 to 5000 characters"));
    }
    Ok(b.to_string())
}

impl OrdersService {
    /// Prices the cart against the catalog, the coupon and the checkout settings. Every bad item is
    /// reported at once. With `use_coupon`, the coupon's use is counted (in the caller's tx).
    pub(crate) async fn build(&self, tx: &mut TenantTx<'_>, cart: &Cart, use_coupon: bool) -> Result<Built, AppError> {
        if cart.items.is_empty() || cart.items.len() > 200 {
            return Err(AppError::invalid("items", "an order holds 1 to 200 lines"));
        }
        let mut errors = Vec::new();
        let mut ids = Vec::new();
        for (i, (pid, qty)) in cart.items.iter().enumerate() {
            match Uuid::parse_str(pid.trim()) {
                Ok(id) => ids.push(id),
                Err(_) => errors.push(fe(format!("items[{i}].product_id"), "no such product")),
            }
            if *qty == 0 || *qty > 10_000 {
                errors.push(fe(format!("items[{i}].quantity"), "must be between 1 and 10000"));
            }
        }
        let products: HashMap<Uuid, store::ProductRow> =
            store::products_by_ids(tx, &ids).await?.into_iter().map(|p| (p.id, p)).collect();

        let coupon = match &cart.coupon_code {
            Some(_) if cart.kind == OrderKind::Wholesale => {
                return Err(AppError::invalid("coupon_code", "wholesale orders take no coupon"));
            }
            Some(code) => {
                let code = code.trim().to_uppercase();
                let c = store::coupon_by_code_for_update(tx, &code).await?.ok_or_else(|| {
                    AppError::invalid("coupon_code", "no such coupon in this program").with_code("coupon_unknown")
                })?;
                let terms = CouponTerms {
                    active: c.active,
                    expires_at: c.expires_at,
                    max_uses: c.max_uses.max(0) as u32,
                    uses: c.uses.max(0) as u32,
                };
                domain::check_coupon(&terms, self.clock.now())?;
                Some(c)
            }
            None => None,
        };

        let mut currency: Option<Currency> = None;
        let mut lines = Vec::new();
        for (i, (pid, qty)) in cart.items.iter().enumerate() {
            let Some(p) = Uuid::parse_str(pid.trim()).ok().and_then(|id| products.get(&id)) else {
                if Uuid::parse_str(pid.trim()).is_ok() {
                    errors.push(fe(format!("items[{i}].product_id"), "no such product"));
                }
                continue;
            };
            if !p.active {
                errors.push(fe(format!("items[{i}].product_id"), "this product is no longer sold"));
                continue;
            }
            let c = Currency::parse(&p.currency).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            match currency {
                None => currency = Some(c),
                Some(first) if first != c => {
                    errors.push(fe(
                        format!("items[{i}].product_id"),
                        &format!("is priced in {c}, the order in {first}; one currency per order"),
                    ));
                    continue;
                }
                Some(_) => {}
            }
            let unit_price = match cart.kind {
                OrderKind::Standard => p.base_price,
                OrderKind::Wholesale => match p.wholesale_price {
                    Some(w) => w,
                    None => {
                        errors.push(fe(format!("items[{i}].product_id"), "has no wholesale price"));
                        continue;
                    }
                },
            };
            let coupon_applies =
                coupon.as_ref().is_some_and(|c| c.product_ids.is_empty() || c.product_ids.contains(&p.id));
            lines.push(CartLine {
                product_id: p.id,
                sku: p.sku.clone(),
                name: p.name.clone(),
                category: p.category.clone(),
                kind: ProductKind::parse("kind", &p.kind)?,
                quantity: *qty,
                unit_price,
                commission_rate: p.commission_rate,
                coupon_applies,
            });
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let currency = currency.ok_or_else(|| AppError::invalid("items", "an order holds 1 to 200 lines"))?;
        if coupon.is_some() && !lines.iter().any(|l| l.coupon_applies) {
            return Err(AppError::invalid("coupon_code", "this coupon applies to none of the products in the order")
                .with_code("coupon_not_applicable"));
        }

        let settings = store::checkout(tx).await?;
        let shipping = match &cart.shipping {
            Some(s) => domain::parse_amount("shipping", s, currency)?,
            None => domain::round(settings.shipping_flat, currency),
        };
        let tax_rate = match &cart.tax_rate {
            Some(t) => domain::parse_percent("tax_rate", t, Decimal::ONE_HUNDRED)?,
            None => settings.tax_rate,
        };
        let pricing = Pricing {
            currency,
            customer_discount: if cart.kind == OrderKind::Standard { cart.buyer.discount } else { Decimal::ZERO },
            coupon_discount: coupon.as_ref().map(|c| c.discount_percent),
            shipping,
            tax_rate,
        };
        let totals = domain::price(lines, &pricing);
        if let (Some(c), true) = (&coupon, use_coupon) {
            store::count_coupon_use(tx, c.id).await?;
        }

        let status = if cart.paid { OrderStatus::Paid } else { OrderStatus::PendingPayment };
        let now = self.clock.now();
        let coupon_partner = coupon.as_ref().map(|c| c.partner_id);
        let order = OrderRow {
            id: Uuid::now_v7(),
            tenant_id: tx.tenant(),
            number: String::new(),
            seq: 0,
            customer_id: cart.buyer.customer_id,
            customer_name: cart.buyer.name.clone(),
            customer_email: cart.buyer.email.clone(),
            customer_language: cart.buyer.language.clone(),
            customer_owner_id: cart.buyer.owner,
            kind: cart.kind.as_str().into(),
            channel: cart.channel.as_str().into(),
            payment_method: cart.payment_method.as_str().into(),
            promotion_type: cart.promotion_type.clone(),
            status: status.as_str().into(),
            currency: currency.code().into(),
            subtotal: totals.subtotal,
            discount: totals.discount,
            shipping: totals.shipping,
            tax_rate,
            tax: totals.tax,
            total: totals.total,
            amount_paid: if cart.paid { totals.total } else { Decimal::ZERO },
            amount_refunded: Decimal::ZERO,
            placed_by_partner_id: cart.placed_by,
            coupon_id: coupon.as_ref().map(|c| c.id),
            coupon_code: coupon.as_ref().map(|c| c.code.clone()),
            coupon_partner_id: coupon_partner,
            coupon_commission_rate: coupon.as_ref().and_then(|c| c.commission_rate),
            // Until attribution decides (L9): placed-by, else the coupon's partner, else the owner.
            partner_id: cart.placed_by.or(coupon_partner).or(cart.buyer.owner),
            external_id: cart.external_id.clone(),
            version: 1,
            placed_at: now,
            updated_at: now,
            attribution_reason: None,
            reporting_currency: None,
            exchange_rate: None,
        };
        let items = item_rows(totals.lines);
        Ok(Built { order, items })
    }

    /// Writes a built order with its first status, notes, events and, for pay-later orders, its
    /// payment link (O3).
    pub(crate) async fn store_order(
        &self,
        tx: &mut TenantTx<'_>,
        cart: &Cart,
        built: Built,
    ) -> Result<Placed, AppError> {
        let Built { mut order, items } = built;
        order.seq = store::next_order_seq(tx).await?;
        order.number = domain::order_number(order.seq);
        store::insert_order(tx, &mut order).await?;
        store::insert_items(tx, order.id, &items).await?;
        let first = StatusChangeRow::first(&order, cart.actor, cart.actor_kind);
        store::insert_status_change(tx, order.id, &first).await?;
        for (visibility, body) in &cart.notes {
            let n = NoteRow {
                id: Uuid::now_v7(),
                visibility: visibility.as_str().into(),
                body: body.clone(),
                author_user_id: cart.actor,
                created_at: order.placed_at,
            };
            store::insert_note(tx, order.id, &n).await?;
        }
        events::placed(&self.outbox, tx.conn(), &order, &items).await?;
        let mut payment = None;
        if cart.payment_method == PaymentMethod::PayLaterLink && order.status == OrderStatus::PendingPayment.as_str() {
            payment = Some(self.payment_link(tx, &order).await?);
        }
        Ok(Placed { order, payment })
    }

    /// O3: a fresh payment link for the order (replacing any earlier one), announced for the email.
    pub(crate) async fn payment_link(
        &self,
        tx: &mut TenantTx<'_>,
        order: &OrderRow,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>), AppError> {
        let settings = store::checkout(tx).await?;
        let token = platform::auth::random_token();
        let now = self.clock.now();
        let expires = now + chrono::Duration::days(i64::from(settings.payment_link_days));
        store::put_payment_link(tx, order.id, &platform::auth::token_hash(&token), expires, now).await?;
        events::payment_link_created(&self.outbox, tx.conn(), order, &token, expires).await?;
        Ok((token, expires))
    }
}

/// The stored lines of priced cart lines, numbered from 1.
pub(crate) fn item_rows(lines: Vec<PricedLine>) -> Vec<ItemRow> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| ItemRow {
            line: i as i32 + 1,
            product_id: l.line.product_id,
            sku: l.line.sku,
            name: l.line.name,
            category: l.line.category,
            kind: l.line.kind.as_str().into(),
            quantity: l.line.quantity as i32,
            unit_price: l.line.unit_price,
            line_total: l.line_total,
            discount: l.discount,
            net: l.net,
            commission_rate: l.line.commission_rate,
            coupon_applies: l.line.coupon_applies,
            returned_quantity: 0,
        })
        .collect()
}

fn fe(field: String, message: &str) -> FieldError {
    FieldError { field, message: message.to_string() }
}
