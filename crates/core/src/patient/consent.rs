//! Informed consent: versioned templates per product kind and route that
//! must hold every item Japanese guidance requires (regulatory.md §2.4,
//! §2.2, §7, §8), the exact document a patient is shown (with the
//! unapproved-product disclosure of each product involved) and its hash,
//! drawn signatures, withdrawal, and the same-day rule (treating on the day
//! of the first explanation needs a physician's written reason).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LocalText;
use crate::code_enum;
use crate::error::FieldError;
use crate::locale::Locale;
use crate::supply::disclosure;
use crate::supply::product::{ProductFacts, ProductKind, Route};

code_enum! {
    /// An item a consent document must contain.
    pub enum ConsentItem {
        /// What the treatment is (and that it is 自由診療, not insured).
        TreatmentDescription => "treatment_description",
        /// The fee and what it covers (回数・範囲, whether insurance applies).
        FeeAndCoverage => "fee_and_coverage",
        /// Number of sessions and the period.
        SessionsAndPeriod => "sessions_and_period",
        /// Cancellation terms (解約条件).
        CancellationTerms => "cancellation_terms",
        /// Results vary between individuals (個人差).
        IndividualVariation => "individual_variation",
        /// The main risks and side effects (domain.md §5.6).
        RisksAndSideEffects => "risks_and_side_effects",
        /// The unapproved-product disclosure (each product's is appended).
        UnapprovedProductDisclosure => "unapproved_product_disclosure",
        /// The blood-donation notice (the clinic's configured text).
        BloodDonationNotice => "blood_donation_notice",
        /// Consent to the handling of health data (要配慮個人情報).
        HealthDataConsent => "health_data_consent",
    }
}

impl ConsentItem {
    /// The heading printed above the item.
    pub fn heading(self) -> LocalText {
        let (ja, en) = match self {
            ConsentItem::TreatmentDescription => ("治療の内容", "The treatment"),
            ConsentItem::FeeAndCoverage => ("費用とその範囲", "Fee and what it covers"),
            ConsentItem::SessionsAndPeriod => ("回数と期間", "Number of sessions and period"),
            ConsentItem::CancellationTerms => ("解約条件", "Cancellation terms"),
            ConsentItem::IndividualVariation => {
                ("効果の個人差", "Results vary between individuals")
            }
            ConsentItem::RisksAndSideEffects => {
                ("主なリスク・副作用", "Main risks and side effects")
            }
            ConsentItem::UnapprovedProductDisclosure => {
                ("未承認医薬品等について", "Unapproved products")
            }
            ConsentItem::BloodDonationNotice => ("献血について", "Blood donation"),
            ConsentItem::HealthDataConsent => (
                "個人情報（要配慮個人情報）の取扱いへの同意",
                "Consent to the handling of your health information",
            ),
        };
        LocalText::new(ja, en)
    }
}

/// One item's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub item: ConsentItem,
    pub text: LocalText,
}

/// One version of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateBody {
    pub title: LocalText,
    pub product_kind: ProductKind,
    pub route: Route,
    /// Every [`ConsentItem`], once, in the order printed.
    pub sections: Vec<Section>,
}

impl TemplateBody {
    /// SHA-256 (hex) of the version's content, stored with it.
    pub fn sha256(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }
}

/// A template as sent (strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawTemplate {
    pub title_ja: String,
    pub title_en: String,
    /// conditioned_medium, exosome_preparation
    pub product_kind: String,
    /// iv_drip, knee_joint_injection, skin_injection, nasal, inhalation, topical_device
    pub route: String,
    pub sections: Vec<RawSection>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawSection {
    /// A consent item code.
    pub item: String,
    pub text_ja: String,
    pub text_en: String,
}

/// Longest text of one item, in characters.
pub const SECTION_MAX: usize = 8000;

