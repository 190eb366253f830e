//! Point-of-care use cases, shared by the JSON API, the chair-side page and
//! the CLI: gathering the facts of a dose from the records and the scans,
//! the check, recording the dose (the check again, the overrides, then the
//! store's transaction), corrections and voids, and the lookback both ways.
//!
//! The facts are read from the database at the moment of the request; the
//! check is `jousei_core::care::check`. The store re-reads what other people
//! can change at the same moment (lot states, excursions, stock, serials)
//! inside the recording transaction.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jousei_core::care::{
    self, CareAppointment, CareConsent, CareFacts, CarePatient, CarePlan, CareScreening,
    CheckOutcome, Finding, IdentityCheck, Override, PlanComponent, ScannedVial, Subject, VialLot,
    VialProduct,
};
use jousei_core::error::FieldError;
use jousei_core::locale::Locale;
use jousei_core::patient::registry::KanaName;
use jousei_core::patient::screening;
use jousei_core::plan::InjectionSites;
use jousei_core::role::Permission;
use jousei_core::supply::product::Route;
use jousei_core::supply::units::Microlitres;
use jousei_store::Ts;
use jousei_store::care::{
    Administration, AdministrationDetails, AdministrationVersion, LookbackRow, NewAdministration,
    NewVialUse,
};
use jousei_store::patient::Patient;
use jousei_store::plan::Plan;
use jousei_store::supply::{Lot, Product};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ErrorKind;
use crate::error::{ServiceError, SubError};
use crate::patients::note_read;
use crate::supply::clinic_today;

/// Warn at the chair when fewer days than this are left before a lot's
/// expiry.
pub const EXPIRES_SOON_DAYS: u32 = 30;

/// jousei's default notice given with a patient's first human-derived
/// product (regulatory.md §8), until the clinic sets its own (version 0).
pub const BLOOD_DONATION_NOTICE_JA: &str = "ヒト由来の細胞を用いて製造された製品（幹細胞培養上清液・エクソソーム製剤）の投与を受けました。献血の際は、問診でこの施術を受けたことを必ず申告してください。";
/// The English of [`BLOOD_DONATION_NOTICE_JA`].
pub const BLOOD_DONATION_NOTICE_EN: &str = "You have received a product made from human cells (stem-cell conditioned medium or exosome preparation). When you donate blood, always tell the interviewing staff that you had this treatment.";
/// Longest notice text, in characters.
pub const BLOOD_DONATION_NOTICE_MAX: usize = 2000;

/// The clinic's blood-donation notice as it stands: its own latest version,
/// or jousei's default (version 0).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BloodDonationNotice {
    /// 1, 2, … for the clinic's own text; 0 for jousei's default.
    pub version: i64,
    pub ja: String,
    pub en: String,
    /// Who set it and when (none for the default).
    pub set_by: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    pub set_at: Option<Timestamp>,
}

impl BloodDonationNotice {
    /// The text in `locale`.
    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }
}

/// A new text of the clinic's blood-donation notice, both languages.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BloodDonationNoticeIn {
    /// Japanese (at most 2000 characters).
    pub ja: String,
    /// English (at most 2000 characters).
    pub en: String,
}

/// The clinic's notice as it stands (anyone who may give doses or manage
/// settings reads it).
pub async fn blood_donation_notice(
    svc: &Service,
    p: &Principal,
) -> Result<BloodDonationNotice, ServiceError> {
    if !p.can(Permission::ManageSettings) {
        p.require(Permission::Administer)?;
    }
    Ok(current_notice(svc, p.clinic.id).await?)
}

async fn current_notice(
    svc: &Service,
    clinic: Uuid,
) -> Result<BloodDonationNotice, jousei_store::StoreError> {
    Ok(match svc.store.blood_donation_notice(clinic).await? {
        Some(n) => BloodDonationNotice {
            version: n.version,
            ja: n.ja,
            en: n.en,
            set_by: n.set_by,
            set_at: Some(n.set_at.0),
        },
        None => BloodDonationNotice {
            version: 0,
            ja: BLOOD_DONATION_NOTICE_JA.to_string(),
            en: BLOOD_DONATION_NOTICE_EN.to_string(),
            set_by: None,
            set_at: None,
        },
    })
}

/// Sets the clinic's notice (admins: `ManageSettings`): both languages are
/// required, at most 2000 characters, no control characters but line
/// breaks and tabs. A new version; doses keep the version they were given.
pub async fn set_blood_donation_notice(
    svc: &Service,
    p: &Principal,
    input: &BloodDonationNoticeIn,
) -> Result<BloodDonationNotice, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let mut errs = Vec::new();
    let mut text = |raw: &str, field: &'static str| {
        jousei_core::patient::required_text(raw, field, BLOOD_DONATION_NOTICE_MAX)
            .map_err(|e| errs.push(e))
            .ok()
    };
    let (ja, en) = (text(&input.ja, "notice_ja"), text(&input.en, "notice_en"));
    let (Some(ja), Some(en)) = (ja, en) else {
        return Err(ServiceError::fields(errs));
    };
    let n = svc
        .store
        .set_blood_donation_notice(&p.actor(), p.clinic.id, &ja, &en)
        .await?;
    Ok(BloodDonationNotice {
        version: n.version,
        ja: n.ja,
        en: n.en,
        set_by: n.set_by,
        set_at: Some(n.set_at.0),
    })
}

