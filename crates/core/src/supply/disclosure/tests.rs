//! Tests of the parent module, kept beside it so the module reads as one idea.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::supply::product::{Factor, Route};
use crate::supply::qc::Specification;
use crate::supply::units::{DeciCelsius, Microlitres};

const KEYS: [&str; 5] = [
    "unapproved_status",
    "how_obtained",
    "approved_equivalent",
    "foreign_safety_info",
    "relief_system",
];

fn complete() -> ProductFacts {
    ProductFacts {
        code: "DP-CM-10".into(),
        name: "歯髄幹細胞培養上清液 10%".into(),
        name_en: Some("Dental-pulp CM 10%".into()),
        kind: ProductKind::ConditionedMedium,
        sources: vec![CellSource::DentalPulp, CellSource::DeciduousDentalPulp],
        manufacturer: "株式会社サンプル細胞加工".into(),
        facility: Some("東京細胞加工センター".into()),
        licence_no: Some("FA3000001".into()),
        country: "JP".into(),
        donor_info: DonorInfo::DocumentedDomestic,
        factors: vec![Factor::Egf, Factor::Vegf],
        vial_volume: Microlitres(2000),
        storage_min: DeciCelsius(-850),
        storage_max: DeciCelsius(-700),
        in_use_minutes: 60,
        excursion_tolerance_minutes: 30,
        routes: vec![Route::IvDrip],
        gtin: None,
        isbt_product_code: None,
        personal_import: false,
        regime: LegalRegime::Unapproved,
        how_obtained: Some("国内の細胞培養加工施設から購入（委託製造）".into()),
        approved_equivalent: Some(ApprovedEquivalent::None {
            note: Some("承認された同種の製品は確認されていない".into()),
        }),
        foreign_safety_info: Some(
            "米国・欧州で承認された同一製品はなく、重大な副作用の報告は確認されていない".into(),
        ),
        spec: Specification::seed_default(),
    }
}

fn item<'a>(d: &'a Disclosure, key: &str) -> &'a DisclosureItem {
    d.items.iter().find(|i| i.key == key).unwrap()
}

fn fields(d: &Disclosure) -> Vec<&'static str> {
    d.missing.iter().map(|m| m.field).collect()
}

#[test]
fn complete_product_renders_five_items_in_both_languages() {
    let p = complete();
    let ja = render(&p, Locale::Ja);
    assert!(ja.applies && ja.is_complete(), "{:?}", ja.missing);
    assert_eq!(ja.items.iter().map(|i| i.key).collect::<Vec<_>>(), KEYS);
    assert_eq!(
        item(&ja, "unapproved_status").text,
        "歯髄幹細胞培養上清液 10%（幹細胞培養上清液、由来：歯髄幹細胞・乳歯歯髄幹細胞）は、\
         医薬品医療機器等法上の承認等を得ていない未承認医薬品等です。"
    );
    let how = &item(&ja, "how_obtained").text;
    for fact in [
        "入手経路：国内の細胞培養加工施設から購入（委託製造）",
        "製造者：株式会社サンプル細胞加工",
        "製造施設：東京細胞加工センター",
        "製造施設の許可番号等：FA3000001",
        "製造国：日本 (JP)",
        "ドナー情報：国内のドナー",
    ] {
        assert!(how.contains(fact), "{how}");
    }
    assert!(
        item(&ja, "approved_equivalent").text.starts_with(
            "同一の成分や性能を有する他の国内承認医薬品等はありません。\n承認された同種"
        )
    );
    assert_eq!(
        item(&ja, "foreign_safety_info").text,
        p.foreign_safety_info.clone().unwrap()
    );
    assert!(
        item(&ja, "relief_system")
            .text
            .contains("医薬品副作用被害救済制度等の救済の対象にはなりません")
    );
    assert_eq!(
        item(&ja, "relief_system").heading,
        "医薬品副作用被害救済制度の対象外であること"
    );

    let en = render(&p, Locale::En);
    assert!(en.applies && en.is_complete());
    assert_eq!(en.items.iter().map(|i| i.key).collect::<Vec<_>>(), KEYS);
    assert_eq!(
        item(&en, "unapproved_status").text,
        "Dental-pulp CM 10% (stem-cell conditioned medium; source: dental-pulp stem cells, \
         deciduous dental-pulp stem cells) is an unapproved product: it has not been approved \
         under the Pharmaceuticals and Medical Devices Act (PMD Act)."
    );
    assert!(
        item(&en, "how_obtained")
            .text
            .contains("Country of manufacture: Japan (JP)")
    );
    assert!(
        item(&en, "how_obtained")
            .text
            .contains("Manufacturing facility: 東京細胞加工センター")
    );
    assert!(
        item(&en, "relief_system")
            .text
            .starts_with("Dental-pulp CM 10% is not covered by the Relief System")
    );
    assert!(
        en.to_text()
            .starts_with("Unapproved product\nDental-pulp CM 10%")
    );
    assert_eq!(en.to_text().matches("\n\n").count(), 4);
}

