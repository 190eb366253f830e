//! GS1 Digital Link URIs (`https://any.host/[stem/]01/<gtin>/10/<lot>?17=<date>`), parsing
//! and generation.

use jiff::civil::Date;

use super::dictionary::{self, AiEntry};
use super::error::{BarcodeError, ErrorKind};
use super::gs1::{self, AiValue, Element};

/// A path segment or query value with raw offsets.
struct Piece {
    text: Vec<char>,
    pos: Vec<usize>,
}

fn split_pieces(chars: &[char], pos: &[usize], sep: char) -> Vec<Piece> {
    let mut out = vec![Piece {
        text: Vec::new(),
        pos: Vec::new(),
    }];
    for (c, p) in chars.iter().zip(pos) {
        if *c == sep {
            out.push(Piece {
                text: Vec::new(),
                pos: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.text.push(*c);
            last.pos.push(*p);
        }
    }
    out
}

/// Percent-decode; in query values a `+` is rejected (it would be ambiguous with a space).
fn decode(piece: &Piece, in_query: bool, end: usize) -> Result<(String, Vec<usize>), BarcodeError> {
    let at = |i: usize| piece.pos.get(i).copied().unwrap_or(end);
    let bad = |i: usize| BarcodeError::new(ErrorKind::DlInvalidEncoding).at(at(i));
    let mut bytes = Vec::new();
    let mut byte_pos = Vec::new();
    let mut i = 0;
    while i < piece.text.len() {
        let c = piece.text[i];
        if c == '%' {
            let hex: String = piece
                .text
                .get(i + 1..i + 3)
                .map(|h| h.iter().collect())
                .unwrap_or_default();
            let v = (hex.len() == 2)
                .then(|| u8::from_str_radix(&hex, 16).ok())
                .flatten()
                .ok_or_else(|| bad(i))?;
            bytes.push(v);
            byte_pos.push(at(i));
            i += 3;
        } else if c == '+' && in_query {
            return Err(bad(i));
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                bytes.push(b);
                byte_pos.push(at(i));
            }
            i += 1;
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| bad(0))?;
    let pos = text
        .char_indices()
        .map(|(b, _)| byte_pos.get(b).copied().unwrap_or(end))
        .collect();
    Ok((text, pos))
}

fn element(
    ai: &str,
    entry: &'static AiEntry,
    ai_pos: usize,
    value: String,
    value_pos: Vec<usize>,
) -> Element {
    Element {
        ai: ai.to_owned(),
        value,
        entry,
        ai_pos,
        value_pos,
        delimited: false,
    }
}

fn known_ai(s: &[char]) -> Option<(String, &'static AiEntry)> {
    let ai: String = s.iter().collect();
    if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    dictionary::lookup(&ai).map(|e| (ai, e))
}

/// Whether `qualifiers` follow one of the key's allowed sequences, in order.
fn qualifiers_in_order(entry: &AiEntry, qualifiers: &[String]) -> bool {
    let Some(seqs) = entry.dl_pkey else {
        return false;
    };
    if qualifiers.is_empty() {
        return true;
    }
    seqs.iter().any(|seq| {
        let mut from = 0;
        qualifiers
            .iter()
            .all(|q| match seq.iter().skip(from).position(|s| s == q) {
                Some(k) => {
                    from += k + 1;
                    true
                }
                None => false,
            })
    })
}

/// Parse a Digital Link URI. `chars` starts at the scheme.
pub(crate) fn parse(
    chars: &[char],
    pos: &[usize],
    end: usize,
    today: Date,
    zero_suppressed_gtin: bool,
) -> Result<Vec<Element>, BarcodeError> {
    let raw = |i: usize| pos.get(i).copied().unwrap_or(end);
    let invalid = |i: usize, detail: &str| {
        BarcodeError::new(ErrorKind::DlInvalidUri {
            detail: detail.to_owned(),
        })
        .at(raw(i))
    };
    let Some(colon) = chars.iter().position(|c| *c == ':') else {
        return Err(invalid(0, "no scheme"));
    };
    let scheme: String = chars[..colon].iter().collect();
    if !matches!(scheme.as_str(), "http" | "https" | "HTTP" | "HTTPS") {
        return Err(invalid(
            0,
            "the scheme must be http or https, all lower or all upper case",
        ));
    }
    if chars.get(colon..colon + 3) != Some(&[':', '/', '/'][..]) {
        return Err(invalid(colon, "expected '://' after the scheme"));
    }
    let host_start = colon + 3;
    let host_end = chars[host_start..]
        .iter()
        .position(|c| matches!(c, '/' | '?' | '#'))
        .map_or(chars.len(), |k| host_start + k);
    if host_end == host_start {
        return Err(invalid(host_start, "no host"));
    }
    if let Some(k) = chars[host_start..host_end]
        .iter()
        .position(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(host_start + k, "invalid character in host"));
    }
    let frag = chars.iter().position(|c| *c == '#').unwrap_or(chars.len());
    let query_start = chars[..frag].iter().position(|c| *c == '?');
    let path_end = query_start.unwrap_or(frag);
    if let Some(k) = chars[..frag]
        .iter()
        .position(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(k, "whitespace or control character in URI"));
    }

    // Path segments after the host (the first piece is the empty text before the first '/').
    let mut segments = split_pieces(
        &chars[host_end..path_end],
        &pos[host_end.min(pos.len())..path_end.min(pos.len())],
        '/',
    );
    if segments.first().is_some_and(|s| s.text.is_empty()) {
        segments.remove(0);
    }
    if segments.len() > 1 && segments.last().is_some_and(|s| s.text.is_empty()) {
        segments.pop();
    }
    // Walk back from the end over (AI, value) pairs; the leftmost primary key found is the key,
    // everything before it is the custom stem.
    let mut key_at = None;
    let mut j = segments.len();
    while j >= 2 {
        let Some((ai, entry)) = known_ai(&segments[j - 2].text) else {
            break;
        };
        if entry.dl_pkey.is_some() {
            key_at = Some(j - 2);
        } else if !dictionary::is_any_dl_qualifier(&ai) {
            break;
        }
        j -= 2;
    }
    let Some(k) = key_at else {
        return Err(BarcodeError::new(ErrorKind::DlNoPrimaryKey).at(raw(host_end)));
    };
    let mut elements = Vec::new();
    let mut key_entry = None;
    for pair in segments[k..].chunks(2) {
        let [seg_ai, seg_val] = pair else { break };
        let Some((ai, entry)) = known_ai(&seg_ai.text) else {
            break;
        };
        let ai_pos = seg_ai.pos.first().copied().unwrap_or(end);
        let (mut value, mut value_pos) = decode(seg_val, false, end)?;
        if ai == "01" && value.bytes().all(|b| b.is_ascii_digit()) && value.len() != 14 {
            if zero_suppressed_gtin && matches!(value.len(), 8 | 12 | 13) {
                let pad = 14 - value.len();
                value = "0".repeat(pad) + &value;
                let first = value_pos.first().copied().unwrap_or(ai_pos);
                value_pos.splice(0..0, std::iter::repeat_n(first, pad));
            } else {
                return Err(
                    BarcodeError::new(ErrorKind::DlGtinNot14Digits { found: value.len() })
                        .at(value_pos.first().copied().unwrap_or(ai_pos))
                        .ai(&ai),
                );
            }
        }
        if key_entry.is_none() {
            key_entry = Some((ai.clone(), entry));
        }
        elements.push(element(&ai, entry, ai_pos, value, value_pos));
    }
    if let Some((key, entry)) = key_entry {
        let qualifiers: Vec<String> = elements.iter().skip(1).map(|e| e.ai.clone()).collect();
        if !qualifiers_in_order(entry, &qualifiers) {
            let at = elements.get(1).map_or(end, |e| e.ai_pos);
            return Err(BarcodeError::new(ErrorKind::DlBadQualifierOrder {
                key: key.clone(),
                found: qualifiers,
            })
            .at(at)
            .ai(&key));
        }
    }
    let path_ais: Vec<String> = elements.iter().map(|e| e.ai.clone()).collect();

    if let Some(q) = query_start {
        for param in split_pieces(
            &chars[q + 1..frag],
            &pos[(q + 1).min(pos.len())..frag.min(pos.len())],
            '&',
        ) {
            let eq = param
                .text
                .iter()
                .position(|c| *c == '=')
                .unwrap_or(param.text.len());
            let key = &param.text[..eq];
            if key.is_empty() || !key.iter().all(char::is_ascii_digit) {
                continue; // not an AI: other query parameters (linkType, tracking…) are ignored
            }
            let key_pos = param.pos.first().copied().unwrap_or(end);
            let key_text: String = key.iter().collect();
            let Some((ai, entry)) = known_ai(key) else {
                return Err(BarcodeError::new(ErrorKind::UnknownAi { found: key_text }).at(key_pos));
            };
            // The dictionary's `?` flag decides; (10) has it, (21), (22) and (235) do not.
            // An AI already in the path may not be repeated in the query.
            if !entry.dl_data_attribute || path_ais.contains(&ai) {
                return Err(BarcodeError::new(ErrorKind::DlInvalidAttribute)
                    .at(key_pos)
                    .ai(&ai));
            }
            let value_piece = Piece {
                text: param
                    .text
                    .get(eq + 1..)
                    .map(<[char]>::to_vec)
                    .unwrap_or_default(),
                pos: param
                    .pos
                    .get(eq + 1..)
                    .map(<[usize]>::to_vec)
                    .unwrap_or_default(),
            };
            let (value, value_pos) = decode(&value_piece, true, end)?;
            elements.push(element(&ai, entry, key_pos, value, value_pos));
        }
    }
    for e in &elements {
        if e.value.is_empty() {
            return Err(BarcodeError::new(ErrorKind::FieldTooShort {
                min: e.entry.min_len(),
                found: 0,
                value: String::new(),
            })
            .at(e.ai_pos)
            .ai(&e.ai));
        }
        gs1::validate(e, today)?;
    }
    Ok(elements)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Build a GS1 Digital Link URI from AIs: the first primary key in the message goes in the
/// path with its qualifiers in the required order, data attributes go in the query string in
/// message order. `stem` is e.g. `https://id.gs1.org` (a trailing `/` is ignored).
pub fn to_digital_link(ais: &[AiValue], stem: &str) -> Result<String, BarcodeError> {
    let (key, entry) = ais
        .iter()
        .find_map(|a| {
            dictionary::lookup(&a.ai)
                .filter(|e| e.dl_pkey.is_some())
                .map(|e| (a, e))
        })
        .ok_or_else(|| BarcodeError::new(ErrorKind::DlNoPrimaryKey))?;
    let seqs = entry.dl_pkey.unwrap_or(&[]);
    let best = seqs
        .iter()
        .max_by_key(|seq| {
            seq.iter()
                .filter(|q| ais.iter().any(|a| a.ai == **q))
                .count()
        })
        .copied()
        .unwrap_or(&[]);
    let mut uri = format!(
        "{}/{}/{}",
        stem.trim_end_matches('/'),
        key.ai,
        percent_encode(&key.value)
    );
    let mut used: Vec<&str> = vec![key.ai.as_str()];
    for q in best {
        if let Some(a) = ais.iter().find(|a| a.ai == *q) {
            uri.push_str(&format!("/{}/{}", a.ai, percent_encode(&a.value)));
            used.push(q);
        }
    }
    let mut sep = '?';
    for a in ais.iter().filter(|a| !used.contains(&a.ai.as_str())) {
        let attribute = dictionary::lookup(&a.ai).is_some_and(|e| e.dl_data_attribute);
        if !attribute {
            return Err(BarcodeError::new(ErrorKind::DlInvalidAttribute).ai(&a.ai));
        }
        uri.push(sep);
        uri.push_str(&format!("{}={}", a.ai, percent_encode(&a.value)));
        sep = '&';
    }
    Ok(uri)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 22);

    fn dl(s: &str, legacy: bool) -> Result<Vec<AiValue>, BarcodeError> {
        let chars: Vec<char> = s.chars().collect();
        let pos: Vec<usize> = (0..chars.len()).collect();
        parse(&chars, &pos, chars.len(), TODAY, legacy)
            .map(|v| v.iter().map(Element::to_ai_value).collect())
    }

    #[test]
    fn percent_decoding_and_ignored_parameters() {
        let ais = dl("https://example.com/my/stem/01/09520123456788/10/AB%2FC%2B1?linkType=all&17=261231#frag", false).unwrap();
        assert_eq!(
            gs1::bracketed(&ais),
            "(01)09520123456788(10)AB/C+1(17)261231"
        );
        assert_eq!(
            dl("https://a/01/09520123456788/10/A+B", false).unwrap()[1].value,
            "A+B"
        );
        assert_eq!(
            dl("https://a/01/09520123456788?10=A+B", false)
                .unwrap_err()
                .code(),
            "barcode_dl_invalid_encoding"
        );
        assert_eq!(
            dl("https://a/01/09520123456788?17=26+231", false)
                .unwrap_err()
                .code(),
            "barcode_dl_invalid_encoding"
        );
        assert_eq!(
            dl("https://a/01/09520123456788/10/A%2", false)
                .unwrap_err()
                .code(),
            "barcode_dl_invalid_encoding"
        );
        assert_eq!(
            dl("https://a/01/09520123456788?21=5", false)
                .unwrap_err()
                .code(),
            "barcode_dl_invalid_attribute"
        );
        assert_eq!(
            dl("https://a/01/09520123456788?9999=5", false)
                .unwrap_err()
                .code(),
            "barcode_unknown_ai"
        );
        assert_eq!(
            dl("https://a/products/123", false).unwrap_err().code(),
            "barcode_dl_no_primary_key"
        );
        assert_eq!(
            dl("https://a/01/09520123456789", false).unwrap_err().code(),
            "barcode_bad_check_digit"
        );
        assert_eq!(
            dl("ftp://a/01/09520123456788", false).unwrap_err().code(),
            "barcode_dl_invalid_uri"
        );
        assert_eq!(
            dl("https:///01/09520123456788", false).unwrap_err().code(),
            "barcode_dl_invalid_uri"
        );
        assert_eq!(dl("HTTPS://A/01/09520123456788/", false).unwrap().len(), 1);
    }

    #[test]
    fn qualifier_order() {
        assert!(dl("https://a/01/12312312312333/22/T/10/A/21/X", false).is_ok());
        assert!(dl("https://a/01/12312312312333/235/T", false).is_ok());
        assert_eq!(
            dl("https://a/01/12312312312333/10/A/22/T", false)
                .unwrap_err()
                .code(),
            "barcode_dl_bad_qualifier_order"
        );
        assert_eq!(
            dl("https://a/01/12312312312333/22/T/235/X", false)
                .unwrap_err()
                .code(),
            "barcode_dl_bad_qualifier_order"
        );
        assert_eq!(
            dl("https://a/00/006141411234567890/10/A", false)
                .unwrap_err()
                .code(),
            "barcode_dl_bad_qualifier_order"
        );
    }

    #[test]
    fn generation_encodes_and_orders() {
        let ais = vec![
            AiValue {
                ai: "17".into(),
                value: "261231".into(),
            },
            AiValue {
                ai: "10".into(),
                value: "A/B".into(),
            },
            AiValue {
                ai: "01".into(),
                value: "09520123456788".into(),
            },
        ];
        let uri = to_digital_link(&ais, "https://id.example/").unwrap();
        assert_eq!(
            uri,
            "https://id.example/01/09520123456788/10/A%2FB?17=261231"
        );
        let back = dl(&uri, false).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(
            to_digital_link(&ais[..2], "https://x").unwrap_err().code(),
            "barcode_dl_no_primary_key"
        );
    }
}
