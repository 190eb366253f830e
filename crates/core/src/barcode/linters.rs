//! Character sets, GS1 dates and the component linters named in the Syntax Dictionary.
//!
//! Every linter of the dictionary is matched here exhaustively (the `Linter` enum is
//! generated), so a dictionary update that introduces a new linter fails to compile until it
//! is handled. Linters whose full check needs an external code list (ISO 3166 country codes,
//! ISO 4217 currencies, the UN/ECE package-type list, coupon structures) check the format only;
//! `docs/barcodes.md` lists them. None of them concerns the AIs a clinic's vials carry.

use jiff::civil::{Date, Time};

use super::dictionary::{Cset, Linter};

/// GS1 AI encodable character set 82.
const CSET82: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// GS1 AI encodable character set 39.
const CSET39: &str = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Check-character alphabet of the alphanumeric check pair (CSET 32).
const CSET32: &str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Whether `c` belongs to the character set.
pub(crate) fn in_cset(cset: Cset, c: char) -> bool {
    match cset {
        Cset::N => c.is_ascii_digit(),
        Cset::X => CSET82.contains(c),
        Cset::Y => CSET39.contains(c),
        Cset::Z => c.is_ascii_alphanumeric() || c == '-' || c == '_',
    }
}

/// What a linter found wrong, with the offset of the bad part inside the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LintFailure {
    pub offset: usize,
    pub problem: Problem,
}

/// The kinds of content problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    CheckDigit { expected: String, found: String },
    Date(DateProblem),
    Time,
    Other(&'static str),
}

/// Why a date is impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// Not six (or eight) digits.
    Format,
    /// Month outside 01–12.
    Month,
    /// Day outside the month (or `00` where the AI requires a real day).
    Day,
}

impl DateProblem {
    /// Stable snake_case name used in error details.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::Month => "month",
            Self::Day => "day",
        }
    }
}

