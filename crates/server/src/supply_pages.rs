//! The supply-and-quality web UI: dashboard, products, locations, lots
//! (receive, certificate against the specification, release, holds,
//! stock movements, history) and stock. Every rule lives in `supply_ops`
//! and the domain crate; these handlers parse forms, call the use cases and
//! show what they answer, in the person's language, next to the field
//! concerned.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use jousei_core::barcode::parse_scan;
use jousei_core::locale::Locale;
use jousei_core::role::Permission;
use jousei_core::supply::lot::{LotAction, LotState, unavailability};
use jousei_core::supply::product::{
    CellSource, DonorInfo, Factor, LegalRegime, ProductKind, Route,
};
use jousei_core::supply::qc::{CertificateGap, Criterion, Outcome, QcTest, Specification};
use jousei_core::supply::stock::{StockLine, fefo};
use jousei_store::supply::{Location, Lot, Product, StockRow};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::auth::Principal;
use crate::barcode_ui::{ScanField, Texts};
use crate::error::{ApiError, SubError};
use crate::i18n::I18n;
use crate::pages::{Layout, local_time};
use crate::supply_ops::{self as ops, LocationIn, MovementIn, ProductIn, ReceiveIn, ResultIn};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/supply", get(dashboard))
        .route("/supply/products", get(products_page).post(product_create))
        .route("/supply/products/new", get(product_new))
        .route("/supply/products/{id}", get(product_page))
        .route(
            "/supply/products/{id}/revise",
            get(product_revise_page).post(product_revise),
        )
        .route(
            "/supply/locations",
            get(locations_page).post(location_create),
        )
        .route("/supply/lots", get(lots_page))
        .route(
            "/supply/lots/receive",
            get(receive_page).post(receive_submit),
        )
        .route("/supply/lots/{id}", get(lot_page))
        .route("/supply/lots/{id}/state", post(lot_change))
        .route("/supply/lots/{id}/results", post(lot_results))
        .route("/supply/lots/{id}/movements", post(lot_movement))
        .route(
            "/supply/lots/{id}/certificates",
            post(lot_certificate).layer(DefaultBodyLimit::max(ops::CERTIFICATE_MAX + 64 * 1024)),
        )
        .route("/supply/stock", get(stock_page))
        .route("/certificates/{id}", get(certificate))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

fn render(t: &impl Template) -> Result<Response, ApiError> {
    render_status(StatusCode::OK, t)
}

fn render_status(status: StatusCode, t: &impl Template) -> Result<Response, ApiError> {
    Ok((status, Html(t.render().map_err(ApiError::internal)?)).into_response())
}

/// The fields of a URL-encoded form, in order (repeated keys kept).
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn parse(body: &[u8]) -> Self {
        Pairs(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    /// The first value of `key` (empty when absent).
    fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// The first non-blank value of `key`.
    fn filled(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    }
    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A localised message for an error code; a `test` argument is shown by
/// its name (`qc-<test>`), not its code.
fn message(i18n: &I18n, locale: Locale, code: &str, args: &[(&'static str, String)]) -> String {
    let args: Vec<(&str, String)> = args
        .iter()
        .map(|(k, v)| {
            if *k == "test" {
                (*k, i18n.t(locale, &format!("qc-{v}")))
            } else {
                (*k, v.clone())
            }
        })
        .collect();
    i18n.t_args(locale, &format!("err-{code}"), &args)
}

/// What went wrong with a form: a heading, every problem, and the
/// message of each field to show next to it.
#[derive(Default)]
pub struct Problems {
    pub title: Option<String>,
    pub items: Vec<String>,
    by_field: BTreeMap<&'static str, Vec<String>>,
}

impl Problems {
    pub(crate) fn from_error(i18n: &I18n, locale: Locale, e: &ApiError) -> Self {
        // A conflict without a field still belongs to one.
        let field_of = |code: &str, field: Option<&'static str>| {
            field.or(match code {
                "product_code_taken" | "product_code_immutable" => Some("code"),
                "location_code_taken" => Some("location_code"),
                "lot_exists" => Some("lot_number"),
                _ => None,
            })
        };
        let mut out = Problems::default();
        let subs: Vec<SubError> = if e.errors.is_empty() {
            vec![SubError {
                code: e.code,
                field: e.field,
                args: e.args.clone(),
            }]
        } else if e.code == "scan_warning_unconfirmed" {
            // The warnings are shown with their readings (see the receive page).
            Vec::new()
        } else {
            e.errors.clone()
        };
        let single = e.errors.is_empty();
        let fields_only = !single && e.errors.first().map(|s| s.code) == Some(e.code);
        out.title = Some(if fields_only {
            i18n.t(locale, "sui-check-input")
        } else if single {
            e.detail(i18n, locale)
        } else {
            e.title(i18n, locale)
        });
        for s in subs {
            let msg = message(i18n, locale, s.code, &s.args);
            let field = field_of(s.code, s.field);
            if let Some(f) = field {
                out.by_field.entry(f).or_default().push(msg.clone());
            }
            if !single {
                out.items.push(match field {
                    Some(f) => format!("{}: {msg}", i18n.t(locale, &format!("field-{f}"))),
                    None => msg,
                });
            }
        }
        out
    }
    pub fn any(&self) -> bool {
        self.title.is_some()
    }
    pub fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }
    pub fn field(&self, field: &str) -> String {
        self.by_field
            .get(field)
            .map(|v| v.join(" "))
            .unwrap_or_default()
    }
}

/// A choice in a select or a list of checkboxes.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

fn choices<T: Copy>(
    l: &Layout<'_>,
    all: &[T],
    code: fn(T) -> &'static str,
    prefix: &str,
    chosen: &[String],
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let c = code(*v);
            Choice {
                value: c.to_string(),
                label: l.t(&format!("{prefix}-{c}")),
                checked: chosen.iter().any(|x| x == c),
            }
        })
        .collect()
}

/// A short, localised note after a change (`?done=`).
fn done_flash(l: &Layout<'_>, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "created" => "sui-done-created",
        "revised" => "sui-done-revised",
        "received" => "sui-done-received",
        "release" => "sui-done-release",
        "hold" => "sui-done-hold",
        "unhold" => "sui-done-unhold",
        "recall" => "sui-done-recall",
        "reject" => "sui-done-reject",
        "results" => "sui-done-results",
        "certificate" => "sui-done-certificate",
        "movement" => "sui-done-movement",
        _ => return None,
    };
    Some(l.t(key))
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

/// A lot as a row of a table.
pub struct LotRow {
    pub id: Uuid,
    pub lot_number: String,
    pub product_id: Uuid,
    pub product: String,
    pub expiry: String,
    pub expired: bool,
    pub state: &'static str,
    pub state_label: String,
    pub received: String,
}

