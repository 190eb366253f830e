//! The chair-side pages: today's appointments, the dose form (patient,
//! identity, plan, route, the vials scanned), the check with every finding
//! in words, the physician's overrides with their reasons, recording; the
//! recorded dose (printable) with its corrections and void; and the
//! lookback both ways. Rules live in `care_ops` and the domain crate.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jousei_core::care::{CheckOutcome, Severity};
use jousei_core::role::Permission;
use jousei_core::supply::product::Route;
use jousei_core::supply::units::fmt_fixed;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::form::Pairs;
use crate::pages::{Layout, local_time};
use crate::patients::pages::{Opt, page_problem};
use crate::supply::pages::{Problems, render_status};
use jousei_service::auth::Principal;
use jousei_service::care::{
    self as ops, BloodDonationNoticeIn, CareIn, CorrectionIn, IdentityIn, LookbackIn, OverrideIn,
    RecordIn, VialIn,
};
use jousei_service::supply::clinic_today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chair", get(chair_page).post(chair_submit))
        .route("/chair/notice", get(notice_page).post(notice_submit))
        .route("/chair/administrations/{id}", get(administration_page))
        .route("/chair/administrations/{id}/correct", post(correct_submit))
        .route("/chair/administrations/{id}/void", post(void_submit))
        .route("/safety/lookback", get(lookback_page))
}

/// Rows of vials offered on the form (a blend has two or more).
const VIAL_ROWS: usize = 3;

pub struct VialRow {
    pub scan: String,
    pub volume: String,
    pub opened: String,
    /// The problems of this vial's scan (named by its position).
    pub error: String,
    /// The next scan goes here: the first empty vial field.
    pub next: bool,
}

pub struct FindingRow {
    pub severity: &'static str,
    pub severity_label: String,
    pub code: &'static str,
    pub message: String,
    /// The subject as JSON (for the override form).
    pub subject: String,
    /// Index among the findings that need an override.
    pub override_index: Option<usize>,
    pub reason: String,
}

pub struct TodayRow {
    pub id: Uuid,
    pub time: String,
    pub patient: String,
    pub status: String,
    pub session: String,
}

#[derive(Template)]
#[template(path = "care/chair.html")]
struct ChairPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    f: Pairs,
    today: Vec<TodayRow>,
    plans: Vec<Opt>,
    routes: Vec<Opt>,
    locations: Vec<Opt>,
    verifiers: Vec<Opt>,
    vials: Vec<VialRow>,
    patient_label: Option<String>,
    checked: bool,
    findings: Vec<FindingRow>,
    blocked: bool,
    overrides_needed: usize,
    can_override: bool,
    /// The clinic's blood-donation notice in the user's language.
    notice: String,
    /// The user may change the notice (a link to its form).
    can_edit_notice: bool,
    identity_card: bool,
    /// The check's result as shown next to the scan fields: `stop`,
    /// `physician` or `go`.
    status: &'static str,
}

impl ChairPage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

/// The dose as typed on the form.
fn care_in(f: &Pairs) -> CareIn {
    let scans = f.all("vial_scan");
    let volumes = f.all("vial_volume");
    let opened = f.all("vial_opened");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let nonblank = |s: String| (!s.trim().is_empty()).then_some(s);
    CareIn {
        patient_id: f.get("patient_id"),
        identity: IdentityIn {
            method: f.get("identity_method"),
            name: f.filled("identity_name"),
            birth_date: f.filled("identity_birth_date"),
            card: f.filled("identity_card"),
        },
        plan_id: f.filled("plan_id"),
        appointment_id: f.filled("appointment_id"),
        route: f.get("route"),
        location_id: f.get("location_id"),
        vials: (0..scans.len())
            .filter(|i| !at(&scans, *i).trim().is_empty())
            .map(|i| VialIn {
                scan: nonblank(at(&scans, i)),
                lot_id: None,
                serial: None,
                opened_at: nonblank(at(&opened, i)),
                volume_ml: nonblank(at(&volumes, i)),
            })
            .collect(),
    }
}

