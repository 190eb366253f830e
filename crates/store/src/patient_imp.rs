//! The rows, SQL and helpers of [`crate::patient::PatientStore`]; its methods,
//! written once for both backends, are in `sql/patient.rs` (see `imp.rs` for
//! the layout).

use jousei_core::locale::Locale;
use jousei_core::patient::consent::ConsentState;
use jousei_core::patient::registry::DataConsentMethod;
use jousei_core::patient::screening::{Decision, DecisionFacts};
use uuid::Uuid;

use crate::patient::{
    AnswerSource, Consent, ConsentTemplate, DataConsent, Patient, QuestionnaireResponse,
    RecordedDecision, Screening,
};
use crate::{StoreError, Ts};

pub(crate) fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The top-level fields whose values differ (for the audit entry of a
/// correction: which parts changed, not the sensitive values themselves).
pub(crate) fn changed_fields<T: serde::Serialize>(old: &T, new: &T) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    b.iter()
        .filter(|(k, v)| a.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

pub(crate) const PATIENT_SELECT: &str = "SELECT p.id, p.clinic_id, p.number, p.current_version, v.facts, p.data_consent_method, p.data_consent_at, p.data_consent_by, p.created_at FROM patients p JOIN patient_versions v ON v.patient_id = p.id AND v.version = p.current_version";

#[derive(sqlx::FromRow)]
pub(crate) struct PatientRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub number: String,
    pub current_version: i64,
    pub facts: String,
    pub data_consent_method: String,
    pub data_consent_at: Ts,
    pub data_consent_by: Option<Uuid>,
    pub created_at: Ts,
}

impl TryFrom<PatientRow> for Patient {
    type Error = StoreError;
    fn try_from(r: PatientRow) -> Result<Self, StoreError> {
        Ok(Patient {
            id: r.id,
            clinic_id: r.clinic_id,
            number: r.number,
            version: r.current_version,
            facts: json(&r.facts)?,
            data_consent: DataConsent {
                method: DataConsentMethod::parse(&r.data_consent_method).ok_or_else(|| {
                    StoreError::Corrupt(format!("data consent {}", r.data_consent_method))
                })?,
                at: r.data_consent_at,
                recorded_by: r.data_consent_by,
            },
            created_at: r.created_at,
        })
    }
}

pub(crate) const RESPONSE_SELECT: &str = "SELECT r.id, r.patient_id, r.questionnaire_version, r.answers, r.fingerprint, r.source, r.entered_by, r.created_at, v.reviewed_by, u.login AS reviewed_by_login, v.reviewed_at, v.note AS review_note FROM questionnaire_responses r LEFT JOIN questionnaire_reviews v ON v.response_id = r.id LEFT JOIN users u ON u.id = v.reviewed_by";

#[derive(sqlx::FromRow)]
pub(crate) struct ResponseRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub questionnaire_version: i64,
    pub answers: String,
    pub fingerprint: String,
    pub source: String,
    pub entered_by: Option<Uuid>,
    pub created_at: Ts,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_by_login: Option<String>,
    pub reviewed_at: Option<Ts>,
    pub review_note: Option<String>,
}

impl TryFrom<ResponseRow> for QuestionnaireResponse {
    type Error = StoreError;
    fn try_from(r: ResponseRow) -> Result<Self, StoreError> {
        Ok(QuestionnaireResponse {
            id: r.id,
            patient_id: r.patient_id,
            questionnaire_version: u32::try_from(r.questionnaire_version)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            answers: json(&r.answers)?,
            fingerprint: r.fingerprint,
            source: AnswerSource::parse(&r.source)
                .ok_or_else(|| StoreError::Corrupt(format!("answer source {}", r.source)))?,
            entered_by: r.entered_by,
            created_at: r.created_at,
            review: match (r.reviewed_by, r.reviewed_at) {
                (Some(by), Some(at)) => Some(crate::patient::AnswersReview {
                    reviewed_by: by,
                    reviewed_by_login: r.reviewed_by_login.unwrap_or_default(),
                    reviewed_at: at,
                    note: r.review_note,
                }),
                _ => None,
            },
        })
    }
}

pub(crate) const SCREENING_SELECT: &str = "SELECT s.id, s.patient_id, s.response_id, s.answers_fingerprint, s.findings, s.created_by, s.created_at, s.decision, s.decision_reason, s.conditions, s.valid_days, s.decided_by, u.login AS decided_by_login, s.decided_at FROM screenings s LEFT JOIN users u ON u.id = s.decided_by";

#[derive(sqlx::FromRow)]
pub(crate) struct ScreeningRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub response_id: Uuid,
    pub answers_fingerprint: String,
    pub findings: String,
    pub created_by: Option<Uuid>,
    pub created_at: Ts,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub conditions: Option<String>,
    pub valid_days: Option<i64>,
    pub decided_by: Option<Uuid>,
    pub decided_by_login: Option<String>,
    pub decided_at: Option<Ts>,
}

