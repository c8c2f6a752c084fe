//! What notifications reads: the events that tell someone something (N1, N4, LE3, O3, P3, C10),
//! from identity, customers, orders, attribution and commissions, each made into its recipient's
//! notification and email in the consumer's transaction. Identity's partners and programs are
//! also copied, for names, addresses and languages.

use partnerline_proto::events::v1 as ev;
use platform::consumer::{Handler, IncomingEvent, Run, runs};
use platform::db::TenantTx;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{self, Draft, Kind, Movement, Recipient};
use crate::email::{self, Letter, Sender};
use crate::grpc::NotificationsService;
use crate::store;

pub const IDENTITY: &[&str] = &[
    "identity.*.tenant.created",
    "identity.*.program.updated",
    "identity.*.partner.approved",
    "identity.*.partner.updated",
    "identity.*.partner.suspended",
    "identity.*.partner.reactivated",
    "identity.*.application.submitted",
    "identity.*.application.rejected",
    "identity.*.application.repeated",
];
pub const CUSTOMERS: &[&str] = &[
    "customers.*.quick_order_link.sent",
    "customers.*.lead.submitted",
    "customers.*.lead.status_changed",
    "customers.*.lead.rep_assigned",
    "customers.*.customer.erased",
];
pub const ORDERS: &[&str] = &["orders.*.order.payment_link_created"];
pub const ATTRIBUTION: &[&str] = &["attribution.*.order.attributed"];
pub const COMMISSIONS: &[&str] = &[
    "commissions.*.commission.accrued",
    "commissions.*.commission.available",
    "commissions.*.payout.requested",
    "commissions.*.payout.paid",
];

#[derive(Clone)]
pub struct Events(pub NotificationsService);

fn uuid(raw: &str, what: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| anyhow::anyhow!("{what} `{raw}` is not a uuid"))
}

/// What one event tells: notifications, and emails.
#[derive(Default)]
struct Told {
    drafts: Vec<Draft>,
    letters: Vec<Letter>,
}

impl Told {
    fn draft(mut self, d: Option<Draft>) -> Told {
        self.drafts.extend(d);
        self
    }

    fn letter(mut self, l: Option<Letter>) -> Told {
        self.letters.extend(l);
        self
    }
}

