//! The patients web UI: search, registration (with the duplicate warning),
//! the record with its versions, the tablet questionnaire, the physician's
//! decision, consent (document, drawn signature, withdrawal, same-day
//! reason). Every rule lives in `patient_ops` and the domain crate; these
//! handlers parse forms, call the use cases and show what they answer, in
//! the person's language, next to the field concerned.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jousei_core::patient::questionnaire::{self, Choice};
use jousei_core::patient::registry::{AllergySeverity, DataConsentMethod, Sex};
use jousei_core::patient::screening::Decision;
use jousei_core::role::{Permission, Role};
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::pages::{Layout, local_time};
use crate::supply::pages::{Problems, render_status};
use jousei_service::auth::Principal;
use jousei_service::patients::{
    self as ops, AllergyIn, AnswerIn, AnswersIn, ConsentView, DecisionIn, DocumentIn,
    DuplicateMatch, MedicationIn, PatientIn, PatientView, RegisterIn, Registered, SearchIn, SignIn,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients", get(search_page))
        .route("/patients/new", get(new_page).post(new_submit))
        .route("/patients/{id}", get(record_page))
        .route("/patients/{id}/revise", post(revise_submit))
        .route(
            "/patients/{id}/questionnaire",
            get(questionnaire_page).post(questionnaire_submit),
        )
        .route(
            "/patients/{id}/screenings/{sid}/decision",
            post(decision_submit),
        )
        .route(
            "/patients/{id}/consent",
            get(consent_page).post(consent_submit),
        )
        .route(
            "/patients/{id}/consents/{cid}/withdrawal",
            post(withdraw_submit),
        )
        .route(
            "/patients/{id}/consents/{cid}/same-day-reason",
            post(same_day_submit),
        )
        .route(
            "/patients/{id}/consents/{cid}/signature",
            get(signature_file),
        )
        .route("/patients/{id}/consents/{cid}/pdf", get(consent_pdf_file))
        .route("/patients/{id}/answers/{rid}/review", post(review_submit))
        .route("/patients/{id}/questionnaire/thanks", get(thanks_page))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

fn render(t: &impl Template) -> Result<Response, ApiError> {
    render_status(StatusCode::OK, t)
}

pub use crate::form::Pairs;

/// Errors that belong on the page (a form's problems); the others
/// (forbidden, not found, internal) are shown as an error page.
pub(crate) fn page_problem(state: &AppState, ctx: &Ctx, e: ApiError) -> Result<Problems, ApiError> {
    if !e.status.is_client_error()
        || matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
    {
        return Err(e);
    }
    Ok(Problems::from_error(&state.i18n, ctx.locale, &e))
}

/// A localised label for a code (`pui-<prefix>-<code>`).
fn label(l: &Layout<'_>, prefix: &str, code: &str) -> String {
    l.t(&format!("pui-{prefix}-{code}"))
}

/// A choice in a select or a group of radios.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

fn opts(l: &Layout<'_>, prefix: &str, codes: &[&str], chosen: &str) -> Vec<Opt> {
    codes
        .iter()
        .map(|c| Opt {
            value: (*c).to_string(),
            label: label(l, prefix, c),
            checked: *c == chosen,
        })
        .collect()
}

fn done_flash(l: &Layout<'_>, q: &Pairs) -> Option<String> {
    let key = match q.get("done").as_str() {
        "created" => "pui-done-created",
        "revised" => "pui-done-revised",
        "answers" => "pui-done-answers",
        "decided" => "pui-done-decided",
        "signed" => "pui-done-signed",
        "withdrawn" => "pui-done-withdrawn",
        "same_day" => "pui-done-same-day",
        "reviewed" => "pui-done-reviewed",
        _ => return None,
    };
    Some(l.t(key))
}

// ---------------------------------------------------------------------------------------------
// Search

pub struct PatientRow {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub kana: String,
    pub birth_date: String,
    pub age: i16,
    pub phone: String,
}

fn row(v: &PatientView) -> PatientRow {
    PatientRow {
        id: v.patient.id,
        number: v.patient.number.clone(),
        name: v.patient.facts.name.clone(),
        kana: v.patient.facts.kana.as_str().to_string(),
        birth_date: v.patient.facts.birth_date.to_string(),
        age: v.age,
        phone: v.phone_display.clone(),
    }
}

#[derive(Template)]
#[template(path = "patients/search.html")]
struct SearchPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    q: Pairs,
    searched: bool,
    rows: Vec<PatientRow>,
    can_write: bool,
}

