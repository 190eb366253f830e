//! The rows, SQL and helpers of [`crate::safety::SafetyStore`]; its methods,
//! written once for both backends, are in `sql/safety.rs` (see `imp.rs` for the
//! layout).
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
