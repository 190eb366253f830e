//! Doses given at the demo's past sessions: every session marked `done`
//! has its administration, recorded through `CareStore` the way
//! `care_ops::record` records one at the chair.
//!
//! For each dose the facts are read from the records at that moment of the
//! seeding (the patient, the latest screening and answers, the consents,
//! the plan and its last dose, the checked-in appointment, the lots, their
//! excursions and the stock at the treatment-room freezer F1), as
//! `care_ops::gather` reads them; `jousei_core::care::check` judges them,
//! and a physician's override with a written reason is recorded for every
//! finding that needs one (the demo knows reasons only for findings a
//! physician would plausibly accept; any other finding stops the seeding).
//! The check and the overrides are stored with the dose as found.
//!
//! The vials: the plan's dose split by the blend's shares (a 70/30 blend of
//! 10 mL is 7 mL from one DP-CM-10 vial and 3 mL from one UC-CM-3 vial),
//! each component from whole vials. Sessions more than [`EARLIER_DAYS`]
//! days ago drew from the lots received before the current ones
//! ([`LOTS`]); the expired and recalled demo lots are never used.
//!
//! Also here: a dose whose end time was added the same day (version 2,
//! with the reason), and a dose recorded on the wrong patient's chart and
//! voided (its vial goes back to stock).

use anyhow::{Context, bail};
use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jousei_core::care::{
    self, CareAppointment, CareConsent, CareFacts, CarePatient, CareScreening, CheckCode,
    IdentityCheck, Override, ScannedVial, Severity, VialLot, VialProduct,
};
use jousei_core::patient::screening;
use jousei_core::plan::Dose;
use jousei_core::supply::product::Route;
use jousei_core::supply::units::{Microlitres, fmt_fixed};
use jousei_service::care::{BLOOD_DONATION_NOTICE_JA, EXPIRES_SOON_DAYS};
use jousei_service::plans::local_date;
use jousei_store::care::{Administration, AdministrationDetails, NewAdministration, NewVialUse};
use jousei_store::plan::{Appointment, Plan};
use jousei_store::supply::{Location, Lot, Product};
use jousei_store::{Actor, DynStore, Ts};
use uuid::Uuid;

/// The lots each product's sessions drew from: `(product, earlier lot,
/// current lot)`. The earlier lots were received for the courses begun
/// last year (`demo_supply`).
pub(crate) const LOTS: &[(&str, &str, &str)] = &[
    ("DP-CM-10", "DP-2604", "DP-2609"),
    ("UC-CM-3", "UC-2605", "UC-2612"),
    ("AD-CM-5", "AD-2611", "AD-2611"),
];

/// Sessions more than this many days before today used the earlier lots.
pub(crate) const EARLIER_DAYS: i64 = 60;

/// The location every demo dose is taken from (the treatment room's
/// freezer).
pub(crate) const FREEZER: &str = "F1";

/// What the nurse wrote down beyond the usual.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Note {
    /// An immediate reaction seen at the chair.
    pub reactions: Option<&'static str>,
    /// The end time was left out and added the same day (a correction).
    pub end_added_later: bool,
}

/// One vial about to be used.
struct Vial {
    lot: Lot,
    product: Product,
    volume: Microlitres,
    opened_at: Ts,
}

/// A dose to record: whose, under which plan and appointment, the vials,
/// who gives it and who checks.
struct Giving<'a> {
    patient_id: Uuid,
    plan: &'a Plan,
    appointment: Option<&'a Appointment>,
    vials: Vec<Vial>,
    at: Ts,
    ended_at: Option<Ts>,
    administered_by: Uuid,
    verified_by: Uuid,
    observations: String,
    reactions: Option<String>,
}

/// The chair side of the demo clinic.
pub(crate) struct Chairside<'a> {
    store: &'a DynStore,
    clinic: Uuid,
    time_zone: String,
    tz: TimeZone,
    today: Date,
    freezer: Location,
    nurse: Uuid,
    physician: Uuid,
}

/// Why a physician went ahead despite a finding, for the findings the demo
/// can meet: an interval shortened by the clinic's calendar, a screening
/// decision past its validity, and an illness under treatment declared in
/// the questionnaire (a contraindication the physician decides at the
/// chair). (The store stamps a decision with
/// the time it is recorded, so when the demo is seeded as of a day months
/// after the clock's today, as the tests do, the treated patients'
/// decisions have lapsed by their later sessions.)
fn override_reason(code: CheckCode) -> Option<&'static str> {
    match code {
        CheckCode::ScreeningExpired => Some(
            "問診の有効期限切れ。当日の診察と口頭の問診で前回の回答・体調から変化がないことを確認し、実施可と判断。次回来院時に再問診を行う。",
        ),
        CheckCode::ContraindicationFlagged => Some(
            "問診で申告された治療中の疾患について、主治医の経過観察の内容を診察で確認し、本日の体調にも問題がないことから実施可と判断。",
        ),
        CheckCode::IntervalTooShort => Some(
            "休診日の関係で前回からの間隔がプロトコルの最短より短いが、前回施術後の経過に問題がなく、本人の予定を考慮して本日の実施を可と判断。",
        ),
        _ => None,
    }
}

