//! Demo treatment plans of the Ginza clinic, in every phase: the clinic's
//! calendar, its catalogue of indications (each reason with its source and
//! evidence level, none a promise), protocol templates, and plans that are
//! a draft, approved but not booked, treated today for the first time, in
//! induction (revised after approval), in maintenance (a 70/30 blend, one
//! session moved at the patient's request), after a no-show with the rest
//! of the course rescheduled, and in long-term care.
//!
//! Every plan goes through `parse_plan` as through the API, and courses are
//! proposed, revised and booked the way `plan_ops` does it (`book_course`,
//! `reschedule_course`). Dates are relative to the clinic's today, so the
//! demo always looks current. The store does not refuse appointments in the
//! past: a past session is booked from the course on its proposed day and
//! then checked in, given its dose (recorded by `demo_doses` as at the
//! chair) and done, or marked a no-show; its events and audit entries carry
//! the time the demo was seeded.

use std::collections::HashMap;

use anyhow::{Context, bail};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use jousei_core::calendar::{
    ClinicCalendar, CourseProposal, HistoryEntry, Protocol, RevisedCourse, SessionEvent,
    SessionStatus, propose, reschedule,
};
use jousei_core::plan::appointment::AppointmentStatus;
use jousei_core::plan::{
    ProductInfo, ProtocolRef, RawComponent, RawIndication, RawPlan, RawRationale, parse_indication,
    parse_plan,
};
use jousei_service::plans::{history, local_date};
use jousei_store::plan::{Appointment, Booking, Move, NewAppointment, Plan, ProtocolTemplate};
use jousei_store::{Actor, DynStore, Ts};
use uuid::Uuid;

use crate::demo_catalogue::{
    INDICATIONS, calendar, knee_course, single_session, skin_course, standard,
};
use crate::demo_doses::{Chairside, Note};
use crate::demo_patients::{Demo, DemoPatients};
use crate::demo_patients_treated as treated;

/// Where and when a patient's sessions take place.
#[derive(Clone, Copy)]
struct Chair {
    time: Time,
    minutes: i64,
    room: &'static str,
    staff: Uuid,
}

/// The session an appointment is for, its day, the day the course proposed
/// for it, and whether it follows the course (booked from it) or is on a
/// day a person chose.
#[derive(Clone, Copy)]
struct At {
    ordinal: u32,
    date: Date,
    proposed: Option<Date>,
    follows_course: bool,
}

/// A plan as the physician types it (the patient and protocol apart).
struct PlanSpec {
    indication: &'static str,
    route: &'static str,
    components: &'static [(&'static str, &'static str)],
    dose: &'static str,
    sites: Option<(&'static str, &'static [&'static str])>,
    topical_anaesthesia: bool,
    notes: Option<&'static str>,
}

struct Seeder<'a> {
    store: &'a DynStore,
    clinic: Uuid,
    tz: TimeZone,
    today: Date,
    now: Timestamp,
    cal: ClinicCalendar,
    physician: Actor,
    nurse: Actor,
    coordinator: Actor,
    physician_id: Uuid,
    nurse_id: Uuid,
    products: Vec<ProductInfo>,
    doses: Chairside<'a>,
}

fn add_days(d: Date, n: i64) -> anyhow::Result<Date> {
    Ok(d.checked_add(Span::new().try_days(n)?)?)
}

/// The date of session `ordinal` (1-based) of a proposal.
fn session_date(p: &CourseProposal, ordinal: u32) -> Option<Date> {
    p.sessions
        .iter()
        .find(|s| s.ordinal == ordinal)
        .map(|s| s.date)
}

/// Whether `date` is within `days` days from `from` (both included).
fn within(date: Option<Date>, from: Date, days: i64) -> bool {
    date.is_some_and(|d| d >= from && add_days(from, days).is_ok_and(|to| d <= to))
}

/// Whether every session of a revised course keeps within its interval.
fn all_within(r: &RevisedCourse) -> bool {
    r.sessions.iter().all(|s| s.findings.is_empty())
}

impl Seeder<'_> {
    fn instant(&self, d: Date, t: Time) -> anyhow::Result<Ts> {
        Ok(Ts::from(
            d.to_datetime(t).to_zoned(self.tz.clone())?.timestamp(),
        ))
    }

