//! Generator and staleness check for `src/barcode/ai_table.rs`.
//!
//! The GS1 Application Identifier table is not typed by hand: it is generated from the GS1
//! Barcode Syntax Dictionary copied to `crates/core/data/gs1/gs1-syntax-dictionary.txt`
//! (Apache-2.0, see `crates/core/data/gs1/LICENSE`). This test renders the table from the
//! dictionary and fails when the checked-in file differs.
//!
//! To regenerate after updating the dictionary copy:
//!
//! ```text
//! JOUSEI_REGENERATE_AI_TABLE=1 cargo test -p jousei-core --test barcode_ai_table
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

const FLAG_CHARS: &str = "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~";

#[derive(Debug)]
struct Component {
    cset: char,
    min: u32,
    max: u32,
    optional: bool,
    linters: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    first: String,
    last: String,
    flags: String,
    components: Vec<Component>,
    req: Vec<Vec<Vec<String>>>,
    ex: Vec<String>,
    dlpkey: Option<Vec<Vec<String>>>,
    title: String,
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn parse_component(token: &str) -> Result<Component, String> {
    let mut parts = token.split(',');
    let ty = parts.next().ok_or("empty component")?;
    let (optional, ty) = match ty.strip_prefix('[') {
        Some(inner) => (
            true,
            inner
                .strip_suffix(']')
                .ok_or_else(|| format!("unclosed optional component {token}"))?,
        ),
        None => (false, ty),
    };
    let cset = ty.chars().next().ok_or("empty type")?;
    if !"NXYZ".contains(cset) {
        return Err(format!("unknown character set in {token}"));
    }
    let len = &ty[1..];
    let (min, max) = match len.strip_prefix("..") {
        Some(max) => (1, max.parse::<u32>().map_err(|e| format!("{token}: {e}"))?),
        None => {
            let n = len.parse::<u32>().map_err(|e| format!("{token}: {e}"))?;
            (n, n)
        }
    };
    let linters = parts.map(str::to_owned).collect::<Vec<_>>();
    if linters
        .iter()
        .any(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(format!("bad linter name in {token}"));
    }
    Ok(Component {
        cset,
        min,
        max,
        optional,
        linters,
    })
}

fn parse_dictionary(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (spec, title) = match line.split_once('#') {
            Some((spec, title)) => (spec, title.trim().to_owned()),
            None => (line, String::new()),
        };
        let mut tokens = spec.split_whitespace().peekable();
        let ais = tokens.next().ok_or(format!("line {}: no AI", lineno + 1))?;
        let (first, last) = match ais.split_once('-') {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => (ais.to_owned(), ais.to_owned()),
        };
        if first.len() != last.len()
            || !(2..=4).contains(&first.len())
            || !first
                .chars()
                .chain(last.chars())
                .all(|c| c.is_ascii_digit())
        {
            return Err(format!("line {}: bad AI range {ais}", lineno + 1));
        }
        let mut flags = String::new();
        if let Some(t) = tokens.peek()
            && t.chars().all(|c| FLAG_CHARS.contains(c))
        {
            flags = (*t).to_owned();
            tokens.next();
        }
        let mut entry = Entry {
            first,
            last,
            flags,
            components: Vec::new(),
            req: Vec::new(),
            ex: Vec::new(),
            dlpkey: None,
            title,
        };
        for token in tokens {
            let is_component = token.starts_with(['N', 'X', 'Y', 'Z', '['])
                && entry.req.is_empty()
                && entry.ex.is_empty()
                && entry.dlpkey.is_none();
            if is_component {
                entry
                    .components
                    .push(parse_component(token).map_err(|e| format!("line {}: {e}", lineno + 1))?);
            } else if let Some(v) = token.strip_prefix("req=") {
                entry.req.push(
                    v.split(',')
                        .map(|alt| alt.split('+').map(str::to_owned).collect())
                        .collect(),
                );
            } else if let Some(v) = token.strip_prefix("ex=") {
                entry.ex.extend(v.split(',').map(str::to_owned));
            } else if token == "dlpkey" {
                entry.dlpkey = Some(Vec::new());
            } else if let Some(v) = token.strip_prefix("dlpkey=") {
                entry.dlpkey = Some(
                    v.split('|')
                        .map(|seq| seq.split(',').map(str::to_owned).collect())
                        .collect(),
                );
            } else {
                return Err(format!("line {}: unknown token {token}", lineno + 1));
            }
        }
        if entry.components.is_empty() {
            return Err(format!("line {}: no components", lineno + 1));
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn variant(linter: &str) -> String {
    let mut chars = linter.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn str_list(items: &[String]) -> String {
    let inner = items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("&[{inner}]")
}

fn render(dictionary: &str) -> Result<String, String> {
    let entries = parse_dictionary(dictionary)?;
    let linters: BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| {
            e.components
                .iter()
                .flat_map(|c| c.linters.iter().map(String::as_str))
        })
        .collect();

    let mut out = String::new();
    out.push_str(
        "// @generated by crates/core/tests/barcode_ai_table.rs from\n\
         // crates/core/data/gs1/gs1-syntax-dictionary.txt. Do not edit by hand; regenerate with\n\
         //   JOUSEI_REGENERATE_AI_TABLE=1 cargo test -p jousei-core --test barcode_ai_table\n\
         //\n\
         // This table is derived from the GS1 Barcode Syntax Dictionary:\n",
    );
    for line in dictionary.lines().filter(|l| l.starts_with("# Copyright")) {
        let _ = writeln!(out, "//   {}", line.trim_start_matches("# "));
    }
    out.push_str(
        "// Licensed under the Apache License, Version 2.0 (crates/core/data/gs1/LICENSE);\n\
         // you may not use this file except in compliance with the License. Distributed on an\n\
         // \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.\n\n\
         use super::dictionary::{AiEntry, Component, Cset};\n\n\
         /// The component linters named in the GS1 Barcode Syntax Dictionary.\n\
         ///\n\
         /// Generated: a new linter in the dictionary adds a variant here, and the exhaustive\n\
         /// `match` in `linters.rs` then refuses to compile until it is implemented.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n\
         pub enum Linter {\n",
    );
    for l in &linters {
        let _ = writeln!(out, "    /// `{l}`\n    {},", variant(l));
    }
    out.push_str(
        "}\n\nimpl Linter {\n    /// The linter's name as written in the dictionary.\n    \
         pub const fn name(self) -> &'static str {\n        match self {\n",
    );
    for l in &linters {
        let _ = writeln!(out, "            Self::{} => {l:?},", variant(l));
    }
    out.push_str("        }\n    }\n}\n\n");
    let _ = writeln!(
        out,
        "/// Every Application Identifier (or AI range) in the dictionary, in lexical order.\n\
         pub(crate) static AI_TABLE: &[AiEntry] = &["
    );
    for e in &entries {
        let comps = e
            .components
            .iter()
            .map(|c| {
                let linters = c
                    .linters
                    .iter()
                    .map(|l| format!("Linter::{}", variant(l)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "Component {{ cset: Cset::{}, min: {}, max: {}, optional: {}, linters: &[{linters}] }}",
                    c.cset, c.min, c.max, c.optional
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let req = e
            .req
            .iter()
            .map(|alts| {
                let alts = alts
                    .iter()
                    .map(|a| str_list(a))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("&[{alts}]")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let dlpkey = match &e.dlpkey {
            None => "None".to_owned(),
            Some(seqs) => {
                let seqs = seqs
                    .iter()
                    .map(|s| str_list(s))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("Some(&[{seqs}])")
            }
        };
        let _ = writeln!(
            out,
            "    AiEntry {{ first: {:?}, last: {:?}, predefined_length: {}, dl_data_attribute: {}, \
             components: &[{comps}], req: &[{req}], ex: {}, dl_pkey: {dlpkey}, title: {:?} }},",
            e.first,
            e.last,
            e.flags.contains('*'),
            e.flags.contains('?'),
            str_list(&e.ex),
            e.title,
        );
    }
    out.push_str("];\n");
    Ok(out)
}

#[test]
fn generated_ai_table_is_up_to_date() {
    let dict_path = crate_dir().join("data/gs1/gs1-syntax-dictionary.txt");
    let table_path = crate_dir().join("src/barcode/ai_table.rs");
    let dictionary = std::fs::read_to_string(&dict_path).expect("read dictionary copy");
    let rendered = render(&dictionary).expect("dictionary parses");
    if std::env::var_os("JOUSEI_REGENERATE_AI_TABLE").is_some() {
        std::fs::write(&table_path, &rendered).expect("write ai_table.rs");
    }
    let current = std::fs::read_to_string(&table_path).unwrap_or_default();
    assert!(
        current == rendered,
        "src/barcode/ai_table.rs is stale relative to data/gs1/gs1-syntax-dictionary.txt; \
         regenerate with JOUSEI_REGENERATE_AI_TABLE=1 cargo test -p jousei-core --test barcode_ai_table"
    );
}

#[test]
fn dictionary_copy_carries_its_licence() {
    let licence = std::fs::read_to_string(crate_dir().join("data/gs1/LICENSE")).expect("LICENSE");
    assert!(licence.contains("Apache License"));
    assert!(licence.contains("Version 2.0"));
}

#[test]
fn dictionary_ais_are_prefix_free_and_sorted() {
    // The element-string parser looks AIs up by trying 2, 3 and 4 leading digits; that is only
    // unambiguous if no AI is a prefix of another.
    let dictionary =
        std::fs::read_to_string(crate_dir().join("data/gs1/gs1-syntax-dictionary.txt"))
            .expect("read dictionary copy");
    let entries = parse_dictionary(&dictionary).expect("dictionary parses");
    let mut all = Vec::new();
    for e in &entries {
        let a: u32 = e.first.parse().expect("numeric");
        let b: u32 = e.last.parse().expect("numeric");
        assert!(a <= b);
        for n in a..=b {
            all.push(format!("{n:0width$}", width = e.first.len()));
        }
    }
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "dictionary must be in lexical order");
    for x in &all {
        for y in &all {
            assert!(
                x == y || !y.starts_with(x.as_str()),
                "AI {x} is a prefix of {y}"
            );
        }
    }
    // The parser also relies on the dictionary's stated rules.
    for e in &entries {
        let n = e.components.len();
        for (i, c) in e.components.iter().enumerate() {
            assert!(
                c.min == c.max || i == n - 1,
                "{}: only the last component may vary",
                e.first
            );
        }
        let mut seen_optional = false;
        for c in &e.components {
            assert!(
                !seen_optional || c.optional,
                "{}: mandatory after optional",
                e.first
            );
            seen_optional |= c.optional;
        }
    }
}
