//! The JSON API of patients (`/api/v1/patients`, the questionnaire,
//! screenings, consent templates and consents). Thin: every rule is in
//! `patient_ops` and the domain crate; every read of a patient's record is
//! audited there.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jousei_core::patient::questionnaire::Questionnaire;
use jousei_core::role::Permission;
use jousei_store::patient::{
    ConsentPdf, ConsentTemplate, ConsentTemplateVersion, PatientVersion, QuestionnaireResponse,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiJson;
use crate::app::{AppState, Signed};
use crate::error::{ApiError, Problem};
use jousei_service::patients::{
    self as ops, AnswersIn, ConsentView, DecisionIn, DocumentIn, DocumentOut, PatientIn,
    PatientView, ReasonIn, RegisterIn, Registered, ReviewIn, ScreeningView, SearchIn, SignIn,
    TemplateIn,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_patients, register_patient))
        .routes(routes!(get_patient))
        .routes(routes!(patient_versions, revise_patient))
        .routes(routes!(questionnaire))
        .routes(routes!(list_answers, submit_answers))
        .routes(routes!(list_screenings))
        .routes(routes!(decide_screening))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template))
        .routes(routes!(template_versions, revise_template))
        .routes(routes!(consent_document))
        .routes(routes!(list_consents, sign_consent))
        .routes(routes!(consent_text))
        .routes(routes!(consent_signature))
        .routes(routes!(consent_pdf))
        .routes(routes!(review_answers))
        .routes(routes!(withdraw_consent))
        .routes(routes!(same_day_reason))
}

type Json201<T> = (StatusCode, Json<T>);

/// Searches patients by kana prefix, number, phone or date of birth (audited
/// as one `patient_search` entry naming the patients listed).
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])), params(SearchIn), responses(
    (status = 200, body = [Object]),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search_patients(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<SearchIn>,
) -> Result<Json<Vec<PatientView>>, ApiError> {
    Ok(Json(ops::search(&state, &p, &q).await?))
}

/// Registers a patient with their consent to the handling of health data.
/// A probable duplicate (same kana and date of birth, or same phone) is
/// answered 409 `patient_probable_duplicate` with the `matches`, unless
/// `confirm_not_duplicate` is set.
#[utoipa::path(post, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])), request_body = RegisterIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "probable duplicate: `matches` lists them (ops::DuplicateMatch); or the number is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "every invalid field in `errors`", body = Problem, content_type = "application/problem+json")))]
async fn register_patient(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    ApiJson(body): ApiJson<RegisterIn>,
) -> Result<Response, ApiError> {
    match ops::register(&state, &p, &body).await? {
        Registered::Created(patient) => {
            Ok((StatusCode::CREATED, Json(ops::view(&p, *patient))).into_response())
        }
        Registered::ProbableDuplicates(matches) => {
            let err = ApiError::new(StatusCode::CONFLICT, "patient_probable_duplicate");
            let body = serde_json::json!({
                "type": format!("https://jousei.invalid/problems/{}", err.code),
                "title": err.title(&state.i18n, ctx.locale),
                "status": 409,
                "detail": err.detail(&state.i18n, ctx.locale),
                "code": err.code,
                "request_id": ctx.request_id,
                "matches": matches,
            });
            let mut resp = (StatusCode::CONFLICT, Json(body)).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
            resp.headers_mut().insert(
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(ctx.locale.as_str()),
            );
            Ok(resp)
        }
    }
}

/// One patient (audited: part `profile`).
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_patient(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<PatientView>, ApiError> {
    Ok(Json(ops::get(&state, &p, id).await?))
}

/// Every version of a patient, newest first (audited: part `history`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/versions", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object]), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn patient_versions(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<PatientVersion>>, ApiError> {
    Ok(Json(ops::versions(&state, &p, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviseIn {
    /// Why the record is corrected (kept with the new version).
    reason: String,
    patient: PatientIn,
}

/// Corrects a patient: a new version with its reason; nothing is erased.
#[utoipa::path(post, path = "/api/v1/patients/{id}/versions", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ReviseIn, responses(
    (status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_patient(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ReviseIn>,
) -> Result<Json201<PatientView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise(&state, &p, id, &body.patient, &body.reason).await?),
    ))
}

/// The current intake questionnaire (問診票) with ja/en question texts.
#[utoipa::path(get, path = "/api/v1/questionnaire", tag = "patients", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn questionnaire(Signed(p, _): Signed) -> Result<Json<Questionnaire>, ApiError> {
    Ok(Json(ops::questionnaire_definition(&p)?))
}

/// The patient's questionnaire answers, newest first (audited: part `questionnaire`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/answers", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object]), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_answers(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<QuestionnaireResponse>>, ApiError> {
    Ok(Json(ops::responses(&state, &p, id).await?))
}

