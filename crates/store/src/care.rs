//! Storage of administrations (doses given at the chair) and the lookback
//! both ways: lot → every administration (blend components included) →
//! patient, and patient → every lot received. Part of [`crate::Store`].
//!
//! Recording is one transaction: the lots' states, unacknowledged
//! temperature excursions, the vials on hand at the chair's location and
//! the vials' serial numbers are read again under the write lock, and the
//! dose is refused with a conflict code if any of them now blocks it (two
//! nurses cannot use the last vial twice; a lot recalled a second before is
//! not given). Then each vial leaves the stock ledger (`use`), the
//! administration and its vials are written, and the audit log gets its
//! entry. Any failure rolls all of it back.
//!
//! A recorded administration is never edited: a correction is a new
//! version with a reason; a dose recorded in error is voided with a reason
//! (its vials return to stock through the ledger) and stays visible.

use async_trait::async_trait;
use jousei_core::plan::InjectionSites;
use jousei_core::supply::product::Route;
use jousei_core::supply::units::Microlitres;
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

/// One vial used for a dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVialUse {
    pub lot_id: Uuid,
    /// The vial's serial number (GS1 AI 21), when it has one. A serial is
    /// used at most once per lot.
    pub serial: Option<String>,
    /// When the vial was thawed or opened, if known.
    pub opened_at: Option<Ts>,
    /// The volume taken from it.
    pub volume: Microlitres,
}

/// A dose to record. The caller has run `jousei_core::care::check` on the
/// facts and `may_proceed` with the overrides; `check` and `overrides` are
/// what it judged (kept as JSON with the record).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdministration {
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub plan_version: Option<i64>,
    pub appointment_id: Option<Uuid>,
    pub route: Route,
    /// The location the vials are taken from (one `use` movement per vial).
    pub location_id: Uuid,
    /// At least one; a blend has one per component (or more).
    pub vials: Vec<NewVialUse>,
    pub sites: Option<InjectionSites>,
    pub administered_by: Uuid,
    pub verified_by: Option<Uuid>,
    pub started_at: Ts,
    pub ended_at: Option<Ts>,
    pub observations: Option<String>,
    pub reactions: Option<String>,
    /// How identity was confirmed (`IdentityCheck` as JSON).
    pub identity: serde_json::Value,
    /// The findings at the moment of recording (`CheckOutcome` as JSON).
    pub check: serde_json::Value,
    /// The physicians' overrides (`[Override]` as JSON).
    pub overrides: serde_json::Value,
    /// Some vial is of a human-derived product.
    pub human_derived: bool,
    /// The blood-donation notice shown and recorded with this dose (the
    /// patient's first human-derived product), as the text given.
    pub blood_donation_notice: Option<String>,
    /// Which version of the clinic's notice text was given (0: jousei's
    /// default text; none when no notice was given).
    pub blood_donation_notice_version: Option<i64>,
}

/// One version of a clinic's blood-donation notice (regulatory.md §8), in
/// both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BloodDonationNoticeText {
    /// 1, 2, … per clinic.
    pub version: i64,
    pub ja: String,
    pub en: String,
    pub set_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub set_at: Ts,
}

/// One vial of a recorded administration, with its lot and product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VialUse {
    pub lot_id: Uuid,
    pub lot_number: String,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub serial: Option<String>,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub opened_at: Option<Ts>,
    pub volume: Microlitres,
}

/// Where a recorded administration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdministrationStatus {
    Recorded,
    /// Recorded in error; its vials went back to stock. Still listed.
    Voided,
}

impl AdministrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AdministrationStatus::Recorded => "recorded",
            AdministrationStatus::Voided => "voided",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "recorded" => Some(AdministrationStatus::Recorded),
            "voided" => Some(AdministrationStatus::Voided),
            _ => None,
        }
    }
}

/// The fields a correction may change (the vials and the patient cannot:
/// void the dose and record it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdministrationDetails {
    pub sites: Option<InjectionSites>,
    pub verified_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub started_at: Ts,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub ended_at: Option<Ts>,
    pub observations: Option<String>,
    pub reactions: Option<String>,
}

/// A recorded administration, as its current version says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Administration {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub plan_version: Option<i64>,
    pub appointment_id: Option<Uuid>,
    pub route: Route,
    pub location_id: Uuid,
    pub vials: Vec<VialUse>,
    /// 1 when recorded; each correction adds one.
    pub version: i64,
    #[serde(flatten)]
    pub details: AdministrationDetails,
    pub administered_by: Uuid,
    pub identity: serde_json::Value,
    pub check: serde_json::Value,
    pub overrides: serde_json::Value,
    pub human_derived: bool,
    pub blood_donation_notice: Option<String>,
    pub blood_donation_notice_version: Option<i64>,
    pub status: AdministrationStatus,
    pub void_reason: Option<String>,
    pub recorded_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub recorded_at: Ts,
}

