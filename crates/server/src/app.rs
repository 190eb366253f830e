//! The application: shared state, the router and the middleware that every
//! request passes through (request id, security headers, sign-in, language,
//! CSRF, and turning errors into problem+json or an error page).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use jousei_core::locale::Locale;
use jousei_store::{DynStore, Ts};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::ServerConfig;
use crate::error::{ApiError, PendingProblem};
use crate::i18n::I18n;
use jousei_service::auth::{Principal, Via, random_secret, secret_hash, secrets_equal};

pub const SESSION_COOKIE: &str = "jousei_session";
pub const CSRF_COOKIE: &str = "jousei_csrf";
pub const LANG_COOKIE: &str = "jousei_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest request body accepted, except on upload routes which set their own.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The server's state: the use-case context ([`jousei_service::Service`],
/// reached through `Deref` so a handler passes `&state` to a use case), the
/// configuration and the message catalogues.
#[derive(Clone)]
pub struct AppState {
    pub svc: jousei_service::Service,
    pub store: DynStore,
    pub cfg: Arc<ServerConfig>,
    pub i18n: Arc<I18n>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("cfg", &self.cfg).finish()
    }
}

impl AppState {
    pub fn new(store: DynStore, cfg: ServerConfig) -> anyhow::Result<Self> {
        let settings = jousei_service::Settings {
            session_max_hours: cfg.session_max_hours,
            login_max_failures: cfg.login_max_failures,
            login_lockout_secs: cfg.login_lockout_secs,
        };
        let i18n = Arc::new(I18n::load()?);
        Ok(AppState {
            svc: jousei_service::Service::new(store.clone(), settings, i18n.clone()),
            store,
            cfg: Arc::new(cfg),
            i18n,
        })
    }
}

impl std::ops::Deref for AppState {
    type Target = jousei_service::Service;
    fn deref(&self) -> &jousei_service::Service {
        &self.svc
    }
}

/// Runs a request inside the throttle's request scope: the client address
/// is known to every password check, and a throttled check's wait becomes
/// the `Retry-After` header of the 429 answer.
pub async fn request_scope(req: Request, next: Next) -> Response {
    let addr = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let (mut resp, retry) = jousei_service::throttle::in_request(addr, next.run(req)).await;
    if let Some(secs) = retry
        && resp.status() == StatusCode::TOO_MANY_REQUESTS
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// What every handler knows about the request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub locale: Locale,
    pub principal: Option<Principal>,
    pub request_id: String,
    /// The token forms must carry back (the session's, or the pre-sign-in cookie's).
    pub csrf: String,
    /// The request came with a session that had just expired.
    pub session_expired: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| ApiError::internal("context middleware missing"))
    }
}

/// A handler argument that requires a signed-in person.
#[derive(Debug, Clone)]
pub struct Signed(pub Principal, pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, s).await?;
        match ctx.principal.clone() {
            Some(p) => Ok(Signed(p, ctx)),
            None => Err(ApiError::unauthenticated()),
        }
    }
}

/// Builds the whole application.
pub fn router(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let (api_router, _openapi) = crate::api::router().split_for_parts();
    Router::new()
        .merge(crate::account::pages())
        .merge(crate::admin::pages())
        .merge(crate::barcodes::router())
        .merge(crate::supply::pages())
        .merge(crate::patients::pages())
        .merge(crate::plans::pages())
        .merge(crate::care::pages())
        .merge(crate::safety::pages())
        .merge(crate::commerce::pages())
        .merge(api_router)
        .merge(crate::assets::router())
        .layer(middleware::from_fn_with_state(state.clone(), context))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(middleware::from_fn(request_scope))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz" || path == "/readyz"
}

/// What a person who must change their password may still open.
fn password_change_allowed(path: &str) -> bool {
    matches!(
        path,
        "/account" | "/account/password" | "/logout" | "/lang" | "/api/v1/me"
    ) || path.starts_with("/assets/")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn principal_for(
    state: &AppState,
    user: jousei_store::User,
    clinic_id: uuid::Uuid,
    via: Via,
) -> Result<Option<Principal>, ApiError> {
    if !user.active {
        return Ok(None);
    }
    let grants = state.store.grants_of_user(user.id).await?;
    let Some(grant) = grants.iter().find(|g| g.clinic.id == clinic_id).cloned() else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user,
        clinic: grant.clinic,
        role: grant.role,
        grants,
        via,
    }))
}