impl SearchPage<'_> {
    fn v(&self, key: &str) -> String {
        self.q.get(key)
    }
}

async fn search_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    p.require(Permission::PatientRead)?;
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let input = SearchIn {
        kana: q.filled("kana"),
        number: q.filled("number"),
        phone: q.filled("phone"),
        birth_date: q.filled("birth_date"),
        limit: None,
    };
    let searched = input.kana.is_some()
        || input.number.is_some()
        || input.phone.is_some()
        || input.birth_date.is_some();
    let (rows, errs, status) = if searched {
        match ops::search(&state, &p, &input).await {
            Ok(found) => (
                found.iter().map(row).collect(),
                Problems::default(),
                StatusCode::OK,
            ),
            Err(e) => {
                let status = crate::error::status_of(e.kind);
                (
                    Vec::new(),
                    page_problem(&state, &ctx, ApiError::from(e))?,
                    status,
                )
            }
        }
    } else {
        (Vec::new(), Problems::default(), StatusCode::OK)
    };
    let l = Layout::new(&state, &ctx, "pui-search-title", "/patients");
    render_status(
        status,
        &SearchPage {
            l,
            errs,
            q,
            searched,
            rows,
            can_write: p.can(Permission::PatientWrite),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Registration and correction

/// Rows of allergies and medications offered on the form.
const ROWS: usize = 3;

pub struct AllergyRow {
    pub substance: String,
    pub reaction: String,
    pub severity: Vec<Opt>,
}

pub struct MedicationRow {
    pub name: String,
    pub dose: String,
}

/// The patient's fields as typed (or as recorded, for a correction).
pub struct PatientForm {
    pub vals: Pairs,
    pub sex: Vec<Opt>,
    pub allergies: Vec<AllergyRow>,
    pub medications: Vec<MedicationRow>,
}

impl PatientForm {
    pub fn v(&self, key: &str) -> String {
        self.vals.get(key)
    }
}

const SEVERITIES: [&str; 4] = ["unknown", "mild", "moderate", "severe"];

fn patient_form(l: &Layout<'_>, vals: Pairs) -> PatientForm {
    let substances = vals.all("allergy_substance");
    let reactions = vals.all("allergy_reaction");
    let severities = vals.all("allergy_severity");
    let names = vals.all("medication_name");
    let doses = vals.all("medication_dose");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let n_all = substances.len().max(ROWS);
    let n_med = names.len().max(ROWS);
    debug_assert!(AllergySeverity::ALL.len() == SEVERITIES.len());
    PatientForm {
        sex: opts(
            l,
            "sex",
            &Sex::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            &vals.get("sex"),
        ),
        allergies: (0..n_all)
            .map(|i| AllergyRow {
                substance: at(&substances, i),
                reaction: at(&reactions, i),
                severity: opts(l, "severity", &SEVERITIES, &at(&severities, i)),
            })
            .collect(),
        medications: (0..n_med)
            .map(|i| MedicationRow {
                name: at(&names, i),
                dose: at(&doses, i),
            })
            .collect(),
        vals,
    }
}

fn opt_text(f: &Pairs, key: &str) -> Option<String> {
    f.filled(key)
}

/// The patient as typed; blank allergy and medication rows are not part of it.
fn patient_in(f: &Pairs) -> PatientIn {
    let substances = f.all("allergy_substance");
    let reactions = f.all("allergy_reaction");
    let severities = f.all("allergy_severity");
    let names = f.all("medication_name");
    let doses = f.all("medication_dose");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let nonblank = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    PatientIn {
        number: opt_text(f, "number"),
        name: f.get("name"),
        kana: f.get("kana"),
        romaji: opt_text(f, "romaji"),
        birth_date: f.get("birth_date"),
        sex: f.get("sex"),
        phone: f.get("phone"),
        email: opt_text(f, "email"),
        postal_code: opt_text(f, "postal_code"),
        address: f.get("address"),
        allergies: (0..substances.len())
            .filter(|i| {
                !at(&substances, *i).trim().is_empty() || !at(&reactions, *i).trim().is_empty()
            })
            .map(|i| AllergyIn {
                substance: at(&substances, i),
                reaction: nonblank(&at(&reactions, i)),
                severity: at(&severities, i),
            })
            .collect(),
        medications: (0..names.len())
            .filter(|i| !at(&names, *i).trim().is_empty() || !at(&doses, *i).trim().is_empty())
            .map(|i| MedicationIn {
                name: at(&names, i),
                dose: nonblank(&at(&doses, i)),
            })
            .collect(),
        history: opt_text(f, "history"),
    }
}

/// The recorded patient as form values (for the correction form).
fn patient_pairs(v: &PatientView) -> Pairs {
    let f = &v.patient.facts;
    let mut out = vec![
        ("number".to_string(), v.patient.number.clone()),
        ("name".to_string(), f.name.clone()),
        ("kana".to_string(), f.kana.as_str().to_string()),
        ("romaji".to_string(), f.romaji.clone().unwrap_or_default()),
        ("birth_date".to_string(), f.birth_date.to_string()),
        ("sex".to_string(), f.sex.as_str().to_string()),
        ("phone".to_string(), v.phone_display.clone()),
        ("email".to_string(), f.email.clone().unwrap_or_default()),
        (
            "postal_code".to_string(),
            f.postal_code.clone().unwrap_or_default(),
        ),
        ("address".to_string(), f.address.clone()),
        ("history".to_string(), f.history.clone().unwrap_or_default()),
    ];
    for a in &f.allergies {
        out.push(("allergy_substance".into(), a.substance.clone()));
        out.push((
            "allergy_reaction".into(),
            a.reaction.clone().unwrap_or_default(),
        ));
        out.push(("allergy_severity".into(), a.severity.as_str().to_string()));
    }
    for m in &f.medications {
        out.push(("medication_name".into(), m.name.clone()));
        out.push(("medication_dose".into(), m.dose.clone().unwrap_or_default()));
    }
    Pairs(out)
}

pub struct MatchRow {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub kana: String,
    pub birth_date: String,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "patients/new.html")]
struct NewPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    form: PatientForm,
    consent_given: bool,
    methods: Vec<Opt>,
    matches: Vec<MatchRow>,
}

