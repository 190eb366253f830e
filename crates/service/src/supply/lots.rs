//! Receiving lots, their certificates, results and state changes.

use jiff::civil::Date;
use jousei_core::barcode::{Expiry, ProductKey, Scan};
use jousei_core::error::FieldError;
use jousei_core::role::Permission;
use jousei_core::supply::lot::{LotAction, LotFacts, Refusal, transition};
use jousei_core::supply::product::*;
use jousei_core::supply::qc::{CertificateGap, Outcome, QcResult, QcTest, certificate_gaps};
use jousei_core::supply::units::Milli;
use jousei_store::supply::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ErrorKind;
use crate::error::{ServiceError, SubError};

use super::{clinic_today, opt};

/// Receiving a lot: a scan, or typed fields, or both (they must agree).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiveIn {
    /// What the scanner sent (GS1 element string, bracketed text or Digital Link).
    pub scan: Option<String>,
    /// Confirms the scan's warnings were read (required when there are any).
    pub confirm_warnings: Option<String>,
    pub product_id: Option<String>,
    pub lot_number: Option<String>,
    /// YYYY-MM-DD
    pub expiry: Option<String>,
    pub location_id: String,
    pub vials: String,
    pub supplier_ref: Option<String>,
}

/// The product a scan names, in this clinic: by GTIN (01), by jousei's internal id (92), or by
/// the ISBT 128 Product Description Code (003) a product records; `None` when the scan names
/// no product. Refused (422 on `scan`) when it names one the clinic has not registered.
pub async fn product_of_scan(
    svc: &Service,
    clinic_id: Uuid,
    s: &Scan,
) -> Result<Option<Product>, ServiceError> {
    // Each refusal written out, so the message's arguments are seen next to its code.
    match s.product_key() {
        Some(ProductKey::Gtin(g)) => match svc.store.product_by_gtin(clinic_id, g).await? {
            Some(p) => Ok(Some(p)),
            None => Err(
                ServiceError::new(ErrorKind::Invalid, "product_gtin_unknown")
                    .with_field("scan")
                    .with_arg("gtin", g),
            ),
        },
        Some(ProductKey::Internal(code)) => {
            match svc.store.product_by_code(clinic_id, code).await? {
                Some(p) => Ok(Some(p)),
                None => Err(
                    ServiceError::new(ErrorKind::Invalid, "product_code_unknown")
                        .with_field("scan")
                        .with_arg("code", code),
                ),
            }
        }
        // Few products per clinic carry ISBT 128 labels: read the current versions.
        Some(ProductKey::IsbtProductCode(pdc)) => svc
            .store
            .products(clinic_id)
            .await?
            .into_iter()
            .find(|p| p.facts.isbt_product_code.as_deref() == Some(pdc))
            .map(Some)
            .ok_or_else(|| {
                ServiceError::new(ErrorKind::Invalid, "product_isbt_unknown")
                    .with_field("scan")
                    .with_arg("code", pdc)
            }),
        None => Ok(None),
    }
}

