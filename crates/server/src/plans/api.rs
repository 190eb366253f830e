//! The JSON API of plans and appointments (tag `plans`): indications,
//! protocol templates, the clinic calendar and public holidays, plans with
//! versions and approval, the course (proposed, revised, booked,
//! rescheduled), appointments with status and undo, reminders and the
//! iCalendar export. Thin: the rules are in `plan_ops` and the domain crate.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jousei_core::calendar::{ClinicCalendar, Holiday};
use jousei_core::plan::appointment::Conflict;
use jousei_store::plan::{Appointment, Indication, Plan, ProtocolTemplate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiJson;
use crate::app::{AppState, Ctx, Signed};
use crate::error::{ApiError, Problem};
use jousei_service::plans::{
    self as ops, AppointmentDetail, AppointmentIn, AppointmentView, BookCourseIn, Booked,
    CourseBooking, CourseView, IndicationIn, PlanDetail, PlanIn, PlanView, ProtocolIn, StatusIn,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_indications, create_indication))
        .routes(routes!(revise_indication))
        .routes(routes!(list_protocols, create_protocol))
        .routes(routes!(revise_protocol))
        .routes(routes!(get_calendar, put_calendar))
        .routes(routes!(holidays))
        .routes(routes!(create_plan))
        .routes(routes!(get_plan))
        .routes(routes!(revise_plan))
        .routes(routes!(approve_plan))
        .routes(routes!(patient_plans))
        .routes(routes!(get_course))
        .routes(routes!(book_course))
        .routes(routes!(reschedule_course))
        .routes(routes!(list_appointments, create_appointment))
        .routes(routes!(get_appointment))
        .routes(routes!(set_status))
        .routes(routes!(undo_status))
        .routes(routes!(reminders))
        .routes(routes!(ics_export))
}

type Json201<T> = (StatusCode, Json<T>);

/// 409 `appointment_conflict`: every conflict localised in `errors`, and
/// the structured list in `conflicts` (the index of the requested
/// appointment, the appointment in the way, what they share).
fn conflicts(state: &AppState, ctx: &Ctx, conflicts: &[Conflict]) -> Response {
    let err = ApiError::from(ops::conflict_error(conflicts));
    let details = err.sub_details(&state.i18n, ctx.locale);
    let body = serde_json::json!({
        "type": format!("https://jousei.invalid/problems/{}", err.code),
        "title": err.title(&state.i18n, ctx.locale),
        "status": 409,
        "detail": err.detail(&state.i18n, ctx.locale),
        "code": err.code,
        "request_id": ctx.request_id,
        "errors": err.errors.iter().zip(details).map(|(e, d)| serde_json::json!({"code": e.code, "detail": d})).collect::<Vec<_>>(),
        "conflicts": conflicts,
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
    resp
}

fn booked<T: serde::Serialize>(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    r: Booked<T>,
) -> Response {
    match r {
        Ok(v) => (status, Json(v)).into_response(),
        Err(c) => conflicts(state, ctx, &c),
    }
}

/// The clinic's indications (with routes and rationales).
#[utoipa::path(get, path = "/api/v1/indications", tag = "plans", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_indications(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<Indication>>, ApiError> {
    Ok(Json(ops::indications(&state, &p).await?))
}

/// Adds an indication to the catalogue (admin). Rationales carry their
/// source and evidence level; an efficacy claim is refused.
#[utoipa::path(post, path = "/api/v1/indications", tag = "plans", security(("bearer" = [])), request_body = IndicationIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`indication_code_taken`", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "every invalid field in `errors`", body = Problem, content_type = "application/problem+json")))]
async fn create_indication(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<IndicationIn>,
) -> Result<Json201<Indication>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_indication(&state, &p, &body).await?),
    ))
}

/// A new version of an indication, with `reason` (admin).
#[utoipa::path(post, path = "/api/v1/indications/{id}/versions", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = IndicationIn, responses(
    (status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_indication(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<IndicationIn>,
) -> Result<Json201<Indication>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise_indication(&state, &p, id, &body).await?),
    ))
}

/// The clinic's protocol templates.
#[utoipa::path(get, path = "/api/v1/protocols", tag = "plans", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_protocols(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<ProtocolTemplate>>, ApiError> {
    Ok(Json(ops::protocols(&state, &p).await?))
}

/// Adds a protocol template (admin); every problem of it is listed.
#[utoipa::path(post, path = "/api/v1/protocols", tag = "plans", security(("bearer" = [])), request_body = ProtocolIn, responses(
    (status = 201, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_protocol(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<ProtocolIn>,
) -> Result<Json201<ProtocolTemplate>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_protocol(&state, &p, &body).await?),
    ))
}

