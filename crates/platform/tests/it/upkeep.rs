//! Upkeep: on a server whose autovacuum is off, a service analyses and vacuums its own tables
//! once they changed enough, and replicas take turns.

use std::time::Duration;

use platform::testkit::TestEnv;
use platform::upkeep::{self, Mode, Work};
use platform::{Clock, Runtime};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

async fn setup() -> (TestEnv, PgPool) {
    let mut env = TestEnv::new();
    // The test drives the rounds itself.
    env.config.database.upkeep = Mode::Off;
    let rt = Runtime::new(env.config.clone(), Clock::system(), CancellationToken::new());
    let pool = rt.database("upkeeptest", sqlx::migrate::Migrator::DEFAULT).await.unwrap();
    sqlx::query("CREATE TABLE widgets (id INT PRIMARY KEY, tenant INT NOT NULL, n INT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("CREATE INDEX widgets_tenant ON widgets (tenant, n)").execute(&pool).await.unwrap();
    (env, pool)
}

/// What the planner and the statistics collector know of `widgets`.
async fn widgets(conn: &mut PgConnection) -> (f32, i64, i64) {
    sqlx::query_as(
        "SELECT c.reltuples, s.n_mod_since_analyze, s.analyze_count + s.autoanalyze_count
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'widgets'",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// Inserts and waits until the statistics collector has counted the rows.
async fn insert(pool: &PgPool, rows: i32) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("INSERT INTO widgets SELECT g, g % 7, g FROM generate_series(1, $1) g")
        .bind(rows)
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SELECT pg_stat_force_next_flush()").execute(&mut *conn).await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *conn).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while widgets(&mut conn).await.1 < i64::from(rows) {
        assert!(tokio::time::Instant::now() < deadline, "the statistics never counted the inserted rows");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn upkeep_gives_a_changed_table_statistics_and_leaves_a_fresh_one_alone() {
    let (mut env, pool) = setup().await;
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(upkeep::tick(&mut conn).await.unwrap(), vec![], "an empty database needs nothing");

    insert(&pool, 5_000).await;
    let (planner_rows, _, analyses) = widgets(&mut conn).await;
    assert!(planner_rows <= 0.0, "never analysed yet: the planner does not know the size ({planner_rows})");
    assert_eq!(analyses, 0);

    // 5,000 new rows pass the insert threshold (1,000 by default): due, and looking changes nothing.
    let due = upkeep::due(&mut conn).await.unwrap();
    assert!(due.contains(&Work::Vacuum { table: "widgets".into(), analyze: true }), "{due:?}");
    assert_eq!(widgets(&mut conn).await.2, 0, "due() only looks");
    // Vacuumed, and so analysed.
    let done = upkeep::tick(&mut conn).await.unwrap();
    assert!(done.contains(&Work::Vacuum { table: "widgets".into(), analyze: true }), "{done:?}");
    let (planner_rows, changed, analyses) = widgets(&mut conn).await;
    assert_eq!(planner_rows, 5_000.0, "the planner now knows the table's size");
    assert_eq!(changed, 0);
    assert_eq!(analyses, 1);

    // Nothing changed since: the next round does nothing.
    let again = upkeep::tick(&mut conn).await.unwrap();
    assert!(!again.iter().any(|w| w.table() == "widgets"), "{again:?}");
    assert!(!upkeep::due(&mut conn).await.unwrap().iter().any(|w| w.table() == "widgets"));
    assert_eq!(widgets(&mut conn).await.2, 1);
    drop(conn);
    pool.close().await;
    env.cleanup().await;
}

#[tokio::test]
async fn while_one_replica_keeps_the_tables_another_waits_its_turn() {
    let (mut env, pool) = setup().await;
    insert(&pool, 2_000).await;
    let mut first = pool.acquire().await.unwrap();
    let mut second = pool.acquire().await.unwrap();
    // The first replica is in the middle of a round: it holds the turn.
    let lock: i64 = 0x7570_6b65_6570;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(lock).execute(&mut *first).await.unwrap();
    assert_eq!(upkeep::tick(&mut second).await.unwrap(), vec![], "not its turn");
    assert_eq!(widgets(&mut second).await.2, 0);
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(lock).execute(&mut *first).await.unwrap();
    let done = upkeep::tick(&mut second).await.unwrap();
    assert!(done.iter().any(|w| w.table() == "widgets"), "{done:?}");
    drop((first, second));
    pool.close().await;
    env.cleanup().await;
}
