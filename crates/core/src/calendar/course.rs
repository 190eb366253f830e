//! The course of sessions: [`propose`] every session date of a protocol on
//! a clinic's calendar, and [`reschedule`] the sessions still to come when
//! sessions are done, missed or moved.
//!
//! ## Proposal
//! The first session is on the start date, or the first open day after it
//! when the clinic is closed then (finding `start_date_closed`). Each later
//! session aims at the previous session's date plus its phase's nominal
//! interval. When that day is closed, the open day nearest to it within the
//! allowed interval `[min, max]` is taken; **at equal distance the later day
//! wins** (the gap never gets shorter than nominal for the sake of a tie).
//! When no day within `[min, max]` is open, the session goes to the first
//! open day after the maximum and carries `no_open_day_within_interval`:
//! jousei never proposes a gap shorter than the protocol allows, since a
//! short interval is a finding a physician must override (design
//! invariant 2), while a late session is only late.
//!
//! ## Rescheduling
//! Given what happened to sessions (done on a date, missed on a date, moved
//! to a date), the sessions are revised from the last actual date:
//! - a done session keeps its date, and a moved session the date it was
//!   moved to (which must be an open day);
//! - a missed session is still owed: it is planned again after the day it
//!   was missed;
//! - every other session still to come is planned as in a proposal, from
//!   the previous session's revised date, never before `today`;
//! - sessions planned before a moved session are chosen so that every gap,
//!   up to and including the one into the moved session, stays within its
//!   interval when the calendar allows it; if it does not, they are spread
//!   over the open days in between and the gaps that break the interval
//!   carry a finding.
//!
//! Every gap outside its phase's `[min, max]` carries a finding:
//! `interval_below_min`, `interval_above_max` (a session late because of a
//! miss, a move or the passing of time), or `no_open_day_within_interval`
//! (a planned session pushed beyond the maximum by closed days). The
//! original date of every session stays in the result.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::Invalid;
use super::clinic::{CalendarError, ClinicCalendar, OpenDays, add_days, days_between};
use super::holidays::YearOutOfRange;
use super::protocol::{Interval, PhaseCount, PhaseKind, Protocol};
use crate::code_enum;
use crate::error::Coded;

code_enum! {
    /// Something a coordinator or physician should see about one session.
    pub enum FindingCode {
        /// The course's start date is closed; the first session is on the
        /// next open day.
        StartDateClosed => "start_date_closed",
        /// No open day within the interval's `[min, max]`; the session is on
        /// the first open day after the maximum.
        NoOpenDayWithinInterval => "no_open_day_within_interval",
        /// The gap from the previous session is shorter than the minimum.
        IntervalBelowMin => "interval_below_min",
        /// The gap from the previous session is longer than the maximum.
        IntervalAboveMax => "interval_above_max",
    }
}

/// One proposed session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedSession {
    /// 1-based position in the course.
    pub ordinal: u32,
    /// Index of its phase in the protocol.
    pub phase_index: usize,
    pub phase_kind: PhaseKind,
    /// 1-based position in its phase.
    pub ordinal_in_phase: u32,
    /// Its phase's interval (the gap before this session), kept so that a
    /// stored proposal can be revised after the template changes.
    pub interval: Interval,
    /// The day aimed at: the start date, or the previous session's date
    /// plus the nominal interval.
    pub target_date: Date,
    /// The proposed date: always an open day.
    pub date: Date,
    /// Days since the previous session (`None` for the first).
    pub interval_days: Option<i32>,
    pub findings: Vec<FindingCode>,
}

/// Every session of a course, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseProposal {
    pub start: Date,
    pub sessions: Vec<ProposedSession>,
}

