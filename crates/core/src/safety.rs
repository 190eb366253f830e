//! Adverse events and recalls: the codes, the checks of a report as typed,
//! the reporting deadline, the follow-up tasks, which administrations to
//! suggest as involved, and a recall's progress. Pure: no I/O.
//!
//! Deadlines follow `regulatory.md` §5.1 (施行規則35条) for products under
//! the regenerative-medicine act: death or a case that may lead to death
//! within 7 days, other serious cases within 15 days, counted from the day
//! the clinic learned of the event. For unapproved conditioned medium and
//! exosomes no fixed deadline was found (§5.2); the clinic's policy
//! applies, by default the same 7 and 15 days.

use jiff::civil::Date;
use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code_enum;
use crate::error::FieldError;
use crate::supply::product::LegalRegime;

code_enum! {
    /// What happened.
    pub enum AeCategory {
        LocalPain => "local_pain",
        Bruising => "bruising",
        Swelling => "swelling",
        NerveInjury => "nerve_injury",
        Fever => "fever",
        AllergicReaction => "allergic_reaction",
        Anaphylaxis => "anaphylaxis",
        Infection => "infection",
        Sepsis => "sepsis",
        Other => "other",
    }
}

code_enum! {
    /// How intense it is.
    pub enum AeSeverity {
        Mild => "mild",
        Moderate => "moderate",
        Severe => "severe",
    }
}

code_enum! {
    /// The seriousness criteria (ICH E2A).
    pub enum Seriousness {
        Death => "death",
        LifeThreatening => "life_threatening",
        Hospitalisation => "hospitalisation",
        Disability => "disability",
        CongenitalAnomaly => "congenital_anomaly",
        OtherImportant => "other_important",
    }
}

code_enum! {
    /// Causality, WHO-UMC categories (assessed by a physician).
    pub enum Causality {
        Certain => "certain",
        Probable => "probable",
        Possible => "possible",
        Unlikely => "unlikely",
        Conditional => "conditional",
        Unassessable => "unassessable",
    }
}

code_enum! {
    /// Where the patient stands.
    pub enum AeOutcome {
        Recovered => "recovered",
        Recovering => "recovering",
        NotRecovered => "not_recovered",
        RecoveredWithSequelae => "recovered_with_sequelae",
        Fatal => "fatal",
        Unknown => "unknown",
    }
}

/// An adverse event as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdverseEventFacts {
    pub onset_at: Timestamp,
    /// When the clinic learned of it (the deadline counts from this day).
    pub aware_at: Timestamp,
    pub description: String,
    pub category: AeCategory,
    pub severity: AeSeverity,
    /// Empty: not serious.
    pub seriousness: Vec<Seriousness>,
    /// None until a physician assesses it.
    pub causality: Option<Causality>,
    pub outcome: AeOutcome,
    pub action_taken: Option<String>,
    /// The doses involved (their lots follow from them).
    pub administration_ids: Vec<Uuid>,
}

impl AdverseEventFacts {
    pub fn is_serious(&self) -> bool {
        !self.seriousness.is_empty()
    }
}

/// A report as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawAdverseEvent {
    pub onset_at: String,
    pub aware_at: String,
    pub description: String,
    pub category: String,
    pub severity: String,
    pub seriousness: Vec<String>,
    pub causality: Option<String>,
    pub outcome: String,
    pub action_taken: Option<String>,
    pub administration_ids: Vec<String>,
}

/// The longest description or action text, in characters.
pub const TEXT_MAX: usize = 4000;