    /// A signing time: 11:00 on the day `days` before `d`.
    fn signed_before(&self, d: Date, days: i64) -> anyhow::Result<Timestamp> {
        Ok(self
            .instant(add_days(d, -days)?, Time::constant(11, 0, 0, 0))?
            .0)
    }

    fn first_open_from(&self, d: Date) -> anyhow::Result<Date> {
        Ok(self.cal.first_open_on_or_after(d)?)
    }

    /// An open start date near `guess` (up to 45 days either side, nearest
    /// first) whose course satisfies the first of `prefs` that any does;
    /// else the first open day from `guess`.
    fn start_near(
        &self,
        protocol: &Protocol,
        guess: Date,
        prefs: &[&dyn Fn(&CourseProposal) -> bool],
    ) -> anyhow::Result<Date> {
        for ok in prefs {
            for k in 0..=45i64 {
                for d in [add_days(guess, -k)?, add_days(guess, k)?] {
                    if self.cal.is_open(d)? && ok(&propose(protocol, d, &self.cal)?) {
                        return Ok(d);
                    }
                }
            }
        }
        self.first_open_from(guess)
    }

    /// Writes a plan as the physician would through the API (every check
    /// of `parse_plan`).
    async fn plan(
        &self,
        patient: Uuid,
        spec: &PlanSpec,
        protocol: &Protocol,
        template: Option<&ProtocolTemplate>,
        start: Date,
    ) -> anyhow::Result<Plan> {
        let checked = self.check(spec, protocol, template, start).await?;
        Ok(self
            .store
            .create_plan(&self.physician, self.clinic, patient, &checked)
            .await?)
    }

    async fn check(
        &self,
        spec: &PlanSpec,
        protocol: &Protocol,
        template: Option<&ProtocolTemplate>,
        start: Date,
    ) -> anyhow::Result<jousei_core::plan::PlanFacts> {
        let indication = self
            .store
            .indication_by_code(self.clinic, spec.indication)
            .await?
            .map(|i| i.facts);
        let mut components = Vec::new();
        for (code, share) in spec.components {
            let p = self
                .products
                .iter()
                .find(|p| p.code == *code)
                .with_context(|| format!("demo product {code} missing"))?;
            components.push(RawComponent {
                product_id: p.id.to_string(),
                share_percent: (*share).into(),
            });
        }
        let raw = RawPlan {
            indication_code: spec.indication.into(),
            route: spec.route.into(),
            components,
            dose: spec.dose.into(),
            dose_unit: "ml".into(),
            site_count: spec.sites.map(|(n, _)| n.to_string()),
            site_areas: spec
                .sites
                .map(|(_, a)| a.iter().map(|s| (*s).to_string()).collect())
                .unwrap_or_default(),
            topical_anaesthesia: spec.topical_anaesthesia,
            start_date: start.to_string(),
            notes: spec.notes.map(str::to_string),
            off_label_reason: None,
        };
        let protocol_ref = template.map(|t| ProtocolRef {
            id: t.id,
            version: t.version,
        });
        let checked = parse_plan(
            &raw,
            protocol,
            protocol_ref,
            indication.as_ref(),
            &self.products,
        )
        .map_err(|e| anyhow::anyhow!("demo plan: {e:?}"))?;
        if !checked.warnings.is_empty() {
            bail!("demo plan warnings: {:?}", checked.warnings);
        }
        Ok(checked.facts)
    }

    async fn approve(&self, plan: &Plan) -> anyhow::Result<Plan> {
        Ok(self
            .store
            .approve_plan(&self.physician, self.clinic, plan.id, plan.version)
            .await?)
    }

    fn proposal(&self, plan: &Plan) -> anyhow::Result<CourseProposal> {
        Ok(propose(
            &plan.facts.protocol,
            plan.facts.start_date,
            &self.cal,
        )?)
    }

    /// The course revised from the plan's appointments, as `plan_ops`
    /// computes it.
    async fn course(
        &self,
        plan: &Plan,
    ) -> anyhow::Result<(CourseProposal, RevisedCourse, Vec<Appointment>)> {
        let proposal = self.proposal(plan)?;
        let appointments = self
            .store
            .appointments_of_plan(self.clinic, plan.id)
            .await?;
        let revised = reschedule(
            &proposal,
            &history(&appointments, &self.tz),
            &self.cal,
            self.today,
        )?;
        Ok((proposal, revised, appointments))
    }

