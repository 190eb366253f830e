//! Products: what a clinic buys. A product is versioned: a change creates a
//! new version and the earlier ones stay readable.

use serde::{Deserialize, Serialize};

use super::qc::Specification;
use super::units::{DeciCelsius, Microlitres};
use crate::barcode::Gtin;
use crate::code_enum;
use crate::error::FieldError;
use crate::text::required_name;

code_enum! {
    /// What kind of preparation a product is.
    pub enum ProductKind {
        ConditionedMedium => "conditioned_medium",
        ExosomePreparation => "exosome_preparation",
        /// e.g. an approved drug used alongside (a local anaesthetic).
        Other => "other",
    }
}

code_enum! {
    /// The cells a product was made from (由来).
    pub enum CellSource {
        Adipose => "adipose",
        UmbilicalCord => "umbilical_cord",
        CordBlood => "cord_blood",
        DentalPulp => "dental_pulp",
        DeciduousDentalPulp => "deciduous_dental_pulp",
        BoneMarrow => "bone_marrow",
        Placenta => "placenta",
        Other => "other",
    }
}

code_enum! {
    /// The legal regime a product is used under.
    pub enum LegalRegime {
        /// Unapproved product used under a physician's responsibility (未承認医薬品等).
        Unapproved => "unapproved",
        /// Cell product under the Act on the Safety of Regenerative Medicine.
        RegenerativeMedicineAct => "regenerative_medicine_act",
        /// Approved drug (承認医薬品).
        ApprovedDrug => "approved_drug",
    }
}

code_enum! {
    /// Routes of administration.
    pub enum Route {
        IvDrip => "iv_drip",
        KneeJointInjection => "knee_joint_injection",
        SkinInjection => "skin_injection",
        Nasal => "nasal",
        Inhalation => "inhalation",
        TopicalDevice => "topical_device",
    }
}

code_enum! {
    /// What is known about the donor.
    pub enum DonorInfo {
        /// Donor screened and documented, domestic.
        DocumentedDomestic => "documented_domestic",
        /// Donor screened and documented, abroad.
        DocumentedImported => "documented_imported",
        /// The maker does not disclose the donor's screening.
        Undisclosed => "undisclosed",
    }
}

code_enum! {
    /// Factors a maker may declare (with optional measured values per lot).
    pub enum Factor {
        Egf => "egf",
        Fgf => "fgf",
        Vegf => "vegf",
        Hgf => "hgf",
        Pdgf => "pdgf",
        Igf1 => "igf1",
        TgfBeta => "tgf_beta",
        Bdnf => "bdnf",
        Ngf => "ngf",
        Gdnf => "gdnf",
        Il10 => "il10",
    }
}

impl Factor {
    /// The conventional written name (EGF, TGF-β, …).
    pub fn label(self) -> &'static str {
        match self {
            Factor::Egf => "EGF",
            Factor::Fgf => "FGF",
            Factor::Vegf => "VEGF",
            Factor::Hgf => "HGF",
            Factor::Pdgf => "PDGF",
            Factor::Igf1 => "IGF-1",
            Factor::TgfBeta => "TGF-β",
            Factor::Bdnf => "BDNF",
            Factor::Ngf => "NGF",
            Factor::Gdnf => "GDNF",
            Factor::Il10 => "IL-10",
        }
    }
}

/// Whether an approved product with the same use exists in Japan
/// (part of the unapproved-product disclosure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum ApprovedEquivalent {
    /// None exists; optional explanation.
    None { note: Option<String> },
    /// One exists; its name.
    Exists { name: String },
}