fn fail(offset: usize, problem: Problem) -> Result<(), LintFailure> {
    Err(LintFailure { offset, problem })
}

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn num(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// GS1 mod-10 check digit of `body` (the digits before the check digit), or `None` if `body`
/// is not all digits.
pub fn gs1_check_digit(body: &str) -> Option<char> {
    let ds = digits(body)?;
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// Full year for a two-digit GS1 year relative to `today` (GS1 General Specifications §7.12:
/// from 49 years in the past to 50 years in the future).
pub fn gs1_year(yy: i16, today: Date) -> i16 {
    let this_year = today.year();
    let mut year = this_year - this_year.rem_euclid(100) + yy;
    if year > this_year + 50 {
        year -= 100;
    } else if year < this_year - 49 {
        year += 100;
    }
    year
}

/// A GS1 `YYMMDD` date, resolved with the century window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gs1Date {
    /// The calendar date (day `00` resolved to the last day of the month).
    pub date: Date,
    /// The day was `00` ("no day specified").
    pub day_unspecified: bool,
}

/// Parse a GS1 `YYMMDD` date. `allow_day_zero` is the `yymmd0` linter (day `00` = last day of
/// the month); `yymmdd` requires a real day.
pub fn parse_yymmdd(s: &str, today: Date, allow_day_zero: bool) -> Result<Gs1Date, DateProblem> {
    let (Some(yy), Some(mm), Some(dd), 6) = (
        s.get(0..2).and_then(num),
        s.get(2..4).and_then(num),
        s.get(4..6).and_then(num),
        s.len(),
    ) else {
        return Err(DateProblem::Format);
    };
    let year = gs1_year(i16::try_from(yy).map_err(|_| DateProblem::Format)?, today);
    calendar_date(year, mm, dd, allow_day_zero)
}

/// Parse a `YYYYMMDD` date (real day required).
pub fn parse_yyyymmdd(s: &str) -> Result<Date, DateProblem> {
    let (Some(yyyy), Some(mm), Some(dd), 8) = (
        s.get(0..4).and_then(num),
        s.get(4..6).and_then(num),
        s.get(6..8).and_then(num),
        s.len(),
    ) else {
        return Err(DateProblem::Format);
    };
    let year = i16::try_from(yyyy).map_err(|_| DateProblem::Format)?;
    calendar_date(year, mm, dd, false).map(|d| d.date)
}

fn calendar_date(
    year: i16,
    mm: u64,
    dd: u64,
    allow_day_zero: bool,
) -> Result<Gs1Date, DateProblem> {
    let month = i8::try_from(mm).map_err(|_| DateProblem::Month)?;
    if !(1..=12).contains(&month) {
        return Err(DateProblem::Month);
    }
    let first = Date::new(year, month, 1).map_err(|_| DateProblem::Format)?;
    let last_day = first.days_in_month();
    let day = i8::try_from(dd).map_err(|_| DateProblem::Day)?;
    if day == 0 && allow_day_zero {
        let date = Date::new(year, month, last_day).map_err(|_| DateProblem::Day)?;
        return Ok(Gs1Date {
            date,
            day_unspecified: true,
        });
    }
    if !(1..=last_day).contains(&day) {
        return Err(DateProblem::Day);
    }
    let date = Date::new(year, month, day).map_err(|_| DateProblem::Day)?;
    Ok(Gs1Date {
        date,
        day_unspecified: false,
    })
}

/// Parse `HHMM` (00:00–23:59).
pub fn parse_hhmi(s: &str) -> Option<Time> {
    if s.len() != 4 {
        return None;
    }
    let h = i8::try_from(s.get(0..2).and_then(num)?).ok()?;
    let m = i8::try_from(s.get(2..4).and_then(num)?).ok()?;
    Time::new(h, m, 0, 0).ok()
}

fn two_digits_at_most(s: &str, max: u64) -> bool {
    s.len() == 2 && num(s).is_some_and(|v| v <= max)
}

fn check_pair(s: &str) -> Result<(), LintFailure> {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < 2 {
        return fail(0, Problem::Other("too short for a check character pair"));
    }
    let primes = first_primes(n - 2);
    let mut sum: usize = 0;
    for (i, c) in chars[..n - 2].iter().enumerate() {
        let Some(w) = CSET82.find(*c) else {
            return fail(i, Problem::Other("not in CSET 82"));
        };
        sum += w * primes[n - 3 - i];
    }
    sum %= 1021;
    let cset32: Vec<char> = CSET32.chars().collect();
    let expected: String = [cset32[sum >> 5], cset32[sum & 31]].iter().collect();
    let found: String = chars[n - 2..].iter().collect();
    if expected != found {
        return fail(n - 2, Problem::CheckDigit { expected, found });
    }
    Ok(())
}

fn first_primes(count: usize) -> Vec<usize> {
    let mut primes = Vec::with_capacity(count);
    let mut candidate = 2;
    while primes.len() < count {
        if primes
            .iter()
            .take_while(|p| *p * *p <= candidate)
            .all(|p| candidate % p != 0)
        {
            primes.push(candidate);
        }
        candidate += 1;
    }
    primes
}

fn iban(s: &str) -> Result<(), LintFailure> {
    let b = s.as_bytes();
    if !(5..=34).contains(&b.len()) {
        return fail(0, Problem::Other("an IBAN has 5 to 34 characters"));
    }
    if !b[..2].iter().all(u8::is_ascii_uppercase) {
        return fail(
            0,
            Problem::Other("an IBAN starts with a two-letter country code"),
        );
    }
    if !b[2..4].iter().all(u8::is_ascii_digit) {
        return fail(
            2,
            Problem::Other("an IBAN has two check digits after the country code"),
        );
    }
    if let Some(i) = b
        .iter()
        .position(|c| !(c.is_ascii_digit() || c.is_ascii_uppercase()))
    {
        return fail(
            i,
            Problem::Other("an IBAN has only digits and capital letters"),
        );
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = u32::from(if c.is_ascii_digit() {
            c - b'0'
        } else {
            c - b'A' + 10
        });
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem != 1 {
        return fail(
            2,
            Problem::CheckDigit {
                expected: "mod 97 = 1".into(),
                found: format!("mod 97 = {rem}"),
            },
        );
    }
    Ok(())
}

fn posinseqslash(s: &str) -> Result<(), LintFailure> {
    let Some((p, e)) = s.split_once('/') else {
        return fail(0, Problem::Other("expected <position>/<end>"));
    };
    if p.is_empty() || e.is_empty() || num(p).is_none() || num(e).is_none() {
        return fail(0, Problem::Other("expected <position>/<end>"));
    }
    if p.starts_with('0') {
        return fail(0, Problem::Other("position must not start with zero"));
    }
    if e.starts_with('0') {
        return fail(p.len() + 1, Problem::Other("end must not start with zero"));
    }
    if (p.len(), p) > (e.len(), e) {
        return fail(0, Problem::Other("position exceeds end"));
    }
    Ok(())
}

/// Apply one linter to a component value (already checked against its character set).
pub(crate) fn lint(linter: Linter, s: &str, today: Date) -> Result<(), LintFailure> {
    let len = s.len();
    match linter {
        Linter::Csum => {
            let (body, check) = s.split_at(len.saturating_sub(1));
            match gs1_check_digit(body) {
                Some(expected) if check.starts_with(expected) => Ok(()),
                Some(expected) => fail(
                    len.saturating_sub(1),
                    Problem::CheckDigit {
                        expected: expected.to_string(),
                        found: check.to_owned(),
                    },
                ),
                None => fail(0, Problem::Other("check digit needs digits")),
            }
        }
        Linter::Csumalpha => check_pair(s),
        Linter::Gcppos1 | Linter::Gcppos2 => {
            let start = usize::from(linter == Linter::Gcppos2);
            match s.get(start..start + 4) {
                Some(gcp) if gcp.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
                _ => fail(
                    start,
                    Problem::Other("a GS1 Company Prefix starts with four digits"),
                ),
            }
        }
        Linter::Hasnondigit => {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                fail(0, Problem::Other("must contain a non-digit"))
            } else {
                Ok(())
            }
        }
        Linter::Hh => time_check(two_digits_at_most(s, 23)),
        Linter::Mi | Linter::Ss => time_check(two_digits_at_most(s, 59)),
        Linter::Hhmi => time_check(parse_hhmi(s).is_some()),
        Linter::Hyphen => match s.find(|c| c != '-') {
            Some(i) => fail(i, Problem::Other("only '-' is allowed here")),
            None => Ok(()),
        },
        Linter::Iban => iban(s),
        Linter::Importeridx => {
            let ok = len == 1
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if ok {
                Ok(())
            } else {
                fail(
                    0,
                    Problem::Other("importer index is one of 0-9 A-Z a-z - _"),
                )
            }
        }
        // Format only: membership of the ISO code lists is not checked (see module docs).
        Linter::Iso3166 | Linter::Iso3166999 | Linter::Iso4217 => {
            if len == 3 && num(s).is_some() {
                Ok(())
            } else {
                fail(0, Problem::Other("expected a three-digit code"))
            }
        }
        Linter::Iso3166alpha2 => {
            if len == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(())
            } else {
                fail(0, Problem::Other("expected a two-letter country code"))
            }
        }
        Linter::Iso5218 => {
            if matches!(s, "0" | "1" | "2" | "9") {
                Ok(())
            } else {
                fail(0, Problem::Other("sex code is 0, 1, 2 or 9"))
            }
        }
        Linter::Latitude => {
            if num(s).is_some_and(|v| v <= 1_800_000_000) {
                Ok(())
            } else {
                fail(0, Problem::Other("latitude out of range"))
            }
        }
        Linter::Longitude => {
            if num(s).is_some_and(|v| v <= 3_600_000_000) {
                Ok(())
            } else {
                fail(0, Problem::Other("longitude out of range"))
            }
        }
        Linter::Mediatype => {
            let ok =
                len == 2 && num(s).is_some_and(|v| (1..=10).contains(&v) || (80..=99).contains(&v));
            if ok {
                Ok(())
            } else {
                fail(0, Problem::Other("AIDC media type is 01-10 or 80-99"))
            }
        }
        Linter::Nonzero => {
            if s.bytes().all(|b| b == b'0') {
                fail(0, Problem::Other("must not be zero"))
            } else {
                Ok(())
            }
        }
        Linter::Nozeroprefix => {
            if len > 1 && s.starts_with('0') {
                fail(0, Problem::Other("must not start with zero"))
            } else {
                Ok(())
            }
        }
        Linter::Pcenc => {
            let b = s.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                if c == b'%' {
                    let hex = b
                        .get(i + 1..i + 3)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                    if !hex {
                        return fail(i, Problem::Other("'%' must be followed by two hex digits"));
                    }
                }
            }
            Ok(())
        }
        Linter::Pieceoftotal => match (s.get(0..2).and_then(num), s.get(2..4).and_then(num), len) {
            (Some(p), Some(t), 4) if p >= 1 && t >= 1 && p <= t => Ok(()),
            _ => fail(
                0,
                Problem::Other("piece must be 01..total and total non-zero"),
            ),
        },
        Linter::Posinseqslash => posinseqslash(s),
        Linter::Winding => {
            if matches!(s, "0" | "1" | "9") {
                Ok(())
            } else {
                fail(0, Problem::Other("winding direction is 0, 1 or 9"))
            }
        }
        Linter::Yesno => {
            if matches!(s, "0" | "1") {
                Ok(())
            } else {
                fail(0, Problem::Other("expected 0 or 1"))
            }
        }
        Linter::Yymmd0 | Linter::Yymmdd => parse_yymmdd(s, today, linter == Linter::Yymmd0)
            .map(|_| ())
            .map_err(|p| LintFailure {
                offset: 0,
                problem: Problem::Date(p),
            }),
        Linter::Yyyymmdd => parse_yyyymmdd(s).map(|_| ()).map_err(|p| LintFailure {
            offset: 0,
            problem: Problem::Date(p),
        }),
        Linter::Zero => {
            if s == "0" {
                Ok(())
            } else {
                fail(0, Problem::Other("must be 0"))
            }
        }
        // Format only: the package-type code list is not checked (see module docs).
        Linter::Packagetype => {
            if (1..=3).contains(&len) {
                Ok(())
            } else {
                fail(0, Problem::Other("package type code has 1 to 3 characters"))
            }
        }
        // Coupon structures (AIs 8110/8112, North American coupons): only the character set is
        // checked (see module docs).
        Linter::Couponcode | Linter::Couponposoffer => Ok(()),
    }
}

