//! The rows, SQL and helpers of [`crate::care::CareStore`]; its methods,
//! written once for both backends, are in `sql/care.rs` (see `imp.rs` for the
//! layout).
//!
//! Storage (migration `20261201000004_administrations.sql`): one
//! `administrations` row per dose with the facts that never change;
//! `administration_versions` with the correctable details of each version;
//! `administration_vials` with every vial (lot, serial, volume). A vial row
//! gets `voided_at` when its dose is voided, which takes its serial out of
//! the unique index of serials in use, so the vial may be used again.

use jousei_core::supply::product::Route;
use jousei_core::supply::units::Microlitres;
use uuid::Uuid;

use crate::care::{
    Administration, AdministrationDetails, AdministrationStatus, AdministrationVersion,
    LookbackRow, VialUse,
};
use crate::patient_imp::json;
use crate::{StoreError, Ts};

/// Lots per lookback query (the bound parameters of one `IN` list stay far
/// below either database's limit).
pub(crate) const LOTS_PER_QUERY: usize = 500;

pub(crate) const ADMINISTRATION_SELECT: &str = "SELECT a.id, a.clinic_id, a.patient_id, a.plan_id, a.plan_version, a.appointment_id, a.route, a.location_id, a.current_version, a.administered_by, a.identity_check, a.check_outcome, a.overrides, a.human_derived, a.blood_donation_notice, a.blood_donation_notice_version, a.status, a.void_reason, a.recorded_by, a.recorded_at, v.sites, v.verified_by, v.started_at, v.ended_at, v.observations, v.reactions FROM administrations a JOIN administration_versions v ON v.administration_id = a.id AND v.version = a.current_version";

pub(crate) const VIAL_SELECT: &str = "SELECT v.administration_id, v.ordinal, v.lot_id, l.lot_number, l.product_id, p.code AS product_code, p.name AS product_name, v.serial, v.opened_at, v.volume_ul FROM administration_vials v JOIN lots l ON l.id = v.lot_id JOIN products p ON p.id = l.product_id";

pub(crate) const VERSION_SELECT: &str = "SELECT v.version, v.sites, v.verified_by, v.started_at, v.ended_at, v.observations, v.reactions, v.reason, v.author_id, v.created_at FROM administration_versions v JOIN administrations a ON a.id = v.administration_id";

/// One row per vial given: the vial, its administration, lot and product,
/// and the patient's current version (number and contact details).
pub(crate) const LOOKBACK_SELECT: &str = "SELECT a.id AS administration_id, a.status, a.started_at, a.route, a.plan_id, a.patient_id, pt.number AS patient_number, pv.facts AS patient_facts, v.lot_id, l.lot_number, p.code AS product_code, p.name AS product_name, v.serial, v.volume_ul, v.ordinal FROM administration_vials v JOIN administrations a ON a.id = v.administration_id JOIN lots l ON l.id = v.lot_id JOIN products p ON p.id = l.product_id JOIN patients pt ON pt.id = a.patient_id JOIN patient_versions pv ON pv.patient_id = pt.id AND pv.version = pt.current_version";

pub(crate) const LOOKBACK_ORDER: &str = " ORDER BY a.started_at, a.id, v.ordinal";

pub(crate) fn route(s: &str) -> Result<Route, StoreError> {
    Route::parse(s).ok_or_else(|| StoreError::Corrupt(format!("route {s}")))
}

