//! PostgreSQL: one database per service, its migrations applied at start, and transactions
//! scoped to one tenant.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::config::Config;

/// Connects to `<name_prefix><service>`, creating the database first when allowed and missing.
pub async fn connect(cfg: &Config, service: &str) -> anyhow::Result<PgPool> {
    let url = cfg.database_url(service);
    let opts: PgConnectOptions = url.parse()?;
    // A process that dies inside a transaction (killed, partitioned) must not keep its row locks:
    // the server ends such sessions after 30 s idle in a transaction.
    let opts = opts
        .options([("idle_in_transaction_session_timeout", "30s")])
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    if cfg.database.create_missing {
        ensure_database(&cfg.database.url, &format!("{}{}", cfg.database.name_prefix, service)).await?;
    }
    let pool = PgPoolOptions::new()
        .max_connections(cfg.database.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL database of {service} ({}): {e}", redact(&url)))?;
    Ok(pool)
}

/// `CREATE DATABASE` when missing; harmless when another process wins the race.
pub async fn ensure_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database name `{name}` may hold only letters, digits and '_'"
    );
    let admin_url = format!("{}/postgres", server_url.trim_end_matches('/'));
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL at {}: {e}", redact(server_url)))?;
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&mut conn).await?;
    if exists.is_none() {
        match sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await {
            Ok(_) => tracing::info!(database = name, "created database"),
            // Another process created it first: `duplicate_database`, or, when both got past the
            // catalog check together, a duplicate row in `pg_database`.
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

/// Drops a database (tests clean up after themselves).
pub async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    let admin_url = format!("{}/postgres", server_url.trim_end_matches('/'));
    let mut conn = PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Applies the platform's tables (outbox, inbox) and then the service's own migrations.
/// Both share `_sqlx_migrations`; each ignores the other's versions.
pub async fn migrate(pool: &PgPool, mut service: Migrator) -> anyhow::Result<()> {
    let mut platform = sqlx::migrate!("./migrations");
    platform.set_ignore_missing(true);
    platform.run(pool).await.map_err(|e| anyhow::anyhow!("platform migrations: {e}"))?;
    service.set_ignore_missing(true);
    service.run(pool).await.map_err(|e| anyhow::anyhow!("service migrations: {e}"))?;
    Ok(())
}

/// A `LIKE`/`ILIKE` pattern matching `text` anywhere, with its wildcards escaped, so a search for
/// "50%" finds "50%" and not "500".
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// A transaction bound to one tenant. Store functions take it and bind `tenant()` in every
/// query, so no query can forget whose data it touches. (Nothing reads a session setting, so
/// none is set: that was a round trip per transaction for nothing.)
pub struct TenantTx<'c> {
    tx: Transaction<'c, Postgres>,
    tenant: Uuid,
}

impl TenantTx<'static> {
    pub async fn begin(pool: &PgPool, tenant: Uuid) -> Result<Self, sqlx::Error> {
        Ok(TenantTx { tx: pool.begin().await?, tenant })
    }
}

impl<'c> TenantTx<'c> {
    /// A tenant transaction inside one already open on `conn` (a savepoint), e.g. a consumer's
    /// inbox transaction: it commits with it.
    pub async fn within(conn: &'c mut PgConnection, tenant: Uuid) -> Result<Self, sqlx::Error> {
        Ok(TenantTx { tx: sqlx::Connection::begin(conn).await?, tenant })
    }

    pub fn tenant(&self) -> Uuid {
        self.tenant
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("ana"), "%ana%");
        assert_eq!(contains_pattern(r"50%_off\"), r"%50\%\_off\\%");
    }

    #[test]
    fn urls_are_redacted_in_errors() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://***@h:5432/db");
        assert_eq!(redact("postgres://h:5432"), "postgres://h:5432");
    }
}
