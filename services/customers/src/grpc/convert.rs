//! Rows to their protobuf form.

use partnerline_proto::customers::v1 as pb;

use crate::store::{CommunicationRow, CustomerCard, NoteRow};

pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn customer(card: &CustomerCard) -> pb::Customer {
    let c = &card.customer;
    let a = &c.address.0;
    pb::Customer {
        id: c.id.to_string(),
        tenant_id: c.tenant_id.to_string(),
        name: c.name.clone(),
        vat_number: c.vat_number.clone(),
        contact_person: c.contact_person.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        address: Some(pb::Address {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            region: a.region.clone(),
            country: a.country.clone(),
        }),
        status: c.status.clone(),
        temperature: c.temperature.clone(),
        discount_percent: crate::domain::discount_text(c.discount_percent),
        currency: c.currency.clone(),
        language: c.language.clone(),
        owner_partner_id: c.owner_partner_id.map(|p| p.to_string()),
        group_id: c.group_id.map(|g| g.to_string()),
        is_business: c.is_business,
        approval: c.approval.clone(),
        latest_note: card.latest_note().as_ref().map(note),
        has_quick_order_link: card.has_link,
        created_at: ts(c.created_at),
        updated_at: ts(c.updated_at),
        group_name: card.group_name.clone(),
        erased_at: c.erased_at.map(ts),
    }
}

pub fn note(n: &NoteRow) -> pb::Note {
    pb::Note {
        id: n.id.to_string(),
        customer_id: n.customer_id.to_string(),
        priority: n.priority.clone(),
        body: n.body.clone(),
        author_user_id: n.author_user_id.to_string(),
        created_at: ts(n.created_at),
        updated_at: ts(n.updated_at),
    }
}

pub fn communication(c: &CommunicationRow) -> pb::Communication {
    pb::Communication {
        id: c.id.to_string(),
        customer_id: c.customer_id.to_string(),
        kind: c.kind.clone(),
        occurred_at: ts(c.occurred_at),
        author_user_id: c.author_user_id.to_string(),
        summary: c.summary.clone(),
        created_at: ts(c.created_at),
    }
}
