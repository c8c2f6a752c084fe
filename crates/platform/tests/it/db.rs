//! Databases of a fresh installation, created by whichever replica starts first.

use platform::testkit::TestEnv;

/// Replicas of one service starting together on a fresh install all ask for its database: one
/// creates it and the others find it, whichever way PostgreSQL reports the lost race (a
/// duplicate database, or a duplicate row in its catalog). Found when a second gateway replica
/// died at start with `pg_database_datname_index`.
#[tokio::test]
async fn replicas_racing_to_create_their_database_all_start() {
    let mut env = TestEnv::new();
    let name = env.database_name("racing");
    let url = env.config.database.url.clone();
    for round in 0..5 {
        let racers: Vec<_> = (0..6)
            .map(|_| {
                let (url, name) = (url.clone(), name.clone());
                tokio::spawn(async move { platform::db::ensure_database(&url, &name).await })
            })
            .collect();
        for r in racers {
            r.await.unwrap().unwrap_or_else(|e| panic!("round {round}: {e:#}"));
        }
        platform::db::drop_database(&url, &name).await.unwrap();
    }
    env.cleanup().await;
}
