//! Japanese public holidays, computed by the rules of 国民の祝日に関する法律
//! (the National Holidays Act, 昭和23年法律第178号) as amended, for the
//! years [`SUPPORTED_YEARS`] (1980 to 2099).
//!
//! - Fixed days: 元日 1/1, 建国記念の日 2/11, 昭和の日 4/29, 憲法記念日 5/3,
//!   みどりの日 5/4, こどもの日 5/5, 山の日 8/11, 文化の日 11/3, 勤労感謝の日
//!   11/23, 天皇誕生日 (4/29 until 1988, 12/23 from 1989 to 2018, none in
//!   2019, 2/23 from 2020).
//! - Happy Monday days (from 2000 and 2003): 成人の日 (2nd Monday of January;
//!   1/15 before 2000), 海の日 (3rd Monday of July; 7/20 from 1996 to 2002),
//!   敬老の日 (3rd Monday of September; 9/15 before 2003), 体育の日 / from
//!   2020 スポーツの日 (2nd Monday of October; 10/10 before 2000).
//! - 春分の日 and 秋分の日: the equinox days, by the approximation below.
//! - 振替休日 (art. 3 §2): when a national holiday falls on a Sunday, the next
//!   day that is not a national holiday is a holiday (from 2007; from 1973 to
//!   2006 only the Monday after).
//! - 国民の休日 (art. 3 §3, from 1986): a day that is not a national holiday but
//!   lies between two national holidays is a holiday (until 2006 not when it
//!   is a Sunday or a substitute holiday).
//! - Special laws: 1989-02-24 (昭和天皇の大喪の礼), 1990-11-12 (即位礼正殿の儀),
//!   1993-06-09 (皇太子徳仁親王の結婚の儀), 2019-05-01 (天皇の即位の日) and
//!   2019-10-22 (即位礼正殿の儀), which count as national holidays for the two
//!   rules above (hence 2019-04-30 and 2019-05-02), and the Olympic moves of
//!   2020 (海の日 7/23, スポーツの日 7/24, 山の日 8/10) and 2021 (海の日 7/22,
//!   スポーツの日 7/23, 山の日 8/8, so 8/9 is a substitute holiday).
//!
//! ## The equinox days
//! The law names the days of the vernal and autumnal equinox; the Cabinet
//! fixes them each February for the next year from the National Astronomical
//! Observatory's ephemeris (暦要項). For 1980 to 2099 the approximation in
//! common use gives the day of March / September (JST):
//!
//! ```text
//! 春分の日 = floor(20.8431 + 0.242194 × (Y − 1980) − floor((Y − 1980) / 4))
//! 秋分の日 = floor(23.2488 + 0.242194 × (Y − 1980) − floor((Y − 1980) / 4))
//! ```
//!
//! Outside 1980..=2099 the constants differ (the formula drifts with the
//! Gregorian leap-year rule in 1900 and 2100), so other years are refused
//! with [`YearOutOfRange`] rather than guessed. The arithmetic is done in
//! integers (millionths of a day), so no floating-point rounding is
//! involved. Future years assume the law as it stands: a later amendment or
//! special law (such as the 2020/2021 moves) needs a code change.
//!
//! ## Names
//! [`Holiday::name`] is the name used in the Cabinet Office's official list
//! (`syukujitsu.csv`): substitute holidays and citizens' holidays are both
//! named `休日`, and the two 2019 enthronement days `休日（祝日扱い）`.
//! [`HolidayKind`] tells them apart, with the name used in the law.

use std::ops::RangeInclusive;

use jiff::civil::{Date, Weekday, date};
use serde::Serialize;

use crate::code_enum;
use crate::error::Coded;

/// The first year whose holidays can be computed.
pub const FIRST_SUPPORTED_YEAR: i16 = 1980;
/// The last year whose holidays can be computed.
pub const LAST_SUPPORTED_YEAR: i16 = 2099;
/// The years whose holidays can be computed (the equinox formula's range).
pub const SUPPORTED_YEARS: RangeInclusive<i16> = FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR;

