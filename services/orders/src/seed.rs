//! Demo orders for `partnerline seed --demo`: a catalog of 12 products, checkout settings, a coupon
//! for Ana, and orders in every status — a partner-assisted pay-later order, a quick order, a
//! coupon order, a wholesale order, a partial refund and a returned physical item — plus orders
//! completed weeks ago (Ana's, Bo's and Cy's, whose commissions have matured by now) and a late
//! refund of one of Ana's, so the commissions ledger has every state. Safe to run twice: a
//! program with a catalog is left alone.

use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::OrdersService;
use crate::domain::{Channel, NoteVisibility, OrderKind, OrderStatus, PaymentMethod};
use crate::grpc::place::{Buyer, Cart};
use crate::store::{self, CheckoutRow, CouponRow, ProductRow, RefundRow, ReturnedLine};

/// A customer of the demo CRM, as the customers service seeded it.
pub type DemoCustomer = Buyer;

/// A demo partner with its customers.
pub struct DemoPartner {
    pub partner: Uuid,
    pub user: Uuid,
    pub customers: Vec<DemoCustomer>,
}

/// sku, name, category, kind, price, commission rate, wholesale price
type DemoProduct =
    (&'static str, &'static str, &'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>);

const PRODUCTS: &[DemoProduct] = &[
    ("POS-T1", "POS Terminal T1", "hardware", "physical", "349.00", None, Some("249.00")),
    ("POS-T2", "POS Terminal T2 Pro", "hardware", "physical", "549.00", Some("8"), Some("399.00")),
    ("PRN-80", "Receipt Printer 80mm", "hardware", "physical", "129.00", None, Some("89.00")),
    ("DRW-01", "Cash Drawer", "hardware", "physical", "89.00", None, Some("59.00")),
    ("SCN-2D", "2D Barcode Scanner", "hardware", "physical", "119.00", None, Some("79.00")),
    ("PAP-50", "Thermal Paper, 50 rolls", "supplies", "physical", "39.90", Some("5"), Some("24.00")),
    ("SW-BASIC", "POS Software Basic, 1 year", "software", "digital", "240.00", Some("15"), None),
    ("SW-PLUS", "POS Software Plus, 1 year", "software", "digital", "480.00", Some("15"), None),
    ("SW-INV", "Inventory Module, 1 year", "software", "digital", "180.00", None, None),
    ("SUP-PRIO", "Priority Support, 1 year", "services", "digital", "150.00", None, None),
    ("TRN-ONS", "On-site Training", "services", "digital", "300.00", Some("10"), None),
    ("KIT-CAFE", "Café Starter Kit", "bundles", "physical", "899.00", None, Some("699.00")),
];

fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap_or_default()
}

