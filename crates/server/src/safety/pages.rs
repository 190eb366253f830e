//! The safety pages: the dashboard (bar charts of adverse events by
//! product, lot, source, route and category; reports due; open follow-ups;
//! recalls in progress), reporting an adverse event (with the doses before
//! onset suggested), the event with its deadline, follow-ups,
//! notifications, the physician's assessment and a printable report draft,
//! recall campaigns (start, every affected patient with contact
//! details, contact attempts, progress, closing report), and the clinic's
//! reporting policy per product regime (shown to all, set by an admin).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jousei_core::role::Permission;
use jousei_core::safety::{
    AeCategory, AeOutcome, AeSeverity, Causality, ContactMethod, ContactOutcome, DueState,
    RawRegimePolicy, RecallScope, RegimePolicy, Seriousness, policy_fields,
};
use jousei_core::supply::product::{CellSource, LegalRegime};
use jousei_core::supply::units::fmt_fixed;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::form::Pairs;
use crate::pages::{Layout, local_time};
use crate::patients::pages::{Opt, page_problem};
use crate::supply::pages::{Problems, render_status};
use jousei_service::auth::Principal;
use jousei_service::safety::{self as ops, AdverseEventIn, ContactIn, Count, RecallIn};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/safety", get(dashboard_page))
        .route(
            "/safety/adverse-events/new",
            get(new_ae_page).post(new_ae_submit),
        )
        .route("/safety/adverse-events/{id}", get(ae_page))
        .route("/safety/adverse-events/{id}/assess", post(assess_submit))
        .route("/safety/adverse-events/{id}/notify", post(notify_submit))
        .route(
            "/safety/adverse-events/{id}/follow-ups/{fid}",
            post(follow_up_submit),
        )
        .route("/safety/recalls", get(recalls_page).post(recall_submit))
        .route("/safety/recalls/{id}", get(recall_page))
        .route("/safety/recalls/{id}/contacts", post(contact_submit))
        .route("/safety/recalls/{id}/close", post(close_submit))
        .route(
            "/safety/reporting-policy",
            get(policy_page).post(policy_submit),
        )
}

fn opts<T: Copy>(
    l: &Layout<'_>,
    all: &[T],
    code: fn(T) -> &'static str,
    prefix: &str,
    chosen: &[String],
) -> Vec<Opt> {
    all.iter()
        .map(|x| {
            let c = code(*x);
            Opt {
                value: c.to_string(),
                label: l.t(&format!("{prefix}-{c}")),
                checked: chosen.iter().any(|s| s == c),
            }
        })
        .collect()
}