/// A year outside [`SUPPORTED_YEARS`]. Code `holiday_year_out_of_range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "holiday_year_out_of_range: {year} (holidays are computed for {FIRST_SUPPORTED_YEAR} to {LAST_SUPPORTED_YEAR})"
)]
pub struct YearOutOfRange {
    pub year: i16,
}

impl Coded for YearOutOfRange {
    fn code(&self) -> &'static str {
        "holiday_year_out_of_range"
    }
}

code_enum! {
    /// What a holiday is. The codes are stable.
    pub enum HolidayKind {
        NewYearsDay => "new_years_day",
        ComingOfAgeDay => "coming_of_age_day",
        NationalFoundationDay => "national_foundation_day",
        EmperorsBirthday => "emperors_birthday",
        VernalEquinoxDay => "vernal_equinox_day",
        ShowaDay => "showa_day",
        ConstitutionMemorialDay => "constitution_memorial_day",
        GreeneryDay => "greenery_day",
        ChildrensDay => "childrens_day",
        MarineDay => "marine_day",
        MountainDay => "mountain_day",
        RespectForTheAgedDay => "respect_for_the_aged_day",
        AutumnalEquinoxDay => "autumnal_equinox_day",
        /// 体育の日, until 2019.
        HealthAndSportsDay => "health_and_sports_day",
        /// スポーツの日, from 2020.
        SportsDay => "sports_day",
        CultureDay => "culture_day",
        LaborThanksgivingDay => "labor_thanksgiving_day",
        /// 振替休日 (art. 3 §2): after a national holiday on a Sunday.
        SubstituteHoliday => "substitute_holiday",
        /// 国民の休日 (art. 3 §3): between two national holidays.
        CitizensHoliday => "citizens_holiday",
        /// 1989-02-24.
        ImperialFuneral => "imperial_funeral",
        /// 1990-11-12 and 2019-10-22.
        EnthronementCeremony => "enthronement_ceremony",
        /// 1993-06-09.
        ImperialWedding => "imperial_wedding",
        /// 2019-05-01.
        EnthronementDay => "enthronement_day",
    }
}

impl HolidayKind {
    /// The name in the law (振替休日 and 国民の休日 for the two kinds of
    /// `休日`). For the name in the official list, see [`Holiday::name`].
    pub fn law_name_ja(self) -> &'static str {
        match self {
            HolidayKind::NewYearsDay => "元日",
            HolidayKind::ComingOfAgeDay => "成人の日",
            HolidayKind::NationalFoundationDay => "建国記念の日",
            HolidayKind::EmperorsBirthday => "天皇誕生日",
            HolidayKind::VernalEquinoxDay => "春分の日",
            HolidayKind::ShowaDay => "昭和の日",
            HolidayKind::ConstitutionMemorialDay => "憲法記念日",
            HolidayKind::GreeneryDay => "みどりの日",
            HolidayKind::ChildrensDay => "こどもの日",
            HolidayKind::MarineDay => "海の日",
            HolidayKind::MountainDay => "山の日",
            HolidayKind::RespectForTheAgedDay => "敬老の日",
            HolidayKind::AutumnalEquinoxDay => "秋分の日",
            HolidayKind::HealthAndSportsDay => "体育の日",
            HolidayKind::SportsDay => "スポーツの日",
            HolidayKind::CultureDay => "文化の日",
            HolidayKind::LaborThanksgivingDay => "勤労感謝の日",
            HolidayKind::SubstituteHoliday => "振替休日",
            HolidayKind::CitizensHoliday => "国民の休日",
            HolidayKind::ImperialFuneral => "昭和天皇の大喪の礼",
            HolidayKind::EnthronementCeremony => "即位礼正殿の儀",
            HolidayKind::ImperialWedding => "皇太子徳仁親王の結婚の儀",
            HolidayKind::EnthronementDay => "天皇の即位の日",
        }
    }

    /// The English name (as on the Cabinet Office's English page where it
    /// has one).
    pub fn name_en(self) -> &'static str {
        match self {
            HolidayKind::NewYearsDay => "New Year's Day",
            HolidayKind::ComingOfAgeDay => "Coming of Age Day",
            HolidayKind::NationalFoundationDay => "National Foundation Day",
            HolidayKind::EmperorsBirthday => "Emperor's Birthday",
            HolidayKind::VernalEquinoxDay => "Vernal Equinox Day",
            HolidayKind::ShowaDay => "Showa Day",
            HolidayKind::ConstitutionMemorialDay => "Constitution Memorial Day",
            HolidayKind::GreeneryDay => "Greenery Day",
            HolidayKind::ChildrensDay => "Children's Day",
            HolidayKind::MarineDay => "Marine Day",
            HolidayKind::MountainDay => "Mountain Day",
            HolidayKind::RespectForTheAgedDay => "Respect for the Aged Day",
            HolidayKind::AutumnalEquinoxDay => "Autumnal Equinox Day",
            HolidayKind::HealthAndSportsDay => "Health and Sports Day",
            HolidayKind::SportsDay => "Sports Day",
            HolidayKind::CultureDay => "Culture Day",
            HolidayKind::LaborThanksgivingDay => "Labor Thanksgiving Day",
            HolidayKind::SubstituteHoliday => "Substitute Holiday",
            HolidayKind::CitizensHoliday => "Citizens' Holiday",
            HolidayKind::ImperialFuneral => "Funeral of Emperor Showa",
            HolidayKind::EnthronementCeremony => "Enthronement Ceremony",
            HolidayKind::ImperialWedding => "Wedding of the Crown Prince",
            HolidayKind::EnthronementDay => "Enthronement Day",
        }
    }

    /// Whether this is a 国民の祝日 (a national holiday proper, or a day a
    /// special law treats as one) rather than a 休日 made by art. 3 §2 or §3.
    pub fn is_national_holiday(self) -> bool {
        !matches!(
            self,
            HolidayKind::SubstituteHoliday | HolidayKind::CitizensHoliday
        )
    }
}