impl RawTemplate {
    /// Parses a template; a template missing a required item is refused
    /// with `consent_item_missing` naming the item as the field. Text that
    /// claims a treatment works is refused (`consent_efficacy_claim`).
    pub fn parse(&self) -> Result<TemplateBody, Vec<FieldError>> {
        let mut errs = Vec::new();
        let title_ja = crate::text::required_name(&self.title_ja, "title_ja", 200)
            .map_err(|e| errs.push(e))
            .ok();
        let title_en = crate::text::required_name(&self.title_en, "title_en", 200)
            .map_err(|e| errs.push(e))
            .ok();
        let product_kind = ProductKind::parse(&self.product_kind)
            .filter(|k| *k != ProductKind::Other)
            .or_else(|| {
                errs.push(FieldError::new("product_kind", "code_unknown"));
                None
            });
        let route = Route::parse(&self.route).or_else(|| {
            errs.push(FieldError::new("route", "code_unknown"));
            None
        });
        let mut sections: Vec<Section> = Vec::new();
        for s in &self.sections {
            let Some(item) = ConsentItem::parse(&s.item) else {
                errs.push(FieldError::new("sections", "consent_item_unknown"));
                continue;
            };
            let field = item.as_str();
            if sections.iter().any(|x| x.item == item) {
                errs.push(FieldError::new(field, "consent_item_duplicate"));
                continue;
            }
            let ja = super::optional_text(Some(&s.text_ja), field, SECTION_MAX);
            let en = super::optional_text(Some(&s.text_en), field, SECTION_MAX);
            match (ja, en) {
                (Ok(Some(ja)), Ok(Some(en))) => {
                    let claims: Vec<_> = disclosure::efficacy_words(&ja)
                        .into_iter()
                        .chain(disclosure::efficacy_words(&en))
                        .collect();
                    if !claims.is_empty() {
                        errs.push(FieldError::new(field, "consent_efficacy_claim"));
                    }
                    sections.push(Section {
                        item,
                        text: LocalText { ja, en },
                    });
                }
                (Err(e), _) | (_, Err(e)) => errs.push(e),
                _ => errs.push(FieldError::new(field, "consent_item_text_missing")),
            }
        }
        for item in ConsentItem::ALL {
            let present = sections.iter().any(|s| s.item == *item)
                || errs.iter().any(|e| e.field == item.as_str());
            if !present {
                errs.push(FieldError::new(item.as_str(), "consent_item_missing"));
            }
        }
        match (title_ja, title_en, product_kind, route, errs.is_empty()) {
            (Some(ja), Some(en), Some(product_kind), Some(route), true) => Ok(TemplateBody {
                title: LocalText { ja, en },
                product_kind,
                route,
                sections,
            }),
            _ => Err(errs),
        }
    }
}

/// The exact document shown to a patient, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub locale: Locale,
    pub text: String,
    /// SHA-256 (hex) of `text` as UTF-8.
    pub sha256: String,
}

