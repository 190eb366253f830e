//! Rejections: what is wrong, where, and with which AI, each with a stable `code()`.

use std::fmt;

use serde::Serialize;

/// A scan that must not be accepted.
///
/// `code()` is stable (snake_case, prefixed `barcode_`) and meant for translation tables;
/// `position` is the character offset (0-based, in Unicode scalar values) in the raw input
/// where the problem starts; `ai` is the GS1 Application Identifier, or for ISBT 128 the data
/// structure number (e.g. `001`), the problem concerns.
/// Serialised as `{"code": …, <the kind's fields>, "position": …, "ai": …, "message": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarcodeError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Character offset in the raw input.
    pub position: Option<usize>,
    /// The AI or ISBT 128 data structure concerned.
    pub ai: Option<String>,
}

/// The classes of rejection. Serialised with a `code` tag and the variant's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code")]
pub enum ErrorKind {
    /// Nothing to parse.
    #[serde(rename = "barcode_empty")]
    Empty,
    /// Longer than any barcode a clinic will meet (`max` characters).
    #[serde(rename = "barcode_input_too_long")]
    InputTooLong {
        /// Limit.
        max: usize,
    },
    /// An AIM symbology identifier that jousei does not read.
    #[serde(rename = "barcode_unsupported_symbology")]
    UnsupportedSymbology {
        /// The identifier, e.g. `]A0`.
        identifier: String,
    },
    /// The symbol is not a GS1 symbol (no FNC1 in first position) and holds neither a GS1
    /// Digital Link URI nor ISBT 128 data.
    #[serde(rename = "barcode_not_gs1")]
    NotGs1 {
        /// The symbology identifier, e.g. `]d1`.
        identifier: String,
    },
    /// Digits that are not a GS1 Application Identifier.
    #[serde(rename = "barcode_unknown_ai")]
    UnknownAi {
        /// The leading characters found where an AI was expected.
        found: String,
    },
    /// The data ends in the middle of an AI or a fixed-length field.
    #[serde(rename = "barcode_truncated")]
    Truncated {
        /// Characters needed.
        expected: usize,
        /// Characters present.
        found: usize,
    },
    /// A field is longer than its AI allows (often a missing separator after a fixed-length
    /// AI that still needs one, e.g. (7003)).
    #[serde(rename = "barcode_field_too_long")]
    FieldTooLong {
        /// Maximum length.
        max: usize,
        /// Length found.
        found: usize,
        /// The field as read.
        value: String,
    },
    /// A field is shorter than its AI requires (including an empty field).
    #[serde(rename = "barcode_field_too_short")]
    FieldTooShort {
        /// Minimum length.
        min: usize,
        /// Length found.
        found: usize,
        /// The field as read.
        value: String,
    },
    /// A character outside the field's character set.
    #[serde(rename = "barcode_invalid_character")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// The allowed set: `numeric`, `CSET 82`, `CSET 39`, `CSET 64`, or an ISBT 128 set.
        charset: String,
    },
    /// A check digit (GTIN/SSCC/GLN mod 10, alphanumeric check pair, IBAN) does not match.
    #[serde(rename = "barcode_bad_check_digit")]
    BadCheckDigit {
        /// The check digit the data requires.
        expected: String,
        /// The check digit present.
        found: String,
        /// The field as read.
        value: String,
    },
    /// An impossible date (month 13, 30 February, day `00` where not allowed…).
    #[serde(rename = "barcode_invalid_date")]
    InvalidDate {
        /// The date text.
        value: String,
        /// `format`, `month` or `day`.
        problem: String,
    },
    /// An impossible time of day.
    #[serde(rename = "barcode_invalid_time")]
    InvalidTime {
        /// The field as read.
        value: String,
    },
    /// A component linter from the GS1 Syntax Dictionary rejected the value.
    #[serde(rename = "barcode_invalid_value")]
    InvalidValue {
        /// The linter's name in the dictionary (e.g. `pieceoftotal`).
        linter: String,
        /// English explanation.
        detail: String,
        /// The field as read.
        value: String,
    },
    /// The same AI twice with different values.
    #[serde(rename = "barcode_conflicting_ai")]
    ConflictingAi {
        /// First value.
        first: String,
        /// Second value.
        second: String,
    },
    /// Two AIs that the dictionary forbids together (`ex=`), e.g. (01) with (02).
    #[serde(rename = "barcode_invalid_ai_pairing")]
    InvalidAiPairing {
        /// The other AI.
        other: String,
    },
    /// Bracketed human-readable text that is not `(AI)value…`.
    #[serde(rename = "barcode_malformed_hri")]
    MalformedHri {
        /// English explanation.
        detail: String,
    },
    /// A GS1 Digital Link URI that is not well formed (scheme, host, path).
    #[serde(rename = "barcode_dl_invalid_uri")]
    DlInvalidUri {
        /// English explanation.
        detail: String,
    },
    /// A GS1 Digital Link URI whose path holds no primary key (e.g. `/01/<gtin>`).
    #[serde(rename = "barcode_dl_no_primary_key")]
    DlNoPrimaryKey,
    /// Key qualifiers in the wrong order, or not qualifiers of that key (e.g. `/21/…/10/…`).
    #[serde(rename = "barcode_dl_bad_qualifier_order")]
    DlBadQualifierOrder {
        /// The primary key AI.
        key: String,
        /// The path AIs after the key, in the order found.
        found: Vec<String>,
    },
    /// A query parameter AI that is not a Digital Link data attribute (or is a key/qualifier).
    #[serde(rename = "barcode_dl_invalid_attribute")]
    DlInvalidAttribute,
    /// A `%` not followed by two hex digits, a `+` in a query value, or non-UTF-8 bytes.
    #[serde(rename = "barcode_dl_invalid_encoding")]
    DlInvalidEncoding,
    /// A GTIN in a Digital Link path that is not 14 digits (zero-suppressed GTIN-8/12/13 are
    /// accepted only when `ParseOptions::dl_zero_suppressed_gtin` is set).
    #[serde(rename = "barcode_dl_gtin_not_14_digits")]
    DlGtinNot14Digits {
        /// Digits found.
        found: usize,
    },
    /// An EAN/UPC symbol whose data is not a GTIN of the expected length.
    #[serde(rename = "barcode_invalid_gtin_length")]
    InvalidGtinLength {
        /// Length found.
        found: usize,
        /// Lengths allowed.
        expected: Vec<usize>,
    },
    /// ISBT 128: characters that start no known data structure.
    #[serde(rename = "barcode_isbt_unknown_data_structure")]
    IsbtUnknownDataStructure {
        /// The data identifier characters found.
        identifier: String,
    },
    /// ISBT 128: Type 3 flag characters (60–96) that do not match the DIN's MOD 37-2 checksum.
    #[serde(rename = "barcode_isbt_bad_check_flags")]
    IsbtBadCheckFlags {
        /// Flags the DIN requires.
        expected: String,
        /// Flags present.
        found: String,
    },
    /// ISBT 128: a keyed-in check character that does not match the DIN.
    #[serde(rename = "barcode_isbt_bad_check_character")]
    IsbtBadCheckCharacter {
        /// The check character the DIN requires.
        expected: char,
        /// The character entered.
        found: char,
    },
    /// ISBT 128: a compound message (data structure 023) whose declared structure count does
    /// not match its content.
    #[serde(rename = "barcode_isbt_compound_mismatch")]
    IsbtCompoundMismatch {
        /// Number declared.
        declared: usize,
        /// Number found.
        found: usize,
    },
}

