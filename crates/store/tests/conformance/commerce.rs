//! The commercial side on both backends: the price list (code taken,
//! revisions, retirement, order); contracts numbered per clinic with their
//! lines, and another clinic's patient, plan or price item not found;
//! documents kept once and handed over once; payments and what is paid;
//! sessions used derived from the doses (a voided dose and a dose before
//! the local start day not counted); cancellation with a refund, once;
//! receipts numbered without gaps under concurrency; the records refuse
//! rewrites in the database itself; the clinic's business profile kept
//! as versions.

use crate::care::{Site, actions, at, dose, patient, plan_facts, released, site, vial};
use crate::{on_postgres, on_sqlite, raw};

use jiff::civil::date;
use jousei_core::commerce::tax::TaxRate;
use jousei_store::commerce::{
    ClinicProfile, Contract, ContractLine, NewContract, NewPayment, NewReceipt, PriceItem,
    PriceItemFacts, ReceiptLine,
};
use jousei_store::{Actor, DynStore, StoreError};
use uuid::Uuid;

fn item(code: &str, price: i64, sessions: u32) -> PriceItemFacts {
    PriceItemFacts {
        code: code.into(),
        name_ja: format!("{code} 点滴"),
        name_en: format!("{code} drip"),
        kind: if sessions > 1 { "package" } else { "single" }.into(),
        product_id: None,
        route: Some("iv_drip".into()),
        sessions,
        period_months: (sessions > 1).then_some(6),
        price,
        tax_rate: TaxRate::Standard,
        usual_course: "月1回、計5回".into(),
        main_risks: "内出血、発熱".into(),
    }
}

fn line(item: &PriceItem, quantity: u32) -> ContractLine {
    ContractLine {
        price_item_id: item.id,
        price_item_version: item.version,
        name_ja: item.facts.name_ja.clone(),
        quantity,
        unit_price: item.facts.price,
        tax_rate: item.facts.tax_rate,
        sessions: item.facts.sessions,
    }
}

fn new_contract(patient_id: Uuid, plan_id: Option<Uuid>, item: &PriceItem) -> NewContract {
    NewContract {
        patient_id,
        plan_id,
        lines: vec![line(item, 1)],
        total: item.facts.price,
        sessions: item.facts.sessions,
        starts_on: date(2026, 12, 1),
        ends_on: Some(date(2027, 5, 31)),
        payment_plan: "lump_sum".into(),
        covered: true,
        coverage: serde_json::json!({"covered": true, "reasons": ["over_50000_yen", "over_1_month"]}),
        terms: serde_json::json!({"cancellation_fee_percent": 10}),
    }
}

fn payment(amount: i64, when: &str) -> NewPayment {
    NewPayment {
        amount,
        method: "card".into(),
        note: None,
        at: at(when),
    }
}

fn receipt(contract_id: Option<Uuid>, total: i64) -> NewReceipt {
    NewReceipt {
        contract_id,
        payment_id: None,
        lines: vec![ReceiptLine {
            description: "幹細胞培養上清液点滴 5回コース".into(),
            amount: total,
            tax_rate: TaxRate::Standard,
        }],
        tax: serde_json::json!({"standard": {"base": total * 10 / 11, "tax": total - total * 10 / 11}}),
        total,
        reissue_of: None,
        reverses: None,
    }
}

/// A site with one package item on its price list.
async fn shop(store: &DynStore, code: &str) -> (Site, PriceItem) {
    let s = site(store, code).await;
    let it = store
        .create_price_item(&s.qa, s.clinic, &item("CM-IV-5", 550_000, 5))
        .await
        .unwrap();
    (s, it)
}

