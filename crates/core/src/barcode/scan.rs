//! The single entry point for scanner and keyboard input, and the normalised scan it returns.

use jiff::civil::{Date, DateTime};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::digital_link;
use super::error::{BarcodeError, ErrorKind};
use super::gs1::{self, AiValue, Element, INTERNAL_PRODUCT_AI, SeparatorCandidate};
use super::input::{self, DEFAULT_GS_STAND_INS, Symbology};
use super::isbt128::{self, Isbt128};
use super::linters;

/// How to read input. `today` drives the GS1 century window for two-digit years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// The clinic's current local date.
    pub today: Date,
    /// Text that keyboard-wedge scanners send instead of GS (0x1D). GS itself is always
    /// accepted. Defaults to [`DEFAULT_GS_STAND_INS`].
    pub gs_stand_ins: Vec<String>,
    /// Accept zero-suppressed GTIN-8/12/13 in Digital Link paths and pad them to 14 digits
    /// (the GS1 Syntax Engine's "legacy" option). Off by default, as in the standard.
    pub dl_zero_suppressed_gtin: bool,
    /// Turn full-width ASCII (`０１７`, typed with a Japanese IME on) into ASCII. On by default.
    pub normalise_fullwidth: bool,
}

impl ParseOptions {
    /// Defaults for `today`.
    pub fn new(today: Date) -> Self {
        Self {
            today,
            gs_stand_ins: DEFAULT_GS_STAND_INS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            dl_zero_suppressed_gtin: false,
            normalise_fullwidth: true,
        }
    }
}

/// What was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    /// GS1 (element string, bracketed text, Digital Link, or a bare EAN/UPC/ITF GTIN).
    Gs1,
    /// ISBT 128.
    Isbt128,
}

/// How the GS1 data was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// Raw element string (with GS separators or stand-ins).
    ElementString,
    /// Bracketed human-readable text `(01)…(17)…`.
    Bracketed,
    /// GS1 Digital Link URI.
    DigitalLink,
    /// A GTIN alone (EAN-13, EAN-8, UPC-A, ITF-14).
    Gtin,
    /// ISBT 128 data structures.
    Isbt128,
}

/// An expiry: a date (GS1 (17), ISBT 128 004/038) or a date and time (GS1 (7003), ISBT 128 005).
/// Serialised as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Expires at the end of this day.
    Date(Date),
    /// Expires at this local date and time.
    DateTime(DateTime),
}

impl Expiry {
    /// The calendar date.
    pub fn date(&self) -> Date {
        match self {
            Self::Date(d) => *d,
            Self::DateTime(dt) => dt.date(),
        }
    }
}

impl std::fmt::Display for Expiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Date(d) => write!(f, "{}", d.strftime("%Y-%m-%d")),
            Self::DateTime(dt) => write!(f, "{}", dt.strftime("%Y-%m-%dT%H:%M")),
        }
    }
}

impl Serialize for Expiry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The AIs of a scan in the order read; serialised as a JSON object `{"01": "…", …}` that
/// keeps that order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ais(pub Vec<AiValue>);

impl Ais {
    /// The value of `ai`, if present.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.0.iter().find(|a| a.ai == ai).map(|a| a.value.as_str())
    }
}

impl Serialize for Ais {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for a in &self.0 {
            m.serialize_entry(&a.ai, &a.value)?;
        }
        m.end()
    }
}

