//! The catalog (O1) and the checkout settings: merchant admins write, everyone in the program reads.

use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1 as idpb;
use partnerline_proto::orders::v1 as pb;
use platform::db::TenantTx;
use platform::paging::{next_cursor, offset_cursor, page_size};
use platform::values::parse_name;
use platform::{AppError, Currency};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Access, OrdersService, convert, parse_id};
use crate::domain::{ProductKind, parse_amount, parse_percent, parse_rate};
use crate::store::{self, CheckoutRow, ProductFilter, ProductRow};

const ONLY: &str = "only the merchant changes the catalog";

fn sku(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid("sku", "must be 1 to 64 characters without spaces"));
    }
    Ok(s.to_string())
}

fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(s.to_string())
}

fn taken(sku: &str) -> AppError {
    AppError::conflict("sku_taken", format!("a product with SKU {sku} already exists")).with_field("sku")
}

/// An optional rate: "" clears it; above 50 % it is capped with a notice (C1).
fn optional_rate(raw: &str, notices: &mut Vec<String>) -> Result<Option<Decimal>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let (r, notice) = parse_rate("commission_rate", raw)?;
    notices.extend(notice);
    Ok(Some(r))
}

impl OrdersService {
    /// The program's facts orders need: its currency and settings, asked with the caller's token.
    pub(crate) async fn program(&self, token: &str) -> Result<idpb::ProgramSettings, AppError> {
        let req = platform::grpc::request(idpb::Empty {}, Some(token));
        match self.identity.clone().get_program(req).await {
            Ok(p) => Ok(p.into_inner().settings.unwrap_or_default()),
            Err(s) => Err(AppError::from_status(&s)),
        }
    }

