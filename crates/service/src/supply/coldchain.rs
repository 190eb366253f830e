//! Data-logger imports, excursions and their charts.

use jousei_core::role::Permission;
use jousei_store::supply::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ErrorKind;
use crate::error::ServiceError;

/// Reads a logger file's bytes: UTF-8 (with or without BOM), or Shift_JIS as
/// many Japanese data loggers export.
pub fn decode_logger_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let (text, _, _) = encoding_rs::SHIFT_JIS.decode(bytes);
            text.into_owned()
        }
    }
}

/// The outcome of importing a logger file, with what a person must see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    #[schema(value_type = Object)]
    pub outcome: ImportOutcome,
    /// Runs outside the range within the tolerance (shown, not held).
    pub brief_deviations: usize,
    /// Silences between readings longer than an hour (temperature unknown).
    pub gaps: usize,
}

/// Largest logger file accepted.
pub const LOGGER_MAX: usize = 16 * 1024 * 1024;

/// Imports a data-logger CSV for a location. Each excursion (a run outside
/// the location's range longer than a product's tolerance) holds the lots
/// of that product stored there since before it ended.
pub async fn import_logger(
    svc: &Service,
    p: &Principal,
    location_id: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<ImportResult, ServiceError> {
    use jousei_core::supply::coldchain::{Limits, Side, analyse, parse_logger_csv};
    p.require(Permission::ColdChainAck)?;
    if bytes.len() > LOGGER_MAX {
        return Err(ServiceError::new(ErrorKind::TooLarge, "payload_too_large").with_field("file"));
    }
    let locations = svc.store.locations(p.clinic.id).await?;
    let location = locations
        .into_iter()
        .find(|l| l.id == location_id)
        .ok_or_else(|| {
            ServiceError::new(ErrorKind::Invalid, "location_not_found").with_field("location_id")
        })?;
    let zone = jiff::tz::TimeZone::get(&p.clinic.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let text = decode_logger_text(bytes);
    let file = parse_logger_csv(&text, &zone).map_err(|e| {
        let mut err = ServiceError::new(ErrorKind::Invalid, e.code()).with_field("file");
        err.args = vec![
            ("line", e.line().map(|l| l.to_string()).unwrap_or_default()),
            (
                "column",
                e.column().map(|c| c.to_string()).unwrap_or_default(),
            ),
        ];
        err
    })?;
    // Lots stored here now, with their product's tolerance and when they came.
    let stock = svc.store.stock(p.clinic.id).await?;
    let products = svc.store.products(p.clinic.id).await?;
    let mut here: Vec<(Uuid, u32, jiff::Timestamp)> = Vec::new();
    for line in stock
        .iter()
        .filter(|s| s.location_id == location.id && s.vials > 0)
    {
        let tolerance = products
            .iter()
            .find(|pr| pr.id == line.lot.product_id)
            .map(|pr| pr.facts.excursion_tolerance_minutes)
            .unwrap_or(0);
        let arrived = svc
            .store
            .movements(p.clinic.id, Some(line.lot.id), 10_000)
            .await?
            .into_iter()
            .filter(|m| m.location_code == location.code && m.delta > 0)
            .map(|m| m.at.0)
            .min()
            .unwrap_or(line.lot.received_at.0);
        here.push((line.lot.id, tolerance, arrived));
    }
    let min_tolerance = here.iter().map(|h| h.1).min().unwrap_or(0);
    let analysis = analyse(
        &file.readings,
        &Limits::new(location.min_temp, location.max_temp, min_tolerance),
    );
    let excursions = analysis
        .excursions
        .iter()
        .map(|e| NewExcursion {
            start_at: jousei_store::Ts::from(e.start),
            end_at: jousei_store::Ts::from(e.end),
            minutes: e.duration_minutes,
            extreme: e.extreme,
            direction: match e.side {
                Side::Above => "above",
                Side::Below => "below",
                Side::Both => "both",
            },
            lot_ids: here
                .iter()
                .filter(|(_, tol, arrived)| {
                    e.duration_minutes > i64::from(*tol) && *arrived <= e.end
                })
                .map(|(id, _, _)| *id)
                .collect(),
        })
        .collect();
    let name: String = filename
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    let outcome = svc
        .store
        .import_temperatures(
            &p.actor(),
            p.clinic.id,
            &NewTemperatureImport {
                location_id: location.id,
                filename: if name.trim().is_empty() {
                    "logger.csv".into()
                } else {
                    name
                },
                sha256: hex::encode(Sha256::digest(bytes)),
                device: file.device_id.clone(),
                readings: file
                    .readings
                    .iter()
                    .map(|r| (jousei_store::Ts::from(r.at), r.temp))
                    .collect(),
                excursions,
            },
        )
        .await?;
    Ok(ImportResult {
        outcome,
        brief_deviations: analysis.deviations.len(),
        gaps: analysis.gaps.len(),
    })
}

/// Acknowledges an excursion with a comment; the lots it held stay on hold
/// until a quality user lifts each hold with a reason.
pub async fn acknowledge_excursion(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    comment: &str,
) -> Result<(), ServiceError> {
    p.require(Permission::ColdChainAck)?;
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(ServiceError::new(ErrorKind::Invalid, "comment_required").with_field("comment"));
    }
    Ok(svc
        .store
        .acknowledge_excursion(&p.actor(), p.clinic.id, id, comment)
        .await?)
}

/// The chart of an import (SVG), with the location's band and excursions.
pub async fn import_chart(
    svc: &Service,
    p: &Principal,
    import_id: Uuid,
) -> Result<String, ServiceError> {
    use jousei_core::supply::coldchain::{Limits, Reading, analyse, chart_svg};
    p.require(Permission::SupplyRead)?;
    let imports = svc.store.temperature_imports(p.clinic.id, None).await?;
    let import = imports
        .into_iter()
        .find(|i| i.id == import_id)
        .ok_or_else(ServiceError::not_found)?;
    let location = svc
        .store
        .locations(p.clinic.id)
        .await?
        .into_iter()
        .find(|l| l.id == import.location_id)
        .ok_or_else(ServiceError::not_found)?;
    let readings: Vec<Reading> = svc
        .store
        .temperature_readings(p.clinic.id, import_id)
        .await?
        .into_iter()
        .map(|(at, temp)| Reading { at: at.0, temp })
        .collect();
    let zone = jiff::tz::TimeZone::get(&p.clinic.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let excursions = analyse(
        &readings,
        &Limits::new(location.min_temp, location.max_temp, 0),
    )
    .excursions;
    Ok(chart_svg(
        &readings,
        location.min_temp,
        location.max_temp,
        &excursions,
        900,
        320,
        &zone,
    ))
}
