//! The admin area: the users of a clinic (create, deactivate, unlock) and
//! the audit log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jousei_core::role::{Permission, Role};
use jousei_store::{Clinic, User};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::pages::{Layout, local_time, render, render_status};
use jousei_service::account as ops;
use jousei_service::auth::Principal;

/// The users of a clinic and the audit log.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(users_create))
        .route("/admin/users/{id}/active", post(users_set_active))
        .route("/admin/users/{id}/unlock", post(users_unlock))
        .route("/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage<'a> {
    l: Layout<'a>,
    clinic: Clinic,
    users: Vec<(User, Role)>,
    /// Logins the password throttle has locked (an unlock button each).
    locked: std::collections::HashSet<String>,
    roles: [Role; 6],
    error: Option<String>,
    form_login: String,
    form_name: String,
    form_role: String,
    /// The newest scheduled backup, when `backup_dir` is set.
    backup: Option<crate::backup_job::BackupStatus>,
    /// Its age in words.
    backup_age: Option<String>,
}

async fn users_page_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    error: Option<String>,
    form: Option<&NewUserForm>,
    flash: Option<String>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageUsers)?;
    let mut l = Layout::new(state, ctx, "users-title", "/admin/users");
    l.flash = flash;
    let users = state.store.users_in_clinic(p.clinic.id).await?;
    let locked = ops::locked_logins(state, users.iter().map(|(u, _)| u.login.as_str())).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let backup = state.cfg.backup_dir.as_deref().map(|d| {
        crate::backup_job::status(
            std::path::Path::new(d),
            jiff::Timestamp::now(),
            &p.clinic.time_zone,
        )
    });
    let page = UsersPage {
        l,
        clinic: p.clinic.clone(),
        users,
        locked,
        roles: Role::ALL,
        error,
        form_login: form.map(|f| f.login.clone()).unwrap_or_default(),
        form_name: form.map(|f| f.display_name.clone()).unwrap_or_default(),
        form_role: form
            .map(|f| f.role.clone())
            .unwrap_or_else(|| "nurse".into()),
        backup_age: backup.as_ref().and_then(|b| b.age_hours).map(|h| {
            state
                .i18n
                .t_args(ctx.locale, "backup-status-age", &[("hours", h.to_string())])
        }),
        backup,
    };
    render_status(status, &page)
}

async fn users_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    users_page_with(&state, &p, &ctx, None, None, None).await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
}

async fn users_create(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Form(f): Form<NewUserForm>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageUsers)?;
    match ops::create_user(&state, &p, &f.login, &f.display_name, &f.role, &f.password).await {
        Ok(u) => {
            let flash =
                state
                    .i18n
                    .t_args(ctx.locale, "users-created", &[("login", u.login.clone())]);
            users_page_with(&state, &p, &ctx, None, None, Some(flash)).await
        }
        Err(e) if crate::error::status_of(e.kind).is_client_error() => {
            let msg = ApiError::from(e.clone()).detail(&state.i18n, ctx.locale);
            users_page_with(&state, &p, &ctx, Some(msg), Some(&f), None).await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    active: bool,
}

async fn users_set_active(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageUsers)?;
    state
        .store
        .set_user_active(&p.actor(), p.clinic.id, id, f.active)
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// Unlocks an account the password throttle has locked (admin).
async fn users_unlock(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    ops::unlock_user(&state, &p, id).await?;
    Ok(Redirect::to("/admin/users").into_response())
}

struct AuditView {
    seq: i64,
    at_iso: String,
    at_local: String,
    actor: String,
    action: String,
    entity: String,
    changes: String,
    hash: String,
    hash_short: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    l: Layout<'a>,
    entries: Vec<AuditView>,
    older: Option<i64>,
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

const AUDIT_PAGE: i64 = 100;

async fn audit_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    p.require(Permission::ReadAudit)?;
    let entries = state
        .store
        .audit_page(&p.clinic_ids(), q.before, AUDIT_PAGE)
        .await?;
    let older = if entries.len() as i64 == AUDIT_PAGE {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    let zone = p.clinic.time_zone.clone();
    let entries = entries
        .into_iter()
        .map(|e| AuditView {
            seq: e.seq,
            at_iso: e.at.to_string(),
            at_local: local_time(e.at, &zone),
            actor: e.event.actor_label,
            action: e.event.action,
            entity: format!(
                "{} {}",
                e.event.entity_kind,
                e.event.entity_id.unwrap_or_default()
            ),
            changes: e.event.changes,
            hash_short: e.hash.chars().take(12).collect(),
            hash: e.hash,
        })
        .collect();
    let l = Layout::new(&state, &ctx, "audit-title", "/audit");
    render(&AuditPage { l, entries, older })
}
