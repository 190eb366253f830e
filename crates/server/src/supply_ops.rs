//! Supply and quality use cases, shared by the web UI and the JSON API:
//! input parsing, permissions, the domain rules, and storage.

use axum::http::StatusCode;
use jiff::civil::Date;
use jousei_core::error::FieldError;
use jousei_core::role::Permission;
use jousei_core::supply::lot::{LotAction, LotFacts, LotState, Refusal, transition};
use jousei_core::supply::product::*;
use jousei_core::supply::qc::{
    CertificateGap, Criterion, Outcome, QcResult, QcTest, Requirement, Specification,
    certificate_gaps,
};
use jousei_core::supply::stock::MovementKind;
use jousei_core::supply::units::{DeciCelsius, Microlitres, Milli};
use jousei_store::supply::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Principal, verify_password_async};
use crate::error::{ApiError, SubError};

/// The clinic's calendar date now (expiry is judged on it).
pub fn clinic_today(p: &Principal) -> Date {
    let now = jiff::Timestamp::now();
    match now.in_tz(&p.clinic.time_zone) {
        Ok(z) => z.date(),
        Err(_) => now
            .in_tz("Asia/Tokyo")
            .map(|z| z.date())
            .unwrap_or_else(|_| now.to_zoned(jiff::tz::TimeZone::UTC).date()),
    }
}

/// Keeps the value, or records the error and gives `None`.
fn take<T>(errs: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errs.push(e)).ok()
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn codes<T: Copy>(
    raw: &[String],
    parse: fn(&str) -> Option<T>,
    field: &'static str,
    errs: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for r in raw
        .iter()
        .flat_map(|r| r.split(','))
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        match parse(r) {
            Some(v) => out.push(v),
            None => errs.push(FieldError::new(field, "code_unknown")),
        }
    }
    out
}

/// A product as typed in a form or sent as JSON: text in, facts out.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProductIn {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// conditioned_medium, exosome_preparation, other
    pub kind: String,
    /// adipose, umbilical_cord, cord_blood, dental_pulp, deciduous_dental_pulp, bone_marrow, placenta, other
    pub sources: Vec<String>,
    pub manufacturer: String,
    pub facility: Option<String>,
    pub licence_no: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. JP
    pub country: String,
    /// documented_domestic, documented_imported, undisclosed
    pub donor_info: String,
    /// egf, fgf, vegf, hgf, pdgf, igf1, tgf_beta, bdnf, ngf, gdnf, il10
    pub factors: Vec<String>,
    /// Millilitres, e.g. "10" or "2.5"
    pub vial_volume_ml: String,
    /// °C, e.g. "-85"
    pub storage_min_c: String,
    /// °C, e.g. "-65"
    pub storage_max_c: String,
    pub in_use_minutes: String,
    pub excursion_tolerance_minutes: String,
    /// iv_drip, knee_joint_injection, skin_injection, nasal, inhalation, topical_device
    pub routes: Vec<String>,
    pub gtin: Option<String>,
    /// unapproved, regenerative_medicine_act, approved_drug
    pub regime: String,
    pub how_obtained: Option<String>,
    /// "none", "exists" or empty (not recorded)
    pub approved_equivalent: Option<String>,
    pub approved_equivalent_name: Option<String>,
    pub foreign_safety_info: Option<String>,
    /// Endotoxin limit in EU/mL for the default specification (default 0.5)
    pub endotoxin_limit: Option<String>,
    /// Tests required (default: the seeds' panel); QC test codes
    pub spec_tests: Vec<String>,
}

