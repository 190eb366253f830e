//! The demo seeds plans in every phase on any day (an ordinary weekday, a
//! Sunday, a public holiday, the year-end closure), its courses are in step
//! with what the server would book, every session done has its dose (the
//! check honest, the stock ledger in step, the lookback finding a blend
//! through each of its lots), the safety data are linked to those doses
//! (three adverse events with their deadline, versions, follow-ups and
//! notification; a recall of a lot given to two patients, in progress),
//! and seeding twice writes nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jousei_core::calendar::{PhaseKind, SessionStatus, propose, reschedule};
use jousei_core::care::{CheckOutcome, IdentityCheck, Override, Severity};
use jousei_core::commerce::cancellation::{self, CancellationFacts, Kind};
use jousei_core::commerce::cooling_off;
use jousei_core::commerce::tax::{self, ReceiptTax, TaxRate};
use jousei_core::plan::Dose;
use jousei_core::plan::EvidenceLevel;
use jousei_core::plan::appointment::AppointmentStatus as S;
use jousei_core::safety::{
    AeCategory, AeOutcome, AeSeverity, Causality, ContactMethod, ContactOutcome, DeadlineKind,
    DueState, RecallProgress, RecallScope, ReportingPolicy, Seriousness, due_state,
    follow_up_dates, report_due,
};
use jousei_core::supply::disclosure::efficacy_words;
use jousei_core::supply::lot::LotState;
use jousei_server::plan_ops::{history, local_date};
use jousei_store::care::{Administration, AdministrationStatus as A};
use jousei_store::commerce::{Contract, Receipt};
use jousei_store::patient::PatientSearch;
use jousei_store::plan::{Appointment, Plan};
use jousei_store::safety::AdverseEvent;
use jousei_store::{DynStore, Ts};
use uuid::Uuid;

use crate::demo::seed_at;
use crate::demo_safety::{RECALL_REASON, RECALLED_LOT};

struct Seeded {
    store: DynStore,
    clinic: Uuid,
    tz: TimeZone,
    today: Date,
    now: Timestamp,
    dir: std::path::PathBuf,
}

