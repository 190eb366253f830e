//! Storage of patients: versioned identity and contact details with the
//! patient's consent to the handling of health data, questionnaire answers,
//! screenings and the physician's decision, versioned consent templates and
//! signed consents with their withdrawal. Part of [`crate::Store`].
//!
//! Nothing is erased: a correction is a new version with its reason, a
//! withdrawal is recorded on the consent, and the tables refuse DELETE.
//! Reads are audited by the caller (`Store::note`), which knows who asked
//! for which part.

use async_trait::async_trait;
use jiff::civil::Date;
use jousei_core::locale::Locale;
use jousei_core::patient::consent::{ConsentState, Signature, TemplateBody};
use jousei_core::patient::questionnaire::Answers;
use jousei_core::patient::registry::{DataConsentMethod, PatientFacts};
use jousei_core::patient::screening::{DecisionFacts, Finding};
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

/// The current version of a patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patient {
    pub id: Uuid,
    pub clinic_id: Uuid,
    /// The clinic's patient number (診察券番号).
    pub number: String,
    pub version: i64,
    pub facts: PatientFacts,
    pub data_consent: DataConsent,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

/// The patient's consent to the collection and handling of their health
/// data (要配慮個人情報, APPI art. 20(2)), recorded at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataConsent {
    pub method: DataConsentMethod,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
    pub recorded_by: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct NewPatient {
    /// The number to give; the next free one (`000001`, …) when `None`.
    pub number: Option<String>,
    pub facts: PatientFacts,
    pub data_consent_method: DataConsentMethod,
}

#[derive(Debug, Clone, Serialize)]
pub struct PatientVersion {
    pub version: i64,
    pub facts: PatientFacts,
    /// Why it was corrected (none for the first version).
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

/// What to search for; every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct PatientSearch {
    /// A prefix of the kana name, spaces removed (`KanaName::key`).
    pub kana_prefix: Option<String>,
    pub number: Option<String>,
    /// Normalised digits.
    pub phone: Option<String>,
    pub birth_date: Option<Date>,
    pub limit: i64,
}

/// Where questionnaire answers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// Filled in by the patient (on the clinic's tablet).
    Patient,
    /// Entered by staff from what the patient said or wrote.
    Staff,
}

impl AnswerSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerSource::Patient => "patient",
            AnswerSource::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "patient" => Some(AnswerSource::Patient),
            "staff" => Some(AnswerSource::Staff),
            _ => None,
        }
    }
}

/// Answers to screen, with their findings (decided by the caller with
/// `jousei_core::patient::screening::screen`).
#[derive(Debug, Clone)]
pub struct NewAnswers {
    pub questionnaire_version: u32,
    pub answers: Answers,
    pub fingerprint: String,
    pub source: AnswerSource,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionnaireResponse {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub questionnaire_version: u32,
    pub answers: Answers,
    pub fingerprint: String,
    pub source: AnswerSource,
    pub entered_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
    /// Staff's review of answers the patient filled in, once done.
    pub review: Option<AnswersReview>,
}

/// Staff went through the patient's own answers with them.
#[derive(Debug, Clone, Serialize)]
pub struct AnswersReview {
    pub reviewed_by: Uuid,
    pub reviewed_by_login: String,
    #[serde(serialize_with = "crate::ser_ts")]
    pub reviewed_at: Ts,
    pub note: Option<String>,
}

/// A physician's recorded decision.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedDecision {
    #[serde(flatten)]
    pub facts: DecisionFacts,
    pub decided_by: Option<Uuid>,
    pub decided_by_login: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub decided_at: Ts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Screening {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub response_id: Uuid,
    pub answers_fingerprint: String,
    pub findings: Vec<Finding>,
    pub created_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
    pub decision: Option<RecordedDecision>,
}

/// The current (or a given) version of a consent template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentTemplate {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub code: String,
    pub version: i64,
    /// The latest version (equal to `version` for the current one).
    pub current_version: i64,
    pub body: TemplateBody,
    /// SHA-256 of the version's content.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentTemplateVersion {
    pub version: i64,
    pub body: TemplateBody,
    pub sha256: String,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

/// A signature to record, with the exact document shown.
#[derive(Debug, Clone)]
pub struct NewConsent {
    pub template_id: Uuid,
    /// Must be the template's current version.
    pub template_version: i64,
    pub template_sha256: String,
    pub locale: Locale,
    pub product_ids: Vec<Uuid>,
    pub text: String,
    pub text_sha256: String,
    pub signature: Signature,
    /// The physician who explained (must be a physician of the clinic;
    /// checked by the caller).
    pub explained_by: Uuid,
    pub witness_name: Option<String>,
    pub explained_at: Ts,
    /// The patient's first explanation of this template (this one or earlier).
    pub first_explained_at: Ts,
    pub signed_at: Ts,
    /// A physician's written medical-necessity reason for same-day treatment.
    pub same_day_reason: Option<String>,
}

/// The PDF of a signed consent, as kept.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentPdf {
    pub consent_id: Uuid,
    /// SHA-256 (hex) of `pdf`.
    pub sha256: String,
    #[serde(skip)]
    pub pdf: Vec<u8>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub template_id: Uuid,
    pub template_code: String,
    pub template_version: i64,
    pub template_sha256: String,
    pub locale: Locale,
    pub product_ids: Vec<Uuid>,
    pub text_sha256: String,
    /// `svg` or `png`.
    pub signature_kind: String,
    pub explained_by: Uuid,
    pub explained_by_login: String,
    pub witness_name: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub explained_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub first_explained_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub signed_at: Ts,
    pub recorded_by: Option<Uuid>,
    pub same_day_reason: Option<String>,
    pub same_day_reason_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub same_day_reason_at: Option<Ts>,
    pub state: ConsentState,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub withdrawn_at: Option<Ts>,
    pub withdrawn_reason: Option<String>,
    pub withdrawn_by: Option<Uuid>,
    /// SHA-256 of the kept PDF of the signed consent, once made.
    pub pdf_sha256: Option<String>,
}