    async fn product_event(
        &self,
        tx: &mut TenantTx<'_>,
        a: &Access,
        p: &ProductRow,
        event: &str,
    ) -> Result<(), AppError> {
        let msg = ev::ProductChanged {
            tenant_id: a.tenant.to_string(),
            product_id: p.id.to_string(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            base_price: p.base_price.to_string(),
            currency: p.currency.clone(),
            kind: p.kind.clone(),
            commission_rate: p.commission_rate.map(|r| r.to_string()),
            category: p.category.clone(),
            active: p.active,
        };
        self.outbox.emit(tx.conn(), a.tenant, "product", p.id, event, &msg).await?;
        Ok(())
    }

    pub(super) async fn create_product_impl(
        &self,
        a: Access,
        token: String,
        req: pb::CreateProductRequest,
    ) -> Result<pb::Product, AppError> {
        a.require_admin(ONLY)?;
        let currency = if req.currency.trim().is_empty() {
            Currency::parse(&self.program(&token).await?.currency)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?
        } else {
            Currency::parse(&req.currency).map_err(|e| AppError::invalid("currency", e.to_string()))?
        };
        let mut notices = Vec::new();
        let now = self.clock.now();
        let p = ProductRow {
            id: Uuid::now_v7(),
            sku: sku(&req.sku)?,
            name: parse_name("name", &req.name)?,
            description: text("description", &req.description, 5000)?,
            base_price: parse_amount("base_price", &req.base_price, currency)?,
            currency: currency.code().to_string(),
            kind: ProductKind::parse("kind", if req.kind.is_empty() { "physical" } else { &req.kind })?.as_str().into(),
            commission_rate: optional_rate(req.commission_rate.as_deref().unwrap_or(""), &mut notices)?,
            wholesale_price: req
                .wholesale_price
                .as_deref()
                .filter(|w| !w.trim().is_empty())
                .map(|w| parse_amount("wholesale_price", w, currency))
                .transpose()?,
            category: text("category", &req.category, 100)?,
            active: req.active.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        if !store::insert_product(&mut tx, &p).await? {
            return Err(taken(&p.sku));
        }
        self.product_event(&mut tx, &a, &p, "created").await?;
        tx.commit().await?;
        Ok(pb::Product { notices, ..convert::product(&p) })
    }

    pub(super) async fn get_product_impl(&self, a: Access, req: pb::ProductRef) -> Result<pb::Product, AppError> {
        let id = parse_id(&req.id, "product")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let p = store::product(&mut tx, id, false).await?.filter(|p| p.active || !a.is_partner());
        tx.commit().await?;
        p.map(|p| convert::product(&p)).ok_or_else(|| AppError::not_found("product"))
    }

    pub(super) async fn update_product_impl(
        &self,
        a: Access,
        req: pb::UpdateProductRequest,
    ) -> Result<pb::Product, AppError> {
        a.require_admin(ONLY)?;
        let id = parse_id(&req.id, "product")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let old = store::product(&mut tx, id, true).await?.ok_or_else(|| AppError::not_found("product"))?;
        let currency =
            Currency::parse(&old.currency).map_err(|e| AppError::internal(anyhow::anyhow!("stored currency: {e}")))?;
        let mut notices = Vec::new();
        let mut p = old.clone();
        if let Some(v) = &req.sku {
            p.sku = sku(v)?;
        }
        if let Some(v) = &req.name {
            p.name = parse_name("name", v)?;
        }
        if let Some(v) = &req.description {
            p.description = text("description", v, 5000)?;
        }
        if let Some(v) = &req.base_price {
            p.base_price = parse_amount("base_price", v, currency)?;
        }
        if let Some(v) = &req.kind {
            p.kind = ProductKind::parse("kind", v)?.as_str().into();
        }
        if let Some(v) = &req.commission_rate {
            p.commission_rate = optional_rate(v, &mut notices)?;
        }
        if let Some(v) = &req.wholesale_price {
            p.wholesale_price =
                if v.trim().is_empty() { None } else { Some(parse_amount("wholesale_price", v, currency)?) };
        }
        if let Some(v) = &req.category {
            p.category = text("category", v, 100)?;
        }
        if let Some(v) = req.active {
            p.active = v;
        }
        p.updated_at = self.clock.now();
        if !store::update_product(&mut tx, &p).await? {
            return Err(taken(&p.sku));
        }
        self.product_event(&mut tx, &a, &p, "updated").await?;
        tx.commit().await?;
        Ok(pb::Product { notices, ..convert::product(&p) })
    }

    pub(super) async fn list_products_impl(
        &self,
        a: Access,
        req: pb::ListProductsRequest,
    ) -> Result<pb::ProductPage, AppError> {
        let offset = offset_cursor(req.cursor.as_deref())?;
        let limit = page_size(req.limit);
        let filter = ProductFilter {
            q: req.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()),
            category: req.category.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            include_inactive: req.include_inactive && !a.is_partner(),
            offset,
            limit: limit + 1,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut rows = store::products(&mut tx, &filter).await?;
        tx.commit().await?;
        let next = next_cursor(&mut rows, offset, limit);
        Ok(pb::ProductPage { items: rows.iter().map(convert::product).collect(), next_cursor: next })
    }

    /// O1: many prices and rates at once; all or nothing, every bad item named.
    pub(super) async fn bulk_update_products_impl(
        &self,
        a: Access,
        req: pb::BulkUpdateProductsRequest,
    ) -> Result<pb::BulkUpdateProductsResult, AppError> {
        a.require_admin(ONLY)?;
        if req.items.is_empty() || req.items.len() > 1000 {
            return Err(AppError::invalid("items", "must hold 1 to 1000 changes"));
        }
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut out = Vec::with_capacity(req.items.len());
        let mut errors = Vec::new();
        for (i, change) in req.items.iter().enumerate() {
            let field = |f: &str| format!("items[{i}].{f}");
            let Some(old) = (match Uuid::parse_str(change.id.trim()) {
                Ok(id) => store::product(&mut tx, id, true).await?,
                Err(_) => None,
            }) else {
                errors.push(platform::error::FieldError { field: field("id"), message: "no such product".into() });
                continue;
            };
            let currency = Currency::parse(&old.currency)
                .map_err(|e| AppError::internal(anyhow::anyhow!("stored currency: {e}")))?;
            let mut p = old.clone();
            let mut notices = Vec::new();
            let result = (|| -> Result<(), AppError> {
                if let Some(v) = &change.base_price {
                    p.base_price = parse_amount("base_price", v, currency)?;
                }
                if let Some(v) = &change.commission_rate {
                    p.commission_rate = optional_rate(v, &mut notices)?;
                }
                Ok(())
            })();
            if let Err(e) = result {
                errors
                    .extend(e.errors.into_iter().map(|f| platform::error::FieldError { field: field(&f.field), ..f }));
                continue;
            }
            p.updated_at = self.clock.now();
            store::update_product(&mut tx, &p).await?;
            self.product_event(&mut tx, &a, &p, "updated").await?;
            out.push(pb::Product { notices, ..convert::product(&p) });
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        tx.commit().await?;
        Ok(pb::BulkUpdateProductsResult { items: out })
    }

    pub(super) async fn checkout_impl(&self, a: Access, token: String) -> Result<pb::CheckoutSettings, AppError> {
        let currency = self.program(&token).await?.currency;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let c = store::checkout(&mut tx).await?;
        tx.commit().await?;
        Ok(checkout(&c, &currency))
    }

    pub(super) async fn update_checkout_impl(
        &self,
        a: Access,
        token: String,
        req: pb::UpdateCheckoutSettingsRequest,
    ) -> Result<pb::CheckoutSettings, AppError> {
        a.require_admin("only the merchant changes checkout settings")?;
        let code = self.program(&token).await?.currency;
        let currency = Currency::parse(&code).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        let shipping = req.shipping_flat.as_deref().map(|v| parse_amount("shipping_flat", v, currency)).transpose()?;
        let tax = req.tax_rate.as_deref().map(|v| parse_percent("tax_rate", v, Decimal::ONE_HUNDRED)).transpose()?;
        if let Some(days) = req.payment_link_days
            && !(1..=90).contains(&days)
        {
            return Err(AppError::invalid("payment_link_days", "must be between 1 and 90"));
        }
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut c = store::checkout(&mut tx).await?;
        if let Some(s) = shipping {
            c.shipping_flat = s;
        }
        if let Some(t) = tax {
            c.tax_rate = t;
        }
        if let Some(d) = req.payment_link_days {
            c.payment_link_days = d as i32;
        }
        store::put_checkout(&mut tx, &c, self.clock.now()).await?;
        tx.commit().await?;
        Ok(checkout(&c, &code))
    }
}

fn checkout(c: &CheckoutRow, currency: &str) -> pb::CheckoutSettings {
    pb::CheckoutSettings {
        shipping_flat: convert::amount(c.shipping_flat, currency),
        tax_rate: convert::rate(c.tax_rate),
        payment_link_days: c.payment_link_days.max(1) as u32,
        currency: currency.to_string(),
    }
}