const METHODS: [&str; 3] = ["written", "tablet", "verbal"];

fn new_page_of<'a>(
    state: &'a AppState,
    ctx: &'a Ctx,
    vals: Pairs,
    errs: Problems,
    matches: Vec<DuplicateMatch>,
) -> NewPage<'a> {
    let l = Layout::new(state, ctx, "pui-new-title", "/patients/new");
    let consent_given = vals.get("data_consent_given") == "1";
    debug_assert!(DataConsentMethod::ALL.len() == METHODS.len());
    let methods = opts(&l, "method", &METHODS, &vals.get("data_consent_method"));
    let matches = matches
        .into_iter()
        .map(|m| MatchRow {
            id: m.patient_id,
            number: m.number,
            name: m.name,
            kana: m.kana,
            birth_date: m.birth_date,
            reasons: m
                .reasons
                .iter()
                .map(|r| label(&l, "dup", r))
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    let form = patient_form(&l, vals);
    NewPage {
        l,
        errs,
        form,
        consent_given,
        methods,
        matches,
    }
}

async fn new_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::PatientWrite)?;
    render(&new_page_of(
        &state,
        &ctx,
        Pairs::default(),
        Problems::default(),
        Vec::new(),
    ))
}

async fn new_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::PatientWrite)?;
    let f = Pairs::parse(&body);
    // The consent is given by ticking the box; its method says how.
    let data_consent = if f.get("data_consent_given") == "1" {
        f.get("data_consent_method")
    } else {
        String::new()
    };
    let input = RegisterIn {
        patient: patient_in(&f),
        data_consent,
        confirm_not_duplicate: f.get("confirm_not_duplicate") == "1",
    };
    match ops::register(&state, &p, &input).await {
        Ok(Registered::Created(patient)) => {
            Ok(Redirect::to(&format!("/patients/{}?done=created", patient.id)).into_response())
        }
        Ok(Registered::ProbableDuplicates(matches)) => {
            let e = ApiError::new(StatusCode::CONFLICT, "patient_probable_duplicate");
            let errs = Problems::from_error(&state.i18n, ctx.locale, &e);
            render_status(
                StatusCode::CONFLICT,
                &new_page_of(&state, &ctx, f, errs, matches),
            )
        }
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            render_status(status, &new_page_of(&state, &ctx, f, errs, Vec::new()))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The record

pub struct VersionRow {
    pub version: i64,
    pub at: String,
    pub reason: String,
    pub summary: String,
}

pub struct FindingRow {
    pub severity: String,
    pub severity_code: String,
    pub title: String,
    pub reason: String,
    pub detail: String,
}

pub struct ScreeningRow {
    pub id: Uuid,
    pub created_at: String,
    pub standing: String,
    pub standing_code: String,
    pub valid_until: String,
    pub findings: Vec<FindingRow>,
    /// decision label, reason, conditions, by, at
    pub decision: Option<DecisionRow>,
    /// The physician may decide it here.
    pub decidable: bool,
}

pub struct DecisionRow {
    pub label: String,
    pub code: String,
    pub reason: String,
    pub conditions: String,
    pub by: String,
    pub at: String,
    pub valid_days: u32,
}

pub struct AnswerRow {
    pub question: String,
    pub answer: String,
    pub detail: String,
}

pub struct ConsentRow {
    pub id: Uuid,
    pub template: String,
    pub state: String,
    pub state_code: String,
    pub signed_at: String,
    pub explained_at: String,
    pub explained_by: String,
    pub witness: String,
    pub withdrawn: String,
    pub same_day_today: bool,
    pub same_day_reason: String,
    pub refused_today: String,
    pub withdrawable: bool,
    pub needs_same_day_reason: bool,
    /// SHA-256 of the kept PDF, or empty before it is made.
    pub pdf_sha256: String,
}

/// Problems of one form of the record page.
pub struct SectionProblems {
    pub section: String,
    pub problems: Problems,
}

/// A plan of the patient, as listed on the record.
pub struct PlanRow {
    pub id: Uuid,
    pub indication: String,
    pub route: String,
    pub start: String,
    pub version: i64,
    pub approved: bool,
}

#[derive(Template)]
#[template(path = "patients/record.html")]
struct RecordPage<'a> {
    l: Layout<'a>,
    patient: PatientView,
    sex: String,
    data_consent: String,
    allergies: Vec<(String, String, String)>,
    versions: Vec<VersionRow>,
    answers: Vec<AnswerRow>,
    answers_meta: String,
    /// The latest answers, when the patient filled them in and staff have
    /// not yet gone through them (the review form is shown).
    review_pending: Option<Uuid>,
    /// Who reviewed the latest patient-filled answers, when, and the note.
    review_done: String,
    screenings: Vec<ScreeningRow>,
    consents: Vec<ConsentRow>,
    plans: Vec<PlanRow>,
    can_plan: bool,
    sp: Option<SectionProblems>,
    form: PatientForm,
    decisions: Vec<Opt>,
    dec: Pairs,
    can_write: bool,
    can_decide: bool,
    can_consent: bool,
    empty: Problems,
}

