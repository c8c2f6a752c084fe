//! Table upkeep for a server whose autovacuum is off.
//!
//! PostgreSQL's autovacuum keeps two things true that every query here relies on: planner
//! statistics that know how big a table is (without them a lookup by primary key can be planned
//! as a scan of the whole tenant, and a plan cached while the table was empty is never
//! revisited), and dead row versions cleared from tables that are updated all the time (the
//! outbox, order facts, balances). Some servers run with it turned off. When this service's
//! server is one of them (`database.upkeep = "auto"`, the default), the service does that work
//! for its own database, with the server's own autovacuum thresholds and cost limits: a table
//! is analysed once enough of it changed since the last analysis, and vacuumed once enough of
//! it is dead or newly inserted. Replicas take turns through an advisory lock, and a table
//! someone else is working on is skipped (`SKIP_LOCKED`), so upkeep never waits on the
//! application.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// `database.upkeep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only when the server's `autovacuum` is off.
    #[default]
    Auto,
    /// Always (autovacuum on as well: harmless, but twice the work).
    On,
    Off,
}

/// How often upkeep looks at the tables' counters.
pub const INTERVAL: Duration = Duration::from_secs(2);

/// The advisory lock replicas of one service take turns on (per database).
const LOCK: i64 = 0x7570_6b65_6570; // "upkeep"

/// The server's autovacuum settings, which say when a table is due.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    vacuum: f64,
    vacuum_scale: f64,
    insert: f64,
    insert_scale: f64,
    analyze: f64,
    analyze_scale: f64,
}

impl Thresholds {
    async fn read(conn: &mut PgConnection) -> sqlx::Result<Self> {
        let (vacuum, vacuum_scale, insert, insert_scale, analyze, analyze_scale): (f64, f64, f64, f64, f64, f64) =
            sqlx::query_as(
                "SELECT current_setting('autovacuum_vacuum_threshold')::float8,
                        current_setting('autovacuum_vacuum_scale_factor')::float8,
                        current_setting('autovacuum_vacuum_insert_threshold')::float8,
                        current_setting('autovacuum_vacuum_insert_scale_factor')::float8,
                        current_setting('autovacuum_analyze_threshold')::float8,
                        current_setting('autovacuum_analyze_scale_factor')::float8",
            )
            .fetch_one(conn)
            .await?;
        Ok(Thresholds { vacuum, vacuum_scale, insert, insert_scale, analyze, analyze_scale })
    }
}

/// What one look at a table decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Dead or newly inserted rows to clear (and, when `analyze`, statistics too).
    Vacuum {
        table: String,
        analyze: bool,
    },
    Analyze(String),
}

impl Work {
    pub fn table(&self) -> &str {
        match self {
            Work::Vacuum { table, .. } | Work::Analyze(table) => table,
        }
    }

    fn sql(&self) -> String {
        match self {
            Work::Vacuum { table, analyze: true } => format!("VACUUM (ANALYZE, SKIP_LOCKED) {}", quote(table)),
            Work::Vacuum { table, analyze: false } => format!("VACUUM (SKIP_LOCKED) {}", quote(table)),
            Work::Analyze(table) => format!("ANALYZE (SKIP_LOCKED) {}", quote(table)),
        }
    }
}

/// One table's counters, as `pg_stat_user_tables` and `pg_class` hold them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TableStats {
    pub name: String,
    /// The planner's row count (-1 or 0 before the table's first analysis).
    pub reltuples: f32,
    pub n_dead_tup: i64,
    pub n_ins_since_vacuum: i64,
    pub n_mod_since_analyze: i64,
}

impl Thresholds {
    /// Autovacuum's rule: vacuum when dead (or newly inserted) rows pass a threshold plus a share
    /// of the table; analyse when changed rows do.
    pub fn due(&self, t: &TableStats) -> Option<Work> {
        let rows = f64::from(t.reltuples.max(0.0));
        let dead = t.n_dead_tup as f64 > self.vacuum + self.vacuum_scale * rows;
        let inserted = self.insert >= 0.0 && t.n_ins_since_vacuum as f64 > self.insert + self.insert_scale * rows;
        let analyze = t.n_mod_since_analyze as f64 > self.analyze + self.analyze_scale * rows;
        match (dead || inserted, analyze) {
            (true, analyze) => Some(Work::Vacuum { table: t.name.clone(), analyze }),
            (false, true) => Some(Work::Analyze(t.name.clone())),
            (false, false) => None,
        }
    }
}

/// Runs upkeep on `pool`'s database every [`INTERVAL`] until `shutdown`, when `mode` says so.
/// Each round borrows a connection from the pool; a round that fails gives its connection up
/// (and with it the turn), so a broken round never holds the other replicas back.
pub async fn run(pool: PgPool, mode: Mode, shutdown: CancellationToken) -> anyhow::Result<()> {
    if mode == Mode::Off {
        return Ok(());
    }
    let mut decided = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(INTERVAL) => {}
        }
        let Ok(mut conn) = pool.acquire().await else { continue };
        if !decided {
            let Ok(autovacuum) =
                sqlx::query_scalar::<_, String>("SELECT current_setting('autovacuum')").fetch_one(&mut *conn).await
            else {
                continue;
            };
            if mode == Mode::Auto && autovacuum == "on" {
                return Ok(());
            }
            tracing::info!(autovacuum, "upkeep: this service analyses and vacuums its own tables");
            decided = true;
        }
        if let Err(e) = tick(&mut conn).await {
            tracing::warn!(error = %e, "upkeep failed; trying again");
            conn.detach().close().await.ok();
        }
    }
}

