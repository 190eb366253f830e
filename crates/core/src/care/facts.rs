//! The facts the point-of-care check judges: everything is owned data,
//! gathered by the caller (the store, at the moment of the scan) and
//! serialisable, so a check can be replayed and sent over the API.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::patient::consent::{ConsentFacts, ConsentState};
use crate::patient::screening::{self, Decision, FindingCode, ScreeningFacts};
use crate::supply::lot::LotState;
use crate::supply::product::{self, CellSource, ProductFacts, ProductKind, Route};
use crate::supply::units::Microlitres;

/// Everything known at the chair when a dose is about to be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareFacts {
    /// The moment of administration.
    pub at: Timestamp,
    /// The clinic's IANA time zone (e.g. `Asia/Tokyo`). Expiry, the same-day
    /// rule, intervals and appointments are judged on the clinic's local
    /// calendar in this zone.
    pub time_zone: String,
    pub patient: CarePatient,
    /// How the nurse confirmed who the patient is.
    pub identity: IdentityCheck,
    /// The patient's latest screening, if any.
    #[serde(default)]
    pub screening: Option<CareScreening>,
    /// Every consent of the patient, signed or withdrawn. The check looks
    /// for one matching each product kind scanned and the route.
    #[serde(default)]
    pub consents: Vec<CareConsent>,
    /// The treatment plan the dose is given under, if any.
    #[serde(default)]
    pub plan: Option<CarePlan>,
    /// The appointment the dose is given at, if any.
    #[serde(default)]
    pub appointment: Option<CareAppointment>,
    /// The route the nurse is about to use.
    pub route: Route,
    /// The vials scanned, in scan order (a blend has several).
    #[serde(default)]
    pub vials: Vec<ScannedVial>,
}

/// The patient at the chair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePatient {
    pub id: Uuid,
    /// The clinic's patient number (診察券番号).
    pub number: String,
    /// The patient has already received a human-derived product (and was
    /// then given the blood-donation notice).
    #[serde(default)]
    pub received_human_derived: bool,
}

/// How the patient's identity was confirmed: two identifiers, or the
/// patient's card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum IdentityCheck {
    /// Not confirmed.
    Unconfirmed,
    /// The patient said their full name and date of birth; each flag says
    /// whether it matched the record (`false`: it did not).
    NameAndBirthDate {
        name_matched: bool,
        birth_date_matched: bool,
    },
    /// The patient's card was scanned; the patient number read from it.
    PatientCard { patient_number: String },
}

/// The patient's latest screening, as it stands at the moment of the dose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareScreening {
    /// The physician's decision; `None` while it is awaited.
    pub decision: Option<Decision>,
    /// When the decision stops being valid ([`screening::valid_until`]).
    #[serde(default)]
    pub valid_until: Option<Timestamp>,
    /// The patient's answers changed after this screening.
    #[serde(default)]
    pub stale: bool,
    /// The physician's conditions, for `eligible_with_conditions`.
    #[serde(default)]
    pub conditions: Option<String>,
    /// Findings flagged as possible contraindications: every finding of
    /// the eight items the seed names as reasons to withhold treatment
    /// ([`is_contraindication`]).
    #[serde(default)]
    pub contraindications: Vec<FindingCode>,
}

impl CareScreening {
    /// Builds the check's view of a stored screening: stale when the
    /// patient's latest answers have another fingerprint, the decision and
    /// its validity, and every contraindication found
    /// ([`is_contraindication`]) — none is cleared by the decision: each
    /// reaches the chair, where a physician overrides it with a reason.
    pub fn from_screening(
        s: &ScreeningFacts,
        latest_fingerprint: &str,
        findings: &[screening::Finding],
        conditions: Option<String>,
    ) -> Self {
        let mut contraindications: Vec<FindingCode> = Vec::new();
        for f in findings.iter().filter(|f| is_contraindication(f.code)) {
            if !contraindications.contains(&f.code) {
                contraindications.push(f.code);
            }
        }
        CareScreening {
            decision: s.decided.map(|(d, _, _)| d),
            valid_until: s
                .decided
                .map(|(_, at, days)| screening::valid_until(at, days)),
            stale: s.answers_fingerprint != latest_fingerprint,
            conditions,
            contraindications,
        }
    }
}

/// Whether a screening finding is one of the eight items the seed names as
/// reasons the physician may withhold treatment (domain.md §5.2): disease
/// under treatment, allergic disease, drug allergy, pregnancy (also
/// possible), breastfeeding, autoimmune disease, immunosuppressive therapy
/// and malignancy under treatment, whatever the screening's severity. The
/// other findings (past reactions to an injection and allergies on the
/// record: "consult the physician"; medicines and blood donation: notices)
/// are for the screening physician and do not stop a dose at the chair.
pub fn is_contraindication(code: FindingCode) -> bool {
    use FindingCode as F;
    match code {
        F::DiseaseUnderTreatment
        | F::AllergicDisease
        | F::DrugAllergy
        | F::Pregnancy
        | F::PregnancyPossible
        | F::Breastfeeding
        | F::AutoimmuneDisease
        | F::ImmunosuppressiveTherapy
        | F::MalignancyUnderTreatment => true,
        F::InjectionReactionHistory
        | F::CurrentMedications
        | F::BloodDonor
        | F::RecordedAllergy
        | F::RecordedSevereAllergy => false,
    }
}

