//! Treatment plans: the clinic's catalogue of indications (with the routes
//! used for each, and the reasons a source may suit it, each with its source
//! and evidence level), and a patient's plan (indication, route, products
//! with their shares for a blend, dose, injection sites, protocol snapshot,
//! start date, notes, off-label reason). Pure: the caller supplies the
//! products and the indication it knows of.
//!
//! - [`parse_indication`] checks a catalogue entry, listing every problem.
//! - [`parse_plan`] checks a plan against its indication and products,
//!   listing every problem; it also returns warnings (a route the
//!   indication does not list) that do not refuse the plan.
//! - [`PlanFacts::fingerprint`]: the SHA-256 a physician's approval seals.
//! - [`appointment`]: the status machine of an appointment and overlaps.
//! - [`ics`]: iCalendar (RFC 5545) export.

pub mod appointment;
pub mod ics;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::calendar::Protocol;
use crate::code_enum;
use crate::error::FieldError;
use crate::supply::disclosure::efficacy_words;
use crate::supply::product::Route;
use crate::supply::units::Microlitres;
use crate::text::required_name;

code_enum! {
    /// How strong the support for a rationale is. None of them is a promise.
    pub enum EvidenceLevel {
        /// What the clinic or the maker says, without a study.
        ClinicClaim => "clinic_claim",
        /// Cell or animal studies.
        Preclinical => "preclinical",
        /// A study in people (not necessarily controlled).
        ClinicalStudy => "clinical_study",
    }
}

/// Why a source may suit an indication (e.g. BDNF for neurological use),
/// with where it comes from and how strong it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rationale {
    pub text_ja: String,
    pub text_en: String,
    /// A citation or a URL.
    pub source: String,
    pub evidence: EvidenceLevel,
}

/// One entry of the clinic's catalogue of indications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicationFacts {
    /// Short code, unique per clinic (e.g. `skin`, `knee_oa`).
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// The routes used for it (at least one).
    pub routes: Vec<Route>,
    pub rationales: Vec<Rationale>,
    /// Whether new plans may name it (an indication is never deleted).
    pub active: bool,
}

/// A rationale as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawRationale {
    pub text_ja: String,
    pub text_en: String,
    pub source: String,
    pub evidence: String,
}

/// An indication as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawIndication {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub routes: Vec<String>,
    pub rationales: Vec<RawRationale>,
    pub active: bool,
}

impl Default for RawIndication {
    fn default() -> Self {
        RawIndication {
            code: String::new(),
            name_ja: String::new(),
            name_en: String::new(),
            routes: Vec::new(),
            rationales: Vec::new(),
            active: true,
        }
    }
}

fn keep<T>(errs: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errs.push(e);
            None
        }
    }
}

/// A code: 2–32 lower-case ASCII letters, digits, `_` or `-`.
fn indication_code(raw: &str, field: &'static str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "field_required"));
    }
    let n = s.chars().count();
    if !(2..=32).contains(&n)
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(FieldError::new(field, "indication_code_invalid"));
    }
    Ok(s.to_string())
}

fn routes(raw: &[String], errs: &mut Vec<FieldError>) -> Vec<Route> {
    let mut out = Vec::new();
    for r in raw {
        match Route::parse(r) {
            Some(route) if !out.contains(&route) => out.push(route),
            Some(_) => {}
            None => errs.push(FieldError::new("routes", "indication_route_invalid")),
        }
    }
    if raw.is_empty() {
        errs.push(FieldError::new("routes", "indication_route_required"));
    }
    out
}

/// Checks a catalogue entry; every problem at once. A rationale needs its
/// text in both languages, a source and an evidence level, and must not
/// read as a promise (`rationale_efficacy_claim`).
pub fn parse_indication(raw: &RawIndication) -> Result<IndicationFacts, Vec<FieldError>> {
    let mut errs = Vec::new();
    let code = keep(&mut errs, indication_code(&raw.code, "code"));
    let name_ja = keep(&mut errs, required_name(&raw.name_ja, "name_ja", 100));
    let name_en = keep(&mut errs, required_name(&raw.name_en, "name_en", 100));
    let routes = routes(&raw.routes, &mut errs);
    let mut rationales = Vec::new();
    for r in &raw.rationales {
        let text_ja = r.text_ja.trim();
        let text_en = r.text_en.trim();
        if text_ja.is_empty() || text_en.is_empty() {
            errs.push(FieldError::new("rationales", "rationale_text_required"));
        }
        if text_ja.chars().count() > 2000 || text_en.chars().count() > 2000 {
            errs.push(FieldError::new("rationales", "field_too_long"));
        }
        if !efficacy_words(text_ja).is_empty() || !efficacy_words(text_en).is_empty() {
            errs.push(FieldError::new("rationales", "rationale_efficacy_claim"));
        }
        if r.source.trim().is_empty() {
            errs.push(FieldError::new("rationales", "rationale_source_required"));
        }
        let evidence = EvidenceLevel::parse(&r.evidence);
        if evidence.is_none() {
            errs.push(FieldError::new("rationales", "rationale_evidence_invalid"));
        }
        if let Some(evidence) = evidence {
            rationales.push(Rationale {
                text_ja: text_ja.to_string(),
                text_en: text_en.to_string(),
                source: r.source.trim().to_string(),
                evidence,
            });
        }
    }
    match (code, name_ja, name_en) {
        (Some(code), Some(name_ja), Some(name_en)) if errs.is_empty() => Ok(IndicationFacts {
            code,
            name_ja,
            name_en,
            routes,
            rationales,
            active: raw.active,
        }),
        _ => Err(errs),
    }
}

