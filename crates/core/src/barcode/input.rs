//! Raw scanner input: trimming, full-width normalisation, AIM symbology identifiers and the
//! keyboard-wedge stand-ins for the GS (FNC1) separator.

use serde::Serialize;

use super::error::{BarcodeError, ErrorKind};

/// The ASCII group separator that scanners transmit for a separator FNC1.
pub const GS: char = '\u{1d}';

/// Longest input accepted (characters). Real symbols hold far less (a GS1 DataMatrix at most
/// about 2,300 characters); the limit keeps hostile input cheap.
pub const MAX_INPUT_CHARS: usize = 4096;

/// The GS stand-ins accepted by default.
///
/// None of these characters can occur inside GS1 data (they are outside CSET 82, 39 and 64),
/// except `<GS>`, whose characters are all in CSET 82: a lot number that literally contained
/// `<GS>` would be split. That cannot silently produce a wrong lot: the text after the split
/// must then parse as a valid AI and value, or the scan is rejected.
pub const DEFAULT_GS_STAND_INS: &[&str] = &[
    "<GS>", "{GS}", "[GS]", "^]", "\\x1d", "\\u001d", "^", "|", "~",
];

/// The AIM symbology identifier sent ahead of the data (ISO/IEC 15424).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Symbology {
    /// `]C1` GS1-128.
    Gs1_128,
    /// `]C0` Code 128 without FNC1 (ISBT 128 arrives this way).
    Code128,
    /// `]d2` GS1 DataMatrix.
    Gs1Datamatrix,
    /// `]d1` Data Matrix without FNC1 (Digital Link URIs, ISBT 128 compound messages).
    Datamatrix,
    /// `]Q3` GS1 QR Code.
    Gs1Qr,
    /// `]Q1` QR Code without FNC1 (Digital Link URIs).
    Qr,
    /// `]e0` GS1 DataBar family and composites (Japanese 調剤包装).
    Gs1Databar,
    /// `]E0` EAN-13 or UPC-A.
    Ean13,
    /// `]E4` EAN-8.
    Ean8,
    /// `]J1` GS1 DotCode.
    Gs1Dotcode,
    /// `]J0` DotCode without FNC1.
    Dotcode,
    /// `]I1` ITF-14 with check digit.
    Itf14,
}

impl Symbology {
    /// Recognise a three-character identifier.
    pub fn from_identifier(id: &str) -> Option<Self> {
        Some(match id {
            "]C1" => Self::Gs1_128,
            "]C0" => Self::Code128,
            "]d2" => Self::Gs1Datamatrix,
            "]d1" => Self::Datamatrix,
            "]Q3" => Self::Gs1Qr,
            "]Q1" => Self::Qr,
            "]e0" => Self::Gs1Databar,
            "]E0" => Self::Ean13,
            "]E4" => Self::Ean8,
            "]J1" => Self::Gs1Dotcode,
            "]J0" => Self::Dotcode,
            "]I1" => Self::Itf14,
            _ => return None,
        })
    }

    /// The identifier, e.g. `]d2`.
    pub const fn identifier(self) -> &'static str {
        match self {
            Self::Gs1_128 => "]C1",
            Self::Code128 => "]C0",
            Self::Gs1Datamatrix => "]d2",
            Self::Datamatrix => "]d1",
            Self::Gs1Qr => "]Q3",
            Self::Qr => "]Q1",
            Self::Gs1Databar => "]e0",
            Self::Ean13 => "]E0",
            Self::Ean8 => "]E4",
            Self::Gs1Dotcode => "]J1",
            Self::Dotcode => "]J0",
            Self::Itf14 => "]I1",
        }
    }

    /// Whether the symbol carries GS1 element strings (FNC1 in first position).
    pub const fn is_gs1_element_string(self) -> bool {
        matches!(
            self,
            Self::Gs1_128 | Self::Gs1Datamatrix | Self::Gs1Qr | Self::Gs1Databar | Self::Gs1Dotcode
        )
    }
}

/// Input after normalisation: the characters, and for each its offset in the raw input.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub chars: Vec<char>,
    pub pos: Vec<usize>,
    pub symbology: Option<Symbology>,
    pub fullwidth_normalised: bool,
    /// Offset just past the end of the raw input (for errors at the end of the data).
    pub end: usize,
}

