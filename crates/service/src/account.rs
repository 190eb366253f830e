//! Use cases shared by the web UI and the JSON API, so both behave the same:
//! validation, permission, storage and audit in one place.

use jousei_core::password::check_new_password;
use jousei_core::role::{Permission, Role};
use jousei_core::text::{Login, required_name};
use jousei_store::{Actor, ApiToken, NewApiToken, NewSession, NewUser, Ts, User};

use crate::Service;
use crate::auth::{Principal, Via, hash_password_async, new_api_token, random_secret, secret_hash};
use crate::error::ErrorKind;
use crate::error::ServiceError;
use crate::throttle::{Purpose, account_key, check_password};

/// A new session: the cookie value (shown only to the browser).
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub user: User,
}

/// Checks a login and password (through the throttle, `crate::throttle`)
/// and opens a session in the user's first clinic. Every wrong password or
/// unknown login is answered the same way (`login_failed`) so an attacker
/// cannot tell them apart, and recorded.
pub async fn sign_in(svc: &Service, login: &str, password: &str) -> Result<SignedIn, ServiceError> {
    let checked = check_password(svc, Purpose::SignIn, login, "login", password, None).await?;
    let Some(creds) = checked else {
        return Err(ServiceError::new(
            ErrorKind::Unauthenticated,
            "login_failed",
        ));
    };
    if !creds.user.active {
        return Err(ServiceError::new(ErrorKind::Forbidden, "user_inactive"));
    }
    let grants = svc.store.grants_of_user(creds.user.id).await?;
    let Some(first) = grants.first() else {
        return Err(ServiceError::new(ErrorKind::Forbidden, "no_clinic"));
    };
    let token = random_secret();
    let hours = i64::try_from(svc.settings.session_max_hours).unwrap_or(12);
    let expires = Ts::from(svc.now() + jiff::SignedDuration::from_hours(hours));
    svc.store
        .create_session(
            &Actor::user(creds.user.id, &creds.user.login),
            &NewSession {
                token_hash: secret_hash(&token),
                user_id: creds.user.id,
                clinic_id: first.clinic.id,
                csrf_token: random_secret(),
                expires_at: expires,
            },
        )
        .await?;
    Ok(SignedIn {
        token,
        user: creds.user,
    })
}

/// Moves the session to another clinic the user is granted.
pub async fn switch_clinic(svc: &Service, p: &Principal, code: &str) -> Result<(), ServiceError> {
    let Via::Session { id, .. } = &p.via else {
        return Err(ServiceError::forbidden());
    };
    let Some(grant) = p.grants.iter().find(|g| g.clinic.code == code.trim()) else {
        return Err(
            ServiceError::new(ErrorKind::Forbidden, "clinic_not_granted").with_field("clinic"),
        );
    };
    svc.store
        .switch_session_clinic(&p.actor(), *id, grant.clinic.id)
        .await?;
    Ok(())
}

/// Creates a user in the principal's current clinic.
pub async fn create_user(
    svc: &Service,
    p: &Principal,
    login: &str,
    display_name: &str,
    role: &str,
    password: &str,
) -> Result<User, ServiceError> {
    p.require(Permission::ManageUsers)?;
    let login = Login::parse(login)?;
    let display_name = required_name(display_name, "display_name", 100)?;
    let role = Role::parse(role)
        .ok_or_else(|| ServiceError::new(ErrorKind::Invalid, "role_invalid").with_field("role"))?;
    check_new_password(password, login.as_str(), false)?;
    let hash = hash_password_async(password.to_string()).await?;
    let user = svc
        .store
        .create_user(
            &p.actor(),
            &NewUser {
                login: login.as_str().to_string(),
                display_name,
                password_hash: hash.clone(),
                clinic_id: p.clinic.id,
                role,
            },
        )
        .await?;
    // The administrator chose this password: the new user changes it at
    // first sign-in (guideline 6.0).
    svc.store
        .set_password_hash(&p.actor(), p.clinic.id, user.id, &hash, true)
        .await?;
    Ok(User {
        must_change_password: true,
        ..user
    })
}

/// Changes the principal's own password after checking the current one.
pub async fn change_password(
    svc: &Service,
    p: &Principal,
    current: &str,
    new_password: &str,
) -> Result<(), ServiceError> {
    p.require(Permission::ManageOwnAccount)?;
    let checked = check_password(
        svc,
        Purpose::PasswordChange,
        &p.user.login,
        "login",
        current,
        Some(p.clinic.id),
    )
    .await?;
    if checked.is_none() {
        return Err(
            ServiceError::new(ErrorKind::Invalid, "password_incorrect").with_field("password")
        );
    }
    check_new_password(new_password, &p.user.login, false)
        .map_err(|e| ServiceError::new(ErrorKind::Invalid, e.code).with_field("new_password"))?;
    let hash = hash_password_async(new_password.to_string()).await?;
    svc.store
        .set_password_hash(&p.actor(), p.clinic.id, p.user.id, &hash, false)
        .await?;
    Ok(())
}

/// Creates an API token for the principal in their current clinic. Returns
/// the secret (shown once) and the stored record.
pub async fn create_token(
    svc: &Service,
    p: &Principal,
    name: &str,
) -> Result<(String, ApiToken), ServiceError> {
    p.require(Permission::ManageOwnAccount)?;
    let name = required_name(name, "name", 100)?;
    let (token, prefix) = new_api_token();
    let rec = svc
        .store
        .create_api_token(
            &p.actor(),
            &NewApiToken {
                user_id: p.user.id,
                clinic_id: p.clinic.id,
                name,
                token_hash: secret_hash(&token),
                prefix,
            },
        )
        .await?;
    Ok((token, rec))
}

/// Unlocks a user of the principal's clinic whom the password throttle has
/// locked (admin). The account's count is cleared (audited as
/// `account_unlocked`); a locked client address ends with its window.
pub async fn unlock_user(
    svc: &Service,
    p: &Principal,
    user_id: uuid::Uuid,
) -> Result<(User, Role), ServiceError> {
    p.require(Permission::ManageUsers)?;
    let users = svc.store.users_in_clinic(p.clinic.id).await?;
    let Some((user, role)) = users.into_iter().find(|(u, _)| u.id == user_id) else {
        return Err(ServiceError::not_found());
    };
    svc.store
        .throttle_unlock(&p.actor(), p.clinic.id, user.id, &account_key(&user.login))
        .await?;
    Ok((user, role))
}

/// The logins, of those given, that the password throttle has locked now.
pub async fn locked_logins<'a>(
    svc: &Service,
    logins: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashSet<String>, ServiceError> {
    let keys: Vec<String> = logins.map(account_key).collect();
    let locked = svc.store.throttle_locked(&keys, svc.now_ts()).await?;
    Ok(locked
        .into_iter()
        .filter_map(|k| k.strip_prefix("login:").map(str::to_string))
        .collect())
}
