//! Tests of the parent module, kept beside it so the module reads as one idea.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

/// ¥100,000 for 3 sessions, contract and document on 2026-01-28 (the
/// cooling-off runs until 2026-02-04).
fn facts(used: u32, notice: Date) -> CancellationFacts {
    CancellationFacts {
        covered: true,
        total: 100_000,
        sessions: 3,
        used,
        contracted_on: Some(date(2026, 1, 28)),
        document_received: Some(date(2026, 1, 28)),
        notice,
        paid: None,
        terms: None,
    }
}

fn codes(q: &Quote) -> Vec<&'static str> {
    q.steps.iter().map(Step::code).collect()
}

/// Issue 16, error 2: a contract the Act does not cover has no
/// cooling-off. Before, a contract without a received document was
/// "within the cooling-off" for ever and refunded everything even after
/// treatment. ¥100,000 for 3 sessions, 1 given, paid in full, no
/// document, notice years later, no clinic terms: the charge is the
/// session given, 100,000 × 1 ÷ 3 = 33,333; refund 100,000 − 33,333 =
/// 66,667.
#[test]
fn a_contract_not_covered_has_no_cooling_off() {
    let f = CancellationFacts {
        document_received: None,
        paid: Some(100_000),
        covered: false,
        ..facts(1, date(2029, 6, 1))
    };
    let q = quote(&f).unwrap();
    assert_eq!(q.kind, Kind::NotCovered);
    assert_eq!(q.cooling_off_until, None);
    assert_eq!((q.provided_value, q.max_charge), (33_333, 33_333));
    assert_eq!((q.refund, q.balance_due), (Some(66_667), Some(0)));
    assert_eq!(
        codes(&q),
        [
            "not_covered_clinic_terms",
            "provided_value",
            "remaining_value",
            "clinic_terms_fee",
            "after_start_charge",
            "max_charge",
            "refund"
        ]
    );
    assert!(!codes(&q).contains(&"notice_within_cooling_off"));
    // Even the day after the contract: no cooling-off, and before the
    // first session no fee unless the terms set one.
    let q = quote(&CancellationFacts {
        covered: false,
        paid: Some(100_000),
        ..facts(0, date(2026, 1, 29))
    })
    .unwrap();
    assert_eq!(
        (q.kind, q.max_charge, q.refund),
        (Kind::NotCovered, 0, Some(100_000))
    );
    assert_eq!(
        codes(&q),
        [
            "not_covered_clinic_terms",
            "clinic_terms_before_start_fee",
            "max_charge",
            "refund"
        ]
    );
}

/// Not covered, the clinic's terms shown at sale apply as they are (the
/// Act's caps do not), with the Consumer Contract Act's limit noted.
/// Terms: ¥30,000 before the start; after it the lower of ¥60,000 and
/// 30% of the rest. ¥100,000 for 3 sessions:
/// - none given: 30,000 (above the Act's 20,000, which does not apply);
/// - 1 given: 33,333 given; rest 66,667; 30% = 20,000.1 → 20,000;
///   min(60,000, 20,000) = 20,000; charge 33,333 + 20,000 = 53,333;
///   paid 100,000 → refund 46,667.
#[test]
fn a_contract_not_covered_follows_the_clinic_terms() {
    let terms = Some(ClinicTerms {
        before_start_fee: Some(30_000),
        after_start_fee_cap: Some(60_000),
        after_start_fee_percent: Some(30),
    });
    let q = quote(&CancellationFacts {
        covered: false,
        terms,
        paid: Some(100_000),
        ..facts(0, date(2026, 3, 1))
    })
    .unwrap();
    assert_eq!(
        (q.kind, q.max_charge, q.refund),
        (Kind::NotCovered, 30_000, Some(70_000))
    );
    assert!(
        q.steps
            .contains(&Step::ClinicTermsBeforeStartFee { value: 30_000 })
    );
    assert!(
        q.steps
            .contains(&Step::ConsumerContractActLimit { fee: 30_000 })
    );

    let q = quote(&CancellationFacts {
        covered: false,
        terms,
        paid: Some(100_000),
        ..facts(1, date(2026, 3, 1))
    })
    .unwrap();
    assert_eq!(q.max_charge, 53_333);
    assert_eq!(q.refund, Some(46_667));
    assert_eq!(
        q.steps[3],
        Step::ClinicTermsPercentOfRemaining {
            remaining: 66_667,
            percent: 30,
            value: 20_000
        }
    );
    assert!(q.steps.contains(&Step::ClinicTermsFee { value: 20_000 }));
    assert!(
        q.steps
            .contains(&Step::ConsumerContractActLimit { fee: 20_000 })
    );
    // The same contract covered: the Act's caps, 20% of the rest.
    let covered = quote(&CancellationFacts {
        terms,
        paid: Some(100_000),
        ..facts(1, date(2026, 3, 1))
    })
    .unwrap();
    assert_eq!(
        (covered.kind, covered.max_charge),
        (Kind::AfterStart, 46_666)
    );
    // Every new step reads in both languages.
    for step in q.steps.iter().chain(
        &quote(&CancellationFacts {
            covered: false,
            terms,
            ..facts(0, date(2026, 3, 1))
        })
        .unwrap()
        .steps,
    ) {
        for l in Locale::ALL {
            assert!(!step.text(l).is_empty(), "{step:?}");
        }
    }
    // Facts written before `covered` existed read as covered.
    let mut v = serde_json::to_value(facts(1, date(2026, 3, 1))).unwrap();
    v.as_object_mut().unwrap().remove("covered");
    assert!(
        serde_json::from_value::<CancellationFacts>(v)
            .unwrap()
            .covered
    );
}

