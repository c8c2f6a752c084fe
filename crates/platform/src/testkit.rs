//! Isolation for tests against the real PostgreSQL and NATS: each [`TestEnv`] gets its own
//! database names (`pl_t<id>_<service>`), its own NATS prefix (`t<id>`) and signing key, and
//! removes them when done. Connection URLs come from the usual configuration
//! (`PARTNERLINE_DATABASE__URL`, `PARTNERLINE_NATS__URL`), so CI and new machines work alike.

use rand::Rng;

use crate::auth::Signer;
use crate::config::Config;
use crate::nats::Bus;

pub struct TestEnv {
    pub config: Config,
    pub id: String,
    cleaned: bool,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let id: String = {
            let mut rng = rand::thread_rng();
            (0..10).map(|_| char::from(b'a' + rng.gen_range(0..26u8))).collect()
        };
        // A development run (built-in IP-hash salt, development-only endpoints), with a key of its own.
        let mut config = Config::load_as(true).unwrap_or_default();
        config.dev = true;
        config.database.name_prefix = format!("pl_t{id}_");
        config.database.max_connections = 5;
        config.nats.prefix = format!("t{id}");
        config.auth.signing_key = Some(Signer::generate_seed());
        config.auth.signing_key_id = format!("test-{id}");
        // Cheap hashes: the tests check behaviour, not cost.
        config.auth.argon2_memory_kib = 1024;
        if std::env::var_os("TEST_LOG").is_some() {
            config.telemetry.log_format = "pretty".into();
            config.telemetry.log_level = "info,sqlx=warn".into();
            let _ = crate::telemetry::init("test", &config.telemetry).map(std::mem::forget);
        }
        TestEnv { config, id, cleaned: false }
    }

    /// The environment a `partnerline` process needs to run in this test environment: a
    /// development run on its databases, NATS prefix and signing key. Callers add what differs
    /// per process (addresses, pool size, logging).
    pub fn process_env(&self) -> Vec<(&'static str, String)> {
        let c = &self.config;
        vec![
            // Only the environment counts, never a partnerline.toml lying around.
            ("PARTNERLINE_CONFIG", "/nonexistent/partnerline.toml".into()),
            ("PARTNERLINE_DEV", "true".into()),
            ("PARTNERLINE_DATABASE__URL", c.database.url.clone()),
            ("PARTNERLINE_DATABASE__NAME_PREFIX", c.database.name_prefix.clone()),
            ("PARTNERLINE_NATS__URL", c.nats.url.clone()),
            ("PARTNERLINE_NATS__PREFIX", c.nats.prefix.clone()),
            ("PARTNERLINE_AUTH__SIGNING_KEY", c.auth.signing_key.clone().unwrap_or_default()),
            ("PARTNERLINE_AUTH__SIGNING_KEY_ID", c.auth.signing_key_id.clone()),
            ("PARTNERLINE_AUTH__ARGON2_MEMORY_KIB", c.auth.argon2_memory_kib.to_string()),
        ]
    }

    pub fn database_name(&self, service: &str) -> String {
        format!("{}{}", self.config.database.name_prefix, service)
    }

    /// Drops this environment's databases and streams.
    pub async fn cleanup(&mut self) {
        self.cleaned = true;
        cleanup(&self.config).await;
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

async fn cleanup(config: &Config) {
    let prefix = config.database.name_prefix.clone();
    if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&format!(
        "{}/postgres",
        config.database.url.trim_end_matches('/')
    ))
    .await
    {
        let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(&prefix)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
        for n in names {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{n}\" WITH (FORCE)")).execute(&mut conn).await;
        }
    }
    if let Ok(bus) = Bus::connect(&config.nats, "test-cleanup").await {
        let mut names = bus.js.stream_names();
        let upper = config.nats.prefix.to_ascii_uppercase();
        let mut mine = Vec::new();
        while let Some(Ok(n)) = futures::StreamExt::next(&mut names).await {
            if n.starts_with(&format!("{upper}_")) {
                mine.push(n);
            }
        }
        for n in mine {
            let _ = bus.js.delete_stream(n).await;
        }
    }
}

impl Drop for TestEnv {
    /// A test that panicked before `cleanup` still leaves nothing behind.
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let config = self.config.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(cleanup(&config));
            }
        })
        .join();
    }
}
