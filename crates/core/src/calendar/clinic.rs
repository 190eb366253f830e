//! A clinic's calendar: the weekdays it opens and its hours, its closures
//! (dated, such as a renovation, or every year, such as 年末年始 12/29–1/3),
//! and whether it opens on public holidays (by default it does not).
//!
//! A day is closed, in this order of reasons, when it falls in a closure,
//! when it is a public holiday (unless the clinic opens on them), or when
//! its weekday has no hours. A clinic that opens on public holidays keeps
//! that weekday's hours on them.
//!
//! Dates are the clinic's local calendar dates (design invariant 6); hours
//! are local wall-clock times.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

use super::holidays::{Holiday, YearOutOfRange, holidays};
use super::{Invalid, ValidationCode};
use crate::error::Coded;

/// How far [`ClinicCalendar::next_open_day`] and its siblings look (about
/// ten years) before deciding that the clinic never opens.
pub const OPEN_DAY_SEARCH_DAYS: i32 = 3660;

/// A failure to find an open day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The search reached a year whose holidays cannot be computed.
    #[error(transparent)]
    Year(#[from] YearOutOfRange),
    /// No open day within [`OPEN_DAY_SEARCH_DAYS`] of `from`. Code
    /// `calendar_no_open_day`.
    #[error(
        "calendar_no_open_day: the clinic opens on no day within {OPEN_DAY_SEARCH_DAYS} days of {from}"
    )]
    NoOpenDay { from: Date },
}

impl Coded for CalendarError {
    fn code(&self) -> &'static str {
        match self {
            CalendarError::Year(e) => e.code(),
            CalendarError::NoOpenDay { .. } => "calendar_no_open_day",
        }
    }
}

/// `d` plus `n` days (`n` may be negative).
pub(crate) fn add_days(d: Date, n: i32) -> Result<Date, YearOutOfRange> {
    let out_of_range = YearOutOfRange {
        year: if n < 0 { i16::MIN } else { i16::MAX },
    };
    let span = jiff::Span::new()
        .try_days(i64::from(n))
        .map_err(|_| out_of_range)?;
    d.checked_add(span).map_err(|_| out_of_range)
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
pub(crate) fn days_between(a: Date, b: Date) -> i32 {
    let days = a.duration_until(b).as_secs() / 86_400;
    // jiff dates span fewer than 8 million days: always fits.
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// Opening hours of one day, local time; `open` is before `close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub open: Time,
    pub close: Time,
}

impl OpeningHours {
    /// Hours from `open` to `close`; `calendar_hours_invalid` unless
    /// `open < close`.
    pub fn new(open: Time, close: Time) -> Result<OpeningHours, Invalid> {
        let h = OpeningHours { open, close };
        if h.is_valid() {
            Ok(h)
        } else {
            Err(Invalid::new(ValidationCode::CalendarHoursInvalid, "hours"))
        }
    }

    fn is_valid(&self) -> bool {
        self.open < self.close
    }
}

/// Hours for each weekday; `None` means closed that weekday.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeeklyHours {
    pub monday: Option<OpeningHours>,
    pub tuesday: Option<OpeningHours>,
    pub wednesday: Option<OpeningHours>,
    pub thursday: Option<OpeningHours>,
    pub friday: Option<OpeningHours>,
    pub saturday: Option<OpeningHours>,
    pub sunday: Option<OpeningHours>,
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "weekly.monday"),
    (Weekday::Tuesday, "weekly.tuesday"),
    (Weekday::Wednesday, "weekly.wednesday"),
    (Weekday::Thursday, "weekly.thursday"),
    (Weekday::Friday, "weekly.friday"),
    (Weekday::Saturday, "weekly.saturday"),
    (Weekday::Sunday, "weekly.sunday"),
];

impl WeeklyHours {
    fn slot(&mut self, weekday: Weekday) -> &mut Option<OpeningHours> {
        match weekday {
            Weekday::Monday => &mut self.monday,
            Weekday::Tuesday => &mut self.tuesday,
            Weekday::Wednesday => &mut self.wednesday,
            Weekday::Thursday => &mut self.thursday,
            Weekday::Friday => &mut self.friday,
            Weekday::Saturday => &mut self.saturday,
            Weekday::Sunday => &mut self.sunday,
        }
    }

