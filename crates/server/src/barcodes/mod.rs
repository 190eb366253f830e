//! Barcodes in the server: the scan field (an askama include plus `assets/scan.js`, previewing
//! through `POST /scan/preview`), the scan check page `/scan`, the vial label sheet `/labels`,
//! and their JSON equivalents `POST /api/v1/barcode/parse` and `POST /api/v1/barcode/labels`.
//!
//! Parsing is `jousei_core::barcode`; this module only localises what the parser reports
//! (`err-<code>` and `warn-<code>` in `locales/*/barcode.ftl`) and lays it out.
//!
//! Who may do what: any signed-in person may parse (parsing reads and changes nothing); vial
//! labels need `Permission::StockMove` (quality and nurse), because labelling vials is part of
//! handling stock. Each label sheet is recorded in the audit chain (`vial_labels_created`).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use jiff::civil::Date;
use jousei_core::barcode::{
    AiValue, BarcodeError, DEFAULT_GS_STAND_INS, ErrorKind, Expiry, GS, InputFormat, LabelError,
    LabelProduct, ParseOptions, Scan, ScanKind, ScanWarning, VialLabel, VialLabelSpec, bracketed,
    parse, parse_yymmdd,
};
use jousei_core::locale::Locale;
use jousei_core::role::Permission;
use jousei_store::AuditNote;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::i18n::I18n;
use crate::pages::Layout;
use jousei_service::auth::Principal;
use jousei_service::barcodes::{detail_args, json_text};

/// Most labels one request may create (a little over eight A4 sheets).
pub const MAX_LABELS: usize = 200;
/// Longest serial (GS1 AI (21): 20 characters).
const MAX_SERIAL: usize = 20;
/// Longest product name printed on a label.
pub const MAX_PRODUCT_NAME: usize = 100;
/// DataMatrix module sizes accepted, in millimetres.
pub const MODULE_MM: (f64, f64) = (0.25, 1.0);
/// Module size of the label sheet and the API default.
pub const DEFAULT_MODULE_MM: f64 = 0.4;
/// Average milliseconds between keystrokes below which input is a scanner, not a hand.
const SCANNER_MS_PER_CHAR: f64 = 35.0;

/// The pages and the fragment endpoint (the API routes are registered in `crate::api`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scan", get(scan_page).post(scan_page_submit))
        .route("/scan/preview", post(scan_preview))
        .route("/labels", get(labels_page).post(labels_submit))
}

/// The clinic's local date: it decides the century of two-digit GS1 years.
pub fn clinic_today(p: &Principal) -> Date {
    let now = jiff::Timestamp::now();
    match now.in_tz(&p.clinic.time_zone) {
        Ok(z) => z.date(),
        Err(_) => now.to_zoned(jiff::tz::TimeZone::UTC).date(),
    }
}

// ---------------------------------------------------------------------------------------------
// Localisation of what the parser reports

/// Messages in one language.
#[derive(Clone, Copy)]
pub struct Texts<'a> {
    pub i18n: &'a I18n,
    pub locale: Locale,
}

impl<'a> Texts<'a> {
    pub fn new(i18n: &'a I18n, locale: Locale) -> Self {
        Texts { i18n, locale }
    }

    fn t(&self, key: &str) -> String {
        self.i18n.t(self.locale, key)
    }

    fn t_args(&self, key: &str, args: &[(String, String)]) -> String {
        let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.i18n.t_args(self.locale, key, &args)
    }

    /// `(17) 有効期限` / `(17) expiry`, or `(8020)` for an AI without a name.
    pub fn ai_label(&self, ai: &str) -> String {
        let key = format!("barcode-ai-{ai}");
        if self.i18n.has(self.locale, &key) {
            format!("({ai}) {}", self.t(&key))
        } else {
            format!("({ai})")
        }
    }

    /// The localised message of a refusal (what is wrong), without the place.
    pub fn error_message(&self, kind: &ErrorKind) -> String {
        let args = detail_args(kind);
        if let ErrorKind::InvalidValue { linter, value, .. } = kind
            && linter == "gs_stand_in"
        {
            return self.t_args(
                "barcode-gs-stand-in-in-value",
                &[("value".into(), value.clone())],
            );
        }
        self.t_args(&format!("err-{}", kind.code()), &args)
    }

