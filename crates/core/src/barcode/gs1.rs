//! GS1 element strings: AI lookup, field lengths, character sets, linters, message-level rules
//! and the missing-separator heuristic.

use jiff::civil::Date;
use serde::Serialize;

use super::dictionary::{self, AiEntry};
use super::error::{BarcodeError, ErrorKind};
use super::input::GS;
use super::linters::{self, LintFailure, Problem};

/// One AI and its raw value, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiValue {
    /// The Application Identifier, e.g. `17`.
    pub ai: String,
    /// The raw value (for (01) as read: 14 digits).
    pub value: String,
}

/// A parsed element with positions, for validation and error reporting.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub ai: String,
    pub value: String,
    pub entry: &'static AiEntry,
    /// Raw offset of the AI's first digit.
    pub ai_pos: usize,
    /// Raw offset of each value character.
    pub value_pos: Vec<usize>,
    /// A variable-length field that ran to a separator or to the end of the data.
    pub delimited: bool,
}

impl Element {
    pub fn to_ai_value(&self) -> AiValue {
        AiValue {
            ai: self.ai.clone(),
            value: self.value.clone(),
        }
    }

    fn pos_of(&self, offset: usize) -> usize {
        self.value_pos
            .get(offset)
            .or(self.value_pos.last())
            .copied()
            .unwrap_or(self.ai_pos)
    }
}

fn lint_error(
    e: &Element,
    component_start: usize,
    f: LintFailure,
    linter: &str,
    component: &str,
) -> BarcodeError {
    let kind = match f.problem {
        Problem::CheckDigit { expected, found } => ErrorKind::BadCheckDigit {
            expected,
            found,
            value: e.value.clone(),
        },
        Problem::Date(p) => ErrorKind::InvalidDate {
            value: component.to_owned(),
            problem: p.as_str().to_owned(),
        },
        Problem::Time => ErrorKind::InvalidTime {
            value: e.value.clone(),
        },
        Problem::Other(detail) => ErrorKind::InvalidValue {
            linter: linter.to_owned(),
            detail: detail.to_owned(),
            value: e.value.clone(),
        },
    };
    BarcodeError::new(kind)
        .at(e.pos_of(component_start + f.offset))
        .ai(&e.ai)
}

/// Check an element's value against its dictionary definition: length, character set of each
/// component, then the component linters.
pub(crate) fn validate(e: &Element, today: Date) -> Result<(), BarcodeError> {
    let chars: Vec<char> = e.value.chars().collect();
    let n = chars.len();
    let (min, max) = (e.entry.min_len(), e.entry.max_len());
    if n > max {
        return Err(BarcodeError::new(ErrorKind::FieldTooLong {
            max,
            found: n,
            value: e.value.clone(),
        })
        .at(e.pos_of(max))
        .ai(&e.ai));
    }
    let too_short = |at: usize| {
        BarcodeError::new(ErrorKind::FieldTooShort {
            min,
            found: n,
            value: e.value.clone(),
        })
        .at(e.pos_of(at))
        .ai(&e.ai)
    };
    if n < min {
        return Err(too_short(0));
    }
    let mut at = 0;
    for comp in e.entry.components {
        let remaining = n - at;
        if remaining == 0 && comp.optional {
            break;
        }
        let take = remaining.min(usize::from(comp.max));
        if take < usize::from(comp.min) {
            // An optional component started but cut short (e.g. (7007) with 9 digits).
            return Err(too_short(at));
        }
        let part = &chars[at..at + take];
        if let Some(bad) = part.iter().position(|c| !linters::in_cset(comp.cset, *c)) {
            return Err(BarcodeError::new(ErrorKind::InvalidCharacter {
                character: part[bad],
                charset: comp.cset.name().to_owned(),
            })
            .at(e.pos_of(at + bad))
            .ai(&e.ai));
        }
        let text: String = part.iter().collect();
        for linter in comp.linters {
            linters::lint(*linter, &text, today)
                .map_err(|f| lint_error(e, at, f, linter.name(), &text))?;
        }
        at += take;
    }
    Ok(())
}

