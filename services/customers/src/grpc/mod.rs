//! The customers gRPC service: decode, authorize, call domain and store, encode.

mod convert;
mod crm;
mod customers;
mod groups;
mod leads;
mod links;
mod privacy;
mod reports;

use std::sync::Arc;

use partnerline_proto::customers::v1 as pb;
use partnerline_proto::customers::v1::customers_server::Customers;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use platform::auth::{Principal, Role, Verifier};
use platform::grpc::{FromCaller, Grant, Reply, authed, reply};
use platform::outbox::Outbox;
use platform::{AppError, Clock};
use sqlx::PgPool;
use tonic::Request;
use tonic::transport::Channel;
use uuid::Uuid;

#[derive(Clone)]
pub struct CustomersService {
    pub(crate) pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Verifier,
    pub(crate) clock: Clock,
    /// To check that a partner named as an owner exists, asked with the caller's own token.
    pub(crate) identity: IdentityClient<Channel>,
    pub(crate) settings: Arc<Settings>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Quick-order token lookups allowed per client within the window (CU8).
    pub lookups_per_window: i64,
    pub lookup_window_secs: i64,
}

/// Whose customers the caller reaches: a partner only its own (`owner`), merchant staff and
/// integrators all of the tenant's (CU6, A2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Access {
    pub tenant: Uuid,
    pub owner: Option<Uuid>,
    pub actor: Uuid,
    pub role: Role,
}

impl FromCaller for Access {
    fn from_caller(p: Principal, _token: &str) -> Result<Access, AppError> {
        let tenant = p.tenant()?;
        let owner = match p.role {
            Role::Partner => Some(p.partner.ok_or_else(|| AppError::forbidden("this account has no partner profile"))?),
            Role::MerchantAdmin | Role::SalesRep => None,
            // An API key's scope was checked by its call's `Grant` before this.
            Role::Integrator => None,
            Role::PlatformAdmin => return Err(AppError::forbidden("sign in to a program to see its customers")),
        };
        Ok(Access { tenant, owner, actor: p.subject, role: p.role })
    }
}

impl Access {
    pub fn is_partner(&self) -> bool {
        self.owner.is_some()
    }
}

pub(crate) fn parse_id(raw: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found(what))
}

#[tonic::async_trait]
impl Customers for CustomersService {
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> Reply<pb::Customer> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |(a, t), m| self.create_customer_impl(a, t, m))
            .await
    }
    async fn get_customer(&self, req: Request<pb::CustomerRef>) -> Reply<pb::Customer> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.get_customer_impl(a, m)).await
    }
    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> Reply<pb::Customer> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |(a, t), m| self.update_customer_impl(a, t, m))
            .await
    }
    async fn delete_customer(&self, req: Request<pb::CustomerRef>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.delete_customer_impl(a, m)).await
    }
    async fn list_customers(&self, req: Request<pb::ListCustomersRequest>) -> Reply<pb::CustomerPage> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.list_customers_impl(a, m)).await
    }
    async fn customer_counts(&self, req: Request<pb::CustomerCountsQuery>) -> Reply<pb::CustomerCounts> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.customer_counts_impl(a, m)).await
    }
    async fn register_customer(&self, req: Request<pb::RegisterCustomerRequest>) -> Reply<pb::Customer> {
        reply(self.register_customer_impl(req.into_inner()).await)
    }
    async fn approve_customer(&self, req: Request<pb::ApproveCustomerRequest>) -> Reply<pb::Customer> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |(a, t), m| self.approve_customer_impl(a, t, m))
            .await
    }
    async fn export_customer(&self, req: Request<pb::CustomerRef>) -> Reply<pb::CustomerExport> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.export_customer_impl(a, m)).await
    }
    async fn erase_customer(&self, req: Request<pb::EraseCustomerRequest>) -> Reply<pb::Customer> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.erase_customer_impl(a, m)).await
    }
    async fn create_group(&self, req: Request<pb::CreateGroupRequest>) -> Reply<pb::CustomerGroup> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |(a, t), m| self.create_group_impl(a, t, m)).await
    }
    async fn list_groups(&self, req: Request<pb::Empty>) -> Reply<pb::GroupList> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, _| self.list_groups_impl(a)).await
    }
    async fn get_group(&self, req: Request<pb::GroupRef>) -> Reply<pb::CustomerGroup> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.get_group_impl(a, m)).await
    }
    async fn update_group(&self, req: Request<pb::UpdateGroupRequest>) -> Reply<pb::CustomerGroup> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |(a, t), m| self.update_group_impl(a, t, m)).await
    }
    async fn delete_group(&self, req: Request<pb::GroupRef>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.delete_group_impl(a, m)).await
    }
    async fn list_notes(&self, req: Request<pb::CustomerRef>) -> Reply<pb::NoteList> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.list_notes_impl(a, m)).await
    }
    async fn add_note(&self, req: Request<pb::AddNoteRequest>) -> Reply<pb::Note> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.add_note_impl(a, m)).await
    }
    async fn update_note(&self, req: Request<pb::UpdateNoteRequest>) -> Reply<pb::Note> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.update_note_impl(a, m)).await
    }
    async fn delete_note(&self, req: Request<pb::NoteRef>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.delete_note_impl(a, m)).await
    }
    async fn list_communications(&self, req: Request<pb::CustomerRef>) -> Reply<pb::CommunicationList> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.list_communications_impl(a, m)).await
    }
    async fn add_communication(&self, req: Request<pb::AddCommunicationRequest>) -> Reply<pb::Communication> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.add_communication_impl(a, m)).await
    }
    async fn create_quick_order_link(
        &self,
        req: Request<pb::CreateQuickOrderLinkRequest>,
    ) -> Reply<pb::QuickOrderLink> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.create_link_impl(a, m)).await
    }
    async fn revoke_quick_order_link(&self, req: Request<pb::CustomerRef>) -> Reply<pb::Empty> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.revoke_link_impl(a, m)).await
    }
    async fn submit_lead(&self, req: Request<pb::SubmitLeadRequest>) -> Reply<pb::Lead> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.submit_lead_impl(a, m)).await
    }
    async fn get_lead(&self, req: Request<pb::LeadRef>) -> Reply<pb::Lead> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.get_lead_impl(a, m)).await
    }
    async fn list_leads(&self, req: Request<pb::ListLeadsRequest>) -> Reply<pb::LeadPage> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.list_leads_impl(a, m)).await
    }
    async fn change_lead_status(&self, req: Request<pb::ChangeLeadStatusRequest>) -> Reply<pb::Lead> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |a, m| self.change_lead_status_impl(a, m)).await
    }
    async fn assign_sales_rep(&self, req: Request<pb::AssignSalesRepRequest>) -> Reply<pb::Lead> {
        authed(&self.verifier, req, Grant::Scope("customers:write"), |(a, t), m| self.assign_sales_rep_impl(a, t, m))
            .await
    }
    async fn list_referrals(&self, req: Request<pb::ListReferralsRequest>) -> Reply<pb::ReferralPage> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |a, m| self.list_referrals_impl(a, m)).await
    }
    async fn resolve_quick_order_token(
        &self,
        req: Request<pb::ResolveQuickOrderTokenRequest>,
    ) -> Reply<pb::QuickOrderCustomer> {
        reply(self.resolve_token_impl(req.into_inner()).await)
    }
}