    /// Where the problem is: the AI (or ISBT 128 data structure) and the character (1-based).
    pub fn error_place(&self, e: &BarcodeError, isbt: bool, with_position: bool) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(ai) = &e.ai {
            let (key, label) = if isbt {
                ("barcode-where-structure", ai.clone())
            } else {
                ("barcode-where-ai", self.ai_label(ai))
            };
            parts.push(self.t_args(key, &[("ai".into(), label)]));
        }
        if let (Some(p), true) = (e.position, with_position) {
            parts.push(self.t_args(
                "barcode-where-position",
                &[("position".into(), (p + 1).to_string())],
            ));
        }
        if parts.is_empty() {
            None
        } else {
            Some(parts.join(&self.t("barcode-where-separator")))
        }
    }

    /// The message with its place in front: `項目 (01) 商品コード（GTIN）、17文字目: …`.
    pub fn error_detail(&self, e: &BarcodeError, isbt: bool, with_position: bool) -> String {
        let message = self.error_message(&e.kind);
        match self.error_place(e, isbt, with_position) {
            Some(place) => self.t_args(
                "barcode-detail",
                &[("where".into(), place), ("message".into(), message)],
            ),
            None => message,
        }
    }

    /// The localised text of a warning.
    pub fn warning(&self, w: &ScanWarning) -> String {
        let mut args = Vec::new();
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(w) {
            for (k, v) in map {
                let text = match (k.as_str(), &v) {
                    ("code" | "candidates", _) => continue,
                    ("ai", serde_json::Value::String(ai)) => self.ai_label(ai),
                    ("requires", serde_json::Value::Array(list)) => list
                        .iter()
                        .filter_map(|x| x.as_str())
                        .map(|alt| {
                            alt.split('+')
                                .map(|a| format!("({a})"))
                                .collect::<Vec<_>>()
                                .join("+")
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => json_text(&v),
                };
                args.push((k, text));
            }
        }
        self.t_args(&format!("warn-{}", w.code()), &args)
    }
}

/// Whether raw input is ISBT 128 (its errors name data structures, not AIs).
fn looks_isbt(raw: &str) -> bool {
    let t = raw.trim_start();
    let t = match t.get(..3) {
        Some(prefix) if prefix.starts_with(']') => t.get(3..).unwrap_or(""),
        _ => t,
    };
    t.starts_with('=') || t.starts_with('&')
}

/// Raw input made readable: GS shown as `⟨GS⟩`, other control characters as `⟨U+XXXX⟩`.
fn visible_raw(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c == GS {
                "⟨GS⟩".to_string()
            } else if c.is_control() {
                format!("⟨U+{:04X}⟩", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// JSON API: parse

/// `POST /api/v1/barcode/parse`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseIn {
    /// The data as the scanner sent it or as typed: a GS1 element string (GS as U+001D or a
    /// stand-in such as `<GS>`, `^]`, `^`, `|`, `~`), with or without an AIM symbology
    /// identifier (`]d2`, `]C1`, …), bracketed `(01)…(17)…(10)…`, a GS1 Digital Link URI,
    /// EAN/UPC digits, or ISBT 128.
    #[schema(example = "]d2010491234567890417270531\u{1d}10CM-2611A\u{1d}21V000123")]
    data: String,
    /// The date that decides the century of two-digit years, `YYYY-MM-DD`; default: today in
    /// the clinic's time zone.
    #[schema(example = "2026-11-22")]
    today: Option<String>,
    /// Accept 8/12/13-digit GTINs in Digital Link paths (padded to 14). Default false.
    dl_zero_suppressed_gtin: Option<bool>,
}

/// One warning: the stable `code`, its data, and `message` in the language of the request.
#[derive(Serialize, ToSchema)]
pub struct WarningOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    warning: ScanWarning,
    /// Localised (Accept-Language).
    message: String,
}

/// The normalised scan (the same fields as `jousei barcode parse --json`).
#[derive(Serialize, ToSchema)]
pub struct ScanOut {
    /// `gs1` or `isbt128`.
    #[schema(value_type = String, example = "gs1")]
    kind: ScanKind,
    /// `element_string`, `bracketed`, `digital_link`, `gtin` or `isbt128`.
    #[schema(value_type = String, example = "element_string")]
    format: InputFormat,
    /// e.g. `gs1_datamatrix`.
    #[schema(value_type = Option<String>)]
    symbology: Option<jousei_core::barcode::Symbology>,
    /// e.g. `]d2`.
    symbology_identifier: Option<&'static str>,
    /// GTIN (01), always 14 digits.
    gtin: Option<String>,
    /// jousei's internal product id, AI (92), when there is no GTIN.
    internal_product_id: Option<String>,
    lot: Option<String>,
    /// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` from (7003) / ISBT 128 005.
    #[schema(value_type = Option<String>, example = "2027-05-31")]
    expiry: Option<Expiry>,
    #[schema(value_type = Option<String>, example = "2026-05-01")]
    production_date: Option<Date>,
    serial: Option<String>,
    /// (30) or (37).
    quantity: Option<u64>,
    /// Every AI with its raw value, in scan order.
    #[schema(value_type = Object)]
    ais: jousei_core::barcode::Ais,
    /// The input exactly as received.
    raw: String,
    /// Shown to the person before the scan is used; empty when none.
    warnings: Vec<WarningOut>,
    /// ISBT 128 DIN (13 characters).
    din: Option<String>,
    flags: Option<String>,
    #[schema(value_type = Option<String>)]
    check_character: Option<char>,
    product_code: Option<String>,
    /// ISBT 128 data structures.
    #[schema(value_type = Option<Object>)]
    isbt128: Option<jousei_core::barcode::Isbt128>,
}

impl ScanOut {
    fn new(scan: Scan, tx: Texts<'_>) -> Self {
        let warnings = scan
            .warnings
            .into_iter()
            .map(|w| WarningOut {
                message: tx.warning(&w),
                warning: w,
            })
            .collect();
        ScanOut {
            kind: scan.kind,
            format: scan.format,
            symbology: scan.symbology,
            symbology_identifier: scan.symbology_identifier,
            gtin: scan.gtin,
            internal_product_id: scan.internal_product_id,
            lot: scan.lot,
            expiry: scan.expiry,
            production_date: scan.production_date,
            serial: scan.serial,
            quantity: scan.quantity,
            ais: scan.ais,
            raw: scan.raw,
            warnings,
            din: scan.din,
            flags: scan.flags,
            check_character: scan.check_character,
            product_code: scan.product_code,
            isbt128: scan.isbt128,
        }
    }
}

/// A refused scan or label: problem+json with extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct BarcodeProblem {
    r#type: String,
    /// Localised: what is wrong.
    title: String,
    status: u16,
    /// Localised: what is wrong and where (AI, character).
    detail: String,
    /// e.g. `barcode_bad_check_digit`, `label_invalid_field`.
    code: &'static str,
    /// The request field concerned (`data`, `lot`, `serials`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
    /// 0-based character offset in `data` where the problem starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
    /// The GS1 AI (or ISBT 128 data structure) concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    ai: Option<String>,
    /// The refusal as the parser reports it: `code`, its details, `position`, `ai` and an
    /// English `message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    barcode: Option<BarcodeError>,
    request_id: String,
}

impl BarcodeProblem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let mut resp = (status, Json(self)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

fn with_language(mut resp: Response, locale: Locale) -> Response {
    resp.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.as_str()),
    );
    resp
}

/// A refused scan as problem+json (422).
fn scan_problem(e: &BarcodeError, raw: &str, tx: Texts<'_>, request_id: &str) -> BarcodeProblem {
    let isbt = looks_isbt(raw);
    BarcodeProblem {
        r#type: format!("https://jousei.invalid/problems/{}", e.code()),
        title: tx.error_message(&e.kind),
        status: 422,
        detail: tx.error_detail(e, isbt, true),
        code: e.code(),
        field: Some("data"),
        position: e.position,
        ai: e.ai.clone(),
        barcode: Some(e.clone()),
        request_id: request_id.to_string(),
    }
}

fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    s.parse::<Date>().ok()
}

/// Parses a scan (any signed-in user). Warnings must be shown to the person before the scan
/// is used.
#[utoipa::path(post, path = "/api/v1/barcode/parse", tag = "barcode", security(("bearer" = [])),
    request_body = ParseIn,
    responses(
        (status = 200, description = "the normalised scan; `warnings` localised", body = ScanOut),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "refused: `code` is a barcode error code, `position` and `ai` say where", body = BarcodeProblem, content_type = "application/problem+json")
    ))]
pub async fn api_barcode_parse(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    ApiJson(body): ApiJson<ParseIn>,
) -> Response {
    let tx = Texts::new(&state.i18n, ctx.locale);
    let today = match body.today.as_deref() {
        None => clinic_today(&p),
        Some(s) => match parse_date(s) {
            Some(d) => d,
            None => {
                let problem = simple_problem(
                    tx,
                    &ctx.request_id,
                    "barcode_today_invalid",
                    Some("today"),
                    &[],
                );
                return with_language(problem.into_response(), ctx.locale);
            }
        },
    };
    let mut options = ParseOptions::new(today);
    options.dl_zero_suppressed_gtin = body.dl_zero_suppressed_gtin.unwrap_or(false);
    let resp = match parse(&body.data, &options) {
        Ok(scan) => Json(ScanOut::new(scan, tx)).into_response(),
        Err(e) => scan_problem(&e, &body.data, tx, &ctx.request_id).into_response(),
    };
    with_language(resp, ctx.locale)
}

