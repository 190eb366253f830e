//! Plan and appointment use cases, shared by the JSON API and (next) the
//! web UI: the clinic's indications, protocol templates and calendar, a
//! patient's plans with versions and the physician's approval, the course
//! of sessions (proposed and revised), booking it, rescheduling it, single
//! appointments with status changes and undo, reminders and the iCalendar
//! export.
//!
//! Reads of plans and of appointment lists with patients' names are noted
//! in the audit log. Dates are the clinic's local dates; instants are UTC.

use std::collections::{BTreeMap, HashMap};

use jiff::SignedDuration;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jousei_core::calendar::{
    ClinicCalendar, CourseProposal, HistoryEntry, Holiday, Protocol, RevisedCourse, SessionEvent,
    SessionStatus, propose, reschedule,
};
use jousei_core::error::{Coded, FieldError};
use jousei_core::plan::appointment::{AppointmentStatus, Conflict};
use jousei_core::plan::ics::{self, IcsEvent};
use jousei_core::plan::{
    IndicationFacts, PlanWarning, ProductInfo, ProtocolRef, RawComponent, RawIndication, RawPlan,
    RawRationale, parse_indication, parse_plan,
};
use jousei_core::role::Permission;
use jousei_store::AuditNote;
use jousei_store::Ts;
use jousei_store::plan::{
    Appointment, AppointmentEvent, Booking, Indication, Move, NewAppointment, Plan, PlanVersion,
    ProtocolTemplate,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ErrorKind;
use crate::error::{ServiceError, SubError};
use crate::patients::note_read;
use crate::supply::clinic_today;

/// The clinic's time zone (Asia/Tokyo when the clinic's is unknown).
pub fn clinic_tz(p: &Principal) -> TimeZone {
    TimeZone::get(&p.clinic.time_zone)
        .or_else(|_| TimeZone::get("Asia/Tokyo"))
        .unwrap_or(TimeZone::UTC)
}

/// The local calendar date of an instant in `tz`.
pub fn local_date(t: Ts, tz: &TimeZone) -> Date {
    t.0.to_zoned(tz.clone()).date()
}

pub fn local_time(t: Ts, tz: &TimeZone) -> Time {
    t.0.to_zoned(tz.clone()).time()
}

/// The instant of a local date and time in `tz`.
fn instant(d: Date, t: Time, tz: &TimeZone) -> Result<Ts, ServiceError> {
    d.to_datetime(t)
        .to_zoned(tz.clone())
        .map(|z| Ts::from(z.timestamp()))
        .map_err(ServiceError::internal)
}

fn unprocessable(code: &'static str, field: &'static str) -> ServiceError {
    ServiceError::fields(vec![FieldError::new(field, code)])
}

fn parse_date(raw: &str, field: &'static str) -> Result<Date, FieldError> {
    raw.trim()
        .parse::<Date>()
        .map_err(|_| FieldError::new(field, "date_invalid"))
}

fn required_reason(reason: &str) -> Result<String, ServiceError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(unprocessable("reason_required", "reason"));
    }
    if r.chars().count() > 2000 {
        return Err(unprocessable("field_too_long", "reason"));
    }
    Ok(r.to_string())
}

/// A scheduling failure as a 422 with its code (every protocol problem).
fn schedule_error(e: jousei_core::calendar::ScheduleError) -> ServiceError {
    use jousei_core::calendar::ScheduleError as E;
    match e {
        E::Protocol(v) => ServiceError::fields(
            v.iter()
                .map(|i| FieldError::new("protocol", i.code.as_str()))
                .collect(),
        ),
        other => ServiceError::new(ErrorKind::Invalid, other.code()),
    }
}

// ---------------------------------------------------------------- indications

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RationaleIn {
    pub text_ja: String,
    pub text_en: String,
    /// A citation or URL.
    pub source: String,
    /// clinic_claim, preclinical or clinical_study
    pub evidence: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IndicationIn {
    /// 2–32 lower-case letters, digits, `_` or `-`, unique in the clinic.
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// iv_drip, knee_joint_injection, skin_injection, nasal, inhalation, topical_device
    pub routes: Vec<String>,
    /// Why a source may suit it: each with its source and evidence level
    /// (never a promise: efficacy claims are refused).
    pub rationales: Vec<RationaleIn>,
    /// Whether new plans may name it (default true).
    pub active: Option<bool>,
    /// Why it changed (revisions only).
    pub reason: Option<String>,
}

impl IndicationIn {
    fn parse(&self) -> Result<IndicationFacts, ServiceError> {
        parse_indication(&RawIndication {
            code: self.code.clone(),
            name_ja: self.name_ja.clone(),
            name_en: self.name_en.clone(),
            routes: self.routes.clone(),
            rationales: self
                .rationales
                .iter()
                .map(|r| RawRationale {
                    text_ja: r.text_ja.clone(),
                    text_en: r.text_en.clone(),
                    source: r.source.clone(),
                    evidence: r.evidence.clone(),
                })
                .collect(),
            active: self.active.unwrap_or(true),
        })
        .map_err(ServiceError::fields)
    }
}

pub async fn indications(svc: &Service, p: &Principal) -> Result<Vec<Indication>, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    Ok(svc.store.indications(p.clinic.id).await?)
}