async fn price_items_are_versions_and_retire(store: DynStore) {
    let s = site(&store, "ginza").await;
    let o = site(&store, "umeda").await;
    let five = store
        .create_price_item(&s.qa, s.clinic, &item("CM-IV-5", 550_000, 5))
        .await
        .unwrap();
    assert_eq!(
        (five.version, five.active, five.clinic_id),
        (1, true, s.clinic)
    );
    let one = store
        .create_price_item(&s.qa, s.clinic, &item("CM-IV-1", 132_000, 1))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_price_item(&s.qa, s.clinic, &item("CM-IV-5", 1, 1))
            .await,
        Err(StoreError::Conflict("price_item_code_taken"))
    ));
    // Codes are per clinic.
    store
        .create_price_item(&o.qa, o.clinic, &item("CM-IV-5", 500_000, 5))
        .await
        .unwrap();

    let mut cheaper = item("CM-IV-5", 495_000, 5);
    cheaper.main_risks = "内出血、発熱、アレルギー反応".into();
    let revised = store
        .revise_price_item(&s.qa, s.clinic, five.id, &cheaper, "キャンペーン価格")
        .await
        .unwrap();
    assert_eq!((revised.version, &revised.facts), (2, &cheaper));
    assert_eq!(
        store.price_item(s.clinic, five.id).await.unwrap(),
        Some(revised.clone())
    );
    assert!(matches!(
        store
            .revise_price_item(&s.qa, s.clinic, five.id, &item("CM-IV-6", 1, 1), "code")
            .await,
        Err(StoreError::Conflict("price_item_code_immutable"))
    ));
    assert!(matches!(
        store
            .revise_price_item(&o.qa, o.clinic, five.id, &cheaper, "other clinic")
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.price_item(o.clinic, five.id).await.unwrap(), None);

    // Retired: kept, listed after the active ones, frozen; the code is free.
    let retired = store
        .retire_price_item(&s.qa, s.clinic, one.id)
        .await
        .unwrap();
    assert!(!retired.active);
    assert!(matches!(
        store.retire_price_item(&s.qa, s.clinic, one.id).await,
        Err(StoreError::Conflict("price_item_retired"))
    ));
    assert!(matches!(
        store
            .revise_price_item(&s.qa, s.clinic, one.id, &item("CM-IV-1", 1, 1), "x")
            .await,
        Err(StoreError::Conflict("price_item_retired"))
    ));
    let again = store
        .create_price_item(&s.qa, s.clinic, &item("CM-IV-1", 140_000, 1))
        .await
        .unwrap();
    let zz = store
        .create_price_item(&s.qa, s.clinic, &item("AA-KNEE-1", 220_000, 1))
        .await
        .unwrap();
    let listed = store.price_items(s.clinic).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|i| (i.id, i.facts.code.as_str(), i.active))
            .collect::<Vec<_>>(),
        [
            (zz.id, "AA-KNEE-1", true),
            (again.id, "CM-IV-1", true),
            (five.id, "CM-IV-5", true),
            (one.id, "CM-IV-1", false),
        ]
    );
    assert_eq!(store.price_items(o.clinic).await.unwrap().len(), 1);
    let acts = actions(&store).await;
    for a in [
        "price_item_created",
        "price_item_revised",
        "price_item_retired",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} audited");
    }
}
both!(price_items_are_versions_and_retire);