/// A problem for one of this module's own request checks (`err-<code>`, `label-field-<f>`).
fn simple_problem(
    tx: Texts<'_>,
    request_id: &str,
    code: &'static str,
    field: Option<&'static str>,
    args: &[(String, String)],
) -> BarcodeProblem {
    let title = tx.t_args(&format!("err-{code}"), args);
    let detail = match field {
        Some(f) => tx.t_args(
            "barcode-detail",
            &[
                ("where".into(), tx.t(&format!("label-field-{f}"))),
                ("message".into(), title.clone()),
            ],
        ),
        None => title.clone(),
    };
    BarcodeProblem {
        r#type: format!("https://jousei.invalid/problems/{code}"),
        title,
        status: 422,
        detail,
        code,
        field,
        position: None,
        ai: None,
        barcode: None,
        request_id: request_id.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Labels: shared by the API and the page

/// `POST /api/v1/barcode/labels`: what to print. The product is either `gtin` or `internal_id`;
/// the serials either a list (`serials`) or `first_serial` and `count` (the trailing number of
/// `first_serial` counts up, keeping its width: `V0009`, `V0010`, …).
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct LabelsIn {
    /// GTIN-8/12/13/14 with a valid check digit (encoded in (01) as 14 digits).
    #[schema(example = "4912345678904")]
    gtin: Option<String>,
    /// For products without a GTIN: jousei's internal product id (AI (92), 1–90 characters of
    /// GS1 CSET 82).
    internal_id: Option<String>,
    /// Printed on the label (any text, up to 100 characters).
    #[schema(example = "幹細胞培養上清液 5mL")]
    product_name: String,
    /// 1–20 characters of GS1 CSET 82.
    #[schema(example = "CM-2611A")]
    lot: String,
    /// `YYYY-MM-DD`.
    #[schema(example = "2027-05-31")]
    expiry: String,
    /// One label per serial (1–20 characters of CSET 82 each, no duplicates).
    serials: Option<Vec<String>>,
    /// First serial of a numbered run (ends in digits).
    #[schema(example = "V0001")]
    first_serial: Option<String>,
    /// Number of labels in the run (1–200).
    #[schema(example = 3)]
    count: Option<usize>,
    /// Millimetres per DataMatrix module (0.25–1.0, default 0.4).
    module_mm: Option<f64>,
    /// The date for the century window, `YYYY-MM-DD`; default: today in the clinic's zone.
    today: Option<String>,
}

/// One vial label.
#[derive(Serialize, ToSchema)]
pub struct LabelOut {
    serial: String,
    /// The GS1 element string in the symbol, with GS (U+001D) separators.
    element_string: String,
    /// The same as a scanner with AIM identifiers sends it (`]d2…`).
    scan_data: String,
    /// Bracketed human-readable interpretation.
    hri: String,
    /// The text printed beside the symbol: product name, `LOT …`, `EXP …`, `SN …`.
    text_lines: Vec<String>,
    /// The DataMatrix alone (SVG, millimetres).
    symbol_svg: String,
    /// The symbol with the text lines (SVG, millimetres).
    label_svg: String,
}

/// The labels made.
#[derive(Serialize, ToSchema)]
pub struct LabelsOut {
    /// GTIN as encoded (14 digits), when the product has one.
    gtin: Option<String>,
    internal_id: Option<String>,
    product_name: String,
    lot: String,
    expiry: String,
    labels: Vec<LabelOut>,
}

/// Why labels cannot be made: a request check, or a value the barcode cannot carry.
#[derive(Debug)]
pub struct LabelFailure {
    pub code: &'static str,
    pub field: &'static str,
    args: Vec<(String, String)>,
    barcode: Option<Box<BarcodeError>>,
}

impl LabelFailure {
    fn new(code: &'static str, field: &'static str) -> Self {
        LabelFailure {
            code,
            field,
            args: Vec::new(),
            barcode: None,
        }
    }
    fn arg(mut self, k: &str, v: impl ToString) -> Self {
        self.args.push((k.to_string(), v.to_string()));
        self
    }

    fn problem(&self, tx: Texts<'_>, request_id: &str) -> BarcodeProblem {
        let field_name = tx.t(&format!("label-field-{}", self.field));
        let mut args = self.args.clone();
        args.push(("field".into(), field_name.clone()));
        let title = tx.t_args(&format!("err-{}", self.code), &args);
        let message = match &self.barcode {
            Some(e) => tx.error_message(&e.kind),
            None => title.clone(),
        };
        let detail = tx.t_args(
            "barcode-detail",
            &[("where".into(), field_name), ("message".into(), message)],
        );
        BarcodeProblem {
            r#type: format!("https://jousei.invalid/problems/{}", self.code),
            title,
            status: 422,
            detail,
            code: self.code,
            field: Some(self.field),
            position: None,
            ai: self.barcode.as_ref().and_then(|e| e.ai.clone()),
            barcode: self.barcode.as_deref().cloned(),
            request_id: request_id.to_string(),
        }
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// `first` and the serials after it, counting up its trailing number and keeping its width.
fn serial_run(first: &str, count: usize) -> Result<Vec<String>, LabelFailure> {
    let digits = first.chars().rev().take_while(char::is_ascii_digit).count();
    let split = first.len() - digits;
    let (prefix, number) = first.split_at(split);
    let start: u128 = number.parse().map_err(|_| {
        LabelFailure::new("label_serial_not_numbered", "first_serial").arg("serial", first)
    })?;
    Ok((0..count)
        .map(|i| format!("{prefix}{:0width$}", start + i as u128, width = digits))
        .collect())
}

/// The serials asked for, checked for count and duplicates.
fn serials_of(req: &LabelsIn) -> Result<(Vec<String>, &'static str), LabelFailure> {
    let first = non_empty(req.first_serial.as_deref());
    match (&req.serials, first) {
        (Some(_), Some(_)) => Err(LabelFailure::new("label_serials_conflict", "serials")),
        (Some(list), None) => {
            if list.is_empty() || list.len() > MAX_LABELS {
                return Err(
                    LabelFailure::new("label_count_out_of_range", "serials").arg("max", MAX_LABELS)
                );
            }
            let mut seen = BTreeSet::new();
            for s in list {
                let s = s.trim();
                if s.is_empty() {
                    return Err(LabelFailure::new("label_serial_required", "serials"));
                }
                if !seen.insert(s) {
                    return Err(
                        LabelFailure::new("label_serial_duplicate", "serials").arg("serial", s)
                    );
                }
            }
            Ok((
                list.iter().map(|s| s.trim().to_string()).collect(),
                "serials",
            ))
        }
        (None, Some(first)) => {
            let count = req.count.unwrap_or(1);
            if !(1..=MAX_LABELS).contains(&count) {
                return Err(
                    LabelFailure::new("label_count_out_of_range", "count").arg("max", MAX_LABELS)
                );
            }
            if first.chars().count() > MAX_SERIAL {
                // Longer than any serial: let the label rules name the problem (and keep the
                // number small enough to count up without overflow).
                return Ok((vec![first.to_string()], "first_serial"));
            }
            Ok((serial_run(first, count)?, "first_serial"))
        }
        (None, None) => Err(LabelFailure::new("label_serial_required", "first_serial")),
    }
}

/// Validates a label request and builds every label (all or none).
pub fn build_labels(req: &LabelsIn, default_today: Date) -> Result<Vec<VialLabel>, LabelFailure> {
    let gtin = non_empty(req.gtin.as_deref());
    let internal = non_empty(req.internal_id.as_deref());
    let (product, product_field) = match (gtin, internal) {
        (Some(g), None) => (LabelProduct::Gtin(g.to_string()), "gtin"),
        (None, Some(id)) => (LabelProduct::Internal(id.to_string()), "internal_id"),
        (Some(_), Some(_)) => return Err(LabelFailure::new("label_product_ambiguous", "gtin")),
        (None, None) => return Err(LabelFailure::new("label_product_required", "gtin")),
    };
    let name = req.product_name.trim();
    if name.is_empty() {
        return Err(LabelFailure::new("label_name_required", "product_name"));
    }
    if name.chars().count() > MAX_PRODUCT_NAME {
        return Err(
            LabelFailure::new("label_name_too_long", "product_name").arg("max", MAX_PRODUCT_NAME)
        );
    }
    let lot = req.lot.trim();
    if lot.is_empty() {
        return Err(LabelFailure::new("label_lot_required", "lot"));
    }
    let expiry = parse_date(&req.expiry)
        .ok_or_else(|| LabelFailure::new("label_expiry_invalid", "expiry"))?;
    let today = match non_empty(req.today.as_deref()) {
        None => default_today,
        Some(s) => {
            parse_date(s).ok_or_else(|| LabelFailure::new("barcode_today_invalid", "today"))?
        }
    };
    if let Some(m) = req.module_mm
        && !(MODULE_MM.0..=MODULE_MM.1).contains(&m)
    {
        return Err(LabelFailure::new("label_module_out_of_range", "module_mm")
            .arg("min", MODULE_MM.0)
            .arg("max", MODULE_MM.1));
    }
    let (serials, serial_field) = serials_of(req)?;
    serials
        .into_iter()
        .map(|serial| {
            VialLabelSpec {
                product: product.clone(),
                product_name: name.to_string(),
                lot: lot.to_string(),
                expiry,
                serial,
            }
            .build(today)
            .map_err(|e| label_failure(e, product_field, serial_field))
        })
        .collect()
}

fn label_failure(
    e: LabelError,
    product_field: &'static str,
    serial_field: &'static str,
) -> LabelFailure {
    match e {
        LabelError::InvalidField { field, source } => {
            let field = match field {
                "lot" => "lot",
                "expiry" => "expiry",
                "serial" => serial_field,
                _ => product_field,
            };
            LabelFailure {
                code: "label_invalid_field",
                field,
                args: Vec::new(),
                barcode: Some(source),
            }
        }
        LabelError::ExpiryOutOfRange { expiry, today } => {
            LabelFailure::new("label_expiry_out_of_range", "expiry")
                .arg("expiry", expiry)
                .arg("today", today)
        }
        LabelError::EncodingFailed { .. } => {
            LabelFailure::new("label_encoding_failed", product_field)
        }
    }
}

/// Records a label sheet in the audit chain: which vial identities were printed, by whom.
async fn audit_labels(
    state: &AppState,
    p: &Principal,
    labels: &[VialLabel],
) -> Result<(), ApiError> {
    let Some(first) = labels.first() else {
        return Ok(());
    };
    let spec = first.spec();
    let serials: Vec<&str> = labels.iter().map(|l| l.spec().serial.as_str()).collect();
    let note = AuditNote {
        clinic_id: Some(p.clinic.id),
        action: "vial_labels_created".into(),
        entity_kind: "lot".into(),
        entity_id: Some(spec.lot.clone()),
        changes: serde_json::json!({
            "product": spec.product,
            "product_name": spec.product_name,
            "lot": spec.lot,
            "expiry": spec.expiry.to_string(),
            "count": labels.len(),
            "serials": serials,
        }),
    };
    state.store.note(&p.actor(), &note).await?;
    Ok(())
}

fn label_out(label: &VialLabel, module_mm: f64) -> Result<LabelOut, ApiError> {
    Ok(LabelOut {
        serial: label.spec().serial.clone(),
        element_string: label.element_string(),
        scan_data: format!("]d2{}", label.element_string()),
        hri: label.hri(),
        text_lines: label.text_lines().into_iter().map(|l| l.text).collect(),
        symbol_svg: label.symbol_svg(module_mm).map_err(ApiError::internal)?,
        label_svg: label.label_svg(module_mm).map_err(ApiError::internal)?,
    })
}

/// Creates vial labels: GS1 DataMatrix with (01) or (92), (17), (10) and (21) per vial, as
/// SVG (quality and nurse: `stock_move`). Recorded in the audit log.
#[utoipa::path(post, path = "/api/v1/barcode/labels", tag = "barcode", security(("bearer" = [])),
    request_body = LabelsIn,
    responses(
        (status = 200, body = LabelsOut),
        (status = 403, description = "needs stock_move (quality, nurse)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a value cannot be printed: `code`, `field`, and for `label_invalid_field` the barcode error in `barcode`", body = BarcodeProblem, content_type = "application/problem+json")
    ))]
pub async fn api_barcode_labels(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    ApiJson(body): ApiJson<LabelsIn>,
) -> Result<Response, ApiError> {
    p.require(Permission::StockMove)?;
    let tx = Texts::new(&state.i18n, ctx.locale);
    let labels = match build_labels(&body, clinic_today(&p)) {
        Ok(l) => l,
        Err(f) => {
            let resp = f.problem(tx, &ctx.request_id).into_response();
            return Ok(with_language(resp, ctx.locale));
        }
    };
    audit_labels(&state, &p, &labels).await?;
    let module_mm = body.module_mm.unwrap_or(DEFAULT_MODULE_MM);
    let out = labels
        .iter()
        .map(|l| label_out(l, module_mm))
        .collect::<Result<Vec<_>, _>>()?;
    let (gtin, internal_id) = match labels.first().map(|l| &l.spec().product) {
        Some(LabelProduct::Internal(id)) => (None, Some(id.clone())),
        _ => (
            labels.first().and_then(|l| l.gtin().map(str::to_string)),
            None,
        ),
    };
    Ok(Json(LabelsOut {
        gtin,
        internal_id,
        product_name: body.product_name.trim().to_string(),
        lot: body.lot.trim().to_string(),
        expiry: body.expiry.trim().to_string(),
        labels: out,
    })
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// The scan field component and its preview fragment

/// Settings of one scan field (`templates/partials/scan_field.html`). A page that hosts one
/// has a `sf: ScanField` (and the usual `l: Layout`). When a scan is accepted the component
/// puts the raw data into the hidden input `name` (the host's handler parses it again: never
/// trust what the browser says was read) and fires `jousei:scan-accepted` on the component.
#[derive(Debug, Clone)]
pub struct ScanField {
    /// Element id prefix, unique on the page.
    pub id: &'static str,
    /// Name of the hidden input that carries the accepted scan in the host form.
    pub name: &'static str,
    /// The "Read" button submits the enclosing form (for a page whose form is the scan field).
    pub standalone: bool,
    /// Show how the input arrived (scanner set-up).
    pub diagnostics: bool,
    /// A rendered preview to show at once (the page without JavaScript).
    pub result: Option<String>,
}

/// A row of what was read.
pub struct ReadRow {
    pub label: String,
    pub value: String,
    pub testid: &'static str,
}

/// An alternative reading of a field that may have swallowed the next AI.
pub struct AltView {
    pub reading: String,
    /// Bracketed data of the whole scan read this way.
    pub data: String,
}

pub struct WarningView {
    pub code: &'static str,
    pub text: String,
    pub alternatives: Vec<AltView>,
}

/// What the preview shows.
pub enum Outcome {
    Read {
        rows: Vec<ReadRow>,
        ais: Vec<(String, String)>,
        warnings: Vec<WarningView>,
        kind_line: String,
        summary: String,
    },
    Refused {
        code: &'static str,
        title: String,
        detail: String,
        before: String,
        at: String,
        after: String,
    },
}

#[derive(Template)]
#[template(path = "partials/scan_result.html")]
pub struct ScanResult<'a> {
    pub l: &'a Layout<'a>,
    pub raw: String,
    pub raw_visible: String,
    pub outcome: Outcome,
    pub diagnostics: Vec<String>,
}

impl ScanResult<'_> {
    pub fn state(&self) -> &'static str {
        match &self.outcome {
            Outcome::Read { warnings, .. } if warnings.is_empty() => "ok",
            Outcome::Read { .. } => "warnings",
            Outcome::Refused { .. } => "error",
        }
    }
}

/// Readable date of a GS1 date AI value, or the value itself.
fn date_text(ai: &str, value: &str, today: Date) -> String {
    if matches!(ai, "11" | "12" | "13" | "15" | "16" | "17")
        && let Ok(d) = parse_yymmdd(value, today, true)
    {
        return d.date.to_string();
    }
    value.to_string()
}

/// The alternative readings of a possible missing separator.
fn alternatives(w: &ScanWarning, scan: &Scan, today: Date, tx: Texts<'_>) -> Vec<AltView> {
    let ScanWarning::PossibleMissingSeparator {
        ai,
        value,
        candidates,
        ..
    } = w
    else {
        return Vec::new();
    };
    candidates
        .iter()
        .map(|c| {
            let mut parts = vec![format!("{} {}", tx.ai_label(ai), c.kept_value)];
            parts.extend(c.swallowed.iter().map(|s| {
                format!(
                    "{} {}",
                    tx.ai_label(&s.ai),
                    date_text(&s.ai, &s.value, today)
                )
            }));
            let mut ais: Vec<AiValue> = Vec::with_capacity(scan.ais.0.len() + c.swallowed.len());
            for a in &scan.ais.0 {
                if &a.ai == ai && &a.value == value {
                    ais.push(AiValue {
                        ai: a.ai.clone(),
                        value: c.kept_value.clone(),
                    });
                    ais.extend(c.swallowed.iter().cloned());
                } else {
                    ais.push(a.clone());
                }
            }
            AltView {
                reading: tx.t_args(
                    "scan-alternative",
                    &[("reading".into(), parts.join(" ・ "))],
                ),
                data: bracketed(&ais),
            }
        })
        .collect()
}

fn read_outcome(scan: &Scan, today: Date, tx: Texts<'_>) -> Outcome {
    let mut rows = Vec::new();
    let mut push = |key: &str, value: Option<String>, testid: &'static str| {
        if let Some(value) = value {
            rows.push(ReadRow {
                label: tx.t(key),
                value,
                testid,
            });
        }
    };
    push("scan-gtin", scan.gtin.clone(), "scan-gtin");
    push(
        "scan-internal-id",
        scan.internal_product_id.clone(),
        "scan-internal-id",
    );
    push("scan-lot", scan.lot.clone(), "scan-lot");
    push(
        "scan-expiry",
        scan.expiry.map(|e| e.to_string()),
        "scan-expiry",
    );
    push("scan-serial", scan.serial.clone(), "scan-serial");
    push(
        "scan-production-date",
        scan.production_date.map(|d| d.to_string()),
        "scan-production-date",
    );
    push(
        "scan-quantity",
        scan.quantity.map(|q| q.to_string()),
        "scan-quantity",
    );
    push("scan-din", scan.din.clone(), "scan-din");
    push("scan-flags", scan.flags.clone(), "scan-flags");
    push(
        "scan-check-character",
        scan.check_character.map(String::from),
        "scan-check-character",
    );
    push(
        "scan-product-code",
        scan.product_code.clone(),
        "scan-product-code",
    );
    let ais = scan
        .ais
        .0
        .iter()
        .map(|a| (tx.ai_label(&a.ai), visible_raw(&a.value)))
        .collect();
    let warnings = scan
        .warnings
        .iter()
        .map(|w| WarningView {
            code: w.code(),
            text: tx.warning(w),
            alternatives: alternatives(w, scan, today, tx),
        })
        .collect();
    let format_key = match scan.format {
        InputFormat::ElementString => "scan-format-element_string",
        InputFormat::Bracketed => "scan-format-bracketed",
        InputFormat::DigitalLink => "scan-format-digital_link",
        InputFormat::Gtin => "scan-format-gtin",
        InputFormat::Isbt128 => "scan-format-isbt128",
    };
    let symbology = scan
        .symbology_identifier
        .map(str::to_string)
        .unwrap_or_else(|| tx.t("scan-symbology-none"));
    let kind_line = format!(
        "{} · {}: {}",
        tx.t(format_key),
        tx.t("scan-symbology"),
        symbology
    );
    let summary = rows
        .iter()
        .take(5)
        .map(|r| format!("{} {}", r.label, r.value))
        .collect::<Vec<_>>()
        .join(" / ");
    Outcome::Read {
        rows,
        ais,
        warnings,
        kind_line,
        summary,
    }
}