// ---------------------------------------------------------------------------------------------
// Input

/// How the nurse confirmed who the patient is.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityIn {
    /// `name_and_birth_date` or `patient_card`.
    pub method: String,
    /// What the patient said: the full name (kanji or kana).
    pub name: Option<String>,
    /// What the patient said: YYYY-MM-DD.
    pub birth_date: Option<String>,
    /// The patient number read from the card.
    pub card: Option<String>,
}

/// One vial at the chair: a scan of its label, or its lot chosen by id.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VialIn {
    /// The GS1 barcode as the scanner sent it.
    pub scan: Option<String>,
    /// The lot, when not scanned.
    pub lot_id: Option<String>,
    /// The vial's serial (taken from the scan's (21) when scanned).
    pub serial: Option<String>,
    /// When it was thawed or opened: RFC 3339, or local `YYYY-MM-DDTHH:MM`.
    pub opened_at: Option<String>,
    /// The volume to take from it, mL (up to 3 decimals).
    pub volume_ml: Option<String>,
}

/// The facts of a dose about to be given.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CareIn {
    pub patient_id: String,
    pub identity: IdentityIn,
    pub plan_id: Option<String>,
    pub appointment_id: Option<String>,
    /// iv_drip, knee_joint_injection, skin_injection, nasal, inhalation,
    /// topical_device
    pub route: String,
    /// The stock location the vials come from.
    pub location_id: String,
    pub vials: Vec<VialIn>,
}

/// A physician's decision to go ahead despite one overridable finding.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OverrideIn {
    /// The finding's code.
    pub code: String,
    /// The finding's subject, as the check returned it (none for most).
    #[schema(value_type = Option<Object>)]
    pub subject: Option<serde_json::Value>,
    pub reason: String,
}

/// A dose to record.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RecordIn {
    pub care: CareIn,
    pub overrides: Vec<OverrideIn>,
    /// When the overrides are decided by a physician other than the person
    /// recording: that physician's login and password (a co-signature).
    pub physician_login: Option<String>,
    pub physician_password: Option<String>,
    /// The second person who checked the patient and the vials.
    pub verified_by: Option<Uuid>,
    /// Skin and knee injections: number of sites and the areas.
    pub site_count: Option<String>,
    pub site_areas: Vec<String>,
    /// RFC 3339 or local `YYYY-MM-DDTHH:MM`; default now.
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub observations: Option<String>,
    /// Immediate reactions observed.
    pub reactions: Option<String>,
    /// The blood-donation notice was given (required for the patient's
    /// first human-derived product).
    pub blood_donation_notice_given: bool,
}

// ---------------------------------------------------------------------------------------------
// Gathering the facts

/// One vial as resolved from the input.
#[derive(Debug, Clone)]
pub struct ResolvedVial {
    pub lot: Lot,
    pub product: Product,
    pub serial: Option<String>,
    pub opened_at: Option<Ts>,
    pub volume: Option<Microlitres>,
}

/// Everything gathered for a check.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub facts: CareFacts,
    pub patient: Patient,
    pub plan: Option<Plan>,
    pub appointment_id: Option<Uuid>,
    pub location_id: Uuid,
    pub vials: Vec<ResolvedVial>,
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn uuid_field(raw: &str, field: &'static str, code: &'static str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(raw.trim()).map_err(|_| FieldError::new(field, code))
}

/// An instant typed as RFC 3339, or as a local `YYYY-MM-DDTHH:MM` in the
/// clinic's zone.
pub fn parse_instant(raw: &str, p: &Principal, field: &'static str) -> Result<Ts, FieldError> {
    let s = raw.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(Ts::from(t));
    }
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(crate::plans::clinic_tz(p)).ok())
        .map(|z| Ts::from(z.timestamp()))
        .ok_or_else(|| FieldError::new(field, "datetime_invalid"))
}