fn record_in(f: &Pairs) -> RecordIn {
    let codes = f.all("override_code");
    let subjects = f.all("override_subject");
    let reasons = f.all("override_reason");
    RecordIn {
        care: care_in(f),
        overrides: codes
            .iter()
            .enumerate()
            .filter(|(i, _)| reasons.get(*i).is_some_and(|r| !r.trim().is_empty()))
            .map(|(i, c)| OverrideIn {
                code: c.clone(),
                subject: subjects
                    .get(i)
                    .filter(|s| !s.is_empty())
                    .and_then(|s| serde_json::from_str(s).ok()),
                reason: reasons.get(i).cloned().unwrap_or_default(),
            })
            .collect(),
        physician_login: f.filled("physician_login"),
        physician_password: f.filled("physician_password"),
        verified_by: f.get("verified_by").trim().parse().ok(),
        site_count: f.filled("site_count"),
        site_areas: f
            .get("site_areas")
            .split([',', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        started_at: f.filled("started_at"),
        ended_at: f.filled("ended_at"),
        observations: f.filled("observations"),
        reactions: f.filled("reactions"),
        blood_donation_notice_given: f.get("blood_donation_notice_given") == "1",
    }
}

/// Sets `key` to one value (the form's hidden field and a value found by
/// the server are never both kept: `Pairs::get` reads the first).
fn set(f: &mut Pairs, key: &str, value: Option<String>) {
    f.0.retain(|(k, _)| k != key);
    if let Some(v) = value {
        f.0.push((key.to_string(), v));
    }
}

/// Resolves the patient of the form: the number typed, when there is one
/// (it is what the nurse sees and may have changed), else the id carried
/// from an appointment. A number nobody has leaves no patient.
async fn resolve_patient(state: &AppState, p: &Principal, f: &mut Pairs) -> Result<(), ApiError> {
    let number = f.get("patient_number").trim().to_string();
    if number.is_empty() {
        let id = f.filled("patient_id");
        set(f, "patient_id", id);
        return Ok(());
    }
    let hit = jousei_service::patients::by_number(state, p.clinic.id, &number).await?;
    set(f, "patient_id", hit.map(|pt| pt.id.to_string()));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn chair_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    mut f: Pairs,
    errs: Problems,
    outcome: Option<(CheckOutcome, Vec<(usize, String)>)>,
    vial_errs: &[(usize, String)],
    status: StatusCode,
) -> Result<Response, ApiError> {
    p.require(Permission::Administer)?;
    let l = Layout::new(state, ctx, "care-chair-title", "/chair");
    let clinic = p.clinic.id;
    // Coming from an appointment: its patient, plan and the plan's route.
    if let Some(aid) = f.filled("appointment_id")
        && let Ok(aid) = Uuid::parse_str(aid.trim())
        && f.get("patient_id").is_empty()
        && f.get("patient_number").trim().is_empty()
        && let Some(a) = state.store.appointment(clinic, aid).await?
    {
        set(&mut f, "patient_id", Some(a.patient_id.to_string()));
        if let Some(plan_id) = a.plan_id {
            set(&mut f, "plan_id", Some(plan_id.to_string()));
            if let Some(plan) = state.store.plan(clinic, plan_id).await?
                && f.get("route").is_empty()
            {
                f.0.push(("route".into(), plan.facts.route.as_str().to_string()));
            }
        }
    }
    resolve_patient(state, p, &mut f).await?;
    // The patient and their plans through the audited read (part `chair`).
    let (patient, patient_plans) = match Uuid::parse_str(f.get("patient_id").trim()) {
        Ok(id) => match ops::chair_patient(state, p, id).await? {
            Some((pt, plans)) => (Some(pt), plans),
            None => (None, Vec::new()),
        },
        Err(_) => (None, Vec::new()),
    };
    if let Some(pt) = &patient
        && f.get("patient_number").trim().is_empty()
    {
        set(&mut f, "patient_number", Some(pt.number.clone()));
    }
    let plan_choice = f.get("plan_id");
    let plans = match &patient {
        Some(_) => patient_plans
            .into_iter()
            .map(|pl| Opt {
                checked: pl.id.to_string() == plan_choice,
                label: format!(
                    "{} · {} · {} v{}",
                    pl.facts.indication_code,
                    l.t(&format!("route-{}", pl.facts.route.as_str())),
                    pl.facts
                        .components
                        .iter()
                        .map(|c| format!("{} {}%", c.product_code, c.share_percent))
                        .collect::<Vec<_>>()
                        .join(" + "),
                    pl.version
                ),
                value: pl.id.to_string(),
            })
            .collect(),
        None => Vec::new(),
    };
    let route = f.get("route");
    let routes = Route::ALL
        .iter()
        .map(|r| Opt {
            value: r.as_str().to_string(),
            label: l.t(&format!("route-{}", r.as_str())),
            checked: r.as_str() == route,
        })
        .collect();
    let loc = f.get("location_id");
    let locations: Vec<Opt> = state
        .store
        .locations(clinic)
        .await?
        .into_iter()
        .map(|x| Opt {
            checked: x.id.to_string() == loc,
            label: format!("{} {}", x.code, x.name),
            value: x.id.to_string(),
        })
        .collect();
    let ver = f.get("verified_by");
    let verifiers = state
        .store
        .users_in_clinic(clinic)
        .await?
        .into_iter()
        .filter(|(u, r)| u.active && u.id != p.user.id && r.permits(Permission::Administer))
        .map(|(u, _)| Opt {
            checked: u.id.to_string() == ver,
            label: u.display_name.clone(),
            value: u.id.to_string(),
        })
        .collect();
    let scans = f.all("vial_scan");
    let volumes = f.all("vial_volume");
    let opened = f.all("vial_opened");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    // One empty row after the last scanned one, and at least VIAL_ROWS.
    let used = scans
        .iter()
        .rposition(|s| !s.trim().is_empty())
        .map_or(0, |i| i + 1);
    let next = (0..)
        .find(|i| at(&scans, *i).trim().is_empty())
        .unwrap_or(0);
    let vials = (0..(used + 1).max(VIAL_ROWS))
        .map(|i| VialRow {
            scan: at(&scans, i),
            volume: at(&volumes, i),
            opened: at(&opened, i),
            error: vial_errs
                .iter()
                .filter(|(pos, _)| *pos == i + 1)
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            next: i == next,
        })
        .collect();
    // Today's appointments (the chair's list).
    let today = clinic_today(p).to_string();
    let today_rows = jousei_service::plans::appointments(state, p, &today, &today)
        .await?
        .into_iter()
        .filter(|v| {
            matches!(
                v.appointment.status.as_str(),
                "booked" | "checked_in" | "done"
            )
        })
        .map(|v| TodayRow {
            id: v.appointment.id,
            time: v.local_time.clone(),
            patient: format!("{} {}", v.patient_number, v.patient_name),
            status: l.t(&format!("plui-appt-{}", v.appointment.status.as_str())),
            session: v
                .appointment
                .session_ordinal
                .map(|n| format!("#{n}"))
                .unwrap_or_default(),
        })
        .collect();
    let (checked, findings, blocked, overrides_needed) = match &outcome {
        Some((out, messages)) => {
            let mut oi = 0;
            let reasons = f.all("override_reason");
            let codes = f.all("override_code");
            let rows = out
                .findings
                .iter()
                .enumerate()
                .map(|(i, fd)| {
                    let override_index = (fd.severity == Severity::Override).then(|| {
                        oi += 1;
                        oi - 1
                    });
                    // Keep a reason already typed for the same finding.
                    let reason = override_index
                        .and_then(|k| {
                            codes
                                .get(k)
                                .filter(|c| c.as_str() == fd.code.as_str())
                                .and_then(|_| reasons.get(k).cloned())
                        })
                        .unwrap_or_default();
                    FindingRow {
                        severity: fd.severity.as_str(),
                        severity_label: l.t(&format!("care-severity-{}", fd.severity.as_str())),
                        code: fd.code.as_str(),
                        message: messages
                            .iter()
                            .find(|(j, _)| *j == i)
                            .map(|(_, m)| m.clone())
                            .unwrap_or_default(),
                        subject: fd
                            .subject
                            .as_ref()
                            .and_then(|s| serde_json::to_string(s).ok())
                            .unwrap_or_default(),
                        override_index,
                        reason,
                    }
                })
                .collect();
            (true, rows, out.is_blocked(), oi)
        }
        None => (false, Vec::new(), false, 0),
    };
    let identity_card = f.get("identity_method") == "patient_card";
    let scan_status = if blocked {
        "stop"
    } else if overrides_needed > 0 {
        "physician"
    } else {
        "go"
    };
    render_status(
        status,
        &ChairPage {
            errs,
            today: today_rows,
            plans,
            routes,
            locations,
            verifiers,
            vials,
            patient_label: patient.as_ref().map(|pt| {
                format!(
                    "{} {} ({})",
                    pt.number,
                    pt.facts.name,
                    pt.facts.kana.as_str()
                )
            }),
            checked,
            findings,
            blocked,
            overrides_needed,
            can_override: p.can(Permission::Override),
            notice: ops::blood_donation_notice(state, p)
                .await?
                .text(ctx.locale)
                .to_string(),
            can_edit_notice: p.can(Permission::ManageSettings),
            identity_card,
            status: scan_status,
            f,
            l,
        },
    )
}

async fn chair_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let mut f = Pairs::default();
    for key in ["appointment_id", "patient_number", "patient_id"] {
        if let Some(v) = q.filled(key) {
            f.0.push((key.to_string(), v));
        }
    }
    if let Some(v) = q.filled("appointment") {
        f.0.push(("appointment_id".into(), v));
    }
    f.0.push(("identity_method".into(), "name_and_birth_date".into()));
    chair_with(
        &state,
        &p,
        &ctx,
        f,
        Problems::default(),
        None,
        &[],
        StatusCode::OK,
    )
    .await
}

async fn chair_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::Administer)?;
    let mut f = Pairs::parse(&body);
    resolve_patient(&state, &p, &mut f).await?;
    if f.get("patient_id").is_empty() && !f.get("patient_number").trim().is_empty() {
        let e = ApiError::fields(vec![jousei_core::error::FieldError::new(
            "patient_number",
            "care_patient_number_unknown",
        )]);
        let errs = page_problem(&state, &ctx, e)?;
        return chair_with(
            &state,
            &p,
            &ctx,
            f,
            errs,
            None,
            &[],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let input = record_in(&f);
    // The check, always shown (also above a refused recording).
    let checked = match ops::gather_facts(&state, &p, &input.care, state.now_ts()).await? {
        ops::Gathering::Ready(g) => {
            let out = jousei_core::care::check(&g.facts);
            let messages = out
                .findings
                .iter()
                .enumerate()
                .map(|(i, fd)| {
                    (
                        i,
                        crate::error::finding_message(&state.i18n, ctx.locale, fd),
                    )
                })
                .collect();
            Some((out, messages))
        }
        ops::Gathering::Incomplete {
            error: e,
            lot_blocks: blocks,
        } => {
            let status = crate::error::status_of(e.kind);
            // Each vial's problem next to its own field.
            let vial_errs: Vec<(usize, String)> = e
                .errors
                .iter()
                .filter(|x| x.field == Some("vial_scan"))
                .map(|x| {
                    let position = x
                        .args
                        .iter()
                        .find(|(k, _)| *k == "position")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    (
                        position,
                        crate::supply::pages::message(&state.i18n, ctx.locale, x.code, &x.args),
                    )
                })
                .collect();
            // A scanned lot's own blocks, at once, whatever else is missing.
            let shown = (!blocks.is_empty()).then(|| {
                let messages = blocks
                    .iter()
                    .enumerate()
                    .map(|(i, fd)| {
                        (
                            i,
                            crate::error::finding_message(&state.i18n, ctx.locale, fd),
                        )
                    })
                    .collect();
                (CheckOutcome { findings: blocks }, messages)
            });
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            return chair_with(&state, &p, &ctx, f, errs, shown, &vial_errs, status).await;
        }
    };
    if f.get("action") != "record" {
        return chair_with(
            &state,
            &p,
            &ctx,
            f,
            Problems::default(),
            checked,
            &[],
            StatusCode::OK,
        )
        .await;
    }
    match ops::record(&state, &p, ctx.locale, &input).await {
        Ok(a) => Ok(
            Redirect::to(&format!("/chair/administrations/{}?done=recorded", a.id)).into_response(),
        ),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            // A refused co-signature belongs next to the physician's login.
            let errs = if e.code.starts_with("override_physician_") {
                Problems::from_error(&state.i18n, ctx.locale, &ApiError::from(e.clone()))
            } else {
                page_problem(&state, &ctx, ApiError::from(e))?
            };
            chair_with(&state, &p, &ctx, f, errs, checked, &[], status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One recorded dose

pub struct VialLine {
    pub product: String,
    pub lot: String,
    pub lot_id: Uuid,
    pub serial: String,
    pub volume: String,
    pub opened: String,
}

pub struct VersionLine {
    pub version: i64,
    pub at: String,
    pub reason: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "care/administration.html")]
struct AdministrationPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    id: Uuid,
    version: i64,
    voided: bool,
    void_reason: String,
    patient_id: Uuid,
    patient: String,
    plan_id: Option<Uuid>,
    route: String,
    facts: Vec<(String, String)>,
    vials: Vec<VialLine>,
    findings: Vec<(String, String)>,
    overrides: Vec<(String, String)>,
    notice: Option<String>,
    versions: Vec<VersionLine>,
    can_write: bool,
    f: Pairs,
}

impl AdministrationPage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

#[allow(clippy::too_many_arguments)]
async fn administration_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    errs: Problems,
    f: Pairs,
    status: StatusCode,
    q: &Pairs,
) -> Result<Response, ApiError> {
    let d = ops::administration(state, p, id).await?;
    let a = &d.administration;
    let patient = state
        .store
        .patient(p.clinic.id, a.patient_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let l = Layout::new(state, ctx, "care-record-title", "/chair");
    let zone = p.clinic.time_zone.as_str();
    let users = state.store.users_in_clinic(p.clinic.id).await?;
    let name_of = |id: Uuid| {
        users
            .iter()
            .find(|(u, _)| u.id == id)
            .map(|(u, _)| u.display_name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let det = &a.details;
    let mut facts = vec![
        (l.t("care-started"), local_time(det.started_at.0, zone)),
        (
            l.t("care-ended"),
            det.ended_at
                .map(|t| local_time(t.0, zone))
                .unwrap_or_default(),
        ),
        (l.t("care-administered-by"), name_of(a.administered_by)),
        (
            l.t("field-verified_by"),
            det.verified_by.map(name_of).unwrap_or_default(),
        ),
    ];
    if let Some(s) = &det.sites {
        facts.push((
            l.t("field-site_count"),
            format!("{} ({})", s.count, s.areas.join("、")),
        ));
    }
    facts.push((
        l.t("field-observations"),
        det.observations.clone().unwrap_or_default(),
    ));
    facts.push((
        l.t("field-reactions"),
        det.reactions.clone().unwrap_or_default(),
    ));
    let outcome: Option<CheckOutcome> = serde_json::from_value(a.check.clone()).ok();
    let findings = outcome
        .map(|o| {
            o.findings
                .iter()
                .map(|fd| {
                    (
                        l.t(&format!("care-severity-{}", fd.severity.as_str())),
                        crate::error::finding_message(&state.i18n, ctx.locale, fd),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let overrides: Vec<jousei_core::care::Override> =
        serde_json::from_value(a.overrides.clone()).unwrap_or_default();
    let overrides = overrides
        .iter()
        .map(|o| {
            (
                format!("{} — {}", o.code.as_str(), name_of(o.physician_id)),
                o.reason.clone(),
            )
        })
        .collect();
    let flash = match q.get("done").as_str() {
        "recorded" => Some(l.t("care-done-recorded")),
        "corrected" => Some(l.t("care-done-corrected")),
        "voided" => Some(l.t("care-done-voided")),
        _ => None,
    };
    let versions = d
        .versions
        .iter()
        .map(|v| VersionLine {
            version: v.version,
            at: local_time(v.at.0, zone),
            reason: v.reason.clone().unwrap_or_default(),
            summary: [
                v.details.observations.clone().unwrap_or_default(),
                v.details.reactions.clone().unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" / "),
        })
        .collect();
    let f = if f.0.is_empty() {
        Pairs(vec![
            (
                "observations".into(),
                det.observations.clone().unwrap_or_default(),
            ),
            (
                "reactions".into(),
                det.reactions.clone().unwrap_or_default(),
            ),
        ])
    } else {
        f
    };
    render_status(
        status,
        &AdministrationPage {
            errs,
            flash,
            id,
            version: a.version,
            voided: a.status == jousei_store::care::AdministrationStatus::Voided,
            void_reason: a.void_reason.clone().unwrap_or_default(),
            patient_id: a.patient_id,
            patient: format!("{} {}", patient.number, patient.facts.name),
            plan_id: a.plan_id,
            route: l.t(&format!("route-{}", a.route.as_str())),
            facts,
            vials: a
                .vials
                .iter()
                .map(|v| VialLine {
                    product: format!("{} {}", v.product_code, v.product_name),
                    lot: v.lot_number.clone(),
                    lot_id: v.lot_id,
                    serial: v.serial.clone().unwrap_or_default(),
                    volume: format!("{} mL", fmt_fixed(v.volume.0, 3)),
                    opened: v
                        .opened_at
                        .map(|t| local_time(t.0, zone))
                        .unwrap_or_default(),
                })
                .collect(),
            findings,
            overrides,
            notice: a.blood_donation_notice.clone(),
            versions,
            can_write: p.can(Permission::Administer),
            f,
            l,
        },
    )
}

async fn administration_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    administration_with(
        &state,
        &p,
        &ctx,
        id,
        Problems::default(),
        Pairs::default(),
        StatusCode::OK,
        &q,
    )
    .await
}

async fn correct_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let current = ops::administration(&state, &p, id).await?.administration;
    let input = CorrectionIn {
        version: f.get("version").trim().parse().unwrap_or(0),
        reason: f.get("reason"),
        verified_by: current.details.verified_by,
        site_count: current.details.sites.as_ref().map(|s| s.count.to_string()),
        site_areas: current
            .details
            .sites
            .as_ref()
            .map(|s| s.areas.clone())
            .unwrap_or_default(),
        started_at: Some(current.details.started_at.0.to_string()),
        ended_at: current.details.ended_at.map(|t| t.0.to_string()),
        observations: f.filled("observations"),
        reactions: f.filled("reactions"),
    };
    match ops::correct(&state, &p, id, &input).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/chair/administrations/{id}?done=corrected")).into_response(),
        ),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            administration_with(&state, &p, &ctx, id, errs, f, status, &Pairs::default()).await
        }
    }
}

async fn void_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::void(&state, &p, id, &f.get("void_reason")).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/chair/administrations/{id}?done=voided")).into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            administration_with(&state, &p, &ctx, id, errs, f, status, &Pairs::default()).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lookback

pub struct LookbackLine {
    pub date: String,
    pub patient_id: Uuid,
    pub patient: String,
    pub kana: String,
    pub phone: String,
    pub email: String,
    pub lot: String,
    pub product: String,
    pub volume: String,
    pub route: String,
    pub administration_id: Uuid,
    pub voided: bool,
}

#[derive(Template)]
#[template(path = "care/lookback.html")]
struct LookbackPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    q: Pairs,
    searched: bool,
    summary: String,
    rows: Vec<LookbackLine>,
}

impl LookbackPage<'_> {
    fn v(&self, key: &str) -> String {
        self.q.get(key)
    }
}

async fn lookback_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    p.require(Permission::SafetyRead)?;
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let l = Layout::new(&state, &ctx, "care-lookback-title", "/safety/lookback");
    let input = LookbackIn {
        lot: q.filled("lot"),
        product: q.filled("product"),
        lot_id: q.get("lot_id").trim().parse().ok(),
        patient_id: None,
        patient_number: q.filled("patient_number"),
    };
    let searched = input.lot.is_some() || input.lot_id.is_some() || input.patient_number.is_some();
    let zone = p.clinic.time_zone.clone();
    let (rows, summary, errs, status) = if searched {
        match ops::lookback(&state, &p, &input).await {
            Ok(lb) => {
                let summary = state.i18n.t_args(
                    ctx.locale,
                    &format!("care-lookback-summary-{}", lb.from),
                    &[
                        ("administrations", lb.administrations.len().to_string()),
                        ("patients", lb.patient_count.to_string()),
                        (
                            "lots",
                            lb.lots
                                .iter()
                                .map(|x| format!("{} {}", x.product_code, x.lot_number))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                );
                let rows = lb
                    .administrations
                    .iter()
                    .map(|r| LookbackLine {
                        date: local_time(r.started_at.0, &zone),
                        patient_id: r.patient_id,
                        patient: format!("{} {}", r.patient_number, r.patient_name),
                        kana: r.patient_kana.clone(),
                        phone: jousei_core::patient::registry::Phone::parse(&r.phone, "phone")
                            .map(|ph| ph.display())
                            .unwrap_or_else(|_| r.phone.clone()),
                        email: r.email.clone().unwrap_or_default(),
                        lot: r.lot_number.clone(),
                        product: format!("{} {}", r.product_code, r.product_name),
                        volume: format!("{} mL", fmt_fixed(r.volume.0, 3)),
                        route: l.t(&format!("route-{}", r.route.as_str())),
                        administration_id: r.administration_id,
                        voided: r.status == jousei_store::care::AdministrationStatus::Voided,
                    })
                    .collect();
                (rows, summary, Problems::default(), StatusCode::OK)
            }
            Err(e) => {
                let status = crate::error::status_of(e.kind);
                let errs = if status == StatusCode::NOT_FOUND {
                    Problems::from_error(&state.i18n, ctx.locale, &ApiError::from(e.clone()))
                } else {
                    page_problem(&state, &ctx, ApiError::from(e))?
                };
                (Vec::new(), String::new(), errs, status)
            }
        }
    } else {
        (
            Vec::new(),
            String::new(),
            Problems::default(),
            StatusCode::OK,
        )
    };
    render_status(
        status,
        &LookbackPage {
            l,
            errs,
            q,
            searched,
            summary,
            rows,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The clinic's blood-donation notice (admins)

#[derive(Template)]
#[template(path = "care/notice.html")]
struct NoticePage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    /// Which text stands: jousei's default, or the clinic's version and
    /// when it was set.
    standing: String,
    ja: String,
    en: String,
}

async fn notice_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    typed: Option<(String, String)>,
    errs: Problems,
    status: StatusCode,
    flash: Option<String>,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageSettings)?;
    let l = Layout::new(state, ctx, "care-notice-edit-title", "/chair");
    let n = ops::blood_donation_notice(state, p).await?;
    let (ja, en) = typed.unwrap_or((n.ja.clone(), n.en.clone()));
    render_status(
        status,
        &NoticePage {
            flash,
            standing: match n.set_at {
                Some(at) if n.version > 0 => state.i18n.t_args(
                    ctx.locale,
                    "care-notice-version",
                    &[
                        ("version", n.version.to_string()),
                        ("at", local_time(at, &p.clinic.time_zone)),
                    ],
                ),
                _ => state.i18n.t(ctx.locale, "care-notice-default"),
            },
            ja,
            en,
            errs,
            l,
        },
    )
}

async fn notice_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let flash = (q.get("done") == "saved").then(|| state.i18n.t(ctx.locale, "care-notice-saved"));
    notice_with(
        &state,
        &p,
        &ctx,
        None,
        Problems::default(),
        StatusCode::OK,
        flash,
    )
    .await
}

async fn notice_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = BloodDonationNoticeIn {
        ja: f.get("notice_ja"),
        en: f.get("notice_en"),
    };
    match ops::set_blood_donation_notice(&state, &p, &input).await {
        Ok(_) => Ok(Redirect::to("/chair/notice?done=saved").into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            notice_with(
                &state,
                &p,
                &ctx,
                Some((input.ja, input.en)),
                errs,
                status,
                None,
            )
            .await
        }
    }
}