code_enum! {
    /// Why a history cannot be applied to a proposal.
    pub enum HistoryErrorCode {
        /// The ordinal is not a session of the proposal.
        UnknownSession => "history_unknown_session",
        /// Two entries for one session.
        DuplicateSession => "history_duplicate_session",
        /// A session is done while an earlier one is not.
        DoneOutOfOrder => "history_done_out_of_order",
        /// Done and moved dates must increase with the ordinal, and a
        /// missed date must follow the last done session.
        DatesNotIncreasing => "history_dates_not_increasing",
        /// A session done or missed after `today`.
        InFuture => "history_in_future",
        /// A session moved to a day the clinic is closed.
        MovedToClosedDay => "history_moved_to_closed_day",
        /// Not enough open days before a moved session for the sessions
        /// that must come before it.
        NoRoomBeforeMoved => "history_no_room_before_moved",
    }
}

/// A history that cannot be applied, naming the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code} (session {ordinal})")]
pub struct HistoryError {
    pub code: HistoryErrorCode,
    pub ordinal: u32,
}

impl Coded for HistoryError {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }
    fn field(&self) -> Option<&'static str> {
        Some("history")
    }
}

/// Why a course cannot be proposed or revised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The protocol is invalid: every problem.
    #[error("protocol invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    Protocol(Vec<Invalid>),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

impl From<YearOutOfRange> for ScheduleError {
    fn from(e: YearOutOfRange) -> Self {
        ScheduleError::Calendar(CalendarError::Year(e))
    }
}

impl Coded for ScheduleError {
    /// For an invalid protocol, the code of its first problem (all are in
    /// the vector).
    fn code(&self) -> &'static str {
        match self {
            ScheduleError::Protocol(v) => v.first().map_or("protocol_invalid", |e| e.code()),
            ScheduleError::Calendar(e) => e.code(),
            ScheduleError::History(e) => e.code(),
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            ScheduleError::Protocol(v) => v.first().and_then(|e| e.field()),
            ScheduleError::Calendar(_) => None,
            ScheduleError::History(e) => e.field(),
        }
    }
}

/// The open day nearest `target` within `[lo, hi]`, the later one at equal
/// distance; `allowed` narrows the candidates further.
fn nearest_open(
    days: &mut OpenDays<'_>,
    target: Date,
    lo: Date,
    hi: Date,
    mut allowed: impl FnMut(Date) -> bool,
) -> Result<Option<Date>, YearOutOfRange> {
    if lo > hi {
        return Ok(None);
    }
    let target = target.clamp(lo, hi);
    let mut k = 0;
    loop {
        let later = add_days(target, k)?;
        let earlier = add_days(target, -k)?;
        let later_in = later <= hi;
        let earlier_in = earlier >= lo;
        if !later_in && !earlier_in {
            return Ok(None);
        }
        if later_in && allowed(later) && days.is_open(later)? {
            return Ok(Some(later));
        }
        if k > 0 && earlier_in && allowed(earlier) && days.is_open(earlier)? {
            return Ok(Some(earlier));
        }
        k += 1;
    }
}

/// A session after `anchor`, not before `earliest`: nearest open day to the
/// nominal gap within the interval, else the first open day after it.
fn place_after(
    days: &mut OpenDays<'_>,
    anchor: Date,
    interval: Interval,
    earliest: Date,
) -> Result<Date, ScheduleError> {
    let lo = add_days(anchor, interval.min_days)?.max(earliest);
    let hi = add_days(anchor, interval.max_days)?;
    let target = add_days(anchor, interval.nominal_days)?;
    if let Some(d) = nearest_open(days, target, lo, hi, |_| true)? {
        return Ok(d);
    }
    let after = add_days(hi, 1)?.max(earliest);
    Ok(days.first_open_on_or_after(after)?)
}

/// The finding for the gap `gap` before a session, if it breaks the
/// interval. `planned`: jousei chose the date, not earlier than `earliest`.
fn gap_finding(
    anchor: Date,
    gap: i32,
    interval: Interval,
    planned: Option<Date>,
) -> Result<Option<FindingCode>, YearOutOfRange> {
    if gap < interval.min_days {
        return Ok(Some(FindingCode::IntervalBelowMin));
    }
    if gap <= interval.max_days {
        return Ok(None);
    }
    if let Some(earliest) = planned {
        let lo = add_days(anchor, interval.min_days)?.max(earliest);
        if lo <= add_days(anchor, interval.max_days)? {
            // Time allowed a day within the interval; closed days did not.
            return Ok(Some(FindingCode::NoOpenDayWithinInterval));
        }
    }
    Ok(Some(FindingCode::IntervalAboveMax))
}