fn name_key(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn identity_of(input: &IdentityIn, patient: &Patient) -> Result<IdentityCheck, FieldError> {
    match input.method.trim() {
        "name_and_birth_date" => {
            let (Some(name), Some(birth)) = (opt(&input.name), opt(&input.birth_date)) else {
                return Ok(IdentityCheck::Unconfirmed);
            };
            let said = name_key(name);
            let kana_match = KanaName::parse(name, "identity")
                .is_ok_and(|k| k.key() == patient.facts.kana.key());
            Ok(IdentityCheck::NameAndBirthDate {
                name_matched: said == name_key(&patient.facts.name) || kana_match,
                birth_date_matched: birth.parse::<Date>().ok() == Some(patient.facts.birth_date),
            })
        }
        "patient_card" => Ok(IdentityCheck::PatientCard {
            patient_number: input.card.clone().unwrap_or_default(),
        }),
        "" | "unconfirmed" => Ok(IdentityCheck::Unconfirmed),
        _ => Err(FieldError::new("identity", "identity_method_unknown")),
    }
}

async fn resolve_vial(
    svc: &Service,
    p: &Principal,
    lots: &[Lot],
    v: &VialIn,
    today: Date,
) -> Result<ResolvedVial, &'static str> {
    let mut serial = opt(&v.serial).map(str::to_string);
    let lot = if let Some(raw) = opt(&v.scan) {
        let s = jousei_core::barcode::parse_scan(raw, today).map_err(|_| "care_scan_invalid")?;
        // GTIN, jousei's internal id or ISBT 128 product code; the lot is (10) or the DIN.
        let product = crate::supply::product_of_scan(svc, p.clinic.id, &s)
            .await
            .map_err(|_| "care_scan_unknown")?
            .ok_or("care_scan_unknown")?;
        let number = s
            .lot_number()
            .map(str::to_string)
            .ok_or("care_scan_no_lot")?;
        if serial.is_none() {
            serial = s.serial.clone();
        }
        lots.iter()
            .find(|l| l.product_id == product.id && l.lot_number == number)
            .cloned()
            .ok_or("care_lot_unknown")?
    } else if let Some(id) = opt(&v.lot_id) {
        let id = Uuid::parse_str(id).map_err(|_| "care_lot_unknown")?;
        lots.iter()
            .find(|l| l.id == id)
            .cloned()
            .ok_or("care_lot_unknown")?
    } else {
        return Err("care_vial_empty");
    };
    let product = svc
        .store
        .product(p.clinic.id, lot.product_id)
        .await
        .map_err(|_| "care_lot_unknown")?
        .ok_or("care_lot_unknown")?;
    let opened_at = match opt(&v.opened_at) {
        Some(raw) => {
            Some(parse_instant(raw, p, "opened_at").map_err(|_| "care_opened_at_invalid")?)
        }
        None => None,
    };
    let volume = match opt(&v.volume_ml) {
        Some(raw) => Some(
            Microlitres::parse_ml(raw, "volume_ml")
                .ok()
                .filter(|m| m.0 > 0)
                .ok_or("care_volume_invalid")?,
        ),
        None => None,
    };
    Ok(ResolvedVial {
        lot,
        product,
        serial,
        opened_at,
        volume,
    })
}

/// Reads everything the check needs. Input that names nothing known is a
/// 422 listing every problem (vials by position).
pub async fn gather(
    svc: &Service,
    p: &Principal,
    input: &CareIn,
    at: Ts,
) -> Result<Gathered, ServiceError> {
    match gather_facts(svc, p, input, at).await? {
        Gathering::Ready(g) => Ok(*g),
        Gathering::Incomplete { error, .. } => Err(error),
    }
}

/// What gathering the facts found: everything the check needs, or what is
/// missing (a 422 listing every problem) with the blocks of the lots that
/// were scanned, which the chair shows at once whatever else is missing.
#[derive(Debug)]
pub enum Gathering {
    Ready(Box<Gathered>),
    Incomplete {
        error: ServiceError,
        lot_blocks: Vec<Finding>,
    },
}