pub async fn create_indication(
    svc: &Service,
    p: &Principal,
    body: &IndicationIn,
) -> Result<Indication, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let facts = body.parse()?;
    Ok(svc
        .store
        .create_indication(&p.actor(), p.clinic.id, &facts)
        .await?)
}

pub async fn revise_indication(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    body: &IndicationIn,
) -> Result<Indication, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let facts = body.parse();
    let reason = required_reason(body.reason.as_deref().unwrap_or(""));
    let (facts, reason) = both(facts, reason)?;
    Ok(svc
        .store
        .revise_indication(&p.actor(), p.clinic.id, id, &facts, &reason)
        .await?)
}

/// Both results, or every field error of both.
fn both<A, B>(
    a: Result<A, ServiceError>,
    b: Result<B, ServiceError>,
) -> Result<(A, B), ServiceError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut x), Err(y)) => {
            x.errors.extend(y.errors);
            Err(x)
        }
        (Err(x), _) | (_, Err(x)) => Err(x),
    }
}

// ------------------------------------------------------------------ protocols

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolIn {
    /// `{"name": …, "phases": [{"kind": "induction", "interval":
    /// {"nominal_days": 14, "min_days": 12, "max_days": 18}, "count":
    /// {"sessions": 3}}, …]}`; an open-ended phase has `{"until_stopped":
    /// {"horizon_days": 365}}`.
    #[schema(value_type = Object)]
    pub protocol: serde_json::Value,
    /// Why it changed (revisions only).
    pub reason: Option<String>,
}

fn parse_protocol(v: &serde_json::Value) -> Result<Protocol, ServiceError> {
    let protocol: Protocol = serde_json::from_value(v.clone())
        .map_err(|_| unprocessable("protocol_shape_invalid", "protocol"))?;
    protocol.validate().map_err(|v| {
        ServiceError::fields(
            v.iter()
                .map(|i| FieldError::new("protocol", i.code.as_str()))
                .collect(),
        )
    })?;
    Ok(protocol)
}

pub async fn protocols(
    svc: &Service,
    p: &Principal,
) -> Result<Vec<ProtocolTemplate>, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    Ok(svc.store.protocols(p.clinic.id).await?)
}

pub async fn create_protocol(
    svc: &Service,
    p: &Principal,
    body: &ProtocolIn,
) -> Result<ProtocolTemplate, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let protocol = parse_protocol(&body.protocol)?;
    Ok(svc
        .store
        .create_protocol(&p.actor(), p.clinic.id, &protocol)
        .await?)
}

pub async fn revise_protocol(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    body: &ProtocolIn,
) -> Result<ProtocolTemplate, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let (protocol, reason) = both(
        parse_protocol(&body.protocol),
        required_reason(body.reason.as_deref().unwrap_or("")),
    )?;
    Ok(svc
        .store
        .revise_protocol(&p.actor(), p.clinic.id, id, &protocol, &reason)
        .await?)
}

// ------------------------------------------------------------------- calendar

pub async fn calendar(svc: &Service, p: &Principal) -> Result<ClinicCalendar, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    Ok(svc.store.clinic_calendar(p.clinic.id).await?)
}

pub async fn set_calendar(
    svc: &Service,
    p: &Principal,
    body: &serde_json::Value,
) -> Result<ClinicCalendar, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let cal: ClinicCalendar = serde_json::from_value(body.clone())
        .map_err(|_| unprocessable("calendar_shape_invalid", "calendar"))?;
    cal.validate().map_err(|v| {
        ServiceError::fields(
            v.iter()
                .map(|i| FieldError::new("calendar", i.code.as_str()))
                .collect(),
        )
    })?;
    svc.store
        .set_clinic_calendar(&p.actor(), p.clinic.id, &cal)
        .await?;
    Ok(cal)
}

pub fn holidays(p: &Principal, year: Option<i16>) -> Result<Vec<Holiday>, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    let year = year.unwrap_or_else(|| clinic_today(p).year());
    jousei_core::calendar::holidays::holidays(year).map_err(|e| unprocessable(e.code(), "year"))
}

