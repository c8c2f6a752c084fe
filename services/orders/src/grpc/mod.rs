//! The orders gRPC service: decode, authorize, call domain and store, encode.

mod catalog;
pub(crate) mod convert;
mod coupons;
mod import;
mod orders;
pub mod place;
mod privacy;
mod public;
mod rates;
mod reports;
pub mod webhooks;

use std::sync::Arc;

use partnerline_proto::customers::v1::customers_client::CustomersClient;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use partnerline_proto::orders::v1 as pb;
use partnerline_proto::orders::v1::orders_server::Orders;
use platform::auth::{Principal, Role, Verifier};
use platform::grpc::{FromCaller, Grant, Reply, authed, reply};
use platform::outbox::Outbox;
use platform::{AppError, Clock};
use sqlx::PgPool;
use tonic::Request;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::payments::PaymentProvider;

#[derive(Clone)]
pub struct OrdersService {
    pub(crate) pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    /// Program settings (coupon limits, currency) and partner names, asked with the caller's token.
    pub(crate) identity: IdentityClient<Channel>,
    /// Customers of an order, asked with the caller's token (so a partner reaches only its own),
    /// and quick-order tokens.
    pub(crate) customers: CustomersClient<Channel>,
    pub(crate) provider: Arc<dyn PaymentProvider>,
    /// Webhook secrets by provider name (O3).
    pub(crate) webhook_secrets: Arc<std::collections::BTreeMap<String, String>>,
    /// Import batches written at once by this replica (`IMPORTS_AT_ONCE`); others wait their
    /// turn holding no connection. A batch holds two connections for a moment (its numbers are
    /// reserved in a transaction of their own), so unbounded imports could take the whole pool.
    pub(crate) imports: Arc<tokio::sync::Semaphore>,
}

/// How many import batches one replica writes at once.
pub const IMPORTS_AT_ONCE: usize = 2;

impl OrdersService {
    /// Which of `ids` are partners of the caller's program (identity answers for the caller's
    /// tenant only): how every partner a request names is checked (issue 17, 9).
    pub(super) async fn known_partners(
        &self,
        token: &str,
        ids: std::collections::HashSet<Uuid>,
    ) -> Result<std::collections::HashSet<Uuid>, AppError> {
        let ask =
            partnerline_proto::identity::v1::KnownPartnersRequest { ids: ids.iter().map(Uuid::to_string).collect() };
        let known = self
            .identity
            .clone()
            .known_partners(platform::grpc::request(ask, Some(token)))
            .await
            .map_err(|s| AppError::from_status(&s))?
            .into_inner();
        Ok(known.ids.iter().filter_map(|id| Uuid::parse_str(id).ok()).collect())
    }
}

/// Whose orders the caller reaches: a partner only those attributed to it or placed by it,
/// merchant staff and integrators all of the tenant's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Access {
    pub tenant: Uuid,
    pub partner: Option<Uuid>,
    pub actor: Uuid,
    pub role: Role,
}

impl FromCaller for Access {
    fn from_caller(p: Principal, _token: &str) -> Result<Access, AppError> {
        let tenant = p.tenant()?;
        let partner = match p.role {
            Role::Partner => Some(p.partner.ok_or_else(|| AppError::forbidden("this account has no partner profile"))?),
            Role::MerchantAdmin | Role::SalesRep => None,
            // An API key's scope was checked by its call's `Grant` before this.
            Role::Integrator => None,
            Role::PlatformAdmin => return Err(AppError::forbidden("sign in to a program to see its orders")),
        };
        Ok(Access { tenant, partner, actor: p.subject, role: p.role })
    }
}

impl Access {
    pub fn is_partner(&self) -> bool {
        self.partner.is_some()
    }

    /// Merchant staff: admins, sales reps and integrators.
    pub fn require_staff(&self, why: &str) -> Result<(), AppError> {
        if self.is_partner() { Err(AppError::forbidden(why.to_string())) } else { Ok(()) }
    }

    /// Merchant admins and integrators: catalog, refunds, checkout settings.
    pub fn require_admin(&self, why: &str) -> Result<(), AppError> {
        match self.role {
            Role::MerchantAdmin | Role::Integrator => Ok(()),
            _ => Err(AppError::forbidden(why.to_string())),
        }
    }

    pub fn actor_kind(&self) -> &'static str {
        if self.role == Role::Integrator { "integrator" } else { "user" }
    }
}

pub(crate) fn parse_id(raw: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found(what))
}

