//! Screening: rules that turn questionnaire answers (and the allergies on
//! the record) into findings, each with a stable code, a severity and its
//! reason; then a physician's decision with a written reason, valid for a
//! period, and stale as soon as the answers change.
//!
//! The seed (domain.md §5.2) says treatment *may* be refused at the
//! physician's judgement for each listed item; so jousei never refuses by
//! itself: every finding goes to the physician, who decides.

use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use super::LocalText;
use super::questionnaire::{Answers, Choice, QuestionId};
use super::registry::{Allergy, AllergySeverity};
use crate::code_enum;
use crate::error::FieldError;

code_enum! {
    /// What a finding is about.
    pub enum FindingCode {
        DiseaseUnderTreatment => "disease_under_treatment",
        AllergicDisease => "allergic_disease",
        DrugAllergy => "drug_allergy",
        InjectionReactionHistory => "injection_reaction_history",
        Pregnancy => "pregnancy",
        PregnancyPossible => "pregnancy_possible",
        Breastfeeding => "breastfeeding",
        AutoimmuneDisease => "autoimmune_disease",
        ImmunosuppressiveTherapy => "immunosuppressive_therapy",
        MalignancyUnderTreatment => "malignancy_under_treatment",
        CurrentMedications => "current_medications",
        BloodDonor => "blood_donor",
        RecordedAllergy => "recorded_allergy",
        RecordedSevereAllergy => "recorded_severe_allergy",
    }
}

code_enum! {
    /// How much a finding weighs in the physician's review.
    pub enum Severity {
        /// To know and to tell the patient about (medications, blood donation).
        Notice => "notice",
        /// To ask about before deciding (allergies, past reactions, illness).
        Caution => "caution",
        /// A reason the seed names for refusing treatment.
        Serious => "serious",
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// The question whose answer raised it (none for the record's allergies).
    pub question: Option<QuestionId>,
    /// The patient's words, or the recorded allergy.
    pub detail: Option<String>,
    /// Why it matters.
    pub reason: LocalText,
}

/// A rule: which answer to which question raises which finding.
struct Rule {
    question: QuestionId,
    on: Choice,
    code: FindingCode,
    severity: Severity,
    ja: &'static str,
    en: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        question: QuestionId::DiseaseUnderTreatment,
        on: Choice::Yes,
        code: FindingCode::DiseaseUnderTreatment,
        severity: Severity::Caution,
        ja: "治療中の疾患がある。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "An illness is under treatment. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::AllergicDisease,
        on: Choice::Yes,
        code: FindingCode::AllergicDisease,
        severity: Severity::Caution,
        ja: "アレルギー疾患がある。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Allergic disease. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::DrugAllergy,
        on: Choice::Yes,
        code: FindingCode::DrugAllergy,
        severity: Severity::Caution,
        ja: "薬剤アレルギーの既往がある。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "History of drug allergy. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::InjectionReaction,
        on: Choice::Yes,
        code: FindingCode::InjectionReactionHistory,
        severity: Severity::Caution,
        ja: "注射・点滴で反応が出たことがある。医師に相談すること（seed 000）。",
        en: "Past reaction to an injection or drip. Consult the physician (seed 000).",
    },
    Rule {
        question: QuestionId::Pregnancy,
        on: Choice::Yes,
        code: FindingCode::Pregnancy,
        severity: Severity::Serious,
        ja: "妊娠中。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Pregnant. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::Pregnancy,
        on: Choice::Unsure,
        code: FindingCode::PregnancyPossible,
        severity: Severity::Serious,
        ja: "妊娠の可能性がある。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Possibly pregnant. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::Breastfeeding,
        on: Choice::Yes,
        code: FindingCode::Breastfeeding,
        severity: Severity::Serious,
        ja: "授乳中。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Breastfeeding. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::AutoimmuneDisease,
        on: Choice::Yes,
        code: FindingCode::AutoimmuneDisease,
        severity: Severity::Serious,
        ja: "自己免疫疾患がある（過剰反応のおそれ）。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Autoimmune disease (risk of over-reaction). Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::ImmunosuppressiveTherapy,
        on: Choice::Yes,
        code: FindingCode::ImmunosuppressiveTherapy,
        severity: Severity::Serious,
        ja: "免疫抑制療法を受けている。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Receiving immunosuppressive therapy. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::MalignancyUnderTreatment,
        on: Choice::Yes,
        code: FindingCode::MalignancyUnderTreatment,
        severity: Severity::Serious,
        ja: "治療中の悪性腫瘍がある。施術は医師の判断により見合わせることがある（seed 004）。",
        en: "Cancer under treatment. Treatment may be withheld at the physician's judgement (seed 004).",
    },
    Rule {
        question: QuestionId::CurrentMedications,
        on: Choice::Yes,
        code: FindingCode::CurrentMedications,
        severity: Severity::Notice,
        ja: "服用中の薬がある。医師が内容を確認すること。",
        en: "Takes medicines. The physician reviews them.",
    },
    Rule {
        question: QuestionId::BloodDonation,
        on: Choice::Yes,
        code: FindingCode::BloodDonor,
        severity: Severity::Notice,
        ja: "献血をすることがある。施術後の献血について説明し、献血時の問診で申告するよう伝えること（regulatory.md §8）。",
        en: "Donates blood. Explain the notice on blood donation after treatment and ask the patient to declare it when donating (regulatory.md §8).",
    },
];

