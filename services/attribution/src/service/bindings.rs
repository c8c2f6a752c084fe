//! L8 and X8: registrations that bind a customer, and visitors and customers who become known.

use chrono::{DateTime, Utc};
use partnerline_proto::events::v1 as ev;
use platform::AppError;
use platform::db::TenantTx;
use uuid::Uuid;

use crate::domain::{self, Decision};
use crate::events;
use crate::store::{self, HistoryRow};

use super::{AttributionService, customer_subject};

impl AttributionService {
    /// L8 and the visitor's merge into the customer: a registration through a partner's link
    /// assigns the customer to that partner; without one, the visitor's binding carries over.
    pub async fn registered(
        &self,
        tx: &mut TenantTx<'_>,
        customer: Uuid,
        visitor: Option<&str>,
        referral_code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let subject = customer_subject(customer);
        if let Some(v) = visitor {
            store::lock_visitor(tx, v).await?;
            store::put_visitor_customer(tx, v, customer).await?;
        }
        if store::customer_partner(tx, customer).await?.is_some() {
            return Ok(()); // L6, X8: a partner registering as a customer joins nobody's book
        }
        let current = store::binding(tx, &subject).await?;
        let link = match referral_code {
            Some(code) => self.link(code).await?.filter(|l| l.tenant_id == tx.tenant() && l.active),
            None => None,
        };
        if let Some(link) = link
            && self.active(tx, link.partner_id).await?
        {
            let fresh = domain::Binding { partner: link.partner_id, since: at, last_click: at };
            let decision = match current {
                Some(c) if c.partner == link.partner_id => Decision::Refresh(fresh),
                Some(c) => Decision::Rebind { from: c.partner, to: fresh },
                None => Decision::Bind(fresh),
            };
            self.apply(tx, &subject, current, decision, None, "registration", at).await?;
            return Ok(());
        }
        if let (None, Some(v)) = (current, visitor)
            && let Some(b) = store::binding(tx, &format!("visitor:{v}")).await?
        {
            self.apply(tx, &subject, None, Decision::Bind(b), None, "visitor_merged", at).await?;
        }
        Ok(())
    }

    /// X4: a customer's sign-up, kept with its IP hash and the partner it signed up for (the
    /// binding its registration left), that bursts of new customers are counted from.
    pub async fn signed_up(
        &self,
        tx: &mut TenantTx<'_>,
        customer: Uuid,
        ip_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let partner = store::binding(tx, &customer_subject(customer)).await?.map(|b| b.partner);
        store::put_registration(tx, customer, partner, ip_hash.trim(), at).await?;
        Ok(())
    }

    /// X8: what customers publish of a customer's email; a customer whose email is a partner's is
    /// that partner from now on.
    pub async fn customer_seen(
        &self,
        tx: &mut TenantTx<'_>,
        customer: Uuid,
        c: &ev::CustomerSnapshot,
    ) -> Result<(), AppError> {
        let email = c.email.trim().to_lowercase();
        let contact =
            store::CustomerContact { email: email.clone(), phone: c.phone.trim().into(), name: c.name.trim().into() };
        store::put_customer_contact(tx, customer, &contact).await?;
        if email.is_empty() {
            return Ok(());
        }
        if let Some(partner) = store::partner_with_email(tx, &email).await? {
            self.became_partner(tx, customer, partner).await?;
        }
        Ok(())
    }

    /// X8: every customer with the new partner's email leaves its binding.
    pub async fn partner_joined(&self, tx: &mut TenantTx<'_>, partner: Uuid, email: &str) -> Result<(), AppError> {
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Ok(());
        }
        for customer in store::customers_with_email(tx, &email).await? {
            self.became_partner(tx, customer, partner).await?;
        }
        Ok(())
    }

    /// X8: the customer is `partner` from now on and no longer anyone's customer.
    async fn became_partner(&self, tx: &mut TenantTx<'_>, customer: Uuid, partner: Uuid) -> Result<(), AppError> {
        let at = self.clock.now();
        if !store::put_customer_partner(tx, customer, partner, at).await? {
            return Ok(());
        }
        let subject = customer_subject(customer);
        if let Some(left) = store::delete_binding(tx, &subject).await? {
            let h = HistoryRow {
                kind: "released".into(),
                partner_id: left.partner,
                from_partner: None,
                click_id: None,
                reason: "became_partner".into(),
                at,
            };
            store::insert_history(tx, &subject, &h).await?;
            let tenant = tx.tenant();
            events::binding_changed(
                &self.outbox,
                tx.conn(),
                "released",
                tenant,
                &subject,
                left.partner,
                None,
                at,
                "became_partner",
            )
            .await?;
        }
        Ok(())
    }
}