impl ProductIn {
    /// Parses every field; returns every problem at once.
    pub fn parse(&self) -> Result<ProductFacts, Vec<FieldError>> {
        let mut errs = Vec::new();
        let kind = ProductKind::parse(&self.kind).unwrap_or_else(|| {
            errs.push(FieldError::new("kind", "code_unknown"));
            ProductKind::Other
        });
        let sources = codes(&self.sources, CellSource::parse, "sources", &mut errs);
        let factors = codes(&self.factors, Factor::parse, "factors", &mut errs);
        let routes = codes(&self.routes, Route::parse, "routes", &mut errs);
        let donor_info = DonorInfo::parse(&self.donor_info).unwrap_or_else(|| {
            errs.push(FieldError::new("donor_info", "code_unknown"));
            DonorInfo::Undisclosed
        });
        let regime = LegalRegime::parse(&self.regime).unwrap_or_else(|| {
            errs.push(FieldError::new("regime", "code_unknown"));
            LegalRegime::Unapproved
        });
        let vial_volume = take(
            &mut errs,
            Microlitres::parse_ml(&self.vial_volume_ml, "vial_volume_ml"),
        );
        let storage_min = take(
            &mut errs,
            DeciCelsius::parse(&self.storage_min_c, "storage_min_c"),
        );
        let storage_max = take(
            &mut errs,
            DeciCelsius::parse(&self.storage_max_c, "storage_max_c"),
        );
        let in_use: Option<u32> = take(
            &mut errs,
            self.in_use_minutes
                .trim()
                .parse()
                .map_err(|_| FieldError::new("in_use_minutes", "number_invalid")),
        );
        let tolerance: Option<u32> = if self.excursion_tolerance_minutes.trim().is_empty() {
            Some(0)
        } else {
            take(
                &mut errs,
                self.excursion_tolerance_minutes
                    .trim()
                    .parse()
                    .map_err(|_| FieldError::new("excursion_tolerance_minutes", "number_invalid")),
            )
        };
        let endotoxin = match opt(&self.endotoxin_limit) {
            Some(v) => take(&mut errs, Milli::parse(&v, "endotoxin_limit")),
            None => Some(Milli(500)),
        };
        let approved_equivalent = match opt(&self.approved_equivalent).as_deref() {
            None => None,
            Some("none") => Some(ApprovedEquivalent::None { note: None }),
            Some("exists") => match opt(&self.approved_equivalent_name) {
                Some(name) => Some(ApprovedEquivalent::Exists { name }),
                None => {
                    errs.push(FieldError::new(
                        "approved_equivalent_name",
                        "field_required",
                    ));
                    None
                }
            },
            Some(_) => {
                errs.push(FieldError::new("approved_equivalent", "code_unknown"));
                None
            }
        };
        let gtin = opt(&self.gtin).map(|g| {
            if g.len() < 14 && g.chars().all(|c| c.is_ascii_digit()) {
                format!("{g:0>14}")
            } else {
                g
            }
        });
        let tests = if self.spec_tests.is_empty() {
            Specification::seed_default()
                .tests
                .iter()
                .map(|r| r.test)
                .collect()
        } else {
            codes(&self.spec_tests, QcTest::parse, "spec_tests", &mut errs)
        };
        let spec = Specification {
            tests: tests
                .into_iter()
                .map(|test| Requirement {
                    test,
                    criterion: match test {
                        QcTest::Endotoxin => Criterion::AtMost {
                            limit: endotoxin.unwrap_or(Milli(500)),
                            unit: "EU/mL".into(),
                        },
                        QcTest::ExosomeMarkers => Criterion::Positive,
                        QcTest::ParticleCount | QcTest::ProteinConcentration => {
                            Criterion::AtLeast {
                                limit: Milli(0),
                                unit: "per_ml".into(),
                            }
                        }
                        _ => Criterion::Negative,
                    },
                })
                .collect(),
        };
        // Fields that did not parse are already reported; stand-ins let the
        // remaining rules run so every problem is reported in one round.
        let numbers_ok = vial_volume.is_some()
            && storage_min.is_some()
            && storage_max.is_some()
            && in_use.is_some()
            && tolerance.is_some();
        let temps_ok = storage_min.is_some() && storage_max.is_some();
        let vial_volume = vial_volume.unwrap_or(Microlitres(1));
        let storage_min = storage_min.unwrap_or(DeciCelsius(0));
        let storage_max = storage_max.unwrap_or(DeciCelsius(0));
        let in_use = in_use.unwrap_or(1);
        let tolerance = tolerance.unwrap_or(0);
        let facts = ProductFacts {
            code: self.code.trim().to_string(),
            name: self.name.trim().to_string(),
            name_en: opt(&self.name_en),
            kind,
            sources,
            manufacturer: self.manufacturer.trim().to_string(),
            facility: opt(&self.facility),
            licence_no: opt(&self.licence_no),
            country: self.country.trim().to_ascii_uppercase(),
            donor_info,
            factors,
            vial_volume,
            storage_min,
            storage_max,
            in_use_minutes: in_use,
            excursion_tolerance_minutes: tolerance,
            routes,
            gtin,
            regime,
            how_obtained: opt(&self.how_obtained),
            approved_equivalent,
            foreign_safety_info: opt(&self.foreign_safety_info),
            spec,
        };
        if let Err(more) = facts.validate() {
            errs.extend(
                more.into_iter()
                    .filter(|e| temps_ok || e.code != "storage_range_inverted"),
            );
        }
        if errs.is_empty() && numbers_ok {
            Ok(facts)
        } else {
            Err(errs)
        }
    }

