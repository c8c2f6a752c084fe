//! Customers: create, read, update, delete, search (CU1, CU2, CU5, CU6), and registration
//! through a partner's link (L8).

use partnerline_proto::customers::v1 as pb;
use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1::{GetJoinPageRequest, GetPartnerRequest, JoinPage};
use platform::AppError;
use platform::db::TenantTx;
use platform::values::{Email, parse_language, parse_name, parse_phone};
use sqlx::types::Json;
use uuid::Uuid;

use super::{Access, CustomersService, convert, parse_id};
use crate::domain::{Address, CustomerStatus, Temperature, parse_discount, parse_text, parse_vat};
use crate::events;
use crate::store::{self, CustomerFilter, CustomerRow, GroupRow};

/// CU7: whether a new customer waits for the merchant. Merchant staff approve what they add.
fn approval_for(program: &JoinPage, is_business: bool, by_partner_or_public: bool) -> &'static str {
    if is_business && program.business_customer_approval && by_partner_or_public {
        "pending_approval"
    } else {
        "active"
    }
}

fn email(field: &str, raw: &str) -> Result<String, AppError> {
    if raw.trim().is_empty() { Ok(String::new()) } else { Ok(Email::parse(field, raw)?.as_str().to_string()) }
}

fn currency(field: &str, raw: &str) -> Result<String, AppError> {
    platform::Currency::parse(raw).map(|c| c.code().to_string()).map_err(|e| AppError::invalid(field, e.to_string()))
}

/// An optional id in a request: absent or blank is `None`; a malformed one is `bad`.
fn optional_id(raw: Option<&str>, field: &str, bad: &str) -> Result<Option<Uuid>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(s).map(Some).map_err(|_| AppError::invalid(field, bad)),
    }
}

fn address(a: Option<pb::Address>) -> Result<Address, AppError> {
    let a = a.unwrap_or_default();
    Address::parse(
        "address",
        Address {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postal_code: a.postal_code,
            region: a.region,
            country: a.country,
        },
    )
}

impl CustomersService {
    /// A partner named as owner must exist; identity answers with the caller's own rights.
    pub(super) async fn check_partner(&self, token: &str, id: &str) -> Result<Uuid, AppError> {
        let bad = || AppError::invalid("owner_partner_id", "no such partner");
        let pid = Uuid::parse_str(id.trim()).map_err(|_| bad())?;
        let req = platform::grpc::request(GetPartnerRequest { id: pid.to_string() }, Some(token));
        match self.identity.clone().get_partner(req).await {
            Ok(_) => Ok(pid),
            Err(s) if s.code() == tonic::Code::NotFound => Err(bad()),
            Err(s) => Err(AppError::from_status(&s)),
        }
    }

    /// The program's public facts (currency, approval switch), by tenant id or by slug.
    pub(crate) async fn program(&self, tenant: Option<Uuid>, slug: Option<&str>) -> Result<JoinPage, AppError> {
        let req = GetJoinPageRequest {
            program: slug.unwrap_or_default().to_string(),
            invite: None,
            tenant_id: tenant.map(|t| t.to_string()),
        };
        match self.identity.clone().get_join_page(platform::grpc::request(req, None)).await {
            Ok(page) => Ok(page.into_inner()),
            Err(s) => Err(AppError::from_status(&s)),
        }
    }

    /// A group named in a customer's fields: it must exist (merchant only, checked by the caller).
    async fn named_group(tx: &mut TenantTx<'_>, raw: &str) -> Result<GroupRow, AppError> {
        let bad = || AppError::invalid("group_id", "no such group");
        let id = Uuid::parse_str(raw.trim()).map_err(|_| bad())?;
        store::group(tx, id).await?.ok_or_else(bad)
    }