/// Gathers the facts, or says what is missing together with the scanned
/// lots' own blocks (recalled, expired, on hold, not released, rejected, an
/// open temperature excursion), from the vials already resolved: nothing is
/// read twice. Vials that name nothing known are left out of the blocks
/// (they are named in the error).
pub async fn gather_facts(
    svc: &Service,
    p: &Principal,
    input: &CareIn,
    at: Ts,
) -> Result<Gathering, ServiceError> {
    p.require(Permission::Administer)?;
    let clinic = p.clinic.id;
    let mut errs: Vec<SubError> = Vec::new();
    let field = |f: FieldError| SubError {
        field: Some(f.field),
        ..SubError::new(f.code)
    };
    let patient = match uuid_field(&input.patient_id, "patient_id", "care_patient_unknown") {
        Ok(id) => svc.store.patient(clinic, id).await?,
        Err(_) => None,
    };
    if patient.is_none() {
        errs.push(field(FieldError::new("patient_id", "care_patient_unknown")));
    }
    let route = Route::parse(input.route.trim());
    if route.is_none() {
        errs.push(field(FieldError::new("route", "plan_route_invalid")));
    }
    let location = match Uuid::parse_str(input.location_id.trim()) {
        Ok(id) => svc
            .store
            .locations(clinic)
            .await?
            .into_iter()
            .find(|l| l.id == id),
        Err(_) => None,
    };
    if location.is_none() {
        errs.push(field(FieldError::new(
            "location_id",
            "care_location_unknown",
        )));
    }
    let plan = match opt(&input.plan_id) {
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(id) => svc.store.plan(clinic, id).await?,
                Err(_) => None,
            };
            let ok = found
                .as_ref()
                .is_some_and(|pl| Some(pl.patient_id) == patient.as_ref().map(|p| p.id));
            if !ok {
                errs.push(field(FieldError::new("plan_id", "care_plan_unknown")));
            }
            found.filter(|_| ok)
        }
        None => None,
    };
    let appointment = match opt(&input.appointment_id) {
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(id) => svc.store.appointment(clinic, id).await?,
                Err(_) => None,
            };
            if found.is_none() {
                errs.push(field(FieldError::new(
                    "appointment_id",
                    "care_appointment_unknown",
                )));
            }
            found
        }
        None => None,
    };
    let today = clinic_today(p);
    let lots = svc.store.lots(clinic).await?;
    let mut vials = Vec::new();
    for (i, v) in input.vials.iter().enumerate() {
        match resolve_vial(svc, p, &lots, v, today).await {
            Ok(r) => vials.push(r),
            Err(code) => {
                let mut s = SubError::new(code);
                s.field = Some("vial_scan");
                s.args = vec![("position", (i + 1).to_string())];
                errs.push(s);
            }
        }
    }
    let identity = match &patient {
        Some(pt) => match identity_of(&input.identity, pt) {
            Ok(i) => Some(i),
            Err(f) => {
                errs.push(field(f));
                None
            }
        },
        None => None,
    };
    let (Some(patient), Some(route), Some(location), Some(identity)) =
        (patient, route, location, identity)
    else {
        return incomplete(svc, p, errs, &vials).await;
    };
    if !errs.is_empty() {
        return incomplete(svc, p, errs, &vials).await;
    }

    // The patient's records.
    let screenings = svc.store.screenings(clinic, patient.id).await?;
    let latest = svc
        .store
        .questionnaire_responses(clinic, patient.id)
        .await?
        .into_iter()
        .next()
        .map(|r| r.fingerprint)
        .unwrap_or_default();
    let screening = screenings.first().map(|s| {
        let facts = screening::ScreeningFacts {
            answers_fingerprint: s.answers_fingerprint.clone(),
            decided: s
                .decision
                .as_ref()
                .map(|d| (d.facts.decision, d.decided_at.0, d.facts.valid_days)),
        };
        CareScreening::from_screening(
            &facts,
            &latest,
            &s.findings,
            s.decision.as_ref().and_then(|d| d.facts.conditions.clone()),
        )
    });
    let templates: HashMap<Uuid, _> = svc
        .store
        .consent_templates(clinic)
        .await?
        .into_iter()
        .map(|t| (t.id, t.body))
        .collect();
    let consents = svc
        .store
        .consents(clinic, patient.id)
        .await?
        .into_iter()
        .filter_map(|c| {
            let body = templates.get(&c.template_id)?;
            Some(CareConsent {
                product_kind: body.product_kind,
                route: body.route,
                state: c.state,
                first_explained_at: c.first_explained_at.0,
                same_day_reason: c.same_day_reason.clone(),
            })
        })
        .collect();
    let care_plan = match &plan {
        Some(pl) => {
            let last = svc.store.last_administration_of_plan(clinic, pl.id).await?;
            let tz = crate::plans::clinic_tz(p);
            Some(care_plan(pl, last, &tz))
        }
        None => None,
    };
    // Stock at the chair's location, serials already used, excursions.
    let stock = svc.store.stock(clinic).await?;
    let mut scanned = Vec::new();
    for v in &vials {
        let on_hand = stock
            .iter()
            .filter(|s| s.lot.id == v.lot.id && s.location_id == location.id)
            .map(|s| s.vials)
            .sum();
        let already_used = match &v.serial {
            Some(sr) => !svc
                .store
                .used_serials(clinic, v.lot.id, std::slice::from_ref(sr))
                .await?
                .is_empty(),
            None => false,
        };
        let (product, lot) = vial_facts(svc, clinic, v).await?;
        scanned.push(ScannedVial {
            product,
            lot,
            serial: v.serial.clone(),
            opened_at: v.opened_at.map(|t| t.0),
            already_used,
            on_hand,
            volume: v.volume,
        });
    }
    let facts = CareFacts {
        at: at.0,
        time_zone: p.clinic.time_zone.clone(),
        patient: CarePatient {
            id: patient.id,
            number: patient.number.clone(),
            received_human_derived: svc.store.received_human_derived(clinic, patient.id).await?,
        },
        identity,
        screening,
        consents,
        plan: care_plan,
        appointment: appointment.as_ref().map(|a| CareAppointment {
            patient_id: a.patient_id,
            starts_at: a.starts_at.0,
            status: a.status,
        }),
        route,
        vials: scanned,
    };
    Ok(Gathering::Ready(Box::new(Gathered {
        facts,
        patient,
        plan,
        appointment_id: appointment.map(|a| a.id),
        location_id: location.id,
        vials,
    })))
}

/// What the check knows of a resolved vial's product and lot (with the
/// lot's unacknowledged excursions).
async fn vial_facts(
    svc: &Service,
    clinic: Uuid,
    v: &ResolvedVial,
) -> Result<(VialProduct, VialLot), ServiceError> {
    let open = svc.store.open_excursions_of_lot(clinic, v.lot.id).await?;
    Ok((
        VialProduct::from(&v.product.facts),
        VialLot {
            number: v.lot.lot_number.clone(),
            state: v.lot.state,
            expiry: v.lot.expiry,
            expiry_time: v.lot.expiry_time,
            open_excursions: u32::try_from(open).unwrap_or(u32::MAX),
            expires_soon_days: EXPIRES_SOON_DAYS,
        },
    ))
}