#[test]
fn after_start_one_of_three_sessions_of_100000() {
    let q = quote(&facts(1, date(2026, 2, 10))).unwrap();
    assert_eq!(q.kind, Kind::AfterStart);
    assert_eq!(q.cooling_off_until, Some(date(2026, 2, 4)));
    // 100,000 × 1 ÷ 3 = 33,333.33… → 33,333
    assert_eq!(q.provided_value, 33_333);
    // rest 66,667; 20% = 13,333.4 → 13,333; min(50,000, 13,333) = 13,333
    assert_eq!(q.max_charge, 46_666);
    assert_eq!(q.refund, None);
    assert_eq!(
        q.steps,
        [
            Step::CoolingOffPeriod {
                received: date(2026, 1, 28),
                last_day: date(2026, 2, 4)
            },
            Step::NoticeAfterCoolingOff {
                notice: date(2026, 2, 10),
                last_day: date(2026, 2, 4)
            },
            Step::ProvidedValue {
                total: 100_000,
                sessions: 3,
                used: 1,
                value: 33_333
            },
            Step::RemainingValue {
                total: 100_000,
                provided_value: 33_333,
                value: 66_667
            },
            Step::PercentOfRemaining {
                remaining: 66_667,
                percent: 20,
                value: 13_333
            },
            Step::AfterStartFeeCap {
                cap: 50_000,
                percent_value: 13_333,
                value: 13_333
            },
            Step::AfterStartCharge {
                provided_value: 33_333,
                fee: 13_333,
                value: 46_666
            },
            Step::MaxCharge { value: 46_666 },
        ]
    );
}

#[test]
fn after_start_rounding_of_two_of_three() {
    let q = quote(&facts(2, date(2026, 3, 1))).unwrap();
    // 200,000 ÷ 3 = 66,666.67 → 66,666; rest 33,334; 20% = 6,666.8 → 6,666
    assert_eq!(q.provided_value, 66_666);
    assert_eq!(q.max_charge, 66_666 + 6_666);
}

#[test]
fn after_start_the_fee_is_capped_at_50000() {
    let f = CancellationFacts {
        covered: true,
        total: 600_000,
        sessions: 6,
        ..facts(1, date(2026, 3, 1))
    };
    let q = quote(&f).unwrap();
    // 100,000 given; rest 500,000; 20% = 100,000; capped at 50,000
    assert_eq!(q.provided_value, 100_000);
    assert_eq!(q.max_charge, 150_000);
    assert!(q.steps.contains(&Step::AfterStartFeeCap {
        cap: 50_000,
        percent_value: 100_000,
        value: 50_000
    }));
}

