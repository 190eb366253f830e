//! Reading data-logger CSV files.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::error::Coded;
use crate::supply::units::{DeciCelsius, parse_fixed};

/// The most data rows a logger file may have (a 5-minute logger fills this
/// in about 23 months).
pub const MAX_ROWS: usize = 200_000;

/// The largest logger file accepted, in bytes.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// How many non-blank lines may come before the header row.
pub const MAX_PREAMBLE_LINES: usize = 64;

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
pub(super) const ECHO_CHARS: usize = 40;

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