    /// The hours on a weekday, `None` when closed.
    pub fn on(&self, weekday: Weekday) -> Option<OpeningHours> {
        match weekday {
            Weekday::Monday => self.monday,
            Weekday::Tuesday => self.tuesday,
            Weekday::Wednesday => self.wednesday,
            Weekday::Thursday => self.thursday,
            Weekday::Friday => self.friday,
            Weekday::Saturday => self.saturday,
            Weekday::Sunday => self.sunday,
        }
    }

    /// Sets the hours of one weekday (`None`: closed).
    pub fn set(&mut self, weekday: Weekday, hours: Option<OpeningHours>) {
        *self.slot(weekday) = hours;
    }

    /// The same hours on each of `weekdays`, e.g.
    /// `WeeklyHours::default().with(&[Monday, …, Friday], weekday_hours).with(&[Saturday], saturday_hours)`.
    pub fn with(mut self, weekdays: &[Weekday], hours: OpeningHours) -> WeeklyHours {
        for w in weekdays {
            self.set(*w, Some(hours));
        }
        self
    }

    /// Whether the clinic opens on at least one weekday.
    pub fn any_open(&self) -> bool {
        WEEKDAYS.iter().any(|(w, _)| self.on(*w).is_some())
    }
}

/// A month and day, for closures that come back every year. Written
/// `MM-DD` (e.g. `12-29`); 02-29 is allowed and matches only leap years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: i8,
    day: i8,
}

impl MonthDay {
    /// A month (1–12) and a day that exists in it in some year;
    /// `calendar_month_day_invalid` otherwise.
    pub fn new(month: i8, day: i8) -> Result<MonthDay, Invalid> {
        // 2000 is a leap year, so every month-day that exists at all exists then.
        if Date::new(2000, month, day).is_ok() {
            Ok(MonthDay { month, day })
        } else {
            Err(Invalid::new(
                ValidationCode::CalendarMonthDayInvalid,
                "closures",
            ))
        }
    }

    pub fn month(self) -> i8 {
        self.month
    }

    pub fn day(self) -> i8 {
        self.day
    }

    fn of(d: Date) -> MonthDay {
        MonthDay {
            month: d.month(),
            day: d.day(),
        }
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<MonthDay, Invalid> {
        let bad = || Invalid::new(ValidationCode::CalendarMonthDayInvalid, "closures");
        let (m, d) = s.trim().split_once('-').ok_or_else(bad)?;
        let month = m.parse::<i8>().map_err(|_| bad())?;
        let day = d.parse::<i8>().map_err(|_| bad())?;
        MonthDay::new(month, day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MonthDay, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("not a month-day MM-DD: {s}")))
    }
}

/// The days a closure covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosureSpan {
    /// From one date to another, once.
    Dates { from: Date, to: Date },
    /// Every year from one month-day to another; `from` after `to` wraps
    /// over the new year (12-29 to 01-03).
    Annual { from: MonthDay, to: MonthDay },
}

impl ClosureSpan {
    /// Whether the span covers `day`.
    pub fn contains(&self, day: Date) -> bool {
        match *self {
            ClosureSpan::Dates { from, to } => from <= day && day <= to,
            ClosureSpan::Annual { from, to } => {
                let md = MonthDay::of(day);
                if from <= to {
                    from <= md && md <= to
                } else {
                    md >= from || md <= to
                }
            }
        }
    }
}

/// A period the clinic is closed, with the reason shown to staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    #[serde(flatten)]
    pub span: ClosureSpan,
    pub reason: String,
}

impl Closure {
    /// Closed from `from` to `to` (inclusive), once.
    pub fn dates(from: Date, to: Date, reason: &str) -> Closure {
        Closure {
            span: ClosureSpan::Dates { from, to },
            reason: reason.to_string(),
        }
    }

    /// Closed every year from `from` to `to` (inclusive; may wrap the year).
    pub fn annual(from: MonthDay, to: MonthDay, reason: &str) -> Closure {
        Closure {
            span: ClosureSpan::Annual { from, to },
            reason: reason.to_string(),
        }
    }
}

/// Why a day is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosedReason {
    /// A closure covers the day (its reason).
    Closure { reason: String },
    /// A public holiday, and the clinic closes on them.
    PublicHoliday { holiday: Holiday },
    /// The clinic does not open on this weekday.
    RegularDayOff,
}

