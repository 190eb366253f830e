//! Passwords (Argon2id), secrets (session and API tokens, stored only as
//! SHA-256 hashes) and the signed-in principal. Passwords are checked
//! through the throttle (`crate::throttle`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jousei_core::role::{Permission, Role};
use jousei_store::{Clinic, Grant, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ServiceError;

/// Hashes a password with Argon2id (PHC string). CPU-heavy: call from
/// `spawn_blocking`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hash: {e}"))
}

/// Checks a password against a PHC string. A malformed hash never matches.
/// Private: every check of a password goes through `crate::throttle`.
fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// How many Argon2 computations may run at once (each takes ~19 MiB and a
/// core for tens of milliseconds); the others wait their turn, so a burst
/// of password checks cannot exhaust memory or starve the server.
pub const ARGON2_CONCURRENCY: usize = 4;

static ARGON2_PERMITS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(ARGON2_CONCURRENCY);

/// Runs an Argon2 computation off the async runtime, within the bound.
async fn argon2_bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    let _permit = ARGON2_PERMITS
        .acquire()
        .await
        .map_err(ServiceError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ServiceError::internal)
}

/// Argon2 off the async runtime.
pub async fn hash_password_async(password: String) -> Result<String, ServiceError> {
    argon2_bounded(move || hash_password(&password))
        .await?
        .map_err(ServiceError::internal)
}

/// Checks a password off the async runtime. Only `crate::throttle` calls
/// this: every check of a password passes the throttle first.
pub(crate) async fn verify_password_async(
    password: String,
    phc: String,
) -> Result<bool, ServiceError> {
    argon2_bounded(move || verify_password(&password, &phc)).await
}

/// A hash that takes as long to check as a real one, so an unknown login
/// cannot be told from a wrong password by timing.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2ZBWQiH6bXVe5bDRIJTzXrBtb9o+6H4pHOE1uKDUUXQ"
}

/// 32 random bytes, hex.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The SHA-256 of a secret, as stored.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// API tokens look like `jst_<64 hex>`; the first 12 characters are shown
/// as the token's identifier.
pub fn new_api_token() -> (String, String) {
    let token = format!("jst_{}", random_secret());
    let prefix: String = token.chars().take(12).collect();
    (token, prefix)
}

/// Compares secrets in constant time.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session { id: Uuid, csrf: String },
    Token { id: Uuid },
}

/// The signed-in person, in their current clinic.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub clinic: Clinic,
    pub role: Role,
    pub grants: Vec<Grant>,
    pub via: Via,
}

impl Principal {
    /// Refuses with `forbidden` unless the role holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), ServiceError> {
        if self.role.permits(p) {
            Ok(())
        } else {
            Err(ServiceError::forbidden())
        }
    }
    pub fn can(&self, p: Permission) -> bool {
        self.role.permits(p)
    }
    pub fn actor(&self) -> jousei_store::Actor {
        jousei_store::Actor::user(self.user.id, &self.user.login)
    }
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token { .. } => None,
        }
    }
    /// Ids of every clinic this person may see.
    pub fn clinic_ids(&self) -> Vec<Uuid> {
        self.grants.iter().map(|g| g.clinic.id).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip() {
        let h = hash_password("Kusuri-2026-ok").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Kusuri-2026-ok", &h));
        assert!(!verify_password("Kusuri-2026-ok!", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("x", dummy_hash()));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, pa) = new_api_token();
        let (b, _) = new_api_token();
        assert_ne!(a, b);
        assert!(a.starts_with("jst_") && a.len() == 68);
        assert_eq!(pa.len(), 12);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), a);
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &b));
    }
}
