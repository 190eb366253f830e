//! Barcodes: GS1 (element strings, bracketed text, Digital Link, EAN/UPC) and ISBT 128
//! parsing into one normalised [`Scan`], and jousei's own GS1 DataMatrix vial labels.
//!
//! Pure: no I/O. The current date is passed in ([`ParseOptions::today`]) because two-digit
//! GS1 years are resolved with a sliding century window.
//!
//! ```
//! use jousei_core::barcode::{parse_scan, Expiry};
//! use jiff::civil::date;
//!
//! let scan = parse_scan("]d20109520123456788172612311012345\u{1d}21V0001", date(2026, 11, 22))?;
//! assert_eq!(scan.gtin.as_deref(), Some("09520123456788"));
//! assert_eq!(scan.lot.as_deref(), Some("12345"));
//! assert_eq!(scan.expiry, Some(Expiry::Date(date(2026, 12, 31))));
//! assert_eq!(scan.serial.as_deref(), Some("V0001"));
//! assert!(scan.warnings.is_empty());
//! # Ok::<(), jousei_core::barcode::BarcodeError>(())
//! ```
//!
//! The AI table is generated from the GS1 Barcode Syntax Dictionary (Apache-2.0, copied to
//! `crates/core/data/gs1/`); see `docs/barcodes.md` for what is accepted and why.

#[rustfmt::skip]
mod ai_table;
pub mod dictionary;
mod digital_link;
mod error;
mod gs1;
mod gtin;
mod input;
pub mod isbt128;
mod label;
mod linters;
mod scan;

#[cfg(test)]
mod codes_tests;
#[cfg(test)]
mod vectors;

pub use digital_link::to_digital_link;
pub use error::{BarcodeError, ErrorKind};
pub use gs1::{
    AiValue, INTERNAL_PRODUCT_AI, SeparatorCandidate, bracketed, element_string,
    element_string_caret,
};
pub use gtin::{Gtin, GtinProblem};
pub use input::{DEFAULT_GS_STAND_INS, GS, MAX_INPUT_CHARS, Symbology};
pub use isbt128::{Din, FlagUse, Isbt128, IsbtStructure, ProductCode};
pub use label::{LabelError, LabelLine, LabelProduct, ModuleGrid, VialLabel, VialLabelSpec};
pub use linters::{DateProblem, Gs1Date, gs1_check_digit, gs1_year, parse_yymmdd};
pub use scan::{
    Ais, Expiry, InputFormat, ParseOptions, ProductKey, Scan, ScanKind, ScanWarning, parse,
    parse_scan,
};
