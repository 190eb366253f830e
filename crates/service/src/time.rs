//! Times as people read them: in the clinic's zone.

/// An instant in the zone `zone` (an IANA name), to the second; in UTC,
/// marked so, when the zone is unknown.
pub fn local_time(at: jiff::Timestamp, zone: &str) -> String {
    match at.in_tz(zone) {
        Ok(z) => z.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}
