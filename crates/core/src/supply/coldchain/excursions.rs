//! Excursions, brief deviations and gaps in a series of readings.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::Reading;
use crate::supply::units::DeciCelsius;

/// The default longest silence between two readings before it is reported
/// as a [`Gap`], in minutes.
pub const DEFAULT_MAX_GAP_MINUTES: u32 = 60;

// ---------------------------------------------------------------------------
// Excursions
// ---------------------------------------------------------------------------

/// Which side of the allowed range a run of readings was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Above,
    Below,
    /// The run went from one side to the other without a reading in range
    /// (sparse readings); `extreme` is the reading furthest outside.
    Both,
}

/// A run of consecutive readings outside the allowed range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excursion {
    /// The first reading outside the range.
    pub start: Timestamp,
    /// The first reading back in range, or the last reading of the file
    /// when the run is `ongoing`.
    pub end: Timestamp,
    /// `end − start` in minutes, rounded up (30 min 1 s is 31).
    pub duration_minutes: i64,
    /// The reading furthest outside the range (the first such, on a tie).
    pub extreme: DeciCelsius,
    pub side: Side,
    /// How many readings were outside the range.
    pub readings: usize,
    /// The file ends with this run still outside the range.
    pub ongoing: bool,
}

/// A silence between two readings longer than the allowed maximum: the
/// temperature in between is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The reading before the silence.
    pub from: Timestamp,
    /// The reading after it.
    pub to: Timestamp,
    /// Rounded down to whole minutes.
    pub minutes: i64,
}

/// The rule a storage location (or a product) sets for its readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Lowest allowed temperature (in range).
    pub min: DeciCelsius,
    /// Highest allowed temperature (in range).
    pub max: DeciCelsius,
    /// How long a run may stay outside the range and still be a brief
    /// deviation, in minutes. Exactly this long is still a deviation.
    pub tolerance_minutes: u32,
    /// A silence between readings longer than this is reported as a gap.
    pub max_gap_minutes: u32,
}

impl Limits {
    /// Limits with the default maximum gap ([`DEFAULT_MAX_GAP_MINUTES`]).
    pub fn new(min: DeciCelsius, max: DeciCelsius, tolerance_minutes: u32) -> Self {
        Limits {
            min,
            max,
            tolerance_minutes,
            max_gap_minutes: DEFAULT_MAX_GAP_MINUTES,
        }
    }
}

/// Everything [`analyse`] finds, in time order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Analysis {
    /// Runs outside the range for longer than the tolerance.
    pub excursions: Vec<Excursion>,
    /// Runs outside the range for at most the tolerance (for display).
    pub deviations: Vec<Excursion>,
    /// Silences longer than `max_gap_minutes`.
    pub gaps: Vec<Gap>,
}

/// The excursions in `readings` (see [`analyse`] for the rule), with the
/// default maximum gap.
pub fn find_excursions(
    readings: &[Reading],
    min: DeciCelsius,
    max: DeciCelsius,
    tolerance_minutes: u32,
) -> Vec<Excursion> {
    analyse(readings, &Limits::new(min, max, tolerance_minutes)).excursions
}

/// Finds excursions, brief deviations and gaps.
///
/// The readings are first put in time order (a parsed [`LoggerFile`]
/// already is; readings at the same instant keep their given order). The
/// range is inclusive. A run is a maximal sequence of consecutive readings
/// outside the range; it starts at its first reading and ends at the first
/// reading back in range, or at its own last reading when the readings end
/// outside the range (`ongoing`). A run whose duration is strictly longer
/// than `tolerance_minutes` is an excursion; otherwise it is a deviation.
/// An `ongoing` deviation has only not lasted long enough *yet*: callers
/// should show it as needing attention. If `min > max` the two are swapped.
pub fn analyse(readings: &[Reading], limits: &Limits) -> Analysis {
    let (lo, hi) = if limits.min <= limits.max {
        (limits.min, limits.max)
    } else {
        (limits.max, limits.min)
    };
    let mut sorted = readings.to_vec();
    sorted.sort_by_key(|r| r.at);
    let tolerance = SignedDuration::from_secs(i64::from(limits.tolerance_minutes) * 60);
    let max_gap = SignedDuration::from_secs(i64::from(limits.max_gap_minutes) * 60);
    let outside = |t: DeciCelsius| {
        if t > hi {
            i64::from(t.0) - i64::from(hi.0)
        } else if t < lo {
            i64::from(lo.0) - i64::from(t.0)
        } else {
            0
        }
    };

    let mut out = Analysis::default();
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            let d = b.at.duration_since(a.at);
            if d > max_gap {
                out.gaps.push(Gap {
                    from: a.at,
                    to: b.at,
                    minutes: d.as_secs() / 60,
                });
            }
        }
    }

    let mut i = 0;
    while i < sorted.len() {
        if outside(sorted[i].temp) == 0 {
            i += 1;
            continue;
        }
        let first = i;
        while i < sorted.len() && outside(sorted[i].temp) > 0 {
            i += 1;
        }
        let run = &sorted[first..i];
        let back = sorted.get(i);
        let (mut extreme, mut furthest) = (run[0].temp, 0);
        let (mut above, mut below) = (false, false);
        for r in run {
            let o = outside(r.temp);
            if o > furthest {
                (extreme, furthest) = (r.temp, o);
            }
            if r.temp > hi {
                above = true;
            } else {
                below = true;
            }
        }
        let start = run[0].at;
        let end = back.map_or(run[run.len() - 1].at, |r| r.at);
        let duration = end.duration_since(start);
        let secs = duration.as_secs() + i64::from(duration.subsec_nanos() > 0);
        let found = Excursion {
            start,
            end,
            duration_minutes: (secs + 59).div_euclid(60),
            extreme,
            side: match (above, below) {
                (true, true) => Side::Both,
                (true, false) => Side::Above,
                _ => Side::Below,
            },
            readings: run.len(),
            ongoing: back.is_none(),
        };
        if duration > tolerance {
            out.excursions.push(found);
        } else {
            out.deviations.push(found);
        }
    }
    out
}
