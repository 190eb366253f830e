//! Generations of backups in one directory: their file names and which of
//! them to keep (pure; the caller deletes).
//!
//! The rule is the usual grandfather-father-son one: keep the newest backup of
//! each of the last `daily` days, of each of the last `weekly` ISO weeks and of
//! each of the last `monthly` months that have a backup (days, weeks and
//! months in the clinic's time zone), and always the newest backup of all.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// How many generations to keep, e.g. `daily=7,weekly=4,monthly=12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for Keep {
    fn default() -> Self {
        Keep {
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

/// Why a `--keep` value was refused (stable code, human detail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct KeepError {
    pub code: &'static str,
    pub detail: String,
}

impl std::str::FromStr for Keep {
    type Err = KeepError;

    /// `daily=N,weekly=N,monthly=N`, any of them, in any order; the ones not
    /// named are 0. At least one must be above 0.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |code, detail: String| KeepError { code, detail };
        let mut keep = Keep {
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        let mut seen = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(err(
                    "keep_invalid",
                    format!("`{part}` is not NAME=COUNT (e.g. daily=7)"),
                ));
            };
            let k = k.trim();
            let n: u32 = v.trim().parse().map_err(|_| {
                err(
                    "keep_invalid",
                    format!("`{}` is not a count (0 to 4294967295) for {k}", v.trim()),
                )
            })?;
            if seen.contains(&k.to_string()) {
                return Err(err("keep_invalid", format!("{k} is given twice")));
            }
            seen.push(k.to_string());
            match k {
                "daily" => keep.daily = n,
                "weekly" => keep.weekly = n,
                "monthly" => keep.monthly = n,
                other => {
                    return Err(err(
                        "keep_invalid",
                        format!("unknown generation `{other}` (daily, weekly or monthly)"),
                    ));
                }
            }
        }
        if keep.daily == 0 && keep.weekly == 0 && keep.monthly == 0 {
            return Err(err(
                "keep_nothing",
                "keep at least one generation (e.g. daily=7)".into(),
            ));
        }
        Ok(keep)
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "daily={},weekly={},monthly={}",
            self.daily, self.weekly, self.monthly
        )
    }
}

/// The day, ISO week or month a local date falls in.
type BucketOf = fn(jiff::civil::Date) -> (i32, i32);

/// Which of `taken` (the instants backups were taken, in any order) to keep:
/// one flag per element, in the same order.
pub fn to_keep(taken: &[Timestamp], keep: &Keep, tz: &TimeZone) -> Vec<bool> {
    let mut order: Vec<usize> = (0..taken.len()).collect();
    // Newest first; equal instants keep their given order.
    order.sort_by(|&a, &b| taken[b].cmp(&taken[a]));
    let mut kept = vec![false; taken.len()];
    if let Some(&newest) = order.first() {
        kept[newest] = true;
    }
    let buckets: [(u32, BucketOf); 3] = [
        (keep.daily, |d| {
            (i32::from(d.year()), i32::from(d.day_of_year()))
        }),
        (keep.weekly, |d| {
            let w = d.iso_week_date();
            (i32::from(w.year()), i32::from(w.week()))
        }),
        (keep.monthly, |d| {
            (i32::from(d.year()), i32::from(d.month()))
        }),
    ];
    for (count, bucket_of) in buckets {
        let mut left = count;
        let mut last = None;
        for &i in &order {
            if left == 0 {
                break;
            }
            let bucket = bucket_of(taken[i].to_zoned(tz.clone()).date());
            if last != Some(bucket) {
                kept[i] = true;
                last = Some(bucket);
                left -= 1;
            }
        }
    }
    kept
}

const PREFIX: &str = "jousei-backup-";
const PLAIN: &str = ".tar.zst";
const ENCRYPTED: &str = ".tar.zst.age";

/// The file name of a generation taken at `at` (UTC, to the millisecond, so
/// names sort in time order).
pub fn generation_name(at: Timestamp, encrypted: bool) -> String {
    format!(
        "{PREFIX}{}{}",
        at.strftime("%Y%m%dT%H%M%S%.3fZ"),
        if encrypted { ENCRYPTED } else { PLAIN }
    )
}