/// Find the AI at the start of `chars` (2 to 4 digits; the dictionary is prefix-free).
fn match_ai(
    chars: &[char],
    pos: impl Fn(usize) -> usize,
) -> Result<(&'static AiEntry, usize), BarcodeError> {
    for len in 2..=4 {
        let Some(cand) = chars.get(..len) else { break };
        if !cand.iter().all(char::is_ascii_digit) {
            break;
        }
        let ai: String = cand.iter().collect();
        if let Some(entry) = dictionary::lookup(&ai) {
            return Ok((entry, len));
        }
    }
    let digits: String = chars
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .take(4)
        .collect();
    if chars.len() == digits.len() && digits.len() < 4 {
        // The data ends inside what may be an AI.
        let is_prefix = dictionary::entries()
            .iter()
            .any(|e| e.first.starts_with(&digits) || e.last.starts_with(&digits));
        if is_prefix {
            return Err(BarcodeError::new(ErrorKind::Truncated {
                expected: 2.max(digits.len() + 1),
                found: digits.len(),
            })
            .at(pos(0)));
        }
    }
    let found: String = chars.iter().take(4).collect();
    Err(BarcodeError::new(ErrorKind::UnknownAi { found }).at(pos(0)))
}

/// Parse a GS1 element string (GS already substituted for any stand-in). Every value is
/// validated; message-level rules are applied by [`check_message`].
pub(crate) fn parse_element_string(
    chars: &[char],
    pos: &[usize],
    end: usize,
    today: Date,
) -> Result<Vec<Element>, BarcodeError> {
    let raw = |i: usize| pos.get(i).copied().unwrap_or(end);
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if chars[i] == GS {
            // FNC1 in first position, a superfluous separator after a pre-defined-length field,
            // or a trailing separator: all harmless.
            i += 1;
            continue;
        }
        let (entry, ai_len) = match_ai(&chars[i..], |k| raw(i + k))?;
        let ai: String = chars[i..i + ai_len].iter().collect();
        let ai_pos = raw(i);
        let vstart = i + ai_len;
        let (vend, delimited) = if entry.predefined_length {
            let want = entry.max_len();
            let avail = chars[vstart..]
                .iter()
                .take(want)
                .take_while(|c| **c != GS)
                .count();
            if avail < want && vstart + avail == n {
                return Err(BarcodeError::new(ErrorKind::Truncated {
                    expected: want,
                    found: avail,
                })
                .at(raw(vstart))
                .ai(&ai));
            }
            (vstart + avail, false)
        } else {
            let len = chars[vstart..].iter().take_while(|c| **c != GS).count();
            if len < entry.min_len() && vstart + len == n {
                return Err(BarcodeError::new(ErrorKind::Truncated {
                    expected: entry.min_len(),
                    found: len,
                })
                .at(raw(vstart))
                .ai(&ai));
            }
            (vstart + len, true)
        };
        let element = Element {
            ai: ai.clone(),
            value: chars[vstart..vend].iter().collect(),
            entry,
            ai_pos,
            value_pos: (vstart..vend).map(raw).collect(),
            delimited,
        };
        validate(&element, today)?;
        out.push(element);
        i = vend;
    }
    if out.is_empty() {
        return Err(BarcodeError::new(ErrorKind::Empty).at(raw(0)));
    }
    Ok(out)
}

