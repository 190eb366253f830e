//! Adverse events and recalls on both backends: a report with its
//! follow-ups and the doses involved (only the patient's own), revisions
//! as versions, follow-ups done once, notifications; a recall takes every
//! lot out of use in one transaction (lot state, lot event, stock), leaves
//! recalled and rejected lots as they are, records contact attempts only
//! for affected patients, closes once; another clinic's ids are not found;
//! the records refuse rewrites in the database itself.

use crate::care::{Site, actions, at, decide, dose, patient, receive, released, site, vial};
use crate::{on_postgres, on_sqlite, raw};

use jiff::civil::date;
use jousei_core::safety::{
    AdverseEventFacts, AeCategory, AeOutcome, AeSeverity, Causality, ContactMethod, ContactOutcome,
    RecallProgress, RecallScope, Seriousness,
};
use jousei_core::supply::lot::{LotAction, LotState, unavailability};
use jousei_store::care::AdministrationStatus;
use jousei_store::safety::{
    AdverseEvent, NewAdverseEvent, NewNotification, NewRecall, NewRecallContact, Recall,
};
use jousei_store::{Actor, DynStore, StoreError};
use uuid::Uuid;

fn physician(s: &Site) -> Actor {
    Actor::user(s.physician_id, "physician")
}

fn facts(administration_ids: Vec<Uuid>) -> AdverseEventFacts {
    AdverseEventFacts {
        onset_at: "2026-12-02T03:00:00Z".parse().unwrap(),
        aware_at: "2026-12-02T05:30:00Z".parse().unwrap(),
        description: "投与翌日に 38.9℃ の発熱、入院".into(),
        category: AeCategory::Fever,
        severity: AeSeverity::Severe,
        seriousness: vec![Seriousness::Hospitalisation],
        causality: None,
        outcome: AeOutcome::NotRecovered,
        action_taken: Some("入院、抗菌薬投与".into()),
        administration_ids,
    }
}

fn report(patient_id: Uuid, facts: AdverseEventFacts) -> NewAdverseEvent {
    NewAdverseEvent {
        patient_id,
        facts,
        due_date: Some(date(2026, 12, 17)),
        // Given out of order: the tasks are listed by due date.
        follow_ups: vec![date(2027, 1, 1), date(2026, 12, 9)],
    }
}

fn unit<T>(r: Result<T, StoreError>) -> Result<(), StoreError> {
    r.map(|_| ())
}