#[test]
fn personal_import_says_so_and_points_to_the_mhlw_page() {
    let mut p = complete();
    p.how_obtained = Some("医師が海外の製造者から個人輸入".into());
    for locale in [Locale::Ja, Locale::En] {
        let d = render(&complete(), locale);
        assert!(
            item(&d, "how_obtained").links.is_empty(),
            "only for personal import"
        );
        assert!(!d.to_text().contains(MHLW_PERSONAL_IMPORT_URL));
    }
    p.personal_import = true;
    let ja = render(&p, Locale::Ja);
    let how = item(&ja, "how_obtained");
    assert!(
        how.text
            .contains("医師の個人輸入により入手した未承認医薬品等です。"),
        "{}",
        how.text
    );
    assert!(
        how.text
            .contains("『個人輸入において注意すべき医薬品等について』"),
        "{}",
        how.text
    );
    assert_eq!(
        how.links,
        vec![DisclosureLink {
            title: "個人輸入において注意すべき医薬品等について".into(),
            url: "https://www.yakubutsu.mhlw.go.jp/index.html",
        }]
    );
    // Printed on paper, the address is part of the text.
    assert!(
        ja.to_text()
            .contains("https://www.yakubutsu.mhlw.go.jp/index.html")
    );
    let en = render(&p, Locale::En);
    let how = item(&en, "how_obtained");
    assert!(
        how.text.contains("imported personally by the physician"),
        "{}",
        how.text
    );
    assert!(
        how.text
            .contains("https://www.yakubutsu.mhlw.go.jp/index.html"),
        "{}",
        how.text
    );
    assert_eq!(how.links.len(), 1);
    assert!(ja.is_complete() && en.is_complete());
}

#[test]
fn approved_equivalent_that_exists_is_named() {
    let mut p = complete();
    p.approved_equivalent = Some(ApprovedEquivalent::Exists {
        name: "ヒアルロン酸製剤X".into(),
    });
    let d = render(&p, Locale::Ja);
    assert_eq!(
        item(&d, "approved_equivalent").text,
        "同一の成分や性能を有する国内承認医薬品等があります：ヒアルロン酸製剤X"
    );
    p.approved_equivalent = Some(ApprovedEquivalent::Exists { name: "  ".into() });
    assert_eq!(fields(&render(&p, Locale::En)), ["approved_equivalent"]);
}

#[test]
fn each_missing_fact_is_listed_and_said_plainly() {
    type Blank = fn(&mut ProductFacts);
    let cases: [(&str, Blank, &str, &str, &str); 7] = [
        (
            "how_obtained",
            |p| p.how_obtained = None,
            "how_obtained",
            "未登録：入手経路",
            "Not recorded: How it is obtained",
        ),
        (
            "how_obtained",
            |p| p.how_obtained = Some("  ".into()),
            "how_obtained",
            "未登録：入手経路",
            "Not recorded: How it is obtained",
        ),
        (
            "facility",
            |p| p.facility = None,
            "how_obtained",
            "未登録：製造施設",
            "Not recorded: Manufacturing facility",
        ),
        (
            "licence_no",
            |p| p.licence_no = None,
            "how_obtained",
            "未登録：製造施設の許可番号等",
            "Not recorded: Facility licence",
        ),
        (
            "country",
            |p| p.country = String::new(),
            "how_obtained",
            "未登録：製造国",
            "Not recorded: Country of manufacture",
        ),
        (
            "approved_equivalent",
            |p| p.approved_equivalent = None,
            "approved_equivalent",
            "未登録：同一の成分や性能を有する国内承認医薬品等の有無",
            "Not recorded: whether a product with the same ingredients",
        ),
        (
            "foreign_safety_info",
            |p| p.foreign_safety_info = None,
            "foreign_safety_info",
            "未登録：諸外国における安全性等に係る情報",
            "Not recorded: safety information from other countries",
        ),
    ];
    for (field, blank, key, ja, en) in cases {
        let mut p = complete();
        blank(&mut p);
        for (locale, want) in [(Locale::Ja, ja), (Locale::En, en)] {
            let d = render(&p, locale);
            assert!(d.applies);
            assert_eq!(
                d.missing,
                vec![MissingFact {
                    field,
                    code: MISSING_CODE
                }],
                "{field}"
            );
            assert!(
                item(&d, key).text.contains(want),
                "{field}: {}",
                item(&d, key).text
            );
            assert_eq!(d.items.len(), 5);
        }
    }
}

