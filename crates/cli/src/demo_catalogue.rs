//! The demo clinic's catalogue: its calendar (opening hours, closures),
//! its indications with their routes and sourced reasons (each at the
//! evidence level its source supports, none a promise), and its protocol
//! templates. Pure data for `demo_plans`.

use jiff::civil::{Time, Weekday};
use jousei_core::calendar::{
    ClinicCalendar, Closure, Interval, MonthDay, OpeningHours, Phase, PhaseCount, PhaseKind,
    Protocol, WeeklyHours,
};

/// The clinic's week: Monday to Friday 10:00–19:00, Saturday 10:00–18:00,
/// closed on Sundays and public holidays, 年末年始 (12/29–1/3) and お盆
/// (8/13–8/16).
pub fn calendar() -> anyhow::Result<ClinicCalendar> {
    use Weekday::*;
    let hours = |open: i8, close: i8| {
        OpeningHours::new(
            Time::constant(open, 0, 0, 0),
            Time::constant(close, 0, 0, 0),
        )
    };
    let cal = ClinicCalendar::new(
        WeeklyHours::default()
            .with(
                &[Monday, Tuesday, Wednesday, Thursday, Friday],
                hours(10, 19)?,
            )
            .with(&[Saturday], hours(10, 18)?),
    )
    .with_closure(Closure::annual(
        MonthDay::new(12, 29)?,
        MonthDay::new(1, 3)?,
        "年末年始休診",
    ))
    .with_closure(Closure::annual(
        MonthDay::new(8, 13)?,
        MonthDay::new(8, 16)?,
        "夏季休診（お盆）",
    ));
    cal.validate()
        .map_err(|e| anyhow::anyhow!("demo calendar: {e:?}"))?;
    Ok(cal)
}

pub(crate) type RationaleSpec = (&'static str, &'static str, &'static str, &'static str);

/// (code, ja, en, routes, rationales (ja, en, source, evidence)).
pub(crate) type IndicationSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [RationaleSpec],
);

const ARTICLE_000: &str = "クリニックの解説記事「成長因子が細胞に働きかけて組織の再生を促す『幹細胞上清液治療』」（2023年9月21日更新）";
const ARTICLE_001: &str = "再生医療の解説記事「幹細胞培養上清液の生成方法・含有成分と活用事例」";
const ARTICLE_003: &str = "美容クリニックの解説記事「間葉系幹細胞培養上清とエクソソーム治療」";
const PAGE_004: &str =
    "クリニックWebページ「エクソソーム・幹細胞培養上清液 最新再生医療エビデンス」";

