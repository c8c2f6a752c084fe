//! Demo CRM for `partnerline seed --demo`: customers of Ana and Bo in both statuses and all four
//! temperatures, with prioritised notes, communication entries and one quick-order link. Safe to
//! run twice: a partner who has customers already is left alone.

use partnerline_proto::customers::v1 as pb;
use platform::db::TenantTx;
use uuid::Uuid;

use crate::CustomersService;
use crate::grpc::Access;
use crate::store::{self, CustomerFilter};

const NAMES: &[(&str, &str, &str, &str)] = &[
    ("Caffè Roma", "current", "hot", "it"),
    ("Bar Sport", "potential", "warm", "it"),
    ("Hotel Nord", "current", "cold", "it"),
    ("Pasticceria Dolce", "potential", "hot", "it"),
    ("Trattoria Lupo", "potential", "not_interested", "it"),
    ("Gelateria Sole", "current", "warm", "it"),
    ("Osteria Vino", "potential", "cold", "it"),
    ("Bistro Verde", "current", "hot", "en"),
    ("Panificio Grano", "potential", "warm", "it"),
    ("Enoteca Rossa", "current", "not_interested", "it"),
    ("Deli Kraków", "current", "hot", "pl"),
    ("Kawiarnia Mała", "potential", "warm", "pl"),
    ("Cafenea Veche", "current", "cold", "ro"),
    ("Bistro Bucur", "potential", "hot", "ro"),
    ("Piekarnia Złota", "potential", "not_interested", "pl"),
];

/// Seeds `partner`'s customers unless it has some already; returns how many were created.
pub async fn demo_for(
    svc: &CustomersService,
    tenant: Uuid,
    partner: Uuid,
    user: Uuid,
    admin: Uuid,
    offset: usize,
) -> anyhow::Result<usize> {
    let access = Access { tenant, owner: Some(partner), actor: user, role: platform::auth::Role::Partner };
    let mut tx = TenantTx::begin(&svc.pool, tenant).await?;
    let existing =
        store::list(&mut tx, &CustomerFilter { owner: Some(partner), limit: 1, ..Default::default() }).await?;
    tx.commit().await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for (i, (name, status, temperature, language)) in NAMES.iter().enumerate() {
        let slug: String = name.to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
        let c = svc
            .create_customer_impl(
                access,
                String::new(),
                pb::CreateCustomerRequest {
                    name: format!("{name}{}", if offset > 0 { " II" } else { "" }),
                    email: format!("orders{offset}@{slug}.test"),
                    phone: format!("+39 02 555 {:04}", offset * 100 + i),
                    status: (*status).into(),
                    temperature: (*temperature).into(),
                    discount_percent: ["0", "5", "7.5", "10"][i % 4].into(),
                    currency: "EUR".into(),
                    language: (*language).into(),
                    contact_person: "Owner".into(),
                    ..Default::default()
                },
            )
            .await?;
        let customer_id = c.id.clone();
        for (priority, body) in
            [("medium", "Asked about the autumn blend"), ("high", "Call back before Friday"), ("none", "Prefers email")]
                .into_iter()
                .take(1 + i % 3)
        {
            let note =
                pb::AddNoteRequest { customer_id: customer_id.clone(), priority: priority.into(), body: body.into() };
            svc.add_note_impl(access, note).await?;
        }
        if i % 2 == 0 {
            let entry = pb::AddCommunicationRequest {
                customer_id: customer_id.clone(),
                kind: ["call", "email", "meeting", "message"][i % 4].into(),
                occurred_at: String::new(),
                summary: "Followed up on the last order".into(),
            };
            svc.add_communication_impl(access, entry).await?;
        }
        if i == 0 {
            svc.create_link_impl(access, pb::CreateQuickOrderLinkRequest { id: customer_id, send_email: false })
                .await?;
        }
        n += 1;
    }
    // Leads in every status (LE2), moved by the merchant.
    let merchant = Access { tenant, owner: None, actor: admin, role: platform::auth::Role::MerchantAdmin };
    let moves: [&[(&str, &str)]; 4] = [
        &[],
        &[("in_progress", "")],
        &[("in_progress", ""), ("won", "pos-pro")],
        &[("in_progress", ""), ("not_eligible", "")],
    ];
    for (i, steps) in moves.iter().enumerate() {
        let company = ["Nuovo Bar", "Caffè Centrale", "Hotel Lago", "Chiosco Mare"][i];
        let lead = pb::SubmitLeadRequest {
            product_line: if i % 2 == 0 { "pos".into() } else { "plus".into() },
            contact_name: "Giulia Bianchi".into(),
            email: format!("giulia{offset}{i}@lead.test"),
            company: format!("{company}{}", if offset > 0 { " II" } else { "" }),
            website_url: format!("https://lead{offset}{i}.test"),
            notes: "Met at the trade fair".into(),
            wants_sales_support: i % 2 == 1,
        };
        let l = svc.submit_lead_impl(access, lead).await?;
        for (status, plan) in steps.iter() {
            let change = pb::ChangeLeadStatusRequest {
                id: l.id.clone(),
                status: (*status).into(),
                plan: (*plan).into(),
                revenue: if plan.is_empty() { String::new() } else { "2400.00".into() },
                currency: "EUR".into(),
            };
            svc.change_lead_status_impl(merchant, change).await?;
        }
    }
    Ok(n)
}

/// A partner's customers, oldest first, for other services' demo data.
pub async fn book(svc: &CustomersService, tenant: Uuid, partner: Uuid) -> anyhow::Result<Vec<store::CustomerRow>> {
    let mut tx = TenantTx::begin(&svc.pool, tenant).await?;
    let mut rows =
        store::list(&mut tx, &CustomerFilter { owner: Some(partner), limit: 100, ..Default::default() }).await?;
    tx.commit().await?;
    rows.reverse();
    Ok(rows.into_iter().map(|c| c.customer).collect())
}
