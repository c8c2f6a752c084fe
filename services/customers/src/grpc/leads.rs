//! Leads and referrals (LE1-LE6): partners submit leads, the merchant moves them through
//! `submitted → in_progress → won | not_eligible` and assigns a sales rep; every change is on
//! the lead's timeline; won leads are the partner's referrals and pay its reward.

use partnerline_proto::customers::v1 as pb;
use partnerline_proto::events::v1 as ev;
use partnerline_proto::identity::v1::ListUsersRequest;
use platform::AppError;
use platform::auth::Role;
use platform::db::TenantTx;
use platform::paging::{next_cursor, offset_cursor, page_size};
use platform::values::{Email, parse_name};
use rust_decimal::Decimal;
use sqlx::types::Json;
use uuid::Uuid;

use super::convert::ts;
use super::{Access, CustomersService, parse_id};
use crate::domain::{LeadStatus, parse_product_line, parse_text, parse_url};
use crate::store::{self, LeadEventRow, LeadFilter, LeadRow, LeadScope, SalesRep};

const SORTABLE: &[&str] =
    &["created_at", "updated_at", "status", "product_line", "contact_name", "email", "company", "website_url"];

fn scope(a: &Access) -> LeadScope {
    LeadScope { partner: a.owner, rep: (a.role == Role::SalesRep).then_some(a.actor) }
}

fn lead(l: &LeadRow, timeline: &[LeadEventRow]) -> pb::Lead {
    pb::Lead {
        id: l.id.to_string(),
        partner_id: l.partner_id.to_string(),
        product_line: l.product_line.clone(),
        contact_name: l.contact_name.clone(),
        email: l.email.clone(),
        company: l.company.clone(),
        website_url: l.website_url.clone(),
        notes: l.notes.clone(),
        wants_sales_support: l.wants_sales_support,
        status: l.status.clone(),
        sales_rep: l.sales_rep.as_ref().map(|r| pb::SalesRep {
            user_id: r.user_id.to_string(),
            name: r.name.clone(),
            email: r.email.clone(),
            phone: r.phone.clone(),
        }),
        plan: l.plan.clone(),
        revenue: l.revenue.to_string(),
        currency: l.currency.clone(),
        won_at: l.won_at.map(ts),
        created_at: ts(l.created_at),
        updated_at: ts(l.updated_at),
        timeline: timeline
            .iter()
            .map(|e| pb::LeadEvent {
                at: ts(e.at),
                actor_user_id: e.actor_user_id.to_string(),
                from_status: e.from_status.clone(),
                to_status: e.to_status.clone(),
                change: e.change.clone(),
            })
            .collect(),
    }
}

impl CustomersService {
    async fn lead_reply(&self, tx: &mut TenantTx<'_>, l: &LeadRow) -> Result<pb::Lead, AppError> {
        let timeline = store::lead_events(tx, l.id).await?;
        Ok(lead(l, &timeline))
    }

    async fn lead_event(
        &self,
        tx: &mut TenantTx<'_>,
        a: &Access,
        l: &LeadRow,
        change: &str,
        from: &str,
        event: &str,
    ) -> Result<(), AppError> {
        let e = LeadEventRow {
            at: self.clock.now(),
            actor_user_id: a.actor,
            change: change.into(),
            from_status: from.into(),
            to_status: l.status.clone(),
        };
        store::insert_lead_event(tx, l.id, &e).await?;
        let msg = ev::LeadChanged {
            tenant_id: a.tenant.to_string(),
            lead_id: l.id.to_string(),
            partner_id: l.partner_id.to_string(),
            from_status: from.into(),
            to_status: l.status.clone(),
            sales_rep_user_id: l.sales_rep_user_id.map(|u| u.to_string()),
            actor_user_id: a.actor.to_string(),
        };
        self.outbox.emit(tx.conn(), a.tenant, "lead", l.id, event, &msg).await?;
        Ok(())
    }