/// Resolves who is asking (API token or session cookie), ends idle or
/// expired sessions, picks the language, and checks CSRF on unsafe requests.
async fn context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = req.uri().path().to_string();
    let jar = CookieJar::from_headers(req.headers());
    let header_locale = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language);
    let cookie_locale = jar.get(LANG_COOKIE).and_then(|c| Locale::parse(c.value()));
    let fallback_locale = cookie_locale
        .or(header_locale)
        .unwrap_or(state.cfg.default_locale);

    let (principal, session_expired) = match resolve_principal(&state, req.headers(), &jar).await {
        Ok(found) => found,
        Err(e) => {
            return finish_error(&state, &path, fallback_locale, &request_id, e, false);
        }
    };
    let locale = principal
        .as_ref()
        .and_then(|p| p.user.locale)
        .unwrap_or(fallback_locale);

    // The token a form must send back.
    let mut new_csrf_cookie = None;
    let csrf = match principal.as_ref().and_then(|p| p.csrf()) {
        Some(t) => t.to_string(),
        None => match jar.get(CSRF_COOKIE) {
            Some(c) if c.value().len() == 64 => c.value().to_string(),
            _ => {
                let t = random_secret();
                new_csrf_cookie = Some(t.clone());
                t
            }
        },
    };

    let ctx = Ctx {
        locale,
        principal: principal.clone(),
        request_id: request_id.clone(),
        csrf: csrf.clone(),
        session_expired,
    };

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let via_token = matches!(principal.as_ref().map(|p| &p.via), Some(Via::Token { .. }));
    let mut req = req;
    if unsafe_method && !via_token {
        if let Err(e) = check_origin(req.headers()) {
            return finish_error(&state, &path, locale, &request_id, e, session_expired);
        }
        // A request without a cookie-based identity or a pre-sign-in token has
        // nothing to protect and nothing to compare with.
        let expected = if principal.is_some() || new_csrf_cookie.is_none() {
            Some(csrf.clone())
        } else {
            None
        };
        match csrf_token_of(req).await {
            Ok((given, rebuilt)) => {
                req = rebuilt;
                let ok = match (&expected, &given) {
                    (Some(e), Some(g)) => secrets_equal(e, g),
                    _ => false,
                };
                if !ok {
                    return finish_error(
                        &state,
                        &path,
                        locale,
                        &request_id,
                        ApiError::new(StatusCode::FORBIDDEN, "csrf_failed"),
                        session_expired,
                    );
                }
            }
            Err(e) => return finish_error(&state, &path, locale, &request_id, e, session_expired),
        }
    }

    // A password someone else set must be changed before anything else.
    if principal
        .as_ref()
        .is_some_and(|p| p.user.must_change_password)
        && !password_change_allowed(&path)
    {
        let e = ApiError::new(StatusCode::FORBIDDEN, "password_change_required");
        if is_api(&path) {
            return e.problem(&state.i18n, locale, &request_id);
        }
        return Redirect::to("/account?must_change=1").into_response();
    }
    req.extensions_mut().insert(ctx);
    let mut resp = next.run(req).await;
    if let Some(PendingProblem(e)) = resp.extensions_mut().remove::<PendingProblem>() {
        resp = finish_error(&state, &path, locale, &request_id, e, session_expired);
    }
    let secure = state.cfg.secure_cookies();
    if let Some(t) = new_csrf_cookie {
        append_cookie(&mut resp, csrf_cookie(t, secure));
    }
    if session_expired {
        append_cookie(&mut resp, removal(SESSION_COOKIE, secure));
    }
    resp
}

