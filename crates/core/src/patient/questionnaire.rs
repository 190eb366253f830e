//! The intake questionnaire (問診票): a versioned definition with question
//! texts in Japanese and English, and the parsing of a patient's answers.
//!
//! Version 1 covers the seed's screening list (domain.md §5.2: disease
//! under current treatment, allergic disease, drug allergy, past reactions
//! to injections or infusions, pregnancy or its possibility, breastfeeding,
//! autoimmune disease, immunosuppressive therapy, malignancy under
//! treatment), current medications, and blood donation (regulatory.md §8).
//! A published version never changes: a new question is a new version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LocalText;
use super::registry::Sex;
use crate::code_enum;
use crate::error::FieldError;

code_enum! {
    /// A question's stable id (also the answer's field name).
    pub enum QuestionId {
        DiseaseUnderTreatment => "disease_under_treatment",
        AllergicDisease => "allergic_disease",
        DrugAllergy => "drug_allergy",
        InjectionReaction => "injection_reaction",
        Pregnancy => "pregnancy",
        Breastfeeding => "breastfeeding",
        AutoimmuneDisease => "autoimmune_disease",
        ImmunosuppressiveTherapy => "immunosuppressive_therapy",
        MalignancyUnderTreatment => "malignancy_under_treatment",
        CurrentMedications => "current_medications",
        BloodDonation => "blood_donation",
    }
}

code_enum! {
    /// An answer to a yes/no question; `unsure` where the question allows it
    /// (pregnancy: "possibly").
    pub enum Choice {
        Yes => "yes",
        No => "no",
        Unsure => "unsure",
    }
}

/// One question of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: QuestionId,
    pub text: LocalText,
    /// What the detail box asks for when the answer is yes.
    pub detail_prompt: LocalText,
    /// A "yes" needs a detail (which disease, which drug, …).
    pub detail_required: bool,
    pub allows_unsure: bool,
    /// Asked only of patients who are not recorded as male (pregnancy,
    /// breastfeeding).
    pub not_for_male: bool,
}

impl Question {
    /// Whether the question is asked of a patient of this sex.
    pub fn applies_to(&self, sex: Sex) -> bool {
        !(self.not_for_male && sex == Sex::Male)
    }
}

/// One version of the questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Questionnaire {
    pub version: u32,
    pub title: LocalText,
    pub questions: Vec<Question>,
}

