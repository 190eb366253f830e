//! Japanese public holidays against the Cabinet Office's official list
//! (`syukujitsu.csv`, same format) for every year 2020–2027, and the rules'
//! properties for every supported year.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::civil::{Date, Weekday};
use jousei_core::calendar::holidays::{
    FIRST_SUPPORTED_YEAR, LAST_SUPPORTED_YEAR, YearOutOfRange, holiday_on, holidays, is_holiday,
};
use jousei_core::calendar::{Holiday, HolidayKind, SUPPORTED_YEARS};
use proptest::prelude::*;

/// The official list, `YYYY/M/D,名称` after one header line.
fn official() -> Vec<(Date, String)> {
    let text = include_str!("data/holidays_2020_2027.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("国民の祝日・休日月日,国民の祝日・休日名称")
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (d, name) = l.split_once(',').unwrap();
            let p: Vec<i16> = d.split('/').map(|x| x.parse().unwrap()).collect();
            let date = Date::new(
                p[0],
                i8::try_from(p[1]).unwrap(),
                i8::try_from(p[2]).unwrap(),
            )
            .unwrap();
            (date, name.to_string())
        })
        .collect()
}

#[test]
fn every_year_2020_to_2027_matches_the_official_list() {
    let want = official();
    for year in 2020..=2027i16 {
        let expected: Vec<(Date, String)> = want
            .iter()
            .filter(|(d, _)| d.year() == year)
            .cloned()
            .collect();
        assert!(!expected.is_empty(), "{year} missing from the test data");
        let got: Vec<(Date, String)> = holidays(year)
            .unwrap()
            .into_iter()
            .map(|h| (h.date, h.name.to_string()))
            .collect();
        assert_eq!(got, expected, "holidays of {year}");
    }
    // 18 + 17 + 16 + 17 + 21 + 19 + 18 + 17 days.
    assert_eq!(want.len(), 143);
}

#[test]
fn the_days_the_issue_names() {
    let kind = |y, m, d| {
        holiday_on(jiff::civil::date(y, m, d))
            .unwrap()
            .map(|h| h.kind)
    };
    use HolidayKind::*;
    // Olympic moves.
    assert_eq!(kind(2020, 7, 23), Some(MarineDay));
    assert_eq!(kind(2020, 7, 24), Some(SportsDay));
    assert_eq!(kind(2020, 8, 10), Some(MountainDay));
    assert_eq!(kind(2020, 8, 11), None);
    assert_eq!(kind(2020, 10, 12), None);
    assert_eq!(kind(2021, 7, 22), Some(MarineDay));
    assert_eq!(kind(2021, 7, 23), Some(SportsDay));
    assert_eq!(kind(2021, 8, 8), Some(MountainDay));
    assert_eq!(kind(2021, 8, 9), Some(SubstituteHoliday));
    assert_eq!(kind(2021, 10, 11), None);
    // 2024 substitutes.
    for (m, d) in [(2, 12), (5, 6), (8, 12), (9, 23), (11, 4)] {
        assert_eq!(kind(2024, m, d), Some(SubstituteHoliday), "2024-{m}-{d}");
    }
    // 2025 substitutes.
    for (m, d) in [(2, 24), (5, 6), (11, 24)] {
        assert_eq!(kind(2025, m, d), Some(SubstituteHoliday), "2025-{m}-{d}");
    }
    // 2026: citizens' holiday between 敬老の日 and 秋分の日; 5/6 substitute.
    assert_eq!(kind(2026, 9, 22), Some(CitizensHoliday));
    assert_eq!(kind(2026, 5, 6), Some(SubstituteHoliday));
    // The Emperor's birthday over the era change.
    assert_eq!(kind(2018, 12, 23), Some(EmperorsBirthday));
    assert_eq!(kind(2019, 12, 23), None);
    assert_eq!(kind(2019, 2, 23), None);
    assert_eq!(kind(2020, 2, 23), Some(EmperorsBirthday));
    assert_eq!(kind(2020, 12, 23), None);
    // 体育の日 became スポーツの日.
    assert_eq!(kind(2019, 10, 14), Some(HealthAndSportsDay));
    assert_eq!(kind(2022, 10, 10), Some(SportsDay));
    // English names.
    let h = holiday_on(jiff::civil::date(2026, 9, 22)).unwrap().unwrap();
    assert_eq!((h.name, h.name_en), ("休日", "Citizens' Holiday"));
    assert_eq!(HolidayKind::SubstituteHoliday.law_name_ja(), "振替休日");
}