/// Renders the document of template `code` version `version` for the
/// products involved, in `locale`. Each product must be of the template's
/// kind and have its route, and its unapproved-product disclosure must be
/// complete (nothing is invented: a missing fact refuses the document).
pub fn render_document(
    code: &str,
    version: i64,
    body: &TemplateBody,
    products: &[ProductFacts],
    locale: Locale,
) -> Result<Document, Vec<FieldError>> {
    let mut errs = Vec::new();
    if products.is_empty() {
        errs.push(FieldError::new("product_ids", "consent_products_required"));
    }
    let mut disclosures = Vec::new();
    for p in products {
        if p.kind != body.product_kind || !p.routes.contains(&body.route) {
            errs.push(FieldError::new("product_ids", "consent_product_mismatch"));
            continue;
        }
        let d = disclosure::render(p, locale);
        if !d.is_complete() {
            errs.push(FieldError::new(
                "product_ids",
                "consent_disclosure_incomplete",
            ));
            continue;
        }
        let name = match (locale, &p.name_en) {
            (Locale::En, Some(en)) => en.clone(),
            _ => p.name.clone(),
        };
        if d.applies {
            disclosures.push(format!("【{name}】\n{}", d.to_text()));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut text = format!("{}\n({code} v{version})\n", body.title.get(locale));
    for s in &body.sections {
        text.push_str(&format!(
            "\n■ {}\n{}\n",
            s.item.heading().get(locale),
            s.text.get(locale)
        ));
        if s.item == ConsentItem::UnapprovedProductDisclosure {
            for d in &disclosures {
                text.push_str(&format!("\n{d}\n"));
            }
        }
    }
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    Ok(Document {
        locale,
        text,
        sha256,
    })
}

/// A drawn signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// SVG path data (`d` attribute) on a 600 × 200 canvas.
    SvgPath(String),
    /// A PNG image.
    Png(Vec<u8>),
}

/// Longest SVG path data accepted.
pub const SVG_PATH_MAX: usize = 200_000;
/// Largest PNG accepted.
pub const PNG_MAX: usize = 512 * 1024;

impl Signature {
    /// Exactly one of SVG path data or a base64 PNG (a `data:image/png;base64,`
    /// prefix is accepted).
    pub fn parse(svg_path: Option<&str>, png_base64: Option<&str>) -> Result<Self, FieldError> {
        let svg = svg_path.map(str::trim).filter(|s| !s.is_empty());
        let png = png_base64.map(str::trim).filter(|s| !s.is_empty());
        let invalid = || FieldError::new("signature", "signature_invalid");
        match (svg, png) {
            (None, None) => Err(FieldError::new("signature", "signature_required")),
            (Some(_), Some(_)) => Err(FieldError::new("signature", "signature_ambiguous")),
            (Some(d), None) => {
                let ok_chars = d.chars().all(|c| {
                    c.is_ascii_digit()
                        || matches!(c, ' ' | ',' | '.' | '-' | '\n' | 'e' | 'E')
                        || "MmLlHhVvCcSsQqTtAaZz".contains(c)
                });
                let numbers = d
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                    .filter(|s| s.chars().any(|c| c.is_ascii_digit()))
                    .count();
                if d.len() > SVG_PATH_MAX || !ok_chars || !d.starts_with(['M', 'm']) || numbers < 4
                {
                    return Err(invalid());
                }
                Ok(Signature::SvgPath(d.to_string()))
            }
            (None, Some(b)) => {
                let b = b.strip_prefix("data:image/png;base64,").unwrap_or(b);
                let bytes = base64_decode(b).ok_or_else(invalid)?;
                if bytes.len() > PNG_MAX || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
                    return Err(invalid());
                }
                Ok(Signature::Png(bytes))
            }
        }
    }

    /// `svg` or `png`.
    pub fn kind(&self) -> &'static str {
        match self {
            Signature::SvgPath(_) => "svg",
            Signature::Png(_) => "png",
        }
    }

    /// The stored bytes (the path data as UTF-8, or the PNG).
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Signature::SvgPath(d) => d.as_bytes().to_vec(),
            Signature::Png(b) => b.clone(),
        }
    }

    /// Rebuilds a signature from its stored kind and bytes.
    pub fn from_stored(kind: &str, bytes: Vec<u8>) -> Option<Self> {
        match kind {
            "svg" => String::from_utf8(bytes).ok().map(Signature::SvgPath),
            "png" => Some(Signature::Png(bytes)),
            _ => None,
        }
    }

    /// A displayable file: (content type, bytes). SVG path data is wrapped
    /// in a standalone SVG document (the path data holds only commands and
    /// numbers, so it cannot carry markup).
    pub fn to_file(&self) -> (&'static str, Vec<u8>) {
        match self {
            Signature::SvgPath(d) => (
                "image/svg+xml",
                format!(
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 600 200\" width=\"600\" height=\"200\"><path d=\"{d}\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>"
                )
                .into_bytes(),
            ),
            Signature::Png(b) => ("image/png", b.clone()),
        }
    }
}

/// Standard base64 (RFC 4648 §4), padding optional, whitespace ignored.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xFF).ok()?);
        }
    }
    // Leftover bits must be zero padding of the last byte (fewer than 6).
    if bits >= 6 || padding > 2 || (acc & ((1 << bits) - 1)) != 0 {
        return None;
    }
    Some(out)
}