impl TryFrom<ScreeningRow> for Screening {
    type Error = StoreError;
    fn try_from(r: ScreeningRow) -> Result<Self, StoreError> {
        let decision = match (r.decision, r.decision_reason, r.valid_days, r.decided_at) {
            (Some(d), Some(reason), Some(days), Some(at)) => Some(RecordedDecision {
                facts: DecisionFacts {
                    decision: Decision::parse(&d)
                        .ok_or_else(|| StoreError::Corrupt(format!("decision {d}")))?,
                    reason,
                    conditions: r.conditions,
                    valid_days: u32::try_from(days)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                },
                decided_by: r.decided_by,
                decided_by_login: r.decided_by_login,
                decided_at: at,
            }),
            (None, None, None, None) => None,
            _ => return Err(StoreError::Corrupt("partial screening decision".into())),
        };
        Ok(Screening {
            id: r.id,
            patient_id: r.patient_id,
            response_id: r.response_id,
            answers_fingerprint: r.answers_fingerprint,
            findings: json(&r.findings)?,
            created_by: r.created_by,
            created_at: r.created_at,
            decision,
        })
    }
}

pub(crate) const TEMPLATE_SELECT: &str = "SELECT t.id, t.clinic_id, t.code, v.version, t.current_version, v.body, v.sha256 FROM consent_templates t JOIN consent_template_versions v ON v.template_id = t.id";

#[derive(sqlx::FromRow)]
pub(crate) struct TemplateRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub code: String,
    pub version: i64,
    pub current_version: i64,
    pub body: String,
    pub sha256: String,
}

impl TryFrom<TemplateRow> for ConsentTemplate {
    type Error = StoreError;
    fn try_from(r: TemplateRow) -> Result<Self, StoreError> {
        Ok(ConsentTemplate {
            id: r.id,
            clinic_id: r.clinic_id,
            code: r.code,
            version: r.version,
            current_version: r.current_version,
            body: json(&r.body)?,
            sha256: r.sha256,
        })
    }
}

pub(crate) const CONSENT_SELECT: &str = "SELECT c.id, c.clinic_id, c.patient_id, c.template_id, t.code AS template_code, c.template_version, c.template_sha256, c.locale, c.product_ids, c.text_sha256, c.signature_kind, c.explained_by, u.login AS explained_by_login, c.witness_name, c.explained_at, c.first_explained_at, c.signed_at, c.recorded_by, c.same_day_reason, c.same_day_reason_by, c.same_day_reason_at, c.withdrawn_at, c.withdrawn_reason, c.withdrawn_by, cp.sha256 AS pdf_sha256 FROM consents c JOIN consent_templates t ON t.id = c.template_id JOIN users u ON u.id = c.explained_by LEFT JOIN consent_pdfs cp ON cp.consent_id = c.id";

/// A template version as `consent_template_versions` reads it, by position:
/// version, body (JSON), SHA-256, reason, author id, created at.
pub(crate) type TemplateVersionTuple = (i64, String, String, Option<String>, Option<Uuid>, Ts);

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub template_id: Uuid,
    pub template_code: String,
    pub template_version: i64,
    pub template_sha256: String,
    pub locale: String,
    pub product_ids: String,
    pub text_sha256: String,
    pub signature_kind: String,
    pub explained_by: Uuid,
    pub explained_by_login: String,
    pub witness_name: Option<String>,
    pub explained_at: Ts,
    pub first_explained_at: Ts,
    pub signed_at: Ts,
    pub recorded_by: Option<Uuid>,
    pub same_day_reason: Option<String>,
    pub same_day_reason_by: Option<Uuid>,
    pub same_day_reason_at: Option<Ts>,
    pub withdrawn_at: Option<Ts>,
    pub withdrawn_reason: Option<String>,
    pub withdrawn_by: Option<Uuid>,
    pub pdf_sha256: Option<String>,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(r: ConsentRow) -> Result<Self, StoreError> {
        Ok(Consent {
            id: r.id,
            clinic_id: r.clinic_id,
            patient_id: r.patient_id,
            template_id: r.template_id,
            template_code: r.template_code,
            template_version: r.template_version,
            template_sha256: r.template_sha256,
            locale: Locale::parse(&r.locale)
                .ok_or_else(|| StoreError::Corrupt(format!("locale {}", r.locale)))?,
            product_ids: json(&r.product_ids)?,
            text_sha256: r.text_sha256,
            signature_kind: r.signature_kind,
            explained_by: r.explained_by,
            explained_by_login: r.explained_by_login,
            witness_name: r.witness_name,
            explained_at: r.explained_at,
            first_explained_at: r.first_explained_at,
            signed_at: r.signed_at,
            recorded_by: r.recorded_by,
            same_day_reason: r.same_day_reason,
            same_day_reason_by: r.same_day_reason_by,
            same_day_reason_at: r.same_day_reason_at,
            state: if r.withdrawn_at.is_some() {
                ConsentState::Withdrawn
            } else {
                ConsentState::Signed
            },
            withdrawn_at: r.withdrawn_at,
            withdrawn_reason: r.withdrawn_reason,
            withdrawn_by: r.withdrawn_by,
            pdf_sha256: r.pdf_sha256,
        })
    }
}