#[tonic::async_trait]
impl Orders for OrdersService {
    async fn create_product(&self, req: Request<pb::CreateProductRequest>) -> Reply<pb::Product> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |(a, t), m| self.create_product_impl(a, t, m)).await
    }
    async fn get_product(&self, req: Request<pb::ProductRef>) -> Reply<pb::Product> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.get_product_impl(a, m)).await
    }
    async fn update_product(&self, req: Request<pb::UpdateProductRequest>) -> Reply<pb::Product> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.update_product_impl(a, m)).await
    }
    async fn list_products(&self, req: Request<pb::ListProductsRequest>) -> Reply<pb::ProductPage> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.list_products_impl(a, m)).await
    }
    async fn bulk_update_products(
        &self,
        req: Request<pb::BulkUpdateProductsRequest>,
    ) -> Reply<pb::BulkUpdateProductsResult> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.bulk_update_products_impl(a, m)).await
    }
    async fn quote_order(&self, req: Request<pb::PlaceOrderRequest>) -> Reply<pb::Order> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |(a, t), m| self.quote_order_impl(a, t, m)).await
    }
    async fn place_order(&self, req: Request<pb::PlaceOrderRequest>) -> Reply<pb::PlacedOrder> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |(a, t), m| self.place_order_impl(a, t, m)).await
    }
    async fn get_order(&self, req: Request<pb::OrderRef>) -> Reply<pb::Order> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.get_order_impl(a, m)).await
    }
    async fn put_exchange_rates(&self, req: Request<pb::PutExchangeRatesRequest>) -> Reply<pb::ExchangeRateList> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.put_rates_impl(a, m)).await
    }
    async fn list_exchange_rates(&self, req: Request<pb::ExchangeRateQuery>) -> Reply<pb::ExchangeRateList> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.list_rates_impl(a, m)).await
    }
    async fn export_customer(&self, req: Request<pb::CustomerExportRequest>) -> Reply<pb::CustomerExport> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.export_customer_impl(a, m)).await
    }
    async fn list_orders(&self, req: Request<pb::ListOrdersRequest>) -> Reply<pb::OrderPage> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.list_orders_impl(a, m)).await
    }
    async fn change_order_status(&self, req: Request<pb::ChangeOrderStatusRequest>) -> Reply<pb::Order> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.change_status_impl(a, m)).await
    }
    async fn add_order_note(&self, req: Request<pb::AddOrderNoteRequest>) -> Reply<pb::Order> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.add_note_impl(a, m)).await
    }
    async fn refund_order(&self, req: Request<pb::RefundOrderRequest>) -> Reply<pb::Order> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.refund_impl(a, m)).await
    }
    async fn renew_payment_link(&self, req: Request<pb::OrderRef>) -> Reply<pb::PlacedOrder> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.renew_link_impl(a, m)).await
    }
    async fn import_orders(&self, req: Request<pb::ImportOrdersRequest>) -> Reply<pb::ImportOrdersResult> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |(a, token), m| self.import_impl(a, token, m)).await
    }
    async fn get_payment_page(&self, req: Request<pb::PaymentTokenRequest>) -> Reply<pb::PaymentPage> {
        reply(self.payment_page_impl(req.into_inner()).await)
    }
    async fn confirm_payment_webhook(&self, req: Request<pb::PaymentWebhook>) -> Reply<pb::PaymentWebhookResult> {
        reply(self.webhook_impl(req.into_inner()).await)
    }
    async fn pay_by_token(&self, req: Request<pb::PaymentTokenRequest>) -> Reply<pb::PaymentPage> {
        reply(self.pay_impl(req.into_inner()).await)
    }
    async fn get_quick_order_catalog(&self, req: Request<pb::QuickOrderRequest>) -> Reply<pb::QuickOrderCatalog> {
        let client = client_of(&req);
        reply(self.quick_catalog_impl(req.into_inner(), client).await)
    }
    async fn place_quick_order(&self, req: Request<pb::PlaceQuickOrderRequest>) -> Reply<pb::PlacedOrder> {
        let client = client_of(&req);
        reply(self.place_quick_order_impl(req.into_inner(), client).await)
    }
    async fn create_coupon(&self, req: Request<pb::CreateCouponRequest>) -> Reply<pb::Coupon> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |(a, t), m| self.create_coupon_impl(a, t, m)).await
    }
    async fn list_coupons(&self, req: Request<pb::ListCouponsRequest>) -> Reply<pb::CouponList> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.list_coupons_impl(a, m)).await
    }
    async fn disable_coupon(&self, req: Request<pb::CouponRef>) -> Reply<pb::Coupon> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |a, m| self.disable_coupon_impl(a, m)).await
    }
    async fn get_checkout_settings(&self, req: Request<pb::Empty>) -> Reply<pb::CheckoutSettings> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |(a, t), _| self.checkout_impl(a, t)).await
    }
    async fn sales_report(&self, req: Request<pb::SalesQuery>) -> Reply<pb::SalesReport> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.sales_report_impl(a, m)).await
    }
    async fn partner_sales(&self, req: Request<pb::SalesQuery>) -> Reply<pb::PartnerSalesList> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.partner_sales_impl(a, m)).await
    }
    async fn customer_sales(&self, req: Request<pb::SalesQuery>) -> Reply<pb::CustomerSales> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.customer_sales_impl(a, m)).await
    }
    async fn product_sales(&self, req: Request<pb::SalesQuery>) -> Reply<pb::ProductSalesList> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |a, m| self.product_sales_impl(a, m)).await
    }
    async fn update_checkout_settings(
        &self,
        req: Request<pb::UpdateCheckoutSettingsRequest>,
    ) -> Reply<pb::CheckoutSettings> {
        authed(&self.verifier, req, Grant::Scope("orders:write"), |(a, t), m| self.update_checkout_impl(a, t, m)).await
    }
}

/// The client a public call comes from, as the gateway tells it (`x-client`), for rate limits.
fn client_of<T>(req: &Request<T>) -> String {
    req.metadata().get("x-client").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_string()
}
