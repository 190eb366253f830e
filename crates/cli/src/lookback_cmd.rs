//! `jousei lookback`: from a lot to every administration (blend components
//! included) and its patient, or from a patient to every lot received,
//! straight from the database. The read is written to the audit log.

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use jousei_core::patient::registry::Phone;
use jousei_core::supply::units::fmt_fixed;
use jousei_store::care::LookbackRow;
use jousei_store::{Actor, AuditNote, DynStore};
use serde::Serialize;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("from").required(true).args(["lot", "patient"])))]
pub struct LookbackArgs {
    /// A lot number: every administration of it, with the patients
    #[arg(long)]
    pub lot: Option<String>,
    /// With --lot: only the lots of this product code
    #[arg(long, requires = "lot")]
    pub product: Option<String>,
    /// A patient number: every lot the patient received
    #[arg(long)]
    pub patient: Option<String>,
    /// Only this clinic (its code); default every clinic
    #[arg(long)]
    pub clinic: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// One administration as printed.
#[derive(Debug, Serialize)]
pub struct Line {
    pub clinic: String,
    pub administration_id: String,
    /// `recorded` or `voided`.
    pub status: &'static str,
    /// The clinic's local date.
    pub date: String,
    pub started_at: String,
    pub patient_number: String,
    pub patient_name: String,
    /// As recorded (digits only).
    pub phone: String,
    pub email: Option<String>,
    pub route: &'static str,
    pub lot_number: String,
    pub product_code: String,
    pub volume_ml: String,
    pub serial: Option<String>,
}

#[derive(Debug, Serialize)]
struct Output {
    from: &'static str,
    query: String,
    /// Distinct patients with a dose that stands (voided doses are listed,
    /// marked, but reach nobody).
    patients: usize,
    administrations: Vec<Line>,
}

pub async fn run(store: DynStore, a: &LookbackArgs) -> anyhow::Result<ExitCode> {
    let clinics = store.list_clinics().await?;
    let clinics: Vec<_> = match &a.clinic {
        Some(code) => {
            let c: Vec<_> = clinics.into_iter().filter(|c| &c.code == code).collect();
            if c.is_empty() {
                bail!("no clinic has the code {code}");
            }
            c
        }
        None => clinics,
    };
    let from = if a.lot.is_some() { "lot" } else { "patient" };
    // Typed values are trimmed; patient numbers are stored upper-cased.
    let lot_number = a.lot.as_deref().map(str::trim);
    let product = a.product.as_deref().map(str::trim);
    let patient_number = a.patient.as_deref().map(|n| n.trim().to_ascii_uppercase());
    let query = lot_number
        .map(str::to_string)
        .or_else(|| patient_number.clone())
        .unwrap_or_default();
    let mut lines = Vec::new();
    let mut found_subject = false;
    for c in &clinics {
        let rows: Vec<LookbackRow> = if let Some(lot) = lot_number {
            let ids: Vec<_> = store
                .lots(c.id)
                .await?
                .into_iter()
                .filter(|l| {
                    l.lot_number == lot
                        && product.is_none_or(|p| l.product_code.eq_ignore_ascii_case(p))
                })
                .map(|l| l.id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            found_subject = true;
            store.lookback_lots(c.id, &ids).await?
        } else {
            let number = patient_number.clone().unwrap_or_default();
            let hit = store
                .search_patients(
                    c.id,
                    &jousei_store::patient::PatientSearch {
                        number: Some(number.clone()),
                        limit: 5,
                        ..Default::default()
                    },
                )
                .await?
                .into_iter()
                .find(|p| p.number == number);
            let Some(patient) = hit else { continue };
            found_subject = true;
            store.lookback_patient(c.id, patient.id).await?
        };
        let mut patients: Vec<String> = rows.iter().map(|r| r.patient_id.to_string()).collect();
        patients.sort();
        patients.dedup();
        store
            .note(
                &Actor::system("cli"),
                &AuditNote {
                    clinic_id: Some(c.id),
                    action: "lookback".into(),
                    entity_kind: "lookback".into(),
                    entity_id: None,
                    changes: serde_json::json!({"from": from, "query": query, "patients": patients}),
                },
            )
            .await?;
        for r in rows {
            let local = r.started_at.0.in_tz(&c.time_zone).ok();
            lines.push(Line {
                clinic: c.code.clone(),
                administration_id: r.administration_id.to_string(),
                status: r.status.as_str(),
                date: local
                    .as_ref()
                    .map(|z| z.date().to_string())
                    .unwrap_or_default(),
                started_at: r.started_at.0.to_string(),
                patient_number: r.patient_number,
                patient_name: r.patient_name,
                phone: r.phone,
                email: r.email,
                route: r.route.as_str(),
                lot_number: r.lot_number,
                product_code: r.product_code,
                volume_ml: fmt_fixed(r.volume.0, 3),
                serial: r.serial,
            });
        }
    }
    if !found_subject {
        let what = if from == "lot" { "lot" } else { "patient" };
        eprintln!("no {what} {query} found");
        return Ok(ExitCode::from(2));
    }
    let mut patients: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l.status != "voided")
        .map(|l| (l.clinic.as_str(), l.patient_number.as_str()))
        .collect();
    patients.sort_unstable();
    patients.dedup();
    let out = Output {
        from,
        query,
        patients: patients.len(),
        administrations: lines,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} administration(s), {} patient(s)",
            out.administrations.len(),
            out.patients
        );
        for l in &out.administrations {
            let phone = Phone::parse(&l.phone, "phone")
                .map(|p| p.display())
                .unwrap_or_else(|_| l.phone.clone());
            println!(
                "{}  {}  {} {} {} {} {} {:>8} mL{}",
                l.date,
                l.clinic,
                pad(&l.patient_number, 8),
                pad(&l.patient_name, 16),
                pad(&phone, 14),
                pad(&l.product_code, 10),
                pad(&l.lot_number, 12),
                l.volume_ml,
                if l.status == "voided" {
                    "  (voided)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Columns a terminal gives `c`: two for East Asian wide and full-width
/// characters (kanji, kana, full-width forms), one otherwise.
fn columns(c: char) -> usize {
    match u32::from(c) {
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// `s` padded with spaces to `width` terminal columns (names in kanji
/// take two columns a character).
fn pad(s: &str, width: usize) -> String {
    let used: usize = s.chars().map(columns).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(used)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::pad;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(pad("000007", 8), "000007  ");
        assert_eq!(pad("清水 隆", 10), "清水 隆   ");
        assert_eq!(pad("まつもと", 4), "まつもと");
    }
}
