//! Supply and quality use cases, shared by the web UI and the JSON API:
//! input parsing, permissions, the domain rules, and storage.

use jiff::civil::Date;
use jousei_core::error::FieldError;

use crate::auth::Principal;

mod coldchain;
mod lots;
mod products;
mod stock;

pub use coldchain::*;
pub use lots::*;
pub use products::*;
pub use stock::*;

/// The clinic's calendar date now.
pub fn clinic_today(p: &Principal) -> Date {
    clinic_now(p).date()
}

/// The clinic's local date and time now (expiry is judged on it: by date, or to the minute
/// for a lot with an expiry time).
pub fn clinic_now(p: &Principal) -> jiff::civil::DateTime {
    let now = jiff::Timestamp::now();
    match now.in_tz(&p.clinic.time_zone) {
        Ok(z) => z.datetime(),
        Err(_) => now
            .in_tz("Asia/Tokyo")
            .map(|z| z.datetime())
            .unwrap_or_else(|_| now.to_zoned(jiff::tz::TimeZone::UTC).datetime()),
    }
}

/// Keeps the value, or records the error and gives `None`.
pub(crate) fn take<T>(errs: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errs.push(e)).ok()
}

pub(crate) fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn codes<T: Copy>(
    raw: &[String],
    parse: fn(&str) -> Option<T>,
    field: &'static str,
    errs: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for r in raw
        .iter()
        .flat_map(|r| r.split(','))
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        match parse(r) {
            Some(v) => out.push(v),
            None => errs.push(FieldError::new(field, "code_unknown")),
        }
    }
    out
}
