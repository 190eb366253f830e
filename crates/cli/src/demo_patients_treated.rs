//! Demo patients of the Ginza clinic who are already in a course of
//! treatment: registered, screened and consented (the consent signed a week
//! before their first session), through the same helpers as the other demo
//! patients. Their plans and appointments are in `demo_plans`. A knee
//! injection consent template is here too. All people, numbers and
//! addresses are fictitious.

use anyhow::Context;
use jiff::Timestamp;
use jousei_core::patient::consent::ConsentItem;
use jousei_core::patient::registry::RawMedication;
use jousei_store::patient::ConsentTemplate;
use uuid::Uuid;

use crate::demo_patients::{Demo, person, template_body};

/// The knee injection consent template's items (ja, en), in the order printed.
const KNEE_TEMPLATE: &[(ConsentItem, &str, &str)] = &[
    (
        ConsentItem::TreatmentDescription,
        "脂肪幹細胞培養上清液を膝関節内に注射します（1回あたり数分）。本治療は公的医療保険の対象外の自由診療であり、変形性膝関節症を治すことを目的とした治療ではありません。",
        "Adipose stem cell conditioned medium is injected into the knee joint (a few minutes per session). This is self-pay treatment outside public health insurance and is not a cure for knee osteoarthritis.",
    ),
    (
        ConsentItem::FeeAndCoverage,
        "1回（片膝）44,000円（税込）。製剤、関節内注射、当日の診察を含みます。保険診療では実施できません。",
        "¥44,000 per session (one knee) including consumption tax: the product, the injection and the consultation on the day. It cannot be given under health insurance.",
    ),
    (
        ConsentItem::SessionsAndPeriod,
        "2週間ごとに3回、その後は2か月ごとに2回を目安とします。回数と間隔は診察のうえ医師と相談して決めます。",
        "Three sessions two weeks apart, then two sessions two months apart. The number and interval are decided with the physician after consultation.",
    ),
    (
        ConsentItem::CancellationTerms,
        "予約の前日までのキャンセルは無料です。当日のキャンセルは、解凍済みの製剤費（22,000円）をいただきます。",
        "Cancelling until the day before is free. On the day, the thawed product (¥22,000) is charged.",
    ),
    (
        ConsentItem::IndividualVariation,
        "感じ方や結果には個人差があり、変化を感じない場合もあります。",
        "How people feel and what they notice varies between individuals; some notice no change.",
    ),
    (
        ConsentItem::RisksAndSideEffects,
        "注射部位の痛み・内出血・腫れ、関節内の一時的な腫れや熱感、まれに関節内感染、ごくまれにアレルギー反応が起こることがあります。当日の入浴は控え、異常を感じたらすぐにお知らせください。",
        "Pain, bruising or swelling at the injection site, temporary swelling or warmth of the joint, rarely a joint infection, very rarely an allergic reaction. Avoid bathing on the day and tell us at once if anything feels wrong.",
    ),
    (
        ConsentItem::UnapprovedProductDisclosure,
        "本治療で使用する製剤は、医薬品医療機器等法上の承認を得ていない未承認医薬品等です。製剤ごとの説明は次のとおりです。",
        "The products used are unapproved under the PMD Act. For each product:",
    ),
    (
        ConsentItem::BloodDonationNotice,
        "献血の際は、本治療を受けたことを献血会場の問診で必ず申告し、献血先の医師の判断に従ってください。",
        "When donating blood, always declare this treatment at the donation interview and follow the donation physician's decision.",
    ),
    (
        ConsentItem::HealthDataConsent,
        "診療のために、病歴・問診の回答・診療の記録などの要配慮個人情報を取得し利用することに同意します。法令に基づく場合を除き、本人の同意なく第三者に提供しません。",
        "I agree that my health information (history, questionnaire answers, treatment records) is collected and used for my care. It is not given to third parties without my consent except where the law requires.",
    ),
];

/// Creates the knee injection consent template (`CM-KNEE`).
pub(crate) async fn knee_template(d: &Demo<'_>) -> anyhow::Result<ConsentTemplate> {
    let body = template_body(
        "幹細胞培養上清液 膝関節注射 説明書・同意書",
        "Stem cell conditioned medium knee joint injection: information and consent",
        "knee_joint_injection",
        KNEE_TEMPLATE,
    )?;
    Ok(d.store
        .create_consent_template(&d.admin, d.clinic, "CM-KNEE", &body)
        .await?)
}

/// A patient in treatment: who they are, what they answered, the
/// physician's decision, and the products their consent names.
pub(crate) struct Treated {
    pub name: &'static str,
    pub kana: &'static str,
    pub romaji: &'static str,
    pub birth: &'static str,
    pub sex: &'static str,
    pub phone: &'static str,
    pub address: &'static str,
    pub history: Option<&'static str>,
    pub medications: &'static [(&'static str, &'static str)],
    /// (question, answer, detail) answered other than "no".
    pub answers: &'static [(&'static str, &'static str, &'static str)],
    /// (decision, reason, conditions).
    pub decision: (&'static str, &'static str, Option<&'static str>),
    /// Product codes the consent names.
    pub products: &'static [&'static str],
}

