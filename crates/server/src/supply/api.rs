//! The JSON API of supply and quality (`/api/v1/products`, `/lots`,
//! `/locations`, `/stock`, cold chain). Thin: every rule is in
//! `supply_ops` and the domain crate.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jousei_core::role::Permission;
use jousei_core::supply::lot::LotAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiJson;
use crate::app::{AppState, Signed};
use crate::error::{ApiError, Problem};
use jousei_service::supply::{self as ops, LocationIn, MovementIn, ProductIn, ReceiveIn, ResultIn};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_locations, create_location))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product))
        .routes(routes!(product_versions, revise_product))
        .routes(routes!(list_lots, receive_lot))
        .routes(routes!(get_lot))
        .routes(routes!(add_results))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_certificate))
                .layer(axum::extract::DefaultBodyLimit::max(ops::CERTIFICATE_MAX)),
        )
        .routes(routes!(download_certificate))
        .routes(routes!(lot_transition))
        .routes(routes!(list_stock))
        .routes(routes!(create_movement))
        .routes(routes!(supply_dashboard))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_temperatures))
                .layer(axum::extract::DefaultBodyLimit::max(ops::LOGGER_MAX)),
        )
        .routes(routes!(list_imports))
        .routes(routes!(import_chart))
        .routes(routes!(list_excursions))
        .routes(routes!(acknowledge_excursion))
        .routes(routes!(product_disclosure))
}

type Json201<T> = (StatusCode, Json<T>);

/// Storage locations (freezers, fridges) of the clinic.
#[utoipa::path(get, path = "/api/v1/locations", tag = "supply", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_locations(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<jousei_store::supply::Location>>, ApiError> {
    p.require(Permission::SupplyRead)?;
    Ok(Json(state.store.locations(p.clinic.id).await?))
}

/// Adds a storage location with its temperature range.
#[utoipa::path(post, path = "/api/v1/locations", tag = "supply", security(("bearer" = [])), request_body = LocationIn, responses(
    (status = 201, body = Object),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_location(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<LocationIn>,
) -> Result<Json201<jousei_store::supply::Location>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_location(&state, &p, &body).await?),
    ))
}

/// Products (current versions).
///
/// Quantities with a unit are decimal strings in that unit, the scale explicit: a specification's `limit` (`{"kind": "at_most", "limit": "0.5", "unit":
/// "EU/mL"}` is ≤ 0.5 EU/mL). `storage_min`/`storage_max` are tenths of a degree Celsius
/// (`-850` = −85.0 °C) and `vial_volume` microlitres (`10000` = 10 mL). `gtin` is always
/// 14 digits with its check digit.
#[utoipa::path(get, path = "/api/v1/products", tag = "supply", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_products(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<jousei_store::supply::Product>>, ApiError> {
    p.require(Permission::SupplyRead)?;
    Ok(Json(state.store.products(p.clinic.id).await?))
}

/// Creates a product with its quality specification (quality role).
#[utoipa::path(post, path = "/api/v1/products", tag = "supply", security(("bearer" = [])), request_body = ProductIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "code taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "every invalid field in `errors`", body = Problem, content_type = "application/problem+json")))]
async fn create_product(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<ProductIn>,
) -> Result<Json201<jousei_store::supply::Product>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_product(&state, &p, &body).await?),
    ))
}

/// One product (current version).
///
/// Quantities as in `GET /api/v1/products` (a `limit` is a decimal string in its `unit`).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_product(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<jousei_store::supply::Product>, ApiError> {
    p.require(Permission::SupplyRead)?;
    Ok(Json(
        state
            .store
            .product(p.clinic.id, id)
            .await?
            .ok_or_else(ApiError::not_found)?,
    ))
}

/// Every version of a product, newest first.
#[utoipa::path(get, path = "/api/v1/products/{id}/versions", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = [Object])))]
async fn product_versions(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<jousei_store::supply::ProductVersion>>, ApiError> {
    p.require(Permission::SupplyRead)?;
    let v = state.store.product_versions(p.clinic.id, id).await?;
    if v.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviseIn {
    /// Why the product changes (kept with the new version).
    reason: String,
    product: ProductIn,
}

/// Records a new version of a product; earlier versions stay readable.
#[utoipa::path(post, path = "/api/v1/products/{id}/versions", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ReviseIn, responses(
    (status = 201, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_product(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ReviseIn>,
) -> Result<Json201<jousei_store::supply::Product>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise_product(&state, &p, id, &body.product, &body.reason).await?),
    ))
}

