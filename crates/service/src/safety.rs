//! Safety use cases, shared by the JSON API and the pages: adverse events
//! (report, suggested doses, deadlines, follow-ups, notifications, new
//! versions), recall campaigns (a lot, a product, a manufacturer or a cell
//! source; every affected patient with contact details; contact attempts;
//! progress; closing report), the clinic's reporting policy per product
//! regime, and the safety dashboard.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use jousei_core::error::FieldError;
use jousei_core::patient::registry::Phone;
use jousei_core::role::Permission;
use jousei_core::safety::{
    AdverseEventFacts, ContactMethod, ContactOutcome, DueState, RawAdverseEvent, RawRegimePolicy,
    RecallProgress, RecallScope, RegimePolicy, ReportingPolicies, ReportingPolicy,
    SUGGEST_WINDOW_DAYS, due_state, follow_up_dates, parse_policies, report_due, suggest_involved,
};
use jousei_core::supply::product::CellSource;
use jousei_store::care::{AdministrationStatus, LookbackRow};
use jousei_store::safety::{
    AdverseEvent, AdverseEventVersion, FollowUp, NewAdverseEvent, NewNotification, NewRecall,
    NewRecallContact, Notification, Recall, RecallContact, ReportingPolicyVersion,
};
use jousei_store::{DynStore, Ts};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::care::parse_instant;
use crate::error::ErrorKind;
use crate::error::ServiceError;
use crate::patients::note_read;
use crate::plans::{clinic_tz, local_date};
use crate::supply::clinic_today;

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn reason_of(raw: &str, field: &'static str) -> Result<String, FieldError> {
    let r = raw.trim();
    if r.is_empty() {
        return Err(FieldError::new(field, "reason_required"));
    }
    if r.chars().count() > 4000 {
        return Err(FieldError::new(field, "field_too_long"));
    }
    Ok(r.to_string())
}

// ---------------------------------------------------------------------------------------------
// Adverse events

/// An adverse event as typed. Instants: RFC 3339 or local
/// `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdverseEventIn {
    pub patient_id: String,
    pub onset_at: String,
    /// When the clinic learned of it (default now).
    pub aware_at: Option<String>,
    pub description: String,
    /// local_pain, bruising, swelling, nerve_injury, fever,
    /// allergic_reaction, anaphylaxis, infection, sepsis, other
    pub category: String,
    /// mild, moderate, severe
    pub severity: String,
    /// death, life_threatening, hospitalisation, disability,
    /// congenital_anomaly, other_important (none: not serious)
    pub seriousness: Vec<String>,
    /// WHO-UMC: certain, probable, possible, unlikely, conditional,
    /// unassessable (physicians only)
    pub causality: Option<String>,
    /// recovered, recovering, not_recovered, recovered_with_sequelae,
    /// fatal, unknown
    pub outcome: String,
    pub action_taken: Option<String>,
    /// The doses involved.
    pub administration_ids: Vec<String>,
}

/// An adverse event with where its report stands and the lots involved.
#[derive(Debug, Clone, Serialize)]
pub struct AdverseEventView {
    #[serde(flatten)]
    pub event: AdverseEvent,
    pub report: DueState,
    pub lots: Vec<String>,
}

fn to_raw(p: &Principal, input: &AdverseEventIn, errs: &mut Vec<FieldError>) -> RawAdverseEvent {
    let mut instant = |raw: &str, field: &'static str| -> String {
        if raw.trim().is_empty() {
            return String::new();
        }
        match parse_instant(raw, p, field) {
            Ok(t) => t.0.to_string(),
            Err(e) => {
                errs.push(e);
                "invalid".into()
            }
        }
    };
    let onset_at = if input.onset_at.trim().is_empty() {
        "missing".to_string()
    } else {
        instant(&input.onset_at, "onset_at")
    };
    let aware_at = instant(input.aware_at.as_deref().unwrap_or(""), "aware_at");
    RawAdverseEvent {
        onset_at,
        aware_at,
        description: input.description.clone(),
        category: input.category.clone(),
        severity: input.severity.clone(),
        seriousness: input
            .seriousness
            .iter()
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .collect(),
        causality: input.causality.clone(),
        outcome: input.outcome.clone(),
        action_taken: input.action_taken.clone(),
        administration_ids: input.administration_ids.clone(),
    }
}