#[test]
fn everything_missing_lists_every_fact_in_item_order() {
    let mut p = complete();
    p.how_obtained = None;
    p.facility = None;
    p.licence_no = None;
    p.approved_equivalent = None;
    p.foreign_safety_info = None;
    p.manufacturer = " ".into();
    let d = render(&p, Locale::Ja);
    assert_eq!(
        fields(&d),
        [
            "how_obtained",
            "manufacturer",
            "facility",
            "licence_no",
            "approved_equivalent",
            "foreign_safety_info"
        ]
    );
    assert!(
        d.missing
            .iter()
            .all(|m| m.code == "disclosure_fact_missing")
    );
    assert!(!d.is_complete());
    // The items that need no recorded fact are still there.
    assert!(
        item(&d, "relief_system")
            .text
            .contains("救済の対象にはなりません")
    );
}

#[test]
fn approved_drug_does_not_apply() {
    let mut p = complete();
    p.regime = LegalRegime::ApprovedDrug;
    p.how_obtained = None;
    for l in Locale::ALL {
        let d = render(&p, l);
        assert!(!d.applies);
        assert!(d.items.is_empty() && d.missing.is_empty());
        assert_eq!(d.to_text(), "");
    }
}

#[test]
fn regenerative_medicine_act_products_apply_and_say_so() {
    let mut p = complete();
    p.regime = LegalRegime::RegenerativeMedicineAct;
    let ja = render(&p, Locale::Ja);
    assert!(ja.applies);
    assert!(
        item(&ja, "unapproved_status")
            .text
            .contains("再生医療等の安全性の確保等に関する法律")
    );
    let en = render(&p, Locale::En);
    assert!(
        item(&en, "unapproved_status")
            .text
            .contains("Act on the Safety of Regenerative Medicine")
    );
    assert!(
        !item(&render(&complete(), Locale::En), "unapproved_status")
            .text
            .contains("Regenerative")
    );
}

#[test]
fn english_falls_back_to_the_japanese_name_and_unknown_countries_stay_codes() {
    let mut p = complete();
    p.name_en = None;
    p.country = "NZ".into();
    p.kind = ProductKind::Other;
    p.sources.clear();
    p.donor_info = DonorInfo::Undisclosed;
    let d = render(&p, Locale::En);
    assert!(
        item(&d, "unapproved_status")
            .text
            .starts_with("歯髄幹細胞培養上清液 10% is an unapproved product")
    );
    assert!(
        item(&d, "how_obtained")
            .text
            .contains("Country of manufacture: NZ")
    );
    assert!(item(&d, "how_obtained").text.contains("does not disclose"));
}

#[test]
fn jousei_wording_makes_no_efficacy_claim() {
    assert_eq!(efficacy_words("この治療で肌が改善します"), ["改善します"]);
    assert_eq!(efficacy_words("It CURES everything"), ["cures"]);
    assert!(efficacy_words("有効期限 2027-01-31").is_empty());
    let mut products = vec![complete()];
    let mut p = complete();
    p.approved_equivalent = None;
    p.how_obtained = None;
    p.foreign_safety_info = None;
    p.regime = LegalRegime::RegenerativeMedicineAct;
    products.push(p);
    for p in &products {
        for l in Locale::ALL {
            let d = render(p, l);
            for i in &d.items {
                assert_eq!(efficacy_words(&i.heading), Vec::<&str>::new());
                assert_eq!(efficacy_words(&i.text), Vec::<&str>::new(), "{}", i.text);
            }
        }
    }
}

#[test]
fn every_locale_and_regime_renders() {
    use crate::supply::product::LegalRegime as R;
    for regime in R::ALL {
        for l in Locale::ALL {
            let mut p = complete();
            p.regime = *regime;
            let d = render(&p, l);
            assert_eq!(d.applies, *regime != R::ApprovedDrug);
            assert_eq!(d.locale, l);
            for i in &d.items {
                assert!(!i.heading.is_empty() && !i.text.is_empty());
            }
            let json = serde_json::to_value(&d).unwrap();
            assert_eq!(json["applies"], serde_json::json!(d.applies));
        }
    }
}
