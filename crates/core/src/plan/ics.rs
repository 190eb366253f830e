//! iCalendar (RFC 5545) export of appointments: CRLF line endings, lines
//! folded at 75 octets (never inside a UTF-8 character), text escaped,
//! times in UTC (`…Z`), the appointment id as the UID.

use jiff::Timestamp;
use uuid::Uuid;

/// One event of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent {
    pub uid: Uuid,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    /// `CONFIRMED`, `TENTATIVE` or `CANCELLED`.
    pub status: &'static str,
    /// The last change (DTSTAMP).
    pub stamp: Timestamp,
}

/// `20260406T010000Z`.
pub fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line: at most 75 octets per line, continuation lines
/// start with a space, never splitting a character; each line ends in CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut len = 0usize;
    for c in line.chars() {
        let n = c.len_utf8();
        if len + n > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += n;
    }
    out.push_str("\r\n");
    out
}

/// The whole calendar.
pub fn calendar(name: &str, events: &[IcsEvent]) -> String {
    let mut out = String::new();
    let mut line = |s: String| out.push_str(&fold(&s));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//jousei//appointments//JA".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", e.uid));
        line(format!("DTSTAMP:{}", utc(e.stamp)));
        line(format!("DTSTART:{}", utc(e.starts_at)));
        line(format!("DTEND:{}", utc(e.ends_at)));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(l) = &e.location {
            line(format!("LOCATION:{}", escape(l)));
        }
        if let Some(d) = &e.description {
            line(format!("DESCRIPTION:{}", escape(d)));
        }
        line(format!("STATUS:{}", e.status));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// Unfolds a calendar back into its content lines (for tests and import
/// checks): CRLF followed by a space or tab continues the line.
pub fn unfold(text: &str) -> Vec<String> {
    text.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let long = format!("SUMMARY:{}", "施術".repeat(40));
        let folded = fold(&long);
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        assert!(folded.ends_with("\r\n"));
        assert_eq!(unfold(&folded), [long]);
    }

    #[test]
    fn a_calendar_has_crlf_utc_and_escaped_text() {
        let e = IcsEvent {
            uid: Uuid::from_u128(1),
            starts_at: "2026-04-06T01:00:00Z".parse().unwrap(),
            ends_at: "2026-04-06T02:00:00Z".parse().unwrap(),
            summary: "点滴; 2回目, 導入期".into(),
            location: Some("処置室A".into()),
            description: None,
            status: "CONFIRMED",
            stamp: "2026-04-01T00:00:00Z".parse().unwrap(),
        };
        let text = calendar("銀座院", &[e]);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        let lines = unfold(&text);
        assert!(lines.contains(&"DTSTART:20260406T010000Z".to_string()));
        assert!(lines.contains(&"UID:00000000-0000-0000-0000-000000000001".to_string()));
        assert!(lines.contains(&"SUMMARY:点滴\\; 2回目\\, 導入期".to_string()));
    }
}
