//! What customers reach without signing in: the payment page of a pay-later order (O3) and the
//! quick-order catalog of their link (CU8). A bad token is a plain NotFound.

use partnerline_proto::customers::v1 as cpb;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::place::{Buyer, Cart, note_body};
use super::{OrdersService, convert};
use crate::domain::{self, Channel, NoteVisibility, OrderKind, OrderStatus, PaymentMethod};
use crate::payments::{Charge, Outcome};
use crate::store::{self, OrderRow, ProductFilter};

fn gone() -> AppError {
    // Still a 404 (the token reveals nothing more), with a code and words a customer can act on.
    AppError::new(
        platform::error::ErrorKind::NotFound,
        "payment_link_expired",
        "this payment link has expired; ask for a new one",
    )
}

impl OrdersService {
    /// The order a payment token opens, locked when it is about to change.
    async fn by_payment_token(
        &self,
        token: &str,
        lock: bool,
    ) -> Result<(TenantTx<'static>, OrderRow, chrono::DateTime<chrono::Utc>), AppError> {
        let mut conn = self.pool.acquire().await?;
        let found = store::order_by_payment_token(&mut conn, &platform::auth::token_hash(token.trim())).await?;
        drop(conn);
        let (tenant, order, expires) = found.ok_or_else(|| AppError::not_found("payment link"))?;
        if self.clock.now() >= expires {
            return Err(gone());
        }
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let o = store::order(&mut tx, order, None, lock).await?.ok_or_else(|| AppError::not_found("payment link"))?;
        Ok((tx, o, expires))
    }

    /// The merchant's program name and branding, for the customer pages (blank if identity cannot
    /// say): (name, logo address, accent colour).
    async fn brand(&self, tenant: Uuid) -> (String, String, String) {
        let req = partnerline_proto::identity::v1::GetJoinPageRequest {
            program: String::new(),
            invite: None,
            tenant_id: Some(tenant.to_string()),
        };
        match self.identity.clone().get_join_page(platform::grpc::request(req, None)).await {
            Ok(p) => {
                let p = p.into_inner();
                (p.program_name, p.logo_url, p.accent)
            }
            Err(e) => {
                tracing::warn!(error = %e, "program name unavailable");
                Default::default()
            }
        }
    }

    async fn page(
        &self,
        tx: &mut TenantTx<'_>,
        o: &OrderRow,
        expires: chrono::DateTime<chrono::Utc>,
    ) -> Result<pb::PaymentPage, AppError> {
        let items = store::items(tx, o.id).await?;
        let notes = store::notes(tx, o.id, true).await?;
        let c = o.currency.as_str();
        let (program_name, logo_url, accent) = self.brand(o.tenant_id).await;
        Ok(pb::PaymentPage {
            program_name,
            logo_url,
            accent,
            number: o.number.clone(),
            customer_name: o.customer_name.clone(),
            items: items.iter().map(|i| convert::item(i, c)).collect(),
            subtotal: convert::amount(o.subtotal, c),
            discount: convert::amount(o.discount, c),
            shipping: convert::amount(o.shipping, c),
            tax: convert::amount(o.tax, c),
            total: convert::amount(o.total, c),
            currency: o.currency.clone(),
            status: o.status.clone(),
            notes: notes.iter().map(convert::note).collect(),
            payable: o.status == OrderStatus::PendingPayment.as_str(),
            expires_at: convert::ts(expires),
            language: o.customer_language.clone(),
        })
    }

    pub(super) async fn payment_page_impl(&self, req: pb::PaymentTokenRequest) -> Result<pb::PaymentPage, AppError> {
        let (mut tx, o, expires) = self.by_payment_token(&req.token, false).await?;
        let page = self.page(&mut tx, &o, expires).await?;
        tx.commit().await?;
        Ok(page)
    }

