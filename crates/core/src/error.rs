//! Stable error codes shared by every layer.
//!
//! A code is snake_case and never changes once published: the web UI, the
//! JSON API and the message catalogues (`ja`, `en`) are keyed by it.

/// Anything that can be reported to a person with a stable code.
pub trait Coded {
    /// The stable snake_case code, e.g. `lot_expired`.
    fn code(&self) -> &'static str;
    /// The input field the problem concerns, when there is one.
    fn field(&self) -> Option<&'static str> {
        None
    }
}

/// A validation failure for one field of user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({field})")]
pub struct FieldError {
    pub code: &'static str,
    pub field: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Self { code, field }
    }
}

impl Coded for FieldError {
    fn code(&self) -> &'static str {
        self.code
    }
    fn field(&self) -> Option<&'static str> {
        Some(self.field)
    }
}
