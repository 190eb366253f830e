//! Demo patients of the Ginza clinic, in every situation: eligible and
//! consented, eligible with conditions (treated the day of the first
//! explanation, with the physician's reason), refused (pregnancy), consent
//! withdrawn, awaiting the physician, and a screening gone stale after the
//! answers changed. Every rule goes through the domain crate, as through
//! the API. All people, numbers and addresses are fictitious.

use std::collections::HashMap;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use jousei_core::locale::Locale;
use jousei_core::patient::consent::{self, ConsentItem, RawSection, RawTemplate, Signature};
use jousei_core::patient::questionnaire::{self, RawAnswer};
use jousei_core::patient::registry::{DataConsentMethod, RawAllergy, RawMedication, RawPatient};
use jousei_core::patient::screening::{self, RawDecision};
use jousei_core::supply::product::ProductFacts;
use jousei_store::patient::{AnswerSource, ConsentTemplate, NewAnswers, NewConsent, NewPatient};
use jousei_store::{Actor, DynStore, Ts};
use uuid::Uuid;

/// The consent template's items (ja, en), in the order printed.
const TEMPLATE: &[(ConsentItem, &str, &str)] = &[
    (
        ConsentItem::TreatmentDescription,
        "幹細胞培養上清液を生理食塩水に加え、約30〜60分かけて点滴で投与します。本治療は公的医療保険の対象外の自由診療であり、病気を治すことを目的とした治療ではありません。",
        "Stem cell conditioned medium is added to saline and given by IV drip over about 30–60 minutes. This is self-pay treatment outside public health insurance and is not a cure for any disease.",
    ),
    (
        ConsentItem::FeeAndCoverage,
        "1回 55,000円（税込）。製剤、点滴処置、当日の診察を含みます。保険診療では実施できません。",
        "¥55,000 per session including consumption tax: the product, the drip and the consultation on the day. It cannot be given under health insurance.",
    ),
    (
        ConsentItem::SessionsAndPeriod,
        "導入期は2週間ごとに3回、その後は月1回程度を目安とします。回数と間隔は診察のうえ医師と相談して決めます。",
        "Induction: three sessions two weeks apart; then about once a month. The number and interval are decided with the physician after consultation.",
    ),
    (
        ConsentItem::CancellationTerms,
        "予約の前日までのキャンセルは無料です。当日のキャンセルは、解凍済みの製剤費（33,000円）をいただきます。回数券の未使用分は返金します（事務手数料を除く）。",
        "Cancelling until the day before is free. On the day, the thawed product (¥33,000) is charged. Unused sessions of a set are refunded (less an administration fee).",
    ),
    (
        ConsentItem::IndividualVariation,
        "感じ方や結果には個人差があり、変化を感じない場合もあります。",
        "How people feel and what they notice varies between individuals; some notice no change.",
    ),
    (
        ConsentItem::RisksAndSideEffects,
        "穿刺部位の痛み・内出血・神経損傷、数日続く腫れ、まれに一過性の発熱、ごくまれにアレルギー反応が起こることがあります。異常を感じたらすぐにお知らせください。",
        "Pain, bruising or nerve injury at the puncture site, swelling for a few days, rarely a transient fever, very rarely an allergic reaction. Tell us at once if anything feels wrong.",
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

/// The demo's staff at work in one clinic: registers patients, records
/// their answers, decides screenings and records consents.
pub(crate) struct Demo<'a> {
    pub(crate) store: &'a DynStore,
    pub(crate) clinic: Uuid,
    pub(crate) coordinator: Actor,
    pub(crate) nurse: Actor,
    pub(crate) physician: Actor,
    pub(crate) physician_id: Uuid,
    pub(crate) admin: Actor,
}

impl<'a> Demo<'a> {
    /// The Ginza staff (`dr.tanaka`, `ns.suzuki`, `co.yamamoto`, `admin`).
    pub(crate) fn new(
        store: &'a DynStore,
        clinic: Uuid,
        logins: &HashMap<&str, Uuid>,
    ) -> anyhow::Result<Demo<'a>> {
        let id = |login: &str| {
            logins
                .get(login)
                .copied()
                .with_context(|| format!("demo user {login} missing"))
        };
        let physician_id = id("dr.tanaka")?;
        Ok(Demo {
            store,
            clinic,
            coordinator: Actor::user(id("co.yamamoto")?, "co.yamamoto"),
            nurse: Actor::user(id("ns.suzuki")?, "ns.suzuki"),
            physician: Actor::user(physician_id, "dr.tanaka"),
            physician_id,
            admin: Actor::user(id("admin")?, "admin"),
        })
    }

    pub(crate) async fn patient(
        &self,
        raw: RawPatient,
    ) -> anyhow::Result<(Uuid, jousei_core::patient::registry::PatientFacts)> {
        let facts = raw
            .parse(jiff::civil::date(2026, 11, 22))
            .map_err(|e| anyhow::anyhow!("demo patient: {e:?}"))?;
        let p = self
            .store
            .create_patient(
                &self.coordinator,
                self.clinic,
                &NewPatient {
                    number: None,
                    facts: facts.clone(),
                    data_consent_method: DataConsentMethod::Tablet,
                },
            )
            .await?;
        Ok((p.id, facts))
    }

    /// Answers (yes to `yes`, with details; `unsure` where given) and the
    /// screening of them; returns the screening id.
    pub(crate) async fn answers(
        &self,
        patient: Uuid,
        facts: &jousei_core::patient::registry::PatientFacts,
        yes: &[(&str, &str, &str)],
    ) -> anyhow::Result<Uuid> {
        let def = questionnaire::current();
        let raw: Vec<RawAnswer> = def
            .questions
            .iter()
            .filter(|q| q.applies_to(facts.sex))
            .map(
                |q| match yes.iter().find(|(id, _, _)| *id == q.id.as_str()) {
                    Some((_, answer, detail)) => RawAnswer {
                        question: q.id.as_str().into(),
                        answer: (*answer).into(),
                        detail: (!detail.is_empty()).then(|| (*detail).to_string()),
                    },
                    None => RawAnswer {
                        question: q.id.as_str().into(),
                        answer: "no".into(),
                        detail: None,
                    },
                },
            )
            .collect();
        let answers = questionnaire::parse_answers(&def, facts.sex, &raw)
            .map_err(|e| anyhow::anyhow!("demo answers: {e:?}"))?;
        let (_, s) = self
            .store
            .record_answers(
                &self.nurse,
                self.clinic,
                patient,
                &NewAnswers {
                    questionnaire_version: def.version,
                    fingerprint: questionnaire::fingerprint(def.version, &answers),
                    findings: screening::screen(&answers, &facts.allergies),
                    answers,
                    source: AnswerSource::Patient,
                },
            )
            .await?;
        Ok(s.id)
    }

    pub(crate) async fn decide(
        &self,
        screening: Uuid,
        decision: &str,
        reason: &str,
        conditions: Option<&str>,
    ) -> anyhow::Result<()> {
        let d = RawDecision {
            decision: decision.into(),
            reason: reason.into(),
            conditions: conditions.map(str::to_string),
            valid_days: None,
        }
        .parse()
        .map_err(|e| anyhow::anyhow!("demo decision: {e:?}"))?;
        self.store
            .decide_screening(&self.physician, self.clinic, screening, &d)
            .await?;
        Ok(())
    }

    /// Records a consent to `template` for `products`, explained at
    /// `explained_at` and signed at `signed_at`.
    pub(crate) async fn sign(
        &self,
        patient: Uuid,
        template: &ConsentTemplate,
        products: &[(Uuid, &ProductFacts)],
        explained_at: Timestamp,
        signed_at: Timestamp,
        same_day_reason: Option<&str>,
    ) -> anyhow::Result<Uuid> {
        let facts: Vec<ProductFacts> = products.iter().map(|(_, f)| (*f).clone()).collect();
        let doc = consent::render_document(
            &template.code,
            template.version,
            &template.body,
            &facts,
            Locale::Ja,
        )
        .map_err(|e| anyhow::anyhow!("demo consent document: {e:?}"))?;
        // Recorded by a physician when there is a same-day reason (only a
        // physician may write it), by the coordinator otherwise.
        let by = if same_day_reason.is_some() {
            &self.physician
        } else {
            &self.coordinator
        };
        let c = self
            .store
            .record_consent(
                by,
                self.clinic,
                patient,
                &NewConsent {
                    template_id: template.id,
                    template_version: template.version,
                    template_sha256: template.sha256.clone(),
                    locale: Locale::Ja,
                    product_ids: products.iter().map(|(id, _)| *id).collect(),
                    text: doc.text,
                    text_sha256: doc.sha256,
                    signature: Signature::parse(
                        Some("M40 140 C 60 60, 90 60, 110 130 S 150 170, 170 100 L 200 120 C 230 60, 260 70, 280 140"),
                        None,
                    )
                    .map_err(|e| anyhow::anyhow!("demo signature: {e:?}"))?,
                    explained_by: self.physician_id,
                    witness_name: None,
                    explained_at: Ts::from(explained_at),
                    first_explained_at: Ts::from(explained_at),
                    signed_at: Ts::from(signed_at),
                    same_day_reason: same_day_reason.map(str::to_string),
                },
            )
            .await?;
        Ok(c.id)
    }
}