/// Applies the rules to `answers` and the allergies on the record. Findings
/// come in question order, then the record's allergies.
pub fn screen(answers: &Answers, allergies: &[Allergy]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, answer) in answers {
        for rule in RULES
            .iter()
            .filter(|r| r.question == *id && r.on == answer.choice)
        {
            out.push(Finding {
                code: rule.code,
                severity: rule.severity,
                question: Some(*id),
                detail: answer.detail.clone(),
                reason: LocalText::new(rule.ja, rule.en),
            });
        }
    }
    for a in allergies {
        let severe = a.severity == AllergySeverity::Severe;
        let detail = match &a.reaction {
            Some(r) => format!("{}: {r}", a.substance),
            None => a.substance.clone(),
        };
        out.push(Finding {
            code: if severe {
                FindingCode::RecordedSevereAllergy
            } else {
                FindingCode::RecordedAllergy
            },
            severity: if severe {
                Severity::Caution
            } else {
                Severity::Notice
            },
            question: None,
            detail: Some(detail),
            reason: if severe {
                LocalText::new(
                    "重いアレルギー反応の記録がある。医師に相談すること（seed 000）。",
                    "A severe allergic reaction is on record. Consult the physician (seed 000).",
                )
            } else {
                LocalText::new("アレルギーの記録がある。", "An allergy is on record.")
            },
        });
    }
    out
}

code_enum! {
    /// The physician's decision.
    pub enum Decision {
        Eligible => "eligible",
        EligibleWithConditions => "eligible_with_conditions",
        NotEligible => "not_eligible",
    }
}

/// Days a decision stays valid unless the physician sets another period.
/// A jousei default, not a regulatory figure.
pub const DEFAULT_VALIDITY_DAYS: u32 = 90;
/// Longest validity a physician may set.
pub const MAX_VALIDITY_DAYS: u32 = 365;

/// A physician's decision as sent (strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawDecision {
    /// eligible, eligible_with_conditions, not_eligible
    pub decision: String,
    /// Why (required, written by the physician).
    pub reason: String,
    /// The conditions (required for eligible_with_conditions).
    pub conditions: Option<String>,
    /// Days the decision stays valid (default 90, at most 365).
    pub valid_days: Option<String>,
}

/// A parsed decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionFacts {
    pub decision: Decision,
    pub reason: String,
    pub conditions: Option<String>,
    pub valid_days: u32,
}

