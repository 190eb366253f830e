//! The JSON API of prices, contracts, payments and receipts (tag
//! `contracts`). Thin: the rules are in `commerce_ops` and the domain
//! crate (`jousei_core::commerce`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jousei_store::commerce::{ClinicProfile, ContractDocument, Receipt};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiJson;
use crate::app::{AppState, Signed};
use crate::error::{ApiError, Problem};
use jousei_service::commerce::{
    self as ops, CancelIn, ContractIn, ContractReport, ContractView, DailySales, DocumentIn,
    HandoverIn, PaymentIn, PaymentReceipt, PriceItemIn, PriceItemView, ProfileIn,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_price_items, create_price_item))
        .routes(routes!(revise_price_item))
        .routes(routes!(retire_price_item))
        .routes(routes!(create_contract))
        .routes(routes!(get_contract))
        .routes(routes!(patient_contracts))
        .routes(routes!(cancellation_quote))
        .routes(routes!(cancel_contract))
        .routes(routes!(pay))
        .routes(routes!(contract_receipts))
        .routes(routes!(reissue_receipt))
        .routes(routes!(reverse_receipt))
        .routes(routes!(daily_sales))
        .routes(routes!(get_profile, put_profile))
        .routes(routes!(make_document))
        .routes(routes!(document_pdf))
        .routes(routes!(hand_over))
        .routes(routes!(contract_report))
}

type Json201<T> = (StatusCode, Json<T>);

/// The price list: tax-included prices with the tax in them, the usual
/// course and the main risks.
#[utoipa::path(get, path = "/api/v1/price-items", tag = "contracts", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_price_items(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<PriceItemView>>, ApiError> {
    Ok(Json(ops::price_items(&state, &p).await?))
}

/// Adds an item to the price list (admin).
#[utoipa::path(post, path = "/api/v1/price-items", tag = "contracts", security(("bearer" = [])), request_body = PriceItemIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`price_item_code_taken`", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "every problem in `errors`", body = Problem, content_type = "application/problem+json")))]
async fn create_price_item(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<PriceItemIn>,
) -> Result<Json201<PriceItemView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_price_item(&state, &p, &body).await?),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RevisePriceIn {
    pub reason: String,
    pub item: PriceItemIn,
}

/// A new version of a price item with its reason (admin); contracts keep
/// the version they sold.
#[utoipa::path(post, path = "/api/v1/price-items/{id}/versions", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RevisePriceIn, responses(
    (status = 201, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_price_item(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<RevisePriceIn>,
) -> Result<Json201<PriceItemView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise_price_item(&state, &p, id, &body.item, &body.reason).await?),
    ))
}

/// Retires a price item (admin).
#[utoipa::path(post, path = "/api/v1/price-items/{id}/retire", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object)))]
async fn retire_price_item(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<PriceItemView>, ApiError> {
    Ok(Json(ops::retire_price_item(&state, &p, id).await?))
}

/// Makes a contract: its total (tax included) and sessions from the price
/// list, and whether the Specified Commercial Transactions Act covers it,
/// with the reasons.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", security(("bearer" = [])), request_body = ContractIn, responses(
    (status = 201, body = Object), (status = 422, description = "every problem in `errors`", body = Problem, content_type = "application/problem+json")))]
async fn create_contract(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<ContractIn>,
) -> Result<Json201<ContractView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_contract(&state, &p, &body).await?),
    ))
}

/// A contract with its sessions used (derived from the doses), what is
/// paid, the balance and the cooling-off today (audited).
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_contract(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<ContractView>, ApiError> {
    Ok(Json(ops::contract(&state, &p, id).await?))
}

/// The patient's contracts (audited).
#[utoipa::path(get, path = "/api/v1/patients/{id}/contracts", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object])))]
async fn patient_contracts(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ContractView>>, ApiError> {
    Ok(Json(ops::contracts_of_patient(&state, &p, id).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(default)]
pub struct NoticeIn {
    /// The day the patient sends the notice (YYYY-MM-DD).
    pub notice: String,
}

/// The cancellation quote on a notice day, with its arithmetic and the
/// future appointments cancelling would cancel (`appointments_to_cancel`;
/// nothing changes).
#[utoipa::path(get, path = "/api/v1/contracts/{id}/cancellation-quote", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path), NoticeIn), responses(
    (status = 200, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn cancellation_quote(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeIn>,
) -> Result<Json<ops::QuoteView>, ApiError> {
    Ok(Json(ops::quote(&state, &p, id, &q.notice).await?))
}

/// Executes a cancellation: the quote is kept with the contract, the
/// refund recorded, the contract stops.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/cancel", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CancelIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`contract_not_active`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn cancel_contract(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CancelIn>,
) -> Result<Json<ContractView>, ApiError> {
    Ok(Json(ops::cancel(&state, &p, id, &body).await?))
}

/// Records a payment and issues its receipt (the clinic's next number,
/// the tax computed once per rate).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/payments", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = PaymentIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`contract_not_active`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn pay(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PaymentIn>,
) -> Result<Json201<PaymentReceipt>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::pay(&state, &p, id, &body).await?),
    ))
}

