//! Safety data of the demo clinic, seeded after the doses: three adverse
//! events linked to real doses, and a recall campaign in progress.
//!
//! Each event is built as `safety_ops::report` builds one: the report as
//! typed is checked by `RawAdverseEvent::parse`, the reporting deadline
//! counts from the local day of awareness (`report_due`, with the clinic's
//! reporting policy for the regimes of the event's products as
//! `safety_ops::deadline_policy` gives it: the act's 7/15 days until the
//! clinic sets its own), the follow-ups from the local day of onset
//! (`follow_up_dates`).
//!
//! - 松本 大輔 (the blend): the bruise at the puncture site the nurse noted
//!   at his second session; mild, recovered, both follow-ups done.
//! - 清水 隆: a fever of 38.2℃ the evening of his latest dose; not serious,
//!   reported by the nurse, then the physician's causality (`possible`) as
//!   version 2 with the reason; the follow-ups whose day has come are done.
//! - 井上 美穂 (knee): swelling and fever before the session she missed,
//!   learned of on the phone the next day, admitted for observation:
//!   serious (hospitalisation), the 15-day report due soon, the supplier
//!   notified, no report to the authority yet, the follow-ups open.
//!
//! The recall: the earlier DP-CM-10 lot ([`RECALLED_LOT`]), given to the
//! blend patient and to 清水 at their earlier sessions, recalled after the
//! manufacturer's notice; 松本 reached by phone, 清水 not answering yet.
//! Nothing is seeded after this, so no later step needs the lot.

use anyhow::{Context, bail};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use jousei_core::plan::appointment::AppointmentStatus;
use jousei_core::safety::{
    AdverseEventFacts, ContactMethod, ContactOutcome, RawAdverseEvent, RecallScope,
    follow_up_dates, report_due,
};
use jousei_service::plans::local_date;
use jousei_service::safety::deadline_policy;
use jousei_store::care::{Administration, AdministrationStatus};
use jousei_store::patient::PatientSearch;
use jousei_store::safety::{
    AdverseEvent, NewAdverseEvent, NewNotification, NewRecall, NewRecallContact,
};
use jousei_store::{Actor, DynStore, Ts};
use std::collections::HashMap;
use uuid::Uuid;

use crate::demo_patients_treated as treated;

/// The lot the demo recalls: the DP-CM-10 lot the earlier sessions drew
/// from (`demo_doses::LOTS`).
pub(crate) const RECALLED_LOT: &str = "DP-2604";

/// Why it is recalled.
pub(crate) const RECALL_REASON: &str = "製造元からの連絡：同ロットの無菌試験で逸脱（保存参考品の再試験で陽性）。製造元の自主回収に伴い、在庫を使用停止とし、投与済みの患者に連絡して体調を確認する。";

struct Safety<'a> {
    store: &'a DynStore,
    clinic: Uuid,
    tz: TimeZone,
    today: Date,
    now: Timestamp,
    nurse: Actor,
    physician: Actor,
    qa: Actor,
}

/// A report as the nurse types it.
struct Report<'a> {
    onset: Timestamp,
    aware: Timestamp,
    description: &'a str,
    category: &'a str,
    severity: &'a str,
    seriousness: &'a [&'a str],
    causality: Option<&'a str>,
    outcome: &'a str,
    action: Option<&'a str>,
    doses: &'a [Uuid],
}

impl Report<'_> {
    fn raw(&self) -> RawAdverseEvent {
        RawAdverseEvent {
            onset_at: self.onset.to_string(),
            aware_at: self.aware.to_string(),
            description: self.description.into(),
            category: self.category.into(),
            severity: self.severity.into(),
            seriousness: self.seriousness.iter().map(|s| (*s).to_string()).collect(),
            causality: self.causality.map(str::to_string),
            outcome: self.outcome.into(),
            action_taken: self.action.map(str::to_string),
            administration_ids: self.doses.iter().map(Uuid::to_string).collect(),
        }
    }
}

fn add_days(d: Date, n: i64) -> anyhow::Result<Date> {
    Ok(d.checked_add(Span::new().try_days(n)?)?)
}

