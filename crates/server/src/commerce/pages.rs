//! The contract pages: the list, selling a contract from the price list
//! (coverage decided with its reasons), the contract with its documents
//! (made, downloaded, handed over), payments with their receipts, and the
//! cancellation quote with its arithmetic and its execution. Rules live in
//! `commerce_ops` and `jousei_core::commerce`.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jousei_core::commerce::cancellation::Quote;
use jousei_core::commerce::cooling_off::Status;
use jousei_core::commerce::coverage::Coverage;
use jousei_core::commerce::{Yen, format_date, format_yen};
use jousei_core::role::Permission;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::form::Pairs;
use crate::pages::{Layout, local_time};
use crate::patients::pages::{Opt, page_problem};
use crate::supply::pages::{Problems, render_status};
use jousei_service::auth::Principal;
use jousei_service::commerce::{
    self as ops, CancelIn, ContractIn, DocumentIn, HandoverIn, LineIn, PaymentIn,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list_page))
        .route("/contracts/new", get(new_page).post(new_submit))
        .route("/contracts/{id}", get(contract_page))
        .route("/contracts/{id}/documents", post(document_submit))
        .route(
            "/contracts/{id}/documents/{did}/handover",
            post(handover_submit),
        )
        .route("/contracts/{id}/documents/{did}/pdf", get(document_file))
        .route("/contracts/{id}/payments", post(payment_submit))
        .route("/contracts/{id}/cancel", post(cancel_submit))
        .route("/contracts/{id}/receipts/{rid}", get(receipt_page))
        .route("/contracts/reports", get(reports_page))
        .route("/contracts/prices", post(price_submit))
        .route("/contracts/profile", get(profile_page).post(profile_submit))
}

fn yen(l: &Layout<'_>, v: Yen) -> String {
    format_yen(v, l.locale)
}