/// Records questionnaire answers and screens them: the answer is the new
/// screening with its findings, awaiting the physician's decision.
/// Earlier screenings on other answers become stale.
#[utoipa::path(post, path = "/api/v1/patients/{id}/answers", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AnswersIn, responses(
    (status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "each problem names its question", body = Problem, content_type = "application/problem+json")))]
async fn submit_answers(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<AnswersIn>,
) -> Result<Json201<ScreeningView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::answer(&state, &p, id, &body).await?),
    ))
}

/// Screenings, newest first, each with its standing (stale,
/// awaiting_decision, expired, valid) (audited: part `screening`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/screenings", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object]), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_screenings(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ScreeningView>>, ApiError> {
    Ok(Json(ops::screenings(&state, &p, id).await?))
}

/// The physician's decision on a screening (physicians only), once, on the
/// patient's latest answers.
#[utoipa::path(post, path = "/api/v1/patients/{id}/screenings/{screening_id}/decision", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("screening_id" = Uuid, Path)), request_body = DecisionIn, responses(
    (status = 200, body = Object), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "screening_stale or screening_already_decided", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn decide_screening(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, screening_id)): Path<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> Result<Json<ScreeningView>, ApiError> {
    Ok(Json(
        ops::decide(&state, &p, id, screening_id, &body).await?,
    ))
}

/// Consent templates (current versions).
#[utoipa::path(get, path = "/api/v1/consent-templates", tag = "patients", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_templates(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<ConsentTemplate>>, ApiError> {
    p.require(Permission::PatientRead)?;
    Ok(Json(state.store.consent_templates(p.clinic.id).await?))
}

/// Creates a consent template (admin). Every required item must be there;
/// a missing one is named (`consent_item_missing`).
#[utoipa::path(post, path = "/api/v1/consent-templates", tag = "patients", security(("bearer" = [])), request_body = TemplateIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "code taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_template(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<TemplateIn>,
) -> Result<Json201<ConsentTemplate>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_template(&state, &p, &body).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VersionParam {
    /// A version number (default: the current one).
    version: Option<i64>,
}

/// One consent template, current or a given version.
#[utoipa::path(get, path = "/api/v1/consent-templates/{id}", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path), VersionParam), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_template(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<VersionParam>,
) -> Result<Json<ConsentTemplate>, ApiError> {
    p.require(Permission::PatientRead)?;
    Ok(Json(
        state
            .store
            .consent_template(p.clinic.id, id, q.version)
            .await?
            .ok_or_else(ApiError::not_found)?,
    ))
}

/// Every version of a consent template, newest first.
#[utoipa::path(get, path = "/api/v1/consent-templates/{id}/versions", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = [Object])))]
async fn template_versions(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ConsentTemplateVersion>>, ApiError> {
    p.require(Permission::PatientRead)?;
    let v = state
        .store
        .consent_template_versions(p.clinic.id, id)
        .await?;
    if v.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateReviseIn {
    /// Why the template changes (kept with the new version).
    reason: String,
    template: TemplateIn,
}

/// Records a new version of a consent template (admin); signed consents keep
/// the version they were signed on.
#[utoipa::path(post, path = "/api/v1/consent-templates/{id}/versions", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TemplateReviseIn, responses(
    (status = 201, body = Object), (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_template(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TemplateReviseIn>,
) -> Result<Json201<ConsentTemplate>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise_template(&state, &p, id, &body.template, &body.reason).await?),
    ))
}