    /// The form values of an existing product (to revise it).
    pub fn from_facts(f: &ProductFacts) -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        ProductIn {
            code: f.code.clone(),
            name: f.name.clone(),
            name_en: f.name_en.clone(),
            kind: f.kind.as_str().into(),
            sources: s(&f.sources.iter().map(|x| x.as_str()).collect::<Vec<_>>()),
            manufacturer: f.manufacturer.clone(),
            facility: f.facility.clone(),
            licence_no: f.licence_no.clone(),
            country: f.country.clone(),
            donor_info: f.donor_info.as_str().into(),
            factors: s(&f.factors.iter().map(|x| x.as_str()).collect::<Vec<_>>()),
            vial_volume_ml: jousei_core::supply::units::fmt_fixed(f.vial_volume.0, 3),
            storage_min_c: jousei_core::supply::units::fmt_fixed(i64::from(f.storage_min.0), 1),
            storage_max_c: jousei_core::supply::units::fmt_fixed(i64::from(f.storage_max.0), 1),
            in_use_minutes: f.in_use_minutes.to_string(),
            excursion_tolerance_minutes: f.excursion_tolerance_minutes.to_string(),
            routes: s(&f.routes.iter().map(|x| x.as_str()).collect::<Vec<_>>()),
            gtin: f.gtin.clone(),
            regime: f.regime.as_str().into(),
            how_obtained: f.how_obtained.clone(),
            approved_equivalent: f.approved_equivalent.as_ref().map(|a| match a {
                ApprovedEquivalent::None { .. } => "none".into(),
                ApprovedEquivalent::Exists { .. } => "exists".into(),
            }),
            approved_equivalent_name: match &f.approved_equivalent {
                Some(ApprovedEquivalent::Exists { name }) => Some(name.clone()),
                _ => None,
            },
            foreign_safety_info: f.foreign_safety_info.clone(),
            endotoxin_limit: f.spec.requirement(QcTest::Endotoxin).and_then(|r| {
                match &r.criterion {
                    Criterion::AtMost { limit, .. } => Some(limit.to_string()),
                    _ => None,
                }
            }),
            spec_tests: f
                .spec
                .tests
                .iter()
                .map(|r| r.test.as_str().to_string())
                .collect(),
        }
    }
}

pub async fn create_product(
    state: &AppState,
    p: &Principal,
    input: &ProductIn,
) -> Result<Product, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let facts = input.parse().map_err(ApiError::fields)?;
    Ok(state
        .store
        .create_product(&p.actor(), p.clinic.id, &facts)
        .await?)
}

pub async fn revise_product(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &ProductIn,
    reason: &str,
) -> Result<Product, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let mut errs = match input.parse() {
        Ok(_) => Vec::new(),
        Err(e) => e,
    };
    if reason.trim().is_empty() {
        errs.push(FieldError::new("reason", "reason_required"));
    }
    if !errs.is_empty() {
        return Err(ApiError::fields(errs));
    }
    let facts = input.parse().map_err(ApiError::fields)?;
    Ok(state
        .store
        .revise_product(&p.actor(), p.clinic.id, id, &facts, reason.trim())
        .await?)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LocationIn {
    pub code: String,
    pub name: String,
    /// °C
    pub min_c: String,
    /// °C
    pub max_c: String,
}