fn cooling_label(l: &Layout<'_>, s: &Status) -> (String, &'static str) {
    match s {
        Status::NotStarted => (l.t("con-cooling-not-started"), "warn"),
        Status::NotApplicable => (l.t("con-cooling-not-applicable"), "ok"),
        Status::Running {
            last_day,
            days_left,
        } => (
            l.i18n.t_args(
                l.locale,
                "con-cooling-running",
                &[
                    ("last", format_date(*last_day, l.locale)),
                    ("days", days_left.to_string()),
                ],
            ),
            "warn",
        ),
        Status::Ended { last_day } => (
            l.i18n.t_args(
                l.locale,
                "con-cooling-ended",
                &[("last", format_date(*last_day, l.locale))],
            ),
            "ok",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

pub struct ContractRow {
    pub id: Uuid,
    pub number: String,
    pub patient: String,
    pub total: String,
    pub paid: String,
    pub sessions: String,
    pub covered: bool,
    pub status: String,
    pub cooling: String,
}

#[derive(Template)]
#[template(path = "commerce/list.html")]
struct ListPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    f: Pairs,
    flash: Option<String>,
    rows: Vec<ContractRow>,
    prices: Vec<(String, String, String, String)>,
    can_write: bool,
    can_price: bool,
    can_profile: bool,
    kinds: Vec<Opt>,
}

impl ListPage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

async fn list_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    list_with(
        &state,
        &p,
        &ctx,
        Pairs::default(),
        Problems::default(),
        StatusCode::OK,
        &q,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn list_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    f: Pairs,
    errs: Problems,
    status: StatusCode,
    q: &Pairs,
) -> Result<Response, ApiError> {
    let (state, p, ctx) = (state, p, ctx);
    p.require(Permission::ContractRead)?;
    let l = Layout::new(state, ctx, "con-title", "/contracts");
    let list = state.store.contracts(p.clinic.id).await?;
    let mut ids: Vec<Uuid> = list.iter().map(|c| c.patient_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let patients = state.store.patients_by_ids(p.clinic.id, &ids).await?;
    let rows = list
        .into_iter()
        .map(|c| {
            let name = patients
                .iter()
                .find(|x| x.id == c.patient_id)
                .map(|x| format!("{} {}", x.number, x.facts.name))
                .unwrap_or_default();
            let v = ops::contract_view(p, c);
            ContractRow {
                id: v.contract.id,
                number: v.contract.number.clone(),
                patient: name,
                total: yen(&l, v.contract.total),
                paid: yen(&l, v.contract.paid),
                sessions: format!("{}/{}", v.contract.sessions_used, v.contract.sessions),
                covered: v.contract.covered,
                status: l.t(&format!("con-status-{}", v.contract.status)),
                cooling: cooling_label(&l, &v.cooling_off).0,
            }
        })
        .collect();
    let prices = ops::price_items(state, p)
        .await?
        .into_iter()
        .filter(|x| x.item.active)
        .map(|x| {
            (
                format!("{} {}", x.item.facts.code, x.item.facts.name_ja),
                l.i18n.t_args(
                    l.locale,
                    "con-price-line",
                    &[
                        ("price", yen(&l, x.item.facts.price)),
                        ("tax", yen(&l, x.tax)),
                    ],
                ),
                x.item.facts.usual_course.clone(),
                x.item.facts.main_risks.clone(),
            )
        })
        .collect();
    let flash = match q.get("done").as_str() {
        "price" => Some(l.t("con-done-price")),
        "profile" => Some(l.t("con-done-profile")),
        _ => None,
    };
    let kind = f.get("kind");
    render_status(
        status,
        &ListPage {
            rows,
            prices,
            can_write: p.can(Permission::ContractWrite),
            can_price: p.can(Permission::ManagePrices),
            can_profile: p.can(Permission::ManageSettings),
            kinds: choice(
                &l,
                "con-kind-item",
                &["single", "package", "monthly", "discount"],
                &kind,
            ),
            flash,
            errs,
            f,
            l,
        },
    )
}

async fn price_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = ops::PriceItemIn {
        code: f.get("code"),
        name_ja: f.get("name_ja"),
        name_en: f.get("name_en"),
        kind: f.get("kind"),
        product_id: None,
        route: f.filled("route"),
        sessions: f.get("sessions").trim().parse().unwrap_or(0),
        period_months: f.get("period_months").trim().parse().ok(),
        price: f.get("price"),
        tax_rate: "standard".into(),
        usual_course: f.get("usual_course"),
        main_risks: f.get("main_risks"),
    };
    match ops::create_price_item(&state, &p, &input).await {
        Ok(_) => Ok(Redirect::to("/contracts?done=price").into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            list_with(&state, &p, &ctx, f, errs, status, &Pairs::default()).await
        }
    }
}

#[derive(Template)]
#[template(path = "commerce/profile.html")]
struct ProfilePage<'a> {
    l: Layout<'a>,
    errs: Problems,
    f: Pairs,
}

impl ProfilePage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

async fn profile_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::ManageSettings)?;
    let f = match ops::profile(&state, &p).await? {
        Some(x) => Pairs(vec![
            ("legal_name".into(), x.legal_name),
            ("address".into(), x.address),
            ("phone".into(), x.phone),
            ("representative".into(), x.representative),
            (
                "registration_number".into(),
                x.registration_number.unwrap_or_default(),
            ),
            (
                "advance_payment_protection".into(),
                x.advance_payment_protection,
            ),
        ]),
        None => Pairs::default(),
    };
    let l = Layout::new(&state, &ctx, "con-profile-title", "/contracts");
    render_status(
        StatusCode::OK,
        &ProfilePage {
            l,
            errs: Problems::default(),
            f,
        },
    )
}

