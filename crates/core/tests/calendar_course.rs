//! Course proposals and rescheduling on a clinic calendar: worked examples
//! around holidays and closures, and properties over random protocols,
//! calendars and histories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::civil::{Date, Weekday, date};
use jousei_core::calendar::{
    ClinicCalendar, Closure, ClosureSpan, CourseProposal, FindingCode, HistoryEntry,
    HistoryErrorCode, Interval, MonthDay, OpeningHours, Phase, PhaseCount, PhaseKind, Protocol,
    ScheduleError, SessionEvent, SessionStatus, WeeklyHours, propose, reschedule,
};
use jousei_core::error::Coded;
use proptest::prelude::*;

fn one_phase(interval: Interval, sessions: u32) -> Protocol {
    Protocol {
        name: "test".into(),
        phases: vec![Phase {
            kind: PhaseKind::Induction,
            interval,
            count: PhaseCount::Sessions(sessions),
        }],
    }
}

fn dates(p: &CourseProposal) -> Vec<Date> {
    p.sessions.iter().map(|s| s.date).collect()
}

fn example_course() -> CourseProposal {
    propose(
        &Protocol::example(),
        date(2026, 4, 6),
        &ClinicCalendar::example(),
    )
    .unwrap()
}

#[test]
fn the_example_course_around_golden_week_and_the_new_year() {
    let p = example_course();
    assert_eq!(
        dates(&p),
        vec![
            date(2026, 4, 6),
            date(2026, 4, 20),
            // 5/4 is みどりの日; 5/3 (Sun), 5/5 and 5/6 are closed too: the
            // nearest open day within 12–18 days is Saturday 5/2.
            date(2026, 5, 2),
            date(2026, 5, 30),
            date(2026, 6, 27),
            date(2026, 7, 25),
            date(2026, 8, 22),
            date(2026, 9, 19),
            date(2026, 10, 17),
            date(2026, 12, 26),
            date(2027, 3, 6),
            date(2027, 5, 15),
            date(2027, 7, 24),
            // The next (12/11) is beyond the year's horizon after 10/17.
            date(2027, 10, 2),
        ]
    );
    let s3 = &p.sessions[2];
    assert_eq!(s3.target_date, date(2026, 5, 4));
    assert_eq!(s3.interval_days, Some(12));
    assert!(s3.findings.is_empty());
    let kinds: Vec<(PhaseKind, u32, u32)> = p
        .sessions
        .iter()
        .map(|s| (s.phase_kind, s.ordinal, s.ordinal_in_phase))
        .collect();
    assert_eq!(kinds[0], (PhaseKind::Induction, 1, 1));
    assert_eq!(kinds[3], (PhaseKind::Maintenance, 4, 1));
    assert_eq!(kinds[8], (PhaseKind::Maintenance, 9, 6));
    assert_eq!(kinds[13], (PhaseKind::LongTerm, 14, 5));
    assert!(p.sessions.iter().all(|s| s.findings.is_empty()));
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["sessions"][2]["date"], "2026-05-02");
    assert_eq!(j["sessions"][2]["phase_kind"], "induction");
    let back: CourseProposal = serde_json::from_value(j).unwrap();
    assert_eq!(back, p);
}

#[test]
fn a_tie_goes_to_the_later_day() {
    // 2026-02-11 (Wed) is 建国記念の日; Tuesday and Thursday are both open.
    let p = propose(
        &one_phase(Interval::new(14, 12, 18), 2),
        date(2026, 1, 28),
        &ClinicCalendar::example(),
    )
    .unwrap();
    assert_eq!(dates(&p), vec![date(2026, 1, 28), date(2026, 2, 12)]);
    assert_eq!(p.sessions[1].interval_days, Some(15));
}

#[test]
fn no_open_day_within_the_interval_goes_later_with_a_finding() {
    let cal = ClinicCalendar::example().with_closure(Closure::dates(
        date(2026, 8, 1),
        date(2026, 8, 31),
        "院内改装",
    ));
    let p = propose(
        &one_phase(Interval::new(14, 12, 18), 2),
        date(2026, 7, 25),
        &cal,
    )
    .unwrap();
    assert_eq!(dates(&p), vec![date(2026, 7, 25), date(2026, 9, 1)]);
    assert_eq!(
        p.sessions[1].findings,
        vec![FindingCode::NoOpenDayWithinInterval]
    );
    assert_eq!(p.sessions[1].interval_days, Some(38));
}

