//! Patients: who they are (registry), what they answered (intake
//! questionnaire, 問診票), what the answers mean (screening findings and the
//! physician's decision) and what they agreed to (informed consent).
//!
//! Pure rules over facts and timestamps passed in: storage, HTTP and screens
//! live elsewhere. jousei records and enforces; it makes no claim that a
//! treatment works.

pub mod consent;
pub mod questionnaire;
pub mod registry;
pub mod screening;

/// Text in both languages jousei speaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LocalText {
    pub ja: String,
    pub en: String,
}

impl LocalText {
    pub fn new(ja: &str, en: &str) -> Self {
        LocalText {
            ja: ja.to_string(),
            en: en.to_string(),
        }
    }

    /// The text in `locale`.
    pub fn get(&self, locale: crate::locale::Locale) -> &str {
        match locale {
            crate::locale::Locale::Ja => &self.ja,
            crate::locale::Locale::En => &self.en,
        }
    }
}

/// A trimmed optional free text of at most `max` characters (line breaks
/// allowed, other control characters not). Empty gives `None`.
pub fn optional_text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, crate::error::FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > max {
        return Err(crate::error::FieldError::new(field, "field_too_long"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(crate::error::FieldError::new(
            field,
            "field_invalid_characters",
        ));
    }
    Ok(Some(s.replace("\r\n", "\n")))
}

/// A required free text (see [`optional_text`]).
pub fn required_text(
    raw: &str,
    field: &'static str,
    max: usize,
) -> Result<String, crate::error::FieldError> {
    optional_text(Some(raw), field, max)?
        .ok_or_else(|| crate::error::FieldError::new(field, "field_required"))
}