#[async_trait]
pub trait PatientStore: Send + Sync {
    /// Registers a patient with the consent to the handling of their data.
    /// `patient_number_taken` when the number is in use in the clinic.
    async fn create_patient(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewPatient,
    ) -> Result<Patient>;
    /// A correction: a new version with its reason; earlier ones stay.
    async fn revise_patient(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        facts: &PatientFacts,
        reason: &str,
    ) -> Result<Patient>;
    async fn patient(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Patient>>;
    /// The clinic's patients among `ids` (unknown ids and other clinics'
    /// patients are left out), in one round trip per 500 ids.
    async fn patients_by_ids(&self, clinic_id: Uuid, ids: &[Uuid]) -> Result<Vec<Patient>>;
    /// Every version, newest first.
    async fn patient_versions(&self, clinic_id: Uuid, id: Uuid) -> Result<Vec<PatientVersion>>;
    /// Patients matching every given criterion, by kana.
    async fn search_patients(&self, clinic_id: Uuid, q: &PatientSearch) -> Result<Vec<Patient>>;
    /// Patients with the same kana key and date of birth, or the same
    /// phone (the candidates of the duplicate rule).
    async fn duplicate_candidates(
        &self,
        clinic_id: Uuid,
        kana_key: &str,
        birth_date: Date,
        phone: &str,
    ) -> Result<Vec<Patient>>;

    /// Stores answers and opens a screening with their findings.
    async fn record_answers(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        patient_id: Uuid,
        new: &NewAnswers,
    ) -> Result<(QuestionnaireResponse, Screening)>;
    /// Newest first.
    async fn questionnaire_responses(
        &self,
        clinic_id: Uuid,
        patient_id: Uuid,
    ) -> Result<Vec<QuestionnaireResponse>>;
    /// Newest first.
    async fn screenings(&self, clinic_id: Uuid, patient_id: Uuid) -> Result<Vec<Screening>>;
    async fn screening(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Screening>>;
    /// Records the physician's decision, checked in the transaction against
    /// the patient's latest answers (`screening_stale`) and any earlier
    /// decision (`screening_already_decided`).
    async fn decide_screening(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        screening_id: Uuid,
        decision: &DecisionFacts,
    ) -> Result<Screening>;

    /// `consent_template_code_taken` when the code exists in the clinic.
    async fn create_consent_template(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        code: &str,
        body: &TemplateBody,
    ) -> Result<ConsentTemplate>;
    /// A new version with its reason. Kind and route do not change
    /// (`consent_template_kind_immutable`): another kind or route is
    /// another template.
    async fn revise_consent_template(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        body: &TemplateBody,
        reason: &str,
    ) -> Result<ConsentTemplate>;
    /// Current versions, by code.
    async fn consent_templates(&self, clinic_id: Uuid) -> Result<Vec<ConsentTemplate>>;
    /// The current version, or the given one.
    async fn consent_template(
        &self,
        clinic_id: Uuid,
        id: Uuid,
        version: Option<i64>,
    ) -> Result<Option<ConsentTemplate>>;
    /// Newest first.
    async fn consent_template_versions(
        &self,
        clinic_id: Uuid,
        id: Uuid,
    ) -> Result<Vec<ConsentTemplateVersion>>;

    /// Records a signed consent. `consent_template_outdated` when the
    /// template has a newer version than the one shown.
    async fn record_consent(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        patient_id: Uuid,
        new: &NewConsent,
    ) -> Result<Consent>;
    /// Newest first, withdrawn ones included.
    async fn consents(&self, clinic_id: Uuid, patient_id: Uuid) -> Result<Vec<Consent>>;
    async fn consent(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Consent>>;
    /// The exact text the patient was shown.
    async fn consent_text(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<String>>;
    async fn consent_signature(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Signature>>;
    /// Records that staff reviewed a set of answers with the patient.
    /// `answers_already_reviewed` the second time.
    async fn review_answers(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        response_id: Uuid,
        note: Option<&str>,
    ) -> Result<QuestionnaireResponse>;
    /// Keeps the PDF of a signed consent with its SHA-256. The first PDF
    /// kept stays: a later call returns the stored one unchanged (two
    /// staff opening a new consent at once cannot replace each other's
    /// copy). `not_found` for an unknown consent.
    async fn keep_consent_pdf(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        consent_id: Uuid,
        pdf: &[u8],
    ) -> Result<ConsentPdf>;
    /// The kept PDF of a consent, if one was kept.
    async fn consent_pdf(&self, clinic_id: Uuid, consent_id: Uuid) -> Result<Option<ConsentPdf>>;
    /// The earliest explanation of a template to a patient, if any.
    async fn first_explanation(
        &self,
        clinic_id: Uuid,
        patient_id: Uuid,
        template_id: Uuid,
    ) -> Result<Option<Ts>>;
    /// Records the withdrawal (the consent stays, marked withdrawn).
    /// `consent_already_withdrawn` the second time.
    async fn withdraw_consent(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        reason: &str,
    ) -> Result<Consent>;
    /// Records a physician's medical-necessity reason for treating on the day
    /// of the first explanation. `consent_same_day_reason_recorded` when
    /// one is there; `consent_withdrawn` on a withdrawn consent.
    async fn record_same_day_reason(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        reason: &str,
    ) -> Result<Consent>;
}
