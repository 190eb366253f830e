//! Labels scanned back: the generated GS1 DataMatrix is rasterised to an image, decoded with
//! an independent reader (`rxing`), and the decoded text parsed; it must resolve to exactly the
//! vial the label was built for. Plus property tests: anything a label encodes parses back to
//! the same fields, and no input makes the parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::civil::{Date, date};
use jousei_core::barcode::{
    Expiry, LabelProduct, ModuleGrid, ParseOptions, Scan, VialLabel, VialLabelSpec,
    gs1_check_digit, parse, parse_scan, to_digital_link,
};
use proptest::prelude::*;
use rxing::{BarcodeFormat, RXingResultMetadataType, RXingResultMetadataValue};

const TODAY: Date = date(2026, 11, 22);

/// Rasterise modules to an 8-bit grey image: `scale` pixels per module, 4-module quiet zone.
fn rasterise(grid: &ModuleGrid, scale: usize) -> (Vec<u8>, u32, u32) {
    let quiet = 4;
    let w = (grid.width + 2 * quiet) * scale;
    let h = (grid.height + 2 * quiet) * scale;
    let mut luma = vec![255u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (mx, my) = (
                (x / scale).checked_sub(quiet),
                (y / scale).checked_sub(quiet),
            );
            if let (Some(mx), Some(my)) = (mx, my)
                && grid.is_dark(mx, my)
            {
                luma[y * w + x] = 0;
            }
        }
    }
    (luma, u32::try_from(w).unwrap(), u32::try_from(h).unwrap())
}

/// Decode the label's symbol with rxing and return the scanner-style string (AIM identifier +
/// data, FNC1 separators as GS).
fn scan_label(label: &VialLabel) -> String {
    let grid = label.modules().unwrap();
    let (luma, w, h) = rasterise(&grid, 6);
    let result = rxing::helpers::detect_in_luma(luma, w, h, Some(BarcodeFormat::DATA_MATRIX))
        .expect("rxing decodes the symbol");
    let symbology = match result
        .getRXingResultMetadata()
        .get(&RXingResultMetadataType::SYMBOLOGY_IDENTIFIER)
    {
        Some(RXingResultMetadataValue::SymbologyIdentifier(s)) => s.clone(),
        other => panic!("no symbology identifier: {other:?}"),
    };
    format!("{symbology}{}", result.getText())
}

fn assert_same_vial(scan: &Scan, spec: &VialLabelSpec, gtin: Option<&str>) {
    assert_eq!(scan.gtin.as_deref(), gtin);
    match &spec.product {
        LabelProduct::Gtin(_) => assert_eq!(scan.internal_product_id, None),
        LabelProduct::Internal(id) => {
            assert_eq!(scan.internal_product_id.as_deref(), Some(id.as_str()))
        }
    }
    assert_eq!(scan.lot.as_deref(), Some(spec.lot.as_str()));
    assert_eq!(scan.serial.as_deref(), Some(spec.serial.as_str()));
    assert_eq!(scan.expiry, Some(Expiry::Date(spec.expiry)));
}

#[test]
fn printed_gtin_label_scans_back_to_the_same_vial() {
    let spec = VialLabelSpec {
        product: LabelProduct::Gtin("14912345678901".into()),
        product_name: "エクソソーム 2mL".into(),
        lot: "EX-2611/07".into(),
        expiry: date(2027, 2, 28),
        serial: "0042".into(),
    };
    let label = spec.clone().build(TODAY).unwrap();
    let scanned = scan_label(&label);
    assert!(
        scanned.starts_with("]d2"),
        "GS1 DataMatrix must carry FNC1 first: {scanned:?}"
    );
    assert_eq!(&scanned[3..], label.element_string());
    let scan = parse_scan(&scanned, TODAY).unwrap();
    assert_same_vial(&scan, &spec, Some("14912345678901"));
    assert!(scan.warnings.is_empty(), "{:?}", scan.warnings);
}

#[test]
fn printed_internal_label_scans_back_to_the_same_vial() {
    let spec = VialLabelSpec {
        product: LabelProduct::Internal("CM-STD-5".into()),
        product_name: "幹細胞培養上清液 5mL".into(),
        lot: "2611A".into(),
        expiry: date(2027, 11, 30),
        serial: "V-0001".into(),
    };
    let label = spec.clone().build(TODAY).unwrap();
    let scan = parse_scan(&scan_label(&label), TODAY).unwrap();
    assert_same_vial(&scan, &spec, None);
    assert!(scan.warnings.is_empty(), "{:?}", scan.warnings);
}

