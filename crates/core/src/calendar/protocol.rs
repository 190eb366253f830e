//! Protocol templates: a course is a list of phases (induction 導入期,
//! maintenance 維持期, long-term 長期), each with an interval between
//! sessions (nominal, allowed minimum and maximum, in days) and a number of
//! sessions, or "until stopped" with a horizon for proposals.
//!
//! The interval of a phase is the gap *before* each of its sessions: the
//! first maintenance session comes a maintenance interval after the last
//! induction session.

use serde::{Deserialize, Serialize};

use super::{Invalid, ValidationCode};
use crate::code_enum;

/// The longest interval a protocol may have (a year).
pub const MAX_INTERVAL_DAYS: i32 = 365;
/// The most sessions one phase may count.
pub const MAX_SESSIONS_PER_PHASE: u32 = 100;
/// The longest horizon of an open-ended phase (ten years).
pub const MAX_HORIZON_DAYS: i32 = 3660;
/// The longest protocol name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

code_enum! {
    /// The kind of a phase.
    pub enum PhaseKind {
        /// 導入期: close together at the start (e.g. every 2 weeks).
        Induction => "induction",
        /// 維持期: e.g. monthly.
        Maintenance => "maintenance",
        /// 長期: e.g. every 2–3 months.
        LongTerm => "long_term",
    }
}

impl PhaseKind {
    pub fn name_ja(self) -> &'static str {
        match self {
            PhaseKind::Induction => "導入期",
            PhaseKind::Maintenance => "維持期",
            PhaseKind::LongTerm => "長期",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            PhaseKind::Induction => "Induction",
            PhaseKind::Maintenance => "Maintenance",
            PhaseKind::LongTerm => "Long-term",
        }
    }
}

/// Days between two sessions: aimed at `nominal_days`, allowed from
/// `min_days` to `max_days` (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub nominal_days: i32,
    pub min_days: i32,
    pub max_days: i32,
}

impl Interval {
    pub fn new(nominal_days: i32, min_days: i32, max_days: i32) -> Interval {
        Interval {
            nominal_days,
            min_days,
            max_days,
        }
    }

    /// Whether a gap of `days` is allowed.
    pub fn allows(&self, days: i32) -> bool {
        self.min_days <= days && days <= self.max_days
    }

    /// `1 ≤ min ≤ nominal ≤ max ≤ MAX_INTERVAL_DAYS`.
    pub fn is_valid(&self) -> bool {
        1 <= self.min_days
            && self.min_days <= self.nominal_days
            && self.nominal_days <= self.max_days
            && self.max_days <= MAX_INTERVAL_DAYS
    }
}

/// How many sessions a phase has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseCount {
    /// A fixed number of sessions. JSON: `{"sessions": 3}`.
    Sessions(u32),
    /// Until a physician stops the course. A proposal holds the sessions
    /// that fall within `horizon_days` after the session before the phase
    /// (the course's start date for a first phase). JSON:
    /// `{"until_stopped": {"horizon_days": 365}}`.
    UntilStopped { horizon_days: i32 },
}

/// One phase of a protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub kind: PhaseKind,
    pub interval: Interval,
    pub count: PhaseCount,
}

/// A protocol template, clinic-editable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub name: String,
    pub phases: Vec<Phase>,
}

impl Protocol {
    /// The course `domain.md` §5 describes, as an example template:
    /// induction every 14 days (12–18) × 3, maintenance every 28 days
    /// (24–35) × 6, long-term every 70 days (56–84) until stopped, proposed
    /// a year ahead.
    pub fn example() -> Protocol {
        Protocol {
            name: "標準コース".to_string(),
            phases: vec![
                Phase {
                    kind: PhaseKind::Induction,
                    interval: Interval::new(14, 12, 18),
                    count: PhaseCount::Sessions(3),
                },
                Phase {
                    kind: PhaseKind::Maintenance,
                    interval: Interval::new(28, 24, 35),
                    count: PhaseCount::Sessions(6),
                },
                Phase {
                    kind: PhaseKind::LongTerm,
                    interval: Interval::new(70, 56, 84),
                    count: PhaseCount::UntilStopped { horizon_days: 365 },
                },
            ],
        }
    }