impl Events {
    async fn told(&self, tx: &mut TenantTx<'_>, e: &IncomingEvent) -> anyhow::Result<Told> {
        let name = e.name();
        let p = e.payload.as_ref();
        // The sender's name, for the events that make emails only: most events make none.
        let emails = matches!(
            name.as_str(),
            "partner.approved"
                | "application.rejected"
                | "application.repeated"
                | "lead.submitted"
                | "order.payment_link_created"
                | "quick_order_link.sent"
                | "payout.paid"
        );
        let program = match emails {
            true => store::program_name(tx).await?.unwrap_or_else(|| "Partnerline".to_string()),
            false => String::new(),
        };
        let sender = Sender { program: &program, public_url: &self.0.mail.public_url };
        let told = Told::default();
        Ok(match name.as_str() {
            "tenant.created" | "program.updated" => {
                let name = match name.as_str() {
                    "tenant.created" => ev::TenantCreated::decode(p)?.name,
                    _ => ev::ProgramUpdated::decode(p)?.name,
                };
                // An update from before the name travelled has none: the copy stays.
                if !name.is_empty() {
                    store::put_program(tx, &name).await?;
                }
                told
            }
            "partner.approved" | "partner.updated" => {
                let (snapshot, application) = if name == "partner.approved" {
                    let m = ev::PartnerApproved::decode(p)?;
                    (m.partner, m.application_id)
                } else {
                    (ev::PartnerUpdated::decode(p)?.partner, String::new())
                };
                let s = snapshot.ok_or_else(|| anyhow::anyhow!("{name} without its partner"))?;
                let partner = store::Partner {
                    id: uuid(&s.partner_id, "partner_id")?,
                    user_id: uuid(&s.user_id, "user_id")?,
                    name: s.name,
                    email: s.email,
                    language: s.language,
                    trust_level: s.trust_level,
                    status: s.status,
                };
                store::put_partner(tx, &partner).await?;
                let approved = Draft::application_approved(partner.id, &application);
                let letter = match approved {
                    Some(_) => Some(sender.application_approved((&partner.email, &partner.name), &partner.language)?),
                    None => None,
                };
                told.draft(approved).letter(letter)
            }
            "partner.suspended" | "partner.reactivated" => {
                let m = ev::PartnerStatusChanged::decode(p)?;
                store::set_partner_status(tx, uuid(&m.partner_id, "partner_id")?, &m.status).await?;
                told
            }
            "application.submitted" => {
                let m = ev::ApplicationSubmitted::decode(p)?;
                told.draft(Some(Draft::application_submitted(&m.application_id, &m.name)))
            }
            "application.rejected" => {
                let m = ev::ApplicationRejected::decode(p)?;
                told.letter(Some(sender.application_rejected((&m.email, ""), &m.language, &m.reason)?))
            }
            "application.repeated" => {
                let m = ev::ApplicationRepeated::decode(p)?;
                // One such email a day per address: repeating the form fills no one's inbox.
                let since = self.0.clock.now() - chrono::Duration::days(1);
                if store::emailed_since(tx, "application_repeated", &m.email, since).await? {
                    return Ok(told);
                }
                told.letter(Some(sender.application_repeated(&m.email, &m.language, &m.reason)?))
            }
            "lead.submitted" => {
                let m = ev::LeadSubmitted::decode(p)?;
                let partner = store::partner(tx, uuid(&m.partner_id, "partner_id")?).await?;
                let letter = match partner {
                    Some(pa) => {
                        let mut l =
                            sender.lead_submitted((&pa.email, &pa.name), &pa.language, &m.lead_id, &m.company)?;
                        l.inbox = Some(Recipient::Partner(pa.id).key());
                        Some(l)
                    }
                    None => None,
                };
                told.letter(letter)
            }
            "customer.erased" => {
                let m = ev::CustomerErased::decode(p)?;
                store::erase_customer(tx, uuid(&m.customer_id, "customer_id")?).await?;
                told
            }
            "lead.status_changed" | "lead.rep_assigned" => {
                let m = ev::LeadChanged::decode(p)?;
                let rep = m.sales_rep_user_id.as_deref().map(|r| uuid(r, "sales_rep_user_id")).transpose()?;
                let partner = uuid(&m.partner_id, "partner_id")?;
                told.draft(Draft::lead(&name, &m.lead_id, partner, &m.to_status, rep))
            }
            "order.payment_link_created" => {
                let m = ev::OrderPaymentLinkCreated::decode(p)?;
                if m.customer_email.trim().is_empty() {
                    return Ok(told); // nobody to write to: the partner hands the link over itself
                }
                let order = email::Order {
                    number: &m.number,
                    total: &m.total,
                    currency: &m.currency,
                    pay_path: &m.pay_path,
                    expires_at: &m.expires_at,
                };
                let mut l = sender.payment_link((&m.customer_email, &m.customer_name), &m.language, &order)?;
                l.customer = m.customer_id.as_deref().map(|c| uuid(c, "customer_id")).transpose()?;
                told.letter(Some(l))
            }
            "quick_order_link.sent" => {
                let m = ev::QuickOrderLinkSent::decode(p)?;
                let owner = m.owner_partner_id.as_deref().map(|o| uuid(o, "owner_partner_id")).transpose()?;
                let partner = match owner {
                    Some(o) => store::partner(tx, o).await?.map(|pa| pa.name),
                    None => None,
                };
                let to = (m.customer_email.as_str(), m.customer_name.as_str());
                let mut l = sender.quick_order_link(to, &m.language, partner.as_deref(), &m.quick_order_path)?;
                l.customer = Some(uuid(&m.customer_id, "customer_id")?);
                told.letter(Some(l))
            }
            "order.attributed" => {
                let m = ev::OrderAttributed::decode(p)?;
                let partner = m.partner_id.as_deref().map(|r| uuid(r, "partner_id")).transpose()?;
                told.draft(Draft::order_attributed(&m.order_id, partner, &m.reason))
            }
            "commission.accrued" | "commission.available" => {
                let m = ev::CommissionMoved::decode(p)?;
                let movement = Movement {
                    partner: uuid(&m.partner_id, "partner_id")?,
                    order: &m.order_id,
                    level: m.level,
                    amount: &m.amount,
                    currency: &m.currency,
                    credit_account: &m.credit_account,
                };
                told.draft(Draft::commission(&name, &movement))
            }
            "payout.requested" | "payout.paid" => {
                let m = ev::PayoutChanged::decode(p)?;
                let partner_id = uuid(&m.partner_id, "partner_id")?;
                let reference = m.reference.as_deref().unwrap_or("");
                // X6: what the partner receives, in its own currency when it is paid in another.
                let (amount, currency) = match (&m.payout_amount, &m.payout_currency) {
                    (Some(a), Some(c)) => (a, c),
                    _ => (&m.amount, &m.currency),
                };
                let mut d = Draft::payout(&name, partner_id, &m.payout_id, amount, currency, reference);
                let partner = store::partner(tx, partner_id).await?;
                if let (Some(d), Some(pa)) = (d.as_mut(), partner.as_ref()) {
                    d.params.insert("partner_name".into(), pa.name.clone());
                }
                let letter = match (name.as_str(), partner) {
                    ("payout.paid", Some(pa)) => {
                        let payout = email::Payout { amount, currency, reference };
                        let mut l = sender.payout_paid((&pa.email, &pa.name), &pa.language, &payout)?;
                        l.inbox = Some(Recipient::Partner(pa.id).key());
                        Some(l)
                    }
                    _ => None,
                };
                told.draft(d).letter(letter)
            }
            _ => told,
        })
    }
}

