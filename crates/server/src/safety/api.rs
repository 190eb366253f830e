//! The JSON API of safety (tag `safety`): adverse events with deadlines,
//! follow-ups and notifications, recall campaigns with every affected
//! patient and contact attempt, the clinic's reporting policy per product
//! regime, and the dashboard. Thin: the rules are in
//! `safety_ops` and the domain crate.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jousei_store::care::Administration;
use jousei_store::safety::{FollowUp, Notification, RecallContact};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::ApiJson;
use crate::app::{AppState, Signed};
use crate::error::{ApiError, Problem};
use jousei_service::safety::{
    self as ops, AdverseEventDetail, AdverseEventIn, AdverseEventView, ContactIn, Dashboard,
    FollowUpIn, NotificationIn, RecallIn, RecallSummary, RecallView, ReportingPolicyIn,
    ReportingPolicyView, ReviseAdverseEventIn,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_adverse_events, report_adverse_event))
        .routes(routes!(get_adverse_event))
        .routes(routes!(revise_adverse_event))
        .routes(routes!(notify))
        .routes(routes!(complete_follow_up))
        .routes(routes!(suggestions))
        .routes(routes!(list_recalls, start_recall))
        .routes(routes!(get_recall))
        .routes(routes!(record_contact))
        .routes(routes!(close_recall))
        .routes(routes!(dashboard))
        .routes(routes!(get_reporting_policy, set_reporting_policy))
}

type Json201<T> = (StatusCode, Json<T>);

/// Every adverse event of the clinic with where its report stands.
#[utoipa::path(get, path = "/api/v1/adverse-events", tag = "safety", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_adverse_events(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<AdverseEventView>>, ApiError> {
    Ok(Json(ops::adverse_events(&state, &p).await?))
}

/// Reports an adverse event: the deadline (7 days for death or
/// life-threatening, 15 for other serious, from the day the clinic
/// learned of it) and the day-7 and day-30 follow-ups are set.
#[utoipa::path(post, path = "/api/v1/adverse-events", tag = "safety", security(("bearer" = [])), request_body = AdverseEventIn, responses(
    (status = 201, body = Object),
    (status = 404, description = "an administration that is not this patient's", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "every problem in `errors`", body = Problem, content_type = "application/problem+json")))]
async fn report_adverse_event(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<AdverseEventIn>,
) -> Result<Json201<AdverseEventView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::report(&state, &p, &body).await?),
    ))
}

/// One adverse event with its versions, follow-ups and notifications
/// (audited).
#[utoipa::path(get, path = "/api/v1/adverse-events/{id}", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_adverse_event(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<AdverseEventDetail>, ApiError> {
    Ok(Json(ops::adverse_event(&state, &p, id).await?))
}

/// A new version (e.g. the physician's causality, the outcome) with its
/// reason.
#[utoipa::path(post, path = "/api/v1/adverse-events/{id}/versions", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ReviseAdverseEventIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`adverse_event_version_stale`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn revise_adverse_event(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ReviseAdverseEventIn>,
) -> Result<Json201<AdverseEventView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::revise(&state, &p, id, &body).await?),
    ))
}

/// Records a report sent to the authority or a notice to the supplier.
#[utoipa::path(post, path = "/api/v1/adverse-events/{id}/notifications", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = NotificationIn, responses(
    (status = 201, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn notify(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<NotificationIn>,
) -> Result<Json201<Notification>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::notify(&state, &p, id, &body).await?),
    ))
}

/// Marks a follow-up done with what was found (once).
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/done", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = FollowUpIn, responses(
    (status = 200, body = Object),
    (status = 409, description = "`follow_up_already_done`", body = Problem, content_type = "application/problem+json")))]
async fn complete_follow_up(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<FollowUpIn>,
) -> Result<Json<FollowUp>, ApiError> {
    Ok(Json(ops::complete_follow_up(&state, &p, id, &body).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(default)]
pub struct OnsetIn {
    /// The onset (RFC 3339 or local YYYY-MM-DDTHH:MM); default now.
    pub onset_at: String,
}

/// The patient's doses within 14 days before the onset (suggested as
/// involved), newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/adverse-event-suggestions", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path), OnsetIn), responses(
    (status = 200, body = [Object])))]
