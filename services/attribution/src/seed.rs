//! Demo attribution for `partnerline seed --demo`: every demo partner's referral link, clicks over
//! the last three weeks, and bindings for their customers, so the relationship query and the click
//! counts show something. Safe to run twice: a program with links is left alone.

use chrono::Duration;
use platform::db::TenantTx;
use uuid::Uuid;

use crate::AttributionService;
use crate::store::{self, PartnerRow};

/// A demo partner, its parent, and the customers it keeps.
pub struct DemoPartner {
    pub partner: Uuid,
    pub parent: Option<Uuid>,
    pub customers: Vec<Uuid>,
}

pub async fn demo(svc: &AttributionService, tenant: Uuid, partners: &[DemoPartner]) -> anyhow::Result<Vec<String>> {
    let err = |e: platform::AppError| anyhow::anyhow!("{}: {}", e.code, e.message);
    let mut tx = TenantTx::begin(&svc.pool, tenant).await?;
    if !store::links(&mut tx, None).await?.is_empty() {
        return Ok(Vec::new());
    }
    let now = svc.clock.now();
    let mut clicks = 0;
    for (n, p) in partners.iter().enumerate() {
        let row = PartnerRow {
            id: p.partner,
            user_id: None,
            parent_id: p.parent,
            active: true,
            name: String::new(),
            email: String::new(),
            phone: String::new(),
            payout_email: String::new(),
            payout_holder: String::new(),
        };
        store::put_partner(&mut tx, &row, now - Duration::days(30)).await?;
        svc.ensure_referral_link(&mut tx, p.partner).await.map_err(err)?;
        let link = store::links(&mut tx, Some(p.partner)).await?.into_iter().find(|l| l.kind == "referral");
        let Some(link) = link else { continue };
        // Visitors over the last 21 days, a few a day, some coming back.
        for i in 0..(24 - 6 * n) {
            let at = now - Duration::days(21 - (i as i64 * 7) % 21) - Duration::hours(i as i64 % 9);
            let visitor = format!("{:032x}", (n as u128) << 64 | (i % 15) as u128);
            let hash = format!("{:064x}", i % 11);
            svc.click(&mut tx, &link, &visitor, None, "Mozilla/5.0 (demo)", "https://social.example/", &hash, at)
                .await
                .map_err(err)?;
            clicks += 1;
        }
        for (i, c) in p.customers.iter().enumerate() {
            let at = now - Duration::days(i as i64 % 14);
            let subject = crate::service::customer_subject(*c);
            if store::binding(&mut tx, &subject).await?.is_none() {
                let b = crate::domain::Binding { partner: p.partner, since: at, last_click: at };
                let bind = crate::domain::Decision::Bind(b);
                svc.apply(&mut tx, &subject, None, bind, None, "registration", at).await.map_err(err)?;
            }
        }
    }
    tx.commit().await?;
    Ok(vec![format!("referral links, {clicks} clicks and customer bindings for {} partners", partners.len())])
}
