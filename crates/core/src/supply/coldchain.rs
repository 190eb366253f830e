//! The cold chain: temperature data-logger files, excursions, and a small
//! chart of the readings.
//!
//! Pure: the file's text and the clinic's time zone come in as arguments;
//! nothing here reads a file or the clock. The accepted formats, the
//! excursion rule and the chart are described in `docs/coldchain.md`.
//!
//! # Logger files
//! [`parse_logger_csv`] reads the CSV files clinic data loggers export:
//! jousei's own `timestamp,temperature_c`, or the common layout with `Date`
//! and `Time` columns (`日付,時刻,温度(℃)` too), with `,`, `;` or tab
//! separators, an optional BOM, CRLF line ends, `#` comment lines and
//! metadata lines before the header (the device serial is kept). Readings
//! must be in time order: a file from one logger always is, so a step back
//! in time means a reset clock or spliced files, and a person should look
//! at it rather than jousei guess (`logger_out_of_order`). Two readings at
//! the same instant are refused (`logger_duplicate_time`).
//!
//! # Excursions
//! [`analyse`] (and its short form [`find_excursions`]) finds runs of
//! consecutive readings outside the allowed range `[min, max]` (inclusive:
//! a reading exactly at `min` or `max` is in range). A run lasts from its
//! first out-of-range reading to the first reading back in range, or, when
//! the file ends out of range, to its last reading (`ongoing`). A run that
//! lasts longer than the tolerance is an excursion; a shorter one (or one
//! exactly at the tolerance) is a brief deviation, reported separately for
//! display. Gaps between readings longer than `max_gap_minutes` are reported
//! as [`Gap`]s: the temperature during a gap is unknown. A gap never ends a
//! run (a run only ends at a reading back in range, so an out-of-range
//! reading followed by a long silence counts the whole silence), and never
//! creates an excursion by itself.

use std::fmt::Write as _;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::units::{DeciCelsius, fmt_fixed, parse_fixed};
use crate::error::Coded;

/// The most data rows a logger file may have (a 5-minute logger fills this
/// in about 23 months).
pub const MAX_ROWS: usize = 200_000;

/// The largest logger file accepted, in bytes.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// How many non-blank lines may come before the header row.
pub const MAX_PREAMBLE_LINES: usize = 64;

/// The default longest silence between two readings before it is reported
/// as a [`Gap`], in minutes.
pub const DEFAULT_MAX_GAP_MINUTES: u32 = 60;

/// Lowest and highest plausible reading (−200.0 °C … +100.0 °C), as for
/// [`DeciCelsius::parse`].
const PLAUSIBLE: std::ops::RangeInclusive<i64> = -2000..=1000;

/// One temperature reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reading {
    pub at: Timestamp,
    pub temp: DeciCelsius,
}

/// How the times are laid out in a logger file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeLayout {
    /// One column with date and time (`timestamp`, `Date/Time`, `日時`, or
    /// a `Date` column without a `Time` column).
    Combined,
    /// Separate `Date` and `Time` columns.
    SplitDateTime,
}

/// A parsed logger file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggerFile {
    /// The device serial from the metadata lines, if the file has one.
    pub device_id: Option<String>,
    pub layout: TimeLayout,
    /// The column separator found: `,`, `;` or `\t`.
    pub separator: char,
    /// 1-based line number of the header row.
    pub header_line: usize,
    /// The readings, in time order, none at the same instant.
    pub readings: Vec<Reading>,
}

/// Why a logger file cannot be read. Every variant names the 1-based line
/// (and, for a cell, the 1-based column) where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LoggerError {
    /// Nothing but blank lines, comments or a BOM.
    #[error("logger_empty")]
    #[serde(rename = "logger_empty")]
    Empty,
    /// More than [`MAX_BYTES`] bytes or more than [`MAX_ROWS`] rows.
    #[error("logger_too_large: more than {limit} {unit} (line {line})")]
    #[serde(rename = "logger_too_large")]
    TooLarge {
        line: usize,
        limit: usize,
        /// `bytes` or `rows`.
        unit: &'static str,
    },
    /// No header row with a time column (`timestamp`, or `Date` and `Time`)
    /// and a temperature column (`temperature_c`, or a header containing
    /// `°C`, `℃`, `Temp` or `温度`) within the first lines.
    #[error("logger_no_header (line {line})")]
    #[serde(rename = "logger_no_header")]
    NoHeader { line: usize },
    /// The header names two temperature columns (a two-probe logger):
    /// jousei will not guess which probe is the storage location's.
    #[error("logger_ambiguous_column: column {column} (line {line})")]
    #[serde(rename = "logger_ambiguous_column")]
    AmbiguousColumn { line: usize, column: usize },
    /// The temperature column is in degrees Fahrenheit.
    #[error("logger_fahrenheit: column {column} (line {line})")]
    #[serde(rename = "logger_fahrenheit")]
    Fahrenheit { line: usize, column: usize },
    /// A row with fewer cells than the columns jousei reads, or with
    /// non-empty cells beyond the header.
    #[error("logger_bad_row: line {line}, column {column}: {found} cells, header has {expected}")]
    #[serde(rename = "logger_bad_row")]
    BadRow {
        line: usize,
        column: usize,
        expected: usize,
        found: usize,
    },
    /// A date or time that cannot be read, or a local time that does not
    /// exist or exists twice in the clinic's zone (a daylight-saving change).
    #[error("logger_bad_timestamp: line {line}, column {column}: {value:?}")]
    #[serde(rename = "logger_bad_timestamp")]
    BadTimestamp {
        line: usize,
        column: usize,
        value: String,
    },
    /// A temperature that is not a number with at most three decimals.
    #[error("logger_bad_temperature: line {line}, column {column}: {value:?}")]
    #[serde(rename = "logger_bad_temperature")]
    BadTemperature {
        line: usize,
        column: usize,
        value: String,
    },
    /// A temperature outside −200 °C … +100 °C.
    #[error("logger_temperature_out_of_range: line {line}, column {column}: {value:?}")]
    #[serde(rename = "logger_temperature_out_of_range")]
    TemperatureOutOfRange {
        line: usize,
        column: usize,
        value: String,
    },
    /// A decimal comma (`4,5`) in a comma-separated file: `4,5` cannot be
    /// told apart from two cells `4` and `5`. Export with a decimal point,
    /// or with `;` or tab as the separator.
    #[error("logger_decimal_comma: line {line}, column {column}")]
    #[serde(rename = "logger_decimal_comma")]
    DecimalComma { line: usize, column: usize },
    /// Two readings at the same instant.
    #[error("logger_duplicate_time: line {line} repeats the time of line {first_line}")]
    #[serde(rename = "logger_duplicate_time")]
    DuplicateTime { line: usize, first_line: usize },
    /// A reading earlier than the one before it.
    #[error("logger_out_of_order: line {line} is earlier than line {previous_line}")]
    #[serde(rename = "logger_out_of_order")]
    OutOfOrder { line: usize, previous_line: usize },
    /// A header but no reading after it.
    #[error("logger_no_readings (header on line {line})")]
    #[serde(rename = "logger_no_readings")]
    NoReadings { line: usize },
}

