//! jousei's own vial labels: a GS1 DataMatrix with (01) GTIN, or the internal product AI (92)
//! when the product has no GTIN, plus (17) expiry, (10) lot and a per-vial (21) serial.
//!
//! A label is only built if its element string parses back, with the same `today`, to exactly
//! the product, lot, expiry and serial it was built from.

use std::fmt::Write as _;

use datamatrix::{DataMatrix, SymbolList};
use jiff::civil::Date;
use serde::Serialize;

use super::error::{BarcodeError, ErrorKind};
use super::gs1::{self, AiValue, INTERNAL_PRODUCT_AI};
use super::input::DEFAULT_GS_STAND_INS;
use super::scan::{Expiry, ParseOptions, parse};

/// The product identification on a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum LabelProduct {
    /// A GTIN (8, 12, 13 or 14 digits with a valid check digit), encoded in (01) as 14 digits.
    Gtin(String),
    /// jousei's internal product identifier (1–90 characters of GS1 CSET 82), encoded in the
    /// company-internal AI (92).
    Internal(String),
}

/// What to print on one vial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VialLabelSpec {
    /// Product identification.
    pub product: LabelProduct,
    /// Product name for the human-readable text (any Unicode, e.g. Japanese).
    pub product_name: String,
    /// Batch/lot, 1–20 characters of GS1 CSET 82.
    pub lot: String,
    /// Expiry date (encoded with a real day, never `00`).
    pub expiry: Date,
    /// Per-vial serial, 1–20 characters of GS1 CSET 82.
    pub serial: String,
}

/// A label that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code")]
pub enum LabelError {
    /// A field cannot be encoded (bad GTIN check digit, character outside CSET 82, too long…).
    #[error("label_invalid_field: {field}: {source}")]
    #[serde(rename = "label_invalid_field")]
    InvalidField {
        /// `product`, `lot`, `expiry` or `serial`.
        field: &'static str,
        /// The barcode rule broken.
        source: Box<BarcodeError>,
    },
    /// The expiry cannot be written as a two-digit-year date that reads back correctly on
    /// `today` (outside 49 years back to 50 years ahead).
    #[error("label_expiry_out_of_range: {expiry} cannot be encoded as YYMMDD on {today}")]
    #[serde(rename = "label_expiry_out_of_range")]
    ExpiryOutOfRange {
        /// The expiry asked for.
        expiry: Date,
        /// The date used for the century window.
        today: Date,
    },
    /// The DataMatrix encoder refused the data (too long for any symbol size).
    #[error("label_encoding_failed: {detail}")]
    #[serde(rename = "label_encoding_failed")]
    EncodingFailed {
        /// Encoder message.
        detail: String,
    },
}

impl LabelError {
    /// Every `code()` a label error can have, in declaration order.
    pub const ALL_CODES: &'static [&'static str] = &[
        "label_invalid_field",
        "label_expiry_out_of_range",
        "label_encoding_failed",
    ];

    /// Stable snake_case code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "label_invalid_field",
            Self::ExpiryOutOfRange { .. } => "label_expiry_out_of_range",
            Self::EncodingFailed { .. } => "label_encoding_failed",
        }
    }
}

/// One human-readable line of a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelLine {
    /// `product`, `lot`, `expiry` or `serial`.
    pub field: &'static str,
    /// The text to print, e.g. `LOT A123`.
    pub text: String,
}

/// A validated vial label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VialLabel {
    spec: VialLabelSpec,
    gtin: Option<String>,
    ais: Vec<AiValue>,
}

/// Dark and light modules of a symbol, row by row, without quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleGrid {
    /// Modules per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `true` = dark, row-major.
    pub dark: Vec<bool>,
}

impl ModuleGrid {
    /// Whether the module at column `x`, row `y` is dark (false outside the symbol).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }
}

fn field_error(field: &'static str, source: BarcodeError) -> LabelError {
    LabelError::InvalidField {
        field,
        source: Box::new(source),
    }
}

fn field_of(ai: Option<&str>) -> &'static str {
    match ai {
        Some("10") => "lot",
        Some("17") => "expiry",
        Some("21") => "serial",
        _ => "product",
    }
}