fn nf(r: Result<(), StoreError>) {
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

async fn seq(store: &DynStore) -> i64 {
    store.audit_head().await.unwrap().0
}

async fn chain_holds(store: &DynStore) {
    jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap()
        .unwrap();
}

async fn state(store: &DynStore, clinic: Uuid, lot: Uuid) -> LotState {
    store.lot(clinic, lot).await.unwrap().unwrap().state
}

async fn adverse_events_are_reported_revised_and_followed_up(store: DynStore) {
    let s = site(&store, "ginza").await;
    let doc = physician(&s);
    let a = released(&store, &s, &s.product, "A-2612", 5).await;
    let given = store
        .record_administration(&s.nurse, s.clinic, &dose(&s, vec![vial(a, Some("1"), 5)]))
        .await
        .unwrap();
    let other = patient(&store, s.clinic, &s.qa, "すずき たろう", "09087654321").await;
    let mut theirs = dose(&s, vec![vial(a, Some("2"), 5)]);
    theirs.patient_id = other;
    let theirs = store
        .record_administration(&s.nurse, s.clinic, &theirs)
        .await
        .unwrap();

    // Another patient's dose, or a patient who is not there: nothing written.
    let before = seq(&store).await;
    for new in [
        report(s.patient, facts(vec![given.id, theirs.id])),
        report(Uuid::now_v7(), facts(vec![])),
        report(s.patient, facts(vec![Uuid::now_v7()])),
    ] {
        let r = store.report_adverse_event(&doc, s.clinic, &new).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
    assert_eq!(seq(&store).await, before);
    assert!(store.adverse_events(s.clinic).await.unwrap().is_empty());

    let new = report(s.patient, facts(vec![given.id]));
    let ae = store
        .report_adverse_event(&doc, s.clinic, &new)
        .await
        .unwrap();
    assert_eq!(
        (ae.clinic_id, ae.patient_id, ae.version, ae.reported_by),
        (s.clinic, s.patient, 1, Some(s.physician_id))
    );
    assert_eq!(ae.facts, new.facts);
    assert_eq!(ae.due_date, Some(date(2026, 12, 17)));
    assert_eq!(
        ae.follow_ups.iter().map(|f| f.due_on).collect::<Vec<_>>(),
        [date(2026, 12, 9), date(2027, 1, 1)]
    );
    assert!(
        ae.follow_ups
            .iter()
            .all(|f| f.adverse_event_id == ae.id && f.note.is_none() && f.done_at.is_none())
    );
    assert!(ae.notifications.is_empty());
    assert_eq!(
        store.adverse_event(s.clinic, ae.id).await.unwrap(),
        Some(ae.clone())
    );

    // The physician's causality and a changed outcome: version 2.
    let mut assessed = ae.facts.clone();
    assessed.causality = Some(Causality::Probable);
    assessed.outcome = AeOutcome::Recovering;
    let v2 = store
        .revise_adverse_event(
            &doc,
            s.clinic,
            ae.id,
            1,
            &assessed,
            ae.due_date,
            "医師による因果関係評価",
        )
        .await
        .unwrap();
    assert_eq!((v2.version, &v2.facts), (2, &assessed));
    assert_eq!(v2.follow_ups, ae.follow_ups, "the tasks stay");
    assert_eq!(v2.reported_at, ae.reported_at);
    // A stale version, or another patient's dose, is refused.
    let before = seq(&store).await;
    let r = store
        .revise_adverse_event(&doc, s.clinic, ae.id, 1, &ae.facts, None, "x")
        .await;
    assert!(
        matches!(r, Err(StoreError::Conflict("adverse_event_version_stale"))),
        "{r:?}"
    );
    let mut wrong = assessed.clone();
    wrong.administration_ids.push(theirs.id);
    let r = store
        .revise_adverse_event(&doc, s.clinic, ae.id, 2, &wrong, ae.due_date, "x")
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert_eq!(seq(&store).await, before);
    let versions = store.adverse_event_versions(s.clinic, ae.id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.reason.as_deref(), v.facts.causality))
            .collect::<Vec<_>>(),
        [
            (2, Some("医師による因果関係評価"), Some(Causality::Probable)),
            (1, None, None)
        ]
    );
    assert!(
        versions
            .iter()
            .all(|v| v.author_id == Some(s.physician_id) && v.due_date == ae.due_date)
    );

    // A follow-up is done once.
    let day7 = ae.follow_ups[0].id;
    let done = store
        .complete_follow_up(&s.nurse, s.clinic, day7, "解熱、経過良好")
        .await
        .unwrap();
    assert_eq!(
        (done.id, done.note.as_deref(), done.done_by),
        (day7, Some("解熱、経過良好"), s.nurse.user_id)
    );
    assert!(done.done_at.is_some());
    let r = store
        .complete_follow_up(&s.nurse, s.clinic, day7, "again")
        .await;
    assert!(
        matches!(r, Err(StoreError::Conflict("follow_up_already_done"))),
        "{r:?}"
    );
    let r = store
        .complete_follow_up(&s.nurse, s.clinic, Uuid::now_v7(), "x")
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");

    // The report to the authority is recorded.
    let sent_at = at("2026-12-04T02:00:00Z");
    let n = store
        .record_notification(
            &doc,
            s.clinic,
            ae.id,
            &NewNotification {
                recipient: "authority".into(),
                channel: "PMDA 電子報告".into(),
                reference: Some("R-2026-0042".into()),
                sent_at,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            n.adverse_event_id,
            n.recipient.as_str(),
            n.sent_at,
            n.recorded_by
        ),
        (ae.id, "authority", sent_at, Some(s.physician_id))
    );
    let r = store
        .record_notification(
            &doc,
            s.clinic,
            ae.id,
            &NewNotification {
                recipient: "press".into(),
                channel: "FAX".into(),
                reference: None,
                sent_at,
            },
        )
        .await;
    assert!(
        matches!(
            r,
            Err(StoreError::Conflict("notification_recipient_invalid"))
        ),
        "{r:?}"
    );
    let now = store.adverse_event(s.clinic, ae.id).await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.notifications, vec![n]);
    assert_eq!(now.follow_ups[0], done);
    assert!(now.follow_ups[1].done_at.is_none());

    // Another event, later onset, not serious, no dose named.
    let mut mild = facts(vec![]);
    mild.onset_at = "2026-12-03T01:00:00Z".parse().unwrap();
    mild.aware_at = mild.onset_at;
    mild.seriousness = vec![];
    mild.severity = AeSeverity::Mild;
    mild.category = AeCategory::Bruising;
    mild.outcome = AeOutcome::Recovered;
    let later = store
        .report_adverse_event(
            &s.nurse,
            s.clinic,
            &NewAdverseEvent {
                patient_id: other,
                facts: mild,
                due_date: None,
                follow_ups: vec![],
            },
        )
        .await
        .unwrap();
    assert!(later.follow_ups.is_empty() && later.due_date.is_none());
    let ids = |v: Vec<AdverseEvent>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.adverse_events(s.clinic).await.unwrap()),
        [later.id, ae.id],
        "newest onset first"
    );
    assert_eq!(
        ids(store
            .adverse_events_of_patient(s.clinic, s.patient)
            .await
            .unwrap()),
        [ae.id]
    );
    assert_eq!(
        store.adverse_events(s.clinic).await.unwrap()[1],
        now,
        "the list says what the record says"
    );

    let acts = actions(&store).await;
    for a in [
        "adverse_event_reported",
        "adverse_event_revised",
        "follow_up_completed",
        "adverse_event_notified",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} in {acts:?}");
    }
    assert_eq!(
        acts.iter()
            .filter(|a| *a == "adverse_event_reported")
            .count(),
        2
    );
    chain_holds(&store).await;
}
both!(adverse_events_are_reported_revised_and_followed_up);