// ---------------------------------------------------------------------- plans

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentIn {
    pub product_id: String,
    /// 1–100; the shares of a blend add up to 100.
    pub share_percent: String,
}

/// A plan as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PlanIn {
    pub patient_id: String,
    pub indication_code: String,
    /// iv_drip, knee_joint_injection, skin_injection, nasal, inhalation, topical_device
    pub route: String,
    pub components: Vec<ComponentIn>,
    /// Per session: millilitres (up to 3 decimals) or whole vials.
    pub dose: String,
    /// `ml` or `vials`
    pub dose_unit: String,
    /// Skin and knee injections: number of sites.
    pub site_count: Option<String>,
    pub site_areas: Vec<String>,
    /// Skin injections only.
    pub topical_anaesthesia: bool,
    /// A protocol template of the clinic (copied into the plan) …
    pub protocol_id: Option<String>,
    /// … or a protocol given whole (same shape as a template's).
    #[schema(value_type = Option<Object>)]
    pub protocol: Option<serde_json::Value>,
    /// YYYY-MM-DD: the first session (or the next open day).
    pub start_date: String,
    pub notes: Option<String>,
    /// Required when a product's label does not include the route.
    pub off_label_reason: Option<String>,
}

/// A plan with its warnings (a route the indication does not list, an
/// off-label use).
#[derive(Debug, Serialize)]
pub struct PlanView {
    #[serde(flatten)]
    pub plan: Plan,
    pub warnings: Vec<PlanWarning>,
}

/// A plan with every version, newest first.
#[derive(Debug, Serialize)]
pub struct PlanDetail {
    #[serde(flatten)]
    pub plan: Plan,
    pub versions: Vec<PlanVersion>,
}

async fn checked_plan(
    svc: &Service,
    p: &Principal,
    body: &PlanIn,
) -> Result<(Uuid, jousei_core::plan::CheckedPlan), ServiceError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let patient_id = match Uuid::parse_str(body.patient_id.trim()) {
        Ok(id) if svc.store.patient(p.clinic.id, id).await?.is_some() => Some(id),
        _ => {
            errs.push(FieldError::new("patient_id", "plan_patient_unknown"));
            None
        }
    };
    let (protocol, protocol_ref) = match (&body.protocol_id, &body.protocol) {
        (Some(id), _) => {
            let t = match Uuid::parse_str(id.trim()) {
                Ok(id) => svc.store.protocol(p.clinic.id, id).await?,
                Err(_) => None,
            };
            match t {
                Some(t) => (
                    Some(t.protocol),
                    Some(ProtocolRef {
                        id: t.id,
                        version: t.version,
                    }),
                ),
                None => {
                    errs.push(FieldError::new("protocol_id", "plan_protocol_unknown"));
                    (None, None)
                }
            }
        }
        (None, Some(v)) => match serde_json::from_value::<Protocol>(v.clone()) {
            Ok(pr) => (Some(pr), None),
            Err(_) => {
                errs.push(FieldError::new("protocol", "protocol_shape_invalid"));
                (None, None)
            }
        },
        (None, None) => {
            errs.push(FieldError::new("protocol_id", "plan_protocol_required"));
            (None, None)
        }
    };
    let indication = svc
        .store
        .indication_by_code(p.clinic.id, body.indication_code.trim())
        .await?
        .map(|i| i.facts);
    let products: Vec<ProductInfo> = svc
        .store
        .products(p.clinic.id)
        .await?
        .into_iter()
        .map(|pr| ProductInfo {
            id: pr.id,
            code: pr.facts.code.clone(),
            name: pr.facts.name.clone(),
            routes: pr.facts.routes.clone(),
        })
        .collect();
    let raw = RawPlan {
        indication_code: body.indication_code.clone(),
        route: body.route.clone(),
        components: body
            .components
            .iter()
            .map(|c| RawComponent {
                product_id: c.product_id.clone(),
                share_percent: c.share_percent.clone(),
            })
            .collect(),
        dose: body.dose.clone(),
        dose_unit: body.dose_unit.clone(),
        site_count: body.site_count.clone(),
        site_areas: body.site_areas.clone(),
        topical_anaesthesia: body.topical_anaesthesia,
        start_date: body.start_date.clone(),
        notes: body.notes.clone(),
        off_label_reason: body.off_label_reason.clone(),
    };
    let protocol_for_check = protocol.clone().unwrap_or_else(Protocol::example);
    let checked = parse_plan(
        &raw,
        &protocol_for_check,
        protocol_ref,
        indication.as_ref(),
        &products,
    );
    match (checked, patient_id, protocol) {
        (Ok(c), Some(id), Some(_)) if errs.is_empty() => Ok((id, c)),
        (Err(more), _, _) => {
            errs.extend(more);
            Err(ServiceError::fields(errs))
        }
        _ => Err(ServiceError::fields(errs)),
    }
}

