//! L2-L7: clicks on partners' links, and what each does to a binding.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use partnerline_proto::events::v1 as ev;
use platform::AppError;
use platform::db::TenantTx;
use uuid::Uuid;

use crate::domain::{self, Click, Decision};
use crate::events;
use crate::store::{self, ClickRow, HistoryRow, LinkRow};

use super::{AttributionService, ClickIn, customer_subject, transition, unchanged};

impl AttributionService {
    /// L2-L7: records a click and applies what it does to the visitor's (or customer's) binding.
    #[allow(clippy::too_many_arguments)]
    pub async fn click(
        &self,
        tx: &mut TenantTx<'_>,
        link: &LinkRow,
        visitor: &str,
        clicker_partner: Option<Uuid>,
        user_agent: &str,
        referrer: &str,
        ip_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let one = ClickIn { link, visitor, clicker_partner, user_agent, referrer, ip_hash, at };
        Ok(self.clicks(tx, &[one]).await?.pop().unwrap_or_default())
    }

    /// L2-L7 for a batch of clicks of one program, in the order they happened: one lookup per
    /// distinct visitor, subject and partner, the decisions made in memory one click after the
    /// other, and one write per table. Returns what each click did, in words.
    pub async fn clicks(&self, tx: &mut TenantTx<'_>, clicks: &[ClickIn<'_>]) -> Result<Vec<String>, AppError> {
        let mut visitors: Vec<String> = clicks.iter().map(|c| c.visitor.to_string()).collect();
        visitors.sort();
        visitors.dedup();
        // Clicks and registrations of one visitor are serialized (see `registered`).
        store::lock_visitors(tx, &visitors).await?;
        let customers: HashMap<String, Uuid> = store::visitors_customers(tx, &visitors).await?.into_iter().collect();
        let known: Vec<Uuid> = customers.values().copied().collect();
        let partner_of: HashMap<Uuid, Uuid> = store::customers_partners(tx, &known).await?.into_iter().collect();
        let mut partners: Vec<Uuid> = clicks.iter().map(|c| c.link.partner_id).collect();
        partners.sort();
        partners.dedup();
        let active: HashMap<Uuid, bool> = store::partners_active(tx, &partners).await?.into_iter().collect();
        let settings = self.settings(tx).await?;
        let subject_of = |v: &str| match customers.get(v) {
            Some(c) => customer_subject(*c),
            None => format!("visitor:{v}"),
        };
        let mut subjects: Vec<String> = visitors.iter().map(|v| subject_of(v)).collect();
        subjects.sort();
        subjects.dedup();
        let mut current: HashMap<String, domain::Binding> = store::bindings(tx, &subjects).await?.into_iter().collect();
        let mut changed: BTreeMap<String, domain::Binding> = BTreeMap::new();
        let (mut history, mut moved, mut rows, mut labels) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for c in clicks {
            let subject = subject_of(c.visitor);
            // L6, L7: a visitor known to be a customer who is a partner clicks as that partner.
            let clicker =
                c.clicker_partner.or_else(|| customers.get(c.visitor).and_then(|x| partner_of.get(x).copied()));
            let id = Uuid::now_v7();
            let label = if c.link.expired(c.at) {
                // L1: a poster's link past its 30 days leads to the shop and binds nobody.
                "unchanged: link_expired".to_string()
            } else {
                let is_active = c.link.active && active.get(&c.link.partner_id).copied().unwrap_or(true);
                let before = current.get(&subject).copied();
                let click =
                    Click { partner: c.link.partner_id, partner_active: is_active, clicker_partner: clicker, at: c.at };
                let decision = domain::decide(&settings, before.as_ref(), &click, c.at);
                match transition(before, decision) {
                    None => unchanged(decision),
                    Some((kind, binding, from)) => {
                        current.insert(subject.clone(), binding);
                        changed.insert(subject.clone(), binding);
                        let h = HistoryRow {
                            kind: kind.into(),
                            partner_id: binding.partner,
                            from_partner: from,
                            click_id: Some(id),
                            reason: "click".into(),
                            at: c.at,
                        };
                        history.push((subject.clone(), h));
                        if kind != "refreshed" {
                            moved.push((subject.clone(), binding.partner, from, c.at));
                        }
                        kind.to_string()
                    }
                }
            };
            rows.push(ClickRow {
                id,
                link_id: c.link.id,
                partner_id: c.link.partner_id,
                visitor_id: c.visitor.to_string(),
                subject,
                user_agent: c.user_agent.chars().take(500).collect(),
                referrer: c.referrer.chars().take(2000).collect(),
                ip_hash: c.ip_hash.to_string(),
                decision: label.clone(),
                at: c.at,
                clicker_partner_id: clicker,
            });
            labels.push(label);
        }
        store::put_bindings(tx, &changed.into_iter().collect::<Vec<_>>()).await?;
        store::insert_histories(tx, &history).await?;
        store::insert_clicks(tx, &rows).await?;
        let tenant = tx.tenant();
        // click.recorded, batched: one event per batch, counted per link.
        let mut per_link: BTreeMap<Uuid, ev::LinkClicks> = BTreeMap::new();
        for r in &rows {
            let e = per_link.entry(r.link_id).or_insert_with(|| ev::LinkClicks {
                link_id: r.link_id.to_string(),
                partner_id: r.partner_id.to_string(),
                ..Default::default()
            });
            e.clicks += 1;
            e.bindings += u32::from(r.decision == "bound" || r.decision == "rebound");
        }
        if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
            let msg = ev::ClicksRecorded {
                tenant_id: tenant.to_string(),
                links: per_link.into_values().collect(),
                from: events::ts(first.at),
                to: events::ts(last.at),
            };
            self.outbox.emit(tx.conn(), tenant, "click", first.id, "recorded", &msg).await?;
        }
        for (subject, partner, from, at) in moved {
            let event = if from.is_some() { "rebound" } else { "bound" };
            events::binding_changed(&self.outbox, tx.conn(), event, tenant, &subject, partner, from, at, "click")
                .await?;
        }
        Ok(labels)
    }

    /// Stores a decision with its history entry and event; returns what happened, in words.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply(
        &self,
        tx: &mut TenantTx<'_>,
        subject: &str,
        current: Option<domain::Binding>,
        decision: Decision,
        click: Option<Uuid>,
        cause: &str,
        at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let Some((kind, binding, from)) = transition(current, decision) else { return Ok(unchanged(decision)) };
        store::put_binding(tx, subject, &binding).await?;
        let h = HistoryRow {
            kind: kind.into(),
            partner_id: binding.partner,
            from_partner: from,
            click_id: click,
            reason: cause.into(),
            at,
        };
        store::insert_history(tx, subject, &h).await?;
        if kind != "refreshed" {
            let tenant = tx.tenant();
            let event = if from.is_some() { "rebound" } else { "bound" };
            events::binding_changed(&self.outbox, tx.conn(), event, tenant, subject, binding.partner, from, at, cause)
                .await?;
        }
        Ok(kind.to_string())
    }
}