/// One version of an administration's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdministrationVersion {
    pub version: i64,
    #[serde(flatten)]
    pub details: AdministrationDetails,
    /// Why it was corrected (none for version 1).
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

/// One vial given, as the lookback lists it: the administration, the
/// patient with contact details, the lot and the volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookbackRow {
    pub administration_id: Uuid,
    pub status: AdministrationStatus,
    #[serde(serialize_with = "crate::ser_ts")]
    pub started_at: Ts,
    pub route: Route,
    pub plan_id: Option<Uuid>,
    pub patient_id: Uuid,
    pub patient_number: String,
    pub patient_name: String,
    pub patient_kana: String,
    /// As recorded (digits), for the caller to format.
    pub phone: String,
    pub email: Option<String>,
    pub lot_id: Uuid,
    pub lot_number: String,
    pub product_code: String,
    pub product_name: String,
    pub serial: Option<String>,
    pub volume: Microlitres,
}

#[async_trait]
pub trait CareStore: Send + Sync {
    /// Records a dose (see the module docs). Conflicts, nothing written:
    /// `lot_not_usable` (a lot is not released, or on hold, recalled,
    /// rejected, or has unacknowledged excursions), `out_of_stock` (fewer
    /// vials of a lot at the location than the dose takes),
    /// `vial_already_used` (a serial of the lot was used by a dose that is
    /// not voided, or appears twice in this one), `not_found` (patient,
    /// lot, location, plan or appointment of another clinic). The lot's
    /// expiry is the caller's check (it needs the clinic's time zone).
    /// The plan (and its version) and the appointment must be the
    /// patient's, and the staff named must be granted the clinic
    /// (`not_found` otherwise). A dose without vials
    /// (`administration_vials_required`) or with a volume that is not
    /// positive (`administration_volume_invalid`) is refused before
    /// anything is read.
    /// The clinic's current blood-donation notice, if it set one (the
    /// caller gives jousei's default otherwise).
    async fn blood_donation_notice(
        &self,
        clinic_id: Uuid,
    ) -> Result<Option<BloodDonationNoticeText>>;
    /// Sets the clinic's notice as a new version (earlier versions stay;
    /// doses keep the version they were given). The texts are checked by
    /// the caller. Audited `blood_donation_notice_set`; `not_found` for an
    /// unknown clinic.
    async fn set_blood_donation_notice(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        ja: &str,
        en: &str,
    ) -> Result<BloodDonationNoticeText>;
    async fn record_administration(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewAdministration,
    ) -> Result<Administration>;
    /// A new version of the details with the reason; `expected_version`
    /// must be the current one (`administration_version_stale`), a voided
    /// dose cannot be corrected (`administration_voided`).
    async fn correct_administration(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        expected_version: i64,
        details: &AdministrationDetails,
        reason: &str,
    ) -> Result<Administration>;
    /// Voids a dose recorded in error: its vials return to the stock of
    /// its location (ledger kind `adjust`, with the reason) and it is kept
    /// with status `voided`. `administration_voided` when it already is.
    async fn void_administration(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        reason: &str,
    ) -> Result<Administration>;
    async fn administration(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Administration>>;
    /// Every version of the details, newest first.
    async fn administration_versions(
        &self,
        clinic_id: Uuid,
        id: Uuid,
    ) -> Result<Vec<AdministrationVersion>>;
    /// The patient's administrations, newest first (voided included).
    async fn administrations_of_patient(
        &self,
        clinic_id: Uuid,
        patient_id: Uuid,
    ) -> Result<Vec<Administration>>;
    /// The start of the latest administration under the plan that is not
    /// voided.
    async fn last_administration_of_plan(
        &self,
        clinic_id: Uuid,
        plan_id: Uuid,
    ) -> Result<Option<Ts>>;
    /// Whether the patient has a recorded (not voided) human-derived dose.
    async fn received_human_derived(&self, clinic_id: Uuid, patient_id: Uuid) -> Result<bool>;
    /// Of `serials`, those already used for `lot_id` by a dose that is not
    /// voided.
    async fn used_serials(
        &self,
        clinic_id: Uuid,
        lot_id: Uuid,
        serials: &[String],
    ) -> Result<Vec<String>>;
    /// Every vial of these lots given, oldest first (voided doses included,
    /// marked), each with its patient and contact details.
    async fn lookback_lots(&self, clinic_id: Uuid, lot_ids: &[Uuid]) -> Result<Vec<LookbackRow>>;
    /// Every vial the patient received, oldest first.
    async fn lookback_patient(&self, clinic_id: Uuid, patient_id: Uuid)
    -> Result<Vec<LookbackRow>>;
}