/// Something the person scanning must see before the scan is used. Serialised with a stable
/// `code` tag and the variant's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code")]
pub enum ScanWarning {
    /// A variable-length field may have swallowed the next AI because a GS separator was lost
    /// (e.g. lot `0329` + expiry read as lot `032915210526`).
    #[serde(rename = "barcode_possible_missing_separator")]
    PossibleMissingSeparator {
        /// The field, e.g. `10`.
        ai: String,
        /// Its value as read.
        value: String,
        /// Raw offset of the field's AI.
        position: usize,
        /// The plausible re-readings.
        candidates: Vec<SeparatorCandidate>,
    },
    /// A date with day `00`, read as the last day of the month (GS1 General Specifications).
    /// Healthcare labels should carry a real day (GSCN 21-040).
    #[serde(rename = "barcode_day_zero_date")]
    DayZeroDate {
        /// The AI, e.g. `17`.
        ai: String,
        /// The raw value, e.g. `271200`.
        value: String,
        /// The date used.
        interpreted_as: Date,
    },
    /// An AI that the GS1 dictionary says needs another one (`req=`), e.g. (10) without (01).
    #[serde(rename = "barcode_missing_associated_ai")]
    MissingAssociatedAi {
        /// The AI.
        ai: String,
        /// Alternatives, any of which would do (`01+21` = both).
        requires: Vec<String>,
    },
    /// The same AI appeared twice with the same value; the repeat was dropped.
    #[serde(rename = "barcode_duplicate_ai")]
    DuplicateAi {
        /// The AI.
        ai: String,
        /// Its value.
        value: String,
    },
    /// Full-width characters (a Japanese IME was on) were read as ASCII.
    #[serde(rename = "barcode_fullwidth_normalised")]
    FullwidthNormalised,
    /// Expiry date (17) and expiry date and time (7003) name different days; (7003) is used.
    #[serde(rename = "barcode_expiry_conflict")]
    ExpiryConflict {
        /// Date from (17).
        expiry_date: Date,
        /// Date and time from (7003).
        expiry_datetime: DateTime,
    },
}

impl ScanWarning {
    /// Every `code()` a warning can have, in declaration order (for translation tables and
    /// their tests).
    pub const ALL_CODES: &'static [&'static str] = &[
        "barcode_possible_missing_separator",
        "barcode_day_zero_date",
        "barcode_missing_associated_ai",
        "barcode_duplicate_ai",
        "barcode_fullwidth_normalised",
        "barcode_expiry_conflict",
    ];

    /// Stable snake_case code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::PossibleMissingSeparator { .. } => "barcode_possible_missing_separator",
            Self::DayZeroDate { .. } => "barcode_day_zero_date",
            Self::MissingAssociatedAi { .. } => "barcode_missing_associated_ai",
            Self::DuplicateAi { .. } => "barcode_duplicate_ai",
            Self::FullwidthNormalised => "barcode_fullwidth_normalised",
            Self::ExpiryConflict { .. } => "barcode_expiry_conflict",
        }
    }

    /// English description (the UI translates by `code()`).
    pub fn message(&self) -> String {
        match self {
            Self::PossibleMissingSeparator {
                ai,
                value,
                candidates,
                ..
            } => {
                let alts: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("({ai}){}{}", c.kept_value, gs1::bracketed(&c.swallowed)))
                    .collect();
                format!(
                    "({ai}) '{value}' may contain another field because a separator was lost; it could be {}",
                    alts.join(" or ")
                )
            }
            Self::DayZeroDate {
                ai,
                value,
                interpreted_as,
            } => {
                format!(
                    "({ai}) {value} has day 00, read as the last day of the month: {interpreted_as}"
                )
            }
            Self::MissingAssociatedAi { ai, requires } => {
                format!("({ai}) should come with one of: {}", requires.join(", "))
            }
            Self::DuplicateAi { ai, value } => format!("({ai}) {value} appears twice"),
            Self::FullwidthNormalised => {
                "full-width characters were read as ASCII (IME on?)".into()
            }
            Self::ExpiryConflict {
                expiry_date,
                expiry_datetime,
            } => {
                format!("(17) {expiry_date} and (7003) {expiry_datetime} disagree; (7003) is used")
            }
        }
    }
}

fn serialize_warnings<S: Serializer>(warnings: &[ScanWarning], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct WithMessage<'a> {
        #[serde(flatten)]
        warning: &'a ScanWarning,
        message: String,
    }
    s.collect_seq(warnings.iter().map(|warning| WithMessage {
        warning,
        message: warning.message(),
    }))
}