impl RecordPage<'_> {
    /// The problems of the form `section` (none when it has none).
    fn pe(&self, section: &str) -> &Problems {
        self.sp
            .as_ref()
            .filter(|s| s.section == section)
            .map_or(&self.empty, |s| &s.problems)
    }
    fn withdraw_errs(&self, id: &Uuid) -> &Problems {
        self.pe(&format!("withdraw-{id}"))
    }
    fn sameday_errs(&self, id: &Uuid) -> &Problems {
        self.pe(&format!("sameday-{id}"))
    }
}

fn consent_row(l: &Layout<'_>, p: &Principal, c: &ConsentView) -> ConsentRow {
    let tz = p.clinic.time_zone.as_str();
    let k = &c.consent;
    let withdrawn = k.state.as_str() == "withdrawn";
    ConsentRow {
        id: k.id,
        template: format!("{} v{}", k.template_code, k.template_version),
        state: label(l, "consent-state", k.state.as_str()),
        state_code: k.state.as_str().to_string(),
        signed_at: local_time(k.signed_at.0, tz),
        explained_at: local_time(k.explained_at.0, tz),
        explained_by: k.explained_by_login.clone(),
        witness: k.witness_name.clone().unwrap_or_default(),
        withdrawn: match (&k.withdrawn_at, &k.withdrawn_reason) {
            (Some(at), r) => format!(
                "{} — {}",
                local_time(at.0, tz),
                r.clone().unwrap_or_default()
            ),
            _ => String::new(),
        },
        same_day_today: c.same_day_today,
        same_day_reason: k.same_day_reason.clone().unwrap_or_default(),
        refused_today: c
            .treatment_today_refused
            .as_deref()
            .map(|code| l.t(&format!("err-{code}")))
            .unwrap_or_default(),
        withdrawable: !withdrawn && p.can(Permission::ConsentRecord),
        needs_same_day_reason: !withdrawn
            && k.same_day_reason.is_none()
            && c.same_day_today
            && p.can(Permission::ScreeningDecide),
        pdf_sha256: k.pdf_sha256.clone().unwrap_or_default(),
    }
}

