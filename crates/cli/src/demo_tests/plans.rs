//! The demo plans: every phase, the catalogue, the courses within their intervals.

use super::*;

/// Seeds as of `now` and checks every phase; with `strict`, also that
/// every course keeps within its protocol's intervals (true on the fixed
/// days below; on an arbitrary day the calendar may not allow it).
pub(super) async fn every_phase(now: Timestamp, strict: bool) -> Seeded {
    let s = seeded(now).await;
    let cal = s.store.clinic_calendar(s.clinic).await.unwrap();
    assert_eq!(cal, crate::demo_catalogue::calendar().unwrap());
    let open_today = cal.is_open(s.today).unwrap();

    // The catalogue: every reason has a source and a level; the clinic's
    // claims and the one cell-culture finding appear (the seed articles cite
    // no clinical study of conditioned medium that jousei could point to, so
    // the demo claims none); and the templates.
    let indications = s.store.indications(s.clinic).await.unwrap();
    assert_eq!(indications.len(), 8);
    let mut levels = Vec::new();
    for i in &indications {
        assert!(!i.facts.rationales.is_empty(), "{}", i.facts.code);
        assert!(!i.facts.routes.is_empty(), "{}", i.facts.code);
        for r in &i.facts.rationales {
            assert!(!r.source.is_empty());
            levels.push(r.evidence);
        }
    }
    for l in [EvidenceLevel::ClinicClaim, EvidenceLevel::Preclinical] {
        assert!(levels.contains(&l), "{l:?}");
    }
    assert!(!levels.contains(&EvidenceLevel::ClinicalStudy));
    assert_eq!(s.store.protocols(s.clinic).await.unwrap().len(), 3);

    // A draft, never booked.
    let (plan, a) = s.plan("090-6789-0123").await;
    assert!(plan.approval.is_none());
    assert!(a.is_empty());

    // Approved, not booked.
    let (plan, a) = s.plan("090-1234-5678").await;
    assert_eq!(plan.approval.as_ref().map(|x| x.version), Some(1));
    assert!(a.is_empty());
    assert!(plan.facts.start_date > s.today);

    // Treated today for the first time: checked in (when the clinic opens
    // today; otherwise booked on the next open day).
    let (plan, a) = s.plan("080-2345-6789").await;
    assert!(plan.approval.is_some());
    assert_eq!(a.len(), 1);
    if open_today {
        assert_eq!((s.date(&a[0]), a[0].status), (s.today, S::CheckedIn));
    } else {
        assert_eq!(a[0].status, S::Booked);
    }

    // Induction, revised after approval: version 2 with its reason,
    // approved again; the first session done, the rest booked.
    let (plan, a) = s.plan("090-2468-1357").await;
    assert_eq!(plan.version, 2);
    assert_eq!(plan.approval.as_ref().map(|x| x.version), Some(2));
    let versions = s.store.plan_versions(s.clinic, plan.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0].reason.as_deref().unwrap().contains("減量"));
    assert!(versions[1].approval.is_some(), "version 1 stays approved");
    assert_eq!(s.past(&a), [(1, S::Done)]);
    assert!(s.future_booked(&a) > 3);
    if open_today {
        assert!(
            a.iter()
                .any(|x| s.date(x) == s.today && x.session_ordinal == Some(2))
        );
    }
    let induction_in_step = s.in_step(&plan, &a).await;

    // Maintenance of a 70/30 blend: induction and the first maintenance
    // session done.
    let (plan, a) = s.plan("080-1357-2468").await;
    let shares: Vec<u8> = plan
        .facts
        .components
        .iter()
        .map(|c| c.share_percent)
        .collect();
    assert_eq!(shares, [70, 30]);
    assert_eq!(
        s.past(&a),
        [(1, S::Done), (2, S::Done), (3, S::Done), (4, S::Done)]
    );
    assert_eq!(plan.facts.protocol.phases[1].kind, PhaseKind::Maintenance);
    assert!(s.future_booked(&a) > 5);
    let blend_in_step = s.in_step(&plan, &a).await;
    // Moved at the patient's request: cancelled and booked on his day
    // (when a day near it keeps the course within its intervals).
    let moved = a.iter().any(|x| x.status == S::Cancelled);
    if moved {
        assert!(
            a.iter().any(|x| x.session_ordinal == Some(5)
                && !x.follows_course
                && x.status == S::Booked)
        );
    }

    // A no-show: the third session missed, booked again from today on,
    // the others moved after it.
    let (plan, a) = s.plan("070-8642-9753").await;
    assert_eq!(s.past(&a), [(1, S::Done), (2, S::Done), (3, S::NoShow)]);
    assert!(
        a.iter()
            .any(|x| x.session_ordinal == Some(3) && x.status == S::Booked && s.date(x) >= s.today)
    );
    assert_eq!(s.future_booked(&a), 3);
    let knee_in_step = s.in_step(&plan, &a).await;

    // Long-term care: ten sessions done, the last in the long-term phase.
    let (plan, a) = s.plan("090-9753-8642").await;
    let past = s.past(&a);
    assert_eq!(past.len(), 10);
    assert!(past.iter().all(|(_, st)| *st == S::Done));
    assert!(s.future_booked(&a) > 0);
    assert_eq!(plan.facts.protocol.phases[2].kind, PhaseKind::LongTerm);
    let long_in_step = s.in_step(&plan, &a).await;

    // Today's list has the checked-in patient and those still to come.
    if open_today {
        let tz = &s.tz;
        let from = Ts::from(s.today.to_zoned(tz.clone()).unwrap().timestamp());
        let to = Ts::from(
            s.today
                .tomorrow()
                .unwrap()
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp(),
        );
        let day = s
            .store
            .appointments_between(s.clinic, from, to)
            .await
            .unwrap();
        assert!(day.len() >= 2, "{day:?}");
        assert!(day.iter().any(|x| x.status == S::CheckedIn));
        assert!(day.iter().any(|x| x.status == S::Booked));
    }
    if strict {
        assert!(moved);
        assert!(induction_in_step && blend_in_step && knee_in_step && long_in_step);
    }
    doses(&s).await;
    safety(&s).await;
    commerce(&s).await;
    s
}
