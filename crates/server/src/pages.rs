//! The web UI: server-rendered pages in the user's language. Each handler
//! checks the permission it needs; forms carry the CSRF token (checked by
//! the `context` middleware before any handler runs).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jousei_core::locale::Locale;
use jousei_core::role::{Permission, Role};
use jousei_store::{Clinic, User};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Ctx, LANG_COOKIE, SESSION_COOKIE, Signed, append_cookie, removal};
use crate::error::ApiError;
use crate::i18n::I18n;
use jousei_service::account as ops;
use jousei_service::auth::Principal;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", post(switch_lang))
        .route("/clinic", post(switch_clinic))
        .route("/admin/users", get(users_page).post(users_create))
        .route("/admin/users/{id}/active", post(users_set_active))
        .route("/admin/users/{id}/unlock", post(users_unlock))
        .route("/account", get(account_page))
        .route("/account/locale", post(account_locale))
        .route("/account/password", post(account_password))
        .route("/account/tokens", post(account_token_create))
        .route("/account/tokens/{id}/revoke", post(account_token_revoke))
        .route("/audit", get(audit_page))
}

/// One entry of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub key: &'static str,
    /// `None` for areas that a later release adds (shown, not linked).
    pub href: Option<&'static str>,
    pub current: bool,
}

/// What the layout (`base.html`) needs on every page.
pub struct Layout<'a> {
    pub i18n: &'a I18n,
    pub locale: Locale,
    pub title: String,
    pub principal: Option<&'a Principal>,
    pub csrf: String,
    pub path: String,
    pub flash: Option<String>,
    pub nav: Vec<NavItem>,
}

impl<'a> Layout<'a> {
    pub fn new(state: &'a AppState, ctx: &'a Ctx, title_key: &str, path: &str) -> Self {
        let title = state.i18n.t(ctx.locale, title_key);
        Layout {
            i18n: &state.i18n,
            locale: ctx.locale,
            title,
            principal: ctx.principal.as_ref(),
            csrf: ctx.csrf.clone(),
            path: path.to_string(),
            flash: None,
            nav: nav(ctx.principal.as_ref(), path),
        }
    }
    pub fn t(&self, key: &str) -> String {
        self.i18n.t(self.locale, key)
    }
    pub fn role_name(&self, role: &Role) -> String {
        self.t(&format!("role-{}", role.as_str()))
    }
    pub fn clinic_name(&self, c: &Clinic) -> String {
        match (self.locale, &c.name_en) {
            (Locale::En, Some(en)) => en.clone(),
            _ => c.name.clone(),
        }
    }
    pub fn t_zone(&self, zone: &str) -> String {
        self.i18n.t_args(
            self.locale,
            "common-time-zone",
            &[("zone", zone.to_string())],
        )
    }
}

fn nav(p: Option<&Principal>, path: &str) -> Vec<NavItem> {
    let Some(p) = p else { return Vec::new() };
    let mut items = vec![NavItem {
        key: "nav-home",
        href: Some("/"),
        current: path == "/",
    }];
    items.push(NavItem {
        key: "nav-supply",
        href: p.can(Permission::SupplyRead).then_some("/supply"),
        current: path.starts_with("/supply"),
    });
    items.push(NavItem {
        key: "nav-patients",
        href: p.can(Permission::PatientRead).then_some("/patients"),
        current: path.starts_with("/patients"),
    });
    items.push(NavItem {
        key: "nav-schedule",
        href: p.can(Permission::ScheduleRead).then_some("/schedule"),
        current: path.starts_with("/schedule") || path.starts_with("/plans"),
    });
    items.push(NavItem {
        key: "nav-chair",
        href: p.can(Permission::Administer).then_some("/chair"),
        current: path.starts_with("/chair"),
    });
    items.push(NavItem {
        key: "nav-safety",
        href: p.can(Permission::SafetyRead).then_some("/safety"),
        current: path.starts_with("/safety"),
    });
    items.push(NavItem {
        key: "nav-contracts",
        href: p.can(Permission::ContractRead).then_some("/contracts"),
        current: path.starts_with("/contracts"),
    });
    items.push(NavItem {
        key: "nav-scan",
        href: Some("/scan"),
        current: path == "/scan",
    });
    if p.can(Permission::StockMove) {
        items.push(NavItem {
            key: "nav-labels",
            href: Some("/labels"),
            current: path == "/labels",
        });
    }
    if p.can(Permission::ManageUsers) {
        items.push(NavItem {
            key: "nav-users",
            href: Some("/admin/users"),
            current: path.starts_with("/admin/users"),
        });
    }
    if p.can(Permission::ReadAudit) {
        items.push(NavItem {
            key: "nav-audit",
            href: Some("/audit"),
            current: path == "/audit",
        });
    }
    items.push(NavItem {
        key: "nav-account",
        href: Some("/account"),
        current: path == "/account",
    });
    items
}

pub use jousei_service::time::local_time;

fn render(t: &impl Template) -> Result<Response, ApiError> {
    Ok(Html(t.render().map_err(ApiError::internal)?).into_response())
}

