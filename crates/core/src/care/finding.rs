//! What the point-of-care check returns: findings, each with a stable code,
//! a severity, what it is about and the values its message needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::code_enum;
use crate::patient::screening::FindingCode;
use crate::supply::product::ProductKind;

code_enum! {
    /// How a finding weighs. The order is the order findings are listed in:
    /// blocks first, then what needs a physician, then warnings.
    pub enum Severity {
        /// Stops the dose. Nobody can override it: the cause must go away.
        Block => "block",
        /// Stops the dose unless a physician overrides it with a written
        /// reason, which becomes part of the record.
        Override => "override",
        /// Shown to the nurse; never stops the dose.
        Warning => "warning",
    }
}

code_enum! {
    /// Every finding the check can return. The code is stable: it is stored
    /// with an override, sent in the API and is the message key
    /// (`care-<code>` in `locales/*/care.ftl`). `docs/point-of-care.md`
    /// describes each one.
    pub enum CheckCode {
        // ---- blocks ----
        /// The clinic's time zone is not a known IANA zone.
        ClinicTimeZoneInvalid => "clinic_time_zone_invalid",
        /// Nothing was scanned.
        NoVialScanned => "no_vial_scanned",
        /// Nobody confirmed who the patient is.
        PatientIdentityUnconfirmed => "patient_identity_unconfirmed",
        /// The identifiers checked belong to someone else.
        PatientIdentityMismatch => "patient_identity_mismatch",
        /// No signed consent for the product kind and route.
        ConsentMissing => "consent_missing",
        /// The consent for the product kind and route was withdrawn.
        ConsentWithdrawn => "consent_withdrawn",
        /// Treatment on the day of the first explanation without the
        /// physician's written reason on the consent.
        ConsentSameDayUnjustified => "consent_same_day_unjustified",
        /// The appointment belongs to another patient.
        AppointmentOtherPatient => "appointment_other_patient",
        /// The lot is quarantined (not released).
        LotNotReleased => "lot_not_released",
        LotOnHold => "lot_on_hold",
        LotRecalled => "lot_recalled",
        LotRejected => "lot_rejected",
        /// The lot is past its expiry date on the clinic's calendar.
        LotExpired => "lot_expired",
        /// The lot has an unacknowledged temperature excursion.
        LotTemperatureExcursion => "lot_temperature_excursion",
        /// More vials of the lot scanned than the chair's location holds.
        OutOfStock => "out_of_stock",
        /// The vial was already used up.
        VialAlreadyUsed => "vial_already_used",
        /// The vial was opened longer ago than the product's in-use time.
        VialOpenTooLong => "vial_open_too_long",
        /// The same serialised vial was scanned twice.
        VialScannedTwice => "vial_scanned_twice",
        // ---- a physician may override with a written reason ----
        ScreeningMissing => "screening_missing",
        /// The latest screening waits for the physician's decision.
        ScreeningUndecided => "screening_undecided",
        /// The patient's answers changed after the screening.
        ScreeningStale => "screening_stale",
        /// The screening decision's validity period is over.
        ScreeningExpired => "screening_expired",
        ScreeningNotEligible => "screening_not_eligible",
        /// The screening flagged a possible contraindication.
        ContraindicationFlagged => "contraindication_flagged",
        PlanMissing => "plan_missing",
        /// The plan is not approved by a physician.
        PlanNotApproved => "plan_not_approved",
        RouteNotInPlan => "route_not_in_plan",
        ProductNotInPlan => "product_not_in_plan",
        /// The product's labelled routes do not include the route.
        RouteNotLabelled => "route_not_labelled",
        /// Fewer days since the last session than the plan's minimum.
        IntervalTooShort => "interval_too_short",
        // ---- warnings ----
        LotExpiresSoon => "lot_expires_soon",
        /// Treatment on the day of the first explanation, with the
        /// physician's reason recorded.
        SameDayFirstTreatment => "same_day_first_treatment",
        ScreeningWithConditions => "screening_with_conditions",
        /// A product of the plan has no scanned vial.
        PlanComponentMissing => "plan_component_missing",
        /// The volumes of a blend differ from the plan's shares.
        BlendShareMismatch => "blend_share_mismatch",
        AppointmentMissing => "appointment_missing",
        /// The appointment is on another day.
        AppointmentOtherDay => "appointment_other_day",
        /// The appointment is done, cancelled or a no-show.
        AppointmentClosed => "appointment_closed",
        /// The patient's first human-derived product: give the
        /// blood-donation notice.
        BloodDonationNotice => "blood_donation_notice",
    }
}

