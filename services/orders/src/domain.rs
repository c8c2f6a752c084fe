//! The rules of orders, free of I/O: the status workflow (O4), pricing and totals (O2, O9, X2),
//! refunds (O6), coupons (L9) and the values orders are made of.

use platform::{AppError, Currency, string_enum};
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

string_enum!(
    /// O4
    OrderStatus {
        PendingPayment = "pending_payment",
        Paid = "paid",
        Confirmed = "confirmed",
        InProduction = "in_production",
        Shipped = "shipped",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);
string_enum!(
    /// O2
    PaymentMethod {
        Card = "card",
        BankTransfer = "bank_transfer",
        Paypal = "paypal",
        CashOnDelivery = "cash_on_delivery",
        PayLaterLink = "pay_later_link",
    }
);
string_enum!(
    /// O2
    Channel { Storefront = "storefront", QuickOrder = "quick_order", PartnerAssisted = "partner_assisted", Api = "api" }
);
string_enum!(
    /// O9: wholesale orders are bought by a partner for resale and earn nothing.
    OrderKind { Standard = "standard", Wholesale = "wholesale" }
);
string_enum!(
    /// O1
    ProductKind { Physical = "physical", Digital = "digital" }
);
string_enum!(
    /// O5
    NoteVisibility { Internal = "internal", Customer = "customer" }
);

impl OrderStatus {
    /// O4: where an order may go from here.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            PendingPayment => &[Paid, Cancelled],
            Paid => &[Confirmed, Cancelled],
            Confirmed => &[InProduction, Cancelled],
            InProduction => &[Shipped, Cancelled],
            Shipped => &[Completed],
            Completed | Cancelled => &[],
        }
    }

    /// O4: refuses any move the workflow does not allow, naming the allowed ones.
    pub fn check_move(self, to: OrderStatus) -> Result<(), AppError> {
        if self.next().contains(&to) {
            return Ok(());
        }
        let allowed = self.next().iter().map(|s| s.as_str()).collect::<Vec<_>>();
        let message = if allowed.is_empty() {
            format!("an order {} cannot move any more", self.as_str())
        } else {
            format!("an order {} can move only to {}", self.as_str(), allowed.join(" or "))
        };
        Err(AppError::conflict("illegal_transition", message).with_field("status"))
    }

    /// The statuses an order passes through to get from here to `to` along the workflow (O4, O8:
    /// an imported status change walks it); `None` when the workflow does not lead there.
    pub fn path_to(self, to: OrderStatus) -> Option<Vec<OrderStatus>> {
        let mut steps = Vec::new();
        let mut at = self;
        while at != to {
            // Cancelling is always one direct step; otherwise the main line forward.
            let next = if to == OrderStatus::Cancelled && at.next().contains(&OrderStatus::Cancelled) {
                OrderStatus::Cancelled
            } else {
                *at.next().iter().find(|s| **s != OrderStatus::Cancelled)?
            };
            steps.push(next);
            at = next;
        }
        Some(steps)
    }

    /// Whether money has been taken for an order in this status.
    pub fn is_paid(self) -> bool {
        !matches!(self, OrderStatus::PendingPayment | OrderStatus::Cancelled)
    }
}

/// A decimal written as a string, never a float.
fn decimal(field: &str, raw: &str) -> Result<Decimal, AppError> {
    Decimal::from_str_exact(raw.trim())
        .map_err(|_| AppError::invalid(field, "must be a decimal number written as a string, e.g. \"12.50\""))
}

/// An amount of `currency`: not negative, no finer than its minor unit.
pub fn parse_amount(field: &str, raw: &str, currency: Currency) -> Result<Decimal, AppError> {
    let mut d = decimal(field, raw)?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(AppError::invalid(field, "must not be negative"));
    }
    if d.normalize().scale() > currency.minor_units() {
        return Err(AppError::invalid(field, format!("{} has {} decimals at most", currency, currency.minor_units())));
    }
    d.rescale(currency.minor_units());
    Ok(d)
}

/// A percent between 0 and `max`, two decimals at most.
pub fn parse_percent(field: &str, raw: &str, max: Decimal) -> Result<Decimal, AppError> {
    let mut d = decimal(field, raw)?;
    if d < Decimal::ZERO || d > max {
        return Err(AppError::invalid(field, format!("must be between 0 and {max}")));
    }
    if d.normalize().scale() > 2 {
        return Err(AppError::invalid(field, "may have at most two decimals"));
    }
    d.rescale(2);
    Ok(d)
}

/// The most any commission rate may be (C1).
pub const MAX_RATE: Decimal = Decimal::from_parts(50, 0, 0, false, 0);