/// One public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Holiday {
    pub date: Date,
    /// The name in the Cabinet Office's official list, e.g. `元日`, `休日`.
    pub name: &'static str,
    /// The English name.
    pub name_en: &'static str,
    pub kind: HolidayKind,
}

impl Holiday {
    fn new(date: Date, kind: HolidayKind) -> Holiday {
        Holiday {
            date,
            name: official_name(date, kind),
            name_en: kind.name_en(),
            kind,
        }
    }
}

/// The name in the official list. It follows the kind, except for the
/// `休日` days and the one-off days, which the list names by year.
fn official_name(day: Date, kind: HolidayKind) -> &'static str {
    match kind {
        HolidayKind::SubstituteHoliday | HolidayKind::CitizensHoliday => "休日",
        HolidayKind::EnthronementDay => "休日（祝日扱い）",
        HolidayKind::EnthronementCeremony if day.year() == 2019 => "休日（祝日扱い）",
        HolidayKind::ImperialFuneral => "大喪の礼",
        HolidayKind::ImperialWedding => "結婚の儀",
        other => other.law_name_ja(),
    }
}

fn check_year(year: i16) -> Result<(), YearOutOfRange> {
    if SUPPORTED_YEARS.contains(&year) {
        Ok(())
    } else {
        Err(YearOutOfRange { year })
    }
}

/// The day of the equinox (in March or September) for a supported year, in
/// millionths of a day: `base` is 20.8431 or 23.2488.
fn equinox_day(year: i16, base_millionths: i64) -> i8 {
    let y = i64::from(year - FIRST_SUPPORTED_YEAR);
    let v = base_millionths + 242_194 * y - 1_000_000 * (y / 4);
    // 1980..=2099 keeps v between 19 and 24 days: always fits.
    i8::try_from(v / 1_000_000).unwrap_or(20)
}

/// 春分の日 (the vernal equinox day) of `year`.
pub fn vernal_equinox_day(year: i16) -> Result<Date, YearOutOfRange> {
    check_year(year)?;
    Ok(date(year, 3, equinox_day(year, 20_843_100)))
}

/// 秋分の日 (the autumnal equinox day) of `year`.
pub fn autumnal_equinox_day(year: i16) -> Result<Date, YearOutOfRange> {
    check_year(year)?;
    Ok(date(year, 9, equinox_day(year, 23_248_800)))
}