/// The exact consent document to show the patient (template text with each
/// product's unapproved-product disclosure) and its SHA-256. Refused while
/// no current screening is decided eligible by a physician, so no patient
/// is asked to sign a consent that would be refused.
#[utoipa::path(post, path = "/api/v1/patients/{id}/consent-document", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = DocumentIn, responses(
    (status = 200, body = DocumentOut),
    (status = 409, description = "consent_screening_required: no current screening decided eligible by a physician", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn consent_document(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DocumentIn>,
) -> Result<Json<DocumentOut>, ApiError> {
    Ok(Json(ops::preview(&state, &p, id, &body).await?))
}

/// The patient's consents, newest first, withdrawn ones included, each with
/// the same-day flag (audited: part `consents`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object]), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_consents(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
    Ok(Json(ops::consents(&state, &p, id).await?))
}

/// Records a signed consent: the document shown (its hash must match what
/// the template and products give now), the drawn signature, the explaining
/// physician, a witness if any. Needs a current screening that permits
/// treatment. A planned treatment on the day of the first explanation needs
/// a physician's written reason.
#[utoipa::path(post, path = "/api/v1/patients/{id}/consents", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = SignIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "consent_template_outdated, consent_text_changed, consent_screening_required", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn sign_consent(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Json201<ConsentView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::sign(&state, &p, id, &body).await?),
    ))
}

/// The exact text the patient signed, as plain text (audited: part `consent_text`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents/{consent_id}/text", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)), responses(
    (status = 200, content_type = "text/plain", body = String), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn consent_text(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, consent_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let text = ops::consent_text(&state, &p, id, consent_id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// The drawn signature (SVG or PNG) (audited: part `consent_signature`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents/{consent_id}/signature", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)), responses(
    (status = 200, description = "image/svg+xml or image/png"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn consent_signature(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, consent_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = ops::consent_signature(&state, &p, id, consent_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Records that staff went through the answers the patient filled in on
/// the tablet with them (who, when, an optional note); once per set.
#[utoipa::path(post, path = "/api/v1/patients/{id}/answers/{response_id}/review", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("response_id" = Uuid, Path)), request_body = ReviewIn, responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "answers_already_reviewed, answers_review_not_needed", body = Problem, content_type = "application/problem+json")))]
async fn review_answers(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, response_id)): Path<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<ReviewIn>,
) -> Result<Json<QuestionnaireResponse>, ApiError> {
    Ok(Json(
        ops::review_answers(&state, &p, id, response_id, &input).await?,
    ))
}

/// The signed consent as a PDF/A document with its fonts embedded, kept from
/// the moment of signing; its SHA-256 is in the `X-Content-SHA256` header
/// and in the consent's `pdf_sha256` (audited: part `consent_pdf`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents/{consent_id}/pdf", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)), responses(
    (status = 200, content_type = "application/pdf", description = "the signed consent"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn consent_pdf(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, consent_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let pdf = ops::consent_pdf(&state, &p, id, consent_id).await?;
    Ok(pdf_response(pdf, &format!("consent-{consent_id}.pdf")))
}

/// A kept PDF as a download with its hash.
pub(crate) fn pdf_response(pdf: ConsentPdf, file_name: &str) -> Response {
    let mut resp = pdf.pdf.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&pdf.sha256) {
        h.insert("x-content-sha256", v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    resp
}

/// Records the patient's withdrawal of a consent with the reason; the consent
/// stays, marked withdrawn.
#[utoipa::path(post, path = "/api/v1/patients/{id}/consents/{consent_id}/withdrawal", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)), request_body = ReasonIn, responses(
    (status = 200, body = Object), (status = 409, description = "consent_already_withdrawn", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn withdraw_consent(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, consent_id)): Path<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> Result<Json<ConsentView>, ApiError> {
    Ok(Json(
        ops::withdraw(&state, &p, id, consent_id, &body.reason).await?,
    ))
}

/// Records a physician's medical-necessity reason for treating on the day of
/// the first explanation (physicians only).
#[utoipa::path(post, path = "/api/v1/patients/{id}/consents/{consent_id}/same-day-reason", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("consent_id" = Uuid, Path)), request_body = ReasonIn, responses(
    (status = 200, body = Object), (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn same_day_reason(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path((id, consent_id)): Path<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> Result<Json<ConsentView>, ApiError> {
    Ok(Json(
        ops::same_day_reason(&state, &p, id, consent_id, &body.reason).await?,
    ))
}
