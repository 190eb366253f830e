//! `jousei barcode …`: parse scanned or typed barcode data, and print vial labels.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::civil::Date;
use jousei_core::barcode::{
    self, LabelProduct, ParseOptions, Scan, ScanKind, VialLabelSpec, dictionary,
};

/// Barcode commands.
#[derive(clap::Subcommand, Debug)]
pub enum BarcodeCmd {
    /// Parse a scanned or typed barcode (GS1 element string with or without ]d2/]C1/…,
    /// bracketed (01)…(17)…(10)…, GS1 Digital Link URI, EAN/UPC, or ISBT 128).
    ///
    /// Exits 1 with the error on stderr when the data must be rejected.
    Parse {
        /// The data as the scanner sent it. GS may be the 0x1D character or a stand-in such as
        /// <GS>, {GS}, ^], ^, | or ~.
        data: String,
        /// Date for the GS1 century window (YYYY-MM-DD); default: today in the local zone.
        #[arg(long)]
        today: Option<String>,
        /// Print one JSON object instead of a listing.
        #[arg(long)]
        json: bool,
        /// Accept 8/12/13-digit GTINs in Digital Link paths (padded to 14 digits).
        #[arg(long)]
        dl_zero_suppressed_gtin: bool,
    },
    /// Build a vial label: GS1 DataMatrix with (01) or internal (92), (17), (10), (21), as SVG.
    Label {
        /// Product GTIN (8, 12, 13 or 14 digits).
        #[arg(
            long,
            required_unless_present = "internal_id",
            conflicts_with = "internal_id"
        )]
        gtin: Option<String>,
        /// Internal product identifier for products without a GTIN (encoded in AI 92).
        #[arg(long)]
        internal_id: Option<String>,
        /// Product name printed on the label.
        #[arg(long)]
        name: String,
        /// Batch/lot number.
        #[arg(long)]
        lot: String,
        /// Expiry date, YYYY-MM-DD.
        #[arg(long)]
        expiry: String,
        /// Per-vial serial number.
        #[arg(long)]
        serial: String,
        /// Write the SVG here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Millimetres per DataMatrix module.
        #[arg(long, default_value_t = 0.4)]
        module_mm: f64,
        /// Only the symbol, without the text lines.
        #[arg(long)]
        symbol_only: bool,
        /// Date for the century-window check (YYYY-MM-DD); default: today in the local zone.
        #[arg(long)]
        today: Option<String>,
    },
}

