//! Consent templates, the document shown, signing, the signed consent
//! (text, signature, PDF), withdrawal and the same-day reason.

use super::*;

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SectionIn {
    /// treatment_description, fee_and_coverage, sessions_and_period,
    /// cancellation_terms, individual_variation, risks_and_side_effects,
    /// unapproved_product_disclosure, blood_donation_notice, health_data_consent
    pub item: String,
    pub text_ja: String,
    pub text_en: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateIn {
    /// Short code, unique in the clinic (e.g. CM-IV).
    pub code: String,
    pub title_ja: String,
    pub title_en: String,
    /// conditioned_medium, exosome_preparation
    pub product_kind: String,
    /// iv_drip, knee_joint_injection, skin_injection, nasal, inhalation, topical_device
    pub route: String,
    /// Every required item once.
    pub sections: Vec<SectionIn>,
}

impl TemplateIn {
    fn raw(&self) -> RawTemplate {
        RawTemplate {
            title_ja: self.title_ja.clone(),
            title_en: self.title_en.clone(),
            product_kind: self.product_kind.clone(),
            route: self.route.clone(),
            sections: self
                .sections
                .iter()
                .map(|s| RawSection {
                    item: s.item.clone(),
                    text_ja: s.text_ja.clone(),
                    text_en: s.text_en.clone(),
                })
                .collect(),
        }
    }
}

pub async fn create_template(
    svc: &Service,
    p: &Principal,
    input: &TemplateIn,
) -> Result<ConsentTemplate, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let mut errs = Vec::new();
    if let Err(e) = jousei_core::supply::product::validate_code(input.code.trim()) {
        errs.push(e);
    }
    let body = input.raw().parse().map_err(|e| errs.extend(e)).ok();
    let (Some(body), true) = (body, errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    Ok(svc
        .store
        .create_consent_template(&p.actor(), p.clinic.id, input.code.trim(), &body)
        .await?)
}

pub async fn revise_template(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &TemplateIn,
    reason: &str,
) -> Result<ConsentTemplate, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let mut errs = Vec::new();
    let body = input.raw().parse().map_err(|e| errs.extend(e)).ok();
    if reason.trim().is_empty() {
        errs.push(FieldError::new("reason", "reason_required"));
    }
    let (Some(body), true) = (body, errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    Ok(svc
        .store
        .revise_consent_template(&p.actor(), p.clinic.id, id, &body, reason.trim())
        .await?)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentIn {
    pub template_id: Option<Uuid>,
    /// The products to be given (each one's disclosure is included).
    pub product_ids: Vec<Uuid>,
    /// ja or en (default ja)
    pub locale: Option<String>,
}

/// The exact document to show, with the template version it comes from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentOut {
    pub template_id: Uuid,
    pub template_version: i64,
    pub template_sha256: String,
    /// ja or en
    pub locale: String,
    pub text: String,
    /// SHA-256 of `text`; send it back when signing.
    pub sha256: String,
}

async fn document(
    svc: &Service,
    p: &Principal,
    template_id: Option<Uuid>,
    product_ids: &[Uuid],
    locale: Option<&str>,
    errs: &mut Vec<FieldError>,
) -> Result<Option<(ConsentTemplate, Document)>, ServiceError> {
    let locale = match locale.map(str::trim).filter(|l| !l.is_empty()) {
        None => Some(Locale::Ja),
        Some(l) => Locale::parse(l).filter(|x| x.as_str() == l).or_else(|| {
            errs.push(FieldError::new("locale", "locale_invalid"));
            None
        }),
    };
    let template = match template_id {
        None => {
            errs.push(FieldError::new("template_id", "field_required"));
            None
        }
        Some(id) => {
            let t = svc.store.consent_template(p.clinic.id, id, None).await?;
            if t.is_none() {
                errs.push(FieldError::new("template_id", "consent_template_not_found"));
            }
            t
        }
    };
    let mut products = Vec::new();
    for id in product_ids {
        match svc.store.product(p.clinic.id, *id).await? {
            Some(x) => products.push(x.facts),
            None => errs.push(FieldError::new("product_ids", "product_not_found")),
        }
    }
    let (Some(t), Some(locale)) = (template, locale) else {
        return Ok(None);
    };
    if !errs.is_empty() {
        return Ok(None);
    }
    match consent::render_document(&t.code, t.version, &t.body, &products, locale) {
        Ok(d) => Ok(Some((t, d))),
        Err(e) => {
            errs.extend(e);
            Ok(None)
        }
    }
}

/// Whether the patient's latest screening is current and a physician's
/// decision on it permits treatment: consent follows that decision.
pub async fn decision_permits_consent(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<bool, ServiceError> {
    let latest = latest_fingerprint(svc, p.clinic.id, patient_id).await?;
    Ok(svc
        .store
        .screenings(p.clinic.id, patient_id)
        .await?
        .into_iter()
        .next()
        .is_some_and(|s| screening_view(s, &latest, svc.now()).permits_treatment))
}

/// Refuses (409 `consent_screening_required`) before anything is shown or
/// checked when no decision permits treatment, so no patient is asked to
/// sign a consent that would be refused.
async fn require_decision(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<(), ServiceError> {
    if decision_permits_consent(svc, p, patient_id).await? {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorKind::Conflict,
            "consent_screening_required",
        ))
    }
}

/// Renders the document a patient is about to be shown.
pub async fn preview(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    input: &DocumentIn,
) -> Result<DocumentOut, ServiceError> {
    p.require(Permission::ConsentRecord)?;
    ensure_patient(svc, p, patient_id).await?;
    require_decision(svc, p, patient_id).await?;
    let mut errs = Vec::new();
    let d = document(
        svc,
        p,
        input.template_id,
        &input.product_ids,
        input.locale.as_deref(),
        &mut errs,
    )
    .await?;
    let Some((t, d)) = d else {
        return Err(ServiceError::fields(errs));
    };
    Ok(DocumentOut {
        template_id: t.id,
        template_version: t.version,
        template_sha256: t.sha256,
        locale: d.locale.as_str().into(),
        text: d.text,
        sha256: d.sha256,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SignIn {
    pub template_id: Option<Uuid>,
    /// The version shown (from the document).
    pub template_version: i64,
    pub product_ids: Vec<Uuid>,
    /// ja or en (default ja)
    pub locale: Option<String>,
    /// The `sha256` of the document shown.
    pub text_sha256: String,
    /// The drawn signature as SVG path data (600 × 200 canvas) …
    pub signature_svg_path: Option<String>,
    /// … or as a base64 PNG.
    pub signature_png_base64: Option<String>,
    /// Login of the physician who explained.
    pub explained_by: String,
    pub witness_name: Option<String>,
    /// When the explanation was given (RFC 3339; default now).
    pub explained_at: Option<String>,
    /// The planned first treatment date (YYYY-MM-DD), to check the same-day rule.
    pub treatment_date: Option<String>,
    /// A physician's medical-necessity reason for treating on the day of the
    /// first explanation.
    pub same_day_reason: Option<String>,
}

/// A consent with what it allows today.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    #[serde(flatten)]
    pub consent: Consent,
    /// Today is the day of the first explanation (即日).
    pub same_day_today: bool,
    /// Why a treatment today would be refused (consent_withdrawn,
    /// consent_same_day_unjustified), or null.
    pub treatment_today_refused: Option<String>,
}

fn consent_view(p: &Principal, c: Consent) -> ConsentView {
    let today = clinic_today(p);
    let tz = p.clinic.time_zone.as_str();
    let facts = ConsentFacts {
        state: c.state,
        first_explained_at: c.first_explained_at.0,
        same_day_reason: c.same_day_reason.clone(),
    };
    ConsentView {
        same_day_today: consent::is_same_day(c.first_explained_at.0, today, tz),
        treatment_today_refused: consent::treatment_allowed(&facts, today, tz)
            .err()
            .map(str::to_string),
        consent: c,
    }
}

/// Records a signed consent after checking what was shown is what the
/// template and products give now.
pub async fn sign(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    input: &SignIn,
) -> Result<ConsentView, ServiceError> {
    p.require(Permission::ConsentRecord)?;
    ensure_patient(svc, p, patient_id).await?;
    require_decision(svc, p, patient_id).await?;
    let mut errs = Vec::new();
    let now = svc.now();
    let signature = Signature::parse(
        input.signature_svg_path.as_deref(),
        input.signature_png_base64.as_deref(),
    )
    .map_err(|e| errs.push(e))
    .ok();
    let explainer = input.explained_by.trim().to_ascii_lowercase();
    let explained_by = if explainer.is_empty() {
        errs.push(FieldError::new("explained_by", "field_required"));
        None
    } else {
        let staff = svc.store.users_in_clinic(p.clinic.id).await?;
        let found = staff
            .into_iter()
            .find(|(u, r)| u.login == explainer && *r == Role::Physician && u.active);
        if found.is_none() {
            errs.push(FieldError::new(
                "explained_by",
                "consent_explainer_not_physician",
            ));
        }
        found.map(|(u, _)| u.id)
    };
    let witness_name =
        jousei_core::patient::optional_text(input.witness_name.as_deref(), "witness_name", 100)
            .map_err(|e| errs.push(e))
            .ok()
            .flatten();
    let explained_at = match input.explained_at.as_deref().map(str::trim) {
        None | Some("") => Some(now),
        Some(s) => match s.parse::<Timestamp>() {
            Ok(t) if t <= now + jiff::SignedDuration::from_mins(5) => Some(t),
            Ok(_) => {
                errs.push(FieldError::new(
                    "explained_at",
                    "consent_explained_at_future",
                ));
                None
            }
            Err(_) => {
                errs.push(FieldError::new("explained_at", "timestamp_invalid"));
                None
            }
        },
    };
    let treatment_date = match input.treatment_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => s
            .parse::<jiff::civil::Date>()
            .map_err(|_| errs.push(FieldError::new("treatment_date", "date_invalid")))
            .ok(),
    };
    let same_day_reason = jousei_core::patient::optional_text(
        input.same_day_reason.as_deref(),
        "same_day_reason",
        2000,
    )
    .map_err(|e| errs.push(e))
    .ok()
    .flatten();
    if same_day_reason.is_some() && !p.can(Permission::ScreeningDecide) {
        errs.push(FieldError::new(
            "same_day_reason",
            "consent_same_day_reason_physician_only",
        ));
    }
    let doc = document(
        svc,
        p,
        input.template_id,
        &input.product_ids,
        input.locale.as_deref(),
        &mut errs,
    )
    .await?;
    let first = match (input.template_id, explained_at) {
        (Some(t), Some(at)) => {
            let earlier = svc
                .store
                .first_explanation(p.clinic.id, patient_id, t)
                .await?;
            Some(earlier.map_or(at, |e| e.0.min(at)))
        }
        _ => None,
    };
    if let (Some(first), Some(on)) = (first, treatment_date)
        && consent::is_same_day(first, on, &p.clinic.time_zone)
        && same_day_reason.is_none()
    {
        errs.push(FieldError::new(
            "same_day_reason",
            "consent_same_day_reason_required",
        ));
    }
    let (
        Some(signature),
        Some(explained_by),
        Some(explained_at),
        Some(first),
        Some((template, doc)),
        true,
    ) = (
        signature,
        explained_by,
        explained_at,
        first,
        doc,
        errs.is_empty(),
    )
    else {
        return Err(ServiceError::fields(errs));
    };
    if input.template_version != template.version {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "consent_template_outdated",
        ));
    }
    if input.text_sha256.trim() != doc.sha256 {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "consent_text_changed",
        ));
    }
    let c = svc
        .store
        .record_consent(
            &p.actor(),
            p.clinic.id,
            patient_id,
            &NewConsent {
                template_id: template.id,
                template_version: template.version,
                template_sha256: template.sha256,
                locale: doc.locale,
                product_ids: input.product_ids.clone(),
                text: doc.text,
                text_sha256: doc.sha256,
                signature,
                explained_by,
                witness_name,
                explained_at: Ts::from(explained_at),
                first_explained_at: Ts::from(first),
                signed_at: Ts::from(now),
                same_day_reason,
            },
        )
        .await?;
    let mut c = c;
    keep_pdf_after_signing(svc, p, &mut c).await;
    Ok(consent_view(p, c))
}

