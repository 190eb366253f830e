//! Property tests ("fuzzing") of the parsers that read bytes from outside:
//! barcode scans, temperature-logger files, signature images and questionnaire
//! answers. Over arbitrary strings (and strings built from each format's own
//! alphabet, to get past the first checks) every parser must return — never
//! panic — quickly, and with output bounded by its input.
//!
//! The time bound is a guard against pathological (e.g. exponential)
//! behaviour, far above what a case needs, not a performance measurement.
//! Run longer with `PROPTEST_CASES=100000 cargo test -p jousei-core --test fuzz_parsers`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use jiff::civil::date;
use jiff::tz::TimeZone;
use jousei_core::barcode::{ParseOptions, parse, parse_scan};
use jousei_core::patient::consent::{Signature, base64_decode};
use jousei_core::patient::questionnaire::{self, DETAIL_MAX, RawAnswer, parse_answers};
use jousei_core::patient::registry::Sex;
use jousei_core::supply::coldchain::parse_logger_csv;
use proptest::prelude::*;

/// Far above any single case's need (a few milliseconds), even on a busy machine.
const CASE_LIMIT: Duration = Duration::from_secs(2);

fn timed<T>(what: &str, input: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(
        took < CASE_LIMIT,
        "{what} took {took:?} on {} bytes: {input:?}",
        input.len()
    );
    out
}

/// Any text up to a few KiB: any Unicode scalar, control characters included.
fn any_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..1500).prop_map(|v| v.into_iter().collect())
}

/// Arbitrary bytes read as a file would be (lossy UTF-8).
fn any_bytes_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..4096)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Text from a barcode's alphabet: digits, brackets, GS and its stand-ins, AIM
/// identifiers, ISBT 128 flags, Digital Link pieces, full-width digits.
fn barcode_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[0-9]{1,14}",
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("\u{1d}".to_owned()),
        Just("<GS>".to_owned()),
        Just("]C1".to_owned()),
        Just("]d2".to_owned()),
        Just("]E0".to_owned()),
        Just("]Q3".to_owned()),
        Just("=<".to_owned()),
        Just("=%".to_owned()),
        Just("&>".to_owned()),
        Just("&)".to_owned()),
        Just("=".to_owned()),
        Just("https://id.gs1.org/01/".to_owned()),
        Just("/10/".to_owned()),
        Just("/17/".to_owned()),
        Just("?7003=".to_owned()),
        Just("%2F".to_owned()),
        Just("０１７".to_owned()),
        "(01|10|17|21|30|7003|8003|92|11)",
        "[A-Z0-9*]{1,6}",
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn scan_is_bounded(input: &str) {
    let today = date(2026, 12, 7);
    let out = timed("parse_scan", input, || parse_scan(input, today));
    if let Ok(scan) = out {
        // Every value read comes from the input: the parsed scan cannot be much
        // larger than it (Debug adds field names, a constant per AI).
        let size = format!("{scan:?}").len();
        assert!(
            size <= 2_000 + 64 * input.len(),
            "scan of {} bytes grew to {size}",
            input.len()
        );
        assert!(scan.ais.0.len() <= input.len());
    }
    let mut options = ParseOptions::new(today);
    options.dl_zero_suppressed_gtin = true;
    options.normalise_fullwidth = false;
    let _ = timed("parse (options)", input, || parse(input, &options));
}

/// A logger file's alphabet: separators, dates and times, temperatures,
/// header words, metadata, BOMs and line ends.
fn logger_like() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        "20[0-9]{2}[-/][01][0-9][-/][0-3][0-9]",
        "[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][01][0-9]:[0-5][0-9])?",
        "-?[0-9]{1,3}(\\.[0-9]{1,3})?",
        "(Date|Time|日時|日付|時刻|温度|Temperature|Temp|℃|°C|No\\.|Serial|S/N|機器)",
        "\"[^\"]{0,8}\"",
        ".{0,6}",
    ];
    let sep = prop_oneof![
        Just(","),
        Just(";"),
        Just("\t"),
        Just("\r\n"),
        Just("\n"),
        Just("\r")
    ];
    proptest::collection::vec((cell, sep), 0..200).prop_map(|v| {
        let mut s = String::new();
        for (c, sep) in v {
            s.push_str(&c);
            s.push_str(sep);
        }
        s
    })
}

fn logger_is_bounded(input: &str) {
    let zone = TimeZone::get("Asia/Tokyo").unwrap();
    let out = timed("parse_logger_csv", input, || parse_logger_csv(input, &zone));
    if let Ok(file) = out {
        let lines = input.split(['\n', '\r']).count();
        assert!(
            file.readings.len() <= lines,
            "{} readings from {lines} lines",
            file.readings.len()
        );
        assert!(file.header_line <= lines);
        assert!(
            file.readings.windows(2).all(|w| w[0].at < w[1].at),
            "readings not in time order"
        );
        if let Some(device) = &file.device_id {
            assert!(device.len() <= input.len());
        }
    }
}