fn due_label(l: &Layout<'_>, d: &DueState) -> (String, &'static str) {
    match d {
        DueState::NotRequired => (l.t("safe-due-not-required"), "ok"),
        DueState::Reported => (l.t("safe-due-reported"), "ok"),
        DueState::Due { due, days_left } => (
            l.i18n.t_args(
                l.locale,
                "safe-due-due",
                &[("due", due.to_string()), ("days", days_left.to_string())],
            ),
            "warn",
        ),
        DueState::Overdue { due, days_over } => (
            l.i18n.t_args(
                l.locale,
                "safe-due-overdue",
                &[("due", due.to_string()), ("days", days_over.to_string())],
            ),
            "alarm",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Dashboard

pub struct Bar {
    pub label: String,
    pub count: usize,
    /// Width in percent of the largest.
    pub width: usize,
}

pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
}

pub struct DueRow {
    pub id: Uuid,
    pub what: String,
    pub due: String,
    pub class: &'static str,
}

pub struct FollowRow {
    pub ae_id: Uuid,
    pub due: String,
    pub overdue: bool,
}

pub struct RecallRow {
    pub id: Uuid,
    pub title: String,
    pub reached: usize,
    pub patients: usize,
    pub width: usize,
    pub closed: bool,
}

#[derive(Template)]
#[template(path = "safety/dashboard.html")]
struct DashboardPage<'a> {
    l: Layout<'a>,
    total: usize,
    serious: usize,
    charts: Vec<Chart>,
    due: Vec<DueRow>,
    follow_ups: Vec<FollowRow>,
    recalls: Vec<RecallRow>,
    can_report: bool,
    policy: Vec<PolicyRow>,
}

fn chart(l: &Layout<'_>, title: &str, counts: &[Count], label: impl Fn(&str) -> String) -> Chart {
    let max = counts.iter().map(|c| c.count).max().unwrap_or(1).max(1);
    Chart {
        title: l.t(title),
        bars: counts
            .iter()
            .take(10)
            .map(|c| Bar {
                label: label(&c.label),
                count: c.count,
                width: c.count * 100 / max,
            })
            .collect(),
    }
}

fn recall_row(l: &Layout<'_>, r: &ops::RecallSummary) -> RecallRow {
    RecallRow {
        id: r.recall.id,
        title: format!(
            "{} · {}",
            l.t(&format!("safe-scope-{}", r.recall.scope.as_str())),
            r.lot_numbers.join(", ")
        ),
        reached: r.progress.reached,
        patients: r.progress.patients,
        width: (r.progress.reached * 100)
            .checked_div(r.progress.patients)
            .unwrap_or(100),
        closed: r.recall.closed_at.is_some(),
    }
}

async fn dashboard_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    let d = ops::dashboard(&state, &p).await?;
    let l = Layout::new(&state, &ctx, "safe-title", "/safety");
    let charts = vec![
        chart(&l, "safe-by-product", &d.by_product, str::to_string),
        chart(&l, "safe-by-lot", &d.by_lot, str::to_string),
        chart(&l, "safe-by-source", &d.by_source, |s| {
            l.t(&format!("source-{s}"))
        }),
        chart(&l, "safe-by-route", &d.by_route, |s| {
            l.t(&format!("route-{s}"))
        }),
        chart(&l, "safe-by-category", &d.by_category, |s| {
            l.t(&format!("safe-cat-{s}"))
        }),
    ];
    let due = d
        .reports
        .iter()
        .map(|v| {
            let (due, class) = due_label(&l, &v.report);
            DueRow {
                id: v.event.id,
                what: format!(
                    "{} · {}",
                    l.t(&format!("safe-cat-{}", v.event.facts.category.as_str())),
                    v.event
                        .facts
                        .description
                        .chars()
                        .take(40)
                        .collect::<String>()
                ),
                due,
                class,
            }
        })
        .collect();
    let follow_ups = d
        .follow_ups
        .iter()
        .map(|f| FollowRow {
            ae_id: f.follow_up.adverse_event_id,
            due: f.follow_up.due_on.to_string(),
            overdue: f.overdue,
        })
        .collect();
    let recalls = d.recalls_open.iter().map(|r| recall_row(&l, r)).collect();
    let current = ops::reporting_policy(&state, &p).await?;
    let policy = policy_rows(&l, &current.regimes, &Pairs::default());
    render_status(
        StatusCode::OK,
        &DashboardPage {
            policy,
            total: d.adverse_events,
            serious: d.serious,
            charts,
            due,
            follow_ups,
            recalls,
            can_report: p.can(Permission::AdverseEventReport),
            l,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Reporting an adverse event

pub struct DoseOpt {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "safety/ae_new.html")]
struct NewAePage<'a> {
    l: Layout<'a>,
    errs: Problems,
    f: Pairs,
    patient_label: Option<String>,
    categories: Vec<Opt>,
    severities: Vec<Opt>,
    seriousness: Vec<Opt>,
    causalities: Vec<Opt>,
    outcomes: Vec<Opt>,
    doses: Vec<DoseOpt>,
    can_assess: bool,
}

impl NewAePage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

async fn patient_of(
    state: &AppState,
    p: &Principal,
    f: &mut Pairs,
) -> Result<Option<jousei_store::patient::Patient>, ApiError> {
    if let Ok(id) = Uuid::parse_str(f.get("patient_id").trim())
        && let Some(pt) = state.store.patient(p.clinic.id, id).await?
    {
        return Ok(Some(pt));
    }
    let number = f.get("patient_number").trim().to_string();
    if number.is_empty() {
        return Ok(None);
    }
    let hit = jousei_service::patients::by_number(state, p.clinic.id, &number).await?;
    if let Some(pt) = &hit {
        f.0.retain(|(k, _)| k != "patient_id");
        f.0.push(("patient_id".into(), pt.id.to_string()));
    }
    Ok(hit)
}

async fn new_ae_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    mut f: Pairs,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    p.require(Permission::AdverseEventReport)?;
    let l = Layout::new(state, ctx, "safe-ae-new-title", "/safety");
    let patient = patient_of(state, p, &mut f).await?;
    let chosen_doses = f.all("administration_ids");
    let doses = match &patient {
        Some(pt) => ops::suggestions(state, p, pt.id, &f.get("onset_at"))
            .await
            .unwrap_or_default()
            .iter()
            .map(|a| DoseOpt {
                id: a.id.to_string(),
                label: format!(
                    "{} · {} · {}",
                    local_time(a.details.started_at.0, &p.clinic.time_zone),
                    l.t(&format!("route-{}", a.route.as_str())),
                    a.vials
                        .iter()
                        .map(|v| format!(
                            "{} {} {} mL",
                            v.product_code,
                            v.lot_number,
                            fmt_fixed(v.volume.0, 3)
                        ))
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
                checked: chosen_doses.is_empty() || chosen_doses.contains(&a.id.to_string()),
            })
            .collect(),
        None => Vec::new(),
    };
    let one = |k: &str| vec![f.get(k)];
    let page = NewAePage {
        patient_label: patient
            .as_ref()
            .map(|pt| format!("{} {}", pt.number, pt.facts.name)),
        categories: opts(
            &l,
            AeCategory::ALL,
            AeCategory::as_str,
            "safe-cat",
            &one("category"),
        ),
        severities: opts(
            &l,
            AeSeverity::ALL,
            AeSeverity::as_str,
            "safe-sev",
            &one("severity"),
        ),
        seriousness: opts(
            &l,
            Seriousness::ALL,
            Seriousness::as_str,
            "safe-ser",
            &f.all("seriousness"),
        ),
        causalities: opts(
            &l,
            Causality::ALL,
            Causality::as_str,
            "safe-cau",
            &one("causality"),
        ),
        outcomes: opts(
            &l,
            AeOutcome::ALL,
            AeOutcome::as_str,
            "safe-out",
            &one("outcome"),
        ),
        doses,
        can_assess: p.can(Permission::AdverseEventAssess),
        errs,
        f,
        l,
    };
    render_status(status, &page)
}

async fn new_ae_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    new_ae_with(&state, &p, &ctx, q, Problems::default(), StatusCode::OK).await
}

