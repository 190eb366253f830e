//! The rows, SQL and helpers of [`crate::supply::SupplyStore`]; its methods,
//! written once for both backends, are in `sql/supply.rs` (see `imp.rs` for the
//! layout).

use jousei_core::supply::lot::LotState;
use jousei_core::supply::units::DeciCelsius;
use uuid::Uuid;

use crate::supply::{Excursion, Location, Lot, TemperatureImport};
use crate::{StoreError, Ts};

#[derive(sqlx::FromRow)]
pub(crate) struct LocationRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub code: String,
    pub name: String,
    pub min_temp: i64,
    pub max_temp: i64,
}

pub(crate) fn deci(v: i64) -> DeciCelsius {
    DeciCelsius(i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX }))
}

impl From<LocationRow> for Location {
    fn from(r: LocationRow) -> Self {
        Location {
            id: r.id,
            clinic_id: r.clinic_id,
            code: r.code,
            name: r.name,
            min_temp: deci(r.min_temp),
            max_temp: deci(r.max_temp),
        }
    }
}

pub(crate) const LOT_SELECT: &str = "SELECT l.id, l.clinic_id, l.product_id, p.code AS product_code, p.name AS product_name, l.product_version, l.lot_number, l.expiry, l.expiry_time, l.state, l.held_from, l.supplier_ref, l.scan_raw, l.received_seq, l.received_at FROM lots l JOIN products p ON p.id = l.product_id";

#[derive(sqlx::FromRow)]
pub(crate) struct LotRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub product_version: i64,
    pub lot_number: String,
    pub expiry: jiff_sqlx::Date,
    pub expiry_time: Option<String>,
    pub state: String,
    pub held_from: Option<String>,
    pub supplier_ref: Option<String>,
    pub scan_raw: Option<String>,
    pub received_seq: i64,
    pub received_at: Ts,
}

pub(crate) fn state(s: &str) -> Result<LotState, StoreError> {
    LotState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("lot state {s}")))
}

impl TryFrom<LotRow> for Lot {
    type Error = StoreError;
    fn try_from(r: LotRow) -> Result<Self, StoreError> {
        Ok(Lot {
            id: r.id,
            clinic_id: r.clinic_id,
            product_id: r.product_id,
            product_code: r.product_code,
            product_name: r.product_name,
            product_version: r.product_version,
            lot_number: r.lot_number,
            expiry: r.expiry.to_jiff(),
            expiry_time: r
                .expiry_time
                .as_deref()
                .map(|t| {
                    t.parse::<jiff::civil::Time>()
                        .map_err(|e| StoreError::Corrupt(format!("lot expiry time {t}: {e}")))
                })
                .transpose()?,
            state: state(&r.state)?,
            held_from: r.held_from.as_deref().map(state).transpose()?,
            supplier_ref: r.supplier_ref,
            scan_raw: r.scan_raw,
            received_seq: r.received_seq,
            received_at: r.received_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ImportRow {
    pub id: Uuid,
    pub location_id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub device: Option<String>,
    pub reading_count: i64,
    pub first_at: Ts,
    pub last_at: Ts,
    pub at: Ts,
}

impl From<ImportRow> for TemperatureImport {
    fn from(r: ImportRow) -> Self {
        TemperatureImport {
            id: r.id,
            location_id: r.location_id,
            filename: r.filename,
            sha256: r.sha256,
            device: r.device,
            reading_count: r.reading_count,
            first_at: r.first_at,
            last_at: r.last_at,
            at: r.at,
        }
    }
}

pub(crate) const IMPORT_SELECT: &str = "SELECT id, location_id, filename, sha256, device, reading_count, first_at, last_at, at FROM temperature_imports";

#[derive(sqlx::FromRow)]
pub(crate) struct ExcursionRow {
    pub id: Uuid,
    pub location_id: Uuid,
    pub location_code: String,
    pub import_id: Uuid,
    pub start_at: Ts,
    pub end_at: Ts,
    pub minutes: i64,
    pub extreme: i64,
    pub direction: String,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<Ts>,
    pub comment: Option<String>,
}

impl ExcursionRow {
    pub(crate) fn into_excursion(self, lots: Vec<String>) -> Excursion {
        Excursion {
            id: self.id,
            location_id: self.location_id,
            location_code: self.location_code,
            import_id: self.import_id,
            start_at: self.start_at,
            end_at: self.end_at,
            minutes: self.minutes,
            extreme: deci(self.extreme),
            direction: self.direction,
            acknowledged_by: self.acknowledged_by,
            acknowledged_at: self.acknowledged_at,
            comment: self.comment,
            lots,
        }
    }
}

pub(crate) const EXCURSION_SELECT: &str = "SELECT e.id, e.location_id, loc.code AS location_code, e.import_id, e.start_at, e.end_at, e.minutes, e.extreme, e.direction, e.acknowledged_by, e.acknowledged_at, e.comment FROM excursions e JOIN locations loc ON loc.id = e.location_id";

/// A lot event as `lot_events` reads it, by position: action, from and to
/// state, reason, evidence, actor id, actor login, at.
pub(crate) type LotEventTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<Uuid>,
    Option<String>,
    Ts,
);

/// A certificate with its bytes as `certificate_data` reads it: lot id,
/// filename, content type, SHA-256, size, at, data.
pub(crate) type CertificateDataTuple = (Uuid, String, String, String, i64, Ts, Vec<u8>);

/// A QC result as `qc_results` reads it: id, test, method, outcome, tested
/// on, certificate id, entered by, at.
pub(crate) type QcResultTuple = (
    Uuid,
    String,
    String,
    String,
    jiff_sqlx::Date,
    Option<Uuid>,
    Option<Uuid>,
    Ts,
);

/// A movement as `movements` reads it: id, lot id, lot number, location
/// code, delta, kind, reason, witness login, actor login, at.
pub(crate) type MovementTuple = (
    Uuid,
    Uuid,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Ts,
);
