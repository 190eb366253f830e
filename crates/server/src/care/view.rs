//! The point-of-care check as people and programs see it: every finding
//! with its message in the reader's language, and the vials as resolved.

use jiff::Timestamp;
use jiff::civil::Date;
use jousei_core::care::{Finding, Severity};
use jousei_core::locale::Locale;
use jousei_core::supply::units::Microlitres;
use jousei_service::care::Checked;
use serde::Serialize;
use uuid::Uuid;

use crate::error::finding_message;
use crate::i18n::I18n;

/// A finding with its message in the asker's language.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: Finding,
    pub message: String,
}

/// The check's answer: every finding, and whether the dose may be recorded
/// as things stand (no block; overrides still needed for the rest).
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub at: Timestamp,
    pub patient_id: Uuid,
    pub patient_number: String,
    pub patient_name: String,
    pub blocked: bool,
    /// Findings a physician must override before the dose is recorded.
    pub overrides_needed: usize,
    pub findings: Vec<FindingView>,
    pub vials: Vec<VialView>,
}

/// A vial as resolved.
#[derive(Debug, Clone, Serialize)]
pub struct VialView {
    pub lot_id: Uuid,
    pub lot_number: String,
    pub expiry: Date,
    pub lot_state: String,
    pub product_code: String,
    pub product_name: String,
    pub serial: Option<String>,
    pub volume: Option<Microlitres>,
}

pub fn check_view(i18n: &I18n, locale: Locale, checked: &Checked) -> CheckView {
    let (g, out) = (&checked.gathered, &checked.outcome);
    CheckView {
        at: g.facts.at,
        patient_id: g.patient.id,
        patient_number: g.patient.number.clone(),
        patient_name: g.patient.facts.name.clone(),
        blocked: out.is_blocked(),
        overrides_needed: out.of(Severity::Override).count(),
        findings: out
            .findings
            .iter()
            .map(|f| FindingView {
                message: finding_message(i18n, locale, f),
                finding: f.clone(),
            })
            .collect(),
        vials: g
            .vials
            .iter()
            .map(|v| VialView {
                lot_id: v.lot.id,
                lot_number: v.lot.lot_number.clone(),
                expiry: v.lot.expiry,
                lot_state: v.lot.state.as_str().to_string(),
                product_code: v.product.facts.code.clone(),
                product_name: v.product.facts.name.clone(),
                serial: v.serial.clone(),
                volume: v.volume,
            })
            .collect(),
    }
}
