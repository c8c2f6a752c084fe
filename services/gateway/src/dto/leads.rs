//! Leads and referrals, as JSON.

use partnerline_proto::customers::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesRep {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadEvent {
    pub at: String,
    pub actor_user_id: String,
    /// status or sales_rep
    pub change: String,
    pub from_status: String,
    pub to_status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Lead {
    pub id: String,
    pub partner_id: String,
    pub product_line: String,
    pub contact_name: String,
    pub email: String,
    pub company: String,
    pub website_url: String,
    pub notes: String,
    pub wants_sales_support: bool,
    /// submitted, in_progress, won or not_eligible
    pub status: String,
    /// The rep handling the lead; the partner sees whom to talk to (LE2).
    pub sales_rep: Option<SalesRep>,
    pub plan: String,
    pub revenue: String,
    pub currency: String,
    pub won_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Every change with time and actor (LE2); empty in lists.
    pub timeline: Vec<LeadEvent>,
}

impl From<pb::Lead> for Lead {
    fn from(l: pb::Lead) -> Self {
        Lead {
            id: l.id,
            partner_id: l.partner_id,
            product_line: l.product_line,
            contact_name: l.contact_name,
            email: l.email,
            company: l.company,
            website_url: l.website_url,
            notes: l.notes,
            wants_sales_support: l.wants_sales_support,
            status: l.status,
            sales_rep: l.sales_rep.map(|r| SalesRep {
                user_id: r.user_id,
                name: r.name,
                email: r.email,
                phone: r.phone,
            }),
            plan: l.plan,
            revenue: l.revenue,
            currency: l.currency,
            won_at: l.won_at,
            created_at: l.created_at,
            updated_at: l.updated_at,
            timeline: l
                .timeline
                .into_iter()
                .map(|e| LeadEvent {
                    at: e.at,
                    actor_user_id: e.actor_user_id,
                    change: e.change,
                    from_status: e.from_status,
                    to_status: e.to_status,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitLead {
    /// e.g. plus or pos
    pub product_line: String,
    pub contact_name: String,
    pub email: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub website_url: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub wants_sales_support: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeadQuery {
    pub status: Option<String>,
    /// Part of the contact name, email, company or website.
    pub q: Option<String>,
    /// created_at (default), updated_at, status, product_line, contact_name, email, company or website_url
    pub sort: Option<String>,
    /// asc or desc (default desc)
    pub order: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeLeadStatus {
    /// in_progress, won or not_eligible
    pub status: String,
    /// Required when won.
    #[serde(default)]
    pub plan: String,
    /// Required when won: a decimal string.
    #[serde(default)]
    pub revenue: String,
    #[serde(default)]
    pub currency: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignSalesRep {
    pub user_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Referral {
    pub lead_id: String,
    pub partner_id: String,
    pub company: String,
    pub contact_name: String,
    pub product_line: String,
    pub won_at: String,
    pub plan: String,
    pub revenue: String,
    pub currency: String,
}

impl From<pb::Referral> for Referral {
    fn from(r: pb::Referral) -> Self {
        Referral {
            lead_id: r.lead_id,
            partner_id: r.partner_id,
            company: r.company,
            contact_name: r.contact_name,
            product_line: r.product_line,
            won_at: r.won_at,
            plan: r.plan,
            revenue: r.revenue,
            currency: r.currency,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReferralQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}