pub async fn receive_lot(
    svc: &Service,
    p: &Principal,
    input: &ReceiveIn,
) -> Result<Lot, ServiceError> {
    p.require(Permission::LotReceive)?;
    let today = clinic_today(p);
    let mut errs: Vec<SubError> = Vec::new();
    let mut product: Option<Product> = None;
    let mut lot_number = opt(&input.lot_number);
    let mut expiry: Option<Date> = None;
    let mut expiry_time: Option<jiff::civil::Time> = None;
    let scan = opt(&input.scan);
    if let Some(raw) = &scan {
        match jousei_core::barcode::parse_scan(raw, today) {
            Err(e) => return Err(crate::barcodes::scan_error(&e, "scan")),
            Ok(s) => {
                if !s.warnings.is_empty() && opt(&input.confirm_warnings).is_none() {
                    return Err(ServiceError::many(
                        ErrorKind::Invalid,
                        "scan_warning_unconfirmed",
                        s.warnings.iter().map(|w| SubError::new(w.code())).collect(),
                    ));
                }
                product = product_of_scan(svc, p.clinic.id, &s).await?;
                if let Some(l) = s.lot_number() {
                    if lot_number.as_deref().is_some_and(|t| t != l) {
                        errs.push(SubError {
                            field: Some("lot_number"),
                            ..SubError::new("scan_field_mismatch")
                        });
                    }
                    lot_number = Some(l.to_string());
                }
                match &s.expiry {
                    Some(Expiry::Date(d)) => expiry = Some(*d),
                    Some(Expiry::DateTime(dt)) => {
                        expiry = Some(dt.date());
                        expiry_time = Some(dt.time());
                    }
                    None => {}
                }
            }
        }
    }
    if let Some(typed) = opt(&input.expiry) {
        match typed.parse::<Date>() {
            Ok(d) if expiry.is_some_and(|e| e != d) => errs.push(SubError {
                field: Some("expiry"),
                ..SubError::new("scan_field_mismatch")
            }),
            Ok(d) => expiry = Some(d),
            Err(_) => errs.push(SubError {
                field: Some("expiry"),
                ..SubError::new("date_invalid")
            }),
        }
    }
    if let Some(pid) = opt(&input.product_id) {
        match pid.parse::<Uuid>() {
            Ok(id) => {
                let typed = svc.store.product(p.clinic.id, id).await?;
                match (&product, typed) {
                    (Some(a), Some(b)) if a.id != b.id => errs.push(SubError {
                        field: Some("product_id"),
                        ..SubError::new("scan_field_mismatch")
                    }),
                    (None, Some(b)) => product = Some(b),
                    (_, None) => errs.push(SubError {
                        field: Some("product_id"),
                        ..SubError::new("product_not_found")
                    }),
                    _ => {}
                }
            }
            Err(_) => errs.push(SubError {
                field: Some("product_id"),
                ..SubError::new("product_not_found")
            }),
        }
    }
    if product.is_none() && !errs.iter().any(|e| e.field == Some("product_id")) {
        errs.push(SubError {
            field: Some("product_id"),
            ..SubError::new("field_required")
        });
    }
    let lot_ok = lot_number
        .as_deref()
        .is_some_and(|l| (1..=20).contains(&l.chars().count()) && !l.chars().any(char::is_control));
    if !lot_ok {
        errs.push(SubError {
            field: Some("lot_number"),
            ..SubError::new(if lot_number.is_none() {
                "field_required"
            } else {
                "lot_number_invalid"
            })
        });
    }
    if expiry.is_none() && !errs.iter().any(|e| e.field == Some("expiry")) {
        errs.push(SubError {
            field: Some("expiry"),
            ..SubError::new("field_required")
        });
    }
    let vials: Option<i64> = input
        .vials
        .trim()
        .parse()
        .ok()
        .filter(|v| (1..=10_000).contains(v));
    if vials.is_none() {
        errs.push(SubError {
            field: Some("vials"),
            ..SubError::new("quantity_invalid")
        });
    }
    let location_id = input.location_id.trim().parse::<Uuid>().ok();
    if location_id.is_none() {
        errs.push(SubError {
            field: Some("location_id"),
            ..SubError::new("field_required")
        });
    }
    let (Some(product), Some(lot_number), Some(expiry), Some(vials), Some(location_id), true) = (
        product,
        lot_number,
        expiry,
        vials,
        location_id,
        errs.is_empty(),
    ) else {
        let first = errs
            .first()
            .cloned()
            .unwrap_or_else(|| SubError::new("invalid_request"));
        let mut e = ServiceError::new(ErrorKind::Invalid, first.code);
        e.field = first.field;
        e.errors = errs;
        return Err(e);
    };
    Ok(svc
        .store
        .receive_lot(
            &p.actor(),
            p.clinic.id,
            &NewLot {
                product_id: product.id,
                lot_number,
                expiry,
                expiry_time,
                location_id,
                vials,
                supplier_ref: opt(&input.supplier_ref),
                scan_raw: scan,
            },
        )
        .await?)
}

/// Everything known about a lot, for its page and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LotView {
    #[schema(value_type = Object)]
    pub lot: Lot,
    #[schema(value_type = Object)]
    pub product: ProductFacts,
    /// `null` when usable today, else the reason code.
    pub unavailable: Option<&'static str>,
    pub expired: bool,
    #[schema(value_type = Vec<Object>)]
    pub gaps: Vec<CertificateGap>,
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<QcResultRow>,
    #[schema(value_type = Vec<Object>)]
    pub certificates: Vec<Certificate>,
    #[schema(value_type = Vec<Object>)]
    pub stock: Vec<StockRow>,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<LotEvent>,
    pub open_excursions: i64,
    /// Why a release would be refused now (empty when it would succeed).
    #[schema(value_type = Vec<Object>)]
    pub release_blockers: Vec<Refusal>,
}

