//! The JSON API under `/api/v1`, described by OpenAPI 3.1 at
//! `/api/v1/openapi.json`. Every route is registered through
//! `utoipa_axum::routes!`, so a route cannot exist without its description.
//! Authentication: `Authorization: Bearer <token>` (integrations) or the
//! session cookie plus an `X-CSRF-Token` header for unsafe methods.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jousei_core::role::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::{AppState, Signed};
use crate::error::{ApiError, Problem};
use jousei_service::account as ops;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jousei API",
        description = "Traceability and safety for clinics that give stem-cell conditioned medium and exosome treatments. Errors are application/problem+json with a stable snake_case `code`; `title` and `detail` follow the Accept-Language header (ja, en).",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "system", description = "Health and the API description"),
        (name = "account", description = "The signed-in user and API tokens"),
        (name = "admin", description = "Users and roles of a clinic"),
        (name = "barcode", description = "GS1 and ISBT 128 scans, vial labels"),
        (name = "audit", description = "The hash-chained audit log (admin, auditor)"),
        (name = "supply", description = "Products, lots, certificates, release, stock, cold chain"),
        (name = "patients", description = "Patients, questionnaire, screening, consent templates and consents; every read of a record is audited"),
        (name = "plans", description = "Indications, protocols, the clinic calendar, treatment plans with approval, the course of sessions, appointments, reminders and iCalendar"),
        (name = "care", description = "The point-of-care check, recording doses (stock, audit and the record in one transaction), corrections and voids, and the lookback lot ↔ patient"),
        (name = "safety", description = "Adverse events with reporting deadlines, follow-ups and notifications; recall campaigns with every affected patient and contact attempt; the safety dashboard"),
        (name = "contracts", description = "The price list, contracts with their coverage under the Specified Commercial Transactions Act, cancellation quotes and execution, payments, receipts numbered without gaps, daily sales")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(unlock_user))
        .routes(routes!(audit_log))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(crate::barcodes::api_barcode_parse))
        .routes(routes!(crate::barcodes::api_barcode_labels))
        .merge(crate::supply::api())
        .merge(crate::patients::api())
        .merge(crate::plans::api())
        .merge(crate::care::api())
        .merge(crate::safety::api())
        .merge(crate::commerce::api())
}

/// The OpenAPI document of the JSON API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The API routes plus `/api/v1/openapi.json`.
pub fn router() -> OpenApiRouter<AppState> {
    let doc = openapi();
    let json = doc.to_pretty_json().unwrap_or_else(|_| "{}".to_string());
    api_router().route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let json = json.clone();
            async move { ([("content-type", "application/json")], json) }
        }),
    )
}

/// A JSON body whose parse errors are problem+json (`invalid_request`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => {
                let status = match &e {
                    JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut err = ApiError::new(status, "invalid_request");
                err.internal = None;
                tracing::debug!(error = %e.body_text(), "rejected JSON body");
                Err(err)
            }
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
struct Ready {
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: String,
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "system", responses(
    (status = 200, body = Ready),
    (status = 503, description = "database unavailable", body = Problem, content_type = "application/problem+json")
))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    state.store.ping().await.map_err(|e| {
        let mut err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable");
        err.internal = Some(e.to_string());
        err
    })?;
    let database = format!("{:?}", state.store.backend()).to_lowercase();
    Ok(Json(Ready {
        status: "ready",
        database,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ClinicOut {
    id: Uuid,
    code: String,
    name: String,
    name_en: Option<String>,
    time_zone: String,
    role: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    id: Uuid,
    login: String,
    display_name: String,
    /// Saved language preference, if any.
    locale: Option<String>,
    /// The clinic this request acts in.
    clinic: ClinicOut,
    /// What the user may do in this clinic.
    permissions: Vec<String>,
    /// Every clinic the user is granted.
    clinics: Vec<ClinicOut>,
}

fn clinic_out(c: &jousei_store::Clinic, role: jousei_core::role::Role) -> ClinicOut {
    ClinicOut {
        id: c.id,
        code: c.code.clone(),
        name: c.name.clone(),
        name_en: c.name_en.clone(),
        time_zone: c.time_zone.clone(),
        role: role.as_str().to_string(),
    }
}

/// The signed-in user, their clinic, role and permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("bearer" = [])), responses(
    (status = 200, body = MeOut),
    (status = 401, body = Problem, content_type = "application/problem+json")
))]
async fn me(Signed(p, _): Signed) -> Json<MeOut> {
    Json(MeOut {
        id: p.user.id,
        login: p.user.login.clone(),
        display_name: p.user.display_name.clone(),
        locale: p.user.locale.map(|l| l.as_str().to_string()),
        clinic: clinic_out(&p.clinic, p.role),
        permissions: Permission::ALL
            .into_iter()
            .filter(|x| p.can(*x))
            .filter_map(|x| serde_json::to_value(x).ok())
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        clinics: p
            .grants
            .iter()
            .map(|g| clinic_out(&g.clinic, g.role))
            .collect(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: Uuid,
    login: String,
    display_name: String,
    role: String,
    active: bool,
    /// Locked by the password throttle (too many wrong passwords); an admin
    /// may unlock it.
    locked: bool,
}

/// Users of the current clinic (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = [UserOut]),
    (status = 403, body = Problem, content_type = "application/problem+json")
))]
async fn list_users(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    p.require(Permission::ManageUsers)?;
    let users = state.store.users_in_clinic(p.clinic.id).await?;
    let locked = ops::locked_logins(&state, users.iter().map(|(u, _)| u.login.as_str())).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|(u, r)| UserOut {
                id: u.id,
                locked: locked.contains(&u.login),
                login: u.login,
                display_name: u.display_name,
                role: r.as_str().to_string(),
                active: u.active,
            })
            .collect(),
    ))
}