fn lot_row(l: &Layout<'_>, lot: &Lot, today: Date, zone: &str) -> LotRow {
    LotRow {
        id: lot.id,
        lot_number: lot.lot_number.clone(),
        product_id: lot.product_id,
        product: format!("{} {}", lot.product_code, lot.product_name),
        expiry: lot.expiry.to_string(),
        expired: jousei_core::supply::lot::is_expired(lot.expiry, today),
        state: lot.state.as_str(),
        state_label: l.t(&format!("state-{}", lot.state.as_str())),
        received: local_time(lot.received_at.0, zone),
    }
}

fn product_label(l: &Layout<'_>, p: &Product) -> String {
    match (l.locale, &p.facts.name_en) {
        (Locale::En, Some(en)) => format!("{} {en}", p.facts.code),
        _ => format!("{} {}", p.facts.code, p.facts.name),
    }
}

/// A temperature as shown (the unit comes with `DeciCelsius`'s Display).
fn temp(t: jousei_core::supply::units::DeciCelsius) -> String {
    t.to_string()
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------------
// Dashboard

pub struct ExcursionRow {
    pub location: String,
    pub start: String,
    pub end: String,
    pub minutes: i64,
    pub extreme: String,
    pub direction: String,
    pub lots: String,
}

pub struct StockBar {
    pub code: String,
    pub name: String,
    pub available: i64,
    pub unavailable: i64,
}

#[derive(Template)]
#[template(path = "supply/dashboard.html")]
struct DashboardPage<'a> {
    l: Layout<'a>,
    days: i64,
    expiring: Vec<LotRow>,
    on_hold: Vec<LotRow>,
    quarantined: Vec<LotRow>,
    excursions: Vec<ExcursionRow>,
    stock: Vec<StockBar>,
    chart: String,
    expiring_heading: String,
    can_write: bool,
}

#[derive(Deserialize)]
struct DashboardQuery {
    days: Option<String>,
}

/// A horizontal stacked bar chart of available and never-available vials
/// per product (SVG, no inline style: colours come from the stylesheet).
fn stock_chart(l: &Layout<'_>, bars: &[StockBar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let label_w = 150_i64;
    let bar_w = 420_i64;
    let row_h = 30_i64;
    let max = bars
        .iter()
        .map(|b| b.available + b.unavailable)
        .max()
        .unwrap_or(1)
        .max(1);
    let height = row_h * i64::try_from(bars.len()).unwrap_or(0) + 34;
    let title = escape_xml(&l.t("sui-chart-title"));
    let mut s = format!(
        "<svg class=\"stock-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-labelledby=\"stock-chart-title\" data-testid=\"stock-chart\"><title id=\"stock-chart-title\">{title}</title>",
        w = label_w + bar_w + 70
    );
    for (i, b) in bars.iter().enumerate() {
        let y = row_h * i64::try_from(i).unwrap_or(0) + 4;
        let aw = b.available * bar_w / max;
        let uw = b.unavailable * bar_w / max;
        let _ = write!(
            s,
            "<g><text class=\"chart-label\" x=\"0\" y=\"{ty}\">{code}</text><rect class=\"bar-available\" x=\"{label_w}\" y=\"{y}\" width=\"{aw}\" height=\"20\"><title>{al}: {a}</title></rect><rect class=\"bar-unavailable\" x=\"{ux}\" y=\"{y}\" width=\"{uw}\" height=\"20\"><title>{ul}: {u}</title></rect><text class=\"chart-value\" x=\"{vx}\" y=\"{ty}\">{a} / {t}</text></g>",
            ty = y + 15,
            code = escape_xml(&b.code),
            al = escape_xml(&l.t("sui-available")),
            ul = escape_xml(&l.t("sui-unavailable")),
            a = b.available,
            u = b.unavailable,
            t = b.available + b.unavailable,
            ux = label_w + aw,
            vx = label_w + aw + uw + 6,
        );
    }
    let ly = row_h * i64::try_from(bars.len()).unwrap_or(0) + 12;
    let _ = write!(
        s,
        "<g class=\"chart-legend\"><rect class=\"bar-available\" x=\"{label_w}\" y=\"{ly}\" width=\"14\" height=\"14\"/><text x=\"{x1}\" y=\"{ty}\">{al}</text><rect class=\"bar-unavailable\" x=\"{x2}\" y=\"{ly}\" width=\"14\" height=\"14\"/><text x=\"{x3}\" y=\"{ty}\">{ul}</text></g></svg>",
        x1 = label_w + 20,
        x2 = label_w + 180,
        x3 = label_w + 200,
        ty = ly + 12,
        al = escape_xml(&l.t("sui-available")),
        ul = escape_xml(&l.t("sui-unavailable-short")),
    );
    s
}

async fn dashboard(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let days = q
        .days
        .as_deref()
        .and_then(|d| d.trim().parse::<i64>().ok())
        .unwrap_or(30)
        .clamp(1, 365);
    let d = ops::dashboard(&state, &p, days).await?;
    let l = Layout::new(&state, &ctx, "sui-dashboard-title", "/supply");
    let today = ops::clinic_today(&p);
    let zone = p.clinic.time_zone.clone();
    let rows = |v: &[Lot]| {
        v.iter()
            .map(|x| lot_row(&l, x, today, &zone))
            .collect::<Vec<_>>()
    };
    let excursions = d
        .open_excursions
        .iter()
        .map(|e| ExcursionRow {
            location: e.location_code.clone(),
            start: local_time(e.start_at.0, &zone),
            end: local_time(e.end_at.0, &zone),
            minutes: e.minutes,
            extreme: temp(e.extreme),
            direction: l.t(&format!(
                "sui-direction-{}",
                if e.direction == "above" {
                    "above"
                } else {
                    "below"
                }
            )),
            lots: e.lots.join(", "),
        })
        .collect();
    let stock: Vec<StockBar> = d
        .stock
        .iter()
        .map(|s| StockBar {
            code: s.code.clone(),
            name: s.name.clone(),
            available: s.available,
            unavailable: s.unavailable,
        })
        .collect();
    let page = DashboardPage {
        chart: stock_chart(&l, &stock),
        expiring_heading: state.i18n.t_args(
            ctx.locale,
            "sui-expiring",
            &[("days", days.to_string())],
        ),
        expiring: rows(&d.expiring),
        on_hold: rows(&d.on_hold),
        quarantined: rows(&d.quarantined),
        excursions,
        stock,
        days,
        can_write: p.can(Permission::LotReceive),
        l,
    };
    render(&page)
}

