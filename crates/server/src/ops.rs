//! Use cases shared by the web UI and the JSON API, so both behave the same:
//! validation, permission, storage and audit in one place.

use axum::http::StatusCode;
use jousei_core::password::check_new_password;
use jousei_core::role::{Permission, Role};
use jousei_core::text::{Login, required_name};
use jousei_store::{Actor, ApiToken, NewApiToken, NewSession, NewUser, Ts, User};

use crate::app::AppState;
use crate::auth::{Principal, Via, hash_password_async, new_api_token, random_secret, secret_hash};
use crate::error::ApiError;
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
pub async fn sign_in(state: &AppState, login: &str, password: &str) -> Result<SignedIn, ApiError> {
    let checked = check_password(state, Purpose::SignIn, login, "login", password, None).await?;
    let Some(creds) = checked else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "login_failed"));
    };
    if !creds.user.active {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "user_inactive"));
    }
    let grants = state.store.grants_of_user(creds.user.id).await?;
    let Some(first) = grants.first() else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "no_clinic"));
    };
    let token = random_secret();
    let hours = i64::try_from(state.cfg.session_max_hours).unwrap_or(12);
    let expires = Ts::from(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours));
    state
        .store
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
pub async fn switch_clinic(state: &AppState, p: &Principal, code: &str) -> Result<(), ApiError> {
    let Via::Session { id, .. } = &p.via else {
        return Err(ApiError::forbidden());
    };
    let Some(grant) = p.grants.iter().find(|g| g.clinic.code == code.trim()) else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "clinic_not_granted").with_field("clinic"));
    };
    state
        .store
        .switch_session_clinic(&p.actor(), *id, grant.clinic.id)
        .await?;
    Ok(())
}

/// Creates a user in the principal's current clinic.
pub async fn create_user(
    state: &AppState,
    p: &Principal,
    login: &str,
    display_name: &str,
    role: &str,
    password: &str,
) -> Result<User, ApiError> {
    p.require(Permission::ManageUsers)?;
    let login = Login::parse(login)?;
    let display_name = required_name(display_name, "display_name", 100)?;
    let role = Role::parse(role).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "role_invalid").with_field("role")
    })?;
    check_new_password(password, login.as_str(), false)?;
    let hash = hash_password_async(password.to_string()).await?;
    let user = state
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
    state
        .store
        .set_password_hash(&p.actor(), p.clinic.id, user.id, &hash, true)
        .await?;
    Ok(User {
        must_change_password: true,
        ..user
    })
}

/// Changes the principal's own password after checking the current one.
pub async fn change_password(
    state: &AppState,
    p: &Principal,
    current: &str,
    new_password: &str,
) -> Result<(), ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    let checked = check_password(
        state,
        Purpose::PasswordChange,
        &p.user.login,
        "login",
        current,
        Some(p.clinic.id),
    )
    .await?;
    if checked.is_none() {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "password_incorrect")
                .with_field("password"),
        );
    }
    check_new_password(new_password, &p.user.login, false).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code).with_field("new_password")
    })?;
    let hash = hash_password_async(new_password.to_string()).await?;
    state
        .store
        .set_password_hash(&p.actor(), p.clinic.id, p.user.id, &hash, false)
        .await?;
    Ok(())
}

/// Creates an API token for the principal in their current clinic. Returns
/// the secret (shown once) and the stored record.
pub async fn create_token(
    state: &AppState,
    p: &Principal,
    name: &str,
) -> Result<(String, ApiToken), ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    let name = required_name(name, "name", 100)?;
    let (token, prefix) = new_api_token();
    let rec = state
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
    state: &AppState,
    p: &Principal,
    user_id: uuid::Uuid,
) -> Result<(User, Role), ApiError> {
    p.require(Permission::ManageUsers)?;
    let users = state.store.users_in_clinic(p.clinic.id).await?;
    let Some((user, role)) = users.into_iter().find(|(u, _)| u.id == user_id) else {
        return Err(ApiError::not_found());
    };
    state
        .store
        .throttle_unlock(&p.actor(), p.clinic.id, user.id, &account_key(&user.login))
        .await?;
    Ok((user, role))
}

/// The logins, of those given, that the password throttle has locked now.
pub async fn locked_logins<'a>(
    state: &AppState,
    logins: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashSet<String>, ApiError> {
    let keys: Vec<String> = logins.map(account_key).collect();
    let locked = state.store.throttle_locked(&keys, Ts::now()).await?;
    Ok(locked
        .into_iter()
        .filter_map(|k| k.strip_prefix("login:").map(str::to_string))
        .collect())
}