#[test]
fn after_every_session_the_charge_is_the_total() {
    let q = quote(&facts(3, date(2026, 3, 1))).unwrap();
    assert_eq!(q.provided_value, 100_000);
    assert_eq!(q.max_charge, 100_000);
}

#[test]
fn before_start_at_most_20000() {
    let q = quote(&CancellationFacts {
        covered: true,
        paid: Some(100_000),
        ..facts(0, date(2026, 2, 5))
    })
    .unwrap();
    assert_eq!(q.kind, Kind::BeforeStart);
    assert_eq!(q.provided_value, 0);
    assert_eq!(q.max_charge, 20_000);
    assert_eq!(q.refund, Some(80_000));
    assert_eq!(q.balance_due, Some(0));
    assert_eq!(
        codes(&q),
        [
            "cooling_off_period",
            "notice_after_cooling_off",
            "before_start_cap",
            "max_charge",
            "refund"
        ]
    );
}

#[test]
fn cooling_off_charges_nothing_even_for_sessions_given() {
    // The last day itself is within.
    let q = quote(&CancellationFacts {
        covered: true,
        paid: Some(100_000),
        ..facts(2, date(2026, 2, 4))
    })
    .unwrap();
    assert_eq!(q.kind, Kind::CoolingOff);
    assert_eq!(q.max_charge, 0);
    assert_eq!(q.provided_value, 66_666);
    assert_eq!(q.refund, Some(100_000));
    assert_eq!(
        codes(&q),
        [
            "cooling_off_period",
            "notice_within_cooling_off",
            "provided_value",
            "cooling_off_no_charge",
            "max_charge",
            "refund"
        ]
    );
    let q = quote(&facts(0, date(2026, 1, 28))).unwrap();
    assert_eq!(
        codes(&q),
        [
            "cooling_off_period",
            "notice_within_cooling_off",
            "max_charge"
        ]
    );
}

#[test]
fn without_the_contract_document_the_cooling_off_never_ends() {
    let q = quote(&CancellationFacts {
        covered: true,
        document_received: None,
        paid: Some(50_000),
        ..facts(3, date(2027, 6, 1))
    })
    .unwrap();
    assert_eq!(q.kind, Kind::CoolingOff);
    assert_eq!(q.cooling_off_until, None);
    assert_eq!(q.max_charge, 0);
    assert_eq!(q.refund, Some(50_000));
    assert_eq!(q.steps[0], Step::DocumentNotReceived);
}

#[test]
fn a_notice_before_the_document_arrived_is_a_cooling_off() {
    let q = quote(&CancellationFacts {
        covered: true,
        document_received: Some(date(2026, 2, 20)),
        ..facts(1, date(2026, 2, 10))
    })
    .unwrap();
    assert_eq!(q.kind, Kind::CoolingOff);
    assert_eq!(q.cooling_off_until, Some(date(2026, 2, 27)));
}

#[test]
fn paid_less_than_the_charge_leaves_a_balance_not_a_negative_refund() {
    let q = quote(&CancellationFacts {
        covered: true,
        paid: Some(30_000),
        ..facts(1, date(2026, 2, 10))
    })
    .unwrap();
    assert_eq!(q.refund, Some(0));
    assert_eq!(q.balance_due, Some(16_666));
    assert_eq!(
        q.steps.last(),
        Some(&Step::BalanceDue {
            paid: 30_000,
            max_charge: 46_666,
            value: 16_666
        })
    );
}

fn with_terms(terms: ClinicTerms, used: u32, notice: Date) -> Quote {
    quote(&CancellationFacts {
        covered: true,
        terms: Some(terms),
        ..facts(used, notice)
    })
    .unwrap()
}

