//! A product's GTIN as jousei stores it: always 14 digits whose last digit is the GS1 check
//! digit. Parsed once, where it enters (a form, the JSON API, the demo); everything that
//! holds a [`Gtin`] can rely on it, and a stored value that is not one does not deserialise.

use serde::{Deserialize, Serialize};

use super::linters::gs1_check_digit;
use crate::error::FieldError;

/// A GTIN-14 with a correct check digit (GTIN-8/12/13 are stored padded with zeros).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gtin(String);

/// Why text is not a GTIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GtinProblem {
    /// Not 8, 12, 13 or 14 digits (or not digits at all): `gtin_invalid`.
    Format,
    /// The last digit is not the GS1 check digit of the others: `gtin_check_digit`.
    CheckDigit,
}

impl GtinProblem {
    pub fn code(self) -> &'static str {
        match self {
            GtinProblem::Format => "gtin_invalid",
            GtinProblem::CheckDigit => "gtin_check_digit",
        }
    }
}

impl std::fmt::Display for GtinProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Gtin {
    /// Exactly 14 digits with a correct check digit (the stored and scanned form).
    pub fn parse(raw: &str) -> Result<Gtin, GtinProblem> {
        if raw.len() != 14 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinProblem::Format);
        }
        let (body, check) = raw.split_at(13);
        match gs1_check_digit(body) {
            Some(d) if check.starts_with(d) => Ok(Gtin(raw.to_string())),
            _ => Err(GtinProblem::CheckDigit),
        }
    }

    /// A GTIN as a person types it: GTIN-8, -12, -13 (a JAN) or -14, spaces around ignored;
    /// padded with leading zeros to 14 digits, then checked like [`Gtin::parse`].
    pub fn parse_typed(raw: &str) -> Result<Gtin, GtinProblem> {
        let t = raw.trim();
        if !matches!(t.len(), 8 | 12 | 13 | 14) || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinProblem::Format);
        }
        Gtin::parse(&format!("{t:0>14}"))
    }

    /// [`Gtin::parse_typed`] with the problem reported on `field`.
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Gtin, FieldError> {
        Gtin::parse_typed(raw).map_err(|p| FieldError::new(field, p.code()))
    }

    /// A GTIN-14 made from a 13-digit body (company prefix, item reference and the indicator
    /// or leading zero) by appending its check digit; `None` unless the body is 13 digits.
    pub fn with_check_digit(body: &str) -> Option<Gtin> {
        if body.len() != 13 {
            return None;
        }
        let d = gs1_check_digit(body)?;
        Gtin::parse(&format!("{body}{d}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Gtin {
    type Error = GtinProblem;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Gtin::parse(&s)
    }
}

impl From<Gtin> for String {
    fn from(g: Gtin) -> String {
        g.0
    }
}

impl std::fmt::Display for Gtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Gtin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fourteen_digits_with_their_check_digit() {
        assert_eq!(
            Gtin::parse("04912345678904").unwrap().as_str(),
            "04912345678904"
        );
        assert_eq!(Gtin::parse("04912345678905"), Err(GtinProblem::CheckDigit));
        // The demo's old 15-digit values, and 13 digits, are not stored GTINs.
        assert_eq!(Gtin::parse("004912345000019"), Err(GtinProblem::Format));
        assert_eq!(Gtin::parse("4912345678904"), Err(GtinProblem::Format));
        assert_eq!(Gtin::parse("0491234567890A"), Err(GtinProblem::Format));
        assert_eq!(Gtin::parse(""), Err(GtinProblem::Format));
    }

    #[test]
    fn typed_gtins_are_padded_then_checked() {
        assert_eq!(
            Gtin::parse_typed(" 4912345678904 ").unwrap().as_str(),
            "04912345678904"
        );
        assert_eq!(
            Gtin::parse_typed("96385074").unwrap().as_str(),
            "00000096385074"
        );
        assert_eq!(
            Gtin::parse_typed("4912345678905"),
            Err(GtinProblem::CheckDigit)
        );
        assert_eq!(
            Gtin::parse_typed("004912345000019"),
            Err(GtinProblem::Format)
        );
        assert_eq!(Gtin::parse_typed("12345"), Err(GtinProblem::Format));
        assert_eq!(
            Gtin::parse_field("123", "gtin"),
            Err(FieldError::new("gtin", "gtin_invalid"))
        );
    }

    #[test]
    fn a_body_gets_its_check_digit() {
        assert_eq!(
            Gtin::with_check_digit("0491234567890").unwrap().as_str(),
            "04912345678904"
        );
        assert_eq!(Gtin::with_check_digit("00491234500001"), None);
    }

    #[test]
    fn serde_refuses_what_parse_refuses() {
        let g: Gtin = serde_json::from_str("\"04912345678904\"").unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), "\"04912345678904\"");
        assert!(serde_json::from_str::<Gtin>("\"004912345000019\"").is_err());
        assert!(serde_json::from_str::<Gtin>("\"04912345678905\"").is_err());
    }
}