fn time_check(ok: bool) -> Result<(), LintFailure> {
    if ok { Ok(()) } else { fail(0, Problem::Time) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 22);

    #[test]
    fn gtin_check_digits_g27() {
        for ok in [
            "02345673",
            "416000336108",
            "1234567890128",
            "12345678901231",
            "123456789012345675",
        ] {
            assert!(lint(Linter::Csum, ok, TODAY).is_ok(), "{ok}");
        }
        for bad in ["12345673", "12345678901232", "123456789012345670"] {
            assert!(
                matches!(
                    lint(Linter::Csum, bad, TODAY),
                    Err(LintFailure {
                        problem: Problem::CheckDigit { .. },
                        ..
                    })
                ),
                "{bad}"
            );
        }
        // §2.6 worked examples.
        assert_eq!(gs1_check_digit("952012345678"), Some('8'));
        assert_eq!(gs1_check_digit("491234567890"), Some('4'));
        assert_eq!(gs1_check_digit("1491234567890"), Some('1'));
        assert_eq!(gs1_check_digit("2491234567890"), Some('8'));
        for (body, check) in [
            ("629104150021", '3'),
            ("703801005447", '1'),
            ("950110153100", '0'),
            ("978820551237", '5'),
            ("708000382434", '9'),
            ("37610425002123456", '9'),
        ] {
            assert_eq!(gs1_check_digit(body), Some(check), "{body}");
        }
    }

    #[test]
    fn yymmd0_linter_g17() {
        for ok in ["200600", "240229"] {
            assert!(lint(Linter::Yymmd0, ok, TODAY).is_ok(), "{ok}");
        }
        for (bad, problem) in [
            ("230229", DateProblem::Day),
            ("200230", DateProblem::Day),
            ("200132", DateProblem::Day),
            ("200010", DateProblem::Month),
            ("201310", DateProblem::Month),
        ] {
            assert_eq!(
                lint(Linter::Yymmd0, bad, TODAY).unwrap_err().problem,
                Problem::Date(problem),
                "{bad}"
            );
        }
        assert_eq!(
            parse_yymmdd("1111111", TODAY, true),
            Err(DateProblem::Format)
        );
        assert_eq!(parse_yymmdd("200600", TODAY, false), Err(DateProblem::Day));
    }

    #[test]
    fn day_zero_is_last_day_of_month_g14() {
        let d = |s| parse_yymmdd(s, TODAY, true).unwrap();
        assert_eq!(d("200200").date, date(2020, 2, 29));
        assert!(d("200200").day_unspecified);
        assert_eq!(d("210200").date, date(2021, 2, 28));
        assert_eq!(d("211200").date, date(2021, 12, 31));
        assert_eq!(d("030201").date, date(2003, 2, 1));
        assert!(!d("030201").day_unspecified);
        assert_eq!(parse_yymmdd("990229", TODAY, true), Err(DateProblem::Day));
        assert_eq!(parse_yymmdd("220230", TODAY, true), Err(DateProblem::Day));
    }

    #[test]
    fn century_window_follows_today() {
        assert_eq!(gs1_year(76, TODAY), 2076);
        assert_eq!(gs1_year(77, TODAY), 1977);
        assert_eq!(gs1_year(99, TODAY), 1999);
        assert_eq!(gs1_year(0, TODAY), 2000);
        assert_eq!(gs1_year(1, date(2099, 6, 1)), 2101);
        assert_eq!(gs1_year(50, date(2099, 6, 1)), 2050);
        assert_eq!(gs1_year(49, date(2099, 6, 1)), 2149);
        // "00" in 2100 is year 2100, not a leap year.
        assert_eq!(
            parse_yymmdd("000229", date(2090, 1, 1), true),
            Err(DateProblem::Day)
        );
    }

    #[test]
    fn times() {
        assert!(lint(Linter::Hhmi, "2359", TODAY).is_ok());
        assert!(lint(Linter::Hhmi, "2400", TODAY).is_err());
        assert!(lint(Linter::Hhmi, "1260", TODAY).is_err());
        assert!(lint(Linter::Hh, "23", TODAY).is_ok());
        assert!(lint(Linter::Hh, "24", TODAY).is_err());
        assert!(lint(Linter::Mi, "60", TODAY).is_err());
    }

    #[test]
    fn alphanumeric_check_pair() {
        for ok in [
            "22",
            "!22",
            "1987654Ad4X4bL5ttr2310c2K",
            "12345678901234567890123NT",
            "00000!HV",
        ] {
            assert!(check_pair(ok).is_ok(), "{ok}");
        }
        for bad in ["33", "1987654Ad4X4bL5ttr2310cXK", "2"] {
            assert!(check_pair(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_linters() {
        assert!(posinseqslash("9/10").is_ok());
        assert!(posinseqslash("10/9").is_err());
        assert!(posinseqslash("01/2").is_err());
        assert!(posinseqslash("1//2").is_err());
        assert!(lint(Linter::Pieceoftotal, "0102", TODAY).is_ok());
        assert!(lint(Linter::Pieceoftotal, "0301", TODAY).is_err());
        assert!(lint(Linter::Mediatype, "10", TODAY).is_ok());
        assert!(lint(Linter::Mediatype, "11", TODAY).is_err());
        assert!(iban("GB82WEST12345698765432").is_ok());
        assert!(iban("GB82WEST12345698765433").is_err());
        assert!(lint(Linter::Pcenc, "a%20b", TODAY).is_ok());
        assert!(lint(Linter::Pcenc, "a%2", TODAY).is_err());
        assert!(lint(Linter::Gcppos2, "09520123456788", TODAY).is_ok());
        assert!(lint(Linter::Gcppos1, "12A4", TODAY).is_err());
        assert!(lint(Linter::Nozeroprefix, "0", TODAY).is_ok());
        assert!(lint(Linter::Nozeroprefix, "01", TODAY).is_err());
        assert!(in_cset(Cset::X, '_') && !in_cset(Cset::X, ' ') && !in_cset(Cset::X, '^'));
        assert!(in_cset(Cset::Y, '#') && !in_cset(Cset::Y, 'a'));
        assert!(in_cset(Cset::Z, '-') && !in_cset(Cset::Z, '+'));
    }
}