/// Parse bracketed human-readable text: `(01)09520123456788(17)261231(10)ABC`.
/// A literal `(` inside a value is written `\(`; spaces next to the brackets are ignored
/// (no GS1 character set contains a space).
pub(crate) fn parse_bracketed(
    chars: &[char],
    pos: &[usize],
    end: usize,
    today: Date,
) -> Result<Vec<Element>, BarcodeError> {
    let raw = |i: usize| pos.get(i).copied().unwrap_or(end);
    let malformed = |i: usize, detail: &str| {
        BarcodeError::new(ErrorKind::MalformedHri {
            detail: detail.to_owned(),
        })
        .at(raw(i))
    };
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        if chars[i] != '(' {
            return Err(malformed(i, "expected '(' before an AI"));
        }
        let close = chars[i + 1..]
            .iter()
            .position(|c| *c == ')')
            .map(|k| i + 1 + k)
            .ok_or_else(|| malformed(i, "'(' without ')'"))?;
        let ai: String = chars[i + 1..close].iter().collect();
        let Some(entry) = dictionary::lookup(&ai) else {
            return Err(BarcodeError::new(ErrorKind::UnknownAi { found: ai }).at(raw(i + 1)));
        };
        let mut value = String::new();
        let mut value_pos = Vec::new();
        let mut j = close + 1;
        while j < n && chars[j] == ' ' {
            j += 1;
        }
        while j < n && chars[j] != '(' {
            if chars[j] == '\\' && chars.get(j + 1) == Some(&'(') {
                j += 1;
            }
            value.push(chars[j]);
            value_pos.push(raw(j));
            j += 1;
        }
        while value.ends_with(' ') {
            value.pop();
            value_pos.pop();
        }
        let element = Element {
            ai,
            value,
            entry,
            ai_pos: raw(i + 1),
            value_pos,
            delimited: true,
        };
        if element.value.is_empty() {
            return Err(BarcodeError::new(ErrorKind::FieldTooShort {
                min: entry.min_len(),
                found: 0,
                value: String::new(),
            })
            .at(raw(close))
            .ai(&element.ai));
        }
        validate(&element, today)?;
        out.push(element);
        i = j;
    }
    if out.is_empty() {
        return Err(malformed(0, "no (AI)value pairs"));
    }
    Ok(out)
}

/// Result of the message-level checks that do not reject the scan.
#[derive(Debug, Default)]
pub(crate) struct MessageNotes {
    pub duplicates: Vec<AiValue>,
    pub missing_requisites: Vec<(String, Vec<String>)>,
}

/// The AI jousei uses for its own internal product identifier on labels (company-internal
/// range 91–99). See `docs/barcodes.md`.
pub const INTERNAL_PRODUCT_AI: &str = "92";

/// Apply message-level rules: repeated AIs (same value: dropped and noted; different values:
/// rejected), mutually exclusive AIs (`ex=`, rejected) and requisite AIs (`req=`, noted).
pub(crate) fn check_message(
    elements: Vec<Element>,
) -> Result<(Vec<Element>, MessageNotes), BarcodeError> {
    let mut notes = MessageNotes::default();
    let mut kept: Vec<Element> = Vec::with_capacity(elements.len());
    for e in elements {
        match kept.iter().find(|k| k.ai == e.ai) {
            Some(k) if k.value == e.value => notes.duplicates.push(e.to_ai_value()),
            Some(k) => {
                return Err(BarcodeError::new(ErrorKind::ConflictingAi {
                    first: k.value.clone(),
                    second: e.value,
                })
                .at(e.ai_pos)
                .ai(&e.ai));
            }
            None => kept.push(e),
        }
    }
    for e in &kept {
        for pattern in e.entry.ex {
            if let Some(other) = kept
                .iter()
                .find(|o| o.ai != e.ai && dictionary::ai_matches_pattern(&o.ai, pattern))
            {
                return Err(BarcodeError::new(ErrorKind::InvalidAiPairing {
                    other: other.ai.clone(),
                })
                .at(e.ai_pos)
                .ai(&e.ai));
            }
        }
    }
    let has_internal = kept.iter().any(|e| e.ai == INTERNAL_PRODUCT_AI);
    let present = |pattern: &str| {
        kept.iter()
            .any(|o| dictionary::ai_matches_pattern(&o.ai, pattern))
            || (pattern == "01" && has_internal)
    };
    for e in &kept {
        for group in e.entry.req {
            let satisfied = group.iter().any(|alt| alt.iter().all(|p| present(p)));
            if !satisfied {
                let alternatives = group.iter().map(|alt| alt.join("+")).collect();
                notes.missing_requisites.push((e.ai.clone(), alternatives));
            }
        }
    }
    Ok((kept, notes))
}

