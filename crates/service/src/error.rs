//! The error of a use case: what went wrong as a stable snake_case code, the
//! field concerned, the values its message needs, and its kind. No HTTP
//! status and no text: the server maps the kind to a status and renders the
//! code in the reader's language (`jousei_server::error`), the CLI prints the
//! code, FHIR turns it into an `OperationOutcome`.

use jousei_core::care::Finding;
use jousei_core::error::FieldError;
use jousei_store::StoreError;

/// What kind of failure: decides the HTTP status in the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input breaks a rule (422).
    Invalid,
    /// The request is malformed beyond any one field (400).
    BadRequest,
    /// Nobody is signed in, or the credentials given are wrong (401).
    Unauthenticated,
    /// The signed-in person may not do this (403).
    Forbidden,
    /// No such record, or not visible to this person (404).
    NotFound,
    /// The state of the records forbids it now (409).
    Conflict,
    /// The upload is larger than allowed (413).
    TooLarge,
    /// The upload is of a kind not accepted (415).
    UnsupportedMedia,
    /// Too many wrong passwords: wait (429, with `Retry-After`).
    TooManyAttempts,
    /// A fault of ours; the details are logged, never shown (500).
    Internal,
}

/// A use case's error.
#[derive(Debug, Clone)]
pub struct ServiceError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub field: Option<&'static str>,
    /// Named arguments for the message.
    pub args: Vec<(&'static str, String)>,
    /// Logged, never shown.
    pub internal: Option<String>,
    /// Every individual problem when there are several (all fields of a
    /// form, all reasons a lot cannot be released).
    pub errors: Vec<SubError>,
}

/// One of several problems reported together.
#[derive(Debug, Clone, PartialEq)]
pub struct SubError {
    pub code: &'static str,
    pub field: Option<&'static str>,
    /// Named arguments for the message, e.g. the QC test concerned.
    pub args: Vec<(&'static str, String)>,
    /// A safety finding whose own message becomes the `message` argument
    /// when the problem is shown (rendered by the server in the reader's
    /// language).
    pub finding: Option<Finding>,
    /// Structured facts about this problem, sent as members of its
    /// problem+json item (e.g. the finding, subject and values of a refused
    /// dose).
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl SubError {
    pub fn new(code: &'static str) -> Self {
        SubError {
            code,
            field: None,
            args: Vec::new(),
            finding: None,
            data: serde_json::Map::new(),
        }
    }
}

impl From<FieldError> for SubError {
    fn from(e: FieldError) -> Self {
        SubError {
            field: Some(e.field),
            ..SubError::new(e.code)
        }
    }
}

impl ServiceError {
    pub fn new(kind: ErrorKind, code: &'static str) -> Self {
        ServiceError {
            kind,
            code,
            field: None,
            args: Vec::new(),
            internal: None,
            errors: Vec::new(),
        }
    }

    /// Several problems at once under one main code.
    pub fn many(kind: ErrorKind, code: &'static str, errors: Vec<SubError>) -> Self {
        let mut e = ServiceError::new(kind, code);
        e.errors = errors;
        e
    }

    /// All field errors of a form (`Invalid`), headed by the first one.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let first = errors.first().cloned();
        let mut e = match first {
            Some(f) => ServiceError::new(ErrorKind::Invalid, f.code).with_field(f.field),
            None => ServiceError::new(ErrorKind::Invalid, "invalid_request"),
        };
        e.errors = errors.into_iter().map(SubError::from).collect();
        e
    }

    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
    pub fn with_arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        let mut e = ServiceError::new(ErrorKind::Internal, "internal_error");
        e.internal = Some(msg.to_string());
        e
    }
    pub fn unauthenticated() -> Self {
        ServiceError::new(ErrorKind::Unauthenticated, "unauthenticated")
    }
    pub fn forbidden() -> Self {
        ServiceError::new(ErrorKind::Forbidden, "forbidden")
    }
    pub fn not_found() -> Self {
        ServiceError::new(ErrorKind::NotFound, "not_found")
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)?;
        if let Some(field) = self.field {
            write!(f, " ({field})")?;
        }
        for s in &self.errors {
            write!(f, "; {}", s.code)?;
        }
        if let Some(i) = &self.internal {
            write!(f, ": {i}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

impl From<FieldError> for ServiceError {
    fn from(e: FieldError) -> Self {
        ServiceError::new(ErrorKind::Invalid, e.code).with_field(e.field)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::not_found(),
            StoreError::Conflict(code) => ServiceError::new(ErrorKind::Conflict, code),
            other => ServiceError::internal(other),
        }
    }
}

impl From<anyhow::Error> for ServiceError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::internal(e)
    }
}

/// A use case's result.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