pub async fn lot_view(svc: &Service, p: &Principal, id: Uuid) -> Result<LotView, ServiceError> {
    p.require(Permission::SupplyRead)?;
    let lot = svc
        .store
        .lot(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let versions = svc
        .store
        .product_versions(p.clinic.id, lot.product_id)
        .await?;
    let product = versions
        .iter()
        .find(|v| v.version == lot.product_version)
        .or(versions.first())
        .map(|v| v.facts.clone())
        .ok_or_else(ServiceError::not_found)?;
    let results = svc.store.qc_results(p.clinic.id, id).await?;
    let plain: Vec<QcResult> = results.iter().map(|r| r.result.clone()).collect();
    let gaps = certificate_gaps(&product.spec, &plain);
    let today = clinic_today(p);
    let open_excursions = svc.store.open_excursions_of_lot(p.clinic.id, id).await?;
    let facts = LotFacts {
        state: lot.state,
        held_from: lot.held_from,
        expiry: lot.expiry,
        gaps: gaps.clone(),
        open_excursions: usize::try_from(open_excursions).unwrap_or(usize::MAX),
        today,
    };
    let release_blockers = match transition(&facts, LotAction::Release, None) {
        Ok(_) => Vec::new(),
        Err(r) => r,
    };
    let stock = svc
        .store
        .stock(p.clinic.id)
        .await?
        .into_iter()
        .filter(|s| s.lot.id == id)
        .collect();
    Ok(LotView {
        unavailable: jousei_core::supply::lot::unavailability_at(
            lot.state,
            lot.expiry,
            lot.expiry_time,
            super::clinic_now(p),
        ),
        expired: jousei_core::supply::lot::is_expired_at(
            lot.expiry,
            lot.expiry_time,
            super::clinic_now(p),
        ),
        certificates: svc.store.certificates(p.clinic.id, id).await?,
        events: svc.store.lot_events(p.clinic.id, id).await?,
        lot,
        product,
        gaps,
        results,
        stock,
        open_excursions,
        release_blockers,
    })
}

fn refusal_error(refusals: Vec<Refusal>, code: &'static str) -> ServiceError {
    ServiceError::many(
        ErrorKind::Conflict,
        code,
        refusals
            .into_iter()
            .map(|r| SubError {
                args: r
                    .test
                    .map(|t| vec![("test", t.as_str().to_string())])
                    .unwrap_or_default(),
                ..SubError::new(r.code)
            })
            .collect(),
    )
}

/// Changes a lot's state. A release must be confirmed with the person's
/// password and records what they saw (the certificate results).
pub async fn change_lot(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    action: LotAction,
    reason: Option<&str>,
    password: Option<&str>,
) -> Result<Lot, ServiceError> {
    p.require(match action {
        LotAction::Release => Permission::LotRelease,
        _ => Permission::LotHoldRecall,
    })?;
    if action == LotAction::Release {
        let Some(pw) = password.filter(|s| !s.is_empty()) else {
            return Err(
                ServiceError::new(ErrorKind::Invalid, "password_confirmation_required")
                    .with_field("password"),
            );
        };
        let checked = crate::throttle::check_password(
            svc,
            crate::throttle::Purpose::LotRelease,
            &p.user.login,
            "login",
            pw,
            Some(p.clinic.id),
        )
        .await?;
        if checked.is_none() {
            return Err(
                ServiceError::new(ErrorKind::Invalid, "password_incorrect").with_field("password")
            );
        }
    }
    let view = lot_view(svc, p, id).await?;
    let facts = LotFacts {
        state: view.lot.state,
        held_from: view.lot.held_from,
        expiry: view.lot.expiry,
        gaps: view.gaps.clone(),
        open_excursions: usize::try_from(view.open_excursions).unwrap_or(usize::MAX),
        today: clinic_today(p),
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let t = transition(&facts, action, reason).map_err(|r| {
        refusal_error(
            r,
            match action {
                LotAction::Release => "lot_release_refused",
                _ => "lot_transition_refused",
            },
        )
    })?;
    let evidence = serde_json::json!({
        "seen_at": svc.now().to_string(),
        "product_version": view.lot.product_version,
        "results": view.results.iter().map(|r| serde_json::json!({"test": r.result.test, "method": r.result.method, "outcome": r.result.outcome, "tested_on": r.result.tested_on.to_string()})).collect::<Vec<_>>(),
        "certificates": view.certificates.iter().map(|c| serde_json::json!({"filename": c.filename, "sha256": c.sha256})).collect::<Vec<_>>(),
        "expiry": view.lot.expiry.to_string(),
        "password_confirmed": action == LotAction::Release,
    });
    Ok(svc
        .store
        .change_lot(
            &p.actor(),
            p.clinic.id,
            &LotChange {
                lot_id: id,
                action,
                expected_state: view.lot.state,
                transition: t,
                reason: reason.map(str::to_string),
                evidence,
            },
        )
        .await?)
}

/// One certificate line as typed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ResultIn {
    /// QC test code, e.g. `endotoxin`
    pub test: String,
    pub method: String,
    /// `negative`, `positive`, or a number (with `unit`)
    pub outcome: String,
    pub unit: Option<String>,
    /// YYYY-MM-DD
    pub tested_on: String,
}

pub fn parse_results(input: &[ResultIn]) -> Result<Vec<QcResult>, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut out = Vec::new();
    if input.is_empty() {
        errs.push(FieldError::new("results", "field_required"));
    }
    for r in input {
        let test = QcTest::parse(&r.test);
        if test.is_none() {
            errs.push(FieldError::new("test", "code_unknown"));
        }
        let outcome = match r.outcome.trim().to_ascii_lowercase().as_str() {
            "negative" | "neg" | "陰性" | "-" => Some(Outcome::Negative),
            "positive" | "pos" | "陽性" | "+" => Some(Outcome::Positive),
            v => match (Milli::parse(v, "outcome"), opt(&r.unit)) {
                (Ok(value), Some(unit)) => Some(Outcome::Value { value, unit }),
                (Ok(_), None) => {
                    errs.push(FieldError::new("unit", "field_required"));
                    None
                }
                (Err(_), _) => {
                    errs.push(FieldError::new("outcome", "outcome_invalid"));
                    None
                }
            },
        };
        let method = r.method.trim();
        if method.is_empty() {
            errs.push(FieldError::new("method", "field_required"));
        }
        let tested_on = r
            .tested_on
            .trim()
            .parse::<Date>()
            .map_err(|_| errs.push(FieldError::new("tested_on", "date_invalid")))
            .ok();
        if let (Some(test), Some(outcome), Some(tested_on)) = (test, outcome, tested_on) {
            out.push(QcResult {
                test,
                method: method.to_string(),
                outcome,
                tested_on,
            });
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

pub async fn add_results(
    svc: &Service,
    p: &Principal,
    lot_id: Uuid,
    input: &[ResultIn],
    certificate_id: Option<Uuid>,
) -> Result<(), ServiceError> {
    p.require(Permission::LotReceive)?;
    let results = parse_results(input).map_err(ServiceError::fields)?;
    svc.store
        .add_qc_results(&p.actor(), p.clinic.id, lot_id, &results, certificate_id)
        .await?;
    Ok(())
}

/// Largest certificate document accepted.
pub const CERTIFICATE_MAX: usize = 20 * 1024 * 1024;

pub async fn add_certificate(
    svc: &Service,
    p: &Principal,
    lot_id: Uuid,
    filename: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<Certificate, ServiceError> {
    p.require(Permission::LotReceive)?;
    if data.is_empty() {
        return Err(ServiceError::new(ErrorKind::Invalid, "file_empty").with_field("file"));
    }
    if data.len() > CERTIFICATE_MAX {
        return Err(ServiceError::new(ErrorKind::TooLarge, "payload_too_large").with_field("file"));
    }
    let allowed = ["application/pdf", "image/png", "image/jpeg"];
    let sniffed = if data.starts_with(b"%PDF") {
        "application/pdf"
    } else if data.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else {
        ""
    };
    if sniffed.is_empty()
        || (!content_type.is_empty() && allowed.contains(&content_type) && content_type != sniffed)
    {
        return Err(
            ServiceError::new(ErrorKind::UnsupportedMedia, "file_type_unsupported")
                .with_field("file"),
        );
    }
    let name: String = filename
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "certificate".to_string()
    } else {
        name
    };
    let sha256 = hex::encode(Sha256::digest(&data));
    Ok(svc
        .store
        .add_certificate(
            &p.actor(),
            p.clinic.id,
            lot_id,
            &NewCertificate {
                filename: name,
                content_type: sniffed.to_string(),
                sha256,
                data,
            },
        )
        .await?)
}
