//! The GS1 (standards.md §2.8, G1–G27) and ISBT 128 (§3.3, I1–I7 and the compound message)
//! test vectors, through the public entry point, plus one test per rejection class.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::civil::{Date, date};

use super::*;

/// The research date of standards.md; every century-window expectation there assumes it.
const TODAY: Date = date(2026, 11, 22);

fn ok(input: &str) -> Scan {
    parse_scan(input, TODAY).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn err(input: &str) -> BarcodeError {
    match parse_scan(input, TODAY) {
        Ok(s) => panic!("{input:?} was accepted: {:?}", s.ais),
        Err(e) => e,
    }
}

fn pairs(scan: &Scan) -> Vec<(&str, &str)> {
    scan.ais
        .0
        .iter()
        .map(|a| (a.ai.as_str(), a.value.as_str()))
        .collect()
}

#[test]
fn g1_to_g3_symbology_prefixes() {
    for (input, sym) in [
        (
            "]d2011231231231233310ABC123\u{1d}99TESTING",
            Symbology::Gs1Datamatrix,
        ),
        (
            "]C1011231231231233310ABC123\u{1d}99TESTING",
            Symbology::Gs1_128,
        ),
        (
            "]Q3011231231231233310ABC123\u{1d}99TESTING",
            Symbology::Gs1Qr,
        ),
    ] {
        let s = ok(input);
        assert_eq!(s.symbology, Some(sym));
        assert_eq!(
            pairs(&s),
            [
                ("01", "12312312312333"),
                ("10", "ABC123"),
                ("99", "TESTING")
            ]
        );
        assert_eq!(s.gtin.as_deref(), Some("12312312312333"));
        assert_eq!(s.lot.as_deref(), Some("ABC123"));
    }
}

#[test]
fn g4_databar_composite() {
    let s = ok("]e0011231231231233310ABC123\u{1d}1199122598TESTING\u{1d}97XYZ");
    assert_eq!(s.symbology, Some(Symbology::Gs1Databar));
    assert_eq!(
        pairs(&s),
        [
            ("01", "12312312312333"),
            ("10", "ABC123"),
            ("11", "991225"),
            ("98", "TESTING"),
            ("97", "XYZ")
        ]
    );
    assert_eq!(s.production_date, Some(date(1999, 12, 25)));
}

#[test]
fn g5_to_g7_ean() {
    let s = ok("]E02112345678900");
    assert_eq!(
        (s.gtin.as_deref(), s.format),
        (Some("02112345678900"), InputFormat::Gtin)
    );
    let e = err("]E02112345678901");
    assert_eq!(
        (e.code(), e.ai.as_deref(), e.position),
        ("barcode_bad_check_digit", Some("01"), Some(15))
    );
    assert!(
        matches!(&e.kind, ErrorKind::BadCheckDigit { expected, found, .. } if expected == "0" && found == "1")
    );
    assert_eq!(ok("]E402345673").gtin.as_deref(), Some("00000002345673"));
    assert_eq!(err("]E4023456730").code(), "barcode_invalid_gtin_length");
}

#[test]
fn g8_g9_bracketed_to_element_string() {
    let s = ok("(01)12345678901231(10)12345");
    assert_eq!(s.format, InputFormat::Bracketed);
    assert_eq!(element_string_caret(&s.ais.0), "^01123456789012311012345");
    assert_eq!(
        element_string_caret(&ok("(10)12345(11)991225").ais.0),
        "^1012345^11991225"
    );
}

#[test]
fn g10_bad_gtin_check_digit() {
    for input in ["^0112345678901234", "0112345678901234"] {
        let e = err(input);
        assert_eq!(
            (e.code(), e.ai.as_deref()),
            ("barcode_bad_check_digit", Some("01")),
            "{input}"
        );
        assert!(
            matches!(&e.kind, ErrorKind::BadCheckDigit { expected, found, .. } if expected == "1" && found == "4")
        );
    }
}

#[test]
fn g11_g12_fixed_and_separated() {
    let s = ok("010703206980498815210526100329");
    assert_eq!(
        pairs(&s),
        [("01", "07032069804988"), ("15", "210526"), ("10", "0329")]
    );
    assert!(s.warnings.is_empty());
    let s = ok("0107032069804988100329\u{1d}15210526");
    assert_eq!(
        pairs(&s),
        [("01", "07032069804988"), ("10", "0329"), ("15", "210526")]
    );
    assert!(s.warnings.is_empty());
}

#[test]
fn g13_missing_separator_is_accepted_with_a_warning() {
    let s = ok("010703206980498810032915210526");
    assert_eq!(
        pairs(&s),
        [("01", "07032069804988"), ("10", "032915210526")]
    );
    let [
        ScanWarning::PossibleMissingSeparator {
            ai,
            value,
            position,
            candidates,
        },
    ] = s.warnings.as_slice()
    else {
        panic!("{:?}", s.warnings)
    };
    assert_eq!(
        (ai.as_str(), value.as_str(), *position),
        ("10", "032915210526", 16)
    );
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].kept_value, "0329");
    assert!(candidates[0].self_validating);
    assert_eq!(
        candidates[0].swallowed,
        [AiValue {
            ai: "15".into(),
            value: "210526".into()
        }]
    );
    // The same accident with the expiry and with a serial.
    let s = ok("]d2010491234567890410032917261231");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.code() == "barcode_possible_missing_separator")
    );
    let s = ok("]d201049123456789041727123110LOT7721V0042");
    let w = s
        .warnings
        .iter()
        .find(|w| w.code() == "barcode_possible_missing_separator")
        .unwrap();
    let ScanWarning::PossibleMissingSeparator { candidates, .. } = w else {
        panic!()
    };
    assert!(
        candidates
            .iter()
            .any(|c| c.kept_value == "LOT77" && c.swallowed[0].ai == "21" && !c.self_validating)
    );
}