    async fn book(&self, new: &[NewAppointment]) -> anyhow::Result<Vec<Appointment>> {
        match self
            .store
            .book_appointments(&self.coordinator, self.clinic, new)
            .await?
        {
            Booking::Done(a) => Ok(a),
            Booking::Conflicts(c) => bail!("demo booking conflicts: {c:?}"),
        }
    }

    fn new_appointment(
        &self,
        plan: &Plan,
        at: At,
        chair: Chair,
        note: Option<&str>,
    ) -> anyhow::Result<NewAppointment> {
        let starts_at = self.instant(at.date, chair.time)?;
        Ok(NewAppointment {
            patient_id: plan.patient_id,
            plan_id: Some(plan.id),
            session_ordinal: Some(at.ordinal),
            proposed_date: at.proposed,
            follows_course: at.follows_course,
            room: Some(chair.room.into()),
            staff_id: Some(chair.staff),
            starts_at,
            ends_at: Ts::from(starts_at.0 + jiff::SignedDuration::from_mins(chair.minutes)),
            note: note.map(str::to_string),
        })
    }

    /// Books the whole course on its proposed days, as the coordinator did
    /// when the plan was approved (then, the revised course was the
    /// proposal).
    async fn book_proposal(&self, plan: &Plan, chair: Chair) -> anyhow::Result<Vec<Appointment>> {
        let proposal = self.proposal(plan)?;
        let mut new = Vec::new();
        for s in &proposal.sessions {
            let at = At {
                ordinal: s.ordinal,
                date: s.date,
                proposed: Some(s.date),
                follows_course: true,
            };
            new.push(self.new_appointment(plan, at, chair, None)?);
        }
        self.book(&new).await
    }

    /// Reception checks the patient in; the dose of `plan` is given and
    /// recorded at the chair; the nurse records the session done.
    async fn done(&self, plan: &Plan, a: &Appointment, note: Note) -> anyhow::Result<()> {
        let checked_in = self
            .store
            .set_appointment_status(
                &self.coordinator,
                self.clinic,
                a.id,
                AppointmentStatus::CheckedIn,
                None,
            )
            .await?;
        self.doses.give(plan, &checked_in, note).await?;
        self.store
            .set_appointment_status(
                &self.nurse,
                self.clinic,
                a.id,
                AppointmentStatus::Done,
                None,
            )
            .await?;
        Ok(())
    }