/// Proposes every session of `protocol` from `start` on `calendar`.
///
/// Errors: an invalid protocol (every problem), a year outside the holiday
/// range, or a calendar with no open day.
pub fn propose(
    protocol: &Protocol,
    start: Date,
    calendar: &ClinicCalendar,
) -> Result<CourseProposal, ScheduleError> {
    protocol.validate().map_err(ScheduleError::Protocol)?;
    let mut days = OpenDays::new(calendar);
    let mut sessions: Vec<ProposedSession> = Vec::new();
    let mut prev: Option<Date> = None;
    for (phase_index, phase) in protocol.phases.iter().enumerate() {
        let (limit, horizon_end) = match phase.count {
            PhaseCount::Sessions(n) => (Some(n), None),
            PhaseCount::UntilStopped { horizon_days } => {
                (None, Some(add_days(prev.unwrap_or(start), horizon_days)?))
            }
        };
        let mut in_phase = 0u32;
        while limit.is_none_or(|n| in_phase < n) {
            let (target, date, mut findings) = match prev {
                None => {
                    let d = days.first_open_on_or_after(start)?;
                    let f = if d == start {
                        vec![]
                    } else {
                        vec![FindingCode::StartDateClosed]
                    };
                    (start, d, f)
                }
                Some(a) => {
                    let earliest = add_days(a, 1)?;
                    let d = place_after(&mut days, a, phase.interval, earliest)?;
                    (add_days(a, phase.interval.nominal_days)?, d, vec![])
                }
            };
            if horizon_end.is_some_and(|end| date > end) {
                break;
            }
            let interval_days = prev.map(|a| days_between(a, date));
            if let (Some(a), Some(gap)) = (prev, interval_days) {
                let earliest = add_days(a, 1)?;
                findings.extend(gap_finding(a, gap, phase.interval, Some(earliest))?);
            }
            in_phase += 1;
            sessions.push(ProposedSession {
                ordinal: u32::try_from(sessions.len() + 1).unwrap_or(u32::MAX),
                phase_index,
                phase_kind: phase.kind,
                ordinal_in_phase: in_phase,
                interval: phase.interval,
                target_date: target,
                date,
                interval_days,
                findings,
            });
            prev = Some(date);
        }
    }
    Ok(CourseProposal { start, sessions })
}

/// What happened to one session. JSON: `{"ordinal": 2, "event": "missed",
/// "date": "2026-05-14"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub ordinal: u32,
    #[serde(flatten)]
    pub event: SessionEvent,
}

/// An event in a session's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SessionEvent {
    /// Given on `date` (a fact: it never moves).
    Done { date: Date },
    /// Its appointment on `date` did not happen; the session is still owed.
    Missed { date: Date },
    /// Booked on `date` instead of the proposed day.
    Moved { date: Date },
}

code_enum! {
    /// Where a revised session stands.
    pub enum SessionStatus {
        Done => "done",
        Moved => "moved",
        /// Planned by jousei (still to come).
        Planned => "planned",
    }
}

/// One session of a revised course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisedSession {
    pub ordinal: u32,
    pub phase_index: usize,
    pub phase_kind: PhaseKind,
    pub ordinal_in_phase: u32,
    pub interval: Interval,
    /// The date in the original proposal.
    pub original_date: Date,
    /// The date now: done, moved to, or planned.
    pub date: Date,
    pub status: SessionStatus,
    /// When its appointment was missed, if it was.
    pub missed_on: Option<Date>,
    /// Days since the previous session's revised date.
    pub interval_days: Option<i32>,
    pub findings: Vec<FindingCode>,
}

/// A course revised against its history; the original dates are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisedCourse {
    pub start: Date,
    /// The day it was revised on: no planned session is earlier.
    pub today: Date,
    pub sessions: Vec<RevisedSession>,
}

