//! The JSON API of the point of care (tag `care`): the check before a
//! dose, recording it, reading, correcting and voiding administrations,
//! and the lookback both ways. Thin: the rules are in `care_ops` and the
//! domain crate.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jousei_store::care::Administration;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiJson;
use crate::app::{AppState, Signed};
use crate::care::view::{CheckView, check_view};
use crate::error::{ApiError, Problem};
use jousei_service::care::{
    self as ops, AdministrationDetail, BloodDonationNotice, BloodDonationNoticeIn, CareIn,
    CorrectionIn, Lookback, LookbackIn, RecordIn,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check))
        .routes(routes!(record))
        .routes(routes!(get_administration))
        .routes(routes!(correct))
        .routes(routes!(void))
        .routes(routes!(patient_administrations))
        .routes(routes!(lookback))
        .routes(routes!(get_notice, set_notice))
}

/// The clinic's blood-donation notice (regulatory.md §8) as it stands: its
/// own latest version in Japanese and English, or jousei's default
/// (version 0).
#[utoipa::path(get, path = "/api/v1/clinic/blood-donation-notice", tag = "care", security(("bearer" = [])), responses(
    (status = 200, body = BloodDonationNotice)))]
async fn get_notice(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<BloodDonationNotice>, ApiError> {
    Ok(Json(ops::blood_donation_notice(&state, &p).await?))
}

/// Sets the clinic's blood-donation notice, both languages (admins). A new
/// version; doses keep the version they were given. Audited.
#[utoipa::path(put, path = "/api/v1/clinic/blood-donation-notice", tag = "care", security(("bearer" = [])), request_body = BloodDonationNoticeIn, responses(
    (status = 200, body = BloodDonationNotice),
    (status = 422, description = "`notice_ja` / `notice_en`: required, too long or invalid characters", body = Problem, content_type = "application/problem+json")))]
async fn set_notice(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<BloodDonationNoticeIn>,
) -> Result<Json<BloodDonationNotice>, ApiError> {
    Ok(Json(
        ops::set_blood_donation_notice(&state, &p, &body).await?,
    ))
}

type Json201<T> = (StatusCode, Json<T>);

/// The point-of-care check for a dose about to be given: every finding
/// (blocks, findings a physician must override, warnings) with its
/// message. Nothing is written; the read is audited.
#[utoipa::path(post, path = "/api/v1/care/check", tag = "care", security(("bearer" = [])), request_body = CareIn, responses(
    (status = 200, body = Object),
    (status = 422, description = "unknown patient, lot, scan, location…: every problem in `errors`, and a scanned lot's own blocks as `check_blocked` items with `finding`, `subject` and `params`", body = Problem, content_type = "application/problem+json")))]
async fn check(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    ApiJson(body): ApiJson<CareIn>,
) -> Result<Json<CheckView>, ApiError> {
    let checked = ops::check(&state, &p, &body).await?;
    Ok(Json(check_view(&state.i18n, ctx.locale, &checked)))
}

/// Records a dose. The check runs again; every overridable finding needs
/// a physician's override with a reason (the person recording when a
/// physician, else a physician co-signing with `physician_login` and
/// `physician_password`). In one transaction the vials leave the stock
/// ledger, the record and the audit entry are written.
#[utoipa::path(post, path = "/api/v1/administrations", tag = "care", security(("bearer" = [])), request_body = RecordIn, responses(
    (status = 201, body = Object),
    (status = 403, description = "`override_physician_required` / `override_physician_invalid`", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`care_refused` (every refusal in `errors`), `lot_not_usable`, `out_of_stock`, `vial_already_used`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn record(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    ApiJson(body): ApiJson<RecordIn>,
) -> Result<Json201<Administration>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::record(&state, &p, ctx.locale, &body).await?),
    ))
}

/// One administration with its versions (audited).
#[utoipa::path(get, path = "/api/v1/administrations/{id}", tag = "care", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_administration(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<AdministrationDetail>, ApiError> {
    Ok(Json(ops::administration(&state, &p, id).await?))
}

/// A correction: a new version of the details with its reason (the
/// vials and the patient cannot change: void and record again).
#[utoipa::path(post, path = "/api/v1/administrations/{id}/corrections", tag = "care", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CorrectionIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`administration_version_stale`, `administration_voided`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn correct(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CorrectionIn>,
) -> Result<Json201<Administration>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::correct(&state, &p, id, &body).await?),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VoidIn {
    pub reason: String,
}

/// Voids a dose recorded in error (with the reason): its vials return to
/// stock; it stays listed as voided.
#[utoipa::path(post, path = "/api/v1/administrations/{id}/void", tag = "care", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = VoidIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`administration_voided`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn void(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<VoidIn>,
) -> Result<Json<Administration>, ApiError> {
    Ok(Json(ops::void(&state, &p, id, &body.reason).await?))
}

/// The patient's administrations, newest first (audited).
#[utoipa::path(get, path = "/api/v1/patients/{id}/administrations", tag = "care", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object]), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn patient_administrations(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Administration>>, ApiError> {
    Ok(Json(ops::administrations_of_patient(&state, &p, id).await?))
}

/// Lookback: from a lot (`lot` number, optionally `product` code, or
/// `lot_id`) to every administration (blend components included) and its
/// patient with contact details; or from a patient (`patient_id` or
/// `patient_number`) to every lot received. Audited.
#[utoipa::path(get, path = "/api/v1/lookback", tag = "care", security(("bearer" = [])), params(LookbackIn), responses(
    (status = 200, body = Object),
    (status = 404, description = "`lookback_lot_unknown`, `lookback_patient_unknown`", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`lookback_subject_required`", body = Problem, content_type = "application/problem+json")))]
async fn lookback(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<LookbackIn>,
) -> Result<Json<Lookback>, ApiError> {
    Ok(Json(ops::lookback(&state, &p, &q).await?))
}
