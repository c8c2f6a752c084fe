//! Customers, notes, communications and quick-order links, as JSON.

use partnerline_proto::customers::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::nullable;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2
    #[serde(default)]
    pub country: String,
}

impl From<Address> for pb::Address {
    fn from(a: Address) -> Self {
        pb::Address {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postal_code: a.postal_code,
            region: a.region,
            country: a.country,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Note {
    pub id: String,
    pub customer_id: String,
    /// high (red), medium (yellow) or none
    pub priority: String,
    pub body: String,
    pub author_user_id: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<pb::Note> for Note {
    fn from(n: pb::Note) -> Self {
        Note {
            id: n.id,
            customer_id: n.customer_id,
            priority: n.priority,
            body: n.body,
            author_user_id: n.author_user_id,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// A customer, with what its card shows (CU2): the latest note and whether it has a link.
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub vat_number: String,
    pub contact_person: String,
    pub email: String,
    pub phone: String,
    pub address: Option<Address>,
    /// current or potential
    pub status: String,
    /// hot, warm, cold or not_interested
    pub temperature: String,
    pub discount_percent: String,
    pub currency: String,
    pub language: String,
    pub owner_partner_id: Option<String>,
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub is_business: bool,
    /// active, or pending_approval while a business customer waits for the merchant (CU7)
    pub approval: String,
    pub latest_note: Option<Note>,
    pub has_quick_order_link: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<pb::Customer> for Customer {
    fn from(c: pb::Customer) -> Self {
        Customer {
            id: c.id,
            name: c.name,
            vat_number: c.vat_number,
            contact_person: c.contact_person,
            email: c.email,
            phone: c.phone,
            address: c.address.map(|a| Address {
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                postal_code: a.postal_code,
                region: a.region,
                country: a.country,
            }),
            status: c.status,
            temperature: c.temperature,
            discount_percent: c.discount_percent,
            currency: c.currency,
            language: c.language,
            owner_partner_id: c.owner_partner_id,
            group_id: c.group_id,
            group_name: c.group_name,
            is_business: c.is_business,
            approval: c.approval,
            latest_note: c.latest_note.map(Into::into),
            has_quick_order_link: c.has_quick_order_link,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub name: String,
    #[serde(default)]
    pub vat_number: String,
    #[serde(default)]
    pub contact_person: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub address: Option<Address>,
    /// current or potential (default)
    #[serde(default)]
    pub status: String,
    /// hot, warm (default), cold or not_interested
    #[serde(default)]
    pub temperature: String,
    /// "0"–"100", two decimals
    #[serde(default)]
    pub discount_percent: String,
    /// ISO 4217, default the program currency
    #[serde(default)]
    pub currency: String,
    /// en (default), it, ro, pl or zh
    #[serde(default)]
    pub language: String,
    /// Merchants only: the owning partner.
    pub owner_partner_id: Option<String>,
    /// A business customer; added by a partner it waits for approval when the program says so (CU7).
    #[serde(default)]
    pub is_business: bool,
    /// Merchants only (CU7): the customer group; a group assigned to a partner makes it that partner's.
    pub group_id: Option<String>,
}

impl From<CreateCustomer> for pb::CreateCustomerRequest {
    fn from(b: CreateCustomer) -> Self {
        pb::CreateCustomerRequest {
            name: b.name,
            vat_number: b.vat_number,
            contact_person: b.contact_person,
            email: b.email,
            phone: b.phone,
            address: b.address.map(Into::into),
            status: b.status,
            temperature: b.temperature,
            discount_percent: b.discount_percent,
            currency: b.currency,
            language: b.language,
            owner_partner_id: b.owner_partner_id,
            is_business: b.is_business,
            group_id: b.group_id,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub name: Option<String>,
    pub vat_number: Option<String>,
    pub contact_person: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Address>,
    pub status: Option<String>,
    pub temperature: Option<String>,
    pub discount_percent: Option<String>,
    pub currency: Option<String>,
    pub language: Option<String>,
    /// Merchants only (CU6): reassign to another partner; `null` leaves the customer unassigned.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub owner_partner_id: Option<Option<String>>,
    /// Merchants only (CU7): move the customer to a group (`null` takes it out).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<Option<String>>,
}

impl UpdateCustomer {
    pub fn into_request(self, id: String) -> pb::UpdateCustomerRequest {
        pb::UpdateCustomerRequest {
            id,
            name: self.name,
            vat_number: self.vat_number,
            contact_person: self.contact_person,
            email: self.email,
            phone: self.phone,
            address: self.address.map(Into::into),
            status: self.status,
            temperature: self.temperature,
            discount_percent: self.discount_percent,
            currency: self.currency,
            language: self.language,
            owner_partner_id: self.owner_partner_id.map(|o| o.unwrap_or_default()),
            group_id: self.group_id.map(|g| g.unwrap_or_default()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Part of a name, email or phone (case-insensitive).
    pub q: Option<String>,
    /// current or potential
    pub status: Option<String>,
    /// hot, warm, cold or not_interested
    pub temperature: Option<String>,
    /// Merchants: one partner's customers.
    pub owner_partner_id: Option<String>,
    /// active or pending_approval (CU7: the merchant's approval queue)
    pub approval: Option<String>,
    /// One group's customers.
    pub group_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteList {
    pub items: Vec<Note>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNote {
    /// high, medium or none (default)
    #[serde(default)]
    pub priority: String,
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNote {
    pub priority: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Communication {
    pub id: String,
    pub customer_id: String,
    /// call, email, meeting or message
    pub kind: String,
    pub occurred_at: String,
    pub author_user_id: String,
    pub summary: String,
    pub created_at: String,
}

impl From<pb::Communication> for Communication {
    fn from(c: pb::Communication) -> Self {
        Communication {
            id: c.id,
            customer_id: c.customer_id,
            kind: c.kind,
            occurred_at: c.occurred_at,
            author_user_id: c.author_user_id,
            summary: c.summary,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommunicationList {
    pub items: Vec<Communication>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCommunication {
    pub kind: String,
    /// RFC 3339; default now.
    #[serde(default)]
    pub occurred_at: String,
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuickOrderLink {
    pub customer_id: String,
    /// Shown once; regenerating replaces it.
    pub token: String,
    /// The link to send to the customer.
    pub url: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuickOrderCustomer {
    pub customer_name: String,
    pub discount_percent: String,
    pub currency: String,
    pub language: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCustomer {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub language: String,
    /// The code of the partner link the customer came through (L8).
    pub referral_code: Option<String>,
    #[serde(default)]
    pub is_business: bool,
    #[serde(default)]
    pub vat_number: String,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ApproveCustomer {
    /// The partner the customer belongs to; may be left out when it already has one.
    pub owner_partner_id: Option<String>,
}

/// CU7: a group of customers, maybe assigned to a partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerGroup {
    pub id: String,
    pub name: String,
    pub partner_id: Option<String>,
    pub customer_count: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<pb::CustomerGroup> for CustomerGroup {
    fn from(g: pb::CustomerGroup) -> Self {
        CustomerGroup {
            id: g.id,
            name: g.name,
            partner_id: g.partner_id,
            customer_count: g.customer_count,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<CustomerGroup>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    pub name: String,
    /// Assign the group to a partner: its customers become that partner's.
    pub partner_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    pub name: Option<String>,
    /// A partner id moves the group and all its customers to that partner; `null` unassigns the
    /// group (its customers keep their owner).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub partner_id: Option<Option<String>>,
}