fn history_error(code: HistoryErrorCode, ordinal: u32) -> ScheduleError {
    ScheduleError::History(HistoryError { code, ordinal })
}

/// Checks the history against the proposal and returns it by ordinal.
fn check_history(
    proposal: &CourseProposal,
    history: &[HistoryEntry],
    days: &mut OpenDays<'_>,
    today: Date,
) -> Result<BTreeMap<u32, SessionEvent>, ScheduleError> {
    use HistoryErrorCode as H;
    let mut events = BTreeMap::new();
    for h in history {
        if !proposal.sessions.iter().any(|s| s.ordinal == h.ordinal) {
            return Err(history_error(H::UnknownSession, h.ordinal));
        }
        if events.insert(h.ordinal, h.event).is_some() {
            return Err(history_error(H::DuplicateSession, h.ordinal));
        }
    }
    let mut all_done_so_far = true;
    let mut last_done: Option<Date> = None;
    let mut last_fixed: Option<Date> = None;
    for s in &proposal.sessions {
        let event = events.get(&s.ordinal).copied();
        let is_done = matches!(event, Some(SessionEvent::Done { .. }));
        if is_done && !all_done_so_far {
            return Err(history_error(H::DoneOutOfOrder, s.ordinal));
        }
        all_done_so_far &= is_done;
        match event {
            Some(SessionEvent::Done { date }) | Some(SessionEvent::Moved { date }) => {
                if last_fixed.is_some_and(|f| date <= f) {
                    return Err(history_error(H::DatesNotIncreasing, s.ordinal));
                }
                if is_done {
                    if date > today {
                        return Err(history_error(H::InFuture, s.ordinal));
                    }
                    last_done = Some(date);
                } else if !days.is_open(date)? {
                    return Err(history_error(H::MovedToClosedDay, s.ordinal));
                }
                last_fixed = Some(date);
            }
            Some(SessionEvent::Missed { date }) => {
                if last_done.is_some_and(|d| date <= d) {
                    return Err(history_error(H::DatesNotIncreasing, s.ordinal));
                }
                if date > today {
                    return Err(history_error(H::InFuture, s.ordinal));
                }
            }
            None => {}
        }
    }
    Ok(events)
}

/// A session jousei plans: its interval, the first day it may be on, and
/// the day it was proposed for.
#[derive(Debug, Clone, Copy)]
struct Free {
    interval: Interval,
    earliest: Date,
    original: Date,
}

/// Plans `run` (sessions without a fixed date) after `anchor` with no
/// fixed session after them.
fn plan_tail(
    days: &mut OpenDays<'_>,
    anchor: Option<Date>,
    run: &[Free],
) -> Result<Vec<Date>, ScheduleError> {
    let mut out = Vec::with_capacity(run.len());
    let mut prev = anchor;
    for f in run {
        let d = match prev {
            None => days.first_open_on_or_after(f.original.max(f.earliest))?,
            Some(a) => place_after(days, a, f.interval, f.earliest.max(add_days(a, 1)?))?,
        };
        out.push(d);
        prev = Some(d);
    }
    Ok(out)
}

