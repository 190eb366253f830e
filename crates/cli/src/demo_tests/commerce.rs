//! The demo price list, contracts, payments and receipts.

use super::*;

/// The clinic's business profile, the price list with its disclosures, and
/// the four contracts: coverage, sessions used from the doses, money, the
/// receipts numbered without gaps, the cancellation's quote and refund.
pub(super) async fn commerce(s: &Seeded) {
    let profile = s.store.clinic_profile(s.clinic).await.unwrap().unwrap();
    assert_eq!(profile.legal_name, "医療法人社団 銀座再生会");
    assert_eq!(profile.phone, "03-1234-5678");
    assert_eq!(profile.representative, "理事長 佐藤 直子");
    let reg = profile.registration_number.as_deref().unwrap();
    assert_eq!(reg, crate::demo_commerce::REGISTRATION_NUMBER);
    assert!(reg.starts_with('T') && reg.len() == 14);
    assert!(reg[1..].chars().all(|c| c.is_ascii_digit()));
    assert!(
        profile
            .advance_payment_protection
            .starts_with("講じていません")
    );

    let items = s.store.price_items(s.clinic).await.unwrap();
    assert_eq!(items.len(), 5);
    for i in &items {
        assert!(i.active);
        assert_eq!(i.facts.tax_rate, TaxRate::Standard);
        assert!(!i.facts.usual_course.trim().is_empty(), "{}", i.facts.code);
        assert!(!i.facts.main_risks.trim().is_empty(), "{}", i.facts.code);
        for text in [&i.facts.name_ja, &i.facts.usual_course, &i.facts.main_risks] {
            assert!(efficacy_words(text).is_empty(), "{text}");
        }
    }
    let price = |code: &str| {
        let i = items.iter().find(|i| i.facts.code == code).unwrap();
        (i.facts.price, i.facts.route.clone())
    };
    assert_eq!(price("CM-IV-1").0, 55_000);
    assert_eq!(price("CM-IV-5").0, 220_000);
    assert_eq!(
        price("CM-SKIN-5"),
        (110_000, Some("skin_injection".to_string()))
    );
    assert_eq!(price("CM-IV-M").0, 44_000);
    assert_eq!(price("CM-KNEE-3").0, 165_000);

    let contracts = s.store.contracts(s.clinic).await.unwrap();
    assert_eq!(contracts.len(), 6);
    // The doses not voided under a plan from the contract's first day.
    let used = |plan: Uuid, from: Date| async move {
        let n = s
            .administrations()
            .await
            .into_iter()
            .filter(|a| a.plan_id == Some(plan) && a.status != A::Voided)
            .filter(|a| local_date(a.details.started_at, &s.tz) >= from)
            .count();
        u32::try_from(n).unwrap()
    };
    let handed = |c: &Contract| {
        assert_eq!(c.documents.len(), 2, "{}", c.number);
        assert!(
            c.documents
                .iter()
                .all(|d| d.handed_over_by.as_deref() == Some("paper"))
        );
        c.documents
            .iter()
            .find(|d| d.kind == "contract")
            .and_then(|d| d.received_on)
            .unwrap()
    };

    // Matsumoto: covered, bound to his plan, sessions from his doses, paid
    // in two instalments.
    let plan = s.plan("080-1357-2468").await.0;
    let matsumoto = s.contract_of(plan.patient_id).await;
    assert!(matsumoto.covered);
    assert_eq!(matsumoto.plan_id, Some(plan.id));
    assert_eq!(matsumoto.status, "active");
    assert_eq!((matsumoto.total, matsumoto.sessions), (220_000, 5));
    assert_eq!(matsumoto.starts_on, plan.facts.start_date);
    assert!(matsumoto.sessions_used > 0);
    assert_eq!(
        matsumoto.sessions_used,
        used(plan.id, matsumoto.starts_on).await
    );
    assert_eq!(matsumoto.paid, 220_000);
    let received = handed(&matsumoto);
    assert!(matches!(
        cooling_off::status(Some(received), s.today),
        cooling_off::Status::Ended { .. }
    ));
    let payments = s.store.payments(s.clinic, matsumoto.id).await.unwrap();
    assert_eq!(
        payments.iter().map(|p| p.amount).collect::<Vec<_>>(),
        [110_000, 110_000]
    );

    // Inoue: the knee course for a medical purpose: not covered.
    let plan = s.plan("070-8642-9753").await.0;
    let inoue = s.contract_of(plan.patient_id).await;
    assert!(!inoue.covered);
    assert_eq!(inoue.coverage["reasons"][0]["code"], "purpose_medical");
    assert_eq!((inoue.total, inoue.paid), (165_000, 165_000));
    assert!(inoue.documents.is_empty());
    // Not covered: no cooling-off however long without a document (issue
    // 16, error 2); no clinic terms, no session given: nothing charged.
    let q = cancellation::quote(&CancellationFacts {
        covered: inoue.covered,
        total: inoue.total,
        sessions: inoue.sessions,
        used: 0,
        contracted_on: None,
        document_received: None,
        notice: s.today,
        paid: Some(inoue.paid),
        terms: None,
    })
    .unwrap();
    assert_eq!((q.kind, q.cooling_off_until), (Kind::NotCovered, None));
    assert_eq!(inoue.sessions_used, used(plan.id, inoue.starts_on).await);

    // Yamada: within the cooling-off, the document received three days ago.
    let plan = s.plan("090-1234-5678").await.0;
    let yamada = s.contract_of(plan.patient_id).await;
    assert!(yamada.covered);
    assert_eq!(yamada.status, "active");
    assert_eq!(yamada.paid, 220_000);
    assert_eq!(yamada.sessions_used, 0);
    let received = handed(&yamada);
    assert_eq!((s.today - received).get_days(), 3);
    assert!(matches!(
        cooling_off::status(Some(received), s.today),
        cooling_off::Status::Running { days_left: 5, .. }
    ));

    // Kimura: cancelled after the cooling-off with one session given; the
    // quote kept is the one the rules give, the refund paid back.
    // She goes on session by session under a second, active contract on
    // the same plan, so her booked sessions stayed booked.
    let plan = s.plan("090-2468-1357").await.0;
    let both = s
        .store
        .contracts_of_patient(s.clinic, plan.patient_id)
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    let single = both.iter().find(|c| c.status == "active").unwrap();
    assert_eq!((single.plan_id, single.sessions), (Some(plan.id), 1));
    let kimura = both.into_iter().find(|c| c.status != "active").unwrap();
    assert!(kimura.covered);
    assert_eq!(kimura.status, "cancelled");
    assert_eq!(kimura.cancelled_on, Some(s.today));
    let received = handed(&kimura);
    let used_then = used(plan.id, kimura.starts_on).await;
    assert_eq!(used_then, 1);
    let q = cancellation::quote(&CancellationFacts {
        covered: true,
        total: 220_000,
        sessions: 5,
        used: used_then,
        contracted_on: None,
        document_received: Some(received),
        notice: s.today,
        paid: Some(220_000),
        terms: None,
    })
    .unwrap();
    assert_eq!(q.kind, Kind::AfterStart);
    // 220,000 × 1 ÷ 5 = 44,000 given; 20% of the rest 176,000 = 35,200.
    assert_eq!(q.max_charge, 79_200);
    assert_eq!(q.refund, Some(140_800));
    // The quote kept, with the future appointments the cancellation
    // cancelled (issue 16, error 5): none of hers is still booked.
    let mut kept = kimura.cancellation.clone().unwrap();
    let cancelled = kept
        .as_object_mut()
        .unwrap()
        .remove("appointments_cancelled")
        .unwrap();
    assert_eq!(kept, serde_json::to_value(&q).unwrap());
    for a in cancelled.as_array().unwrap() {
        let id = Uuid::parse_str(a.as_str().unwrap()).unwrap();
        let a = s.store.appointment(s.clinic, id).await.unwrap().unwrap();
        assert_eq!(a.status.as_str(), "cancelled");
    }
    assert_eq!(kimura.paid, 79_200);
    // The refund is stamped by the store with the real clock, the payment
    // with the story's day: compare the amounts, not their order.
    let payments = s.store.payments(s.clinic, kimura.id).await.unwrap();
    let mut amounts: Vec<_> = payments.iter().map(|p| p.amount).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [-140_800, 220_000]);

    // Shimizu: six months of the monthly plan, ¥44,000 × 6 = ¥264,000 over
    // 6 months (1 month × 6): covered (issue 16, error 1); two months paid.
    let plan = s.plan("090-9753-8642").await.0;
    let shimizu = s.contract_of(plan.patient_id).await;
    assert_eq!((shimizu.total, shimizu.sessions), (264_000, 6));
    assert!(shimizu.covered, "{:?}", shimizu.coverage);
    assert_eq!(
        shimizu.coverage["reasons"][3],
        serde_json::json!({"code": "period_above_one_month", "months": 6})
    );
    assert_eq!(
        shimizu.ends_on,
        Some(
            shimizu
                .starts_on
                .checked_add(jiff::Span::new().months(6))
                .unwrap()
                .yesterday()
                .unwrap()
        )
    );
    assert_eq!(shimizu.paid, 88_000);
    handed(&shimizu);

    // Receipts: 1..n without gaps, one reversal slip, and each contract's
    // receipts add up to what it was paid.
    let receipts = s.receipts().await;
    assert_eq!(
        receipts.iter().map(|r| r.number).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<i64>>()
    );
    let reversals: Vec<_> = receipts.iter().filter(|r| r.reverses.is_some()).collect();
    assert_eq!(reversals.len(), 1);
    let original = receipts
        .iter()
        .find(|r| Some(r.id) == reversals[0].reverses)
        .unwrap();
    assert_eq!(original.contract_id, Some(kimura.id));
    assert_eq!(reversals[0].total, -original.total);
    for c in [&matsumoto, &inoue, &yamada, &kimura, &shimizu] {
        let sum: i64 = receipts
            .iter()
            .filter(|r| r.contract_id == Some(c.id))
            .map(|r| r.total)
            .sum();
        assert_eq!(sum, c.paid, "{}", c.number);
    }
    for r in &receipts {
        let t: ReceiptTax = serde_json::from_value(r.tax.clone()).unwrap();
        assert_eq!(t.total, r.total);
        assert_eq!(t.tax, tax::tax_included(r.total, TaxRate::Standard));
    }
}