impl Handler for Events {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        let Some(tenant) = e.tenant else { return Ok(()) };
        let event = uuid(&e.id, "event id")?;
        let mut tx = TenantTx::within(conn, tenant).await?;
        let now = self.0.clock.now();
        let told = self.told(&mut tx, e).await?;
        for d in &told.drafts {
            // A1: an inbox that turned the topic off is not told.
            if !store::wants(&mut tx, &d.recipient.key(), d.kind.as_str()).await?.0 {
                continue;
            }
            if d.kind == Kind::OrderAttributed && store::told(&mut tx, d).await? {
                continue;
            }
            if domain::adds_up(d) && store::add_to_unread(&mut tx, d).await? {
                continue;
            }
            store::insert(&mut tx, d, event, now).await?;
        }
        if !told.letters.is_empty() {
            let from = store::program_name(&mut tx).await?.unwrap_or_else(|| "Partnerline".to_string());
            for l in &told.letters {
                if let Some(inbox) = &l.inbox
                    && !store::wants(&mut tx, inbox, l.kind).await?.1
                {
                    continue;
                }
                let id = Uuid::now_v7();
                let message_id = format!("<{id}@{}>", self.0.mail.domain);
                store::insert_email(&mut tx, l, &from, event, &message_id, id, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// I2: every event of every context becomes a webhook message for the program's endpoints that
/// want its type. Its id comes from the event's, so a redelivered event makes none again (no
/// inbox needed: the messages' key is one).
#[derive(Clone)]
pub struct Webhooks(pub NotificationsService);

impl Handler for Webhooks {
    async fn handle(&self, conn: &mut PgConnection, e: &IncomingEvent) -> anyhow::Result<()> {
        self.handle_batch(conn, std::slice::from_ref(e)).await
    }

    /// A tenant's run of events reads its endpoints once and makes its messages and deliveries
    /// in two statements.
    async fn handle_batch(&self, conn: &mut PgConnection, events: &[IncomingEvent]) -> anyhow::Result<()> {
        for run in runs(events, |_| true) {
            let (tenant, run) = match run {
                Run::Together(tenant, run) => (tenant, run),
                Run::One(_) => continue, // no tenant: no program's endpoints
            };
            let mut tx = TenantTx::within(conn, tenant).await?;
            let endpoints = store::subscribed(&mut tx).await?;
            let mut messages = Vec::new();
            for e in run {
                let Some(ty) = crate::webhooks::event_type(&e.subject) else { continue };
                let to: Vec<Uuid> = endpoints
                    .iter()
                    .filter(|s| s.created_at <= e.time && crate::webhooks::wants(&s.event_types, &ty))
                    .map(|s| s.id)
                    .collect();
                if to.is_empty() {
                    continue;
                }
                let data = crate::webhooks::event_data(&e.subject, &e.payload)?;
                messages.push(store::NewMessage {
                    id: crate::webhooks::message_id(&e.id),
                    payload: crate::webhooks::envelope(&ty, e.time, data),
                    event_type: ty,
                    aggregate_id: e.aggregate_id.clone(),
                    endpoints: to,
                });
            }
            if !messages.is_empty() {
                store::insert_webhook_messages(&mut tx, &messages, "scheduled", self.0.clock.now()).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }
}