/// One round: when this replica holds the turn, analyses or vacuums every table that is due.
/// Returns what it did.
pub async fn tick(conn: &mut PgConnection) -> sqlx::Result<Vec<Work>> {
    let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(LOCK).fetch_one(&mut *conn).await?;
    if !mine {
        return Ok(Vec::new());
    }
    let done = due_work(conn).await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK).execute(&mut *conn).await?;
    done
}

/// What upkeep would do now in `conn`'s database (the tables due, by the server's thresholds),
/// without doing it. The counters it reads lag behind: a server backend reports its changes at
/// most once a second, and an idle one up to 10 s late.
pub async fn due(conn: &mut PgConnection) -> sqlx::Result<Vec<Work>> {
    let thresholds = Thresholds::read(conn).await?;
    let tables: Vec<TableStats> = sqlx::query_as(
        "SELECT s.relname::text AS name, c.reltuples, s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.schemaname = current_schema() ORDER BY s.relname",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(tables.iter().filter_map(|t| thresholds.due(t)).collect())
}

async fn due_work(conn: &mut PgConnection) -> sqlx::Result<Vec<Work>> {
    let work = due(conn).await?;
    if !work.is_empty() {
        // As gentle as autovacuum itself would be (-1: autovacuum uses the plain setting). The
        // settings stay on this pooled connection; they touch nothing but VACUUM and ANALYZE.
        sqlx::query(
            "SELECT set_config('vacuum_cost_delay', CASE WHEN current_setting('autovacuum_vacuum_cost_delay') = '-1'
                        THEN current_setting('vacuum_cost_delay') ELSE current_setting('autovacuum_vacuum_cost_delay') END, false),
                    set_config('vacuum_cost_limit', CASE WHEN current_setting('autovacuum_vacuum_cost_limit') = '-1'
                        THEN current_setting('vacuum_cost_limit') ELSE current_setting('autovacuum_vacuum_cost_limit') END, false)",
        )
        .execute(&mut *conn)
        .await?;
    }
    for w in &work {
        let sql = w.sql();
        let started = std::time::Instant::now();
        sqlx::query(&sql).persistent(false).execute(&mut *conn).await?;
        tracing::debug!(sql, ms = started.elapsed().as_millis() as u64, "upkeep");
    }
    Ok(work)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Thresholds {
        // PostgreSQL 15's defaults.
        Thresholds {
            vacuum: 50.0,
            vacuum_scale: 0.2,
            insert: 1000.0,
            insert_scale: 0.2,
            analyze: 50.0,
            analyze_scale: 0.1,
        }
    }

    fn table(reltuples: f32, dead: i64, inserted: i64, modified: i64) -> TableStats {
        TableStats {
            name: "t".into(),
            reltuples,
            n_dead_tup: dead,
            n_ins_since_vacuum: inserted,
            n_mod_since_analyze: modified,
        }
    }

    #[test]
    fn a_table_never_analysed_is_due_after_its_first_changes() {
        let t = defaults();
        assert_eq!(t.due(&table(-1.0, 0, 40, 40)), None);
        assert_eq!(t.due(&table(-1.0, 0, 51, 51)), Some(Work::Analyze("t".into())));
        // Past the insert threshold as well: vacuumed and analysed in one go.
        assert_eq!(t.due(&table(-1.0, 0, 1_001, 1_001)), Some(Work::Vacuum { table: "t".into(), analyze: true }));
    }

    #[test]
    fn a_big_table_waits_for_its_share() {
        let t = defaults();
        // 100,000 rows: analysed after 10,050 changes, vacuumed after 20,050 dead rows.
        assert_eq!(t.due(&table(100_000.0, 20_000, 0, 10_000)), None);
        assert_eq!(t.due(&table(100_000.0, 20_000, 0, 10_051)), Some(Work::Analyze("t".into())));
        assert_eq!(t.due(&table(100_000.0, 20_051, 0, 0)), Some(Work::Vacuum { table: "t".into(), analyze: false }));
        // Inserts alone vacuum too (the visibility map, for index-only scans).
        assert_eq!(t.due(&table(100_000.0, 0, 21_001, 0)), Some(Work::Vacuum { table: "t".into(), analyze: false }));
    }

    #[test]
    fn statements_quote_the_table() {
        assert_eq!(Work::Analyze("order_facts".into()).sql(), "ANALYZE (SKIP_LOCKED) \"order_facts\"");
        assert_eq!(
            Work::Vacuum { table: "we\"ird".into(), analyze: true }.sql(),
            "VACUUM (ANALYZE, SKIP_LOCKED) \"we\"\"ird\""
        );
    }
}