async fn record_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    failed: Option<(SectionProblems, Pairs)>,
    status: StatusCode,
    flash_q: &Pairs,
) -> Result<Response, ApiError> {
    let (sp, form_vals) = match failed {
        Some((s, v)) => (Some(s), Some(v)),
        None => (None, None),
    };
    let patient = ops::get(state, p, id).await?;
    let versions = ops::versions(state, p, id).await?;
    let responses = ops::responses(state, p, id).await?;
    let screenings = ops::screenings(state, p, id).await?;
    let consents = ops::consents(state, p, id).await?;
    let plans = jousei_service::plans::plans_of_patient(state, p, id).await?;
    let mut l = Layout::new(state, ctx, "pui-record-title", "/patients");
    l.title = format!("{} · {}", patient.patient.facts.name, l.title);
    l.flash = done_flash(&l, flash_q);
    let tz = p.clinic.time_zone.as_str();
    let locale = ctx.locale;
    let def = questionnaire::current();
    let (answers, answers_meta) = match responses.first() {
        Some(r) => (
            r.answers
                .iter()
                .map(|(q, a)| AnswerRow {
                    question: def
                        .question(*q)
                        .map(|x| x.text.get(locale).to_string())
                        .unwrap_or_else(|| q.as_str().to_string()),
                    answer: label(&l, "answer", a.choice.as_str()),
                    detail: a.detail.clone().unwrap_or_default(),
                })
                .collect(),
            format!(
                "{} · {}",
                local_time(r.created_at.0, tz),
                label(&l, "source", r.source.as_str())
            ),
        ),
        None => (Vec::new(), String::new()),
    };
    let latest_patient_filled = responses
        .first()
        .filter(|r| r.source == jousei_store::patient::AnswerSource::Patient);
    let review_pending = latest_patient_filled
        .filter(|r| r.review.is_none())
        .map(|r| r.id);
    let review_done = latest_patient_filled
        .and_then(|r| r.review.as_ref())
        .map(|v| {
            let mut t = l.i18n.t_args(
                l.locale,
                "pui-reviewed-by",
                &[
                    ("by", v.reviewed_by_login.clone()),
                    ("at", local_time(v.reviewed_at.0, tz)),
                ],
            );
            if let Some(n) = &v.note {
                t.push_str(&format!(" — {n}"));
            }
            t
        })
        .unwrap_or_default();
    let can_decide = p.can(Permission::ScreeningDecide);
    let screenings = screenings
        .iter()
        .map(|s| ScreeningRow {
            id: s.screening.id,
            created_at: local_time(s.screening.created_at.0, tz),
            standing: label(&l, "standing", &s.standing),
            standing_code: s.standing.clone(),
            valid_until: s.valid_until.map(|t| local_time(t, tz)).unwrap_or_default(),
            findings: s
                .screening
                .findings
                .iter()
                .map(|f| FindingRow {
                    severity: label(&l, "severity-f", f.severity.as_str()),
                    severity_code: f.severity.as_str().to_string(),
                    title: label(&l, "finding", f.code.as_str()),
                    reason: f.reason.get(locale).to_string(),
                    detail: f.detail.clone().unwrap_or_default(),
                })
                .collect(),
            decision: s.screening.decision.as_ref().map(|d| DecisionRow {
                label: label(&l, "decision", d.facts.decision.as_str()),
                code: d.facts.decision.as_str().to_string(),
                reason: d.facts.reason.clone(),
                conditions: d.facts.conditions.clone().unwrap_or_default(),
                by: d.decided_by_login.clone().unwrap_or_default(),
                at: local_time(d.decided_at.0, tz),
                valid_days: d.facts.valid_days,
            }),
            decidable: s.screening.decision.is_none() && s.standing == "awaiting_decision",
        })
        .collect();
    let consents = consents.iter().map(|c| consent_row(&l, p, c)).collect();
    let allergies = patient
        .patient
        .facts
        .allergies
        .iter()
        .map(|a| {
            (
                a.substance.clone(),
                a.reaction.clone().unwrap_or_default(),
                label(&l, "severity", a.severity.as_str()),
            )
        })
        .collect();
    let versions = versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            at: local_time(v.created_at.0, tz),
            reason: v.reason.clone().unwrap_or_default(),
            summary: format!("{} / {}", v.facts.name, v.facts.kana.as_str()),
        })
        .collect();
    let dec = if sp.as_ref().is_some_and(|s| s.section == "decision") {
        form_vals.clone().unwrap_or_default()
    } else {
        Pairs::default()
    };
    let decisions = opts(
        &l,
        "decision",
        &Decision::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        &dec.get("decision"),
    );
    let form_vals = match (&sp, form_vals) {
        (Some(s), Some(v)) if s.section == "revise" => v,
        _ => patient_pairs(&patient),
    };
    let form = patient_form(&l, form_vals);
    let indications = jousei_service::plans::indications(state, p).await?;
    let plans = plans
        .iter()
        .map(|pl| PlanRow {
            id: pl.id,
            indication: indications
                .iter()
                .find(|i| i.facts.code == pl.facts.indication_code)
                .map(|i| match locale {
                    jousei_core::locale::Locale::En => i.facts.name_en.clone(),
                    _ => i.facts.name_ja.clone(),
                })
                .unwrap_or_else(|| pl.facts.indication_code.clone()),
            route: l.t(&format!("route-{}", pl.facts.route.as_str())),
            start: pl.facts.start_date.to_string(),
            version: pl.version,
            approved: pl.is_approved(),
        })
        .collect();
    let page = RecordPage {
        sex: label(&l, "sex", patient.patient.facts.sex.as_str()),
        data_consent: format!(
            "{} · {}",
            label(&l, "method", patient.patient.data_consent.method.as_str()),
            local_time(patient.patient.data_consent.at.0, tz)
        ),
        allergies,
        l,
        patient,
        versions,
        answers,
        answers_meta,
        review_pending,
        review_done,
        screenings,
        consents,
        plans,
        can_plan: p.can(Permission::PlanWrite),
        sp,
        form,
        decisions,
        dec,
        can_write: p.can(Permission::PatientWrite),
        can_decide,
        can_consent: p.can(Permission::ConsentRecord),
        empty: Problems::default(),
    };
    render_status(status, &page)
}

