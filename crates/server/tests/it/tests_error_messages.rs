//! Every error message is rendered with the arguments its code is given, in both languages,
//! and no placeholder (`{$…}`) is left.
//!
//! How codes and their arguments are produced, and how each way is covered here:
//! - a literal code (made by `ApiError::new`, `ApiError::many`, `ServiceError::new`,
//!   `ServiceError::many`, `SubError::new` (a finding kept in it gives `message`),
//!   `FieldError::new`, `Conflict` or `LabelFailure::new` with a string literal) with literal
//!   argument names (`.with_arg`, `.arg`, `args = vec![…]`, `args: vec![…]`, `args.push`)
//!   in the same statement or the statements that follow on the same error variable: found by
//!   reading the sources of every crate, then rendered with a dummy value for each name;
//! - a barcode refusal (the code comes from the parser): every refusal code is produced from
//!   a sample input and rendered through `barcode_ui::scan_error` in the unit test
//!   `barcode_ui::tests::every_error_code_has_messages_in_both_languages`, and here end to end
//!   through `POST /api/v1/lots` (the reported `{$value}` in a scan error).

use crate::*;
use jousei_core::locale::Locale;
use jousei_server::i18n::I18n;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

use crate::tests_supply_api::setup;

/// Rust sources of every crate of the workspace (tests excluded: they make no messages).
fn sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("tests") && !p.ends_with("target") {
                    dirs.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    out
}

fn snake(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The string literals of `s`, in order.
fn literals(s: &str) -> Vec<&str> {
    s.split('"').skip(1).step_by(2).collect()
}

/// Argument names passed in a piece of code.
fn arg_names(stmt: &str) -> BTreeSet<String> {
    let stmt: String = stmt.split_whitespace().collect();
    let mut names = BTreeSet::new();
    for pat in [".with_arg(\"", ".arg(\""] {
        for part in stmt.split(pat).skip(1) {
            if let Some(n) = part.split('"').next() {
                names.insert(n.to_string());
            }
        }
    }
    for pat in ["args=vec![", "args:vec![", "args.push(("] {
        for part in stmt.split(pat).skip(1) {
            let list = part.split("];").next().unwrap_or(part);
            for tuple in list.split("(\"").skip(1) {
                if let Some((n, rest)) = tuple.split_once('"')
                    && rest.starts_with(',')
                    && snake(n)
                {
                    names.insert(n.to_string());
                }
            }
        }
    }
    names
}

/// Every literal code and the argument names given with it at each place it is made.
fn literal_codes() -> BTreeMap<String, Vec<(String, BTreeSet<String>)>> {
    let mut found: BTreeMap<String, Vec<(String, BTreeSet<String>)>> = BTreeMap::new();
    for (path, src) in sources() {
        let statements: Vec<&str> = src.split(';').collect();
        for (i, stmt) in statements.iter().enumerate() {
            for pat in [
                "ApiError::new(",
                "ApiError::many(",
                "ServiceError::new(",
                "ServiceError::many(",
                "SubError::new(",
                "FieldError::new(",
                "Conflict(\"",
                "LabelFailure::new(",
            ] {
                for part in stmt.split(pat).skip(1) {
                    let call = part.split(')').next().unwrap_or("");
                    let call = if pat.ends_with('"') {
                        format!("\"{call}")
                    } else {
                        call.to_string()
                    };
                    let lits = literals(&call);
                    // FieldError::new(field, code): the code may be chosen among literals.
                    let codes: Vec<&str> = match pat {
                        "FieldError::new(" => lits.iter().skip(1).copied().collect(),
                        "LabelFailure::new(" => lits.first().copied().into_iter().collect(),
                        _ => lits.last().copied().into_iter().collect(),
                    };
                    let mut names = arg_names(stmt);
                    // `let mut e = ApiError::new(…); e.args = vec![…]; e.args.push((…));`
                    if let Some(var) = stmt
                        .rsplit("let mut ")
                        .next()
                        .filter(|_| stmt.contains("let mut "))
                        .and_then(|s| s.split([' ', '=', ':']).next())
                        .filter(|v| !v.is_empty())
                    {
                        for next in statements.iter().skip(i + 1).take(4) {
                            if next.contains(&format!("{var}.args")) {
                                names.extend(arg_names(next));
                            }
                            // A finding kept in the error gives `message`
                            // when it is shown (server::error::sub_detail).
                            if next.contains(&format!("{var}.finding = Some(")) {
                                names.insert("message".to_string());
                            }
                        }
                    }
                    for code in codes.into_iter().filter(|c| snake(c)) {
                        found
                            .entry(code.to_string())
                            .or_default()
                            .push((path.clone(), names.clone()));
                    }
                }
            }
        }
    }
    found
}

fn has_placeholder(text: &str) -> bool {
    text.contains("{$") || text.contains("{ $")
}

#[test]
fn every_literal_error_code_renders_with_the_arguments_it_is_given() {
    let i18n = I18n::load().unwrap();
    let codes = literal_codes();
    assert!(
        codes.contains_key("product_gtin_unknown") && codes.contains_key("password_too_short"),
        "the sources were read"
    );
    let mut unfilled = Vec::new();
    for (code, sites) in &codes {
        let key = format!("err-{code}");
        for locale in Locale::ALL {
            if !i18n.has(locale, &key) {
                continue; // a missing message is i18n::tests' concern
            }
            for (path, names) in sites {
                let args: Vec<(&str, String)> = names
                    .iter()
                    .map(|n| (n.as_str(), "X".to_string()))
                    .collect();
                let text = i18n.t_args(locale, &key, &args);
                if has_placeholder(&text) {
                    unfilled.push(format!("{locale} {code} ({path}, given {names:?}): {text}"));
                }
            }
        }
    }
    assert!(
        unfilled.is_empty(),
        "unfilled placeholders:\n{}",
        unfilled.join("\n")
    );
}

/// The reported case: a scan refused while receiving a lot names its value, length and limit.
#[tokio::test]
async fn a_refused_scan_when_receiving_a_lot_is_rendered_in_full() {
    let app = spawn_app().await;
    let (mut qa, _, loc, _) = setup(&app).await;
    let long_lot = "(01)04912345000019(10)ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (lang, scan, expect) in [
        ("en", long_lot, "has 26 characters; at most 20 are allowed"),
        ("ja", long_lot, "26文字ですが、最大20文字です"),
        (
            "en",
            "(01)04912345000019(17)261331(10)A",
            "the month is impossible",
        ),
        (
            "ja",
            "(01)04912345000019(17)261331(10)A",
            "月が正しくありません",
        ),
    ] {
        qa.lang = lang;
        let (s, v) = qa
            .post(
                "/api/v1/lots",
                json!({"scan": scan, "location_id": loc["id"], "vials": "1"}),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["field"], "scan");
        let detail = v["detail"].as_str().unwrap();
        assert!(!has_placeholder(detail), "{lang}: {detail}");
        assert!(detail.contains(expect), "{lang}: {detail}");
    }
}