fn refused_outcome(e: &BarcodeError, raw: &str, tx: Texts<'_>) -> Outcome {
    let chars: Vec<char> = raw.chars().collect();
    let (before, at, after) = match e.position {
        Some(p) if p <= chars.len() => {
            let before: String = chars.iter().take(p).collect();
            let at: String = chars.get(p).map(|c| c.to_string()).unwrap_or_default();
            let after: String = chars.iter().skip(p + 1).collect();
            (visible_raw(&before), visible_raw(&at), visible_raw(&after))
        }
        _ => (visible_raw(raw), String::new(), String::new()),
    };
    Outcome::Refused {
        code: e.code(),
        title: tx.error_message(&e.kind),
        detail: tx.error_detail(e, looks_isbt(raw), true),
        before,
        at: if at.is_empty() && e.position.is_some() {
            "∎".to_string()
        } else {
            at
        },
        after,
    }
}

/// How the input arrived: symbology identifier, separators, the end of the scan and the
/// typing speed (for setting a scanner up).
fn diagnostics(raw: &str, scan: Option<&Scan>, form: &PreviewForm, tx: Texts<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let identifier = scan
        .and_then(|s| s.symbology_identifier)
        .map(str::to_string)
        .or_else(|| {
            let t = raw.trim_start();
            t.starts_with(']').then(|| t.chars().take(3).collect())
        });
    out.push(match identifier {
        Some(id) => tx.t_args("scan-diag-symbology-yes", &[("identifier".into(), id)]),
        None => tx.t("scan-diag-symbology-no"),
    });
    let is_uri = scan.is_some_and(|s| s.format == InputFormat::DigitalLink);
    if raw.contains(GS) {
        out.push(tx.t("scan-diag-gs-char"));
    } else if let Some(stand_in) = DEFAULT_GS_STAND_INS
        .iter()
        .find(|s| !is_uri && raw.contains(**s))
    {
        out.push(tx.t_args(
            "scan-diag-gs-stand-in",
            &[("stand_in".into(), (*stand_in).to_string())],
        ));
    } else {
        out.push(tx.t("scan-diag-gs-none"));
    }
    if let Some(suffix) = form.suffix.as_deref()
        && matches!(suffix, "enter" | "tab" | "button" | "idle")
    {
        out.push(tx.t_args(
            "scan-diag-suffix",
            &[("suffix".into(), tx.t(&format!("scan-suffix-{suffix}")))],
        ));
    }
    if let Some(ms) = form
        .ms_per_char
        .as_deref()
        .and_then(|m| m.parse::<f64>().ok())
        .filter(|m| m.is_finite() && *m >= 0.0)
    {
        let key = if ms < SCANNER_MS_PER_CHAR {
            "scan-diag-speed-scanner"
        } else {
            "scan-diag-speed-hand"
        };
        out.push(tx.t_args(key, &[("ms".into(), format!("{ms:.0}"))]));
    }
    out
}