/// An incomplete gathering: the problems, and the blocks of the lots of
/// the vials resolved so far (nothing of a patient is read).
async fn incomplete(
    svc: &Service,
    p: &Principal,
    errs: Vec<SubError>,
    vials: &[ResolvedVial],
) -> Result<Gathering, ServiceError> {
    let mut scanned = Vec::new();
    for v in vials {
        let (product, lot) = vial_facts(svc, p.clinic.id, v).await?;
        scanned.push(ScannedVial {
            product,
            lot,
            serial: v.serial.clone(),
            opened_at: None,
            already_used: false,
            on_hand: 0,
            volume: None,
        });
    }
    Ok(Gathering::Incomplete {
        error: invalid(errs),
        lot_blocks: care::lot_blocks(&scanned, svc.now_ts().0, &p.clinic.time_zone),
    })
}

fn invalid(errs: Vec<SubError>) -> ServiceError {
    let code = errs.first().map(|e| e.code).unwrap_or("validation_failed");
    let mut e = ServiceError::many(ErrorKind::Invalid, code, errs);
    if e.errors.len() == 1 {
        e.field = e.errors[0].field;
        e.args = e.errors[0].args.clone();
    }
    e
}

/// What the point-of-care check needs of a plan: whether it stands
/// approved, its route, its blend, the shortest interval of its protocol and
/// the clinic day of its last dose (`last`, in the clinic's zone `tz`). The
/// one place a [`CarePlan`] is made (the chair and the demo both use it).
pub fn care_plan(pl: &Plan, last: Option<Ts>, tz: &jiff::tz::TimeZone) -> CarePlan {
    CarePlan {
        approved: pl.is_approved(),
        route: pl.facts.route,
        components: pl
            .facts
            .components
            .iter()
            .map(|c| PlanComponent {
                product_code: c.product_code.clone(),
                share_percent: u32::from(c.share_percent),
            })
            .collect(),
        min_interval_days: pl
            .facts
            .protocol
            .phases
            .iter()
            .map(|ph| ph.interval.min_days)
            .min()
            .map(|d| u32::try_from(d).unwrap_or(0))
            .unwrap_or(0),
        last_administered_on: last.map(|t| crate::plans::local_date(t, tz)),
    }
}

// ---------------------------------------------------------------------------------------------
// The check

/// The check's facts and outcome, for the server to show (with each
/// finding's message in the reader's language: `jousei_server::care::view`).
#[derive(Debug, Clone)]
pub struct Checked {
    pub gathered: Gathered,
    pub outcome: CheckOutcome,
}

/// Runs the check now (nothing is written; the read is audited).
pub async fn check(svc: &Service, p: &Principal, input: &CareIn) -> Result<Checked, ServiceError> {
    let g = match gather_facts(svc, p, input, svc.now_ts()).await? {
        Gathering::Ready(g) => *g,
        // A scanned lot's own blocks are named at once, whatever else is
        // still missing (as at the chair): each as `check_blocked` with
        // the finding, its subject and its message.
        Gathering::Incomplete {
            mut error,
            lot_blocks,
        } => {
            for f in lot_blocks {
                let mut s = SubError::new("check_blocked");
                describe_finding(&mut s, f.code.as_str(), f.subject.as_ref(), Some(&f));
                s.finding = Some(f);
                error.errors.push(s);
            }
            return Err(error);
        }
    };
    note_read(svc, p, g.patient.id, "care_check").await?;
    let out = care::check(&g.facts);
    Ok(Checked {
        gathered: g,
        outcome: out,
    })
}