fn ae_in(f: &Pairs) -> AdverseEventIn {
    AdverseEventIn {
        patient_id: f.get("patient_id"),
        onset_at: f.get("onset_at"),
        aware_at: f.filled("aware_at"),
        description: f.get("description"),
        category: f.get("category"),
        severity: f.get("severity"),
        seriousness: f.all("seriousness"),
        causality: f.filled("causality"),
        outcome: f.get("outcome"),
        action_taken: f.filled("action_taken"),
        administration_ids: f.all("administration_ids"),
    }
}

async fn new_ae_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut f = Pairs::parse(&body);
    patient_of(&state, &p, &mut f).await?;
    // "Show the doses" only reloads the form with the suggestions.
    if f.get("action") == "suggest" {
        return new_ae_with(&state, &p, &ctx, f, Problems::default(), StatusCode::OK).await;
    }
    match ops::report(&state, &p, &ae_in(&f)).await {
        Ok(v) => Ok(Redirect::to(&format!(
            "/safety/adverse-events/{}?done=reported",
            v.event.id
        ))
        .into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            new_ae_with(&state, &p, &ctx, f, errs, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One adverse event

pub struct FollowUpRow {
    pub id: Uuid,
    pub due: String,
    pub done: Option<String>,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "safety/ae.html")]
struct AePage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    id: Uuid,
    version: i64,
    patient_id: Uuid,
    patient: String,
    facts: Vec<(String, String)>,
    serious: bool,
    due: String,
    due_class: &'static str,
    lots: Vec<String>,
    follow_ups: Vec<FollowUpRow>,
    notifications: Vec<(String, String, String, String)>,
    versions: Vec<(i64, String, String)>,
    causalities: Vec<Opt>,
    outcomes: Vec<Opt>,
    can_write: bool,
    can_assess: bool,
    clinic: String,
    printed: String,
}

async fn ae_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    errs: Problems,
    status: StatusCode,
    q: &Pairs,
) -> Result<Response, ApiError> {
    let d = ops::adverse_event(state, p, id).await?;
    let e = &d.view.event;
    let patient = state
        .store
        .patient(p.clinic.id, e.patient_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let l = Layout::new(state, ctx, "safe-ae-title", "/safety");
    let zone = p.clinic.time_zone.as_str();
    let f = &e.facts;
    let facts = vec![
        (l.t("field-onset_at"), local_time(f.onset_at, zone)),
        (l.t("field-aware_at"), local_time(f.aware_at, zone)),
        (
            l.t("field-category"),
            l.t(&format!("safe-cat-{}", f.category.as_str())),
        ),
        (
            l.t("field-severity"),
            l.t(&format!("safe-sev-{}", f.severity.as_str())),
        ),
        (
            l.t("field-seriousness"),
            if f.seriousness.is_empty() {
                l.t("safe-not-serious")
            } else {
                f.seriousness
                    .iter()
                    .map(|s| l.t(&format!("safe-ser-{}", s.as_str())))
                    .collect::<Vec<_>>()
                    .join("、")
            },
        ),
        (
            l.t("field-causality"),
            f.causality
                .map(|c| l.t(&format!("safe-cau-{}", c.as_str())))
                .unwrap_or_else(|| l.t("safe-not-assessed")),
        ),
        (
            l.t("field-outcome"),
            l.t(&format!("safe-out-{}", f.outcome.as_str())),
        ),
        (l.t("field-description"), f.description.clone()),
        (
            l.t("field-action_taken"),
            f.action_taken.clone().unwrap_or_default(),
        ),
    ];
    let (due, due_class) = due_label(&l, &d.view.report);
    let today = jousei_service::supply::clinic_today(p);
    let flash = match q.get("done").as_str() {
        "reported" => Some(l.t("safe-done-reported")),
        "assessed" => Some(l.t("safe-done-assessed")),
        "notified" => Some(l.t("safe-done-notified")),
        "followed" => Some(l.t("safe-done-followed")),
        _ => None,
    };
    render_status(
        status,
        &AePage {
            errs,
            flash,
            id,
            version: e.version,
            patient_id: e.patient_id,
            patient: format!(
                "{} {} ({})",
                patient.number, patient.facts.name, patient.facts.birth_date
            ),
            serious: f.is_serious(),
            facts,
            due,
            due_class,
            lots: d.view.lots.clone(),
            follow_ups: e
                .follow_ups
                .iter()
                .map(|x| FollowUpRow {
                    id: x.id,
                    due: x.due_on.to_string(),
                    done: x.done_at.map(|t| {
                        format!(
                            "{} — {}",
                            local_time(t.0, zone),
                            x.note.clone().unwrap_or_default()
                        )
                    }),
                    overdue: x.done_at.is_none() && x.due_on < today,
                })
                .collect(),
            notifications: e
                .notifications
                .iter()
                .map(|n| {
                    (
                        l.t(&format!("safe-recipient-{}", n.recipient)),
                        n.channel.clone(),
                        n.reference.clone().unwrap_or_default(),
                        local_time(n.sent_at.0, zone),
                    )
                })
                .collect(),
            versions: d
                .versions
                .iter()
                .map(|v| {
                    (
                        v.version,
                        local_time(v.at.0, zone),
                        v.reason.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            causalities: opts(
                &l,
                Causality::ALL,
                Causality::as_str,
                "safe-cau",
                &[f.causality
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default()],
            ),
            outcomes: opts(
                &l,
                AeOutcome::ALL,
                AeOutcome::as_str,
                "safe-out",
                &[f.outcome.as_str().to_string()],
            ),
            can_write: p.can(Permission::AdverseEventReport),
            can_assess: p.can(Permission::AdverseEventAssess),
            clinic: p.clinic.name.clone(),
            printed: local_time(jiff::Timestamp::now(), zone),
            l,
        },
    )
}

async fn ae_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    ae_with(
        &state,
        &p,
        &ctx,
        id,
        Problems::default(),
        StatusCode::OK,
        &q,
    )
    .await
}

async fn on_ae_error(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    e: ApiError,
) -> Result<Response, ApiError> {
    let status = e.status;
    let errs = page_problem(state, ctx, e)?;
    ae_with(state, p, ctx, id, errs, status, &Pairs::default()).await
}

/// The physician's assessment: causality and outcome (and seriousness
/// kept), as a new version with its reason.
async fn assess_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let current = ops::adverse_event(&state, &p, id).await?.view.event;
    let cf = &current.facts;
    let input = ops::ReviseAdverseEventIn {
        version: f.get("version").trim().parse().unwrap_or(0),
        reason: f.get("reason"),
        event: AdverseEventIn {
            patient_id: current.patient_id.to_string(),
            onset_at: cf.onset_at.to_string(),
            aware_at: Some(cf.aware_at.to_string()),
            description: cf.description.clone(),
            category: cf.category.as_str().into(),
            severity: cf.severity.as_str().into(),
            seriousness: cf
                .seriousness
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            causality: f.filled("causality"),
            outcome: f.get("outcome"),
            action_taken: f.filled("action_taken").or_else(|| cf.action_taken.clone()),
            administration_ids: cf.administration_ids.iter().map(Uuid::to_string).collect(),
        },
    };
    match ops::revise(&state, &p, id, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/safety/adverse-events/{id}?done=assessed")).into_response())
        }
        Err(e) => on_ae_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

async fn notify_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = ops::NotificationIn {
        recipient: f.get("recipient"),
        channel: f.get("channel"),
        reference: f.filled("reference"),
        sent_at: f.filled("sent_at"),
    };
    match ops::notify(&state, &p, id, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/safety/adverse-events/{id}?done=notified")).into_response())
        }
        Err(e) => on_ae_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

async fn follow_up_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, fid)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::complete_follow_up(
        &state,
        &p,
        fid,
        &ops::FollowUpIn {
            note: f.get("note"),
        },
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/safety/adverse-events/{id}?done=followed")).into_response())
        }
        Err(e) => on_ae_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Recalls

#[derive(Template)]
#[template(path = "safety/recalls.html")]
struct RecallsPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    f: Pairs,
    recalls: Vec<RecallRow>,
    scopes: Vec<Opt>,
    lots: Vec<Opt>,
    products: Vec<Opt>,
    manufacturers: Vec<Opt>,
    sources: Vec<Opt>,
    can_manage: bool,
}

impl RecallsPage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

async fn recalls_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    f: Pairs,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let l = Layout::new(state, ctx, "safe-recalls-title", "/safety");
    let list = ops::recalls(state, p).await?;
    let lots = state.store.lots(p.clinic.id).await?;
    let products = state.store.products(p.clinic.id).await?;
    let mut manufacturers: Vec<String> = products
        .iter()
        .map(|pr| pr.facts.manufacturer.clone())
        .collect();
    manufacturers.sort();
    manufacturers.dedup();
    let pick = |k: &str| f.get(k);
    let page = RecallsPage {
        recalls: list.iter().map(|r| recall_row(&l, r)).collect(),
        scopes: opts(
            &l,
            RecallScope::ALL,
            RecallScope::as_str,
            "safe-scope",
            &[pick("scope")],
        ),
        lots: lots
            .iter()
            .map(|x| Opt {
                value: x.id.to_string(),
                label: format!(
                    "{} {} ({})",
                    x.product_code,
                    x.lot_number,
                    l.t(&format!("state-{}", x.state.as_str()))
                ),
                checked: x.id.to_string() == pick("lot_id"),
            })
            .collect(),
        products: products
            .iter()
            .map(|x| Opt {
                value: x.id.to_string(),
                label: format!("{} {}", x.facts.code, x.facts.name),
                checked: x.id.to_string() == pick("product_id"),
            })
            .collect(),
        manufacturers: manufacturers
            .into_iter()
            .map(|m| Opt {
                checked: m == pick("manufacturer"),
                label: m.clone(),
                value: m,
            })
            .collect(),
        sources: opts(
            &l,
            CellSource::ALL,
            CellSource::as_str,
            "source",
            &[pick("cell_source")],
        ),
        can_manage: p.can(Permission::RecallManage),
        errs,
        f,
        l,
    };
    render_status(status, &page)
}