/// 木村 真理子: in the induction phase of an IV course.
pub(crate) const KIMURA: Treated = Treated {
    name: "木村 真理子",
    kana: "きむら まりこ",
    romaji: "Kimura Mariko",
    birth: "1971-03-08",
    sex: "female",
    phone: "090-2468-1357",
    address: "東京都中央区銀座五丁目6番12号",
    history: None,
    medications: &[],
    answers: &[],
    decision: (
        "eligible",
        "継続施術前の再問診。初回後の一過性の発熱は翌日に解熱済み。施術を見合わせる所見なし。",
        None,
    ),
    products: &["DP-CM-10"],
};

/// 松本 大輔: in maintenance of a 70/30 blend by IV drip.
pub(crate) const MATSUMOTO: Treated = Treated {
    name: "松本 大輔",
    kana: "マツモト ダイスケ",
    romaji: "Matsumoto Daisuke",
    birth: "1963-12-01",
    sex: "male",
    phone: "080-1357-2468",
    address: "東京都港区芝浦三丁目4番1号",
    history: Some("2024年 COVID-19 罹患後、階段での息切れが続く（呼吸器内科で精査済み、治療なし）"),
    medications: &[],
    answers: &[],
    decision: (
        "eligible",
        "維持期継続前の再問診。呼吸器内科の精査結果を確認。施術を見合わせる所見なし。",
        None,
    ),
    products: &["DP-CM-10", "UC-CM-3"],
};

/// 井上 美穂: a knee injection course with a missed session.
pub(crate) const INOUE: Treated = Treated {
    name: "井上 美穂",
    kana: "いのうえ みほ",
    romaji: "Inoue Miho",
    birth: "1957-06-21",
    sex: "female",
    phone: "070-8642-9753",
    address: "東京都中央区勝どき二丁目9番5号",
    history: Some("変形性膝関節症（右、整形外科で経過観察中）"),
    medications: &[("ロキソプロフェン", "60mg 疼痛時頓用")],
    answers: &[
        (
            "disease_under_treatment",
            "yes",
            "変形性膝関節症（勝どき整形外科）",
        ),
        ("current_medications", "yes", "ロキソプロフェン 60mg 頓用"),
    ],
    decision: (
        "eligible_with_conditions",
        "右膝の変形性膝関節症。整形外科での経過観察を継続のうえ実施可。",
        Some("施術当日は入浴を控える。関節の腫れ・熱感が強い日は施術を延期する。"),
    ),
    products: &["AD-CM-5"],
};

/// 清水 隆: long-term care by IV drip for almost a year.
pub(crate) const SHIMIZU: Treated = Treated {
    name: "清水 隆",
    kana: "シミズ タカシ",
    romaji: "Shimizu Takashi",
    birth: "1950-10-10",
    sex: "male",
    phone: "090-9753-8642",
    address: "東京都中央区日本橋人形町一丁目3番7号",
    history: Some("脂質異常症（食事療法のみ）"),
    medications: &[],
    answers: &[],
    decision: (
        "eligible",
        "長期管理中の定期再問診（1年ごと）。施術を見合わせる所見なし。",
        None,
    ),
    products: &["DP-CM-10"],
};

/// Registers `t`, records their answers and the physician's decision, and
/// records their consent to `template`, explained and signed at `signed_at`.
pub(crate) async fn register(
    d: &Demo<'_>,
    t: &Treated,
    template: &ConsentTemplate,
    signed_at: Timestamp,
) -> anyhow::Result<Uuid> {
    let mut raw = person(t.name, t.kana, t.romaji, t.birth, t.sex, t.phone, t.address);
    raw.history = t.history.map(str::to_string);
    raw.medications = t
        .medications
        .iter()
        .map(|(name, dose)| RawMedication {
            name: (*name).into(),
            dose: Some((*dose).into()),
        })
        .collect();
    let (p, f) = d.patient(raw).await?;
    let s = d.answers(p, &f, t.answers).await?;
    let (decision, reason, conditions) = t.decision;
    d.decide(s, decision, reason, conditions).await?;
    let mut products = Vec::new();
    for code in t.products {
        let product = d
            .store
            .product_by_code(d.clinic, code)
            .await?
            .with_context(|| format!("demo product {code} missing"))?;
        products.push(product);
    }
    let named: Vec<_> = products.iter().map(|p| (p.id, &p.facts)).collect();
    d.sign(p, template, &named, signed_at, signed_at, None)
        .await?;
    Ok(p)
}
