//! One throttle for every password (security.md, "One throttle for every
//! password"). Every check of a password — sign-in, password change, the
//! password confirming a lot release, a physician's co-signature of an
//! override at the chair — goes through [`check_password`]:
//!
//! 1. a login longer than [`MAX_LOGIN_CHARS`] is refused (422
//!    `login_too_long`) before anything else;
//! 2. the attempt is counted in the database on the account
//!    (`login:<login>`) and on the client address (`addr:<ip>`) — increment
//!    then check, in one write transaction — so a parallel burst or a second
//!    server process cannot pass the limit; over it, 429
//!    `too_many_attempts` with `Retry-After`, the hash is not computed;
//! 3. only then Argon2 runs (with bounded concurrency, see
//!    [`crate::auth::verify_password_async`]);
//! 4. a wrong password is audited (`login_failed` for a sign-in,
//!    `password_check_failed` otherwise) with the login, the purpose and the
//!    address — never what was typed in the password field; a right one
//!    clears the account's count and gives the address its attempt back.

use std::cell::Cell;
use std::future::Future;
use std::net::IpAddr;

use jousei_store::throttle::{ThrottleKey, ThrottleVerdict};
use jousei_store::{Actor, AuditNote, UserCredentials};
use uuid::Uuid;

use crate::Service;
use crate::auth::{dummy_hash, verify_password_async};
use crate::error::ErrorKind;
use crate::error::ServiceError;

/// The longest login accepted at any password check.
pub const MAX_LOGIN_CHARS: usize = 64;
/// A client address may make this many times the per-account limit.
pub const ADDRESS_FACTOR: u32 = 10;

/// Why a password is checked (recorded in the audit entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    PasswordChange,
    LotRelease,
    OverrideCosign,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign_in",
            Purpose::PasswordChange => "password_change",
            Purpose::LotRelease => "lot_release",
            Purpose::OverrideCosign => "override_cosign",
        }
    }
}

/// What the request scope knows: the client address, and the `Retry-After`
/// a refusal asks for (set by [`check_password`], sent by [`request_scope`]
/// whatever renders the refusal: problem+json or a page).
#[derive(Debug)]
struct Scope {
    addr: Option<IpAddr>,
    retry_after: Cell<Option<i64>>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// Runs `fut` (one request) with the client's address known to every
/// password check inside it; returns its output and, when a check was
/// throttled, how many seconds the client must wait (`Retry-After`).
pub async fn in_request<F: Future>(addr: Option<IpAddr>, fut: F) -> (F::Output, Option<i64>) {
    let scope = Scope {
        addr,
        retry_after: Cell::new(None),
    };
    SCOPE
        .scope(scope, async move {
            let out = fut.await;
            let retry = SCOPE.try_with(|s| s.retry_after.get()).ok().flatten();
            (out, retry)
        })
        .await
}

fn client_addr() -> Option<IpAddr> {
    SCOPE.try_with(|s| s.addr).ok().flatten()
}

/// The login as stored (trimmed, lower case), refused with 422
/// `login_too_long` on `field` when longer than [`MAX_LOGIN_CHARS`].
pub fn guard_login(login: &str, field: &'static str) -> Result<String, ServiceError> {
    let login = login.trim();
    if login.chars().count() > MAX_LOGIN_CHARS {
        return Err(ServiceError::new(ErrorKind::Invalid, "login_too_long")
            .with_field(field)
            .with_arg("max", MAX_LOGIN_CHARS));
    }
    Ok(login.to_ascii_lowercase())
}

/// 429 `too_many_attempts`, asking to come back after `secs`.
pub fn too_many_attempts(secs: i64) -> ServiceError {
    let _ = SCOPE.try_with(|s| s.retry_after.set(Some(secs)));
    ServiceError::new(ErrorKind::TooManyAttempts, "too_many_attempts").with_arg(
        "minutes",
        secs.max(1).div_euclid(60) + i64::from(secs % 60 != 0),
    )
}

/// The throttle key of an account.
pub fn account_key(login_norm: &str) -> String {
    format!("login:{login_norm}")
}

/// Checks `password` for `login` through the throttle (see the module
/// documentation). `Ok(Some(creds))` when right, `Ok(None)` when wrong or
/// unknown (the same work is done either way); `login_field` names the
/// field for `login_too_long`; `clinic_id` is the clinic of the audit entry.
pub async fn check_password(
    svc: &Service,
    purpose: Purpose,
    login: &str,
    login_field: &'static str,
    password: &str,
    clinic_id: Option<Uuid>,
) -> Result<Option<UserCredentials>, ServiceError> {
    let login_norm = guard_login(login, login_field)?;
    let account = account_key(&login_norm);
    let addr = client_addr();
    let max = i64::from(svc.settings.login_max_failures.max(1));
    let mut keys = vec![ThrottleKey {
        key: account.clone(),
        max_attempts: max,
    }];
    let addr_key = addr.map(|a| format!("addr:{a}"));
    if let Some(k) = &addr_key {
        keys.push(ThrottleKey {
            key: k.clone(),
            max_attempts: max.saturating_mul(i64::from(ADDRESS_FACTOR)),
        });
    }
    let window = i64::try_from(svc.settings.login_lockout_secs.max(1)).unwrap_or(900);
    let verdict = svc
        .store
        .throttle_attempt(&keys, window, svc.now_ts())
        .await?;
    let facts = serde_json::json!({
        "login": login_norm,
        "purpose": purpose.as_str(),
        "address": addr.map(|a| a.to_string()),
    });
    if let ThrottleVerdict::Locked { retry_after_secs } = verdict {
        note(svc, clinic_id, "password_throttled", facts).await?;
        return Err(too_many_attempts(retry_after_secs));
    }
    let creds = svc.store.user_credentials(&login_norm).await?;
    let phc = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let ok = verify_password_async(password.to_string(), phc).await?;
    match creds.filter(|_| ok) {
        Some(creds) => {
            let give_back: Vec<String> = addr_key.into_iter().collect();
            svc.store.throttle_succeeded(&account, &give_back).await?;
            Ok(Some(creds))
        }
        None => {
            let action = match purpose {
                Purpose::SignIn => "login_failed",
                _ => "password_check_failed",
            };
            note(svc, clinic_id, action, facts).await?;
            Ok(None)
        }
    }
}

async fn note(
    svc: &Service,
    clinic_id: Option<Uuid>,
    action: &str,
    changes: serde_json::Value,
) -> Result<(), ServiceError> {
    let note = AuditNote {
        clinic_id,
        action: action.into(),
        entity_kind: "user".into(),
        entity_id: None,
        changes,
    };
    svc.store.note(&Actor::system("anonymous"), &note).await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn long_logins_are_refused_by_length_alone() {
        assert_eq!(guard_login(" Sato ", "login").unwrap(), "sato");
        assert!(guard_login(&"あ".repeat(64), "login").is_ok());
        let e = guard_login(&"a".repeat(65), "physician_login").unwrap_err();
        assert_eq!(
            (e.kind, e.code, e.field),
            (
                ErrorKind::Invalid,
                "login_too_long",
                Some("physician_login")
            )
        );
    }

    #[test]
    fn the_wait_is_given_in_whole_minutes() {
        let minutes = |s| too_many_attempts(s).args[0].1.clone();
        assert_eq!(minutes(1), "1");
        assert_eq!(minutes(60), "1");
        assert_eq!(minutes(61), "2");
        assert_eq!(minutes(900), "15");
    }
}
