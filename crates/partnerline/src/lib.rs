//! The `partnerline` binary's library: run any set of services in one process (each on its own
//! port, talking over loopback exactly as in a cluster), apply migrations, seed demo data.
//! The black-box test harness starts the system through the same functions.

use std::collections::BTreeMap;

use platform::Runtime;
use tokio::net::TcpListener;

/// Services this build can run, in start order.
pub const SERVICES: &[&str] =
    &["identity", "customers", "orders", "attribution", "commissions", "notifications", "gateway"];

/// Parses `all` or a comma-separated list of services.
pub fn parse_targets(raw: &str) -> anyhow::Result<Vec<&'static str>> {
    if raw.trim() == "all" {
        return Ok(SERVICES.to_vec());
    }
    let mut out = Vec::new();
    for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let s = SERVICES
            .iter()
            .find(|s| **s == t)
            .ok_or_else(|| anyhow::anyhow!("unknown target `{t}`; choose `all` or some of {}", SERVICES.join(", ")))?;
        if !out.contains(s) {
            out.push(*s);
        }
    }
    anyhow::ensure!(!out.is_empty(), "no target given");
    Ok(out)
}

/// Binds each target's configured address.
pub async fn bind(
    rt_config: &platform::Config,
    targets: &[&'static str],
) -> anyhow::Result<BTreeMap<&'static str, TcpListener>> {
    let mut out = BTreeMap::new();
    for t in targets {
        let addr = rt_config.endpoint(t)?.listen;
        let l = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("{t}: cannot listen on {addr}: {e}"))?;
        out.insert(*t, l);
    }
    Ok(out)
}

/// Runs the targets on their listeners until `rt.shutdown`; if one fails, stops the others.
pub async fn serve(rt: Runtime, listeners: BTreeMap<&'static str, TcpListener>) -> anyhow::Result<()> {
    for name in listeners.keys() {
        rt.health.starting(name);
    }
    let follower = tokio::spawn(platform::revocations::follow(
        rt.config.clone(),
        rt.revoked.clone(),
        rt.clock.clone(),
        rt.shutdown.clone(),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (name, listener) in listeners {
        let rt = rt.clone();
        tasks.spawn(async move {
            let r = match name {
                "identity" => identity::run(rt.clone(), listener).await,
                "customers" => customers::run(rt.clone(), listener).await,
                "orders" => orders::run(rt.clone(), listener).await,
                "attribution" => attribution::run(rt.clone(), listener).await,
                "commissions" => commissions::run(rt.clone(), listener).await,
                "notifications" => notifications::run(rt.clone(), listener).await,
                "gateway" => gateway::run(rt.clone(), listener, web::router).await,
                other => Err(anyhow::anyhow!("unknown service {other}")),
            };
            if let Err(e) = &r {
                tracing::error!(
                    service = name,
                    error = format!("{e:#}"),
                    "service stopped with an error; stopping the others"
                );
                rt.shutdown.cancel();
            }
            r.map_err(|e| e.context(name))
        });
    }
    let mut first_err = None;
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                first_err.get_or_insert(e);
            }
            Err(e) => {
                rt.shutdown.cancel();
                first_err.get_or_insert(e.into());
            }
        }
    }
    follower.abort();
    first_err.map_or(Ok(()), Err)
}