/// The `nth` Monday of a month (1-based).
fn nth_monday(year: i16, month: i8, nth: i8) -> Date {
    // The 1st of a month is always valid; its nth Monday (n ≤ 3) always exists.
    let first = date(year, month, 1);
    let offset = (7 + 1 - first.weekday().to_monday_one_offset()) % 7;
    date(year, month, 1 + offset + 7 * (nth - 1))
}

/// The national holidays proper (国民の祝日, and the days special laws treat
/// as such) of a supported year, in date order.
fn national_holidays(year: i16) -> Vec<(Date, HolidayKind)> {
    use HolidayKind as K;
    let d = |m: i8, day: i8| date(year, m, day);
    let mut v = vec![(d(1, 1), K::NewYearsDay)];
    v.push(if year < 2000 {
        (d(1, 15), K::ComingOfAgeDay)
    } else {
        (nth_monday(year, 1, 2), K::ComingOfAgeDay)
    });
    v.push((d(2, 11), K::NationalFoundationDay));
    if year >= 2020 {
        v.push((d(2, 23), K::EmperorsBirthday));
    }
    if year == 1989 {
        v.push((d(2, 24), K::ImperialFuneral));
    }
    v.push((d(3, equinox_day(year, 20_843_100)), K::VernalEquinoxDay));
    v.push((
        d(4, 29),
        match year {
            ..=1988 => K::EmperorsBirthday,
            1989..=2006 => K::GreeneryDay,
            _ => K::ShowaDay,
        },
    ));
    if year == 2019 {
        v.push((d(5, 1), K::EnthronementDay));
    }
    v.push((d(5, 3), K::ConstitutionMemorialDay));
    if year >= 2007 {
        v.push((d(5, 4), K::GreeneryDay));
    }
    v.push((d(5, 5), K::ChildrensDay));
    if year == 1993 {
        v.push((d(6, 9), K::ImperialWedding));
    }
    match year {
        ..=1995 => {}
        1996..=2002 => v.push((d(7, 20), K::MarineDay)),
        2020 => v.push((d(7, 23), K::MarineDay)),
        2021 => v.push((d(7, 22), K::MarineDay)),
        _ => v.push((nth_monday(year, 7, 3), K::MarineDay)),
    }
    match year {
        2020 => v.push((d(7, 24), K::SportsDay)),
        2021 => v.push((d(7, 23), K::SportsDay)),
        _ => {}
    }
    match year {
        ..=2015 => {}
        2020 => v.push((d(8, 10), K::MountainDay)),
        2021 => v.push((d(8, 8), K::MountainDay)),
        _ => v.push((d(8, 11), K::MountainDay)),
    }
    v.push(if year < 2003 {
        (d(9, 15), K::RespectForTheAgedDay)
    } else {
        (nth_monday(year, 9, 3), K::RespectForTheAgedDay)
    });
    v.push((d(9, equinox_day(year, 23_248_800)), K::AutumnalEquinoxDay));
    match year {
        ..=1999 => v.push((d(10, 10), K::HealthAndSportsDay)),
        2000..=2019 => v.push((nth_monday(year, 10, 2), K::HealthAndSportsDay)),
        2020 | 2021 => {}
        _ => v.push((nth_monday(year, 10, 2), K::SportsDay)),
    }
    if year == 2019 {
        v.push((d(10, 22), K::EnthronementCeremony));
    }
    v.push((d(11, 3), K::CultureDay));
    if year == 1990 {
        v.push((d(11, 12), K::EnthronementCeremony));
    }
    v.push((d(11, 23), K::LaborThanksgivingDay));
    if (1989..=2018).contains(&year) {
        v.push((d(12, 23), K::EmperorsBirthday));
    }
    v.sort_by_key(|(day, _)| *day);
    v
}

fn next_day(d: Date) -> Date {
    // Supported years end on 2099-12-31, far from jiff's maximum date.
    d.tomorrow().unwrap_or(d)
}

