//! `/promote` (L1, L9, L12, the salesperson center): the products the partner can promote, each
//! with the rate and the amount it earns this partner, a share link (copy, QR as SVG or PNG) and
//! a poster valid 30 days; and the partner's coupons, with a form within the merchant's limits.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::{HeaderValue, StatusCode};
use partnerline_proto::attribution::v1 as apb;
use partnerline_proto::commissions::v1 as cpb;
use partnerline_proto::orders::v1 as opb;
use rust_decimal::Decimal;

use super::{Errors, Form, Frame, is_form_error, render};
use crate::session::Signed;
use platform::AppError;

/// Sorts of the product list: newest listed, best sold by this partner, by price either way.
pub const SORTS: [(&str, &str); 4] = [
    ("-created_at", "promote-sort-newest"),
    ("-sold", "promote-sort-sales"),
    ("price", "promote-sort-price-asc"),
    ("-price", "promote-sort-price-desc"),
];

/// One product as the partner promotes it.
pub struct Item {
    pub p: opb::Product,
    /// The rate that applies to this partner: the product's own, else the partner's current one.
    pub rate: String,
    /// What one sale at the base price earns the partner, when the rate is a percentage.
    pub earns: Option<String>,
    /// The partner's share link to this product, if it made one.
    pub link: Option<apb::Link>,
    /// Units of it the partner sold (counted orders, less returns).
    pub sold: u64,
}

#[derive(Template)]
#[template(path = "promote.html")]
struct PromotePage {
    c: Frame,
    title: String,
    items: Vec<Item>,
    sort: String,
    posters: Vec<apb::Poster>,
    coupons: Vec<opb::Coupon>,
    public_url: String,
    fv: HashMap<String, String>,
    errors: Errors,
}

impl PromotePage {
    pub fn sort_is(&self, v: &str) -> bool {
        self.sort == v
    }

    pub fn v(&self, name: &str) -> &str {
        self.fv.get(name).map_or("", String::as_str)
    }

    pub fn link_url(&self, l: &apb::Link) -> String {
        format!("{}/r/{}", self.public_url, l.code)
    }
}

/// Where a product's share link leads: the shop's page of the product, by its SKU (products have
/// no address of their own yet).
fn product_url(home: &str, sku: &str) -> String {
    let sku: String = form_urlencoded::byte_serialize(sku.as_bytes()).collect();
    let sep = if home.contains('?') { '&' } else { '?' };
    format!("{home}{sep}product={sku}")
}

async fn promote_page(
    s: &AppState,
    signed: &Signed,
    sort: &str,
    form: Option<&Form>,
    errors: Errors,
) -> Result<Response, AppError> {
    let (c, _) = Frame::load(s, signed, "promote", "/promote").await?;
    let (mut pr, mut co, mut at, mut po, mut cu, mut so) =
        (s.orders(), s.commissions(), s.attribution(), s.attribution(), s.orders(), s.orders());
    let products = opb::ListProductsRequest { limit: 100, ..Default::default() };
    let (products, rate, links, posters, coupons, sold) = tokio::try_join!(
        pr.list_products(signed.0.request(products)),
        co.get_current_rate(signed.0.request(cpb::CurrentRateQuery { partner_id: None })),
        at.list_links(signed.0.request(apb::ListLinksRequest { partner_id: None })),
        po.list_posters(signed.0.request(apb::ListPostersRequest { partner_id: None })),
        cu.list_coupons(signed.0.request(opb::ListCouponsRequest { partner_id: None })),
        so.product_sales(signed.0.request(opb::SalesQuery::default())),
    )
    .map_err(upstream)?;
    let sold: HashMap<String, u64> = sold.into_inner().rows.into_iter().map(|r| (r.product_id, r.units)).collect();
    let rate = rate.into_inner();
    let links = links.into_inner().items;
    let home = s.redirect.home_url.clone();
    let mut items: Vec<Item> = products
        .into_inner()
        .items
        .into_iter()
        .map(|p| {
            let (rate_text, pct) = match (&p.commission_rate, rate.kind.as_str()) {
                (Some(r), _) => (c.percent(r), r.parse::<Decimal>().ok()),
                (None, "percent") => (c.percent(&rate.value), rate.value.parse::<Decimal>().ok()),
                (None, _) => (c.money(&rate.value, &p.currency), None),
            };
            let earns = pct.and_then(|r| {
                let price = p.base_price.parse::<Decimal>().ok()?;
                Some(c.money(&(price * r / Decimal::from(100)).round_dp(2).to_string(), &p.currency))
            });
            let target = product_url(&home, &p.sku);
            let link = links.iter().find(|l| l.kind == "share" && l.active && l.target_url == target).cloned();
            let sold = sold.get(&p.id).copied().unwrap_or(0);
            Item { p, rate: rate_text, earns, link, sold }
        })
        .collect();
    let price = |i: &Item| i.p.base_price.parse::<Decimal>().unwrap_or_default();
    match sort {
        "price" => items.sort_by_key(price),
        "-price" => items.sort_by_key(|i| std::cmp::Reverse(price(i))),
        "-sold" => items.sort_by_key(|i| std::cmp::Reverse(i.sold)),
        _ => items.sort_by(|a, b| b.p.created_at.cmp(&a.p.created_at)),
    }
    let fv = ["code", "discount_percent", "expires_at", "max_uses"]
        .into_iter()
        .map(|k| (k.to_string(), form.map(|f| f.get(k)).unwrap_or_default()))
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = c.t("promote-title");
    let page = PromotePage {
        c,
        title,
        items,
        sort: sort.to_string(),
        posters: posters.into_inner().items,
        coupons: coupons.into_inner().items,
        public_url: s.redirect.public_url.trim_end_matches('/').to_string(),
        fv,
        errors,
    };
    Ok(render(status, &page))
}

