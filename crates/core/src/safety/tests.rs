//! Tests of the parent module, kept beside it so the module reads as one idea.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use proptest::prelude::*;

fn raw() -> RawAdverseEvent {
    RawAdverseEvent {
        onset_at: "2026-11-20T03:00:00Z".into(),
        aware_at: "2026-11-21T01:00:00Z".into(),
        description: "投与後に発熱 38.5℃".into(),
        category: "fever".into(),
        severity: "moderate".into(),
        seriousness: vec![],
        causality: Some("possible".into()),
        outcome: "recovering".into(),
        action_taken: Some("解熱剤を処方".into()),
        administration_ids: vec![],
    }
}

fn now() -> Timestamp {
    "2026-11-22T00:00:00Z".parse().unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn a_report_parses_and_every_problem_is_listed() {
    let f = raw().parse(now()).unwrap();
    assert!(!f.is_serious());
    let bad = RawAdverseEvent {
        onset_at: "2026-12-01T00:00:00Z".into(),
        aware_at: "nope".into(),
        description: " ".into(),
        category: "headache".into(),
        severity: "bad".into(),
        seriousness: vec!["hospitalisation".into(), "x".into()],
        causality: Some("maybe".into()),
        outcome: "fatal".into(),
        action_taken: None,
        administration_ids: vec!["not-a-uuid".into()],
    };
    let codes: Vec<&str> = bad
        .parse(now())
        .unwrap_err()
        .iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(
        codes,
        [
            "ae_in_future",
            "datetime_invalid",
            "field_required",
            "ae_category_invalid",
            "ae_severity_invalid",
            "ae_seriousness_invalid",
            "ae_causality_invalid",
            "ae_fatal_needs_death",
            "ae_administration_unknown"
        ]
    );
}

#[test]
fn awareness_cannot_precede_onset_and_anaphylaxis_is_not_mild() {
    let mut r = raw();
    r.aware_at = "2026-11-19T00:00:00Z".into();
    r.category = "anaphylaxis".into();
    r.severity = "mild".into();
    let codes: Vec<&str> = r.parse(now()).unwrap_err().iter().map(|e| e.code).collect();
    assert_eq!(codes, ["ae_aware_before_onset", "ae_anaphylaxis_not_mild"]);
}

#[test]
fn deadlines_are_7_days_for_death_and_15_for_other_serious() {
    let mut f = raw().parse(now()).unwrap();
    let p = ReportingPolicy::default();
    assert_eq!(report_due(&f, date("2026-11-21"), p), None);
    f.seriousness = vec![Seriousness::Hospitalisation];
    assert_eq!(
        report_due(&f, date("2026-11-21"), p),
        Some((date("2026-12-06"), DeadlineKind::Serious))
    );
    f.seriousness = vec![Seriousness::Hospitalisation, Seriousness::LifeThreatening];
    assert_eq!(
        report_due(&f, date("2026-12-28"), p),
        Some((date("2027-01-04"), DeadlineKind::Urgent)),
        "across the year end"
    );
    let strict = ReportingPolicy {
        death_days: 3,
        serious_days: 10,
    };
    assert_eq!(
        report_due(&f, date("2026-02-26"), strict),
        Some((date("2026-03-01"), DeadlineKind::Urgent))
    );
}

fn raw_policy(regime: &str, death: &str, serious: &str) -> RawRegimePolicy {
    RawRegimePolicy {
        regime: regime.into(),
        death_days: death.into(),
        serious_days: serious.into(),
    }
}

#[test]
fn a_policy_per_regime_is_read_and_every_problem_named() {
    let p = parse_policies(&[
        raw_policy("approved_drug", "15", "30"),
        raw_policy("unapproved", " 5 ", "10"),
        raw_policy("regenerative_medicine_act", "7", "15"),
    ])
    .unwrap();
    assert_eq!(
        p.regimes.iter().map(|r| r.regime).collect::<Vec<_>>(),
        LegalRegime::ALL,
        "in the regimes' order"
    );
    assert_eq!(
        p.of(LegalRegime::Unapproved),
        ReportingPolicy {
            death_days: 5,
            serious_days: 10
        }
    );
    assert_eq!(ReportingPolicies::default().check(), Ok(()));
    let errs = parse_policies(&[
        raw_policy("unapproved", "x", "0"),
        raw_policy("regenerative_medicine_act", "20", "15"),
        raw_policy("regenerative_medicine_act", "7", "15"),
        raw_policy("herbal", "7", "15"),
    ])
    .unwrap_err();
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field, e.code)).collect();
    assert_eq!(
        got,
        [
            ("unapproved_death_days", "policy_days_invalid"),
            ("unapproved_serious_days", "policy_days_invalid"),
            ("regimes", "policy_regime_repeated"),
            ("regimes", "policy_regime_unknown"),
            (
                "regenerative_medicine_act_death_days",
                "policy_death_after_serious"
            ),
            ("approved_drug_death_days", "field_required"),
            ("approved_drug_serious_days", "field_required"),
        ]
    );
    let errs = parse_policies(&[
        raw_policy("unapproved", "91", ""),
        raw_policy("regenerative_medicine_act", "7", "15"),
        raw_policy("approved_drug", "7", "15"),
    ])
    .unwrap_err();
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field, e.code)).collect();
    assert_eq!(
        got,
        [
            ("unapproved_death_days", "policy_days_invalid"),
            ("unapproved_serious_days", "field_required")
        ]
    );
}