/// A new version of a protocol template, with `reason` (admin). Plans keep
/// the protocol they copied.
#[utoipa::path(post, path = "/api/v1/protocols/{id}/versions", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ProtocolIn, responses(
    (status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_protocol(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ProtocolIn>,
) -> Result<Json201<ProtocolTemplate>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise_protocol(&state, &p, id, &body).await?),
    ))
}

/// The clinic's calendar: weekly hours, closures, whether it opens on
/// public holidays (the example clinic until one is set).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "plans", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn get_calendar(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<ClinicCalendar>, ApiError> {
    Ok(Json(ops::calendar(&state, &p).await?))
}

/// Replaces the clinic's calendar (admin); earlier versions are kept.
#[utoipa::path(put, path = "/api/v1/calendar", tag = "plans", security(("bearer" = [])), request_body = Object, responses(
    (status = 200, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_calendar(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ClinicCalendar>, ApiError> {
    Ok(Json(ops::set_calendar(&state, &p, &body).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct YearIn {
    /// 1980–2099 (default: this year).
    year: Option<i16>,
}

/// Japanese public holidays of a year, by the rules of the holiday law.
#[utoipa::path(get, path = "/api/v1/calendar/holidays", tag = "plans", security(("bearer" = [])), params(YearIn), responses(
    (status = 200, body = [Object]), (status = 422, description = "`holiday_year_out_of_range`", body = Problem, content_type = "application/problem+json")))]
async fn holidays(
    Signed(p, _): Signed,
    Query(q): Query<YearIn>,
) -> Result<Json<Vec<Holiday>>, ApiError> {
    Ok(Json(ops::holidays(&p, q.year)?))
}

/// Creates a plan (physicians): indication, route, products with shares,
/// dose, sites, protocol (a template's copy or given whole), start date.
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", security(("bearer" = [])), request_body = PlanIn, responses(
    (status = 201, description = "the plan with `warnings`", body = Object),
    (status = 422, description = "every invalid field in `errors` (e.g. `plan_share_total_invalid`, `plan_route_not_labelled`)", body = Problem, content_type = "application/problem+json")))]
async fn create_plan(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<PlanIn>,
) -> Result<Json201<PlanView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::create_plan(&state, &p, &body).await?),
    ))
}

