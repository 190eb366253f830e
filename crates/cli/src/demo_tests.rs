//! The demo seeds plans in every phase on any day (an ordinary weekday, a
//! Sunday, a public holiday, the year-end closure), its courses are in step
//! with what the server would book, and seeding twice writes nothing.

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
use jousei_core::plan::EvidenceLevel;
use jousei_core::plan::appointment::AppointmentStatus as S;
use jousei_server::plan_ops::{history, local_date};
use jousei_store::patient::PatientSearch;
use jousei_store::plan::{Appointment, Plan};
use jousei_store::{DynStore, Ts};
use uuid::Uuid;

use crate::demo::seed_at;

struct Seeded {
    store: DynStore,
    clinic: Uuid,
    tz: TimeZone,
    today: Date,
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
    assert_eq!(cal, crate::demo_plans::calendar().unwrap());
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
    s
}

async fn twice_is_a_no_op(s: &Seeded, now: Timestamp) {
    let head = s.store.audit_head().await.unwrap();
    assert!(!seed_at(&s.store, now).await.unwrap());
    assert!(!crate::demo::seed(&s.store).await.unwrap());
    assert_eq!(s.store.audit_head().await.unwrap(), head);
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
