//! The questionnaire, its screening, staff review of answers the patient
//! filled in, and the physician's decision.

use super::*;

/// The current questionnaire (no patient data).
pub fn questionnaire_definition(p: &Principal) -> Result<Questionnaire, ServiceError> {
    p.require(Permission::PatientRead)?;
    Ok(questionnaire::current())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerIn {
    /// A question id of the current questionnaire.
    pub question: String,
    /// yes, no, unsure (pregnancy only)
    pub answer: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnswersIn {
    /// patient (filled on the tablet) or staff (default)
    pub source: Option<String>,
    pub answers: Vec<AnswerIn>,
}

/// A screening with where it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct ScreeningView {
    #[serde(flatten)]
    pub screening: Screening,
    /// stale, awaiting_decision, expired, valid
    pub standing: String,
    /// End of validity once decided.
    pub valid_until: Option<Timestamp>,
    /// Whether a treatment may go ahead on it now.
    pub permits_treatment: bool,
}

pub(super) fn screening_view(
    s: Screening,
    latest_fingerprint: &str,
    now: Timestamp,
) -> ScreeningView {
    let facts = ScreeningFacts {
        answers_fingerprint: s.answers_fingerprint.clone(),
        decided: s
            .decision
            .as_ref()
            .map(|d| (d.facts.decision, d.decided_at.0, d.facts.valid_days)),
    };
    let st = screening::standing(&facts, latest_fingerprint, now);
    ScreeningView {
        standing: st.code().to_string(),
        valid_until: match st {
            Standing::Valid { until, .. } | Standing::Expired { until } => Some(until),
            _ => None,
        },
        permits_treatment: st.permits_treatment(),
        screening: s,
    }
}

pub(super) async fn latest_fingerprint(
    svc: &Service,
    clinic: Uuid,
    patient: Uuid,
) -> Result<String, ServiceError> {
    Ok(svc
        .store
        .questionnaire_responses(clinic, patient)
        .await?
        .into_iter()
        .next()
        .map(|r| r.fingerprint)
        .unwrap_or_default())
}

/// Records answers and screens them.
pub async fn answer(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    input: &AnswersIn,
) -> Result<ScreeningView, ServiceError> {
    p.require(Permission::PatientWrite)?;
    let patient = ensure_patient(svc, p, patient_id).await?;
    let mut errs = Vec::new();
    let source = match input.source.as_deref().map(str::trim) {
        None | Some("") => Some(AnswerSource::Staff),
        Some(s) => AnswerSource::parse(s).or_else(|| {
            errs.push(FieldError::new("source", "code_unknown"));
            None
        }),
    };
    let def = questionnaire::current();
    let raw: Vec<RawAnswer> = input
        .answers
        .iter()
        .map(|a| RawAnswer {
            question: a.question.clone(),
            answer: a.answer.clone(),
            detail: a.detail.clone(),
        })
        .collect();
    let answers = questionnaire::parse_answers(&def, patient.facts.sex, &raw)
        .map_err(|e| errs.extend(e))
        .ok();
    let (Some(source), Some(answers), true) = (source, answers, errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    let fingerprint = questionnaire::fingerprint(def.version, &answers);
    let findings = screening::screen(&answers, &patient.facts.allergies);
    let (_, s) = svc
        .store
        .record_answers(
            &p.actor(),
            p.clinic.id,
            patient_id,
            &NewAnswers {
                questionnaire_version: def.version,
                answers,
                fingerprint: fingerprint.clone(),
                source,
                findings,
            },
        )
        .await?;
    Ok(screening_view(s, &fingerprint, svc.now()))
}

/// The patient's answers, newest first (part `questionnaire`).
pub async fn responses(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Vec<QuestionnaireResponse>, ServiceError> {
    p.require(Permission::PatientRead)?;
    ensure_patient(svc, p, patient_id).await?;
    let r = svc
        .store
        .questionnaire_responses(p.clinic.id, patient_id)
        .await?;
    note_read(svc, p, patient_id, "questionnaire").await?;
    Ok(r)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewIn {
    /// What was checked or corrected with the patient (optional).
    pub note: Option<String>,
}

/// Records that staff went through answers the patient filled in on the
/// tablet with them. Only answers from the patient need it
/// (`answers_review_not_needed` for staff-entered ones).
pub async fn review_answers(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    response_id: Uuid,
    input: &ReviewIn,
) -> Result<QuestionnaireResponse, ServiceError> {
    p.require(Permission::PatientWrite)?;
    ensure_patient(svc, p, patient_id).await?;
    let note = jousei_core::patient::optional_text(input.note.as_deref(), "note", 1000)
        .map_err(|e| ServiceError::fields(vec![e]))?;
    let r = svc
        .store
        .questionnaire_responses(p.clinic.id, patient_id)
        .await?
        .into_iter()
        .find(|r| r.id == response_id)
        .ok_or_else(ServiceError::not_found)?;
    if r.source != AnswerSource::Patient {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "answers_review_not_needed",
        ));
    }
    Ok(svc
        .store
        .review_answers(&p.actor(), p.clinic.id, response_id, note.as_deref())
        .await?)
}

/// Screenings, newest first, with their standing (part `screening`).
pub async fn screenings(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Vec<ScreeningView>, ServiceError> {
    p.require(Permission::PatientRead)?;
    ensure_patient(svc, p, patient_id).await?;
    let latest = latest_fingerprint(svc, p.clinic.id, patient_id).await?;
    let now = svc.now();
    let list = svc.store.screenings(p.clinic.id, patient_id).await?;
    note_read(svc, p, patient_id, "screening").await?;
    Ok(list
        .into_iter()
        .map(|s| screening_view(s, &latest, now))
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionIn {
    /// eligible, eligible_with_conditions, not_eligible
    pub decision: String,
    /// The physician's written reason (required).
    pub reason: String,
    /// Required for eligible_with_conditions.
    pub conditions: Option<String>,
    /// Days the decision stays valid (default 90, 1–365).
    pub valid_days: Option<String>,
}

/// The physician's decision on a screening.
pub async fn decide(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    screening_id: Uuid,
    input: &DecisionIn,
) -> Result<ScreeningView, ServiceError> {
    p.require(Permission::ScreeningDecide)?;
    let s = svc
        .store
        .screening(p.clinic.id, screening_id)
        .await?
        .filter(|s| s.patient_id == patient_id)
        .ok_or_else(ServiceError::not_found)?;
    let facts = RawDecision {
        decision: input.decision.clone(),
        reason: input.reason.clone(),
        conditions: input.conditions.clone(),
        valid_days: input.valid_days.clone(),
    }
    .parse()
    .map_err(ServiceError::fields)?;
    let s = svc
        .store
        .decide_screening(&p.actor(), p.clinic.id, s.id, &facts)
        .await?;
    let latest = latest_fingerprint(svc, p.clinic.id, patient_id).await?;
    Ok(screening_view(s, &latest, svc.now()))
}