impl LoggerError {
    /// Every `code()` a logger error can have, in declaration order.
    pub const ALL_CODES: &'static [&'static str] = &[
        "logger_empty",
        "logger_too_large",
        "logger_no_header",
        "logger_ambiguous_column",
        "logger_fahrenheit",
        "logger_bad_row",
        "logger_bad_timestamp",
        "logger_bad_temperature",
        "logger_temperature_out_of_range",
        "logger_decimal_comma",
        "logger_duplicate_time",
        "logger_out_of_order",
        "logger_no_readings",
    ];

    /// The stable snake_case code.
    pub const fn code(&self) -> &'static str {
        match self {
            LoggerError::Empty => "logger_empty",
            LoggerError::TooLarge { .. } => "logger_too_large",
            LoggerError::NoHeader { .. } => "logger_no_header",
            LoggerError::AmbiguousColumn { .. } => "logger_ambiguous_column",
            LoggerError::Fahrenheit { .. } => "logger_fahrenheit",
            LoggerError::BadRow { .. } => "logger_bad_row",
            LoggerError::BadTimestamp { .. } => "logger_bad_timestamp",
            LoggerError::BadTemperature { .. } => "logger_bad_temperature",
            LoggerError::TemperatureOutOfRange { .. } => "logger_temperature_out_of_range",
            LoggerError::DecimalComma { .. } => "logger_decimal_comma",
            LoggerError::DuplicateTime { .. } => "logger_duplicate_time",
            LoggerError::OutOfOrder { .. } => "logger_out_of_order",
            LoggerError::NoReadings { .. } => "logger_no_readings",
        }
    }

    /// The 1-based line the problem is on (`None` only for an empty file).
    pub const fn line(&self) -> Option<usize> {
        match self {
            LoggerError::Empty => None,
            LoggerError::TooLarge { line, .. }
            | LoggerError::NoHeader { line }
            | LoggerError::AmbiguousColumn { line, .. }
            | LoggerError::Fahrenheit { line, .. }
            | LoggerError::BadRow { line, .. }
            | LoggerError::BadTimestamp { line, .. }
            | LoggerError::BadTemperature { line, .. }
            | LoggerError::TemperatureOutOfRange { line, .. }
            | LoggerError::DecimalComma { line, .. }
            | LoggerError::DuplicateTime { line, .. }
            | LoggerError::OutOfOrder { line, .. }
            | LoggerError::NoReadings { line } => Some(*line),
        }
    }

    /// The 1-based column, for a problem in one cell.
    pub const fn column(&self) -> Option<usize> {
        match self {
            LoggerError::AmbiguousColumn { column, .. }
            | LoggerError::Fahrenheit { column, .. }
            | LoggerError::BadRow { column, .. }
            | LoggerError::BadTimestamp { column, .. }
            | LoggerError::BadTemperature { column, .. }
            | LoggerError::TemperatureOutOfRange { column, .. }
            | LoggerError::DecimalComma { column, .. } => Some(*column),
            _ => None,
        }
    }
}

impl Coded for LoggerError {
    fn code(&self) -> &'static str {
        LoggerError::code(self)
    }
}

/// Cell values echoed in errors are cut to this many characters.
const ECHO_CHARS: usize = 40;

fn echo(s: &str) -> String {
    s.chars().take(ECHO_CHARS).collect()
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Where the columns jousei reads are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    /// The combined date-time column, or the date column.
    when: usize,
    /// The time column when date and time are separate.
    time: Option<usize>,
    temp: usize,
    /// How many cells the header has.
    width: usize,
}

impl Columns {
    fn needed(&self) -> usize {
        self.when.max(self.temp).max(self.time.unwrap_or(0)) + 1
    }
}

/// Reads a data-logger CSV file. Local times (without an offset) are read
/// in `zone`, the clinic's time zone. See the module documentation and
/// `docs/coldchain.md` for the accepted formats.
pub fn parse_logger_csv(text: &str, zone: &TimeZone) -> Result<LoggerFile, LoggerError> {
    if text.len() > MAX_BYTES {
        return Err(LoggerError::TooLarge {
            line: 1,
            limit: MAX_BYTES,
            unit: "bytes",
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line_end = if text.contains('\n') { '\n' } else { '\r' };
    let mut lines = text
        .split(line_end)
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !is_skipped(l));

    // The preamble: metadata lines, then the header.
    let mut device_id = None;
    let mut first_line = None;
    let mut header = None;
    for (seen, (no, line)) in lines.by_ref().enumerate() {
        first_line.get_or_insert(no);
        if seen >= MAX_PREAMBLE_LINES {
            break;
        }
        if let Some((sep, cols)) = detect_header(line, no)? {
            header = Some((no, sep, cols));
            break;
        }
        if device_id.is_none() {
            device_id = serial_from_metadata(line);
        }
    }
    let Some(first_line) = first_line else {
        return Err(LoggerError::Empty);
    };
    let Some((header_line, sep, cols)) = header else {
        return Err(LoggerError::NoHeader { line: first_line });
    };

    let mut readings: Vec<Reading> = Vec::new();
    let mut previous: Option<(Timestamp, usize)> = None;
    for (no, line) in lines {
        let cells = split_cells(line, sep);
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if readings.len() >= MAX_ROWS {
            return Err(LoggerError::TooLarge {
                line: no,
                limit: MAX_ROWS,
                unit: "rows",
            });
        }
        let reading = parse_row(&cells, no, sep, cols, zone)?;
        if let Some((prev, prev_line)) = previous {
            if reading.at == prev {
                return Err(LoggerError::DuplicateTime {
                    line: no,
                    first_line: prev_line,
                });
            }
            if reading.at < prev {
                return Err(LoggerError::OutOfOrder {
                    line: no,
                    previous_line: prev_line,
                });
            }
        }
        previous = Some((reading.at, no));
        readings.push(reading);
    }
    if readings.is_empty() {
        return Err(LoggerError::NoReadings { line: header_line });
    }
    Ok(LoggerFile {
        device_id,
        layout: if cols.time.is_some() {
            TimeLayout::SplitDateTime
        } else {
            TimeLayout::Combined
        },
        separator: sep,
        header_line,
        readings,
    })
}

/// Blank lines and `#` comments are skipped everywhere.
fn is_skipped(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Splits one line into trimmed cells. A cell may be quoted with `"`
/// (`""` inside a quoted cell is one quote); an unterminated quote runs to
/// the end of the line.
fn split_cells(line: &str, sep: char) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == sep {
            cells.push(cur.trim().to_string());
            cur.clear();
            at_start = true;
            continue;
        } else if c == '"' && at_start && cur.trim().is_empty() {
            cur.clear();
            in_quotes = true;
        } else {
            cur.push(c);
        }
        at_start = false;
    }
    cells.push(cur.trim().to_string());
    cells
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    Timestamp,
    Date,
    Time,
    Temperature,
    Fahrenheit,
    Other,
}

fn classify(cell: &str) -> ColumnKind {
    let lower = cell.to_lowercase();
    let compact: String = lower
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '/' | '.'))
        .collect();
    if lower.contains("°f") || lower.contains('℉') || compact.ends_with("(f)") {
        return ColumnKind::Fahrenheit;
    }
    if lower.contains("°c")
        || lower.contains('℃')
        || lower.contains("temp")
        || lower.contains("温度")
    {
        return ColumnKind::Temperature;
    }
    if compact.starts_with("timestamp")
        || compact.starts_with("datetime")
        || lower.contains("日時")
        || lower.contains("日付時刻")
    {
        return ColumnKind::Timestamp;
    }
    if compact.starts_with("date") || lower.contains("日付") || lower.contains("年月日") {
        return ColumnKind::Date;
    }
    if compact.starts_with("time") || lower.contains("時刻") || compact == "時間" {
        return ColumnKind::Time;
    }
    ColumnKind::Other
}

