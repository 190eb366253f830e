//! Products: list, form, record, revision.

use super::*;

pub struct ProductRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub regime: String,
    pub version: i64,
    pub gtin: String,
}

#[derive(Template)]
#[template(path = "supply/products.html")]
pub(crate) struct ProductsPage<'a> {
    l: Layout<'a>,
    products: Vec<ProductRow>,
    can_write: bool,
}

pub(crate) async fn products_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let l = Layout::new(&state, &ctx, "sui-products-title", "/supply/products");
    let products = state
        .store
        .products(p.clinic.id)
        .await?
        .iter()
        .map(|x| ProductRow {
            id: x.id,
            code: x.facts.code.clone(),
            name: product_label(&l, x),
            kind: l.t(&format!("kind-{}", x.facts.kind.as_str())),
            regime: l.t(&format!("regime-{}", x.facts.regime.as_str())),
            version: x.version,
            gtin: x
                .facts
                .gtin
                .as_ref()
                .map(|g| g.to_string())
                .unwrap_or_default(),
        })
        .collect();
    render(&ProductsPage {
        l,
        products,
        can_write: p.can(Permission::SupplyWrite),
    })
}

/// The product form (new and revise).
#[derive(Template)]
#[template(path = "supply/product_form.html")]
pub(crate) struct ProductFormPage<'a> {
    l: Layout<'a>,
    /// `None` for a new product.
    revise_of: Option<Uuid>,
    action: String,
    vals: BTreeMap<&'static str, String>,
    reason: String,
    kinds: Vec<Choice>,
    sources: Vec<Choice>,
    factors: Vec<Choice>,
    routes: Vec<Choice>,
    donors: Vec<Choice>,
    regimes: Vec<Choice>,
    spec_tests: Vec<Choice>,
    equivalents: Vec<Choice>,
    errs: Problems,
}

impl ProductFormPage<'_> {
    pub fn v(&self, key: &str) -> &str {
        self.vals.get(key).map(String::as_str).unwrap_or("")
    }
}

/// Form keys that may repeat (checkbox lists).
pub(crate) const PRODUCT_LISTS: [&str; 4] = ["sources", "factors", "routes", "spec_tests"];
/// Form keys that are not part of the product.
pub(crate) const PRODUCT_EXTRA: [&str; 2] = ["csrf", "reason"];

/// The product typed in the form; unknown keys are refused like the API does.
pub(crate) fn product_in(form: &Pairs) -> Result<ProductIn, ApiError> {
    let mut map = serde_json::Map::new();
    for key in PRODUCT_LISTS {
        map.insert(key.to_string(), serde_json::Value::from(form.all(key)));
    }
    for (k, v) in &form.0 {
        if PRODUCT_LISTS.contains(&k.as_str()) || PRODUCT_EXTRA.contains(&k.as_str()) {
            continue;
        }
        map.entry(k.clone())
            .or_insert_with(|| serde_json::Value::from(v.clone()));
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"))
}

pub(crate) fn product_form_page<'a>(
    l: Layout<'a>,
    revise_of: Option<Uuid>,
    input: &ProductIn,
    reason: String,
    errs: Problems,
) -> ProductFormPage<'a> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut vals = BTreeMap::new();
    for (k, v) in [
        ("code", input.code.clone()),
        ("name", input.name.clone()),
        ("name_en", o(&input.name_en)),
        ("manufacturer", input.manufacturer.clone()),
        ("facility", o(&input.facility)),
        ("licence_no", o(&input.licence_no)),
        ("country", input.country.clone()),
        ("vial_volume_ml", input.vial_volume_ml.clone()),
        ("storage_min_c", input.storage_min_c.clone()),
        ("storage_max_c", input.storage_max_c.clone()),
        ("in_use_minutes", input.in_use_minutes.clone()),
        (
            "excursion_tolerance_minutes",
            input.excursion_tolerance_minutes.clone(),
        ),
        ("gtin", o(&input.gtin)),
        ("isbt_product_code", o(&input.isbt_product_code)),
        ("how_obtained", o(&input.how_obtained)),
        (
            "personal_import",
            match o(&input.personal_import).as_str() {
                "true" | "on" | "1" => "true".to_string(),
                _ => String::new(),
            },
        ),
        (
            "approved_equivalent_name",
            o(&input.approved_equivalent_name),
        ),
        ("foreign_safety_info", o(&input.foreign_safety_info)),
        ("endotoxin_limit", o(&input.endotoxin_limit)),
    ] {
        vals.insert(k, v);
    }
    let one = |v: &str| vec![v.to_string()];
    let equivalent = o(&input.approved_equivalent);
    let equivalents = ["", "none", "exists"]
        .iter()
        .map(|v| Choice {
            value: v.to_string(),
            label: l.t(&format!(
                "sui-equivalent-{}",
                if v.is_empty() { "unknown" } else { v }
            )),
            checked: equivalent == *v,
        })
        .collect();
    ProductFormPage {
        action: match revise_of {
            Some(id) => format!("/supply/products/{id}/revise"),
            None => "/supply/products".into(),
        },
        kinds: choices(
            &l,
            ProductKind::ALL,
            ProductKind::as_str,
            "kind",
            &one(&input.kind),
        ),
        sources: choices(
            &l,
            CellSource::ALL,
            CellSource::as_str,
            "source",
            &input.sources,
        ),
        factors: Factor::ALL
            .iter()
            .map(|f| Choice {
                value: f.as_str().into(),
                label: f.label().into(),
                checked: input.factors.iter().any(|x| x == f.as_str()),
            })
            .collect(),
        routes: choices(&l, Route::ALL, Route::as_str, "route", &input.routes),
        donors: choices(
            &l,
            DonorInfo::ALL,
            DonorInfo::as_str,
            "donor",
            &one(&input.donor_info),
        ),
        regimes: choices(
            &l,
            LegalRegime::ALL,
            LegalRegime::as_str,
            "regime",
            &one(&input.regime),
        ),
        spec_tests: choices(&l, QcTest::ALL, QcTest::as_str, "qc", &input.spec_tests),
        equivalents,
        vals,
        reason,
        revise_of,
        errs,
        l,
    }
}