/// Parses and checks the report; every problem at once.
fn facts_of(p: &Principal, input: &AdverseEventIn) -> Result<AdverseEventFacts, ServiceError> {
    let mut errs = Vec::new();
    let raw = to_raw(p, input, &mut errs);
    let parsed = raw.parse(Timestamp::now());
    // A typed instant that could not be read is reported once.
    let mut all: Vec<FieldError> = errs;
    match parsed {
        Ok(f) if all.is_empty() => {
            if f.causality.is_some() && !p.can(Permission::AdverseEventAssess) {
                return Err(ServiceError::fields(vec![FieldError::new(
                    "causality",
                    "ae_causality_physician_only",
                )]));
            }
            Ok(f)
        }
        Ok(_) => Err(ServiceError::fields(all)),
        Err(more) => {
            for e in more {
                if !all.iter().any(|a| a.field == e.field) {
                    all.push(e);
                }
            }
            Err(ServiceError::fields(all))
        }
    }
}

/// The clinic's reporting policy per product regime: the current version,
/// or today's deadlines (7 and 15 days for every regime) until one is set.
pub async fn clinic_policies(
    store: &DynStore,
    clinic_id: Uuid,
) -> Result<ReportingPolicies, ServiceError> {
    Ok(store
        .reporting_policy(clinic_id)
        .await?
        .map(|v| v.policies)
        .unwrap_or_default())
}

/// The deadlines that apply to an event: the clinic's policy for the
/// regimes of the products its doses used (the shortest of each kind), or
/// for all regimes when it names no dose. Shared with the demo.
pub async fn deadline_policy(
    store: &DynStore,
    clinic_id: Uuid,
    facts: &AdverseEventFacts,
) -> Result<ReportingPolicy, ServiceError> {
    let policies = clinic_policies(store, clinic_id).await?;
    let mut regimes = Vec::new();
    for id in &facts.administration_ids {
        let Some(a) = store.administration(clinic_id, *id).await? else {
            continue;
        };
        for v in &a.vials {
            if let Some(product) = store.product(clinic_id, v.product_id).await?
                && !regimes.contains(&product.facts.regime)
            {
                regimes.push(product.facts.regime);
            }
        }
    }
    Ok(policies.for_regimes(&regimes))
}

async fn due_of(
    svc: &Service,
    p: &Principal,
    f: &AdverseEventFacts,
) -> Result<Option<Date>, ServiceError> {
    let aware_on = local_date(Ts::from(f.aware_at), &clinic_tz(p));
    let policy = deadline_policy(&svc.store, p.clinic.id, f).await?;
    Ok(report_due(f, aware_on, policy).map(|(d, _)| d))
}

/// The doses the events name, each read once.
type Doses = HashMap<Uuid, jousei_store::care::Administration>;

async fn doses_of<'a>(
    svc: &Service,
    p: &Principal,
    events: impl IntoIterator<Item = &'a AdverseEvent>,
) -> Result<Doses, ServiceError> {
    let mut out = Doses::new();
    for e in events {
        for id in &e.facts.administration_ids {
            if !out.contains_key(id)
                && let Some(a) = svc.store.administration(p.clinic.id, *id).await?
            {
                out.insert(*id, a);
            }
        }
    }
    Ok(out)
}

fn view_from(p: &Principal, e: AdverseEvent, doses: &Doses) -> AdverseEventView {
    let reported = e.notifications.iter().any(|n| n.recipient == "authority");
    let report = due_state(e.due_date, reported, clinic_today(p));
    let mut lots = Vec::new();
    for a in e
        .facts
        .administration_ids
        .iter()
        .filter_map(|id| doses.get(id))
    {
        for v in &a.vials {
            let l = format!("{} {}", v.product_code, v.lot_number);
            if !lots.contains(&l) {
                lots.push(l);
            }
        }
    }
    AdverseEventView {
        event: e,
        report,
        lots,
    }
}