#[test]
fn a_closed_start_moves_to_the_next_open_day() {
    // 2026-05-03 (Sun) to 5/6 are closed.
    let p = propose(
        &one_phase(Interval::new(14, 12, 18), 1),
        date(2026, 5, 3),
        &ClinicCalendar::example(),
    )
    .unwrap();
    assert_eq!(dates(&p), vec![date(2026, 5, 7)]);
    assert_eq!(p.sessions[0].findings, vec![FindingCode::StartDateClosed]);
    assert_eq!(p.sessions[0].target_date, date(2026, 5, 3));
}

#[test]
fn proposal_errors_have_codes() {
    let bad = one_phase(Interval::new(14, 15, 18), 2);
    let e = propose(&bad, date(2026, 4, 6), &ClinicCalendar::example()).unwrap_err();
    assert!(matches!(e, ScheduleError::Protocol(_)));
    assert_eq!(e.code(), "protocol_interval_out_of_range");
    let e = propose(
        &one_phase(Interval::new(14, 12, 18), 3),
        date(2099, 12, 20),
        &ClinicCalendar::example(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "holiday_year_out_of_range");
    let never = ClinicCalendar::new(WeeklyHours::default());
    let e = propose(&Protocol::example(), date(2026, 4, 6), &never).unwrap_err();
    assert_eq!(e.code(), "calendar_no_open_day");
}

fn done(ordinal: u32, d: Date) -> HistoryEntry {
    HistoryEntry {
        ordinal,
        event: SessionEvent::Done { date: d },
    }
}
fn missed(ordinal: u32, d: Date) -> HistoryEntry {
    HistoryEntry {
        ordinal,
        event: SessionEvent::Missed { date: d },
    }
}
fn moved(ordinal: u32, d: Date) -> HistoryEntry {
    HistoryEntry {
        ordinal,
        event: SessionEvent::Moved { date: d },
    }
}

#[test]
fn without_history_the_revision_is_the_proposal() {
    let p = example_course();
    let r = reschedule(&p, &[], &ClinicCalendar::example(), date(2026, 4, 1)).unwrap();
    let got: Vec<Date> = r.sessions.iter().map(|s| s.date).collect();
    assert_eq!(got, dates(&p));
    assert!(r.sessions.iter().all(|s| s.status == SessionStatus::Planned
        && s.findings.is_empty()
        && s.original_date == s.date));
}

#[test]
fn a_missed_session_is_given_again_and_the_rest_shifts() {
    let p = example_course();
    let cal = ClinicCalendar::example();
    let h = [done(1, date(2026, 4, 6)), missed(2, date(2026, 4, 20))];
    let r = reschedule(&p, &h, &cal, date(2026, 4, 21)).unwrap();
    let s = &r.sessions;
    assert_eq!(
        (s[0].date, s[0].status),
        (date(2026, 4, 6), SessionStatus::Done)
    );
    // Missed on 4/20: planned again on the first day allowed (4/21), 15 days
    // after session 1, within 12–18.
    assert_eq!(s[1].date, date(2026, 4, 21));
    assert_eq!(s[1].missed_on, Some(date(2026, 4, 20)));
    assert_eq!(s[1].original_date, date(2026, 4, 20));
    assert!(s[1].findings.is_empty());
    // 4/21 + 14 = 5/5 (holiday); 5/4 and 5/6 are closed, 5/7 is open.
    assert_eq!(s[2].date, date(2026, 5, 7));
    assert_eq!(s[2].original_date, date(2026, 5, 2));
    // Maintenance every 28 days from there.
    assert_eq!(s[3].date, date(2026, 6, 4));
    assert_eq!(s[8].date, date(2026, 10, 22));
    // Long-term: 10/22 + 70 = 12/31 is in 年末年始; the nearest open day
    // within 56–84 days is 12/28.
    assert_eq!(s[9].date, date(2026, 12, 28));
    assert_eq!(s[10].date, date(2027, 3, 8));
    assert_eq!(s.len(), p.sessions.len());
    assert!(s.iter().all(|x| x.findings.is_empty()));
}

#[test]
fn a_late_session_shifts_the_rest_from_its_actual_date() {
    let p = example_course();
    let h = [done(1, date(2026, 4, 6)), done(2, date(2026, 4, 24))];
    let r = reschedule(&p, &h, &ClinicCalendar::example(), date(2026, 4, 24)).unwrap();
    assert_eq!(r.sessions[1].status, SessionStatus::Done);
    assert_eq!(r.sessions[1].interval_days, Some(18));
    assert_eq!(r.sessions[2].date, date(2026, 5, 8));
}

#[test]
fn sessions_before_a_moved_one_keep_both_gaps_in_range() {
    let p = example_course();
    // Session 3 moved to Thursday 4/30: session 2 must be 12–18 days after
    // 4/6 and 12–18 days before 4/30, i.e. on 4/18 exactly.
    let h = [done(1, date(2026, 4, 6)), moved(3, date(2026, 4, 30))];
    let r = reschedule(&p, &h, &ClinicCalendar::example(), date(2026, 4, 10)).unwrap();
    assert_eq!(r.sessions[1].date, date(2026, 4, 18));
    assert_eq!(r.sessions[2].date, date(2026, 4, 30));
    assert_eq!(r.sessions[2].status, SessionStatus::Moved);
    assert_eq!(r.sessions[3].date, date(2026, 5, 28));
    assert!(r.sessions.iter().all(|s| s.findings.is_empty()));
}

#[test]
fn when_the_interval_cannot_hold_the_gaps_carry_findings() {
    let p = example_course();
    let cal = ClinicCalendar::example();
    // Nothing after session 1 until 5/20: session 2 is late.
    let r = reschedule(&p, &[done(1, date(2026, 4, 6))], &cal, date(2026, 5, 20)).unwrap();
    assert_eq!(r.sessions[1].date, date(2026, 5, 20));
    assert_eq!(r.sessions[1].findings, vec![FindingCode::IntervalAboveMax]);
    assert!(r.sessions[2].findings.is_empty());
    // Session 3 moved to 4/9: session 2 squeezed between, both gaps short.
    let h = [done(1, date(2026, 4, 6)), moved(3, date(2026, 4, 9))];
    let r = reschedule(&p, &h, &cal, date(2026, 4, 6)).unwrap();
    assert_eq!(r.sessions[1].date, date(2026, 4, 8));
    assert_eq!(r.sessions[1].findings, vec![FindingCode::IntervalBelowMin]);
    assert_eq!(r.sessions[2].findings, vec![FindingCode::IntervalBelowMin]);
}

#[test]
fn histories_that_contradict_themselves_are_refused() {
    let p = example_course();
    let cal = ClinicCalendar::example();
    let today = date(2026, 5, 1);
    let code = |h: &[HistoryEntry], today: Date| match reschedule(&p, h, &cal, today) {
        Err(ScheduleError::History(e)) => (e.code, e.ordinal),
        other => panic!("{other:?}"),
    };
    use HistoryErrorCode as H;
    assert_eq!(code(&[done(99, today)], today), (H::UnknownSession, 99));
    assert_eq!(
        code(
            &[done(1, date(2026, 4, 6)), done(1, date(2026, 4, 6))],
            today
        ),
        (H::DuplicateSession, 1)
    );
    assert_eq!(
        code(&[done(2, date(2026, 4, 20))], today),
        (H::DoneOutOfOrder, 2)
    );
    assert_eq!(
        code(
            &[done(1, date(2026, 4, 6)), done(2, date(2026, 4, 6))],
            today
        ),
        (H::DatesNotIncreasing, 2)
    );
    assert_eq!(code(&[done(1, date(2026, 5, 2))], today), (H::InFuture, 1));
    assert_eq!(
        code(
            &[done(1, date(2026, 4, 6)), moved(2, date(2026, 5, 3))],
            today
        ),
        (H::MovedToClosedDay, 2)
    );
    assert_eq!(
        code(
            &[done(1, date(2026, 4, 6)), moved(3, date(2026, 4, 7))],
            date(2026, 4, 6)
        ),
        (H::NoRoomBeforeMoved, 3)
    );
    let e = reschedule(&p, &[done(99, today)], &cal, today).unwrap_err();
    assert_eq!(e.code(), "history_unknown_session");
    assert_eq!(e.field(), Some("history"));
}

#[test]
fn history_json_shape() {
    let h: Vec<HistoryEntry> = serde_json::from_str(
        r#"[{"ordinal":1,"event":"done","date":"2026-04-06"},
            {"ordinal":2,"event":"missed","date":"2026-04-20"}]"#,
    )
    .unwrap();
    assert_eq!(
        h,
        vec![done(1, date(2026, 4, 6)), missed(2, date(2026, 4, 20))]
    );
    let r = reschedule(
        &example_course(),
        &h,
        &ClinicCalendar::example(),
        date(2026, 4, 21),
    )
    .unwrap();
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["sessions"][1]["status"], "planned");
    assert_eq!(j["sessions"][1]["missed_on"], "2026-04-20");
    assert_eq!(j["sessions"][1]["original_date"], "2026-04-20");
    assert_eq!(j["sessions"][1]["date"], "2026-04-21");
}