async fn recalls_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    recalls_with(
        &state,
        &p,
        &ctx,
        Pairs::default(),
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

async fn recall_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = RecallIn {
        scope: f.get("scope"),
        lot_id: f.filled("lot_id"),
        product_id: f.filled("product_id"),
        manufacturer: f.filled("manufacturer"),
        cell_source: f.filled("cell_source"),
        reason: f.get("reason"),
    };
    match ops::start_recall(&state, &p, &input).await {
        Ok(v) => Ok(
            Redirect::to(&format!("/safety/recalls/{}?done=started", v.recall.id)).into_response(),
        ),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            recalls_with(&state, &p, &ctx, f, errs, status).await
        }
    }
}

pub struct AffectedRow {
    pub patient_id: Uuid,
    pub patient: String,
    pub kana: String,
    pub phone: String,
    pub email: String,
    pub doses: String,
    pub contact: &'static str,
    pub contact_label: String,
    pub attempts: Vec<String>,
}

#[derive(Template)]
#[template(path = "safety/recall.html")]
struct RecallPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    id: Uuid,
    title: String,
    reason: String,
    started: String,
    lots: Vec<String>,
    reached: usize,
    patients_n: usize,
    attempted: usize,
    pending: usize,
    width: usize,
    rows: Vec<AffectedRow>,
    methods: Vec<Opt>,
    outcomes: Vec<Opt>,
    closed: Option<String>,
    report: String,
    can_manage: bool,
}