/// AIs that a variable-length field may have swallowed when a separator went missing.
/// Dates and GTINs carry their own validation (real date, check digit); lot and serial are the
/// usual neighbours of a variable field on a medicine label.
const SWALLOWED_CANDIDATES: &[&str] = &["01", "11", "13", "15", "16", "17", "7003", "10", "21"];

/// One way to re-read a field as if a separator had been lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeparatorCandidate {
    /// Character offset inside the field's value where the swallowed AI would start.
    pub split_at: usize,
    /// The field's value if the separator had been there.
    pub kept_value: String,
    /// The AIs the rest of the value would be.
    pub swallowed: Vec<AiValue>,
    /// The swallowed AI validates itself (a real date, a GTIN check digit), which makes a lost
    /// separator likely. `false` for a swallowed (10) or (21), which any text can look like:
    /// a lot `LOT2105` reads as lot `LOT` + serial `05`.
    pub self_validating: bool,
}

/// For each variable-length field that ran to a separator or the end of the data, look for a
/// split where the tail is itself a complete, valid element string starting with a candidate
/// AI that the message does not otherwise contain, and where the head is still a valid value.
pub(crate) fn missing_separator_candidates(
    elements: &[Element],
    today: Date,
) -> Vec<(usize, Vec<SeparatorCandidate>)> {
    let mut out = Vec::new();
    for (idx, e) in elements.iter().enumerate() {
        if !e.delimited {
            continue;
        }
        let chars: Vec<char> = e.value.chars().collect();
        let mut found = Vec::new();
        for split in 1..chars.len() {
            let tail = &chars[split..];
            let starts_candidate = SWALLOWED_CANDIDATES.iter().any(|c| {
                *c != e.ai
                    && tail.len() > c.len()
                    && tail.iter().take(c.len()).copied().eq(c.chars())
                    && !elements.iter().any(|o| o.ai == *c)
            });
            if !starts_candidate {
                continue;
            }
            let tail_pos = e
                .value_pos
                .get(split..)
                .map(<[usize]>::to_vec)
                .unwrap_or_default();
            let Ok(swallowed) = parse_element_string(tail, &tail_pos, e.pos_of(chars.len()), today)
            else {
                continue;
            };
            if swallowed
                .iter()
                .any(|s| elements.iter().any(|o| o.ai == s.ai))
            {
                continue;
            }
            let head = Element {
                value: chars[..split].iter().collect(),
                value_pos: e
                    .value_pos
                    .get(..split)
                    .map(<[usize]>::to_vec)
                    .unwrap_or_default(),
                ..e.clone()
            };
            if validate(&head, today).is_err() {
                continue;
            }
            found.push(SeparatorCandidate {
                split_at: split,
                kept_value: head.value,
                self_validating: swallowed
                    .first()
                    .is_some_and(|s| !matches!(s.ai.as_str(), "10" | "21")),
                swallowed: swallowed.iter().map(Element::to_ai_value).collect(),
            });
        }
        // A self-validating re-reading (a real date, a GTIN with its check digit) is far more
        // likely than one that any text matches; show only those when there are some.
        if found.iter().any(|c| c.self_validating) {
            found.retain(|c| c.self_validating);
        }
        if !found.is_empty() {
            out.push((idx, found));
        }
    }
    out
}

/// Render elements as an element string with GS after every field that needs a separator
/// (no leading FNC1, no trailing GS).
pub fn element_string(ais: &[AiValue]) -> String {
    render(ais, "", &GS.to_string())
}