// ---------------------------------------------------------------------------------------------
// Products

pub struct ProductRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub regime: String,
    pub version: i64,
    pub gtin: String,
}

#[derive(Template)]
#[template(path = "supply/products.html")]
struct ProductsPage<'a> {
    l: Layout<'a>,
    products: Vec<ProductRow>,
    can_write: bool,
}

async fn products_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let l = Layout::new(&state, &ctx, "sui-products-title", "/supply/products");
    let products = state
        .store
        .products(p.clinic.id)
        .await?
        .iter()
        .map(|x| ProductRow {
            id: x.id,
            code: x.facts.code.clone(),
            name: product_label(&l, x),
            kind: l.t(&format!("kind-{}", x.facts.kind.as_str())),
            regime: l.t(&format!("regime-{}", x.facts.regime.as_str())),
            version: x.version,
            gtin: x.facts.gtin.clone().unwrap_or_default(),
        })
        .collect();
    render(&ProductsPage {
        l,
        products,
        can_write: p.can(Permission::SupplyWrite),
    })
}

/// The product form (new and revise).
#[derive(Template)]
#[template(path = "supply/product_form.html")]
struct ProductFormPage<'a> {
    l: Layout<'a>,
    /// `None` for a new product.
    revise_of: Option<Uuid>,
    action: String,
    vals: BTreeMap<&'static str, String>,
    reason: String,
    kinds: Vec<Choice>,
    sources: Vec<Choice>,
    factors: Vec<Choice>,
    routes: Vec<Choice>,
    donors: Vec<Choice>,
    regimes: Vec<Choice>,
    spec_tests: Vec<Choice>,
    equivalents: Vec<Choice>,
    errs: Problems,
}

impl ProductFormPage<'_> {
    pub fn v(&self, key: &str) -> &str {
        self.vals.get(key).map(String::as_str).unwrap_or("")
    }
}

/// Form keys that may repeat (checkbox lists).
const PRODUCT_LISTS: [&str; 4] = ["sources", "factors", "routes", "spec_tests"];
/// Form keys that are not part of the product.
const PRODUCT_EXTRA: [&str; 2] = ["csrf", "reason"];

/// The product typed in the form; unknown keys are refused like the API does.
fn product_in(form: &Pairs) -> Result<ProductIn, ApiError> {
    let mut map = serde_json::Map::new();
    for key in PRODUCT_LISTS {
        map.insert(key.to_string(), serde_json::Value::from(form.all(key)));
    }
    for (k, v) in &form.0 {
        if PRODUCT_LISTS.contains(&k.as_str()) || PRODUCT_EXTRA.contains(&k.as_str()) {
            continue;
        }
        map.entry(k.clone())
            .or_insert_with(|| serde_json::Value::from(v.clone()));
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"))
}

fn product_form_page<'a>(
    l: Layout<'a>,
    revise_of: Option<Uuid>,
    input: &ProductIn,
    reason: String,
    errs: Problems,
) -> ProductFormPage<'a> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut vals = BTreeMap::new();
    for (k, v) in [
        ("code", input.code.clone()),
        ("name", input.name.clone()),
        ("name_en", o(&input.name_en)),
        ("manufacturer", input.manufacturer.clone()),
        ("facility", o(&input.facility)),
        ("licence_no", o(&input.licence_no)),
        ("country", input.country.clone()),
        ("vial_volume_ml", input.vial_volume_ml.clone()),
        ("storage_min_c", input.storage_min_c.clone()),
        ("storage_max_c", input.storage_max_c.clone()),
        ("in_use_minutes", input.in_use_minutes.clone()),
        (
            "excursion_tolerance_minutes",
            input.excursion_tolerance_minutes.clone(),
        ),
        ("gtin", o(&input.gtin)),
        ("how_obtained", o(&input.how_obtained)),
        (
            "approved_equivalent_name",
            o(&input.approved_equivalent_name),
        ),
        ("foreign_safety_info", o(&input.foreign_safety_info)),
        ("endotoxin_limit", o(&input.endotoxin_limit)),
    ] {
        vals.insert(k, v);
    }
    let one = |v: &str| vec![v.to_string()];
    let equivalent = o(&input.approved_equivalent);
    let equivalents = ["", "none", "exists"]
        .iter()
        .map(|v| Choice {
            value: v.to_string(),
            label: l.t(&format!(
                "sui-equivalent-{}",
                if v.is_empty() { "unknown" } else { v }
            )),
            checked: equivalent == *v,
        })
        .collect();
    ProductFormPage {
        action: match revise_of {
            Some(id) => format!("/supply/products/{id}/revise"),
            None => "/supply/products".into(),
        },
        kinds: choices(
            &l,
            ProductKind::ALL,
            ProductKind::as_str,
            "kind",
            &one(&input.kind),
        ),
        sources: choices(
            &l,
            CellSource::ALL,
            CellSource::as_str,
            "source",
            &input.sources,
        ),
        factors: Factor::ALL
            .iter()
            .map(|f| Choice {
                value: f.as_str().into(),
                label: f.label().into(),
                checked: input.factors.iter().any(|x| x == f.as_str()),
            })
            .collect(),
        routes: choices(&l, Route::ALL, Route::as_str, "route", &input.routes),
        donors: choices(
            &l,
            DonorInfo::ALL,
            DonorInfo::as_str,
            "donor",
            &one(&input.donor_info),
        ),
        regimes: choices(
            &l,
            LegalRegime::ALL,
            LegalRegime::as_str,
            "regime",
            &one(&input.regime),
        ),
        spec_tests: choices(&l, QcTest::ALL, QcTest::as_str, "qc", &input.spec_tests),
        equivalents,
        vals,
        reason,
        revise_of,
        errs,
        l,
    }
}

/// A new product's form starts with the seeds' specification and common values.
fn new_product_defaults() -> ProductIn {
    ProductIn {
        kind: ProductKind::ConditionedMedium.as_str().into(),
        country: "JP".into(),
        donor_info: DonorInfo::DocumentedDomestic.as_str().into(),
        regime: LegalRegime::Unapproved.as_str().into(),
        excursion_tolerance_minutes: "0".into(),
        endotoxin_limit: Some("0.5".into()),
        spec_tests: Specification::seed_default()
            .tests
            .iter()
            .map(|r| r.test.as_str().to_string())
            .collect(),
        ..ProductIn::default()
    }
}

async fn product_new(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let l = Layout::new(&state, &ctx, "sui-product-new", "/supply/products/new");
    render(&product_form_page(
        l,
        None,
        &new_product_defaults(),
        String::new(),
        Problems::default(),
    ))
}