#[test]
fn g14_g15_dates() {
    assert_eq!(
        parse_yymmdd("200200", TODAY, true).unwrap().date,
        date(2020, 2, 29)
    );
    let s = ok("(01)07032069804988(15)210200(17)211200");
    assert_eq!(s.expiry, Some(Expiry::Date(date(2021, 12, 31))));
    let zero_days: Vec<&str> = s
        .warnings
        .iter()
        .filter(|w| w.code() == "barcode_day_zero_date")
        .map(ScanWarning::code)
        .collect();
    assert_eq!(zero_days.len(), 2);
    let s = ok("(01)07032069804988(11)030201(17)030201");
    assert_eq!(s.production_date, Some(date(2003, 2, 1)));
    assert_eq!(s.expiry, Some(Expiry::Date(date(2003, 2, 1))));
}

#[test]
fn g16_g17_impossible_dates() {
    for input in [
        "010703206980498815990229",
        "(01)07032069804988(15)990229",
        "(01)07032069804988(17)220230",
    ] {
        let e = err(input);
        assert_eq!(e.code(), "barcode_invalid_date", "{input}");
    }
    for (v, problem) in [
        ("230229", "day"),
        ("200230", "day"),
        ("200132", "day"),
        ("200010", "month"),
        ("201310", "month"),
    ] {
        let e = err(&format!("(01)07032069804988(17){v}"));
        assert!(
            matches!(&e.kind, ErrorKind::InvalidDate { problem: p, .. } if p == problem),
            "{v}: {e}"
        );
        assert_eq!(e.ai.as_deref(), Some("17"));
    }
    assert!(ok("(01)07032069804988(17)200600").expiry.is_some());
    assert!(ok("(01)07032069804988(17)240229").expiry.is_some());
    assert_eq!(
        err("(01)07032069804988(17)1111111").code(),
        "barcode_field_too_long"
    );
}

