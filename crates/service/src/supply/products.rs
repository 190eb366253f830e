//! Products and storage locations.

use jousei_core::error::FieldError;
use jousei_core::role::Permission;
use jousei_core::supply::product::*;
use jousei_core::supply::qc::{Criterion, QcTest, Requirement, Specification};
use jousei_core::supply::units::{DeciCelsius, Microlitres, Milli};
use jousei_store::supply::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ServiceError;

use super::{codes, opt, take};

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
    /// GTIN-8, -12, -13 (JAN) or -14 with its check digit; stored as 14 digits
    pub gtin: Option<String>,
    /// ISBT 128 Product Description Code when vials carry ISBT 128 labels: a capital letter
    /// and four digits, e.g. S1295
    pub isbt_product_code: Option<String>,
    /// unapproved, regenerative_medicine_act, approved_drug
    pub regime: String,
    pub how_obtained: Option<String>,
    /// "true" when the physician imports the product personally (個人輸入); "false" or empty
    /// otherwise (a form checkbox sends "on")
    pub personal_import: Option<String>,
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
        let gtin = opt(&self.gtin).and_then(|g| {
            take(
                &mut errs,
                jousei_core::barcode::Gtin::parse_field(&g, "gtin"),
            )
        });
        let personal_import = match opt(&self.personal_import).as_deref() {
            None | Some("false" | "0" | "off") => false,
            Some("true" | "1" | "on") => true,
            Some(_) => {
                errs.push(FieldError::new("personal_import", "code_unknown"));
                false
            }
        };
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
            isbt_product_code: opt(&self.isbt_product_code).map(|c| c.to_ascii_uppercase()),
            regime,
            how_obtained: opt(&self.how_obtained),
            personal_import,
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
            gtin: f.gtin.as_ref().map(|g| g.to_string()),
            regime: f.regime.as_str().into(),
            isbt_product_code: f.isbt_product_code.clone(),
            how_obtained: f.how_obtained.clone(),
            personal_import: Some(f.personal_import.to_string()),
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
    svc: &Service,
    p: &Principal,
    input: &ProductIn,
) -> Result<Product, ServiceError> {
    p.require(Permission::SupplyWrite)?;
    let facts = input.parse().map_err(ServiceError::fields)?;
    Ok(svc
        .store
        .create_product(&p.actor(), p.clinic.id, &facts)
        .await?)
}

pub async fn revise_product(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &ProductIn,
    reason: &str,
) -> Result<Product, ServiceError> {
    p.require(Permission::SupplyWrite)?;
    let mut errs = match input.parse() {
        Ok(_) => Vec::new(),
        Err(e) => e,
    };
    if reason.trim().is_empty() {
        errs.push(FieldError::new("reason", "reason_required"));
    }
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let facts = input.parse().map_err(ServiceError::fields)?;
    Ok(svc
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
    svc: &Service,
    p: &Principal,
    input: &LocationIn,
) -> Result<Location, ServiceError> {
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
        return Err(ServiceError::fields(errs));
    };
    Ok(svc
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
