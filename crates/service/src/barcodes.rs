//! A refused scan as a use-case error: the barcode error's code and every
//! argument its message needs, shared by the scan page, the barcode API and
//! the use cases that take a scan among other fields.

use jousei_core::barcode::{BarcodeError, ErrorKind};

use crate::error::{ErrorKind as Kind, ServiceError};

/// A value as message text: strings as they are, lists joined with `, `.
pub fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(json_text).collect::<Vec<_>>().join(", ")
        }
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A character as people can see it: control and space characters as `U+001D`.
pub fn visible_char(c: &str) -> String {
    match c.chars().next() {
        Some(ch) if c.chars().count() == 1 && (ch.is_control() || ch.is_whitespace()) => {
            format!("U+{:04X}", u32::from(ch))
        }
        _ => c.to_string(),
    }
}

/// The named arguments of a refusal's message: the fields the domain reports with it.
pub fn detail_args(kind: &ErrorKind) -> Vec<(String, String)> {
    let mut args = Vec::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(kind) {
        for (k, v) in map {
            if k == "code" {
                continue;
            }
            let text = match (k.as_str(), &v) {
                ("character", serde_json::Value::String(c)) => visible_char(c),
                ("expected", serde_json::Value::Array(list)) => {
                    list.iter().map(json_text).collect::<Vec<_>>().join("/")
                }
                _ => json_text(&v),
            };
            args.push((k, text));
        }
    }
    args
}

/// Every argument name a refusal's message may use (the fields of [`ErrorKind`]), as the
/// `'static` names an [`ServiceError`] carries.
pub const ARG_NAMES: &[&str] = &[
    "max",
    "min",
    "identifier",
    "found",
    "expected",
    "value",
    "character",
    "charset",
    "problem",
    "linter",
    "detail",
    "first",
    "second",
    "other",
    "key",
    "declared",
];

/// The named arguments of a refusal for an [`ServiceError`]: the same values the scan page and
/// `/api/v1/barcode/parse` give the message, plus the place (`position` 1-based, `ai`).
pub fn error_args(e: &BarcodeError) -> Vec<(&'static str, String)> {
    let mut args: Vec<(&'static str, String)> = detail_args(&e.kind)
        .into_iter()
        .filter_map(|(k, v)| ARG_NAMES.iter().find(|n| **n == k).map(|n| (*n, v)))
        .collect();
    if let Some(pos) = e.position {
        args.push(("position", (pos + 1).to_string()));
    }
    if let Some(ai) = &e.ai {
        args.push(("ai", ai.clone()));
    }
    args
}

/// A refused scan as an [`ServiceError`] on `field` (422, the barcode error's code and every
/// argument its message needs), for the endpoints that take a scan among other fields.
pub fn scan_error(e: &BarcodeError, field: &'static str) -> ServiceError {
    let mut err = ServiceError::new(Kind::Invalid, e.code());
    err.field = Some(field);
    err.args = error_args(e);
    err
}