/// Whether the clinic opens on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DayStatus {
    /// Open with these hours; `holiday` when it is a public holiday the
    /// clinic opens on.
    Open {
        hours: OpeningHours,
        holiday: Option<Holiday>,
    },
    Closed {
        reason: ClosedReason,
    },
}

impl DayStatus {
    pub fn is_open(&self) -> bool {
        matches!(self, DayStatus::Open { .. })
    }
}

/// A clinic's opening days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicCalendar {
    pub weekly: WeeklyHours,
    #[serde(default)]
    pub closures: Vec<Closure>,
    /// Open on public holidays (with that weekday's hours). Default: closed.
    #[serde(default)]
    pub open_on_public_holidays: bool,
}

impl ClinicCalendar {
    /// A calendar with these weekly hours, no closures, closed on holidays.
    pub fn new(weekly: WeeklyHours) -> ClinicCalendar {
        ClinicCalendar {
            weekly,
            closures: Vec::new(),
            open_on_public_holidays: false,
        }
    }

    /// A typical clinic, for examples, demos and tests: Monday to Friday
    /// 09:30–18:00, Saturday 09:00–13:00, closed on Sundays and public
    /// holidays, and 年末年始 from 12/29 to 1/3 every year.
    pub fn example() -> ClinicCalendar {
        use Weekday::*;
        let weekday = OpeningHours {
            open: Time::constant(9, 30, 0, 0),
            close: Time::constant(18, 0, 0, 0),
        };
        let saturday = OpeningHours {
            open: Time::constant(9, 0, 0, 0),
            close: Time::constant(13, 0, 0, 0),
        };
        ClinicCalendar::new(
            WeeklyHours::default()
                .with(&[Monday, Tuesday, Wednesday, Thursday, Friday], weekday)
                .with(&[Saturday], saturday),
        )
        .with_closure(Closure::annual(
            MonthDay { month: 12, day: 29 },
            MonthDay { month: 1, day: 3 },
            "年末年始",
        ))
    }

    /// Adds a closure.
    pub fn with_closure(mut self, closure: Closure) -> ClinicCalendar {
        self.closures.push(closure);
        self
    }