async fn record_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    p.require(Permission::PatientRead)?;
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    record_with(&state, &p, &ctx, id, None, StatusCode::OK, &q).await
}

/// Shows the record again with the problems of one form.
async fn record_problem(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    section: &str,
    e: ApiError,
    vals: Pairs,
) -> Result<Response, ApiError> {
    let status = e.status;
    let problems = page_problem(state, ctx, e)?;
    record_with(
        state,
        p,
        ctx,
        id,
        Some((
            SectionProblems {
                section: section.to_string(),
                problems,
            },
            vals,
        )),
        status,
        &Pairs::default(),
    )
    .await
}

async fn revise_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::revise(&state, &p, id, &patient_in(&f), &f.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}?done=revised")).into_response()),
        Err(e) => record_problem(&state, &p, &ctx, id, "revise", ApiError::from(e), f).await,
    }
}

async fn decision_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, sid)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = DecisionIn {
        decision: f.get("decision"),
        reason: f.get("reason"),
        conditions: f.filled("conditions"),
        valid_days: f.filled("valid_days"),
    };
    match ops::decide(&state, &p, id, sid, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}?done=decided")).into_response()),
        Err(e) => record_problem(&state, &p, &ctx, id, "decision", ApiError::from(e), f).await,
    }
}

async fn withdraw_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, cid)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::withdraw(&state, &p, id, cid, &f.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}?done=withdrawn")).into_response()),
        Err(e) => {
            record_problem(
                &state,
                &p,
                &ctx,
                id,
                &format!("withdraw-{cid}"),
                ApiError::from(e),
                f,
            )
            .await
        }
    }
}

async fn same_day_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, cid)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::same_day_reason(&state, &p, id, cid, &f.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}?done=same_day")).into_response()),
        Err(e) => {
            record_problem(
                &state,
                &p,
                &ctx,
                id,
                &format!("sameday-{cid}"),
                ApiError::from(e),
                f,
            )
            .await
        }
    }
}

async fn signature_file(
    State(state): State<AppState>,
    Signed(p, _ctx): Signed,
    Path((id, cid)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = ops::consent_signature(&state, &p, id, cid).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn review_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = ops::ReviewIn {
        note: f.filled("note"),
    };
    match ops::review_answers(&state, &p, id, rid, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/patients/{id}?done=reviewed#screening")).into_response())
        }
        Err(e) => record_problem(&state, &p, &ctx, id, "review", ApiError::from(e), f).await,
    }
}

async fn consent_pdf_file(
    State(state): State<AppState>,
    Signed(p, _ctx): Signed,
    Path((id, cid)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let pdf = ops::consent_pdf(&state, &p, id, cid).await?;
    Ok(crate::patients::api::pdf_response(
        pdf,
        &format!("consent-{cid}.pdf"),
    ))
}

// ---------------------------------------------------------------------------------------------
// Questionnaire (tablet)

pub struct QuestionRow {
    pub id: String,
    pub text: String,
    pub detail_prompt: String,
    pub choices: Vec<Opt>,
    pub detail: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "patients/questionnaire.html")]