/// Plans `run` between `anchor` and a fixed session on `pin` whose
/// interval is `pin_interval`; `pin_ordinal` names it in an error.
fn plan_before_pin(
    days: &mut OpenDays<'_>,
    anchor: Option<Date>,
    run: &[Free],
    pin: Date,
    pin_interval: Interval,
    pin_ordinal: u32,
) -> Result<Vec<Date>, ScheduleError> {
    let no_room = || history_error(HistoryErrorCode::NoRoomBeforeMoved, pin_ordinal);
    let Some(first) = run.first() else {
        return Ok(vec![]);
    };
    // Day offsets from `base`; the pin is at `len`.
    let base = match anchor {
        Some(a) => a,
        None => add_days(first.earliest, -1)?,
    };
    let len = days_between(base, pin);
    let n = run.len();
    if len <= i32::try_from(n).unwrap_or(i32::MAX) {
        return Err(no_room());
    }
    let len_u = usize::try_from(len).map_err(|_| no_room())?;
    let mut open = vec![false; len_u];
    for (o, slot) in open.iter_mut().enumerate().skip(1) {
        let offset = i32::try_from(o).unwrap_or(i32::MAX);
        *slot = days.is_open(add_days(base, offset)?)?;
    }
    let offset = |d: Date| days_between(base, d);
    let earliest: Vec<i32> = run.iter().map(|f| offset(f.earliest).max(1)).collect();
    let at = |v: &Vec<bool>, o: i32| {
        usize::try_from(o).ok().and_then(|o| v.get(o)).copied() == Some(true)
    };

    // feasible[i][o]: session i on offset o leaves a way to place the
    // later ones and reach the pin with every gap within its interval.
    let mut feasible: Vec<Vec<bool>> = vec![vec![false; len_u]; n];
    for i in (0..n).rev() {
        let (next_interval, next_ok): (Interval, Option<&Vec<bool>>) = if i + 1 == n {
            (pin_interval, None)
        } else {
            (run[i + 1].interval, feasible.get(i + 1))
        };
        let mut row = vec![false; len_u];
        for (o, cell) in row.iter_mut().enumerate().skip(1) {
            let oi = i32::try_from(o).unwrap_or(i32::MAX);
            if !at(&open, oi) || oi < earliest[i] {
                continue;
            }
            *cell = match next_ok {
                None => pin_interval.allows(len - oi),
                Some(next) => {
                    (next_interval.min_days..=next_interval.max_days).any(|g| at(next, oi + g))
                }
            };
        }
        feasible[i] = row;
    }

    let first_target = |prev_o: Option<i32>, i: usize| -> i32 {
        match prev_o {
            Some(p) => p + run[i].interval.nominal_days,
            None => offset(run[i].original),
        }
    };
    // Within the intervals, when the calendar allows it.
    let mut strict: Vec<i32> = Vec::with_capacity(n);
    let mut prev_o: Option<i32> = anchor.map(|_| 0);
    for i in 0..n {
        let (lo, hi) = match prev_o {
            Some(p) => (
                (p + run[i].interval.min_days).max(earliest[i]),
                (p + run[i].interval.max_days).min(len - 1),
            ),
            None => (earliest[i], len - 1),
        };
        let target = first_target(prev_o, i).clamp(lo.min(hi), hi.max(lo));
        let Some(o) = nearest_offset(target, lo, hi, |o| at(&feasible[i], o)) else {
            break;
        };
        strict.push(o);
        prev_o = Some(o);
    }
    let chosen = if strict.len() == n {
        strict
    } else {
        // Otherwise spread over the open days before the pin, nearest the
        // nominal gaps: room[i] is the last offset session i may take.
        let mut room = vec![0i32; n];
        let mut limit = len;
        for i in (0..n).rev() {
            let last = (earliest[i]..limit).rev().find(|&o| at(&open, o));
            let Some(last) = last else {
                return Err(no_room());
            };
            room[i] = last;
            limit = last;
        }
        let mut out = Vec::with_capacity(n);
        let mut prev_o: Option<i32> = anchor.map(|_| 0);
        for i in 0..n {
            let lo = prev_o.map_or(earliest[i], |p| (p + 1).max(earliest[i]));
            let hi = room[i];
            let target = first_target(prev_o, i).clamp(lo.min(hi), hi);
            let o = nearest_offset(target, lo, hi, |o| at(&open, o)).ok_or_else(no_room)?;
            out.push(o);
            prev_o = Some(o);
        }
        out
    };
    chosen.into_iter().map(|o| Ok(add_days(base, o)?)).collect()
}

/// The offset nearest `target` in `[lo, hi]` that `ok` accepts, the later
/// at equal distance.
fn nearest_offset(target: i32, lo: i32, hi: i32, ok: impl Fn(i32) -> bool) -> Option<i32> {
    if lo > hi {
        return None;
    }
    let target = target.clamp(lo, hi);
    let reach = (target - lo).max(hi - target);
    (0..=reach).find_map(|k| {
        if target + k <= hi && ok(target + k) {
            Some(target + k)
        } else if k > 0 && target - k >= lo && ok(target - k) {
            Some(target - k)
        } else {
            None
        }
    })
}

