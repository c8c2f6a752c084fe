//! Secrets: argon2id password hashes, and opaque tokens (refresh tokens, API keys, invite
//! links) of 256 random bits that are stored only as their SHA-256 hash (A3).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Hashes a password with argon2id (memory cost from `auth.argon2_memory_kib`) off the async
/// runtime's threads.
pub async fn hash_password(password: String, memory_kib: u32) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = hasher(memory_kib)?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Ok(hash.to_string())
    })
    .await?
}

/// Checks a password against a stored hash (the parameters come from the hash itself).
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of no one's password, checked when an email is unknown so that a missing
/// account takes as long to refuse as a wrong password.
pub async fn dummy_verify(memory_kib: u32) {
    let _ = hash_password("not-a-real-password".into(), memory_kib).await;
}

fn hasher(memory_kib: u32) -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(memory_kib, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub use platform::auth::{random_token, token_hash as sha256};

/// An API key: `plk_<8-char prefix>_<secret>`. The prefix is shown in listings so a key can be
/// recognised; only the hash of the whole key is stored.
pub fn new_api_key() -> (String, String) {
    let secret = random_token();
    let prefix: String = secret.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    (format!("plk_{prefix}_{secret}"), prefix)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    use super::*;

    #[tokio::test]
    async fn a3_passwords_are_argon2id_and_verify() {
        let h = hash_password("correct horse".into(), 1024).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), h.clone()).await);
        assert!(!verify_password("wrong horse".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn a3_tokens_are_random_and_stored_as_hashes() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(B64.decode(&a).unwrap().len(), 32, "256 bits");
        assert_eq!(sha256(&a).len(), 32);
        let (key, prefix) = new_api_key();
        assert!(key.starts_with(&format!("plk_{prefix}_")));
    }
}
