use super::*;

fn skin() -> IndicationFacts {
    parse_indication(&RawIndication {
        code: "skin".into(),
        name_ja: "肌質・しわ".into(),
        name_en: "Skin texture and wrinkles".into(),
        routes: vec!["skin_injection".into(), "iv_drip".into()],
        rationales: vec![RawRationale {
            text_ja: "EGF は表皮細胞の増殖に関わる因子として報告されている".into(),
            text_en: "EGF is reported as a factor in epidermal cell growth".into(),
            source: "in vitro study (example)".into(),
            evidence: "preclinical".into(),
        }],
        active: true,
    })
    .unwrap()
}

fn product(n: u128, routes: &[Route]) -> ProductInfo {
    ProductInfo {
        id: Uuid::from_u128(n),
        code: format!("P{n}"),
        name: format!("product {n}"),
        routes: routes.to_vec(),
    }
}

fn blend() -> RawPlan {
    RawPlan {
        indication_code: "skin".into(),
        route: "iv_drip".into(),
        components: vec![
            RawComponent {
                product_id: Uuid::from_u128(1).to_string(),
                share_percent: "50".into(),
            },
            RawComponent {
                product_id: Uuid::from_u128(2).to_string(),
                share_percent: "50".into(),
            },
        ],
        dose: "10".into(),
        dose_unit: "ml".into(),
        start_date: "2026-04-06".into(),
        ..RawPlan::default()
    }
}

fn products() -> Vec<ProductInfo> {
    vec![
        product(1, &[Route::IvDrip, Route::Nasal]),
        product(2, &[Route::IvDrip, Route::SkinInjection]),
    ]
}

fn codes(e: &[FieldError]) -> Vec<(&str, &str)> {
    e.iter().map(|e| (e.field, e.code)).collect()
}

#[test]
fn a_blend_of_two_products_half_and_half() {
    let ok = parse_plan(
        &blend(),
        &Protocol::example(),
        None,
        Some(&skin()),
        &products(),
    )
    .unwrap();
    assert_eq!(ok.facts.components.len(), 2);
    assert_eq!(
        ok.facts.dose,
        Dose::Ml {
            microlitres: Microlitres(10_000)
        }
    );
    assert!(ok.warnings.is_empty());
    assert_eq!(ok.facts.fingerprint().len(), 64);
    let mut other = ok.facts.clone();
    other.notes = Some("x".into());
    assert_ne!(ok.facts.fingerprint(), other.fingerprint());
}

#[test]
fn every_problem_is_listed() {
    let mut raw = blend();
    raw.components[1].share_percent = "40".into();
    raw.dose = "0".into();
    raw.start_date = "2026-13-01".into();
    raw.site_count = Some("3".into());
    raw.topical_anaesthesia = true;
    let mut bad = Protocol::example();
    bad.name.clear();
    let e = parse_plan(&raw, &bad, None, Some(&skin()), &products()).unwrap_err();
    assert_eq!(
        codes(&e),
        [
            ("components", "plan_share_total_invalid"),
            ("dose", "plan_dose_invalid"),
            ("site_count", "plan_sites_unexpected"),
            ("topical_anaesthesia", "plan_anaesthesia_unexpected"),
            ("start_date", "date_invalid"),
            ("protocol", "protocol_name_required"),
        ]
    );
}

#[test]
fn an_unlabelled_route_needs_an_off_label_reason() {
    let mut raw = blend();
    raw.route = "nasal".into();
    let e = parse_plan(&raw, &Protocol::example(), None, Some(&skin()), &products()).unwrap_err();
    assert_eq!(codes(&e), [("components", "plan_route_not_labelled")]);
    raw.off_label_reason = Some("点鼻の使用経験に基づき医師判断".into());
    let ok = parse_plan(&raw, &Protocol::example(), None, Some(&skin()), &products()).unwrap();
    assert_eq!(
        ok.warnings,
        [PlanWarning::RouteNotForIndication, PlanWarning::OffLabel]
    );
}

#[test]
fn skin_injections_need_sites() {
    let mut raw = blend();
    raw.route = "skin_injection".into();
    raw.components = vec![RawComponent {
        product_id: Uuid::from_u128(2).to_string(),
        share_percent: "100".into(),
    }];
    let e = parse_plan(&raw, &Protocol::example(), None, Some(&skin()), &products()).unwrap_err();
    assert_eq!(codes(&e), [("site_count", "plan_sites_required")]);
    raw.site_count = Some("20".into());
    raw.site_areas = vec!["前額".into(), "頬".into()];
    raw.topical_anaesthesia = true;
    let ok = parse_plan(&raw, &Protocol::example(), None, Some(&skin()), &products()).unwrap();
    assert_eq!(ok.facts.sites.unwrap().count, 20);
}

#[test]
fn unknown_products_and_indications() {
    let mut raw = blend();
    raw.components[0].product_id = Uuid::from_u128(7).to_string();
    raw.components.push(RawComponent {
        product_id: Uuid::from_u128(2).to_string(),
        share_percent: "0".into(),
    });
    let e = parse_plan(&raw, &Protocol::example(), None, None, &products()).unwrap_err();
    assert_eq!(
        codes(&e),
        [
            ("indication_code", "plan_indication_unknown"),
            ("components", "plan_product_unknown"),
            ("components", "plan_share_invalid"),
            ("components", "plan_component_duplicate"),
        ]
    );
}

#[test]
fn indications_refuse_promises_and_list_every_problem() {
    let e = parse_indication(&RawIndication {
        code: "Knee OA".into(),
        name_ja: "".into(),
        name_en: "Knee".into(),
        routes: vec!["teleport".into()],
        rationales: vec![RawRationale {
            text_ja: "必ず治ります".into(),
            text_en: "it cures wrinkles".into(),
            source: "".into(),
            evidence: "anecdote".into(),
        }],
        active: true,
    })
    .unwrap_err();
    let c = codes(&e);
    assert!(c.contains(&("code", "indication_code_invalid")), "{c:?}");
    assert!(c.contains(&("name_ja", "field_required")));
    assert!(c.contains(&("routes", "indication_route_invalid")));
    assert!(c.contains(&("rationales", "rationale_efficacy_claim")));
    assert!(c.contains(&("rationales", "rationale_source_required")));
    assert!(c.contains(&("rationales", "rationale_evidence_invalid")));
    assert_eq!(skin().rationales[0].evidence, EvidenceLevel::Preclinical);
}

#[test]
fn an_approval_covers_only_the_version_it_was_given_to() {
    assert!(approval_covers(3, 3));
    assert!(!approval_covers(2, 3), "a revision needs a new approval");
    assert!(!approval_covers(4, 3));
}