async fn profile_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = ops::ProfileIn {
        legal_name: f.get("legal_name"),
        address: f.get("address"),
        phone: f.get("phone"),
        representative: f.get("representative"),
        registration_number: f.filled("registration_number"),
        advance_payment_protection: f.get("advance_payment_protection"),
    };
    match ops::set_profile(&state, &p, &input).await {
        Ok(_) => Ok(Redirect::to("/contracts?done=profile").into_response()),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            let l = Layout::new(&state, &ctx, "con-profile-title", "/contracts");
            render_status(status, &ProfilePage { l, errs, f })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Selling

#[derive(Template)]
#[template(path = "commerce/new.html")]
struct NewPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    f: Pairs,
    patient_label: Option<String>,
    plans: Vec<Opt>,
    items: Vec<Vec<Opt>>,
    quantities: Vec<String>,
    purposes: Vec<Opt>,
    methods: Vec<Opt>,
    payment_plans: Vec<Opt>,
}

impl NewPage<'_> {
    fn v(&self, key: &str) -> String {
        self.f.get(key)
    }
}

const LINE_ROWS: usize = 3;

fn choice(l: &Layout<'_>, prefix: &str, codes: &[&str], chosen: &str) -> Vec<Opt> {
    codes
        .iter()
        .map(|c| Opt {
            value: (*c).to_string(),
            label: l.t(&format!("{prefix}-{c}")),
            checked: *c == chosen,
        })
        .collect()
}

async fn new_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    mut f: Pairs,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    p.require(Permission::ContractWrite)?;
    let l = Layout::new(state, ctx, "con-new-title", "/contracts");
    let patient = match Uuid::parse_str(f.get("patient_id").trim()) {
        Ok(id) => state.store.patient(p.clinic.id, id).await?,
        Err(_) => {
            jousei_service::patients::by_number(state, p.clinic.id, &f.get("patient_number"))
                .await?
        }
    };
    if let Some(pt) = &patient {
        f.0.retain(|(k, _)| k != "patient_id");
        f.0.push(("patient_id".into(), pt.id.to_string()));
    }
    let plan_choice = f.get("plan_id");
    let plans = match &patient {
        Some(pt) => state
            .store
            .plans_of_patient(p.clinic.id, pt.id)
            .await?
            .into_iter()
            .map(|pl| Opt {
                checked: pl.id.to_string() == plan_choice,
                label: format!(
                    "{} · {} · v{}",
                    pl.facts.indication_code,
                    l.t(&format!("route-{}", pl.facts.route.as_str())),
                    pl.version
                ),
                value: pl.id.to_string(),
            })
            .collect(),
        None => Vec::new(),
    };
    let prices = ops::price_items(state, p).await?;
    let chosen = f.all("price_item_id");
    let qty = f.all("quantity");
    let items = (0..LINE_ROWS)
        .map(|i| {
            let c = chosen.get(i).cloned().unwrap_or_default();
            let mut v = vec![Opt {
                value: String::new(),
                label: "—".into(),
                checked: c.is_empty(),
            }];
            v.extend(prices.iter().filter(|x| x.item.active).map(|x| Opt {
                checked: x.item.id.to_string() == c,
                label: format!(
                    "{} {} — {}",
                    x.item.facts.code,
                    x.item.facts.name_ja,
                    yen(&l, x.item.facts.price)
                ),
                value: x.item.id.to_string(),
            }));
            v
        })
        .collect();
    let quantities = (0..LINE_ROWS)
        .map(|i| {
            qty.get(i)
                .cloned()
                .filter(|q| !q.is_empty())
                .unwrap_or_else(|| "1".into())
        })
        .collect();
    let page = NewPage {
        patient_label: patient
            .as_ref()
            .map(|pt| format!("{} {}", pt.number, pt.facts.name)),
        plans,
        items,
        quantities,
        purposes: choice(
            &l,
            "con-purpose",
            &["beauty", "medical", "unclear"],
            &f.get("purpose"),
        ),
        methods: choice(
            &l,
            "con-method",
            &["drug", "listed_other", "other"],
            &f.get("method"),
        ),
        payment_plans: choice(
            &l,
            "con-plan",
            &["lump_sum", "instalments", "monthly"],
            &f.get("payment_plan"),
        ),
        errs,
        f,
        l,
    };
    render_status(status, &page)
}

