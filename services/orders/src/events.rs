//! What orders publishes (subjects `orders.<tenant>.<aggregate>.<event>`, payloads from
//! `proto/partnerline/events/v1/orders.proto`). Every order event carries the order's version.

use partnerline_proto::events::v1 as ev;
use platform::outbox::Outbox;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::grpc::convert::{amount, rate, ts};
use crate::store::{ItemRow, OrderRow};

pub const CONTEXT: &str = "orders";

fn id(u: Option<Uuid>) -> Option<String> {
    u.map(|u| u.to_string())
}

/// `order.placed`: everything attribution and commissions need to know about the order.
pub async fn placed(outbox: &Outbox, conn: &mut PgConnection, o: &OrderRow, items: &[ItemRow]) -> sqlx::Result<()> {
    let msg = placed_message(o, items);
    outbox.emit(conn, o.tenant_id, "order", o.id, "placed", &msg).await.map(drop)
}

pub fn placed_message(o: &OrderRow, items: &[ItemRow]) -> ev::OrderPlaced {
    let c = o.currency.as_str();
    ev::OrderPlaced {
        tenant_id: o.tenant_id.to_string(),
        order_id: o.id.to_string(),
        number: o.number.clone(),
        customer_id: id(o.customer_id),
        customer_email: o.customer_email.clone(),
        items: items
            .iter()
            .map(|i| ev::OrderLine {
                line: i.line as u32,
                product_id: i.product_id.to_string(),
                sku: i.sku.clone(),
                category: i.category.clone(),
                kind: i.kind.clone(),
                quantity: i.quantity as u32,
                unit_price: amount(i.unit_price, c),
                line_total: amount(i.line_total, c),
                discount: amount(i.discount, c),
                net: amount(i.net, c),
                commission_rate: i.commission_rate.map(rate),
                coupon_applies: i.coupon_applies,
            })
            .collect(),
        subtotal: amount(o.subtotal, c),
        discount: amount(o.discount, c),
        shipping: amount(o.shipping, c),
        tax: amount(o.tax, c),
        total: amount(o.total, c),
        currency: o.currency.clone(),
        payment_method: o.payment_method.clone(),
        channel: o.channel.clone(),
        promotion_type: o.promotion_type.clone(),
        coupon_code: o.coupon_code.clone(),
        coupon_partner_id: id(o.coupon_partner_id),
        coupon_commission_rate: o.coupon_commission_rate.map(rate),
        placed_by_partner_id: id(o.placed_by_partner_id),
        kind: o.kind.clone(),
        status: o.status.clone(),
        customer_owner_partner_id: id(o.customer_owner_id),
        external_id: o.external_id.clone(),
        version: o.version as u32,
        placed_at: ts(o.placed_at),
        reporting_currency: o.reporting_currency.clone().unwrap_or_default(),
        exchange_rate: o.exchange_rate.map(|r| r.normalize().to_string()),
    }
}

/// `order.<status>` (O4).
pub async fn status_changed(
    outbox: &Outbox,
    conn: &mut PgConnection,
    o: &OrderRow,
    from: Option<&str>,
    actor: Option<Uuid>,
) -> sqlx::Result<()> {
    let msg = status_message(o, from, actor);
    outbox.emit(conn, o.tenant_id, "order", o.id, &o.status, &msg).await.map(drop)
}

/// The `order.<status>` message of the order as it now stands.
pub fn status_message(o: &OrderRow, from: Option<&str>, actor: Option<Uuid>) -> ev::OrderStatusChanged {
    let c = o.currency.as_str();
    ev::OrderStatusChanged {
        tenant_id: o.tenant_id.to_string(),
        order_id: o.id.to_string(),
        number: o.number.clone(),
        from: from.map(Into::into),
        to: o.status.clone(),
        amount_paid: amount(o.amount_paid, c),
        total: amount(o.total, c),
        currency: o.currency.clone(),
        actor_user_id: id(actor),
        version: o.version as u32,
        at: ts(o.updated_at),
    }
}

/// `order.refunded` (O6), with the cumulative refunded amount.
pub async fn refunded(
    outbox: &Outbox,
    conn: &mut PgConnection,
    o: &OrderRow,
    refund_id: Uuid,
    refund: rust_decimal::Decimal,
    physical_returned: bool,
) -> sqlx::Result<()> {
    let msg = refunded_message(o, refund_id, refund, physical_returned);
    outbox.emit(conn, o.tenant_id, "order", o.id, "refunded", &msg).await.map(drop)
}

/// The `order.refunded` message of a refund just recorded on the order as it now stands.
pub fn refunded_message(
    o: &OrderRow,
    refund_id: Uuid,
    refund: rust_decimal::Decimal,
    physical_returned: bool,
) -> ev::OrderRefunded {
    let c = o.currency.as_str();
    ev::OrderRefunded {
        tenant_id: o.tenant_id.to_string(),
        order_id: o.id.to_string(),
        number: o.number.clone(),
        refund_id: refund_id.to_string(),
        amount: amount(refund, c),
        refunded_total: amount(o.amount_refunded, c),
        amount_paid: amount(o.amount_paid, c),
        currency: o.currency.clone(),
        physical_returned,
        status: o.status.clone(),
        version: o.version as u32,
    }
}

/// `order.payment_link_created` (O3): what the payment-link email needs.
pub async fn payment_link_created(
    outbox: &Outbox,
    conn: &mut PgConnection,
    o: &OrderRow,
    token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<()> {
    let msg = ev::OrderPaymentLinkCreated {
        tenant_id: o.tenant_id.to_string(),
        order_id: o.id.to_string(),
        number: o.number.clone(),
        customer_name: o.customer_name.clone(),
        customer_email: o.customer_email.clone(),
        language: o.customer_language.clone(),
        total: amount(o.total, &o.currency),
        currency: o.currency.clone(),
        pay_path: format!("/pay/{token}"),
        expires_at: ts(expires_at),
        placed_by_partner_id: id(o.placed_by_partner_id),
        version: o.version as u32,
        customer_id: id(o.customer_id),
    };
    outbox.emit(conn, o.tenant_id, "order", o.id, "payment_link_created", &msg).await.map(drop)
}