pub async fn create_location(
    state: &AppState,
    p: &Principal,
    input: &LocationIn,
) -> Result<Location, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let mut errs = Vec::new();
    if let Err(e) = validate_code(input.code.trim()) {
        errs.push(FieldError::new("location_code", e.code));
    }
    let name = jousei_core::text::required_name(&input.name, "name", 100)
        .map_err(|e| errs.push(e))
        .ok();
    let min = DeciCelsius::parse(&input.min_c, "min_c")
        .map_err(|e| errs.push(e))
        .ok();
    let max = DeciCelsius::parse(&input.max_c, "max_c")
        .map_err(|e| errs.push(e))
        .ok();
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        errs.push(FieldError::new("max_c", "storage_range_inverted"));
    }
    let (Some(name), Some(min_temp), Some(max_temp), true) = (name, min, max, errs.is_empty())
    else {
        return Err(ApiError::fields(errs));
    };
    Ok(state
        .store
        .create_location(
            &p.actor(),
            p.clinic.id,
            &NewLocation {
                code: input.code.trim().to_string(),
                name,
                min_temp,
                max_temp,
            },
        )
        .await?)
}

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

pub async fn receive_lot(
    state: &AppState,
    p: &Principal,
    input: &ReceiveIn,
) -> Result<Lot, ApiError> {
    p.require(Permission::LotReceive)?;
    let today = clinic_today(p);
    let mut errs: Vec<SubError> = Vec::new();
    let mut product: Option<Product> = None;
    let mut lot_number = opt(&input.lot_number);
    let mut expiry: Option<Date> = None;
    let scan = opt(&input.scan);
    if let Some(raw) = &scan {
        match jousei_core::barcode::parse_scan(raw, today) {
            Err(e) => {
                let mut err =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code()).with_field("scan");
                err.args = barcode_args(&e);
                return Err(err);
            }
            Ok(s) => {
                if !s.warnings.is_empty() && opt(&input.confirm_warnings).is_none() {
                    return Err(ApiError::many(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "scan_warning_unconfirmed",
                        s.warnings.iter().map(|w| SubError::new(w.code())).collect(),
                    ));
                }
                if let Some(g) = &s.gtin {
                    product = state.store.product_by_gtin(p.clinic.id, g).await?;
                    if product.is_none() {
                        return Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "product_gtin_unknown",
                        )
                        .with_field("scan")
                        .with_arg("gtin", g));
                    }
                } else if let Some(code) = &s.internal_product_id {
                    product = state.store.product_by_code(p.clinic.id, code).await?;
                    if product.is_none() {
                        return Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "product_code_unknown",
                        )
                        .with_field("scan")
                        .with_arg("code", code));
                    }
                }
                if let Some(l) = &s.lot {
                    if lot_number.as_ref().is_some_and(|t| t != l) {
                        errs.push(SubError {
                            field: Some("lot_number"),
                            ..SubError::new("scan_field_mismatch")
                        });
                    }
                    lot_number = Some(l.clone());
                }
                if let Some(e) = &s.expiry {
                    expiry = Some(e.date());
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
                let typed = state.store.product(p.clinic.id, id).await?;
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
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, first.code);
        e.field = first.field;
        e.errors = errs;
        return Err(e);
    };
    Ok(state
        .store
        .receive_lot(
            &p.actor(),
            p.clinic.id,
            &NewLot {
                product_id: product.id,
                lot_number,
                expiry,
                location_id,
                vials,
                supplier_ref: opt(&input.supplier_ref),
                scan_raw: scan,
            },
        )
        .await?)
}