/// Applies the migrations of the targets that own a database.
pub async fn migrate(rt: &Runtime, targets: &[&'static str]) -> anyhow::Result<()> {
    for t in targets {
        match *t {
            "identity" => {
                rt.migrated(identity::SERVICE, identity::migrator()).await?.close().await;
            }
            "customers" => {
                rt.migrated(customers::SERVICE, customers::migrator()).await?.close().await;
            }
            "orders" => {
                rt.migrated(orders::SERVICE, orders::migrator()).await?.close().await;
            }
            "attribution" => {
                rt.migrated(attribution::SERVICE, attribution::migrator()).await?.close().await;
            }
            "commissions" => {
                rt.migrated(commissions::SERVICE, commissions::migrator()).await?.close().await;
            }
            "notifications" => {
                rt.migrated(notifications::SERVICE, notifications::migrator()).await?.close().await;
            }
            "gateway" => {
                rt.migrated(gateway::SERVICE, gateway::migrator()).await?.close().await;
            }
            _ => {}
        }
        tracing::info!(service = t, "migrated");
    }
    Ok(())
}

/// Creates the demo installation (safe to run twice).
pub async fn seed_demo(rt: &Runtime) -> anyhow::Result<Vec<String>> {
    let pool = rt.migrated(identity::SERVICE, identity::migrator()).await?;
    let svc = identity::service(rt, pool.clone())?;
    let mut created = identity::seed::demo(&svc).await?;
    let crm_pool = rt.migrated(customers::SERVICE, customers::migrator()).await?;
    let crm = customers::service(rt, crm_pool.clone())?;
    let (tenant, admin) = identity::seed::demo_admin(&svc).await?;
    let mut partners = Vec::new();
    let mut linked = Vec::new();
    for (i, email) in ["ana@demo.test", "bo@demo.test"].into_iter().enumerate() {
        let (tenant, partner, user) = identity::seed::demo_partner(&svc, email).await?;
        let n = customers::seed::demo_for(&crm, tenant, partner, user, admin, i).await?;
        if n > 0 {
            created.push(format!("{n} customers with notes, and 4 leads, for {email}"));
        }
        let book = customers::seed::book(&crm, tenant, partner).await?;
        let customers: Vec<orders::grpc::place::Buyer> = book
            .into_iter()
            .map(|c| orders::grpc::place::Buyer {
                customer_id: Some(c.id),
                name: c.name,
                email: c.email,
                language: c.language,
                owner: c.owner_partner_id,
                discount: c.discount_percent,
            })
            .collect();
        linked.push(attribution::seed::DemoPartner {
            partner,
            parent: None,
            customers: customers.iter().filter_map(|c| c.customer_id).collect(),
        });
        partners.push(orders::seed::DemoPartner { partner, user, customers });
    }
    crm_pool.close().await;
    let (_, cy, cy_user) = identity::seed::demo_partner(&svc, "cy@demo.test").await?;
    let mut earners: Vec<commissions::seed::DemoPartner> = partners
        .iter()
        .zip(["trusted", "standard"])
        .map(|(p, trust)| commissions::seed::DemoPartner { user: p.user, partner: p.partner, trust })
        .collect();
    earners.push(commissions::seed::DemoPartner { user: cy_user, partner: cy, trust: "new" });
    let shop_pool = rt.migrated(orders::SERVICE, orders::migrator()).await?;
    let shop = orders::service(rt, shop_pool.clone())?;
    let from = shop_outbox_seq(&shop_pool, tenant).await?;
    if let (Some(bo), Some(ana)) = (partners.pop(), partners.pop()) {
        let cy = orders::seed::DemoPartner { partner: cy, user: cy_user, customers: Vec::new() };
        created.extend(orders::seed::demo(&shop, tenant, admin, ana, bo, Some(cy)).await?);
    }
    let placed = shop_events(&shop_pool, tenant, from).await?;
    shop_pool.close().await;
    if let Some(ana) = linked.first().map(|p| p.partner) {
        linked.push(attribution::seed::DemoPartner { partner: cy, parent: Some(ana), customers: Vec::new() });
    }
    let links_pool = rt.migrated(attribution::SERVICE, attribution::migrator()).await?;
    let links = attribution::service(rt, links_pool.clone())?;
    created.extend(attribution::seed::demo(&links, tenant, &linked).await?);
    // Attribution decides the new demo orders now, as its consumer would, so commissions can
    // fold them; the events it publishes later change nothing (both sides are idempotent).
    let mut facts = Vec::new();
    for (name, payload) in placed {
        let decided = if name == "order.placed" {
            let m = <partnerline_proto::events::v1::OrderPlaced as prost::Message>::decode(payload.as_slice())?;
            let mut tx = platform::db::TenantTx::begin(&links.pool, tenant).await?;
            links
                .orders_placed(&mut tx, std::slice::from_ref(&m))
                .await
                .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
            let order = uuid::Uuid::parse_str(&m.order_id)?;
            let row = attribution::store::latest_attribution(&mut tx, order).await?;
            tx.commit().await?;
            row.map(|r| prost::Message::encode_to_vec(&attribution::events::attributed_message(tenant, &r)))
        } else {
            None
        };
        facts.push((name, payload));
        facts.extend(decided.map(|d| ("order.attributed".to_string(), d)));
    }
    links_pool.close().await;
    let ledger_pool = rt.migrated(commissions::SERVICE, commissions::migrator()).await?;
    let ledger = commissions::service(rt, ledger_pool.clone())?;
    created.extend(commissions::seed::demo(&ledger, tenant, admin, &earners, &facts).await?);
    ledger_pool.close().await;
    pool.close().await;
    Ok(created)
}

/// Where the orders outbox of a program ends now.
async fn shop_outbox_seq(pool: &sqlx::PgPool, tenant: uuid::Uuid) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(max(seq), 0) FROM outbox WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(pool)
        .await?)
}

/// The program's order events written after `from`, oldest first: (name, payload).
async fn shop_events(pool: &sqlx::PgPool, tenant: uuid::Uuid, from: i64) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT ce_type, payload FROM outbox WHERE tenant_id = $1 AND seq > $2 AND ce_type LIKE 'partnerline.orders.order.%'
         ORDER BY seq",
    )
    .bind(tenant)
    .bind(from)
    .fetch_all(pool)
    .await?;
    // ce-type `partnerline.orders.order.placed.v1` -> `order.placed`
    Ok(rows
        .into_iter()
        .filter_map(|(t, p)| {
            let name = t.strip_prefix("partnerline.orders.")?.strip_suffix(".v1")?.to_string();
            Some((name, p))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(parse_targets("all").unwrap(), SERVICES.to_vec());
        assert_eq!(parse_targets("gateway, identity,gateway").unwrap(), vec!["gateway", "identity"]);
        assert_eq!(parse_targets("customers").unwrap(), vec!["customers"]);
        assert!(parse_targets("shop").unwrap_err().to_string().contains("unknown target `shop`"));
    }
}