/// Unlocks a user of the current clinic whom the password throttle has
/// locked (admin); audited as `account_unlocked`.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user")),
    responses(
        (status = 200, body = UserOut),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such user in this clinic", body = Problem, content_type = "application/problem+json")
))]
async fn unlock_user(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<UserOut>, ApiError> {
    let (u, role) = ops::unlock_user(&state, &p, id).await?;
    Ok(Json(UserOut {
        id: u.id,
        login: u.login,
        display_name: u.display_name,
        role: role.as_str().to_string(),
        active: u.active,
        locked: false,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    login: String,
    display_name: String,
    /// physician, nurse, coordinator, quality, admin or auditor
    role: String,
    /// At least 13 characters mixing letters, digits and symbols.
    password: String,
}

/// Adds a user to the current clinic (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", security(("bearer" = [])), request_body = NewUserIn, responses(
    (status = 201, body = UserOut),
    (status = 409, description = "login taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "invalid field", body = Problem, content_type = "application/problem+json")
))]
async fn create_user(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<NewUserIn>,
) -> Result<Response, ApiError> {
    let role = body.role.clone();
    let u = ops::create_user(
        &state,
        &p,
        &body.login,
        &body.display_name,
        &body.role,
        &body.password,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserOut {
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            role,
            active: u.active,
            locked: false,
        }),
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Only entries with a smaller sequence number (paging).
    before: Option<i64>,
    /// At most this many entries (1–1000, default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    seq: i64,
    /// UTC, RFC 3339.
    at: String,
    actor_id: Option<Uuid>,
    actor: String,
    clinic_id: Option<Uuid>,
    action: String,
    entity_kind: String,
    entity_id: Option<String>,
    /// What changed (JSON text, as hashed).
    changes: String,
    prev_hash: String,
    hash: String,
}

/// Audit entries of the clinics the caller is granted, newest first (admin, auditor).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditParams), responses(
    (status = 200, body = [AuditOut]),
    (status = 403, body = Problem, content_type = "application/problem+json")
))]
async fn audit_log(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<AuditParams>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    p.require(Permission::ReadAudit)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "limit_out_of_range")
                .with_field("limit"),
        );
    }
    let entries = state
        .store
        .audit_page(&p.clinic_ids(), q.before, limit)
        .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditOut {
                seq: e.seq,
                at: jousei_core::audit::canonical_time(e.at),
                actor_id: e.event.actor_id,
                actor: e.event.actor_label,
                clinic_id: e.event.clinic_id,
                action: e.event.action,
                entity_kind: e.event.entity_kind,
                entity_id: e.event.entity_id,
                changes: e.event.changes,
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    id: Uuid,
    name: String,
    /// The first characters of the token, to recognise it.
    prefix: String,
    clinic_id: Uuid,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

fn token_out(t: jousei_store::ApiToken) -> TokenOut {
    TokenOut {
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        clinic_id: t.clinic_id,
        created_at: t.created_at.0.to_string(),
        last_used_at: t.last_used_at.map(|x| x.0.to_string()),
        revoked_at: t.revoked_at.map(|x| x.0.to_string()),
    }
}

/// The caller's API tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account", security(("bearer" = [])), responses(
    (status = 200, body = [TokenOut])
))]
async fn list_tokens(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    let tokens = state.store.api_tokens_of_user(p.user.id).await?;
    Ok(Json(tokens.into_iter().map(token_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// What the token is for, e.g. "temperature logger import".
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokenOut {
    /// The secret. Shown this once; jousei keeps only its hash.
    token: String,
    #[serde(flatten)]
    record: TokenOut,
}

/// Creates an API token for the caller in the current clinic.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", security(("bearer" = [])), request_body = NewTokenIn, responses(
    (status = 201, body = NewTokenOut),
    (status = 422, body = Problem, content_type = "application/problem+json")
))]
async fn create_token(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<NewTokenIn>,
) -> Result<Response, ApiError> {
    let (token, rec) = ops::create_token(&state, &p, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenOut {
            token,
            record: token_out(rec),
        }),
    )
        .into_response())
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "token id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ))]
async fn revoke_token(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    p.require(Permission::ManageOwnAccount)?;
    state
        .store
        .revoke_api_token(&p.actor(), p.user.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
