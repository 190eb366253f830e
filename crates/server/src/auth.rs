//! Passwords (Argon2id), secrets (session and API tokens, stored only as
//! SHA-256 hashes), the signed-in principal and the login limiter.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::StatusCode;
use jousei_core::role::{Permission, Role};
use jousei_store::{Clinic, Grant, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;

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
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Argon2 off the async runtime.
pub async fn hash_password_async(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

pub async fn verify_password_async(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false)
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
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.role.permits(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
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

/// Counts failed sign-ins per login and locks a login after too many. Kept
/// in memory: a restart or another server node starts a fresh count.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    lockout: Duration,
    state: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, lockout: Duration) -> Self {
        LoginLimiter {
            max_failures,
            lockout,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(login_locked)` while the login is locked.
    pub fn check(&self, login: &str) -> Result<(), ApiError> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        if let Some((count, since)) = state.get(login).copied() {
            if since.elapsed() > self.lockout {
                state.remove(login);
            } else if count >= self.max_failures {
                let minutes = self.lockout.as_secs().div_ceil(60);
                return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "login_locked")
                    .with_arg("minutes", minutes));
            }
        }
        Ok(())
    }

    pub fn failed(&self, login: &str) {
        if let Ok(mut state) = self.state.lock() {
            let entry = state
                .entry(login.to_string())
                .or_insert((0, Instant::now()));
            if entry.1.elapsed() > self.lockout {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
            entry.1 = Instant::now();
        }
    }

    pub fn succeeded(&self, login: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.remove(login);
        }
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

    #[test]
    fn limiter_locks_after_failures() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.check("sato").is_ok());
            l.failed("sato");
        }
        assert_eq!(l.check("sato").unwrap_err().code, "login_locked");
        assert!(l.check("kato").is_ok());
        l.succeeded("sato");
        assert!(l.check("sato").is_ok());
    }
}
