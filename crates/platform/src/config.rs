//! Layered configuration: built-in defaults < `partnerline.toml` (or the file named by
//! `PARTNERLINE_CONFIG`) < `PARTNERLINE_*` environment variables, nested with `__`
//! (`PARTNERLINE_DATABASE__URL`, `PARTNERLINE_SERVICES__IDENTITY__LISTEN`).
//!
//! Validated once at start: a bad value stops the process with a message naming the key.
//!
//! Any key can also come from a file, for Kubernetes secrets: `PARTNERLINE_AUTH__SIGNING_KEY_FILE=
//! /run/secrets/signing-key` sets `auth.signing_key` to that file's contents (trimmed).
//!
//! The built-in development secrets (signing key, IP-hash salt) exist only in a development run
//! (`dev = true`: `cargo xtask up`, the test harness, `partnerline --dev` or `PARTNERLINE_DEV=1`);
//! any other run that finds them, or has no signing or verifying key, refuses to start.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The signing key seed of development runs only. Its value is public (it is in this file), so a
/// run that is not a development run refuses it: a real deployment sets `auth.signing_key`
/// (identity) and `auth.verify_keys` (everyone).
pub const DEV_SIGNING_KEY: &str = "ZGV2LW9ubHktaW5zZWN1cmUtc2lnbmluZy1rZXkhISE";
pub const DEV_KEY_ID: &str = "dev-insecure";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// A development run: the built-in signing key and IP-hash salt are used when none is set,
    /// and development-only endpoints and providers may exist. Never set in production.
    pub dev: bool,
    pub database: DatabaseConfig,
    pub nats: NatsConfig,
    pub telemetry: TelemetryConfig,
    pub admin: AdminConfig,
    pub auth: AuthConfig,
    /// Where each service listens and where the others reach it.
    pub services: BTreeMap<String, Endpoint>,
    /// Anything else, for a service's own section (`Config::section`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseConfig {
    /// Server URL without a database name; each service uses `<name_prefix><service>`.
    pub url: String,
    pub name_prefix: String,
    pub max_connections: u32,
    /// Create the service database when it does not exist (dev, tests).
    pub create_missing: bool,
    /// `auto` (default): analyse and vacuum the service's own tables when the server's
    /// autovacuum is off; `on`: always; `off`: never (see `platform::upkeep`).
    pub upkeep: crate::upkeep::Mode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NatsConfig {
    pub url: String,
    /// Prepended to every subject (`<prefix>.orders.>`) and stream name (`<PREFIX>_ORDERS`), so
    /// two test runs, or two installations on one NATS, never see each other's events.
    pub prefix: String,
    /// Seconds within which JetStream drops a re-published event with the same id.
    pub duplicate_window_secs: u64,
    /// Replicas of each stream a service creates (1-5; a JetStream cluster of 3 wants 3, so an
    /// acknowledged event survives the loss of a node). Applies when the stream is created.
    pub stream_replicas: usize,
    /// X7: days a stream keeps an event (0: for ever); events carry personal data an erasure
    /// cannot reach inside a stream. Applied at every start, to existing streams too.
    pub stream_max_age_days: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TelemetryConfig {
    /// `json` (default) or `pretty`.
    pub log_format: String,
    /// An `EnvFilter` directive; `RUST_LOG` wins when set.
    pub log_level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminConfig {
    /// `/healthz`, `/readyz` and `/metrics`.
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthConfig {
    /// Base64url Ed25519 seed (32 bytes) used by identity to sign access tokens. Services that
    /// only verify may set `verify_keys` instead.
    pub signing_key: Option<String>,
    pub signing_key_id: String,
    /// Public keys every service accepts (besides the signing key's own), for key rotation.
    pub verify_keys: Vec<VerifyKey>,
    pub issuer: String,
    /// Lifetime of an access token; a verifier refuses any token claiming a longer one.
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u64,
    /// Argon2id memory cost in KiB (OWASP: 19456).
    pub argon2_memory_kib: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyKey {
    pub kid: String,
    /// Base64url of the raw 32-byte Ed25519 public key (the JWK `x`).
    pub x: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    /// Address this service binds.
    pub listen: SocketAddr,
    /// URL other services use to reach it.
    pub url: String,
}

impl Default for Config {
    #[allow(clippy::unwrap_used)] // literal addresses
    fn default() -> Self {
        let svc = |port: u16| Endpoint {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            url: format!("http://127.0.0.1:{port}"),
        };
        let services = [
            ("gateway", 8080),
            ("identity", 50051),
            ("customers", 50052),
            ("orders", 50053),
            ("attribution", 50054),
            ("commissions", 50055),
            ("notifications", 50056),
        ]
        .into_iter()
        .map(|(n, p)| (n.to_string(), svc(p)))
        .collect();
        Config {
            dev: false,
            database: DatabaseConfig {
                url: "postgres://postgres@127.0.0.1:5432".into(),
                name_prefix: "partnerline_".into(),
                max_connections: 10,
                create_missing: true,
                upkeep: crate::upkeep::Mode::Auto,
            },
            nats: NatsConfig {
                url: "nats://127.0.0.1:4222".into(),
                prefix: String::new(),
                duplicate_window_secs: 120,
                stream_replicas: 1,
                stream_max_age_days: 30,
            },
            telemetry: TelemetryConfig { log_format: "json".into(), log_level: "info".into() },
            admin: AdminConfig { listen: SocketAddr::from(([127, 0, 0, 1], 9090)) },
            auth: AuthConfig {
                signing_key: None,
                signing_key_id: DEV_KEY_ID.into(),
                verify_keys: Vec::new(),
                issuer: "partnerline".into(),
                access_token_ttl_secs: 900,
                refresh_token_ttl_days: 30,
                argon2_memory_kib: 19456,
            },
            services,
            extra: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Loads defaults < `partnerline.toml` (or `$PARTNERLINE_CONFIG`) < `PARTNERLINE_*` env
    /// (and `PARTNERLINE_*_FILE` files).
    pub fn load() -> anyhow::Result<Config> {
        Self::load_as(false)
    }

    /// As [`Config::load`]; `dev` makes it a development run whatever the file and env say.
    pub fn load_as(dev: bool) -> anyhow::Result<Config> {
        let file = std::env::var("PARTNERLINE_CONFIG").unwrap_or_else(|_| "partnerline.toml".into());
        Self::load_from(Path::new(&file), Env::prefixed("PARTNERLINE_").split("__"), dev)
    }

    fn load_from(file: &Path, env: Env, dev: bool) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default())).merge(Toml::file(file));
        let mut files = Vec::new();
        for (key, path) in env.iter() {
            if let Some(key) = key.as_str().to_ascii_lowercase().strip_suffix("_file") {
                files.push((key.to_string(), path));
            }
        }
        figment =
            figment.merge(env.ignore(&["config"]).filter(|key| !key.as_str().to_ascii_lowercase().ends_with("_file")));
        for (key, path) in files {
            let value = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("configuration: {key} is to be read from {path}: {e}"))?;
            figment = figment.merge((key, value.trim().to_string()));
        }
        if dev {
            figment = figment.merge(("dev", true));
        }
        let mut cfg: Config = figment.extract().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        if cfg.dev && cfg.auth.signing_key.is_none() && cfg.auth.verify_keys.is_empty() {
            cfg.auth.signing_key = Some(DEV_SIGNING_KEY.into());
            cfg.auth.signing_key_id = DEV_KEY_ID.into();
        }
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let dev_x = dev_public_key();
        let dev_key = self.auth.signing_key.as_deref().map(str::trim) == Some(DEV_SIGNING_KEY)
            || self.auth.verify_keys.iter().any(|k| k.kid == DEV_KEY_ID || k.x == dev_x);
        anyhow::ensure!(
            self.dev || !dev_key,
            "configuration: auth.signing_key is the built-in development key, whose seed is public: set \
             auth.signing_key (or PARTNERLINE_AUTH__SIGNING_KEY_FILE) to a key of your own, or run with \
             --dev for a development run"
        );
        anyhow::ensure!(
            self.database.url.starts_with("postgres"),
            "configuration: database.url must be a postgres:// URL"
        );
        anyhow::ensure!(self.nats.url.contains("://"), "configuration: nats.url must be a nats:// URL");
        anyhow::ensure!(
            self.nats.prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "configuration: nats.prefix may hold only letters, digits, '_' and '-'"
        );
        anyhow::ensure!(
            (1..=5).contains(&self.nats.stream_replicas),
            "configuration: nats.stream_replicas must be between 1 and 5"
        );
        anyhow::ensure!(
            (60..=86_400).contains(&self.auth.access_token_ttl_secs),
            "configuration: auth.access_token_ttl_secs must be between 60 and 86400"
        );
        anyhow::ensure!(
            self.auth.argon2_memory_kib >= 1024,
            "configuration: auth.argon2_memory_kib must be at least 1024"
        );
        Ok(())
    }

    /// Says loudly that this is a development run, once at start.
    pub fn warn_if_dev(&self) {
        if self.dev {
            tracing::warn!(
                "DEVELOPMENT RUN: built-in secrets (signing key, IP-hash salt) and development-only \
                 endpoints may be in use; anyone can forge this installation's tokens. Never expose it."
            );
        }
    }

    pub fn endpoint(&self, service: &str) -> anyhow::Result<&Endpoint> {
        self.services.get(service).ok_or_else(|| anyhow::anyhow!("configuration: services.{service} is missing"))
    }

    /// A service's own settings section, e.g. `[identity]` in the TOML file.
    pub fn section<T: serde::de::DeserializeOwned + Default>(&self, name: &str) -> anyhow::Result<T> {
        match self.extra.get(name) {
            None => Ok(T::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| anyhow::anyhow!("configuration: [{name}]: {e}")),
        }
    }

    /// Postgres URL of a service's own database.
    pub fn database_url(&self, service: &str) -> String {
        format!("{}/{}{}", self.database.url.trim_end_matches('/'), self.database.name_prefix, service)
    }
}

/// The public half of [`DEV_SIGNING_KEY`], so a verify key copied from a development run is
/// refused as well.
fn dev_public_key() -> String {
    crate::auth::Signer::from_seed(DEV_SIGNING_KEY, DEV_KEY_ID, "")
        .map(|s| s.public_x().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #![allow(clippy::result_large_err)] // figment::Jail's own error type
    use super::*;

    #[test]
    fn defaults_then_file_then_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "partnerline.toml",
                r#"
                [database]
                url = "postgres://file@db:5432"
                max_connections = 3
                [nats]
                prefix = "fromfile"
                [identity]
                login_attempts = 7
                "#,
            )?;
            jail.set_env("PL_TEST_NATS__PREFIX", "fromenv");
            let cfg =
                Config::load_from(Path::new("partnerline.toml"), Env::prefixed("PL_TEST_").split("__"), true).unwrap();
            assert_eq!(cfg.database.url, "postgres://file@db:5432", "file overrides default");
            assert_eq!(cfg.database.max_connections, 3);
            assert_eq!(cfg.nats.prefix, "fromenv", "env overrides file");
            assert_eq!(cfg.nats.url, "nats://127.0.0.1:4222", "default kept");
            #[derive(Deserialize, Default)]
            struct Identity {
                login_attempts: u32,
            }
            assert_eq!(cfg.section::<Identity>("identity").unwrap().login_attempts, 7);
            assert_eq!(cfg.database_url("orders"), "postgres://file@db:5432/partnerline_orders");
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PL_BAD_ADMIN__LISTEN", "not-an-address");
            let err =
                Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_BAD_").split("__"), true).unwrap_err();
            assert!(err.to_string().to_lowercase().contains("admin.listen"), "{err}");
            jail.set_env("PL_BAD_ADMIN__LISTEN", "127.0.0.1:1");
            jail.set_env("PL_BAD_NATS__PREFIX", "a.b");
            let err =
                Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_BAD_").split("__"), true).unwrap_err();
            assert!(err.to_string().contains("nats.prefix"), "{err}");
            jail.set_env("PL_BAD_NATS__PREFIX", "ok");
            jail.set_env("PL_BAD_NATS__STREAM_REPLICAS", "7");
            let err =
                Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_BAD_").split("__"), true).unwrap_err();
            assert!(err.to_string().contains("nats.stream_replicas"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn a1_the_built_in_signing_key_is_refused_outside_a_development_run() {
        figment::Jail::expect_with(|jail| {
            let load = |dev| Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_SEC_").split("__"), dev);
            let cfg = load(false).unwrap();
            assert_eq!(cfg.auth.signing_key, None, "no built-in key unless it is a development run");
            assert!(!cfg.dev);
            let cfg = load(true).unwrap();
            assert_eq!(cfg.auth.signing_key.as_deref(), Some(DEV_SIGNING_KEY), "a development run gets the dev key");
            jail.set_env("PL_SEC_AUTH__SIGNING_KEY", DEV_SIGNING_KEY);
            let err = load(false).unwrap_err().to_string();
            assert!(err.contains("auth.signing_key") && err.contains("--dev"), "{err}");
            jail.set_env("PL_SEC_DEV", "true");
            assert!(load(false).unwrap().dev, "PARTNERLINE_DEV=true is a development run");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("PL_SEC2_AUTH__VERIFY_KEYS", format!("[{{kid=\"copied\",x=\"{}\"}}]", dev_public_key()));
            let err = Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_SEC2_").split("__"), false)
                .unwrap_err()
                .to_string();
            assert!(err.contains("development key"), "a verify key copied from a dev run: {err}");
            Ok(())
        });
    }

    #[test]
    fn a_secret_can_come_from_a_file() {
        figment::Jail::expect_with(|jail| {
            let seed = crate::auth::Signer::generate_seed();
            jail.create_file("signing-key", &format!("{seed}\n"))?;
            jail.set_env("PL_FILE_AUTH__SIGNING_KEY_FILE", "signing-key");
            let cfg =
                Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_FILE_").split("__"), false).unwrap();
            assert_eq!(cfg.auth.signing_key.as_deref(), Some(seed.as_str()));
            jail.set_env("PL_FILE_AUTH__SIGNING_KEY_FILE", "no-such-file");
            let err = Config::load_from(Path::new("missing.toml"), Env::prefixed("PL_FILE_").split("__"), false)
                .unwrap_err()
                .to_string();
            assert!(err.contains("auth.signing_key") && err.contains("no-such-file"), "{err}");
            Ok(())
        });
    }
}
