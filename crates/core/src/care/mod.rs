//! The point-of-care check: at the chair, before a dose, one pure function
//! judges the facts (patient, identity confirmation, screening, consent,
//! plan, appointment, the scanned vials with their lots and stock, the
//! moment and the clinic's time zone) and returns findings, each with a
//! stable code, a severity and the values its message needs.
//!
//! - **block**: nobody can override it; the dose cannot be recorded while
//!   it stands (design.md invariant 1, and identity and consent of
//!   invariant 2).
//! - **override**: a physician may go ahead with a written reason, which
//!   is recorded with the dose (invariant 2).
//! - **warning**: shown, never stops the dose.
//!
//! [`CheckOutcome::may_proceed`] says whether a dose may be recorded with
//! the physician's overrides. Messages are `care-<code>` (findings) and
//! `err-<code>` (refusals) in `crates/server/locales/*/care.ftl`; every
//! finding is described in `docs/point-of-care.md`.
//!
//! Expiry is judged at the moment of administration on the clinic's local
//! calendar: a lot whose expiry date is today is usable until the end of
//! today, local time (expired iff the local date > the expiry date); a lot
//! with an expiry time ((7003), ISBT 128 005) is expired from that minute
//! of its expiry date, local time.
//!
//! No I/O: the caller gathers the facts (and, when recording, checks them
//! again in the same transaction that takes the vials out of stock).

mod check;
mod facts;
mod finding;
mod outcome;

pub use check::{BLEND_SHARE_TOLERANCE_PERMILLE, check, lot_blocks};
pub use facts::{
    AppointmentStatus, CareAppointment, CareConsent, CareFacts, CarePatient, CarePlan,
    CareScreening, IdentityCheck, PlanComponent, ScannedVial, VialLot, VialProduct,
    is_contraindication,
};
pub use finding::{CheckCode, Finding, Severity, Subject};
pub use outcome::{CheckOutcome, OVERRIDE_REASON_MAX, Override, Refusal, RefusalCode};