#[test]
fn an_event_takes_the_shortest_deadlines_of_its_products_regimes() {
    let p = parse_policies(&[
        raw_policy("unapproved", "10", "20"),
        raw_policy("regenerative_medicine_act", "7", "30"),
        raw_policy("approved_drug", "15", "15"),
    ])
    .unwrap();
    let rp = |d, s| ReportingPolicy {
        death_days: d,
        serious_days: s,
    };
    assert_eq!(p.for_regimes(&[LegalRegime::Unapproved]), rp(10, 20));
    assert_eq!(
        p.for_regimes(&[
            LegalRegime::Unapproved,
            LegalRegime::RegenerativeMedicineAct
        ]),
        rp(7, 20)
    );
    assert_eq!(p.for_regimes(&[]), rp(7, 15), "no product known: all");
}

#[test]
fn due_overdue_and_reported() {
    let d = Some(date("2026-12-06"));
    assert_eq!(
        due_state(d, false, date("2026-12-06")),
        DueState::Due {
            due: date("2026-12-06"),
            days_left: 0
        }
    );
    assert_eq!(
        due_state(d, false, date("2026-12-08")),
        DueState::Overdue {
            due: date("2026-12-06"),
            days_over: 2
        }
    );
    assert_eq!(due_state(d, true, date("2026-12-08")), DueState::Reported);
    assert_eq!(
        due_state(None, false, date("2026-12-08")),
        DueState::NotRequired
    );
}

#[test]
fn follow_ups_and_suggested_doses() {
    assert_eq!(
        follow_up_dates(date("2026-11-28")),
        [date("2026-12-05"), date("2026-12-28")]
    );
    let t = |s: &str| s.parse::<Timestamp>().unwrap();
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let doses = [
        (a, t("2026-11-01T01:00:00Z")),
        (b, t("2026-11-15T01:00:00Z")),
        (c, t("2026-11-19T01:00:00Z")),
    ];
    assert_eq!(
        suggest_involved(t("2026-11-20T03:00:00Z"), &doses, 14),
        [c, b]
    );
    assert_eq!(suggest_involved(t("2026-11-18T03:00:00Z"), &doses, 14), [b]);
}

#[test]
fn recall_progress_counts_each_patient_once() {
    let (p1, p2, p3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let attempts = [
        (p1, ContactOutcome::NoAnswer),
        (p1, ContactOutcome::Reached),
        (p2, ContactOutcome::LeftMessage),
    ];
    let pr = RecallProgress::of(&[p1, p2, p3], &attempts);
    assert_eq!(
        pr,
        RecallProgress {
            patients: 3,
            reached: 1,
            attempted: 1,
            pending: 1
        }
    );
    assert!(!pr.complete());
}

proptest! {
    /// Every patient is in exactly one bucket.
    #[test]
    fn progress_buckets_add_up(n in 0usize..20, picks in proptest::collection::vec((0usize..20, 0usize..4), 0..60)) {
        let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        let outcomes = ContactOutcome::ALL;
        let attempts: Vec<(Uuid, ContactOutcome)> = picks
            .iter()
            .filter(|(i, _)| *i < n)
            .map(|(i, o)| (ids[*i], outcomes[*o % outcomes.len()]))
            .collect();
        let p = RecallProgress::of(&ids, &attempts);
        prop_assert_eq!(p.reached + p.attempted + p.pending, n);
    }

    /// The deadline is never before the day of awareness, and an urgent
    /// one is never later than a serious one.
    #[test]
    fn deadlines_are_ordered(day in 0i64..20000, serious in proptest::collection::vec(0usize..6, 0..4)) {
        let aware = date("1990-01-01").checked_add(Span::new().days(day)).unwrap();
        let mut f = raw().parse(now()).unwrap();
        f.seriousness = serious.iter().map(|i| Seriousness::ALL[*i]).collect();
        let p = ReportingPolicy::default();
        match report_due(&f, aware, p) {
            None => prop_assert!(f.seriousness.is_empty()),
            Some((d, kind)) => {
                prop_assert!(d > aware);
                let days = (d - aware).get_days();
                prop_assert_eq!(days, if kind == DeadlineKind::Urgent { 7 } else { 15 });
            }
        }
    }
}