/// Whether `line` is a header row, trying tab, `;` and `,` in that order.
/// A header needs a temperature column and a time column (a combined one,
/// or a date column with or without a separate time column).
fn detect_header(line: &str, no: usize) -> Result<Option<(char, Columns)>, LoggerError> {
    for sep in ['\t', ';', ','] {
        if !line.contains(sep) {
            continue;
        }
        let cells = split_cells(line, sep);
        let kinds: Vec<ColumnKind> = cells.iter().map(|c| classify(c)).collect();
        let find = |k: ColumnKind| kinds.iter().position(|x| *x == k);
        let (stamp, date, time) = (
            find(ColumnKind::Timestamp),
            find(ColumnKind::Date),
            find(ColumnKind::Time),
        );
        let has_time = stamp.is_some() || date.is_some();
        let temps: Vec<usize> = kinds
            .iter()
            .enumerate()
            .filter(|(_, k)| **k == ColumnKind::Temperature)
            .map(|(i, _)| i)
            .collect();
        let temp = match (temps.as_slice(), find(ColumnKind::Fahrenheit)) {
            ([], Some(f)) if has_time => {
                return Err(LoggerError::Fahrenheit {
                    line: no,
                    column: f + 1,
                });
            }
            ([t], _) => *t,
            ([_, second, ..], _) if has_time => {
                return Err(LoggerError::AmbiguousColumn {
                    line: no,
                    column: second + 1,
                });
            }
            _ => continue,
        };
        let (when, time) = match (stamp, date, time) {
            (Some(s), _, _) => (s, None),
            (None, Some(d), t) => (d, t),
            _ => continue,
        };
        return Ok(Some((
            sep,
            Columns {
                when,
                time,
                temp,
                width: cells.len(),
            },
        )));
    }
    Ok(None)
}

/// The serial number from a metadata line such as `Serial Number: ABC123`,
/// `Serial,ABC123` or `シリアル番号：ABC123`.
fn serial_from_metadata(line: &str) -> Option<String> {
    let split = line.find([':', '：', '=', ',', ';', '\t'])?;
    let (key, rest) = line.split_at(split);
    let key = key.to_lowercase();
    if !(key.contains("serial") || key.contains("シリアル") || key.contains("s/n")) {
        return None;
    }
    let rest = rest
        .trim_start_matches([':', '：', '=', ',', ';', '\t'])
        .trim_start();
    let value = rest
        .split([',', ';', '\t'])
        .map(|v| v.trim().trim_matches('"').trim())
        .find(|v| !v.is_empty())?;
    let value: String = value.chars().take(64).collect();
    (!value.is_empty()).then_some(value)
}

fn parse_row(
    cells: &[String],
    no: usize,
    sep: char,
    cols: Columns,
    zone: &TimeZone,
) -> Result<Reading, LoggerError> {
    let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
    if cells.len() < cols.needed() {
        return Err(LoggerError::BadRow {
            line: no,
            column: cells.len() + 1,
            expected: cols.width,
            found: cells.len(),
        });
    }
    if let Some(extra) = (cols.width..cells.len()).find(|i| !cell(*i).is_empty()) {
        if sep == ',' && looks_like_decimal_comma(cell(cols.temp), cell(cols.temp + 1)) {
            return Err(LoggerError::DecimalComma {
                line: no,
                column: cols.temp + 1,
            });
        }
        return Err(LoggerError::BadRow {
            line: no,
            column: extra + 1,
            expected: cols.width,
            found: cells.len(),
        });
    }
    let at = match cols.time {
        None => parse_instant(cell(cols.when), zone),
        Some(t) => parse_split(cell(cols.when), cell(t), zone),
    }
    .ok_or_else(|| {
        let (column, value) = match cols.time {
            Some(t) if parse_date(cell(cols.when)).is_some() => (t, cell(t)),
            _ => (cols.when, cell(cols.when)),
        };
        LoggerError::BadTimestamp {
            line: no,
            column: column + 1,
            value: echo(value),
        }
    })?;
    let temp = parse_temperature(cell(cols.temp), sep, no, cols.temp + 1)?;
    Ok(Reading { at, temp })
}

/// `4` followed by `5` in a comma-separated file: `4,5` with a decimal comma.
fn looks_like_decimal_comma(int: &str, frac: &str) -> bool {
    let int = int.strip_prefix(['-', '+']).unwrap_or(int);
    !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && !frac.is_empty()
        && frac.len() <= 3
        && frac.chars().all(|c| c.is_ascii_digit())
}

/// A temperature in °C with up to three decimals, rounded to tenths (halves
/// away from zero). A trailing `°C`/`℃`/`C` is allowed; a decimal comma only
/// when the separator is not `,`.
fn parse_temperature(
    raw: &str,
    sep: char,
    line: usize,
    column: usize,
) -> Result<DeciCelsius, LoggerError> {
    let bad = || LoggerError::BadTemperature {
        line,
        column,
        value: echo(raw),
    };
    let s = raw
        .trim()
        .trim_end_matches("°C")
        .trim_end_matches('℃')
        .trim_end_matches('C')
        .trim();
    let owned;
    let s = if s.contains(',') {
        if sep == ',' {
            return Err(LoggerError::DecimalComma { line, column });
        }
        if s.contains('.') || s.matches(',').count() != 1 {
            return Err(bad());
        }
        owned = s.replace(',', ".");
        owned.as_str()
    } else {
        s
    };
    let milli = parse_fixed(s, 3).ok_or_else(bad)?;
    // Round thousandths to tenths, halves away from zero.
    let tenths = (milli.abs() + 50) / 100 * milli.signum();
    if !PLAUSIBLE.contains(&tenths) {
        return Err(LoggerError::TemperatureOutOfRange {
            line,
            column,
            value: echo(raw),
        });
    }
    i32::try_from(tenths).map(DeciCelsius).map_err(|_| bad())
}

/// An instant: RFC 3339 with an offset (`2026-03-01T09:00:00+09:00`, `…Z`),
/// or a local date and time read in `zone`.
fn parse_instant(s: &str, zone: &TimeZone) -> Option<Timestamp> {
    let s = s.trim();
    if has_offset(s) {
        return s.parse::<Timestamp>().ok();
    }
    let (date, time) = s
        .split_once('T')
        .or_else(|| s.split_once(' '))
        .unwrap_or((s, ""));
    parse_split(date, time, zone)
}

/// Whether an RFC 3339 text ends with `Z` or a `±HH:MM` offset after the time.
fn has_offset(s: &str) -> bool {
    let Some(t) = s.find(['T', 't', ' ']) else {
        return false;
    };
    let time = &s[t..];
    time.ends_with(['Z', 'z']) || time.contains(['+', '-'])
}

fn parse_split(date: &str, time: &str, zone: &TimeZone) -> Option<Timestamp> {
    let date = parse_date(date)?;
    let time = parse_time(time.trim())?;
    zone.to_ambiguous_timestamp(DateTime::from_parts(date, time))
        .unambiguous()
        .ok()
}