impl RawAdverseEvent {
    /// Checks every field and reports every problem. Instants are RFC 3339
    /// (the caller turns local input into that); neither may be after
    /// `now`, and the clinic cannot learn of an event before it began.
    pub fn parse(&self, now: Timestamp) -> Result<AdverseEventFacts, Vec<FieldError>> {
        let mut errs = Vec::new();
        let instant = |raw: &str, field: &'static str, errs: &mut Vec<FieldError>| match raw
            .trim()
            .parse::<Timestamp>(
        ) {
            Ok(t) if t > now => {
                errs.push(FieldError::new(field, "ae_in_future"));
                None
            }
            Ok(t) => Some(t),
            Err(_) => {
                errs.push(FieldError::new(field, "datetime_invalid"));
                None
            }
        };
        let onset = instant(&self.onset_at, "onset_at", &mut errs);
        let aware = if self.aware_at.trim().is_empty() {
            Some(now)
        } else {
            instant(&self.aware_at, "aware_at", &mut errs)
        };
        if let (Some(o), Some(a)) = (onset, aware)
            && a < o
        {
            errs.push(FieldError::new("aware_at", "ae_aware_before_onset"));
        }
        let description = self.description.trim();
        if description.is_empty() {
            errs.push(FieldError::new("description", "field_required"));
        } else if description.chars().count() > TEXT_MAX {
            errs.push(FieldError::new("description", "field_too_long"));
        }
        let category = AeCategory::parse(&self.category);
        if category.is_none() {
            errs.push(FieldError::new("category", "ae_category_invalid"));
        }
        let severity = AeSeverity::parse(&self.severity);
        if severity.is_none() {
            errs.push(FieldError::new("severity", "ae_severity_invalid"));
        }
        let mut seriousness = Vec::new();
        for s in &self.seriousness {
            match Seriousness::parse(s) {
                Some(x) if !seriousness.contains(&x) => seriousness.push(x),
                Some(_) => {}
                None => errs.push(FieldError::new("seriousness", "ae_seriousness_invalid")),
            }
        }
        seriousness.sort();
        let causality = match self.causality.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => match Causality::parse(c) {
                Some(c) => Some(c),
                None => {
                    errs.push(FieldError::new("causality", "ae_causality_invalid"));
                    None
                }
            },
        };
        let outcome = AeOutcome::parse(&self.outcome);
        match outcome {
            None => errs.push(FieldError::new("outcome", "ae_outcome_invalid")),
            Some(AeOutcome::Fatal) if !seriousness.contains(&Seriousness::Death) => {
                errs.push(FieldError::new("seriousness", "ae_fatal_needs_death"));
            }
            _ => {}
        }
        if category == Some(AeCategory::Anaphylaxis) && severity == Some(AeSeverity::Mild) {
            errs.push(FieldError::new("severity", "ae_anaphylaxis_not_mild"));
        }
        let action_taken = match self.action_taken.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) if a.chars().count() > TEXT_MAX => {
                errs.push(FieldError::new("action_taken", "field_too_long"));
                None
            }
            Some(a) => Some(a.to_string()),
        };
        let mut administration_ids = Vec::new();
        for raw in &self.administration_ids {
            match Uuid::parse_str(raw.trim()) {
                Ok(id) if !administration_ids.contains(&id) => administration_ids.push(id),
                Ok(_) => {}
                Err(_) => errs.push(FieldError::new(
                    "administration_ids",
                    "ae_administration_unknown",
                )),
            }
        }
        match (onset, aware, category, severity, outcome) {
            (Some(onset_at), Some(aware_at), Some(category), Some(severity), Some(outcome))
                if errs.is_empty() =>
            {
                Ok(AdverseEventFacts {
                    onset_at,
                    aware_at,
                    description: description.to_string(),
                    category,
                    severity,
                    seriousness,
                    causality,
                    outcome,
                    action_taken,
                    administration_ids,
                })
            }
            _ => Err(errs),
        }
    }
}

/// The clinic's reporting policy: days from learning of a serious event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingPolicy {
    /// Death, or a case that may lead to death.
    pub death_days: u32,
    /// Other serious cases.
    pub serious_days: u32,
}

impl Default for ReportingPolicy {
    /// The regenerative-medicine act's 7 and 15 days.
    fn default() -> Self {
        ReportingPolicy {
            death_days: 7,
            serious_days: 15,
        }
    }
}

/// The longest deadline a clinic may set, in days.
pub const POLICY_DAYS_MAX: u32 = 90;

/// One product regime's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegimePolicy {
    pub regime: LegalRegime,
    #[serde(flatten)]
    pub policy: ReportingPolicy,
}

/// The clinic's reporting policy per product regime (`regulatory.md` §1:
/// a switchable regime per product): one entry per [`LegalRegime`], in
/// [`LegalRegime::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingPolicies {
    pub regimes: Vec<RegimePolicy>,
}

impl Default for ReportingPolicies {
    /// Every regime on the regenerative-medicine act's 7 and 15 days.
    fn default() -> Self {
        ReportingPolicies {
            regimes: LegalRegime::ALL
                .iter()
                .map(|r| RegimePolicy {
                    regime: *r,
                    policy: ReportingPolicy::default(),
                })
                .collect(),
        }
    }
}

/// The form and error field names of a regime's two deadlines.
pub fn policy_fields(regime: LegalRegime) -> (&'static str, &'static str) {
    match regime {
        LegalRegime::Unapproved => ("unapproved_death_days", "unapproved_serious_days"),
        LegalRegime::RegenerativeMedicineAct => (
            "regenerative_medicine_act_death_days",
            "regenerative_medicine_act_serious_days",
        ),
        LegalRegime::ApprovedDrug => ("approved_drug_death_days", "approved_drug_serious_days"),
    }
}

