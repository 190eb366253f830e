//! The rows, SQL and helpers of [`crate::plan::PlanStore`]; its methods,
//! written once for both backends, are in `sql/plan.rs` (see `imp.rs` for the
//! layout).

use jousei_core::plan::appointment::AppointmentStatus;
use uuid::Uuid;

use crate::patient_imp::json;
use crate::plan::{Appointment, AppointmentEvent, Approval, Plan, PlanVersion};
use crate::{StoreError, Ts};

pub(crate) const PLAN_SELECT: &str = "SELECT p.id, p.clinic_id, p.patient_id, p.current_version, v.facts, p.created_at, a.sha256 AS approved_sha256, a.approved_by, u.login AS approved_by_login, a.approved_at FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.current_version LEFT JOIN plan_approvals a ON a.plan_id = p.id AND a.version = p.current_version LEFT JOIN users u ON u.id = a.approved_by";

pub(crate) const PLAN_VERSION_SELECT: &str = "SELECT v.version, v.facts, v.sha256, v.reason, v.author_id, v.created_at, a.sha256 AS approved_sha256, a.approved_by, u.login AS approved_by_login, a.approved_at FROM plans p JOIN plan_versions v ON v.plan_id = p.id LEFT JOIN plan_approvals a ON a.plan_id = v.plan_id AND a.version = v.version LEFT JOIN users u ON u.id = a.approved_by";

pub(crate) const APPOINTMENT_SELECT: &str = "SELECT id, clinic_id, patient_id, plan_id, session_ordinal, proposed_date, follows_course, room, staff_id, starts_at, ends_at, status, note, created_at FROM appointments";

pub(crate) const EVENT_SELECT: &str = "SELECT e.seq, e.kind, e.from_status, e.to_status, e.undoes_seq, e.starts_at, e.ends_at, e.reason, e.actor_id, e.actor_label, e.at FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id";

fn approval(
    version: i64,
    sha: Option<String>,
    by: Option<Uuid>,
    login: Option<String>,
    at: Option<Ts>,
) -> Option<Approval> {
    match (sha, by, at) {
        (Some(sha256), Some(approved_by), Some(approved_at)) => Some(Approval {
            version,
            sha256,
            approved_by,
            approved_by_login: login,
            approved_at,
        }),
        _ => None,
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlanRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub current_version: i64,
    pub facts: String,
    pub created_at: Ts,
    pub approved_sha256: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_login: Option<String>,
    pub approved_at: Option<Ts>,
}

impl TryFrom<PlanRow> for Plan {
    type Error = StoreError;
    fn try_from(r: PlanRow) -> Result<Self, StoreError> {
        Ok(Plan {
            id: r.id,
            clinic_id: r.clinic_id,
            patient_id: r.patient_id,
            version: r.current_version,
            facts: json(&r.facts)?,
            approval: approval(
                r.current_version,
                r.approved_sha256,
                r.approved_by,
                r.approved_by_login,
                r.approved_at,
            ),
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlanVersionRow {
    pub version: i64,
    pub facts: String,
    pub sha256: String,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    pub created_at: Ts,
    pub approved_sha256: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_login: Option<String>,
    pub approved_at: Option<Ts>,
}

impl TryFrom<PlanVersionRow> for PlanVersion {
    type Error = StoreError;
    fn try_from(r: PlanVersionRow) -> Result<Self, StoreError> {
        Ok(PlanVersion {
            version: r.version,
            facts: json(&r.facts)?,
            sha256: r.sha256,
            reason: r.reason,
            author_id: r.author_id,
            created_at: r.created_at,
            approval: approval(
                r.version,
                r.approved_sha256,
                r.approved_by,
                r.approved_by_login,
                r.approved_at,
            ),
        })
    }
}

pub(crate) fn status(s: &str) -> Result<AppointmentStatus, StoreError> {
    AppointmentStatus::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("appointment status {s}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct AppointmentRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub session_ordinal: Option<i64>,
    pub proposed_date: Option<jiff_sqlx::Date>,
    pub follows_course: bool,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub status: String,
    pub note: Option<String>,
    pub created_at: Ts,
}

impl TryFrom<AppointmentRow> for Appointment {
    type Error = StoreError;
    fn try_from(r: AppointmentRow) -> Result<Self, StoreError> {
        Ok(Appointment {
            id: r.id,
            clinic_id: r.clinic_id,
            patient_id: r.patient_id,
            plan_id: r.plan_id,
            session_ordinal: r
                .session_ordinal
                .map(u32::try_from)
                .transpose()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            proposed_date: r.proposed_date.map(|d| d.to_jiff()),
            follows_course: r.follows_course,
            room: r.room,
            staff_id: r.staff_id,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            status: status(&r.status)?,
            note: r.note,
            created_at: r.created_at,
        })
    }
}

impl Appointment {
    pub(crate) fn slot(&self) -> jousei_core::plan::appointment::Slot {
        jousei_core::plan::appointment::Slot {
            patient_id: self.patient_id,
            room: self.room.clone(),
            staff_id: self.staff_id,
            starts_at: self.starts_at.0,
            ends_at: self.ends_at.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub undoes_seq: Option<i64>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub reason: Option<String>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub at: Ts,
}

impl TryFrom<EventRow> for AppointmentEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(AppointmentEvent {
            seq: r.seq,
            kind: r.kind,
            from_status: r.from_status.as_deref().map(status).transpose()?,
            to_status: status(&r.to_status)?,
            undoes_seq: r.undoes_seq,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            reason: r.reason,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            at: r.at,
        })
    }
}

/// The status change an undo would revert: the last `status` event not
/// undone yet.
pub(crate) fn undoable(events: &[AppointmentEvent]) -> Option<&AppointmentEvent> {
    let mut stack: Vec<&AppointmentEvent> = Vec::new();
    for e in events {
        match e.kind.as_str() {
            "status" => stack.push(e),
            "undo" => {
                stack.retain(|s| Some(s.seq) != e.undoes_seq);
            }
            _ => {}
        }
    }
    stack.last().copied()
}