fn digits(s: &str, min: usize, max: usize) -> Option<i64> {
    if s.len() < min || s.len() > max || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (month and day may have one digit).
fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let sep = if s.contains('/') { '/' } else { '-' };
    let mut parts = s.split(sep);
    let y = digits(parts.next()?, 4, 4)?;
    let m = digits(parts.next()?, 1, 2)?;
    let d = digits(parts.next()?, 1, 2)?;
    if parts.next().is_some() {
        return None;
    }
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// `H:MM`, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` (up to nine decimals).
fn parse_time(s: &str) -> Option<Time> {
    let mut parts = s.split(':');
    let h = digits(parts.next()?, 1, 2)?;
    let m = digits(parts.next()?, 2, 2)?;
    let (sec, nanos) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let whole = digits(whole, 2, 2)?;
            let nanos = if frac.is_empty() {
                0
            } else {
                let f = digits(frac, 1, 9)?;
                let scale = 10i64.checked_pow(9 - u32::try_from(frac.len()).ok()?)?;
                f.checked_mul(scale)?
            };
            (whole, nanos)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(sec).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()
}

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

// ---------------------------------------------------------------------------
// Summary and chart
// ---------------------------------------------------------------------------

/// What a chart or a list header shows about a set of readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    pub first: Timestamp,
    pub last: Timestamp,
    pub min: DeciCelsius,
    pub max: DeciCelsius,
}

/// Count, first and last time, lowest and highest temperature; `None` for
/// no readings. The input need not be sorted.
pub fn summary(readings: &[Reading]) -> Option<Summary> {
    let first = readings.first()?;
    let mut s = Summary {
        count: readings.len(),
        first: first.at,
        last: first.at,
        min: first.temp,
        max: first.temp,
    };
    for r in readings {
        s.first = s.first.min(r.at);
        s.last = s.last.max(r.at);
        s.min = s.min.min(r.temp);
        s.max = s.max.max(r.temp);
    }
    Some(s)
}

const MARGIN_LEFT: f64 = 56.0;
const MARGIN_RIGHT: f64 = 12.0;
const MARGIN_TOP: f64 = 12.0;
const MARGIN_BOTTOM: f64 = 28.0;

/// Time steps the x axis may use, in seconds.
const TIME_STEPS: &[i64] = &[
    60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800, 1_209_600,
    2_592_000, 7_776_000, 31_536_000,
];