impl ReportingPolicies {
    /// The deadlines of one regime (the default when it is missing).
    pub fn of(&self, regime: LegalRegime) -> ReportingPolicy {
        self.regimes
            .iter()
            .find(|r| r.regime == regime)
            .map(|r| r.policy)
            .unwrap_or_default()
    }

    /// The deadlines for an event whose doses used products of `regimes`:
    /// the shortest of each kind among them, so no regime's deadline is
    /// missed; when no product is known (no dose named), the shortest of
    /// all the clinic's regimes.
    pub fn for_regimes(&self, regimes: &[LegalRegime]) -> ReportingPolicy {
        let pick: Vec<ReportingPolicy> = if regimes.is_empty() {
            LegalRegime::ALL.iter().map(|r| self.of(*r)).collect()
        } else {
            regimes.iter().map(|r| self.of(*r)).collect()
        };
        let default = ReportingPolicy::default();
        ReportingPolicy {
            death_days: pick
                .iter()
                .map(|p| p.death_days)
                .min()
                .unwrap_or(default.death_days),
            serious_days: pick
                .iter()
                .map(|p| p.serious_days)
                .min()
                .unwrap_or(default.serious_days),
        }
    }

    /// Every regime once, each deadline 1 to [`POLICY_DAYS_MAX`] days and
    /// the death deadline no later than the other serious one; every
    /// problem named by its field.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        for regime in LegalRegime::ALL {
            let (death, serious) = policy_fields(*regime);
            let mine: Vec<&RegimePolicy> = self
                .regimes
                .iter()
                .filter(|r| r.regime == *regime)
                .collect();
            let [one] = mine.as_slice() else {
                errs.push(FieldError::new(death, "field_required"));
                errs.push(FieldError::new(serious, "field_required"));
                continue;
            };
            let ok = |d: u32| (1..=POLICY_DAYS_MAX).contains(&d);
            if !ok(one.policy.death_days) {
                errs.push(FieldError::new(death, "policy_days_invalid"));
            }
            if !ok(one.policy.serious_days) {
                errs.push(FieldError::new(serious, "policy_days_invalid"));
            }
            if ok(one.policy.death_days)
                && ok(one.policy.serious_days)
                && one.policy.death_days > one.policy.serious_days
            {
                errs.push(FieldError::new(death, "policy_death_after_serious"));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

/// One regime's deadlines as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRegimePolicy {
    pub regime: String,
    pub death_days: String,
    pub serious_days: String,
}

/// Reads a policy as typed: every regime once (an unknown or repeated one
/// is named under `regimes`), each number a whole number of days; then
/// [`ReportingPolicies::check`]. Every problem is listed.
pub fn parse_policies(raw: &[RawRegimePolicy]) -> Result<ReportingPolicies, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut regimes: Vec<RegimePolicy> = Vec::new();
    let mut unreadable = Vec::new();
    for r in raw {
        let Some(regime) = LegalRegime::parse(&r.regime) else {
            errs.push(FieldError::new("regimes", "policy_regime_unknown"));
            continue;
        };
        if regimes.iter().any(|x| x.regime == regime) || unreadable.contains(&regime) {
            errs.push(FieldError::new("regimes", "policy_regime_repeated"));
            continue;
        }
        let (death_field, serious_field) = policy_fields(regime);
        let days = |s: &str, field: &'static str, errs: &mut Vec<FieldError>| match s.trim() {
            "" => {
                errs.push(FieldError::new(field, "field_required"));
                None
            }
            t => match t.parse::<u32>() {
                Ok(d) if (1..=POLICY_DAYS_MAX).contains(&d) => Some(d),
                _ => {
                    errs.push(FieldError::new(field, "policy_days_invalid"));
                    None
                }
            },
        };
        let death = days(&r.death_days, death_field, &mut errs);
        let serious = days(&r.serious_days, serious_field, &mut errs);
        match (death, serious) {
            (Some(death_days), Some(serious_days)) => regimes.push(RegimePolicy {
                regime,
                policy: ReportingPolicy {
                    death_days,
                    serious_days,
                },
            }),
            _ => unreadable.push(regime),
        }
    }
    regimes.sort_by_key(|r| r.regime);
    let policies = ReportingPolicies { regimes };
    if let Err(more) = policies.check() {
        // A regime whose numbers could not be read is named already.
        let named = |field: &str| {
            unreadable.iter().any(|r| {
                let (d, s) = policy_fields(*r);
                field == d || field == s
            })
        };
        errs.extend(
            more.into_iter()
                .filter(|e| !(e.code == "field_required" && named(e.field))),
        );
    }
    if errs.is_empty() {
        Ok(policies)
    } else {
        Err(errs)
    }
}

