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
use jousei_service::plans::{history, local_date};
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

mod commerce;
mod doses;
mod plans;
mod safety;

use commerce::commerce;
use doses::doses;
use plans::every_phase;
use safety::safety;

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
