//! L1: posters. The merchant sets a design (background and text colours, headline); a partner
//! (or the merchant for a partner) issues a poster, which gets a link of its own valid for 30
//! days. The poster's PNG prints the QR code and address of that link; once the 30 days are
//! over the link leads to the shop's home without binding anyone, the image is refused as
//! expired and the partner is told to issue a new poster.

use chrono::{DateTime, Duration, Utc};
use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use platform::error::FieldError;
use uuid::Uuid;

use super::links::target;
use crate::events::ts;
use crate::poster_image::{self as poster, Rgb};
use crate::service::{AttributionService, new_code};
use crate::store::{self, DesignRow, LinkRow, PosterRow};

/// L1: a poster is valid for 30 days from issue.
pub const POSTER_DAYS: i64 = 30;

fn default_design() -> DesignRow {
    DesignRow {
        background: "#1F3A5F".into(),
        text_color: "#FFFFFF".into(),
        headline: "Scan the code to shop with my link".into(),
    }
}

fn design_message(d: DesignRow) -> pb::PosterDesign {
    pb::PosterDesign { background: d.background, text_color: d.text_color, headline: d.headline }
}

fn poster_message(p: &PosterRow, now: DateTime<Utc>) -> pb::Poster {
    pb::Poster {
        id: p.id.to_string(),
        partner_id: p.partner_id.to_string(),
        link_id: p.link_id.to_string(),
        code: p.code.clone(),
        target_url: p.target_url.clone(),
        headline: p.headline.clone(),
        created_at: ts(p.created_at),
        expires_at: ts(p.expires_at),
        expired: now >= p.expires_at,
    }
}

/// Checks a design; every bad field is named.
fn validate(d: &pb::PosterDesign) -> Result<DesignRow, AppError> {
    let mut errors = Vec::new();
    let colour = |field: &'static str, v: &str, errors: &mut Vec<(&'static str, String)>| {
        if Rgb::parse(v.trim()).is_none() {
            errors.push((field, "must be a colour written #RRGGBB".to_string()));
        }
        v.trim().to_uppercase()
    };
    let background = colour("background", &d.background, &mut errors);
    let text_color = colour("text_color", &d.text_color, &mut errors);
    let headline = d.headline.trim();
    if headline.is_empty() {
        errors.push(("headline", "must not be empty".into()));
    } else if headline.chars().count() > 120 {
        errors.push(("headline", "must be at most 120 characters".into()));
    }
    if background == text_color && errors.is_empty() {
        errors.push(("text_color", "must differ from the background, or the text cannot be read".into()));
    }
    if !errors.is_empty() {
        let errors = errors.into_iter().map(|(field, message)| FieldError { field: field.into(), message }).collect();
        return Err(AppError::invalid_fields(errors));
    }
    Ok(DesignRow { background, text_color, headline: headline.to_string() })
}

impl AttributionService {
    pub(crate) async fn poster_design_impl(&self, p: Principal) -> Result<pb::PosterDesign, AppError> {
        let tenant = p.tenant()?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let d = store::poster_design(&mut tx).await?;
        tx.commit().await?;
        Ok(design_message(d.unwrap_or_else(default_design)))
    }

    pub(crate) async fn put_poster_design_impl(
        &self,
        p: Principal,
        req: pb::PosterDesign,
    ) -> Result<pb::PosterDesign, AppError> {
        let tenant = p.tenant()?;
        if p.role != Role::MerchantAdmin {
            return Err(AppError::forbidden("only the merchant's admins set the poster design"));
        }
        let d = validate(&req)?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::put_poster_design(&mut tx, &d, self.clock.now()).await?;
        tx.commit().await?;
        Ok(design_message(d))
    }