    /// Gives the doses of `plan` at every booked appointment of `booked`
    /// before today and marks them done; `note` says what the nurse noted
    /// beyond the usual at each session (by ordinal).
    async fn done_before_today(
        &self,
        plan: &Plan,
        booked: &[Appointment],
        note: &dyn Fn(u32) -> Note,
    ) -> anyhow::Result<usize> {
        let mut n = 0;
        for a in booked {
            if local_date(a.starts_at, &self.tz) < self.today {
                self.done(plan, a, note(a.session_ordinal.unwrap_or(0)))
                    .await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// What the coordinator does after a change to the course: moves the
    /// future booked appointments that follow it to their revised dates
    /// (`reschedule_course`), then books the sessions with no appointment
    /// standing for them (`book_course`).
    async fn sync(&self, plan: &Plan, chair: Chair, note: Option<&str>) -> anyhow::Result<()> {
        let (_, revised, appointments) = self.course(plan).await?;
        let stands = jousei_service::plans::standing(&appointments);
        let mut moves = Vec::new();
        for s in &revised.sessions {
            let Some(a) = stands.get(&s.ordinal) else {
                continue;
            };
            if s.status != SessionStatus::Planned
                || a.status != AppointmentStatus::Booked
                || !a.follows_course
                || a.starts_at.0 <= self.now
                || local_date(a.starts_at, &self.tz) == s.date
            {
                continue;
            }
            let time = a.starts_at.0.to_zoned(self.tz.clone()).time();
            let starts_at = self.instant(s.date, time)?;
            let length = a.ends_at.0.duration_since(a.starts_at.0);
            moves.push(Move {
                id: a.id,
                starts_at,
                ends_at: Ts::from(starts_at.0 + length),
            });
        }
        if !moves.is_empty() {
            match self
                .store
                .move_appointments(&self.coordinator, self.clinic, &moves, "course_rescheduled")
                .await?
            {
                Booking::Done(_) => {}
                Booking::Conflicts(c) => bail!("demo reschedule conflicts: {c:?}"),
            }
        }
        let (proposal, revised, appointments) = self.course(plan).await?;
        let stands = jousei_service::plans::standing(&appointments);
        let mut new = Vec::new();
        for s in &revised.sessions {
            if s.status != SessionStatus::Planned
                || stands
                    .get(&s.ordinal)
                    .is_some_and(|a| a.status.counts_for_course())
            {
                continue;
            }
            let at = At {
                ordinal: s.ordinal,
                date: s.date,
                proposed: session_date(&proposal, s.ordinal),
                follows_course: true,
            };
            new.push(self.new_appointment(plan, at, chair, note)?);
        }
        if !new.is_empty() {
            self.book(&new).await?;
        }
        Ok(())
    }
}

/// Seeds the calendar, catalogue, protocols, treated patients and the
/// plans of `clinic` (zone `time_zone`) as of `now`.
pub async fn seed(
    store: &DynStore,
    clinic: Uuid,
    time_zone: &str,
    logins: &HashMap<&str, Uuid>,
    patients: &DemoPatients,
    now: Timestamp,
) -> anyhow::Result<()> {
    let tz = TimeZone::get(time_zone)?;
    let today = now.to_zoned(tz.clone()).date();
    let d = Demo::new(store, clinic, logins)?;
    let nurse_id = logins
        .get("ns.suzuki")
        .copied()
        .context("demo nurse missing")?;

    // The calendar, catalogue and templates (the administrator's settings).
    let cal = calendar()?;
    store.set_clinic_calendar(&d.admin, clinic, &cal).await?;
    for (code, ja, en, routes, rationales) in INDICATIONS {
        let facts = parse_indication(&RawIndication {
            code: (*code).into(),
            name_ja: (*ja).into(),
            name_en: (*en).into(),
            routes: routes.iter().map(|r| (*r).to_string()).collect(),
            rationales: rationales
                .iter()
                .map(|(ja, en, source, evidence)| RawRationale {
                    text_ja: (*ja).into(),
                    text_en: (*en).into(),
                    source: (*source).into(),
                    evidence: (*evidence).into(),
                })
                .collect(),
            active: true,
        })
        .map_err(|e| anyhow::anyhow!("demo indication {code}: {e:?}"))?;
        store.create_indication(&d.admin, clinic, &facts).await?;
    }
    let standard_t = store.create_protocol(&d.admin, clinic, &standard()).await?;
    let skin_t = store
        .create_protocol(&d.admin, clinic, &skin_course())
        .await?;
    let knee_t = store
        .create_protocol(&d.admin, clinic, &knee_course())
        .await?;

    let products = store
        .products(clinic)
        .await?
        .into_iter()
        .map(|p| ProductInfo {
            id: p.id,
            code: p.facts.code.clone(),
            name: p.facts.name.clone(),
            routes: p.facts.routes.clone(),
        })
        .collect();
    let s = Seeder {
        store,
        clinic,
        tz,
        today,
        now,
        cal,
        physician: d.physician.clone(),
        nurse: d.nurse.clone(),
        coordinator: d.coordinator.clone(),
        physician_id: d.physician_id,
        nurse_id,
        products,
        doses: Chairside::new(store, clinic, time_zone, today, nurse_id, d.physician_id).await?,
    };
    let drip = |time: Time, room: &'static str| Chair {
        time,
        minutes: 60,
        room,
        staff: s.nurse_id,
    };
    let iv = |notes: Option<&'static str>, dose: &'static str| PlanSpec {
        indication: "fatigue",
        route: "iv_drip",
        components: &[("DP-CM-10", "100")],
        dose,
        sites: None,
        topical_anaesthesia: false,
        notes,
    };
    let standard_p = standard_t.protocol.clone();

    // A draft: written at counselling, not approved until the new
    // screening after the prednisolone is decided.
    s.plan(
        patients.id("渡辺 翔太")?,
        &PlanSpec {
            indication: "skin",
            route: "skin_injection",
            components: &[("DDP-CM-5", "100")],
            dose: "2",
            sites: Some(("20", &["前額", "両頬", "目尻", "首"])),
            topical_anaesthesia: true,
            notes: Some("カウンセリング時の案。プレドニゾロン開始に伴う再問診・医師判断の後に承認予定。同意書（肌注射）は未取得。"),
        },
        &skin_t.protocol,
        Some(&skin_t),
        s.first_open_from(add_days(today, 21)?)?,
    )
    .await?;

    // Approved, not booked yet: starts in about ten days.
    let plan = s
        .plan(
            patients.id("山田 花子")?,
            &iv(
                Some("初回は施術後30分の経過観察。予約は本人の勤務表が出てから。"),
                "10",
            ),
            &standard_p,
            Some(&standard_t),
            s.first_open_from(add_days(today, 10)?)?,
        )
        .await?;
    s.approve(&plan).await?;

    // Treated today for the first and only time (the physician's
    // same-day reason is on the consent): checked in at reception.
    let chair = drip(Time::constant(10, 0, 0, 0), "点滴室1");
    let plan = s
        .plan(
            patients.id("佐藤 健一")?,
            &iv(
                Some("海外赴任前の単回施術。施術前に血圧測定（160/100 mmHg以上なら中止）。"),
                "10",
            ),
            &single_session(),
            None,
            s.first_open_from(today)?,
        )
        .await?;
    let plan = s.approve(&plan).await?;
    for a in s.book_proposal(&plan, chair).await? {
        if local_date(a.starts_at, &s.tz) == today {
            s.store
                .set_appointment_status(
                    &s.coordinator,
                    clinic,
                    a.id,
                    AppointmentStatus::CheckedIn,
                    None,
                )
                .await?;
        }
    }

    // Induction: first session done two weeks ago, the second today; the
    // dose was lowered after a transient fever (version 2, approved again).
    let chair = drip(Time::constant(14, 0, 0, 0), "点滴室1");
    let second = s.first_open_from(today)?;
    let start = s.start_near(
        &standard_p,
        add_days(second, -14)?,
        &[&|p| session_date(p, 2) == Some(second), &|p| {
            within(session_date(p, 2), today, 3)
        }],
    )?;
    let patient = treated::register(
        &d,
        &treated::KIMURA,
        &patients.iv_template,
        s.signed_before(start, 7)?,
    )
    .await?;
    let sleep = |dose: &'static str, notes: &'static str| PlanSpec {
        indication: "sleep",
        route: "iv_drip",
        components: &[("DP-CM-10", "100")],
        dose,
        sites: None,
        topical_anaesthesia: false,
        notes: Some(notes),
    };
    let plan = s
        .plan(
            patient,
            &sleep("10", "寝つきの悪さと中途覚醒。睡眠日誌を毎回確認。"),
            &standard_p,
            Some(&standard_t),
            start,
        )
        .await?;
    let plan = s.approve(&plan).await?;
    let booked = s.book_proposal(&plan, chair).await?;
    s.done_before_today(&plan, &booked, &|_| Note::default())
        .await?;
    let kimura = (
        patient,
        booked.into_iter().find(|a| a.session_ordinal == Some(1)),
    );
    let facts = s
        .check(
            &sleep(
                "5",
                "寝つきの悪さと中途覚醒。睡眠日誌を毎回確認。2回目から5mLに減量、施術後30分の経過観察。",
            ),
            &standard_p,
            Some(&standard_t),
            start,
        )
        .await?;
    let plan = s
        .store
        .revise_plan(
            &s.physician,
            clinic,
            plan.id,
            &facts,
            "初回施術の夜に37.8℃の一過性の発熱（翌日解熱）。2回目以降は10mLから5mLに減量する。",
        )
        .await?;
    let plan = s.approve(&plan).await?;
    s.sync(&plan, chair, None).await?;

    // Maintenance of a 70/30 blend: four sessions done; the next one moved
    // at the patient's request (cancelled, then booked on a day he chose),
    // and the rest of the course rescheduled after it.
    let chair = drip(Time::constant(16, 30, 0, 0), "点滴室2");
    let fifth = s.first_open_from(add_days(today, 8)?)?;
    let start = s.start_near(
        &standard_p,
        add_days(fifth, -84)?,
        &[&|p| session_date(p, 5) == Some(fifth), &|p| {
            within(session_date(p, 5), fifth, 14)
        }],
    )?;
    let patient = treated::register(
        &d,
        &treated::MATSUMOTO,
        &patients.iv_template,
        s.signed_before(start, 7)?,
    )
    .await?;
    let blend = PlanSpec {
        indication: "respiratory",
        route: "iv_drip",
        components: &[("DP-CM-10", "70"), ("UC-CM-3", "30")],
        dose: "10",
        sites: None,
        topical_anaesthesia: false,
        notes: Some(
            "歯髄 70%・臍帯 30% のブレンドを生理食塩水100mLに加え60分で点滴。階段での息切れを毎回問診。",
        ),
    };
    let plan = s
        .plan(patient, &blend, &standard_p, Some(&standard_t), start)
        .await?;
    let plan = s.approve(&plan).await?;
    let booked = s.book_proposal(&plan, chair).await?;
    // A small bruise at the puncture site after the second session.
    let bruise = |ordinal: u32| Note {
        reactions: (ordinal == 2).then_some(
            "抜針後、穿刺部（左前腕）に軽い内出血。圧迫止血と冷却で経過観察、帰宅時に拡大なし。",
        ),
        ..Note::default()
    };
    s.done_before_today(&plan, &booked, &bruise).await?;
    move_session(&s, &plan, 5, chair).await?;
    s.sync(&plan, chair, None).await?;

    // A knee course with a no-show: the third session was missed a few
    // days ago; it is booked again and the rest follow, within the
    // protocol's intervals whenever the calendar allows.
    let chair = Chair {
        time: Time::constant(11, 30, 0, 0),
        minutes: 30,
        room: "処置室",
        staff: s.physician_id,
    };
    let knee_p = knee_t.protocol.clone();
    let missed_ok = |p: &CourseProposal| {
        let (Some(d1), Some(d2), Some(d3)) =
            (session_date(p, 1), session_date(p, 2), session_date(p, 3))
        else {
            return false;
        };
        if !(2..=6).contains(&(today - d3).get_days()) {
            return false;
        }
        let history = [
            HistoryEntry {
                ordinal: 1,
                event: SessionEvent::Done { date: d1 },
            },
            HistoryEntry {
                ordinal: 2,
                event: SessionEvent::Done { date: d2 },
            },
            HistoryEntry {
                ordinal: 3,
                event: SessionEvent::Missed { date: d3 },
            },
        ];
        reschedule(p, &history, &s.cal, today).is_ok_and(|r| all_within(&r))
    };
    // When no course keeps every interval (e.g. around the year-end
    // closure), a miss a few days ago; the course then shows the finding.
    let start = s.start_near(
        &knee_p,
        add_days(today, -31)?,
        &[&missed_ok, &|p| {
            session_date(p, 3).is_some_and(|d3| (2..=6).contains(&(today - d3).get_days()))
        }],
    )?;
    let knee_consent = treated::knee_template(&d).await?;
    let patient = treated::register(
        &d,
        &treated::INOUE,
        &knee_consent,
        s.signed_before(start, 7)?,
    )
    .await?;
    let plan = s
        .plan(
            patient,
            &PlanSpec {
                indication: "knee_oa",
                route: "knee_joint_injection",
                components: &[("AD-CM-5", "100")],
                dose: "5",
                sites: Some(("1", &["右膝"])),
                topical_anaesthesia: false,
                notes: Some(
                    "右膝内側の痛み（階段の下り）。超音波で関節水腫なしを確認してから注射。",
                ),
            },
            &knee_p,
            Some(&knee_t),
            start,
        )
        .await?;
    let plan = s.approve(&plan).await?;
    let booked = s.book_proposal(&plan, chair).await?;
    for a in &booked {
        if local_date(a.starts_at, &s.tz) >= today {
            continue;
        }
        if a.session_ordinal == Some(3) {
            s.store
                .set_appointment_status(
                    &s.coordinator,
                    clinic,
                    a.id,
                    AppointmentStatus::NoShow,
                    Some("連絡なく来院されず。翌日の電話で、膝の腫れのため外出を控えたと確認。"),
                )
                .await?;
        } else {
            s.done(&plan, a, Note::default()).await?;
        }
    }
    s.sync(
        &plan,
        chair,
        Some("前回来院なし（膝の腫れ）。電話で再予約。当日の腫れ・熱感を確認してから注射。"),
    )
    .await?;

    // Long-term care: induction and maintenance done, the first long-term
    // session about six weeks ago, the next in a month.
    let chair = drip(Time::constant(15, 30, 0, 0), "点滴室2");
    let eleventh = s.first_open_from(add_days(today, 25)?)?;
    let start = s.start_near(
        &standard_p,
        add_days(eleventh, -336)?,
        &[&|p| session_date(p, 11) == Some(eleventh), &|p| {
            within(session_date(p, 11), eleventh, 20)
        }],
    )?;
    let patient = treated::register(
        &d,
        &treated::SHIMIZU,
        &patients.iv_template,
        s.signed_before(start, 7)?,
    )
    .await?;
    let plan = s
        .plan(
            patient,
            &iv(
                Some("日中の倦怠感。長期管理は2〜3か月ごと、毎回の問診で継続を判断。"),
                "10",
            ),
            &standard_p,
            Some(&standard_t),
            start,
        )
        .await?;
    let plan = s.approve(&plan).await?;
    let booked = s.book_proposal(&plan, chair).await?;
    // The third session's end time was left out and added the same day.
    let end_added = |ordinal: u32| Note {
        end_added_later: ordinal == 3,
        ..Note::default()
    };
    s.done_before_today(&plan, &booked, &end_added).await?;
    s.sync(&plan, chair, None).await?;

    // Kimura's first dose, typed again from the paper drip record onto
    // Shimizu's chart, then voided.
    if let (kimura_id, Some(first)) = kimura {
        let given = store
            .administrations_of_patient(clinic, kimura_id)
            .await?
            .into_iter()
            .find(|x| x.appointment_id == Some(first.id))
            .context("demo: Kimura's first dose missing")?;
        s.doses
            .wrong_chart(
                &given,
                &first,
                &plan,
                (treated::KIMURA.name, treated::SHIMIZU.name),
            )
            .await?;
    }
    Ok(())
}

/// The patient asked by phone to move session `ordinal`: its appointment is
/// cancelled and the coordinator books the session on a day he chose (a few
/// days later, an open day that keeps the course within its intervals).
async fn move_session(
    s: &Seeder<'_>,
    plan: &Plan,
    ordinal: u32,
    chair: Chair,
) -> anyhow::Result<()> {
    let (proposal, _, appointments) = s.course(plan).await?;
    let Some(a) = appointments
        .iter()
        .find(|a| a.session_ordinal == Some(ordinal) && a.status == AppointmentStatus::Booked)
    else {
        bail!("demo: session {ordinal} is not booked");
    };
    let from = local_date(a.starts_at, &s.tz);
    let history_before = history(&appointments, &s.tz);
    let mut chosen = None;
    for k in 3..=10 {
        let d = add_days(from, k)?;
        if !s.cal.is_open(d)? {
            continue;
        }
        let mut h = history_before.clone();
        h.retain(|e| e.ordinal != ordinal);
        h.push(HistoryEntry {
            ordinal,
            event: SessionEvent::Moved { date: d },
        });
        h.sort_by_key(|e| e.ordinal);
        if reschedule(&proposal, &h, &s.cal, s.today).is_ok_and(|r| all_within(&r)) {
            chosen = Some(d);
            break;
        }
    }
    let Some(date) = chosen else {
        // No day keeps every interval: leave the session where it is.
        return Ok(());
    };
    s.store
        .set_appointment_status(
            &s.coordinator,
            s.clinic,
            a.id,
            AppointmentStatus::Cancelled,
            Some("出張のため本人より電話で日程変更の依頼"),
        )
        .await?;
    let at = At {
        ordinal,
        date,
        proposed: session_date(&proposal, ordinal),
        follows_course: false,
    };
    let new = s.new_appointment(plan, at, chair, Some("本人希望日（出張明け）"))?;
    s.book(&[new]).await?;
    Ok(())
}