fn barcode_args(e: &jousei_core::barcode::BarcodeError) -> Vec<(&'static str, String)> {
    let mut a = Vec::new();
    if let Some(pos) = e.position {
        a.push(("position", (pos + 1).to_string()));
    }
    if let Some(ai) = &e.ai {
        a.push(("ai", ai.clone()));
    }
    a
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

pub async fn lot_view(state: &AppState, p: &Principal, id: Uuid) -> Result<LotView, ApiError> {
    p.require(Permission::SupplyRead)?;
    let lot = state
        .store
        .lot(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let versions = state
        .store
        .product_versions(p.clinic.id, lot.product_id)
        .await?;
    let product = versions
        .iter()
        .find(|v| v.version == lot.product_version)
        .or(versions.first())
        .map(|v| v.facts.clone())
        .ok_or_else(ApiError::not_found)?;
    let results = state.store.qc_results(p.clinic.id, id).await?;
    let plain: Vec<QcResult> = results.iter().map(|r| r.result.clone()).collect();
    let gaps = certificate_gaps(&product.spec, &plain);
    let today = clinic_today(p);
    let open_excursions = state.store.open_excursions_of_lot(p.clinic.id, id).await?;
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
    let stock = state
        .store
        .stock(p.clinic.id)
        .await?
        .into_iter()
        .filter(|s| s.lot.id == id)
        .collect();
    Ok(LotView {
        unavailable: jousei_core::supply::lot::unavailability(lot.state, lot.expiry, today),
        expired: jousei_core::supply::lot::is_expired(lot.expiry, today),
        certificates: state.store.certificates(p.clinic.id, id).await?,
        events: state.store.lot_events(p.clinic.id, id).await?,
        lot,
        product,
        gaps,
        results,
        stock,
        open_excursions,
        release_blockers,
    })
}

fn refusal_error(refusals: Vec<Refusal>, code: &'static str) -> ApiError {
    ApiError::many(
        StatusCode::CONFLICT,
        code,
        refusals
            .into_iter()
            .map(|r| SubError {
                code: r.code,
                field: None,
                args: r
                    .test
                    .map(|t| vec![("test", t.as_str().to_string())])
                    .unwrap_or_default(),
            })
            .collect(),
    )
}

/// Changes a lot's state. A release must be confirmed with the person's
/// password and records what they saw (the certificate results).
pub async fn change_lot(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    action: LotAction,
    reason: Option<&str>,
    password: Option<&str>,
) -> Result<Lot, ApiError> {
    p.require(match action {
        LotAction::Release => Permission::LotRelease,
        _ => Permission::LotHoldRecall,
    })?;
    if action == LotAction::Release {
        let Some(pw) = password.filter(|s| !s.is_empty()) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password_confirmation_required",
            )
            .with_field("password"));
        };
        let creds = state
            .store
            .user_credentials(&p.user.login)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !verify_password_async(pw.to_string(), creds.password_hash).await {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "password_incorrect")
                    .with_field("password"),
            );
        }
    }
    let view = lot_view(state, p, id).await?;
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
        "seen_at": jiff::Timestamp::now().to_string(),
        "product_version": view.lot.product_version,
        "results": view.results.iter().map(|r| serde_json::json!({"test": r.result.test, "method": r.result.method, "outcome": r.result.outcome, "tested_on": r.result.tested_on.to_string()})).collect::<Vec<_>>(),
        "certificates": view.certificates.iter().map(|c| serde_json::json!({"filename": c.filename, "sha256": c.sha256})).collect::<Vec<_>>(),
        "expiry": view.lot.expiry.to_string(),
        "password_confirmed": action == LotAction::Release,
    });
    Ok(state
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
    state: &AppState,
    p: &Principal,
    lot_id: Uuid,
    input: &[ResultIn],
    certificate_id: Option<Uuid>,
) -> Result<(), ApiError> {
    p.require(Permission::LotReceive)?;
    let results = parse_results(input).map_err(ApiError::fields)?;
    state
        .store
        .add_qc_results(&p.actor(), p.clinic.id, lot_id, &results, certificate_id)
        .await?;
    Ok(())
}

/// Largest certificate document accepted.
pub const CERTIFICATE_MAX: usize = 20 * 1024 * 1024;