/// The amount given per session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
pub enum Dose {
    /// A volume (`{"unit": "ml", "microlitres": 5000}`).
    Ml { microlitres: Microlitres },
    /// Whole vials.
    Vials { vials: u32 },
}

impl std::fmt::Display for Dose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dose::Ml { microlitres } => write!(f, "{microlitres}"),
            Dose::Vials { vials } => write!(f, "{vials} vial(s)"),
        }
    }
}

/// Where a skin or knee injection goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectionSites {
    pub count: u32,
    /// e.g. 前額, 頬, 右膝.
    pub areas: Vec<String>,
}

/// One product of a plan and its share of the dose (100 for a single
/// product; the shares of a blend add up to 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub product_id: Uuid,
    /// The product's code and name when the plan was written (for reading).
    pub product_code: String,
    pub product_name: String,
    pub share_percent: u8,
}

/// Which protocol template a plan's protocol was copied from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolRef {
    pub id: Uuid,
    pub version: i64,
}

/// Everything one version of a plan says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacts {
    pub indication_code: String,
    pub route: Route,
    pub components: Vec<Component>,
    pub dose: Dose,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sites: Option<InjectionSites>,
    /// Topical anaesthesia before a skin injection.
    pub topical_anaesthesia: bool,
    /// The template the protocol was copied from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_ref: Option<ProtocolRef>,
    /// The protocol itself (a snapshot: editing the template does not
    /// change a plan).
    pub protocol: Protocol,
    pub start_date: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Why a product is used by a route it is not labelled for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_label_reason: Option<String>,
}

impl PlanFacts {
    /// SHA-256 (hex) of the canonical JSON of these facts: what a
    /// physician's approval seals.
    pub fn fingerprint(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// A component as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawComponent {
    pub product_id: String,
    pub share_percent: String,
}

/// A plan as typed (the protocol comes already read: from a template or
/// given whole).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawPlan {
    pub indication_code: String,
    pub route: String,
    pub components: Vec<RawComponent>,
    /// A number: millilitres (up to 3 decimals) or whole vials.
    pub dose: String,
    /// `ml` or `vials`.
    pub dose_unit: String,
    pub site_count: Option<String>,
    pub site_areas: Vec<String>,
    pub topical_anaesthesia: bool,
    pub start_date: String,
    pub notes: Option<String>,
    pub off_label_reason: Option<String>,
}

/// What the plan's checks need to know about a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// The routes on its label.
    pub routes: Vec<Route>,
}

code_enum! {
    /// Something to know about a plan that does not refuse it.
    pub enum PlanWarning {
        /// The indication does not list the plan's route.
        RouteNotForIndication => "plan_route_not_for_indication",
        /// A product is used off-label (with the recorded reason).
        OffLabel => "plan_off_label",
    }
}

/// A checked plan and its warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPlan {
    pub facts: PlanFacts,
    pub warnings: Vec<PlanWarning>,
}

fn optional_text(
    raw: &Option<String>,
    field: &'static str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> Option<String> {
    let s = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > max {
        errs.push(FieldError::new(field, "field_too_long"));
    }
    Some(s.to_string())
}

/// Whether an approval given to version `approved_version` of a plan
/// approves the plan as it stands at `current_version`. A physician approves
/// one version: any revision (a new version) needs a new approval before the
/// plan may be given. The one home of "is this plan approved".
pub fn approval_covers(approved_version: i64, current_version: i64) -> bool {
    approved_version == current_version
}

/// Routes that inject into the skin or a joint: they need sites.
pub fn route_needs_sites(route: Route) -> bool {
    matches!(route, Route::SkinInjection | Route::KneeJointInjection)
}

