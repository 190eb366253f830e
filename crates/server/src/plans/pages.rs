//! The treatment-plan web UI: the plan form (with a blend of products),
//! the plan with its versions and the physician's approval, and the course
//! (the proposal next to its revision and the appointment standing for
//! each session), booking the course, booking one session on a chosen day,
//! and shifting the rest after a missed or moved session. Rules live in
//! `plan_ops` and the domain crate; these handlers parse forms and show
//! what they answer, in the person's language.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use jousei_core::calendar::{PhaseCount, SessionStatus};
use jousei_core::locale::Locale;
use jousei_core::plan::Dose;
use jousei_core::plan::appointment::AppointmentStatus;
use jousei_core::role::Permission;
use jousei_core::supply::product::Route;
use jousei_store::plan::Plan;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::form::Pairs;
use crate::pages::{Layout, local_time};
use crate::patients::pages::Opt;
use crate::patients::pages::page_problem;
use crate::supply::pages::{Problems, render_status};
use jousei_service::auth::Principal;
use jousei_service::patients as patient_ops;
use jousei_service::plans::{self as ops, AppointmentIn, BookCourseIn, ComponentIn, PlanIn};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/plans/new", get(new_page).post(new_submit))
        .route("/plans/{id}", get(plan_page))
        .route("/plans/{id}/revise", get(revise_page).post(revise_submit))
        .route("/plans/{id}/approve", post(approve_submit))
        .route("/plans/{id}/book", post(book_submit))
        .route("/plans/{id}/book-session", post(book_session_submit))
        .route("/plans/{id}/reschedule", post(reschedule_submit))
}

/// A date with its weekday in the page's language: `2026-12-03 (木)`.
pub fn day_label(l: &Layout<'_>, d: Date) -> String {
    let wd = d.weekday().to_monday_one_offset();
    format!("{d} ({})", l.t(&format!("plui-wd-{wd}")))
}

fn route_label(l: &Layout<'_>, r: Route) -> String {
    l.t(&format!("route-{}", r.as_str()))
}

fn dose_label(l: &Layout<'_>, d: &Dose) -> String {
    match d {
        Dose::Ml { microlitres } => microlitres.to_string(),
        Dose::Vials { vials } => format!("{vials} {}", l.t("plui-unit-vials")),
    }
}

// ---------------------------------------------------------------------------------------------
// The plan form

pub struct ComponentRow {
    pub products: Vec<Opt>,
    pub share: String,
}

/// The plan's fields as typed (or as recorded, for a new version).
pub struct PlanForm {
    pub vals: Pairs,
    pub indications: Vec<Opt>,
    pub routes: Vec<Opt>,
    pub units: Vec<Opt>,
    pub protocols: Vec<Opt>,
    pub components: Vec<ComponentRow>,
}

impl PlanForm {
    pub fn v(&self, key: &str) -> String {
        self.vals.get(key)
    }
    pub fn checked(&self, key: &str) -> bool {
        self.vals.get(key) == "1"
    }
}

/// Rows of products offered on the form (a blend has two or more).
const COMPONENT_ROWS: usize = 3;

