//! The account area: signing in and out, the language and clinic of the
//! session, home, and each person's own account page (password, tokens).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jousei_core::locale::Locale;
use jousei_core::role::Permission;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Ctx, LANG_COOKIE, SESSION_COOKIE, Signed, append_cookie, removal};
use crate::error::ApiError;
use crate::pages::{Layout, local_time, render, render_status, safe_back};
use jousei_service::account as ops;
use jousei_service::auth::Principal;

/// Sign-in, sign-out, language and clinic switches, home and the account page.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", post(switch_lang))
        .route("/clinic", post(switch_clinic))
        .route("/account", get(account_page))
        .route("/account/locale", post(account_locale))
        .route("/account/password", post(account_password))
        .route("/account/tokens", post(account_token_create))
        .route("/account/tokens/{id}/revoke", post(account_token_revoke))
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