/// The contract's receipts, in number order.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/receipts", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object])))]
async fn contract_receipts(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Receipt>>, ApiError> {
    Ok(Json(ops::receipts(&state, &p, id).await?))
}

/// Reissues a receipt (a new number, marked as a reissue of the original).
#[utoipa::path(post, path = "/api/v1/receipts/{id}/reissue", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 201, body = Object)))]
async fn reissue_receipt(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json201<Receipt>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::reissue_or_reverse(&state, &p, id, false).await?),
    ))
}

/// A reversal slip for a receipt (every line negated; the original stays).
#[utoipa::path(post, path = "/api/v1/receipts/{id}/reverse", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 201, body = Object), (status = 409, description = "`receipt_is_reversal`", body = Problem, content_type = "application/problem+json")))]
async fn reverse_receipt(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json201<Receipt>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::reissue_or_reverse(&state, &p, id, true).await?),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(default)]
pub struct DayIn {
    /// YYYY-MM-DD (default today).
    pub date: String,
}

/// The day's payments and refunds.
#[utoipa::path(get, path = "/api/v1/reports/daily-sales", tag = "contracts", security(("bearer" = [])), params(DayIn), responses(
    (status = 200, body = Object)))]
async fn daily_sales(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<DayIn>,
) -> Result<Json<DailySales>, ApiError> {
    Ok(Json(ops::daily_sales(&state, &p, &q.date).await?))
}

/// The clinic's business profile (printed on contract documents).
#[utoipa::path(get, path = "/api/v1/clinic/profile", tag = "contracts", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn get_profile(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Option<ClinicProfile>>, ApiError> {
    Ok(Json(ops::profile(&state, &p).await?))
}

/// Sets the clinic's business profile as a new version (admins).
#[utoipa::path(put, path = "/api/v1/clinic/profile", tag = "contracts", security(("bearer" = [])), request_body = ProfileIn, responses(
    (status = 200, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_profile(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<ProfileIn>,
) -> Result<Json<ClinicProfile>, ApiError> {
    Ok(Json(ops::set_profile(&state, &p, &body).await?))
}

/// Makes the summary (概要書面) or the contract document (契約書面) as
/// PDF/A with every required item, the read-carefully notice and the
/// cooling-off terms in red inside a red frame, and keeps it (once per
/// kind).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/documents", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = DocumentIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`clinic_profile_missing`, `contract_document_exists`", body = Problem, content_type = "application/problem+json")))]
async fn make_document(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DocumentIn>,
) -> Result<Json201<ContractDocument>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::make_document(&state, &p, id, &body).await?),
    ))
}

/// The kept PDF of a contract document.
#[utoipa::path(get, path = "/api/v1/contract-documents/{id}/pdf", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, content_type = "application/pdf"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn document_pdf(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let bytes = ops::document_pdf(&state, &p, id).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    Ok(resp)
}

/// Records how and when a document was handed over (once). Electronic
/// delivery needs the patient's prior consent. The cooling-off runs from
/// the day the contract document was received.
#[utoipa::path(post, path = "/api/v1/contract-documents/{id}/handover", tag = "contracts", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = HandoverIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`contract_document_handed_over`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn hand_over(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<HandoverIn>,
) -> Result<Json<ContractDocument>, ApiError> {
    Ok(Json(ops::hand_over(&state, &p, id, &body).await?))
}

/// Active contracts: advance payments earned (sessions given) and not yet
/// earned, contracts in their cooling-off, balances due.
#[utoipa::path(get, path = "/api/v1/reports/contracts", tag = "contracts", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn contract_report(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<ContractReport>, ApiError> {
    Ok(Json(ops::contract_report(&state, &p).await?))
}