/// One normalised scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// GS1 or ISBT 128.
    pub kind: ScanKind,
    /// How the data was written.
    pub format: InputFormat,
    /// The symbology, when the scanner sent an AIM identifier.
    pub symbology: Option<Symbology>,
    /// The AIM identifier as sent, e.g. `]d2`.
    pub symbology_identifier: Option<&'static str>,
    /// GTIN (01), always 14 digits.
    pub gtin: Option<String>,
    /// jousei's internal product identifier: AI (92) when the scan has no GTIN (jousei's own
    /// labels for products without one). With a GTIN, (92) stays in `ais` only.
    pub internal_product_id: Option<String>,
    /// Batch/lot (10).
    pub lot: Option<String>,
    /// Expiry: (7003) date and time if present, else (17); ISBT 128: 005, 004 or the SEC.
    pub expiry: Option<Expiry>,
    /// Production date (11).
    pub production_date: Option<Date>,
    /// Serial number (21).
    pub serial: Option<String>,
    /// Variable count (30) or count of trade items (37).
    pub quantity: Option<u64>,
    /// Every AI with its raw value, in the order read.
    pub ais: Ais,
    /// The input exactly as received.
    pub raw: String,
    /// Warnings to show before the scan is used (empty when none). Serialised with an
    /// English `message` beside each `code`.
    #[serde(serialize_with = "serialize_warnings")]
    pub warnings: Vec<ScanWarning>,
    /// ISBT 128 DIN (13 characters).
    pub din: Option<String>,
    /// ISBT 128 DIN flag characters.
    pub flags: Option<String>,
    /// ISBT 128 keyboard check character (MOD 37-2).
    pub check_character: Option<char>,
    /// ISBT 128 product code (003 content, e.g. `S12954A0`).
    pub product_code: Option<String>,
    /// ISBT 128 details.
    pub isbt128: Option<Isbt128>,
}