    /// Every problem, each with its field and, for a phase, its index:
    /// `protocol_name_required` (blank or longer than [`MAX_NAME_CHARS`]),
    /// `protocol_no_phases`, `protocol_phase_empty` (0 sessions),
    /// `protocol_phase_count_out_of_range` (over [`MAX_SESSIONS_PER_PHASE`]),
    /// `protocol_interval_out_of_range` (not `1 ≤ min ≤ nominal ≤ max ≤ 365`),
    /// `protocol_horizon_out_of_range` (below the nominal interval or over
    /// [`MAX_HORIZON_DAYS`]), `protocol_open_phase_not_last` (only the last
    /// phase may be open-ended).
    pub fn validate(&self) -> Result<(), Vec<Invalid>> {
        let mut out = Vec::new();
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            out.push(Invalid::new(ValidationCode::ProtocolNameRequired, "name"));
        }
        if self.phases.is_empty() {
            out.push(Invalid::new(ValidationCode::ProtocolNoPhases, "phases"));
        }
        let last = self.phases.len().saturating_sub(1);
        for (i, p) in self.phases.iter().enumerate() {
            if !p.interval.is_valid() {
                out.push(Invalid::at(
                    ValidationCode::ProtocolIntervalOutOfRange,
                    "phases.interval",
                    i,
                ));
            }
            match p.count {
                PhaseCount::Sessions(0) => out.push(Invalid::at(
                    ValidationCode::ProtocolPhaseEmpty,
                    "phases.count",
                    i,
                )),
                PhaseCount::Sessions(n) if n > MAX_SESSIONS_PER_PHASE => out.push(Invalid::at(
                    ValidationCode::ProtocolPhaseCountOutOfRange,
                    "phases.count",
                    i,
                )),
                PhaseCount::Sessions(_) => {}
                PhaseCount::UntilStopped { horizon_days } => {
                    if horizon_days < p.interval.nominal_days || horizon_days > MAX_HORIZON_DAYS {
                        out.push(Invalid::at(
                            ValidationCode::ProtocolHorizonOutOfRange,
                            "phases.count.horizon_days",
                            i,
                        ));
                    }
                    if i != last {
                        out.push(Invalid::at(
                            ValidationCode::ProtocolOpenPhaseNotLast,
                            "phases.count",
                            i,
                        ));
                    }
                }
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn codes(p: &Protocol) -> Vec<(&'static str, &'static str, Option<usize>)> {
        p.validate()
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| (e.code.as_str(), e.field, e.index))
            .collect()
    }

    #[test]
    fn the_example_is_valid_and_round_trips() {
        let p = Protocol::example();
        assert_eq!(p.validate(), Ok(()));
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["phases"][0]["kind"], "induction");
        assert_eq!(j["phases"][0]["count"]["sessions"], 3);
        assert_eq!(
            j["phases"][2]["count"]["until_stopped"]["horizon_days"],
            365
        );
        assert_eq!(j["phases"][0]["interval"]["min_days"], 12);
        let back: Protocol = serde_json::from_value(j).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn validation_names_every_problem() {
        let mut p = Protocol::example();
        p.name = "  ".into();
        p.phases[0].interval = Interval::new(14, 15, 18);
        p.phases[1].count = PhaseCount::Sessions(0);
        p.phases.swap(1, 2);
        // phases: induction (bad interval), long-term open (not last), maintenance 0.
        p.phases[1].count = PhaseCount::UntilStopped { horizon_days: 10 };
        assert_eq!(
            codes(&p),
            vec![
                ("protocol_name_required", "name", None),
                ("protocol_interval_out_of_range", "phases.interval", Some(0)),
                (
                    "protocol_horizon_out_of_range",
                    "phases.count.horizon_days",
                    Some(1)
                ),
                ("protocol_open_phase_not_last", "phases.count", Some(1)),
                ("protocol_phase_empty", "phases.count", Some(2)),
            ]
        );
        let empty = Protocol {
            name: "x".into(),
            phases: vec![],
        };
        assert_eq!(codes(&empty), vec![("protocol_no_phases", "phases", None)]);
        for bad in [
            Interval::new(14, 0, 18),
            Interval::new(14, 12, 13),
            Interval::new(400, 12, 400),
        ] {
            assert!(!bad.is_valid(), "{bad:?}");
        }
        assert!(Interval::new(1, 1, 1).is_valid());
        let mut many = Protocol::example();
        many.phases[0].count = PhaseCount::Sessions(101);
        assert_eq!(
            codes(&many),
            vec![("protocol_phase_count_out_of_range", "phases.count", Some(0))]
        );
    }
}