impl Prepared {
    /// Raw-input offset of normalised character `i` (or the end).
    pub fn raw_pos(&self, i: usize) -> usize {
        self.pos.get(i).copied().unwrap_or(self.end)
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn starts_with(&self, prefix: &str) -> bool {
        let mut it = self.chars.iter();
        prefix.chars().all(|p| it.next() == Some(&p))
    }

    pub fn starts_with_ignore_case(&self, prefix: &str) -> bool {
        let mut it = self.chars.iter();
        prefix
            .chars()
            .all(|p| it.next().is_some_and(|c| c.eq_ignore_ascii_case(&p)))
    }

    /// Drop the first `n` characters.
    pub fn skip(&mut self, n: usize) {
        let n = n.min(self.chars.len());
        self.chars.drain(..n);
        self.pos.drain(..n);
    }
}

fn is_trim(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{3000}')
}

/// Trim, normalise full-width ASCII (a Japanese IME left on turns scanner keystrokes into
/// `０１…`), and strip the symbology identifier.
pub(crate) fn prepare(raw: &str, normalise_fullwidth: bool) -> Result<Prepared, BarcodeError> {
    let all: Vec<char> = raw.chars().collect();
    if all.len() > MAX_INPUT_CHARS {
        return Err(BarcodeError::new(ErrorKind::InputTooLong {
            max: MAX_INPUT_CHARS,
        }));
    }
    let start = all.iter().position(|c| !is_trim(*c)).unwrap_or(all.len());
    let stop = all
        .iter()
        .rposition(|c| !is_trim(*c))
        .map_or(start, |i| i + 1);
    let mut fullwidth = false;
    let mut chars = Vec::with_capacity(stop - start);
    let mut pos = Vec::with_capacity(stop - start);
    for (i, &c) in all.iter().enumerate().take(stop).skip(start) {
        let c = match u32::from(c) {
            0xFF01..=0xFF5E if normalise_fullwidth => {
                fullwidth = true;
                char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        };
        chars.push(c);
        pos.push(i);
    }
    if chars.is_empty() {
        return Err(BarcodeError::new(ErrorKind::Empty).at(0));
    }
    let mut p = Prepared {
        chars,
        pos,
        symbology: None,
        fullwidth_normalised: fullwidth,
        end: all.len(),
    };
    if p.chars.first() == Some(&']') {
        let id: String = p.chars.iter().take(3).collect();
        let Some(sym) = Symbology::from_identifier(&id) else {
            return Err(
                BarcodeError::new(ErrorKind::UnsupportedSymbology { identifier: id })
                    .at(p.raw_pos(0)),
            );
        };
        p.symbology = Some(sym);
        p.skip(3);
        if p.chars.is_empty() {
            return Err(BarcodeError::new(ErrorKind::Empty).at(p.end));
        }
    }
    Ok(p)
}

/// Replace GS stand-ins by GS (longest stand-in first), keeping raw offsets.
pub(crate) fn replace_stand_ins(p: &Prepared, stand_ins: &[String]) -> (Vec<char>, Vec<usize>) {
    let mut sorted: Vec<Vec<char>> = stand_ins
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().collect())
        .collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut chars = Vec::with_capacity(p.chars.len());
    let mut pos = Vec::with_capacity(p.chars.len());
    let mut i = 0;
    while i < p.chars.len() {
        let hit = sorted.iter().find(|s| {
            p.chars
                .get(i..i + s.len())
                .is_some_and(|w| w == s.as_slice())
        });
        match hit {
            Some(s) => {
                chars.push(GS);
                pos.push(p.raw_pos(i));
                i += s.len();
            }
            None => {
                chars.push(p.chars[i]);
                pos.push(p.raw_pos(i));
                i += 1;
            }
        }
    }
    (chars, pos)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_strips_symbology() {
        let p = prepare("  ]d2010\r\n", true).unwrap();
        assert_eq!(p.symbology, Some(Symbology::Gs1Datamatrix));
        assert_eq!(p.text(), "010");
        assert_eq!(p.raw_pos(0), 5);
    }

    #[test]
    fn fullwidth_is_normalised() {
        let p = prepare("０１（１０）", true).unwrap();
        assert_eq!(p.text(), "01(10)");
        assert!(p.fullwidth_normalised);
        let p = prepare("０１", false).unwrap();
        assert_eq!(p.text(), "０１");
    }

    #[test]
    fn unknown_symbology_and_empty() {
        assert_eq!(
            prepare("]A0123", true).unwrap_err().code(),
            "barcode_unsupported_symbology"
        );
        assert_eq!(prepare(" \r\n", true).unwrap_err().code(), "barcode_empty");
        assert_eq!(prepare("]d2", true).unwrap_err().code(), "barcode_empty");
    }

    #[test]
    fn stand_ins_become_gs_with_raw_positions() {
        let p = prepare("10A<GS>21B{GS}", true).unwrap();
        let ins: Vec<String> = DEFAULT_GS_STAND_INS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let (chars, pos) = replace_stand_ins(&p, &ins);
        assert_eq!(chars.iter().collect::<String>(), "10A\u{1d}21B\u{1d}");
        assert_eq!(pos, vec![0, 1, 2, 3, 7, 8, 9, 10]);
        // "^]" wins over "^".
        let p = prepare("10A^]21B", true).unwrap();
        let (chars, _) = replace_stand_ins(&p, &ins);
        assert_eq!(chars.iter().collect::<String>(), "10A\u{1d}21B");
    }
}
