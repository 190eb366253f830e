//! The demo doses: one standing dose per session done, volumes and shares, the stock ledger, lookback.

use super::*;

/// Every session done has exactly one dose standing, given that day under
/// the plan with the plan's volume split by its shares, checked by a second
/// person, from released lots in date; the check is stored as found and
/// each finding that needs it has a physician's override with a reason; the
/// blood-donation notice goes with each patient's first dose; a reaction,
/// a correction and a voided dose are there; the ledger took each vial out
/// and the void put its vial back; the lookback finds the blend from
/// either lot.
pub(super) async fn doses(s: &Seeded) {
    let store = &s.store;
    let all = s.administrations().await;
    let users = store.users_in_clinic(s.clinic).await.unwrap();
    let physician = users
        .iter()
        .find(|(u, _)| u.login == "dr.tanaka")
        .unwrap()
        .0
        .id;
    let from = Ts::from(s.now_minus_days(800));
    let to = Ts::from(s.now_minus_days(-2));
    let done: Vec<Appointment> = store
        .appointments_between(s.clinic, from, to)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.status == S::Done)
        .collect();
    assert_eq!(done.len(), 1 + 4 + 2 + 10);
    let identity = serde_json::to_value(IdentityCheck::NameAndBirthDate {
        name_matched: true,
        birth_date_matched: true,
    })
    .unwrap();
    for a in &done {
        let given: Vec<_> = all
            .iter()
            .filter(|x| x.appointment_id == Some(a.id) && x.status == A::Recorded)
            .collect();
        assert_eq!(given.len(), 1, "session {a:?}");
        let d = given[0];
        assert_eq!(d.patient_id, a.patient_id);
        assert_eq!(d.plan_id, a.plan_id);
        let day = local_date(d.details.started_at, &s.tz);
        assert_eq!(day, s.date(a));
        assert!(day < s.today);
        let plan = store
            .plan(s.clinic, a.plan_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.route, plan.facts.route);
        // The plan's volume (of the version in force: Kimura's was lowered
        // after this first dose), split by the shares.
        let version = store
            .plan_versions(s.clinic, plan.id)
            .await
            .unwrap()
            .into_iter()
            .find(|v| Some(v.version) == d.plan_version)
            .unwrap();
        let Dose::Ml { microlitres } = version.facts.dose else {
            panic!("{:?}", version.facts.dose)
        };
        for c in &version.facts.components {
            let given: i64 = d
                .vials
                .iter()
                .filter(|v| v.product_id == c.product_id)
                .map(|v| v.volume.0)
                .sum();
            assert_eq!(given, microlitres.0 * i64::from(c.share_percent) / 100);
        }
        assert!(d.vials.len() >= version.facts.components.len());
        assert_eq!(d.details.sites, version.facts.sites);
        let verifier = d.details.verified_by.unwrap();
        assert_ne!(verifier, d.administered_by);
        assert_eq!(d.identity, identity);
        assert!(d.human_derived);
        assert!(d.details.observations.is_some());
    }
    // Nothing given without a session, but the one voided dose.
    for d in &all {
        if d.status == A::Recorded {
            assert!(done.iter().any(|a| Some(a.id) == d.appointment_id), "{d:?}");
        }
    }

    // The check as found, and an override with a reason for each finding
    // that needs one; never a block.
    for d in &all {
        let check: CheckOutcome = serde_json::from_value(d.check.clone()).unwrap();
        let overrides: Vec<Override> = serde_json::from_value(d.overrides.clone()).unwrap();
        assert!(!check.is_blocked(), "{check:?}");
        let needed: Vec<_> = check.of(Severity::Override).collect();
        assert_eq!(needed.len(), overrides.len(), "{check:?}");
        for (f, o) in needed.iter().zip(&overrides) {
            assert_eq!((f.code, &f.subject), (o.code, &o.subject));
            assert_eq!(o.physician_id, physician);
            assert!(!o.reason.trim().is_empty());
        }
        assert!(check.of(Severity::Override).all(|f| {
            check
                .may_proceed(&overrides)
                .is_ok_and(|ok| ok.iter().any(|o| o.code == f.code))
        }));
    }

    // The blood-donation notice with each patient's first dose only, and
    // the check's reminder of it then.
    for phone in TREATED {
        let (plan, _) = s.plan(phone).await;
        let mine: Vec<_> = all
            .iter()
            .filter(|d| d.patient_id == plan.patient_id && d.status == A::Recorded)
            .collect();
        assert!(!mine.is_empty(), "{phone}");
        for (i, d) in mine.iter().enumerate() {
            assert_eq!(
                d.blood_donation_notice.is_some(),
                i == 0,
                "{phone} dose {i}"
            );
            let check: CheckOutcome = serde_json::from_value(d.check.clone()).unwrap();
            assert_eq!(
                check
                    .findings
                    .iter()
                    .any(|f| f.code.as_str() == "blood_donation_notice"),
                i == 0
            );
        }
        assert!(
            mine[0]
                .blood_donation_notice
                .as_deref()
                .unwrap()
                .contains("献血")
        );
    }

    // Lots: released (the one the demo's recall covers, recalled since,
    // was released before it), in date at the dose; the expired and
    // recalled-before-use demo lots never used.
    let lots = store.lots(s.clinic).await.unwrap();
    for d in &all {
        for v in &d.vials {
            let lot = lots.iter().find(|l| l.id == v.lot_id).unwrap();
            if lot.lot_number == RECALLED_LOT {
                assert_eq!(lot.state, LotState::Recalled);
                let events = store.lot_events(s.clinic, lot.id).await.unwrap();
                let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
                let release = actions.iter().position(|a| *a == "release").unwrap();
                let recall = actions.iter().position(|a| *a == "recall").unwrap();
                assert!(release < recall, "{actions:?}");
            } else {
                assert_eq!(lot.state, LotState::Released, "{}", lot.lot_number);
            }
            assert!(lot.expiry >= local_date(d.details.started_at, &s.tz));
            assert!(!["AD-2605", "UC-2607", "DP-2608"].contains(&lot.lot_number.as_str()));
        }
    }

    // A reaction at the chair, a correction, a dose voided.
    assert!(all.iter().any(|d| {
        d.details
            .reactions
            .as_deref()
            .is_some_and(|r| r.contains("内出血"))
    }));
    let corrected: Vec<_> = all.iter().filter(|d| d.version == 2).collect();
    assert_eq!(corrected.len(), 1);
    let versions = store
        .administration_versions(s.clinic, corrected[0].id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0].reason.as_deref().unwrap().contains("終了時刻"));
    assert!(versions[1].details.ended_at.is_none());
    assert!(versions[0].details.ended_at.is_some());
    let voided: Vec<_> = all.iter().filter(|d| d.status == A::Voided).collect();
    assert_eq!(voided.len(), 1);
    let v = voided[0];
    assert!(v.void_reason.as_deref().unwrap().contains("取り違え"));
    assert!(v.appointment_id.is_none());
    let (shimizu, _) = s.plan("090-9753-8642").await;
    assert_eq!(v.patient_id, shimizu.patient_id);
    // The dose it copied, on Kimura's chart at the same moment, stands.
    let (kimura, _) = s.plan("090-2468-1357").await;
    assert!(all.iter().any(|d| d.patient_id == kimura.patient_id
        && d.status == A::Recorded
        && d.details.started_at == v.details.started_at
        && d.vials[0].lot_id == v.vials[0].lot_id));

    // The ledger: one `use` per vial recorded (voided included), one
    // `adjust` back per vial voided, and the freezer's stock down by the
    // vials of the doses that stand.
    let f1 = store
        .locations(s.clinic)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.code == "F1")
        .unwrap();
    let stock = store.stock(s.clinic).await.unwrap();
    let mut used: Vec<_> = all
        .iter()
        .flat_map(|d| &d.vials)
        .map(|v| v.lot_id)
        .collect();
    used.sort();
    used.dedup();
    for lot_id in used {
        let vials = |status: Option<A>| -> i64 {
            all.iter()
                .filter(|d| status.is_none_or(|st| d.status == st))
                .flat_map(|d| &d.vials)
                .filter(|v| v.lot_id == lot_id)
                .count() as i64
        };
        let moves = store
            .movements(s.clinic, Some(lot_id), 10_000)
            .await
            .unwrap();
        let at_f1: Vec<_> = moves.iter().filter(|m| m.location_code == "F1").collect();
        let uses: i64 = at_f1
            .iter()
            .filter(|m| m.kind == "use")
            .map(|m| m.delta)
            .sum();
        let back: i64 = at_f1
            .iter()
            .filter(|m| {
                m.kind == "adjust"
                    && m.reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with("administration "))
            })
            .map(|m| m.delta)
            .sum();
        assert_eq!(uses, -vials(None));
        assert_eq!(back, vials(Some(A::Voided)));
        let before: i64 = at_f1.iter().map(|m| m.delta).sum::<i64>() - uses - back;
        let now: i64 = stock
            .iter()
            .filter(|r| r.lot.id == lot_id && r.location_id == f1.id)
            .map(|r| r.vials)
            .sum();
        assert_eq!(now, before - vials(Some(A::Recorded)));
        assert!(now >= 0);
    }
    // DP-2609 concretely: 12 received, 2 moved to the fridge, 1 broken.
    let dp = lots.iter().find(|l| l.lot_number == "DP-2609").unwrap();
    let given_dp = all
        .iter()
        .filter(|d| d.status == A::Recorded)
        .flat_map(|d| &d.vials)
        .filter(|v| v.lot_id == dp.id)
        .count() as i64;
    assert!(given_dp >= 1, "Kimura's first dose is recent");
    assert_eq!(
        stock
            .iter()
            .filter(|r| r.lot.id == dp.id && r.location_id == f1.id)
            .map(|r| r.vials)
            .sum::<i64>(),
        12 - 2 - 1 - given_dp
    );

    // The blend: 7 mL of DP-CM-10 and 3 mL of UC-CM-3 each time; the
    // lookback from either lot finds him, the one from him finds both.
    let (blend, _) = s.plan("080-1357-2468").await;
    let his: Vec<_> = all
        .iter()
        .filter(|d| d.patient_id == blend.patient_id)
        .collect();
    assert_eq!(his.len(), 4);
    for d in &his {
        let mut given: Vec<_> = d
            .vials
            .iter()
            .map(|v| (v.product_code.as_str(), v.volume.0))
            .collect();
        given.sort();
        assert_eq!(given, [("DP-CM-10", 7000), ("UC-CM-3", 3000)]);
        for v in &d.vials {
            let rows = store.lookback_lots(s.clinic, &[v.lot_id]).await.unwrap();
            assert!(
                rows.iter().any(|r| r.administration_id == d.id
                    && r.patient_id == blend.patient_id
                    && r.lot_id == v.lot_id
                    && r.volume == v.volume),
                "{} finds the blend",
                v.lot_number
            );
        }
    }
    let rows = store
        .lookback_patient(s.clinic, blend.patient_id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 8);
    let mut products: Vec<_> = rows.iter().map(|r| r.product_code.as_str()).collect();
    products.dedup();
    assert!(products.contains(&"UC-CM-3") && products.contains(&"DP-CM-10"));
}