/// Lots in every state and doses from them: `a` (released) was given to
/// `p1` and to `p3` (voided), `b` (now on hold) to `p2`; `c` is already
/// recalled, `d` rejected, `e` released and not in the recall. `p4` had
/// nothing.
struct RecallWorld {
    s: Site,
    a: Uuid,
    b: Uuid,
    c: Uuid,
    d: Uuid,
    e: Uuid,
    p1: Uuid,
    p2: Uuid,
    p3: Uuid,
    p4: Uuid,
}

async fn recall_world(store: &DynStore) -> RecallWorld {
    let s = site(store, "ginza").await;
    let a = released(store, &s, &s.product, "A", 5).await;
    let b = released(store, &s, &s.product, "B", 5).await;
    let c = released(store, &s, &s.product, "C", 5).await;
    decide(store, &s, c, LotAction::Recall).await;
    let d = receive(store, &s, &s.product, "D", s.freezer, 5).await;
    decide(store, &s, d, LotAction::Reject).await;
    let e = released(store, &s, &s.product_b, "E", 5).await;
    let p1 = s.patient;
    let p2 = patient(store, s.clinic, &s.qa, "すずき じろう", "09011112222").await;
    let p3 = patient(store, s.clinic, &s.qa, "たなか さぶろう", "09033334444").await;
    let p4 = patient(store, s.clinic, &s.qa, "いとう しろう", "09055556666").await;
    for (p, lot) in [(p1, a), (p2, b), (p3, a)] {
        let mut d = dose(&s, vec![vial(lot, None, 5), vial(e, None, 5)]);
        d.patient_id = p;
        let given = store
            .record_administration(&s.nurse, s.clinic, &d)
            .await
            .unwrap();
        if p == p3 {
            store
                .void_administration(&s.nurse, s.clinic, given.id, "誤登録")
                .await
                .unwrap();
        }
    }
    decide(store, &s, b, LotAction::Hold).await;
    RecallWorld {
        s,
        a,
        b,
        c,
        d,
        e,
        p1,
        p2,
        p3,
        p4,
    }
}

async fn start(store: &DynStore, w: &RecallWorld) -> Recall {
    store
        .start_recall(
            &physician(&w.s),
            w.s.clinic,
            &NewRecall {
                scope: RecallScope::Product,
                subject: w.s.product.id.to_string(),
                reason: "製造元による自主回収（無菌試験の逸脱）".into(),
                lot_ids: vec![w.a, w.b, w.c, w.d, w.a],
            },
        )
        .await
        .unwrap()
}