/// Temperature steps the y axis may use, in tenths of a degree.
const TEMP_STEPS: &[i64] = &[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/// Renders the readings as a small SVG line chart: the allowed band
/// `[min, max]` shaded, the given excursions highlighted as vertical bands,
/// y labels in °C and x labels in `zone`. Hand-written, deterministic, and
/// without `style` attributes (the site's Content-Security-Policy forbids
/// inline styles): colours are presentation attributes, and every element
/// has a `class` for the stylesheet. No recorded text enters the chart (only
/// numbers and dates jousei formats), so nothing in it needs escaping.
///
/// `width` and `height` are clamped to 240…4000 and 120…2000. When there are
/// more readings than twice the plot width in pixels, each pixel column
/// keeps its lowest and highest reading (in time order), so no spike is
/// lost; otherwise every reading is a point of the line.
pub fn chart_svg(
    readings: &[Reading],
    min: DeciCelsius,
    max: DeciCelsius,
    excursions: &[Excursion],
    width: u32,
    height: u32,
    zone: &TimeZone,
) -> String {
    let w = f64::from(width.clamp(240, 4000));
    let h = f64::from(height.clamp(120, 2000));
    let (pw, ph) = (
        w - MARGIN_LEFT - MARGIN_RIGHT,
        h - MARGIN_TOP - MARGIN_BOTTOM,
    );
    let (band_lo, band_hi) = (i64::from(min.0.min(max.0)), i64::from(min.0.max(max.0)));
    let mut sorted = readings.to_vec();
    sorted.sort_by_key(|r| r.at);
    let stats = summary(&sorted);

    // Temperature domain: the band and the data, padded.
    let (mut lo, mut hi) = (band_lo, band_hi);
    if let Some(s) = stats {
        lo = lo.min(i64::from(s.min.0));
        hi = hi.max(i64::from(s.max.0));
    }
    let pad = ((hi - lo) / 10).max(10);
    let (lo, hi) = (lo - pad, hi + pad);
    let y = |t: i64| MARGIN_TOP + ph * (hi - t) as f64 / (hi - lo) as f64;

    // Time domain.
    let (t0, t1) = stats.map_or((0, 0), |s| (s.first.as_second(), s.last.as_second()));
    let span = t1 - t0;
    let x = |ts: Timestamp| {
        if span == 0 {
            MARGIN_LEFT + pw / 2.0
        } else {
            MARGIN_LEFT + pw * (ts.as_second() - t0) as f64 / span as f64
        }
    };

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"coldchain-chart\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         font-family=\"sans-serif\" font-size=\"11\">"
    );
    let title = match stats {
        Some(s) => format!(
            "{} – {} °C · {} – {} · n={}",
            fmt_fixed(i64::from(s.min.0), 1),
            fmt_fixed(i64::from(s.max.0), 1),
            local_label(s.first, zone, "%Y-%m-%d %H:%M"),
            local_label(s.last, zone, "%Y-%m-%d %H:%M"),
            s.count
        ),
        None => "n=0".to_string(),
    };
    let _ = write!(svg, "<title>{title}</title>");
    let _ = write!(
        svg,
        "<rect class=\"plot\" x=\"{MARGIN_LEFT:.1}\" y=\"{MARGIN_TOP:.1}\" width=\"{pw:.1}\" \
         height=\"{ph:.1}\" fill=\"#ffffff\" stroke=\"#9e9e9e\"/>"
    );
    let (by0, by1) = (y(band_hi), y(band_lo));
    let _ = write!(
        svg,
        "<rect class=\"band\" x=\"{MARGIN_LEFT:.1}\" y=\"{by0:.1}\" width=\"{pw:.1}\" \
         height=\"{:.1}\" fill=\"#2e7d32\" fill-opacity=\"0.12\"/>",
        by1 - by0
    );
    for (class, t) in [("limit limit-max", band_hi), ("limit limit-min", band_lo)] {
        let ly = y(t);
        let _ = write!(
            svg,
            "<line class=\"{class}\" x1=\"{MARGIN_LEFT:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" \
             y2=\"{ly:.1}\" stroke=\"#2e7d32\" stroke-dasharray=\"4 3\"/>",
            MARGIN_LEFT + pw
        );
    }

    // Y axis.
    svg.push_str("<g class=\"y-axis\" fill=\"#424242\" text-anchor=\"end\">");
    let step = TEMP_STEPS
        .iter()
        .copied()
        .find(|s| (hi - lo) / s <= 6)
        .unwrap_or(1000);
    let mut t = lo.div_euclid(step) * step;
    if t < lo {
        t += step;
    }
    while t <= hi {
        let ty = y(t);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{MARGIN_LEFT:.1}\" y1=\"{ty:.1}\" x2=\"{:.1}\" \
             y2=\"{ty:.1}\" stroke=\"#eeeeee\"/><text x=\"{:.1}\" y=\"{:.1}\">{} °C</text>",
            MARGIN_LEFT + pw,
            MARGIN_LEFT - 4.0,
            ty + 4.0,
            fmt_fixed(t, 1)
        );
        t += step;
    }
    svg.push_str("</g>");

    // X axis.
    svg.push_str("<g class=\"x-axis\" fill=\"#424242\" text-anchor=\"middle\">");
    if let Some(s) = stats {
        for (tick, label) in time_ticks(s.first, s.last, pw, zone) {
            let tx = x(tick);
            let _ = write!(
                svg,
                "<line class=\"tick\" x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\" \
                 stroke=\"#9e9e9e\"/><text x=\"{tx:.1}\" y=\"{:.1}\">{}</text>",
                MARGIN_TOP + ph,
                MARGIN_TOP + ph + 4.0,
                MARGIN_TOP + ph + 16.0,
                label
            );
        }
    }
    svg.push_str("</g>");

    // Excursions.
    svg.push_str("<g class=\"excursions\">");
    if stats.is_some() {
        for e in excursions {
            let x0 = x(e.start).clamp(MARGIN_LEFT, MARGIN_LEFT + pw);
            let x1 = x(e.end).clamp(MARGIN_LEFT, MARGIN_LEFT + pw);
            let ew = (x1 - x0).max(1.0);
            let class = if e.ongoing {
                "excursion ongoing"
            } else {
                "excursion"
            };
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x0:.1}\" y=\"{MARGIN_TOP:.1}\" width=\"{ew:.1}\" \
                 height=\"{ph:.1}\" fill=\"#c62828\" fill-opacity=\"0.2\"/>"
            );
        }
    }
    svg.push_str("</g>");

    // The readings.
    let points = chart_points(&sorted, pw, &x);
    match points.as_slice() {
        [] => {}
        [only] => {
            let _ = write!(
                svg,
                "<circle class=\"reading\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1565c0\"/>",
                x(only.at),
                y(i64::from(only.temp.0))
            );
        }
        many => {
            svg.push_str("<path class=\"readings\" d=\"");
            for (n, r) in many.iter().enumerate() {
                let _ = write!(
                    svg,
                    "{}{:.1} {:.1}",
                    if n == 0 { "M" } else { " L" },
                    x(r.at),
                    y(i64::from(r.temp.0))
                );
            }
            svg.push_str(
                "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" \
                 stroke-linejoin=\"round\"/>",
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Every reading, or the lowest and highest per pixel column when there are
/// more than two per column.
fn chart_points(sorted: &[Reading], pw: f64, x: &dyn Fn(Timestamp) -> f64) -> Vec<Reading> {
    let columns = pw.max(1.0) as usize;
    if sorted.len() <= 2 * columns {
        return sorted.to_vec();
    }
    let mut out = Vec::with_capacity(2 * columns);
    let mut bucket: Option<(usize, Reading, Reading, usize, usize)> = None;
    let flush = |out: &mut Vec<Reading>, b: (usize, Reading, Reading, usize, usize)| {
        let (_, lo, hi, lo_i, hi_i) = b;
        match lo_i.cmp(&hi_i) {
            std::cmp::Ordering::Less => out.extend([lo, hi]),
            std::cmp::Ordering::Greater => out.extend([hi, lo]),
            std::cmp::Ordering::Equal => out.push(lo),
        }
    };
    for (i, r) in sorted.iter().enumerate() {
        let col = ((x(r.at) - MARGIN_LEFT).max(0.0) as usize).min(columns - 1);
        match &mut bucket {
            Some((c, lo, hi, lo_i, hi_i)) if *c == col => {
                if r.temp < lo.temp {
                    (*lo, *lo_i) = (*r, i);
                }
                if r.temp > hi.temp {
                    (*hi, *hi_i) = (*r, i);
                }
            }
            _ => {
                if let Some(b) = bucket.take() {
                    flush(&mut out, b);
                }
                bucket = Some((col, *r, *r, i, i));
            }
        }
    }
    if let Some(b) = bucket {
        flush(&mut out, b);
    }
    out
}

/// Tick instants on local-time boundaries of a step chosen so that ticks are
/// at least ~100 px apart, with their labels.
fn time_ticks(
    first: Timestamp,
    last: Timestamp,
    pw: f64,
    zone: &TimeZone,
) -> Vec<(Timestamp, String)> {
    let span = last.as_second() - first.as_second();
    if span == 0 {
        return vec![(first, local_label(first, zone, "%m/%d %H:%M"))];
    }
    let max_ticks = ((pw / 100.0) as i64).max(2);
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|s| span / s < max_ticks)
        .unwrap_or(31_536_000);
    let format = if step >= 86400 {
        "%m/%d"
    } else if span <= 86400 {
        "%H:%M"
    } else {
        "%m/%d %H:%M"
    };
    let offset = i64::from(zone.to_offset(first).seconds());
    let local0 = first.as_second() + offset;
    let mut tick = (local0 + step - 1).div_euclid(step) * step - offset;
    let mut out = Vec::new();
    while tick <= last.as_second() && out.len() < 64 {
        if let Ok(ts) = Timestamp::from_second(tick) {
            out.push((ts, local_label(ts, zone, format)));
        }
        tick += step;
    }
    out
}

fn local_label(ts: Timestamp, zone: &TimeZone, format: &str) -> String {
    ts.to_zoned(zone.clone()).strftime(format).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Readings every `step` minutes from 2026-03-01 00:00 UTC.
    fn series(step: i64, temps: &[i32]) -> Vec<Reading> {
        let t0 = ts("2026-03-01T00:00:00Z").as_second();
        temps
            .iter()
            .enumerate()
            .map(|(i, t)| Reading {
                at: Timestamp::from_second(t0 + i as i64 * step * 60).unwrap(),
                temp: DeciCelsius(*t),
            })
            .collect()
    }

    fn parse(text: &str) -> Result<LoggerFile, LoggerError> {
        parse_logger_csv(text, &tokyo())
    }

    fn err(text: &str) -> LoggerError {
        parse(text).unwrap_err()
    }

    // --- parsing -----------------------------------------------------------

    #[test]
    fn jousei_format_with_offsets_and_local_times() {
        let f = parse(
            "timestamp,temperature_c\n\
             2026-03-01T09:00:00+09:00,-80.1\n\
             2026-03-01T00:05:00Z,-79.9\n\
             2026-03-01 09:10,-80\n\
             2026-03-01 09:15:30,4.25\n",
        )
        .unwrap();
        assert_eq!(f.layout, TimeLayout::Combined);
        assert_eq!(f.separator, ',');
        assert_eq!(f.header_line, 1);
        assert_eq!(f.device_id, None);
        let got: Vec<(Timestamp, i32)> = f.readings.iter().map(|r| (r.at, r.temp.0)).collect();
        assert_eq!(
            got,
            vec![
                (ts("2026-03-01T00:00:00Z"), -801),
                (ts("2026-03-01T00:05:00Z"), -799),
                (ts("2026-03-01T00:10:00Z"), -800),
                (ts("2026-03-01T00:15:30Z"), 43),
            ]
        );
    }

    #[test]
    fn japanese_logger_with_metadata_bom_crlf() {
        let text = "\u{feff}# 冷凍庫A\r\nシリアル番号：TR-7123\r\n機種,TR-71wb\r\n\r\n\
                    No.,日付,時刻,温度(℃),湿度(%)\r\n\
                    1,2026/03/01,09:00:00,-80.2,40\r\n\
                    2,2026/3/1,9:05:00,-80.0,41\r\n";
        let f = parse(text).unwrap();
        assert_eq!(f.device_id.as_deref(), Some("TR-7123"));
        assert_eq!(f.layout, TimeLayout::SplitDateTime);
        assert_eq!(f.header_line, 5);
        assert_eq!(f.readings.len(), 2);
        assert_eq!(f.readings[0].at, ts("2026-03-01T00:00:00Z"));
        assert_eq!(f.readings[1].at, ts("2026-03-01T00:05:00Z"));
        assert_eq!(f.readings[1].temp, DeciCelsius(-800));
    }

    #[test]
    fn semicolon_and_tab_separators_allow_decimal_comma() {
        let f = parse("Serial Number: ABC-1\nDate;Time;Temperature [°C]\n2026-03-01;09:00;4,5\n")
            .unwrap();
        assert_eq!(f.separator, ';');
        assert_eq!(f.device_id.as_deref(), Some("ABC-1"));
        assert_eq!(f.readings[0].temp, DeciCelsius(45));
        let f = parse("Date\tTime\tTemp\n2026-03-01\t09:00\t-3,25\n").unwrap();
        assert_eq!(f.separator, '\t');
        assert_eq!(f.readings[0].temp, DeciCelsius(-33));
    }

    #[test]
    fn quoted_cells_and_units_in_values() {
        let f = parse(
            "\"Serial\",\"X9\"\n\"Date/Time\",\"Temperature, °C\"\n\"2026-03-01 09:00\",\"5.0 °C\"\n",
        )
        .unwrap();
        assert_eq!(f.device_id.as_deref(), Some("X9"));
        assert_eq!(f.readings[0].temp, DeciCelsius(50));
    }

    #[test]
    fn date_column_alone_is_read_as_date_and_time() {
        let f = parse("Date,Temp(°C)\n2026/03/01 09:00:00,5\n").unwrap();
        assert_eq!(f.layout, TimeLayout::Combined);
        assert_eq!(f.readings[0].at, ts("2026-03-01T00:00:00Z"));
    }

    #[test]
    fn decimal_comma_with_comma_separator_is_refused_and_explained() {
        let e = err("Date,Time,Temp\n2026-03-01,09:00,4,5\n");
        assert_eq!(e.code(), "logger_decimal_comma");
        assert_eq!((e.line(), e.column()), (Some(2), Some(3)));
        let e = err("Date,Time,Temp\n2026-03-01,09:00,\"4,5\"\n");
        assert_eq!(e.code(), "logger_decimal_comma");
        assert!(e.to_string().contains("logger_decimal_comma"));
    }

    #[test]
    fn errors_name_code_line_and_column() {
        let cases: &[(&str, &str, Option<usize>, Option<usize>)] = &[
            ("", "logger_empty", None, None),
            (
                "\u{feff}\n# only a comment\n  \n",
                "logger_empty",
                None,
                None,
            ),
            ("hello\nworld\n", "logger_no_header", Some(1), None),
            (
                "timestamp,temperature_c\n",
                "logger_no_readings",
                Some(1),
                None,
            ),
            (
                "timestamp,temperature_c\n2026-03-01T09:00\n",
                "logger_bad_row",
                Some(2),
                Some(2),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,4,x\n",
                "logger_bad_row",
                Some(2),
                Some(3),
            ),
            (
                "timestamp,temperature_c\n2026-02-30 09:00,4\n",
                "logger_bad_timestamp",
                Some(2),
                Some(1),
            ),
            (
                "timestamp,temperature_c\n01/03/2026 09:00,4\n",
                "logger_bad_timestamp",
                Some(2),
                Some(1),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 9pm,4\n",
                "logger_bad_timestamp",
                Some(2),
                Some(1),
            ),
            (
                "Date,Time,Temp\n2026-03-01,25:00,4\n",
                "logger_bad_timestamp",
                Some(2),
                Some(2),
            ),
            (
                "Date,Time,Temp\n2026-13-01,09:00,4\n",
                "logger_bad_timestamp",
                Some(2),
                Some(1),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,warm\n",
                "logger_bad_temperature",
                Some(2),
                Some(2),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,\n",
                "logger_bad_temperature",
                Some(2),
                Some(2),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,4.1234\n",
                "logger_bad_temperature",
                Some(2),
                Some(2),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,１\n",
                "logger_bad_temperature",
                Some(2),
                Some(2),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,-300\n",
                "logger_temperature_out_of_range",
                Some(2),
                Some(2),
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,4\n\n2026-03-01 09:00,5\n",
                "logger_duplicate_time",
                Some(4),
                None,
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:00,4\n2026-03-01T00:00:00Z,5\n",
                "logger_duplicate_time",
                Some(3),
                None,
            ),
            (
                "timestamp,temperature_c\n2026-03-01 09:05,4\n2026-03-01 09:00,5\n",
                "logger_out_of_order",
                Some(3),
                None,
            ),
            (
                "Date,Time,Temp1(°C),Temp2(°C)\n",
                "logger_ambiguous_column",
                Some(1),
                Some(4),
            ),
            (
                "Date,Time,Temp(°F)\n2026-03-01,09:00,39\n",
                "logger_fahrenheit",
                Some(1),
                Some(3),
            ),
        ];
        for (text, code, line, column) in cases {
            let e = err(text);
            assert_eq!(e.code(), *code, "{text:?}: {e}");
            assert_eq!(e.line(), *line, "{text:?}: {e}");
            assert_eq!(e.column(), *column, "{text:?}: {e}");
            assert!(LoggerError::ALL_CODES.contains(&e.code()));
        }
        let dup = err("timestamp,temperature_c\n2026-03-01 09:00,4\n2026-03-01 09:00,5\n");
        assert_eq!(
            dup,
            LoggerError::DuplicateTime {
                line: 3,
                first_line: 2
            }
        );
    }

    #[test]
    fn error_values_are_cut_short() {
        let long = "x".repeat(500);
        match err(&format!(
            "timestamp,temperature_c\n2026-03-01 09:00,{long}\n"
        )) {
            LoggerError::BadTemperature { value, .. } => assert_eq!(value.len(), ECHO_CHARS),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn header_must_come_early() {
        let mut text = String::new();
        for i in 0..MAX_PREAMBLE_LINES {
            text.push_str(&format!("meta {i}\n"));
        }
        text.push_str("timestamp,temperature_c\n2026-03-01 09:00,4\n");
        assert_eq!(err(&text), LoggerError::NoHeader { line: 1 });
    }

    #[test]
    fn too_many_rows_and_bytes() {
        let mut text = String::from("timestamp,temperature_c\n");
        let t0 = ts("2026-01-01T00:00:00Z").as_second();
        for i in 0..=MAX_ROWS as i64 {
            let at = Timestamp::from_second(t0 + i * 60).unwrap();
            text.push_str(&format!("{at},4\n"));
        }
        let e = err(&text);
        assert_eq!(e.code(), "logger_too_large");
        assert_eq!(e.line(), Some(MAX_ROWS + 2));
        let big = " ".repeat(MAX_BYTES + 1);
        assert_eq!(err(&big).code(), "logger_too_large");
    }

    #[test]
    fn local_times_that_do_not_exist_or_repeat_are_refused() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let gap = parse_logger_csv("timestamp,temperature_c\n2026-03-08 02:30,4\n", &ny);
        assert_eq!(gap.unwrap_err().code(), "logger_bad_timestamp");
        let fold = parse_logger_csv("timestamp,temperature_c\n2026-11-01 01:30,4\n", &ny);
        assert_eq!(fold.unwrap_err().code(), "logger_bad_timestamp");
        let with_offset = parse_logger_csv(
            "timestamp,temperature_c\n2026-11-01T01:30:00-04:00,4\n",
            &ny,
        );
        assert!(with_offset.is_ok());
    }

    #[test]
    fn temperatures_round_to_tenths_half_away_from_zero() {
        for (raw, want) in [
            ("4.25", 43),
            ("4.249", 42),
            ("-4.25", -43),
            ("-0.04", 0),
            ("8.05", 81),
            ("+2", 20),
            ("3℃", 30),
        ] {
            let f = parse(&format!(
                "timestamp,temperature_c\n2026-03-01 09:00,{raw}\n"
            ))
            .unwrap();
            assert_eq!(f.readings[0].temp, DeciCelsius(want), "{raw}");
        }
    }

    #[test]
    fn fixture_files_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/coldchain");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let f = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(f.readings.len() >= 10, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 3);
    }

    // --- excursions --------------------------------------------------------

    fn at(min: i64) -> Timestamp {
        Timestamp::from_second(ts("2026-03-01T00:00:00Z").as_second() + min * 60).unwrap()
    }

    #[test]
    fn limits_are_inclusive() {
        let r = series(5, &[20, 80, 20, 80, 50]);
        let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 0));
        assert_eq!(a, Analysis::default());
    }

    #[test]
    fn exactly_at_tolerance_is_a_deviation_one_second_more_is_an_excursion() {
        // Out at minute 5, back in range at minute 35: exactly 30 minutes.
        let r = series(5, &[50, 90, 90, 90, 90, 90, 90, 50]);
        let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 30));
        assert!(a.excursions.is_empty());
        assert_eq!(a.deviations.len(), 1);
        assert_eq!(a.deviations[0].duration_minutes, 30);
        let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 29));
        assert_eq!(a.excursions.len(), 1);
        let mut r2 = r.clone();
        r2[7].at = Timestamp::from_second(r2[7].at.as_second() + 1).unwrap();
        let e = find_excursions(&r2, DeciCelsius(20), DeciCelsius(80), 30);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].duration_minutes, 31, "rounded up");
    }

    #[test]
    fn excursion_fields() {
        let r = series(10, &[50, 85, 120, 95, 70, 50]);
        let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 15);
        assert_eq!(
            e,
            vec![Excursion {
                start: at(10),
                end: at(40),
                duration_minutes: 30,
                extreme: DeciCelsius(120),
                side: Side::Above,
                readings: 3,
                ongoing: false,
            }]
        );
    }

    #[test]
    fn below_and_both_sides() {
        let r = series(10, &[50, 10, -5, 15, 50]);
        let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 0);
        assert_eq!(e[0].side, Side::Below);
        assert_eq!(e[0].extreme, DeciCelsius(-5));
        let r = series(60, &[50, 100, 0, 50]);
        let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 0);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].side, Side::Both);
        assert_eq!(
            e[0].extreme,
            DeciCelsius(100),
            "2 °C above ties 2 °C below: the first wins"
        );
        assert_eq!(e[0].readings, 2);
    }

    #[test]
    fn single_reading() {
        let e = find_excursions(&series(5, &[50]), DeciCelsius(20), DeciCelsius(80), 0);
        assert!(e.is_empty());
        let a = analyse(
            &series(5, &[90]),
            &Limits::new(DeciCelsius(20), DeciCelsius(80), 0),
        );
        assert!(
            a.excursions.is_empty(),
            "zero duration is not longer than zero"
        );
        assert_eq!(a.deviations.len(), 1);
        assert!(a.deviations[0].ongoing);
        assert_eq!(a.deviations[0].duration_minutes, 0);
        assert!(find_excursions(&[], DeciCelsius(20), DeciCelsius(80), 0).is_empty());
    }

    #[test]
    fn excursions_at_start_and_end_and_several() {
        let r = series(
            10,
            &[
                90, 90, 90, 50, 50, 95, 50, 10, 10, 10, 10, 50, 90, 90, 90, 90,
            ],
        );
        let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 15));
        let starts: Vec<_> = a
            .excursions
            .iter()
            .map(|e| (e.start, e.end, e.ongoing))
            .collect();
        assert_eq!(
            starts,
            vec![
                (at(0), at(30), false),
                (at(70), at(110), false),
                (at(120), at(150), true),
            ]
        );
        assert_eq!(a.deviations.len(), 1, "the 10-minute spike at minute 50");
        assert_eq!(a.deviations[0].start, at(50));
    }

    #[test]
    fn unsorted_input_is_sorted_first() {
        let mut r = series(10, &[50, 90, 90, 90, 50]);
        r.reverse();
        let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 15);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].start, e[0].end), (at(10), at(40)));
    }

    #[test]
    fn gaps_are_reported_and_do_not_end_a_run() {
        let mut r = series(10, &[50, 50, 90, 50]);
        // The reading back in range comes four hours later.
        r[3].at = at(20 + 240);
        let mut limits = Limits::new(DeciCelsius(20), DeciCelsius(80), 30);
        let a = analyse(&r, &limits);
        assert_eq!(
            a.gaps,
            vec![Gap {
                from: at(20),
                to: at(260),
                minutes: 240
            }]
        );
        assert_eq!(a.excursions.len(), 1);
        assert_eq!(a.excursions[0].duration_minutes, 240);
        limits.max_gap_minutes = 240;
        assert!(
            analyse(&r, &limits).gaps.is_empty(),
            "exactly the maximum is not a gap"
        );
        // A gap between readings in range is only a gap.
        let mut r = series(10, &[50, 50]);
        r[1].at = at(600);
        let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 30));
        assert_eq!(a.gaps.len(), 1);
        assert!(a.excursions.is_empty() && a.deviations.is_empty());
    }

    #[test]
    fn inverted_limits_are_swapped() {
        let r = series(10, &[50, 90, 90, 50]);
        assert_eq!(
            find_excursions(&r, DeciCelsius(80), DeciCelsius(20), 0),
            find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 0)
        );
    }

    #[test]
    fn summary_of_readings() {
        let mut r = series(10, &[50, -20, 90, 40]);
        r.swap(0, 3);
        let s = summary(&r).unwrap();
        assert_eq!(
            (s.count, s.first, s.last, s.min, s.max),
            (4, at(0), at(30), DeciCelsius(-20), DeciCelsius(90))
        );
        assert!(summary(&[]).is_none());
    }

    // --- chart -------------------------------------------------------------

    fn path_points(svg: &str) -> usize {
        svg.split("<path class=\"readings\" d=\"")
            .nth(1)
            .map(|d| d.split('"').next().unwrap_or(""))
            .map_or(0, |d| d.matches(['M', 'L']).count())
    }

    #[test]
    fn chart_structure() {
        let r = series(10, &[50, 90, 90, 90, 50, 40, 30]);
        let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 15);
        let svg = chart_svg(&r, DeciCelsius(20), DeciCelsius(80), &e, 600, 240, &tokyo());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(path_points(&svg), 7);
        assert_eq!(svg.matches("<rect class=\"band\"").count(), 1);
        assert_eq!(svg.matches("<rect class=\"excursion").count(), 1);
        assert_eq!(svg.matches("class=\"limit ").count(), 2);
        assert!(!svg.contains("style"), "the CSP forbids inline styles");
        // Times in the clinic's zone: 00:00Z is 09:00 in Tokyo.
        assert!(svg.contains(">09:00<") || svg.contains(">09:30<"), "{svg}");
        assert!(
            svg.contains("<title>3 – 9 °C · 2026-03-01 09:00 – 2026-03-01 10:00 · n=7</title>"),
            "{svg}"
        );
        assert!(
            svg.contains(">8 °C<") || svg.contains(">2 °C<") || svg.contains(">5 °C<"),
            "{svg}"
        );
        // Deterministic.
        assert_eq!(
            svg,
            chart_svg(&r, DeciCelsius(20), DeciCelsius(80), &e, 600, 240, &tokyo())
        );
        // Balanced tags: every element is self-closed or closed.
        let opens = svg.matches('<').count();
        let closes = svg.matches("/>").count() + svg.matches("</").count() * 2;
        assert_eq!(opens, closes, "{svg}");
    }

    #[test]
    fn chart_of_nothing_and_of_one_reading() {
        let svg = chart_svg(
            &[],
            DeciCelsius(-850),
            DeciCelsius(-700),
            &[],
            400,
            200,
            &tokyo(),
        );
        assert_eq!(path_points(&svg), 0);
        assert_eq!(svg.matches("<rect class=\"band\"").count(), 1);
        assert!(!svg.contains("<circle"));
        let one = series(5, &[-800]);
        let svg = chart_svg(
            &one,
            DeciCelsius(-850),
            DeciCelsius(-700),
            &[],
            400,
            200,
            &tokyo(),
        );
        assert_eq!(svg.matches("<circle class=\"reading\"").count(), 1);
        assert!(svg.contains("-80 °C"), "{svg}");
    }

    #[test]
    fn chart_keeps_spikes_when_decimating() {
        let mut temps = vec![50; 5000];
        temps[2500] = 300;
        temps[1234] = -100;
        let r = series(1, &temps);
        let svg = chart_svg(
            &r,
            DeciCelsius(20),
            DeciCelsius(80),
            &[],
            400,
            200,
            &tokyo(),
        );
        let n = path_points(&svg);
        assert!(n <= 2 * (400 - 68), "{n}");
        assert!(n > 100, "{n}");
        // The highest point reaches the top of the data range.
        let high = y_of(&svg, 300);
        let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        let ys: Vec<f64> = d
            .split(['M', 'L'])
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.split_whitespace().nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(ys.iter().any(|y| (y - high).abs() < 0.11), "{high} {ys:?}");
    }

    /// The y coordinate the chart gives a temperature, from its own tick
    /// placement rule (domain padded by a tenth of the span).
    fn y_of(svg: &str, t: i64) -> f64 {
        let h: f64 = svg
            .split("height=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let ph = h - MARGIN_TOP - MARGIN_BOTTOM;
        let (lo, hi) = (-100i64, 300i64);
        let pad = ((hi - lo) / 10).max(10);
        let (lo, hi) = (lo - pad, hi + pad);
        MARGIN_TOP + ph * (hi - t) as f64 / (hi - lo) as f64
    }

    #[test]
    fn chart_clamps_its_size_and_labels_days() {
        let r = series(60 * 24, &[50, 60, 70, 80, 90, 50, 40, 30, 20, 10]);
        let svg = chart_svg(&r, DeciCelsius(20), DeciCelsius(80), &[], 1, 1, &tokyo());
        assert!(svg.contains("width=\"240\" height=\"120\""));
        assert!(
            svg.contains(">03/0"),
            "day labels for a multi-day span: {svg}"
        );
    }

    // --- properties --------------------------------------------------------

    fn arb_line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            ".{0,40}",
            "[0-9:/ T+Z.,;\\t-]{0,30}",
            Just("timestamp,temperature_c".to_string()),
            Just("日付,時刻,温度(℃)".to_string()),
            Just("Date;Time;Temp".to_string()),
            Just("Serial: X".to_string()),
            Just("# c".to_string()),
            (0i64..4_000_000_000, -3000i32..3000).prop_map(|(s, t)| format!(
                "{},{}.{}",
                Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH),
                t / 10,
                (t % 10).abs()
            )),
            (
                2000u32..2100,
                0u32..14,
                0u32..33,
                0u32..25,
                0u32..61,
                -900i32..200
            )
                .prop_map(|(y, m, d, h, mi, t)| format!("{y}/{m}/{d};{h}:{mi:02};{t},5")),
        ]
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,200}") {
            let _ = parse(&s);
        }

        #[test]
        fn parsing_structured_input_never_panics(lines in proptest::collection::vec(arb_line(), 0..20), crlf: bool) {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            if let Ok(f) = parse(&text) {
                proptest::prop_assert!(!f.readings.is_empty());
                proptest::prop_assert!(f.readings.windows(2).all(|w| w[0].at < w[1].at));
            } else if let Err(e) = parse(&text) {
                proptest::prop_assert!(LoggerError::ALL_CODES.contains(&e.code()));
            }
        }

        #[test]
        fn written_files_read_back(
            steps in proptest::collection::vec((1i64..100_000, -2000i32..=1000), 1..50),
            split: bool,
            sep_i in 0usize..3,
        ) {
            let sep = [",", ";", "\t"][sep_i];
            let mut s = ts("2020-01-01T00:00:00Z").as_second();
            let mut want = Vec::new();
            let mut text = if split { format!("Date{sep}Time{sep}Temp(°C)\n") } else { "timestamp,temperature_c\n".replace(',', sep) };
            for (step, t) in steps {
                s += step;
                let at = Timestamp::from_second(s).unwrap();
                let local = at.to_zoned(tokyo());
                let temp = fmt_fixed(i64::from(t), 1);
                if split {
                    text.push_str(&format!("{}{sep}{}{sep}{temp}\r\n", local.strftime("%Y/%m/%d"), local.strftime("%H:%M:%S")));
                } else {
                    text.push_str(&format!("{at}{sep}{temp}\n"));
                }
                want.push(Reading { at, temp: DeciCelsius(t) });
            }
            let f = parse(&text).unwrap();
            proptest::prop_assert_eq!(f.readings, want);
        }

        #[test]
        fn excursion_invariants(
            temps in proptest::collection::vec(-50i32..150, 0..80),
            steps in proptest::collection::vec(1i64..120, 80),
            tolerance in 0u32..120,
            shuffle_seed in 0usize..1000,
        ) {
            let t0 = ts("2026-03-01T00:00:00Z").as_second();
            let mut s = t0;
            let readings: Vec<Reading> = temps.iter().zip(&steps).map(|(t, step)| {
                s += step * 60;
                Reading { at: Timestamp::from_second(s).unwrap(), temp: DeciCelsius(*t) }
            }).collect();
            let (lo, hi) = (DeciCelsius(20), DeciCelsius(80));
            let limits = Limits::new(lo, hi, tolerance);
            let a = analyse(&readings, &limits);
            let out_of_range = readings.iter().filter(|r| r.temp < lo || r.temp > hi).count();
            let counted: usize = a.excursions.iter().chain(&a.deviations).map(|e| e.readings).sum();
            proptest::prop_assert_eq!(out_of_range, counted);
            for e in &a.excursions {
                proptest::prop_assert!(e.duration_minutes > i64::from(tolerance));
                proptest::prop_assert!(e.extreme < lo || e.extreme > hi);
                proptest::prop_assert!(e.readings >= 1 && e.start <= e.end);
            }
            for d in &a.deviations {
                proptest::prop_assert!(d.duration_minutes <= i64::from(tolerance));
            }
            let all: Vec<&Excursion> = {
                let mut v: Vec<&Excursion> = a.excursions.iter().chain(&a.deviations).collect();
                v.sort_by_key(|e| e.start);
                v
            };
            for w in all.windows(2) {
                proptest::prop_assert!(w[0].end <= w[1].start, "runs do not overlap");
            }
            proptest::prop_assert!(all.iter().filter(|e| e.ongoing).count() <= 1);
            // A larger tolerance never adds an excursion.
            let wider = analyse(&readings, &Limits::new(lo, hi, tolerance + 30));
            for e in &wider.excursions {
                proptest::prop_assert!(a.excursions.contains(e));
            }
            // The order of the input does not matter.
            let mut shuffled = readings.clone();
            if !shuffled.is_empty() {
                let n = shuffled.len();
                shuffled.rotate_left(shuffle_seed % n);
                shuffled.swap(0, (shuffle_seed * 7) % n);
            }
            proptest::prop_assert_eq!(analyse(&shuffled, &limits), a.clone());
            // The chart never panics and always draws one band.
            let svg = chart_svg(&readings, lo, hi, &a.excursions, 300, 150, &tokyo());
            proptest::prop_assert_eq!(svg.matches("<rect class=\"excursion").count(), a.excursions.len());
        }
    }
}