async fn recall_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    errs: Problems,
    status: StatusCode,
    q: &Pairs,
) -> Result<Response, ApiError> {
    let v = ops::recall(state, p, id).await?;
    let l = Layout::new(state, ctx, "safe-recall-title", "/safety");
    let zone = p.clinic.time_zone.as_str();
    let r = &v.recall;
    let flash = match q.get("done").as_str() {
        "started" => Some(l.t("safe-done-started")),
        "contact" => Some(l.t("safe-done-contact")),
        "closed" => Some(l.t("safe-done-closed")),
        _ => None,
    };
    let rows = v
        .patients
        .iter()
        .map(|a| AffectedRow {
            patient_id: a.patient_id,
            patient: format!("{} {}", a.number, a.name),
            kana: a.kana.clone(),
            phone: a.phone.clone(),
            email: a.email.clone().unwrap_or_default(),
            doses: a
                .doses
                .iter()
                .map(|d| {
                    format!(
                        "{} {} {} mL",
                        local_time(d.started_at.0, zone),
                        d.lot_number,
                        fmt_fixed(d.volume.0, 3)
                    )
                })
                .collect::<Vec<_>>()
                .join(" / "),
            contact: a.contact,
            contact_label: l.t(&format!("safe-contact-{}", a.contact)),
            attempts: a
                .attempts
                .iter()
                .map(|c| {
                    format!(
                        "{} {} → {}{}",
                        local_time(c.at.0, zone),
                        l.t(&format!("safe-method-{}", c.method.as_str())),
                        l.t(&format!("safe-outcome-{}", c.outcome.as_str())),
                        c.note
                            .as_ref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    )
                })
                .collect(),
        })
        .collect();
    let page = RecallPage {
        errs,
        flash,
        id,
        title: format!(
            "{} · {}",
            l.t(&format!("safe-scope-{}", r.scope.as_str())),
            r.subject
        ),
        reason: r.reason.clone(),
        started: local_time(r.started_at.0, zone),
        lots: v.lot_numbers.clone(),
        reached: v.progress.reached,
        patients_n: v.progress.patients,
        attempted: v.progress.attempted,
        pending: v.progress.pending,
        width: (v.progress.reached * 100)
            .checked_div(v.progress.patients)
            .unwrap_or(100),
        rows,
        methods: opts(
            &l,
            ContactMethod::ALL,
            ContactMethod::as_str,
            "safe-method",
            &["phone".to_string()],
        ),
        outcomes: opts(
            &l,
            ContactOutcome::ALL,
            ContactOutcome::as_str,
            "safe-outcome",
            &["reached".to_string()],
        ),
        closed: r.closed_at.map(|t| local_time(t.0, zone)),
        report: r.report.clone().unwrap_or_default(),
        can_manage: p.can(Permission::RecallManage),
        l,
    };
    render_status(status, &page)
}

