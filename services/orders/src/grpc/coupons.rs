//! Coupons (L9, X2): partners create codes within the program's limits; the merchant sees all.

use chrono::{DateTime, NaiveDate, Utc};
use partnerline_proto::events::v1 as ev;
use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Access, OrdersService, convert, parse_id};
use crate::domain::{parse_coupon_code, parse_percent, parse_rate};
use crate::store::{self, CouponRow};

fn parse_expiry(raw: &str) -> Result<DateTime<Utc>, AppError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| AppError::invalid("expires_at", "must be a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    // A date means the end of that day.
    Ok(d.succ_opt().unwrap_or(d).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

impl OrdersService {
    async fn coupon_event(
        &self,
        tx: &mut TenantTx<'_>,
        a: &Access,
        c: &CouponRow,
        event: &str,
    ) -> Result<(), AppError> {
        let msg = ev::CouponChanged {
            tenant_id: a.tenant.to_string(),
            coupon_id: c.id.to_string(),
            code: c.code.clone(),
            partner_id: c.partner_id.to_string(),
            discount_percent: c.discount_percent.to_string(),
            commission_rate: c.commission_rate.map(|r| r.to_string()),
            active: c.active,
        };
        self.outbox.emit(tx.conn(), a.tenant, "coupon", c.id, event, &msg).await?;
        Ok(())
    }

    pub(super) async fn create_coupon_impl(
        &self,
        a: Access,
        token: String,
        req: pb::CreateCouponRequest,
    ) -> Result<pb::Coupon, AppError> {
        let partner = match (a.partner, req.partner_id.as_deref().filter(|p| !p.trim().is_empty())) {
            (Some(me), None) => me,
            (Some(me), Some(p)) if p.trim() == me.to_string() => me,
            (Some(_), Some(_)) => {
                return Err(AppError::forbidden("a partner creates its own coupons").with_field("partner_id"));
            }
            (None, Some(p)) => {
                a.require_admin("only the merchant creates coupons for partners")?;
                let id = Uuid::parse_str(p.trim()).map_err(|_| AppError::invalid("partner_id", "no such partner"))?;
                // A coupon for another tenant's partner, or for nobody, is refused.
                if !self.known_partners(&token, [id].into()).await?.contains(&id) {
                    return Err(AppError::invalid("partner_id", "no such partner"));
                }
                id
            }
            (None, None) => return Err(AppError::invalid("partner_id", "name the partner the coupon belongs to")),
        };
        let limits = self.program(&token).await?.coupon_limits.unwrap_or_default();
        let max_discount = Decimal::from_str_exact(&limits.max_discount_percent).unwrap_or(Decimal::ONE_HUNDRED);
        let code = parse_coupon_code(&req.code)?;
        let discount = parse_percent("discount_percent", &req.discount_percent, Decimal::ONE_HUNDRED)?;
        if discount > max_discount {
            return Err(AppError::invalid(
                "discount_percent",
                format!("the program allows coupons of at most {max_discount}%"),
            ));
        }
        let mut notices = Vec::new();
        let rate = match req.commission_rate.as_deref().filter(|r| !r.trim().is_empty()) {
            Some(r) => {
                let (r, notice) = parse_rate("commission_rate", r)?;
                notices.extend(notice);
                Some(r)
            }
            None => None,
        };
        let now = self.clock.now();
        let latest = now + chrono::Duration::days(i64::from(limits.max_validity_days.max(1)));
        let expires_at = if req.expires_at.trim().is_empty() { latest } else { parse_expiry(&req.expires_at)? };
        if expires_at <= now {
            return Err(AppError::invalid("expires_at", "must be in the future"));
        }
        if expires_at > latest {
            return Err(AppError::invalid(
                "expires_at",
                format!("the program allows coupons valid {} days at most", limits.max_validity_days),
            ));
        }
        let max_uses = match (limits.max_uses, req.max_uses) {
            (0, n) => n,
            (cap, 0) => cap,
            (cap, n) if n <= cap => n,
            (cap, _) => {
                return Err(AppError::invalid("max_uses", format!("the program allows at most {cap} uses a coupon")));
            }
        };
        let mut product_ids = Vec::new();
        for (i, p) in req.product_ids.iter().enumerate() {
            product_ids.push(
                Uuid::parse_str(p.trim())
                    .map_err(|_| AppError::invalid(format!("product_ids[{i}]"), "no such product"))?,
            );
        }
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let known = store::products_by_ids(&mut tx, &product_ids).await?;
        if let Some(i) = product_ids.iter().position(|id| !known.iter().any(|p| p.id == *id)) {
            return Err(AppError::invalid(format!("product_ids[{i}]"), "no such product"));
        }
        let c = CouponRow {
            id: Uuid::now_v7(),
            partner_id: partner,
            code,
            discount_percent: discount,
            commission_rate: rate,
            product_ids,
            expires_at,
            max_uses: max_uses.min(i32::MAX as u32) as i32,
            uses: 0,
            active: true,
            created_at: now,
        };
        if !store::insert_coupon(&mut tx, &c).await? {
            return Err(
                AppError::conflict("coupon_code_taken", format!("the code {} is taken", c.code)).with_field("code")
            );
        }
        self.coupon_event(&mut tx, &a, &c, "created").await?;
        tx.commit().await?;
        Ok(pb::Coupon { notices, ..convert::coupon(&c) })
    }

    pub(super) async fn list_coupons_impl(
        &self,
        a: Access,
        req: pb::ListCouponsRequest,
    ) -> Result<pb::CouponList, AppError> {
        let partner = match a.partner {
            Some(me) => Some(me),
            None => req
                .partner_id
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| Uuid::parse_str(p.trim()).map_err(|_| AppError::invalid("partner_id", "is not an id")))
                .transpose()?,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let rows = store::coupons(&mut tx, partner).await?;
        tx.commit().await?;
        Ok(pb::CouponList { items: rows.iter().map(convert::coupon).collect() })
    }

    pub(super) async fn disable_coupon_impl(&self, a: Access, req: pb::CouponRef) -> Result<pb::Coupon, AppError> {
        let id = parse_id(&req.id, "coupon")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut c =
            store::coupon_for_update(&mut tx, id, a.partner).await?.ok_or_else(|| AppError::not_found("coupon"))?;
        if a.partner.is_none() {
            a.require_admin("only the merchant or the coupon's partner disables it")?;
        }
        if c.active {
            store::disable_coupon(&mut tx, id).await?;
            c.active = false;
            self.coupon_event(&mut tx, &a, &c, "disabled").await?;
        }
        tx.commit().await?;
        Ok(convert::coupon(&c))
    }
}
