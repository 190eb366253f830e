//! Patient use cases, shared by the JSON API and the web UI. Here:
//! registration with the duplicate warning, corrections, search and the
//! audited read. `intake`: the questionnaire, screening, staff review and the
//! physician's decision. `consents`: templates, documents, signing, the
//! signed consent (text, signature, PDF), withdrawal and the same-day reason.
//!
//! Every read of a patient's record is noted in the audit log (who, when,
//! which patient, which part) before it is returned.

use jiff::Timestamp;
use jousei_core::error::FieldError;
use jousei_core::locale::Locale;
use jousei_core::patient::consent::{
    self, ConsentFacts, Document, RawSection, RawTemplate, Signature,
};
use jousei_core::patient::questionnaire::{self, Questionnaire, RawAnswer};
use jousei_core::patient::registry::{
    self, DataConsentMethod, DuplicateKey, KanaName, Phone, RawAllergy, RawMedication, RawPatient,
};
use jousei_core::patient::screening::{self, RawDecision, ScreeningFacts, Standing};
use jousei_core::role::{Permission, Role};
use jousei_store::patient::*;
use jousei_store::{AuditNote, Ts};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::{ErrorKind, ServiceError};
use crate::supply::clinic_today;

mod consents;
mod intake;
pub use consents::*;
pub use intake::*;

/// Notes a read of `part` of a patient's record in the audit log.
pub async fn note_read(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    part: &str,
) -> Result<(), ServiceError> {
    svc.store
        .note(
            &p.actor(),
            &AuditNote {
                clinic_id: Some(p.clinic.id),
                action: "patient_read".into(),
                entity_kind: "patient".into(),
                entity_id: Some(patient_id.to_string()),
                changes: serde_json::json!({ "part": part }),
            },
        )
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AllergyIn {
    pub substance: String,
    pub reaction: Option<String>,
    /// mild, moderate, severe, unknown (default unknown)
    pub severity: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MedicationIn {
    pub name: String,
    /// Dose and frequency as told.
    pub dose: Option<String>,
}

/// A patient as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PatientIn {
    /// The clinic's patient number; the next free one when empty.
    pub number: Option<String>,
    /// Name as written (kanji).
    pub name: String,
    /// Kana (hiragana or katakana; stored as katakana).
    pub kana: String,
    pub romaji: Option<String>,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// female, male, other
    pub sex: String,
    /// Japanese number in any common format (stored as digits).
    pub phone: String,
    pub email: Option<String>,
    /// NNN-NNNN
    pub postal_code: Option<String>,
    pub address: String,
    pub allergies: Vec<AllergyIn>,
    pub medications: Vec<MedicationIn>,
    pub history: Option<String>,
}

impl PatientIn {
    fn raw(&self) -> RawPatient {
        RawPatient {
            name: self.name.clone(),
            kana: self.kana.clone(),
            romaji: self.romaji.clone(),
            birth_date: self.birth_date.clone(),
            sex: self.sex.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            postal_code: self.postal_code.clone(),
            address: self.address.clone(),
            allergies: self
                .allergies
                .iter()
                .map(|a| RawAllergy {
                    substance: a.substance.clone(),
                    reaction: a.reaction.clone(),
                    severity: a.severity.clone(),
                })
                .collect(),
            medications: self
                .medications
                .iter()
                .map(|m| RawMedication {
                    name: m.name.clone(),
                    dose: m.dose.clone(),
                })
                .collect(),
            history: self.history.clone(),
        }
    }
}

/// Registration: the patient, their consent to the handling of their health
/// data, and (after a duplicate warning) the confirmation that this is
/// another person.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterIn {
    pub patient: PatientIn,
    /// How the patient consented to the handling of their health data
    /// (要配慮個人情報): written, tablet or verbal. Required.
    pub data_consent: String,
    /// Set after reviewing a `patient_probable_duplicate` answer to register
    /// anyway.
    pub confirm_not_duplicate: bool,
}