    /// O3: the customer pays; the provider decides, the order moves to `paid` once.
    pub(super) async fn pay_impl(&self, req: pb::PaymentTokenRequest) -> Result<pb::PaymentPage, AppError> {
        let (mut tx, mut o, expires) = self.by_payment_token(&req.token, true).await?;
        if o.status != OrderStatus::PendingPayment.as_str() {
            return Err(AppError::conflict("not_payable", format!("this order is {} and cannot be paid", o.status)));
        }
        let charge = Charge { order_id: o.id, number: o.number.clone(), amount: o.total, currency: o.currency.clone() };
        match self.provider.charge(&charge).await.map_err(AppError::internal)? {
            Outcome::Paid { reference } => {
                store::insert_payment(&mut tx, o.id, self.provider.name(), &reference, o.total, self.clock.now())
                    .await?;
                self.move_order(&mut tx, &mut o, OrderStatus::Paid, None, "customer").await?;
            }
            Outcome::Redirect { url } => {
                return Err(AppError::conflict("payment_redirect", format!("finish the payment at {url}")));
            }
            Outcome::Declined { reason } => {
                return Err(AppError::conflict("payment_declined", format!("the payment was declined: {reason}")));
            }
        }
        let page = self.page(&mut tx, &o, expires).await?;
        tx.commit().await?;
        Ok(page)
    }

    /// CU8: the customer behind a quick-order token (rate-limited by customers).
    async fn quick_customer(&self, token: &str, client: &str) -> Result<cpb::QuickOrderCustomer, AppError> {
        let req = cpb::ResolveQuickOrderTokenRequest { token: token.to_string(), client: client.to_string() };
        match self.customers.clone().resolve_quick_order_token(platform::grpc::request(req, None)).await {
            Ok(c) => Ok(c.into_inner()),
            Err(s) => Err(AppError::from_status(&s)),
        }
    }

    /// CU8: the catalog with the customer's prices (base minus its discount), in its currency.
    pub(super) async fn quick_catalog_impl(
        &self,
        req: pb::QuickOrderRequest,
        client: String,
    ) -> Result<pb::QuickOrderCatalog, AppError> {
        let c = self.quick_customer(&req.token, &client).await?;
        let tenant = Uuid::parse_str(&c.tenant_id).map_err(|_| AppError::not_found("quick-order link"))?;
        let discount = Decimal::from_str_exact(&c.discount_percent).unwrap_or_default();
        let currency = platform::Currency::parse(&c.currency).unwrap_or(platform::Currency::EUR);
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let products = store::products(&mut tx, &ProductFilter { limit: 500, ..Default::default() }).await?;
        tx.commit().await?;
        let products = products
            .iter()
            .filter(|p| p.currency == currency.code())
            .map(|p| pb::QuickOrderProduct {
                product_id: p.id.to_string(),
                sku: p.sku.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                kind: p.kind.clone(),
                base_price: convert::amount(p.base_price, &p.currency),
                your_price: domain::round(p.base_price - p.base_price * discount / Decimal::ONE_HUNDRED, currency)
                    .to_string(),
                category: p.category.clone(),
            })
            .collect();
        let (program_name, logo_url, accent) = self.brand(tenant).await;
        Ok(pb::QuickOrderCatalog {
            customer_name: c.customer_name,
            discount_percent: c.discount_percent,
            currency: c.currency,
            language: c.language,
            products,
            program_name,
            logo_url,
            accent,
        })
    }

    /// CU8: the customer orders through its link, without signing in; the order is its owner's.
    pub(super) async fn place_quick_order_impl(
        &self,
        req: pb::PlaceQuickOrderRequest,
        client: String,
    ) -> Result<pb::PlacedOrder, AppError> {
        let c = self.quick_customer(&req.token, &client).await?;
        let tenant = Uuid::parse_str(&c.tenant_id).map_err(|_| AppError::not_found("quick-order link"))?;
        let payment_method = PaymentMethod::parse(
            "payment_method",
            if req.payment_method.is_empty() { "pay_later_link" } else { &req.payment_method },
        )?;
        let notes = if req.note.trim().is_empty() {
            Vec::new()
        } else {
            vec![(NoteVisibility::Customer, note_body("note", &req.note)?)]
        };
        let cart = Cart {
            buyer: Buyer {
                customer_id: Uuid::parse_str(&c.customer_id).ok(),
                name: c.customer_name,
                email: c.customer_email,
                language: c.language,
                owner: c.owner_partner_id.as_deref().and_then(|p| Uuid::parse_str(p).ok()),
                discount: Decimal::from_str_exact(&c.discount_percent).unwrap_or_default(),
            },
            items: req.items.into_iter().map(|i| (i.product_id, i.quantity)).collect(),
            kind: OrderKind::Standard,
            payment_method,
            channel: Channel::QuickOrder,
            promotion_type: None,
            coupon_code: None,
            shipping: None,
            tax_rate: None,
            paid: false,
            placed_by: None,
            external_id: None,
            notes,
            actor: None,
            actor_kind: "customer",
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
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
}