// ---- properties ----

fn arb_interval() -> impl Strategy<Value = Interval> {
    (1i32..=45, 0i32..=10, 0i32..=14)
        .prop_map(|(nom, down, up)| Interval::new(nom, (nom - down).max(1), nom + up))
}

fn arb_protocol() -> impl Strategy<Value = Protocol> {
    (
        prop::collection::vec((0usize..3, arb_interval(), 1u32..=5), 1..=3),
        any::<bool>(),
        0i32..=200,
    )
        .prop_map(|(phases, open_last, extra_horizon)| {
            let n = phases.len();
            Protocol {
                name: "p".into(),
                phases: phases
                    .into_iter()
                    .enumerate()
                    .map(|(i, (k, interval, count))| Phase {
                        kind: PhaseKind::ALL[k],
                        interval,
                        count: if open_last && i + 1 == n {
                            PhaseCount::UntilStopped {
                                horizon_days: interval.nominal_days + extra_horizon,
                            }
                        } else {
                            PhaseCount::Sessions(count)
                        },
                    })
                    .collect(),
            }
        })
}

fn arb_calendar() -> impl Strategy<Value = ClinicCalendar> {
    (
        1u8..128,
        any::<bool>(),
        prop::collection::vec((0i32..900, 0i32..30), 0..4),
        any::<bool>(),
    )
        .prop_map(|(mask, on_holidays, closures, new_year)| {
            let hours = OpeningHours::new(
                jiff::civil::time(9, 0, 0, 0),
                jiff::civil::time(17, 0, 0, 0),
            )
            .unwrap();
            let all = [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
                Weekday::Saturday,
                Weekday::Sunday,
            ];
            let days: Vec<Weekday> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, w)| *w)
                .collect();
            let mut cal = ClinicCalendar::new(WeeklyHours::default().with(&days, hours));
            cal.open_on_public_holidays = on_holidays;
            for (from, len) in closures {
                let from = day(from);
                cal = cal.with_closure(Closure::dates(from, plus(from, len), "closed"));
            }
            if new_year {
                cal = cal.with_closure(Closure::annual(
                    MonthDay::new(12, 29).unwrap(),
                    MonthDay::new(1, 3).unwrap(),
                    "年末年始",
                ));
            }
            cal
        })
}