    /// Every problem, each naming its field (and the closure's index):
    /// `calendar_no_opening_day` (no weekday has hours),
    /// `calendar_hours_invalid` (opening not before closing),
    /// `calendar_closure_dates_reversed` (a dated closure ending before it
    /// starts), `calendar_closure_reason_required`.
    pub fn validate(&self) -> Result<(), Vec<Invalid>> {
        let mut out = Vec::new();
        if !self.weekly.any_open() {
            out.push(Invalid::new(ValidationCode::CalendarNoOpeningDay, "weekly"));
        }
        for (w, field) in WEEKDAYS {
            if self.weekly.on(w).is_some_and(|h| !h.is_valid()) {
                out.push(Invalid::new(ValidationCode::CalendarHoursInvalid, field));
            }
        }
        for (i, c) in self.closures.iter().enumerate() {
            if let ClosureSpan::Dates { from, to } = c.span
                && from > to
            {
                out.push(Invalid::at(
                    ValidationCode::CalendarClosureDatesReversed,
                    "closures",
                    i,
                ));
            }
            if c.reason.trim().is_empty() {
                out.push(Invalid::at(
                    ValidationCode::CalendarClosureReasonRequired,
                    "closures.reason",
                    i,
                ));
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    fn status_with(&self, day: Date, holiday: Option<Holiday>) -> DayStatus {
        if let Some(c) = self.closures.iter().find(|c| c.span.contains(day)) {
            return DayStatus::Closed {
                reason: ClosedReason::Closure {
                    reason: c.reason.clone(),
                },
            };
        }
        if let Some(h) = holiday
            && !self.open_on_public_holidays
        {
            return DayStatus::Closed {
                reason: ClosedReason::PublicHoliday { holiday: h },
            };
        }
        match self.weekly.on(day.weekday()) {
            Some(hours) => DayStatus::Open { hours, holiday },
            None => DayStatus::Closed {
                reason: ClosedReason::RegularDayOff,
            },
        }
    }

    /// Whether the clinic opens on `day`, its hours or why not.
    pub fn day(&self, day: Date) -> Result<DayStatus, YearOutOfRange> {
        OpenDays::new(self).status(day)
    }

    /// Whether the clinic opens on `day`.
    pub fn is_open(&self, day: Date) -> Result<bool, YearOutOfRange> {
        OpenDays::new(self).is_open(day)
    }

    /// The hours on `day`, `None` when closed.
    pub fn hours_on(&self, day: Date) -> Result<Option<OpeningHours>, YearOutOfRange> {
        Ok(match self.day(day)? {
            DayStatus::Open { hours, .. } => Some(hours),
            DayStatus::Closed { .. } => None,
        })
    }

    /// The first open day after `day` (not `day` itself).
    pub fn next_open_day(&self, day: Date) -> Result<Date, CalendarError> {
        OpenDays::new(self).first_open_on_or_after(add_days(day, 1)?)
    }

    /// The last open day before `day` (not `day` itself).
    pub fn previous_open_day(&self, day: Date) -> Result<Date, CalendarError> {
        OpenDays::new(self).last_open_on_or_before(add_days(day, -1)?)
    }

    /// `day` when open, else the next open day.
    pub fn first_open_on_or_after(&self, day: Date) -> Result<Date, CalendarError> {
        OpenDays::new(self).first_open_on_or_after(day)
    }

    /// `day` when open, else the previous open day.
    pub fn last_open_on_or_before(&self, day: Date) -> Result<Date, CalendarError> {
        OpenDays::new(self).last_open_on_or_before(day)
    }
}

/// A calendar with the holidays of the years it has looked at kept, for
/// the many look-ups of a proposal.
#[derive(Debug)]
pub(crate) struct OpenDays<'a> {
    calendar: &'a ClinicCalendar,
    years: BTreeMap<i16, Vec<Holiday>>,
}

impl<'a> OpenDays<'a> {
    pub(crate) fn new(calendar: &'a ClinicCalendar) -> OpenDays<'a> {
        OpenDays {
            calendar,
            years: BTreeMap::new(),
        }
    }

    fn holiday(&mut self, day: Date) -> Result<Option<Holiday>, YearOutOfRange> {
        let list = match self.years.entry(day.year()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(holidays(day.year())?),
        };
        Ok(list.iter().find(|h| h.date == day).copied())
    }

    pub(crate) fn status(&mut self, day: Date) -> Result<DayStatus, YearOutOfRange> {
        let holiday = self.holiday(day)?;
        Ok(self.calendar.status_with(day, holiday))
    }

    pub(crate) fn is_open(&mut self, day: Date) -> Result<bool, YearOutOfRange> {
        Ok(self.status(day)?.is_open())
    }

    fn search(&mut self, from: Date, step: i32) -> Result<Date, CalendarError> {
        let mut day = from;
        for _ in 0..=OPEN_DAY_SEARCH_DAYS {
            if self.is_open(day)? {
                return Ok(day);
            }
            day = add_days(day, step)?;
        }
        Err(CalendarError::NoOpenDay { from })
    }

    pub(crate) fn first_open_on_or_after(&mut self, day: Date) -> Result<Date, CalendarError> {
        self.search(day, 1)
    }

    pub(crate) fn last_open_on_or_before(&mut self, day: Date) -> Result<Date, CalendarError> {
        self.search(day, -1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use jiff::civil::{date, time};

    /// The example clinic with a summer break in 2026.
    fn ginza() -> ClinicCalendar {
        ClinicCalendar::example().with_closure(Closure::dates(
            date(2026, 8, 12),
            date(2026, 8, 16),
            "夏季休診",
        ))
    }

    #[test]
    fn open_days_hours_and_reasons() {
        let c = ginza();
        assert!(c.validate().is_ok());
        // A Monday.
        assert_eq!(
            c.hours_on(date(2026, 6, 1)).unwrap().unwrap().close,
            time(18, 0, 0, 0)
        );
        // Saturday hours differ.
        assert_eq!(
            c.hours_on(date(2026, 6, 6)).unwrap().unwrap().close,
            time(13, 0, 0, 0)
        );
        assert_eq!(
            c.day(date(2026, 6, 7)).unwrap(),
            DayStatus::Closed {
                reason: ClosedReason::RegularDayOff
            }
        );
        // 海の日 2026-07-20.
        let DayStatus::Closed {
            reason: ClosedReason::PublicHoliday { holiday },
        } = c.day(date(2026, 7, 20)).unwrap()
        else {
            panic!("holiday expected")
        };
        assert_eq!(holiday.name, "海の日");
        // 年末年始 wraps the year; the closure's reason wins over 元日.
        for d in [
            date(2026, 12, 29),
            date(2026, 12, 31),
            date(2027, 1, 1),
            date(2027, 1, 3),
        ] {
            assert_eq!(
                c.day(d).unwrap(),
                DayStatus::Closed {
                    reason: ClosedReason::Closure {
                        reason: "年末年始".into()
                    }
                },
                "{d}"
            );
        }
        assert!(c.is_open(date(2026, 12, 28)).unwrap());
        assert!(c.is_open(date(2027, 1, 4)).unwrap());
        assert!(!c.is_open(date(2026, 8, 14)).unwrap());
    }

    #[test]
    fn next_and_previous_open_days() {
        let c = ginza();
        let cases = [
            // Sat 2026-12-26 → Mon 12/28; after 12/28 comes 年末年始 → 1/4.
            (c.next_open_day(date(2026, 12, 26)), date(2026, 12, 28)),
            (c.next_open_day(date(2026, 12, 28)), date(2027, 1, 4)),
            (c.previous_open_day(date(2027, 1, 4)), date(2026, 12, 28)),
            // Golden week 2026: 5/2 Sat open, 5/3–5/6 closed, 5/7 Thu.
            (c.next_open_day(date(2026, 5, 2)), date(2026, 5, 7)),
            (c.first_open_on_or_after(date(2026, 5, 7)), date(2026, 5, 7)),
            (c.last_open_on_or_before(date(2026, 5, 6)), date(2026, 5, 2)),
        ];
        for (got, want) in cases {
            assert_eq!(got.unwrap(), want);
        }
    }

    #[test]
    fn opening_on_holidays_keeps_the_weekday_hours() {
        let mut c = ginza();
        c.open_on_public_holidays = true;
        let s = c.day(date(2026, 7, 20)).unwrap();
        let DayStatus::Open { hours, holiday } = s else {
            panic!("open expected")
        };
        assert_eq!(hours.open, time(9, 30, 0, 0));
        assert_eq!(holiday.unwrap().name, "海の日");
        // A Sunday holiday stays closed: no Sunday hours.
        assert!(!c.is_open(date(2026, 5, 3)).unwrap());
    }

    #[test]
    fn validation_names_every_problem() {
        let mut c = ClinicCalendar::default().with_closure(Closure::dates(
            date(2026, 8, 16),
            date(2026, 8, 12),
            " ",
        ));
        c.weekly.tuesday = Some(OpeningHours {
            open: time(18, 0, 0, 0),
            close: time(9, 0, 0, 0),
        });
        let errs = c.validate().unwrap_err();
        let got: Vec<(&str, &str, Option<usize>)> = errs
            .iter()
            .map(|e| (e.code.as_str(), e.field, e.index))
            .collect();
        assert_eq!(
            got,
            vec![
                ("calendar_hours_invalid", "weekly.tuesday", None),
                ("calendar_closure_dates_reversed", "closures", Some(0)),
                (
                    "calendar_closure_reason_required",
                    "closures.reason",
                    Some(0)
                ),
            ]
        );
        // No open weekday at all.
        let never = ClinicCalendar::default();
        assert_eq!(
            never.validate().unwrap_err()[0].code,
            ValidationCode::CalendarNoOpeningDay
        );
        assert_eq!(
            never.next_open_day(date(2026, 1, 1)).unwrap_err().code(),
            "calendar_no_open_day"
        );
        assert!(OpeningHours::new(time(9, 0, 0, 0), time(9, 0, 0, 0)).is_err());
        assert!(MonthDay::new(2, 30).is_err());
        assert!(MonthDay::new(2, 29).is_ok());
    }

    #[test]
    fn the_calendar_round_trips_as_json() {
        let c = ginza();
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["closures"][0]["kind"], "annual");
        assert_eq!(j["closures"][0]["from"], "12-29");
        assert_eq!(j["closures"][1]["from"], "2026-08-12");
        assert_eq!(j["weekly"]["monday"]["open"], "09:30:00");
        assert!(j["weekly"]["sunday"].is_null());
        let back: ClinicCalendar = serde_json::from_value(j).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn years_beyond_the_holiday_range_are_errors() {
        let c = ginza();
        assert!(c.is_open(date(2100, 1, 5)).is_err());
        assert_eq!(
            c.next_open_day(date(2099, 12, 31)).unwrap_err().code(),
            "holiday_year_out_of_range"
        );
    }
}