/// The clinic's catalogue. Where a page cites a paper we have not read,
/// the source names both and the level stays what the clinic claims.
pub(crate) const INDICATIONS: &[IndicationSpec] = &[
    (
        "skin",
        "肌のキメ・ハリ・小ジワ",
        "Skin texture, firmness and fine wrinkles",
        &["skin_injection", "topical_device"],
        &[
            (
                "顔・首の約20か所に注射する施術として、肌のキメ・ツヤや小ジワを目的に紹介されている。内出血や腫れの可能性も併記されている。",
                "Presented as injections at about 20 sites of the face and neck aimed at skin texture, gloss and fine wrinkles; bruising and swelling are listed as possible.",
                ARTICLE_000,
                "clinic_claim",
            ),
            (
                "線維芽細胞によるコラーゲンI・III型とエラスチンの産生への作用を報告した文献として、肌のハリ・ツヤについて引用されている（原著は未確認）。",
                "Cited for skin firmness and gloss as reporting an action on collagen I/III and elastin production by fibroblasts (original paper not checked).",
                "クリニックWebページ（seed 004）が引用: An, Y., et al., 2021",
                "clinic_claim",
            ),
            (
                "表皮幹細胞とMMP（マトリックスメタロプロテアーゼ）の発現への作用を報告した文献として、シワ・たるみについて引用されている（原著は未確認）。",
                "Cited for wrinkles and sagging as reporting on epidermal stem cells and MMP (matrix metalloproteinase) expression (original paper not checked).",
                "クリニックWebページ（seed 004）が引用: Chernoff, G., 2021",
                "clinic_claim",
            ),
        ],
    ),
    (
        "hair",
        "薄毛・抜け毛",
        "Thinning hair and hair loss",
        &["topical_device", "skin_injection"],
        &[
            (
                "毛包幹細胞、VEGF・IGF-1、毛周期への作用を報告した文献として、薄毛・抜け毛について引用されている（原著は未確認）。",
                "Cited for thinning hair as reporting on hair follicle stem cells, VEGF/IGF-1 and the hair cycle (original paper not checked).",
                "クリニックWebページ（seed 004）が引用: Li, Y., et al., 2022",
                "clinic_claim",
            ),
            (
                "導入機器を用いた頭皮への使用が、毛包の環境を整え育毛を支える目的で紹介されている。",
                "Use on the scalp with a device is presented as aimed at the hair follicle environment and hair growth support.",
                ARTICLE_003,
                "clinic_claim",
            ),
        ],
    ),
    (
        "knee_oa",
        "膝の痛み・変形性膝関節症",
        "Knee pain and knee osteoarthritis",
        &["knee_joint_injection"],
        &[
            (
                "膝関節への注射が、抗炎症・関節保護・痛みの緩和を目的として紹介されている。",
                "Knee joint injection is presented as aimed at inflammation, joint protection and pain relief.",
                ARTICLE_000,
                "clinic_claim",
            ),
            (
                "膝関節内への脂肪由来幹細胞（細胞そのもの）の注射について、臨床試験の報告があるとされる。上清液ではなく細胞の試験であり、文献名の記載はない。",
                "Clinical trials of injecting adipose-derived stem cells (the cells themselves) into the knee are said to be reported. They are trials of cells, not of conditioned medium, and no citation is given.",
                "クリニックWebページ（seed 004）、文献名の記載なし",
                // Said by the clinic page, uncited, and about cells rather
                // than conditioned medium: the clinic's claim, not a study
                // jousei could point to.
                "clinic_claim",
            ),
        ],
    ),
    (
        "fatigue",
        "疲労感",
        "Fatigue",
        &["iv_drip"],
        &[
            (
                "ミトコンドリア機能・酸化ストレス・ATP産生への作用を報告した文献として、疲労感について引用されている（原著は未確認）。",
                "Cited for fatigue as reporting on mitochondrial function, oxidative stress and ATP production (original paper not checked).",
                "クリニックWebページ（seed 004）が引用: Hu, Y., et al., 2022",
                "clinic_claim",
            ),
            (
                "当日〜1週間で疲労感の軽減を感じる人がいる、ただし個人差がある、とクリニックが記載している。",
                "The clinic writes that some people feel less tired within a day to a week, and that this varies between individuals.",
                PAGE_004,
                "clinic_claim",
            ),
        ],
    ),
    (
        "sleep",
        "睡眠の質",
        "Sleep quality",
        &["iv_drip", "inhalation"],
        &[
            (
                "神経炎症やHPA軸（コルチゾールのリズム）への作用の可能性を述べた文献として、睡眠について引用されている（原著は未確認）。",
                "Cited for sleep as discussing a possible action on neuroinflammation and the HPA axis (cortisol rhythm) (original papers not checked).",
                "クリニックWebページ（seed 004）が引用: Wang, Y., et al., 2023 (Stem Cells); Cao, Q., et al., 2022 (Front Med)",
                "clinic_claim",
            ),
            (
                "ネブライザーによる吸入が、睡眠障害・集中力低下など脳神経系に関わる目的で紹介されている。",
                "Nebulised inhalation is presented for brain-related aims such as poor sleep and poor concentration.",
                ARTICLE_000,
                "clinic_claim",
            ),
        ],
    ),
    (
        "post_stroke",
        "脳梗塞後の諸症状（補完療法）",
        "Symptoms after a stroke (complementary)",
        &["nasal"],
        &[
            (
                "点滴では成分が血液脳関門を通過しないとして、脳に関わる目的には点鼻による投与が紹介されている。",
                "Because, it says, components given by IV drip do not cross the blood–brain barrier, nasal administration is presented for brain-related aims.",
                ARTICLE_000,
                "clinic_claim",
            ),
            (
                "リハビリテーションと併用する補完的な使い方が紹介されている。",
                "Presented as complementary use alongside rehabilitation.",
                ARTICLE_001,
                "clinic_claim",
            ),
            (
                "歯髄幹細胞は培養中にBDNF・NGF・GDNFなどの神経栄養因子を分泌するとされる（細胞培養での知見で、患者での知見ではない）。",
                "Dental pulp stem cells are said to secrete neurotrophic factors such as BDNF, NGF and GDNF in culture (a cell-culture finding, not a finding in patients).",
                "クリニックWebページ（seed 004）および再生医療の解説記事（seed 001）",
                "preclinical",
            ),
        ],
    ),
    (
        "memory",
        "記憶力の低下",
        "Memory decline",
        &["nasal", "inhalation"],
        &[
            (
                "点鼻・吸入の対象として記憶力の低下が挙げられている。",
                "Memory decline is listed among the aims of nasal and inhaled administration.",
                ARTICLE_000,
                "clinic_claim",
            ),
            (
                "神経栄養因子（BDNF・NGF）の送達と神経炎症への作用を述べた文献として、脳機能について引用されている（原著は未確認）。",
                "Cited for brain function as discussing delivery of neurotrophic factors (BDNF, NGF) and neuroinflammation (original paper not checked).",
                "クリニックWebページ（seed 004）が引用: CNS Neurosci Ther., 2025",
                "clinic_claim",
            ),
        ],
    ),
    (
        "respiratory",
        "呼吸器症状（咳・痰・息切れ）",
        "Respiratory symptoms (cough, phlegm, breathlessness)",
        &["inhalation", "iv_drip"],
        &[
            (
                "吸入が咳・痰、息切れ、嗅覚・味覚の低下など気道の症状に、点滴が呼吸器障害の補完療法として紹介されている。",
                "Inhalation is presented for airway symptoms (cough, phlegm, breathlessness, loss of smell or taste), and IV drip as complementary therapy for respiratory disorders.",
                ARTICLE_000,
                "clinic_claim",
            ),
            (
                "エクソソーム関連の臨床試験が90件以上あり、COVID-19を含む分野で検討されているとするレビューが引用されている（個々の試験の結果は記載なし）。",
                "A review is cited as counting over 90 clinical trials of exosomes, including for COVID-19 (no results of individual trials are given).",
                PAGE_004,
                "clinic_claim",
            ),
        ],
    ),
];