async fn product_create(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let form = Pairs::parse(&body);
    let input = product_in(&form)?;
    match ops::create_product(&state, &p, &input).await {
        Ok(prod) => {
            Ok(Redirect::to(&format!("/supply/products/{}?done=created", prod.id)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let l = Layout::new(&state, &ctx, "sui-product-new", "/supply/products/new");
            let errs = Problems::from_error(&state.i18n, ctx.locale, &e);
            render_status(
                e.status,
                &product_form_page(l, None, &input, String::new(), errs),
            )
        }
        Err(e) => Err(e),
    }
}

async fn product_revise_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let prod = state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let l = Layout::new(&state, &ctx, "sui-product-revise", "/supply/products");
    render(&product_form_page(
        l,
        Some(id),
        &ProductIn::from_facts(&prod.facts),
        String::new(),
        Problems::default(),
    ))
}

async fn product_revise(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let form = Pairs::parse(&body);
    let input = product_in(&form)?;
    let reason = form.get("reason");
    match ops::revise_product(&state, &p, id, &input, &reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/supply/products/{id}?done=revised")).into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            let l = Layout::new(&state, &ctx, "sui-product-revise", "/supply/products");
            let errs = Problems::from_error(&state.i18n, ctx.locale, &e);
            render_status(
                e.status,
                &product_form_page(l, Some(id), &input, reason, errs),
            )
        }
        Err(e) => Err(e),
    }
}

/// A labelled fact of a product.
pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct VersionRow {
    pub version: i64,
    pub at: String,
    pub author: String,
    pub reason: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "supply/product.html")]
struct ProductPage<'a> {
    l: Layout<'a>,
    product: Product,
    heading: String,
    facts: Vec<Fact>,
    spec: Vec<Fact>,
    versions: Vec<VersionRow>,
    lots: Vec<LotRow>,
    can_write: bool,
}

fn criterion_text(l: &Layout<'_>, c: &Criterion) -> String {
    match c {
        Criterion::Negative => l.t("sui-negative"),
        Criterion::Positive => l.t("sui-positive"),
        Criterion::AtMost { limit, unit } => format!("≤ {limit} {unit}"),
        Criterion::AtLeast { limit, unit } => format!("≥ {limit} {unit}"),
    }
}

fn outcome_text(l: &Layout<'_>, o: &Outcome) -> String {
    match o {
        Outcome::Negative => l.t("sui-negative"),
        Outcome::Positive => l.t("sui-positive"),
        Outcome::Value { value, unit } => format!("{value} {unit}"),
    }
}

fn product_facts(l: &Layout<'_>, f: &jousei_core::supply::product::ProductFacts) -> Vec<Fact> {
    let none = || l.t("sui-not-recorded");
    let list = |v: Vec<String>| if v.is_empty() { none() } else { v.join("、") };
    let fact = |key: &str, value: String| Fact {
        label: l.t(key),
        value,
    };
    vec![
        fact("field-code", f.code.clone()),
        fact("field-name", f.name.clone()),
        fact("field-name_en", f.name_en.clone().unwrap_or_else(none)),
        fact("field-kind", l.t(&format!("kind-{}", f.kind.as_str()))),
        fact(
            "field-sources",
            list(
                f.sources
                    .iter()
                    .map(|s| l.t(&format!("source-{}", s.as_str())))
                    .collect(),
            ),
        ),
        fact("field-manufacturer", f.manufacturer.clone()),
        fact("field-facility", f.facility.clone().unwrap_or_else(none)),
        fact(
            "field-licence_no",
            f.licence_no.clone().unwrap_or_else(none),
        ),
        fact("field-country", f.country.clone()),
        fact(
            "field-donor_info",
            l.t(&format!("donor-{}", f.donor_info.as_str())),
        ),
        fact(
            "field-factors",
            list(f.factors.iter().map(|x| x.label().to_string()).collect()),
        ),
        fact(
            "field-vial_volume_ml",
            format!(
                "{} mL",
                jousei_core::supply::units::fmt_fixed(f.vial_volume.0, 3)
            ),
        ),
        fact(
            "sui-storage-range",
            format!("{} 〜 {}", temp(f.storage_min), temp(f.storage_max)),
        ),
        fact("field-in_use_minutes", f.in_use_minutes.to_string()),
        fact(
            "field-excursion_tolerance_minutes",
            f.excursion_tolerance_minutes.to_string(),
        ),
        fact(
            "field-routes",
            list(
                f.routes
                    .iter()
                    .map(|r| l.t(&format!("route-{}", r.as_str())))
                    .collect(),
            ),
        ),
        fact("field-gtin", f.gtin.clone().unwrap_or_else(none)),
        fact(
            "field-regime",
            l.t(&format!("regime-{}", f.regime.as_str())),
        ),
        fact(
            "field-how_obtained",
            f.how_obtained.clone().unwrap_or_else(none),
        ),
        fact(
            "field-approved_equivalent",
            match &f.approved_equivalent {
                None => none(),
                Some(jousei_core::supply::product::ApprovedEquivalent::None { note }) => match note
                {
                    Some(n) => format!("{} ({n})", l.t("sui-equivalent-none")),
                    None => l.t("sui-equivalent-none"),
                },
                Some(jousei_core::supply::product::ApprovedEquivalent::Exists { name }) => {
                    format!("{}: {name}", l.t("sui-equivalent-exists"))
                }
            },
        ),
        fact(
            "field-foreign_safety_info",
            f.foreign_safety_info.clone().unwrap_or_else(none),
        ),
    ]
}

async fn product_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let product = state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut l = Layout::new(&state, &ctx, "sui-product-title", "/supply/products");
    l.flash = done_flash(&l, q.done.as_deref());
    let zone = p.clinic.time_zone.clone();
    let users: BTreeMap<Uuid, String> = state
        .store
        .users_in_clinic(p.clinic.id)
        .await?
        .into_iter()
        .map(|(u, _)| (u.id, format!("{} ({})", u.display_name, u.login)))
        .collect();
    let versions = state
        .store
        .product_versions(p.clinic.id, id)
        .await?
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            at: local_time(v.created_at.0, &zone),
            author: v
                .author_id
                .and_then(|a| users.get(&a).cloned())
                .unwrap_or_default(),
            reason: v.reason.clone().unwrap_or_else(|| l.t("sui-version-first")),
            summary: format!(
                "{} · {}",
                v.facts.name,
                l.t(&format!("regime-{}", v.facts.regime.as_str()))
            ),
        })
        .collect();
    let today = ops::clinic_today(&p);
    let lots = state
        .store
        .lots(p.clinic.id)
        .await?
        .iter()
        .filter(|x| x.product_id == id)
        .map(|x| lot_row(&l, x, today, &zone))
        .collect();
    let spec = product
        .facts
        .spec
        .tests
        .iter()
        .map(|r| Fact {
            label: l.t(&format!("qc-{}", r.test.as_str())),
            value: criterion_text(&l, &r.criterion),
        })
        .collect();
    let page = ProductPage {
        heading: product_label(&l, &product),
        facts: product_facts(&l, &product.facts),
        spec,
        versions,
        lots,
        product,
        can_write: p.can(Permission::SupplyWrite),
        l,
    };
    render(&page)
}

