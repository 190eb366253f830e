//! Password rules of the MHLW medical-information security guideline 6.0
//! (Q&A シQ-54): (a) at least 13 characters mixing letters, digits and
//! symbols; or (c) at least 8 characters when a second factor is enrolled.
//! Rule (b), 8 characters changed every two months, is not offered: forced
//! rotation is weaker than (a) and (c).

use crate::error::FieldError;

/// Minimum length without a second factor (rule a).
pub const MIN_LEN_SINGLE_FACTOR: usize = 13;
/// Minimum length with a second factor enrolled (rule c).
pub const MIN_LEN_WITH_SECOND_FACTOR: usize = 8;
/// Upper bound so hashing cannot be used to exhaust the server.
pub const MAX_LEN: usize = 256;

/// Checks a new password. `login` is refused as (part of) the password.
pub fn check_new_password(
    password: &str,
    login: &str,
    has_second_factor: bool,
) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len > MAX_LEN {
        return Err(FieldError::new("password", "password_too_long"));
    }
    let min = if has_second_factor {
        MIN_LEN_WITH_SECOND_FACTOR
    } else {
        MIN_LEN_SINGLE_FACTOR
    };
    if len < min {
        return Err(FieldError::new(
            "password",
            if has_second_factor {
                "password_too_short_with_second_factor"
            } else {
                "password_too_short"
            },
        ));
    }
    if !has_second_factor {
        let letter = password.chars().any(|c| c.is_alphabetic());
        let digit = password.chars().any(|c| c.is_ascii_digit());
        let symbol = password
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
        if !(letter && digit && symbol) {
            return Err(FieldError::new("password", "password_needs_mix"));
        }
    }
    let lower = password.to_lowercase();
    if !login.is_empty() && lower.contains(&login.to_lowercase()) {
        return Err(FieldError::new("password", "password_contains_login"));
    }
    if password.chars().any(|c| c.is_control()) {
        return Err(FieldError::new("password", "password_invalid_characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(p: &str, login: &str, mfa: bool) -> Result<(), &'static str> {
        check_new_password(p, login, mfa).map_err(|e| e.code)
    }

    #[test]
    fn thirteen_mixed_characters_pass() {
        assert_eq!(code("Kusuri-2026-ok", "sato", false), Ok(()));
        assert_eq!(code("上清液-ginza-2026", "sato", false), Ok(()));
    }

    #[test]
    fn short_or_unmixed_passwords_fail() {
        assert_eq!(code("Short-1", "sato", false), Err("password_too_short"));
        assert_eq!(
            code("abcdefghijklmnop", "sato", false),
            Err("password_needs_mix")
        );
        assert_eq!(
            code("abcdefghijklm12", "sato", false),
            Err("password_needs_mix")
        );
    }

    #[test]
    fn eight_is_enough_only_with_second_factor() {
        assert_eq!(code("abcd1234", "sato", true), Ok(()));
        assert_eq!(
            code("abcd123", "sato", true),
            Err("password_too_short_with_second_factor")
        );
        assert_eq!(code("abcd1234", "sato", false), Err("password_too_short"));
    }

    #[test]
    fn login_inside_password_fails() {
        assert_eq!(
            code("Sato-2026-hello!", "sato", false),
            Err("password_contains_login")
        );
    }

    #[test]
    fn absurdly_long_fails() {
        let long = "a1!".repeat(100);
        assert_eq!(code(&long, "sato", false), Err("password_too_long"));
    }
}
