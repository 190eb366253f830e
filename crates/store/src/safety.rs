//! Storage of adverse events (versions, follow-up tasks, notifications)
//! and recall campaigns (the lots recalled at once, every contact attempt,
//! closing with a report). Part of [`crate::Store`].

use async_trait::async_trait;
use jiff::civil::Date;
use jousei_core::safety::{
    AdverseEventFacts, ContactMethod, ContactOutcome, RecallScope, ReportingPolicies,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

/// A new adverse event. The caller computed `due_date` (none when not
/// serious) and the follow-up dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdverseEvent {
    pub patient_id: Uuid,
    pub facts: AdverseEventFacts,
    pub due_date: Option<Date>,
    pub follow_ups: Vec<Date>,
}

/// A follow-up task of an adverse event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub id: Uuid,
    pub adverse_event_id: Uuid,
    pub due_on: Date,
    /// What was found (set once, when done).
    pub note: Option<String>,
    pub done_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub done_at: Option<Ts>,
}

/// A report or notice sent about an adverse event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub adverse_event_id: Uuid,
    /// `authority` (the regulator or committee) or `supplier`.
    pub recipient: String,
    /// How it was sent (free text: e.g. "PMDA 電子報告", "FAX").
    pub channel: String,
    /// Their reference, if any.
    pub reference: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub sent_at: Ts,
    pub recorded_by: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub recipient: String,
    pub channel: String,
    pub reference: Option<String>,
    pub sent_at: Ts,
}

/// An adverse event as its current version says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdverseEvent {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub version: i64,
    #[serde(flatten)]
    pub facts: AdverseEventFacts,
    pub due_date: Option<Date>,
    pub follow_ups: Vec<FollowUp>,
    pub notifications: Vec<Notification>,
    pub reported_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub reported_at: Ts,
}

/// One version of an adverse event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdverseEventVersion {
    pub version: i64,
    #[serde(flatten)]
    pub facts: AdverseEventFacts,
    pub due_date: Option<Date>,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

/// A recall to start. The caller resolved the scope to its lots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecall {
    pub scope: RecallScope,
    /// What the scope names: a lot id, a product id, a manufacturer, a
    /// cell source code.
    pub subject: String,
    pub reason: String,
    pub lot_ids: Vec<Uuid>,
}

/// One contact attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecallContact {
    pub id: Uuid,
    pub recall_id: Uuid,
    pub patient_id: Uuid,
    pub method: ContactMethod,
    pub outcome: ContactOutcome,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
    pub by: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecallContact {
    pub patient_id: Uuid,
    pub method: ContactMethod,
    pub outcome: ContactOutcome,
    pub note: Option<String>,
    pub at: Ts,
}

/// A recall campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recall {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub scope: RecallScope,
    pub subject: String,
    pub reason: String,
    pub lot_ids: Vec<Uuid>,
    pub started_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub started_at: Ts,
    /// The closing report, once closed.
    pub report: Option<String>,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub closed_at: Option<Ts>,
    pub closed_by: Option<Uuid>,
    /// Every contact attempt, oldest first.
    pub contacts: Vec<RecallContact>,
}

/// One version of a clinic's reporting policy per product regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportingPolicyVersion {
    pub clinic_id: Uuid,
    pub version: i64,
    #[serde(flatten)]
    pub policies: ReportingPolicies,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

#[async_trait]
pub trait SafetyStore: Send + Sync {
    /// Records an adverse event with its follow-up tasks (audited).
    /// `not_found` for a patient or an administration (in `facts`) that is
    /// not the clinic's, or an administration of another patient.
    async fn report_adverse_event(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewAdverseEvent,
    ) -> Result<AdverseEvent>;
    /// A new version (e.g. the physician's causality, a changed outcome)
    /// with its reason; `adverse_event_version_stale` unless
    /// `expected_version` is current. The follow-up tasks stay. `not_found`
    /// for an administration that is not the clinic's and the patient's.
    #[allow(clippy::too_many_arguments)]
    async fn revise_adverse_event(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        expected_version: i64,
        facts: &AdverseEventFacts,
        due_date: Option<Date>,
        reason: &str,
    ) -> Result<AdverseEvent>;
    /// The event with its follow-ups (by due date) and notifications
    /// (oldest first).
    async fn adverse_event(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<AdverseEvent>>;
    /// Every version, newest first.
    async fn adverse_event_versions(
        &self,
        clinic_id: Uuid,
        id: Uuid,
    ) -> Result<Vec<AdverseEventVersion>>;
    /// Every adverse event of the clinic, newest onset first.
    async fn adverse_events(&self, clinic_id: Uuid) -> Result<Vec<AdverseEvent>>;
    /// The patient's adverse events, newest onset first.
    async fn adverse_events_of_patient(
        &self,
        clinic_id: Uuid,
        patient_id: Uuid,
    ) -> Result<Vec<AdverseEvent>>;
    /// Marks a follow-up done with what was found (once:
    /// `follow_up_already_done`).
    async fn complete_follow_up(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        follow_up_id: Uuid,
        note: &str,
    ) -> Result<FollowUp>;
    /// Records a report or notice sent (audited).
    /// `notification_recipient_invalid` unless the recipient is `authority`
    /// or `supplier`.
    async fn record_notification(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        adverse_event_id: Uuid,
        new: &NewNotification,
    ) -> Result<Notification>;

    /// Starts a recall: in one transaction every lot of `lot_ids` that is
    /// not already recalled becomes `recalled` (a lot event with the
    /// recall's reason, as `change_lot` writes, from any state; rejected
    /// lots stay rejected), so their stock is unavailable at once; the
    /// campaign and the audit entries are written (`lot_recall` for each
    /// lot changed, as `change_lot` writes it, then `recall_started`). `recall_no_lots` when
    /// `lot_ids` is empty; `reason_required` when the reason is blank;
    /// `not_found` for a lot of another clinic (nothing is written). The
    /// recall keeps every lot given, once each, in the order given.
    async fn start_recall(&self, actor: &Actor, clinic_id: Uuid, new: &NewRecall)
    -> Result<Recall>;
    /// Every recall, newest first.
    async fn recalls(&self, clinic_id: Uuid) -> Result<Vec<Recall>>;
    async fn recall(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Recall>>;
    /// Records one contact attempt (audited); `recall_closed` once closed,
    /// `not_found` for a patient of another clinic,
    /// `recall_patient_not_affected` when the patient received none of the
    /// recall's lots (by a dose that is not voided).
    async fn record_recall_contact(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        recall_id: Uuid,
        new: &NewRecallContact,
    ) -> Result<RecallContact>;
    /// The clinic's current reporting policy (None until one is set: the
    /// default applies).
    async fn reporting_policy(&self, clinic_id: Uuid) -> Result<Option<ReportingPolicyVersion>>;
    /// Every version of the clinic's reporting policy, newest first.
    async fn reporting_policy_versions(
        &self,
        clinic_id: Uuid,
    ) -> Result<Vec<ReportingPolicyVersion>>;
    /// Sets the policy as a new version (earlier ones are kept; audited
    /// `reporting_policy_set` with the version and the days).
    /// `reporting_policy_invalid` unless it passes
    /// [`ReportingPolicies::check`]; `not_found` for an unknown clinic.
    async fn set_reporting_policy(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        policies: &ReportingPolicies,
    ) -> Result<ReportingPolicyVersion>;
    /// Closes with the report (once: `recall_closed`).
    async fn close_recall(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        report: &str,
    ) -> Result<Recall>;
}