// ---------------------------------------------------------------------------------------------
// Locations

pub struct LocationRow {
    pub code: String,
    pub name: String,
    pub range: String,
    pub vials: i64,
}

#[derive(Template)]
#[template(path = "supply/locations.html")]
struct LocationsPage<'a> {
    l: Layout<'a>,
    locations: Vec<LocationRow>,
    can_write: bool,
    vals: LocationIn,
    errs: Problems,
}

async fn locations_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    vals: LocationIn,
    errs: Problems,
    status: StatusCode,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let mut l = Layout::new(state, ctx, "sui-locations-title", "/supply/locations");
    l.flash = done_flash(&l, done);
    let stock = state.store.stock(p.clinic.id).await?;
    let locations = state
        .store
        .locations(p.clinic.id)
        .await?
        .iter()
        .map(|x| LocationRow {
            code: x.code.clone(),
            name: x.name.clone(),
            range: format!("{} 〜 {}", temp(x.min_temp), temp(x.max_temp)),
            vials: stock
                .iter()
                .filter(|s| s.location_id == x.id)
                .map(|s| s.vials)
                .sum(),
        })
        .collect();
    render_status(
        status,
        &LocationsPage {
            l,
            locations,
            can_write: p.can(Permission::SupplyWrite),
            vals,
            errs,
        },
    )
}

async fn locations_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    locations_with(
        &state,
        &p,
        &ctx,
        LocationIn::default(),
        Problems::default(),
        StatusCode::OK,
        q.done.as_deref(),
    )
    .await
}

async fn location_create(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let f = Pairs::parse(&body);
    let input = LocationIn {
        code: f.get("code"),
        name: f.get("name"),
        min_c: f.get("min_c"),
        max_c: f.get("max_c"),
    };
    match ops::create_location(&state, &p, &input).await {
        Ok(_) => Ok(Redirect::to("/supply/locations?done=created").into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let errs = Problems::from_error(&state.i18n, ctx.locale, &e);
            locations_with(&state, &p, &ctx, input, errs, e.status, None).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Lots: list and receive

pub struct StateFilter {
    pub value: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "supply/lots.html")]
struct LotsPage<'a> {
    l: Layout<'a>,
    lots: Vec<LotRow>,
    filters: Vec<StateFilter>,
    can_receive: bool,
}

#[derive(Deserialize)]
struct LotsQuery {
    state: Option<String>,
}

async fn lots_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<LotsQuery>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let l = Layout::new(&state, &ctx, "sui-lots-title", "/supply/lots");
    let wanted = q.state.as_deref().and_then(LotState::parse);
    let today = ops::clinic_today(&p);
    let zone = p.clinic.time_zone.clone();
    let lots = state
        .store
        .lots(p.clinic.id)
        .await?
        .iter()
        .filter(|x| wanted.is_none_or(|w| x.state == w))
        .map(|x| lot_row(&l, x, today, &zone))
        .collect();
    let mut filters = vec![StateFilter {
        value: "",
        label: l.t("sui-all"),
        current: wanted.is_none(),
    }];
    filters.extend(LotState::ALL.iter().map(|s| StateFilter {
        value: s.as_str(),
        label: l.t(&format!("state-{}", s.as_str())),
        current: wanted == Some(*s),
    }));
    render(&LotsPage {
        l,
        lots,
        filters,
        can_receive: p.can(Permission::LotReceive),
    })
}

#[derive(Template)]
#[template(path = "supply/receive.html")]
struct ReceivePage<'a> {
    l: Layout<'a>,
    sf: ScanField,
    products: Vec<Choice>,
    locations: Vec<Choice>,
    vals: BTreeMap<&'static str, String>,
    errs: Problems,
    /// The scan whose warnings must be confirmed, and the warnings.
    pending_scan: String,
    warnings: Vec<String>,
}

impl ReceivePage<'_> {
    pub fn v(&self, key: &str) -> &str {
        self.vals.get(key).map(String::as_str).unwrap_or("")
    }
}

async fn receive_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    form: Option<&Pairs>,
    err: Option<&ApiError>,
) -> Result<Response, ApiError> {
    p.require(Permission::LotReceive)?;
    let l = Layout::new(state, ctx, "sui-receive-title", "/supply/lots/receive");
    let get = |k: &str| form.map(|f| f.get(k)).unwrap_or_default();
    let chosen_product = get("product_id");
    let products = state
        .store
        .products(p.clinic.id)
        .await?
        .iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            label: product_label(&l, x),
            checked: x.id.to_string() == chosen_product,
        })
        .collect();
    let chosen_location = get("location_id");
    let locations = state
        .store
        .locations(p.clinic.id)
        .await?
        .iter()
        .map(|x: &Location| Choice {
            value: x.id.to_string(),
            label: format!(
                "{} {} ({} 〜 {})",
                x.code,
                x.name,
                temp(x.min_temp),
                temp(x.max_temp)
            ),
            checked: x.id.to_string() == chosen_location,
        })
        .collect();
    let mut vals = BTreeMap::new();
    for k in ["lot_number", "expiry", "vials", "supplier_ref"] {
        vals.insert(k, get(k));
    }
    let errs = err
        .map(|e| Problems::from_error(&state.i18n, ctx.locale, e))
        .unwrap_or_default();
    // Unconfirmed warnings: read the scan again to show each warning in words.
    let mut pending_scan = String::new();
    let mut warnings = Vec::new();
    if let (Some(e), Some(f)) = (err, form)
        && e.code == "scan_warning_unconfirmed"
        && let Some(raw) = scan_of(f)
    {
        if let Ok(s) = parse_scan(&raw, ops::clinic_today(p)) {
            let tx = Texts::new(&state.i18n, ctx.locale);
            warnings = s.warnings.iter().map(|w| tx.warning(w)).collect();
        }
        pending_scan = raw;
    }
    let status = err.map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = ReceivePage {
        sf: ScanField {
            id: "receive-scan",
            name: "scan",
            standalone: false,
            diagnostics: false,
            result: None,
        },
        products,
        locations,
        vals,
        errs,
        pending_scan,
        warnings,
        l,
    };
    render_status(status, &page)
}