impl Drop for Seeded {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn seeded(now: Timestamp) -> Seeded {
    let dir = std::env::temp_dir().join(format!("jousei-demo-test-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("jousei.db").display());
    let store = jousei_store::open(&url, true).await.unwrap();
    assert!(seed_at(&store, now).await.unwrap(), "first seeding");
    let clinic = store.clinic_by_code("ginza").await.unwrap().unwrap();
    let tz = TimeZone::get(&clinic.time_zone).unwrap();
    Seeded {
        store,
        clinic: clinic.id,
        today: now.to_zoned(tz.clone()).date(),
        now,
        tz,
        dir,
    }
}

impl Seeded {
    /// The plan of the demo patient with this phone number (one each).
    async fn plan(&self, phone: &str) -> (Plan, Vec<Appointment>) {
        let found = self
            .store
            .search_patients(
                self.clinic,
                &PatientSearch {
                    phone: Some(phone.replace('-', "")),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{phone}");
        let plans = self
            .store
            .plans_of_patient(self.clinic, found[0].id)
            .await
            .unwrap();
        assert_eq!(plans.len(), 1, "{phone}");
        let plan = plans.into_iter().next().unwrap();
        let appointments = self
            .store
            .appointments_of_plan(self.clinic, plan.id)
            .await
            .unwrap();
        (plan, appointments)
    }

    /// The instant `days` days before the seeding's now.
    fn now_minus_days(&self, days: i64) -> Timestamp {
        self.now - jiff::SignedDuration::from_hours(24 * days)
    }

    fn date(&self, a: &Appointment) -> Date {
        local_date(a.starts_at, &self.tz)
    }

    /// (ordinal, status) of the appointments before today.
    fn past(&self, a: &[Appointment]) -> Vec<(u32, S)> {
        a.iter()
            .filter(|a| self.date(a) < self.today)
            .map(|a| (a.session_ordinal.unwrap(), a.status))
            .collect()
    }

    /// Every appointment from today on is booked (or checked in today).
    fn future_booked(&self, a: &[Appointment]) -> usize {
        let future: Vec<_> = a
            .iter()
            .filter(|a| self.date(a) >= self.today && a.status != S::Cancelled)
            .collect();
        for a in &future {
            assert!(
                a.status == S::Booked || (a.status == S::CheckedIn && self.date(a) == self.today),
                "{a:?}"
            );
        }
        future.len()
    }

    /// The course is as the server would leave it: nothing to book, nothing
    /// to move; returns whether every interval is within the protocol.
    async fn in_step(&self, plan: &Plan, appointments: &[Appointment]) -> bool {
        let cal = self.store.clinic_calendar(self.clinic).await.unwrap();
        let proposal = propose(&plan.facts.protocol, plan.facts.start_date, &cal).unwrap();
        let revised = reschedule(
            &proposal,
            &history(appointments, &self.tz),
            &cal,
            self.today,
        )
        .unwrap();
        for s in &revised.sessions {
            if s.status != SessionStatus::Planned {
                continue;
            }
            let standing: Vec<_> = appointments
                .iter()
                .filter(|a| a.session_ordinal == Some(s.ordinal) && a.status.counts_for_course())
                .collect();
            assert_eq!(standing.len(), 1, "session {} of {plan:?}", s.ordinal);
            assert_eq!(self.date(standing[0]), s.date, "session {}", s.ordinal);
        }
        revised.sessions.iter().all(|s| s.findings.is_empty())
    }
}

/// Seeds as of `now` and checks every phase; with `strict`, also that
/// every course keeps within its protocol's intervals (true on the fixed
/// days below; on an arbitrary day the calendar may not allow it).
async fn every_phase(now: Timestamp, strict: bool) -> Seeded {
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

/// The phone numbers of the patients in treatment (Kimura, Matsumoto,
/// Inoue, Shimizu).
const TREATED: [&str; 4] = [
    "090-2468-1357",
    "080-1357-2468",
    "070-8642-9753",
    "090-9753-8642",
];

impl Seeded {
    /// Every administration of the clinic's treated patients, oldest first.
    async fn administrations(&self) -> Vec<Administration> {
        let mut all = Vec::new();
        for phone in TREATED {
            let (plan, _) = self.plan(phone).await;
            all.extend(
                self.store
                    .administrations_of_patient(self.clinic, plan.patient_id)
                    .await
                    .unwrap(),
            );
        }
        all.sort_by_key(|a| (a.details.started_at, a.recorded_at));
        all
    }
}

/// Every session done has exactly one dose standing, given that day under
/// the plan with the plan's volume split by its shares, checked by a second
/// person, from released lots in date; the check is stored as found and
/// each finding that needs it has a physician's override with a reason; the
/// blood-donation notice goes with each patient's first dose; a reaction,
/// a correction and a voided dose are there; the ledger took each vial out
/// and the void put its vial back; the lookback finds the blend from
/// either lot.
async fn doses(s: &Seeded) {
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

/// The three adverse events, each linked to a dose of its patient given
/// before the onset, with their deadlines, versions, follow-ups and
/// notifications; the recall of the earlier DP-CM-10 lot in progress.
async fn safety(s: &Seeded) {
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
    assert_eq!(
        report_due(&serious.facts, aware_on, ReportingPolicy::default()),
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

async fn twice_is_a_no_op(s: &Seeded, now: Timestamp) {
    let head = s.store.audit_head().await.unwrap();
    let doses = s.administrations().await;
    let stock = |rows: Vec<jousei_store::supply::StockRow>| {
        rows.into_iter()
            .map(|r| (r.lot.id, r.location_id, r.vials))
            .collect::<Vec<_>>()
    };
    let before = stock(s.store.stock(s.clinic).await.unwrap());
    let events = s.store.adverse_events(s.clinic).await.unwrap();
    let recalls = s.store.recalls(s.clinic).await.unwrap();
    let contracts = s.store.contracts(s.clinic).await.unwrap();
    let receipts = s.receipts().await;
    let prices = s.store.price_items(s.clinic).await.unwrap();
    assert!(!seed_at(&s.store, now).await.unwrap());
    assert!(!crate::demo::seed(&s.store).await.unwrap());
    assert_eq!(s.store.audit_head().await.unwrap(), head);
    assert_eq!(s.administrations().await, doses);
    assert_eq!(stock(s.store.stock(s.clinic).await.unwrap()), before);
    assert_eq!(s.store.adverse_events(s.clinic).await.unwrap(), events);
    assert_eq!(s.store.recalls(s.clinic).await.unwrap(), recalls);
    assert_eq!(s.store.contracts(s.clinic).await.unwrap(), contracts);
    assert_eq!(s.receipts().await, receipts);
    assert_eq!(s.store.price_items(s.clinic).await.unwrap(), prices);
}

impl Seeded {
    /// Every receipt of the clinic's contracts, by number.
    async fn receipts(&self) -> Vec<Receipt> {
        let mut out = Vec::new();
        for c in self.store.contracts(self.clinic).await.unwrap() {
            out.extend(
                self.store
                    .receipts_of_contract(self.clinic, c.id)
                    .await
                    .unwrap(),
            );
        }
        out.sort_by_key(|r| r.number);
        out
    }

    /// The one contract of the demo patient `patient`.
    async fn contract_of(&self, patient: Uuid) -> Contract {
        let list = self
            .store
            .contracts_of_patient(self.clinic, patient)
            .await
            .unwrap();
        assert_eq!(list.len(), 1, "{patient}");
        list.into_iter().next().unwrap()
    }
}

/// The clinic's business profile, the price list with its disclosures, and
/// the four contracts: coverage, sessions used from the doses, money, the
/// receipts numbered without gaps, the cancellation's quote and refund.
async fn commerce(s: &Seeded) {
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
    assert_eq!(contracts.len(), 4);
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
    let plan = s.plan("090-2468-1357").await.0;
    let kimura = s.contract_of(plan.patient_id).await;
    assert!(kimura.covered);
    assert_eq!(kimura.status, "cancelled");
    assert_eq!(kimura.cancelled_on, Some(s.today));
    let received = handed(&kimura);
    let used_then = used(plan.id, kimura.starts_on).await;
    assert_eq!(used_then, 1);
    let q = cancellation::quote(&CancellationFacts {
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
    assert_eq!(
        kimura.cancellation.as_ref().unwrap(),
        &serde_json::to_value(&q).unwrap()
    );
    assert_eq!(kimura.paid, 79_200);
    // The refund is stamped by the store with the real clock, the payment
    // with the story's day: compare the amounts, not their order.
    let payments = s.store.payments(s.clinic, kimura.id).await.unwrap();
    let mut amounts: Vec<_> = payments.iter().map(|p| p.amount).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [-140_800, 220_000]);

    // Receipts: 1..n without gaps, one reversal slip, and each contract's
    // receipts add up to what it was paid.
    let receipts = s.receipts().await;
    assert_eq!(
        receipts.iter().map(|r| r.number).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<i64>>()
    );
    let reversals: Vec<_> = receipts.iter().filter(|r| r.reverses.is_some()).collect();
    assert_eq!(reversals.len(), 1);
    let original = receipts
        .iter()
        .find(|r| Some(r.id) == reversals[0].reverses)
        .unwrap();
    assert_eq!(original.contract_id, Some(kimura.id));
    assert_eq!(reversals[0].total, -original.total);
    for c in [&matsumoto, &inoue, &yamada, &kimura] {
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

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn now_every_phase_and_seeding_twice_changes_nothing() {
    let now = Timestamp::now();
    let s = every_phase(now, false).await;
    twice_is_a_no_op(&s, now).await;
}

#[tokio::test]
async fn an_ordinary_wednesday() {
    every_phase(at("2027-06-09T01:30:00Z"), true).await;
}

#[tokio::test]
async fn a_sunday() {
    every_phase(at("2027-03-14T02:00:00Z"), true).await;
}

#[tokio::test]
async fn a_public_holiday_in_golden_week() {
    every_phase(at("2027-05-03T02:00:00Z"), true).await;
}

#[tokio::test]
async fn the_year_end_closure() {
    every_phase(at("2026-12-30T02:00:00Z"), true).await;
}