#[test]
fn different_vials_of_one_lot_scan_differently() {
    let make = |serial: &str| VialLabelSpec {
        product: LabelProduct::Gtin("04912345678904".into()),
        product_name: "P".into(),
        lot: "L1".into(),
        expiry: date(2027, 1, 31),
        serial: serial.into(),
    };
    let a = parse_scan(&scan_label(&make("0001").build(TODAY).unwrap()), TODAY).unwrap();
    let b = parse_scan(&scan_label(&make("0002").build(TODAY).unwrap()), TODAY).unwrap();
    assert_eq!(
        (a.serial.as_deref(), b.serial.as_deref()),
        (Some("0001"), Some("0002"))
    );
}

fn cset82() -> impl Strategy<Value = char> {
    prop::sample::select(
        "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
            .chars()
            .collect::<Vec<_>>(),
    )
}

fn field(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(cset82(), 1..=max).prop_map(|v| v.into_iter().collect())
}

fn gtin() -> impl Strategy<Value = String> {
    (prop::sample::select(vec![7usize, 11, 12, 13]), any::<u64>()).prop_map(|(len, n)| {
        let body: String = format!("{:020}", n)[20 - len..].to_owned();
        let check = gs1_check_digit(&body).unwrap();
        format!("{body}{check}")
    })
}

fn product() -> impl Strategy<Value = LabelProduct> {
    prop_oneof![
        gtin().prop_map(LabelProduct::Gtin),
        field(30).prop_map(LabelProduct::Internal)
    ]
}

fn expiry() -> impl Strategy<Value = Date> {
    // Within the century window around TODAY.
    (0i32..(99 * 366))
        .prop_map(|d| {
            date(1978, 1, 1)
                .checked_add(jiff::Span::new().days(d))
                .unwrap()
        })
        .prop_filter("inside the GS1 century window", |d| {
            (1978..=2076).contains(&d.year())
        })
}

fn spec() -> impl Strategy<Value = VialLabelSpec> {
    (product(), field(20), expiry(), field(20)).prop_map(|(product, lot, expiry, serial)| {
        VialLabelSpec {
            product,
            product_name: "x".into(),
            lot,
            expiry,
            serial,
        }
    })
}

proptest! {
    // 400 cases by default; PROPTEST_CASES overrides (e.g. 20000 for a long run).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    /// Anything a label encodes parses back to the same fields, as an element string with
    /// GS, with a keyboard-wedge stand-in, as bracketed text and (with a GTIN) as Digital Link.
    #[test]
    fn label_fields_round_trip(spec in spec()) {
        let label = match spec.clone().build(TODAY) {
            Ok(label) => label,
            // Only values that contain a keyboard-wedge stand-in text are refused.
            Err(e) => {
                prop_assert!(spec.lot.contains("<GS>") || spec.serial.contains("<GS>")
                    || matches!(&spec.product, LabelProduct::Internal(id) if id.contains("<GS>")), "{e}");
                return Ok(());
            }
        };
        let gtin = label.gtin().map(str::to_owned);
        let es = label.element_string();
        for input in [format!("]d2{es}"), es.replace('\u{1d}', "{GS}"), label.hri()] {
            let scan = parse_scan(&input, TODAY).map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
            assert_same_vial(&scan, &spec, gtin.as_deref());
        }
        if gtin.is_some() {
            let uri = to_digital_link(label.ais(), "https://id.example.jp/stem").unwrap();
            let scan = parse_scan(&uri, TODAY).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
            assert_same_vial(&scan, &spec, gtin.as_deref());
        }
    }

    /// Arbitrary text never panics.
    #[test]
    fn arbitrary_text_never_panics(s in ".{0,120}") {
        let _ = parse_scan(&s, TODAY);
    }

    /// Text built from the characters that matter to the parser never panics, on any date.
    #[test]
    fn barcode_like_text_never_panics(
        prefix in prop::sample::select(vec!["", "]d2", "]C1", "]C0", "]Q3", "]e0", "]E0", "]E4", "]d1", "http://a/", "https://x/y/", "(", "=", "&", "]I1"]),
        body in prop::collection::vec(prop::sample::select(
            "0123456789012345678901234567890123456789ABZaz()=&%<>/?#^|~{}[]\\+:,.-_\u{1d}０ ".chars().collect::<Vec<_>>()), 0..80),
        days in -40000i32..40000,
        legacy in any::<bool>(),
    ) {
        let today = date(2026, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap_or(TODAY);
        let input: String = prefix.chars().chain(body).collect();
        let options = ParseOptions { dl_zero_suppressed_gtin: legacy, ..ParseOptions::new(today) };
        if let Ok(scan) = parse(&input, &options) {
            // Whatever is accepted re-reads identically from its canonical forms.
            if !scan.ais.0.is_empty() {
                let again = parse(&scan.hri(), &options).map_err(|e| TestCaseError::fail(format!("{input:?} -> {}: {e}", scan.hri())))?;
                prop_assert_eq!(&again.ais, &scan.ais);
                let again = parse(&format!("]C1{}", scan.element_string()), &options)
                    .map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
                prop_assert_eq!(&again.ais, &scan.ais);
            }
        }
    }
}