/// Lots, newest first.
#[utoipa::path(get, path = "/api/v1/lots", tag = "supply", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_lots(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<jousei_store::supply::Lot>>, ApiError> {
    p.require(Permission::SupplyRead)?;
    Ok(Json(state.store.lots(p.clinic.id).await?))
}

/// Receives a lot (quarantined) from a scan and/or typed fields.
#[utoipa::path(post, path = "/api/v1/lots", tag = "supply", security(("bearer" = [])), request_body = ReceiveIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "lot exists", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "bad scan, unconfirmed scan warnings, or invalid fields", body = Problem, content_type = "application/problem+json")))]
async fn receive_lot(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<ReceiveIn>,
) -> Result<Json201<jousei_store::supply::Lot>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::receive_lot(&state, &p, &body).await?),
    ))
}

/// A lot with its certificate results, gaps, stock, history and what would block its release.
///
/// A measured `value` (`{"kind": "value", "value": "0.12", "unit": "EU/mL"}`) and a `limit` are
/// decimal strings in their `unit`.
#[utoipa::path(get, path = "/api/v1/lots/{id}", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = ops::LotView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_lot(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<ops::LotView>, ApiError> {
    Ok(Json(ops::lot_view(&state, &p, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultsIn {
    results: Vec<ResultIn>,
    /// The uploaded certificate these results come from.
    certificate_id: Option<Uuid>,
}

/// Adds certificate (CoA) results to a lot. Results are never edited: a retest is a newer result.
#[utoipa::path(post, path = "/api/v1/lots/{id}/results", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ResultsIn, responses(
    (status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_results(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ResultsIn>,
) -> Result<StatusCode, ApiError> {
    ops::add_results(&state, &p, id, &body.results, body.certificate_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The document's file name.
    filename: String,
}

/// Uploads a certificate document (PDF, PNG or JPEG, at most 20 MB) as the request body; its SHA-256 is stored.
#[utoipa::path(post, path = "/api/v1/lots/{id}/certificates", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = Object), (status = 415, body = Problem, content_type = "application/problem+json")))]
async fn upload_certificate(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<UploadParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json201<jousei_store::supply::Certificate>, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok((
        StatusCode::CREATED,
        Json(ops::add_certificate(&state, &p, id, &q.filename, ct, body.to_vec()).await?),
    ))
}

/// Downloads a certificate document.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, content_type = "application/pdf"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn download_certificate(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    certificate_response(&state, &p, id).await
}

/// The stored document, served so that a browser shows it but never runs it.
pub async fn certificate_response(
    state: &AppState,
    p: &jousei_service::auth::Principal,
    id: Uuid,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let (meta, data) = state
        .store
        .certificate_data(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let disposition = format!(
        "inline; filename=\"{}\"",
        meta.filename
            .replace(['"', '\\'], "_")
            .chars()
            .filter(char::is_ascii)
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::HeaderName::from_static("x-content-sha256"),
                meta.sha256.clone(),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
        ],
        data,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// release, hold, unhold, recall, reject
    action: String,
    /// Required for hold, unhold, recall and reject.
    reason: Option<String>,
    /// Required for release: the person confirms with their password.
    password: Option<String>,
}

/// Changes a lot's state. A refused change lists every reason in `errors`.
#[utoipa::path(post, path = "/api/v1/lots/{id}/transitions", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TransitionIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "refused: `lot_release_refused` / `lot_transition_refused` with every reason", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn lot_transition(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TransitionIn>,
) -> Result<Json<jousei_store::supply::Lot>, ApiError> {
    let action = LotAction::parse(&body.action).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "code_unknown").with_field("action")
    })?;
    Ok(Json(
        ops::change_lot(
            &state,
            &p,
            id,
            action,
            body.reason.as_deref(),
            body.password.as_deref(),
        )
        .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockOut {
    /// Per lot and location (only non-zero lines).
    #[schema(value_type = Vec<Object>)]
    lines: Vec<jousei_store::supply::StockRow>,
    /// Per product: available vs never-available stock.
    per_product: Vec<ops::ProductStock>,
}

/// Stock derived from the ledger.
#[utoipa::path(get, path = "/api/v1/stock", tag = "supply", security(("bearer" = [])), responses((status = 200, body = StockOut)))]
async fn list_stock(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<StockOut>, ApiError> {
    p.require(Permission::SupplyRead)?;
    let lines = state.store.stock(p.clinic.id).await?;
    let products = state.store.products(p.clinic.id).await?;
    let per_product = ops::stock_per_product(&products, &lines, ops::clinic_now(&p));
    Ok(Json(StockOut { lines, per_product }))
}

/// Moves, destroys (with a witness) or adjusts (with a reason) stock.
#[utoipa::path(post, path = "/api/v1/stock/movements", tag = "supply", security(("bearer" = [])), request_body = MovementIn, responses(
    (status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_movement(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<MovementIn>,
) -> Result<StatusCode, ApiError> {
    ops::record_movement(&state, &p, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// Lots expiring within this many days (default 30).
    days: Option<i64>,
}

/// What needs attention: expiring lots, lots on hold or in quarantine, open excursions, stock per product.
#[utoipa::path(get, path = "/api/v1/supply/dashboard", tag = "supply", security(("bearer" = [])), params(DashboardParams), responses((status = 200, body = ops::Dashboard)))]
async fn supply_dashboard(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<DashboardParams>,
) -> Result<Json<ops::Dashboard>, ApiError> {
    Ok(Json(
        ops::dashboard(&state, &p, q.days.unwrap_or(30)).await?,
    ))
}

/// Imports a temperature data-logger CSV (UTF-8 or Shift_JIS) for a location, as the request body.
/// Each excursion longer than a product's tolerance puts that product's lots stored there on hold.
#[utoipa::path(post, path = "/api/v1/locations/{id}/temperature-imports", tag = "supply", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "location id"), UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, body = ops::ImportResult),
        (status = 409, description = "the same file was imported before", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the file cannot be read (code and line)", body = Problem, content_type = "application/problem+json")))]
async fn import_temperatures(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<UploadParams>,
    body: Bytes,
) -> Result<Json201<ops::ImportResult>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::import_logger(&state, &p, id, &q.filename, &body).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportsParams {
    location_id: Option<Uuid>,
}

/// Imported logger files, newest first.
#[utoipa::path(get, path = "/api/v1/temperature-imports", tag = "supply", security(("bearer" = [])), params(ImportsParams), responses((status = 200, body = [Object])))]
async fn list_imports(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<ImportsParams>,
) -> Result<Json<Vec<jousei_store::supply::TemperatureImport>>, ApiError> {
    p.require(Permission::SupplyRead)?;
    Ok(Json(
        state
            .store
            .temperature_imports(p.clinic.id, q.location_id)
            .await?,
    ))
}

/// The readings of an import as an SVG chart (allowed band shaded, runs outside it marked).
#[utoipa::path(get, path = "/api/v1/temperature-imports/{id}/chart.svg", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/svg+xml"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn import_chart(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let svg = ops::import_chart(&state, &p, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExcursionParams {
    /// Only those not yet acknowledged.
    open: Option<bool>,
}

/// Temperature excursions, newest first, with the lots each one held.
#[utoipa::path(get, path = "/api/v1/excursions", tag = "supply", security(("bearer" = [])), params(ExcursionParams), responses((status = 200, body = [Object])))]
async fn list_excursions(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<ExcursionParams>,
) -> Result<Json<Vec<jousei_store::supply::Excursion>>, ApiError> {
    p.require(Permission::SupplyRead)?;
    Ok(Json(
        state
            .store
            .excursions(p.clinic.id, q.open.unwrap_or(false))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeIn {
    /// What was found and done (required).
    comment: String,
}

/// Acknowledges an excursion with a comment. Held lots stay on hold until each hold is lifted with a reason.
#[utoipa::path(post, path = "/api/v1/excursions/{id}/acknowledge", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AcknowledgeIn,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn acknowledge_excursion(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<AcknowledgeIn>,
) -> Result<StatusCode, ApiError> {
    ops::acknowledge_excursion(&state, &p, id, &body.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisclosureParams {
    /// ja (default) or en
    lang: Option<String>,
}

/// The unapproved-product disclosure of a product, rendered from its recorded facts; `missing` lists facts still to record.
#[utoipa::path(get, path = "/api/v1/products/{id}/disclosure", tag = "supply", security(("bearer" = [])), params(("id" = Uuid, Path), DisclosureParams),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn product_disclosure(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<DisclosureParams>,
) -> Result<Json<jousei_core::supply::disclosure::Disclosure>, ApiError> {
    let locale = q
        .lang
        .as_deref()
        .and_then(jousei_core::locale::Locale::parse)
        .unwrap_or_default();
    Ok(Json(
        crate::supply::disclosure::disclosure_of(&state, &p, id, locale)
            .await?
            .1,
    ))
}
