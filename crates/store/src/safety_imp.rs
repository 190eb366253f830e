//! The implementation of [`crate::safety::SafetyStore`], written once and
//! expanded for each backend (see `imp.rs` for the approach).
//!
//! Storage (migration `20261201000005_safety.sql`): `adverse_events` holds
//! what never changes (clinic, patient, reporter) and the current version;
//! `adverse_event_versions` the facts of every version as JSON with the due
//! date; `adverse_event_administrations` the doses each version names (the
//! index from a dose to its events); `adverse_event_follow_ups` the tasks
//! (done once); `adverse_event_notifications` the reports sent. A recall is
//! a `recalls` row (closed once), its lots in `recall_lots` with the state
//! each had when the recall started, and its contact attempts in
//! `recall_contacts`. The clinic's reporting policy per product regime
//! (migration `20261207000020_reporting_policies.sql`) is a version per
//! change in `reporting_policies` (JSON), numbered per clinic as the
//! largest so far plus one; the current one is the highest. Every write
//! runs under the write lock and writes its audit entry in the same
//! transaction.

use std::collections::HashMap;

use jousei_core::safety::{ContactMethod, ContactOutcome, RecallScope};
use uuid::Uuid;

use crate::patient_imp::json;
use crate::safety::{
    AdverseEvent, AdverseEventVersion, FollowUp, Notification, Recall, RecallContact,
};
use crate::{StoreError, Ts};

/// The recipients a notification may name.
pub(crate) const RECIPIENTS: [&str; 2] = ["authority", "supplier"];

/// An event with its current version. Filters append ` WHERE e.clinic_id =
/// $1 ...`.
pub(crate) const EVENT_SELECT: &str = "SELECT e.id, e.clinic_id, e.patient_id, e.current_version, e.reported_by, e.reported_at, v.facts, v.due_date FROM adverse_events e JOIN adverse_event_versions v ON v.adverse_event_id = e.id AND v.version = e.current_version";

pub(crate) const FOLLOW_UP_SELECT: &str = "SELECT f.id, f.adverse_event_id, f.due_on, f.note, f.done_by, f.done_at FROM adverse_event_follow_ups f JOIN adverse_events e ON e.id = f.adverse_event_id";

pub(crate) const NOTIFICATION_SELECT: &str = "SELECT n.id, n.adverse_event_id, n.recipient, n.channel, n.reference, n.sent_at, n.recorded_by FROM adverse_event_notifications n JOIN adverse_events e ON e.id = n.adverse_event_id";

pub(crate) const EVENT_VERSION_SELECT: &str = "SELECT v.version, v.facts, v.due_date, v.reason, v.author_id, v.created_at FROM adverse_event_versions v JOIN adverse_events e ON e.id = v.adverse_event_id";

/// Newest onset first.
pub(crate) const EVENT_ORDER: &str = " ORDER BY e.onset_at DESC, e.id DESC";

/// A recall. Filters append ` WHERE r.clinic_id = $1 ...`.
pub(crate) const RECALL_SELECT: &str = "SELECT r.id, r.clinic_id, r.scope, r.subject, r.reason, r.started_by, r.started_at, r.report, r.closed_at, r.closed_by FROM recalls r";

pub(crate) const RECALL_LOT_SELECT: &str = "SELECT rl.recall_id, rl.ordinal, rl.lot_id FROM recall_lots rl JOIN recalls r ON r.id = rl.recall_id";

pub(crate) const CONTACT_SELECT: &str = "SELECT c.id, c.recall_id, c.patient_id, c.method, c.outcome, c.note, c.at, c.recorded_by FROM recall_contacts c JOIN recalls r ON r.id = c.recall_id";

/// Newest first.
pub(crate) const RECALL_ORDER: &str = " ORDER BY r.started_at DESC, r.id DESC";

/// The ids once each, in the order given.
pub(crate) fn distinct(ids: &[Uuid]) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

fn scope(s: &str) -> Result<RecallScope, StoreError> {
    RecallScope::parse(s).ok_or_else(|| StoreError::Corrupt(format!("recall scope {s}")))
}