impl ErrorKind {
    /// Every `code()` an error can have, in declaration order (for translation tables and
    /// their tests).
    pub const ALL_CODES: &'static [&'static str] = &[
        "barcode_empty",
        "barcode_input_too_long",
        "barcode_unsupported_symbology",
        "barcode_not_gs1",
        "barcode_unknown_ai",
        "barcode_truncated",
        "barcode_field_too_long",
        "barcode_field_too_short",
        "barcode_invalid_character",
        "barcode_bad_check_digit",
        "barcode_invalid_date",
        "barcode_invalid_time",
        "barcode_invalid_value",
        "barcode_conflicting_ai",
        "barcode_invalid_ai_pairing",
        "barcode_malformed_hri",
        "barcode_dl_invalid_uri",
        "barcode_dl_no_primary_key",
        "barcode_dl_bad_qualifier_order",
        "barcode_dl_invalid_attribute",
        "barcode_dl_invalid_encoding",
        "barcode_dl_gtin_not_14_digits",
        "barcode_invalid_gtin_length",
        "barcode_isbt_unknown_data_structure",
        "barcode_isbt_bad_check_flags",
        "barcode_isbt_bad_check_character",
        "barcode_isbt_compound_mismatch",
    ];

    /// Stable snake_case code, e.g. `barcode_bad_check_digit`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "barcode_empty",
            Self::InputTooLong { .. } => "barcode_input_too_long",
            Self::UnsupportedSymbology { .. } => "barcode_unsupported_symbology",
            Self::NotGs1 { .. } => "barcode_not_gs1",
            Self::UnknownAi { .. } => "barcode_unknown_ai",
            Self::Truncated { .. } => "barcode_truncated",
            Self::FieldTooLong { .. } => "barcode_field_too_long",
            Self::FieldTooShort { .. } => "barcode_field_too_short",
            Self::InvalidCharacter { .. } => "barcode_invalid_character",
            Self::BadCheckDigit { .. } => "barcode_bad_check_digit",
            Self::InvalidDate { .. } => "barcode_invalid_date",
            Self::InvalidTime { .. } => "barcode_invalid_time",
            Self::InvalidValue { .. } => "barcode_invalid_value",
            Self::ConflictingAi { .. } => "barcode_conflicting_ai",
            Self::InvalidAiPairing { .. } => "barcode_invalid_ai_pairing",
            Self::MalformedHri { .. } => "barcode_malformed_hri",
            Self::DlInvalidUri { .. } => "barcode_dl_invalid_uri",
            Self::DlNoPrimaryKey => "barcode_dl_no_primary_key",
            Self::DlBadQualifierOrder { .. } => "barcode_dl_bad_qualifier_order",
            Self::DlInvalidAttribute => "barcode_dl_invalid_attribute",
            Self::DlInvalidEncoding => "barcode_dl_invalid_encoding",
            Self::DlGtinNot14Digits { .. } => "barcode_dl_gtin_not_14_digits",
            Self::InvalidGtinLength { .. } => "barcode_invalid_gtin_length",
            Self::IsbtUnknownDataStructure { .. } => "barcode_isbt_unknown_data_structure",
            Self::IsbtBadCheckFlags { .. } => "barcode_isbt_bad_check_flags",
            Self::IsbtBadCheckCharacter { .. } => "barcode_isbt_bad_check_character",
            Self::IsbtCompoundMismatch { .. } => "barcode_isbt_compound_mismatch",
        }
    }

    /// English description (the UI translates by `code()`).
    pub fn message(&self) -> String {
        match self {
            Self::Empty => "nothing was scanned".into(),
            Self::InputTooLong { max } => format!("input longer than {max} characters"),
            Self::UnsupportedSymbology { identifier } => {
                format!("symbology identifier {identifier} is not a barcode type jousei reads")
            }
            Self::NotGs1 { identifier } => format!(
                "symbology {identifier} is not a GS1 symbol and holds no Digital Link URI or ISBT 128 data"
            ),
            Self::UnknownAi { found } => format!("'{found}' is not a GS1 Application Identifier"),
            Self::Truncated { expected, found } => {
                format!("data ends too early: {expected} characters needed, {found} present")
            }
            Self::FieldTooLong { max, found, value } => format!(
                "field '{value}' has {found} characters, at most {max} allowed (missing separator?)"
            ),
            Self::FieldTooShort { min, found, value } => {
                format!("field '{value}' has {found} characters, at least {min} required")
            }
            Self::InvalidCharacter { character, charset } => {
                format!("character {character:?} is not allowed here ({charset})")
            }
            Self::BadCheckDigit {
                expected,
                found,
                value,
            } => {
                format!("check digit of '{value}' is {found}, expected {expected}")
            }
            Self::InvalidDate { value, problem } => {
                format!("'{value}' is not a valid date ({problem})")
            }
            Self::InvalidTime { value } => format!("'{value}' is not a valid time"),
            Self::InvalidValue {
                linter,
                detail,
                value,
            } => format!("'{value}': {detail} ({linter})"),
            Self::ConflictingAi { first, second } => {
                format!("the same AI appears twice with different values '{first}' and '{second}'")
            }
            Self::InvalidAiPairing { other } => format!("cannot be combined with AI ({other})"),
            Self::MalformedHri { detail } => format!("bracketed text is malformed: {detail}"),
            Self::DlInvalidUri { detail } => format!("not a valid GS1 Digital Link URI: {detail}"),
            Self::DlNoPrimaryKey => {
                "GS1 Digital Link URI has no primary key such as /01/<GTIN>".into()
            }
            Self::DlBadQualifierOrder { key, found } => format!(
                "Digital Link qualifiers after ({key}) are not in an allowed order: {}",
                found.join(", ")
            ),
            Self::DlInvalidAttribute => {
                "AI is not allowed as a Digital Link query attribute".into()
            }
            Self::DlInvalidEncoding => "invalid percent-encoding in Digital Link URI".into(),
            Self::DlGtinNot14Digits { found } => {
                format!("GTIN in a Digital Link path must have 14 digits, found {found}")
            }
            Self::InvalidGtinLength { found, expected } => format!(
                "GTIN has {found} digits, expected {}",
                expected
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Self::IsbtUnknownDataStructure { identifier } => {
                format!("'{identifier}' starts no known ISBT 128 data structure")
            }
            Self::IsbtBadCheckFlags { expected, found } => {
                format!(
                    "DIN flag characters {found} do not match the DIN's checksum (expected {expected})"
                )
            }
            Self::IsbtBadCheckCharacter { expected, found } => {
                format!(
                    "keyboard check character {found} does not match the DIN (expected {expected})"
                )
            }
            Self::IsbtCompoundMismatch { declared, found } => {
                format!("compound message declares {declared} data structures but holds {found}")
            }
        }
    }
}

impl BarcodeError {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            position: None,
            ai: None,
        }
    }

    pub(crate) fn at(mut self, position: usize) -> Self {
        self.position = Some(position);
        self
    }

    pub(crate) fn ai(mut self, ai: &str) -> Self {
        self.ai = Some(ai.to_owned());
        self
    }

    /// Stable snake_case code, e.g. `barcode_bad_check_digit`.
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for BarcodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        if let Some(ai) = &self.ai {
            write!(f, "({ai}) ")?;
        }
        f.write_str(&self.kind.message())?;
        if let Some(p) = self.position {
            write!(f, ", at character {}", p + 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for BarcodeError {}

impl Serialize for BarcodeError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Repr<'a> {
            #[serde(flatten)]
            kind: &'a ErrorKind,
            position: Option<usize>,
            ai: Option<&'a str>,
            message: String,
        }
        Repr {
            kind: &self.kind,
            position: self.position,
            ai: self.ai.as_deref(),
            message: self.kind.message(),
        }
        .serialize(s)
    }
}