fn plus(d: Date, n: i32) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap()
}

/// Day `n` counted from 2025-01-01.
fn day(n: i32) -> Date {
    plus(date(2025, 1, 1), n)
}

fn gap(a: Date, b: Date) -> i32 {
    a.until(b).unwrap().get_days()
}

/// Checks the gap before each session: within its interval, or a finding.
fn gaps_hold(pairs: &[(Date, Interval, &[FindingCode])]) -> Result<(), TestCaseError> {
    for w in pairs.windows(2) {
        let (a, _, _) = w[0];
        let (b, interval, findings) = w[1];
        prop_assert!(a < b, "dates must increase: {a} then {b}");
        let g = gap(a, b);
        let flagged = findings.iter().any(|f| {
            matches!(
                f,
                FindingCode::IntervalAboveMax
                    | FindingCode::IntervalBelowMin
                    | FindingCode::NoOpenDayWithinInterval
            )
        });
        prop_assert!(
            interval.allows(g) || flagged,
            "gap {g} outside {interval:?} without a finding ({a} → {b})"
        );
        if interval.allows(g) {
            prop_assert!(!flagged, "finding on an allowed gap {g} ({a} → {b})");
        }
    }
    Ok(())
}

/// Turns random choices into a consistent history of the proposal, and the
/// day it is revised on.
fn history_of(
    p: &CourseProposal,
    cal: &ClinicCalendar,
    (done_share, jitters, miss, moves, wait): (u8, Vec<i32>, Option<i32>, Vec<Option<i32>>, i32),
) -> (Vec<HistoryEntry>, Date) {
    let n = p.sessions.len();
    let n_done = usize::from(done_share) * (n + 1) / 256;
    let mut h = Vec::new();
    let mut last: Option<Date> = None;
    for (i, s) in p.sessions.iter().take(n_done).enumerate() {
        let mut d = plus(s.date, jitters.get(i).copied().unwrap_or(0));
        if let Some(l) = last
            && d <= l
        {
            d = plus(l, 1);
        }
        h.push(done(s.ordinal, d));
        last = Some(d);
    }
    let mut latest_fact = last.unwrap_or(plus(p.start, -3));
    let mut next = n_done;
    if let (Some(j), Some(s)) = (miss, p.sessions.get(next)) {
        let mut d = plus(s.date, j);
        if last.is_some_and(|l| d <= l) {
            d = plus(last.unwrap(), 1);
        }
        h.push(missed(s.ordinal, d));
        latest_fact = latest_fact.max(d);
        next += 1;
    }
    let mut last_fixed = last;
    for (k, s) in p.sessions.iter().enumerate().skip(next) {
        let Some(Some(j)) = moves.get(k) else {
            continue;
        };
        let Ok(d) = cal.first_open_on_or_after(plus(s.date, *j)) else {
            continue;
        };
        if last_fixed.is_some_and(|l| d <= l) {
            continue;
        }
        h.push(moved(s.ordinal, d));
        last_fixed = Some(d);
    }
    (h, plus(latest_fact, wait))
}