/// Consents, newest first, withdrawn ones included (part `consents`).
pub async fn consents(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Vec<ConsentView>, ServiceError> {
    p.require(Permission::PatientRead)?;
    ensure_patient(svc, p, patient_id).await?;
    let list = svc.store.consents(p.clinic.id, patient_id).await?;
    note_read(svc, p, patient_id, "consents").await?;
    Ok(list.into_iter().map(|c| consent_view(p, c)).collect())
}

async fn consent_of(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    id: Uuid,
) -> Result<Consent, ServiceError> {
    svc.store
        .consent(p.clinic.id, id)
        .await?
        .filter(|c| c.patient_id == patient_id)
        .ok_or_else(ServiceError::not_found)
}

/// The exact text the patient signed (part `consent_text`).
pub async fn consent_text(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    id: Uuid,
) -> Result<String, ServiceError> {
    p.require(Permission::PatientRead)?;
    consent_of(svc, p, patient_id, id).await?;
    let text = svc
        .store
        .consent_text(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    note_read(svc, p, patient_id, "consent_text").await?;
    Ok(text)
}

/// The drawn signature as a file (part `consent_signature`).
pub async fn consent_signature(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    id: Uuid,
) -> Result<(&'static str, Vec<u8>), ServiceError> {
    p.require(Permission::PatientRead)?;
    consent_of(svc, p, patient_id, id).await?;
    let sig = svc
        .store
        .consent_signature(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    note_read(svc, p, patient_id, "consent_signature").await?;
    Ok(sig.to_file())
}

/// The signed consent as a PDF (part `consent_pdf`). Rendered from the
/// stored record the first time it is asked for (right after signing) and
/// kept with its SHA-256; every later request returns the kept copy, so
/// what was handed to the patient can always be shown again byte for byte.
pub async fn consent_pdf(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    id: Uuid,
) -> Result<ConsentPdf, ServiceError> {
    p.require(Permission::PatientRead)?;
    let c = consent_of(svc, p, patient_id, id).await?;
    let pdf = match svc.store.consent_pdf(p.clinic.id, id).await? {
        Some(kept) => kept,
        None => {
            let bytes = render_consent_pdf(svc, p, &c).await?;
            svc.store
                .keep_consent_pdf(&p.actor(), p.clinic.id, id, &bytes)
                .await?
        }
    };
    note_read(svc, p, patient_id, "consent_pdf").await?;
    Ok(pdf)
}

/// Makes and keeps the PDF of a consent just signed, so its hash is on
/// record from the start. A failure here is logged, not returned: the
/// consent is recorded either way and the PDF is made on first request.
async fn keep_pdf_after_signing(svc: &Service, p: &Principal, c: &mut Consent) {
    let result = async {
        let bytes = render_consent_pdf(svc, p, c).await?;
        let kept = svc
            .store
            .keep_consent_pdf(&p.actor(), p.clinic.id, c.id, &bytes)
            .await?;
        Ok::<String, ServiceError>(kept.sha256)
    }
    .await;
    match result {
        Ok(sha256) => c.pdf_sha256 = Some(sha256),
        Err(e) => {
            tracing::error!(consent_id = %c.id, error = ?e, "consent PDF not kept after signing");
        }
    }
}

async fn render_consent_pdf(
    svc: &Service,
    p: &Principal,
    c: &Consent,
) -> Result<Vec<u8>, ServiceError> {
    let patient = svc
        .store
        .patient(p.clinic.id, c.patient_id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let text = svc
        .store
        .consent_text(p.clinic.id, c.id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let signature = svc.store.consent_signature(p.clinic.id, c.id).await?;
    let staff = svc.store.users_in_clinic(p.clinic.id).await?;
    let explainer = staff
        .iter()
        .find(|(u, _)| u.id == c.explained_by)
        .map_or_else(
            || c.explained_by_login.clone(),
            |(u, _)| format!("{} ({})", u.display_name, u.login),
        );
    let l = c.locale;
    let t = |k: &str| svc.texts.t(l, k);
    let zone = p.clinic.time_zone.as_str();
    let when = |at: Timestamp| format!("{} ({zone})", crate::time::local_time(at, zone));
    let f = &patient.facts;
    let mut name = f.name.clone();
    name.push_str(&format!(" / {}", f.kana.as_str()));
    if let Some(r) = &f.romaji {
        name.push_str(&format!(" / {r}"));
    }
    let mut rows = vec![
        (t("consent-pdf-patient"), name),
        (t("consent-pdf-number"), patient.number.clone()),
        (t("consent-pdf-birth-date"), f.birth_date.to_string()),
        (
            t("consent-pdf-template"),
            format!("{} v{}", c.template_code, c.template_version),
        ),
        (t("consent-pdf-explained-by"), explainer),
        (t("consent-pdf-explained-at"), when(c.explained_at.0)),
    ];
    if c.first_explained_at.0 != c.explained_at.0 {
        rows.push((
            t("consent-pdf-first-explained-at"),
            when(c.first_explained_at.0),
        ));
    }
    rows.push((
        t("consent-pdf-witness"),
        c.witness_name.clone().unwrap_or_else(|| "—".into()),
    ));
    rows.push((t("consent-pdf-signed-at"), when(c.signed_at.0)));
    let clinic = match (l, &p.clinic.name_en) {
        (Locale::En, Some(en)) => en.clone(),
        _ => p.clinic.name.clone(),
    };
    let doc = jousei_documents::ConsentDocument {
        lang: l.as_str().to_string(),
        title: text.lines().next().unwrap_or_default().to_string(),
        clinic,
        kind: t("consent-pdf-kind"),
        text,
        text_sha256: c.text_sha256.clone(),
        template_sha256: c.template_sha256.clone(),
        sign_heading: t("consent-pdf-sign-heading"),
        rows,
        signature_label: t("consent-pdf-signature"),
        signature: match signature {
            Some(Signature::SvgPath(d)) => jousei_documents::SignatureImage::SvgPath {
                d,
                width: 600,
                height: 200,
            },
            Some(Signature::Png(b)) => jousei_documents::SignatureImage::Png(b),
            None => jousei_documents::SignatureImage::None,
        },
        hash_label: t("consent-pdf-text-hash"),
        template_label: t("consent-pdf-template-hash"),
        footer: svc
            .texts
            .t_args(l, "consent-pdf-footer", &[("id", c.id.to_string())]),
        date: c.signed_at.0,
    };
    let pdf = tokio::task::spawn_blocking(move || jousei_documents::consent_pdf(&doc))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
    Ok(pdf.bytes)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReasonIn {
    pub reason: String,
}

/// Records the patient's withdrawal of a consent (kept, marked withdrawn).
pub async fn withdraw(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    id: Uuid,
    reason: &str,
) -> Result<ConsentView, ServiceError> {
    p.require(Permission::ConsentRecord)?;
    let c = consent_of(svc, p, patient_id, id).await?;
    let reason = consent::may_withdraw(c.state, reason).map_err(|errs| {
        if errs.iter().any(|e| e.code == "consent_already_withdrawn") {
            ServiceError::new(ErrorKind::Conflict, "consent_already_withdrawn")
        } else {
            ServiceError::fields(errs)
        }
    })?;
    let c = svc
        .store
        .withdraw_consent(&p.actor(), p.clinic.id, id, &reason)
        .await?;
    Ok(consent_view(p, c))
}

/// Records a physician's medical-necessity reason for treating on the day
/// of the first explanation.
pub async fn same_day_reason(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
    id: Uuid,
    reason: &str,
) -> Result<ConsentView, ServiceError> {
    p.require(Permission::ScreeningDecide)?;
    consent_of(svc, p, patient_id, id).await?;
    let reason = jousei_core::patient::required_text(reason, "reason", 2000).map_err(|e| {
        ServiceError::fields(vec![if e.code == "field_required" {
            FieldError::new("reason", "reason_required")
        } else {
            e
        }])
    })?;
    let c = svc
        .store
        .record_same_day_reason(&p.actor(), p.clinic.id, id, &reason)
        .await?;
    Ok(consent_view(p, c))
}