/// Checks a plan, listing every problem:
/// `plan_indication_unknown`, `plan_indication_inactive`, `plan_route_invalid`,
/// `plan_components_required`, `plan_product_unknown`,
/// `plan_component_duplicate`, `plan_share_invalid`,
/// `plan_share_total_invalid` (the shares must add up to 100),
/// `plan_route_not_labelled` (a product whose label does not include the
/// route, unless an off-label reason is given), `plan_dose_invalid`,
/// `plan_dose_unit_invalid`, `plan_sites_required` /
/// `plan_sites_unexpected` (skin and knee injections only),
/// `plan_anaesthesia_unexpected` (skin injections only), `date_invalid`,
/// `field_too_long`, and every problem of the protocol (field `protocol`).
pub fn parse_plan(
    raw: &RawPlan,
    protocol: &Protocol,
    protocol_ref: Option<ProtocolRef>,
    indication: Option<&IndicationFacts>,
    products: &[ProductInfo],
) -> Result<CheckedPlan, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut warnings = Vec::new();
    match indication {
        None => errs.push(FieldError::new(
            "indication_code",
            "plan_indication_unknown",
        )),
        Some(i) if !i.active => errs.push(FieldError::new(
            "indication_code",
            "plan_indication_inactive",
        )),
        Some(_) => {}
    }
    let route = Route::parse(&raw.route);
    if route.is_none() {
        errs.push(FieldError::new("route", "plan_route_invalid"));
    }
    if let (Some(route), Some(i)) = (route, indication)
        && !i.routes.contains(&route)
    {
        warnings.push(PlanWarning::RouteNotForIndication);
    }
    let off_label_reason =
        optional_text(&raw.off_label_reason, "off_label_reason", 2000, &mut errs);

    // Components.
    let mut components: Vec<Component> = Vec::new();
    let mut total: u32 = 0;
    let mut shares_ok = true;
    if raw.components.is_empty() {
        errs.push(FieldError::new("components", "plan_components_required"));
    }
    let mut off_label = false;
    for c in &raw.components {
        let product = Uuid::parse_str(c.product_id.trim())
            .ok()
            .and_then(|id| products.iter().find(|p| p.id == id));
        let share = c
            .share_percent
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|s| (1..=100).contains(s));
        if share.is_none() {
            errs.push(FieldError::new("components", "plan_share_invalid"));
            shares_ok = false;
        }
        let Some(product) = product else {
            errs.push(FieldError::new("components", "plan_product_unknown"));
            continue;
        };
        if components.iter().any(|k| k.product_id == product.id) {
            errs.push(FieldError::new("components", "plan_component_duplicate"));
            continue;
        }
        if let Some(route) = route
            && !product.routes.contains(&route)
        {
            if off_label_reason.is_some() {
                off_label = true;
            } else {
                errs.push(FieldError::new("components", "plan_route_not_labelled"));
            }
        }
        if let Some(share) = share {
            total += u32::from(share);
            components.push(Component {
                product_id: product.id,
                product_code: product.code.clone(),
                product_name: product.name.clone(),
                share_percent: share,
            });
        }
    }
    if shares_ok && !raw.components.is_empty() && total != 100 {
        errs.push(FieldError::new("components", "plan_share_total_invalid"));
    }
    if off_label {
        warnings.push(PlanWarning::OffLabel);
    }

    // Dose.
    let dose = match raw.dose_unit.trim() {
        "ml" | "mL" => keep(
            &mut errs,
            Microlitres::parse_ml(&raw.dose, "dose")
                .map_err(|_| FieldError::new("dose", "plan_dose_invalid")),
        )
        .map(|microlitres| Dose::Ml { microlitres }),
        "vials" => match raw.dose.trim().parse::<u32>() {
            Ok(v) if (1..=100).contains(&v) => Some(Dose::Vials { vials: v }),
            _ => {
                errs.push(FieldError::new("dose", "plan_dose_invalid"));
                None
            }
        },
        _ => {
            errs.push(FieldError::new("dose_unit", "plan_dose_unit_invalid"));
            None
        }
    };

    // Sites and anaesthesia.
    let areas: Vec<String> = raw
        .site_areas
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let count = raw
        .site_count
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let sites = match (route, count) {
        (Some(r), Some(n)) if route_needs_sites(r) => match n.parse::<u32>() {
            Ok(n) if (1..=200).contains(&n) => Some(InjectionSites { count: n, areas }),
            _ => {
                errs.push(FieldError::new("site_count", "plan_sites_required"));
                None
            }
        },
        (Some(r), None) if route_needs_sites(r) => {
            errs.push(FieldError::new("site_count", "plan_sites_required"));
            None
        }
        (Some(_), Some(_)) => {
            errs.push(FieldError::new("site_count", "plan_sites_unexpected"));
            None
        }
        _ => None,
    };
    if raw.topical_anaesthesia && route.is_some_and(|r| r != Route::SkinInjection) {
        errs.push(FieldError::new(
            "topical_anaesthesia",
            "plan_anaesthesia_unexpected",
        ));
    }

    let start_date = match raw.start_date.trim().parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(FieldError::new("start_date", "date_invalid"));
            None
        }
    };
    let notes = optional_text(&raw.notes, "notes", 4000, &mut errs);
    if let Err(problems) = protocol.validate() {
        for p in problems {
            errs.push(FieldError::new("protocol", p.code.as_str()));
        }
    }

    match (route, dose, start_date, indication) {
        (Some(route), Some(dose), Some(start_date), Some(i)) if errs.is_empty() => {
            Ok(CheckedPlan {
                facts: PlanFacts {
                    indication_code: i.code.clone(),
                    route,
                    components,
                    dose,
                    sites,
                    topical_anaesthesia: raw.topical_anaesthesia,
                    protocol_ref,
                    protocol: protocol.clone(),
                    start_date,
                    notes,
                    off_label_reason,
                },
                warnings,
            })
        }
        _ => Err(errs),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