impl Questionnaire {
    pub fn question(&self, id: QuestionId) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// The version new answers are given against.
pub const CURRENT_VERSION: u32 = 1;

/// The published version `version`, if there is one.
pub fn version(version: u32) -> Option<Questionnaire> {
    (version == 1).then(v1)
}

/// The current version.
pub fn current() -> Questionnaire {
    v1()
}

fn q(
    id: QuestionId,
    ja: &str,
    en: &str,
    detail_ja: &str,
    detail_en: &str,
    detail_required: bool,
) -> Question {
    Question {
        id,
        text: LocalText::new(ja, en),
        detail_prompt: LocalText::new(detail_ja, detail_en),
        detail_required,
        allows_unsure: false,
        not_for_male: false,
    }
}

fn v1() -> Questionnaire {
    use QuestionId as Q;
    let mut pregnancy = q(
        Q::Pregnancy,
        "現在、妊娠中ですか。または妊娠している可能性はありますか。",
        "Are you pregnant, or could you be pregnant?",
        "妊娠週数など",
        "Weeks of pregnancy, if known",
        false,
    );
    pregnancy.allows_unsure = true;
    pregnancy.not_for_male = true;
    let mut breastfeeding = q(
        Q::Breastfeeding,
        "現在、授乳中ですか。",
        "Are you breastfeeding?",
        "",
        "",
        false,
    );
    breastfeeding.not_for_male = true;
    Questionnaire {
        version: 1,
        title: LocalText::new("問診票", "Intake questionnaire"),
        questions: vec![
            q(
                Q::DiseaseUnderTreatment,
                "現在、治療中の病気はありますか。",
                "Are you currently being treated for any illness?",
                "病名と通院先",
                "Which illness, and where you are treated",
                true,
            ),
            q(
                Q::AllergicDisease,
                "アレルギー疾患（気管支喘息、アトピー性皮膚炎、花粉症など）はありますか。",
                "Do you have an allergic disease (asthma, atopic dermatitis, hay fever, …)?",
                "病名",
                "Which",
                false,
            ),
            q(
                Q::DrugAllergy,
                "薬を使って、発疹・かゆみ・息苦しさなどのアレルギー症状が出たことはありますか。",
                "Have you ever had an allergic reaction (rash, itching, difficulty breathing, …) to a medicine?",
                "薬の名前と症状",
                "Which medicine, and what happened",
                true,
            ),
            q(
                Q::InjectionReaction,
                "注射や点滴で、気分が悪くなる・発熱・腫れなどの反応が出たことはありますか。",
                "Have you ever had a reaction (feeling faint, fever, swelling, …) to an injection or drip?",
                "いつ、何で、どのような反応か",
                "When, to what, and what happened",
                true,
            ),
            pregnancy,
            breastfeeding,
            q(
                Q::AutoimmuneDisease,
                "自己免疫疾患（関節リウマチ、全身性エリテマトーデス、橋本病など）と診断されたことはありますか。",
                "Have you been diagnosed with an autoimmune disease (rheumatoid arthritis, lupus, Hashimoto's, …)?",
                "病名",
                "Which",
                true,
            ),
            q(
                Q::ImmunosuppressiveTherapy,
                "免疫を抑える治療（ステロイド、免疫抑制剤、抗がん剤、生物学的製剤など）を受けていますか。",
                "Are you receiving treatment that suppresses the immune system (steroids, immunosuppressants, chemotherapy, biologics, …)?",
                "薬の名前",
                "Which medicine",
                true,
            ),
            q(
                Q::MalignancyUnderTreatment,
                "現在、治療中の悪性腫瘍（がん）はありますか。",
                "Are you currently being treated for cancer?",
                "病名と治療内容",
                "Which, and the treatment",
                true,
            ),
            q(
                Q::CurrentMedications,
                "現在、使用している薬（市販薬・サプリメントを含む）はありますか。",
                "Do you currently take any medicines (including over-the-counter medicines and supplements)?",
                "薬の名前と量",
                "Names and doses",
                true,
            ),
            q(
                Q::BloodDonation,
                "献血をすることがありますか。",
                "Do you donate blood?",
                "",
                "",
                false,
            ),
        ],
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub choice: Choice,
    /// The patient's own words (which drug, which disease, …).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

/// The answers of one filling, by question.
pub type Answers = BTreeMap<QuestionId, Answer>;

/// An answer as sent (strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawAnswer {
    pub question: String,
    /// yes, no, unsure
    pub answer: String,
    pub detail: Option<String>,
}

/// Longest detail accepted, in characters.
pub const DETAIL_MAX: usize = 500;

/// Parses the answers to `def` of a patient of sex `sex`. Every question
/// that applies needs an answer; a question that does not apply may be
/// left out. Returns every problem at once; a problem with one question
/// names the question as its field.
pub fn parse_answers(
    def: &Questionnaire,
    sex: Sex,
    raw: &[RawAnswer],
) -> Result<Answers, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut out = Answers::new();
    for r in raw {
        let Some(id) = QuestionId::parse(&r.question).filter(|id| def.question(*id).is_some())
        else {
            errs.push(FieldError::new("answers", "question_unknown"));
            continue;
        };
        let Some(question) = def.question(id) else {
            continue;
        };
        let field = id.as_str();
        let choice = match Choice::parse(&r.answer) {
            Some(Choice::Unsure) if !question.allows_unsure => {
                errs.push(FieldError::new(field, "answer_invalid"));
                continue;
            }
            Some(c) => c,
            None if r.answer.trim().is_empty() => {
                errs.push(FieldError::new(field, "answer_required"));
                continue;
            }
            None => {
                errs.push(FieldError::new(field, "answer_invalid"));
                continue;
            }
        };
        let detail = match super::optional_text(r.detail.as_deref(), field, DETAIL_MAX) {
            Ok(d) => d,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        if choice == Choice::Yes && question.detail_required && detail.is_none() {
            errs.push(FieldError::new(field, "answer_detail_required"));
            continue;
        }
        if out.insert(id, Answer { choice, detail }).is_some() {
            errs.push(FieldError::new(field, "answer_duplicate"));
        }
    }
    for question in &def.questions {
        let answered =
            out.contains_key(&question.id) || errs.iter().any(|e| e.field == question.id.as_str());
        if question.applies_to(sex) && !answered {
            errs.push(FieldError::new(question.id.as_str(), "answer_required"));
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

/// A stable fingerprint of a version's answers: SHA-256 (hex) over the
/// version and the answers in question order. Two fillings with the same
/// answers have the same fingerprint; any change of choice or detail
/// changes it (and makes a screening of the earlier answers stale).
pub fn fingerprint(version: u32, answers: &Answers) -> String {
    let mut h = Sha256::new();
    h.update(format!("jousei-questionnaire-v{version}\n").as_bytes());
    for (id, a) in answers {
        let detail = a.detail.as_deref().unwrap_or("");
        h.update(
            format!(
                "{}\t{}\t{}\t{detail}\n",
                id.as_str(),
                a.choice.as_str(),
                detail.len()
            )
            .as_bytes(),
        );
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_no(sex: Sex) -> Vec<RawAnswer> {
        current()
            .questions
            .iter()
            .filter(|q| q.applies_to(sex))
            .map(|q| RawAnswer {
                question: q.id.as_str().into(),
                answer: "no".into(),
                detail: None,
            })
            .collect()
    }

    #[test]
    fn version_one_asks_every_seed_item_in_both_languages() {
        let def = current();
        assert_eq!(def.version, CURRENT_VERSION);
        assert_eq!(version(1), Some(def.clone()));
        assert_eq!(version(2), None);
        for id in QuestionId::ALL {
            let q = def.question(*id).unwrap();
            assert!(!q.text.ja.is_empty() && !q.text.en.is_empty(), "{id}");
            assert!(
                q.text.ja.ends_with('。') && q.text.en.ends_with('?'),
                "{id}"
            );
        }
        assert_eq!(def.questions.len(), QuestionId::ALL.len());
    }

    #[test]
    fn answers_parse_and_every_problem_is_named() {
        let def = current();
        let a = parse_answers(&def, Sex::Female, &all_no(Sex::Female)).unwrap();
        assert_eq!(a.len(), 11);
        // A man is not asked about pregnancy or breastfeeding.
        let a = parse_answers(&def, Sex::Male, &all_no(Sex::Male)).unwrap();
        assert_eq!(a.len(), 9);
        let mut raw = all_no(Sex::Female);
        raw.retain(|r| r.question != "blood_donation");
        raw[0].answer = "yes".into(); // disease_under_treatment, no detail
        raw[1].answer = "maybe".into(); // allergic_disease
        raw[2].answer = "unsure".into(); // drug_allergy does not allow unsure
        raw.push(RawAnswer {
            question: "favourite_colour".into(),
            answer: "no".into(),
            detail: None,
        });
        raw.push(RawAnswer {
            question: "pregnancy".into(),
            answer: "unsure".into(),
            detail: None,
        });
        let errs = parse_answers(&def, Sex::Female, &raw).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("disease_under_treatment", "answer_detail_required"),
                ("allergic_disease", "answer_invalid"),
                ("drug_allergy", "answer_invalid"),
                ("answers", "question_unknown"),
                ("pregnancy", "answer_duplicate"),
                ("blood_donation", "answer_required"),
            ]
        );
    }

    #[test]
    fn fingerprints_follow_the_answers() {
        let def = current();
        let a = parse_answers(&def, Sex::Female, &all_no(Sex::Female)).unwrap();
        let mut b = a.clone();
        assert_eq!(fingerprint(1, &a), fingerprint(1, &b));
        b.insert(
            QuestionId::CurrentMedications,
            Answer {
                choice: Choice::Yes,
                detail: Some("ロキソプロフェン".into()),
            },
        );
        assert_ne!(fingerprint(1, &a), fingerprint(1, &b));
        assert_ne!(fingerprint(1, &a), fingerprint(2, &a));
    }

    proptest! {
        /// Any change to one answer (choice or detail) changes the fingerprint.
        #[test]
        fn any_change_changes_the_fingerprint(i in 0usize..11, yes in any::<bool>(), detail in "[a-zあ-ん]{0,8}") {
            let def = current();
            let a = parse_answers(&def, Sex::Female, &all_no(Sex::Female)).unwrap();
            let mut b = a.clone();
            let id = QuestionId::ALL[i];
            let new = Answer { choice: if yes { Choice::Yes } else { Choice::No }, detail: (!detail.is_empty()).then_some(detail) };
            let changed = a.get(&id) != Some(&new);
            b.insert(id, new);
            prop_assert_eq!(fingerprint(1, &a) != fingerprint(1, &b), changed);
        }
    }
}