async fn contracts_are_numbered_per_clinic_and_scoped(store: DynStore) {
    let (s, five) = shop(&store, "ginza").await;
    let (o, other_item) = shop(&store, "umeda").await;
    let physician = Actor::user(s.physician_id, "physician-ginza");
    let plan = store
        .create_plan(&physician, s.clinic, s.patient, &plan_facts(&[&s.product]))
        .await
        .unwrap();
    let single = store
        .create_price_item(&s.qa, s.clinic, &item("CM-IV-1", 132_000, 1))
        .await
        .unwrap();

    let mut new = new_contract(s.patient, Some(plan.id), &five);
    new.lines.push(line(&single, 2));
    new.total = 550_000 + 2 * 132_000;
    new.sessions = 7;
    let first = store.create_contract(&s.qa, s.clinic, &new).await.unwrap();
    assert_eq!(first.number, "C-000001");
    assert_eq!(
        (
            &first.lines,
            first.total,
            first.sessions,
            first.status.as_str(),
            first.sessions_used,
            first.paid
        ),
        (&new.lines, 814_000, 7, "active", 0, 0)
    );
    assert_eq!(
        (first.starts_on, first.ends_on, first.plan_id, first.covered),
        (
            date(2026, 12, 1),
            Some(date(2027, 5, 31)),
            Some(plan.id),
            true
        )
    );
    assert_eq!((&first.coverage, &first.terms), (&new.coverage, &new.terms));
    assert_eq!((first.cancelled_on, &first.cancellation), (None, &None));
    assert_eq!(first.made_by, s.qa.user_id);
    assert!(first.documents.is_empty());

    let other_patient = patient(&store, s.clinic, &s.qa, "すずき たろう", "09087654321").await;
    let second = store
        .create_contract(&s.qa, s.clinic, &new_contract(other_patient, None, &single))
        .await
        .unwrap();
    assert_eq!(second.number, "C-000002");
    // Numbers are per clinic.
    let theirs = store
        .create_contract(&o.qa, o.clinic, &new_contract(o.patient, None, &other_item))
        .await
        .unwrap();
    assert_eq!(theirs.number, "C-000001");

    assert_eq!(
        store.contracts(s.clinic).await.unwrap(),
        [second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(
        store
            .contracts_of_patient(s.clinic, s.patient)
            .await
            .unwrap(),
        std::slice::from_ref(&first)
    );
    assert_eq!(
        store.contract(s.clinic, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.contract(o.clinic, first.id).await.unwrap(), None);
    assert!(
        store
            .contracts_of_patient(o.clinic, s.patient)
            .await
            .unwrap()
            .is_empty()
    );

    // Another clinic's patient, plan or price item, or a plan of another
    // patient: not found, and nothing written (the numbers stay gap-free).
    let other_plan = store
        .create_plan(
            &Actor::user(o.physician_id, "physician-umeda"),
            o.clinic,
            o.patient,
            &plan_facts(&[&o.product]),
        )
        .await
        .unwrap();
    for wrong in [
        new_contract(o.patient, None, &five),
        new_contract(s.patient, Some(other_plan.id), &five),
        new_contract(other_patient, Some(plan.id), &five),
        new_contract(s.patient, None, &other_item),
        NewContract {
            lines: vec![ContractLine {
                price_item_version: 9,
                ..line(&five, 1)
            }],
            ..new_contract(s.patient, None, &five)
        },
    ] {
        assert!(matches!(
            store.create_contract(&s.qa, s.clinic, &wrong).await,
            Err(StoreError::NotFound)
        ));
    }
    let third = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    assert_eq!(third.number, "C-000003");
    // A line keeps the version sold even after the item is revised.
    store
        .revise_price_item(
            &s.qa,
            s.clinic,
            five.id,
            &item("CM-IV-5", 600_000, 5),
            "値上げ",
        )
        .await
        .unwrap();
    let reread = store.contract(s.clinic, first.id).await.unwrap().unwrap();
    assert_eq!(
        (
            reread.lines[0].price_item_version,
            reread.lines[0].unit_price
        ),
        (1, 550_000)
    );
    assert!(actions(&store).await.iter().any(|a| a == "contract_made"));
}
both!(contracts_are_numbered_per_clinic_and_scoped);

async fn documents_are_kept_once_and_handed_over_once(store: DynStore) {
    let (s, five) = shop(&store, "ginza").await;
    let (o, _) = shop(&store, "umeda").await;
    let c = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    let pdf = b"%PDF-1.7\n\x00\xff summary bytes".to_vec();
    let summary = store
        .keep_contract_document(&s.qa, s.clinic, c.id, "summary", &pdf, "ab12")
        .await
        .unwrap();
    assert_eq!(
        (
            summary.contract_id,
            summary.kind.as_str(),
            summary.sha256.as_str(),
            &summary.handed_over_by,
            summary.received_on,
            summary.handed_over_at
        ),
        (c.id, "summary", "ab12", &None, None, None)
    );
    assert!(matches!(
        store
            .keep_contract_document(&s.qa, s.clinic, c.id, "summary", b"other", "cd34")
            .await,
        Err(StoreError::Conflict("contract_document_exists"))
    ));
    assert!(matches!(
        store
            .keep_contract_document(&s.qa, s.clinic, c.id, "flyer", b"x", "x")
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .keep_contract_document(&o.qa, o.clinic, c.id, "contract", b"x", "x")
            .await,
        Err(StoreError::NotFound)
    ));
    let contract_doc = store
        .keep_contract_document(&s.qa, s.clinic, c.id, "contract", b"%PDF contract", "ef56")
        .await
        .unwrap();
    assert_eq!(
        store
            .contract_document_pdf(s.clinic, summary.id)
            .await
            .unwrap(),
        Some(pdf.clone())
    );
    assert_eq!(
        store
            .contract_document_pdf(o.clinic, summary.id)
            .await
            .unwrap(),
        None
    );

    // Who handed it over is one of the clinic's staff (not another
    // clinic's), recorded once with the handover.
    let hand = |(actor, clinic): (&Actor, Uuid), doc: Uuid, by: &'static str, day: i8, staff| {
        let (store, actor) = (store.clone(), actor.clone());
        async move {
            store
                .hand_over_document(&actor, clinic, doc, by, date(2026, 12, day), staff)
                .await
        }
    };
    let mine = (&s.qa, s.clinic);
    assert!(matches!(
        hand(mine, summary.id, "paper", 1, o.physician_id).await,
        Err(StoreError::Conflict("contract_handed_by_unknown"))
    ));
    let kept = store.contract_document(s.clinic, summary.id).await.unwrap();
    assert_eq!(kept.and_then(|d| d.received_on), None);
    let handed = hand(mine, summary.id, "paper", 1, s.physician_id)
        .await
        .unwrap();
    assert_eq!(
        (handed.handed_over_by.as_deref(), handed.received_on),
        (Some("paper"), Some(date(2026, 12, 1)))
    );
    assert_eq!(handed.handed_over_staff_id, Some(s.physician_id));
    let kept = store.contract_document(s.clinic, summary.id).await.unwrap();
    assert_eq!(kept, Some(handed.clone()));
    let theirs = store.contract_document(o.clinic, summary.id).await.unwrap();
    assert_eq!(theirs, None);
    assert!(handed.handed_over_at.is_some());
    assert!(matches!(
        hand(mine, summary.id, "electronic", 2, s.physician_id).await,
        Err(StoreError::Conflict("contract_document_handed_over"))
    ));
    assert!(matches!(
        hand(
            (&o.qa, o.clinic),
            contract_doc.id,
            "paper",
            2,
            o.physician_id
        )
        .await,
        Err(StoreError::NotFound)
    ));
    let read = store.contract(s.clinic, c.id).await.unwrap().unwrap();
    assert_eq!(read.documents, [handed, contract_doc]);
    let acts = actions(&store).await;
    for a in ["contract_document_kept", "contract_document_handed_over"] {
        assert!(acts.iter().any(|x| x == a), "{a} audited");
    }
}
both!(documents_are_kept_once_and_handed_over_once);

async fn sessions_used(store: &DynStore, s: &Site, c: &Contract) -> u32 {
    store
        .contract(s.clinic, c.id)
        .await
        .unwrap()
        .unwrap()
        .sessions_used
}

async fn payments_sessions_and_cancellation(store: DynStore) {
    let (s, five) = shop(&store, "ginza").await;
    let (o, _) = shop(&store, "umeda").await;
    let physician = Actor::user(s.physician_id, "physician-ginza");
    let plan = store
        .create_plan(&physician, s.clinic, s.patient, &plan_facts(&[&s.product]))
        .await
        .unwrap();
    let c = store
        .create_contract(
            &s.qa,
            s.clinic,
            &new_contract(s.patient, Some(plan.id), &five),
        )
        .await
        .unwrap();

    // Payments: paid is their sum.
    let p1 = store
        .record_payment(
            &s.qa,
            s.clinic,
            c.id,
            &payment(200_000, "2026-12-01T02:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        (p1.amount, p1.contract_id, p1.by),
        (200_000, c.id, s.qa.user_id)
    );
    store
        .record_payment(
            &s.qa,
            s.clinic,
            c.id,
            &payment(350_000, "2026-12-02T02:00:00Z"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_payment(&o.qa, o.clinic, c.id, &payment(1, "2026-12-02T02:00:00Z"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_payment(
                &s.qa,
                s.clinic,
                c.id,
                &NewPayment {
                    method: "bitcoin".into(),
                    ..payment(1, "2026-12-02T02:00:00Z")
                }
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.contract(s.clinic, c.id).await.unwrap().unwrap().paid,
        550_000
    );
    let day = store
        .payments_between(
            s.clinic,
            at("2026-11-30T15:00:00Z"),
            at("2026-12-01T15:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(day, std::slice::from_ref(&p1));
    assert!(
        store
            .payments_between(
                o.clinic,
                at("2026-11-30T15:00:00Z"),
                at("2026-12-31T15:00:00Z")
            )
            .await
            .unwrap()
            .is_empty()
    );

    // Sessions used: doses under the plan from the start of 2026-12-01 in
    // Tokyo (2026-11-30T15:00Z). A dose the evening before does not count,
    // a dose just after midnight Tokyo time does, a voided one does not, a
    // dose without the plan does not.
    let lot = released(&store, &s, &s.product, "A", 10).await;
    let give = |when: &'static str, with_plan: bool| {
        let store = store.clone();
        let mut d = dose(&s, vec![vial(lot, None, 10)]);
        d.plan_id = with_plan.then_some(plan.id);
        d.started_at = at(when);
        let nurse = s.nurse.clone();
        let clinic = s.clinic;
        async move {
            store
                .record_administration(&nurse, clinic, &d)
                .await
                .unwrap()
        }
    };
    give("2026-11-30T14:59:00Z", true).await;
    assert_eq!(sessions_used(&store, &s, &c).await, 0);
    give("2026-11-30T15:00:00Z", true).await;
    assert_eq!(sessions_used(&store, &s, &c).await, 1);
    let second = give("2026-12-08T01:00:00Z", true).await;
    give("2026-12-09T01:00:00Z", false).await;
    assert_eq!(sessions_used(&store, &s, &c).await, 2);
    store
        .void_administration(&s.nurse, s.clinic, second.id, "記録誤り")
        .await
        .unwrap();
    assert_eq!(sessions_used(&store, &s, &c).await, 1);
    assert_eq!(
        store
            .contracts_of_patient(s.clinic, s.patient)
            .await
            .unwrap()[0]
            .sessions_used,
        1
    );

    // Cancellation with a refund, in one transaction.
    let quote = serde_json::json!({"used": 1, "fee": 20_000, "refund": 420_000});
    assert!(matches!(
        store
            .cancel_contract(
                &o.qa,
                o.clinic,
                c.id,
                date(2026, 12, 10),
                &quote,
                420_000,
                "transfer"
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let cancelled = store
        .cancel_contract(
            &s.qa,
            s.clinic,
            c.id,
            date(2026, 12, 10),
            &quote,
            420_000,
            "transfer",
        )
        .await
        .unwrap();
    assert_eq!(
        (
            cancelled.status.as_str(),
            cancelled.cancelled_on,
            &cancelled.cancellation,
            cancelled.paid,
            cancelled.sessions_used
        ),
        (
            "cancelled",
            Some(date(2026, 12, 10)),
            // No appointment booked under the plan: none cancelled.
            &Some(
                serde_json::json!({"used": 1, "fee": 20_000, "refund": 420_000,
                "appointments_cancelled": []})
            ),
            130_000,
            1
        )
    );
    // The refund is dated when the cancellation is recorded (now); the
    // payments are listed by date.
    let paid = store.payments(s.clinic, c.id).await.unwrap();
    assert!(
        paid.windows(2)
            .all(|w| (w[0].at, w[0].id) <= (w[1].at, w[1].id))
    );
    let mut amounts: Vec<_> = paid
        .iter()
        .map(|p| (p.amount, p.method.as_str(), p.by))
        .collect();
    amounts.sort_unstable();
    assert_eq!(
        amounts,
        [
            (-420_000, "transfer", s.qa.user_id),
            (200_000, "card", s.qa.user_id),
            (350_000, "card", s.qa.user_id)
        ]
    );
    assert!(store.payments(o.clinic, c.id).await.unwrap().is_empty());
    assert!(matches!(
        store
            .cancel_contract(&s.qa, s.clinic, c.id, date(2026, 12, 11), &quote, 1, "cash")
            .await,
        Err(StoreError::Conflict("contract_not_active"))
    ));
    assert_eq!(store.payments(s.clinic, c.id).await.unwrap().len(), 3);

    // Without a refund, no payment is written.
    let other = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    let cancelled = store
        .cancel_contract(
            &s.qa,
            s.clinic,
            other.id,
            date(2026, 12, 5),
            &quote,
            0,
            "cash",
        )
        .await
        .unwrap();
    assert_eq!(
        (cancelled.status.as_str(), cancelled.paid),
        ("cancelled", 0)
    );
    assert!(store.payments(s.clinic, other.id).await.unwrap().is_empty());
    let acts = actions(&store).await;
    for a in ["payment_recorded", "contract_cancelled"] {
        assert!(acts.iter().any(|x| x == a), "{a} audited");
    }
    assert!(
        jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_ok()
    );
}
both!(payments_sessions_and_cancellation);

async fn receipts_are_numbered_without_gaps_under_concurrency(store: DynStore) {
    let (s, five) = shop(&store, "ginza").await;
    let (o, _) = shop(&store, "umeda").await;
    let c = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let qa = s.qa.clone();
        let clinic = s.clinic;
        tasks.push(tokio::spawn(async move {
            store
                .issue_receipt(&qa, clinic, &receipt(Some(c.id), 1_000 + i))
                .await
        }));
    }
    let mut issued = Vec::new();
    for t in tasks {
        issued.push(t.await.unwrap().unwrap());
    }
    let mut numbers: Vec<i64> = issued.iter().map(|r| r.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
    let listed = store.receipts_of_contract(s.clinic, c.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.number).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    let first = issued.iter().find(|r| r.number == 1).unwrap().clone();
    assert_eq!(
        store.receipt(s.clinic, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.receipt(o.clinic, first.id).await.unwrap(), None);

    // A reversal and a reissue take the next numbers; a failed issue takes
    // none.
    let reversal = store
        .issue_receipt(
            &s.qa,
            s.clinic,
            &NewReceipt {
                reverses: Some(first.id),
                ..receipt(Some(c.id), -first.total)
            },
        )
        .await
        .unwrap();
    assert_eq!((reversal.number, reversal.reverses), (21, Some(first.id)));
    assert!(matches!(
        store
            .issue_receipt(
                &o.qa,
                o.clinic,
                &NewReceipt {
                    reissue_of: Some(first.id),
                    ..receipt(None, 1)
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .issue_receipt(&o.qa, o.clinic, &receipt(Some(c.id), 1))
            .await,
        Err(StoreError::NotFound)
    ));
    let p = store
        .record_payment(
            &s.qa,
            s.clinic,
            c.id,
            &payment(5_000, "2026-12-01T02:00:00Z"),
        )
        .await
        .unwrap();
    let reissue = store
        .issue_receipt(
            &s.qa,
            s.clinic,
            &NewReceipt {
                payment_id: Some(p.id),
                reissue_of: Some(first.id),
                ..receipt(Some(c.id), 5_000)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (reissue.number, reissue.payment_id, reissue.reissue_of),
        (22, Some(p.id), Some(first.id))
    );
    assert_eq!(
        store.receipt(s.clinic, reissue.id).await.unwrap(),
        Some(reissue)
    );
    // The other clinic counts from 1.
    let theirs = store
        .issue_receipt(&o.qa, o.clinic, &receipt(None, 3_300))
        .await
        .unwrap();
    assert_eq!(theirs.number, 1);
    assert!(actions(&store).await.iter().any(|a| a == "receipt_issued"));
    assert!(
        jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_ok()
    );
}
both!(receipts_are_numbered_without_gaps_under_concurrency);

async fn commerce_records_refuse_rewrites(store: DynStore, url: &str) {
    let (s, five) = shop(&store, "ginza").await;
    let c = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    let doc = store
        .keep_contract_document(&s.qa, s.clinic, c.id, "summary", b"%PDF", "ab")
        .await
        .unwrap();
    let p = store
        .record_payment(
            &s.qa,
            s.clinic,
            c.id,
            &payment(1_000, "2026-12-01T02:00:00Z"),
        )
        .await
        .unwrap();
    let r = store
        .issue_receipt(&s.qa, s.clinic, &receipt(Some(c.id), 1_000))
        .await
        .unwrap();
    let refused = |sql: String| {
        let store = store.clone();
        async move {
            let err = raw(&store, url, &sql).await.err();
            let msg = err
                .map(|e| e.to_string())
                .unwrap_or_default()
                .to_lowercase();
            assert!(
                ["never", "one at a time"].iter().any(|w| msg.contains(w)),
                "{sql}: {msg}"
            );
        }
    };
    let q = |id: Uuid| {
        if url.starts_with("sqlite") {
            format!("X'{}'", id.simple())
        } else {
            format!("'{id}'")
        }
    };
    let (item, contract, document, pay, rec) = (q(five.id), q(c.id), q(doc.id), q(p.id), q(r.id));
    for sql in [
        format!("DELETE FROM price_items WHERE id = {item}"),
        format!("UPDATE price_items SET code = 'X' WHERE id = {item}"),
        format!("UPDATE price_items SET current_version = 5 WHERE id = {item}"),
        format!("DELETE FROM price_item_versions WHERE price_item_id = {item}"),
        format!("UPDATE price_item_versions SET facts = '{{}}' WHERE price_item_id = {item}"),
        format!("DELETE FROM contracts WHERE id = {contract}"),
        format!("UPDATE contracts SET total = 1 WHERE id = {contract}"),
        format!("UPDATE contracts SET terms = '{{}}' WHERE id = {contract}"),
        format!("DELETE FROM contract_lines WHERE contract_id = {contract}"),
        format!("UPDATE contract_lines SET unit_price = 1 WHERE contract_id = {contract}"),
        format!("DELETE FROM contract_documents WHERE id = {document}"),
        format!(
            "UPDATE contract_documents SET pdf = {} WHERE id = {document}",
            if url.starts_with("sqlite") {
                "X'00'"
            } else {
                "'\\x00'"
            }
        ),
        format!("UPDATE contract_documents SET sha256 = 'ff' WHERE id = {document}"),
        format!("DELETE FROM payments WHERE id = {pay}"),
        format!("UPDATE payments SET amount = 1 WHERE id = {pay}"),
        format!("DELETE FROM receipts WHERE id = {rec}"),
        format!("UPDATE receipts SET number = 99 WHERE id = {rec}"),
        format!("UPDATE receipts SET total = 1 WHERE id = {rec}"),
    ] {
        refused(sql).await;
    }
    // A second receipt with the same number is refused by the database.
    let err = raw(
        &store,
        url,
        &format!(
            "INSERT INTO receipts (id, clinic_id, number, lines, tax, total, issued_at) \
             SELECT {}, clinic_id, number, lines, tax, total, issued_at FROM receipts WHERE id = {rec}",
            q(Uuid::now_v7())
        ),
    )
    .await
    .err()
    .map(|e| e.to_string().to_lowercase())
    .unwrap_or_default();
    assert!(err.contains("unique"), "{err}");

    // Once handed over, a document is frozen; once cancelled, a contract is.
    store
        .hand_over_document(
            &s.qa,
            s.clinic,
            doc.id,
            "paper",
            date(2026, 12, 1),
            s.physician_id,
        )
        .await
        .unwrap();
    refused(format!(
        "UPDATE contract_documents SET handed_over_by = 'electronic' WHERE id = {document}"
    ))
    .await;
    store
        .cancel_contract(
            &s.qa,
            s.clinic,
            c.id,
            date(2026, 12, 2),
            &serde_json::json!({}),
            0,
            "cash",
        )
        .await
        .unwrap();
    refused(format!(
        "UPDATE contracts SET status = 'active', cancelled_on = NULL, cancellation = NULL WHERE id = {contract}"
    ))
    .await;
    let after = store.contract(s.clinic, c.id).await.unwrap().unwrap();
    assert_eq!(
        (
            after.status.as_str(),
            after.total,
            after.paid,
            after.documents.len()
        ),
        ("cancelled", 550_000, 1_000, 1)
    );
}
both_with_url!(commerce_records_refuse_rewrites);

fn profile(phone: &str, registration_number: Option<&str>) -> ClinicProfile {
    ClinicProfile {
        legal_name: "医療法人社団上清会".into(),
        address: "東京都中央区銀座1-2-3".into(),
        phone: phone.into(),
        representative: "理事長 山田太郎".into(),
        registration_number: registration_number.map(Into::into),
        advance_payment_protection: "保全措置なし".into(),
    }
}

async fn clinic_profiles_are_versions(store: DynStore, url: &str) {
    let s = site(&store, "ginza").await;
    let o = site(&store, "umeda").await;
    assert_eq!(store.clinic_profile(s.clinic).await.unwrap(), None);

    let first = profile("03-1234-5678", None);
    assert_eq!(
        store
            .set_clinic_profile(&s.qa, s.clinic, &first)
            .await
            .unwrap(),
        first
    );
    assert_eq!(store.clinic_profile(s.clinic).await.unwrap(), Some(first));

    let second = profile("03-8765-4321", Some("T1234567890123"));
    assert_eq!(
        store
            .set_clinic_profile(&s.qa, s.clinic, &second)
            .await
            .unwrap(),
        second
    );
    assert_eq!(
        store.clinic_profile(s.clinic).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.clinic_profile(o.clinic).await.unwrap(), None);
    assert!(matches!(
        store
            .set_clinic_profile(&s.qa, Uuid::now_v7(), &second)
            .await,
        Err(StoreError::NotFound)
    ));

    let entries = crate::audit_entries_of(&store, "clinic_profile_set").await;
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert_eq!(
            (e.entity_kind.as_str(), e.clinic_id, e.entity_id.clone()),
            ("clinic", Some(s.clinic), Some(s.clinic.to_string()))
        );
    }
    assert!(entries[1].changes.contains("T1234567890123"));

    let clinic = if url.starts_with("sqlite") {
        format!("X'{}'", s.clinic.simple())
    } else {
        format!("'{}'", s.clinic)
    };
    for sql in [
        format!("UPDATE clinic_profiles SET profile = '{{}}' WHERE clinic_id = {clinic}"),
        format!("UPDATE clinic_profiles SET version = 9 WHERE clinic_id = {clinic}"),
        format!("DELETE FROM clinic_profiles WHERE clinic_id = {clinic}"),
    ] {
        let msg = raw(&store, url, &sql)
            .await
            .err()
            .map(|e| e.to_string().to_lowercase())
            .unwrap_or_default();
        assert!(msg.contains("never"), "{sql}: {msg}");
    }
    if !url.starts_with("sqlite") {
        let msg = raw(&store, url, "TRUNCATE clinic_profiles")
            .await
            .err()
            .map(|e| e.to_string().to_lowercase())
            .unwrap_or_default();
        assert!(msg.contains("never"), "TRUNCATE: {msg}");
    }
    // A second row with a version already taken is refused.
    let msg = raw(
        &store,
        url,
        &format!(
            "INSERT INTO clinic_profiles (clinic_id, version, profile, author_id, at) \
             SELECT clinic_id, version, profile, author_id, at FROM clinic_profiles \
             WHERE clinic_id = {clinic} AND version = 2"
        ),
    )
    .await
    .err()
    .map(|e| e.to_string().to_lowercase())
    .unwrap_or_default();
    assert!(msg.contains("unique"), "{msg}");
    assert_eq!(store.clinic_profile(s.clinic).await.unwrap(), Some(second));
    assert!(
        jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_ok()
    );
}
both_with_url!(clinic_profiles_are_versions);

/// Issue 16, error 6: the balance is checked inside the payment's
/// transaction, and a payment and its receipt are one transaction. Two
/// concurrent payments of the whole balance (¥550,000 each on a ¥550,000
/// contract): exactly one succeeds, with its receipt; the other is refused
/// with `payment_above_balance` and leaves neither a payment nor a receipt.
async fn concurrent_payments_of_the_whole_balance_one_succeeds(store: DynStore) {
    let (s, five) = shop(&store, "ginza").await;
    let c = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    for round in 0..3 {
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let store = store.clone();
            let qa = s.qa.clone();
            let clinic = s.clinic;
            tasks.push(tokio::spawn(async move {
                store
                    .record_payment_with_receipt(
                        &qa,
                        clinic,
                        c.id,
                        &payment(550_000, "2026-12-01T02:00:00Z"),
                        &receipt(None, 550_000),
                    )
                    .await
            }));
        }
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap());
        }
        let ok: Vec<_> = done.iter().filter_map(|r| r.as_ref().ok()).collect();
        let refused = done
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict("payment_above_balance"))))
            .count();
        if round == 0 {
            assert_eq!((ok.len(), refused), (1, 1), "{done:?}");
            let (p, r) = ok[0];
            assert_eq!(
                (r.payment_id, r.contract_id, r.total, r.number),
                (Some(p.id), Some(c.id), 550_000, 1)
            );
        } else {
            // Paid in full: every further payment is refused.
            assert_eq!((ok.len(), refused), (0, 2), "{done:?}");
        }
    }
    let after = store.contract(s.clinic, c.id).await.unwrap().unwrap();
    assert_eq!(after.paid, 550_000);
    assert_eq!(store.payments(s.clinic, c.id).await.unwrap().len(), 1);
    assert_eq!(
        store
            .receipts_of_contract(s.clinic, c.id)
            .await
            .unwrap()
            .len(),
        1
    );
    // The plain payment checks the balance inside its transaction too.
    assert!(matches!(
        store
            .record_payment(&s.qa, s.clinic, c.id, &payment(1, "2026-12-02T02:00:00Z"))
            .await,
        Err(StoreError::Conflict("payment_above_balance"))
    ));
    // A receipt that does not match its payment is refused, nothing kept.
    let other = store
        .create_contract(&s.qa, s.clinic, &new_contract(s.patient, None, &five))
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_payment_with_receipt(
                &s.qa,
                s.clinic,
                other.id,
                &payment(1_000, "2026-12-01T02:00:00Z"),
                &receipt(None, 999),
            )
            .await,
        Err(StoreError::Conflict("receipt_total_mismatch"))
    ));
    assert!(store.payments(s.clinic, other.id).await.unwrap().is_empty());
}
both!(concurrent_payments_of_the_whole_balance_one_succeeds);