pub async fn add_certificate(
    state: &AppState,
    p: &Principal,
    lot_id: Uuid,
    filename: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<Certificate, ApiError> {
    p.require(Permission::LotReceive)?;
    if data.is_empty() {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "file_empty").with_field("file"),
        );
    }
    if data.len() > CERTIFICATE_MAX {
        return Err(
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").with_field("file"),
        );
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
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_type_unsupported")
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
    Ok(state
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

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MovementIn {
    pub lot_id: String,
    pub location_id: String,
    /// move, destroy, adjust (receive is done by receiving a lot; use by the point of care)
    pub kind: String,
    /// Vials; for adjust, the signed change
    pub quantity: String,
    pub to_location_id: Option<String>,
    pub reason: Option<String>,
    /// Login of the witness (destroy)
    pub witness: Option<String>,
}

pub async fn record_movement(
    state: &AppState,
    p: &Principal,
    input: &MovementIn,
) -> Result<(), ApiError> {
    p.require(Permission::StockMove)?;
    let mut errs = Vec::new();
    let kind = match MovementKind::parse(&input.kind) {
        Some(k @ (MovementKind::Move | MovementKind::Destroy | MovementKind::Adjust)) => Some(k),
        _ => {
            errs.push(FieldError::new("kind", "code_unknown"));
            None
        }
    };
    let lot_id = input
        .lot_id
        .trim()
        .parse::<Uuid>()
        .map_err(|_| errs.push(FieldError::new("lot_id", "field_required")))
        .ok();
    let location_id = input
        .location_id
        .trim()
        .parse::<Uuid>()
        .map_err(|_| errs.push(FieldError::new("location_id", "field_required")))
        .ok();
    let quantity = input
        .quantity
        .trim()
        .parse::<i64>()
        .map_err(|_| errs.push(FieldError::new("quantity", "quantity_invalid")))
        .ok();
    let to_location_id = match opt(&input.to_location_id) {
        Some(t) => t
            .parse::<Uuid>()
            .map_err(|_| errs.push(FieldError::new("to_location", "destination_invalid")))
            .ok(),
        None => None,
    };
    let witness_id = match opt(&input.witness) {
        Some(login) => match state
            .store
            .user_credentials(&login.to_ascii_lowercase())
            .await?
        {
            Some(c) => Some(c.user.id),
            None => {
                errs.push(FieldError::new("witness", "witness_invalid"));
                None
            }
        },
        None => None,
    };
    let (Some(kind), Some(lot_id), Some(location_id), Some(quantity), true) =
        (kind, lot_id, location_id, quantity, errs.is_empty())
    else {
        return Err(ApiError::fields(errs));
    };
    let m = NewMovement {
        lot_id,
        location_id,
        kind,
        quantity,
        to_location_id,
        reason: opt(&input.reason),
        witness_id,
    };
    match state
        .store
        .record_movement(&p.actor(), p.clinic.id, &m)
        .await
    {
        Ok(()) => Ok(()),
        Err(MovementError::Invalid(e)) => Err(ApiError::fields(e)),
        Err(MovementError::Store(e)) => Err(e.into()),
    }
}

/// Stock per product for the dashboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductStock {
    pub product_id: Uuid,
    pub code: String,
    pub name: String,
    /// Released, in date, on hand.
    pub available: i64,
    /// Quarantined, on hold, recalled, rejected or expired: never available.
    pub unavailable: i64,
}

pub fn stock_per_product(
    products: &[Product],
    stock: &[StockRow],
    today: Date,
) -> Vec<ProductStock> {
    products
        .iter()
        .map(|p| {
            let lines: Vec<&StockRow> = stock.iter().filter(|s| s.lot.product_id == p.id).collect();
            let available: i64 = lines
                .iter()
                .filter(|s| {
                    jousei_core::supply::lot::unavailability(s.lot.state, s.lot.expiry, today)
                        .is_none()
                })
                .map(|s| s.vials)
                .sum();
            let total: i64 = lines.iter().map(|s| s.vials).sum();
            ProductStock {
                product_id: p.id,
                code: p.facts.code.clone(),
                name: p.facts.name.clone(),
                available,
                unavailable: total - available,
            }
        })
        .collect()
}

/// Lots to look at now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub today: String,
    pub expiring_within_days: i64,
    #[schema(value_type = Vec<Object>)]
    pub expiring: Vec<Lot>,
    #[schema(value_type = Vec<Object>)]
    pub on_hold: Vec<Lot>,
    #[schema(value_type = Vec<Object>)]
    pub quarantined: Vec<Lot>,
    #[schema(value_type = Vec<Object>)]
    pub open_excursions: Vec<Excursion>,
    pub stock: Vec<ProductStock>,
}