struct QuestionnairePage<'a> {
    l: Layout<'a>,
    id: Uuid,
    name: String,
    title: String,
    errs: Problems,
    questions: Vec<QuestionRow>,
    sources: Vec<Opt>,
    /// Handed to the patient: no staff menu, the source is the patient,
    /// and a thank-you page (no record) follows.
    patient_mode: bool,
}

#[derive(Template)]
#[template(path = "patients/thanks.html")]
struct ThanksPage<'a> {
    l: Layout<'a>,
    id: Uuid,
}

async fn thanks_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    p.require(Permission::PatientWrite)?;
    let mut l = Layout::new(&state, &ctx, "pui-thanks-title", "/patients");
    l.principal = None;
    l.nav = Vec::new();
    render(&ThanksPage { l, id })
}

async fn questionnaire_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    vals: Pairs,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    p.require(Permission::PatientWrite)?;
    let def = ops::questionnaire_definition(p)?;
    let patient = ops::get(state, p, id).await?;
    let sex = patient.patient.facts.sex;
    let locale = ctx.locale;
    let patient_mode = vals.get("mode") == "patient";
    let mut l = Layout::new(state, ctx, "pui-q-title", "/patients");
    if patient_mode {
        l.principal = None;
        l.nav = Vec::new();
    }
    let questions = def
        .questions
        .iter()
        .filter(|q| q.applies_to(sex))
        .map(|q| {
            let key = q.id.as_str();
            let mut codes = vec![Choice::Yes.as_str(), Choice::No.as_str()];
            if q.allows_unsure {
                codes.push(Choice::Unsure.as_str());
            }
            QuestionRow {
                id: key.to_string(),
                text: q.text.get(locale).to_string(),
                detail_prompt: q.detail_prompt.get(locale).to_string(),
                choices: opts(&l, "answer", &codes, &vals.get(key)),
                detail: vals.get(&format!("{key}_detail")),
                error: errs.field(key),
            }
        })
        .collect();
    let source = vals.filled("source").unwrap_or_else(|| "patient".into());
    let sources = opts(&l, "source", &["patient", "staff"], &source);
    render_status(
        status,
        &QuestionnairePage {
            title: def.title.get(locale).to_string(),
            name: patient.patient.facts.name.clone(),
            l,
            id,
            errs,
            questions,
            sources,
            patient_mode,
        },
    )
}