/// Seeds the demo program's orders unless it has a catalog; returns what it created.
pub async fn demo(
    svc: &OrdersService,
    tenant: Uuid,
    admin: Uuid,
    ana: DemoPartner,
    bo: DemoPartner,
    cy: Option<DemoPartner>,
) -> anyhow::Result<Vec<String>> {
    let mut tx = TenantTx::begin(&svc.pool, tenant).await?;
    if !store::products(&mut tx, &store::ProductFilter { limit: 1, include_inactive: true, ..Default::default() })
        .await?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    let now = svc.clock.now();
    let mut ids = Vec::new();
    for (sku, name, category, kind, price, rate, wholesale) in PRODUCTS {
        let p = ProductRow {
            id: Uuid::now_v7(),
            sku: (*sku).into(),
            name: (*name).into(),
            description: format!("{name}, ready to sell."),
            base_price: d(price),
            currency: "EUR".into(),
            kind: (*kind).into(),
            commission_rate: rate.map(d),
            wholesale_price: wholesale.map(d),
            category: (*category).into(),
            active: true,
            created_at: now,
            updated_at: now,
        };
        store::insert_product(&mut tx, &p).await?;
        ids.push(p.id.to_string());
    }
    store::put_checkout(
        &mut tx,
        &CheckoutRow { shipping_flat: d("4.90"), tax_rate: d("22"), payment_link_days: 14 },
        now,
    )
    .await?;
    let coupon = CouponRow {
        id: Uuid::now_v7(),
        partner_id: ana.partner,
        code: "ANA10".into(),
        discount_percent: d("10"),
        commission_rate: Some(d("12")),
        product_ids: Vec::new(),
        expires_at: now + chrono::Duration::days(90),
        max_uses: 100,
        uses: 0,
        active: true,
        created_at: now,
    };
    store::insert_coupon(&mut tx, &coupon).await?;

    let cart = |buyer: &Buyer, items: Vec<(usize, u32)>, placed_by: Option<Uuid>, actor: Uuid| Cart {
        buyer: buyer.clone(),
        items: items.into_iter().map(|(i, q)| (ids[i].clone(), q)).collect(),
        kind: OrderKind::Standard,
        payment_method: PaymentMethod::Card,
        channel: if placed_by.is_some() { Channel::PartnerAssisted } else { Channel::Storefront },
        promotion_type: None,
        coupon_code: None,
        shipping: None,
        tax_rate: None,
        paid: false,
        placed_by,
        external_id: None,
        notes: Vec::new(),
        actor: Some(actor),
        actor_kind: "user",
    };
    use OrderStatus::*;
    let walk = [Paid, Confirmed, InProduction, Shipped, Completed];
    // (customer, lines, how far along the workflow, cancelled?)
    type Step = (usize, Vec<(usize, u32)>, usize, bool);
    let plan: [Step; 7] = [
        (1, vec![(0, 1), (6, 1)], 1, false),
        (2, vec![(7, 1)], 2, false),
        (3, vec![(1, 1), (5, 2)], 3, false),
        (4, vec![(2, 1), (3, 1)], 4, false),
        (5, vec![(11, 1), (9, 1)], 5, false),
        (6, vec![(4, 2)], 1, true),
        (7, vec![(8, 1), (10, 1)], 5, false),
    ];
    let mut count = 0;
    let mut completed = Vec::new();
    for (who, lines, steps, cancel) in plan {
        let Some(buyer) = ana.customers.get(who % ana.customers.len().max(1)) else { break };
        let c = cart(buyer, lines, Some(ana.partner), ana.user);
        let built = svc.build(&mut tx, &c, false).await?;
        let mut placed = svc.store_order(&mut tx, &c, built).await?;
        for to in walk.iter().take(steps) {
            svc.move_order(&mut tx, &mut placed.order, *to, Some(admin), "user").await?;
        }
        if cancel {
            svc.move_order(&mut tx, &mut placed.order, Cancelled, Some(admin), "user").await?;
        }
        if placed.order.status == Completed.as_str() {
            completed.push(placed.order);
        }
        count += 1;
    }
    // O3: a pay-later order waiting for the customer, with a note the payment page shows.
    if let Some(buyer) = ana.customers.first() {
        let mut c = cart(buyer, vec![(1, 2), (7, 1)], Some(ana.partner), ana.user);
        c.payment_method = PaymentMethod::PayLaterLink;
        c.notes = vec![(NoteVisibility::Customer, "Delivery on Tuesday morning, as agreed.".into())];
        let built = svc.build(&mut tx, &c, false).await?;
        svc.store_order(&mut tx, &c, built).await?;
        count += 1;
    }
    // L9: a storefront order with Ana's coupon, for one of Bo's customers.
    if let Some(buyer) = bo.customers.first() {
        let mut c = cart(buyer, vec![(6, 1)], None, admin);
        c.coupon_code = Some("ANA10".into());
        c.paid = true;
        let built = svc.build(&mut tx, &c, true).await?;
        svc.store_order(&mut tx, &c, built).await?;
        count += 1;
    }
    // O9: Bo buys two terminals for resale.
    {
        let me = Buyer {
            customer_id: None,
            name: "Bo (wholesale)".into(),
            email: "bo@demo.test".into(),
            language: "en".into(),
            owner: Some(bo.partner),
            discount: Decimal::ZERO,
        };
        let mut c = cart(&me, vec![(0, 2)], Some(bo.partner), bo.user);
        c.kind = OrderKind::Wholesale;
        c.payment_method = PaymentMethod::BankTransfer;
        c.paid = true;
        let built = svc.build(&mut tx, &c, false).await?;
        svc.store_order(&mut tx, &c, built).await?;
        count += 1;
    }
    // Orders completed weeks ago, placed by Ana, Bo and Cy: their holds (4, 6 and 8 weeks by
    // trust level) are over, and Cy's pays Ana, its parent, an override.
    let mut history = Vec::new();
    let walk_back = [(&ana, 45, vec![(0, 1), (7, 1)]), (&bo, 50, vec![(1, 1), (6, 1)])];
    for (who, days, lines) in walk_back {
        let Some(buyer) = who.customers.get(8 % who.customers.len().max(1)) else { continue };
        let past = OrdersService { clock: platform::Clock::manual(now - chrono::Duration::days(days)), ..svc.clone() };
        let mut c = cart(buyer, lines, Some(who.partner), who.user);
        c.paid = true;
        let built = past.build(&mut tx, &c, false).await?;
        let mut placed = past.store_order(&mut tx, &c, built).await?;
        for to in walk.iter().skip(1) {
            past.move_order(&mut tx, &mut placed.order, *to, Some(admin), "user").await?;
        }
        history.push(placed.order);
        count += 1;
    }
    // D1, D2: half a year of completed orders by Ana and Bo, one to three a week, so every chart
    // and report of the demo has a shape.
    for week in 1..=26i64 {
        for (k, who) in [&ana, &bo].into_iter().enumerate() {
            if who.customers.is_empty() {
                continue;
            }
            for n in 0..1 + (week + k as i64) % 3 {
                let at = now - chrono::Duration::days(week * 7 + n * 2 + k as i64) - chrono::Duration::hours(n * 3);
                let buyer = &who.customers[(week as usize * 3 + n as usize + k) % who.customers.len()];
                let past = OrdersService { clock: platform::Clock::manual(at), ..svc.clone() };
                let lines = vec![((week as usize + n as usize + k) % 8, 1 + (n as u32 % 2))];
                let mut c = cart(buyer, lines, Some(who.partner), who.user);
                c.paid = true;
                let built = past.build(&mut tx, &c, false).await?;
                let mut placed = past.store_order(&mut tx, &c, built).await?;
                for to in walk.iter().skip(1) {
                    past.move_order(&mut tx, &mut placed.order, *to, Some(admin), "user").await?;
                }
                count += 1;
            }
        }
    }
    if let Some(cy) = &cy {
        let walk_in = Buyer {
            customer_id: None,
            name: "Trattoria Sole".into(),
            email: "orders@trattoria-sole.test".into(),
            language: "it".into(),
            owner: Some(cy.partner),
            discount: Decimal::ZERO,
        };
        for (days, lines, steps) in [(60, vec![(11, 1)], 5), (3, vec![(6, 1), (9, 1)], 2)] {
            let past =
                OrdersService { clock: platform::Clock::manual(now - chrono::Duration::days(days)), ..svc.clone() };
            let mut c = cart(&walk_in, lines, Some(cy.partner), cy.user);
            c.paid = true;
            let built = past.build(&mut tx, &c, false).await?;
            let mut placed = past.store_order(&mut tx, &c, built).await?;
            for to in walk.iter().skip(1).take(steps - 1) {
                past.move_order(&mut tx, &mut placed.order, *to, Some(admin), "user").await?;
            }
            count += 1;
        }
    }
    // O6: a partial refund of a digital line, and a returned physical item; and, today, a refund
    // on Ana's old order whose commission has been paid out (a clawback, C5).
    for (i, o) in completed.iter_mut().take(2).chain(history.iter_mut().take(1)).enumerate() {
        let items = store::items(&mut tx, o.id).await?;
        let line = if i == 1 {
            items.iter().find(|l| l.kind == "physical")
        } else {
            items.iter().find(|l| l.kind == "digital")
        };
        let Some(line) = line else { continue };
        store::return_items(&mut tx, o.id, line.line, 1).await?;
        let amount = line.net.min(o.amount_paid);
        let refund = RefundRow {
            id: Uuid::now_v7(),
            amount,
            reason: ["Module not needed", "Arrived damaged", "Licence cancelled"][i].into(),
            items: sqlx::types::Json(vec![ReturnedLine {
                line: line.line,
                quantity: 1,
                physical: line.kind == "physical",
            }]),
            physical_returned: line.kind == "physical",
            actor_user_id: Some(admin),
            created_at: now,
        };
        store::insert_refund(&mut tx, o.id, &refund).await?;
        o.amount_refunded += amount;
        o.version += 1;
        store::update_order(&mut tx, o).await?;
        crate::events::refunded(&svc.outbox, tx.conn(), o, refund.id, amount, refund.physical_returned).await?;
    }
    tx.commit().await?;
    Ok(vec![format!("a catalog of {} products, coupon ANA10 and {count} orders in every status", PRODUCTS.len())])
}
