//! Rows to their protobuf form.

use partnerline_proto::orders::v1 as pb;
use rust_decimal::Decimal;

use crate::domain::OrderStatus;
use crate::store::{CouponRow, ItemRow, NoteRow, OrderRow, ProductRow, RefundRow, StatusChangeRow};

pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An amount as written in its currency: exactly its minor-unit decimals.
pub fn amount(d: Decimal, currency: &str) -> String {
    match platform::Currency::parse(currency) {
        Ok(c) => crate::domain::round(d, c).to_string(),
        Err(_) => d.to_string(),
    }
}

pub fn rate(d: Decimal) -> String {
    let mut d = d;
    d.rescale(2);
    d.to_string()
}

pub fn product(p: &ProductRow) -> pb::Product {
    pb::Product {
        id: p.id.to_string(),
        sku: p.sku.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        base_price: amount(p.base_price, &p.currency),
        currency: p.currency.clone(),
        kind: p.kind.clone(),
        commission_rate: p.commission_rate.map(rate),
        wholesale_price: p.wholesale_price.map(|w| amount(w, &p.currency)),
        category: p.category.clone(),
        active: p.active,
        created_at: ts(p.created_at),
        updated_at: ts(p.updated_at),
        notices: Vec::new(),
    }
}

pub fn item(i: &ItemRow, currency: &str) -> pb::OrderItem {
    pb::OrderItem {
        line: i.line as u32,
        product_id: i.product_id.to_string(),
        sku: i.sku.clone(),
        name: i.name.clone(),
        kind: i.kind.clone(),
        quantity: i.quantity as u32,
        unit_price: amount(i.unit_price, currency),
        line_total: amount(i.line_total, currency),
        discount: amount(i.discount, currency),
        net: amount(i.net, currency),
        commission_rate: i.commission_rate.map(rate),
        coupon_applies: i.coupon_applies,
        returned_quantity: i.returned_quantity as u32,
    }
}

pub fn note(n: &NoteRow) -> pb::OrderNote {
    pb::OrderNote {
        id: n.id.to_string(),
        visibility: n.visibility.clone(),
        body: n.body.clone(),
        author_user_id: n.author_user_id.map(|u| u.to_string()),
        created_at: ts(n.created_at),
    }
}

pub fn change(c: &StatusChangeRow) -> pb::StatusChange {
    pb::StatusChange {
        from: c.from_status.clone(),
        to: c.to_status.clone(),
        at: ts(c.at),
        actor_user_id: c.actor_user_id.map(|u| u.to_string()),
        actor_kind: c.actor_kind.clone(),
        version: c.version as u32,
    }
}

pub fn refund(r: &RefundRow, currency: &str) -> pb::Refund {
    pb::Refund {
        id: r.id.to_string(),
        amount: amount(r.amount, currency),
        reason: r.reason.clone(),
        items: r
            .items
            .0
            .iter()
            .map(|i| pb::ReturnedItem { line: i.line as u32, quantity: i.quantity as u32, physical: i.physical })
            .collect(),
        physical_returned: r.physical_returned,
        created_at: ts(r.created_at),
        actor_user_id: r.actor_user_id.map(|u| u.to_string()),
    }
}

/// The whole order page: lines, history, notes and refunds.
pub struct OrderParts<'a> {
    pub order: &'a OrderRow,
    pub items: &'a [ItemRow],
    pub history: &'a [StatusChangeRow],
    pub notes: &'a [NoteRow],
    pub refunds: &'a [RefundRow],
}

pub fn order(p: OrderParts<'_>) -> pb::Order {
    let o = p.order;
    let c = o.currency.as_str();
    let next = OrderStatus::parse("status", &o.status)
        .map(|s| s.next().iter().map(|n| n.as_str().to_string()).collect())
        .unwrap_or_default();
    pb::Order {
        id: o.id.to_string(),
        number: o.number.clone(),
        customer_id: o.customer_id.map(|c| c.to_string()),
        customer_name: o.customer_name.clone(),
        customer_email: o.customer_email.clone(),
        items: p.items.iter().map(|i| item(i, c)).collect(),
        subtotal: amount(o.subtotal, c),
        discount: amount(o.discount, c),
        shipping: amount(o.shipping, c),
        tax: amount(o.tax, c),
        total: amount(o.total, c),
        currency: o.currency.clone(),
        payment_method: o.payment_method.clone(),
        channel: o.channel.clone(),
        promotion_type: o.promotion_type.clone(),
        status: o.status.clone(),
        kind: o.kind.clone(),
        placed_by_partner_id: o.placed_by_partner_id.map(|u| u.to_string()),
        coupon_code: o.coupon_code.clone(),
        coupon_partner_id: o.coupon_partner_id.map(|u| u.to_string()),
        coupon_commission_rate: o.coupon_commission_rate.map(rate),
        partner_id: o.partner_id.map(|u| u.to_string()),
        amount_paid: amount(o.amount_paid, c),
        amount_refunded: amount(o.amount_refunded, c),
        history: p.history.iter().map(change).collect(),
        notes: p.notes.iter().map(note).collect(),
        refunds: p.refunds.iter().map(|r| refund(r, c)).collect(),
        external_id: o.external_id.clone(),
        version: o.version as u32,
        placed_at: ts(o.placed_at),
        updated_at: ts(o.updated_at),
        next_statuses: next,
        tax_rate: rate(o.tax_rate),
        attribution_reason: o.attribution_reason.clone(),
        reporting_currency: o.reporting_currency.clone(),
        exchange_rate: o.exchange_rate.map(|r| r.normalize().to_string()),
    }
}

pub fn summary(o: &OrderRow) -> pb::OrderSummary {
    pb::OrderSummary {
        id: o.id.to_string(),
        number: o.number.clone(),
        customer_id: o.customer_id.map(|c| c.to_string()),
        customer_name: o.customer_name.clone(),
        status: o.status.clone(),
        total: amount(o.total, &o.currency),
        currency: o.currency.clone(),
        channel: o.channel.clone(),
        kind: o.kind.clone(),
        partner_id: o.partner_id.map(|u| u.to_string()),
        placed_at: ts(o.placed_at),
    }
}

pub fn coupon(c: &CouponRow) -> pb::Coupon {
    pb::Coupon {
        id: c.id.to_string(),
        code: c.code.clone(),
        partner_id: c.partner_id.to_string(),
        discount_percent: rate(c.discount_percent),
        commission_rate: c.commission_rate.map(rate),
        product_ids: c.product_ids.iter().map(|p| p.to_string()).collect(),
        expires_at: ts(c.expires_at),
        max_uses: c.max_uses.max(0) as u32,
        uses: c.uses.max(0) as u32,
        active: c.active,
        created_at: ts(c.created_at),
        notices: Vec::new(),
    }
}