#[test]
fn g18_g19_digital_link() {
    let s = ok("https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426");
    assert_eq!(s.format, InputFormat::DigitalLink);
    assert_eq!(
        element_string_caret(&s.ais.0),
        "^010952012345678810ABC1^2112345^17180426"
    );
    assert_eq!(s.expiry, Some(Expiry::Date(date(2018, 4, 26))));
    let s = ok("https://a/01/12312312312333/22/TEST/10/ABC/21/XYZ");
    assert_eq!(
        element_string_caret(&s.ais.0),
        "^011231231231233322TEST^10ABC^21XYZ"
    );
}

#[test]
fn g20_zero_suppressed_gtin_only_with_the_legacy_option() {
    let e = err("https://a/01/2112345678900");
    assert_eq!(
        (e.code(), e.ai.as_deref()),
        ("barcode_dl_gtin_not_14_digits", Some("01"))
    );
    let opts = ParseOptions {
        dl_zero_suppressed_gtin: true,
        ..ParseOptions::new(TODAY)
    };
    let s = parse("https://a/01/2112345678900", &opts).unwrap();
    assert_eq!(element_string_caret(&s.ais.0), "^0102112345678900");
}

#[test]
fn g21_g22_invalid_uris() {
    assert_eq!(
        err("HtTp://a/b/00/006141411234567890").code(),
        "barcode_dl_invalid_uri"
    );
    assert!(
        ok("HTTP://a/b/00/006141411234567890")
            .ais
            .get("00")
            .is_some()
    );
    let e = err("https://id.gs1.org/01/09520123456788/21/12345/10/ABC1");
    assert_eq!(
        (e.code(), e.ai.as_deref()),
        ("barcode_dl_bad_qualifier_order", Some("01"))
    );
}

#[test]
fn g23_generate_digital_link() {
    let s = ok("(21)XYZ(01)12312312312333(10)ABC123(99)XYZ");
    assert_eq!(
        to_digital_link(&s.ais.0, "https://example.com").unwrap(),
        "https://example.com/01/12312312312333/10/ABC123/21/XYZ?99=XYZ"
    );
}

#[test]
fn g24_qr_digital_link_with_12_digit_gtin() {
    // biip pads the 12-digit GTIN; jousei follows the GS1 Syntax Engine and needs the legacy
    // option for that (see G20).
    let input = "]Q3https://example.com/01/614141123452/10/ABC123?15=250330";
    assert_eq!(err(input).code(), "barcode_dl_gtin_not_14_digits");
    let opts = ParseOptions {
        dl_zero_suppressed_gtin: true,
        ..ParseOptions::new(TODAY)
    };
    let s = parse(input, &opts).unwrap();
    assert_eq!(
        pairs(&s),
        [("01", "00614141123452"), ("10", "ABC123"), ("15", "250330")]
    );
}

#[test]
fn g25_g26_code128() {
    assert_eq!(
        ok("]C10102824040005133").gtin.as_deref(),
        Some("02824040005133")
    );
    let e = err("]C00102824040005133");
    assert_eq!(e.code(), "barcode_not_gs1");
    let s = ok("]C0=G12341765432170");
    assert_eq!(s.kind, ScanKind::Isbt128);
}

#[test]
fn g27_check_digits_through_gtin_symbols() {
    assert_eq!(ok("]E402345673").gtin.as_deref(), Some("00000002345673"));
    assert_eq!(ok("416000336108").gtin.as_deref(), Some("00416000336108"));
    assert_eq!(ok("1234567890128").gtin.as_deref(), Some("01234567890128"));
    assert_eq!(
        ok("(01)12345678901231").gtin.as_deref(),
        Some("12345678901231")
    );
    assert_eq!(
        ok("(00)123456789012345675").ais.get("00"),
        Some("123456789012345675")
    );
    assert_eq!(err("]E412345673").code(), "barcode_bad_check_digit");
    assert_eq!(err("(01)12345678901232").code(), "barcode_bad_check_digit");
    assert_eq!(
        err("(00)123456789012345670").code(),
        "barcode_bad_check_digit"
    );
}