fn base64_like() -> impl Strategy<Value = String> {
    let png = "iVBORw0KGgo";
    (
        prop_oneof![Just(""), Just("data:image/png;base64,"), Just(" ")],
        prop_oneof![Just(png.to_owned()), Just(String::new())],
        "[A-Za-z0-9+/= \n]{0,3000}",
    )
        .prop_map(|(prefix, head, rest)| format!("{prefix}{head}{rest}"))
}

fn svg_like() -> impl Strategy<Value = String> {
    "[MmLlHhVvCcSsQqTtAaZz0-9 ,.\\-eE\n]{0,3000}"
}

fn signature_is_bounded(svg: Option<&str>, png: Option<&str>) {
    let input = format!("{svg:?} {png:?}");
    let out = timed("Signature::parse", &input, || Signature::parse(svg, png));
    match out {
        Ok(sig) => {
            let longest = svg.map_or(0, str::len).max(png.map_or(0, str::len));
            assert!(
                sig.bytes().len() <= longest,
                "signature larger than its input"
            );
            let (mime, bytes) = sig.to_file();
            assert!(mime.starts_with("image/"), "{mime}");
            assert!(!bytes.is_empty());
            assert_eq!(
                Signature::from_stored(sig.kind(), sig.bytes()),
                Some(sig.clone())
            );
        }
        Err(e) => assert_eq!(e.field, "signature"),
    }
}

fn raw_answers() -> impl Strategy<Value = Vec<RawAnswer>> {
    let ids: Vec<String> = questionnaire::current()
        .questions
        .iter()
        .map(|q| q.id.as_str().to_owned())
        .collect();
    let question = prop_oneof![proptest::sample::select(ids), ".{0,20}"];
    let answer = prop_oneof![
        Just("yes".to_owned()),
        Just("no".to_owned()),
        Just("unsure".to_owned()),
        Just(" YES ".to_owned()),
        ".{0,12}",
    ];
    let detail = proptest::option::of(prop_oneof![".{0,40}", any_text()]);
    let one = (question, answer, detail).prop_map(|(question, answer, detail)| RawAnswer {
        question,
        answer,
        detail,
    });
    proptest::collection::vec(one, 0..40)
}

fn answers_are_bounded(raw: &[RawAnswer], sex: Sex) {
    let def = questionnaire::current();
    let input = format!("{raw:?}");
    let out = timed("parse_answers", &input, || parse_answers(&def, sex, raw));
    match out {
        Ok(answers) => {
            assert!(answers.len() <= raw.len());
            assert!(answers.len() <= def.questions.len());
            for a in answers.values() {
                if let Some(d) = &a.detail {
                    assert!(d.chars().count() <= DETAIL_MAX);
                }
            }
        }
        Err(errs) => {
            assert!(!errs.is_empty());
            // At most one problem per answer sent plus one per question left out.
            assert!(
                errs.len() <= raw.len() + def.questions.len(),
                "{} errors",
                errs.len()
            );
        }
    }
}

fn sex() -> impl Strategy<Value = Sex> {
    prop_oneof![Just(Sex::Female), Just(Sex::Male), Just(Sex::Other)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn barcode_any_text(input in any_text()) {
        scan_is_bounded(&input);
    }

    #[test]
    fn barcode_any_bytes(input in any_bytes_text()) {
        scan_is_bounded(&input);
    }

    #[test]
    fn barcode_structured(input in barcode_like()) {
        scan_is_bounded(&input);
    }

    #[test]
    fn logger_any_bytes(input in any_bytes_text()) {
        logger_is_bounded(&input);
    }

    #[test]
    fn logger_structured(input in logger_like()) {
        logger_is_bounded(&input);
    }

    #[test]
    fn signature_any_text(svg in proptest::option::of(any_text()), png in proptest::option::of(any_text())) {
        signature_is_bounded(svg.as_deref(), png.as_deref());
    }

    #[test]
    fn signature_structured(svg in proptest::option::of(svg_like()), png in proptest::option::of(base64_like())) {
        signature_is_bounded(svg.as_deref(), png.as_deref());
    }

    #[test]
    fn base64_any(input in prop_oneof![any_text(), base64_like()]) {
        let out = timed("base64_decode", &input, || base64_decode(&input));
        if let Some(bytes) = out {
            prop_assert!(bytes.len() <= input.len() * 3 / 4 + 3);
        }
    }

    #[test]
    fn questionnaire_answers(raw in raw_answers(), sex in sex()) {
        answers_are_bounded(&raw, sex);
    }
}