async fn recall_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    recall_with(
        &state,
        &p,
        &ctx,
        id,
        Problems::default(),
        StatusCode::OK,
        &q,
    )
    .await
}

async fn contact_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = ContactIn {
        patient_id: f.get("patient_id"),
        method: f.get("method"),
        outcome: f.get("outcome"),
        note: f.filled("note"),
        at: f.filled("at"),
    };
    match ops::record_contact(&state, &p, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/safety/recalls/{id}?done=contact")).into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            recall_with(&state, &p, &ctx, id, errs, status, &Pairs::default()).await
        }
    }
}

async fn close_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::close_recall(&state, &p, id, &f.get("report")).await {
        Ok(_) => Ok(Redirect::to(&format!("/safety/recalls/{id}?done=closed")).into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            recall_with(&state, &p, &ctx, id, errs, status, &Pairs::default()).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting policy

/// One regime's deadlines on a page: the label, the two fields and what
/// they hold (as typed after a problem, else as set).
pub struct PolicyRow {
    pub label: String,
    pub death_field: &'static str,
    pub serious_field: &'static str,
    pub death: String,
    pub serious: String,
}

fn policy_rows(l: &Layout<'_>, regimes: &[RegimePolicy], typed: &Pairs) -> Vec<PolicyRow> {
    LegalRegime::ALL
        .iter()
        .map(|r| {
            let (death_field, serious_field) = policy_fields(*r);
            let set = regimes.iter().find(|x| x.regime == *r).map(|x| x.policy);
            let value = |field: &str, days: Option<u32>| {
                if typed.all(field).is_empty() {
                    days.map(|d| d.to_string()).unwrap_or_default()
                } else {
                    typed.get(field)
                }
            };
            PolicyRow {
                label: l.t(&format!("regime-{}", r.as_str())),
                death_field,
                serious_field,
                death: value(death_field, set.map(|p| p.death_days)),
                serious: value(serious_field, set.map(|p| p.serious_days)),
            }
        })
        .collect()
}

pub struct PolicyVersionRow {
    pub version: i64,
    pub at: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "safety/policy.html")]
struct PolicyPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    state_line: String,
    rows: Vec<PolicyRow>,
    versions: Vec<PolicyVersionRow>,
    can_set: bool,
    flash: Option<String>,
}