/// The scan of the receive form: the scan field's accepted value, what was
/// typed into it, or the scan waiting for its warnings to be confirmed.
fn scan_of(f: &Pairs) -> Option<String> {
    f.filled("scan")
        .or_else(|| f.filled("data"))
        .or_else(|| f.filled("scan_pending"))
}

async fn receive_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    receive_with(&state, &p, &ctx, None, None).await
}

async fn receive_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::LotReceive)?;
    let f = Pairs::parse(&body);
    let opt = |k: &str| f.filled(k);
    // The scan field accepts a reading with warnings only after the person
    // confirmed them there; the confirm box below the form does the same
    // without JavaScript.
    let confirmed =
        opt("confirm_warnings").or_else(|| opt("scan").map(|_| "scan-field".to_string()));
    let input = ReceiveIn {
        scan: scan_of(&f),
        confirm_warnings: confirmed,
        product_id: opt("product_id"),
        lot_number: opt("lot_number"),
        expiry: opt("expiry"),
        location_id: f.get("location_id"),
        vials: f.get("vials"),
        supplier_ref: opt("supplier_ref"),
    };
    match ops::receive_lot(&state, &p, &input).await {
        Ok(lot) => {
            Ok(Redirect::to(&format!("/supply/lots/{}?done=received", lot.id)).into_response())
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            receive_with(&state, &p, &ctx, Some(&f), Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One lot

/// One required test against the certificate.
pub struct SpecRow {
    pub test: String,
    pub code: &'static str,
    pub criterion: String,
    pub outcome: String,
    pub method: String,
    pub date: String,
    /// `pass`, `fail` or `missing`.
    pub status: &'static str,
    pub status_label: String,
}

pub struct ResultRow {
    pub test: String,
    pub outcome: String,
    pub method: String,
    pub date: String,
    pub entered: String,
    pub certificate: String,
}

pub struct CertRow {
    pub id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub size: String,
    pub at: String,
}

pub struct StockLineRow {
    pub location_id: Uuid,
    pub location: String,
    pub vials: i64,
}

pub struct MovementView {
    pub at: String,
    pub kind: String,
    pub location: String,
    pub delta: String,
    pub reason: String,
    pub witness: String,
    pub actor: String,
}

pub struct EventRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub change: String,
    pub reason: String,
}

/// An empty line of the results form, preset to a test.
pub struct ResultLine {
    pub tests: Vec<Choice>,
}

/// A problem shown next to one of the lot page's forms.
pub struct SectionProblems {
    pub section: &'static str,
    pub problems: Problems,
}

#[derive(Template)]
#[template(path = "supply/lot.html")]
struct LotPage<'a> {
    l: Layout<'a>,
    lot: LotRow,
    product_name: String,
    product_version: i64,
    unavailable: String,
    spec_rows: Vec<SpecRow>,
    results: Vec<ResultRow>,
    certificates: Vec<CertRow>,
    blockers: Vec<String>,
    actions: Vec<Choice>,
    stock: Vec<StockLineRow>,
    locations: Vec<Choice>,
    movements: Vec<MovementView>,
    events: Vec<EventRow>,
    result_lines: Vec<ResultLine>,
    can_release: bool,
    can_hold: bool,
    can_receive: bool,
    can_move: bool,
    is_quarantined: bool,
    open_excursions: i64,
    scan_raw: String,
    supplier_ref: String,
    problem: Option<SectionProblems>,
}

impl LotPage<'_> {
    /// The problems of one section's form.
    pub fn problems_in(&self, section: &str) -> Option<&Problems> {
        self.problem
            .as_ref()
            .filter(|s| s.section == section)
            .map(|s| &s.problems)
    }
    pub fn field_error(&self, section: &str, field: &str) -> String {
        self.problems_in(section)
            .map(|p| p.field(field))
            .unwrap_or_default()
    }
}