/// Creates a plan (physicians).
pub async fn create_plan(
    svc: &Service,
    p: &Principal,
    body: &PlanIn,
) -> Result<PlanView, ServiceError> {
    p.require(Permission::PlanWrite)?;
    let (patient_id, checked) = checked_plan(svc, p, body).await?;
    let plan = svc
        .store
        .create_plan(&p.actor(), p.clinic.id, patient_id, &checked.facts)
        .await?;
    Ok(PlanView {
        plan,
        warnings: checked.warnings,
    })
}

async fn plan_of_clinic(svc: &Service, p: &Principal, id: Uuid) -> Result<Plan, ServiceError> {
    svc.store
        .plan(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)
}

/// A plan with its versions (audited as a read of part `plan`).
pub async fn plan(svc: &Service, p: &Principal, id: Uuid) -> Result<PlanDetail, ServiceError> {
    p.require(Permission::PatientRead)?;
    let plan = plan_of_clinic(svc, p, id).await?;
    let versions = svc.store.plan_versions(p.clinic.id, id).await?;
    note_read(svc, p, plan.patient_id, "plan").await?;
    Ok(PlanDetail { plan, versions })
}

/// The plans of a patient, newest first (audited: part `plan`).
pub async fn plans_of_patient(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Vec<Plan>, ServiceError> {
    p.require(Permission::PatientRead)?;
    if svc.store.patient(p.clinic.id, patient_id).await?.is_none() {
        return Err(ServiceError::not_found());
    }
    let plans = svc.store.plans_of_patient(p.clinic.id, patient_id).await?;
    note_read(svc, p, patient_id, "plan").await?;
    Ok(plans)
}

/// A new version of a plan with its reason (physicians). The patient
/// cannot change.
pub async fn revise_plan(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    body: &PlanIn,
    reason: &str,
) -> Result<PlanView, ServiceError> {
    p.require(Permission::PlanWrite)?;
    let current = plan_of_clinic(svc, p, id).await?;
    let (checked, reason) = both(checked_plan(svc, p, body).await, required_reason(reason))?;
    let (patient_id, checked) = checked;
    if patient_id != current.patient_id {
        return Err(unprocessable("plan_patient_immutable", "patient_id"));
    }
    let plan = svc
        .store
        .revise_plan(&p.actor(), p.clinic.id, id, &checked.facts, &reason)
        .await?;
    Ok(PlanView {
        plan,
        warnings: checked.warnings,
    })
}

/// Approves the current version (physicians); `version` must be it.
pub async fn approve_plan(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    version: i64,
) -> Result<Plan, ServiceError> {
    p.require(Permission::PlanApprove)?;
    Ok(svc
        .store
        .approve_plan(&p.actor(), p.clinic.id, id, version)
        .await?)
}

// --------------------------------------------------------------------- course

/// The course of a plan: the proposal from its start, protocol and the
/// clinic's calendar, and its revision from what happened.
#[derive(Debug, Serialize)]
pub struct CourseView {
    pub plan_id: Uuid,
    pub version: i64,
    pub approved: bool,
    pub today: Date,
    pub proposal: CourseProposal,
    pub revised: RevisedCourse,
    /// The plan's appointments, by session.
    pub appointments: Vec<Appointment>,
}

/// For each session, the appointment that stands for it: one that counts
/// for the course (booked, checked in, done), else the last no-show.
pub fn standing(appointments: &[Appointment]) -> BTreeMap<u32, &Appointment> {
    let mut out: BTreeMap<u32, &Appointment> = BTreeMap::new();
    for a in appointments {
        let Some(n) = a.session_ordinal else { continue };
        let keep = match out.get(&n) {
            None => a.status != AppointmentStatus::Cancelled,
            Some(prev) => {
                a.status.counts_for_course()
                    || (a.status == AppointmentStatus::NoShow && !prev.status.counts_for_course())
            }
        };
        if keep {
            out.insert(n, a);
        }
    }
    out
}

/// What happened to each session, from the appointments: done → done, a
/// no-show → missed, an appointment booked on a date a person chose →
/// moved. Appointments booked from the course follow it.
pub fn history(appointments: &[Appointment], tz: &TimeZone) -> Vec<HistoryEntry> {
    standing(appointments)
        .into_iter()
        .filter_map(|(ordinal, a)| {
            let date = local_date(a.starts_at, tz);
            let event = match a.status {
                AppointmentStatus::Done => SessionEvent::Done { date },
                AppointmentStatus::NoShow => SessionEvent::Missed { date },
                AppointmentStatus::Booked | AppointmentStatus::CheckedIn if !a.follows_course => {
                    SessionEvent::Moved { date }
                }
                _ => return None,
            };
            Some(HistoryEntry { ordinal, event })
        })
        .collect()
}

pub async fn course(svc: &Service, p: &Principal, id: Uuid) -> Result<CourseView, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    let plan = plan_of_clinic(svc, p, id).await?;
    let view = compute_course(svc, p, plan).await?;
    note_read(svc, p, view.1, "plan").await?;
    Ok(view.0)
}