impl CheckCode {
    /// The fixed severity of a code.
    pub fn severity(self) -> Severity {
        use CheckCode as C;
        match self {
            C::ClinicTimeZoneInvalid
            | C::NoVialScanned
            | C::PatientIdentityUnconfirmed
            | C::PatientIdentityMismatch
            | C::ConsentMissing
            | C::ConsentWithdrawn
            | C::ConsentSameDayUnjustified
            | C::AppointmentOtherPatient
            | C::LotNotReleased
            | C::LotOnHold
            | C::LotRecalled
            | C::LotRejected
            | C::LotExpired
            | C::LotTemperatureExcursion
            | C::OutOfStock
            | C::VialAlreadyUsed
            | C::VialOpenTooLong
            | C::VialScannedTwice => Severity::Block,
            C::ScreeningMissing
            | C::ScreeningUndecided
            | C::ScreeningStale
            | C::ScreeningExpired
            | C::ScreeningNotEligible
            | C::ContraindicationFlagged
            | C::PlanMissing
            | C::PlanNotApproved
            | C::RouteNotInPlan
            | C::ProductNotInPlan
            | C::RouteNotLabelled
            | C::IntervalTooShort => Severity::Override,
            C::LotExpiresSoon
            | C::SameDayFirstTreatment
            | C::ScreeningWithConditions
            | C::PlanComponentMissing
            | C::BlendShareMismatch
            | C::AppointmentMissing
            | C::AppointmentOtherDay
            | C::AppointmentClosed
            | C::BloodDonationNotice => Severity::Warning,
        }
    }

    /// The message key: `care-<code>`.
    pub fn message_key(self) -> String {
        format!("care-{}", self.as_str())
    }
}

/// What a finding is about, when it is about one part of the facts. An
/// override names the same subject as the finding it covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// One scanned vial: its position in [`CareFacts::vials`](super::CareFacts::vials).
    Vial { index: usize },
    /// A lot, named by its product's code and its number.
    Lot {
        product_code: String,
        lot_number: String,
    },
    /// A product, by its code.
    Product { code: String },
    /// The consent needed for a product kind.
    ProductKind { product_kind: ProductKind },
    /// One finding of the screening.
    ScreeningFinding { finding: FindingCode },
}

/// One finding.
///
/// `params` are the values the message needs, as text, keyed by the
/// placeholder name used in `care.ftl`. Dates are the clinic's local
/// calendar dates (`YYYY-MM-DD`), times local `YYYY-MM-DD HH:MM`. A few
/// params hold codes for the caller to show in words: `route` and
/// `plan_route` (a [`Route`](crate::supply::product::Route), label
/// `route-<code>`), `kind` (a [`ProductKind`], label `kind-<code>`) and
/// `finding` (a screening [`FindingCode`]). The list per code is in
/// `docs/point-of-care.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: CheckCode,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl Finding {
    /// A finding of `code` with its severity.
    pub fn new(code: CheckCode, subject: Option<Subject>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            subject,
            params: BTreeMap::new(),
        }
    }

    /// Adds a message parameter.
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.insert(name.to_string(), value.to_string());
        self
    }

    /// The message key: `care-<code>`.
    pub fn message_key(&self) -> String {
        self.code.message_key()
    }

    /// The message parameters as the server's message function takes them.
    pub fn message_args(&self) -> Vec<(&str, String)> {
        self.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    }
}