fn render_status(status: StatusCode, t: &impl Template) -> Result<Response, ApiError> {
    Ok((status, Html(t.render().map_err(ApiError::internal)?)).into_response())
}

/// A path inside jousei to go back to (never another site).
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    l: Layout<'a>,
    message: String,
    status_line: String,
    request_line: String,
}

/// The HTML error page for a failed page request.
pub fn error_page(state: &AppState, locale: Locale, request_id: &str, e: &ApiError) -> Response {
    let ctx = Ctx {
        locale,
        principal: None,
        request_id: request_id.to_string(),
        csrf: String::new(),
        session_expired: false,
    };
    let page = ErrorPage {
        l: Layout::new(state, &ctx, "error-title", "/error"),
        message: e.detail(&state.i18n, locale),
        status_line: state.i18n.t_args(
            locale,
            "error-status",
            &[("status", e.status.as_u16().to_string())],
        ),
        request_line: state.i18n.t_args(
            locale,
            "error-request-id",
            &[("id", request_id.to_string())],
        ),
    };
    match page.render() {
        Ok(html) => (e.status, Html(html)).into_response(),
        Err(_) => e.status.into_response(),
    }
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage<'a> {
    l: Layout<'a>,
    error: Option<String>,
    login: String,
    help: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    expired: Option<String>,
    out: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    if ctx.principal.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let mut l = Layout::new(&state, &ctx, "login-title", "/login");
    if q.expired.is_some() || ctx.session_expired {
        l.flash = Some(l.t("login-expired"));
    } else if q.out.is_some() {
        l.flash = Some(l.t("login-logged-out"));
    }
    let help = state.i18n.t_args(
        ctx.locale,
        "login-help",
        &[(
            "minutes",
            (state.cfg.idle_timeout_secs / 60).max(1).to_string(),
        )],
    );
    render(&LoginPage {
        l,
        error: None,
        login: String::new(),
        help,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> Result<Response, ApiError> {
    match ops::sign_in(&state, &f.login, &f.password).await {
        Ok(signed) => {
            let mut resp = Redirect::to("/").into_response();
            append_cookie(
                &mut resp,
                crate::app::session_cookie(signed.token, state.cfg.secure_cookies()),
            );
            Ok(resp)
        }
        Err(e) if crate::error::status_of(e.kind).is_client_error() => {
            let l = Layout::new(&state, &ctx, "login-title", "/login");
            let help = state.i18n.t_args(
                ctx.locale,
                "login-help",
                &[(
                    "minutes",
                    (state.cfg.idle_timeout_secs / 60).max(1).to_string(),
                )],
            );
            let page = LoginPage {
                error: Some(ApiError::from(e.clone()).title(&state.i18n, ctx.locale)),
                l,
                login: f.login.chars().take(64).collect(),
                help,
            };
            render_status(crate::error::status_of(e.kind), &page)
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

async fn logout(State(state): State<AppState>, Signed(p, _): Signed) -> Result<Response, ApiError> {
    if let jousei_service::auth::Via::Session { id, .. } = p.via {
        state.store.end_session(&p.actor(), id, "logout").await?;
    }
    let mut resp = Redirect::to("/login?out=1").into_response();
    append_cookie(
        &mut resp,
        removal(SESSION_COOKIE, state.cfg.secure_cookies()),
    );
    Ok(resp)
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    back: Option<String>,
}

async fn switch_lang(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LangForm>,
) -> Result<Response, ApiError> {
    let Some(locale) = Locale::parse(&f.lang) else {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "locale_invalid").with_field("locale"),
        );
    };
    if let Some(p) = &ctx.principal {
        state
            .store
            .set_user_locale(&p.actor(), p.clinic.id, p.user.id, Some(locale))
            .await?;
    }
    let mut resp = Redirect::to(&safe_back(f.back.as_deref())).into_response();
    let cookie = axum_extra::extract::cookie::Cookie::build((LANG_COOKIE, locale.as_str()))
        .path("/")
        .http_only(true)
        .secure(state.cfg.secure_cookies())
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .permanent()
        .build();
    append_cookie(&mut resp, cookie);
    Ok(resp)
}

#[derive(Deserialize)]
struct ClinicForm {
    clinic: String,
}

async fn switch_clinic(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Form(f): Form<ClinicForm>,
) -> Result<Response, ApiError> {
    ops::switch_clinic(&state, &p, &f.clinic).await?;
    Ok(Redirect::to("/").into_response())
}

struct Area {
    title: &'static str,
    summary: &'static str,
    href: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "account/home.html")]
struct HomePage<'a> {
    l: Layout<'a>,
    welcome: String,
    clinic_line: String,
    role_line: String,
    areas: Vec<Area>,
    chain_line: String,
    backend_line: String,
}

async fn home(State(state): State<AppState>, Signed(p, ctx): Signed) -> Result<Response, ApiError> {
    p.require(Permission::ViewHome)?;
    let l = Layout::new(&state, &ctx, "home-title", "/");
    let i = &state.i18n;
    let (head, _) = state.store.audit_head().await?;
    let admin_href = if p.can(Permission::ManageUsers) {
        Some("/admin/users")
    } else if p.can(Permission::ReadAudit) {
        Some("/audit")
    } else {
        None
    };
    let mut areas = vec![
        Area {
            title: "nav-supply",
            summary: "home-area-supply",
            href: p.can(Permission::SupplyRead).then_some("/supply"),
        },
        Area {
            title: "nav-patients",
            summary: "home-area-patients",
            href: p.can(Permission::PatientRead).then_some("/patients"),
        },
        Area {
            title: "nav-schedule",
            summary: "home-area-schedule",
            href: p.can(Permission::ScheduleRead).then_some("/schedule"),
        },
        Area {
            title: "nav-chair",
            summary: "home-area-chair",
            href: p.can(Permission::Administer).then_some("/chair"),
        },
        Area {
            title: "nav-safety",
            summary: "home-area-safety",
            href: p.can(Permission::SafetyRead).then_some("/safety"),
        },
        Area {
            title: "nav-contracts",
            summary: "home-area-contracts",
            href: p.can(Permission::ContractRead).then_some("/contracts"),
        },
    ];
    // The admin area is shown only to those who may open part of it.
    if admin_href.is_some() {
        areas.push(Area {
            title: "nav-admin",
            summary: "home-area-admin",
            href: admin_href,
        });
    }
    let page = HomePage {
        welcome: i.t_args(
            ctx.locale,
            "home-welcome",
            &[("name", p.user.display_name.clone())],
        ),
        clinic_line: i.t_args(
            ctx.locale,
            "home-clinic",
            &[("clinic", l.clinic_name(&p.clinic))],
        ),
        role_line: i.t_args(ctx.locale, "home-role", &[("role", l.role_name(&p.role))]),
        chain_line: i.t_args(
            ctx.locale,
            "home-audit-chain",
            &[("count", head.to_string())],
        ),
        backend_line: i.t_args(
            ctx.locale,
            "home-backend",
            &[("backend", format!("{:?}", state.store.backend()))],
        ),
        areas,
        l,
    };
    render(&page)
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

struct TokenView {
    id: Uuid,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "account/account.html")]
struct AccountPage<'a> {
    l: Layout<'a>,
    saved_locale: String,
    tokens: Vec<TokenView>,
    new_token: Option<String>,
    error: Option<String>,
}

async fn account_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    new_token: Option<String>,
    error: Option<String>,
    flash: Option<String>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    let mut l = Layout::new(state, ctx, "account-title", "/account");
    l.flash = flash;
    let zone = p.clinic.time_zone.clone();
    let never = l.t("account-token-never");
    let tokens = state
        .store
        .api_tokens_of_user(p.user.id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: local_time(t.created_at.0, &zone),
            last_used: t
                .last_used_at
                .map(|u| local_time(u.0, &zone))
                .unwrap_or_else(|| never.clone()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let saved_locale = state
        .store
        .user_by_id(p.user.id)
        .await?
        .and_then(|u| u.locale)
        .map(|l| l.as_str().to_string())
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(
        status,
        &AccountPage {
            l,
            saved_locale,
            tokens,
            new_token,
            error,
        },
    )
}

async fn account_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    let flash = p
        .user
        .must_change_password
        .then(|| state.i18n.t(ctx.locale, "account-must-change"));
    account_with(&state, &p, &ctx, None, None, flash).await
}

#[derive(Deserialize)]
struct LocaleForm {
    locale: String,
}

async fn account_locale(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Form(f): Form<LocaleForm>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    let locale = if f.locale.is_empty() {
        None
    } else {
        Some(Locale::parse(&f.locale).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "locale_invalid").with_field("locale")
        })?)
    };
    state
        .store
        .set_user_locale(&p.actor(), p.clinic.id, p.user.id, locale)
        .await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new_password: String,
}

async fn account_password(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Form(f): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    match ops::change_password(&state, &p, &f.current, &f.new_password).await {
        Ok(()) => {
            let flash = state.i18n.t(ctx.locale, "account-password-changed");
            account_with(&state, &p, &ctx, None, None, Some(flash)).await
        }
        Err(e) if crate::error::status_of(e.kind).is_client_error() => {
            let msg = ApiError::from(e.clone()).detail(&state.i18n, ctx.locale);
            account_with(&state, &p, &ctx, None, Some(msg), None).await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn account_token_create(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Form(f): Form<TokenForm>,
) -> Result<Response, ApiError> {
    match ops::create_token(&state, &p, &f.name).await {
        Ok((token, _)) => account_with(&state, &p, &ctx, Some(token), None, None).await,
        Err(e) if crate::error::status_of(e.kind).is_client_error() => {
            let msg = ApiError::from(e.clone()).detail(&state.i18n, ctx.locale);
            account_with(&state, &p, &ctx, None, Some(msg), None).await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

async fn account_token_revoke(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    state
        .store
        .revoke_api_token(&p.actor(), p.user.id, id)
        .await?;
    Ok(Redirect::to("/account").into_response())
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