/// A new product's form starts with the seeds' specification and common values.
pub(crate) fn new_product_defaults() -> ProductIn {
    ProductIn {
        kind: ProductKind::ConditionedMedium.as_str().into(),
        country: "JP".into(),
        donor_info: DonorInfo::DocumentedDomestic.as_str().into(),
        regime: LegalRegime::Unapproved.as_str().into(),
        excursion_tolerance_minutes: "0".into(),
        endotoxin_limit: Some("0.5".into()),
        spec_tests: Specification::seed_default()
            .tests
            .iter()
            .map(|r| r.test.as_str().to_string())
            .collect(),
        ..ProductIn::default()
    }
}

pub(crate) async fn product_new(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let l = Layout::new(&state, &ctx, "sui-product-new", "/supply/products/new");
    render(&product_form_page(
        l,
        None,
        &new_product_defaults(),
        String::new(),
        Problems::default(),
    ))
}

pub(crate) async fn product_create(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let form = Pairs::parse(&body);
    let input = product_in(&form)?;
    match ops::create_product(&state, &p, &input).await {
        Ok(prod) => {
            Ok(Redirect::to(&format!("/supply/products/{}?done=created", prod.id)).into_response())
        }
        Err(e)
            if crate::error::status_of(e.kind).is_client_error()
                && crate::error::status_of(e.kind) != StatusCode::FORBIDDEN =>
        {
            let l = Layout::new(&state, &ctx, "sui-product-new", "/supply/products/new");
            let errs = Problems::from_error(&state.i18n, ctx.locale, &ApiError::from(e.clone()));
            render_status(
                crate::error::status_of(e.kind),
                &product_form_page(l, None, &input, String::new(), errs),
            )
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

pub(crate) async fn product_revise_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let prod = state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let l = Layout::new(&state, &ctx, "sui-product-revise", "/supply/products");
    render(&product_form_page(
        l,
        Some(id),
        &ProductIn::from_facts(&prod.facts),
        String::new(),
        Problems::default(),
    ))
}

pub(crate) async fn product_revise(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let form = Pairs::parse(&body);
    let input = product_in(&form)?;
    let reason = form.get("reason");
    match ops::revise_product(&state, &p, id, &input, &reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/supply/products/{id}?done=revised")).into_response()),
        Err(e)
            if crate::error::status_of(e.kind).is_client_error()
                && crate::error::status_of(e.kind) != StatusCode::FORBIDDEN
                && crate::error::status_of(e.kind) != StatusCode::NOT_FOUND =>
        {
            let l = Layout::new(&state, &ctx, "sui-product-revise", "/supply/products");
            let errs = Problems::from_error(&state.i18n, ctx.locale, &ApiError::from(e.clone()));
            render_status(
                crate::error::status_of(e.kind),
                &product_form_page(l, Some(id), &input, reason, errs),
            )
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

/// A labelled fact of a product.
pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct VersionRow {
    pub version: i64,
    pub at: String,
    pub author: String,
    pub reason: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "supply/product.html")]
pub(crate) struct ProductPage<'a> {
    l: Layout<'a>,
    product: Product,
    heading: String,
    facts: Vec<Fact>,
    spec: Vec<Fact>,
    versions: Vec<VersionRow>,
    lots: Vec<LotRow>,
    can_write: bool,
}

pub(crate) fn criterion_text(l: &Layout<'_>, c: &Criterion) -> String {
    match c {
        Criterion::Negative => l.t("sui-negative"),
        Criterion::Positive => l.t("sui-positive"),
        Criterion::AtMost { limit, unit } => format!("≤ {limit} {unit}"),
        Criterion::AtLeast { limit, unit } => format!("≥ {limit} {unit}"),
    }
}

pub(crate) fn outcome_text(l: &Layout<'_>, o: &Outcome) -> String {
    match o {
        Outcome::Negative => l.t("sui-negative"),
        Outcome::Positive => l.t("sui-positive"),
        Outcome::Value { value, unit } => format!("{value} {unit}"),
    }
}

pub(crate) fn product_facts(
    l: &Layout<'_>,
    f: &jousei_core::supply::product::ProductFacts,
) -> Vec<Fact> {
    let none = || l.t("sui-not-recorded");
    let list = |v: Vec<String>| if v.is_empty() { none() } else { v.join("、") };
    let fact = |key: &str, value: String| Fact {
        label: l.t(key),
        value,
    };
    vec![
        fact("field-code", f.code.clone()),
        fact("field-name", f.name.clone()),
        fact("field-name_en", f.name_en.clone().unwrap_or_else(none)),
        fact("field-kind", l.t(&format!("kind-{}", f.kind.as_str()))),
        fact(
            "field-sources",
            list(
                f.sources
                    .iter()
                    .map(|s| l.t(&format!("source-{}", s.as_str())))
                    .collect(),
            ),
        ),
        fact("field-manufacturer", f.manufacturer.clone()),
        fact("field-facility", f.facility.clone().unwrap_or_else(none)),
        fact(
            "field-licence_no",
            f.licence_no.clone().unwrap_or_else(none),
        ),
        fact("field-country", f.country.clone()),
        fact(
            "field-donor_info",
            l.t(&format!("donor-{}", f.donor_info.as_str())),
        ),
        fact(
            "field-factors",
            list(f.factors.iter().map(|x| x.label().to_string()).collect()),
        ),
        fact(
            "field-vial_volume_ml",
            format!(
                "{} mL",
                jousei_core::supply::units::fmt_fixed(f.vial_volume.0, 3)
            ),
        ),
        fact(
            "sui-storage-range",
            format!("{} 〜 {}", temp(f.storage_min), temp(f.storage_max)),
        ),
        fact("field-in_use_minutes", f.in_use_minutes.to_string()),
        fact(
            "field-excursion_tolerance_minutes",
            f.excursion_tolerance_minutes.to_string(),
        ),
        fact(
            "field-routes",
            list(
                f.routes
                    .iter()
                    .map(|r| l.t(&format!("route-{}", r.as_str())))
                    .collect(),
            ),
        ),
        fact(
            "field-gtin",
            f.gtin.as_ref().map(|g| g.to_string()).unwrap_or_else(none),
        ),
        fact(
            "field-regime",
            l.t(&format!("regime-{}", f.regime.as_str())),
        ),
        fact(
            "field-isbt_product_code",
            f.isbt_product_code.clone().unwrap_or_else(none),
        ),
        fact(
            "field-how_obtained",
            f.how_obtained.clone().unwrap_or_else(none),
        ),
        fact(
            "field-personal_import",
            l.t(if f.personal_import {
                "common-yes"
            } else {
                "common-no"
            }),
        ),
        fact(
            "field-approved_equivalent",
            match &f.approved_equivalent {
                None => none(),
                Some(jousei_core::supply::product::ApprovedEquivalent::None { note }) => match note
                {
                    Some(n) => format!("{} ({n})", l.t("sui-equivalent-none")),
                    None => l.t("sui-equivalent-none"),
                },
                Some(jousei_core::supply::product::ApprovedEquivalent::Exists { name }) => {
                    format!("{}: {name}", l.t("sui-equivalent-exists"))
                }
            },
        ),
        fact(
            "field-foreign_safety_info",
            f.foreign_safety_info.clone().unwrap_or_else(none),
        ),
    ]
}

pub(crate) async fn product_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let product = state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut l = Layout::new(&state, &ctx, "sui-product-title", "/supply/products");
    l.flash = done_flash(&l, q.done.as_deref());
    let zone = p.clinic.time_zone.clone();
    let users: BTreeMap<Uuid, String> = state
        .store
        .users_in_clinic(p.clinic.id)
        .await?
        .into_iter()
        .map(|(u, _)| (u.id, format!("{} ({})", u.display_name, u.login)))
        .collect();
    let versions = state
        .store
        .product_versions(p.clinic.id, id)
        .await?
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            at: local_time(v.created_at.0, &zone),
            author: v
                .author_id
                .and_then(|a| users.get(&a).cloned())
                .unwrap_or_default(),
            reason: v.reason.clone().unwrap_or_else(|| l.t("sui-version-first")),
            summary: format!(
                "{} · {}",
                v.facts.name,
                l.t(&format!("regime-{}", v.facts.regime.as_str()))
            ),
        })
        .collect();
    let now = ops::clinic_now(&p);
    let lots = state
        .store
        .lots(p.clinic.id)
        .await?
        .iter()
        .filter(|x| x.product_id == id)
        .map(|x| lot_row(&l, x, now, &zone))
        .collect();
    let spec = product
        .facts
        .spec
        .tests
        .iter()
        .map(|r| Fact {
            label: l.t(&format!("qc-{}", r.test.as_str())),
            value: criterion_text(&l, &r.criterion),
        })
        .collect();
    let page = ProductPage {
        heading: product_label(&l, &product),
        facts: product_facts(&l, &product.facts),
        spec,
        versions,
        lots,
        product,
        can_write: p.can(Permission::SupplyWrite),
        l,
    };
    render(&page)
}
