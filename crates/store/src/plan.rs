//! Storage of treatment plans and appointments: the clinic's indications
//! and protocol templates (versioned), its calendar (every version kept),
//! patients' plans (versioned, each version approved at most once by a
//! physician, sealing the SHA-256 of its facts), and appointments with
//! their status history. Part of [`crate::Store`].
//!
//! Booking and moving appointments check for conflicts (same room, same
//! staff member or same patient at overlapping times; cancelled ones do not
//! count) inside the write transaction, after taking the writers' lock, so
//! two concurrent bookings of one slot cannot both succeed. Nothing is
//! erased: an undo of a status is a new event; the tables refuse DELETE.

use async_trait::async_trait;
use jiff::civil::Date;
use jousei_core::calendar::{ClinicCalendar, Protocol};
use jousei_core::plan::appointment::{AppointmentStatus, Conflict};
use jousei_core::plan::{IndicationFacts, PlanFacts};
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

/// The current version of a catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indication {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub version: i64,
    pub facts: IndicationFacts,
}

/// The current version of a protocol template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolTemplate {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub version: i64,
    pub protocol: Protocol,
}

/// A physician's approval of one plan version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub version: i64,
    /// SHA-256 of the version's facts (`PlanFacts::fingerprint`).
    pub sha256: String,
    pub approved_by: Uuid,
    pub approved_by_login: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub approved_at: Ts,
}

/// The current version of a plan, with its approval if that version has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub version: i64,
    pub facts: PlanFacts,
    pub approval: Option<Approval>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

impl Plan {
    /// The approval of the current version, if it has one
    /// ([`jousei_core::plan::approval_covers`]).
    pub fn current_approval(&self) -> Option<&Approval> {
        self.approval
            .as_ref()
            .filter(|a| jousei_core::plan::approval_covers(a.version, self.version))
    }

    /// Whether the plan as it stands is approved.
    pub fn is_approved(&self) -> bool {
        self.current_approval().is_some()
    }
}

/// One version of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanVersion {
    pub version: i64,
    pub facts: PlanFacts,
    pub sha256: String,
    /// Why it changed (none for the first version).
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
    pub approval: Option<Approval>,
}

/// An appointment to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub session_ordinal: Option<u32>,
    /// The date the course proposed for that session.
    pub proposed_date: Option<Date>,
    /// Booked from the course: its date follows the course when the course
    /// is rescheduled. A date a person chose is kept (`false`).
    pub follows_course: bool,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appointment {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub session_ordinal: Option<u32>,
    pub proposed_date: Option<Date>,
    pub follows_course: bool,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub starts_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub ends_at: Ts,
    pub status: AppointmentStatus,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

/// One change in an appointment's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentEvent {
    pub seq: i64,
    /// `booked`, `status`, `undo` or `moved`.
    pub kind: String,
    pub from_status: Option<AppointmentStatus>,
    pub to_status: AppointmentStatus,
    /// For an undo, the event it undoes.
    pub undoes_seq: Option<i64>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub starts_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub ends_at: Ts,
    pub reason: Option<String>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

/// A move of a booked appointment to another time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub id: Uuid,
    pub starts_at: Ts,
    pub ends_at: Ts,
}

/// The outcome of a booking or a move: done, or refused with every
/// conflict (nothing written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booking {
    Done(Vec<Appointment>),
    Conflicts(Vec<Conflict>),
}

#[async_trait]
pub trait PlanStore {
    // Indications
    /// `indication_code_taken` when the clinic has the code.
    async fn create_indication(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        facts: &IndicationFacts,
    ) -> Result<Indication>;
    /// A new version with its reason (the code may change unless taken).
    async fn revise_indication(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        facts: &IndicationFacts,
        reason: &str,
    ) -> Result<Indication>;
    async fn indications(&self, clinic_id: Uuid) -> Result<Vec<Indication>>;
    async fn indication_by_code(&self, clinic_id: Uuid, code: &str) -> Result<Option<Indication>>;

    // Protocol templates
    async fn create_protocol(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        protocol: &Protocol,
    ) -> Result<ProtocolTemplate>;
    async fn revise_protocol(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        protocol: &Protocol,
        reason: &str,
    ) -> Result<ProtocolTemplate>;
    async fn protocols(&self, clinic_id: Uuid) -> Result<Vec<ProtocolTemplate>>;
    async fn protocol(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<ProtocolTemplate>>;

    // Clinic calendar
    /// The newest calendar, or `ClinicCalendar::example()` when none is set.
    async fn clinic_calendar(&self, clinic_id: Uuid) -> Result<ClinicCalendar>;
    /// Stores a new version (the earlier ones stay).
    async fn set_clinic_calendar(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        calendar: &ClinicCalendar,
    ) -> Result<()>;

    // Plans
    /// `patient_not_found` when the patient is not of this clinic.
    async fn create_plan(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        patient_id: Uuid,
        facts: &PlanFacts,
    ) -> Result<Plan>;
    /// A new version with its reason; the approval of an earlier version
    /// does not carry over.
    async fn revise_plan(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        facts: &PlanFacts,
        reason: &str,
    ) -> Result<Plan>;
    /// Approves `version` (the current one; `plan_version_stale` otherwise,
    /// `plan_already_approved` when it is). The actor must be a user.
    async fn approve_plan(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        version: i64,
    ) -> Result<Plan>;
    async fn plan(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Plan>>;
    /// Newest first.
    async fn plan_versions(&self, clinic_id: Uuid, id: Uuid) -> Result<Vec<PlanVersion>>;
    /// Newest first.
    async fn plans_of_patient(&self, clinic_id: Uuid, patient_id: Uuid) -> Result<Vec<Plan>>;

    // Appointments
    /// Books all or nothing: every conflict with existing appointments
    /// (not cancelled) and among the new ones is reported.
    async fn book_appointments(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &[NewAppointment],
    ) -> Result<Booking>;
    /// Moves booked appointments, all or nothing, with the same conflict
    /// check (the moved ones do not conflict with their old times).
    /// `appointment_not_booked` when one is not booked.
    async fn move_appointments(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        moves: &[Move],
        reason: &str,
    ) -> Result<Booking>;
    /// Changes the status (`appointment_status_invalid` for a change the
    /// status machine refuses).
    async fn set_appointment_status(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        to: AppointmentStatus,
        reason: Option<&str>,
    ) -> Result<Appointment>;
    /// Undoes the last status change (recorded as an `undo` event);
    /// `appointment_nothing_to_undo` when there is none, and
    /// `appointment_conflict` when the slot it returns to is taken again.
    async fn undo_appointment_status(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        reason: &str,
    ) -> Result<Appointment>;
    async fn appointment(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Appointment>>;
    /// Oldest first.
    async fn appointment_events(&self, clinic_id: Uuid, id: Uuid) -> Result<Vec<AppointmentEvent>>;
    /// Appointments starting in `[from, to)`, by start time.
    async fn appointments_between(
        &self,
        clinic_id: Uuid,
        from: Ts,
        to: Ts,
    ) -> Result<Vec<Appointment>>;
    /// By session ordinal, then start time.
    async fn appointments_of_plan(
        &self,
        clinic_id: Uuid,
        plan_id: Uuid,
    ) -> Result<Vec<Appointment>>;
}