fn refusal_text(i18n: &I18n, locale: Locale, r: &jousei_core::supply::lot::Refusal) -> String {
    let args: Vec<(&'static str, String)> = r
        .test
        .map(|t| vec![("test", t.as_str().to_string())])
        .unwrap_or_default();
    message(i18n, locale, r.code, &args)
}

async fn lot_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    problem: Option<SectionProblems>,
    status: StatusCode,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let view = ops::lot_view(state, p, id).await?;
    let mut l = Layout::new(state, ctx, "sui-lot-title", "/supply/lots");
    l.flash = done_flash(&l, done);
    let today = ops::clinic_today(p);
    let zone = p.clinic.time_zone.clone();
    let i18n = &state.i18n;
    // The latest result of each test counts (as for the release decision).
    let spec_rows = view
        .product
        .spec
        .tests
        .iter()
        .map(|req| {
            let latest = view
                .results
                .iter()
                .enumerate()
                .filter(|(_, r)| r.result.test == req.test)
                .max_by_key(|(i, r)| (r.result.tested_on, *i))
                .map(|(_, r)| r);
            let gap = view.gaps.iter().find(|g| g.test() == req.test);
            let status = match gap {
                Some(CertificateGap::MissingTest { .. }) => "missing",
                Some(CertificateGap::OutOfSpec { .. }) => "fail",
                None => "pass",
            };
            SpecRow {
                test: l.t(&format!("qc-{}", req.test.as_str())),
                code: req.test.as_str(),
                criterion: criterion_text(&l, &req.criterion),
                outcome: latest
                    .map(|r| outcome_text(&l, &r.result.outcome))
                    .unwrap_or_default(),
                method: latest.map(|r| r.result.method.clone()).unwrap_or_default(),
                date: latest
                    .map(|r| r.result.tested_on.to_string())
                    .unwrap_or_default(),
                status,
                status_label: l.t(&format!("sui-check-{status}")),
            }
        })
        .collect::<Vec<_>>();
    let cert_names: BTreeMap<Uuid, String> = view
        .certificates
        .iter()
        .map(|c| (c.id, c.filename.clone()))
        .collect();
    let results = view
        .results
        .iter()
        .map(|r| ResultRow {
            test: l.t(&format!("qc-{}", r.result.test.as_str())),
            outcome: outcome_text(&l, &r.result.outcome),
            method: r.result.method.clone(),
            date: r.result.tested_on.to_string(),
            entered: local_time(r.at.0, &zone),
            certificate: r
                .certificate_id
                .and_then(|c| cert_names.get(&c).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let certificates = view
        .certificates
        .iter()
        .map(|c| CertRow {
            id: c.id,
            filename: c.filename.clone(),
            sha256: c.sha256.clone(),
            size: format!("{:.1} KB", c.size as f64 / 1024.0),
            at: local_time(c.at.0, &zone),
        })
        .collect();
    let blockers = view
        .release_blockers
        .iter()
        .map(|r| refusal_text(i18n, ctx.locale, r))
        .collect();
    let lot_state = view.lot.state;
    let possible: &[LotAction] = match lot_state {
        LotState::Quarantined => &[LotAction::Hold, LotAction::Reject, LotAction::Recall],
        LotState::Released => &[LotAction::Hold, LotAction::Recall],
        LotState::OnHold => &[LotAction::Unhold, LotAction::Reject, LotAction::Recall],
        LotState::Recalled | LotState::Rejected => &[],
    };
    let actions = possible
        .iter()
        .map(|a| Choice {
            value: a.as_str().into(),
            label: l.t(&format!("action-{}", a.as_str())),
            checked: false,
        })
        .collect();
    let locations_all = state.store.locations(p.clinic.id).await?;
    let stock = view
        .stock
        .iter()
        .map(|s: &StockRow| StockLineRow {
            location_id: s.location_id,
            location: locations_all
                .iter()
                .find(|x| x.id == s.location_id)
                .map(|x| format!("{} {}", x.code, x.name))
                .unwrap_or_else(|| s.location_code.clone()),
            vials: s.vials,
        })
        .collect();
    let locations = locations_all
        .iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            label: format!("{} {}", x.code, x.name),
            checked: false,
        })
        .collect();
    let movements = state
        .store
        .movements(p.clinic.id, Some(id), 500)
        .await?
        .iter()
        .map(|m| MovementView {
            at: local_time(m.at.0, &zone),
            kind: l.t(&format!("movement-{}", m.kind)),
            location: m.location_code.clone(),
            delta: if m.delta > 0 {
                format!("+{}", m.delta)
            } else {
                m.delta.to_string()
            },
            reason: m.reason.clone().unwrap_or_default(),
            witness: m.witness_login.clone().unwrap_or_default(),
            actor: m.actor_login.clone().unwrap_or_default(),
        })
        .collect();
    let state_label = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            l.t(&format!("state-{s}"))
        }
    };
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            at: local_time(e.at.0, &zone),
            who: e.actor_login.clone().unwrap_or_default(),
            action: if i18n.has(ctx.locale, &format!("action-{}", e.action)) {
                l.t(&format!("action-{}", e.action))
            } else {
                l.t(&format!(
                    "sui-event-{}",
                    if e.action == "receive" {
                        "receive"
                    } else {
                        "other"
                    }
                ))
            },
            change: match (e.from_state.as_str(), e.to_state.as_str()) {
                ("", to) => state_label(to),
                (from, to) => format!("{} → {}", state_label(from), state_label(to)),
            },
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    // One empty line per test still missing or failing, and one more.
    let mut wanted: Vec<QcTest> = view.gaps.iter().map(CertificateGap::test).collect();
    wanted.push(
        view.product
            .spec
            .tests
            .first()
            .map(|r| r.test)
            .unwrap_or(QcTest::SterilityBacteria),
    );
    let result_lines = wanted
        .iter()
        .map(|t| ResultLine {
            tests: choices(
                &l,
                QcTest::ALL,
                QcTest::as_str,
                "qc",
                &[t.as_str().to_string()],
            ),
        })
        .collect();
    let unavailable = view
        .unavailable
        .map(|c| message(i18n, ctx.locale, c, &[]))
        .unwrap_or_default();
    let page = LotPage {
        lot: lot_row(&l, &view.lot, today, &zone),
        product_name: format!("{} {}", view.product.code, view.product.name),
        product_version: view.lot.product_version,
        unavailable,
        spec_rows,
        results,
        certificates,
        blockers,
        actions,
        stock,
        locations,
        movements,
        events,
        result_lines,
        can_release: p.can(Permission::LotRelease),
        can_hold: p.can(Permission::LotHoldRecall),
        can_receive: p.can(Permission::LotReceive),
        can_move: p.can(Permission::StockMove),
        is_quarantined: lot_state == LotState::Quarantined,
        open_excursions: view.open_excursions,
        scan_raw: view.lot.scan_raw.clone().unwrap_or_default(),
        supplier_ref: view.lot.supplier_ref.clone().unwrap_or_default(),
        problem,
        l,
    };
    render_status(status, &page)
}

async fn lot_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    lot_with(
        &state,
        &p,
        &ctx,
        id,
        None,
        StatusCode::OK,
        q.done.as_deref(),
    )
    .await
}

/// Shows the lot page again with the problem next to the form `section`,
/// or passes on what is not the person's to fix (forbidden, not found, internal).
async fn lot_problem(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    section: &'static str,
    e: ApiError,
) -> Result<Response, ApiError> {
    if !e.status.is_client_error()
        || matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
    {
        return Err(e);
    }
    let problems = Problems::from_error(&state.i18n, ctx.locale, &e);
    lot_with(
        state,
        p,
        ctx,
        id,
        Some(SectionProblems { section, problems }),
        e.status,
        None,
    )
    .await
}

async fn lot_change(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let action_raw = f.get("action");
    let Some(action) = LotAction::parse(&action_raw) else {
        return lot_problem(
            &state,
            &p,
            &ctx,
            id,
            "state",
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "code_unknown").with_field("action"),
        )
        .await;
    };
    let section = if action == LotAction::Release {
        "release"
    } else {
        "state"
    };
    let reason = f.filled("reason");
    let password = f.filled("password");
    match ops::change_lot(
        &state,
        &p,
        id,
        action,
        reason.as_deref(),
        password.as_deref(),
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/supply/lots/{id}?done={}", action.as_str())).into_response(),
        ),
        Err(e) => lot_problem(&state, &p, &ctx, id, section, e).await,
    }
}

async fn lot_results(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let (tests, methods, outcomes, units, dates) = (
        f.all("test"),
        f.all("method"),
        f.all("outcome"),
        f.all("unit"),
        f.all("tested_on"),
    );
    let common_date = f.get("tested_on_all");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    // Lines left blank (no outcome and no method) are not results.
    let lines: Vec<ResultIn> = (0..tests.len())
        .filter(|i| !at(&outcomes, *i).trim().is_empty() || !at(&methods, *i).trim().is_empty())
        .map(|i| {
            let own = at(&dates, i);
            ResultIn {
                test: at(&tests, i),
                method: at(&methods, i),
                outcome: at(&outcomes, i),
                unit: Some(at(&units, i)),
                tested_on: if own.trim().is_empty() {
                    common_date.clone()
                } else {
                    own
                },
            }
        })
        .collect();
    let certificate_id = match f.filled("certificate_id") {
        Some(c) => match c.parse::<Uuid>() {
            Ok(c) => Some(c),
            Err(_) => {
                let e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_found")
                    .with_field("file");
                return lot_problem(&state, &p, &ctx, id, "results", e).await;
            }
        },
        None => None,
    };
    match ops::add_results(&state, &p, id, &lines, certificate_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/supply/lots/{id}?done=results")).into_response()),
        Err(e) => lot_problem(&state, &p, &ctx, id, "results", e).await,
    }
}