async fn plan_form(
    state: &AppState,
    p: &Principal,
    l: &Layout<'_>,
    vals: Pairs,
) -> Result<PlanForm, ApiError> {
    let indications = ops::indications(state, p).await?;
    let protocols = ops::protocols(state, p).await?;
    let products = state.store.products(p.clinic.id).await?;
    let chosen = vals.get("indication_code");
    let ind_opts = indications
        .iter()
        .filter(|i| i.facts.active || i.facts.code == chosen)
        .map(|i| Opt {
            value: i.facts.code.clone(),
            label: match l.locale {
                Locale::En => i.facts.name_en.clone(),
                _ => i.facts.name_ja.clone(),
            },
            checked: i.facts.code == chosen,
        })
        .collect();
    let route = vals.get("route");
    let routes = Route::ALL
        .iter()
        .map(|r| Opt {
            value: r.as_str().to_string(),
            label: route_label(l, *r),
            checked: r.as_str() == route,
        })
        .collect();
    let unit = vals.get("dose_unit");
    let units = ["ml", "vials"]
        .iter()
        .map(|u| Opt {
            value: (*u).to_string(),
            label: l.t(&format!("plui-unit-{u}")),
            checked: *u == unit || (unit.is_empty() && *u == "ml"),
        })
        .collect();
    let proto = vals.get("protocol_id");
    let protocols = protocols
        .iter()
        .map(|t| Opt {
            value: t.id.to_string(),
            label: t.protocol.name.clone(),
            checked: t.id.to_string() == proto,
        })
        .collect();
    let ids = vals.all("product_id");
    let shares = vals.all("share_percent");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let rows = ids.len().max(COMPONENT_ROWS);
    let components = (0..rows)
        .map(|i| {
            let id = at(&ids, i);
            let mut opts = vec![Opt {
                value: String::new(),
                label: l.t("plui-product-none"),
                checked: id.is_empty(),
            }];
            opts.extend(products.iter().map(|pr| {
                let routes = pr
                    .facts
                    .routes
                    .iter()
                    .map(|r| route_label(l, *r))
                    .collect::<Vec<_>>()
                    .join("・");
                Opt {
                    value: pr.id.to_string(),
                    label: format!("{} {} ({routes})", pr.facts.code, pr.facts.name),
                    checked: pr.id.to_string() == id,
                }
            }));
            ComponentRow {
                products: opts,
                share: at(&shares, i),
            }
        })
        .collect();
    Ok(PlanForm {
        vals,
        indications: ind_opts,
        routes,
        units,
        protocols,
        components,
    })
}