/// Every public holiday of `year`, in date order: the national holidays,
/// their substitute holidays and the citizens' holidays between them.
pub fn holidays(year: i16) -> Result<Vec<Holiday>, YearOutOfRange> {
    check_year(year)?;
    let national = national_holidays(year);
    let is_national = |d: Date| national.binary_search_by_key(&d, |(n, _)| *n).is_ok();
    let mut extra: Vec<(Date, HolidayKind)> = Vec::new();

    // 振替休日. No national holiday falls on 12/24–12/31, so a substitute
    // never crosses into the next year.
    for &(day, _) in &national {
        if day.weekday() != Weekday::Sunday {
            continue;
        }
        let mut next = next_day(day);
        if year >= 2007 {
            while is_national(next) {
                next = next_day(next);
            }
            extra.push((next, HolidayKind::SubstituteHoliday));
        } else if !is_national(next) {
            extra.push((next, HolidayKind::SubstituteHoliday));
        }
    }

    // 国民の休日 (art. 3 §3 since 1985-12-27).
    if year >= 1986 {
        for pair in national.windows(2) {
            let [(a, _), (b, _)] = pair else { continue };
            let between = next_day(*a);
            if next_day(between) != *b || is_national(between) {
                continue;
            }
            let substitute = extra.iter().any(|(d, _)| *d == between);
            if substitute {
                // Already a holiday; before 2007 the rule excluded it anyway.
                continue;
            }
            if year < 2007 && between.weekday() == Weekday::Sunday {
                continue;
            }
            extra.push((between, HolidayKind::CitizensHoliday));
        }
    }

    let mut all: Vec<Holiday> = national
        .into_iter()
        .chain(extra)
        .map(|(d, k)| Holiday::new(d, k))
        .collect();
    all.sort_by_key(|h| h.date);
    all.dedup_by_key(|h| h.date);
    Ok(all)
}

/// The holiday on `day`, if it is one.
pub fn holiday_on(day: Date) -> Result<Option<Holiday>, YearOutOfRange> {
    Ok(holidays(day.year())?.into_iter().find(|h| h.date == day))
}

