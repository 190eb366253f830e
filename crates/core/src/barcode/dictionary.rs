//! Types of the generated GS1 AI table (`ai_table.rs`) and lookups over it.

use serde::Serialize;

use super::ai_table::AI_TABLE;
pub use super::ai_table::Linter;

/// Character set of an AI component, as written in the GS1 Barcode Syntax Dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cset {
    /// `N`: digits `0`–`9`.
    N,
    /// `X`: GS1 AI encodable character set 82.
    X,
    /// `Y`: GS1 AI encodable character set 39.
    Y,
    /// `Z`: GS1 AI encodable character set 64 (base64url).
    Z,
}

impl Cset {
    /// The name used in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::N => "numeric",
            Self::X => "CSET 82",
            Self::Y => "CSET 39",
            Self::Z => "CSET 64",
        }
    }
}

/// One component of an AI's data field (e.g. `N6,yymmd0`).
#[derive(Debug)]
pub struct Component {
    /// Character set.
    pub cset: Cset,
    /// Minimum length (equal to `max` for a fixed-length component).
    pub min: u8,
    /// Maximum length.
    pub max: u8,
    /// Written in brackets: may be omitted when the data is exhausted.
    pub optional: bool,
    /// Content linters applied, in order, after the character-set check.
    pub linters: &'static [Linter],
}

/// One line of the dictionary: a single AI or a range of AIs sharing one definition.
#[derive(Debug)]
pub struct AiEntry {
    /// First AI of the range (equal to `last` for a single AI).
    pub first: &'static str,
    /// Last AI of the range.
    pub last: &'static str,
    /// Flag `*`: pre-defined length, no FNC1 separator required after it.
    pub predefined_length: bool,
    /// Flag `?`: permitted as a GS1 Digital Link data attribute (query parameter).
    pub dl_data_attribute: bool,
    /// Components of the data field.
    pub components: &'static [Component],
    /// `req=` attributes: every group must be satisfied by one of its alternatives, an
    /// alternative being a list of AI patterns that must all be present (`01+21`).
    pub req: &'static [&'static [&'static [&'static str]]],
    /// `ex=` attributes: AI patterns that must not appear together with this AI.
    pub ex: &'static [&'static str],
    /// `dlpkey`: a Digital Link primary key, with its alternative ordered qualifier sequences.
    pub dl_pkey: Option<&'static [&'static [&'static str]]>,
    /// Short title from the dictionary, e.g. `BATCH/LOT`.
    pub title: &'static str,
}

impl AiEntry {
    /// Minimum length of the data field.
    pub fn min_len(&self) -> usize {
        self.components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| usize::from(c.min))
            .sum()
    }

    /// Maximum length of the data field.
    pub fn max_len(&self) -> usize {
        self.components.iter().map(|c| usize::from(c.max)).sum()
    }

    /// Whether `ai` belongs to this entry.
    pub fn contains(&self, ai: &str) -> bool {
        ai.len() == self.first.len()
            && ai.bytes().all(|b| b.is_ascii_digit())
            && self.first <= ai
            && ai <= self.last
    }

    /// Whether `ai` may follow this primary key as a Digital Link qualifier.
    pub fn has_qualifier(&self, ai: &str) -> bool {
        self.dl_pkey
            .is_some_and(|seqs| seqs.iter().any(|seq| seq.contains(&ai)))
    }
}

/// The dictionary entry for an exact AI (`"01"`, `"3103"`, `"92"`), if it exists.
pub fn lookup(ai: &str) -> Option<&'static AiEntry> {
    AI_TABLE.iter().find(|e| e.contains(ai))
}

/// Every dictionary entry, in lexical order of AI.
pub fn entries() -> &'static [AiEntry] {
    AI_TABLE
}

/// Whether `ai` matches a dictionary AI pattern such as `31nn` (`n` = any digit).
pub(crate) fn ai_matches_pattern(ai: &str, pattern: &str) -> bool {
    ai.len() == pattern.len()
        && ai
            .bytes()
            .zip(pattern.bytes())
            .all(|(a, p)| a == p || (p == b'n' && a.is_ascii_digit()))
}

/// Whether `ai` is one of a Digital Link qualifier of any primary key.
pub(crate) fn is_any_dl_qualifier(ai: &str) -> bool {
    AI_TABLE.iter().any(|e| e.has_qualifier(ai))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn lookups_follow_the_dictionary() {
        let gtin = lookup("01").unwrap();
        assert!(gtin.predefined_length);
        assert_eq!((gtin.min_len(), gtin.max_len()), (14, 14));
        assert_eq!(gtin.title, "GTIN");
        let lot = lookup("10").unwrap();
        assert!(!lot.predefined_length);
        assert_eq!((lot.min_len(), lot.max_len()), (1, 20));
        let expiry_time = lookup("7003").unwrap();
        assert_eq!((expiry_time.min_len(), expiry_time.max_len()), (10, 10));
        assert!(!expiry_time.predefined_length);
        assert!(lookup("3103").is_some());
        assert!(lookup("3106").is_none());
        assert!(lookup("92").is_some());
        assert!(lookup("04").is_none());
        assert!(lookup("23").is_none());
        let keys = lookup("01").unwrap().dl_pkey.unwrap();
        assert_eq!(keys, &[&["22", "10", "21"][..], &["235"][..]]);
        assert!(ai_matches_pattern("3103", "310n"));
        assert!(ai_matches_pattern("3123", "31nn"));
        assert!(!ai_matches_pattern("3203", "31nn"));
        assert!(is_any_dl_qualifier("21"));
        assert!(!is_any_dl_qualifier("17"));
    }

    #[test]
    fn optional_components_are_not_part_of_the_minimum() {
        let e = lookup("7007").unwrap();
        assert_eq!((e.min_len(), e.max_len()), (6, 12));
        let e = lookup("8008").unwrap();
        assert_eq!((e.min_len(), e.max_len()), (8, 12));
    }
}