async fn questionnaire_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(q.unwrap_or_default().as_bytes());
    let mut vals = Pairs::default();
    if q.get("mode") == "patient" {
        vals.0.push(("mode".into(), "patient".into()));
        vals.0.push(("source".into(), "patient".into()));
    }
    questionnaire_with(
        &state,
        &p,
        &ctx,
        id,
        vals,
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

async fn questionnaire_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let def = questionnaire::current();
    // Every question of the questionnaire is sent; one left blank is
    // named by the use case. Questions that do not apply are not sent.
    let answers = def
        .questions
        .iter()
        .filter_map(|q| {
            let key = q.id.as_str();
            let answer = f.get(key);
            let detail = f.filled(&format!("{key}_detail"));
            let asked = f.0.iter().any(|(k, _)| k == &format!("{key}_asked"));
            asked.then(|| AnswerIn {
                question: key.to_string(),
                answer,
                detail,
            })
        })
        .collect();
    let input = AnswersIn {
        source: f.filled("source"),
        answers,
    };
    match ops::answer(&state, &p, id, &input).await {
        Ok(_) if f.get("mode") == "patient" => {
            Ok(Redirect::to(&format!("/patients/{id}/questionnaire/thanks")).into_response())
        }
        Ok(_) => {
            Ok(Redirect::to(&format!("/patients/{id}?done=answers#screening")).into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            questionnaire_with(&state, &p, &ctx, id, f, errs, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Consent

pub struct DocumentShown {
    pub template_id: Uuid,
    pub template_version: i64,
    pub locale: String,
    pub text: String,
    pub sha256: String,
}

#[derive(Template)]
#[template(path = "patients/consent.html")]
struct ConsentPage<'a> {
    l: Layout<'a>,
    id: Uuid,
    name: String,
    errs: Problems,
    templates: Vec<Opt>,
    products: Vec<Opt>,
    locales: Vec<Opt>,
    doc: Option<DocumentShown>,
    product_ids: Vec<String>,
    physicians: Vec<Opt>,
    vals: Pairs,
    is_physician: bool,
    /// No physician's decision permits treatment: the page says so, links
    /// to the screening, and offers no document or signature.
    needs_decision: bool,
}

impl ConsentPage<'_> {
    fn v(&self, key: &str) -> String {
        self.vals.get(key)
    }
}

fn uuid_of(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s.trim()).ok()
}

/// The consent page: the choice of template and products, and once both
/// are chosen the rendered document with the signature pad.
async fn consent_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    q: Pairs,
    errs: Option<ApiError>,
) -> Result<Response, ApiError> {
    p.require(Permission::ConsentRecord)?;
    let patient = ops::get(state, p, id).await?;
    let l = Layout::new(state, ctx, "pui-consent-title", "/patients");
    let chosen_template = q.get("template_id");
    let chosen_products = q.all("product_ids");
    let templates = state
        .store
        .consent_templates(p.clinic.id)
        .await?
        .into_iter()
        .map(|t| Opt {
            checked: t.id.to_string() == chosen_template,
            label: format!(
                "{} v{} — {}",
                t.code,
                t.version,
                t.body.title.get(ctx.locale)
            ),
            value: t.id.to_string(),
        })
        .collect();
    let products = state
        .store
        .products(p.clinic.id)
        .await?
        .into_iter()
        .map(|x| Opt {
            checked: chosen_products.iter().any(|c| *c == x.id.to_string()),
            label: format!("{} — {}", x.facts.code, x.facts.name),
            value: x.id.to_string(),
        })
        .collect();
    let locale_code = q.filled("locale").unwrap_or_else(|| "ja".into());
    let locales = opts(&l, "locale", &["ja", "en"], &locale_code);
    let physicians = state
        .store
        .users_in_clinic(p.clinic.id)
        .await?
        .into_iter()
        .filter(|(u, r)| *r == Role::Physician && u.active)
        .map(|(u, _)| Opt {
            checked: q.get("explained_by") == u.login
                || (q.get("explained_by").is_empty() && u.id == p.user.id),
            label: format!("{} ({})", u.display_name, u.login),
            value: u.login,
        })
        .collect();
    let needs_decision = !ops::decision_permits_consent(state, p, id).await?;
    let mut problems = Problems::default();
    let mut status = StatusCode::OK;
    if let Some(e) = errs {
        status = e.status;
        if !needs_decision {
            problems = page_problem(state, ctx, e)?;
        }
    }
    let mut doc = None;
    if q.filled("template_id").is_some() && !needs_decision {
        let input = DocumentIn {
            template_id: uuid_of(&chosen_template),
            product_ids: chosen_products.iter().filter_map(|s| uuid_of(s)).collect(),
            locale: Some(locale_code.clone()),
        };
        match ops::preview(state, p, id, &input).await {
            Ok(d) => {
                doc = Some(DocumentShown {
                    template_id: d.template_id,
                    template_version: d.template_version,
                    locale: d.locale,
                    text: d.text,
                    sha256: d.sha256,
                })
            }
            Err(e) if !problems.any() => {
                status = crate::error::status_of(e.kind);
                problems = page_problem(state, ctx, ApiError::from(e))?;
            }
            Err(_) => {}
        }
    }
    render_status(
        status,
        &ConsentPage {
            l,
            id,
            name: patient.patient.facts.name.clone(),
            errs: problems,
            templates,
            products,
            locales,
            doc,
            product_ids: chosen_products,
            physicians,
            vals: q,
            is_physician: p.can(Permission::ScreeningDecide),
            needs_decision,
        },
    )
}

async fn consent_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    consent_with(&state, &p, &ctx, id, q, None).await
}

async fn consent_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = SignIn {
        template_id: uuid_of(&f.get("template_id")),
        template_version: f.get("template_version").trim().parse().unwrap_or(0),
        product_ids: f
            .all("product_ids")
            .iter()
            .filter_map(|s| uuid_of(s))
            .collect(),
        locale: f.filled("locale"),
        text_sha256: f.get("text_sha256"),
        signature_svg_path: f.filled("signature_svg_path"),
        signature_png_base64: None,
        explained_by: f.get("explained_by"),
        witness_name: f.filled("witness_name"),
        explained_at: None,
        treatment_date: f.filled("treatment_date"),
        same_day_reason: f.filled("same_day_reason"),
    };
    match ops::sign(&state, &p, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}?done=signed#consents")).into_response()),
        Err(e) => consent_with(&state, &p, &ctx, id, f, Some(ApiError::from(e))).await,
    }
}
