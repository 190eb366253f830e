//! What every page shares: the layout and navigation, rendering, the error
//! page and local times. The pages themselves live in their areas' folders
//! (`account/`, `admin/`, `supply/`, …); each handler checks the permission it
//! needs; forms carry the CSRF token (checked by the `context` middleware
//! before any handler runs).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jousei_core::locale::Locale;
use jousei_core::role::{Permission, Role};
use jousei_store::Clinic;

use crate::app::{AppState, Ctx};
use crate::error::ApiError;
use crate::i18n::I18n;
use jousei_service::auth::Principal;

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

pub(crate) fn render(t: &impl Template) -> Result<Response, ApiError> {
    Ok(Html(t.render().map_err(ApiError::internal)?).into_response())
}

pub(crate) fn render_status(status: StatusCode, t: &impl Template) -> Result<Response, ApiError> {
    Ok((status, Html(t.render().map_err(ApiError::internal)?)).into_response())
}

/// A path inside jousei to go back to (never another site).
pub(crate) fn safe_back(back: Option<&str>) -> String {
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