pub(crate) fn status(s: &str) -> Result<AdministrationStatus, StoreError> {
    AdministrationStatus::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("administration status {s}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct AdministrationRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub plan_version: Option<i64>,
    pub appointment_id: Option<Uuid>,
    pub route: String,
    pub location_id: Uuid,
    pub current_version: i64,
    pub administered_by: Uuid,
    pub identity_check: String,
    pub check_outcome: String,
    pub overrides: String,
    pub human_derived: bool,
    pub blood_donation_notice: Option<String>,
    pub blood_donation_notice_version: Option<i64>,
    pub status: String,
    pub void_reason: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: Ts,
    pub sites: Option<String>,
    pub verified_by: Option<Uuid>,
    pub started_at: Ts,
    pub ended_at: Option<Ts>,
    pub observations: Option<String>,
    pub reactions: Option<String>,
}

impl AdministrationRow {
    fn into_administration(self, vials: Vec<VialUse>) -> Result<Administration, StoreError> {
        Ok(Administration {
            id: self.id,
            clinic_id: self.clinic_id,
            patient_id: self.patient_id,
            plan_id: self.plan_id,
            plan_version: self.plan_version,
            appointment_id: self.appointment_id,
            route: route(&self.route)?,
            location_id: self.location_id,
            vials,
            version: self.current_version,
            details: AdministrationDetails {
                sites: self.sites.as_deref().map(json).transpose()?,
                verified_by: self.verified_by,
                started_at: self.started_at,
                ended_at: self.ended_at,
                observations: self.observations,
                reactions: self.reactions,
            },
            administered_by: self.administered_by,
            identity: json(&self.identity_check)?,
            check: json(&self.check_outcome)?,
            overrides: json(&self.overrides)?,
            human_derived: self.human_derived,
            blood_donation_notice: self.blood_donation_notice,
            blood_donation_notice_version: self.blood_donation_notice_version,
            status: status(&self.status)?,
            void_reason: self.void_reason,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct VialRow {
    pub administration_id: Uuid,
    pub ordinal: i64,
    pub lot_id: Uuid,
    pub lot_number: String,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub serial: Option<String>,
    pub opened_at: Option<Ts>,
    pub volume_ul: i64,
}

/// Administrations with their vials (each list of vials in ordinal order),
/// in the order of `rows`.
pub(crate) fn assemble(
    rows: Vec<AdministrationRow>,
    mut vials: Vec<VialRow>,
) -> Result<Vec<Administration>, StoreError> {
    vials.sort_by_key(|v| (v.administration_id, v.ordinal));
    let mut by_admin: std::collections::HashMap<Uuid, Vec<VialUse>> =
        std::collections::HashMap::new();
    for v in vials {
        by_admin
            .entry(v.administration_id)
            .or_default()
            .push(VialUse {
                lot_id: v.lot_id,
                lot_number: v.lot_number,
                product_id: v.product_id,
                product_code: v.product_code,
                product_name: v.product_name,
                serial: v.serial,
                opened_at: v.opened_at,
                volume: Microlitres(v.volume_ul),
            });
    }
    rows.into_iter()
        .map(|r| {
            let vials = by_admin.remove(&r.id).unwrap_or_default();
            r.into_administration(vials)
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub version: i64,
    pub sites: Option<String>,
    pub verified_by: Option<Uuid>,
    pub started_at: Ts,
    pub ended_at: Option<Ts>,
    pub observations: Option<String>,
    pub reactions: Option<String>,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    pub created_at: Ts,
}

impl TryFrom<VersionRow> for AdministrationVersion {
    type Error = StoreError;
    fn try_from(r: VersionRow) -> Result<Self, StoreError> {
        Ok(AdministrationVersion {
            version: r.version,
            details: AdministrationDetails {
                sites: r.sites.as_deref().map(json).transpose()?,
                verified_by: r.verified_by,
                started_at: r.started_at,
                ended_at: r.ended_at,
                observations: r.observations,
                reactions: r.reactions,
            },
            reason: r.reason,
            author_id: r.author_id,
            at: r.created_at,
        })
    }
}

/// The parts of a patient's facts (JSON of `PatientFacts`) the lookback
/// lists.
#[derive(serde::Deserialize)]
struct Contact {
    name: String,
    kana: String,
    phone: String,
    #[serde(default)]
    email: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LookbackDbRow {
    pub administration_id: Uuid,
    pub status: String,
    pub started_at: Ts,
    pub route: String,
    pub plan_id: Option<Uuid>,
    pub patient_id: Uuid,
    pub patient_number: String,
    pub patient_facts: String,
    pub lot_id: Uuid,
    pub lot_number: String,
    pub product_code: String,
    pub product_name: String,
    pub serial: Option<String>,
    pub volume_ul: i64,
    pub ordinal: i64,
}

impl LookbackDbRow {
    /// The sort key of the lookback: oldest first, then by vial.
    pub(crate) fn key(&self) -> (Ts, Uuid, i64) {
        (self.started_at, self.administration_id, self.ordinal)
    }
}

impl TryFrom<LookbackDbRow> for LookbackRow {
    type Error = StoreError;
    fn try_from(r: LookbackDbRow) -> Result<Self, StoreError> {
        let c: Contact = json(&r.patient_facts)?;
        Ok(LookbackRow {
            administration_id: r.administration_id,
            status: status(&r.status)?,
            started_at: r.started_at,
            route: route(&r.route)?,
            plan_id: r.plan_id,
            patient_id: r.patient_id,
            patient_number: r.patient_number,
            patient_name: c.name,
            patient_kana: c.kana,
            phone: c.phone,
            email: c.email,
            lot_id: r.lot_id,
            lot_number: r.lot_number,
            product_code: r.product_code,
            product_name: r.product_name,
            serial: r.serial,
            volume: Microlitres(r.volume_ul),
        })
    }
}