pub(crate) fn person(
    name: &str,
    kana: &str,
    romaji: &str,
    birth: &str,
    sex: &str,
    phone: &str,
    address: &str,
) -> RawPatient {
    RawPatient {
        name: name.into(),
        kana: kana.into(),
        romaji: Some(romaji.into()),
        birth_date: birth.into(),
        sex: sex.into(),
        phone: phone.into(),
        email: Some(format!(
            "{}@example.jp",
            romaji.to_ascii_lowercase().replace(' ', ".")
        )),
        postal_code: Some("104-0061".into()),
        address: address.into(),
        ..Default::default()
    }
}

/// The patients the demo created, by name, and the IV consent template.
pub struct DemoPatients {
    pub patients: Vec<(&'static str, Uuid)>,
    pub iv_template: ConsentTemplate,
}

impl DemoPatients {
    /// The id of the demo patient called `name`.
    pub fn id(&self, name: &str) -> anyhow::Result<Uuid> {
        self.patients
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, id)| *id)
            .with_context(|| format!("demo patient {name} missing"))
    }
}

/// A consent template body from its (item, ja, en) texts.
pub(crate) fn template_body(
    title_ja: &str,
    title_en: &str,
    route: &str,
    items: &[(ConsentItem, &str, &str)],
) -> anyhow::Result<jousei_core::patient::consent::TemplateBody> {
    RawTemplate {
        title_ja: title_ja.into(),
        title_en: title_en.into(),
        product_kind: "conditioned_medium".into(),
        route: route.into(),
        sections: items
            .iter()
            .map(|(item, ja, en)| RawSection {
                item: item.as_str().into(),
                text_ja: (*ja).into(),
                text_en: (*en).into(),
            })
            .collect(),
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("demo consent template: {e:?}"))
}