#[derive(Deserialize, Default)]
pub struct PreviewForm {
    #[serde(default)]
    data: String,
    /// `enter`, `tab`, `button` or `idle` (set by scan.js).
    suffix: Option<String>,
    /// Average milliseconds between keystrokes (set by scan.js).
    ms_per_char: Option<String>,
    /// `true` to show how the input arrived.
    diagnostics: Option<String>,
}

fn scan_result<'a>(l: &'a Layout<'a>, p: &Principal, form: &PreviewForm) -> ScanResult<'a> {
    let tx = Texts::new(l.i18n, l.locale);
    let today = clinic_today(p);
    let parsed = parse(&form.data, &ParseOptions::new(today));
    let diagnostics = if form.diagnostics.as_deref() == Some("true") {
        diagnostics(&form.data, parsed.as_ref().ok(), form, tx)
    } else {
        Vec::new()
    };
    let outcome = match &parsed {
        Ok(scan) => read_outcome(scan, today, tx),
        Err(e) => refused_outcome(e, &form.data, tx),
    };
    ScanResult {
        l,
        raw: form.data.clone(),
        raw_visible: visible_raw(&form.data),
        outcome,
        diagnostics,
    }
}

/// The preview fragment (htmx). Always 200 with the outcome in the fragment, because htmx
/// swaps only successful responses; `data-scan-state` says `ok`, `warnings` or `error`.
async fn scan_preview(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Form(form): Form<PreviewForm>,
) -> Result<Response, ApiError> {
    let l = Layout::new(&state, &ctx, "scan-title", "/scan");
    let result = scan_result(&l, &p, &form);
    Ok(Html(result.render().map_err(ApiError::internal)?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "barcodes/scan.html")]
struct ScanPage<'a> {
    l: Layout<'a>,
    sf: ScanField,
    test_symbol: Option<String>,
    test_expected: String,
}