fn local_hm(t: Ts, tz: &TimeZone) -> String {
    t.0.to_zoned(tz.clone()).strftime("%H:%M").to_string()
}

impl<'a> Chairside<'a> {
    pub(crate) async fn new(
        store: &'a DynStore,
        clinic: Uuid,
        time_zone: &str,
        today: Date,
        nurse: Uuid,
        physician: Uuid,
    ) -> anyhow::Result<Chairside<'a>> {
        let freezer = store
            .locations(clinic)
            .await?
            .into_iter()
            .find(|l| l.code == FREEZER)
            .context("demo freezer F1 missing")?;
        Ok(Chairside {
            store,
            clinic,
            time_zone: time_zone.to_string(),
            tz: TimeZone::get(time_zone)?,
            today,
            freezer,
            nurse,
            physician,
        })
    }

    fn actor(&self, user: Uuid) -> Actor {
        if user == self.physician {
            Actor::user(user, "dr.tanaka")
        } else {
            Actor::user(user, "ns.suzuki")
        }
    }

    /// The lot of `code` the session on `on` drew from.
    fn lot_for(&self, lots: &[Lot], code: &str, on: Date) -> anyhow::Result<Lot> {
        let (_, earlier, current) = LOTS
            .iter()
            .find(|(c, _, _)| *c == code)
            .with_context(|| format!("demo: no lot for {code}"))?;
        let earlier_before = self
            .today
            .checked_sub(jiff::Span::new().days(EARLIER_DAYS))?;
        let number = if on < earlier_before {
            earlier
        } else {
            current
        };
        lots.iter()
            .find(|l| l.product_code == code && l.lot_number == *number)
            .cloned()
            .with_context(|| format!("demo lot {number} missing"))
    }

    /// The vials for the plan's dose on `on`: each component's share of the
    /// volume from whole vials of its lot, thawed 20 minutes before `at`.
    async fn vials_for(&self, plan: &Plan, on: Date, at: Ts) -> anyhow::Result<Vec<Vial>> {
        let Dose::Ml { microlitres: total } = plan.facts.dose else {
            bail!("demo plans give a volume");
        };
        let shares: i64 = plan
            .facts
            .components
            .iter()
            .map(|c| i64::from(c.share_percent))
            .sum();
        if shares <= 0 {
            bail!("demo plan without shares");
        }
        let products = self.store.products(self.clinic).await?;
        let lots = self.store.lots(self.clinic).await?;
        let opened_at = Ts::from(at.0 - SignedDuration::from_mins(20));
        let mut vials = Vec::new();
        for c in &plan.facts.components {
            let product = products
                .iter()
                .find(|p| p.id == c.product_id)
                .with_context(|| format!("demo product {} missing", c.product_code))?;
            let lot = self.lot_for(&lots, &product.facts.code, on)?;
            let per_vial = product.facts.vial_volume.0;
            if per_vial <= 0 {
                bail!("demo product {} has no volume", product.facts.code);
            }
            let mut left = total.0 * i64::from(c.share_percent) / shares;
            while left > 0 {
                let take = left.min(per_vial);
                vials.push(Vial {
                    lot: lot.clone(),
                    product: product.clone(),
                    volume: Microlitres(take),
                    opened_at,
                });
                left -= take;
            }
        }
        Ok(vials)
    }

    /// The facts of a dose as `care_ops::gather` reads them now.
    async fn facts(&self, g: &Giving<'_>) -> anyhow::Result<CareFacts> {
        let (store, clinic) = (self.store, self.clinic);
        let patient = store
            .patient(clinic, g.patient_id)
            .await?
            .context("demo patient missing")?;
        let latest = store
            .questionnaire_responses(clinic, patient.id)
            .await?
            .into_iter()
            .next()
            .map(|r| r.fingerprint)
            .unwrap_or_default();
        let screening = store
            .screenings(clinic, patient.id)
            .await?
            .into_iter()
            .next()
            .map(|s| {
                let facts = screening::ScreeningFacts {
                    answers_fingerprint: s.answers_fingerprint.clone(),
                    decided: s
                        .decision
                        .as_ref()
                        .map(|d| (d.facts.decision, d.decided_at.0, d.facts.valid_days)),
                };
                CareScreening::from_screening(
                    &facts,
                    &latest,
                    &s.findings,
                    s.decision.as_ref().and_then(|d| d.facts.conditions.clone()),
                )
            });
        let templates = store.consent_templates(clinic).await?;
        let consents = store
            .consents(clinic, patient.id)
            .await?
            .into_iter()
            .filter_map(|c| {
                let t = templates.iter().find(|t| t.id == c.template_id)?;
                Some(CareConsent {
                    product_kind: t.body.product_kind,
                    route: t.body.route,
                    state: c.state,
                    first_explained_at: c.first_explained_at.0,
                    same_day_reason: c.same_day_reason.clone(),
                })
            })
            .collect();
        let pl = g.plan;
        let last = store.last_administration_of_plan(clinic, pl.id).await?;
        let plan = jousei_service::care::care_plan(pl, last, &self.tz);
        let stock = store.stock(clinic).await?;
        let mut scanned = Vec::new();
        for v in &g.vials {
            let on_hand = stock
                .iter()
                .filter(|s| s.lot.id == v.lot.id && s.location_id == self.freezer.id)
                .map(|s| s.vials)
                .sum();
            let open = store.open_excursions_of_lot(clinic, v.lot.id).await?;
            scanned.push(ScannedVial {
                product: VialProduct::from(&v.product.facts),
                lot: VialLot {
                    number: v.lot.lot_number.clone(),
                    state: v.lot.state,
                    expiry: v.lot.expiry,
                    expiry_time: v.lot.expiry_time,
                    open_excursions: u32::try_from(open).unwrap_or(u32::MAX),
                    expires_soon_days: EXPIRES_SOON_DAYS,
                },
                serial: None,
                opened_at: Some(v.opened_at.0),
                already_used: false,
                on_hand,
                volume: Some(v.volume),
            });
        }
        Ok(CareFacts {
            at: g.at.0,
            time_zone: self.time_zone.clone(),
            patient: CarePatient {
                id: patient.id,
                number: patient.number.clone(),
                received_human_derived: store.received_human_derived(clinic, patient.id).await?,
            },
            identity: IdentityCheck::NameAndBirthDate {
                name_matched: true,
                birth_date_matched: true,
            },
            screening,
            consents,
            plan: Some(plan),
            appointment: g.appointment.map(|a| CareAppointment {
                patient_id: a.patient_id,
                starts_at: a.starts_at.0,
                status: a.status,
            }),
            route: pl.facts.route,
            vials: scanned,
        })
    }

    /// Checks the facts, has the physician override what needs it, and
    /// records the dose.
    async fn record(&self, g: &Giving<'_>) -> anyhow::Result<Administration> {
        let facts = self.facts(g).await?;
        let outcome = care::check(&facts);
        let mut overrides = Vec::new();
        for f in outcome.of(Severity::Override) {
            let Some(reason) = override_reason(f.code) else {
                bail!(
                    "demo dose for patient {}: finding {} needs an override the demo has no reason for",
                    facts.patient.number,
                    f.code.as_str()
                );
            };
            overrides.push(Override {
                code: f.code,
                subject: f.subject.clone(),
                physician_id: self.physician,
                reason: reason.to_string(),
            });
        }
        let accepted = outcome.may_proceed(&overrides).map_err(|r| {
            anyhow::anyhow!(
                "demo dose for patient {} refused: {r:?} (findings {:?})",
                facts.patient.number,
                outcome.findings
            )
        })?;
        let human_derived = facts.vials.iter().any(|v| v.product.human_derived());
        let first_human = human_derived && !facts.patient.received_human_derived;
        let new = NewAdministration {
            patient_id: g.patient_id,
            plan_id: Some(g.plan.id),
            plan_version: Some(g.plan.version),
            appointment_id: g.appointment.map(|a| a.id),
            route: g.plan.facts.route,
            location_id: self.freezer.id,
            vials: g
                .vials
                .iter()
                .map(|v| NewVialUse {
                    lot_id: v.lot.id,
                    serial: None,
                    opened_at: Some(v.opened_at),
                    volume: v.volume,
                })
                .collect(),
            sites: g.plan.facts.sites.clone(),
            administered_by: g.administered_by,
            verified_by: Some(g.verified_by),
            started_at: g.at,
            ended_at: g.ended_at,
            observations: Some(g.observations.clone()),
            reactions: g.reactions.clone(),
            identity: serde_json::to_value(&facts.identity)?,
            check: serde_json::to_value(&outcome)?,
            overrides: serde_json::to_value(&accepted)?,
            human_derived,
            blood_donation_notice: first_human.then(|| BLOOD_DONATION_NOTICE_JA.to_string()),
            // jousei's default text: the demo clinic has not set its own.
            blood_donation_notice_version: first_human.then_some(0),
        };
        Ok(self
            .store
            .record_administration(&self.actor(g.administered_by), self.clinic, &new)
            .await?)
    }

    /// What the nurse writes about the dose.
    fn observations(&self, plan: &Plan, vials: &[Vial]) -> String {
        let amounts = vials
            .iter()
            .map(|v| format!("{} {}mL", v.product.facts.code, fmt_fixed(v.volume.0, 3)))
            .collect::<Vec<_>>()
            .join("・");
        match plan.facts.route {
            Route::KneeJointInjection => {
                let areas = plan
                    .facts
                    .sites
                    .as_ref()
                    .map(|s| s.areas.join("・"))
                    .unwrap_or_default();
                format!(
                    "超音波で関節水腫がないことを確認後、{areas}関節内に{amounts}を注射。注射後15分の経過観察で異常なし。"
                )
            }
            _ => format!(
                "{amounts}を生理食塩水100mLに加え60分で点滴。施術前後の血圧・脈拍に著変なし。施術後30分の経過観察で全身状態に異常なし。"
            ),
        }
    }

    /// The dose of `plan` given at appointment `a` (checked in, before
    /// today): by the appointment's staff member, checked by the other.
    pub(crate) async fn give(
        &self,
        plan: &Plan,
        a: &Appointment,
        note: Note,
    ) -> anyhow::Result<Administration> {
        let at = Ts::from(a.starts_at.0 + SignedDuration::from_mins(10));
        let on = local_date(at, &self.tz);
        if on >= self.today {
            bail!("demo doses are given before today");
        }
        let minutes = match plan.facts.route {
            Route::IvDrip => 60,
            _ => 5,
        };
        let ended = Ts::from(at.0 + SignedDuration::from_mins(minutes));
        let vials = self.vials_for(plan, on, at).await?;
        let administered_by = a.staff_id.unwrap_or(self.nurse);
        let verified_by = if administered_by == self.physician {
            self.nurse
        } else {
            self.physician
        };
        let g = Giving {
            patient_id: a.patient_id,
            plan,
            appointment: Some(a),
            observations: self.observations(plan, &vials),
            vials,
            at,
            ended_at: (!note.end_added_later).then_some(ended),
            administered_by,
            verified_by,
            reactions: note.reactions.map(str::to_string),
        };
        let given = self.record(&g).await?;
        if !note.end_added_later {
            return Ok(given);
        }
        let details = AdministrationDetails {
            ended_at: Some(ended),
            ..given.details.clone()
        };
        let reason = format!(
            "終了時刻の入力漏れ。点滴記録票の記載（{}終了）から追記。",
            local_hm(ended, &self.tz)
        );
        Ok(self
            .store
            .correct_administration(
                &self.actor(administered_by),
                self.clinic,
                given.id,
                given.version,
                &details,
                &reason,
            )
            .await?)
    }

    /// The dose `given` (at `a`) recorded a second time on the chart of
    /// another patient under `other` (their plan), then voided: its vial
    /// goes back to stock. `names` are (given to, recorded on).
    pub(crate) async fn wrong_chart(
        &self,
        given: &Administration,
        a: &Appointment,
        other: &Plan,
        names: (&str, &str),
    ) -> anyhow::Result<Administration> {
        let products = self.store.products(self.clinic).await?;
        let lots = self.store.lots(self.clinic).await?;
        let mut vials = Vec::new();
        for v in &given.vials {
            vials.push(Vial {
                lot: lots
                    .iter()
                    .find(|l| l.id == v.lot_id)
                    .cloned()
                    .context("demo lot missing")?,
                product: products
                    .iter()
                    .find(|p| p.id == v.product_id)
                    .cloned()
                    .context("demo product missing")?,
                volume: v.volume,
                opened_at: v.opened_at.unwrap_or(given.details.started_at),
            });
        }
        let g = Giving {
            patient_id: other.patient_id,
            plan: other,
            appointment: None,
            vials,
            at: given.details.started_at,
            ended_at: given.details.ended_at,
            administered_by: given.administered_by,
            verified_by: given.details.verified_by.unwrap_or(self.physician),
            observations: given.details.observations.clone().unwrap_or_default(),
            reactions: None,
        };
        let wrong = self.record(&g).await?;
        let (to, on) = names;
        let reason = format!(
            "患者の取り違え入力。{} {}の{}様への投与（点滴記録票）を、{}様のカルテに誤って記録した。{}様への投与はなく、{}様の記録は正しい。記録で出庫したバイアルは未使用のため在庫に戻す。",
            local_date(a.starts_at, &self.tz),
            local_hm(a.starts_at, &self.tz),
            to,
            on,
            on,
            to
        );
        Ok(self
            .store
            .void_administration(
                &self.actor(given.administered_by),
                self.clinic,
                wrong.id,
                &reason,
            )
            .await?)
    }
}