/// An existing patient who is probably the same person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicateMatch {
    pub patient_id: Uuid,
    pub number: String,
    pub name: String,
    pub kana: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// same_kana_and_birth_date, same_phone
    pub reasons: Vec<String>,
}

pub enum Registered {
    Created(Box<Patient>),
    ProbableDuplicates(Vec<DuplicateMatch>),
}

pub async fn register(
    svc: &Service,
    p: &Principal,
    input: &RegisterIn,
) -> Result<Registered, ServiceError> {
    p.require(Permission::PatientWrite)?;
    let mut errs = Vec::new();
    let number =
        registry::parse_patient_number(input.patient.number.as_deref().unwrap_or(""), "number")
            .map_err(|e| errs.push(e))
            .ok()
            .flatten();
    let method = DataConsentMethod::parse(&input.data_consent);
    if method.is_none() {
        errs.push(FieldError::new(
            "data_consent",
            if input.data_consent.trim().is_empty() {
                "patient_data_consent_required"
            } else {
                "code_unknown"
            },
        ));
    }
    let facts = match input.patient.raw().parse(clinic_today(p)) {
        Ok(f) => Some(f),
        Err(e) => {
            errs.extend(e);
            None
        }
    };
    let (Some(facts), Some(method), true) = (facts, method, errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    if !input.confirm_not_duplicate {
        let key = DuplicateKey::from(&facts);
        let candidates = svc
            .store
            .duplicate_candidates(p.clinic.id, &key.kana_key, key.birth_date, &key.phone)
            .await?;
        let keyed: Vec<(Patient, DuplicateKey)> = candidates
            .into_iter()
            .map(|c| {
                let k = DuplicateKey::from(&c.facts);
                (c, k)
            })
            .collect();
        let found = registry::probable_duplicates(&key, &keyed);
        if !found.is_empty() {
            let mut matches = Vec::new();
            for (c, reasons) in found {
                note_read(svc, p, c.id, "duplicate_check").await?;
                matches.push(DuplicateMatch {
                    patient_id: c.id,
                    number: c.number,
                    name: c.facts.name,
                    kana: c.facts.kana.as_str().to_string(),
                    birth_date: c.facts.birth_date.to_string(),
                    reasons: reasons.iter().map(|r| r.as_str().to_string()).collect(),
                });
            }
            return Ok(Registered::ProbableDuplicates(matches));
        }
    }
    let patient = svc
        .store
        .create_patient(
            &p.actor(),
            p.clinic.id,
            &NewPatient {
                number,
                facts,
                data_consent_method: method,
            },
        )
        .await?;
    Ok(Registered::Created(Box::new(patient)))
}

/// A patient as shown: the record plus what is derived from it.
#[derive(Debug, Clone, Serialize)]
pub struct PatientView {
    #[serde(flatten)]
    pub patient: Patient,
    /// Age in years today (clinic's calendar).
    pub age: i16,
    /// The phone number for display.
    pub phone_display: String,
}

pub fn view(p: &Principal, patient: Patient) -> PatientView {
    PatientView {
        age: registry::age_on(patient.facts.birth_date, clinic_today(p)),
        phone_display: patient.facts.phone.display(),
        patient,
    }
}

/// One patient (part `profile` of the record).
pub async fn get(svc: &Service, p: &Principal, id: Uuid) -> Result<PatientView, ServiceError> {
    p.require(Permission::PatientRead)?;
    let patient = ensure_patient(svc, p, id).await?;
    note_read(svc, p, id, "profile").await?;
    Ok(view(p, patient))
}

/// Every version of a patient (part `history`).
pub async fn versions(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<Vec<PatientVersion>, ServiceError> {
    p.require(Permission::PatientRead)?;
    let v = svc.store.patient_versions(p.clinic.id, id).await?;
    if v.is_empty() {
        return Err(ServiceError::not_found());
    }
    note_read(svc, p, id, "history").await?;
    Ok(v)
}

/// A correction: a new version with its reason.
pub async fn revise(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &PatientIn,
    reason: &str,
) -> Result<PatientView, ServiceError> {
    p.require(Permission::PatientWrite)?;
    let current = ensure_patient(svc, p, id).await?;
    let mut errs = Vec::new();
    match registry::parse_patient_number(input.number.as_deref().unwrap_or(""), "number") {
        Ok(Some(n)) if n != current.number => {
            errs.push(FieldError::new("number", "patient_number_immutable"));
        }
        Ok(_) => {}
        Err(e) => errs.push(e),
    }
    let facts = input
        .raw()
        .parse(clinic_today(p))
        .map_err(|e| errs.extend(e))
        .ok();
    if reason.trim().is_empty() {
        errs.push(FieldError::new("reason", "reason_required"));
    }
    let (Some(facts), true) = (facts, errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    let patient = svc
        .store
        .revise_patient(&p.actor(), p.clinic.id, id, &facts, reason.trim())
        .await?;
    Ok(view(p, patient))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct SearchIn {
    /// Kana prefix (hiragana or katakana).
    pub kana: Option<String>,
    pub number: Option<String>,
    pub phone: Option<String>,
    /// YYYY-MM-DD
    pub birth_date: Option<String>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<i64>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Search (noted as one `patient_search` entry naming the patients listed).
pub async fn search(
    svc: &Service,
    p: &Principal,
    q: &SearchIn,
) -> Result<Vec<PatientView>, ServiceError> {
    p.require(Permission::PatientRead)?;
    let mut errs = Vec::new();
    let kana = nonempty(&q.kana).and_then(|k| {
        KanaName::parse(k, "kana")
            .map(|k| k.key())
            .map_err(|e| errs.push(e))
            .ok()
    });
    let number = nonempty(&q.number).and_then(|n| {
        registry::parse_patient_number(n, "number")
            .map_err(|e| errs.push(e))
            .ok()
            .flatten()
    });
    let phone = nonempty(&q.phone).and_then(|n| {
        Phone::parse(n, "phone")
            .map(|p| p.as_str().to_string())
            .map_err(|e| errs.push(e))
            .ok()
    });
    let birth_date = nonempty(&q.birth_date).and_then(|d| {
        registry::parse_birth_date(d, "birth_date", clinic_today(p))
            .map_err(|e| errs.push(e))
            .ok()
    });
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        errs.push(FieldError::new("limit", "limit_out_of_range"));
    }
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let found = svc
        .store
        .search_patients(
            p.clinic.id,
            &PatientSearch {
                kana_prefix: kana,
                number,
                phone,
                birth_date,
                limit,
            },
        )
        .await?;
    let criteria: Vec<&str> = [
        ("kana", &q.kana),
        ("number", &q.number),
        ("phone", &q.phone),
        ("birth_date", &q.birth_date),
    ]
    .iter()
    .filter(|(_, v)| nonempty(v).is_some())
    .map(|(k, _)| *k)
    .collect();
    svc.store
        .note(
            &p.actor(),
            &AuditNote {
                clinic_id: Some(p.clinic.id),
                action: "patient_search".into(),
                entity_kind: "patient".into(),
                entity_id: None,
                changes: serde_json::json!({
                    "part": "search",
                    "criteria": criteria,
                    "patients": found.iter().map(|x| x.id).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    Ok(found.into_iter().map(|x| view(p, x)).collect())
}

/// The clinic's patient with exactly this number (as typed, trimmed), if
/// any. Not audited by itself: the caller notes what it reads.
pub async fn by_number(
    svc: &Service,
    clinic_id: Uuid,
    number: &str,
) -> Result<Option<Patient>, ServiceError> {
    let number = number.trim();
    if number.is_empty() {
        return Ok(None);
    }
    Ok(svc
        .store
        .search_patients(
            clinic_id,
            &jousei_store::patient::PatientSearch {
                number: Some(number.to_string()),
                limit: 5,
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .find(|pt| pt.number == number))
}

async fn ensure_patient(svc: &Service, p: &Principal, id: Uuid) -> Result<Patient, ServiceError> {
    svc.store
        .patient(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)
}