/// One of the patient's consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareConsent {
    /// The product kind and route of its template.
    pub product_kind: ProductKind,
    pub route: Route,
    pub state: ConsentState,
    /// The first explanation of this template to the patient (for the
    /// same-day rule).
    pub first_explained_at: Timestamp,
    /// The physician's written reason for treating on the day of the first
    /// explanation, if recorded.
    #[serde(default)]
    pub same_day_reason: Option<String>,
}

impl CareConsent {
    /// The facts [`crate::patient::consent::treatment_allowed`] judges.
    pub fn consent_facts(&self) -> ConsentFacts {
        ConsentFacts {
            state: self.state,
            first_explained_at: self.first_explained_at,
            same_day_reason: self.same_day_reason.clone(),
        }
    }
}

/// The treatment plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlan {
    /// Approved (signed) by a physician.
    pub approved: bool,
    pub route: Route,
    /// The products; several for a blend, each with its share.
    pub components: Vec<PlanComponent>,
    /// The protocol's shortest interval between sessions, in days.
    pub min_interval_days: u32,
    /// The clinic-local date of the last administration under this plan.
    #[serde(default)]
    pub last_administered_on: Option<Date>,
}

/// One product of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanComponent {
    pub product_code: String,
    /// Its share of the dose, in percent (the shares of a plan add up to
    /// 100; the check compares shares relative to their sum).
    pub share_percent: u32,
}

/// Where an appointment stands: the one status of the plans and
/// appointments area, used here as it is.
pub use crate::plan::appointment::AppointmentStatus;

/// The appointment the dose is given at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareAppointment {
    pub patient_id: Uuid,
    pub starts_at: Timestamp,
    pub status: AppointmentStatus,
}

/// One scanned vial, with its product, its lot and the stock it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedVial {
    pub product: VialProduct,
    pub lot: VialLot,
    /// The vial's serial number, when it has one.
    #[serde(default)]
    pub serial: Option<String>,
    /// When the vial was opened or thawed, if it was.
    #[serde(default)]
    pub opened_at: Option<Timestamp>,
    /// The vial was already used up (recorded in an earlier administration).
    #[serde(default)]
    pub already_used: bool,
    /// Vials of this lot on hand at the chair's location now, from the
    /// stock ledger (an opened vial not yet recorded as used still counts).
    pub on_hand: i64,
    /// The volume to take from this vial, when known (used to compare a
    /// blend with the plan's shares).
    #[serde(default)]
    pub volume: Option<Microlitres>,
}

/// What the check needs to know of a vial's product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VialProduct {
    pub code: String,
    pub kind: ProductKind,
    /// The cells or tissue it is made from (decides whether it is
    /// human-derived).
    pub sources: Vec<CellSource>,
    /// The routes on its label.
    pub routes: Vec<Route>,
    /// Minutes a vial may be used after thawing or opening.
    pub in_use_minutes: u32,
}

impl From<&ProductFacts> for VialProduct {
    fn from(p: &ProductFacts) -> Self {
        VialProduct {
            code: p.code.clone(),
            kind: p.kind,
            sources: p.sources.clone(),
            routes: p.routes.clone(),
            in_use_minutes: p.in_use_minutes,
        }
    }
}

impl VialProduct {
    /// Made from human cells or tissue (what the blood-donation notice is
    /// about): [`product::human_derived`] from its kind and sources.
    pub fn human_derived(&self) -> bool {
        product::human_derived(self.kind, &self.sources)
    }

    /// A consent is asked for the clinic's own preparations (conditioned
    /// medium, exosome preparation): the consent templates are per such
    /// kind.
    pub fn needs_consent(&self) -> bool {
        self.kind != ProductKind::Other
    }
}

/// What the check needs to know of a vial's lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VialLot {
    pub number: String,
    pub state: LotState,
    /// The expiry date: usable until the end of that day, local time, unless
    /// `expiry_time` is given.
    pub expiry: Date,
    /// The expiry time on that date ((7003), ISBT 128 005), local time: the
    /// lot is expired from that minute. `None`: usable all the expiry day.
    #[serde(default)]
    pub expiry_time: Option<jiff::civil::Time>,
    /// Temperature excursions not yet acknowledged (each holds the lot).
    #[serde(default)]
    pub open_excursions: u32,
    /// Warn when fewer than this many days are left before expiry
    /// (0: never warn).
    #[serde(default)]
    pub expires_soon_days: u32,
}