/// A plan with every version and its approval (audited: part `plan`).
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_plan(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<PlanDetail>, ApiError> {
    Ok(Json(ops::plan(&state, &p, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisePlanIn {
    /// Why the plan changes (kept with the new version).
    reason: String,
    plan: PlanIn,
}

/// A new version of a plan with its reason (physicians); it needs a new
/// approval.
#[utoipa::path(post, path = "/api/v1/plans/{id}/versions", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RevisePlanIn, responses(
    (status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_plan(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<RevisePlanIn>,
) -> Result<Json201<PlanView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise_plan(&state, &p, id, &body.plan, &body.reason).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveIn {
    /// The version approved (must be the current one).
    version: i64,
}

/// The physician's approval of the current version, sealing the SHA-256 of
/// its facts.
#[utoipa::path(post, path = "/api/v1/plans/{id}/approve", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ApproveIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`plan_version_stale`, `plan_already_approved`", body = Problem, content_type = "application/problem+json")))]
async fn approve_plan(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ApproveIn>,
) -> Result<Json<Plan>, ApiError> {
    Ok(Json(ops::approve_plan(&state, &p, id, body.version).await?))
}

/// A patient's plans, newest first (audited: part `plan`).
#[utoipa::path(get, path = "/api/v1/patients/{id}/plans", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = [Object]), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn patient_plans(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Plan>>, ApiError> {
    Ok(Json(ops::plans_of_patient(&state, &p, id).await?))
}

/// The course: the proposal from the plan's start, protocol and the
/// clinic's calendar, and the revision from the plan's appointments (done,
/// no-show, booked on a chosen date), with the original dates.
#[utoipa::path(get, path = "/api/v1/plans/{id}/course", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "a history the course cannot follow (`history_…`) or a calendar without open days", body = Problem, content_type = "application/problem+json")))]
async fn get_course(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<CourseView>, ApiError> {
    Ok(Json(ops::course(&state, &p, id).await?))
}

/// Books every session without an appointment on its revised date at the
/// given time of day; all or nothing (409 `appointment_conflict` lists
/// every conflict). The current version must be approved.
#[utoipa::path(post, path = "/api/v1/plans/{id}/course/book", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = BookCourseIn, responses(
    (status = 201, description = "the booked appointments and the course", body = Object),
    (status = 409, description = "`appointment_conflict` with `conflicts`, or `plan_not_approved`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn book_course(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<BookCourseIn>,
) -> Result<Response, ApiError> {
    let r: Booked<CourseBooking> = ops::book_course(&state, &p, id, &body).await?;
    Ok(booked(&state, &ctx, StatusCode::CREATED, r))
}

/// Moves the future booked appointments that follow the course to their
/// revised dates, keeping their time of day; all or nothing.
#[utoipa::path(post, path = "/api/v1/plans/{id}/course/reschedule", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the moved appointments and the course", body = Object),
    (status = 409, description = "`appointment_conflict` with `conflicts`", body = Problem, content_type = "application/problem+json")))]
async fn reschedule_course(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let r = ops::reschedule_course(&state, &p, id).await?;
    Ok(booked(&state, &ctx, StatusCode::OK, r))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeIn {
    /// First local day, YYYY-MM-DD.
    from: String,
    /// Last local day, YYYY-MM-DD (at most 62 days after `from`).
    to: String,
}

/// Appointments of the local days `[from, to]` (a day or a week view) with
/// patients' names and contact details.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "plans", security(("bearer" = [])), params(RangeIn), responses(
    (status = 200, body = [Object]), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_appointments(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<RangeIn>,
) -> Result<Json<Vec<AppointmentView>>, ApiError> {
    Ok(Json(ops::appointments(&state, &p, &q.from, &q.to).await?))
}

/// Books one appointment (409 `appointment_conflict` lists every conflict).
#[utoipa::path(post, path = "/api/v1/appointments", tag = "plans", security(("bearer" = [])), request_body = AppointmentIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`appointment_conflict` with `conflicts`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_appointment(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    ApiJson(body): ApiJson<AppointmentIn>,
) -> Result<Response, ApiError> {
    let r: Booked<Appointment> = ops::create_appointment(&state, &p, &body).await?;
    Ok(booked(&state, &ctx, StatusCode::CREATED, r))
}

/// One appointment with its status history.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_appointment(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<AppointmentDetail>, ApiError> {
    Ok(Json(ops::appointment(&state, &p, id).await?))
}

/// Changes the status: booked → checked_in → done, booked → no_show,
/// booked or checked_in → cancelled.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/status", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = StatusIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`appointment_status_invalid`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_status(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<StatusIn>,
) -> Result<Json<AppointmentDetail>, ApiError> {
    Ok(Json(ops::set_status(&state, &p, id, &body).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoIn {
    reason: String,
}

/// Undoes the last status change (recorded as an event, nothing erased).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/status/undo", tag = "plans", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = UndoIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`appointment_nothing_to_undo`, `appointment_conflict`", body = Problem, content_type = "application/problem+json")))]
async fn undo_status(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<UndoIn>,
) -> Result<Json<AppointmentDetail>, ApiError> {
    Ok(Json(ops::undo_status(&state, &p, id, &body.reason).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DaysIn {
    /// Days ahead (0–31, default 2).
    days: Option<u32>,
}

/// Booked appointments from now to the end of the day `days` ahead, with
/// contact details, for reminders.
#[utoipa::path(get, path = "/api/v1/appointments/reminders", tag = "plans", security(("bearer" = [])), params(DaysIn), responses(
    (status = 200, body = [Object]), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn reminders(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<DaysIn>,
) -> Result<Json<Vec<AppointmentView>>, ApiError> {
    Ok(Json(ops::reminders(&state, &p, q.days).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct IcsIn {
    /// First local day, YYYY-MM-DD.
    from: String,
    /// Last local day, YYYY-MM-DD.
    to: String,
    /// Put patients' names in the summaries (default: no names).
    names: Option<bool>,
}

/// The appointments of `[from, to]` as iCalendar (RFC 5545): UID is the
/// appointment id, times in UTC; no patient names unless `names=true`.
#[utoipa::path(get, path = "/api/v1/appointments.ics", tag = "plans", security(("bearer" = [])), params(IcsIn), responses(
    (status = 200, body = String, content_type = "text/calendar"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn ics_export(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Query(q): Query<IcsIn>,
) -> Result<Response, ApiError> {
    let text = ops::ics_export(&state, &p, &q.from, &q.to, q.names.unwrap_or(false)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"appointments.ics\"",
            ),
        ],
        text,
    )
        .into_response())
}