code_enum! {
    /// Which deadline applies.
    pub enum DeadlineKind {
        /// Death or life-threatening.
        Urgent => "urgent",
        /// Other serious.
        Serious => "serious",
    }
}

/// The day a report is due (inclusive: due on that day, overdue the day
/// after), counted from the local day the clinic learned of the event; or
/// None when the event is not serious.
pub fn report_due(
    facts: &AdverseEventFacts,
    aware_on: Date,
    policy: ReportingPolicy,
) -> Option<(Date, DeadlineKind)> {
    let urgent = facts
        .seriousness
        .iter()
        .any(|s| matches!(s, Seriousness::Death | Seriousness::LifeThreatening));
    let (days, kind) = if urgent {
        (policy.death_days, DeadlineKind::Urgent)
    } else if facts.is_serious() {
        (policy.serious_days, DeadlineKind::Serious)
    } else {
        return None;
    };
    aware_on
        .checked_add(Span::new().days(i64::from(days)))
        .ok()
        .map(|d| (d, kind))
}

/// Where a report stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DueState {
    NotRequired,
    Reported,
    Due { due: Date, days_left: i32 },
    Overdue { due: Date, days_over: i32 },
}

pub fn due_state(due: Option<Date>, reported: bool, today: Date) -> DueState {
    match (due, reported) {
        (None, _) => DueState::NotRequired,
        (Some(_), true) => DueState::Reported,
        (Some(d), false) => {
            let diff = (d - today).get_days();
            if diff >= 0 {
                DueState::Due {
                    due: d,
                    days_left: diff,
                }
            } else {
                DueState::Overdue {
                    due: d,
                    days_over: -diff,
                }
            }
        }
    }
}

/// The follow-up days after onset (day 7 and day 30).
pub const FOLLOW_UP_DAYS: [i64; 2] = [7, 30];

/// The follow-up tasks' dates: day 7 and day 30 after the local onset day.
pub fn follow_up_dates(onset_on: Date) -> Vec<Date> {
    FOLLOW_UP_DAYS
        .iter()
        .filter_map(|d| onset_on.checked_add(Span::new().days(*d)).ok())
        .collect()
}

/// How many days before onset a dose counts as possibly involved, by
/// default.
pub const SUGGEST_WINDOW_DAYS: i64 = 14;

/// The doses (id, start) given within `window_days` before the onset (and
/// not after it), newest first: what jousei suggests as involved.
pub fn suggest_involved(
    onset: Timestamp,
    doses: &[(Uuid, Timestamp)],
    window_days: i64,
) -> Vec<Uuid> {
    let from = onset
        .checked_sub(SignedDuration::from_hours(24 * window_days))
        .unwrap_or(onset);
    let mut hits: Vec<&(Uuid, Timestamp)> = doses
        .iter()
        .filter(|(_, at)| *at >= from && *at <= onset)
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.1));
    hits.into_iter().map(|(id, _)| *id).collect()
}

// -------------------------------------------------------------------- recalls

code_enum! {
    /// What a recall covers.
    pub enum RecallScope {
        Lot => "lot",
        Product => "product",
        /// Every product of one manufacturer.
        Supplier => "supplier",
        /// Every product made from one cell source.
        Source => "source",
    }
}

code_enum! {
    /// How a patient was contacted.
    pub enum ContactMethod {
        Phone => "phone",
        Sms => "sms",
        Email => "email",
        Letter => "letter",
        InPerson => "in_person",
    }
}

code_enum! {
    /// What a contact attempt achieved.
    pub enum ContactOutcome {
        /// The patient was told.
        Reached => "reached",
        NoAnswer => "no_answer",
        LeftMessage => "left_message",
        WrongNumber => "wrong_number",
    }
}

/// A recall's progress over its affected patients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallProgress {
    pub patients: usize,
    /// Told.
    pub reached: usize,
    /// Tried, not yet told.
    pub attempted: usize,
    /// Not tried yet.
    pub pending: usize,
}

impl RecallProgress {
    /// Per affected patient: reached if any attempt reached them.
    pub fn of(patients: &[Uuid], attempts: &[(Uuid, ContactOutcome)]) -> Self {
        let mut p = RecallProgress {
            patients: patients.len(),
            ..Default::default()
        };
        for id in patients {
            let mine: Vec<_> = attempts.iter().filter(|(pid, _)| pid == id).collect();
            if mine.iter().any(|(_, o)| *o == ContactOutcome::Reached) {
                p.reached += 1;
            } else if mine.is_empty() {
                p.pending += 1;
            } else {
                p.attempted += 1;
            }
        }
        p
    }

    /// Every affected patient has been told.
    pub fn complete(&self) -> bool {
        self.reached == self.patients
    }
}

#[cfg(test)]
mod tests;