async fn compute_course(
    svc: &Service,
    p: &Principal,
    plan: Plan,
) -> Result<(CourseView, Uuid), ServiceError> {
    let tz = clinic_tz(p);
    let cal = svc.store.clinic_calendar(p.clinic.id).await?;
    let proposal =
        propose(&plan.facts.protocol, plan.facts.start_date, &cal).map_err(schedule_error)?;
    let appointments = svc.store.appointments_of_plan(p.clinic.id, plan.id).await?;
    let today = clinic_today(p);
    let revised =
        reschedule(&proposal, &history(&appointments, &tz), &cal, today).map_err(schedule_error)?;
    Ok((
        CourseView {
            plan_id: plan.id,
            version: plan.version,
            approved: plan.approval.is_some(),
            today,
            proposal,
            revised,
            appointments,
        },
        plan.patient_id,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BookCourseIn {
    /// Local time of day, HH:MM.
    pub time: String,
    /// 5–480 minutes.
    pub duration_minutes: u32,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
}

/// The result of a course booking or rescheduling.
#[derive(Debug, Serialize)]
pub struct CourseBooking {
    /// The appointments booked or moved.
    pub appointments: Vec<Appointment>,
    pub course: CourseView,
}

fn parse_time(raw: &str) -> Result<Time, FieldError> {
    raw.trim()
        .parse::<Time>()
        .map_err(|_| FieldError::new("time", "time_invalid"))
}

fn duration(minutes: u32) -> Result<SignedDuration, FieldError> {
    if !(5..=480).contains(&minutes) {
        return Err(FieldError::new(
            "duration_minutes",
            "appointment_duration_invalid",
        ));
    }
    Ok(SignedDuration::from_mins(i64::from(minutes)))
}

fn room(raw: &Option<String>) -> Result<Option<String>, FieldError> {
    let r = raw.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match r {
        Some(r) if r.chars().count() > 40 => Err(FieldError::new("room", "field_too_long")),
        r => Ok(r.map(str::to_string)),
    }
}

/// A 409 `appointment_conflict` listing every conflict.
pub fn conflict_error(conflicts: &[Conflict]) -> ServiceError {
    let errors = conflicts
        .iter()
        .map(|c| {
            let mut s = SubError::new("appointment_conflict_with");
            s.args = vec![
                ("index", c.index.to_string()),
                (
                    "appointment",
                    c.appointment_id.map(|i| i.to_string()).unwrap_or_else(|| {
                        c.other_index.map(|i| format!("#{i}")).unwrap_or_default()
                    }),
                ),
                (
                    "kinds",
                    c.kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                ("starts_at", c.starts_at.to_string()),
            ];
            s
        })
        .collect();
    ServiceError::many(ErrorKind::Conflict, "appointment_conflict", errors)
}

/// Done, or refused with every conflict (nothing written).
pub type Booked<T> = Result<T, Vec<Conflict>>;

fn require_approved(plan: &Plan) -> Result<(), ServiceError> {
    if plan.approval.is_none() {
        return Err(ServiceError::new(ErrorKind::Conflict, "plan_not_approved"));
    }
    Ok(())
}

/// Books every session of the course that has no appointment standing for
/// it (booked, checked in or done), on its revised date at `time`; all or
/// nothing. The plan's current version must be approved.
pub async fn book_course(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    body: &BookCourseIn,
) -> Result<Booked<CourseBooking>, ServiceError> {
    p.require(Permission::ScheduleWrite)?;
    let mut errs = Vec::new();
    let time = parse_time(&body.time).map_err(|e| errs.push(e)).ok();
    let dur = duration(body.duration_minutes)
        .map_err(|e| errs.push(e))
        .ok();
    let room = room(&body.room).map_err(|e| errs.push(e)).ok().flatten();
    let (Some(time), Some(dur)) = (time, dur) else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let plan = plan_of_clinic(svc, p, id).await?;
    require_approved(&plan)?;
    let tz = clinic_tz(p);
    let patient_id = plan.patient_id;
    let (course, _) = compute_course(svc, p, plan).await?;
    let stands = standing(&course.appointments);
    let proposed: HashMap<u32, Date> = course
        .proposal
        .sessions
        .iter()
        .map(|s| (s.ordinal, s.date))
        .collect();
    let mut new = Vec::new();
    for s in &course.revised.sessions {
        if s.status != SessionStatus::Planned
            || stands
                .get(&s.ordinal)
                .is_some_and(|a| a.status.counts_for_course())
        {
            continue;
        }
        let starts_at = instant(s.date, time, &tz)?;
        new.push(NewAppointment {
            patient_id,
            plan_id: Some(id),
            session_ordinal: Some(s.ordinal),
            proposed_date: proposed.get(&s.ordinal).copied(),
            follows_course: true,
            room: room.clone(),
            staff_id: body.staff_id,
            starts_at,
            ends_at: Ts::from(starts_at.0 + dur),
            note: None,
        });
    }
    let booked = match svc
        .store
        .book_appointments(&p.actor(), p.clinic.id, &new)
        .await?
    {
        Booking::Done(a) => a,
        Booking::Conflicts(c) => return Ok(Err(c)),
    };
    let plan = plan_of_clinic(svc, p, id).await?;
    Ok(Ok(CourseBooking {
        appointments: booked,
        course: compute_course(svc, p, plan).await?.0,
    }))
}

/// Moves the course's future booked appointments that follow it to their
/// revised dates, keeping each one's time of day and length; all or
/// nothing.
pub async fn reschedule_course(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<Booked<CourseBooking>, ServiceError> {
    p.require(Permission::ScheduleWrite)?;
    let plan = plan_of_clinic(svc, p, id).await?;
    let tz = clinic_tz(p);
    let (course, _) = compute_course(svc, p, plan).await?;
    let stands = standing(&course.appointments);
    let now = svc.now();
    let mut moves = Vec::new();
    for s in &course.revised.sessions {
        let Some(a) = stands.get(&s.ordinal) else {
            continue;
        };
        if s.status != SessionStatus::Planned
            || a.status != AppointmentStatus::Booked
            || !a.follows_course
            || a.starts_at.0 <= now
            || local_date(a.starts_at, &tz) == s.date
        {
            continue;
        }
        let starts_at = instant(s.date, local_time(a.starts_at, &tz), &tz)?;
        let length = a.ends_at.0.duration_since(a.starts_at.0);
        moves.push(Move {
            id: a.id,
            starts_at,
            ends_at: Ts::from(starts_at.0 + length),
        });
    }
    let moved = if moves.is_empty() {
        Vec::new()
    } else {
        match svc
            .store
            .move_appointments(&p.actor(), p.clinic.id, &moves, "course_rescheduled")
            .await?
        {
            Booking::Done(a) => a,
            Booking::Conflicts(c) => return Ok(Err(c)),
        }
    };
    let plan = plan_of_clinic(svc, p, id).await?;
    Ok(Ok(CourseBooking {
        appointments: moved,
        course: compute_course(svc, p, plan).await?.0,
    }))
}

// --------------------------------------------------------------- appointments

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AppointmentIn {
    pub patient_id: String,
    pub plan_id: Option<Uuid>,
    /// The session of the plan's course it is for.
    pub session_ordinal: Option<u32>,
    /// YYYY-MM-DD (clinic's local date)
    pub date: String,
    /// HH:MM (local)
    pub time: String,
    pub duration_minutes: u32,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
    pub note: Option<String>,
}

/// An appointment with its patient's number, name and contact details.
#[derive(Debug, Serialize)]
pub struct AppointmentView {
    #[serde(flatten)]
    pub appointment: Appointment,
    pub local_date: Date,
    pub local_time: String,
    pub patient_number: String,
    pub patient_name: String,
    pub patient_kana: String,
    pub phone: String,
    pub email: Option<String>,
}

/// Books one appointment; 409 `appointment_conflict` lists every conflict.
pub async fn create_appointment(
    svc: &Service,
    p: &Principal,
    body: &AppointmentIn,
) -> Result<Booked<Appointment>, ServiceError> {
    p.require(Permission::ScheduleWrite)?;
    let mut errs = Vec::new();
    let patient_id = match Uuid::parse_str(body.patient_id.trim()) {
        Ok(id) if svc.store.patient(p.clinic.id, id).await?.is_some() => Some(id),
        _ => {
            errs.push(FieldError::new("patient_id", "appointment_patient_unknown"));
            None
        }
    };
    let date = parse_date(&body.date, "date")
        .map_err(|e| errs.push(e))
        .ok();
    let time = parse_time(&body.time).map_err(|e| errs.push(e)).ok();
    let dur = duration(body.duration_minutes)
        .map_err(|e| errs.push(e))
        .ok();
    let room = room(&body.room).map_err(|e| errs.push(e)).ok().flatten();
    let mut proposed_date = None;
    if let Some(plan_id) = body.plan_id {
        match svc.store.plan(p.clinic.id, plan_id).await? {
            Some(plan) if Some(plan.patient_id) == patient_id => {
                if let Some(n) = body.session_ordinal {
                    let cal = svc.store.clinic_calendar(p.clinic.id).await?;
                    let proposal = propose(&plan.facts.protocol, plan.facts.start_date, &cal)
                        .map_err(schedule_error)?;
                    // A session on a closed day would break the course's history.
                    if let Some(d) = date
                        && !cal.is_open(d).unwrap_or(false)
                    {
                        errs.push(FieldError::new("date", "appointment_day_closed"));
                    }
                    match proposal.sessions.iter().find(|s| s.ordinal == n) {
                        Some(s) => proposed_date = Some(s.date),
                        None => errs.push(FieldError::new(
                            "session_ordinal",
                            "appointment_session_unknown",
                        )),
                    }
                }
            }
            _ => errs.push(FieldError::new("plan_id", "appointment_plan_unknown")),
        }
    } else if body.session_ordinal.is_some() {
        errs.push(FieldError::new("plan_id", "appointment_plan_unknown"));
    }
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let (Some(patient_id), Some(date), Some(time), Some(dur)) = (patient_id, date, time, dur)
    else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let starts_at = instant(date, time, &clinic_tz(p))?;
    let new = NewAppointment {
        patient_id,
        plan_id: body.plan_id,
        session_ordinal: body.session_ordinal,
        proposed_date,
        follows_course: false,
        room,
        staff_id: body.staff_id,
        starts_at,
        ends_at: Ts::from(starts_at.0 + dur),
        note,
    };
    match svc
        .store
        .book_appointments(&p.actor(), p.clinic.id, &[new])
        .await?
    {
        Booking::Done(mut a) => Ok(Ok(a
            .pop()
            .ok_or_else(|| ServiceError::internal("nothing booked"))?)),
        Booking::Conflicts(c) => Ok(Err(c)),
    }
}

async fn views(
    svc: &Service,
    p: &Principal,
    list: Vec<Appointment>,
    purpose: &str,
) -> Result<Vec<AppointmentView>, ServiceError> {
    let tz = clinic_tz(p);
    let mut wanted: Vec<Uuid> = list.iter().map(|a| a.patient_id).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let patients: HashMap<Uuid, _> = svc
        .store
        .patients_by_ids(p.clinic.id, &wanted)
        .await?
        .into_iter()
        .map(|pt| (pt.id, pt))
        .collect();
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let Some(pt) = patients.get(&a.patient_id) else {
            continue;
        };
        out.push(AppointmentView {
            local_date: local_date(a.starts_at, &tz),
            local_time: local_time(a.starts_at, &tz).strftime("%H:%M").to_string(),
            patient_number: pt.number.clone(),
            patient_name: pt.facts.name.clone(),
            patient_kana: pt.facts.kana.as_str().to_string(),
            phone: pt.facts.phone.display(),
            email: pt.facts.email.clone(),
            appointment: a,
        });
    }
    let ids: Vec<String> = patients.keys().map(Uuid::to_string).collect();
    svc.store
        .note(
            &p.actor(),
            &AuditNote {
                clinic_id: Some(p.clinic.id),
                action: "appointments_read".into(),
                entity_kind: "appointment".into(),
                entity_id: None,
                changes: serde_json::json!({"purpose": purpose, "patients": ids}),
            },
        )
        .await?;
    Ok(out)
}

/// The local dates `[from, to]` as instants `[start of from, start of the
/// day after to)`; at most 62 days.
fn range(p: &Principal, from: &str, to: &str) -> Result<(Date, Date, Ts, Ts), ServiceError> {
    let mut errs = Vec::new();
    let f = parse_date(from, "from").map_err(|e| errs.push(e)).ok();
    let t = parse_date(to, "to").map_err(|e| errs.push(e)).ok();
    let (Some(f), Some(t)) = (f, t) else {
        return Err(ServiceError::fields(errs));
    };
    let days = (t - f).get_days();
    if t < f || days > 62 {
        return Err(unprocessable("appointment_range_invalid", "to"));
    }
    let tz = clinic_tz(p);
    let end = t
        .tomorrow()
        .map_err(|_| unprocessable("appointment_range_invalid", "to"))?;
    Ok((
        f,
        t,
        instant(f, Time::midnight(), &tz)?,
        instant(end, Time::midnight(), &tz)?,
    ))
}

/// Appointments of local days `[from, to]` with patients' names and
/// contact details (audited as one `appointments_read`).
pub async fn appointments(
    svc: &Service,
    p: &Principal,
    from: &str,
    to: &str,
) -> Result<Vec<AppointmentView>, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    let (_, _, f, t) = range(p, from, to)?;
    let list = svc.store.appointments_between(p.clinic.id, f, t).await?;
    views(svc, p, list, "list").await
}

/// Booked appointments from now until the end of the day `days` days
/// ahead, with contact details, for reminders.
pub async fn reminders(
    svc: &Service,
    p: &Principal,
    days: Option<u32>,
) -> Result<Vec<AppointmentView>, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    let days = days.unwrap_or(2);
    if days > 31 {
        return Err(unprocessable("appointment_range_invalid", "days"));
    }
    let tz = clinic_tz(p);
    let end_day = clinic_today(p)
        .checked_add(jiff::Span::new().days(i64::from(days) + 1))
        .map_err(ServiceError::internal)?;
    let list = svc
        .store
        .appointments_between(
            p.clinic.id,
            svc.now_ts(),
            instant(end_day, Time::midnight(), &tz)?,
        )
        .await?
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked)
        .collect();
    views(svc, p, list, "reminders").await
}

/// One appointment with its events.
#[derive(Debug, Serialize)]
pub struct AppointmentDetail {
    #[serde(flatten)]
    pub appointment: Appointment,
    pub events: Vec<AppointmentEvent>,
}

pub async fn appointment(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<AppointmentDetail, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    let appointment = svc
        .store
        .appointment(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let events = svc.store.appointment_events(p.clinic.id, id).await?;
    Ok(AppointmentDetail {
        appointment,
        events,
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StatusIn {
    /// checked_in, done, no_show or cancelled
    pub status: String,
    pub reason: Option<String>,
}

pub async fn set_status(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    body: &StatusIn,
) -> Result<AppointmentDetail, ServiceError> {
    p.require(Permission::ScheduleWrite)?;
    let Some(to) = AppointmentStatus::parse(&body.status) else {
        return Err(unprocessable("appointment_status_unknown", "status"));
    };
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 2000) {
        return Err(unprocessable("field_too_long", "reason"));
    }
    svc.store
        .set_appointment_status(&p.actor(), p.clinic.id, id, to, reason)
        .await?;
    appointment(svc, p, id).await
}

pub async fn undo_status(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<AppointmentDetail, ServiceError> {
    p.require(Permission::ScheduleWrite)?;
    let reason = required_reason(reason)?;
    svc.store
        .undo_appointment_status(&p.actor(), p.clinic.id, id, &reason)
        .await?;
    appointment(svc, p, id).await
}

/// The iCalendar of local days `[from, to]`. Summaries carry the session
/// and room, and the patient's name only when `names` is asked for.
pub async fn ics_export(
    svc: &Service,
    p: &Principal,
    from: &str,
    to: &str,
    names: bool,
) -> Result<String, ServiceError> {
    p.require(Permission::ScheduleRead)?;
    let (_, _, f, t) = range(p, from, to)?;
    let list = svc.store.appointments_between(p.clinic.id, f, t).await?;
    let mut names_of: HashMap<Uuid, String> = HashMap::new();
    if names {
        for v in views(svc, p, list.clone(), "ics").await? {
            names_of.insert(v.appointment.patient_id, v.patient_name);
        }
    }
    let events: Vec<IcsEvent> = list
        .iter()
        .map(|a| {
            let mut summary = match a.session_ordinal {
                Some(n) => format!("施術 {n}回目 / Session {n}"),
                None => "予約 / Appointment".to_string(),
            };
            if let Some(n) = names_of.get(&a.patient_id) {
                summary = format!("{summary} — {n}");
            }
            IcsEvent {
                uid: a.id,
                starts_at: a.starts_at.0,
                ends_at: a.ends_at.0,
                summary,
                location: a.room.clone(),
                description: None,
                status: match a.status {
                    AppointmentStatus::Cancelled => "CANCELLED",
                    _ => "CONFIRMED",
                },
                stamp: a.created_at.0,
            }
        })
        .collect();
    Ok(ics::calendar(&p.clinic.name, &events))
}
