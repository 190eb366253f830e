//! The `ALL_CODES` lists must name every code the types can produce: translation tables
//! (the server's `barcode.ftl`) are checked against them, so a code missing here would be a
//! refusal shown untranslated.

use std::collections::BTreeSet;

use super::{ErrorKind, LabelError, ScanWarning};

/// Every `#[serde(rename = "<prefix>…")]` in a source file: the serialised codes.
fn renamed(src: &str, prefix: &str) -> BTreeSet<String> {
    src.split("rename = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|code| code.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Every string returned by `code()` (`=> "<prefix>…"`) in a source file.
fn returned(src: &str, prefix: &str) -> BTreeSet<String> {
    src.split("=> \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|code| code.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// `codes` has no duplicate and is exactly what `src` renames to and returns from `code()`.
fn check(src: &str, prefix: &str, codes: &[&str]) {
    let all: BTreeSet<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(all.len(), codes.len(), "duplicate in {codes:?}");
    assert_eq!(renamed(src, prefix), all, "serde renames vs ALL_CODES");
    assert_eq!(returned(src, prefix), all, "code() vs ALL_CODES");
}

#[test]
fn every_code_is_listed() {
    check(include_str!("error.rs"), "barcode_", ErrorKind::ALL_CODES);
    check(include_str!("scan.rs"), "barcode_", ScanWarning::ALL_CODES);
    check(include_str!("label.rs"), "label_", LabelError::ALL_CODES);
    assert!(ErrorKind::ALL_CODES.len() >= 27 && ScanWarning::ALL_CODES.len() >= 6);
}