/// The instant in a generation's file name; `None` for any other file (which
/// retention never touches).
pub fn parse_generation_name(name: &str) -> Option<Timestamp> {
    let rest = name.strip_prefix(PREFIX)?;
    let stamp = rest
        .strip_suffix(ENCRYPTED)
        .or_else(|| rest.strip_suffix(PLAIN))?;
    let dt = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S%.fZ", stamp).ok()?;
    dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn kept(taken: &[Timestamp], keep: &str) -> Vec<Timestamp> {
        let flags = to_keep(taken, &keep.parse().unwrap(), &tokyo());
        let mut out: Vec<Timestamp> = taken
            .iter()
            .zip(flags)
            .filter(|(_, k)| *k)
            .map(|(t, _)| *t)
            .collect();
        out.sort();
        out
    }

    #[test]
    fn keep_parses_and_refuses_clearly() {
        assert_eq!(
            "daily=7,weekly=4,monthly=12".parse::<Keep>(),
            Ok(Keep::default())
        );
        assert_eq!(
            " monthly=2 , daily=1 ".parse::<Keep>(),
            Ok(Keep {
                daily: 1,
                weekly: 0,
                monthly: 2
            })
        );
        for (bad, code, says) in [
            ("", "keep_nothing", "at least one"),
            ("daily=0", "keep_nothing", "at least one"),
            ("daily", "keep_invalid", "NAME=COUNT"),
            ("daily=-1", "keep_invalid", "for daily"),
            ("hourly=3", "keep_invalid", "hourly"),
            ("daily=1,daily=2", "keep_invalid", "twice"),
        ] {
            let e = bad.parse::<Keep>().unwrap_err();
            assert_eq!(e.code, code, "{bad}");
            assert!(e.detail.contains(says), "{bad}: {e}");
        }
        assert_eq!(Keep::default().to_string(), "daily=7,weekly=4,monthly=12");
    }

    #[test]
    fn one_a_day_for_the_last_days_in_tokyo() {
        // Two a day (03:00 and 15:00 UTC = 12:00 and 24:00 Tokyo) for 10 days.
        let mut taken = Vec::new();
        for day in 1..=10 {
            taken.push(at(&format!("2026-12-{day:02}T03:00:00Z")));
            taken.push(at(&format!("2026-12-{day:02}T15:00:00Z")));
        }
        let k = kept(&taken, "daily=3");
        // 15:00 UTC is midnight of the next Tokyo day, so Tokyo day 11 has
        // one backup and days 10 and 9 have their midnight and noon ones:
        // the newest of each is kept, not the newest of each UTC day.
        assert_eq!(
            k,
            vec![
                at("2026-12-09T03:00:00Z"),
                at("2026-12-10T03:00:00Z"),
                at("2026-12-10T15:00:00Z"),
            ]
        );
    }

    #[test]
    fn weeks_and_months_reach_further_back_and_the_newest_always_stays() {
        // One backup a day through 2026 (Tokyo noon).
        let mut taken = Vec::new();
        let mut d = jiff::civil::date(2026, 1, 1);
        while d.year() == 2026 {
            taken.push(d.at(12, 0, 0, 0).to_zoned(tokyo()).unwrap().timestamp());
            d = d.tomorrow().unwrap();
        }
        let k = kept(&taken, "daily=7,weekly=4,monthly=12");
        let dates: Vec<String> = k
            .iter()
            .map(|t| t.to_zoned(tokyo()).date().to_string())
            .collect();
        // Daily: Dec 25..31. Weekly: the newest of ISO weeks 53 (Dec 28..),
        // 52, 51, 50: Dec 31, 27, 20, 13. Monthly: the last day of each month.
        let mut want: Vec<String> = (25..=31).map(|d| format!("2026-12-{d}")).collect();
        want.extend(["2026-12-13", "2026-12-20", "2026-12-27"].map(String::from));
        for (m, last) in [
            (1, 31),
            (2, 28),
            (3, 31),
            (4, 30),
            (5, 31),
            (6, 30),
            (7, 31),
            (8, 31),
            (9, 30),
            (10, 31),
            (11, 30),
        ] {
            want.push(format!("2026-{m:02}-{last}"));
        }
        want.sort();
        want.dedup();
        assert_eq!(dates, want);
        // Keeping only months still keeps the newest, in given order.
        let flags = to_keep(
            &[at("2026-01-01T00:00:00Z")],
            &"monthly=1".parse().unwrap(),
            &tokyo(),
        );
        assert_eq!(flags, vec![true]);
        assert!(to_keep(&[], &Keep::default(), &tokyo()).is_empty());
    }

    #[test]
    fn generation_names_round_trip_and_other_files_are_ignored() {
        let t = at("2026-12-07T19:49:41.123Z");
        assert_eq!(
            generation_name(t, false),
            "jousei-backup-20261207T194941.123Z.tar.zst"
        );
        assert_eq!(parse_generation_name(&generation_name(t, false)), Some(t));
        assert_eq!(parse_generation_name(&generation_name(t, true)), Some(t));
        for other in [
            "notes.txt",
            "jousei-backup-yesterday.tar.zst",
            "jousei-backup-20261207T194941.123Z.tar.zst.partial",
            "jousei.db",
        ] {
            assert_eq!(parse_generation_name(other), None, "{other}");
        }
    }
}