/// A symbol to scan from the screen: a jousei label whose lot is followed by a separator.
fn test_label(today: Date) -> Option<VialLabel> {
    let expiry = today
        .checked_add(jiff::Span::new().years(1))
        .ok()?
        .last_of_month();
    VialLabelSpec {
        product: LabelProduct::Gtin("4912345678904".into()),
        product_name: "TEST".into(),
        lot: "TEST-LOT1".into(),
        expiry,
        serial: "S0001".into(),
    }
    .build(today)
    .ok()
}

async fn scan_page_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    form: Option<&PreviewForm>,
) -> Result<Response, ApiError> {
    let l = Layout::new(state, ctx, "scan-title", "/scan");
    let result = match form {
        Some(f) => Some(scan_result(&l, p, f).render().map_err(ApiError::internal)?),
        None => None,
    };
    let label = test_label(clinic_today(p));
    let tx = Texts::new(&state.i18n, ctx.locale);
    let test_expected = label
        .as_ref()
        .map(|lab| {
            let s = lab.spec();
            let text = format!(
                "{} {} / {} {} / {} {} / {} {}",
                tx.t("scan-gtin"),
                lab.gtin().unwrap_or_default(),
                tx.t("scan-lot"),
                s.lot,
                tx.t("scan-expiry"),
                s.expiry,
                tx.t("scan-serial"),
                s.serial
            );
            tx.t_args("scan-setup-expected", &[("expected".into(), text)])
        })
        .unwrap_or_default();
    let test_symbol = label.and_then(|lab| lab.symbol_svg(0.6).ok());
    let page = ScanPage {
        l,
        sf: ScanField {
            id: "scan-main",
            name: "scan",
            standalone: true,
            diagnostics: true,
            result,
        },
        test_symbol,
        test_expected,
    };
    Ok(Html(page.render().map_err(ApiError::internal)?).into_response())
}