impl VialLabelSpec {
    /// Validate and build the label. `today` is the date the label will be scanned around
    /// (the century window for the two-digit expiry year).
    pub fn build(self, today: Date) -> Result<VialLabel, LabelError> {
        let gtin = match &self.product {
            LabelProduct::Gtin(g) => {
                let ok_len =
                    matches!(g.len(), 8 | 12 | 13 | 14) && g.bytes().all(|b| b.is_ascii_digit());
                let padded = if ok_len {
                    format!("{g:0>14}")
                } else {
                    g.clone()
                };
                Some(padded)
            }
            LabelProduct::Internal(_) => None,
        };
        let yymmdd = self.expiry.strftime("%y%m%d").to_string();
        let mut ais = Vec::with_capacity(4);
        match (&gtin, &self.product) {
            (Some(g), _) => ais.push(AiValue {
                ai: "01".into(),
                value: g.clone(),
            }),
            (None, LabelProduct::Internal(id)) => ais.push(AiValue {
                ai: INTERNAL_PRODUCT_AI.into(),
                value: id.clone(),
            }),
            (None, LabelProduct::Gtin(_)) => {}
        }
        ais.push(AiValue {
            ai: "17".into(),
            value: yymmdd,
        });
        ais.push(AiValue {
            ai: "10".into(),
            value: self.lot.clone(),
        });
        ais.push(AiValue {
            ai: "21".into(),
            value: self.serial.clone(),
        });

        // Validate through the bracketed form (a GS inside a value is then a character error,
        // not a separator) and then prove that the element string, read with the default
        // options a scan field uses, gives back the same vial.
        let options = ParseOptions::new(today);
        parse(&gs1::bracketed(&ais), &options)
            .map_err(|e| field_error(field_of(e.ai.as_deref()), e))?;
        for a in &ais {
            if let Some(stand_in) = DEFAULT_GS_STAND_INS.iter().find(|s| a.value.contains(**s)) {
                let error = BarcodeError::new(ErrorKind::InvalidValue {
                    linter: "gs_stand_in".into(),
                    detail: format!(
                        "contains {stand_in}, which keyboard-wedge scanners send for a separator"
                    ),
                    value: a.value.clone(),
                })
                .ai(&a.ai);
                return Err(field_error(field_of(Some(&a.ai)), error));
            }
        }
        let back = parse(&gs1::element_string(&ais), &options)
            .map_err(|e| field_error(field_of(e.ai.as_deref()), e))?;
        if back.expiry != Some(Expiry::Date(self.expiry)) {
            return Err(LabelError::ExpiryOutOfRange {
                expiry: self.expiry,
                today,
            });
        }
        let same = back.gtin == gtin
            && back.lot.as_deref() == Some(self.lot.as_str())
            && back.serial.as_deref() == Some(self.serial.as_str())
            && match &self.product {
                LabelProduct::Gtin(_) => back.internal_product_id.is_none(),
                LabelProduct::Internal(id) => {
                    back.internal_product_id.as_deref() == Some(id.as_str())
                }
            };
        if !same {
            return Err(LabelError::EncodingFailed {
                detail: "element string does not read back to the same vial".into(),
            });
        }
        Ok(VialLabel {
            spec: self,
            gtin,
            ais,
        })
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Quiet zone around the symbol, in modules (ISO/IEC 16022 requires one; two is safer on
/// small vials).
const QUIET_ZONE: usize = 2;

impl VialLabel {
    /// What the label was built from.
    pub fn spec(&self) -> &VialLabelSpec {
        &self.spec
    }

    /// The GTIN as encoded (14 digits), if the product has one.
    pub fn gtin(&self) -> Option<&str> {
        self.gtin.as_deref()
    }

    /// The AIs encoded, in order.
    pub fn ais(&self) -> &[AiValue] {
        &self.ais
    }

    /// The element string encoded after FNC1, with GS (0x1D) separators.
    pub fn element_string(&self) -> String {
        gs1::element_string(&self.ais)
    }

    /// Bracketed human-readable interpretation, e.g. `(01)…(17)…(10)…(21)…`.
    pub fn hri(&self) -> String {
        gs1::bracketed(&self.ais)
    }

    /// The human-readable lines: product name, lot, expiry (YYYY-MM-DD), serial.
    pub fn text_lines(&self) -> Vec<LabelLine> {
        vec![
            LabelLine {
                field: "product",
                text: self.spec.product_name.clone(),
            },
            LabelLine {
                field: "lot",
                text: format!("LOT {}", self.spec.lot),
            },
            LabelLine {
                field: "expiry",
                text: format!("EXP {}", self.spec.expiry.strftime("%Y-%m-%d")),
            },
            LabelLine {
                field: "serial",
                text: format!("SN {}", self.spec.serial),
            },
        ]
    }

    /// Encode as a square GS1 DataMatrix (FNC1 in first position).
    pub fn datamatrix(&self) -> Result<DataMatrix, LabelError> {
        DataMatrix::encode_gs1(
            self.element_string().as_bytes(),
            SymbolList::default().enforce_square(),
        )
        .map_err(|e| LabelError::EncodingFailed {
            detail: format!("{e:?}"),
        })
    }

    /// The symbol's modules (without quiet zone).
    pub fn modules(&self) -> Result<ModuleGrid, LabelError> {
        let bitmap = self.datamatrix()?.bitmap();
        let (width, height) = (bitmap.width(), bitmap.height());
        let mut dark = vec![false; width * height];
        for (x, y) in bitmap.pixels() {
            if let Some(m) = dark.get_mut(y * width + x) {
                *m = true;
            }
        }
        Ok(ModuleGrid {
            width,
            height,
            dark,
        })
    }

    /// The symbol alone as SVG, `module_mm` millimetres per module, with a quiet zone.
    pub fn symbol_svg(&self, module_mm: f64) -> Result<String, LabelError> {
        let grid = self.modules()?;
        let (w, h) = (grid.width + 2 * QUIET_ZONE, grid.height + 2 * QUIET_ZONE);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{:.2}mm\" height=\"{:.2}mm\" \
             shape-rendering=\"crispEdges\"><title>{}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>",
            w as f64 * module_mm,
            h as f64 * module_mm,
            xml_escape(&self.hri()),
        );
        svg.push_str(&self.module_path(&grid, 0.0, 0.0, 1.0));
        svg.push_str("</svg>");
        Ok(svg)
    }

    fn module_path(&self, grid: &ModuleGrid, x0: f64, y0: f64, scale: f64) -> String {
        let mut d = String::new();
        for y in 0..grid.height {
            for x in 0..grid.width {
                if grid.is_dark(x, y) {
                    let _ = write!(
                        d,
                        "M{:.3} {:.3}h{scale:.3}v{scale:.3}h-{scale:.3}z",
                        x0 + (x + QUIET_ZONE) as f64 * scale,
                        y0 + (y + QUIET_ZONE) as f64 * scale
                    );
                }
            }
        }
        format!("<path fill=\"#000\" d=\"{d}\"/>")
    }

    /// A printable label as SVG (millimetres): the symbol at `module_mm` per module on the
    /// left, the text lines on the right.
    pub fn label_svg(&self, module_mm: f64) -> Result<String, LabelError> {
        let grid = self.modules()?;
        let symbol_mm = (grid.width + 2 * QUIET_ZONE) as f64 * module_mm;
        let font = 2.6;
        let line = 3.4;
        let lines = self.text_lines();
        let text_x = symbol_mm + 1.5;
        let width = text_x + 45.0;
        let height = symbol_mm.max(lines.len() as f64 * line + 2.0);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.2} {height:.2}\" width=\"{width:.2}mm\" \
             height=\"{height:.2}mm\"><title>{}</title><rect width=\"{width:.2}\" height=\"{height:.2}\" fill=\"#fff\"/>\
             <g shape-rendering=\"crispEdges\">{}</g><g font-family=\"sans-serif\" font-size=\"{font}\" fill=\"#000\">",
            xml_escape(&self.hri()),
            self.module_path(&grid, 0.0, 0.0, module_mm),
        );
        for (i, l) in lines.iter().enumerate() {
            let weight = if l.field == "product" {
                " font-weight=\"bold\""
            } else {
                ""
            };
            let _ = write!(
                svg,
                "<text x=\"{text_x:.2}\" y=\"{:.2}\" data-field=\"{}\"{weight}>{}</text>",
                1.0 + (i as f64 + 0.8) * line,
                l.field,
                xml_escape(&l.text)
            );
        }
        svg.push_str("</g></svg>");
        Ok(svg)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::barcode::parse_scan;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 22);