#[test]
fn japanese_gtins_by_package_level() {
    for (gtin, level) in [
        ("04912345678904", 0),
        ("14912345678901", 1),
        ("24912345678908", 2),
    ] {
        let s = ok(&format!("]e001{gtin}17271200100329"));
        assert_eq!(s.gtin.as_deref(), Some(gtin), "level {level}");
        assert_eq!(s.expiry, Some(Expiry::Date(date(2027, 12, 31))));
    }
}

#[test]
fn expiry_date_and_time_7003() {
    let s = ok("]C1010491234567890470032612311530\u{1d}10RX-1");
    assert_eq!(s.expiry.unwrap().to_string(), "2026-12-31T15:30");
    assert_eq!(s.lot.as_deref(), Some("RX-1"));
    let e = err("]C101049123456789047003261231\u{1d}10RX-1");
    assert_eq!(
        (e.code(), e.ai.as_deref()),
        ("barcode_field_too_short", Some("7003"))
    );
    assert_eq!(
        err("]C101049123456789047003261200153010RX").code(),
        "barcode_field_too_long"
    );
    assert_eq!(
        err("]C10104912345678904700326120015301").code(),
        "barcode_field_too_long"
    );
    assert_eq!(
        err("]C1010491234567890470032612001530").code(),
        "barcode_invalid_date"
    );
    assert_eq!(
        err("]C1010491234567890470032612312400").code(),
        "barcode_invalid_time"
    );
    let s = ok("]C101049123456789041726123070032612311530\u{1d}10X");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.code() == "barcode_expiry_conflict")
    );
}

#[test]
fn keyboard_wedge_stand_ins_and_fullwidth() {
    for sep in [
        "<GS>", "{GS}", "[GS]", "^]", "^", "|", "~", "\\x1d", "\u{1d}",
    ] {
        let s = ok(&format!("]d2010491234567890410LOT1{sep}21SN1"));
        assert_eq!(
            (s.lot.as_deref(), s.serial.as_deref()),
            (Some("LOT1"), Some("SN1")),
            "{sep}"
        );
    }
    let opts = ParseOptions {
        gs_stand_ins: vec!["#".into()],
        ..ParseOptions::new(TODAY)
    };
    let s = parse("010491234567890410LOT1#21SN1", &opts).unwrap();
    assert_eq!(s.serial.as_deref(), Some("SN1"));
    let e = parse("010491234567890410LOT1|21SN1", &opts).unwrap_err();
    assert_eq!(
        (e.code(), e.position),
        ("barcode_invalid_character", Some(22))
    );
    let s = ok("０１０４９１２３４５６７８９０４１０ＬＯＴ１\r\n");
    assert_eq!(s.lot.as_deref(), Some("LOT1"));
    assert_eq!(
        s.warnings.first().map(ScanWarning::code),
        Some("barcode_fullwidth_normalised")
    );
}

#[test]
fn positions_refer_to_the_raw_input() {
    // "<GS>" counts as four characters of the raw input.
    let e = err("]d2010491234567890410LOT1<GS>17261301");
    assert_eq!(
        (e.code(), e.ai.as_deref(), e.position),
        ("barcode_invalid_date", Some("17"), Some(31))
    );
    let e = err("  (01)04912345678904(10)A B");
    assert_eq!(
        (e.code(), e.position),
        ("barcode_invalid_character", Some(25))
    );
}

