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
use jiff::civil::DateTime;
use jousei_core::barcode::parse_scan;
use jousei_core::locale::Locale;
use jousei_core::role::Permission;
use jousei_core::supply::lot::{LotAction, LotState, shown_state_at, unavailability_at};
use jousei_core::supply::product::{
    CellSource, DonorInfo, Factor, LegalRegime, ProductKind, Route,
};
use jousei_core::supply::qc::{CertificateGap, Criterion, Outcome, QcTest, Specification};
use jousei_core::supply::stock::{StockLine, fefo};
use jousei_store::supply::{Location, Lot, Product, StockRow};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::barcodes::{ScanField, Texts};
use crate::error::{ApiError, SubError};
use crate::i18n::I18n;
use crate::pages::{Layout, local_time};
use jousei_service::auth::Principal;
use jousei_service::supply::{self as ops, LocationIn, MovementIn, ProductIn, ReceiveIn, ResultIn};

mod dashboard;
mod locations;
mod lot;
mod lots;
mod products;
mod stock;

use dashboard::*;
use locations::*;
use lot::*;
use lots::*;
use products::*;
use stock::*;

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

// Shared helpers

pub(crate) fn render(t: &impl Template) -> Result<Response, ApiError> {
    render_status(StatusCode::OK, t)
}

pub(crate) fn render_status(status: StatusCode, t: &impl Template) -> Result<Response, ApiError> {
    Ok((status, Html(t.render().map_err(ApiError::internal)?)).into_response())
}

pub(crate) use crate::form::Pairs;

/// A localised message for an error code; a `test` argument is shown by
/// its name (`qc-<test>`), not its code.
pub(crate) fn message(
    i18n: &I18n,
    locale: Locale,
    code: &str,
    args: &[(&'static str, String)],
) -> String {
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
                field: e.field,
                args: e.args.clone(),
                ..SubError::new(e.code)
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

pub(crate) fn choices<T: Copy>(
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
pub(crate) fn done_flash(l: &Layout<'_>, done: Option<&str>) -> Option<String> {
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
pub(crate) struct DoneQuery {
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

pub(crate) fn lot_row(l: &Layout<'_>, lot: &Lot, now: DateTime, zone: &str) -> LotRow {
    let shown = shown_state_at(lot.state, lot.expiry, lot.expiry_time, now);
    LotRow {
        id: lot.id,
        lot_number: lot.lot_number.clone(),
        product_id: lot.product_id,
        product: format!("{} {}", lot.product_code, lot.product_name),
        expiry: match lot.expiry_time {
            Some(t) => format!("{} {}", lot.expiry, t.strftime("%H:%M")),
            None => lot.expiry.to_string(),
        },
        expired: jousei_core::supply::lot::is_expired_at(lot.expiry, lot.expiry_time, now),
        state: shown,
        state_label: l.t(&format!("state-{shown}")),
        received: local_time(lot.received_at.0, zone),
    }
}

pub(crate) fn product_label(l: &Layout<'_>, p: &Product) -> String {
    match (l.locale, &p.facts.name_en) {
        (Locale::En, Some(en)) => format!("{} {en}", p.facts.code),
        _ => format!("{} {}", p.facts.code, p.facts.name),
    }
}

/// A temperature as shown (the unit comes with `DeciCelsius`'s Display).
pub(crate) fn temp(t: jousei_core::supply::units::DeciCelsius) -> String {
    t.to_string()
}

pub(crate) fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