async fn scan_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::ViewHome)?;
    scan_page_with(&state, &p, &ctx, None).await
}

/// The page without JavaScript: the form posts here and the result is rendered in place.
async fn scan_page_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Form(mut form): Form<PreviewForm>,
) -> Result<Response, ApiError> {
    p.require(Permission::ViewHome)?;
    form.diagnostics = Some("true".into());
    scan_page_with(&state, &p, &ctx, Some(&form)).await
}

/// One label on the sheet.
pub struct SheetLabel {
    pub symbol_svg: String,
    pub hri: String,
    pub lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "barcodes/labels.html")]
struct LabelsPage<'a> {
    l: Layout<'a>,
    form: LabelsFormView,
    error: Option<String>,
    sheet: Vec<SheetLabel>,
    sheet_title: String,
    max_labels: usize,
}

/// The label form as typed (strings, so a refused form comes back as it was).
#[derive(Deserialize, Default, Clone)]
pub struct LabelsFormView {
    #[serde(default)]
    gtin: String,
    #[serde(default)]
    internal_id: String,
    #[serde(default)]
    product_name: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    expiry: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    first_serial: String,
}

async fn labels_page_with(
    state: &AppState,
    ctx: &Ctx,
    form: LabelsFormView,
    error: Option<String>,
    sheet: Vec<SheetLabel>,
    flash: Option<String>,
) -> Result<Response, ApiError> {
    let mut l = Layout::new(state, ctx, "labels-title", "/labels");
    l.flash = flash;
    let sheet_title = state.i18n.t_args(
        ctx.locale,
        "labels-sheet",
        &[("count", sheet.len().to_string())],
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = LabelsPage {
        l,
        form,
        error,
        sheet,
        sheet_title,
        max_labels: MAX_LABELS,
    };
    Ok((status, Html(page.render().map_err(ApiError::internal)?)).into_response())
}

async fn labels_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::StockMove)?;
    let form = LabelsFormView {
        count: "1".into(),
        first_serial: "V0001".into(),
        ..LabelsFormView::default()
    };
    labels_page_with(&state, &ctx, form, None, Vec::new(), None).await
}