#[test]
fn each_rejection_class_has_a_clear_error() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("", "barcode_empty", None),
        ("]X0abc", "barcode_unsupported_symbology", None),
        ("]d1HELLO", "barcode_not_gs1", None),
        ("]d20104912345678904231", "barcode_unknown_ai", None),
        ("]d201049123456789", "barcode_truncated", Some("01")),
        (
            "]d20104912345678904\u{1d}10",
            "barcode_truncated",
            Some("10"),
        ),
        (
            "]d210ABCDEFGHIJKLMNOPQRSTU",
            "barcode_field_too_long",
            Some("10"),
        ),
        ("]d210\u{1d}21X", "barcode_field_too_short", Some("10")),
        ("]d210ロット", "barcode_invalid_character", Some("10")),
        ("]d20104912345678900", "barcode_bad_check_digit", Some("01")),
        (
            "]d2010491234567890417130230",
            "barcode_invalid_date",
            Some("17"),
        ),
        (
            "]d2010491234567890470032612312501",
            "barcode_invalid_time",
            Some("7003"),
        ),
        (
            "]d28006012345678901280302\u{1d}10A",
            "barcode_invalid_value",
            Some("8006"),
        ),
        ("]d210A\u{1d}10B", "barcode_conflicting_ai", Some("10")),
        (
            "]d201049123456789040204912345678904",
            "barcode_invalid_ai_pairing",
            Some("02"),
        ),
        ("(01", "barcode_malformed_hri", None),
        ("https://", "barcode_dl_invalid_uri", None),
        ("https://a/b/c", "barcode_dl_no_primary_key", None),
        (
            "https://a/01/04912345678904/21/1/10/2",
            "barcode_dl_bad_qualifier_order",
            Some("01"),
        ),
        (
            "https://a/01/04912345678904?21=1",
            "barcode_dl_invalid_attribute",
            Some("21"),
        ),
        (
            "https://a/01/04912345678904/10/1?10=1",
            "barcode_dl_invalid_attribute",
            Some("10"),
        ),
        (
            "https://a/01/04912345678904/10/%ZZ",
            "barcode_dl_invalid_encoding",
            None,
        ),
        (
            "https://a/01/4912345678904",
            "barcode_dl_gtin_not_14_digits",
            Some("01"),
        ),
        ("]E0491234567890", "barcode_invalid_gtin_length", Some("01")),
        ("=#123", "barcode_isbt_unknown_data_structure", None),
        (
            "=G12341765432171",
            "barcode_isbt_bad_check_flags",
            Some("001"),
        ),
        (
            "=+02000=G12341765432170",
            "barcode_isbt_compound_mismatch",
            Some("023"),
        ),
    ];
    for (input, code, ai) in cases {
        let e = err(input);
        assert_eq!(e.code(), *code, "{input:?}: {e}");
        if ai.is_some() {
            assert_eq!(e.ai.as_deref(), *ai, "{input:?}: {e}");
        }
        assert!(e.to_string().starts_with(code), "{e}");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], *code);
        assert_eq!(json["message"], e.kind.message());
    }
    assert_eq!(
        err(&"1".repeat(MAX_INPUT_CHARS + 1)).code(),
        "barcode_input_too_long"
    );
}

#[test]
fn unknown_ai_error_names_the_digits_and_place() {
    let e = err("0104912345678904239X");
    assert_eq!(e.position, Some(16));
    assert!(matches!(&e.kind, ErrorKind::UnknownAi { found } if found == "239X"));
    assert_eq!(
        e.to_string(),
        "barcode_unknown_ai: '239X' is not a GS1 Application Identifier, at character 17"
    );
}

#[test]
fn i1_to_i7_isbt_check_characters_through_scans() {
    for (din, k) in [
        ("G123417654321", 'A'),
        ("G123498654321", 'H'),
        ("A999921123456", '3'),
        ("A999818123456", 'N'),
        ("A999917123654", 'Y'),
        ("W000022000687", 'S'),
        ("Z549917123456", 'P'),
    ] {
        let s = ok(&format!("={din}00"));
        assert_eq!(
            (s.din.as_deref(), s.check_character),
            (Some(din), Some(k)),
            "{din}"
        );
        assert_eq!(s.flags.as_deref(), Some("00"));
    }
    let s = ok("=G12341765432170");
    assert_eq!(
        (s.kind, s.flags.as_deref()),
        (ScanKind::Isbt128, Some("70"))
    );
    let s = ok("=G12349865432177");
    assert_eq!(s.check_character, Some('H'));
}