async fn a_recall_takes_its_lots_out_of_use_at_once(store: DynStore) {
    let w = recall_world(&store).await;
    let s = &w.s;
    let doc = physician(s);
    let c_events = store.lot_events(s.clinic, w.c).await.unwrap().len();
    let d_events = store.lot_events(s.clinic, w.d).await.unwrap().len();

    // Refused before anything is written.
    let before = seq(&store).await;
    for (lot_ids, reason, code) in [
        (vec![], "x", "recall_no_lots"),
        (vec![w.a], " ", "reason_required"),
    ] {
        let r = store
            .start_recall(
                &doc,
                s.clinic,
                &NewRecall {
                    scope: RecallScope::Lot,
                    subject: "A".into(),
                    reason: reason.into(),
                    lot_ids,
                },
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Conflict(c)) if c == code),
            "{r:?}"
        );
    }
    let r = store
        .start_recall(
            &doc,
            s.clinic,
            &NewRecall {
                scope: RecallScope::Lot,
                subject: "A".into(),
                reason: "x".into(),
                lot_ids: vec![w.a, Uuid::now_v7()],
            },
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert_eq!(seq(&store).await, before);
    assert_eq!(state(&store, s.clinic, w.a).await, LotState::Released);

    let recall = start(&store, &w).await;
    assert_eq!(recall.lot_ids, [w.a, w.b, w.c, w.d], "once each, in order");
    assert_eq!(
        (
            recall.scope,
            recall.started_by,
            recall.report.as_deref(),
            recall.closed_at
        ),
        (RecallScope::Product, Some(s.physician_id), None, None)
    );
    assert!(recall.contacts.is_empty());
    assert_eq!(
        store.recall(s.clinic, recall.id).await.unwrap(),
        Some(recall.clone())
    );
    assert_eq!(store.recalls(s.clinic).await.unwrap(), vec![recall.clone()]);

    // Both lots recalled in one go; the recalled lot and the rejected lot
    // stay as they were; the lot outside the recall is untouched.
    for (lot, want) in [
        (w.a, LotState::Recalled),
        (w.b, LotState::Recalled),
        (w.c, LotState::Recalled),
        (w.d, LotState::Rejected),
        (w.e, LotState::Released),
    ] {
        assert_eq!(state(&store, s.clinic, lot).await, want);
    }
    assert_eq!(
        store.lot(s.clinic, w.b).await.unwrap().unwrap().held_from,
        None
    );
    for (lot, from) in [(w.a, "released"), (w.b, "on_hold")] {
        let ev = store.lot_events(s.clinic, lot).await.unwrap();
        let last = ev.last().unwrap();
        assert_eq!(
            (
                last.action.as_str(),
                last.from_state.as_str(),
                last.to_state.as_str(),
                last.reason.as_deref(),
                last.actor_id
            ),
            (
                "recall",
                from,
                "recalled",
                Some("製造元による自主回収（無菌試験の逸脱）"),
                Some(s.physician_id)
            )
        );
        assert_eq!(last.evidence["recall_id"], recall.id.to_string());
    }
    assert_eq!(
        store.lot_events(s.clinic, w.c).await.unwrap().len(),
        c_events
    );
    assert_eq!(
        store.lot_events(s.clinic, w.d).await.unwrap().len(),
        d_events
    );

    // The stock of those lots is no longer available (the stock lists each
    // lot with its state; availability is derived from it).
    let today = date(2026, 12, 5);
    let stock = store.stock(s.clinic).await.unwrap();
    for lot in [w.a, w.b] {
        let rows: Vec<_> = stock.iter().filter(|r| r.lot.id == lot).collect();
        assert!(!rows.is_empty() && rows.iter().all(|r| r.vials > 0));
        for r in rows {
            assert_eq!(r.lot.state, LotState::Recalled);
            assert_eq!(
                unavailability(r.lot.state, r.lot.expiry, today),
                Some("lot_recalled")
            );
        }
    }
    let e_row = stock.iter().find(|r| r.lot.id == w.e).unwrap();
    assert_eq!(
        unavailability(e_row.lot.state, e_row.lot.expiry, today),
        None
    );
    // The chair refuses a vial of a recalled lot at once.
    let r = store
        .record_administration(&s.nurse, s.clinic, &dose(s, vec![vial(w.a, None, 5)]))
        .await;
    assert!(
        matches!(r, Err(StoreError::Conflict("lot_not_usable"))),
        "{r:?}"
    );

    // The audit trail: each lot's recall and the campaign, in one go.
    let entries = store.audit_batch(before, 1000).await.unwrap();
    let acts: Vec<(&str, Option<&str>)> = entries
        .iter()
        .map(|e| (e.event.action.as_str(), e.event.entity_id.as_deref()))
        .collect();
    let (a, b, r) = (w.a.to_string(), w.b.to_string(), recall.id.to_string());
    assert_eq!(
        acts,
        [
            ("lot_recall", Some(a.as_str())),
            ("lot_recall", Some(b.as_str())),
            ("recall_started", Some(r.as_str()))
        ]
    );
    let started: serde_json::Value = serde_json::from_str(&entries[2].event.changes).unwrap();
    assert_eq!(started["lots"].as_array().unwrap().len(), 4);
    chain_holds(&store).await;
}
both!(a_recall_takes_its_lots_out_of_use_at_once);

