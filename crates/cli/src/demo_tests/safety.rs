//! The demo adverse events and recall.

use super::*;

/// The three adverse events, each linked to a dose of its patient given
/// before the onset, with their deadlines, versions, follow-ups and
/// notifications; the recall of the earlier DP-CM-10 lot in progress.
pub(super) async fn safety(s: &Seeded) {
    let store = &s.store;
    let users = store.users_in_clinic(s.clinic).await.unwrap();
    let user = |login: &str| users.iter().find(|(u, _)| u.login == login).unwrap().0.id;
    let events = store.adverse_events(s.clinic).await.unwrap();
    assert_eq!(events.len(), 3);
    let (blend, _) = s.plan("080-1357-2468").await;
    let (shimizu, _) = s.plan("090-9753-8642").await;
    let (inoue, _) = s.plan("070-8642-9753").await;
    let of = |patient: Uuid| {
        let mine: Vec<_> = events.iter().filter(|e| e.patient_id == patient).collect();
        assert_eq!(mine.len(), 1);
        mine[0].clone()
    };
    let follow_ups_from_onset = |e: &AdverseEvent| {
        let dates: Vec<Date> = e.follow_ups.iter().map(|f| f.due_on).collect();
        assert_eq!(
            dates,
            follow_up_dates(local_date(Ts::from(e.facts.onset_at), &s.tz))
        );
    };
    for e in &events {
        assert!(!e.facts.administration_ids.is_empty());
        for id in &e.facts.administration_ids {
            let d = store.administration(s.clinic, *id).await.unwrap().unwrap();
            assert_eq!(d.patient_id, e.patient_id);
            assert_eq!(d.status, A::Recorded);
            assert!(d.details.started_at.0 < e.facts.onset_at);
        }
        assert!(e.facts.onset_at <= e.facts.aware_at && e.facts.aware_at <= s.now);
        follow_ups_from_onset(e);
    }

    // The bruise after the blend: the dose with the reaction noted at the
    // chair; mild, recovered, both follow-ups done with notes.
    let bruise = of(blend.patient_id);
    assert_eq!(bruise.facts.category, AeCategory::Bruising);
    assert_eq!(bruise.facts.severity, AeSeverity::Mild);
    assert_eq!(bruise.facts.outcome, AeOutcome::Recovered);
    assert!(bruise.facts.description.contains("穿刺部の内出血"));
    assert!(!bruise.facts.is_serious() && bruise.due_date.is_none());
    let dose = store
        .administration(s.clinic, bruise.facts.administration_ids[0])
        .await
        .unwrap()
        .unwrap();
    assert!(
        dose.details
            .reactions
            .as_deref()
            .unwrap()
            .contains("内出血")
    );
    assert_eq!(bruise.follow_ups.len(), 2);
    for f in &bruise.follow_ups {
        assert!(f.done_at.is_some() && !f.note.as_deref().unwrap().is_empty());
        assert_eq!(f.done_by, Some(user("ns.suzuki")));
    }

    // The fever: moderate, not serious; reported without causality, the
    // physician's `possible` as version 2 with the reason; the follow-ups
    // whose day has come done.
    let fever = of(shimizu.patient_id);
    assert_eq!(fever.facts.category, AeCategory::Fever);
    assert_eq!(fever.facts.severity, AeSeverity::Moderate);
    assert!(fever.facts.description.contains("38.2℃"));
    assert!(!fever.facts.is_serious() && fever.due_date.is_none());
    assert_eq!(fever.version, 2);
    assert_eq!(fever.facts.causality, Some(Causality::Possible));
    let versions = store
        .adverse_event_versions(s.clinic, fever.id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].author_id, Some(user("dr.tanaka")));
    assert!(versions[0].reason.as_deref().unwrap().contains("possible"));
    assert_eq!(versions[1].facts.causality, None);
    assert_eq!(versions[1].author_id, Some(user("ns.suzuki")));
    for f in &fever.follow_ups {
        assert_eq!(f.done_at.is_some(), f.due_on < s.today, "{f:?}");
        assert_eq!(f.note.is_some(), f.done_at.is_some());
    }
    assert!(fever.follow_ups[0].done_at.is_some(), "day 7 is past");

    // The serious one: hospitalised, aware a few days ago, due 15 days
    // after the local day of awareness and not yet reported; the supplier
    // told; the follow-ups open.
    let serious = of(inoue.patient_id);
    assert_eq!(serious.facts.seriousness, [Seriousness::Hospitalisation]);
    assert_eq!(serious.facts.causality, None);
    let aware_on = local_date(Ts::from(serious.facts.aware_at), &s.tz);
    assert!(
        (1..=6).contains(&(s.today - aware_on).get_days()),
        "{aware_on}"
    );
    let due = aware_on.checked_add(jiff::Span::new().days(15)).unwrap();
    assert_eq!(serious.due_date, Some(due));
    // The clinic's reporting policy, as safety_ops applies it: the demo
    // clinic has set none, so today's 7/15 days.
    assert_eq!(store.reporting_policy(s.clinic).await.unwrap(), None);
    let policy = jousei_service::safety::deadline_policy(store, s.clinic, &serious.facts)
        .await
        .unwrap();
    assert_eq!(policy, ReportingPolicy::default());
    assert_eq!(
        report_due(&serious.facts, aware_on, policy),
        Some((due, DeadlineKind::Serious))
    );
    let reported = serious
        .notifications
        .iter()
        .any(|n| n.recipient == "authority");
    assert!(!reported);
    assert!(matches!(
        due_state(serious.due_date, reported, s.today),
        DueState::Due { days_left, .. } if (9..15).contains(&days_left)
    ));
    let recipients: Vec<_> = serious
        .notifications
        .iter()
        .map(|n| n.recipient.as_str())
        .collect();
    assert_eq!(recipients, ["supplier"]);
    assert!(serious.notifications[0].sent_at.0 >= serious.facts.aware_at);
    assert!(serious.follow_ups.iter().all(|f| f.done_at.is_none()));
    assert!(serious.follow_ups.iter().all(|f| f.due_on >= s.today));

    // The recall: one lot, recalled with the reason, its stock unusable;
    // the blend patient and Shimizu affected; one reached, one tried.
    let recalls = store.recalls(s.clinic).await.unwrap();
    assert_eq!(recalls.len(), 1);
    let r = &recalls[0];
    assert!(r.closed_at.is_none() && r.report.is_none());
    assert_eq!(r.scope, RecallScope::Lot);
    assert_eq!(r.reason, RECALL_REASON);
    assert!(r.reason.contains("無菌試験で逸脱"));
    let lot = store.lot(s.clinic, r.lot_ids[0]).await.unwrap().unwrap();
    assert_eq!(r.lot_ids, [lot.id]);
    assert_eq!(r.subject, lot.id.to_string());
    assert_eq!(lot.lot_number, RECALLED_LOT);
    assert_eq!(lot.state, LotState::Recalled);
    let last = store
        .lot_events(s.clinic, lot.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.action.as_str(), last.to_state.as_str()),
        ("recall", "recalled")
    );
    assert_eq!(last.reason.as_deref(), Some(RECALL_REASON));
    let stock = store.stock(s.clinic).await.unwrap();
    assert!(
        stock
            .iter()
            .filter(|row| row.lot.id == lot.id)
            .all(|row| row.lot.state == LotState::Recalled)
    );
    let mut affected: Vec<Uuid> = store
        .lookback_lots(s.clinic, &r.lot_ids)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.status == A::Recorded)
        .map(|row| row.patient_id)
        .collect();
    affected.sort();
    affected.dedup();
    assert!(affected.contains(&blend.patient_id));
    assert!(affected.contains(&shimizu.patient_id));
    let attempts: Vec<_> = r
        .contacts
        .iter()
        .map(|c| (c.patient_id, c.outcome))
        .collect();
    assert_eq!(
        attempts,
        [
            (blend.patient_id, ContactOutcome::Reached),
            (shimizu.patient_id, ContactOutcome::NoAnswer)
        ]
    );
    assert!(r.contacts.iter().all(|c| c.method == ContactMethod::Phone));
    let progress = RecallProgress::of(&affected, &attempts);
    assert_eq!(
        progress,
        RecallProgress {
            patients: affected.len(),
            reached: 1,
            attempted: 1,
            pending: affected.len() - 2
        }
    );
    assert!(!progress.complete());
}