impl RawDecision {
    pub fn parse(&self) -> Result<DecisionFacts, Vec<FieldError>> {
        let mut errs = Vec::new();
        let decision = match Decision::parse(&self.decision) {
            Some(d) => Some(d),
            None => {
                errs.push(FieldError::new(
                    "decision",
                    if self.decision.trim().is_empty() {
                        "field_required"
                    } else {
                        "code_unknown"
                    },
                ));
                None
            }
        };
        let reason = super::required_text(&self.reason, "reason", 2000)
            .map_err(|e| {
                errs.push(if e.code == "field_required" {
                    FieldError::new("reason", "reason_required")
                } else {
                    e
                })
            })
            .ok();
        let conditions = super::optional_text(self.conditions.as_deref(), "conditions", 2000)
            .map_err(|e| errs.push(e))
            .ok()
            .flatten();
        if decision == Some(Decision::EligibleWithConditions) && conditions.is_none() {
            errs.push(FieldError::new(
                "conditions",
                "screening_conditions_required",
            ));
        }
        if decision.is_some_and(|d| d != Decision::EligibleWithConditions) && conditions.is_some() {
            errs.push(FieldError::new(
                "conditions",
                "screening_conditions_unexpected",
            ));
        }
        let valid_days = match self.valid_days.as_deref().map(str::trim) {
            None | Some("") => Some(DEFAULT_VALIDITY_DAYS),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_VALIDITY_DAYS).contains(&n) => Some(n),
                _ => {
                    errs.push(FieldError::new("valid_days", "screening_validity_invalid"));
                    None
                }
            },
        };
        match (decision, reason, valid_days, errs.is_empty()) {
            (Some(decision), Some(reason), Some(valid_days), true) => Ok(DecisionFacts {
                decision,
                reason,
                conditions,
                valid_days,
            }),
            _ => Err(errs),
        }
    }
}

/// What the standing of a screening depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningFacts {
    /// Fingerprint of the answers it screened.
    pub answers_fingerprint: String,
    /// The decision, when it was made, and for how many days.
    pub decided: Option<(Decision, Timestamp, u32)>,
}

/// Where a screening stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Standing {
    /// The patient's answers changed since: screen again.
    Stale,
    /// Waiting for the physician.
    AwaitingDecision,
    /// Decided, but the validity period is over: screen again.
    Expired { until: Timestamp },
    /// Decided and current.
    Valid {
        decision: Decision,
        until: Timestamp,
    },
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Standing::Stale => "stale",
            Standing::AwaitingDecision => "awaiting_decision",
            Standing::Expired { .. } => "expired",
            Standing::Valid { .. } => "valid",
        }
    }

    /// Whether a treatment may go ahead on this screening (a current
    /// decision that is not `not_eligible`).
    pub fn permits_treatment(self) -> bool {
        matches!(
            self,
            Standing::Valid {
                decision: Decision::Eligible | Decision::EligibleWithConditions,
                ..
            }
        )
    }
}

/// The end of a decision's validity.
pub fn valid_until(decided_at: Timestamp, valid_days: u32) -> Timestamp {
    decided_at
        .checked_add(Span::new().hours(i64::from(valid_days) * 24))
        .unwrap_or(Timestamp::MAX)
}

/// The standing of `s` at `now`, given the fingerprint of the patient's
/// latest answers.
pub fn standing(s: &ScreeningFacts, latest_fingerprint: &str, now: Timestamp) -> Standing {
    if s.answers_fingerprint != latest_fingerprint {
        return Standing::Stale;
    }
    match s.decided {
        None => Standing::AwaitingDecision,
        Some((decision, at, days)) => {
            let until = valid_until(at, days);
            if now >= until {
                Standing::Expired { until }
            } else {
                Standing::Valid { decision, until }
            }
        }
    }
}