async fn suggestions(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<OnsetIn>,
) -> Result<Json<Vec<Administration>>, ApiError> {
    Ok(Json(ops::suggestions(&state, &p, id, &q.onset_at).await?))
}

/// Every recall with its progress.
#[utoipa::path(get, path = "/api/v1/recalls", tag = "safety", security(("bearer" = [])), responses((status = 200, body = [Object])))]
async fn list_recalls(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Vec<RecallSummary>>, ApiError> {
    Ok(Json(ops::recalls(&state, &p).await?))
}

/// Starts a recall of a lot, or of every lot of a product, a manufacturer
/// or a cell source: the lots become recalled at once (their stock is no
/// longer available) and every affected patient is listed with contact
/// details.
#[utoipa::path(post, path = "/api/v1/recalls", tag = "safety", security(("bearer" = [])), request_body = RecallIn, responses(
    (status = 201, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn start_recall(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<RecallIn>,
) -> Result<Json201<RecallView>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::start_recall(&state, &p, &body).await?),
    ))
}

/// A recall with its affected patients, contact attempts and progress
/// (audited).
#[utoipa::path(get, path = "/api/v1/recalls/{id}", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_recall(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Json<RecallView>, ApiError> {
    Ok(Json(ops::recall(&state, &p, id).await?))
}

/// Records one contact attempt with an affected patient.
#[utoipa::path(post, path = "/api/v1/recalls/{id}/contacts", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ContactIn, responses(
    (status = 201, body = Object),
    (status = 409, description = "`recall_closed`, `recall_patient_not_affected`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn record_contact(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ContactIn>,
) -> Result<Json201<RecallContact>, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ops::record_contact(&state, &p, id, &body).await?),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CloseIn {
    pub report: String,
}

/// Closes a recall with its report (once).
#[utoipa::path(post, path = "/api/v1/recalls/{id}/close", tag = "safety", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CloseIn, responses(
    (status = 200, body = Object), (status = 409, description = "`recall_closed`", body = Problem, content_type = "application/problem+json")))]
async fn close_recall(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CloseIn>,
) -> Result<Json<RecallView>, ApiError> {
    Ok(Json(ops::close_recall(&state, &p, id, &body.report).await?))
}

/// The safety dashboard: adverse events by product, lot, source, route
/// and category; reports due or overdue; open follow-ups; recalls in
/// progress.
#[utoipa::path(get, path = "/api/v1/safety/dashboard", tag = "safety", security(("bearer" = [])), responses((status = 200, body = Object)))]
async fn dashboard(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(ops::dashboard(&state, &p).await?))
}

/// The clinic's adverse-event reporting policy per product regime (days
/// from the day the clinic learned of a serious event to the report), with
/// every version; `version` is null while today's defaults (7 and 15 days)
/// apply.
#[utoipa::path(get, path = "/api/v1/safety/reporting-policy", tag = "safety", security(("bearer" = [])), responses((status = 200, body = ReportingPolicyView)))]
async fn get_reporting_policy(
    State(state): State<AppState>,
    Signed(p, _): Signed,
) -> Result<Json<ReportingPolicyView>, ApiError> {
    Ok(Json(ops::reporting_policy(&state, &p).await?))
}

/// Sets the reporting policy as a new version (admins; audited): every
/// regime once, each deadline 1–90 days, the death deadline no later than
/// the other serious one. Reports made or revised afterwards take their due
/// date from it (the shortest deadline among the regimes of the products
/// the event's doses used; all regimes when it names none).
#[utoipa::path(put, path = "/api/v1/safety/reporting-policy", tag = "safety", security(("bearer" = [])), request_body = ReportingPolicyIn, responses(
    (status = 200, body = ReportingPolicyView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "every problem in `errors`, named by field (e.g. `unapproved_death_days`, `regimes`)", body = Problem, content_type = "application/problem+json")))]
async fn set_reporting_policy(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    ApiJson(body): ApiJson<ReportingPolicyIn>,
) -> Result<Json<ReportingPolicyView>, ApiError> {
    Ok(Json(
        ops::set_reporting_policy(&state, &p, &body.raw()).await?,
    ))
}