async fn labels_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Form(form): Form<LabelsFormView>,
) -> Result<Response, ApiError> {
    p.require(Permission::StockMove)?;
    let tx = Texts::new(&state.i18n, ctx.locale);
    let count = match form.count.trim() {
        "" => None,
        c => match c.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => Some(0),
        },
    };
    let req = LabelsIn {
        gtin: Some(form.gtin.clone()),
        internal_id: Some(form.internal_id.clone()),
        product_name: form.product_name.clone(),
        lot: form.lot.clone(),
        expiry: form.expiry.clone(),
        first_serial: Some(form.first_serial.clone()),
        count,
        ..LabelsIn::default()
    };
    let labels = match build_labels(&req, clinic_today(&p)) {
        Ok(labels) => labels,
        Err(f) => {
            let detail = f.problem(tx, &ctx.request_id).detail;
            return labels_page_with(&state, &ctx, form, Some(detail), Vec::new(), None).await;
        }
    };
    audit_labels(&state, &p, &labels).await?;
    let sheet = labels
        .iter()
        .map(|lab| {
            Ok(SheetLabel {
                symbol_svg: lab
                    .symbol_svg(DEFAULT_MODULE_MM)
                    .map_err(ApiError::internal)?,
                hri: lab.hri(),
                lines: lab.text_lines().into_iter().map(|l| l.text).collect(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let flash = match (labels.first(), labels.last()) {
        (Some(first), Some(last)) => Some(state.i18n.t_args(
            ctx.locale,
            "labels-printed",
            &[
                ("count", labels.len().to_string()),
                ("first", first.spec().serial.clone()),
                ("last", last.spec().serial.clone()),
            ],
        )),
        _ => None,
    };
    labels_page_with(&state, &ctx, form, None, sheet, flash).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use jousei_core::barcode::parse_scan;

    const TODAY: Date = date(2026, 11, 22);

    /// An input that the parser refuses with each error code (with the default options and
    /// TODAY). Adding an error kind to the core without a sample here fails
    /// `every_error_code_has_messages_in_both_languages`.
    const ERROR_SAMPLES: &[(&str, &str)] = &[
        ("barcode_empty", "   "),
        ("barcode_unsupported_symbology", "]A0HELLO"),
        ("barcode_not_gs1", "]d1HELLO"),
        ("barcode_unknown_ai", "010491234567890489123"),
        ("barcode_truncated", "01049123456789"),
        (
            "barcode_field_too_long",
            "01049123456789041012345678901234567890123",
        ),
        ("barcode_field_too_short", "(01)04912345678904(10)"),
        ("barcode_invalid_character", "(01)04912345678904(10)ロット"),
        ("barcode_bad_check_digit", "0112345678901234"),
        ("barcode_invalid_date", "(01)04912345678904(17)261331"),
        ("barcode_invalid_time", "(01)04912345678904(7003)2612312561"),
        (
            "barcode_invalid_value",
            "]d28006012345678901280302\u{1d}10A",
        ),
        ("barcode_conflicting_ai", "(01)04912345678904(10)A(10)B"),
        (
            "barcode_invalid_ai_pairing",
            "(01)04912345678904(02)04912345678904",
        ),
        ("barcode_malformed_hri", "(01"),
        ("barcode_dl_invalid_uri", "https://"),
        ("barcode_dl_no_primary_key", "https://example.com/abc"),
        (
            "barcode_dl_bad_qualifier_order",
            "https://id.gs1.org/01/09520123456788/21/12345/10/ABC1",
        ),
        (
            "barcode_dl_invalid_attribute",
            "https://id.gs1.org/01/09520123456788?21=12345",
        ),
        (
            "barcode_dl_invalid_encoding",
            "https://id.gs1.org/01/09520123456788/10/A%ZZ",
        ),
        (
            "barcode_dl_gtin_not_14_digits",
            "https://a/01/2112345678900",
        ),
        ("barcode_invalid_gtin_length", "]E0123"),
        ("barcode_isbt_unknown_data_structure", "=#123"),
        ("barcode_isbt_bad_check_flags", "=G12341765432171"),
        ("barcode_isbt_bad_check_character", ""),
        ("barcode_isbt_compound_mismatch", "=+02000=G12341765432170"),
        ("barcode_input_too_long", ""),
    ];

    fn refusal(code: &str, raw: &str) -> BarcodeError {
        match code {
            "barcode_input_too_long" => parse_scan(&"1".repeat(5000), TODAY).unwrap_err(),
            "barcode_isbt_bad_check_character" => {
                jousei_core::barcode::isbt128::verify_keyed_din("G123417654321", 'Z').unwrap_err()
            }
            _ => parse_scan(raw, TODAY).unwrap_err(),
        }
    }

    #[test]
    fn every_error_code_has_messages_in_both_languages() {
        let i18n = I18n::load().unwrap();
        let sampled: BTreeSet<&str> = ERROR_SAMPLES.iter().map(|(c, _)| *c).collect();
        for code in ErrorKind::ALL_CODES {
            assert!(sampled.contains(code), "no sample input for {code}");
        }
        for (code, raw) in ERROR_SAMPLES {
            let e = refusal(code, raw);
            assert_eq!(e.code(), *code, "sample {raw:?}");
            for locale in Locale::ALL {
                assert!(
                    i18n.has(locale, &format!("err-{code}")),
                    "{locale}: no message for {code}"
                );
                let tx = Texts::new(&i18n, locale);
                let text = tx.error_detail(&e, looks_isbt(raw), true);
                assert!(
                    !text.contains('{') && !text.contains("err-"),
                    "{locale}: {code} renders as {text:?}"
                );
                // The same refusal where a scan is one field among others (receiving a lot).
                let api = ApiError::from(jousei_service::barcodes::scan_error(&e, "scan"));
                let title = api.title(&i18n, locale);
                let detail = api.detail(&i18n, locale);
                assert!(
                    !title.contains('{') && !detail.contains('{') && !title.contains("err-"),
                    "{locale}: {code} as an API error renders as {detail:?}"
                );
            }
        }
    }

    /// Inputs giving each warning.
    const WARNING_SAMPLES: &[(&str, &str)] = &[
        (
            "barcode_possible_missing_separator",
            "010703206980498810032915210526",
        ),
        ("barcode_day_zero_date", "(01)04912345678904(17)271200"),
        ("barcode_missing_associated_ai", "(10)LOT1"),
        ("barcode_duplicate_ai", "(01)04912345678904(10)A(10)A"),
        (
            "barcode_fullwidth_normalised",
            "０１０４９１２３４５６７８９０４",
        ),
        (
            "barcode_expiry_conflict",
            "(01)04912345678904(17)271231(7003)2701011200",
        ),
    ];

    #[test]
    fn every_warning_code_has_messages_in_both_languages() {
        let i18n = I18n::load().unwrap();
        let sampled: BTreeSet<&str> = WARNING_SAMPLES.iter().map(|(c, _)| *c).collect();
        for code in ScanWarning::ALL_CODES {
            assert!(sampled.contains(code), "no sample input for {code}");
        }
        for (code, raw) in WARNING_SAMPLES {
            let scan = parse_scan(raw, TODAY).unwrap();
            let w = scan
                .warnings
                .iter()
                .find(|w| w.code() == *code)
                .unwrap_or_else(|| panic!("{raw:?} gives no {code}: {:?}", scan.warnings));
            for locale in Locale::ALL {
                assert!(
                    i18n.has(locale, &format!("warn-{code}")),
                    "{locale}: {code}"
                );
                let text = Texts::new(&i18n, locale).warning(w);
                assert!(
                    !text.contains('{') && !text.contains("warn-"),
                    "{locale}: {code} renders as {text:?}"
                );
            }
        }
    }

    #[test]
    fn every_label_code_has_messages_in_both_languages() {
        let i18n = I18n::load().unwrap();
        for locale in Locale::ALL {
            for code in LabelError::ALL_CODES {
                assert!(i18n.has(locale, &format!("err-{code}")), "{locale}: {code}");
            }
        }
    }

    #[test]
    fn missing_separator_explains_the_alternative() {
        let i18n = I18n::load().unwrap();
        let scan = parse_scan("010703206980498810032915210526", TODAY).unwrap();
        let tx = Texts::new(&i18n, Locale::Ja);
        let alts = alternatives(&scan.warnings[0], &scan, TODAY, tx);
        assert_eq!(alts.len(), 1);
        assert_eq!(alts[0].data, "(01)07032069804988(10)0329(15)210526");
        assert_eq!(
            alts[0].reading,
            "別の読み方: (10) ロット番号 0329 ・ (15) 品質保持期限 2021-05-26"
        );
        let again = parse_scan(&alts[0].data, TODAY).unwrap();
        assert_eq!(again.lot.as_deref(), Some("0329"));
        assert!(again.warnings.is_empty());
    }

    #[test]
    fn details_name_the_place() {
        let i18n = I18n::load().unwrap();
        let e = parse_scan("]d20112345678901234", TODAY).unwrap_err();
        let ja = Texts::new(&i18n, Locale::Ja).error_detail(&e, false, true);
        let en = Texts::new(&i18n, Locale::En).error_detail(&e, false, true);
        assert_eq!(
            ja,
            "項目 (01) 商品コード（GTIN）、19文字目: 「12345678901234」のチェックディジットが正しくありません（4 ですが、正しくは 1）。読み違いか入力ミスです。"
        );
        assert!(
            en.starts_with("field (01) GTIN, character 19: The check digit"),
            "{en}"
        );

        let e = parse_scan("(01)04912345678904(10)A B", TODAY).unwrap_err();
        let en = Texts::new(&i18n, Locale::En).error_message(&e.kind);
        assert!(en.contains("U+0020"), "{en}");
    }

    #[test]
    fn serial_runs_count_up_and_keep_their_width() {
        assert_eq!(serial_run("V0009", 3).unwrap(), ["V0009", "V0010", "V0011"]);
        assert_eq!(serial_run("7", 2).unwrap(), ["7", "8"]);
        assert_eq!(serial_run("99", 2).unwrap(), ["99", "100"]);
        let e = serial_run("ABC", 2).unwrap_err();
        assert_eq!(e.code, "label_serial_not_numbered");
        let req = LabelsIn {
            gtin: Some("4912345678904".into()),
            product_name: "上清液".into(),
            lot: "L1".into(),
            expiry: "2027-05-31".into(),
            serials: Some(vec!["A1".into(), "A1".into()]),
            ..LabelsIn::default()
        };
        assert_eq!(
            build_labels(&req, TODAY).unwrap_err().code,
            "label_serial_duplicate"
        );
        let req = LabelsIn {
            serials: None,
            first_serial: Some("V1".into()),
            count: Some(MAX_LABELS + 1),
            ..req
        };
        assert_eq!(
            build_labels(&req, TODAY).unwrap_err().code,
            "label_count_out_of_range"
        );
        let req = LabelsIn {
            count: Some(3),
            ..req
        };
        let labels = build_labels(&req, TODAY).unwrap();
        assert_eq!(labels.len(), 3);
        assert_eq!(labels[2].spec().serial, "V3");
    }
}