async fn policy_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    typed: Pairs,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let flash = (typed.get("done") == "set").then_some(());
    let current = ops::reporting_policy(state, p).await?;
    let l = Layout::new(state, ctx, "safe-policy-title", "/safety");
    let rows = policy_rows(&l, &current.regimes, &typed);
    let tz = p.clinic.time_zone.as_str();
    let versions = current
        .versions
        .iter()
        .map(|v| PolicyVersionRow {
            version: v.version,
            at: local_time(v.at.0, tz),
            summary: v
                .policies
                .regimes
                .iter()
                .map(|r| {
                    l.i18n.t_args(
                        l.locale,
                        "safe-policy-summary",
                        &[
                            ("regime", l.t(&format!("regime-{}", r.regime.as_str()))),
                            ("death", r.policy.death_days.to_string()),
                            ("serious", r.policy.serious_days.to_string()),
                        ],
                    )
                })
                .collect::<Vec<_>>()
                .join(" / "),
        })
        .collect();
    render_status(
        status,
        &PolicyPage {
            errs,
            state_line: match current.version {
                Some(v) => l.i18n.t_args(
                    l.locale,
                    "safe-policy-version",
                    &[("version", v.to_string())],
                ),
                None => l.t("safe-policy-default"),
            },
            rows,
            versions,
            can_set: p.can(Permission::ManageSettings),
            flash: flash.map(|()| l.t("safe-policy-done")),
            l,
        },
    )
}

async fn policy_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    policy_with(&state, &p, &ctx, q, Problems::default(), StatusCode::OK).await
}

async fn policy_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let raw: Vec<RawRegimePolicy> = LegalRegime::ALL
        .iter()
        .map(|r| {
            let (death, serious) = policy_fields(*r);
            RawRegimePolicy {
                regime: r.as_str().to_string(),
                death_days: f.get(death),
                serious_days: f.get(serious),
            }
        })
        .collect();
    match ops::set_reporting_policy(&state, &p, &raw).await {
        Ok(_) => Ok(Redirect::to("/safety/reporting-policy?done=set").into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            policy_with(&state, &p, &ctx, f, errs, status).await
        }
    }
}