    fn spec(product: LabelProduct) -> VialLabelSpec {
        VialLabelSpec {
            product,
            product_name: "幹細胞培養上清液 <5mL> & co".into(),
            lot: "CM-2611A".into(),
            expiry: date(2027, 5, 31),
            serial: "V000123".into(),
        }
    }

    #[test]
    fn gtin_label_element_string_and_lines() {
        let label = spec(LabelProduct::Gtin("4912345678904".into()))
            .build(TODAY)
            .unwrap();
        assert_eq!(label.gtin(), Some("04912345678904"));
        assert_eq!(
            label.element_string(),
            "01049123456789041727053110CM-2611A\u{1d}21V000123"
        );
        assert_eq!(
            label.hri(),
            "(01)04912345678904(17)270531(10)CM-2611A(21)V000123"
        );
        let lines: Vec<String> = label.text_lines().into_iter().map(|l| l.text).collect();
        assert_eq!(
            lines,
            [
                "幹細胞培養上清液 <5mL> & co",
                "LOT CM-2611A",
                "EXP 2027-05-31",
                "SN V000123"
            ]
        );
    }

    #[test]
    fn internal_label_uses_ai_92_and_reads_back() {
        let label = spec(LabelProduct::Internal("JOUSEI-P-0007".into()))
            .build(TODAY)
            .unwrap();
        assert_eq!(
            label.element_string(),
            "92JOUSEI-P-0007\u{1d}1727053110CM-2611A\u{1d}21V000123"
        );
        let scan = parse_scan(&format!("]d2{}", label.element_string()), TODAY).unwrap();
        assert_eq!(scan.internal_product_id.as_deref(), Some("JOUSEI-P-0007"));
        assert_eq!(scan.gtin, None);
        assert_eq!(scan.lot.as_deref(), Some("CM-2611A"));
        assert!(scan.warnings.is_empty(), "{:?}", scan.warnings);
    }