fn arb_choices() -> impl Strategy<Value = (u8, Vec<i32>, Option<i32>, Vec<Option<i32>>, i32)> {
    (
        any::<u8>(),
        prop::collection::vec(-4i32..=4, 30),
        prop::option::of(-2i32..=6),
        prop::collection::vec(prop::option::weighted(0.15, -10i32..=10), 30),
        0i32..=40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A proposal: open days, increasing, every gap within the interval or
    /// flagged, ordinals and phases in order, the right number of sessions.
    #[test]
    fn proposals_respect_the_calendar_and_the_intervals(
        protocol in arb_protocol(), cal in arb_calendar(), start in 0i32..1000,
    ) {
        let start = day(start);
        let p = propose(&protocol, start, &cal).unwrap();
        for s in &p.sessions {
            prop_assert!(cal.is_open(s.date).unwrap(), "closed: {}", s.date);
        }
        prop_assert_eq!(
            p.sessions[0].findings.contains(&FindingCode::StartDateClosed),
            !cal.is_open(start).unwrap()
        );
        let pairs: Vec<(Date, Interval, &[FindingCode])> =
            p.sessions.iter().map(|s| (s.date, s.interval, s.findings.as_slice())).collect();
        gaps_hold(&pairs)?;
        for (i, s) in p.sessions.iter().enumerate() {
            prop_assert_eq!(s.ordinal as usize, i + 1);
            prop_assert_eq!(s.phase_kind, protocol.phases[s.phase_index].kind);
            if i > 0 {
                let prev = &p.sessions[i - 1];
                prop_assert!(s.phase_index >= prev.phase_index);
                let expected = if s.phase_index == prev.phase_index { prev.ordinal_in_phase + 1 } else { 1 };
                prop_assert_eq!(s.ordinal_in_phase, expected);
                // Never shorter than the minimum.
                prop_assert!(gap(prev.date, s.date) >= s.interval.min_days);
            }
        }
        for (i, phase) in protocol.phases.iter().enumerate() {
            let count = p.sessions.iter().filter(|s| s.phase_index == i).count();
            if let PhaseCount::Sessions(n) = phase.count {
                prop_assert_eq!(count, n as usize);
            }
        }
    }

    /// A revision: done sessions never move, moved sessions stay where they
    /// were moved, planned sessions are on open days no earlier than today,
    /// and every gap is within its interval or flagged.
    #[test]
    fn revisions_keep_the_facts_and_the_intervals(
        protocol in arb_protocol(), cal in arb_calendar(), start in 0i32..1000,
        choices in arb_choices(),
    ) {
        let p = propose(&protocol, day(start), &cal).unwrap();
        let (history, today) = history_of(&p, &cal, choices);
        let r = match reschedule(&p, &history, &cal, today) {
            Ok(r) => r,
            Err(ScheduleError::History(e)) => {
                // The only refusal such a history can meet: a move that
                // leaves no open day for the sessions before it.
                prop_assert_eq!(e.code, HistoryErrorCode::NoRoomBeforeMoved);
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
        };
        prop_assert_eq!(r.sessions.len(), p.sessions.len());
        for (s, o) in r.sessions.iter().zip(&p.sessions) {
            prop_assert_eq!(s.original_date, o.date);
            prop_assert_eq!(s.ordinal, o.ordinal);
            let event = history.iter().find(|h| h.ordinal == s.ordinal).map(|h| h.event);
            match event {
                Some(SessionEvent::Done { date }) => {
                    prop_assert_eq!(s.date, date);
                    prop_assert_eq!(s.status, SessionStatus::Done);
                }
                Some(SessionEvent::Moved { date }) => {
                    prop_assert_eq!(s.date, date);
                    prop_assert_eq!(s.status, SessionStatus::Moved);
                    prop_assert!(cal.is_open(s.date).unwrap());
                }
                other => {
                    prop_assert_eq!(s.status, SessionStatus::Planned);
                    prop_assert!(cal.is_open(s.date).unwrap(), "planned on a closed day {}", s.date);
                    prop_assert!(s.date >= today, "planned in the past: {} < {today}", s.date);
                    if let Some(SessionEvent::Missed { date }) = other {
                        prop_assert!(s.date > date);
                        prop_assert_eq!(s.missed_on, Some(date));
                    }
                }
            }
        }
        let pairs: Vec<(Date, Interval, &[FindingCode])> =
            r.sessions.iter().map(|s| (s.date, s.interval, s.findings.as_slice())).collect();
        gaps_hold(&pairs)?;
    }

    /// With nothing recorded and nothing in the past, revising changes nothing.
    #[test]
    fn an_empty_history_keeps_the_proposal(
        protocol in arb_protocol(), cal in arb_calendar(), start in 0i32..1000, before in 0i32..30,
    ) {
        let p = propose(&protocol, day(start), &cal).unwrap();
        let r = reschedule(&p, &[], &cal, plus(day(start), -before)).unwrap();
        let revised: Vec<Date> = r.sessions.iter().map(|s| s.date).collect();
        prop_assert_eq!(revised, dates(&p));
    }
}

#[test]
fn closure_spans_serialise_with_their_kind() {
    let c = Closure::dates(date(2026, 8, 12), date(2026, 8, 16), "夏季休診");
    let j = serde_json::to_value(&c).unwrap();
    assert_eq!(
        j,
        serde_json::json!({"kind": "dates", "from": "2026-08-12", "to": "2026-08-16", "reason": "夏季休診"})
    );
    assert!(matches!(c.span, ClosureSpan::Dates { .. }));
}