/// The plan as typed. Blank product rows are not part of it; a single
/// product with no share given has all of the dose.
fn plan_in(f: &Pairs, patient_id: Uuid) -> PlanIn {
    let ids = f.all("product_id");
    let shares = f.all("share_percent");
    let mut components: Vec<ComponentIn> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !id.trim().is_empty())
        .map(|(i, id)| ComponentIn {
            product_id: id.clone(),
            share_percent: shares.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    if let [only] = components.as_mut_slice()
        && only.share_percent.trim().is_empty()
    {
        only.share_percent = "100".into();
    }
    PlanIn {
        patient_id: patient_id.to_string(),
        indication_code: f.get("indication_code"),
        route: f.get("route"),
        components,
        dose: f.get("dose"),
        dose_unit: f.get("dose_unit"),
        site_count: f.filled("site_count"),
        site_areas: f
            .get("site_areas")
            .split([',', '、', '，'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        topical_anaesthesia: f.get("topical_anaesthesia") == "1",
        protocol_id: f.filled("protocol_id"),
        protocol: None,
        start_date: f.get("start_date"),
        notes: f.filled("notes"),
        off_label_reason: f.filled("off_label_reason"),
    }
}

/// A recorded plan as form values (for a new version).
fn plan_pairs(plan: &Plan) -> Pairs {
    let f = &plan.facts;
    let (dose, unit) = match f.dose {
        Dose::Ml { microlitres } => {
            let s = microlitres.to_string();
            (s.trim_end_matches(" mL").to_string(), "ml")
        }
        Dose::Vials { vials } => (vials.to_string(), "vials"),
    };
    let mut out = vec![
        ("indication_code".to_string(), f.indication_code.clone()),
        ("route".to_string(), f.route.as_str().to_string()),
        ("dose".to_string(), dose),
        ("dose_unit".to_string(), unit.to_string()),
        ("start_date".to_string(), f.start_date.to_string()),
        ("notes".to_string(), f.notes.clone().unwrap_or_default()),
        (
            "off_label_reason".to_string(),
            f.off_label_reason.clone().unwrap_or_default(),
        ),
        (
            "protocol_id".to_string(),
            f.protocol_ref.map(|r| r.id.to_string()).unwrap_or_default(),
        ),
    ];
    if let Some(s) = &f.sites {
        out.push(("site_count".into(), s.count.to_string()));
        out.push(("site_areas".into(), s.areas.join("、")));
    }
    if f.topical_anaesthesia {
        out.push(("topical_anaesthesia".into(), "1".into()));
    }
    for c in &f.components {
        out.push(("product_id".into(), c.product_id.to_string()));
        out.push(("share_percent".into(), c.share_percent.to_string()));
    }
    Pairs(out)
}

#[derive(Template)]
#[template(path = "plans/form.html")]
struct FormPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    form: PlanForm,
    action: String,
    patient_id: Uuid,
    patient_label: String,
    /// A new version asks for its reason.
    revising: bool,
    no_catalogue: bool,
}

impl FormPage<'_> {
    fn fe(&self, field: &str) -> String {
        self.errs.field(field)
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    patient_id: Uuid,
    plan_id: Option<Uuid>,
    vals: Pairs,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let patient = patient_ops::get(state, p, patient_id).await?;
    let (title, action) = match plan_id {
        Some(id) => ("plui-revise-title", format!("/plans/{id}/revise")),
        None => (
            "plui-new-title",
            format!("/patients/{patient_id}/plans/new"),
        ),
    };
    let l = Layout::new(state, ctx, title, &action);
    let form = plan_form(state, p, &l, vals).await?;
    let no_catalogue = form.indications.is_empty() || form.protocols.is_empty();
    render_status(
        status,
        &FormPage {
            patient_label: format!("{} {}", patient.patient.number, patient.patient.facts.name),
            l,
            errs,
            form,
            action,
            patient_id,
            revising: plan_id.is_some(),
            no_catalogue,
        },
    )
}

async fn new_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    p.require(Permission::PlanWrite)?;
    let today = jousei_service::supply::clinic_today(&p).to_string();
    let vals = Pairs(vec![("start_date".into(), today)]);
    form_page(
        &state,
        &p,
        &ctx,
        id,
        None,
        vals,
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

async fn new_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::create_plan(&state, &p, &plan_in(&f, id)).await {
        Ok(v) => Ok(Redirect::to(&format!("/plans/{}?done=created", v.plan.id)).into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            form_page(&state, &p, &ctx, id, None, f, errs, status).await
        }
    }
}

async fn revise_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    p.require(Permission::PlanWrite)?;
    let plan = ops::plan(&state, &p, id).await?.plan;
    form_page(
        &state,
        &p,
        &ctx,
        plan.patient_id,
        Some(id),
        plan_pairs(&plan),
        Problems::default(),
        StatusCode::OK,
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
    let plan = ops::plan(&state, &p, id).await?.plan;
    match ops::revise_plan(
        &state,
        &p,
        id,
        &plan_in(&f, plan.patient_id),
        &f.get("reason"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plans/{id}?done=revised")).into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            form_page(&state, &p, &ctx, plan.patient_id, Some(id), f, errs, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The plan and its course

pub struct ApptCell {
    pub id: Uuid,
    pub when: String,
    pub status_code: &'static str,
    pub status: String,
}

pub struct SessionRow {
    pub ordinal: u32,
    pub phase: String,
    pub proposed: String,
    pub date: String,
    /// done, moved or planned
    pub status_code: &'static str,
    pub status: String,
    pub changed: bool,
    pub interval: String,
    pub findings: Vec<String>,
    pub missed_on: Option<String>,
    pub appt: Option<ApptCell>,
    /// Planned with no appointment standing for it.
    pub open: bool,
}

pub struct VersionRow {
    pub version: i64,
    pub created_at: String,
    pub reason: String,
    pub approval: String,
}

pub struct RationaleRow {
    pub text: String,
    pub source: String,
    pub evidence: String,
}

#[derive(Template)]
#[template(path = "plans/plan.html")]
struct PlanPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    plan_id: Uuid,
    patient_id: Uuid,
    patient_label: String,
    version: i64,
    approved_line: Option<String>,
    facts: Vec<(String, String)>,
    rationales: Vec<RationaleRow>,
    versions: Vec<VersionRow>,
    sessions: Vec<SessionRow>,
    open_sessions: Vec<Opt>,
    can_approve: bool,
    can_revise: bool,
    can_book: bool,
    to_move: usize,
    book: Pairs,
    today: String,
}

impl PlanPage<'_> {
    fn bv(&self, key: &str, default: &str) -> String {
        let v = self.book.get(key);
        if v.is_empty() { default.to_string() } else { v }
    }
}

fn done_flash(l: &Layout<'_>, q: &Pairs) -> Option<String> {
    let n = q.get("n");
    let key = match q.get("done").as_str() {
        "created" => "plui-done-created",
        "revised" => "plui-done-revised",
        "approved" => "plui-done-approved",
        "booked" => "plui-done-booked",
        "session" => "plui-done-session",
        "moved" => "plui-done-moved",
        _ => return None,
    };
    Some(l.i18n.t_args(l.locale, key, &[("n", n)]))
}

async fn plan_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    plan_with(
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

#[allow(clippy::too_many_arguments)]
async fn plan_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    errs: Problems,
    book: Pairs,
    status: StatusCode,
    q: &Pairs,
) -> Result<Response, ApiError> {
    let detail = ops::plan(state, p, id).await?;
    let plan = detail.plan;
    let patient = patient_ops::get(state, p, plan.patient_id).await?;
    let course = ops::course(state, p, id).await?;
    let path = format!("/plans/{id}");
    let l = Layout::new(state, ctx, "plui-plan-title", &path);
    let tz = ops::clinic_tz(p);
    let zone = p.clinic.time_zone.as_str();
    let f = &plan.facts;
    let indication = state
        .store
        .indication_by_code(p.clinic.id, &f.indication_code)
        .await?;
    let ind_name = indication
        .as_ref()
        .map(|i| match l.locale {
            Locale::En => i.facts.name_en.clone(),
            _ => i.facts.name_ja.clone(),
        })
        .unwrap_or_else(|| f.indication_code.clone());
    let rationales = indication
        .map(|i| {
            i.facts
                .rationales
                .iter()
                .map(|r| RationaleRow {
                    text: match l.locale {
                        Locale::En => r.text_en.clone(),
                        _ => r.text_ja.clone(),
                    },
                    source: r.source.clone(),
                    evidence: l.t(&format!("plui-evidence-{}", r.evidence.as_str())),
                })
                .collect()
        })
        .unwrap_or_default();
    let products = f
        .components
        .iter()
        .map(|c| {
            format!(
                "{} {} — {}%",
                c.product_code, c.product_name, c.share_percent
            )
        })
        .collect::<Vec<_>>()
        .join(" / ");
    let phases = f
        .protocol
        .phases
        .iter()
        .map(|ph| {
            let kind = l.t(&format!("plui-phase-{}", ph.kind.as_str()));
            let count = match ph.count {
                PhaseCount::Sessions(n) => {
                    l.i18n
                        .t_args(l.locale, "plui-phase-sessions", &[("n", n.to_string())])
                }
                PhaseCount::UntilStopped { .. } => l.t("plui-phase-until-stopped"),
            };
            l.i18n.t_args(
                l.locale,
                "plui-phase-line",
                &[
                    ("kind", kind),
                    ("nominal", ph.interval.nominal_days.to_string()),
                    ("min", ph.interval.min_days.to_string()),
                    ("max", ph.interval.max_days.to_string()),
                    ("count", count),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join(" → ");
    let mut facts = vec![
        (l.t("field-indication_code"), ind_name),
        (l.t("field-route"), route_label(&l, f.route)),
        (l.t("field-components"), products),
        (l.t("field-dose"), dose_label(&l, &f.dose)),
    ];
    if let Some(s) = &f.sites {
        let areas = if s.areas.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.areas.join("、"))
        };
        facts.push((l.t("field-site_count"), format!("{}{areas}", s.count)));
    }
    if f.topical_anaesthesia {
        facts.push((l.t("field-topical_anaesthesia"), l.t("plui-yes")));
    }
    facts.push((
        l.t("field-protocol"),
        format!("{}: {phases}", f.protocol.name),
    ));
    facts.push((l.t("field-start_date"), day_label(&l, f.start_date)));
    if let Some(r) = &f.off_label_reason {
        facts.push((l.t("field-off_label_reason"), r.clone()));
    }
    if let Some(n) = &f.notes {
        facts.push((l.t("field-notes"), n.clone()));
    }
    let approval_line = |a: &jousei_store::plan::Approval| {
        l.i18n.t_args(
            l.locale,
            "plui-approved-by",
            &[
                ("version", a.version.to_string()),
                (
                    "who",
                    a.approved_by_login.clone().unwrap_or_else(|| "—".into()),
                ),
                ("at", local_time(a.approved_at.0, zone)),
            ],
        )
    };
    let approved_line = plan.current_approval().map(approval_line);
    let versions = detail
        .versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            created_at: local_time(v.created_at.0, zone),
            reason: v.reason.clone().unwrap_or_default(),
            approval: v.approval.as_ref().map(approval_line).unwrap_or_default(),
        })
        .collect();
    let proposed: HashMap<u32, Date> = course
        .proposal
        .sessions
        .iter()
        .map(|s| (s.ordinal, s.date))
        .collect();
    let stands = ops::standing(&course.appointments);
    let mut open_sessions = Vec::new();
    let mut to_move = 0;
    let chosen_session = book.get("session_ordinal");
    let sessions: Vec<SessionRow> = course
        .revised
        .sessions
        .iter()
        .map(|s| {
            let appt = stands.get(&s.ordinal).map(|a| {
                let local = ops::local_date(a.starts_at, &tz);
                if s.status == SessionStatus::Planned
                    && a.status == AppointmentStatus::Booked
                    && a.follows_course
                    && local != s.date
                    && local >= course.today
                {
                    to_move += 1;
                }
                ApptCell {
                    id: a.id,
                    when: format!(
                        "{} {}",
                        day_label(&l, local),
                        ops::local_time(a.starts_at, &tz).strftime("%H:%M")
                    ),
                    status_code: a.status.as_str(),
                    status: l.t(&format!("plui-appt-{}", a.status.as_str())),
                }
            });
            let open = s.status == SessionStatus::Planned
                && !stands
                    .get(&s.ordinal)
                    .is_some_and(|a| a.status.counts_for_course());
            if open {
                open_sessions.push(Opt {
                    value: s.ordinal.to_string(),
                    label: format!("#{} {}", s.ordinal, day_label(&l, s.date)),
                    checked: chosen_session == s.ordinal.to_string(),
                });
            }
            let proposed = proposed.get(&s.ordinal).copied().unwrap_or(s.original_date);
            SessionRow {
                ordinal: s.ordinal,
                phase: format!(
                    "{} {}",
                    l.t(&format!("plui-phase-{}", s.phase_kind.as_str())),
                    s.ordinal_in_phase
                ),
                proposed: day_label(&l, proposed),
                date: day_label(&l, s.date),
                status_code: s.status.as_str(),
                status: l.t(&format!("plui-session-{}", s.status.as_str())),
                changed: proposed != s.date,
                interval: match s.interval_days {
                    Some(d) => l.i18n.t_args(
                        l.locale,
                        "plui-interval",
                        &[
                            ("days", d.to_string()),
                            ("min", s.interval.min_days.to_string()),
                            ("max", s.interval.max_days.to_string()),
                        ],
                    ),
                    None => "—".into(),
                },
                findings: s
                    .findings
                    .iter()
                    .map(|c| l.t(&format!("plui-finding-{}", c.as_str())))
                    .collect(),
                missed_on: s.missed_on.map(|d| day_label(&l, d)),
                appt,
                open,
            }
        })
        .collect();
    let flash = done_flash(&l, q);
    let approved = plan.is_approved();
    render_status(
        status,
        &PlanPage {
            errs,
            flash,
            plan_id: id,
            patient_id: plan.patient_id,
            patient_label: format!("{} {}", patient.patient.number, patient.patient.facts.name),
            version: plan.version,
            approved_line,
            facts,
            rationales,
            versions,
            sessions,
            open_sessions,
            can_approve: p.can(Permission::PlanApprove) && !approved,
            can_revise: p.can(Permission::PlanWrite),
            can_book: p.can(Permission::ScheduleWrite) && approved,
            to_move,
            book,
            today: course.today.to_string(),
            l,
        },
    )
}

/// Shows the plan again with the problems of one of its forms.
async fn plan_problem(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    e: ApiError,
    vals: Pairs,
) -> Result<Response, ApiError> {
    let status = e.status;
    let errs = page_problem(state, ctx, e)?;
    plan_with(state, p, ctx, id, errs, vals, status, &Pairs::default()).await
}

async fn approve_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let Ok(version) = f.get("version").trim().parse::<i64>() else {
        return plan_problem(
            &state,
            &p,
            &ctx,
            id,
            ApiError::new(StatusCode::CONFLICT, "plan_version_stale"),
            f,
        )
        .await;
    };
    match ops::approve_plan(&state, &p, id, version).await {
        Ok(_) => Ok(Redirect::to(&format!("/plans/{id}?done=approved")).into_response()),
        Err(e) => plan_problem(&state, &p, &ctx, id, ApiError::from(e), f).await,
    }
}

fn minutes(f: &Pairs) -> u32 {
    f.get("duration_minutes").trim().parse().unwrap_or(0)
}

async fn book_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = BookCourseIn {
        time: f.get("time"),
        duration_minutes: minutes(&f),
        room: f.filled("room"),
        staff_id: None,
    };
    match ops::book_course(&state, &p, id, &input).await {
        Ok(Ok(b)) => Ok(Redirect::to(&format!(
            "/plans/{id}?done=booked&n={}",
            b.appointments.len()
        ))
        .into_response()),
        Ok(Err(conflicts)) => {
            plan_problem(
                &state,
                &p,
                &ctx,
                id,
                ApiError::from(ops::conflict_error(&conflicts)),
                f,
            )
            .await
        }
        Err(e) => plan_problem(&state, &p, &ctx, id, ApiError::from(e), f).await,
    }
}

async fn book_session_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let plan = ops::plan(&state, &p, id).await?.plan;
    let input = AppointmentIn {
        patient_id: plan.patient_id.to_string(),
        plan_id: Some(id),
        session_ordinal: f.get("session_ordinal").trim().parse().ok(),
        date: f.get("date"),
        time: f.get("time"),
        duration_minutes: minutes(&f),
        room: f.filled("room"),
        staff_id: None,
        note: f.filled("note"),
    };
    match ops::create_appointment(&state, &p, &input).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/plans/{id}?done=session")).into_response()),
        Ok(Err(conflicts)) => {
            plan_problem(
                &state,
                &p,
                &ctx,
                id,
                ApiError::from(ops::conflict_error(&conflicts)),
                f,
            )
            .await
        }
        Err(e) => plan_problem(&state, &p, &ctx, id, ApiError::from(e), f).await,
    }
}

async fn reschedule_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    match ops::reschedule_course(&state, &p, id).await {
        Ok(Ok(b)) => Ok(Redirect::to(&format!(
            "/plans/{id}?done=moved&n={}",
            b.appointments.len()
        ))
        .into_response()),
        Ok(Err(conflicts)) => {
            plan_problem(
                &state,
                &p,
                &ctx,
                id,
                ApiError::from(ops::conflict_error(&conflicts)),
                Pairs::default(),
            )
            .await
        }
        Err(e) => plan_problem(&state, &p, &ctx, id, ApiError::from(e), Pairs::default()).await,
    }
}