async fn recall_contacts_and_closing(store: DynStore) {
    let w = recall_world(&store).await;
    let s = &w.s;
    let recall = start(&store, &w).await;
    let contact = |patient_id, outcome, t: &str| NewRecallContact {
        patient_id,
        method: ContactMethod::Phone,
        outcome,
        note: Some("回収のお知らせ".into()),
        at: at(t),
    };

    // The affected patients, as the lookback finds them.
    let mut affected: Vec<Uuid> = store
        .lookback_lots(s.clinic, &recall.lot_ids)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == AdministrationStatus::Recorded)
        .map(|r| r.patient_id)
        .collect();
    affected.dedup();
    affected.sort();
    let mut want = vec![w.p1, w.p2];
    want.sort();
    assert_eq!(affected, want);

    // Recorded out of order: listed oldest first.
    let c2 = store
        .record_recall_contact(
            &s.nurse,
            s.clinic,
            recall.id,
            &contact(w.p1, ContactOutcome::Reached, "2026-12-05T05:00:00Z"),
        )
        .await
        .unwrap();
    let c1 = store
        .record_recall_contact(
            &s.nurse,
            s.clinic,
            recall.id,
            &contact(w.p1, ContactOutcome::NoAnswer, "2026-12-05T01:00:00Z"),
        )
        .await
        .unwrap();
    let c3 = store
        .record_recall_contact(
            &s.nurse,
            s.clinic,
            recall.id,
            &NewRecallContact {
                method: ContactMethod::Sms,
                note: None,
                ..contact(w.p2, ContactOutcome::LeftMessage, "2026-12-05T02:00:00Z")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (c1.recall_id, c1.patient_id, c1.by, c1.method, c1.outcome),
        (
            recall.id,
            w.p1,
            s.nurse.user_id,
            ContactMethod::Phone,
            ContactOutcome::NoAnswer
        )
    );
    // Not affected: a voided dose, no dose at all, no such patient.
    let before = seq(&store).await;
    for p in [w.p3, w.p4] {
        let r = store
            .record_recall_contact(
                &s.nurse,
                s.clinic,
                recall.id,
                &contact(p, ContactOutcome::Reached, "2026-12-05T03:00:00Z"),
            )
            .await;
        assert!(
            matches!(r, Err(StoreError::Conflict("recall_patient_not_affected"))),
            "{r:?}"
        );
    }
    let r = store
        .record_recall_contact(
            &s.nurse,
            s.clinic,
            recall.id,
            &contact(
                Uuid::now_v7(),
                ContactOutcome::Reached,
                "2026-12-05T03:00:00Z",
            ),
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert_eq!(seq(&store).await, before);

    let now = store.recall(s.clinic, recall.id).await.unwrap().unwrap();
    assert_eq!(now.contacts, vec![c1, c3, c2]);
    let attempts: Vec<(Uuid, ContactOutcome)> = now
        .contacts
        .iter()
        .map(|c| (c.patient_id, c.outcome))
        .collect();
    let progress = RecallProgress::of(&affected, &attempts);
    assert_eq!(
        (progress.reached, progress.attempted, progress.pending),
        (1, 1, 0)
    );

    // Closing, once; then no more contacts.
    let doc = physician(s);
    let closed = store
        .close_recall(&doc, s.clinic, recall.id, "対象患者2名に連絡、1名は留守電")
        .await
        .unwrap();
    assert_eq!(
        (closed.report.as_deref(), closed.closed_by),
        (Some("対象患者2名に連絡、1名は留守電"), Some(s.physician_id))
    );
    assert!(closed.closed_at.is_some());
    assert_eq!(closed.contacts.len(), 3);
    assert_eq!(closed.lot_ids, recall.lot_ids);
    let before = seq(&store).await;
    let r = store.close_recall(&doc, s.clinic, recall.id, "again").await;
    assert!(
        matches!(r, Err(StoreError::Conflict("recall_closed"))),
        "{r:?}"
    );
    let r = store
        .record_recall_contact(
            &s.nurse,
            s.clinic,
            recall.id,
            &contact(w.p2, ContactOutcome::Reached, "2026-12-06T01:00:00Z"),
        )
        .await;
    assert!(
        matches!(r, Err(StoreError::Conflict("recall_closed"))),
        "{r:?}"
    );
    assert_eq!(seq(&store).await, before);
    assert_eq!(
        store.recall(s.clinic, recall.id).await.unwrap(),
        Some(closed)
    );

    let acts = actions(&store).await;
    assert_eq!(
        acts.iter()
            .filter(|a| *a == "recall_contact_recorded")
            .count(),
        3
    );
    assert_eq!(acts.iter().filter(|a| *a == "recall_closed").count(), 1);
    chain_holds(&store).await;
}
both!(recall_contacts_and_closing);

async fn another_clinics_safety_ids_are_not_found(store: DynStore) {
    let g = site(&store, "ginza").await;
    let u = site(&store, "umeda").await;
    let ga = released(&store, &g, &g.product, "GA", 5).await;
    let ua = released(&store, &u, &u.product, "UA", 5).await;
    let udose = store
        .record_administration(&u.nurse, u.clinic, &dose(&u, vec![vial(ua, None, 5)]))
        .await
        .unwrap();
    let uae = store
        .report_adverse_event(
            &physician(&u),
            u.clinic,
            &report(u.patient, facts(vec![udose.id])),
        )
        .await
        .unwrap();
    let urecall = store
        .start_recall(
            &physician(&u),
            u.clinic,
            &NewRecall {
                scope: RecallScope::Lot,
                subject: "UA".into(),
                reason: "回収".into(),
                lot_ids: vec![ua],
            },
        )
        .await
        .unwrap();
    let grecall = store
        .start_recall(
            &physician(&g),
            g.clinic,
            &NewRecall {
                scope: RecallScope::Lot,
                subject: "GA".into(),
                reason: "回収".into(),
                lot_ids: vec![ga],
            },
        )
        .await
        .unwrap();
    let gb = released(&store, &g, &g.product, "GB", 5).await;

    let doc = physician(&g);
    let before = seq(&store).await;
    // Writes from Ginza on Umeda's records.
    nf(unit(
        store
            .report_adverse_event(&doc, g.clinic, &report(u.patient, facts(vec![])))
            .await,
    ));
    nf(unit(
        store
            .report_adverse_event(&doc, g.clinic, &report(g.patient, facts(vec![udose.id])))
            .await,
    ));
    nf(unit(
        store
            .revise_adverse_event(&doc, g.clinic, uae.id, 1, &uae.facts, None, "x")
            .await,
    ));
    nf(unit(
        store
            .complete_follow_up(&doc, g.clinic, uae.follow_ups[0].id, "x")
            .await,
    ));
    nf(unit(
        store
            .record_notification(
                &doc,
                g.clinic,
                uae.id,
                &NewNotification {
                    recipient: "supplier".into(),
                    channel: "mail".into(),
                    reference: None,
                    sent_at: at("2026-12-04T00:00:00Z"),
                },
            )
            .await,
    ));
    nf(unit(
        store
            .start_recall(
                &doc,
                g.clinic,
                &NewRecall {
                    scope: RecallScope::Lot,
                    subject: "x".into(),
                    reason: "x".into(),
                    lot_ids: vec![gb, ua],
                },
            )
            .await,
    ));
    let contact = |patient_id| NewRecallContact {
        patient_id,
        method: ContactMethod::Letter,
        outcome: ContactOutcome::Reached,
        note: None,
        at: at("2026-12-05T00:00:00Z"),
    };
    nf(unit(
        store
            .record_recall_contact(&doc, g.clinic, urecall.id, &contact(u.patient))
            .await,
    ));
    nf(unit(
        store
            .record_recall_contact(&doc, g.clinic, grecall.id, &contact(u.patient))
            .await,
    ));
    nf(unit(
        store.close_recall(&doc, g.clinic, urecall.id, "x").await,
    ));
    assert_eq!(seq(&store).await, before, "nothing written");
    assert_eq!(state(&store, g.clinic, gb).await, LotState::Released);

    // Reads from Ginza.
    assert!(
        store
            .adverse_event(g.clinic, uae.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .adverse_event_versions(g.clinic, uae.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.adverse_events(g.clinic).await.unwrap().is_empty());
    assert!(
        store
            .adverse_events_of_patient(g.clinic, u.patient)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.recall(g.clinic, urecall.id).await.unwrap().is_none());
    assert_eq!(
        store
            .recalls(g.clinic)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [grecall.id]
    );

    // Umeda's records are as they were.
    assert_eq!(
        store.adverse_event(u.clinic, uae.id).await.unwrap(),
        Some(uae)
    );
    assert_eq!(
        store.recall(u.clinic, urecall.id).await.unwrap(),
        Some(urecall)
    );
    assert_eq!(state(&store, u.clinic, ua).await, LotState::Recalled);
}
both!(another_clinics_safety_ids_are_not_found);

async fn safety_records_refuse_rewrites(store: DynStore, url: &str) {
    let w = recall_world(&store).await;
    let s = &w.s;
    let doc = physician(s);
    let given = store
        .administrations_of_patient(s.clinic, w.p1)
        .await
        .unwrap()
        .remove(0);
    let ae = store
        .report_adverse_event(&doc, s.clinic, &report(w.p1, facts(vec![given.id])))
        .await
        .unwrap();
    store
        .record_notification(
            &doc,
            s.clinic,
            ae.id,
            &NewNotification {
                recipient: "supplier".into(),
                channel: "FAX".into(),
                reference: None,
                sent_at: at("2026-12-04T00:00:00Z"),
            },
        )
        .await
        .unwrap();
    let recall = start(&store, &w).await;
    store
        .record_recall_contact(
            &s.nurse,
            s.clinic,
            recall.id,
            &NewRecallContact {
                patient_id: w.p1,
                method: ContactMethod::Phone,
                outcome: ContactOutcome::Reached,
                note: None,
                at: at("2026-12-05T00:00:00Z"),
            },
        )
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
    let lit = |id: Uuid| {
        if url.starts_with("sqlite") {
            format!("X'{}'", id.simple())
        } else {
            format!("'{id}'")
        }
    };
    let (e, r, f) = (lit(ae.id), lit(recall.id), lit(ae.follow_ups[0].id));
    let other = lit(w.p2);
    for sql in [
        format!("DELETE FROM adverse_events WHERE id = {e}"),
        format!("UPDATE adverse_events SET patient_id = {other} WHERE id = {e}"),
        format!("UPDATE adverse_events SET reported_by = NULL WHERE id = {e}"),
        format!("UPDATE adverse_events SET current_version = 5 WHERE id = {e}"),
        format!("DELETE FROM adverse_event_versions WHERE adverse_event_id = {e}"),
        format!("UPDATE adverse_event_versions SET facts = '{{}}' WHERE adverse_event_id = {e}"),
        format!("DELETE FROM adverse_event_administrations WHERE adverse_event_id = {e}"),
        format!(
            "UPDATE adverse_event_administrations SET version = 2 WHERE adverse_event_id = {e}"
        ),
        format!("DELETE FROM adverse_event_follow_ups WHERE id = {f}"),
        format!("UPDATE adverse_event_follow_ups SET due_on = '2026-12-10' WHERE id = {f}"),
        format!("DELETE FROM adverse_event_notifications WHERE adverse_event_id = {e}"),
        format!(
            "UPDATE adverse_event_notifications SET channel = 'x' WHERE adverse_event_id = {e}"
        ),
        format!("DELETE FROM recalls WHERE id = {r}"),
        format!("UPDATE recalls SET reason = 'x' WHERE id = {r}"),
        format!("DELETE FROM recall_lots WHERE recall_id = {r}"),
        format!("UPDATE recall_lots SET prior_state = 'released' WHERE recall_id = {r}"),
        format!("DELETE FROM recall_contacts WHERE recall_id = {r}"),
        format!("UPDATE recall_contacts SET outcome = 'no_answer' WHERE recall_id = {r}"),
    ] {
        refused(sql).await;
    }
    // What the store itself does is allowed.
    raw(
        &store,
        url,
        &format!("UPDATE adverse_events SET onset_at = onset_at WHERE id = {e}"),
    )
    .await
    .unwrap();
    // Done once, closed once: then frozen.
    store
        .complete_follow_up(&s.nurse, s.clinic, ae.follow_ups[0].id, "経過良好")
        .await
        .unwrap();
    store
        .close_recall(&doc, s.clinic, recall.id, "完了")
        .await
        .unwrap();
    for sql in [
        format!("UPDATE adverse_event_follow_ups SET note = 'changed' WHERE id = {f}"),
        format!(
            "UPDATE adverse_event_follow_ups SET note = NULL, done_at = NULL, done_by = NULL WHERE id = {f}"
        ),
        format!("UPDATE recalls SET report = 'changed' WHERE id = {r}"),
        format!(
            "UPDATE recalls SET report = NULL, closed_at = NULL, closed_by = NULL WHERE id = {r}"
        ),
    ] {
        refused(sql).await;
    }
    let after = store.adverse_event(s.clinic, ae.id).await.unwrap().unwrap();
    assert_eq!(after.follow_ups[0].note.as_deref(), Some("経過良好"));
    assert_eq!(after.notifications.len(), 1);
    let closed = store.recall(s.clinic, recall.id).await.unwrap().unwrap();
    assert_eq!(
        (
            closed.report.as_deref(),
            closed.lot_ids.len(),
            closed.contacts.len()
        ),
        (Some("完了"), 4, 1)
    );
}
both_with_url!(safety_records_refuse_rewrites);

/// The clinic's reporting policy per product regime: none until set; each
/// change a new version (audited, with the days); an invalid policy or an
/// unknown clinic writes nothing; another clinic keeps its own; the
/// versions refuse rewrites in the database itself.
async fn the_reporting_policy_is_kept_per_clinic_as_versions(store: DynStore, url: &str) {
    use jousei_core::safety::{ReportingPolicies, ReportingPolicy};
    use jousei_core::supply::product::LegalRegime;
    let g = site(&store, "ginza").await;
    let u = site(&store, "umeda").await;
    let admin = Actor::user(g.physician_id, "physician");
    assert_eq!(store.reporting_policy(g.clinic).await.unwrap(), None);

    let mut strict = ReportingPolicies::default();
    strict.regimes[0].policy = ReportingPolicy {
        death_days: 3,
        serious_days: 10,
    };
    assert_eq!(strict.regimes[0].regime, LegalRegime::Unapproved);
    let before = seq(&store).await;
    let mut bad = strict.clone();
    bad.regimes[1].policy.death_days = 0;
    let mut missing = strict.clone();
    missing.regimes.pop();
    for p in [&bad, &missing] {
        let r = store.set_reporting_policy(&admin, g.clinic, p).await;
        assert!(
            matches!(r, Err(StoreError::Conflict("reporting_policy_invalid"))),
            "{r:?}"
        );
    }
    let r = store
        .set_reporting_policy(&admin, Uuid::now_v7(), &strict)
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert_eq!(seq(&store).await, before, "nothing written");
    assert_eq!(store.reporting_policy(g.clinic).await.unwrap(), None);

    let v1 = store
        .set_reporting_policy(&admin, g.clinic, &strict)
        .await
        .unwrap();
    assert_eq!(
        (v1.clinic_id, v1.version, &v1.policies, v1.author_id),
        (g.clinic, 1, &strict, Some(g.physician_id))
    );
    let v2 = store
        .set_reporting_policy(&admin, g.clinic, &ReportingPolicies::default())
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(
        store.reporting_policy(g.clinic).await.unwrap(),
        Some(v2.clone())
    );
    assert_eq!(
        store.reporting_policy_versions(g.clinic).await.unwrap(),
        [v2, v1.clone()]
    );
    assert_eq!(store.reporting_policy(u.clinic).await.unwrap(), None);
    assert!(
        store
            .reporting_policy_versions(u.clinic)
            .await
            .unwrap()
            .is_empty()
    );

    let entries = crate::audit_entries_of(&store, "reporting_policy_set").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (
            entries[0].entity_kind.as_str(),
            entries[0].clinic_id,
            entries[0].entity_id.clone()
        ),
        ("clinic", Some(g.clinic), Some(g.clinic.to_string()))
    );
    let changes: serde_json::Value = serde_json::from_str(&entries[0].changes).unwrap();
    assert_eq!(changes["version"], 1);
    assert_eq!(changes["regimes"][0]["regime"], "unapproved");
    assert_eq!(changes["regimes"][0]["death_days"], 3);

    let clinic = if url.starts_with("sqlite") {
        format!("X'{}'", g.clinic.simple())
    } else {
        format!("'{}'", g.clinic)
    };
    for sql in [
        format!("UPDATE reporting_policies SET policy = '{{}}' WHERE clinic_id = {clinic}"),
        format!("DELETE FROM reporting_policies WHERE clinic_id = {clinic}"),
    ] {
        let msg = raw(&store, url, &sql)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .to_lowercase();
        assert!(msg.contains("never"), "{sql}: {msg}");
    }
    assert_eq!(
        store.reporting_policy_versions(g.clinic).await.unwrap()[1],
        v1
    );
    chain_holds(&store).await;
}
both_with_url!(the_reporting_policy_is_kept_per_clinic_as_versions);