/// C1: a commission rate; above 50 % it is stored as 50 % and the caller is told so.
pub fn parse_rate(field: &str, raw: &str) -> Result<(Decimal, Option<String>), AppError> {
    let d = parse_percent(field, raw, Decimal::ONE_HUNDRED)?;
    if d > MAX_RATE {
        let mut capped = MAX_RATE;
        capped.rescale(2);
        return Ok((capped, Some(format!("{field}: {d}% is above the 50% maximum and was stored as 50%"))));
    }
    Ok((d, None))
}

/// Rounds half-even to the currency's minor unit.
pub fn round(amount: Decimal, currency: Currency) -> Decimal {
    let mut r = amount.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointNearestEven);
    r.rescale(currency.minor_units());
    r
}

/// A line of a cart before pricing.
#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub kind: ProductKind,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub commission_rate: Option<Decimal>,
    pub coupon_applies: bool,
}

/// What pricing a cart depends on besides its lines.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub currency: Currency,
    /// The customer's discount percent (CU1), on every line.
    pub customer_discount: Decimal,
    /// The coupon's discount percent, on the lines it applies to (X2), after the customer's.
    pub coupon_discount: Option<Decimal>,
    /// Charged when any line is physical.
    pub shipping: Decimal,
    /// Percent of (net of discounts + shipping).
    pub tax_rate: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PricedLine {
    pub line: CartLine,
    pub line_total: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
}

/// O2: an order's amounts; every one rounded to the minor unit, so they add up exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    pub lines: Vec<PricedLine>,
    pub subtotal: Decimal,
    pub discount: Decimal,
    pub shipping: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

/// Prices a cart: each line rounded on its own, then summed; the total is the sum of its parts.
pub fn price(lines: Vec<CartLine>, p: &Pricing) -> Totals {
    let c = p.currency;
    let hundred = Decimal::ONE_HUNDRED;
    let mut priced = Vec::with_capacity(lines.len());
    let (mut subtotal, mut discount) = (Decimal::ZERO, Decimal::ZERO);
    for line in lines {
        let line_total = round(line.unit_price * Decimal::from(line.quantity), c);
        let by_customer = round(line_total * p.customer_discount / hundred, c);
        let by_coupon = match p.coupon_discount {
            Some(pct) if line.coupon_applies => round((line_total - by_customer) * pct / hundred, c),
            _ => Decimal::ZERO,
        };
        let line_discount = by_customer + by_coupon;
        subtotal += line_total;
        discount += line_discount;
        priced.push(PricedLine { line, line_total, discount: line_discount, net: line_total - line_discount });
    }
    let physical = priced.iter().any(|l| l.line.kind == ProductKind::Physical);
    let shipping = if physical { round(p.shipping, c) } else { round(Decimal::ZERO, c) };
    let tax = round((subtotal - discount + shipping) * p.tax_rate / hundred, c);
    let total = subtotal - discount + shipping + tax;
    Totals {
        lines: priced,
        subtotal: round(subtotal, c),
        discount: round(discount, c),
        shipping,
        tax,
        total: round(total, c),
    }
}

/// O6: a refund never takes back more than was paid, minus what was refunded already.
pub fn check_refund(amount: Decimal, paid: Decimal, refunded: Decimal) -> Result<(), AppError> {
    if amount <= Decimal::ZERO {
        return Err(AppError::invalid("amount", "must be more than zero"));
    }
    let left = paid - refunded;
    if amount > left {
        return Err(AppError::invalid("amount", format!("at most {left} is left to refund on this order"))
            .with_code("refund_exceeds_paid"));
    }
    Ok(())
}

/// A coupon as checkout sees it.
#[derive(Debug, Clone)]
pub struct CouponTerms {
    pub active: bool,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub max_uses: u32,
    pub uses: u32,
}

/// L9: why a coupon cannot be used now, if it cannot.
pub fn check_coupon(c: &CouponTerms, now: chrono::DateTime<chrono::Utc>) -> Result<(), AppError> {
    let refuse = |code: &'static str, msg: &str| Err(AppError::invalid("coupon_code", msg).with_code(code));
    if !c.active {
        return refuse("coupon_disabled", "this coupon has been disabled");
    }
    if now >= c.expires_at {
        return refuse("coupon_expired", "this coupon has expired");
    }
    if c.max_uses > 0 && c.uses >= c.max_uses {
        return refuse("coupon_exhausted", "this coupon has been used as many times as it may be");
    }
    Ok(())
}

/// L9: a coupon code: 3 to 32 letters, digits, `-` or `_`, kept upper-case.
pub fn parse_coupon_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_uppercase();
    if !(3..=32).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AppError::invalid("code", "must be 3 to 32 letters, digits, - or _"));
    }
    Ok(code)
}

/// The human-readable order number.
pub fn order_number(n: i64) -> String {
    format!("PL-{n:06}")
}

#[cfg(test)]
mod tests;
