//! Small "parse, don't validate" text types used across the domain.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// A login name: 3–64 characters of ASCII letters, digits, `.`, `_`, `-`, `@`.
/// Stored lower-case so `Sato` and `sato` are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldError::new("login", "login_required"));
        }
        if s.chars().count() < 3 || s.chars().count() > 64 {
            return Err(FieldError::new("login", "login_invalid_length"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(FieldError::new("login", "login_invalid_characters"));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A short code naming a clinic in URLs and on the command line
/// (e.g. `ginza`): 2–32 lower-case ASCII letters, digits or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClinicCode(String);

impl ClinicCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldError::new("clinic", "clinic_code_required"));
        }
        let n = s.chars().count();
        if !(2..=32).contains(&n)
            || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || s.starts_with('-')
        {
            return Err(FieldError::new("clinic", "clinic_code_invalid"));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClinicCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required, trimmed, single-line human name of at most `max` characters.
pub fn required_name(raw: &str, field: &'static str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "field_required"));
    }
    if s.chars().count() > max {
        return Err(FieldError::new(field, "field_too_long"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, "field_invalid_characters"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_rules() {
        assert_eq!(
            Login::parse(" Sato.Hanako ").map(|l| l.0),
            Ok("sato.hanako".into())
        );
        assert_eq!(Login::parse("").map_err(|e| e.code), Err("login_required"));
        assert_eq!(
            Login::parse("ab").map_err(|e| e.code),
            Err("login_invalid_length")
        );
        assert_eq!(
            Login::parse("佐藤さん").map_err(|e| e.code),
            Err("login_invalid_characters")
        );
        assert_eq!(
            Login::parse("a b c").map_err(|e| e.code),
            Err("login_invalid_characters")
        );
    }

    #[test]
    fn clinic_code_rules() {
        assert!(ClinicCode::parse("ginza").is_ok());
        assert!(ClinicCode::parse("Ginza-2").is_ok());
        assert_eq!(
            ClinicCode::parse("-x").map_err(|e| e.code),
            Err("clinic_code_invalid")
        );
        assert_eq!(
            ClinicCode::parse("g").map_err(|e| e.code),
            Err("clinic_code_invalid")
        );
        assert_eq!(
            ClinicCode::parse("銀座").map_err(|e| e.code),
            Err("clinic_code_invalid")
        );
    }

    #[test]
    fn names() {
        assert_eq!(required_name("  銀座院 ", "name", 10), Ok("銀座院".into()));
        assert_eq!(
            required_name(" ", "name", 10).map_err(|e| e.code),
            Err("field_required")
        );
        assert_eq!(
            required_name("あいうえおかきくけこさ", "name", 10).map_err(|e| e.code),
            Err("field_too_long")
        );
        assert_eq!(
            required_name("a\u{7}", "name", 10).map_err(|e| e.code),
            Err("field_invalid_characters")
        );
    }
}