pub async fn page(
    State(s): State<AppState>,
    signed: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let sort = q.get("sort").map(String::as_str).filter(|v| SORTS.iter().any(|(s, _)| s == v)).unwrap_or("-created_at");
    promote_page(&s, &signed, sort, None, Errors::default()).await
}

/// L1: a share link to a product.
pub async fn share(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let product = s
        .orders()
        .get_product(signed.0.request(opb::ProductRef { id: form.get("product_id") }))
        .await
        .map_err(upstream)?
        .into_inner();
    let req = apb::CreateLinkRequest {
        target_url: product_url(&s.redirect.home_url, &product.sku),
        label: product.name.clone(),
        partner_id: None,
    };
    s.attribution().create_link(signed.0.request(req)).await.map_err(upstream)?;
    Ok(Redirect::to(&format!("/promote#product-{}", product.id)).into_response())
}

/// L1: a poster, its link valid 30 days.
pub async fn poster(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let target = match form.opt("product_id") {
        Some(id) => {
            let p =
                s.orders().get_product(signed.0.request(opb::ProductRef { id })).await.map_err(upstream)?.into_inner();
            product_url(&s.redirect.home_url, &p.sku)
        }
        None => String::new(),
    };
    let req =
        apb::CreatePosterRequest { target_url: target, partner_id: None, public_url: s.redirect.public_url.clone() };
    s.attribution().create_poster(signed.0.request(req)).await.map_err(upstream)?;
    Ok(Redirect::to("/promote#posters").into_response())
}

/// `/posters/{id}/image`: the poster as the merchant designed it, with the partner's QR code.
pub async fn poster_image(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let req = apb::PosterImageRequest { id, public_url: s.redirect.public_url.clone() };
    let img = s.attribution().get_poster_image(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    Ok(gateway::routes::links::image(img))
}

/// `/links/{id}/qr.png`: the QR code as a PNG, to download and print.
pub async fn qr_png(State(s): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, AppError> {
    let req = apb::LinkQrRequest { link_id: id, format: "png".into(), public_url: s.redirect.public_url.clone() };
    let q = s.attribution().get_link_qr(signed.0.request(req)).await.map_err(upstream)?.into_inner();
    let mut res = gateway::routes::links::image(q);
    res.headers_mut()
        .insert(http::header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"qr.png\""));
    Ok(res)
}

/// L9: a coupon of the partner's, within the merchant's limits (the orders service checks them).
pub async fn coupon(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let max_uses = form.get("max_uses");
    let mut errors = form.errors.clone();
    let max = if max_uses.is_empty() {
        0
    } else {
        max_uses.parse::<u32>().unwrap_or_else(|_| {
            errors.push(platform::error::FieldError {
                field: "max_uses".into(),
                message: signed.1.lang("").t("promote-max-uses-bad"),
            });
            0
        })
    };
    let req = opb::CreateCouponRequest {
        code: form.get("code").to_uppercase(),
        discount_percent: form.get("discount_percent"),
        expires_at: form.get("expires_at"),
        max_uses: max,
        ..Default::default()
    };
    let result = if errors.is_empty() {
        s.orders().create_coupon(signed.0.request(req)).await.map(|_| ()).map_err(upstream)
    } else {
        Err(AppError::invalid_fields(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to("/promote#coupons").into_response()),
        Err(err) if is_form_error(&err) || err.kind == platform::ErrorKind::Conflict => {
            let e = Errors::of(&err, signed.1.lang(""));
            promote_page(&s, &signed, "-created_at", Some(&form), e).await
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l1_a_product_link_leads_to_the_shop_page_of_its_sku() {
        assert_eq!(product_url("https://shop.example/", "POS T1"), "https://shop.example/?product=POS+T1");
        assert_eq!(product_url("https://shop.example/?ref=pl", "A&B"), "https://shop.example/?ref=pl&product=A%26B");
    }
}