fn method(s: &str) -> Result<ContactMethod, StoreError> {
    ContactMethod::parse(s).ok_or_else(|| StoreError::Corrupt(format!("contact method {s}")))
}

fn outcome(s: &str) -> Result<ContactOutcome, StoreError> {
    ContactOutcome::parse(s).ok_or_else(|| StoreError::Corrupt(format!("contact outcome {s}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub current_version: i64,
    pub reported_by: Option<Uuid>,
    pub reported_at: Ts,
    pub facts: String,
    pub due_date: Option<jiff_sqlx::Date>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct FollowUpRow {
    pub id: Uuid,
    pub adverse_event_id: Uuid,
    pub due_on: jiff_sqlx::Date,
    pub note: Option<String>,
    pub done_by: Option<Uuid>,
    pub done_at: Option<Ts>,
}

impl From<FollowUpRow> for FollowUp {
    fn from(r: FollowUpRow) -> Self {
        FollowUp {
            id: r.id,
            adverse_event_id: r.adverse_event_id,
            due_on: r.due_on.to_jiff(),
            note: r.note,
            done_by: r.done_by,
            done_at: r.done_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    pub id: Uuid,
    pub adverse_event_id: Uuid,
    pub recipient: String,
    pub channel: String,
    pub reference: Option<String>,
    pub sent_at: Ts,
    pub recorded_by: Option<Uuid>,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Notification {
            id: r.id,
            adverse_event_id: r.adverse_event_id,
            recipient: r.recipient,
            channel: r.channel,
            reference: r.reference,
            sent_at: r.sent_at,
            recorded_by: r.recorded_by,
        }
    }
}

/// Events with their follow-ups (by due date) and notifications (oldest
/// first), in the order of `rows`.
pub(crate) fn assemble_events(
    rows: Vec<EventRow>,
    follow_ups: Vec<FollowUpRow>,
    notifications: Vec<NotificationRow>,
) -> Result<Vec<AdverseEvent>, StoreError> {
    let mut tasks: HashMap<Uuid, Vec<FollowUp>> = HashMap::new();
    for f in follow_ups {
        tasks.entry(f.adverse_event_id).or_default().push(f.into());
    }
    let mut sent: HashMap<Uuid, Vec<Notification>> = HashMap::new();
    for n in notifications {
        sent.entry(n.adverse_event_id).or_default().push(n.into());
    }
    rows.into_iter()
        .map(|r| {
            let mut follow_ups = tasks.remove(&r.id).unwrap_or_default();
            follow_ups.sort_by_key(|f| (f.due_on, f.id));
            let mut notifications = sent.remove(&r.id).unwrap_or_default();
            notifications.sort_by_key(|n| (n.sent_at, n.id));
            Ok(AdverseEvent {
                id: r.id,
                clinic_id: r.clinic_id,
                patient_id: r.patient_id,
                version: r.current_version,
                facts: json(&r.facts)?,
                due_date: r.due_date.map(|d| d.to_jiff()),
                follow_ups,
                notifications,
                reported_by: r.reported_by,
                reported_at: r.reported_at,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventVersionRow {
    pub version: i64,
    pub facts: String,
    pub due_date: Option<jiff_sqlx::Date>,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    pub created_at: Ts,
}

impl TryFrom<EventVersionRow> for AdverseEventVersion {
    type Error = StoreError;
    fn try_from(r: EventVersionRow) -> Result<Self, StoreError> {
        Ok(AdverseEventVersion {
            version: r.version,
            facts: json(&r.facts)?,
            due_date: r.due_date.map(|d| d.to_jiff()),
            reason: r.reason,
            author_id: r.author_id,
            at: r.created_at,
        })
    }
}

/// A reporting policy version. Filters append ` WHERE clinic_id = $1`.
pub(crate) const POLICY_SELECT: &str =
    "SELECT clinic_id, version, policy, author_id, at FROM reporting_policies";

#[derive(sqlx::FromRow)]
pub(crate) struct PolicyRow {
    pub clinic_id: Uuid,
    pub version: i64,
    pub policy: String,
    pub author_id: Option<Uuid>,
    pub at: Ts,
}

impl TryFrom<PolicyRow> for crate::safety::ReportingPolicyVersion {
    type Error = StoreError;
    fn try_from(r: PolicyRow) -> Result<Self, StoreError> {
        Ok(crate::safety::ReportingPolicyVersion {
            clinic_id: r.clinic_id,
            version: r.version,
            policies: json(&r.policy)?,
            author_id: r.author_id,
            at: r.at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecallRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub scope: String,
    pub subject: String,
    pub reason: String,
    pub started_by: Option<Uuid>,
    pub started_at: Ts,
    pub report: Option<String>,
    pub closed_at: Option<Ts>,
    pub closed_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecallLotRow {
    pub recall_id: Uuid,
    pub ordinal: i64,
    pub lot_id: Uuid,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub id: Uuid,
    pub recall_id: Uuid,
    pub patient_id: Uuid,
    pub method: String,
    pub outcome: String,
    pub note: Option<String>,
    pub at: Ts,
    pub recorded_by: Option<Uuid>,
}

impl TryFrom<ContactRow> for RecallContact {
    type Error = StoreError;
    fn try_from(r: ContactRow) -> Result<Self, StoreError> {
        Ok(RecallContact {
            id: r.id,
            recall_id: r.recall_id,
            patient_id: r.patient_id,
            method: method(&r.method)?,
            outcome: outcome(&r.outcome)?,
            note: r.note,
            at: r.at,
            by: r.recorded_by,
        })
    }
}

/// Recalls with their lots (in the order given) and contacts (oldest
/// first), in the order of `rows`.
pub(crate) fn assemble_recalls(
    rows: Vec<RecallRow>,
    mut lots: Vec<RecallLotRow>,
    contacts: Vec<ContactRow>,
) -> Result<Vec<Recall>, StoreError> {
    lots.sort_by_key(|l| (l.recall_id, l.ordinal));
    let mut lots_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for l in lots {
        lots_of.entry(l.recall_id).or_default().push(l.lot_id);
    }
    let mut contacts_of: HashMap<Uuid, Vec<RecallContact>> = HashMap::new();
    for c in contacts {
        contacts_of
            .entry(c.recall_id)
            .or_default()
            .push(c.try_into()?);
    }
    rows.into_iter()
        .map(|r| {
            let mut contacts = contacts_of.remove(&r.id).unwrap_or_default();
            contacts.sort_by_key(|c| (c.at, c.id));
            Ok(Recall {
                id: r.id,
                clinic_id: r.clinic_id,
                scope: scope(&r.scope)?,
                subject: r.subject,
                reason: r.reason,
                lot_ids: lots_of.remove(&r.id).unwrap_or_default(),
                started_by: r.started_by,
                started_at: r.started_at,
                report: r.report,
                closed_at: r.closed_at,
                closed_by: r.closed_by,
                contacts,
            })
        })
        .collect()
}

macro_rules! safety_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The clinic's adverse events that `filter` (appended to
            /// `WHERE e.clinic_id = $1`, binding `key` as `$2` when given)
            /// selects, newest onset first, read through `conn`.
            async fn adverse_events_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                filter: &'static str,
                key: Option<uuid::Uuid>,
            ) -> $crate::Result<Vec<$crate::safety::AdverseEvent>> {
                use $crate::safety_imp::*;
                let rows: Vec<EventRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{EVENT_SELECT} WHERE e.clinic_id = $1{filter}{EVENT_ORDER}"),
                    clinic_id,
                    key,
                )
                .await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let follow_ups: Vec<FollowUpRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{FOLLOW_UP_SELECT} WHERE e.clinic_id = $1{filter}"),
                    clinic_id,
                    key,
                )
                .await?;
                let notifications: Vec<NotificationRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{NOTIFICATION_SELECT} WHERE e.clinic_id = $1{filter}"),
                    clinic_id,
                    key,
                )
                .await?;
                assemble_events(rows, follow_ups, notifications)
            }

            async fn adverse_event_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::safety::AdverseEvent>> {
                Ok(Self::adverse_events_on(conn, clinic_id, " AND e.id = $2", Some(id))
                    .await?
                    .pop())
            }

            /// The clinic's recalls that `filter` (appended to `WHERE
            /// r.clinic_id = $1`, binding `key` as `$2` when given) selects,
            /// newest first, read through `conn`.
            async fn recalls_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                filter: &'static str,
                key: Option<uuid::Uuid>,
            ) -> $crate::Result<Vec<$crate::safety::Recall>> {
                use $crate::safety_imp::*;
                let rows: Vec<RecallRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{RECALL_SELECT} WHERE r.clinic_id = $1{filter}{RECALL_ORDER}"),
                    clinic_id,
                    key,
                )
                .await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let lots: Vec<RecallLotRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{RECALL_LOT_SELECT} WHERE r.clinic_id = $1{filter}"),
                    clinic_id,
                    key,
                )
                .await?;
                let contacts: Vec<ContactRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{CONTACT_SELECT} WHERE r.clinic_id = $1{filter}"),
                    clinic_id,
                    key,
                )
                .await?;
                assemble_recalls(rows, lots, contacts)
            }

            async fn recall_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::safety::Recall>> {
                Ok(Self::recalls_on(conn, clinic_id, " AND r.id = $2", Some(id))
                    .await?
                    .pop())
            }

            /// `not_found` unless every administration is the clinic's and
            /// the patient's.
            async fn check_involved(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                patient_id: uuid::Uuid,
                administration_ids: &[uuid::Uuid],
            ) -> $crate::Result<()> {
                for id in $crate::safety_imp::distinct(administration_ids) {
                    let (n,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM administrations WHERE clinic_id = $1 AND id = $2 AND patient_id = $3",
                    )
                    .bind(clinic_id)
                    .bind(id)
                    .bind(patient_id)
                    .fetch_one(&mut **tx)
                    .await?;
                    if n == 0 {
                        return Err($crate::StoreError::NotFound);
                    }
                }
                Ok(())
            }

            /// Writes one version of an event with the doses it names.
            #[allow(clippy::too_many_arguments)]
            async fn insert_adverse_event_version(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                id: uuid::Uuid,
                version: i64,
                facts: &jousei_core::safety::AdverseEventFacts,
                due_date: Option<jiff::civil::Date>,
                reason: Option<&str>,
                at: $crate::Ts,
            ) -> $crate::Result<()> {
                sqlx::query("INSERT INTO adverse_event_versions (adverse_event_id, version, facts, due_date, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(version)
                    .bind($crate::patient_imp::to_json(facts)?)
                    .bind(due_date.map(jiff_sqlx::Date::from))
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind(at)
                    .execute(&mut **tx)
                    .await?;
                for administration_id in $crate::safety_imp::distinct(&facts.administration_ids) {
                    sqlx::query("INSERT INTO adverse_event_administrations (adverse_event_id, version, administration_id) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(version)
                        .bind(administration_id)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::safety::SafetyStore for $store {
            #[tracing::instrument(skip_all)]
            async fn report_adverse_event(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::safety::NewAdverseEvent,
            ) -> $crate::Result<$crate::safety::AdverseEvent> {
                use $crate::StoreError::NotFound;
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                if Self::count_in(&mut tx, "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2", clinic_id, new.patient_id).await? == 0 {
                    return Err(NotFound);
                }
                Self::check_involved(&mut tx, clinic_id, new.patient_id, &new.facts.administration_ids).await?;
                sqlx::query("INSERT INTO adverse_events (id, clinic_id, patient_id, current_version, onset_at, reported_by, reported_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(new.patient_id)
                    .bind($crate::Ts::from(new.facts.onset_at))
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_adverse_event_version(&mut tx, actor, id, 1, &new.facts, new.due_date, None, now).await?;
                let mut follow_ups = new.follow_ups.clone();
                follow_ups.sort();
                for due_on in &follow_ups {
                    sqlx::query("INSERT INTO adverse_event_follow_ups (id, clinic_id, adverse_event_id, due_on, note, done_by, done_at) VALUES ($1, $2, $3, $4, NULL, NULL, NULL)")
                        .bind(uuid::Uuid::now_v7())
                        .bind(clinic_id)
                        .bind(id)
                        .bind(jiff_sqlx::Date::from(*due_on))
                        .execute(&mut *tx)
                        .await?;
                }
                let f = &new.facts;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "adverse_event_reported", "adverse_event", Some(id.to_string()),
                    serde_json::json!({"patient_id": new.patient_id, "onset_at": f.onset_at, "aware_at": f.aware_at,
                        "category": f.category, "severity": f.severity, "seriousness": f.seriousness,
                        "causality": f.causality, "outcome": f.outcome, "administration_ids": f.administration_ids,
                        "due_date": new.due_date, "follow_ups": follow_ups})).await?;
                let out = Self::adverse_event_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn revise_adverse_event(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                expected_version: i64,
                facts: &jousei_core::safety::AdverseEventFacts,
                due_date: Option<jiff::civil::Date>,
                reason: &str,
            ) -> $crate::Result<$crate::safety::AdverseEvent> {
                use $crate::StoreError::{Conflict, NotFound};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let cur = Self::adverse_event_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                if cur.version != expected_version {
                    return Err(Conflict("adverse_event_version_stale"));
                }
                Self::check_involved(&mut tx, clinic_id, cur.patient_id, &facts.administration_ids).await?;
                let next = cur.version + 1;
                let now = $crate::Ts::now();
                Self::insert_adverse_event_version(&mut tx, actor, id, next, facts, due_date, Some(reason), now).await?;
                sqlx::query("UPDATE adverse_events SET current_version = $2, onset_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(next)
                    .bind($crate::Ts::from(facts.onset_at))
                    .execute(&mut *tx)
                    .await?;
                let mut changed = $crate::patient_imp::changed_fields(&cur.facts, facts);
                if cur.due_date != due_date {
                    changed.push("due_date".into());
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "adverse_event_revised", "adverse_event", Some(id.to_string()),
                    serde_json::json!({"version": next, "reason": reason, "changed": changed,
                        "seriousness": facts.seriousness, "causality": facts.causality, "outcome": facts.outcome,
                        "due_date": due_date})).await?;
                let out = Self::adverse_event_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn adverse_event(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::safety::AdverseEvent>> {
                let mut conn = self.pool.acquire().await?;
                Self::adverse_event_on(&mut *conn, clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn adverse_event_versions(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Vec<$crate::safety::AdverseEventVersion>> {
                use $crate::safety_imp::*;
                let rows: Vec<EventVersionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{EVENT_VERSION_SELECT} WHERE e.clinic_id = $1 AND e.id = $2 ORDER BY v.version DESC"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn adverse_events(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::safety::AdverseEvent>> {
                let mut conn = self.pool.acquire().await?;
                Self::adverse_events_on(&mut *conn, clinic_id, "", None).await
            }

            #[tracing::instrument(skip_all)]
            async fn adverse_events_of_patient(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid) -> $crate::Result<Vec<$crate::safety::AdverseEvent>> {
                let mut conn = self.pool.acquire().await?;
                Self::adverse_events_on(&mut *conn, clinic_id, " AND e.patient_id = $2", Some(patient_id)).await
            }

            #[tracing::instrument(skip_all)]
            async fn complete_follow_up(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                follow_up_id: uuid::Uuid,
                note: &str,
            ) -> $crate::Result<$crate::safety::FollowUp> {
                use $crate::safety_imp::*;
                use $crate::StoreError::{Conflict, NotFound};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let row: Option<FollowUpRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{FOLLOW_UP_SELECT} WHERE e.clinic_id = $1 AND f.id = $2"
                )))
                .bind(clinic_id)
                .bind(follow_up_id)
                .fetch_optional(&mut *tx)
                .await?;
                let row = row.ok_or(NotFound)?;
                if row.done_at.is_some() {
                    return Err(Conflict("follow_up_already_done"));
                }
                let now = $crate::Ts::now();
                let n = sqlx::query("UPDATE adverse_event_follow_ups SET note = $2, done_by = $3, done_at = $4 WHERE id = $1 AND done_at IS NULL")
                    .bind(follow_up_id)
                    .bind(note)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(Conflict("follow_up_already_done"));
                }
                let due_on = row.due_on.to_jiff();
                Self::append_audit(&mut tx, actor, Some(clinic_id), "follow_up_completed", "adverse_event", Some(row.adverse_event_id.to_string()),
                    serde_json::json!({"follow_up_id": follow_up_id, "due_on": due_on})).await?;
                tx.commit().await?;
                Ok($crate::safety::FollowUp {
                    id: follow_up_id,
                    adverse_event_id: row.adverse_event_id,
                    due_on,
                    note: Some(note.to_string()),
                    done_by: actor.user_id,
                    done_at: Some(now),
                })
            }

            #[tracing::instrument(skip_all)]
            async fn record_notification(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                adverse_event_id: uuid::Uuid,
                new: &$crate::safety::NewNotification,
            ) -> $crate::Result<$crate::safety::Notification> {
                use $crate::StoreError::{Conflict, NotFound};
                if !$crate::safety_imp::RECIPIENTS.contains(&new.recipient.as_str()) {
                    return Err(Conflict("notification_recipient_invalid"));
                }
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                if Self::count_in(&mut tx, "SELECT COUNT(*) FROM adverse_events WHERE clinic_id = $1 AND id = $2", clinic_id, adverse_event_id).await? == 0 {
                    return Err(NotFound);
                }
                sqlx::query("INSERT INTO adverse_event_notifications (id, adverse_event_id, recipient, channel, reference, sent_at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(id)
                    .bind(adverse_event_id)
                    .bind(&new.recipient)
                    .bind(&new.channel)
                    .bind(&new.reference)
                    .bind(new.sent_at)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "adverse_event_notified", "adverse_event", Some(adverse_event_id.to_string()),
                    serde_json::json!({"notification_id": id, "recipient": new.recipient, "channel": new.channel,
                        "reference": new.reference, "sent_at": new.sent_at.0})).await?;
                tx.commit().await?;
                Ok($crate::safety::Notification {
                    id,
                    adverse_event_id,
                    recipient: new.recipient.clone(),
                    channel: new.channel.clone(),
                    reference: new.reference.clone(),
                    sent_at: new.sent_at,
                    recorded_by: actor.user_id,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn reporting_policy(&self, clinic_id: uuid::Uuid) -> $crate::Result<Option<$crate::safety::ReportingPolicyVersion>> {
                use $crate::safety_imp::*;
                let row: Option<PolicyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{POLICY_SELECT} WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1"
                )))
                .bind(clinic_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn reporting_policy_versions(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::safety::ReportingPolicyVersion>> {
                use $crate::safety_imp::*;
                let rows: Vec<PolicyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{POLICY_SELECT} WHERE clinic_id = $1 ORDER BY version DESC"
                )))
                .bind(clinic_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn set_reporting_policy(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                policies: &jousei_core::safety::ReportingPolicies,
            ) -> $crate::Result<$crate::safety::ReportingPolicyVersion> {
                use $crate::StoreError::Conflict;
                if policies.check().is_err() {
                    return Err(Conflict("reporting_policy_invalid"));
                }
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let version = Self::next_clinic_version(&mut tx, clinic_id, "reporting_policies").await?;
                let res = sqlx::query("INSERT INTO reporting_policies (clinic_id, version, policy, author_id, at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(clinic_id)
                    .bind(version)
                    .bind($crate::patient_imp::to_json(policies)?)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "reporting_policy_version_taken")?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "reporting_policy_set", "clinic", Some(clinic_id.to_string()),
                    serde_json::json!({"version": version, "regimes": policies.regimes})).await?;
                tx.commit().await?;
                Ok($crate::safety::ReportingPolicyVersion {
                    clinic_id,
                    version,
                    policies: policies.clone(),
                    author_id: actor.user_id,
                    at: now,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn start_recall(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::safety::NewRecall,
            ) -> $crate::Result<$crate::safety::Recall> {
                use jousei_core::supply::lot::{LotAction, LotFacts, LotState, transition};
                use $crate::StoreError::{Conflict, NotFound};
                let lot_ids = $crate::safety_imp::distinct(&new.lot_ids);
                if lot_ids.is_empty() {
                    return Err(Conflict("recall_no_lots"));
                }
                if new.reason.trim().is_empty() {
                    return Err(Conflict("reason_required"));
                }
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                // Every lot must be the clinic's before anything is written.
                let mut lots = Vec::with_capacity(lot_ids.len());
                for lot_id in &lot_ids {
                    lots.push(Self::lot_in(&mut tx, clinic_id, *lot_id).await?);
                }
                sqlx::query("INSERT INTO recalls (id, clinic_id, scope, subject, reason, started_by, started_at, report, closed_at, closed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(new.scope.as_str())
                    .bind(&new.subject)
                    .bind(&new.reason)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let evidence = serde_json::json!({"recall_id": id, "scope": new.scope, "subject": new.subject});
                let mut audit_lots = Vec::with_capacity(lots.len());
                for (ordinal, lot) in (0_i64..).zip(lots.iter()) {
                    sqlx::query("INSERT INTO recall_lots (recall_id, ordinal, lot_id, prior_state) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(ordinal)
                        .bind(lot.id)
                        .bind(lot.state.as_str())
                        .execute(&mut *tx)
                        .await?;
                    // A lot already recalled stays as it is (its recall is
                    // already recorded), and a rejected lot stays rejected:
                    // it never reached stock that could be used, and the
                    // lot rules keep both states final.
                    if matches!(lot.state, LotState::Recalled | LotState::Rejected) {
                        audit_lots.push(serde_json::json!({"lot_id": lot.id, "lot_number": lot.lot_number, "from": lot.state, "to": lot.state}));
                        continue;
                    }
                    // Every other state is recalled by the lot rules. A
                    // recall depends only on the state and the reason:
                    // expiry, certificate gaps and excursions never stop
                    // one, so those facts are given as neutral values.
                    let facts = LotFacts {
                        state: lot.state,
                        held_from: lot.held_from,
                        expiry: lot.expiry,
                        gaps: Vec::new(),
                        open_excursions: 0,
                        today: lot.expiry,
                    };
                    let t = transition(&facts, LotAction::Recall, Some(&new.reason))
                        .map_err(|refusals| Conflict(refusals.first().map_or("lot_state_changed", |r| r.code)))?;
                    // As `change_lot` writes it: the state if it is still
                    // the one read, then the lot event and its audit entry.
                    let n = sqlx::query("UPDATE lots SET state = $3, held_from = $4 WHERE clinic_id = $1 AND id = $2 AND state = $5")
                        .bind(clinic_id)
                        .bind(lot.id)
                        .bind(t.to.as_str())
                        .bind(t.held_from.map(|s| s.as_str()))
                        .bind(lot.state.as_str())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(Conflict("lot_state_changed"));
                    }
                    sqlx::query("INSERT INTO lot_events (id, clinic_id, lot_id, action, from_state, to_state, reason, evidence, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                        .bind(uuid::Uuid::now_v7())
                        .bind(clinic_id)
                        .bind(lot.id)
                        .bind(LotAction::Recall.as_str())
                        .bind(lot.state.as_str())
                        .bind(t.to.as_str())
                        .bind(&new.reason)
                        .bind(evidence.to_string())
                        .bind(actor.user_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Self::append_audit(&mut tx, actor, Some(clinic_id), "lot_recall", "lot", Some(lot.id.to_string()),
                        serde_json::json!({"from": lot.state.as_str(), "to": t.to.as_str(), "reason": new.reason, "evidence": evidence})).await?;
                    audit_lots.push(serde_json::json!({"lot_id": lot.id, "lot_number": lot.lot_number, "from": lot.state, "to": t.to}));
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "recall_started", "recall", Some(id.to_string()),
                    serde_json::json!({"scope": new.scope, "subject": new.subject, "reason": new.reason, "lots": audit_lots})).await?;
                let out = Self::recall_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn recalls(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::safety::Recall>> {
                let mut conn = self.pool.acquire().await?;
                Self::recalls_on(&mut *conn, clinic_id, "", None).await
            }

            #[tracing::instrument(skip_all)]
            async fn recall(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::safety::Recall>> {
                let mut conn = self.pool.acquire().await?;
                Self::recall_on(&mut *conn, clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn record_recall_contact(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                recall_id: uuid::Uuid,
                new: &$crate::safety::NewRecallContact,
            ) -> $crate::Result<$crate::safety::RecallContact> {
                use $crate::StoreError::{Conflict, NotFound};
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let closed: Option<(Option<$crate::Ts>,)> = sqlx::query_as("SELECT closed_at FROM recalls WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(recall_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                match closed {
                    None => return Err(NotFound),
                    Some((Some(_),)) => return Err(Conflict("recall_closed")),
                    Some((None,)) => {}
                }
                if Self::count_in(&mut tx, "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2", clinic_id, new.patient_id).await? == 0 {
                    return Err(NotFound);
                }
                // Affected: received a vial of one of the recall's lots by a
                // dose that is not voided.
                let affected: Option<(i32,)> = sqlx::query_as(
                    "SELECT 1 FROM administration_vials v JOIN administrations a ON a.id = v.administration_id JOIN recall_lots rl ON rl.lot_id = v.lot_id WHERE rl.recall_id = $1 AND a.clinic_id = $2 AND a.patient_id = $3 AND a.status = 'recorded' LIMIT 1",
                )
                .bind(recall_id)
                .bind(clinic_id)
                .bind(new.patient_id)
                .fetch_optional(&mut *tx)
                .await?;
                if affected.is_none() {
                    return Err(Conflict("recall_patient_not_affected"));
                }
                sqlx::query("INSERT INTO recall_contacts (id, recall_id, patient_id, method, outcome, note, at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(id)
                    .bind(recall_id)
                    .bind(new.patient_id)
                    .bind(new.method.as_str())
                    .bind(new.outcome.as_str())
                    .bind(&new.note)
                    .bind(new.at)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "recall_contact_recorded", "recall", Some(recall_id.to_string()),
                    serde_json::json!({"contact_id": id, "patient_id": new.patient_id, "method": new.method,
                        "outcome": new.outcome, "at": new.at.0})).await?;
                tx.commit().await?;
                Ok($crate::safety::RecallContact {
                    id,
                    recall_id,
                    patient_id: new.patient_id,
                    method: new.method,
                    outcome: new.outcome,
                    note: new.note.clone(),
                    at: new.at,
                    by: actor.user_id,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn close_recall(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                report: &str,
            ) -> $crate::Result<$crate::safety::Recall> {
                use $crate::StoreError::{Conflict, NotFound};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let closed: Option<(Option<$crate::Ts>,)> = sqlx::query_as("SELECT closed_at FROM recalls WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                match closed {
                    None => return Err(NotFound),
                    Some((Some(_),)) => return Err(Conflict("recall_closed")),
                    Some((None,)) => {}
                }
                let now = $crate::Ts::now();
                let n = sqlx::query("UPDATE recalls SET report = $2, closed_at = $3, closed_by = $4 WHERE id = $1 AND closed_at IS NULL")
                    .bind(id)
                    .bind(report)
                    .bind(now)
                    .bind(actor.user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(Conflict("recall_closed"));
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "recall_closed", "recall", Some(id.to_string()),
                    serde_json::json!({"report": report})).await?;
                let out = Self::recall_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                tx.commit().await?;
                Ok(out)
            }
        }
    };
}

pub(crate) use safety_impl;