impl Safety<'_> {
    /// The instant of `hour:minute` on the local day `d`.
    fn local(&self, d: Date, hour: i8, minute: i8) -> anyhow::Result<Timestamp> {
        Ok(d.at(hour, minute, 0, 0)
            .to_zoned(self.tz.clone())?
            .timestamp())
    }

    fn day(&self, t: Timestamp) -> Date {
        local_date(Ts::from(t), &self.tz)
    }

    /// The report's due date under the clinic's reporting policy, as
    /// `safety_ops` computes it.
    async fn due(&self, facts: &AdverseEventFacts) -> anyhow::Result<Option<Date>> {
        let policy = deadline_policy(self.store, self.clinic, facts)
            .await
            .map_err(|e| anyhow::anyhow!("reporting policy: {e:?}"))?;
        Ok(report_due(facts, self.day(facts.aware_at), policy).map(|(d, _)| d))
    }

    /// The demo patient with this phone number.
    async fn patient(&self, t: &treated::Treated) -> anyhow::Result<Uuid> {
        let found = self
            .store
            .search_patients(
                self.clinic,
                &PatientSearch {
                    phone: Some(t.phone.replace('-', "")),
                    limit: 2,
                    ..Default::default()
                },
            )
            .await?;
        match found.as_slice() {
            [p] => Ok(p.id),
            _ => bail!("demo: patient {} not found once", t.name),
        }
    }

    /// The patient's doses that stand, newest first.
    async fn doses(&self, patient: Uuid) -> anyhow::Result<Vec<Administration>> {
        Ok(self
            .store
            .administrations_of_patient(self.clinic, patient)
            .await?
            .into_iter()
            .filter(|a| a.status == AdministrationStatus::Recorded)
            .collect())
    }

    /// Records the report as `safety_ops::report` does.
    async fn report(
        &self,
        by: &Actor,
        patient: Uuid,
        r: &Report<'_>,
    ) -> anyhow::Result<AdverseEvent> {
        let facts = r
            .raw()
            .parse(self.now)
            .map_err(|e| anyhow::anyhow!("demo adverse event refused: {e:?}"))?;
        let due_date = self.due(&facts).await?;
        let follow_ups = follow_up_dates(self.day(facts.onset_at));
        Ok(self
            .store
            .report_adverse_event(
                by,
                self.clinic,
                &NewAdverseEvent {
                    patient_id: patient,
                    facts,
                    due_date,
                    follow_ups,
                },
            )
            .await?)
    }

    /// Marks done, with the notes in order, the follow-ups whose day has
    /// come (a follow-up is not done before its day).
    async fn follow_ups(&self, e: &AdverseEvent, notes: &[&str]) -> anyhow::Result<()> {
        for (f, note) in e.follow_ups.iter().zip(notes) {
            if f.due_on < self.today {
                self.store
                    .complete_follow_up(&self.nurse, self.clinic, f.id, note)
                    .await?;
            }
        }
        Ok(())
    }

    /// The bruise after the blend patient's second session.
    async fn bruise(&self) -> anyhow::Result<()> {
        let patient = self.patient(&treated::MATSUMOTO).await?;
        let dose = self
            .doses(patient)
            .await?
            .into_iter()
            .find(|d| {
                d.details
                    .reactions
                    .as_deref()
                    .is_some_and(|r| r.contains("内出血"))
            })
            .context("demo: the blend dose with the bruise missing")?;
        let end = dose.details.ended_at.unwrap_or(dose.details.started_at);
        let onset = end.0 + SignedDuration::from_mins(5);
        let e = self
            .report(
                &self.nurse,
                patient,
                &Report {
                    onset,
                    aware: onset,
                    description: "穿刺部の内出血。抜針後、左前腕の穿刺部に約2cmの内出血。圧迫止血と冷却で経過観察し、帰宅時に拡大なし。約1週間で退色・消失。",
                    category: "bruising",
                    severity: "mild",
                    seriousness: &[],
                    causality: None,
                    outcome: "recovered",
                    action: Some("5分間の圧迫止血と冷却。次回は穿刺部位を右前腕に変更。"),
                    doses: &[dose.id],
                },
            )
            .await?;
        self.follow_ups(
            &e,
            &[
                "電話で確認：内出血は黄色く退色して縮小、痛み・しびれなし。",
                "電話で確認：内出血は消失、痕跡なし。再発なし。",
            ],
        )
        .await
    }

    /// 清水's fever the evening of his latest dose; the physician's
    /// causality the next week, as version 2.
    async fn fever(&self) -> anyhow::Result<()> {
        let patient = self.patient(&treated::SHIMIZU).await?;
        let dose = self
            .doses(patient)
            .await?
            .into_iter()
            .next()
            .context("demo: 清水's doses missing")?;
        let given = self.day(dose.details.started_at.0);
        let onset = self.local(given, 21, 30)?;
        let aware = self.local(add_days(given, 1)?, 9, 40)?;
        if aware > self.now {
            bail!("demo: 清水's latest dose is too recent for the fever");
        }
        let mut r = Report {
            onset,
            aware,
            description: "発熱 38.2℃。施術当日の21時半頃から悪寒を伴う発熱。翌朝の本人からの電話で37.4℃、咳・咽頭痛なし、点滴部位の発赤なし。",
            category: "fever",
            severity: "moderate",
            seriousness: &[],
            causality: None,
            outcome: "recovering",
            action: Some("アセトアミノフェン頓用を指示、水分摂取と安静。翌日に電話で経過確認。"),
            doses: &[dose.id],
        };
        let e = self.report(&self.nurse, patient, &r).await?;
        r.description = "発熱 38.2℃。施術当日の21時半頃から悪寒を伴う発熱。翌朝の本人からの電話で37.4℃、咳・咽頭痛なし、点滴部位の発赤なし。翌々日に解熱（36.6℃）を電話で確認。";
        r.causality = Some("possible");
        r.outcome = "recovered";
        let facts = r
            .raw()
            .parse(self.now)
            .map_err(|e| anyhow::anyhow!("demo adverse event refused: {e:?}"))?;
        let due = self.due(&facts).await?;
        let e = self
            .store
            .revise_adverse_event(
                &self.physician,
                self.clinic,
                e.id,
                e.version,
                &facts,
                due,
                "医師による因果関係の評価：投与当日夜の発症で時間的関連があるが、季節性の感染症など他の原因も否定できないため WHO-UMC「可能性あり（possible）」と判断。翌々日の解熱を確認し転帰を回復に更新。",
            )
            .await?;
        self.follow_ups(
            &e,
            &[
                "電話で確認：発熱の再燃なし。倦怠感は施術前と同程度。",
                "電話で確認：発熱なし、体調に変化なし。次回施術は予定どおり、施術後の体温測定を依頼。",
            ],
        )
        .await
    }

    /// 井上's knee: swelling and fever before the session she missed,
    /// learned of the next day, admitted for observation.
    async fn hospitalised(&self) -> anyhow::Result<()> {
        let patient = self.patient(&treated::INOUE).await?;
        let plan = self
            .store
            .plans_of_patient(self.clinic, patient)
            .await?
            .into_iter()
            .next()
            .context("demo: 井上's plan missing")?;
        let missed = self
            .store
            .appointments_of_plan(self.clinic, plan.id)
            .await?
            .into_iter()
            .find(|a| a.status == AppointmentStatus::NoShow)
            .context("demo: 井上's missed session missing")?;
        let missed_on = local_date(missed.starts_at, &self.tz);
        let onset = self.local(add_days(missed_on, -1)?, 20, 0)?;
        let aware = self.local(add_days(missed_on, 1)?, 10, 15)?;
        let dose = self
            .doses(patient)
            .await?
            .into_iter()
            .find(|d| d.details.started_at.0 < onset)
            .context("demo: 井上's dose before the swelling missing")?;
        if aware > self.now {
            bail!("demo: 井上's missed session is too recent");
        }
        let e = self
            .report(
                &self.nurse,
                patient,
                &Report {
                    onset,
                    aware,
                    description: "右膝の腫脹・熱感と発熱（38.0℃）。3回目の予定日の前夜から。予約日に来院なく、翌日の電話で症状を聴取。化膿性膝関節炎の否定のため連携病院の整形外科に紹介し、同日、関節穿刺と経過観察のため入院（関節液培養の結果待ち）。",
                    category: "swelling",
                    severity: "severe",
                    seriousness: &["hospitalisation"],
                    causality: None,
                    outcome: "not_recovered",
                    action: Some("連携病院整形外科へ紹介（診療情報提供書をFAX）。次回注射の可否は退院後の診察で判断。製造元へ当該ロットの品質情報を照会。"),
                    doses: &[dose.id],
                },
            )
            .await?;
        self.store
            .record_notification(
                &self.physician,
                self.clinic,
                e.id,
                &NewNotification {
                    recipient: "supplier".into(),
                    channel: "FAX（製造元 品質保証部）".into(),
                    reference: None,
                    sent_at: Ts::from(aware + SignedDuration::from_hours(4)),
                },
            )
            .await?;
        Ok(())
    }

    /// The recall of [`RECALLED_LOT`], in progress.
    async fn recall(&self) -> anyhow::Result<()> {
        let lot = self
            .store
            .lots(self.clinic)
            .await?
            .into_iter()
            .find(|l| l.lot_number == RECALLED_LOT)
            .with_context(|| format!("demo lot {RECALLED_LOT} missing"))?;
        let blend = self.patient(&treated::MATSUMOTO).await?;
        let shimizu = self.patient(&treated::SHIMIZU).await?;
        let affected: Vec<Uuid> = self
            .store
            .lookback_lots(self.clinic, &[lot.id])
            .await?
            .into_iter()
            .filter(|r| r.status == AdministrationStatus::Recorded)
            .map(|r| r.patient_id)
            .collect();
        for p in [blend, shimizu] {
            if !affected.contains(&p) {
                bail!("demo: {RECALLED_LOT} was not given to a patient the recall calls");
            }
        }
        let recall = self
            .store
            .start_recall(
                &self.qa,
                self.clinic,
                &NewRecall {
                    scope: RecallScope::Lot,
                    subject: lot.id.to_string(),
                    reason: RECALL_REASON.into(),
                    lot_ids: vec![lot.id],
                },
            )
            .await?;
        // The calls are made after the recall starts (which the store
        // stamps with the clock).
        for (patient, outcome, note) in [
            (
                blend,
                ContactOutcome::Reached,
                "本人に電話で回収の経緯を説明。投与後の発熱・体調の変化なし。次回来院時に説明文書を渡し、診察する。",
            ),
            (
                shimizu,
                ContactOutcome::NoAnswer,
                "携帯電話に架電、応答なし（留守番電話の設定なし）。夕方に再度架電する。",
            ),
        ] {
            self.store
                .record_recall_contact(
                    &self.qa,
                    self.clinic,
                    recall.id,
                    &NewRecallContact {
                        patient_id: patient,
                        method: ContactMethod::Phone,
                        outcome,
                        note: Some(note.into()),
                        at: Ts::now(),
                    },
                )
                .await?;
        }
        Ok(())
    }
}

/// Seeds the adverse events and the recall of `clinic` (zone `time_zone`)
/// as of `now`; the doses are there already.
pub async fn seed(
    store: &DynStore,
    clinic: Uuid,
    time_zone: &str,
    logins: &HashMap<&str, Uuid>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let user = |login: &'static str| -> anyhow::Result<Actor> {
        let id = logins
            .get(login)
            .copied()
            .with_context(|| format!("demo user {login} missing"))?;
        Ok(Actor::user(id, login))
    };
    let tz = TimeZone::get(time_zone)?;
    let s = Safety {
        store,
        clinic,
        today: now.to_zoned(tz.clone()).date(),
        tz,
        now,
        nurse: user("ns.suzuki")?,
        physician: user("dr.tanaka")?,
        qa: user("qa.kobayashi")?,
    };
    s.bruise().await?;
    s.fever().await?;
    s.hospitalised().await?;
    s.recall().await
}