code_enum! {
    /// Where a signed consent stands.
    pub enum ConsentState {
        Signed => "signed",
        /// Withdrawn by the patient: kept, never deleted.
        Withdrawn => "withdrawn",
    }
}

/// Whether a consent in `state` may be withdrawn with `reason`.
pub fn may_withdraw(state: ConsentState, reason: &str) -> Result<String, Vec<FieldError>> {
    let mut errs = Vec::new();
    if state == ConsentState::Withdrawn {
        errs.push(FieldError::new("consent", "consent_already_withdrawn"));
    }
    let reason = match super::required_text(reason, "reason", 2000) {
        Ok(r) => Some(r),
        Err(e) => {
            errs.push(if e.code == "field_required" {
                FieldError::new("reason", "reason_required")
            } else {
                e
            });
            None
        }
    };
    match reason {
        Some(r) if errs.is_empty() => Ok(r),
        _ => Err(errs),
    }
}

/// The calendar date of `t` in the clinic's time zone (Asia/Tokyo when the
/// zone is unknown).
pub fn local_date(t: Timestamp, time_zone: &str) -> Date {
    t.in_tz(time_zone)
        .or_else(|_| t.in_tz("Asia/Tokyo"))
        .map(|z| z.date())
        .unwrap_or_else(|_| t.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// Whether treating on `treatment_on` is treating on the day of the first
/// explanation (即日施術), in the clinic's calendar.
pub fn is_same_day(first_explained_at: Timestamp, treatment_on: Date, time_zone: &str) -> bool {
    local_date(first_explained_at, time_zone) == treatment_on
}

/// What a treatment on a date needs from a consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFacts {
    pub state: ConsentState,
    pub first_explained_at: Timestamp,
    /// The physician's written medical-necessity reason for same-day treatment.
    pub same_day_reason: Option<String>,
}

/// Whether a consent allows treatment on `on`: not withdrawn, and not on
/// the day of the first explanation unless a physician recorded why it was
/// medically necessary.
pub fn treatment_allowed(c: &ConsentFacts, on: Date, time_zone: &str) -> Result<(), &'static str> {
    if c.state == ConsentState::Withdrawn {
        return Err("consent_withdrawn");
    }
    if is_same_day(c.first_explained_at, on, time_zone)
        && c.same_day_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        return Err("consent_same_day_unjustified");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::supply::product::{ApprovedEquivalent, CellSource, DonorInfo, Factor, LegalRegime};
    use crate::supply::qc::Specification;
    use crate::supply::units::{DeciCelsius, Microlitres};
    use proptest::prelude::*;

    pub(crate) fn raw_template() -> RawTemplate {
        RawTemplate {
            title_ja: "幹細胞培養上清液 点滴 説明書・同意書".into(),
            title_en: "Conditioned medium IV drip: information and consent".into(),
            product_kind: "conditioned_medium".into(),
            route: "iv_drip".into(),
            sections: ConsentItem::ALL
                .iter()
                .map(|i| RawSection {
                    item: i.as_str().into(),
                    text_ja: format!("{}の説明。", i.heading().ja),
                    text_en: format!("About {}.", i.heading().en),
                })
                .collect(),
        }
    }

    fn product() -> ProductFacts {
        ProductFacts {
            code: "DP-CM-10".into(),
            name: "歯髄幹細胞培養上清液 10mL".into(),
            name_en: Some("Dental pulp CM 10 mL".into()),
            kind: ProductKind::ConditionedMedium,
            sources: vec![CellSource::DentalPulp],
            manufacturer: "テスト細胞加工".into(),
            facility: Some("東京CPC".into()),
            licence_no: Some("FA0000".into()),
            country: "JP".into(),
            donor_info: DonorInfo::DocumentedDomestic,
            factors: vec![Factor::Egf],
            vial_volume: Microlitres(10_000),
            storage_min: DeciCelsius(-850),
            storage_max: DeciCelsius(-600),
            in_use_minutes: 120,
            excursion_tolerance_minutes: 30,
            routes: vec![Route::IvDrip],
            gtin: None,
            isbt_product_code: None,
            personal_import: false,
            regime: LegalRegime::Unapproved,
            how_obtained: Some("国内の細胞培養加工施設から購入".into()),
            approved_equivalent: Some(ApprovedEquivalent::None { note: None }),
            foreign_safety_info: Some("海外での承認はない。".into()),
            spec: Specification::seed_default(),
        }
    }

    #[test]
    fn a_complete_template_parses() {
        let t = raw_template().parse().unwrap();
        assert_eq!(t.sections.len(), ConsentItem::ALL.len());
        assert_eq!(t.route, Route::IvDrip);
        assert_eq!(t.sha256().len(), 64);
        assert_eq!(t.sha256(), raw_template().parse().unwrap().sha256());
    }

    /// Each required item, when missing, refuses the template and is named.
    #[test]
    fn a_template_missing_an_item_is_refused_naming_it() {
        for item in ConsentItem::ALL {
            let mut raw = raw_template();
            raw.sections.retain(|s| s.item != item.as_str());
            let errs = raw.parse().unwrap_err();
            assert_eq!(
                errs,
                vec![FieldError::new(item.as_str(), "consent_item_missing")]
            );
        }
        let mut raw = raw_template();
        raw.sections[0].text_en = " ".into();
        raw.sections[1].item = "free_gift".into();
        raw.sections.push(raw.sections[2].clone());
        raw.sections[3].text_ja = "必ず効果があります。".into();
        raw.route = "oral".into();
        let errs = raw.parse().unwrap_err();
        assert_eq!(
            errs.iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
            vec![
                ("route", "code_unknown"),
                ("treatment_description", "consent_item_text_missing"),
                ("sections", "consent_item_unknown"),
                ("cancellation_terms", "consent_efficacy_claim"),
                ("sessions_and_period", "consent_item_duplicate"),
                ("fee_and_coverage", "consent_item_missing"),
            ]
        );
    }

    #[test]
    fn the_document_holds_each_products_disclosure_and_its_hash() {
        let t = raw_template().parse().unwrap();
        let d = render_document("CM-IV", 2, &t, &[product()], Locale::Ja).unwrap();
        assert!(
            d.text
                .starts_with("幹細胞培養上清液 点滴 説明書・同意書\n(CM-IV v2)\n")
        );
        assert!(d.text.contains("【歯髄幹細胞培養上清液 10mL】"));
        assert!(d.text.contains("医薬品副作用被害救済制度"));
        assert_eq!(d.sha256, hex::encode(Sha256::digest(d.text.as_bytes())));
        let en = render_document("CM-IV", 2, &t, &[product()], Locale::En).unwrap();
        assert!(en.text.contains("■ Blood donation"));
        assert_ne!(en.sha256, d.sha256);

        let mut incomplete = product();
        incomplete.how_obtained = None;
        let mut nasal_only = product();
        nasal_only.routes = vec![Route::Nasal];
        let errs =
            render_document("CM-IV", 2, &t, &[incomplete, nasal_only], Locale::Ja).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.code).collect::<Vec<_>>(),
            vec!["consent_disclosure_incomplete", "consent_product_mismatch"]
        );
        assert_eq!(
            render_document("CM-IV", 2, &t, &[], Locale::Ja).unwrap_err()[0].code,
            "consent_products_required"
        );
    }

    #[test]
    fn signatures() {
        let s = Signature::parse(Some("M10 10 L 20 20 L30 15"), None).unwrap();
        assert_eq!(s.kind(), "svg");
        assert!(
            String::from_utf8(s.to_file().1)
                .unwrap()
                .contains("d=\"M10 10 L 20 20 L30 15\"")
        );
        let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==";
        assert_eq!(Signature::parse(None, Some(png)).unwrap().kind(), "png");
        let code = |a: Option<&str>, b: Option<&str>| Signature::parse(a, b).map_err(|e| e.code);
        assert_eq!(code(None, Some(" ")), Err("signature_required"));
        assert_eq!(
            code(Some("M1 1 L2 2"), Some(png)),
            Err("signature_ambiguous")
        );
        assert_eq!(
            code(Some("M1 1\"/><script>"), None),
            Err("signature_invalid")
        );
        assert_eq!(code(Some("M1 1"), None), Err("signature_invalid"));
        assert_eq!(code(None, Some("aGVsbG8=")), Err("signature_invalid"));
        assert_eq!(code(None, Some("!!")), Err("signature_invalid"));
        let stored = Signature::from_stored("svg", s.bytes());
        assert_eq!(stored, Some(s));
    }

    #[test]
    fn withdrawal_is_once_with_a_reason() {
        assert_eq!(
            may_withdraw(ConsentState::Signed, " 気が変わった "),
            Ok("気が変わった".into())
        );
        let e = may_withdraw(ConsentState::Withdrawn, "").unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.code).collect::<Vec<_>>(),
            vec!["consent_already_withdrawn", "reason_required"]
        );
    }

    #[test]
    fn same_day_treatment_needs_a_written_reason() {
        // 23:30 UTC on the 21st is 08:30 on the 22nd in Tokyo.
        let explained: Timestamp = "2026-11-21T23:30:00Z".parse().unwrap();
        let tz = "Asia/Tokyo";
        assert!(is_same_day(explained, jiff::civil::date(2026, 11, 22), tz));
        assert!(!is_same_day(explained, jiff::civil::date(2026, 11, 21), tz));
        let mut c = ConsentFacts {
            state: ConsentState::Signed,
            first_explained_at: explained,
            same_day_reason: None,
        };
        let today = jiff::civil::date(2026, 11, 22);
        assert_eq!(
            treatment_allowed(&c, today, tz),
            Err("consent_same_day_unjustified")
        );
        assert_eq!(
            treatment_allowed(&c, jiff::civil::date(2026, 11, 23), tz),
            Ok(())
        );
        c.same_day_reason = Some("遠方から来院し再来院が困難なため".into());
        assert_eq!(treatment_allowed(&c, today, tz), Ok(()));
        c.state = ConsentState::Withdrawn;
        assert_eq!(
            treatment_allowed(&c, jiff::civil::date(2026, 11, 23), tz),
            Err("consent_withdrawn")
        );
    }

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    s.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    s.push('=');
                }
            }
        }
        s
    }

    proptest! {
        /// base64 decoding inverts encoding, with or without padding.
        #[test]
        fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let e = b64(&bytes);
            prop_assert_eq!(base64_decode(&e), Some(bytes.clone()));
            prop_assert_eq!(base64_decode(e.trim_end_matches('=')), Some(bytes));
        }

        /// Withdrawal is final: once withdrawn, no sequence withdraws again or
        /// makes treatment allowed.
        #[test]
        fn withdrawal_is_final(steps in prop::collection::vec(any::<bool>(), 0..20)) {
            let mut state = ConsentState::Signed;
            let explained: Timestamp = "2026-11-01T01:00:00Z".parse().unwrap();
            for with_reason in steps {
                let before = state;
                match may_withdraw(state, if with_reason { "理由" } else { "" }) {
                    Ok(_) => { prop_assert_eq!(before, ConsentState::Signed); state = ConsentState::Withdrawn; }
                    Err(_) => prop_assert!(before == ConsentState::Withdrawn || !with_reason),
                }
                let c = ConsentFacts { state, first_explained_at: explained, same_day_reason: None };
                let allowed = treatment_allowed(&c, jiff::civil::date(2026, 11, 20), "Asia/Tokyo").is_ok();
                prop_assert_eq!(allowed, state == ConsentState::Signed);
            }
        }

        /// Any SVG path data accepted is only commands and numbers.
        #[test]
        fn accepted_svg_paths_carry_no_markup(d in "[Mm][ -~]{0,60}") {
            if let Ok(Signature::SvgPath(p)) = Signature::parse(Some(&d), None) {
                prop_assert!(!p.contains(['<', '>', '"', '\'', '&']));
            }
        }
    }
}