/// Render elements in the GS1 Syntax Engine's notation: `^` for FNC1 (leading and separating).
pub fn element_string_caret(ais: &[AiValue]) -> String {
    render(ais, "^", "^")
}

fn render(ais: &[AiValue], lead: &str, sep: &str) -> String {
    let mut s = String::from(lead);
    for (i, a) in ais.iter().enumerate() {
        s.push_str(&a.ai);
        s.push_str(&a.value);
        let predefined = dictionary::lookup(&a.ai).is_some_and(|e| e.predefined_length);
        if !predefined && i + 1 < ais.len() {
            s.push_str(sep);
        }
    }
    s
}

/// Render elements as bracketed human-readable text, `(01)…(10)…`; a `(` inside a value is
/// escaped as `\(`.
pub fn bracketed(ais: &[AiValue]) -> String {
    ais.iter()
        .map(|a| format!("({}){}", a.ai, a.value.replace('(', "\\(")))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 22);

    fn parse(s: &str) -> Result<Vec<AiValue>, BarcodeError> {
        let chars: Vec<char> = s.chars().collect();
        let pos: Vec<usize> = (0..chars.len()).collect();
        parse_element_string(&chars, &pos, chars.len(), TODAY)
            .map(|v| v.iter().map(Element::to_ai_value).collect())
    }

    fn hri(s: &str) -> Result<Vec<AiValue>, BarcodeError> {
        let chars: Vec<char> = s.chars().collect();
        let pos: Vec<usize> = (0..chars.len()).collect();
        parse_bracketed(&chars, &pos, chars.len(), TODAY)
            .map(|v| v.iter().map(Element::to_ai_value).collect())
    }

    #[test]
    fn bracketed_round_trips_to_syntax_engine_notation_g8_g9() {
        assert_eq!(
            element_string_caret(&hri("(01)12345678901231(10)12345").unwrap()),
            "^01123456789012311012345"
        );
        assert_eq!(
            element_string_caret(&hri("(10)12345(11)991225").unwrap()),
            "^1012345^11991225"
        );
        assert_eq!(hri("(10)AB\\(C").unwrap()[0].value, "AB(C");
        assert_eq!(bracketed(&hri("(10)AB\\(C").unwrap()), "(10)AB\\(C");
        assert_eq!(hri(" (01) 09520123456788 (10) A1 ").unwrap().len(), 2);
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = parse("0112345678901234").unwrap_err();
        assert_eq!(
            (e.code(), e.position, e.ai.as_deref()),
            ("barcode_bad_check_digit", Some(15), Some("01"))
        );
        let e = parse("0109520123456788179913").unwrap_err();
        assert_eq!((e.code(), e.position), ("barcode_truncated", Some(18)));
        let e = parse("0109520123456788231").unwrap_err();
        assert_eq!((e.code(), e.position), ("barcode_unknown_ai", Some(16)));
        let e = parse("10ABCDEFGHIJKLMNOPQRSTU").unwrap_err();
        assert_eq!((e.code(), e.position), ("barcode_field_too_long", Some(22)));
        let e = parse("10AB CD").unwrap_err();
        assert_eq!(
            (e.code(), e.position),
            ("barcode_invalid_character", Some(4))
        );
        let e = parse("17261301").unwrap_err();
        assert_eq!(
            (e.code(), e.ai.as_deref()),
            ("barcode_invalid_date", Some("17"))
        );
        let e = parse("700326123124001\u{1d}10A").unwrap_err();
        assert_eq!(e.code(), "barcode_field_too_long");
        let e = parse("70032612312460").unwrap_err();
        assert_eq!(e.code(), "barcode_invalid_time");
        let e = parse("10\u{1d}21A").unwrap_err();
        assert_eq!(e.code(), "barcode_field_too_short");
        let e = parse("10").unwrap_err();
        assert_eq!(e.code(), "barcode_truncated");
        let e = parse("0").unwrap_err();
        assert_eq!(e.code(), "barcode_truncated");
        let e = parse("800601234567890128").unwrap_err();
        assert_eq!(e.code(), "barcode_truncated");
        let e = parse("8006012345678901280301").unwrap_err();
        assert_eq!(
            (e.code(), e.ai.as_deref()),
            ("barcode_invalid_value", Some("8006"))
        );
    }

    #[test]
    fn message_rules() {
        let els = |s: &str| {
            let chars: Vec<char> = s.chars().collect();
            let pos: Vec<usize> = (0..chars.len()).collect();
            parse_element_string(&chars, &pos, chars.len(), TODAY).unwrap()
        };
        let (kept, notes) = check_message(els("0109520123456788\u{1d}0109520123456788")).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(notes.duplicates.len(), 1);
        let e = check_message(els("10A\u{1d}10B")).unwrap_err();
        assert_eq!(
            (e.code(), e.ai.as_deref()),
            ("barcode_conflicting_ai", Some("10"))
        );
        let e = check_message(els("0109520123456788\u{1d}0209520123456788")).unwrap_err();
        assert_eq!(e.code(), "barcode_invalid_ai_pairing");
        let e = check_message(els("3100000001\u{1d}3101000001")).unwrap_err();
        assert_eq!(e.code(), "barcode_invalid_ai_pairing");
        let (_, notes) = check_message(els("10ABC")).unwrap();
        assert_eq!(
            notes.missing_requisites,
            vec![(
                "10".to_owned(),
                vec!["01", "02", "03", "8006", "8026"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )]
        );
        let (_, notes) = check_message(els("10ABC\u{1d}92P-1")).unwrap();
        assert!(notes.missing_requisites.is_empty());
    }

    #[test]
    fn swallowed_date_is_found_g13() {
        let chars: Vec<char> = "010703206980498810032915210526".chars().collect();
        let pos: Vec<usize> = (0..chars.len()).collect();
        let els = parse_element_string(&chars, &pos, chars.len(), TODAY).unwrap();
        assert_eq!(els[1].value, "032915210526");
        let found = missing_separator_candidates(&els, TODAY);
        assert_eq!(found.len(), 1);
        let (idx, cands) = &found[0];
        assert_eq!(*idx, 1);
        assert_eq!(cands[0].kept_value, "0329");
        assert_eq!(
            cands[0].swallowed,
            vec![AiValue {
                ai: "15".into(),
                value: "210526".into()
            }]
        );
    }

    #[test]
    fn swallowed_serial_is_a_weak_candidate() {
        let chars: Vec<char> = "0109520123456788\u{1d}10LOT2021A".chars().collect();
        let pos: Vec<usize> = (0..chars.len()).collect();
        let els = parse_element_string(&chars, &pos, chars.len(), TODAY).unwrap();
        let found = missing_separator_candidates(&els, TODAY);
        let cands = &found[0].1;
        assert_eq!(cands.len(), 1);
        assert_eq!(
            (cands[0].kept_value.as_str(), cands[0].self_validating),
            ("LOT20", false)
        );
        assert_eq!(
            cands[0].swallowed,
            vec![AiValue {
                ai: "21".into(),
                value: "A".into()
            }]
        );
    }

    #[test]
    fn ordinary_lots_raise_no_separator_warning() {
        for s in [
            "0109520123456788\u{1d}10LOT2A\u{1d}21X",
            "10ABC123\u{1d}17261231",
            "0109520123456788172612311017X",
        ] {
            let chars: Vec<char> = s.chars().collect();
            let pos: Vec<usize> = (0..chars.len()).collect();
            let els = parse_element_string(&chars, &pos, chars.len(), TODAY).unwrap();
            assert!(missing_separator_candidates(&els, TODAY).is_empty(), "{s}");
        }
    }
}