async fn view(
    svc: &Service,
    p: &Principal,
    e: AdverseEvent,
) -> Result<AdverseEventView, ServiceError> {
    let doses = doses_of(svc, p, [&e]).await?;
    Ok(view_from(p, e, &doses))
}

pub async fn report(
    svc: &Service,
    p: &Principal,
    input: &AdverseEventIn,
) -> Result<AdverseEventView, ServiceError> {
    p.require(Permission::AdverseEventReport)?;
    let patient = match Uuid::parse_str(input.patient_id.trim()).ok() {
        Some(id) => svc.store.patient(p.clinic.id, id).await?,
        None => None,
    };
    let facts = facts_of(p, input);
    let Some(patient) = patient else {
        let mut e = match facts {
            Err(e) => e,
            Ok(_) => ServiceError::fields(vec![]),
        };
        let mut errs = vec![jousei_core::error::FieldError::new(
            "patient_id",
            "care_patient_unknown",
        )];
        errs.extend(e.errors.drain(..).filter_map(|s| {
            s.field
                .map(|f| jousei_core::error::FieldError::new(f, s.code))
        }));
        return Err(ServiceError::fields(errs));
    };
    let facts = facts?;
    let tz = clinic_tz(p);
    let new = NewAdverseEvent {
        patient_id: patient.id,
        due_date: due_of(svc, p, &facts).await?,
        follow_ups: follow_up_dates(local_date(Ts::from(facts.onset_at), &tz)),
        facts,
    };
    let e = svc
        .store
        .report_adverse_event(&p.actor(), p.clinic.id, &new)
        .await?;
    view(svc, p, e).await
}

/// The patient's doses given within the window before `onset_at`.
pub async fn suggestions(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    onset_at: &str,
) -> Result<Vec<jousei_store::care::Administration>, ServiceError> {
    p.require(Permission::AdverseEventReport)?;
    p.require(Permission::PatientRead)?;
    let onset = if onset_at.trim().is_empty() {
        svc.now_ts()
    } else {
        parse_instant(onset_at, p, "onset_at").map_err(|e| ServiceError::fields(vec![e]))?
    };
    let list = svc
        .store
        .administrations_of_patient(p.clinic.id, patient_id)
        .await?;
    note_read(svc, p, patient_id, "administration").await?;
    let recorded: Vec<(Uuid, Timestamp)> = list
        .iter()
        .filter(|a| a.status == AdministrationStatus::Recorded)
        .map(|a| (a.id, a.details.started_at.0))
        .collect();
    let ids = suggest_involved(onset.0, &recorded, SUGGEST_WINDOW_DAYS);
    Ok(ids
        .iter()
        .filter_map(|id| list.iter().find(|a| a.id == *id).cloned())
        .collect())
}

/// An adverse event with its versions.
#[derive(Debug, Clone, Serialize)]
pub struct AdverseEventDetail {
    #[serde(flatten)]
    pub view: AdverseEventView,
    pub versions: Vec<AdverseEventVersion>,
}