#[test]
fn isbt_compound_message_scan() {
    let s = ok(
        "]d1=+05000=Z54991712345600=%T300=<T0416003&>0183652359&,4PL001499Z549917123456A00T041600320181231",
    );
    assert_eq!(s.kind, ScanKind::Isbt128);
    assert_eq!(s.din.as_deref(), Some("Z549917123456"));
    assert_eq!(s.product_code.as_deref(), Some("T0416003"));
    assert_eq!(s.expiry.unwrap().to_string(), "2018-12-31T23:59");
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["kind"], "isbt128");
    assert_eq!(json["check_character"], "P");
    assert_eq!(json["expiry"], "2018-12-31T23:59");
}

#[test]
fn scan_serialises_to_the_cli_contract() {
    let s = ok("]d20104912345678904172612311012345\u{1d}21V0001");
    let json = serde_json::to_string(&s).unwrap();
    assert!(
        json.contains(r#""ais":{"01":"04912345678904","17":"261231","10":"12345","21":"V0001"}"#),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "gs1");
    assert_eq!(v["symbology"], "gs1_datamatrix");
    assert_eq!(v["gtin"], "04912345678904");
    assert_eq!(v["expiry"], "2026-12-31");
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["production_date"], serde_json::Value::Null);
    let v = serde_json::to_value(ok("010703206980498810032915210526")).unwrap();
    assert_eq!(
        v["warnings"][0]["code"],
        "barcode_possible_missing_separator"
    );
    assert_eq!(v["warnings"][0]["candidates"][0]["kept_value"], "0329");
    assert!(
        v["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(10)0329(15)210526")
    );
}

#[test]
fn internal_product_id_only_without_gtin() {
    assert_eq!(
        ok("(92)CM-5(17)271231(10)L(21)S")
            .internal_product_id
            .as_deref(),
        Some("CM-5")
    );
    let s = ok("(01)04912345678904(92)SUPPLIER-DATA");
    assert_eq!(s.internal_product_id, None);
    assert_eq!(s.ais.get("92"), Some("SUPPLIER-DATA"));
}

#[test]
fn missing_associated_ai_is_a_warning() {
    let s = ok("(10)ABC(17)261231");
    let codes: Vec<&str> = s.warnings.iter().map(ScanWarning::code).collect();
    assert_eq!(
        codes,
        [
            "barcode_missing_associated_ai",
            "barcode_missing_associated_ai"
        ]
    );
}

#[test]
fn bare_digits() {
    // A typed JAN code is a GTIN; an invalid one is reported as such.
    assert_eq!(ok("4912345678904").format, InputFormat::Gtin);
    assert_eq!(err("4912345678900").code(), "barcode_bad_check_digit");
    // A digit string that is a valid element string but not a valid GTIN is read as AIs.
    let s = ok("1012345678901");
    assert_eq!(s.lot.as_deref(), Some("12345678901"));
}

#[test]
fn a_scan_names_its_product_and_lot_for_gs1_and_isbt128() {
    use crate::barcode::ProductKey;
    let s = ok("=G12341765432170=<S12954A0&>0273652359");
    assert_eq!(s.product_key(), Some(ProductKey::IsbtProductCode("S1295")));
    assert_eq!(
        s.lot_number(),
        Some("G123417654321"),
        "the DIN plays the lot's part"
    );
    assert_eq!(
        s.expiry.unwrap().to_string(),
        "2027-12-31T23:59",
        "the time is kept"
    );
    let s = ok("(01)04912345678904(17)271231(10)LOT1");
    assert_eq!(s.product_key(), Some(ProductKey::Gtin("04912345678904")));
    assert_eq!(s.lot_number(), Some("LOT1"));
    let s = ok("(92)DP-CM-10(10)L2");
    assert_eq!(s.product_key(), Some(ProductKey::Internal("DP-CM-10")));
    assert_eq!(s.lot_number(), Some("L2"));
}