#[test]
fn clinic_terms_may_charge_less_never_more() {
    let lower = ClinicTerms {
        before_start_fee: Some(10_000),
        after_start_fee_cap: Some(30_000),
        after_start_fee_percent: Some(10),
    };
    let q = with_terms(lower, 0, date(2026, 2, 5));
    assert_eq!(q.max_charge, 10_000);
    assert!(q.steps.contains(&Step::ClinicTermsApply {
        terms: 10_000,
        legal: 20_000
    }));
    let q = with_terms(lower, 1, date(2026, 2, 10));
    // the terms: min(30,000, floor(66,667 × 10%) = 6,666) = 6,666
    assert_eq!(q.max_charge, 33_333 + 6_666);
    assert!(q.steps.contains(&Step::ClinicTermsPercentOfRemaining {
        remaining: 66_667,
        percent: 10,
        value: 6_666
    }));

    let higher = ClinicTerms {
        before_start_fee: Some(30_000),
        after_start_fee_cap: Some(100_000),
        after_start_fee_percent: None,
    };
    let q = with_terms(higher, 0, date(2026, 2, 5));
    assert_eq!(q.max_charge, 20_000);
    assert!(q.steps.contains(&Step::ClinicTermsCapped {
        terms: 30_000,
        legal: 20_000
    }));
    let q = with_terms(higher, 1, date(2026, 2, 10));
    assert_eq!(q.max_charge, 46_666);

    // Terms with only a cap for after the start leave before-start to the law.
    let only_cap = ClinicTerms {
        after_start_fee_cap: Some(5_000),
        ..ClinicTerms::default()
    };
    let q = with_terms(only_cap, 0, date(2026, 2, 5));
    assert_eq!(q.max_charge, 20_000);
    let q = with_terms(only_cap, 1, date(2026, 2, 10));
    assert_eq!(q.max_charge, 33_333 + 5_000);
    // Terms never matter within the cooling-off.
    let q = with_terms(higher, 1, date(2026, 2, 1));
    assert_eq!(q.max_charge, 0);
}

#[test]
fn invalid_facts_are_refused_naming_every_field() {
    let bad = CancellationFacts {
        covered: true,
        total: -1,
        sessions: 3,
        used: 4,
        contracted_on: Some(date(2026, 1, 28)),
        document_received: Some(date(2026, 1, 27)),
        notice: date(2026, 1, 20),
        paid: Some(-5),
        terms: Some(ClinicTerms {
            before_start_fee: Some(-1),
            after_start_fee_cap: Some(MAX_YEN + 1),
            after_start_fee_percent: Some(101),
        }),
    };
    let e = quote(&bad).unwrap_err();
    let got: Vec<(&str, &str)> = e.iter().map(|e| (e.field, e.code)).collect();
    assert_eq!(
        got,
        [
            ("total", "amount_negative"),
            ("used", "used_exceeds_sessions"),
            ("notice", "notice_before_contract"),
            ("document_received", "document_received_before_contract"),
            ("paid", "amount_negative"),
            ("terms_before_start_fee", "amount_negative"),
            ("terms_after_start_fee_cap", "amount_too_large"),
            ("terms_after_start_fee_percent", "percent_above_100"),
        ]
    );
    let e = quote(&CancellationFacts {
        covered: true,
        sessions: 0,
        used: 0,
        ..facts(0, date(2026, 2, 5))
    })
    .unwrap_err();
    assert_eq!(e, [FieldError::new("sessions", "sessions_zero")]);
    let e = quote(&CancellationFacts {
        covered: true,
        sessions: MAX_SESSIONS + 1,
        ..facts(0, date(2026, 2, 5))
    })
    .unwrap_err();
    assert_eq!(e, [FieldError::new("sessions", "sessions_too_many")]);
    let e = quote(&CancellationFacts {
        covered: true,
        total: MAX_YEN + 1,
        ..facts(0, date(2026, 2, 5))
    })
    .unwrap_err();
    assert_eq!(e, [FieldError::new("total", "amount_too_large")]);
    let e = quote(&CancellationFacts {
        covered: true,
        paid: Some(100_001),
        ..facts(0, date(2026, 2, 5))
    })
    .unwrap_err();
    assert_eq!(e, [FieldError::new("paid", "paid_exceeds_total")]);
    // Without a contract date, the dates are not compared with it.
    assert!(
        quote(&CancellationFacts {
            covered: true,
            contracted_on: None,
            ..facts(0, date(2020, 1, 1))
        })
        .is_ok()
    );
}

#[test]
fn a_free_contract_is_quoted_without_dividing_by_anything_odd() {
    let q = quote(&CancellationFacts {
        covered: true,
        total: 0,
        paid: Some(0),
        ..facts(1, date(2026, 2, 10))
    })
    .unwrap();
    assert_eq!((q.max_charge, q.refund), (0, Some(0)));
}

