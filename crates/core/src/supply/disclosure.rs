//! The unapproved-product disclosure (未承認医薬品等の表示) a clinic must
//! publish and show patients, rendered in Japanese or English from the
//! product's recorded facts.
//!
//! # The rule
//! 医療広告ガイドライン (医療法6条の5; guideline amended 2024-03-22, which
//! moved these items from the Q&A into the guideline) requires, where a
//! clinic uses 未承認医薬品等 in self-pay care — 「承認等されていない医薬品・
//! 医療機器・再生医療等製品、あるいは承認等された効能・効果又は用法・用量が
//! 異なる…」 — five items (`regulatory.md` §2.2; guideline text quoted at
//! <https://itreat.co.jp/guideline>, change summary
//! <https://biyouhifuko.com/news/japan/6425>, MHLW worked example 事例解説書
//! 第4版 (27) <https://www.mhlw.go.jp/stf/newpage_41120.html>):
//!
//! 1. 未承認医薬品等であることの明示: 「用いる未承認医薬品等が、医薬品医療機器
//!    等法上の承認等を得ていないものであることを明示すること」
//! 2. 入手経路等の明示: 「医師等の個人輸入による未承認医薬品等を用いる場合は、
//!    その旨を明記すること。合わせて、厚生労働省ホームページに掲載された『個人
//!    輸入において注意すべき医薬品等について』のページ
//!    （https://www.yakubutsu.mhlw.go.jp/index.html）を情報提供すること」
//! 3. 国内の承認医薬品等の有無の明示: 「同一の成分や性能を有する他の国内承認
//!    医薬品等の有無を記載し、…」 (the rest of the sentence was not retrieved)
//! 4. 諸外国における安全性等に係る情報の明示 (exact text not retrieved)
//! 5. 「医薬品副作用被害救済制度等の救済の対象にはならないこと」の明示 (new
//!    from 2024-03-22)
//!
//! # What jousei renders
//! - `Unapproved` products (conditioned medium, exosome preparations): all
//!   five items.
//! - `RegenerativeMedicineAct` products: all five items too. A 特定細胞加工物
//!   used under the Act on the Safety of Regenerative Medicine has no PMD Act
//!   approval, and the guideline's definition covers unapproved 再生医療等製品
//!   (jousei's reading, `regulatory.md` §1.1 and §2.2; confidence medium).
//!   Item 1 also says the product is used under that act. What the act itself
//!   requires (the provision plan number, the certified committee) is not a
//!   product fact and is not rendered here.
//! - `ApprovedDrug`: `applies` is false and nothing is rendered. (An approved
//!   drug used off-label is also 未承認医薬品等 under the definition above, but
//!   off-label use is a fact of the treatment, not of the product.)
//!
//! Every fact comes from the product record; a missing fact is listed in
//! [`Disclosure::missing`] and its item says 「未登録：…」 / "Not recorded: …"
//! instead of inventing text. Recorded free text (how it is obtained, the
//! foreign safety information, the note on approved equivalents) is shown as
//! recorded, in the language it was recorded in. Personal import by the
//! physician is a recorded fact (`ProductFacts::personal_import`): item 2 then
//! says so and gives the MHLW page above by its title and address (in the text,
//! for paper, and in [`DisclosureItem::links`]).
//!
//! jousei's own wording states facts and the law only: it never says that a
//! treatment works ([`efficacy_words`] lists the phrases the tests forbid).

use serde::Serialize;

use super::product::{
    ApprovedEquivalent, CellSource, DonorInfo, LegalRegime, ProductFacts, ProductKind,
};
use crate::locale::Locale;

/// The code of every [`MissingFact`].
pub const MISSING_CODE: &str = "disclosure_fact_missing";

/// One item of the disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisclosureItem {
    /// Stable key: `unapproved_status`, `how_obtained`, `approved_equivalent`,
    /// `foreign_safety_info` or `relief_system`.
    pub key: &'static str,
    pub heading: String,
    /// One or more lines, separated by `\n`.
    pub text: String,
    /// Pages the item refers to (their address is also in `text`, for paper).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<DisclosureLink>,
}

/// A page an item points the reader to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisclosureLink {
    /// The page's own title (in Japanese: it is a Japanese page).
    pub title: String,
    pub url: &'static str,
}

/// The MHLW page the guideline's item (ii) names for personally imported products:
/// 厚生労働省「個人輸入において注意すべき医薬品等について」.
pub const MHLW_PERSONAL_IMPORT_URL: &str = "https://www.yakubutsu.mhlw.go.jp/index.html";
/// Its title.
pub const MHLW_PERSONAL_IMPORT_TITLE: &str = "個人輸入において注意すべき医薬品等について";