async fn new_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    if q.get("starts_on").is_empty() {
        q.0.push((
            "starts_on".into(),
            jousei_service::supply::clinic_today(&p).to_string(),
        ));
    }
    new_with(&state, &p, &ctx, q, Problems::default(), StatusCode::OK).await
}

async fn new_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut f = Pairs::parse(&body);
    if f.get("patient_id").is_empty()
        && let Some(pt) =
            jousei_service::patients::by_number(&state, p.clinic.id, &f.get("patient_number"))
                .await?
    {
        f.0.push(("patient_id".into(), pt.id.to_string()));
    }
    if f.get("action") == "patient" {
        return new_with(&state, &p, &ctx, f, Problems::default(), StatusCode::OK).await;
    }
    let ids = f.all("price_item_id");
    let qty = f.all("quantity");
    let input = ContractIn {
        patient_id: f.get("patient_id"),
        plan_id: f.filled("plan_id"),
        lines: ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !id.trim().is_empty())
            .map(|(i, id)| LineIn {
                price_item_id: id.clone(),
                quantity: qty.get(i).and_then(|q| q.trim().parse().ok()).unwrap_or(0),
            })
            .collect(),
        starts_on: f.get("starts_on"),
        payment_plan: f.get("payment_plan"),
        purpose: f.get("purpose"),
        method: f.get("method"),
        terms: None,
    };
    match ops::create_contract(&state, &p, &input).await {
        Ok(v) => {
            Ok(Redirect::to(&format!("/contracts/{}?done=made", v.contract.id)).into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            let errs = page_problem(&state, &ctx, ApiError::from(e))?;
            new_with(&state, &p, &ctx, f, errs, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One contract

pub struct DocRow {
    pub id: Uuid,
    pub kind: String,
    pub made: String,
    pub handed: Option<String>,
}

#[derive(Template)]
#[template(path = "commerce/contract.html")]
struct ContractPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    id: Uuid,
    number: String,
    patient_id: Uuid,
    patient: String,
    active: bool,
    status: String,
    facts: Vec<(String, String)>,
    covered: bool,
    reasons: Vec<String>,
    cooling: String,
    cooling_class: &'static str,
    docs: Vec<DocRow>,
    /// (user id, name): who may be named as having handed a document over.
    staff: Vec<(Uuid, String)>,
    missing_kinds: Vec<(String, String)>,
    payments: Vec<(String, String, String)>,
    receipts: Vec<(i64, Uuid, String, String, String)>,
    quote: Option<(String, String, String, Vec<String>)>,
    notice: String,
    cancellation: Vec<String>,
    today: String,
    can_write: bool,
    can_pay: bool,
}

#[allow(clippy::too_many_arguments)]
async fn contract_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    errs: Problems,
    status: StatusCode,
    q: &Pairs,
) -> Result<Response, ApiError> {
    let v = ops::contract(state, p, id).await?;
    let c = &v.contract;
    let l = Layout::new(state, ctx, "con-contract-title", "/contracts");
    let zone = p.clinic.time_zone.as_str();
    let patient = state
        .store
        .patient(p.clinic.id, c.patient_id)
        .await?
        .map(|x| format!("{} {}", x.number, x.facts.name))
        .unwrap_or_default();
    let facts = vec![
        (
            l.t("con-lines"),
            c.lines
                .iter()
                .map(|x| format!("{} × {} ({})", x.name_ja, x.quantity, yen(&l, x.unit_price)))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        (l.t("con-total"), yen(&l, c.total)),
        (
            l.t("con-sessions"),
            l.i18n.t_args(
                l.locale,
                "con-sessions-value",
                &[
                    ("used", c.sessions_used.to_string()),
                    ("total", c.sessions.to_string()),
                    ("left", v.sessions_left.to_string()),
                ],
            ),
        ),
        (
            l.t("con-period"),
            match c.ends_on {
                Some(e) => format!(
                    "{} – {}",
                    format_date(c.starts_on, l.locale),
                    format_date(e, l.locale)
                ),
                None => format!(
                    "{} – ({})",
                    format_date(c.starts_on, l.locale),
                    l.t("con-no-end")
                ),
            },
        ),
        (
            l.t("con-payment-plan"),
            l.t(&format!("con-plan-{}", c.payment_plan)),
        ),
        (l.t("con-paid"), yen(&l, c.paid)),
        (l.t("con-balance"), yen(&l, v.balance)),
    ];
    let reasons = serde_json::from_value::<Coverage>(c.coverage.clone())
        .map(|cv| cv.reasons.iter().map(|r| r.text(l.locale)).collect())
        .unwrap_or_default();
    let (cooling, cooling_class) = cooling_label(&l, &v.cooling_off);
    // Who may be named as having handed a document over: the clinic's
    // active staff, the person recording first.
    let mut staff: Vec<(Uuid, String)> = state
        .store
        .users_in_clinic(p.clinic.id)
        .await?
        .into_iter()
        .filter(|(u, _)| u.active)
        .map(|(u, _)| (u.id, u.display_name))
        .collect();
    staff.sort_by_key(|(id, _)| *id != p.user.id);
    let staff_name = |id: Option<Uuid>| {
        id.and_then(|id| staff.iter().find(|(s, _)| *s == id))
            .map(|(_, n)| format!(" · {} {n}", l.t("field-handed_by")))
            .unwrap_or_default()
    };
    let docs: Vec<DocRow> = c
        .documents
        .iter()
        .map(|d| DocRow {
            id: d.id,
            kind: l.t(&format!("con-doc-{}", d.kind)),
            made: local_time(d.made_at.0, zone),
            handed: d.received_on.map(|r| {
                format!(
                    "{} ({}){}",
                    format_date(r, l.locale),
                    l.t(&format!(
                        "con-handover-{}",
                        d.handed_over_by.clone().unwrap_or_default()
                    )),
                    staff_name(d.handed_over_staff_id)
                )
            }),
        })
        .collect();
    let missing_kinds = ["summary", "contract"]
        .iter()
        .filter(|k| !c.documents.iter().any(|d| d.kind == **k))
        .map(|k| ((*k).to_string(), l.t(&format!("con-doc-{k}"))))
        .collect();
    let payments = state
        .store
        .payments(p.clinic.id, id)
        .await?
        .iter()
        .map(|x| {
            (
                local_time(x.at.0, zone),
                yen(&l, x.amount),
                l.t(&format!("con-method-pay-{}", x.method)),
            )
        })
        .collect();
    let receipts = ops::receipts(state, p, id)
        .await?
        .iter()
        .map(|r| {
            let mark = if r.reverses.is_some() {
                l.t("con-receipt-reversal")
            } else if r.reissue_of.is_some() {
                l.t("con-receipt-reissue")
            } else {
                String::new()
            };
            (
                r.number,
                r.id,
                local_time(r.issued_at.0, zone),
                yen(&l, r.total),
                mark,
            )
        })
        .collect();
    let notice = q.get("notice");
    let quote = if notice.is_empty() {
        None
    } else {
        match ops::quote(state, p, id, &notice).await {
            Ok(ops::QuoteView {
                quote:
                    Quote {
                        kind,
                        max_charge,
                        refund,
                        steps,
                        ..
                    },
                appointments_to_cancel,
            }) => Some((
                l.t(&format!("con-kind-{}", kind.as_str())),
                yen(&l, max_charge),
                yen(&l, refund.unwrap_or(0)),
                steps
                    .iter()
                    .map(|s| s.text(l.locale))
                    .chain(appointments_to_cancel.iter().map(|a| {
                        l.i18n.t_args(
                            l.locale,
                            "con-appointment-to-cancel",
                            &[("at", local_time(a.starts_at.0, zone))],
                        )
                    }))
                    .collect(),
            )),
            Err(_) => None,
        }
    };
    let cancellation = c
        .cancellation
        .as_ref()
        .and_then(|j| serde_json::from_value::<Quote>(j.clone()).ok())
        .map(|qq| qq.steps.iter().map(|s| s.text(l.locale)).collect())
        .unwrap_or_default();
    let flash = match q.get("done").as_str() {
        "made" => Some(l.t("con-done-made")),
        "document" => Some(l.t("con-done-document")),
        "handover" => Some(l.t("con-done-handover")),
        "payment" => Some(l.t("con-done-payment")),
        "cancelled" => Some(l.t("con-done-cancelled")),
        _ => None,
    };
    let page = ContractPage {
        errs,
        flash,
        id,
        number: c.number.clone(),
        patient_id: c.patient_id,
        patient,
        active: c.status == "active",
        status: l.t(&format!("con-status-{}", c.status)),
        facts,
        covered: c.covered,
        reasons,
        cooling,
        cooling_class,
        docs,
        staff,
        missing_kinds,
        payments,
        receipts,
        quote,
        notice: if notice.is_empty() {
            jousei_service::supply::clinic_today(p).to_string()
        } else {
            notice
        },
        cancellation,
        today: jousei_service::supply::clinic_today(p).to_string(),
        can_write: p.can(Permission::ContractWrite),
        can_pay: p.can(Permission::PaymentRecord),
        l,
    };
    render_status(status, &page)
}

async fn contract_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    contract_with(
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

async fn on_error(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    e: ApiError,
) -> Result<Response, ApiError> {
    let status = e.status;
    let errs = page_problem(state, ctx, e)?;
    contract_with(state, p, ctx, id, errs, status, &Pairs::default()).await
}

async fn document_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::make_document(
        &state,
        &p,
        id,
        &DocumentIn {
            kind: f.get("kind"),
        },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=document")).into_response()),
        Err(e) => on_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

async fn handover_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, did)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = HandoverIn {
        method: f.get("method"),
        received_on: f.get("received_on"),
        electronic_consent: f.get("electronic_consent") == "1",
        handed_by: Some(f.get("handed_by")),
    };
    match ops::hand_over(&state, &p, did, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=handover")).into_response()),
        Err(e) => on_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

async fn document_file(
    State(state): State<AppState>,
    Signed(p, _ctx): Signed,
    Path((_id, did)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let bytes = ops::document_pdf(&state, &p, did).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    Ok(resp)
}

async fn payment_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = PaymentIn {
        amount: f.get("amount"),
        method: f.get("method"),
        note: f.filled("note"),
    };
    match ops::pay(&state, &p, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=payment")).into_response()),
        Err(e) => on_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

async fn cancel_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = CancelIn {
        notice: f.get("notice"),
        refund_method: f.get("refund_method"),
    };
    match ops::cancel(&state, &p, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=cancelled")).into_response()),
        Err(e) => on_error(&state, &p, &ctx, id, ApiError::from(e)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// A receipt, printable: a simplified qualified invoice (適格簡易請求書)

#[derive(Template)]
#[template(path = "commerce/receipt.html")]
struct ReceiptPage<'a> {
    l: Layout<'a>,
    contract_id: Uuid,
    number: i64,
    issued: String,
    business: String,
    registration: String,
    lines: Vec<(String, String, String)>,
    rates: Vec<(String, String, String)>,
    total: String,
    mark: String,
}

async fn receipt_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    p.require(Permission::ContractRead)?;
    let r = state
        .store
        .receipt(p.clinic.id, rid)
        .await?
        .filter(|r| r.contract_id == Some(id))
        .ok_or_else(ApiError::not_found)?;
    let profile = state.store.clinic_profile(p.clinic.id).await?;
    let l = Layout::new(&state, &ctx, "con-receipt-title", "/contracts");
    let tax: Option<jousei_core::commerce::tax::ReceiptTax> =
        serde_json::from_value(r.tax.clone()).ok();
    let rates = tax
        .map(|t| {
            t.by_rate
                .iter()
                .map(|x| (format!("{}%", x.percent), yen(&l, x.total), yen(&l, x.tax)))
                .collect()
        })
        .unwrap_or_default();
    let mark = if r.reverses.is_some() {
        l.t("con-receipt-reversal")
    } else if r.reissue_of.is_some() {
        l.t("con-receipt-reissue")
    } else {
        String::new()
    };
    render_status(
        StatusCode::OK,
        &ReceiptPage {
            contract_id: id,
            number: r.number,
            issued: local_time(r.issued_at.0, &p.clinic.time_zone),
            business: profile
                .as_ref()
                .map(|x| {
                    format!(
                        "{}（{}） {} {}",
                        x.legal_name, p.clinic.name, x.address, x.phone
                    )
                })
                .unwrap_or_else(|| p.clinic.name.clone()),
            registration: profile
                .and_then(|x| x.registration_number)
                .unwrap_or_else(|| l.t("con-receipt-no-registration")),
            lines: r
                .lines
                .iter()
                .map(|x| {
                    (
                        x.description.clone(),
                        format!("{}%", x.tax_rate.percent()),
                        yen(&l, x.amount),
                    )
                })
                .collect(),
            rates,
            total: yen(&l, r.total),
            mark,
            l,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Reports

pub struct ReportRow {
    pub id: Uuid,
    pub number: String,
    pub total: String,
    pub paid: String,
    pub earned: String,
    pub unearned: String,
    pub balance: String,
    pub sessions: String,
    pub cooling: String,
    pub in_cooling: bool,
}

#[derive(Template)]
#[template(path = "commerce/reports.html")]
struct ReportsPage<'a> {
    l: Layout<'a>,
    date: String,
    totals: Vec<(String, String)>,
    rows: Vec<ReportRow>,
    sales: Vec<(String, String, String)>,
    sales_totals: (String, String, String),
}

async fn reports_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let r = ops::contract_report(&state, &p).await?;
    let d = ops::daily_sales(&state, &p, &q.get("date")).await?;
    let l = Layout::new(&state, &ctx, "con-reports-title", "/contracts");
    let rows = r
        .contracts
        .iter()
        .map(|c| ReportRow {
            id: c.id,
            number: c.number.clone(),
            total: yen(&l, c.total),
            paid: yen(&l, c.paid),
            earned: yen(&l, c.earned),
            unearned: yen(&l, c.unearned),
            balance: yen(&l, c.balance),
            sessions: format!("{}/{}", c.sessions_used, c.sessions),
            cooling: cooling_label(&l, &c.cooling_off).0,
            in_cooling: !matches!(c.cooling_off, Status::Ended { .. }),
        })
        .collect();
    render_status(
        StatusCode::OK,
        &ReportsPage {
            date: d.date.to_string(),
            totals: vec![
                (l.t("con-report-active"), r.active.to_string()),
                (l.t("con-paid"), yen(&l, r.paid)),
                (l.t("con-report-earned"), yen(&l, r.earned)),
                (l.t("con-report-unearned"), yen(&l, r.unearned)),
                (l.t("con-balance"), yen(&l, r.balance_due)),
            ],
            rows,
            sales: d
                .payments
                .iter()
                .map(|x| {
                    (
                        local_time(x.at.0, &p.clinic.time_zone),
                        yen(&l, x.amount),
                        l.t(&format!("con-method-pay-{}", x.method)),
                    )
                })
                .collect(),
            sales_totals: (yen(&l, d.received), yen(&l, d.refunded), yen(&l, d.net)),
            l,
        },
    )
}