#[test]
fn the_range_is_enforced() {
    assert_eq!(SUPPORTED_YEARS, FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR);
    assert_eq!(holidays(1979), Err(YearOutOfRange { year: 1979 }));
    assert_eq!(holidays(2100), Err(YearOutOfRange { year: 2100 }));
    assert!(is_holiday(jiff::civil::date(1979, 1, 1)).is_err());
}

#[test]
fn json_shape() {
    let h = holiday_on(jiff::civil::date(2025, 11, 24))
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(h).unwrap(),
        serde_json::json!({
            "date": "2025-11-24",
            "name": "休日",
            "name_en": "Substitute Holiday",
            "kind": "substitute_holiday"
        })
    );
}

fn day_before(d: Date) -> Date {
    d.yesterday().unwrap()
}

/// The rules' properties for one year.
fn check_year(year: i16) -> Result<(), TestCaseError> {
    let list = holidays(year).unwrap();
    let national = |d: Date| {
        list.iter()
            .any(|h: &Holiday| h.date == d && h.kind.is_national_holiday())
    };
    // Sorted, no duplicate day, all in the year.
    prop_assert!(
        list.windows(2).all(|w| w[0].date < w[1].date),
        "{year} not sorted"
    );
    prop_assert!(list.iter().all(|h| h.date.year() == year));
    for h in &list {
        match h.kind {
            HolidayKind::SubstituteHoliday => {
                // Walking back over national holidays reaches a Sunday one.
                prop_assert!(!national(h.date));
                let mut d = day_before(h.date);
                let mut steps = 0;
                while national(d) && d.weekday() != Weekday::Sunday {
                    d = day_before(d);
                    steps += 1;
                }
                prop_assert!(national(d) && d.weekday() == Weekday::Sunday, "{h:?}");
                if year < 2007 {
                    prop_assert_eq!(steps, 0, "before 2007 only the next day: {:?}", h);
                }
            }
            HolidayKind::CitizensHoliday => {
                prop_assert!(!national(h.date));
                prop_assert!(national(day_before(h.date)), "{h:?}");
                prop_assert!(national(h.date.tomorrow().unwrap()), "{h:?}");
                prop_assert!(year >= 1986);
            }
            HolidayKind::ImperialFuneral
            | HolidayKind::EnthronementCeremony
            | HolidayKind::ImperialWedding
            | HolidayKind::EnthronementDay => {}
            // Ordinary holidays carry the name the law gives them.
            _ => prop_assert_eq!(h.name, h.kind.law_name_ja()),
        }
        prop_assert_eq!(h.name_en, h.kind.name_en());
        prop_assert_eq!(holiday_on(h.date).unwrap(), Some(*h));
    }
    // Every national holiday on a Sunday has its substitute (from 1980 the
    // substitute rule is in force).
    for h in list.iter().filter(|h| h.kind.is_national_holiday()) {
        if h.date.weekday() != Weekday::Sunday {
            continue;
        }
        let mut d = h.date.tomorrow().unwrap();
        while national(d) {
            d = d.tomorrow().unwrap();
        }
        let next_is_substitute = list
            .iter()
            .any(|x| x.date == d && x.kind == HolidayKind::SubstituteHoliday);
        // Before 2007 the substitute is the Monday only, and only when the
        // Monday is not itself a national holiday.
        if year >= 2007 || d == h.date.tomorrow().unwrap() {
            prop_assert!(next_is_substitute, "no substitute after {h:?}");
        }
    }
    // Two equinoxes, and at least the 12 holidays of the early 1980s.
    prop_assert_eq!(
        list.iter()
            .filter(|h| matches!(
                h.kind,
                HolidayKind::VernalEquinoxDay | HolidayKind::AutumnalEquinoxDay
            ))
            .count(),
        2
    );
    prop_assert!(list.len() >= 12, "{year}: {}", list.len());
    Ok(())
}

#[test]
fn the_rules_hold_in_every_supported_year() {
    for year in SUPPORTED_YEARS {
        check_year(year).unwrap();
    }
}

proptest! {
    #[test]
    fn holiday_lists_keep_their_rules(year in FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR) {
        check_year(year)?;
    }

    /// `holiday_on` agrees with the year's list for any day.
    #[test]
    fn holiday_on_agrees_with_the_list(year in FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR, doy in 1i16..=365) {
        let d = jiff::civil::date(year, 1, 1).with().day_of_year(doy).build().unwrap();
        let in_list = holidays(year).unwrap().into_iter().find(|h| h.date == d);
        prop_assert_eq!(holiday_on(d).unwrap(), in_list);
        prop_assert_eq!(is_holiday(d).unwrap(), in_list.is_some());
    }
}