fn phase(kind: PhaseKind, interval: Interval, count: PhaseCount) -> Phase {
    Phase {
        kind,
        interval,
        count,
    }
}

/// 標準コース: induction every 14 days (12–18) × 3, maintenance every 28
/// days (24–35) × 6, long-term every 70 days (56–84) until stopped.
pub(crate) fn standard() -> Protocol {
    Protocol {
        name: "標準コース（導入・維持・長期）".into(),
        phases: vec![
            phase(
                PhaseKind::Induction,
                Interval::new(14, 12, 18),
                PhaseCount::Sessions(3),
            ),
            phase(
                PhaseKind::Maintenance,
                Interval::new(28, 24, 35),
                PhaseCount::Sessions(6),
            ),
            phase(
                PhaseKind::LongTerm,
                Interval::new(70, 56, 84),
                PhaseCount::UntilStopped { horizon_days: 365 },
            ),
        ],
    }
}

/// 肌注射 短期コース: three sessions every 21 days (14–28).
pub(crate) fn skin_course() -> Protocol {
    Protocol {
        name: "肌注射 短期コース（3回）".into(),
        phases: vec![phase(
            PhaseKind::Induction,
            Interval::new(21, 14, 28),
            PhaseCount::Sessions(3),
        )],
    }
}

/// 膝関節コース: every 14 days (10–21) × 3, then every 56 days (42–84) × 2.
pub(crate) fn knee_course() -> Protocol {
    Protocol {
        name: "膝関節注射コース".into(),
        phases: vec![
            phase(
                PhaseKind::Induction,
                Interval::new(14, 10, 21),
                PhaseCount::Sessions(3),
            ),
            phase(
                PhaseKind::Maintenance,
                Interval::new(56, 42, 84),
                PhaseCount::Sessions(2),
            ),
        ],
    }
}

/// One session given once (not a template): for a patient who cannot come
/// back before leaving the country.
pub(crate) fn single_session() -> Protocol {
    Protocol {
        name: "単回施術".into(),
        phases: vec![phase(
            PhaseKind::Induction,
            Interval::new(14, 12, 18),
            PhaseCount::Sessions(1),
        )],
    }
}