/// A fact the disclosure needs that the product record does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingFact {
    /// The `ProductFacts` field: `how_obtained`, `manufacturer`, `facility`,
    /// `licence_no`, `country`, `approved_equivalent` or
    /// `foreign_safety_info`.
    pub field: &'static str,
    /// Always [`MISSING_CODE`].
    pub code: &'static str,
}

/// The rendered disclosure for one product version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclosure {
    /// Whether the product needs the disclosure (not an approved drug).
    pub applies: bool,
    pub locale: Locale,
    /// The five items, in the guideline's order (empty when it does not apply).
    pub items: Vec<DisclosureItem>,
    /// Facts to record before the disclosure is complete, in item order.
    pub missing: Vec<MissingFact>,
}

impl Disclosure {
    /// No fact is missing (trivially so when the disclosure does not apply).
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// Plain text for printing: each heading, then its text, items separated
    /// by a blank line.
    pub fn to_text(&self) -> String {
        self.items
            .iter()
            .map(|i| format!("{}\n{}", i.heading, i.text))
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// Renders the disclosure of `facts` in `locale`.
pub fn render(facts: &ProductFacts, locale: Locale) -> Disclosure {
    if facts.regime == LegalRegime::ApprovedDrug {
        return Disclosure {
            applies: false,
            locale,
            items: Vec::new(),
            missing: Vec::new(),
        };
    }
    let mut r = Renderer {
        ja: locale == Locale::Ja,
        missing: Vec::new(),
    };
    let name = match (locale, &facts.name_en) {
        (Locale::En, Some(en)) if !en.trim().is_empty() => en.trim(),
        _ => facts.name.trim(),
    };
    let items = vec![
        r.unapproved_status(facts, name),
        r.how_obtained(facts),
        r.approved_equivalent(facts),
        r.foreign_safety_info(facts),
        r.relief_system(name),
    ];
    Disclosure {
        applies: true,
        locale,
        items,
        missing: r.missing,
    }
}

/// Phrases that claim a treatment works, in both languages. jousei's own
/// wording never contains them; a screen may use this list to warn when a
/// clinic records such text.
pub const EFFICACY_PHRASES: &[&str] = &[
    "効果がある",
    "効果があります",
    "効果が期待でき",
    "効きます",
    "改善します",
    "改善できます",
    "治ります",
    "治癒します",
    "若返ります",
    "有効です",
    "cures",
    "cured",
    "effective",
    "improves",
    "heals",
    "rejuvenates",
];

/// The efficacy phrases in `text` (case-insensitive for English).
pub fn efficacy_words(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    EFFICACY_PHRASES
        .iter()
        .copied()
        .filter(|p| lower.contains(p))
        .collect()
}

fn recorded(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

struct Renderer {
    ja: bool,
    missing: Vec<MissingFact>,
}

impl Renderer {
    fn t(&self, ja: &str, en: &str) -> String {
        if self.ja { ja } else { en }.to_string()
    }

    fn item(&self, key: &'static str, ja: &str, en: &str, lines: Vec<String>) -> DisclosureItem {
        DisclosureItem {
            key,
            heading: self.t(ja, en),
            text: lines.join("\n"),
            links: Vec::new(),
        }
    }

    /// `label：value`, or `未登録：label` and the field listed as missing.
    fn fact(&mut self, field: &'static str, value: Option<&str>, ja: &str, en: &str) -> String {
        match recorded(value) {
            Some(v) if self.ja => format!("{ja}：{v}"),
            Some(v) => format!("{en}: {v}"),
            None => self.not_recorded(field, ja, en),
        }
    }

    fn not_recorded(&mut self, field: &'static str, ja: &str, en: &str) -> String {
        self.missing.push(MissingFact {
            field,
            code: MISSING_CODE,
        });
        if self.ja {
            format!("未登録：{ja}")
        } else {
            format!("Not recorded: {en}")
        }
    }

    fn unapproved_status(&self, f: &ProductFacts, name: &str) -> DisclosureItem {
        let mut about = Vec::new();
        if f.kind != ProductKind::Other {
            about.push(kind_label(f.kind, self.ja).to_string());
        }
        if !f.sources.is_empty() {
            let sources: Vec<&str> = f
                .sources
                .iter()
                .map(|s| source_label(*s, self.ja))
                .collect();
            about.push(if self.ja {
                format!("由来：{}", sources.join("・"))
            } else {
                format!("source: {}", sources.join(", "))
            });
        }
        let about = match (about.is_empty(), self.ja) {
            (true, _) => String::new(),
            (false, true) => format!("（{}）", about.join("、")),
            (false, false) => format!(" ({})", about.join("; ")),
        };
        let mut lines = vec![if self.ja {
            format!("{name}{about}は、医薬品医療機器等法上の承認等を得ていない未承認医薬品等です。")
        } else {
            format!(
                "{name}{about} is an unapproved product: it has not been approved under the \
                 Pharmaceuticals and Medical Devices Act (PMD Act)."
            )
        }];
        if f.regime == LegalRegime::RegenerativeMedicineAct {
            lines.push(self.t(
                "本品は、再生医療等の安全性の確保等に関する法律の下で用いる細胞加工物です。",
                "It is a processed-cell product used under the Act on the Safety of \
                 Regenerative Medicine.",
            ));
        }
        self.item(
            "unapproved_status",
            "未承認医薬品等であること",
            "Unapproved product",
            lines,
        )
    }

    fn how_obtained(&mut self, f: &ProductFacts) -> DisclosureItem {
        let country = recorded(Some(f.country.as_str())).map(|c| country_label(c, self.ja));
        let lines = vec![
            self.fact(
                "how_obtained",
                f.how_obtained.as_deref(),
                "入手経路",
                "How it is obtained",
            ),
            self.fact(
                "manufacturer",
                Some(&f.manufacturer),
                "製造者",
                "Manufacturer",
            ),
            self.fact(
                "facility",
                f.facility.as_deref(),
                "製造施設",
                "Manufacturing facility",
            ),
            self.fact(
                "licence_no",
                f.licence_no.as_deref(),
                "製造施設の許可番号等",
                "Facility licence or approval number",
            ),
            self.fact(
                "country",
                country.as_deref(),
                "製造国",
                "Country of manufacture",
            ),
            match f.donor_info {
                DonorInfo::DocumentedDomestic => self.t(
                    "ドナー情報：国内のドナー（スクリーニングの記録あり）",
                    "Donor: in Japan (screening documented)",
                ),
                DonorInfo::DocumentedImported => self.t(
                    "ドナー情報：海外のドナー（スクリーニングの記録あり）",
                    "Donor: outside Japan (screening documented)",
                ),
                DonorInfo::Undisclosed => self.t(
                    "ドナー情報：ドナーのスクリーニングについて、製造者は開示していません。",
                    "Donor: the manufacturer does not disclose the donor's screening.",
                ),
            },
        ];
        let mut lines = lines;
        let mut links = Vec::new();
        if f.personal_import {
            // Guideline item (ii): say so, and point to the MHLW page.
            lines.insert(
                0,
                self.t(
                    "本品は、医師の個人輸入により入手した未承認医薬品等です。",
                    "This unapproved product is imported personally by the physician.",
                ),
            );
            lines.insert(
                1,
                if self.ja {
                    format!(
                        "個人輸入される医薬品等の注意点は、厚生労働省ホームページ『{MHLW_PERSONAL_IMPORT_TITLE}』\
                         （{MHLW_PERSONAL_IMPORT_URL}）をご覧ください。"
                    )
                } else {
                    format!(
                        "On what to watch for in personally imported medicines, see the Ministry of \
                         Health, Labour and Welfare page 『{MHLW_PERSONAL_IMPORT_TITLE}』 (Medicines to \
                         be careful about in personal import): {MHLW_PERSONAL_IMPORT_URL}"
                    )
                },
            );
            links.push(DisclosureLink {
                title: MHLW_PERSONAL_IMPORT_TITLE.into(),
                url: MHLW_PERSONAL_IMPORT_URL,
            });
        }
        DisclosureItem {
            links,
            ..self.item("how_obtained", "入手経路等", "How it is obtained", lines)
        }
    }

    fn approved_equivalent(&mut self, f: &ProductFacts) -> DisclosureItem {
        let (ja_q, en_q) = (
            "同一の成分や性能を有する国内承認医薬品等の有無",
            "whether a product with the same ingredients or performance is approved in Japan",
        );
        let line = match &f.approved_equivalent {
            Some(ApprovedEquivalent::Exists { name }) => match recorded(Some(name)) {
                Some(n) if self.ja => {
                    format!("同一の成分や性能を有する国内承認医薬品等があります：{n}")
                }
                Some(n) => {
                    format!(
                        "A product with the same ingredients or performance is approved in Japan: {n}"
                    )
                }
                None => self.not_recorded(
                    "approved_equivalent",
                    "国内承認医薬品等の名称",
                    "the name of the approved product in Japan",
                ),
            },
            Some(ApprovedEquivalent::None { note }) => {
                let base = self.t(
                    "同一の成分や性能を有する他の国内承認医薬品等はありません。",
                    "No other product with the same ingredients or performance is approved in Japan.",
                );
                match recorded(note.as_deref()) {
                    Some(n) => format!("{base}\n{n}"),
                    None => base,
                }
            }
            None => self.not_recorded("approved_equivalent", ja_q, en_q),
        };
        self.item(
            "approved_equivalent",
            "国内の承認医薬品等の有無",
            "Approved products in Japan",
            vec![line],
        )
    }

    fn foreign_safety_info(&mut self, f: &ProductFacts) -> DisclosureItem {
        let line = match recorded(f.foreign_safety_info.as_deref()) {
            Some(v) => v.to_string(),
            None => self.not_recorded(
                "foreign_safety_info",
                "諸外国における安全性等に係る情報",
                "safety information from other countries",
            ),
        };
        self.item(
            "foreign_safety_info",
            "諸外国における安全性等に係る情報",
            "Safety information from other countries",
            vec![line],
        )
    }

    fn relief_system(&self, name: &str) -> DisclosureItem {
        let line = if self.ja {
            format!(
                "{name}は、医薬品副作用被害救済制度等の救済の対象にはなりません。\
                 使用により健康被害が生じた場合も、これらの制度による救済給付は受けられません。"
            )
        } else {
            format!(
                "{name} is not covered by the Relief System for Sufferers from Adverse Drug \
                 Reactions or similar relief systems: if harm to health arises from its use, \
                 no relief benefit is paid under these systems."
            )
        };
        self.item(
            "relief_system",
            "医薬品副作用被害救済制度の対象外であること",
            "Not covered by the relief system for adverse drug reactions",
            vec![line],
        )
    }
}

fn kind_label(k: ProductKind, ja: bool) -> &'static str {
    match (k, ja) {
        (ProductKind::ConditionedMedium, true) => "幹細胞培養上清液",
        (ProductKind::ConditionedMedium, false) => "stem-cell conditioned medium",
        (ProductKind::ExosomePreparation, true) => "エクソソーム製剤",
        (ProductKind::ExosomePreparation, false) => "exosome preparation",
        (ProductKind::Other, true) => "その他",
        (ProductKind::Other, false) => "other",
    }
}

fn source_label(s: CellSource, ja: bool) -> &'static str {
    match (s, ja) {
        (CellSource::Adipose, true) => "脂肪幹細胞",
        (CellSource::Adipose, false) => "adipose-derived stem cells",
        (CellSource::UmbilicalCord, true) => "臍帯幹細胞",
        (CellSource::UmbilicalCord, false) => "umbilical-cord stem cells",
        (CellSource::CordBlood, true) => "臍帯血",
        (CellSource::CordBlood, false) => "cord blood",
        (CellSource::DentalPulp, true) => "歯髄幹細胞",
        (CellSource::DentalPulp, false) => "dental-pulp stem cells",
        (CellSource::DeciduousDentalPulp, true) => "乳歯歯髄幹細胞",
        (CellSource::DeciduousDentalPulp, false) => "deciduous dental-pulp stem cells",
        (CellSource::BoneMarrow, true) => "骨髄幹細胞",
        (CellSource::BoneMarrow, false) => "bone-marrow stem cells",
        (CellSource::Placenta, true) => "胎盤",
        (CellSource::Placenta, false) => "placenta",
        (CellSource::Other, true) => "その他",
        (CellSource::Other, false) => "other",
    }
}

/// The country's name for the codes clinics meet; other codes as written.
fn country_label(code: &str, ja: bool) -> String {
    let name = match (code, ja) {
        ("JP", true) => "日本",
        ("JP", false) => "Japan",
        ("KR", true) => "韓国",
        ("KR", false) => "South Korea",
        ("CN", true) => "中国",
        ("CN", false) => "China",
        ("TW", true) => "台湾",
        ("TW", false) => "Taiwan",
        ("US", true) => "米国",
        ("US", false) => "United States",
        ("SG", true) => "シンガポール",
        ("SG", false) => "Singapore",
        ("TH", true) => "タイ",
        ("TH", false) => "Thailand",
        ("DE", true) => "ドイツ",
        ("DE", false) => "Germany",
        ("CH", true) => "スイス",
        ("CH", false) => "Switzerland",
        ("AU", true) => "オーストラリア",
        ("AU", false) => "Australia",
        _ => return code.to_string(),
    };
    format!("{name} ({code})")
}

#[cfg(test)]
mod tests;