/// The patient at the chair and their plans (part `chair`). The chair page
/// shows the patient's name, number and plans, so this read passes the
/// permission check and leaves its audit entry like every other read of a
/// patient.
pub async fn chair_patient(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Option<(Patient, Vec<Plan>)>, ServiceError> {
    p.require(Permission::Administer)?;
    let Some(patient) = svc.store.patient(p.clinic.id, patient_id).await? else {
        return Ok(None);
    };
    let plans = svc.store.plans_of_patient(p.clinic.id, patient_id).await?;
    note_read(svc, p, patient_id, "chair").await?;
    Ok(Some((patient, plans)))
}

// ---------------------------------------------------------------------------------------------
// Recording

/// Who decides the overrides: the person recording when a physician, else
/// the physician who co-signs with their login and password.
async fn override_physician(
    svc: &Service,
    p: &Principal,
    input: &RecordIn,
) -> Result<Uuid, ServiceError> {
    if p.can(Permission::Override) {
        return Ok(p.user.id);
    }
    let (Some(login), Some(password)) =
        (opt(&input.physician_login), opt(&input.physician_password))
    else {
        return Err(
            ServiceError::new(ErrorKind::Forbidden, "override_physician_required")
                .with_field("physician_login"),
        );
    };
    let refused = || {
        ServiceError::new(ErrorKind::Forbidden, "override_physician_invalid")
            .with_field("physician_login")
    };
    let checked = crate::throttle::check_password(
        svc,
        crate::throttle::Purpose::OverrideCosign,
        login,
        "physician_login",
        password,
        Some(p.clinic.id),
    )
    .await?;
    let Some(creds) = checked else {
        return Err(refused());
    };
    let grants = svc.store.grants_of_user(creds.user.id).await?;
    let physician_here = creds.user.active
        && grants
            .iter()
            .any(|g| g.clinic.id == p.clinic.id && g.role.permits(Permission::Override));
    if !physician_here {
        return Err(refused());
    }
    Ok(creds.user.id)
}

/// Why a dose cannot be recorded: 409 `care_refused` with every refusal,
/// each with the finding's code, its subject (the lot, the vial, …), its
/// values and its message (`message`, inside the item's `detail`), and for
/// an override's problem its position in the list given.
fn refused(outcome: &CheckOutcome, r: &[care::Refusal]) -> ServiceError {
    let errors = r
        .iter()
        .map(|x| {
            let finding = outcome
                .findings
                .iter()
                .find(|f| f.code == x.finding && f.subject == x.subject);
            let mut s = SubError::new(x.code.as_str());
            match finding {
                // The finding's own message, rendered where it is shown.
                Some(f) => s.finding = Some(f.clone()),
                None => s.args = vec![("message", x.finding.as_str().to_string())],
            }
            describe_finding(&mut s, x.finding.as_str(), x.subject.as_ref(), finding);
            if let Some(i) = x.override_index {
                s.data.insert("override_index".into(), i.into());
            }
            s
        })
        .collect();
    ServiceError::many(ErrorKind::Conflict, "care_refused", errors)
}

/// A problem item's machine-readable part: the finding's code, its
/// subject (the lot, the vial, …) and its values.
fn describe_finding(
    s: &mut SubError,
    code: &str,
    subject: Option<&Subject>,
    finding: Option<&Finding>,
) {
    s.data.insert("finding".into(), code.into());
    if let Some(subject) = subject
        && let Ok(v) = serde_json::to_value(subject)
    {
        s.data.insert("subject".into(), v);
    }
    if let Some(f) = finding
        && let Ok(v) = serde_json::to_value(&f.params)
    {
        s.data.insert("params".into(), v);
    }
}

fn sites_of(input: &RecordIn) -> Result<Option<InjectionSites>, FieldError> {
    match opt(&input.site_count) {
        None => Ok(None),
        Some(raw) => {
            let count = raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| FieldError::new("site_count", "plan_sites_required"))?;
            Ok(Some(InjectionSites {
                count,
                areas: input
                    .site_areas
                    .iter()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect(),
            }))
        }
    }
}

fn text(raw: &Option<String>, field: &'static str) -> Result<Option<String>, FieldError> {
    match opt(raw) {
        Some(s) if s.chars().count() > 4000 => Err(FieldError::new(field, "field_too_long")),
        Some(s) => Ok(Some(s.to_string())),
        None => Ok(None),
    }
}