pub async fn adverse_event(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<AdverseEventDetail, ServiceError> {
    p.require(Permission::SafetyRead)?;
    p.require(Permission::PatientRead)?;
    let e = svc
        .store
        .adverse_event(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    note_read(svc, p, e.patient_id, "adverse_event").await?;
    let versions = svc.store.adverse_event_versions(p.clinic.id, id).await?;
    Ok(AdverseEventDetail {
        view: view(svc, p, e).await?,
        versions,
    })
}

pub async fn adverse_events(
    svc: &Service,
    p: &Principal,
) -> Result<Vec<AdverseEventView>, ServiceError> {
    p.require(Permission::SafetyRead)?;
    let list = svc.store.adverse_events(p.clinic.id).await?;
    let doses = doses_of(svc, p, &list).await?;
    Ok(list.into_iter().map(|e| view_from(p, e, &doses)).collect())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviseAdverseEventIn {
    pub version: i64,
    pub reason: String,
    pub event: AdverseEventIn,
}

pub async fn revise(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &ReviseAdverseEventIn,
) -> Result<AdverseEventView, ServiceError> {
    p.require(Permission::AdverseEventReport)?;
    if svc.store.adverse_event(p.clinic.id, id).await?.is_none() {
        return Err(ServiceError::not_found());
    }
    let reason = reason_of(&input.reason, "reason");
    let facts = facts_of(p, &input.event);
    let (facts, reason) = match (facts, reason) {
        (Ok(f), Ok(r)) => (f, r),
        (Err(mut e), Err(r)) => {
            let mut errs: Vec<FieldError> = e
                .errors
                .drain(..)
                .filter_map(|s| s.field.map(|f| FieldError::new(f, s.code)))
                .collect();
            errs.push(r);
            return Err(ServiceError::fields(errs));
        }
        (Err(e), _) => return Err(e),
        (_, Err(r)) => return Err(ServiceError::fields(vec![r])),
    };
    let due = due_of(svc, p, &facts).await?;
    let e = svc
        .store
        .revise_adverse_event(
            &p.actor(),
            p.clinic.id,
            id,
            input.version,
            &facts,
            due,
            &reason,
        )
        .await?;
    view(svc, p, e).await
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpIn {
    /// What was found.
    pub note: String,
}

pub async fn complete_follow_up(
    svc: &Service,
    p: &Principal,
    follow_up_id: Uuid,
    input: &FollowUpIn,
) -> Result<FollowUp, ServiceError> {
    p.require(Permission::AdverseEventReport)?;
    let note = reason_of(&input.note, "note").map_err(|e| ServiceError::fields(vec![e]))?;
    Ok(svc
        .store
        .complete_follow_up(&p.actor(), p.clinic.id, follow_up_id, &note)
        .await?)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationIn {
    /// `authority` (regulator or committee) or `supplier`.
    pub recipient: String,
    /// How it was sent (e.g. PMDA electronic report, FAX, e-mail).
    pub channel: String,
    pub reference: Option<String>,
    /// Default now.
    pub sent_at: Option<String>,
}

pub async fn notify(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &NotificationIn,
) -> Result<Notification, ServiceError> {
    p.require(Permission::AdverseEventReport)?;
    let mut errs = Vec::new();
    let recipient = input.recipient.trim();
    if !matches!(recipient, "authority" | "supplier") {
        errs.push(FieldError::new("recipient", "ae_recipient_invalid"));
    }
    let channel = input.channel.trim();
    if channel.is_empty() {
        errs.push(FieldError::new("channel", "field_required"));
    } else if channel.chars().count() > 200 {
        errs.push(FieldError::new("channel", "field_too_long"));
    }
    let sent_at = match opt(&input.sent_at) {
        Some(raw) => match parse_instant(raw, p, "sent_at") {
            Ok(t) if t.0 > svc.now() => {
                errs.push(FieldError::new("sent_at", "ae_in_future"));
                None
            }
            Ok(t) => Some(t),
            Err(e) => {
                errs.push(e);
                None
            }
        },
        None => Some(svc.now_ts()),
    };
    let Some(sent_at) = sent_at.filter(|_| errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    Ok(svc
        .store
        .record_notification(
            &p.actor(),
            p.clinic.id,
            id,
            &NewNotification {
                recipient: recipient.to_string(),
                channel: channel.to_string(),
                reference: opt(&input.reference).map(str::to_string),
                sent_at,
            },
        )
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Reporting policy

/// The clinic's reporting policy as it applies now, with every version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportingPolicyView {
    /// The current version; null while today's default deadlines apply.
    pub version: Option<i64>,
    /// Per product regime (unapproved, regenerative_medicine_act,
    /// approved_drug): days from the local day the clinic learned of a
    /// serious event to the report — `death_days` for death or
    /// life-threatening, `serious_days` for other serious events.
    #[schema(value_type = Vec<Object>)]
    pub regimes: Vec<RegimePolicy>,
    /// Every version set, newest first.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<ReportingPolicyVersion>,
}

pub async fn reporting_policy(
    svc: &Service,
    p: &Principal,
) -> Result<ReportingPolicyView, ServiceError> {
    p.require(Permission::SafetyRead)?;
    let versions = svc.store.reporting_policy_versions(p.clinic.id).await?;
    let current = versions.first();
    Ok(ReportingPolicyView {
        version: current.map(|v| v.version),
        regimes: current
            .map(|v| v.policies.clone())
            .unwrap_or_default()
            .regimes,
        versions,
    })
}

/// One regime's deadlines as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegimePolicyIn {
    /// unapproved, regenerative_medicine_act, approved_drug
    pub regime: String,
    /// Days to report a death or life-threatening case (1–90).
    pub death_days: Option<i64>,
    /// Days to report another serious case (1–90, not shorter than
    /// `death_days`).
    pub serious_days: Option<i64>,
}

/// A new reporting policy: every regime once.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReportingPolicyIn {
    pub regimes: Vec<RegimePolicyIn>,
}

impl ReportingPolicyIn {
    pub fn raw(&self) -> Vec<RawRegimePolicy> {
        let text = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_default();
        self.regimes
            .iter()
            .map(|r| RawRegimePolicy {
                regime: r.regime.clone(),
                death_days: text(r.death_days),
                serious_days: text(r.serious_days),
            })
            .collect()
    }
}

/// Sets the clinic's reporting policy as a new version (admins; audited).
/// Every problem is named by its field and nothing is written. Reports
/// made or revised from now on take their due date from it; the due dates
/// already set stay as they were computed.
pub async fn set_reporting_policy(
    svc: &Service,
    p: &Principal,
    raw: &[RawRegimePolicy],
) -> Result<ReportingPolicyView, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let policies = parse_policies(raw).map_err(ServiceError::fields)?;
    svc.store
        .set_reporting_policy(&p.actor(), p.clinic.id, &policies)
        .await?;
    reporting_policy(svc, p).await
}

// ---------------------------------------------------------------------------------------------
// Recalls

/// A recall to start.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RecallIn {
    /// lot, product, supplier, source
    pub scope: String,
    pub lot_id: Option<String>,
    pub product_id: Option<String>,
    /// The manufacturer's name, as on the products.
    pub manufacturer: Option<String>,
    /// A cell source code (e.g. umbilical_cord), for scope `source`
    /// (`source` is accepted as the older name of this field).
    #[serde(alias = "source")]
    pub cell_source: Option<String>,
    pub reason: String,
}

/// An affected patient, with contact details and where contact stands.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedPatient {
    pub patient_id: Uuid,
    pub number: String,
    pub name: String,
    pub kana: String,
    pub phone: String,
    pub email: Option<String>,
    /// The doses concerned: date (local), lot, volume.
    pub doses: Vec<LookbackRow>,
    /// `reached`, `attempted` or `pending`.
    pub contact: &'static str,
    pub attempts: Vec<RecallContact>,
}

/// A recall with its lots, affected patients and progress.
#[derive(Debug, Clone, Serialize)]
pub struct RecallView {
    #[serde(flatten)]
    pub recall: Recall,
    pub lot_numbers: Vec<String>,
    pub progress: RecallProgress,
    pub patients: Vec<AffectedPatient>,
}

async fn recall_view(svc: &Service, p: &Principal, r: Recall) -> Result<RecallView, ServiceError> {
    let lots = svc.store.lots(p.clinic.id).await?;
    let lot_numbers = r
        .lot_ids
        .iter()
        .filter_map(|id| lots.iter().find(|l| l.id == *id))
        .map(|l| format!("{} {}", l.product_code, l.lot_number))
        .collect();
    let rows: Vec<LookbackRow> = svc
        .store
        .lookback_lots(p.clinic.id, &r.lot_ids)
        .await?
        .into_iter()
        .filter(|x| x.status == AdministrationStatus::Recorded)
        .collect();
    let mut by_patient: BTreeMap<String, Vec<LookbackRow>> = BTreeMap::new();
    for row in rows {
        by_patient
            .entry(format!("{}|{}", row.patient_number, row.patient_id))
            .or_default()
            .push(row);
    }
    let ids: Vec<Uuid> = by_patient
        .values()
        .filter_map(|v| v.first().map(|x| x.patient_id))
        .collect();
    let attempts: Vec<(Uuid, ContactOutcome)> = r
        .contacts
        .iter()
        .map(|c| (c.patient_id, c.outcome))
        .collect();
    let progress = RecallProgress::of(&ids, &attempts);
    let patients = by_patient
        .into_values()
        .filter_map(|doses| {
            let first = doses.first()?.clone();
            let mine: Vec<RecallContact> = r
                .contacts
                .iter()
                .filter(|c| c.patient_id == first.patient_id)
                .cloned()
                .collect();
            let contact = if mine.iter().any(|c| c.outcome == ContactOutcome::Reached) {
                "reached"
            } else if mine.is_empty() {
                "pending"
            } else {
                "attempted"
            };
            Some(AffectedPatient {
                patient_id: first.patient_id,
                number: first.patient_number.clone(),
                name: first.patient_name.clone(),
                kana: first.patient_kana.clone(),
                phone: Phone::parse(&first.phone, "phone")
                    .map(|ph| ph.display())
                    .unwrap_or_else(|_| first.phone.clone()),
                email: first.email.clone(),
                doses,
                contact,
                attempts: mine,
            })
        })
        .collect();
    Ok(RecallView {
        recall: r,
        lot_numbers,
        progress,
        patients,
    })
}

pub async fn start_recall(
    svc: &Service,
    p: &Principal,
    input: &RecallIn,
) -> Result<RecallView, ServiceError> {
    p.require(Permission::RecallManage)?;
    let mut errs = Vec::new();
    let reason = reason_of(&input.reason, "reason")
        .map_err(|e| errs.push(e))
        .ok();
    let lots = svc.store.lots(p.clinic.id).await?;
    let products = svc.store.products(p.clinic.id).await?;
    let scope = RecallScope::parse(&input.scope);
    let (subject, lot_ids): (String, Vec<Uuid>) = match scope {
        Some(RecallScope::Lot) => {
            let lot = opt(&input.lot_id)
                .and_then(|s| Uuid::parse_str(s).ok())
                .and_then(|id| lots.iter().find(|l| l.id == id));
            match lot {
                Some(l) => (l.id.to_string(), vec![l.id]),
                None => {
                    errs.push(FieldError::new("lot_id", "recall_lot_unknown"));
                    (String::new(), vec![])
                }
            }
        }
        Some(RecallScope::Product) => {
            let product = opt(&input.product_id)
                .and_then(|s| Uuid::parse_str(s).ok())
                .and_then(|id| products.iter().find(|pr| pr.id == id));
            match product {
                Some(pr) => (
                    pr.id.to_string(),
                    lots.iter()
                        .filter(|l| l.product_id == pr.id)
                        .map(|l| l.id)
                        .collect(),
                ),
                None => {
                    errs.push(FieldError::new("product_id", "recall_product_unknown"));
                    (String::new(), vec![])
                }
            }
        }
        Some(RecallScope::Supplier) => match opt(&input.manufacturer) {
            Some(m) => {
                let ids: Vec<Uuid> = products
                    .iter()
                    .filter(|pr| pr.facts.manufacturer.trim() == m)
                    .map(|pr| pr.id)
                    .collect();
                if ids.is_empty() {
                    errs.push(FieldError::new("manufacturer", "recall_supplier_unknown"));
                }
                (
                    m.to_string(),
                    lots.iter()
                        .filter(|l| ids.contains(&l.product_id))
                        .map(|l| l.id)
                        .collect(),
                )
            }
            None => {
                errs.push(FieldError::new("manufacturer", "recall_supplier_unknown"));
                (String::new(), vec![])
            }
        },
        Some(RecallScope::Source) => match opt(&input.cell_source).and_then(CellSource::parse) {
            Some(src) => {
                let ids: Vec<Uuid> = products
                    .iter()
                    .filter(|pr| pr.facts.sources.contains(&src))
                    .map(|pr| pr.id)
                    .collect();
                (
                    src.as_str().to_string(),
                    lots.iter()
                        .filter(|l| ids.contains(&l.product_id))
                        .map(|l| l.id)
                        .collect(),
                )
            }
            None => {
                errs.push(FieldError::new("cell_source", "recall_source_unknown"));
                (String::new(), vec![])
            }
        },
        None => {
            errs.push(FieldError::new("scope", "recall_scope_invalid"));
            (String::new(), vec![])
        }
    };
    let (Some(scope), Some(reason)) = (scope, reason) else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    if lot_ids.is_empty() {
        return Err(ServiceError::new(ErrorKind::Invalid, "recall_no_lots"));
    }
    let r = svc
        .store
        .start_recall(
            &p.actor(),
            p.clinic.id,
            &NewRecall {
                scope,
                subject,
                reason,
                lot_ids,
            },
        )
        .await?;
    recall_view(svc, p, r).await
}

pub async fn recall(svc: &Service, p: &Principal, id: Uuid) -> Result<RecallView, ServiceError> {
    p.require(Permission::SafetyRead)?;
    // Those who run recalls see whom to contact (audited).
    if !p.can(Permission::PatientRead) {
        p.require(Permission::RecallManage)?;
    }
    let r = svc
        .store
        .recall(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let v = recall_view(svc, p, r).await?;
    svc
        .store
        .note(
            &p.actor(),
            &jousei_store::AuditNote {
                clinic_id: Some(p.clinic.id),
                action: "recall_read".into(),
                entity_kind: "recall".into(),
                entity_id: Some(id.to_string()),
                changes: serde_json::json!({
                    "patients": v.patients.iter().map(|x| x.patient_id.to_string()).collect::<Vec<_>>()
                }),
            },
        )
        .await?;
    Ok(v)
}

/// Every recall with its progress (no patient details).
#[derive(Debug, Clone, Serialize)]
pub struct RecallSummary {
    #[serde(flatten)]
    pub recall: Recall,
    pub lot_numbers: Vec<String>,
    pub progress: RecallProgress,
}

pub async fn recalls(svc: &Service, p: &Principal) -> Result<Vec<RecallSummary>, ServiceError> {
    p.require(Permission::SafetyRead)?;
    let list = svc.store.recalls(p.clinic.id).await?;
    let mut out = Vec::new();
    for r in list {
        let v = recall_view(svc, p, r).await?;
        out.push(RecallSummary {
            recall: v.recall,
            lot_numbers: v.lot_numbers,
            progress: v.progress,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactIn {
    pub patient_id: String,
    /// phone, sms, email, letter, in_person
    pub method: String,
    /// reached, no_answer, left_message, wrong_number
    pub outcome: String,
    pub note: Option<String>,
    /// Default now.
    pub at: Option<String>,
}

pub async fn record_contact(
    svc: &Service,
    p: &Principal,
    recall_id: Uuid,
    input: &ContactIn,
) -> Result<RecallContact, ServiceError> {
    p.require(Permission::RecallManage)?;
    let mut errs = Vec::new();
    let patient = Uuid::parse_str(input.patient_id.trim()).ok();
    if patient.is_none() {
        errs.push(FieldError::new("patient_id", "care_patient_unknown"));
    }
    let method = ContactMethod::parse(&input.method);
    if method.is_none() {
        errs.push(FieldError::new("method", "recall_method_invalid"));
    }
    let outcome = ContactOutcome::parse(&input.outcome);
    if outcome.is_none() {
        errs.push(FieldError::new("outcome", "recall_outcome_invalid"));
    }
    let at = match opt(&input.at) {
        Some(raw) => parse_instant(raw, p, "at").map_err(|e| errs.push(e)).ok(),
        None => Some(svc.now_ts()),
    };
    let note = match opt(&input.note) {
        Some(n) if n.chars().count() > 2000 => {
            errs.push(FieldError::new("note", "field_too_long"));
            None
        }
        n => n.map(str::to_string),
    };
    let (Some(patient_id), Some(method), Some(outcome), Some(at)) = (patient, method, outcome, at)
    else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    Ok(svc
        .store
        .record_recall_contact(
            &p.actor(),
            p.clinic.id,
            recall_id,
            &NewRecallContact {
                patient_id,
                method,
                outcome,
                note,
                at,
            },
        )
        .await?)
}

pub async fn close_recall(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    report: &str,
) -> Result<RecallView, ServiceError> {
    p.require(Permission::RecallManage)?;
    let report = reason_of(report, "report").map_err(|e| ServiceError::fields(vec![e]))?;
    let r = svc
        .store
        .close_recall(&p.actor(), p.clinic.id, id, &report)
        .await?;
    recall_view(svc, p, r).await
}

// ---------------------------------------------------------------------------------------------
// The dashboard

/// A count under a label (for the bar charts).
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenFollowUp {
    pub follow_up: FollowUp,
    pub patient_id: Uuid,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub today: Date,
    pub adverse_events: usize,
    pub serious: usize,
    pub by_product: Vec<Count>,
    pub by_lot: Vec<Count>,
    pub by_source: Vec<Count>,
    pub by_route: Vec<Count>,
    pub by_category: Vec<Count>,
    /// Reports due or overdue (not yet sent to the authority).
    pub reports: Vec<AdverseEventView>,
    pub follow_ups: Vec<OpenFollowUp>,
    pub recalls_open: Vec<RecallSummary>,
}

fn counted(map: HashMap<String, usize>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(label, count)| Count { label, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    v
}

pub async fn dashboard(svc: &Service, p: &Principal) -> Result<Dashboard, ServiceError> {
    p.require(Permission::SafetyRead)?;
    let list = svc.store.adverse_events(p.clinic.id).await?;
    let doses = doses_of(svc, p, &list).await?;
    let events: Vec<AdverseEventView> = list.into_iter().map(|e| view_from(p, e, &doses)).collect();
    let products = svc.store.products(p.clinic.id).await?;
    let (mut by_product, mut by_lot, mut by_source, mut by_route, mut by_category) = (
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
    );
    let today = clinic_today(p);
    let mut follow_ups = Vec::new();
    for e in &events {
        *by_category
            .entry(e.event.facts.category.as_str().to_string())
            .or_insert(0) += 1;
        let (mut prods, mut lots, mut sources, mut routes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for id in &e.event.facts.administration_ids {
            if let Some(a) = doses.get(id) {
                routes.push(a.route.as_str().to_string());
                for v in &a.vials {
                    prods.push(v.product_code.clone());
                    lots.push(format!("{} {}", v.product_code, v.lot_number));
                    if let Some(pr) = products.iter().find(|x| x.id == v.product_id) {
                        for s in &pr.facts.sources {
                            sources.push(s.as_str().to_string());
                        }
                    }
                }
            }
        }
        for (map, keys) in [
            (&mut by_product, prods),
            (&mut by_lot, lots),
            (&mut by_source, sources),
            (&mut by_route, routes),
        ] {
            let mut keys = keys;
            keys.sort();
            keys.dedup();
            for k in keys {
                *map.entry(k).or_insert(0) += 1;
            }
        }
        for f in &e.event.follow_ups {
            if f.done_at.is_none() {
                follow_ups.push(OpenFollowUp {
                    follow_up: f.clone(),
                    patient_id: e.event.patient_id,
                    overdue: f.due_on < today,
                });
            }
        }
    }
    follow_ups.sort_by_key(|f| f.follow_up.due_on);
    let serious = events.iter().filter(|e| e.event.facts.is_serious()).count();
    let reports = events
        .iter()
        .filter(|e| matches!(e.report, DueState::Due { .. } | DueState::Overdue { .. }))
        .cloned()
        .collect();
    let recalls_open = recalls(svc, p)
        .await?
        .into_iter()
        .filter(|r| r.recall.closed_at.is_none())
        .collect();
    Ok(Dashboard {
        today,
        adverse_events: events.len(),
        serious,
        by_product: counted(by_product),
        by_lot: counted(by_lot),
        by_source: counted(by_source),
        by_route: counted(by_route),
        by_category: counted(by_category),
        reports,
        follow_ups,
        recalls_open,
    })
}
