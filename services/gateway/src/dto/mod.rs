//! The JSON shapes of the REST API and their conversions to and from the identity protobufs.
//! Request bodies refuse unknown fields, so a typo is a 422 naming it. Decimal amounts and rates
//! are strings ("12.50"): a JSON number is refused, so no float ever enters.

mod customers;
mod leads;
mod program;

use std::collections::BTreeMap;

use partnerline_proto::identity::v1 as pb;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use customers::*;
pub use leads::*;
pub use program::*;

/// Distinguishes a field set to `null` (`Some(None)`) from a missing one (`None`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// Program slug; needed only when the email has accounts in several programs.
    pub program: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

impl From<pb::TokenPair> for TokenPair {
    fn from(t: pb::TokenPair) -> Self {
        TokenPair {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: t.token_type,
            expires_in: t.expires_in,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// platform_admin, merchant_admin, sales_rep, partner or integrator
    pub role: String,
    pub tenant_id: Option<String>,
    pub program_slug: Option<String>,
    pub program_name: Option<String>,
    pub partner: Option<Partner>,
    pub language: String,
    pub scopes: Vec<String>,
}

impl From<pb::Me> for Me {
    fn from(m: pb::Me) -> Self {
        Me {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            tenant_id: m.tenant_id,
            program_slug: m.program_slug,
            program_name: m.program_name,
            partner: m.partner.map(Into::into),
            language: m.language,
            scopes: m.scopes,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutMethod {
    /// bank (fields iban, account_holder), paypal (email) or custom (method + free fields)
    pub kind: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl From<PayoutMethod> for pb::PayoutMethod {
    fn from(p: PayoutMethod) -> Self {
        pb::PayoutMethod { kind: p.kind, fields: p.fields.into_iter().collect() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Partner {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub payout_method: Option<PayoutMethod>,
    pub commission_plan: String,
    /// new, standard or trusted
    pub trust_level: String,
    /// active or suspended
    pub status: String,
    pub parent_partner_id: Option<String>,
    pub language: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<pb::Partner> for Partner {
    fn from(p: pb::Partner) -> Self {
        Partner {
            id: p.id,
            tenant_id: p.tenant_id,
            user_id: p.user_id,
            name: p.name,
            email: p.email,
            phone: p.phone,
            payout_method: p
                .payout_method
                .filter(|m| !m.kind.is_empty())
                .map(|m| PayoutMethod { kind: m.kind, fields: m.fields.into_iter().collect() }),
            commission_plan: p.commission_plan,
            trust_level: p.trust_level,
            status: p.status,
            parent_partner_id: p.parent_partner_id,
            language: p.language,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A page of results; pass `next_cursor` as `cursor` for the next one (absent on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PartnerQuery {
    /// Part of a name, email or phone (case-insensitive).
    pub q: Option<String>,
    /// active or suspended
    pub status: Option<String>,
    pub parent_partner_id: Option<String>,
    /// 1–200, default 50
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartner {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// 8–200 characters; the partner signs in with it.
    pub password: String,
    pub payout_method: Option<PayoutMethod>,
    /// new (default), standard or trusted
    pub trust_level: Option<String>,
    pub parent_partner_id: Option<String>,
    pub commission_plan: Option<String>,
    /// en, it, ro, pl or zh
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartner {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub payout_method: Option<PayoutMethod>,
    pub trust_level: Option<String>,
    /// active or suspended (P5: a suspended partner's links stop attributing)
    pub status: Option<String>,
    pub commission_plan: Option<String>,
    pub language: Option<String>,
    /// `null` removes the partner from its parent's team.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub parent_partner_id: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// Days until the link expires (1–365, default 30).
    pub valid_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub id: String,
    /// Shown once.
    pub token: String,
    pub partner_id: String,
    pub expires_at: String,
    pub program: String,
    /// The join page this invite opens.
    pub url: String,
}

impl From<pb::Invite> for Invite {
    fn from(i: pb::Invite) -> Self {
        let url = format!("/join/{}?invite={}", i.program, i.token);
        Invite { id: i.id, token: i.token, partner_id: i.partner_id, expires_at: i.expires_at, program: i.program, url }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitApplication {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// 8–200 characters; used to sign in once approved.
    pub password: String,
    #[serde(default)]
    pub message: String,
    /// The token of a partner's invite link (P4).
    pub invite: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Application {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub message: String,
    /// pending, approved or rejected
    pub status: String,
    pub reason: String,
    pub parent_partner_id: Option<String>,
    pub partner_id: Option<String>,
    pub created_at: String,
    pub reviewed_at: Option<String>,
}

impl From<pb::Application> for Application {
    fn from(a: pb::Application) -> Self {
        Application {
            id: a.id,
            tenant_id: a.tenant_id,
            name: a.name,
            email: a.email,
            phone: a.phone,
            message: a.message,
            status: a.status,
            reason: a.reason,
            parent_partner_id: a.parent_partner_id,
            partner_id: a.partner_id,
            created_at: a.created_at,
            reviewed_at: a.reviewed_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    /// pending, approved or rejected
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectApplication {
    /// Told to the applicant (P3).
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JoinQuery {
    pub invite: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinPage {
    pub program: String,
    pub program_name: String,
    pub recruitment_plan: String,
    /// False when recruitment is switched off (P2); `closed_reason` says so.
    pub open: bool,
    pub closed_reason: String,
    pub inviting_partner: Option<String>,
}

impl From<pb::JoinPage> for JoinPage {
    fn from(j: pb::JoinPage) -> Self {
        JoinPage {
            program: j.program,
            program_name: j.program_name,
            recruitment_plan: j.recruitment_plan,
            open: j.open,
            closed_reason: j.closed_reason,
            inviting_partner: j.inviting_partner,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
    /// Permissions, e.g. `partners:read`.
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<pb::ApiKey> for ApiKey {
    fn from(k: pb::ApiKey) -> Self {
        ApiKey {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub key: Option<ApiKey>,
    /// The key itself, shown once: use it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// URL slug of the program (3–40 of a-z, 0-9, -).
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    pub admin_password: String,
    #[serde(default)]
    pub admin_name: String,
    /// Reporting currency (ISO 4217), default EUR.
    #[serde(default)]
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: String,
}

impl From<pb::Tenant> for Tenant {
    fn from(t: pb::Tenant) -> Self {
        Tenant { id: t.id, slug: t.slug, name: t.name, created_at: t.created_at }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveClock {
    /// Move the clock forward by this many seconds.
    pub advance_seconds: Option<i64>,
    /// Or set it to this RFC 3339 time.
    pub set: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockNow {
    pub now: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// 8–200 characters. Every other session of the account ends.
    pub new_password: String,
}

/// A member of the merchant's staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub phone: String,
    /// merchant_admin or sales_rep
    pub role: String,
    pub language: String,
    pub created_at: String,
}

impl From<pb::User> for User {
    fn from(u: pb::User) -> Self {
        User {
            id: u.id,
            email: u.email,
            name: u.name,
            phone: u.phone,
            role: u.role,
            language: u.language,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    pub password: String,
    /// merchant_admin or sales_rep
    pub role: String,
    #[serde(default)]
    pub language: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// merchant_admin or sales_rep
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
}
