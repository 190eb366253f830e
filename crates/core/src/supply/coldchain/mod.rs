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

mod chart;
mod excursions;
mod logger;

pub use chart::*;
pub use excursions::*;
pub use logger::*;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