/// Whether a decision may be recorded on `s` now: once only, and only on
/// the patient's latest answers.
pub fn may_decide(s: &ScreeningFacts, latest_fingerprint: &str) -> Result<(), &'static str> {
    if s.decided.is_some() {
        return Err("screening_already_decided");
    }
    if s.answers_fingerprint != latest_fingerprint {
        return Err("screening_stale");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::patient::questionnaire::{Answer, current};
    use proptest::prelude::*;

    fn no_to_everything() -> Answers {
        current()
            .questions
            .iter()
            .map(|q| {
                (
                    q.id,
                    Answer {
                        choice: Choice::No,
                        detail: None,
                    },
                )
            })
            .collect()
    }

    fn yes(id: QuestionId, choice: Choice) -> Vec<Finding> {
        let mut a = no_to_everything();
        a.insert(
            id,
            Answer {
                choice,
                detail: Some("詳細".into()),
            },
        );
        screen(&a, &[])
    }

    #[test]
    fn no_to_everything_finds_nothing() {
        assert!(screen(&no_to_everything(), &[]).is_empty());
    }

    /// Each seed item produces its own finding, with its severity and reason.
    #[test]
    fn each_seed_item_produces_its_finding() {
        use FindingCode as F;
        use QuestionId as Q;
        use Severity as S;
        let cases = [
            (
                Q::DiseaseUnderTreatment,
                Choice::Yes,
                F::DiseaseUnderTreatment,
                S::Caution,
            ),
            (
                Q::AllergicDisease,
                Choice::Yes,
                F::AllergicDisease,
                S::Caution,
            ),
            (Q::DrugAllergy, Choice::Yes, F::DrugAllergy, S::Caution),
            (
                Q::InjectionReaction,
                Choice::Yes,
                F::InjectionReactionHistory,
                S::Caution,
            ),
            (Q::Pregnancy, Choice::Yes, F::Pregnancy, S::Serious),
            (
                Q::Pregnancy,
                Choice::Unsure,
                F::PregnancyPossible,
                S::Serious,
            ),
            (Q::Breastfeeding, Choice::Yes, F::Breastfeeding, S::Serious),
            (
                Q::AutoimmuneDisease,
                Choice::Yes,
                F::AutoimmuneDisease,
                S::Serious,
            ),
            (
                Q::ImmunosuppressiveTherapy,
                Choice::Yes,
                F::ImmunosuppressiveTherapy,
                S::Serious,
            ),
            (
                Q::MalignancyUnderTreatment,
                Choice::Yes,
                F::MalignancyUnderTreatment,
                S::Serious,
            ),
            (
                Q::CurrentMedications,
                Choice::Yes,
                F::CurrentMedications,
                S::Notice,
            ),
            (Q::BloodDonation, Choice::Yes, F::BloodDonor, S::Notice),
        ];
        for (q, choice, code, severity) in cases {
            let f = yes(q, choice);
            assert_eq!(f.len(), 1, "{q}");
            assert_eq!(
                (f[0].code, f[0].severity, f[0].question),
                (code, severity, Some(q))
            );
            assert_eq!(f[0].detail.as_deref(), Some("詳細"));
            assert!(!f[0].reason.ja.is_empty() && !f[0].reason.en.is_empty());
        }
        // Every finding code of an answer is covered above.
        let covered: Vec<_> = cases.iter().map(|c| c.2).collect();
        for code in FindingCode::ALL {
            assert!(
                covered.contains(code)
                    || matches!(code, F::RecordedAllergy | F::RecordedSevereAllergy),
                "{code}"
            );
        }
    }

    #[test]
    fn recorded_allergies_are_findings() {
        let f = screen(
            &no_to_everything(),
            &[
                Allergy {
                    substance: "ペニシリン".into(),
                    reaction: Some("アナフィラキシー".into()),
                    severity: AllergySeverity::Severe,
                },
                Allergy {
                    substance: "スギ花粉".into(),
                    reaction: None,
                    severity: AllergySeverity::Mild,
                },
            ],
        );
        assert_eq!(
            f.iter().map(|f| (f.code, f.severity)).collect::<Vec<_>>(),
            vec![
                (FindingCode::RecordedSevereAllergy, Severity::Caution),
                (FindingCode::RecordedAllergy, Severity::Notice)
            ]
        );
        assert_eq!(f[0].detail.as_deref(), Some("ペニシリン: アナフィラキシー"));
    }

    #[test]
    fn decisions_need_a_reason_and_conditions_when_conditional() {
        let ok = RawDecision {
            decision: "eligible_with_conditions".into(),
            reason: "服薬内容を確認。".into(),
            conditions: Some("初回は半量で経過観察30分".into()),
            valid_days: None,
        }
        .parse()
        .unwrap();
        assert_eq!(ok.valid_days, DEFAULT_VALIDITY_DAYS);
        let errs = RawDecision {
            decision: "eligible_with_conditions".into(),
            reason: " ".into(),
            conditions: None,
            valid_days: Some("400".into()),
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            errs.iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
            vec![
                ("reason", "reason_required"),
                ("conditions", "screening_conditions_required"),
                ("valid_days", "screening_validity_invalid"),
            ]
        );
        let errs = RawDecision {
            decision: "ok".into(),
            reason: "x".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(errs[0].code, "code_unknown");
        let errs = RawDecision {
            decision: "eligible".into(),
            reason: "x".into(),
            conditions: Some("y".into()),
            valid_days: None,
        }
        .parse()
        .unwrap_err();
        assert_eq!(errs[0].code, "screening_conditions_unexpected");
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn standing_over_time_and_answers() {
        let mut s = ScreeningFacts {
            answers_fingerprint: "a".into(),
            decided: None,
        };
        let now = ts("2026-11-22T01:00:00Z");
        assert_eq!(standing(&s, "a", now), Standing::AwaitingDecision);
        assert_eq!(standing(&s, "b", now), Standing::Stale);
        assert_eq!(may_decide(&s, "b"), Err("screening_stale"));
        assert_eq!(may_decide(&s, "a"), Ok(()));
        s.decided = Some((Decision::Eligible, now, 90));
        assert_eq!(may_decide(&s, "a"), Err("screening_already_decided"));
        let until = ts("2027-02-20T01:00:00Z");
        assert_eq!(
            standing(&s, "a", ts("2027-02-20T00:59:59Z")),
            Standing::Valid {
                decision: Decision::Eligible,
                until
            }
        );
        assert!(standing(&s, "a", now).permits_treatment());
        assert_eq!(standing(&s, "a", until), Standing::Expired { until });
        assert_eq!(standing(&s, "b", now), Standing::Stale);
        s.decided = Some((Decision::NotEligible, now, 90));
        assert!(!standing(&s, "a", now).permits_treatment());
    }

    #[derive(Debug, Clone)]
    enum Step {
        ChangeAnswers(u8),
        Decide(u8),
        Wait(u32),
    }

    fn arb_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u8..3).prop_map(Step::ChangeAnswers),
            (0u8..3).prop_map(Step::Decide),
            (0u32..2_000).prop_map(Step::Wait),
        ]
    }

    proptest! {
        /// Whatever happens, a screening is valid only while it was decided
        /// on the latest answers within its period; a decision is never
        /// replaced; findings follow the answers exactly.
        #[test]
        fn a_screening_is_valid_only_on_current_answers_within_its_period(steps in prop::collection::vec(arb_step(), 0..40)) {
            let mut now = ts("2026-11-22T00:00:00Z");
            let mut latest = "0".to_string();
            let mut s = ScreeningFacts { answers_fingerprint: latest.clone(), decided: None };
            for step in steps {
                match step {
                    Step::ChangeAnswers(n) => latest = n.to_string(),
                    Step::Decide(d) => {
                        let before = s.decided;
                        if may_decide(&s, &latest).is_ok() {
                            s.decided = Some((Decision::ALL[usize::from(d)], now, 30));
                        } else {
                            prop_assert_eq!(before, s.decided);
                        }
                        if before.is_some() { prop_assert_eq!(before, s.decided); }
                    }
                    Step::Wait(h) => now = now.checked_add(Span::new().hours(i64::from(h))).unwrap(),
                }
                let st = standing(&s, &latest, now);
                if let Standing::Valid { until, .. } = st {
                    prop_assert!(s.decided.is_some());
                    prop_assert_eq!(&s.answers_fingerprint, &latest);
                    prop_assert!(now < until);
                }
                if s.answers_fingerprint != latest { prop_assert_eq!(st, Standing::Stale); }
            }
        }

        /// For any answers, the findings are exactly the rules that match.
        #[test]
        fn findings_follow_the_answers(choices in prop::collection::vec(0usize..3, 11)) {
            let mut a = Answers::new();
            for (q, c) in current().questions.iter().zip(&choices) {
                let choice = [Choice::Yes, Choice::No, Choice::Unsure][*c];
                a.insert(q.id, Answer { choice, detail: None });
            }
            let f = screen(&a, &[]);
            let expected = a.iter().filter(|(id, ans)| match ans.choice {
                Choice::Yes => true,
                Choice::Unsure => **id == QuestionId::Pregnancy,
                Choice::No => false,
            }).count();
            prop_assert_eq!(f.len(), expected);
            for finding in &f {
                let q = finding.question.unwrap();
                prop_assert_ne!(a[&q].choice, Choice::No);
            }
        }
    }
}
