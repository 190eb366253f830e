//! Scheduling on the clinic's calendar: Japanese public holidays, the
//! clinic's opening days, protocol templates, the proposed course of
//! sessions and its revision when sessions are done, missed or moved.
//!
//! Pure functions on local calendar dates ([`jiff::civil::Date`]); no I/O.
//! See `docs/schedule.md` for the rules and their tie-breaking choices.
//!
//! - [`holidays`]: [`holidays::holidays`]`(year)`, [`holidays::holiday_on`].
//! - [`clinic`]: [`ClinicCalendar`] (`is_open`, `day`, `next_open_day`, …).
//! - [`protocol`]: [`Protocol`] of [`Phase`]s, each with an [`Interval`]
//!   and a [`PhaseCount`]; [`Protocol::validate`].
//! - [`course`]: [`propose`] a [`CourseProposal`] from a protocol, a start
//!   date and a calendar; [`reschedule`] it against what happened into a
//!   [`RevisedCourse`] that keeps the original dates.

pub mod clinic;
pub mod course;
pub mod holidays;
pub mod protocol;

pub use clinic::{
    CalendarError, ClinicCalendar, ClosedReason, Closure, ClosureSpan, DayStatus, MonthDay,
    OpeningHours, WeeklyHours,
};
pub use course::{
    CourseProposal, FindingCode, HistoryEntry, HistoryError, HistoryErrorCode, ProposedSession,
    RevisedCourse, RevisedSession, ScheduleError, SessionEvent, SessionStatus, propose, reschedule,
};
pub use holidays::{Holiday, HolidayKind, SUPPORTED_YEARS, YearOutOfRange};
pub use protocol::{Interval, Phase, PhaseCount, PhaseKind, Protocol};

use serde::Serialize;

use crate::code_enum;
use crate::error::Coded;

code_enum! {
    /// Why a clinic calendar or a protocol template is refused.
    pub enum ValidationCode {
        CalendarNoOpeningDay => "calendar_no_opening_day",
        CalendarHoursInvalid => "calendar_hours_invalid",
        CalendarClosureDatesReversed => "calendar_closure_dates_reversed",
        CalendarClosureReasonRequired => "calendar_closure_reason_required",
        CalendarMonthDayInvalid => "calendar_month_day_invalid",
        ProtocolNameRequired => "protocol_name_required",
        ProtocolNoPhases => "protocol_no_phases",
        ProtocolPhaseEmpty => "protocol_phase_empty",
        ProtocolPhaseCountOutOfRange => "protocol_phase_count_out_of_range",
        ProtocolIntervalOutOfRange => "protocol_interval_out_of_range",
        ProtocolHorizonOutOfRange => "protocol_horizon_out_of_range",
        ProtocolOpenPhaseNotLast => "protocol_open_phase_not_last",
    }
}

/// One problem with a clinic calendar or a protocol: a stable code, the
/// field, and for an item of a list (a closure, a phase) its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code} ({field}{})", index.map(|i| format!(" #{i}")).unwrap_or_default())]
pub struct Invalid {
    pub code: ValidationCode,
    pub field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

impl Invalid {
    pub(crate) fn new(code: ValidationCode, field: &'static str) -> Invalid {
        Invalid {
            code,
            field,
            index: None,
        }
    }

    pub(crate) fn at(code: ValidationCode, field: &'static str, index: usize) -> Invalid {
        Invalid {
            code,
            field,
            index: Some(index),
        }
    }
}

impl Coded for Invalid {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }
    fn field(&self) -> Option<&'static str> {
        Some(self.field)
    }
}
