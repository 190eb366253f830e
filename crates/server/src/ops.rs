//! Use cases shared by the web UI and the JSON API, so both behave the same:
//! validation, permission, storage and audit in one place.

use axum::http::StatusCode;
use jousei_core::password::check_new_password;
use jousei_core::role::{Permission, Role};
use jousei_core::text::{Login, required_name};
use jousei_store::{Actor, ApiToken, AuditNote, NewApiToken, NewSession, NewUser, Ts, User};

use crate::app::AppState;
use crate::auth::{
    Principal, Via, dummy_hash, hash_password_async, new_api_token, random_secret, secret_hash,
    verify_password_async,
};
use crate::error::ApiError;

/// A new session: the cookie value (shown only to the browser).
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub user: User,
}

/// Checks a login and password and opens a session in the user's first
/// clinic. Every failure is answered the same way (`login_failed`) so an
/// attacker cannot tell unknown logins from wrong passwords, and recorded.
pub async fn sign_in(state: &AppState, login: &str, password: &str) -> Result<SignedIn, ApiError> {
    let login_norm = login.trim().to_ascii_lowercase();
    state.limiter.check(&login_norm)?;
    let creds = state.store.user_credentials(&login_norm).await?;
    let phc = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let ok = verify_password_async(password.to_string(), phc).await && creds.is_some();
    let Some(creds) = creds.filter(|_| ok) else {
        state.limiter.failed(&login_norm);
        let note = AuditNote {
            clinic_id: None,
            action: "login_failed".into(),
            entity_kind: "user".into(),
            entity_id: None,
            changes: serde_json::json!({"login": login_norm.chars().take(64).collect::<String>()}),
        };
        state.store.note(&Actor::system("anonymous"), &note).await?;
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "login_failed"));
    };
    if !creds.user.active {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "user_inactive"));
    }
    let grants = state.store.grants_of_user(creds.user.id).await?;
    let Some(first) = grants.first() else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "no_clinic"));
    };
    state.limiter.succeeded(&login_norm);
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
    let creds = state
        .store
        .user_credentials(&p.user.login)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !verify_password_async(current.to_string(), creds.password_hash).await {
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