/// Revises `proposal` against `history` on `calendar` as of `today` (the
/// clinic's local date): done sessions keep their dates, moved sessions
/// the dates they were moved to, missed sessions are planned again after
/// the miss, and the other sessions still to come are planned from the
/// last actual date, never before `today`. See the module documentation.
///
/// Errors: a history that contradicts itself or the proposal
/// ([`HistoryErrorCode`]), a year outside the holiday range, a calendar
/// with no open day.
pub fn reschedule(
    proposal: &CourseProposal,
    history: &[HistoryEntry],
    calendar: &ClinicCalendar,
    today: Date,
) -> Result<RevisedCourse, ScheduleError> {
    let mut days = OpenDays::new(calendar);
    let events = check_history(proposal, history, &mut days, today)?;
    let sessions = &proposal.sessions;

    // The revised date of every session, and the earliest day a planned one
    // could take (None for a fixed one).
    let mut dates: Vec<Date> = Vec::with_capacity(sessions.len());
    let mut earliest_of: Vec<Option<Date>> = Vec::with_capacity(sessions.len());
    let mut i = 0;
    while i < sessions.len() {
        let s = &sessions[i];
        match events.get(&s.ordinal) {
            Some(SessionEvent::Done { date }) | Some(SessionEvent::Moved { date }) => {
                dates.push(*date);
                earliest_of.push(None);
                i += 1;
            }
            _ => {
                let end = sessions[i..]
                    .iter()
                    .position(|s| {
                        matches!(events.get(&s.ordinal), Some(SessionEvent::Moved { .. }))
                    })
                    .map_or(sessions.len(), |p| i + p);
                let mut run = Vec::with_capacity(end - i);
                for s in &sessions[i..end] {
                    let earliest = match events.get(&s.ordinal) {
                        Some(SessionEvent::Missed { date }) => add_days(*date, 1)?.max(today),
                        _ => today,
                    };
                    run.push(Free {
                        interval: s.interval,
                        earliest,
                        original: s.date,
                    });
                }
                let anchor = dates.last().copied();
                let planned = match sessions.get(end) {
                    Some(pin) => {
                        let pin_date = match events.get(&pin.ordinal) {
                            Some(SessionEvent::Moved { date }) => *date,
                            _ => pin.date,
                        };
                        plan_before_pin(
                            &mut days,
                            anchor,
                            &run,
                            pin_date,
                            pin.interval,
                            pin.ordinal,
                        )?
                    }
                    None => plan_tail(&mut days, anchor, &run)?,
                };
                dates.extend(planned);
                earliest_of.extend(run.iter().map(|f| Some(f.earliest)));
                i = end;
            }
        }
    }

    let mut out = Vec::with_capacity(sessions.len());
    for (k, s) in sessions.iter().enumerate() {
        let date = dates[k];
        let prev = k.checked_sub(1).map(|p| dates[p]);
        let interval_days = prev.map(|p| days_between(p, date));
        let mut findings = Vec::new();
        if let (Some(p), Some(gap)) = (prev, interval_days) {
            findings.extend(gap_finding(p, gap, s.interval, earliest_of[k])?);
        }
        let event = events.get(&s.ordinal);
        out.push(RevisedSession {
            ordinal: s.ordinal,
            phase_index: s.phase_index,
            phase_kind: s.phase_kind,
            ordinal_in_phase: s.ordinal_in_phase,
            interval: s.interval,
            original_date: s.date,
            date,
            status: match event {
                Some(SessionEvent::Done { .. }) => SessionStatus::Done,
                Some(SessionEvent::Moved { .. }) => SessionStatus::Moved,
                _ => SessionStatus::Planned,
            },
            missed_on: match event {
                Some(SessionEvent::Missed { date }) => Some(*date),
                _ => None,
            },
            interval_days,
            findings,
        });
    }
    Ok(RevisedCourse {
        start: proposal.start,
        today,
        sessions: out,
    })
}