/// Everything recorded about one version of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFacts {
    /// The clinic's short code for the product (e.g. `DP-CM-10`), unique per clinic.
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: ProductKind,
    pub sources: Vec<CellSource>,
    pub manufacturer: String,
    pub facility: Option<String>,
    /// Licence or approval number of the manufacturing facility.
    pub licence_no: Option<String>,
    /// ISO 3166-1 alpha-2 country of manufacture.
    pub country: String,
    pub donor_info: DonorInfo,
    pub factors: Vec<Factor>,
    pub vial_volume: Microlitres,
    pub storage_min: DeciCelsius,
    pub storage_max: DeciCelsius,
    /// Minutes a vial may be used after thawing or opening.
    pub in_use_minutes: u32,
    /// Minutes a reading may stay outside the storage range before lots are
    /// put on hold (the product's tolerance for a temperature excursion).
    pub excursion_tolerance_minutes: u32,
    pub routes: Vec<Route>,
    /// GTIN-14 when the maker prints one (parsed once: always 14 digits with its check digit).
    pub gtin: Option<Gtin>,
    /// ISBT 128 Product Description Code (`αoooo`, e.g. `S1295`) when the maker labels
    /// vials with ISBT 128: a scan's product code (data structure 003) resolves to this
    /// product. Absent in versions recorded before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isbt_product_code: Option<String>,
    pub regime: LegalRegime,
    /// Disclosure: how the clinic obtains the product (入手経路).
    pub how_obtained: Option<String>,
    /// Disclosure: the physician imports the product personally (医師等の個人輸入); the
    /// disclosure then says so and points to the MHLW page the guideline names.
    #[serde(default)]
    pub personal_import: bool,
    /// Disclosure: whether an approved equivalent exists in Japan.
    pub approved_equivalent: Option<ApprovedEquivalent>,
    /// Disclosure: safety information from other countries.
    pub foreign_safety_info: Option<String>,
    pub spec: Specification,
}

/// Whether a product is made from human cells or tissue (what the
/// blood-donation notice is about, regulatory.md §8), decided from its
/// sources: every named source (adipose tissue, umbilical cord, cord blood,
/// dental pulp, deciduous dental pulp, bone marrow, placenta) is human
/// tissue, whatever the product kind, so an approved human placenta
/// injection (kind `other`) counts; a conditioned medium or exosome
/// preparation is made from cultured cells, so with an unnamed (`other`) or
/// no source it is still taken as human-derived (a missed notice is the
/// worse mistake); any other product without a named source is not.
/// `ProductFacts` records no species: a named source is taken as human.
pub fn human_derived(kind: ProductKind, sources: &[CellSource]) -> bool {
    sources.iter().any(|s| *s != CellSource::Other) || kind != ProductKind::Other
}

impl ProductFacts {
    /// [`human_derived`] from this product's kind and sources.
    pub fn human_derived(&self) -> bool {
        human_derived(self.kind, &self.sources)
    }

    /// Checks every rule a product must meet; returns all problems found.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut check = |r: Result<(), FieldError>| {
            if let Err(e) = r {
                errs.push(e);
            }
        };
        check(validate_code(&self.code));
        check(required_name(&self.name, "name", 100).map(|_| ()));
        check(required_name(&self.manufacturer, "manufacturer", 200).map(|_| ()));
        if self.kind != ProductKind::Other && self.sources.is_empty() {
            check(Err(FieldError::new("sources", "product_source_required")));
        }
        if self.country.len() != 2 || !self.country.chars().all(|c| c.is_ascii_uppercase()) {
            check(Err(FieldError::new("country", "country_invalid")));
        }
        if self.storage_min > self.storage_max {
            check(Err(FieldError::new(
                "storage_max",
                "storage_range_inverted",
            )));
        }
        if self.routes.is_empty() {
            check(Err(FieldError::new("routes", "product_route_required")));
        }
        if self.in_use_minutes == 0 || self.in_use_minutes > 7 * 24 * 60 {
            check(Err(FieldError::new(
                "in_use_minutes",
                "in_use_minutes_invalid",
            )));
        }
        if self.excursion_tolerance_minutes > 24 * 60 {
            check(Err(FieldError::new(
                "excursion_tolerance_minutes",
                "excursion_tolerance_invalid",
            )));
        }
        if let Some(c) = &self.isbt_product_code
            && !is_isbt_product_description_code(c)
        {
            check(Err(FieldError::new(
                "isbt_product_code",
                "isbt_product_code_invalid",
            )));
        }
        if self.spec.tests.is_empty() && self.regime != LegalRegime::ApprovedDrug {
            check(Err(FieldError::new("spec", "spec_empty")));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

/// An ISBT 128 Product Description Code: a capital letter and four digits (`S1295`).
pub fn is_isbt_product_description_code(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// A product code: 2–32 characters of ASCII letters, digits, `-`, `_`, `.`.
pub fn validate_code(code: &str) -> Result<(), FieldError> {
    let n = code.chars().count();
    if code.trim().is_empty() {
        return Err(FieldError::new("code", "field_required"));
    }
    if !(2..=32).contains(&n)
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(FieldError::new("code", "product_code_invalid"));
    }
    Ok(())
}