/// What a scan says the product is, in the order a product is looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKey<'a> {
    /// GTIN (01), 14 digits.
    Gtin(&'a str),
    /// jousei's internal product identifier, AI (92).
    Internal(&'a str),
    /// ISBT 128 Product Description Code (data structure 003, `αoooo`, e.g. `S1295`).
    IsbtProductCode(&'a str),
}

impl Scan {
    /// The product the scan names: its GTIN, else jousei's internal id, else (ISBT 128) the
    /// Product Description Code of data structure 003.
    pub fn product_key(&self) -> Option<ProductKey<'_>> {
        if let Some(g) = &self.gtin {
            return Some(ProductKey::Gtin(g));
        }
        if let Some(id) = &self.internal_product_id {
            return Some(ProductKey::Internal(id));
        }
        self.isbt128
            .as_ref()
            .and_then(|m| m.product_code.as_ref())
            .map(|pc| ProductKey::IsbtProductCode(pc.pdc.as_str()))
    }

    /// The lot the scan names: the batch/lot (10) of a GS1 scan; for ISBT 128, the Donation
    /// Identification Number (001), which identifies the collection the product was made
    /// from and so plays the lot's part.
    pub fn lot_number(&self) -> Option<&str> {
        match self.kind {
            ScanKind::Isbt128 => self.din.as_deref(),
            _ => self.lot.as_deref(),
        }
    }

    fn empty(kind: ScanKind, format: InputFormat, symbology: Option<Symbology>, raw: &str) -> Self {
        Self {
            kind,
            format,
            symbology,
            symbology_identifier: symbology.map(Symbology::identifier),
            gtin: None,
            internal_product_id: None,
            lot: None,
            expiry: None,
            production_date: None,
            serial: None,
            quantity: None,
            ais: Ais::default(),
            raw: raw.to_owned(),
            warnings: Vec::new(),
            din: None,
            flags: None,
            check_character: None,
            product_code: None,
            isbt128: None,
        }
    }

    /// The GS1 element string (GS separators, no symbology identifier) of the AIs read.
    pub fn element_string(&self) -> String {
        gs1::element_string(&self.ais.0)
    }

    /// The AIs as bracketed human-readable text.
    pub fn hri(&self) -> String {
        gs1::bracketed(&self.ais.0)
    }
}

fn is_uri(p: &input::Prepared) -> bool {
    p.starts_with_ignore_case("http://") || p.starts_with_ignore_case("https://")
}

/// Parse scanner or keyboard input: GS1 element strings (with or without an AIM symbology
/// identifier, with GS or a configured stand-in), bracketed text, GS1 Digital Link URIs,
/// EAN/UPC/ITF-14 GTINs, and ISBT 128.
pub fn parse(raw: &str, options: &ParseOptions) -> Result<Scan, BarcodeError> {
    let p = input::prepare(raw, options.normalise_fullwidth)?;
    let today = options.today;
    let mut scan = match p.symbology {
        Some(sym @ (Symbology::Ean13 | Symbology::Ean8 | Symbology::Itf14)) => {
            let expected = match sym {
                Symbology::Ean13 => 13,
                Symbology::Ean8 => 8,
                _ => 14,
            };
            gtin_only(&p, raw, &[expected], today)?
        }
        Some(sym) if sym.is_gs1_element_string() => {
            if is_uri(&p) {
                gs1_scan(&p, raw, InputFormat::DigitalLink, options)?
            } else {
                gs1_scan(&p, raw, InputFormat::ElementString, options)?
            }
        }
        Some(sym) => {
            if p.starts_with("=") || p.starts_with("&") {
                isbt_scan(&p, raw)?
            } else if is_uri(&p) && sym != Symbology::Code128 {
                gs1_scan(&p, raw, InputFormat::DigitalLink, options)?
            } else {
                return Err(BarcodeError::new(ErrorKind::NotGs1 {
                    identifier: sym.identifier().to_owned(),
                })
                .at(p.raw_pos(0)));
            }
        }
        None => {
            if is_uri(&p) {
                gs1_scan(&p, raw, InputFormat::DigitalLink, options)?
            } else if p.starts_with("(") {
                gs1_scan(&p, raw, InputFormat::Bracketed, options)?
            } else if p.starts_with("=") || p.starts_with("&") {
                isbt_scan(&p, raw)?
            } else if looks_like_bare_gtin(&p) {
                match gtin_only(&p, raw, &[8, 12, 13], today) {
                    Ok(scan) => scan,
                    // Not a valid GTIN: it may still be a GS1 element string ("10" + lot…); if
                    // that fails too, report the GTIN problem, which is what it looked like.
                    Err(gtin_err) => gs1_scan(&p, raw, InputFormat::ElementString, options)
                        .map_err(|_| gtin_err)?,
                }
            } else {
                gs1_scan(&p, raw, InputFormat::ElementString, options)?
            }
        }
    };
    if p.fullwidth_normalised {
        scan.warnings.insert(0, ScanWarning::FullwidthNormalised);
    }
    Ok(scan)
}

/// Parse with default options for `today`.
pub fn parse_scan(raw: &str, today: Date) -> Result<Scan, BarcodeError> {
    parse(raw, &ParseOptions::new(today))
}

fn looks_like_bare_gtin(p: &input::Prepared) -> bool {
    matches!(p.chars.len(), 8 | 12 | 13) && p.chars.iter().all(char::is_ascii_digit)
}

/// A GTIN alone (EAN-13/UPC-A, EAN-8, ITF-14, or typed digits), returned as 14 digits.
fn gtin_only(
    p: &input::Prepared,
    raw: &str,
    lengths: &[usize],
    today: Date,
) -> Result<Scan, BarcodeError> {
    let n = p.chars.len();
    if let Some(i) = p.chars.iter().position(|c| !c.is_ascii_digit()) {
        return Err(BarcodeError::new(ErrorKind::InvalidCharacter {
            character: p.chars[i],
            charset: "numeric".into(),
        })
        .at(p.raw_pos(i))
        .ai("01"));
    }
    if !lengths.contains(&n) {
        return Err(BarcodeError::new(ErrorKind::InvalidGtinLength {
            found: n,
            expected: lengths.to_vec(),
        })
        .at(p.raw_pos(0))
        .ai("01"));
    }
    let gtin = format!("{:0>14}", p.text());
    let entry = super::dictionary::lookup("01")
        .ok_or_else(|| BarcodeError::new(ErrorKind::UnknownAi { found: "01".into() }))?;
    let mut value_pos: Vec<usize> = std::iter::repeat_n(p.raw_pos(0), 14 - n).collect();
    value_pos.extend((0..n).map(|i| p.raw_pos(i)));
    let element = Element {
        ai: "01".into(),
        value: gtin,
        entry,
        ai_pos: p.raw_pos(0),
        value_pos,
        delimited: false,
    };
    gs1::validate(&element, today)?;
    let mut scan = Scan::empty(ScanKind::Gs1, InputFormat::Gtin, p.symbology, raw);
    fill_gs1(&mut scan, vec![element], today);
    Ok(scan)
}

fn isbt_scan(p: &input::Prepared, raw: &str) -> Result<Scan, BarcodeError> {
    let m = isbt128::parse(&p.chars, &p.pos, p.end)?;
    let mut scan = Scan::empty(ScanKind::Isbt128, InputFormat::Isbt128, p.symbology, raw);
    if let Some(din) = &m.din {
        scan.din = Some(din.din.clone());
        scan.flags = Some(din.flags.clone());
        scan.check_character = Some(din.check_character);
    }
    scan.product_code = m.product_code.as_ref().map(|pc| pc.code.clone());
    scan.expiry = match (m.expiry_datetime, m.expiry_date) {
        (Some(dt), _) => Some(Expiry::DateTime(dt)),
        (None, Some(d)) => Some(Expiry::Date(d)),
        (None, None) => None,
    };
    scan.isbt128 = Some(m);
    Ok(scan)
}

fn gs1_scan(
    p: &input::Prepared,
    raw: &str,
    format: InputFormat,
    options: &ParseOptions,
) -> Result<Scan, BarcodeError> {
    let today = options.today;
    let elements = match format {
        InputFormat::DigitalLink => digital_link::parse(
            &p.chars,
            &p.pos,
            p.end,
            today,
            options.dl_zero_suppressed_gtin,
        )?,
        InputFormat::Bracketed => gs1::parse_bracketed(&p.chars, &p.pos, p.end, today)?,
        _ => {
            let (chars, pos) = input::replace_stand_ins(p, &options.gs_stand_ins);
            gs1::parse_element_string(&chars, &pos, p.end, today)?
        }
    };
    let (elements, notes) = gs1::check_message(elements)?;
    let mut scan = Scan::empty(ScanKind::Gs1, format, p.symbology, raw);
    for (idx, candidates) in gs1::missing_separator_candidates(&elements, today) {
        if let Some(e) = elements.get(idx) {
            scan.warnings.push(ScanWarning::PossibleMissingSeparator {
                ai: e.ai.clone(),
                value: e.value.clone(),
                position: e.ai_pos,
                candidates,
            });
        }
    }
    for (ai, requires) in notes.missing_requisites {
        scan.warnings
            .push(ScanWarning::MissingAssociatedAi { ai, requires });
    }
    for d in notes.duplicates {
        scan.warnings.push(ScanWarning::DuplicateAi {
            ai: d.ai,
            value: d.value,
        });
    }
    fill_gs1(&mut scan, elements, today);
    Ok(scan)
}

fn gs1_date(value: &str, today: Date) -> Option<linters::Gs1Date> {
    linters::parse_yymmdd(value, today, true).ok()
}

/// Fill the normalised fields from validated elements.
fn fill_gs1(scan: &mut Scan, elements: Vec<Element>, today: Date) {
    let mut expiry_date = None;
    let mut expiry_datetime = None;
    for e in &elements {
        let v = e.value.as_str();
        match e.ai.as_str() {
            "01" => scan.gtin = Some(v.to_owned()),
            "10" => scan.lot = Some(v.to_owned()),
            "21" => scan.serial = Some(v.to_owned()),
            "11" => scan.production_date = gs1_date(v, today).map(|d| d.date),
            "17" => expiry_date = gs1_date(v, today).map(|d| d.date),
            "7003" => {
                expiry_datetime = v
                    .get(..6)
                    .and_then(|d| linters::parse_yymmdd(d, today, false).ok())
                    .zip(v.get(6..).and_then(linters::parse_hhmi))
                    .map(|(d, t)| d.date.to_datetime(t));
            }
            "30" | "37" => scan.quantity = v.parse().ok(),
            ai if ai == INTERNAL_PRODUCT_AI => scan.internal_product_id = Some(v.to_owned()),
            _ => {}
        }
        let day_zero = e
            .entry
            .components
            .first()
            .is_some_and(|c| c.linters.contains(&super::dictionary::Linter::Yymmd0));
        if day_zero
            && let Some(d) = v
                .get(..6)
                .and_then(|s| gs1_date(s, today))
                .filter(|d| d.day_unspecified)
        {
            scan.warnings.push(ScanWarning::DayZeroDate {
                ai: e.ai.clone(),
                value: v.to_owned(),
                interpreted_as: d.date,
            });
        }
    }
    if let (Some(d), Some(dt)) = (expiry_date, expiry_datetime)
        && d != dt.date()
    {
        scan.warnings.push(ScanWarning::ExpiryConflict {
            expiry_date: d,
            expiry_datetime: dt,
        });
    }
    scan.expiry = expiry_datetime
        .map(Expiry::DateTime)
        .or(expiry_date.map(Expiry::Date));
    if scan.gtin.is_some() {
        // (92) next to a GTIN is the supplier's own internal data, not a jousei product id.
        scan.internal_product_id = None;
    }
    scan.ais = Ais(elements.iter().map(Element::to_ai_value).collect());
}