    pub(crate) async fn submit_lead_impl(&self, a: Access, req: pb::SubmitLeadRequest) -> Result<pb::Lead, AppError> {
        let partner = a.owner.ok_or_else(|| AppError::forbidden("partners submit leads"))?;
        let now = self.clock.now();
        let l = LeadRow {
            id: Uuid::now_v7(),
            tenant_id: a.tenant,
            partner_id: partner,
            product_line: parse_product_line("product_line", &req.product_line)?,
            contact_name: parse_name("contact_name", &req.contact_name)?,
            email: Email::parse("email", &req.email)?.as_str().into(),
            company: parse_text("company", &req.company, 0, 200)?,
            website_url: parse_url("website_url", &req.website_url)?,
            notes: parse_text("notes", &req.notes, 0, 5_000)?,
            wants_sales_support: req.wants_sales_support,
            status: LeadStatus::Submitted.as_str().into(),
            sales_rep: None,
            sales_rep_user_id: None,
            plan: String::new(),
            revenue: Decimal::ZERO,
            currency: "EUR".into(),
            won_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        store::insert_lead(&mut tx, &l).await?;
        let e = LeadEventRow {
            at: now,
            actor_user_id: a.actor,
            change: "status".into(),
            from_status: String::new(),
            to_status: l.status.clone(),
        };
        store::insert_lead_event(&mut tx, l.id, &e).await?;
        let msg = ev::LeadSubmitted {
            tenant_id: a.tenant.to_string(),
            lead_id: l.id.to_string(),
            partner_id: partner.to_string(),
            product_line: l.product_line.clone(),
            company: l.company.clone(),
            contact_name: l.contact_name.clone(),
            wants_sales_support: l.wants_sales_support,
        };
        self.outbox.emit(tx.conn(), a.tenant, "lead", l.id, "submitted", &msg).await?;
        let out = self.lead_reply(&mut tx, &l).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn get_lead_impl(&self, a: Access, req: pb::LeadRef) -> Result<pb::Lead, AppError> {
        let id = parse_id(&req.id, "lead")?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let l = store::lead(&mut tx, id, scope(&a), false).await?.ok_or_else(|| AppError::not_found("lead"))?;
        let out = self.lead_reply(&mut tx, &l).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(super) async fn list_leads_impl(&self, a: Access, req: pb::ListLeadsRequest) -> Result<pb::LeadPage, AppError> {
        let status =
            req.status.as_deref().filter(|s| !s.is_empty()).map(|s| LeadStatus::parse("status", s)).transpose()?;
        let sort = if req.sort.is_empty() { "created_at" } else { req.sort.as_str() };
        let sort = SORTABLE
            .iter()
            .find(|c| **c == sort)
            .ok_or_else(|| AppError::invalid("sort", format!("must be one of {}", SORTABLE.join(", "))))?;
        let limit = page_size(req.limit);
        let offset = offset_cursor(req.cursor.as_deref())?;
        let filter = LeadFilter {
            scope: scope(&a),
            status: status.map(|s| s.as_str().to_string()),
            q: req.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
            sort,
            descending: req.descending,
            offset,
            limit: limit + 1,
            won_only: false,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut rows = store::list_leads(&mut tx, &filter).await?;
        tx.commit().await?;
        let next = next_cursor(&mut rows, offset, limit);
        Ok(pb::LeadPage { items: rows.iter().map(|l| lead(l, &[])).collect(), next_cursor: next })
    }

    pub(crate) async fn change_lead_status_impl(
        &self,
        a: Access,
        req: pb::ChangeLeadStatusRequest,
    ) -> Result<pb::Lead, AppError> {
        if a.owner.is_some() {
            return Err(AppError::forbidden("the merchant moves leads"));
        }
        let id = parse_id(&req.id, "lead")?;
        let to = LeadStatus::parse("status", &req.status)?;
        let won = if to == LeadStatus::Won {
            let plan = parse_text("plan", &req.plan, 1, 100)?;
            let revenue = Decimal::from_str_exact(req.revenue.trim())
                .ok()
                .filter(|r| !r.is_sign_negative())
                .ok_or_else(|| {
                    AppError::invalid("revenue", "must be a non-negative decimal written as a string, e.g. \"1200.00\"")
                })?;
            let currency = platform::Currency::parse(if req.currency.is_empty() { "EUR" } else { &req.currency })
                .map_err(|e| AppError::invalid("currency", e.to_string()))?;
            Some((plan, (currency.round(revenue), currency)))
        } else {
            None
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut l = store::lead(&mut tx, id, scope(&a), true).await?.ok_or_else(|| AppError::not_found("lead"))?;
        let from = LeadStatus::parse("status", &l.status)?;
        from.move_to(to)?;
        let now = self.clock.now();
        l.status = to.as_str().into();
        l.updated_at = now;
        if let Some((plan, (revenue, currency))) = &won {
            l.plan = plan.clone();
            l.revenue = *revenue;
            l.currency = currency.code().into();
            l.won_at = Some(now);
        }
        store::update_lead(&mut tx, &l).await?;
        self.lead_event(&mut tx, &a, &l, "status", from.as_str(), "status_changed").await?;
        if won.is_some() {
            let msg = ev::LeadWon {
                tenant_id: a.tenant.to_string(),
                lead_id: l.id.to_string(),
                partner_id: l.partner_id.to_string(),
                plan: l.plan.clone(),
                revenue: l.revenue.to_string(),
                currency: l.currency.clone(),
                won_at: ts(now),
            };
            self.outbox.emit(tx.conn(), a.tenant, "lead", l.id, "won", &msg).await?;
        }
        let out = self.lead_reply(&mut tx, &l).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// LE2: the merchant assigns a sales rep, whose contact details the partner then sees.
    pub(super) async fn assign_sales_rep_impl(
        &self,
        a: Access,
        token: String,
        req: pb::AssignSalesRepRequest,
    ) -> Result<pb::Lead, AppError> {
        if a.role != Role::MerchantAdmin {
            return Err(AppError::forbidden("only a merchant admin assigns sales reps"));
        }
        let id = parse_id(&req.id, "lead")?;
        let user =
            Uuid::parse_str(req.user_id.trim()).map_err(|_| AppError::invalid("user_id", "no such sales rep"))?;
        let reps = self
            .identity
            .clone()
            .list_users(platform::grpc::request(ListUsersRequest { role: Some("sales_rep".into()) }, Some(&token)))
            .await
            .map_err(|s| AppError::from_status(&s))?
            .into_inner();
        let rep = reps
            .items
            .into_iter()
            .find(|u| u.id == user.to_string())
            .ok_or_else(|| AppError::invalid("user_id", "no such sales rep"))?;
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut l = store::lead(&mut tx, id, scope(&a), true).await?.ok_or_else(|| AppError::not_found("lead"))?;
        l.sales_rep = Some(Json(SalesRep { user_id: user, name: rep.name, email: rep.email, phone: rep.phone }));
        l.sales_rep_user_id = Some(user);
        l.updated_at = self.clock.now();
        store::update_lead(&mut tx, &l).await?;
        let status = l.status.clone();
        self.lead_event(&mut tx, &a, &l, "sales_rep", &status, "rep_assigned").await?;
        let out = self.lead_reply(&mut tx, &l).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// LE5: won referrals, newest first, with date, plan and revenue.
    pub(super) async fn list_referrals_impl(
        &self,
        a: Access,
        req: pb::ListReferralsRequest,
    ) -> Result<pb::ReferralPage, AppError> {
        let limit = page_size(req.limit);
        let offset = offset_cursor(req.cursor.as_deref())?;
        let filter = LeadFilter {
            scope: scope(&a),
            status: None,
            q: None,
            sort: "won_at",
            descending: true,
            offset,
            limit: limit + 1,
            won_only: true,
        };
        let mut tx = TenantTx::begin(&self.pool, a.tenant).await?;
        let mut rows = store::list_leads(&mut tx, &filter).await?;
        tx.commit().await?;
        let next = next_cursor(&mut rows, offset, limit);
        let items = rows
            .iter()
            .map(|l| pb::Referral {
                lead_id: l.id.to_string(),
                company: l.company.clone(),
                contact_name: l.contact_name.clone(),
                product_line: l.product_line.clone(),
                won_at: l.won_at.map(ts).unwrap_or_default(),
                plan: l.plan.clone(),
                revenue: l.revenue.to_string(),
                currency: l.currency.clone(),
                partner_id: l.partner_id.to_string(),
            })
            .collect();
        Ok(pb::ReferralPage { items, next_cursor: next })
    }
}
