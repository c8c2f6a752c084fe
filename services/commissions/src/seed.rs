//! Demo commissions for `partnerline seed --demo`: a team override rule (5% of the base to a
//! partner's parent), the demo orders' facts folded in (their attribution decided by the caller),
//! then payouts — Ana's paid, Bo's requested — and, last, a refund of an order Ana has been paid
//! for, which claws back. The ledger ends with every state: pending, held, available, requested,
//! paid, a clawback, and Cy's orders paying Ana an override. Safe to run twice: a program with
//! commission lines is left alone.

use chrono::Duration;
use platform::auth::{Principal, Role};
use platform::db::TenantTx;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::CommissionsService;
use crate::consumers::order_facts;
use crate::store::{self, RuleRow};

/// A demo partner: its user, partner id and trust level.
#[derive(Debug, Clone, Copy)]
pub struct DemoPartner {
    pub user: Uuid,
    pub partner: Uuid,
    pub trust: &'static str,
}

fn err(e: platform::AppError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code, e.message)
}

fn as_partner(tenant: Uuid, p: DemoPartner) -> Principal {
    Principal {
        subject: p.user,
        tenant: Some(tenant),
        role: Role::Partner,
        partner: Some(p.partner),
        scopes: Vec::new(),
        suspended: false,
        session: None,
    }
}

/// When an order event happened, as it says; `None` for those that do not say (refunds,
/// attribution decisions), which happen when the event before them did.
fn event_time(name: &str, payload: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    use partnerline_proto::events::v1 as ev;
    use prost::Message;
    let raw = match name {
        "order.placed" => ev::OrderPlaced::decode(payload).ok()?.placed_at,
        "order.paid"
        | "order.confirmed"
        | "order.in_production"
        | "order.shipped"
        | "order.completed"
        | "order.cancelled" => ev::OrderStatusChanged::decode(payload).ok()?.at,
        _ => return None,
    };
    chrono::DateTime::parse_from_rfc3339(&raw).ok().map(|t| t.to_utc())
}

/// Folds events' facts one at a time, each at the time it happened (never after `now`), so the
/// demo ledger shows each step an order took when it took it (D1, D2: the charts have a shape).
async fn apply_one_by_one(
    svc: &CommissionsService,
    tx: &mut TenantTx<'_>,
    events: &[&(String, Vec<u8>)],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let mut at = now;
    for (name, payload) in events {
        if let Some(t) = event_time(name, payload) {
            at = t.min(now);
        }
        let then = CommissionsService { clock: platform::Clock::manual(at), ..svc.clone() };
        let facts = order_facts(tx, name, payload, at, &Default::default()).await?;
        then.apply_facts(tx, facts).await.map_err(err)?;
    }
    Ok(())
}

/// `events`: the orders and attribution events of the demo program, oldest first, as
/// (event name such as `order.placed`, protobuf payload).
pub async fn demo(
    svc: &CommissionsService,
    tenant: Uuid,
    admin: Uuid,
    partners: &[DemoPartner],
    events: &[(String, Vec<u8>)],
) -> anyhow::Result<Vec<String>> {
    let mut tx = TenantTx::begin(&svc.pool, tenant).await?;
    if !store::lines(&mut tx, None, None, 0, 1).await?.is_empty() {
        return Ok(Vec::new());
    }
    let now = svc.clock.now();
    let long_ago = now - Duration::days(365);
    for p in partners {
        store::put_partner(&mut tx, p.partner, p.trust, "", long_ago).await?;
    }
    let rule = RuleRow {
        id: Uuid::now_v7(),
        version: 1,
        name: "Team override".into(),
        priority: 0,
        level: 1,
        kind: "percent".into(),
        value: Decimal::from(5),
        of_what: "base".into(),
        product_ids: Vec::new(),
        categories: Vec::new(),
        customer_group_id: None,
        min_order_total: None,
        partner_tier: None,
        valid_from: long_ago,
        valid_to: None,
    };
    store::insert_rule(&mut tx, &rule).await?;
    // Everything but the refunds first: the matured commissions are then paid out before the
    // late refund comes in.
    let (refunds, rest): (Vec<_>, Vec<_>) = events.iter().partition(|(name, _)| name == "order.refunded");
    apply_one_by_one(svc, &mut tx, &rest, now).await?;
    tx.commit().await?;
    // C3: the holds that ended between then and now, released as the upkeep would.
    while svc.release_due().await? > 0 {}

    // C10: Ana is paid what she had available; Bo's request waits for the merchant.
    let boss = Principal {
        subject: admin,
        tenant: Some(tenant),
        role: Role::MerchantAdmin,
        partner: None,
        scopes: Vec::new(),
        suspended: false,
        session: None,
    };
    let mut payouts = 0;
    for (i, p) in partners.iter().take(2).enumerate() {
        let req = partnerline_proto::commissions::v1::PayoutRequest::default();
        let Ok(payout) = svc.request_payout_impl(as_partner(tenant, *p), req).await else { continue };
        payouts += 1;
        if i == 0 {
            let paid = partnerline_proto::commissions::v1::PayoutDecision {
                id: payout.id,
                action: "mark_paid".into(),
                method: "bank".into(),
                reference: "SEPA-DEMO-0001".into(),
                reason: String::new(),
            };
            svc.decide_payout_impl(boss.clone(), paid).await.map_err(err)?;
        }
    }
    let mut tx = TenantTx::begin(&svc.pool, tenant).await?;
    apply_one_by_one(svc, &mut tx, &refunds, now).await?;
    tx.commit().await?;
    Ok(vec![format!(
        "a team override rule, commissions on {} order events and {payouts} payouts (one paid), with a clawback",
        rest.len()
    )])
}