#[test]
fn the_quote_serialises_as_the_cli_promises() {
    let q = quote(&CancellationFacts {
        covered: true,
        paid: Some(100_000),
        ..facts(1, date(2026, 2, 10))
    })
    .unwrap();
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["kind"], "after_start");
    assert_eq!(v["cooling_off_until"], "2026-02-04");
    assert_eq!(v["provided_value"], 33_333);
    assert_eq!(v["max_charge"], 46_666);
    assert_eq!(v["refund"], 53_334);
    assert_eq!(
        v["steps"][2],
        serde_json::json!({"code": "provided_value", "total": 100000, "sessions": 3, "used": 1, "value": 33333})
    );
    let none = serde_json::to_value(
        quote(&CancellationFacts {
            covered: true,
            document_received: None,
            ..facts(0, date(2026, 2, 10))
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(none["cooling_off_until"], serde_json::Value::Null);
    assert_eq!(none["refund"], serde_json::Value::Null);
    assert_eq!(serde_json::from_value::<Quote>(v).unwrap(), q);
}

fn every_step() -> Vec<Step> {
    let d = date(2026, 2, 4);
    vec![
        Step::DocumentNotReceived,
        Step::CoolingOffPeriod {
            received: d,
            last_day: d,
        },
        Step::NoticeWithinCoolingOff { notice: d },
        Step::NoticeAfterCoolingOff {
            notice: d,
            last_day: d,
        },
        Step::ProvidedValue {
            total: 1,
            sessions: 1,
            used: 1,
            value: 1,
        },
        Step::CoolingOffNoCharge { provided_value: 1 },
        Step::BeforeStartCap { cap: 1 },
        Step::RemainingValue {
            total: 1,
            provided_value: 1,
            value: 1,
        },
        Step::PercentOfRemaining {
            remaining: 1,
            percent: 1,
            value: 1,
        },
        Step::AfterStartFeeCap {
            cap: 1,
            percent_value: 1,
            value: 1,
        },
        Step::ClinicTermsPercentOfRemaining {
            remaining: 1,
            percent: 1,
            value: 1,
        },
        Step::ClinicTermsApply { terms: 1, legal: 1 },
        Step::ClinicTermsCapped { terms: 1, legal: 1 },
        Step::AfterStartCharge {
            provided_value: 1,
            fee: 1,
            value: 1,
        },
        Step::MaxCharge { value: 1 },
        Step::Refund {
            paid: 1,
            max_charge: 1,
            value: 1,
        },
        Step::BalanceDue {
            paid: 1,
            max_charge: 1,
            value: 1,
        },
    ]
}

#[test]
fn every_step_has_its_code_and_reads_in_both_languages() {
    let steps = every_step();
    let mut seen = std::collections::BTreeSet::new();
    for s in &steps {
        let v = serde_json::to_value(s).unwrap();
        assert_eq!(v["code"], s.code());
        assert_eq!(serde_json::from_value::<Step>(v).unwrap(), *s);
        assert!(seen.insert(s.code()), "duplicate {}", s.code());
        for l in Locale::ALL {
            assert!(!s.text(l).is_empty());
        }
    }
    let q = quote(&facts(1, date(2026, 2, 10))).unwrap();
    assert_eq!(
        q.steps[2].text(Locale::En),
        "Value of the sessions given: ¥100,000 × 1 ÷ 3 = ¥33,333 (rounded down to the yen)"
    );
    assert_eq!(
        q.steps[2].text(Locale::Ja),
        "提供済み役務の対価：100,000円 × 1回 ÷ 3回 = 33,333円（円未満切り捨て）"
    );
    assert_eq!(
        q.steps[0].text(Locale::En),
        "Contract document received on 2026-01-28: 8 days, that day included, run until 2026-02-04."
    );
}

fn arb_facts() -> impl Strategy<Value = CancellationFacts> {
    (
        0..=5_000_000i64,
        1u32..=30,
        0u32..=30,
        prop::option::of(0i32..60),
        0i32..90,
        prop::option::of(0u32..=100),
        prop::option::of((
            prop::option::of(0..=40_000i64),
            prop::option::of(0..=100_000i64),
            prop::option::of(0u32..=100),
        )),
    )
        .prop_map(|(total, sessions, used, received, notice, paid, terms)| {
            let start = date(2024, 1, 1);
            let day = |n: i32| start.saturating_add(jiff::Span::new().days(n));
            CancellationFacts {
                covered: true,
                total,
                sessions,
                used: used.min(sessions),
                contracted_on: Some(start),
                document_received: received.map(day),
                notice: day(notice),
                // paid as a share of the total, in percent
                paid: paid.map(|p| total * i64::from(p) / 100),
                terms: terms.map(|(b, c, p)| ClinicTerms {
                    before_start_fee: b,
                    after_start_fee_cap: c,
                    after_start_fee_percent: p,
                }),
            }
        })
}

proptest! {
    /// The charge never exceeds what the law allows for the kind, nor the
    /// total; the refund is never negative nor above what was paid; and
    /// the kind follows the dates and the sessions given.
    #[test]
    fn the_charge_never_exceeds_the_legal_caps(f in arb_facts()) {
        let q = quote(&f).unwrap();
        let within = f.document_received.is_none_or(|r| f.notice <= cooling_off::last_day(r));
        let expected_kind = if within {
            Kind::CoolingOff
        } else if f.used == 0 {
            Kind::BeforeStart
        } else {
            Kind::AfterStart
        };
        prop_assert_eq!(q.kind, expected_kind);
        prop_assert!(q.max_charge >= 0);
        match q.kind {
            Kind::CoolingOff => prop_assert_eq!(q.max_charge, 0),
            Kind::BeforeStart => prop_assert!(q.max_charge <= 20_000),
            Kind::AfterStart => {
                // The cap computed independently, in exact rationals:
                // given × sessions ≤ total × used, and 5 × fee ≤ rest.
                let given = q.provided_value;
                prop_assert!(i128::from(given) * i128::from(f.sessions) <= i128::from(f.total) * i128::from(f.used));
                prop_assert!(i128::from(given + 1) * i128::from(f.sessions) > i128::from(f.total) * i128::from(f.used));
                let fee = q.max_charge - given;
                prop_assert!(fee >= 0);
                prop_assert!(fee <= 50_000);
                prop_assert!(5 * fee <= f.total - given);
                prop_assert!(q.max_charge <= f.total);
            }
            Kind::NotCovered => prop_assert!(false, "a covered contract"),
        }
        if let Some(paid) = f.paid {
            let refund = q.refund.unwrap();
            prop_assert!(refund >= 0);
            prop_assert!(refund <= paid);
            prop_assert_eq!(refund, (paid - q.max_charge).max(0));
            prop_assert_eq!(refund - q.balance_due.unwrap(), paid - q.max_charge);
        } else {
            prop_assert_eq!(q.refund, None);
        }
        prop_assert_eq!(q.steps.last().map(Step::code), Some(if f.paid.is_some() {
            if q.balance_due.unwrap_or(0) > 0 { "balance_due" } else { "refund" }
        } else {
            "max_charge"
        }));
    }

    /// A contract the Act does not cover is never in a cooling-off,
    /// whatever the dates: its kind is `not_covered`, no cooling-off
    /// day is given, and without clinic terms it charges exactly the
    /// sessions given.
    #[test]
    fn a_contract_not_covered_never_cools_off(f in arb_facts()) {
        let q = quote(&CancellationFacts { covered: false, terms: None, ..f }).unwrap();
        prop_assert_eq!(q.kind, Kind::NotCovered);
        prop_assert_eq!(q.cooling_off_until, None);
        prop_assert_eq!(q.max_charge, q.provided_value);
        if let Some(paid) = f.paid {
            prop_assert_eq!(q.refund, Some((paid - q.max_charge).max(0)));
        }
    }

    /// Clinic terms only ever lower the charge.
    #[test]
    fn terms_never_raise_the_charge(f in arb_facts()) {
        let with = quote(&f).unwrap();
        let without = quote(&CancellationFacts { terms: None, ..f }).unwrap();
        prop_assert!(with.max_charge <= without.max_charge);
        prop_assert_eq!(with.kind, without.kind);
    }
}