/// Run a barcode command.
pub fn run(cmd: BarcodeCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        BarcodeCmd::Parse {
            data,
            today,
            json,
            dl_zero_suppressed_gtin,
        } => {
            let today = resolve_today(today.as_deref())?;
            let options = ParseOptions {
                dl_zero_suppressed_gtin,
                ..ParseOptions::new(today)
            };
            match parse_output(&data, &options, json) {
                Ok(out) => {
                    print!("{out}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    eprint!("{err}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        BarcodeCmd::Label {
            gtin,
            internal_id,
            name,
            lot,
            expiry,
            serial,
            out,
            module_mm,
            symbol_only,
            today,
        } => {
            let today = resolve_today(today.as_deref())?;
            let expiry: Date = expiry
                .parse()
                .with_context(|| format!("--expiry {expiry:?} is not YYYY-MM-DD"))?;
            let product = match (gtin, internal_id) {
                (Some(g), _) => LabelProduct::Gtin(g),
                (None, Some(id)) => LabelProduct::Internal(id),
                (None, None) => anyhow::bail!("give --gtin or --internal-id"),
            };
            if !(0.1..=5.0).contains(&module_mm) {
                anyhow::bail!("--module-mm must be between 0.1 and 5");
            }
            let spec = VialLabelSpec {
                product,
                product_name: name,
                lot,
                expiry,
                serial,
            };
            let label = match spec.build(today) {
                Ok(label) => label,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            let svg = if symbol_only {
                label.symbol_svg(module_mm)?
            } else {
                label.label_svg(module_mm)?
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, svg)
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("{}: {}", path.display(), label.hri());
                }
                None => println!("{svg}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn resolve_today(today: Option<&str>) -> anyhow::Result<Date> {
    match today {
        Some(s) => s
            .parse()
            .with_context(|| format!("--today {s:?} is not YYYY-MM-DD")),
        None => Ok(jiff::Zoned::now().date()),
    }
}

/// Parse and render: `Ok(stdout)` for an accepted scan, `Err(stderr)` for a rejected one.
/// JSON keeps the scan's field order and the order of its AIs.
pub fn parse_output(data: &str, options: &ParseOptions, json: bool) -> Result<String, String> {
    match barcode::parse(data, options) {
        Ok(scan) if json => Ok(format!("{}\n", json_string(&scan))),
        Ok(scan) => Ok(listing(&scan)),
        Err(e) if json => Err(format!("{{\"error\":{}}}\n", json_string(&e))),
        Err(e) => Err(format!("error: {e}\n")),
    }
}

fn json_string<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"serialisation_error\":{:?}}}", e.to_string()))
}

fn row(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{label:<17}{value}");
}

fn opt_row(out: &mut String, label: &str, value: Option<impl std::fmt::Display>) {
    if let Some(v) = value {
        row(out, label, v);
    }
}

/// A human-readable aligned listing.
pub fn listing(scan: &Scan) -> String {
    let mut out = String::new();
    let kind = match scan.kind {
        ScanKind::Gs1 => "GS1",
        ScanKind::Isbt128 => "ISBT 128",
    };
    let via = match (scan.symbology, scan.symbology_identifier) {
        (Some(s), Some(id)) => format!(
            " ({}, {id})",
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    row(&mut out, "kind", format!("{kind}{via}"));
    opt_row(&mut out, "GTIN", scan.gtin.as_deref());
    opt_row(
        &mut out,
        "internal product",
        scan.internal_product_id.as_deref(),
    );
    opt_row(&mut out, "lot", scan.lot.as_deref());
    opt_row(&mut out, "expiry", scan.expiry.as_ref());
    opt_row(&mut out, "production date", scan.production_date.as_ref());
    opt_row(&mut out, "serial", scan.serial.as_deref());
    opt_row(&mut out, "quantity", scan.quantity.as_ref());
    opt_row(&mut out, "DIN", scan.din.as_deref());
    opt_row(&mut out, "flags", scan.flags.as_deref());
    opt_row(&mut out, "check character", scan.check_character.as_ref());
    opt_row(&mut out, "product code", scan.product_code.as_deref());
    if !scan.ais.0.is_empty() {
        let width = scan
            .ais
            .0
            .iter()
            .map(|a| a.value.chars().count())
            .max()
            .unwrap_or(0);
        out.push_str("AIs\n");
        for a in &scan.ais.0 {
            let title = dictionary::lookup(&a.ai).map_or("", |e| e.title);
            let ai = format!("({})", a.ai);
            let _ = writeln!(out, "  {ai:<7}{:<width$}  {title}", a.value);
        }
    }
    if let Some(isbt) = &scan.isbt128 {
        out.push_str("structures\n");
        let width = isbt
            .structures
            .iter()
            .map(|s| s.content.chars().count())
            .max()
            .unwrap_or(0);
        for s in &isbt.structures {
            let _ = writeln!(
                out,
                "  {}  {:<4}{:<width$}  {}",
                s.number, s.data_identifier, s.content, s.name
            );
        }
    }
    if scan.warnings.is_empty() {
        row(&mut out, "warnings", "none");
    } else {
        row(&mut out, "warnings", scan.warnings.len());
        for w in &scan.warnings {
            let _ = writeln!(out, "  {}: {}", w.code(), w.message());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn options() -> ParseOptions {
        ParseOptions::new(date(2026, 11, 22))
    }

    #[test]
    fn json_has_the_contract_fields() {
        let out = parse_output(
            "]d20104912345678904172612311012345<GS>21V0001",
            &options(),
            true,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["kind"], "gs1");
        assert_eq!(v["gtin"], "04912345678904");
        assert_eq!(v["lot"], "12345");
        assert_eq!(v["expiry"], "2026-12-31");
        assert_eq!(v["serial"], "V0001");
        assert_eq!(v["production_date"], serde_json::Value::Null);
        assert_eq!(v["ais"]["17"], "261231");
        assert_eq!(v["warnings"], serde_json::json!([]));
        assert!(
            out.find("\"01\"").unwrap() < out.find("\"17\"").unwrap(),
            "AIs keep scan order"
        );
    }

    #[test]
    fn json_for_isbt_and_7003() {
        let v: serde_json::Value =
            serde_json::from_str(&parse_output("=G12341765432170", &options(), true).unwrap())
                .unwrap();
        assert_eq!(
            (v["kind"].as_str(), v["din"].as_str()),
            (Some("isbt128"), Some("G123417654321"))
        );
        assert_eq!(
            (v["flags"].as_str(), v["check_character"].as_str()),
            (Some("70"), Some("A"))
        );
        let v: serde_json::Value = serde_json::from_str(
            &parse_output("(01)04912345678904(7003)2612311530(10)X", &options(), true).unwrap(),
        )
        .unwrap();
        assert_eq!(v["expiry"], "2026-12-31T15:30");
    }

    #[test]
    fn warnings_carry_code_and_message() {
        let out = parse_output("010703206980498810032915210526", &options(), true).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["warnings"][0]["code"],
            "barcode_possible_missing_separator"
        );
        assert!(
            v["warnings"][0]["message"]
                .as_str()
                .unwrap()
                .contains("(10)0329(15)210526")
        );
        let text = parse_output("010703206980498810032915210526", &options(), false).unwrap();
        assert!(
            text.contains("barcode_possible_missing_separator"),
            "{text}"
        );
    }

    #[test]
    fn rejection_goes_to_stderr_with_code() {
        let err = parse_output("]E02112345678901", &options(), false).unwrap_err();
        assert!(
            err.starts_with("error: barcode_bad_check_digit: (01)"),
            "{err}"
        );
        let err = parse_output("]E02112345678901", &options(), true).unwrap_err();
        let v: serde_json::Value = serde_json::from_str(&err).unwrap();
        assert_eq!(v["error"]["code"], "barcode_bad_check_digit");
        assert_eq!(v["error"]["ai"], "01");
    }

    #[test]
    fn listing_is_aligned() {
        let text = parse_output(
            "]d20104912345678904172612311012345\u{1d}21V0001",
            &options(),
            false,
        )
        .unwrap();
        assert!(text.contains("GTIN             04912345678904\n"), "{text}");
        assert!(
            text.contains("  (17)   261231          USE BY or EXPIRY\n"),
            "{text}"
        );
        assert!(text.ends_with("warnings         none\n"), "{text}");
    }
}