/// Whether `day` is a public holiday.
pub fn is_holiday(day: Date) -> Result<bool, YearOutOfRange> {
    Ok(holiday_on(day)?.is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn list(year: i16) -> Vec<(String, &'static str)> {
        holidays(year)
            .unwrap()
            .into_iter()
            .map(|h| (h.date.to_string(), h.name))
            .collect()
    }

    #[test]
    fn years_outside_the_formula_are_refused() {
        assert_eq!(holidays(1979), Err(YearOutOfRange { year: 1979 }));
        assert_eq!(holidays(2100), Err(YearOutOfRange { year: 2100 }));
        assert!(holidays(1980).is_ok());
        assert!(holidays(2099).is_ok());
        assert_eq!(
            holiday_on(date(2100, 1, 1)).unwrap_err().code(),
            "holiday_year_out_of_range"
        );
    }

    #[test]
    fn equinoxes_at_the_edges_of_the_range() {
        // 1980: 3/20 and 9/23, as observed that year. 2099: what the formula
        // gives. 2012: the autumnal equinox fell on 9/22 (the fraction is
        // 22.999, the tightest case of the range's past years).
        assert_eq!(vernal_equinox_day(1980).unwrap(), date(1980, 3, 20));
        assert_eq!(autumnal_equinox_day(1980).unwrap(), date(1980, 9, 23));
        assert_eq!(vernal_equinox_day(2099).unwrap(), date(2099, 3, 20));
        assert_eq!(autumnal_equinox_day(2099).unwrap(), date(2099, 9, 23));
        assert_eq!(autumnal_equinox_day(2012).unwrap(), date(2012, 9, 22));
    }

    #[test]
    fn the_2019_abdication_and_enthronement_year() {
        let got = list(2019);
        let want = [
            ("2019-01-01", "元日"),
            ("2019-01-14", "成人の日"),
            ("2019-02-11", "建国記念の日"),
            ("2019-03-21", "春分の日"),
            ("2019-04-29", "昭和の日"),
            ("2019-04-30", "休日"),
            ("2019-05-01", "休日（祝日扱い）"),
            ("2019-05-02", "休日"),
            ("2019-05-03", "憲法記念日"),
            ("2019-05-04", "みどりの日"),
            ("2019-05-05", "こどもの日"),
            ("2019-05-06", "休日"),
            ("2019-07-15", "海の日"),
            ("2019-08-11", "山の日"),
            ("2019-08-12", "休日"),
            ("2019-09-16", "敬老の日"),
            ("2019-09-23", "秋分の日"),
            ("2019-10-14", "体育の日"),
            ("2019-10-22", "休日（祝日扱い）"),
            ("2019-11-03", "文化の日"),
            ("2019-11-04", "休日"),
            ("2019-11-23", "勤労感謝の日"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(d, n)| (d.to_string(), *n)).collect();
        assert_eq!(got, want);
        let kinds: Vec<HolidayKind> = holidays(2019).unwrap().iter().map(|h| h.kind).collect();
        assert_eq!(kinds[5], HolidayKind::CitizensHoliday);
        assert_eq!(kinds[6], HolidayKind::EnthronementDay);
        assert_eq!(kinds[7], HolidayKind::CitizensHoliday);
        assert_eq!(kinds[11], HolidayKind::SubstituteHoliday);
    }

    #[test]
    fn rules_of_earlier_years() {
        // 2018: the last 天皇誕生日 on 12/23 (a Sunday), substitute 12/24.
        let y2018 = list(2018);
        assert!(y2018.contains(&("2018-12-23".into(), "天皇誕生日")));
        assert!(y2018.contains(&("2018-12-24".into(), "休日")));
        // 2015 and 2009: the "silver week" citizens' holiday 9/22.
        assert!(list(2015).contains(&("2015-09-22".into(), "休日")));
        assert!(list(2009).contains(&("2009-09-22".into(), "休日")));
        // 2008: みどりの日 on a Sunday; the substitute skips こどもの日 to 5/6.
        assert!(list(2008).contains(&("2008-05-06".into(), "休日")));
        // 2006: 5/4 between two holidays, before みどりの日 moved there.
        assert!(list(2006).contains(&("2006-05-04".into(), "休日")));
        // 1992: 5/3 on a Sunday: 5/4 is the substitute (and nothing else).
        let y1992 = holidays(1992).unwrap();
        let may4 = y1992.iter().find(|h| h.date == date(1992, 5, 4)).unwrap();
        assert_eq!(may4.kind, HolidayKind::SubstituteHoliday);
        // 1998: 5/4 was a Monday, between 5/3 (Sun) and 5/5: one holiday.
        assert_eq!(
            holidays(1998)
                .unwrap()
                .iter()
                .filter(|h| h.date == date(1998, 5, 4))
                .count(),
            1
        );
        // 1997: 5/4 on a Sunday was not a citizens' holiday (before 2007).
        assert!(!is_holiday(date(1997, 5, 4)).unwrap());
        // The one-off days.
        assert!(list(1989).contains(&("1989-02-24".into(), "大喪の礼")));
        assert!(list(1990).contains(&("1990-11-12".into(), "即位礼正殿の儀")));
        assert!(list(1993).contains(&("1993-06-09".into(), "結婚の儀")));
        // Before 2000, 成人の日 on 1/15 and 体育の日 on 10/10.
        assert!(list(1995).contains(&("1995-01-15".into(), "成人の日")));
        assert!(list(1995).contains(&("1995-01-16".into(), "休日")));
        assert!(list(1999).contains(&("1999-10-10".into(), "体育の日")));
        assert!(list(1999).contains(&("1999-10-11".into(), "休日")));
        // 1985: no citizens' holiday rule yet, 天皇誕生日 on 4/29.
        assert!(list(1985).contains(&("1985-04-29".into(), "天皇誕生日")));
        assert!(!is_holiday(date(1985, 5, 4)).unwrap());
        // 1988: the first 5/4 citizens' holiday (a Wednesday).
        assert!(list(1988).contains(&("1988-05-04".into(), "休日")));
    }

    #[test]
    fn happy_mondays_are_mondays() {
        for year in SUPPORTED_YEARS {
            for h in holidays(year).unwrap() {
                if matches!(
                    h.kind,
                    HolidayKind::ComingOfAgeDay
                        | HolidayKind::RespectForTheAgedDay
                        | HolidayKind::HealthAndSportsDay
                ) && year >= 2003
                {
                    assert_eq!(h.date.weekday(), Weekday::Monday, "{h:?}");
                }
            }
        }
    }
}