/// Seeds the demo patients of `clinic`; `logins` maps demo logins to ids.
pub async fn seed(
    store: &DynStore,
    clinic: Uuid,
    logins: &HashMap<&str, Uuid>,
) -> anyhow::Result<DemoPatients> {
    let d = Demo::new(store, clinic, logins)?;
    let body = template_body(
        "幹細胞培養上清液 点滴療法 説明書・同意書",
        "Stem cell conditioned medium IV drip: information and consent",
        "iv_drip",
        TEMPLATE,
    )?;
    let template = store
        .create_consent_template(&d.admin, clinic, "CM-IV", &body)
        .await?;
    let mut patients = Vec::new();
    let product = store
        .product_by_code(clinic, "DP-CM-10")
        .await?
        .context("demo product DP-CM-10 missing")?;
    let product = [(product.id, &product.facts)];
    let now = Timestamp::now();
    let days_ago = |d: i64| {
        now.checked_sub(SignedDuration::from_hours(24 * d))
            .unwrap_or(now)
    };

    // 1. Eligible and consented (explained three days before signing).
    let mut raw = person(
        "山田 花子",
        "やまだ はなこ",
        "Yamada Hanako",
        "1978-05-14",
        "female",
        "090-1234-5678",
        "東京都中央区銀座一丁目2番3号 銀座ハイツ501",
    );
    raw.allergies = vec![RawAllergy {
        substance: "スギ花粉".into(),
        reaction: Some("鼻炎".into()),
        severity: "mild".into(),
    }];
    let (p, f) = d.patient(raw).await?;
    let s = d.answers(p, &f, &[]).await?;
    d.decide(
        s,
        "eligible",
        "問診・診察で施術を見合わせる所見なし。",
        None,
    )
    .await?;
    d.sign(p, &template, &product, days_ago(3), now, None)
        .await?;
    patients.push(("山田 花子", p));

    // 2. Eligible with conditions; treated the day of the first explanation
    //    with the physician's written reason.
    let mut raw = person(
        "佐藤 健一",
        "サトウ ケンイチ",
        "Sato Kenichi",
        "1965-09-03",
        "male",
        "080-2345-6789",
        "東京都港区新橋二丁目5番8号",
    );
    raw.medications = vec![RawMedication {
        name: "アムロジピン".into(),
        dose: Some("5mg 1日1回".into()),
    }];
    raw.history = Some("高血圧（近医で治療中、コントロール良好）".into());
    let (p, f) = d.patient(raw).await?;
    let s = d
        .answers(
            p,
            &f,
            &[
                (
                    "disease_under_treatment",
                    "yes",
                    "高血圧（新橋内科クリニック）",
                ),
                ("current_medications", "yes", "アムロジピン 5mg 1日1回"),
            ],
        )
        .await?;
    d.decide(
        s,
        "eligible_with_conditions",
        "高血圧は内服で安定。施術当日の血圧を確認して実施可。",
        Some("施術前に血圧測定（160/100 mmHg以上なら中止）。初回は施術後30分経過観察。"),
    )
    .await?;
    d.sign(
        p,
        &template,
        &product,
        now,
        now,
        Some("海外赴任前で本日以外に来院できず、本人の強い希望と血圧安定を確認したうえで本日の施術が必要と判断。"),
    )
    .await?;
    patients.push(("佐藤 健一", p));

    // 3. Refused: pregnant.
    let raw = person(
        "鈴木 由美",
        "すずき ゆみ",
        "Suzuki Yumi",
        "1990-02-20",
        "female",
        "070-3456-7890",
        "東京都中央区築地四丁目1番1号",
    );
    let (p, f) = d.patient(raw).await?;
    let s = d
        .answers(p, &f, &[("pregnancy", "yes", "妊娠12週")])
        .await?;
    d.decide(
        s,
        "not_eligible",
        "妊娠中のため施術を見合わせる。出産・授乳終了後に改めて問診と診察を行う。",
        None,
    )
    .await?;
    patients.push(("鈴木 由美", p));

    // 4. Consent withdrawn.
    let raw = person(
        "高橋 誠",
        "タカハシ マコト",
        "Takahashi Makoto",
        "1958-11-30",
        "male",
        "090-4567-8901",
        "東京都江東区豊洲三丁目3番3号",
    );
    let (p, f) = d.patient(raw).await?;
    let s = d.answers(p, &f, &[("blood_donation", "yes", "")]).await?;
    d.decide(
        s,
        "eligible",
        "所見なし。献血時の申告について説明済み。",
        None,
    )
    .await?;
    let c = d
        .sign(p, &template, &product, days_ago(10), now, None)
        .await?;
    patients.push(("高橋 誠", p));
    store
        .withdraw_consent(
            &d.coordinator,
            clinic,
            c,
            "家族と相談した結果、施術を希望しないとの申し出（電話）",
        )
        .await?;

    // 5. Awaiting the physician: a severe drug allergy on record.
    let mut raw = person(
        "伊藤 さくら",
        "いとう さくら",
        "Ito Sakura",
        "1985-07-07",
        "female",
        "080-5678-9012",
        "東京都品川区東品川二丁目2番2号",
    );
    raw.allergies = vec![RawAllergy {
        substance: "セファゾリン".into(),
        reaction: Some("アナフィラキシー（2019年、救急搬送）".into()),
        severity: "severe".into(),
    }];
    let (p, f) = d.patient(raw).await?;
    d.answers(
        p,
        &f,
        &[
            ("drug_allergy", "yes", "セファゾリンでアナフィラキシー"),
            ("allergic_disease", "yes", "気管支喘息（小児期）"),
        ],
    )
    .await?;
    patients.push(("伊藤 さくら", p));

    // 6. Stale: decided, then the answers changed (a new immunosuppressant).
    let raw = person(
        "渡辺 翔太",
        "ワタナベ ショウタ",
        "Watanabe Shota",
        "1972-04-01",
        "male",
        "090-6789-0123",
        "東京都中央区月島一丁目8番1号",
    );
    let (p, f) = d.patient(raw).await?;
    let s = d.answers(p, &f, &[]).await?;
    d.decide(s, "eligible", "所見なし。", None).await?;
    d.answers(
        p,
        &f,
        &[
            (
                "immunosuppressive_therapy",
                "yes",
                "プレドニゾロン 10mg（皮膚科で開始）",
            ),
            ("current_medications", "yes", "プレドニゾロン 10mg 1日1回"),
        ],
    )
    .await?;
    patients.push(("渡辺 翔太", p));
    Ok(DemoPatients {
        patients,
        iv_template: template,
    })
}