/// Records a dose: the facts are gathered and checked again now, the
/// overrides must cover every overridable finding (decided by a physician
/// with a written reason), then the store's transaction takes the vials
/// out of stock and writes the record and its audit entry.
pub async fn record(
    svc: &Service,
    p: &Principal,
    locale: Locale,
    input: &RecordIn,
) -> Result<Administration, ServiceError> {
    p.require(Permission::Administer)?;
    let now = svc.now_ts();
    let mut ferrs = Vec::new();
    let started_at = match opt(&input.started_at) {
        Some(raw) => parse_instant(raw, p, "started_at")
            .map_err(|e| ferrs.push(e))
            .ok(),
        None => Some(now),
    };
    let ended_at = match opt(&input.ended_at) {
        Some(raw) => parse_instant(raw, p, "ended_at")
            .map_err(|e| ferrs.push(e))
            .ok(),
        None => None,
    };
    if let (Some(s), Some(e)) = (started_at, ended_at)
        && e.0 < s.0
    {
        ferrs.push(FieldError::new("ended_at", "care_end_before_start"));
    }
    if started_at.is_some_and(|s| s.0 > now.0) {
        ferrs.push(FieldError::new("started_at", "care_start_in_future"));
    }
    let sites = sites_of(input).map_err(|e| ferrs.push(e)).ok().flatten();
    let observations = text(&input.observations, "observations")
        .map_err(|e| ferrs.push(e))
        .ok()
        .flatten();
    let reactions = text(&input.reactions, "reactions")
        .map_err(|e| ferrs.push(e))
        .ok()
        .flatten();
    if let Some(v) = input.verified_by {
        let known = svc
            .store
            .users_in_clinic(p.clinic.id)
            .await?
            .iter()
            .any(|(u, _)| u.id == v);
        if !known {
            ferrs.push(FieldError::new("verified_by", "care_verifier_unknown"));
        } else if v == p.user.id {
            ferrs.push(FieldError::new("verified_by", "care_verifier_is_recorder"));
        }
    }
    if !ferrs.is_empty() {
        return Err(ServiceError::fields(ferrs));
    }
    let started_at = started_at.unwrap_or(now);
    let g = gather(svc, p, &input.care, started_at).await?;
    if g.vials.iter().any(|v| v.volume.is_none()) {
        return Err(ServiceError::fields(vec![FieldError::new(
            "volume_ml",
            "care_volume_required",
        )]));
    }
    let outcome = care::check(&g.facts);
    let physician = if input.overrides.is_empty() {
        p.user.id
    } else {
        override_physician(svc, p, input).await?
    };
    let mut overrides = Vec::new();
    for o in &input.overrides {
        let Some(code) = care::CheckCode::parse(o.code.trim()) else {
            return Err(
                ServiceError::new(ErrorKind::Invalid, "override_not_applicable")
                    .with_arg("finding", o.code.trim()),
            );
        };
        let subject: Option<Subject> = match &o.subject {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| {
                ServiceError::new(ErrorKind::Invalid, "override_not_applicable")
                    .with_arg("finding", code.as_str())
            })?),
        };
        overrides.push(Override {
            code,
            subject,
            physician_id: physician,
            reason: o.reason.clone(),
        });
    }
    let accepted = outcome
        .may_proceed(&overrides)
        .map_err(|r| refused(&outcome, &r))?;
    let human_derived = g.facts.vials.iter().any(|v| v.product.human_derived());
    let first_human = human_derived && !g.facts.patient.received_human_derived;
    if first_human && !input.blood_donation_notice_given {
        return Err(
            ServiceError::new(ErrorKind::Invalid, "blood_donation_notice_required")
                .with_field("blood_donation_notice_given"),
        );
    }
    // The clinic's text as it stands, in the language it was given in.
    let notice = if first_human {
        Some(current_notice(svc, p.clinic.id).await?)
    } else {
        None
    };
    let new = NewAdministration {
        patient_id: g.patient.id,
        plan_id: g.plan.as_ref().map(|pl| pl.id),
        plan_version: g.plan.as_ref().map(|pl| pl.version),
        appointment_id: g.appointment_id,
        route: g.facts.route,
        location_id: g.location_id,
        vials: g
            .vials
            .iter()
            .map(|v| NewVialUse {
                lot_id: v.lot.id,
                serial: v.serial.clone(),
                opened_at: v.opened_at,
                volume: v.volume.unwrap_or(Microlitres(0)),
            })
            .collect(),
        sites,
        administered_by: p.user.id,
        verified_by: input.verified_by,
        started_at,
        ended_at,
        observations,
        reactions,
        identity: serde_json::to_value(&g.facts.identity).map_err(ServiceError::internal)?,
        check: serde_json::to_value(&outcome).map_err(ServiceError::internal)?,
        overrides: serde_json::to_value(&accepted).map_err(ServiceError::internal)?,
        human_derived,
        blood_donation_notice: notice.as_ref().map(|n| n.text(locale).to_string()),
        blood_donation_notice_version: notice.as_ref().map(|n| n.version),
    };
    Ok(svc
        .store
        .record_administration(&p.actor(), p.clinic.id, &new)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Reading, correcting, voiding

/// An administration with its versions.
#[derive(Debug, Clone, Serialize)]
pub struct AdministrationDetail {
    #[serde(flatten)]
    pub administration: Administration,
    pub versions: Vec<AdministrationVersion>,
}

pub async fn administration(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<AdministrationDetail, ServiceError> {
    p.require(Permission::PatientRead)?;
    let a = svc
        .store
        .administration(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let versions = svc.store.administration_versions(p.clinic.id, id).await?;
    note_read(svc, p, a.patient_id, "administration").await?;
    Ok(AdministrationDetail {
        administration: a,
        versions,
    })
}

pub async fn administrations_of_patient(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Vec<Administration>, ServiceError> {
    p.require(Permission::PatientRead)?;
    if svc.store.patient(p.clinic.id, patient_id).await?.is_none() {
        return Err(ServiceError::not_found());
    }
    let list = svc
        .store
        .administrations_of_patient(p.clinic.id, patient_id)
        .await?;
    note_read(svc, p, patient_id, "administration").await?;
    Ok(list)
}

/// A correction as typed: the details that may change, and why.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CorrectionIn {
    /// The version being corrected (must be the current one).
    pub version: i64,
    pub reason: String,
    pub verified_by: Option<Uuid>,
    pub site_count: Option<String>,
    pub site_areas: Vec<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub observations: Option<String>,
    pub reactions: Option<String>,
}

fn reason_of(raw: &str) -> Result<String, FieldError> {
    let r = raw.trim();
    if r.is_empty() {
        return Err(FieldError::new("reason", "reason_required"));
    }
    if r.chars().count() > 2000 {
        return Err(FieldError::new("reason", "field_too_long"));
    }
    Ok(r.to_string())
}

pub async fn correct(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &CorrectionIn,
) -> Result<Administration, ServiceError> {
    p.require(Permission::Administer)?;
    let current = svc
        .store
        .administration(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let mut errs = Vec::new();
    let reason = reason_of(&input.reason).map_err(|e| errs.push(e)).ok();
    let as_record = RecordIn {
        site_count: input.site_count.clone(),
        site_areas: input.site_areas.clone(),
        ..Default::default()
    };
    let sites = sites_of(&as_record)
        .map_err(|e| errs.push(e))
        .ok()
        .flatten();
    let started_at = match opt(&input.started_at) {
        Some(raw) => parse_instant(raw, p, "started_at")
            .map_err(|e| errs.push(e))
            .ok(),
        None => Some(current.details.started_at),
    };
    let ended_at = match opt(&input.ended_at) {
        Some(raw) => parse_instant(raw, p, "ended_at")
            .map_err(|e| errs.push(e))
            .ok(),
        None => None,
    };
    if let (Some(s), Some(e)) = (started_at, ended_at)
        && e.0 < s.0
    {
        errs.push(FieldError::new("ended_at", "care_end_before_start"));
    }
    let observations = text(&input.observations, "observations")
        .map_err(|e| errs.push(e))
        .ok()
        .flatten();
    let reactions = text(&input.reactions, "reactions")
        .map_err(|e| errs.push(e))
        .ok()
        .flatten();
    let (Some(reason), Some(started_at)) = (reason, started_at) else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let details = AdministrationDetails {
        sites,
        verified_by: input.verified_by,
        started_at,
        ended_at,
        observations,
        reactions,
    };
    Ok(svc
        .store
        .correct_administration(
            &p.actor(),
            p.clinic.id,
            id,
            input.version,
            &details,
            &reason,
        )
        .await?)
}

pub async fn void(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<Administration, ServiceError> {
    p.require(Permission::Administer)?;
    let reason = reason_of(reason).map_err(|e| ServiceError::fields(vec![e]))?;
    Ok(svc
        .store
        .void_administration(&p.actor(), p.clinic.id, id, &reason)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Lookback

/// What a lookback starts from.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(default)]
pub struct LookbackIn {
    /// A lot number (with `product`, a product code, when several
    /// products have lots of that number).
    pub lot: Option<String>,
    pub product: Option<String>,
    pub lot_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub patient_number: Option<String>,
}

/// The lookback's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Lookback {
    /// `lot` or `patient`.
    pub from: &'static str,
    /// The lots searched (from a lot), or received (from a patient).
    pub lots: Vec<LotRef>,
    /// Distinct patients reached by doses that are not voided.
    pub patient_count: usize,
    pub administrations: Vec<LookbackRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LotRef {
    pub lot_id: Uuid,
    pub lot_number: String,
    pub product_code: String,
}

/// Lookback both ways (audited: who looked, from what, how many patients).
pub async fn lookback(
    svc: &Service,
    p: &Principal,
    input: &LookbackIn,
) -> Result<Lookback, ServiceError> {
    p.require(Permission::SafetyRead)?;
    // Quality staff run recalls: they see whom a lot reached (audited),
    // not the rest of the record.
    if !p.can(Permission::PatientRead) {
        p.require(Permission::RecallManage)?;
    }
    let clinic = p.clinic.id;
    let (from, rows, lots) = if input.lot.is_some() || input.lot_id.is_some() {
        let all = svc.store.lots(clinic).await?;
        let product = opt(&input.product).map(str::to_string);
        let lot_no = opt(&input.lot).map(str::to_string);
        let found: Vec<Lot> = all
            .into_iter()
            .filter(|l| match input.lot_id {
                Some(id) => l.id == id,
                None => {
                    Some(&l.lot_number) == lot_no.as_ref()
                        && product.as_ref().is_none_or(|c| &l.product_code == c)
                }
            })
            .collect();
        if found.is_empty() {
            return Err(
                ServiceError::new(ErrorKind::NotFound, "lookback_lot_unknown").with_field("lot"),
            );
        }
        let ids: Vec<Uuid> = found.iter().map(|l| l.id).collect();
        let rows = svc.store.lookback_lots(clinic, &ids).await?;
        (
            "lot",
            rows,
            found
                .iter()
                .map(|l| LotRef {
                    lot_id: l.id,
                    lot_number: l.lot_number.clone(),
                    product_code: l.product_code.clone(),
                })
                .collect::<Vec<_>>(),
        )
    } else {
        let patient = match (input.patient_id, opt(&input.patient_number)) {
            (Some(id), _) => svc.store.patient(clinic, id).await?,
            (None, Some(n)) => crate::patients::by_number(svc, clinic, n).await?,
            (None, None) => {
                return Err(ServiceError::new(
                    ErrorKind::Invalid,
                    "lookback_subject_required",
                ));
            }
        };
        let Some(patient) = patient else {
            return Err(
                ServiceError::new(ErrorKind::NotFound, "lookback_patient_unknown")
                    .with_field("patient_number"),
            );
        };
        let rows = svc.store.lookback_patient(clinic, patient.id).await?;
        let mut lots: Vec<LotRef> = Vec::new();
        for r in &rows {
            if !lots.iter().any(|l| l.lot_id == r.lot_id) {
                lots.push(LotRef {
                    lot_id: r.lot_id,
                    lot_number: r.lot_number.clone(),
                    product_code: r.product_code.clone(),
                });
            }
        }
        ("patient", rows, lots)
    };
    let mut patients: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.status == jousei_store::care::AdministrationStatus::Recorded)
        .map(|r| r.patient_id)
        .collect();
    patients.sort_unstable();
    patients.dedup();
    svc.store
        .note(
            &p.actor(),
            &jousei_store::AuditNote {
                clinic_id: Some(clinic),
                action: "lookback".into(),
                entity_kind: "lookback".into(),
                entity_id: None,
                changes: serde_json::json!({
                    "from": from,
                    "lots": lots.iter().map(|l| l.lot_id.to_string()).collect::<Vec<_>>(),
                    "patients": patients.iter().map(Uuid::to_string).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    Ok(Lookback {
        from,
        lots,
        patient_count: patients.len(),
        administrations: rows,
    })
}
