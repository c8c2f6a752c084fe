//! Links (L1), the redirect's lookups and clicks (L2), bindings (L10).

use chrono::{DateTime, Utc};
use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use uuid::Uuid;

use crate::events::ts;
use crate::service::{AttributionService, ClickIn, customer_subject, new_code};
use crate::store::{self, LinkRow};

pub(crate) fn link(l: &LinkRow, now: DateTime<Utc>) -> pb::Link {
    pb::Link {
        expires_at: l.expires_at.map(ts),
        expired: l.expired(now),
        id: l.id.to_string(),
        partner_id: l.partner_id.to_string(),
        code: l.code.clone(),
        kind: l.kind.clone(),
        target_url: l.target_url.clone(),
        label: l.label.clone(),
        active: l.active,
        created_at: ts(l.created_at),
    }
}

/// L1: a share link leads to a page of the shop: an absolute http(s) URL.
pub(crate) fn target(raw: &str) -> Result<String, AppError> {
    let t = raw.trim();
    let ok = (t.starts_with("https://") || t.starts_with("http://"))
        && t.len() <= 2000
        && t.len() > "https://".len()
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(t.to_string()) } else { Err(AppError::invalid("target_url", "must be an http or https URL")) }
}

impl AttributionService {
    pub(super) async fn create_link_impl(
        &self,
        p: Principal,
        req: pb::CreateLinkRequest,
    ) -> Result<pb::Link, AppError> {
        let tenant = p.tenant()?;
        let partner = p
            .whose(req.partner_id.as_deref())?
            .ok_or_else(|| AppError::invalid("partner_id", "name the partner the link is for"))?;
        let label = req.label.trim();
        if label.chars().count() > 200 {
            return Err(AppError::invalid("label", "must be at most 200 characters"));
        }
        let mut l = LinkRow {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            partner_id: partner,
            code: new_code(),
            kind: "share".into(),
            target_url: target(&req.target_url)?,
            label: label.to_string(),
            active: true,
            created_at: self.clock.now(),
            expires_at: None,
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if store::partner(&mut tx, partner).await?.is_none() {
            return Err(AppError::invalid("partner_id", "no such partner"));
        }
        while !store::insert_link(&mut tx, &l).await? {
            l.code = new_code();
        }
        self.link_created(&mut tx, &l).await?;
        tx.commit().await?;
        Ok(link(&l, self.clock.now()))
    }

    pub(super) async fn list_links_impl(
        &self,
        p: Principal,
        req: pb::ListLinksRequest,
    ) -> Result<pb::LinkList, AppError> {
        let tenant = p.tenant()?;
        let partner = p.whose(req.partner_id.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = store::links(&mut tx, partner).await?;
        tx.commit().await?;
        let now = self.clock.now();
        Ok(pb::LinkList { items: rows.iter().map(|l| link(l, now)).collect() })
    }

    pub(super) async fn resolve_impl(&self, req: pb::ResolveLinkRequest) -> Result<pb::ResolvedLink, AppError> {
        let code = req.code.trim();
        if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(pb::ResolvedLink::default());
        }
        let Some(l) = self.link(code).await? else { return Ok(pb::ResolvedLink::default()) };
        // Disabled links and posters' links past their 30 days lead home and bind nobody (L1).
        let binds = l.active && !l.expired(self.clock.now());
        Ok(pb::ResolvedLink {
            found: true,
            target_url: if binds { l.target_url.clone() } else { self.home_url.clone() },
            tenant_id: l.tenant_id.to_string(),
            link_id: l.id.to_string(),
            partner_id: l.partner_id.to_string(),
            binds,
        })
    }

    /// L1: a partner's own link's QR code (merchant staff: any link of the program).
    pub(super) async fn qr_impl(&self, p: Principal, req: pb::LinkQrRequest) -> Result<pb::LinkQr, AppError> {
        let tenant = p.tenant()?;
        let id = Uuid::parse_str(req.link_id.trim()).map_err(|_| AppError::not_found("link"))?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let l = store::link(&mut tx, id).await?;
        tx.commit().await?;
        let mine = |l: &LinkRow| match p.role {
            Role::Partner => p.partner == Some(l.partner_id),
            Role::MerchantAdmin | Role::SalesRep | Role::Integrator => true,
            _ => false,
        };
        let l = l.filter(mine).ok_or_else(|| AppError::not_found("link"))?;
        let url = format!("{}/r/{}", req.public_url.trim_end_matches('/'), l.code);
        let (content_type, body) = match req.format.as_str() {
            "svg" => ("image/svg+xml", crate::qr::svg(&url).map_err(AppError::internal)?),
            "png" => ("image/png", crate::qr::png(&url).map_err(AppError::internal)?),
            _ => return Err(AppError::invalid("format", "must be svg or png")),
        };
        Ok(pb::LinkQr { content_type: content_type.into(), body })
    }

    /// L10: a partner's clicks per day and per link (its own, or any for merchant staff).
    pub(super) async fn clicks_impl(
        &self,
        p: Principal,
        req: pb::PartnerClicksRequest,
    ) -> Result<pb::PartnerClicks, AppError> {
        let tenant = p.tenant()?;
        let partner = Uuid::parse_str(req.partner_id.trim()).map_err(|_| AppError::not_found("partner"))?;
        let allowed = match p.role {
            Role::Partner => p.partner == Some(partner),
            Role::MerchantAdmin | Role::SalesRep | Role::Integrator => true,
            _ => false,
        };
        if !allowed {
            return Err(AppError::not_found("partner"));
        }
        let day = |field: &str, raw: Option<&str>| -> Result<Option<chrono::NaiveDate>, AppError> {
            raw.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| AppError::invalid(field, "must be a date, YYYY-MM-DD"))
                })
                .transpose()
        };
        let today = self.clock.now().date_naive();
        let to = day("to", req.to.as_deref())?.unwrap_or(today);
        let from = day("from", req.from.as_deref())?.unwrap_or(to - chrono::Duration::days(29));
        if from > to || (to - from).num_days() > 366 {
            return Err(AppError::invalid("from", "must be on or before `to`, at most a year apart"));
        }
        let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let end = (to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        // An id that is no partner of the program is not found, not a partner with no clicks
        // (issue 17, 12). Partners are known here from identity's events.
        if store::partner(&mut tx, partner).await?.is_none() {
            return Err(AppError::not_found("partner"));
        }
        let days = store::clicks_per_day(&mut tx, partner, start, end).await?;
        let links = store::clicks_per_link(&mut tx, partner, start, end).await?;
        tx.commit().await?;
        Ok(pb::PartnerClicks {
            partner_id: partner.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            total: days.iter().map(|d| d.1.max(0) as u64).sum(),
            days: days
                .iter()
                .map(|(d, c, b)| pb::DayCount {
                    day: d.to_string(),
                    clicks: (*c).max(0) as u64,
                    bindings: (*b).max(0) as u64,
                })
                .collect(),
            links: links
                .into_iter()
                .map(|(id, code, label, c)| pb::LinkCount {
                    link_id: id.to_string(),
                    code,
                    label,
                    clicks: c.max(0) as u64,
                })
                .collect(),
        })
    }

    /// L2: the gateway's batch, in click order, in one transaction per program.
    pub(super) async fn record_impl(&self, req: pb::RecordClicksRequest) -> Result<pb::RecordClicksResult, AppError> {
        // One transaction per run of clicks of one program: a batch commits once, and its clicks
        // are decided together (see `AttributionService::clicks`).
        let mut links = Vec::with_capacity(req.clicks.len());
        for c in &req.clicks {
            let Some(l) = self.link(c.code.trim()).await? else { continue };
            let at = DateTime::parse_from_rfc3339(&c.at).map(|t| t.with_timezone(&Utc)).unwrap_or(self.clock.now());
            let clicker = c.clicker_partner_id.as_deref().and_then(|p| Uuid::parse_str(p).ok());
            links.push((l, c, at, clicker));
        }
        let mut recorded = 0;
        for run in links.chunk_by(|a, b| a.0.tenant_id == b.0.tenant_id) {
            let clicks: Vec<ClickIn<'_>> = run
                .iter()
                .map(|(l, c, at, clicker)| ClickIn {
                    link: l,
                    visitor: &c.visitor_id,
                    clicker_partner: *clicker,
                    user_agent: &c.user_agent,
                    referrer: &c.referrer,
                    ip_hash: &c.ip_hash,
                    at: *at,
                })
                .collect();
            let mut tx = TenantTx::begin(&self.pool, run[0].0.tenant_id).await?;
            recorded += self.clicks(&mut tx, &clicks).await?.len() as u32;
            tx.commit().await?;
        }
        Ok(pb::RecordClicksResult { recorded })
    }

    /// L10: who the customer belongs to, since when, what protects it, and how it got there.
    pub(super) async fn binding_impl(
        &self,
        p: Principal,
        token: String,
        req: pb::CustomerBindingRequest,
    ) -> Result<pb::CustomerBinding, AppError> {
        let tenant = p.tenant()?;
        let customer = Uuid::parse_str(req.customer_id.trim()).map_err(|_| AppError::not_found("customer"))?;
        // Whoever may see the customer (its partner, the merchant) may see its binding.
        let ask = platform::grpc::request(
            partnerline_proto::customers::v1::CustomerRef { id: customer.to_string() },
            Some(&token),
        );
        self.customers.clone().get_customer(ask).await.map_err(|s| AppError::from_status(&s))?;
        let subject = customer_subject(customer);
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let settings = self.settings(&mut tx).await?;
        let b = store::binding(&mut tx, &subject).await?;
        let history = store::history(&mut tx, &subject).await?;
        tx.commit().await?;
        let now = self.clock.now();
        Ok(pb::CustomerBinding {
            customer_id: customer.to_string(),
            partner_id: b.map(|b| b.partner.to_string()),
            since: b.map(|b| ts(b.since)),
            protected_until: b.and_then(|b| b.protected_until(&settings)).filter(|u| *u > now).map(ts),
            valid_until: b.and_then(|b| b.valid_until(&settings)).map(ts),
            valid: b.is_some_and(|b| b.is_valid(&settings, now)),
            history: history
                .iter()
                .map(|h| pb::BindingEvent {
                    kind: h.kind.clone(),
                    partner_id: h.partner_id.to_string(),
                    from_partner_id: h.from_partner.map(|f| f.to_string()),
                    at: ts(h.at),
                    click_id: h.click_id.map(|c| c.to_string()),
                    reason: h.reason.clone(),
                })
                .collect(),
        })
    }
}