    async fn card(&self, tx: &mut TenantTx<'_>, a: &Access, id: Uuid) -> Result<pb::Customer, AppError> {
        let card = store::card(tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        Ok(convert::customer(&card))
    }

    pub(crate) async fn create_customer_impl(
        &self,
        a: Access,
        token: String,
        req: pb::CreateCustomerRequest,
    ) -> Result<pb::Customer, AppError> {
        let owner = match (a.owner, req.owner_partner_id.as_deref().filter(|s| !s.is_empty())) {
            (Some(me), None) => Some(me),
            (Some(me), Some(other)) if other == me.to_string() => Some(me),
            (Some(_), Some(_)) => {
                return Err(
                    AppError::forbidden("a partner owns the customers it creates").with_field("owner_partner_id")
                );
            }
            (None, Some(other)) => Some(self.check_partner(&token, other).await?),
            (None, None) => None,
        };
        let group = req.group_id.as_deref().filter(|g| !g.trim().is_empty());
        if group.is_some() && a.is_partner() {
            return Err(AppError::forbidden("only the merchant puts customers in groups").with_field("group_id"));
        }
        // The program is asked only when its answer matters: no currency given, or a business.
        let program = if req.currency.trim().is_empty() || req.is_business {
            Some(self.program(Some(a.tenant), None).await?)
        } else {
            None
        };
        let cur = match &program {
            Some(p) if req.currency.trim().is_empty() => p.currency.clone(),
            _ => currency("currency", &req.currency)?,
        };
        let approval = program.as_ref().map_or("active", |p| approval_for(p, req.is_business, a.is_partner()));
        let now = self.clock.now();
        let c = CustomerRow {
            id: Uuid::now_v7(),
            tenant_id: a.tenant,
            name: parse_name("name", &req.name)?,
            vat_number: parse_vat("vat_number", &req.vat_number)?,
            contact_person: parse_text("contact_person", &req.contact_person, 0, 200)?,
            email: email("email", &req.email)?,
            phone: parse_phone("phone", &req.phone)?,
            address: Json(address(req.address)?),
            status: CustomerStatus::parse("status", if req.status.is_empty() { "potential" } else { &req.status })?
                .as_str()
                .into(),
            temperature: Temperature::parse(
                "temperature",
                if req.temperature.is_empty() { "warm" } else { &req.temperature },
            )?
            .as_str()
            .into(),
            discount_percent: parse_discount("discount_percent", &req.discount_percent)?,
            currency: cur,
            language: parse_language("language", &req.language)?,
            owner_partner_id: owner,
            group_id: None,
            is_business: req.is_business,
            approval: approval.into(),
            created_at: now,
            updated_at: now,
            erased_at: None,
        };
        let mut c = c;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        if let Some(raw) = group {
            let g = Self::named_group(&mut tx, raw).await?;
            c.group_id = Some(g.id);
            c.owner_partner_id = group_owner(&g, c.owner_partner_id, req.owner_partner_id.is_some())?;
        }
        store::insert_customer(&mut tx, &c).await?;
        events::customer_changed(&self.outbox, tx.conn(), &c, "created", &[], a.actor).await?;
        let out = self.card(&mut tx, &Access { owner: None, ..a }, c.id).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn get_customer_impl(&self, a: Access, req: pb::CustomerRef) -> Result<pb::Customer, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let out = self.card(&mut tx, &a, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn update_customer_impl(
        &self,
        a: Access,
        token: String,
        req: pb::UpdateCustomerRequest,
    ) -> Result<pb::Customer, AppError> {
        let id = parse_id(&req.id, "customer")?;
        if a.is_partner() && req.owner_partner_id.is_some() {
            return Err(AppError::forbidden("only the merchant reassigns customers").with_field("owner_partner_id"));
        }
        if a.is_partner() && req.group_id.is_some() {
            return Err(AppError::forbidden("only the merchant puts customers in groups").with_field("group_id"));
        }
        // Validate everything before touching the row, so bad input changes nothing.
        let name = req.name.as_deref().map(|v| parse_name("name", v)).transpose()?;
        let vat = req.vat_number.as_deref().map(|v| parse_vat("vat_number", v)).transpose()?;
        let contact = req.contact_person.as_deref().map(|v| parse_text("contact_person", v, 0, 200)).transpose()?;
        let mail = req.email.as_deref().map(|v| email("email", v)).transpose()?;
        let phone = req.phone.as_deref().map(|v| parse_phone("phone", v)).transpose()?;
        let addr = req.address.map(|v| address(Some(v))).transpose()?;
        let status = req.status.as_deref().map(|v| CustomerStatus::parse("status", v)).transpose()?;
        let temp = req.temperature.as_deref().map(|v| Temperature::parse("temperature", v)).transpose()?;
        let discount = req.discount_percent.as_deref().map(|v| parse_discount("discount_percent", v)).transpose()?;
        let cur = req.currency.as_deref().map(|v| currency("currency", v)).transpose()?;
        let lang = req.language.as_deref().map(|v| parse_language("language", v)).transpose()?;
        let owner = match req.owner_partner_id.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(other) => Some(Some(self.check_partner(&token, other).await?)),
        };

        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let old =
            store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        if old.erased_at.is_some() {
            return Err(erased());
        }
        let mut c = old.clone();
        let mut changed = Vec::new();
        // CU7: joining a group that belongs to a partner makes the customer that partner's.
        let (group, owner) = match req.group_id.as_deref().map(str::trim) {
            None => (None, owner),
            Some("") => (Some(None), owner),
            Some(raw) => {
                let g = Self::named_group(&mut tx, raw).await?;
                let current = owner.unwrap_or(old.owner_partner_id);
                let owner = group_owner(&g, current, owner.is_some())?;
                (Some(Some(g.id)), Some(owner))
            }
        };
        macro_rules! set {
            ($field:ident, $value:expr, $name:literal) => {
                if let Some(v) = $value {
                    if c.$field != v {
                        c.$field = v;
                        changed.push($name);
                    }
                }
            };
        }
        set!(name, name, "name");
        set!(vat_number, vat, "vat_number");
        set!(contact_person, contact, "contact_person");
        set!(email, mail, "email");
        set!(phone, phone, "phone");
        set!(address, addr.map(Json), "address");
        set!(status, status.map(|s| s.as_str().to_string()), "status");
        set!(temperature, temp.map(|s| s.as_str().to_string()), "temperature");
        set!(discount_percent, discount, "discount_percent");
        set!(currency, cur, "currency");
        set!(language, lang, "language");
        set!(owner_partner_id, owner, "owner_partner_id");
        set!(group_id, group, "group_id");
        if !changed.is_empty() {
            c.updated_at = self.clock.now();
            store::update_customer(&mut tx, &c).await?;
            events::customer_changed(&self.outbox, tx.conn(), &c, "updated", &changed, a.actor).await?;
            if old.owner_partner_id != c.owner_partner_id {
                events::customer_reassigned(&self.outbox, tx.conn(), &c, old.owner_partner_id, a.actor).await?;
            }
        }
        let out = self.card(&mut tx, &Access { owner: None, ..a }, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn delete_customer_impl(&self, a: Access, req: pb::CustomerRef) -> Result<pb::Empty, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let c =
            store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        store::delete_customer(&mut tx, id, self.clock.now()).await?;
        events::customer_changed(&self.outbox, tx.conn(), &c, "deleted", &[], a.actor).await?;
        tx.commit().await?;
        Ok(pb::Empty {})
    }

    pub(super) async fn list_customers_impl(
        &self,
        a: Access,
        req: pb::ListCustomersRequest,
    ) -> Result<pb::CustomerPage, AppError> {
        let status =
            req.status.as_deref().filter(|s| !s.is_empty()).map(|s| CustomerStatus::parse("status", s)).transpose()?;
        let temp = req
            .temperature
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| Temperature::parse("temperature", s))
            .transpose()?;
        let owner = match (a.owner, req.owner_partner_id.as_deref().filter(|s| !s.is_empty())) {
            (Some(me), _) => Some(me),
            (None, Some(o)) => {
                Some(Uuid::parse_str(o).map_err(|_| AppError::invalid("owner_partner_id", "is not an id"))?)
            }
            (None, None) => None,
        };
        let before = req
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| Uuid::parse_str(c).map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned")))
            .transpose()?;
        let approval = match req.approval.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(v @ ("active" | "pending_approval")) => Some(v.to_string()),
            Some(_) => return Err(AppError::invalid("approval", "must be active or pending_approval")),
        };
        let group = optional_id(req.group_id.as_deref(), "group_id", "is not an id")?;
        let limit = platform::paging::page_size(req.limit);
        let filter = CustomerFilter {
            approval,
            group,
            q: req.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()),
            status: status.map(|s| s.as_str().to_string()),
            temperature: temp.map(|t| t.as_str().to_string()),
            owner,
            before,
            limit: limit + 1,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut rows = store::list(&mut tx, &filter).await?;
        tx.commit().await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.customer.id.to_string())
        } else {
            None
        };
        Ok(pb::CustomerPage { items: rows.iter().map(convert::customer).collect(), next_cursor: next })
    }

    /// L8: public sign-up; the referral code travels on to attribution in `customer.registered`.
    pub(super) async fn register_customer_impl(
        &self,
        req: pb::RegisterCustomerRequest,
    ) -> Result<pb::Customer, AppError> {
        let program = self.program(None, Some(&req.program)).await?;
        let tenant = Uuid::parse_str(&program.tenant_id).map_err(|_| AppError::not_found("program"))?;
        let referral = req.referral_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(code) = referral
            && !(code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(AppError::invalid("referral_code", "is not a referral code"));
        }
        let mail = Email::parse("email", &req.email)?;
        let now = self.clock.now();
        let c = CustomerRow {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: parse_name("name", &req.name)?,
            vat_number: parse_vat("vat_number", &req.vat_number)?,
            contact_person: String::new(),
            email: mail.as_str().into(),
            phone: parse_phone("phone", &req.phone)?,
            address: Json(Address::default()),
            status: CustomerStatus::Potential.as_str().into(),
            temperature: Temperature::Warm.as_str().into(),
            discount_percent: crate::domain::NO_DISCOUNT,
            currency: program.currency.clone(),
            language: parse_language("language", &req.language)?,
            owner_partner_id: None,
            group_id: None,
            is_business: req.is_business,
            approval: approval_for(&program, req.is_business, true).into(),
            created_at: now,
            updated_at: now,
            erased_at: None,
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::insert_customer(&mut tx, &c).await?;
        let msg = ev::CustomerRegistered {
            tenant_id: tenant.to_string(),
            customer: Some(events::snapshot(&c)),
            referral_code: referral.map(Into::into),
            visitor_id: req
                .visitor_id
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                .map(Into::into),
            ip_hash: Some(req.ip_hash.trim())
                .filter(|h| h.len() <= 128 && h.chars().all(|c| c.is_ascii_hexdigit()))
                .unwrap_or_default()
                .into(),
        };
        self.outbox.emit(tx.conn(), tenant, "customer", c.id, "registered", &msg).await?;
        let card = store::card(&mut tx, c.id, None).await?.ok_or_else(|| AppError::not_found("customer"))?;
        tx.commit().await?;
        Ok(convert::customer(&card))
    }

    /// CU7: the merchant approves a business customer and picks the partner it belongs to.
    pub(super) async fn approve_customer_impl(
        &self,
        a: Access,
        token: String,
        req: pb::ApproveCustomerRequest,
    ) -> Result<pb::Customer, AppError> {
        let id = parse_id(&req.id, "customer")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let old =
            store::customer_for_update(&mut tx, id, a.owner).await?.ok_or_else(|| AppError::not_found("customer"))?;
        require_merchant_admin(&a, "only the merchant approves customers")?;
        if old.approval != "pending_approval" {
            return Err(AppError::conflict("not_pending", "this customer is not waiting for approval"));
        }
        let owner = match req.owner_partner_id.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(p) => self.check_partner(&token, p).await?,
            None => old
                .owner_partner_id
                .ok_or_else(|| AppError::invalid("owner_partner_id", "pick the partner this customer belongs to"))?,
        };
        let mut c = old.clone();
        c.approval = "active".into();
        c.owner_partner_id = Some(owner);
        c.updated_at = self.clock.now();
        store::update_customer(&mut tx, &c).await?;
        let mut changed = vec!["approval"];
        if old.owner_partner_id != c.owner_partner_id {
            changed.push("owner_partner_id");
            events::customer_reassigned(&self.outbox, tx.conn(), &c, old.owner_partner_id, a.actor).await?;
        }
        events::customer_changed(&self.outbox, tx.conn(), &c, "approved", &changed, a.actor).await?;
        let out = self.card(&mut tx, &a, id).await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// X7: an erased customer's data stays erased; a returning customer is a new one.
pub(super) fn erased() -> AppError {
    AppError::conflict(
        "customer_erased",
        "this customer's personal data was erased (X7); add the person again as a new customer",
    )
}

/// Merchant admins (and integrators allowed to write customers) manage groups and approvals.
pub(super) fn require_merchant_admin(a: &Access, why: &str) -> Result<(), AppError> {
    match a.role {
        platform::auth::Role::MerchantAdmin | platform::auth::Role::Integrator => Ok(()),
        _ => Err(AppError::forbidden(why.to_string())),
    }
}

/// CU7: the owner of a customer joining group `g`: the group's partner when it has one; naming
/// another owner in the same request is refused.
fn group_owner(g: &GroupRow, owner: Option<Uuid>, owner_named: bool) -> Result<Option<Uuid>, AppError> {
    match g.partner_id {
        None => Ok(owner),
        Some(p) if owner_named && owner.is_some_and(|o| o != p) => Err(AppError::invalid(
            "owner_partner_id",
            format!("group {} belongs to partner {p}; its customers are that partner's", g.name),
        )),
        Some(p) => Ok(Some(p)),
    }
}