    #[test]
    fn invalid_fields_are_named() {
        let e = spec(LabelProduct::Gtin("4912345678900".into()))
            .build(TODAY)
            .unwrap_err();
        assert!(
            matches!(&e, LabelError::InvalidField { field: "product", source } if source.code() == "barcode_bad_check_digit"),
            "{e:?}"
        );
        let mut s = spec(LabelProduct::Gtin("4912345678904".into()));
        s.lot = "ロット1".into();
        let e = s.build(TODAY).unwrap_err();
        assert!(
            matches!(&e, LabelError::InvalidField { field: "lot", source } if source.code() == "barcode_invalid_character"),
            "{e:?}"
        );
        let mut s = spec(LabelProduct::Gtin("4912345678904".into()));
        s.serial = "X".repeat(21);
        let e = s.build(TODAY).unwrap_err();
        assert!(
            matches!(
                &e,
                LabelError::InvalidField {
                    field: "serial",
                    ..
                }
            ),
            "{e:?}"
        );
        let mut s = spec(LabelProduct::Gtin("4912345678904".into()));
        s.serial = "A\u{1d}B".into();
        assert!(matches!(
            s.build(TODAY).unwrap_err(),
            LabelError::InvalidField {
                field: "serial",
                ..
            }
        ));
        let mut s = spec(LabelProduct::Gtin("4912345678904".into()));
        s.lot = "A<GS>B".into();
        let e = s.build(TODAY).unwrap_err();
        assert!(
            matches!(&e, LabelError::InvalidField { field: "lot", source } if source.code() == "barcode_invalid_value"),
            "{e:?}"
        );
        let mut s = spec(LabelProduct::Gtin("4912345678904".into()));
        s.expiry = date(2090, 1, 1);
        assert_eq!(
            s.build(TODAY).unwrap_err().code(),
            "label_expiry_out_of_range"
        );
        let e = spec(LabelProduct::Gtin("49123".into()))
            .build(TODAY)
            .unwrap_err();
        assert!(matches!(
            e,
            LabelError::InvalidField {
                field: "product",
                ..
            }
        ));
    }

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let label = spec(LabelProduct::Gtin("4912345678904".into()))
            .build(TODAY)
            .unwrap();
        let svg = label.label_svg(0.4).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("幹細胞培養上清液 &lt;5mL&gt; &amp; co"));
        assert!(svg.contains("EXP 2027-05-31"));
        assert!(!svg.contains("<5mL>"));
        let symbol = label.symbol_svg(0.5).unwrap();
        let grid = label.modules().unwrap();
        assert_eq!(grid.width, grid.height);
        assert_eq!(
            symbol.matches("h-").count(),
            grid.dark.iter().filter(|d| **d).count()
        );
    }
}