pub async fn dashboard(state: &AppState, p: &Principal, days: i64) -> Result<Dashboard, ApiError> {
    p.require(Permission::SupplyRead)?;
    let today = clinic_today(p);
    let horizon = today
        .checked_add(jiff::Span::new().days(days.clamp(1, 365)))
        .unwrap_or(today);
    let lots = state.store.lots(p.clinic.id).await?;
    let stock = state.store.stock(p.clinic.id).await?;
    let products = state.store.products(p.clinic.id).await?;
    let in_stock = |id: Uuid| stock.iter().any(|s| s.lot.id == id && s.vials > 0);
    let mut expiring: Vec<Lot> = lots
        .iter()
        .filter(|l| {
            l.state == LotState::Released
                && l.expiry >= today
                && l.expiry <= horizon
                && in_stock(l.id)
        })
        .cloned()
        .collect();
    expiring.sort_by_key(|l| l.expiry);
    Ok(Dashboard {
        today: today.to_string(),
        expiring_within_days: days,
        expiring,
        on_hold: lots
            .iter()
            .filter(|l| l.state == LotState::OnHold)
            .cloned()
            .collect(),
        quarantined: lots
            .iter()
            .filter(|l| l.state == LotState::Quarantined)
            .cloned()
            .collect(),
        open_excursions: state.store.excursions(p.clinic.id, true).await?,
        stock: stock_per_product(&products, &stock, today),
    })
}

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
    state: &AppState,
    p: &Principal,
    location_id: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<ImportResult, ApiError> {
    use jousei_core::supply::coldchain::{Limits, Side, analyse, parse_logger_csv};
    p.require(Permission::ColdChainAck)?;
    if bytes.len() > LOGGER_MAX {
        return Err(
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").with_field("file"),
        );
    }
    let locations = state.store.locations(p.clinic.id).await?;
    let location = locations
        .into_iter()
        .find(|l| l.id == location_id)
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "location_not_found")
                .with_field("location_id")
        })?;
    let zone = jiff::tz::TimeZone::get(&p.clinic.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let text = decode_logger_text(bytes);
    let file = parse_logger_csv(&text, &zone).map_err(|e| {
        let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code()).with_field("file");
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
    let stock = state.store.stock(p.clinic.id).await?;
    let products = state.store.products(p.clinic.id).await?;
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
        let arrived = state
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
    let outcome = state
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
    state: &AppState,
    p: &Principal,
    id: Uuid,
    comment: &str,
) -> Result<(), ApiError> {
    p.require(Permission::ColdChainAck)?;
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "comment_required")
                .with_field("comment"),
        );
    }
    Ok(state
        .store
        .acknowledge_excursion(&p.actor(), p.clinic.id, id, comment)
        .await?)
}

/// The chart of an import (SVG), with the location's band and excursions.
pub async fn import_chart(
    state: &AppState,
    p: &Principal,
    import_id: Uuid,
) -> Result<String, ApiError> {
    use jousei_core::supply::coldchain::{Limits, Reading, analyse, chart_svg};
    p.require(Permission::SupplyRead)?;
    let imports = state.store.temperature_imports(p.clinic.id, None).await?;
    let import = imports
        .into_iter()
        .find(|i| i.id == import_id)
        .ok_or_else(ApiError::not_found)?;
    let location = state
        .store
        .locations(p.clinic.id)
        .await?
        .into_iter()
        .find(|l| l.id == import.location_id)
        .ok_or_else(ApiError::not_found)?;
    let readings: Vec<Reading> = state
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