async fn resolve_principal(
    state: &AppState,
    headers: &HeaderMap,
    jar: &CookieJar,
) -> Result<(Option<Principal>, bool), ApiError> {
    if let Some(token) = bearer(headers) {
        let found = state.store.use_api_token(&secret_hash(token)).await?;
        let Some((tok, user)) = found else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "token_invalid"));
        };
        let p = principal_for(state, user, tok.clinic_id, Via::Token { id: tok.id }).await?;
        return match p {
            Some(p) => Ok((Some(p), false)),
            None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "token_invalid")),
        };
    }
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok((None, false));
    };
    let Some(session) = state
        .store
        .session_by_token_hash(&secret_hash(cookie.value()))
        .await?
    else {
        return Ok((None, true));
    };
    let now = Ts::now();
    let idle = jiff::SignedDuration::from_secs(
        i64::try_from(state.cfg.idle_timeout_secs).unwrap_or(i64::MAX / 2),
    );
    let idle_deadline = session
        .last_seen_at
        .0
        .checked_add(idle)
        .unwrap_or(session.last_seen_at.0);
    let actor = jousei_store::Actor::user(session.user.id, &session.user.login);
    if now.0 >= session.expires_at.0 {
        state
            .store
            .end_session(&actor, session.id, "expired")
            .await?;
        return Ok((None, true));
    }
    if now.0 >= idle_deadline {
        state
            .store
            .end_session(&actor, session.id, "idle_timeout")
            .await?;
        return Ok((None, true));
    }
    let via = Via::Session {
        id: session.id,
        csrf: session.csrf_token.clone(),
    };
    let p = principal_for(state, session.user.clone(), session.clinic_id, via).await?;
    if p.is_none() {
        // Deactivated, or the clinic grant was withdrawn: the session ends.
        state
            .store
            .end_session(&actor, session.id, "revoked")
            .await?;
        return Ok((None, true));
    }
    state.store.touch_session(session.id, now).await?;
    Ok((p, false))
}

/// Refuses unsafe requests that a browser marks as coming from another site.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site == "cross-site"
    {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_origin_mismatch"));
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .split("://")
            .nth(1)
            .unwrap_or("")
            .trim_end_matches('/');
        if origin != "null" && origin_host != host {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_origin_mismatch"));
        }
    }
    Ok(())
}

/// The CSRF token of a request: the `X-CSRF-Token` header, or the `csrf`
/// field of a URL-encoded form body (the body is buffered and put back).
async fn csrf_token_of(req: Request) -> Result<(Option<String>, Request), ApiError> {
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let v = v.to_string();
        return Ok((Some(v), req));
    }
    // Multipart forms (file uploads) carry the token in the query string,
    // so it is checked before the body is read.
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if is_multipart {
        let token = req
            .uri()
            .query()
            .and_then(|q| url_form_field(q.as_bytes(), "csrf"));
        return Ok((token, req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"))?;
    let token = url_form_field(&bytes, "csrf");
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

fn url_form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((CSRF_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build()
}

pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build()
}

pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build((name, ""))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build();
    c.make_removal();
    c
}

pub fn append_cookie(resp: &mut Response, c: Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Renders an error for the kind of client: problem+json under `/api/`, a
/// redirect to the sign-in page for a person who is not signed in, or an
/// HTML error page.
fn finish_error(
    state: &AppState,
    path: &str,
    locale: Locale,
    request_id: &str,
    e: ApiError,
    session_expired: bool,
) -> Response {
    if is_api(path) {
        return e.problem(&state.i18n, locale, request_id);
    }
    if e.status == StatusCode::UNAUTHORIZED {
        let target = if session_expired {
            "/login?expired=1".to_string()
        } else {
            "/login".to_string()
        };
        let mut resp = Redirect::to(&target).into_response();
        if session_expired {
            append_cookie(
                &mut resp,
                removal(SESSION_COOKIE, state.cfg.secure_cookies()),
            );
        }
        return resp;
    }
    if let Some(internal) = &e.internal {
        tracing::error!(request_id, code = e.code, error = %internal, "request failed");
    }
    crate::pages::error_page(state, locale, request_id, &e)
}

/// Security headers on every response; a strict Content-Security-Policy on
/// every page (no inline script or style, nothing from other origins).
async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        if !h.contains_key(k) {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
    );
    if !is_asset {
        // Pages may show patient data: never keep them in shared caches.
        set(h, "cache-control", "no-store");
    }
    if state.cfg.secure_cookies() {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    resp
}

/// Serves the application on `listener` until the future resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Some(schedule) = crate::backup_job::BackupSchedule::from_config(&state.cfg)? {
        crate::backup_job::spawn(schedule, state.cfg.database_url.clone());
    }
    let app = router(state);
    // The peer address feeds the password throttle (crate::throttle).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