async fn lot_movement(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = MovementIn {
        lot_id: id.to_string(),
        location_id: f.get("location_id"),
        kind: f.get("kind"),
        quantity: f.get("quantity"),
        to_location_id: f.filled("to_location_id"),
        reason: f.filled("reason"),
        witness: f.filled("witness"),
    };
    // The lot must be this clinic's before anything is said about it.
    ops::lot_view(&state, &p, id).await?;
    match ops::record_movement(&state, &p, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/supply/lots/{id}?done=movement")).into_response()),
        Err(e) => {
            let section = match input.kind.as_str() {
                "destroy" => "destroy",
                "adjust" => "adjust",
                _ => "move",
            };
            lot_problem(&state, &p, &ctx, id, section, e).await
        }
    }
}

/// The `file` part of an upload form: its name, declared type and bytes.
async fn uploaded_file(
    multipart: &mut Multipart,
) -> Result<Option<(String, String, Vec<u8>)>, axum::extract::multipart::MultipartError> {
    while let Some(field) = multipart.next_field().await? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let ct = field.content_type().unwrap_or("").to_string();
            return Ok(Some((name, ct, field.bytes().await?.to_vec())));
        }
    }
    Ok(None)
}

async fn lot_certificate(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    p.require(Permission::LotReceive)?;
    let file = match uploaded_file(&mut multipart).await {
        Ok(f) => f,
        Err(e) => {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "invalid_request"
            };
            let err = ApiError::new(e.status(), code).with_field("file");
            return lot_problem(&state, &p, &ctx, id, "certificate", err).await;
        }
    };
    let (name, ct, data) = file.unwrap_or_default();
    match ops::add_certificate(&state, &p, id, &name, &ct, data).await {
        Ok(_) => Ok(Redirect::to(&format!("/supply/lots/{id}?done=certificate")).into_response()),
        Err(e) => lot_problem(&state, &p, &ctx, id, "certificate", e).await,
    }
}

async fn certificate(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    crate::supply_api::certificate_response(&state, &p, id).await
}

// ---------------------------------------------------------------------------------------------
// Stock

pub struct StockView {
    pub lot_id: Uuid,
    pub lot_number: String,
    pub location: String,
    pub expiry: String,
    pub expired: bool,
    pub state: &'static str,
    pub state_label: String,
    pub vials: i64,
    /// Why it is not available (for unavailable lines).
    pub why: String,
}

pub struct ProductStockView {
    pub id: Uuid,
    pub name: String,
    pub available: i64,
    pub unavailable: i64,
    /// Available lines, first to pick first.
    pub fefo: Vec<StockView>,
    pub held: Vec<StockView>,
}

#[derive(Template)]
#[template(path = "supply/stock.html")]
struct StockPage<'a> {
    l: Layout<'a>,
    products: Vec<ProductStockView>,
    by_location: Vec<StockView>,
}

async fn stock_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let l = Layout::new(&state, &ctx, "sui-stock-title", "/supply/stock");
    let today = ops::clinic_today(&p);
    let rows = state.store.stock(p.clinic.id).await?;
    let products = state.store.products(p.clinic.id).await?;
    let locations = state.store.locations(p.clinic.id).await?;
    let view = |s: &StockRow| {
        let why = unavailability(s.lot.state, s.lot.expiry, today);
        StockView {
            lot_id: s.lot.id,
            lot_number: s.lot.lot_number.clone(),
            location: locations
                .iter()
                .find(|x| x.id == s.location_id)
                .map(|x| format!("{} {}", x.code, x.name))
                .unwrap_or_else(|| s.location_code.clone()),
            expiry: s.lot.expiry.to_string(),
            expired: jousei_core::supply::lot::is_expired(s.lot.expiry, today),
            state: s.lot.state.as_str(),
            state_label: l.t(&format!("state-{}", s.lot.state.as_str())),
            vials: s.vials,
            why: why
                .map(|c| message(&state.i18n, ctx.locale, c, &[]))
                .unwrap_or_default(),
        }
    };
    let per_product = ops::stock_per_product(&products, &rows, today);
    let product_views = products
        .iter()
        .filter_map(|prod| {
            let mine: Vec<&StockRow> = rows
                .iter()
                .filter(|s| s.lot.product_id == prod.id && s.vials > 0)
                .collect();
            if mine.is_empty() {
                return None;
            }
            let lines: Vec<StockLine> = mine
                .iter()
                .map(|s| StockLine {
                    lot_id: s.lot.id,
                    lot_number: s.lot.lot_number.clone(),
                    location_id: s.location_id,
                    state: s.lot.state,
                    expiry: s.lot.expiry,
                    received_seq: s.lot.received_seq,
                    vials: s.vials,
                })
                .collect();
            let order = fefo(&lines, today);
            let fefo_rows = order
                .iter()
                .filter_map(|line| {
                    mine.iter()
                        .find(|s| s.lot.id == line.lot_id && s.location_id == line.location_id)
                })
                .map(|s| view(s))
                .collect();
            let held = mine
                .iter()
                .filter(|s| unavailability(s.lot.state, s.lot.expiry, today).is_some())
                .map(|s| view(s))
                .collect();
            let totals = per_product.iter().find(|x| x.product_id == prod.id);
            Some(ProductStockView {
                id: prod.id,
                name: product_label(&l, prod),
                available: totals.map(|t| t.available).unwrap_or(0),
                unavailable: totals.map(|t| t.unavailable).unwrap_or(0),
                fefo: fefo_rows,
                held,
            })
        })
        .collect();
    let mut sorted: Vec<&StockRow> = rows.iter().filter(|s| s.vials > 0).collect();
    sorted.sort_by(|a, b| {
        (&a.location_code, a.lot.expiry, &a.lot.lot_number).cmp(&(
            &b.location_code,
            b.lot.expiry,
            &b.lot.lot_number,
        ))
    });
    let by_location = sorted.into_iter().map(view).collect();
    render(&StockPage {
        l,
        products: product_views,
        by_location,
    })
}