    pub(crate) async fn create_poster_impl(
        &self,
        p: Principal,
        req: pb::CreatePosterRequest,
    ) -> Result<pb::Poster, AppError> {
        let tenant = p.tenant()?;
        let partner = p
            .whose(req.partner_id.as_deref())?
            .ok_or_else(|| AppError::invalid("partner_id", "name the partner the poster is for"))?;
        let target_url =
            if req.target_url.trim().is_empty() { self.home_url.clone() } else { target(&req.target_url)? };
        let now = self.clock.now();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let Some(who) = store::partner(&mut tx, partner).await? else {
            return Err(AppError::invalid("partner_id", "no such partner"));
        };
        if !who.active {
            return Err(AppError::conflict("partner_suspended", "a suspended partner's links do not attribute (P5)"));
        }
        let design = store::poster_design(&mut tx).await?.unwrap_or_else(default_design);
        let expires_at = now + Duration::days(POSTER_DAYS);
        let mut link = LinkRow {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            partner_id: partner,
            code: new_code(),
            kind: "poster".into(),
            target_url,
            label: format!("Poster until {}", expires_at.format("%Y-%m-%d")),
            active: true,
            created_at: now,
            expires_at: Some(expires_at),
        };
        while !store::insert_link(&mut tx, &link).await? {
            link.code = new_code();
        }
        self.link_created(&mut tx, &link).await?;
        let poster = PosterRow {
            id: Uuid::now_v7(),
            partner_id: partner,
            link_id: link.id,
            partner_name: who.name,
            background: design.background,
            text_color: design.text_color,
            headline: design.headline,
            created_at: now,
            expires_at,
            code: link.code.clone(),
            target_url: link.target_url.clone(),
        };
        store::insert_poster(&mut tx, &poster).await?;
        tx.commit().await?;
        Ok(poster_message(&poster, now))
    }

    pub(crate) async fn list_posters_impl(
        &self,
        p: Principal,
        req: pb::ListPostersRequest,
    ) -> Result<pb::PosterList, AppError> {
        let tenant = p.tenant()?;
        let partner = p.whose(req.partner_id.as_deref())?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = store::posters(&mut tx, partner).await?;
        tx.commit().await?;
        let now = self.clock.now();
        Ok(pb::PosterList { items: rows.iter().map(|r| poster_message(r, now)).collect() })
    }

    pub(crate) async fn poster_image_impl(
        &self,
        p: Principal,
        req: pb::PosterImageRequest,
    ) -> Result<pb::LinkQr, AppError> {
        let tenant = p.tenant()?;
        let id = Uuid::parse_str(req.id.trim()).map_err(|_| AppError::not_found("poster"))?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let row = store::poster(&mut tx, id).await?;
        tx.commit().await?;
        let visible = |r: &PosterRow| match p.role {
            Role::Partner => p.partner == Some(r.partner_id),
            Role::MerchantAdmin | Role::SalesRep | Role::Integrator => true,
            _ => false,
        };
        let row = row.filter(visible).ok_or_else(|| AppError::not_found("poster"))?;
        if self.clock.now() >= row.expires_at {
            return Err(AppError::conflict(
                "poster_expired",
                format!(
                    "this poster expired on {}: its link no longer attributes; issue a new poster \
                     (POST /api/v1/posters)",
                    row.expires_at.format("%Y-%m-%d")
                ),
            ));
        }
        let url = format!("{}/r/{}", req.public_url.trim_end_matches('/'), row.code);
        // The last day it is valid: it expires at the start of the 31st day.
        let last = (row.expires_at - Duration::seconds(1)).format("%Y-%m-%d");
        let spec = poster::Poster {
            background: Rgb::parse(&row.background).unwrap_or(Rgb([0x1f, 0x3a, 0x5f])),
            text_color: Rgb::parse(&row.text_color).unwrap_or(Rgb([255, 255, 255])),
            headline: &row.headline,
            partner_name: &row.partner_name,
            url: &url,
            validity: &format!("Valid until {last}"),
        };
        let body = poster::render(&spec).map_err(AppError::internal)?;
        Ok(pb::LinkQr { content_type: "image/png".into(), body })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn l1_poster_designs_are_validated_field_by_field() {
        let ok =
            pb::PosterDesign { background: "#00aa00".into(), text_color: "#fff000".into(), headline: " Hi ".into() };
        let d = validate(&ok).unwrap();
        assert_eq!((d.background.as_str(), d.headline.as_str()), ("#00AA00", "Hi"));
        let bad = pb::PosterDesign { background: "green".into(), text_color: "#12345".into(), headline: "".into() };
        let e = validate(&bad).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["background", "text_color", "headline"]);
        let same = pb::PosterDesign { text_color: "#00AA00".into(), ..ok };
        assert_eq!(validate(&same).unwrap_err().errors[0].field, "text_color");
    }
}
