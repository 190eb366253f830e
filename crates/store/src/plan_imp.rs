//! The implementation of [`crate::plan::PlanStore`], written once and
//! expanded for each backend (see `imp.rs` for the approach).

use jousei_core::plan::appointment::AppointmentStatus;
use uuid::Uuid;

use crate::patient_imp::json;
use crate::plan::{Appointment, AppointmentEvent, Approval, Plan, PlanVersion};
use crate::{StoreError, Ts};

pub(crate) const PLAN_SELECT: &str = "SELECT p.id, p.clinic_id, p.patient_id, p.current_version, v.facts, p.created_at, a.sha256 AS approved_sha256, a.approved_by, u.login AS approved_by_login, a.approved_at FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.current_version LEFT JOIN plan_approvals a ON a.plan_id = p.id AND a.version = p.current_version LEFT JOIN users u ON u.id = a.approved_by";

pub(crate) const PLAN_VERSION_SELECT: &str = "SELECT v.version, v.facts, v.sha256, v.reason, v.author_id, v.created_at, a.sha256 AS approved_sha256, a.approved_by, u.login AS approved_by_login, a.approved_at FROM plans p JOIN plan_versions v ON v.plan_id = p.id LEFT JOIN plan_approvals a ON a.plan_id = v.plan_id AND a.version = v.version LEFT JOIN users u ON u.id = a.approved_by";

pub(crate) const APPOINTMENT_SELECT: &str = "SELECT id, clinic_id, patient_id, plan_id, session_ordinal, proposed_date, follows_course, room, staff_id, starts_at, ends_at, status, note, created_at FROM appointments";

pub(crate) const EVENT_SELECT: &str = "SELECT e.seq, e.kind, e.from_status, e.to_status, e.undoes_seq, e.starts_at, e.ends_at, e.reason, e.actor_id, e.actor_label, e.at FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id";

fn approval(
    version: i64,
    sha: Option<String>,
    by: Option<Uuid>,
    login: Option<String>,
    at: Option<Ts>,
) -> Option<Approval> {
    match (sha, by, at) {
        (Some(sha256), Some(approved_by), Some(approved_at)) => Some(Approval {
            version,
            sha256,
            approved_by,
            approved_by_login: login,
            approved_at,
        }),
        _ => None,
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlanRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub current_version: i64,
    pub facts: String,
    pub created_at: Ts,
    pub approved_sha256: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_login: Option<String>,
    pub approved_at: Option<Ts>,
}

impl TryFrom<PlanRow> for Plan {
    type Error = StoreError;
    fn try_from(r: PlanRow) -> Result<Self, StoreError> {
        Ok(Plan {
            id: r.id,
            clinic_id: r.clinic_id,
            patient_id: r.patient_id,
            version: r.current_version,
            facts: json(&r.facts)?,
            approval: approval(
                r.current_version,
                r.approved_sha256,
                r.approved_by,
                r.approved_by_login,
                r.approved_at,
            ),
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlanVersionRow {
    pub version: i64,
    pub facts: String,
    pub sha256: String,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    pub created_at: Ts,
    pub approved_sha256: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_login: Option<String>,
    pub approved_at: Option<Ts>,
}

impl TryFrom<PlanVersionRow> for PlanVersion {
    type Error = StoreError;
    fn try_from(r: PlanVersionRow) -> Result<Self, StoreError> {
        Ok(PlanVersion {
            version: r.version,
            facts: json(&r.facts)?,
            sha256: r.sha256,
            reason: r.reason,
            author_id: r.author_id,
            created_at: r.created_at,
            approval: approval(
                r.version,
                r.approved_sha256,
                r.approved_by,
                r.approved_by_login,
                r.approved_at,
            ),
        })
    }
}

pub(crate) fn status(s: &str) -> Result<AppointmentStatus, StoreError> {
    AppointmentStatus::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("appointment status {s}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct AppointmentRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub session_ordinal: Option<i64>,
    pub proposed_date: Option<jiff_sqlx::Date>,
    pub follows_course: bool,
    pub room: Option<String>,
    pub staff_id: Option<Uuid>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub status: String,
    pub note: Option<String>,
    pub created_at: Ts,
}

impl TryFrom<AppointmentRow> for Appointment {
    type Error = StoreError;
    fn try_from(r: AppointmentRow) -> Result<Self, StoreError> {
        Ok(Appointment {
            id: r.id,
            clinic_id: r.clinic_id,
            patient_id: r.patient_id,
            plan_id: r.plan_id,
            session_ordinal: r
                .session_ordinal
                .map(u32::try_from)
                .transpose()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            proposed_date: r.proposed_date.map(|d| d.to_jiff()),
            follows_course: r.follows_course,
            room: r.room,
            staff_id: r.staff_id,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            status: status(&r.status)?,
            note: r.note,
            created_at: r.created_at,
        })
    }
}

impl Appointment {
    pub(crate) fn slot(&self) -> jousei_core::plan::appointment::Slot {
        jousei_core::plan::appointment::Slot {
            patient_id: self.patient_id,
            room: self.room.clone(),
            staff_id: self.staff_id,
            starts_at: self.starts_at.0,
            ends_at: self.ends_at.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub undoes_seq: Option<i64>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub reason: Option<String>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub at: Ts,
}

impl TryFrom<EventRow> for AppointmentEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(AppointmentEvent {
            seq: r.seq,
            kind: r.kind,
            from_status: r.from_status.as_deref().map(status).transpose()?,
            to_status: status(&r.to_status)?,
            undoes_seq: r.undoes_seq,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            reason: r.reason,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            at: r.at,
        })
    }
}

/// The status change an undo would revert: the last `status` event not
/// undone yet.
pub(crate) fn undoable(events: &[AppointmentEvent]) -> Option<&AppointmentEvent> {
    let mut stack: Vec<&AppointmentEvent> = Vec::new();
    for e in events {
        match e.kind.as_str() {
            "status" => stack.push(e),
            "undo" => {
                stack.retain(|s| Some(s.seq) != e.undoes_seq);
            }
            _ => {}
        }
    }
    stack.last().copied()
}

macro_rules! plan_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn plan_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::plan::Plan> {
                use $crate::plan_imp::*;
                let row: Option<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PLAN_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or($crate::StoreError::NotFound)?.try_into()
            }

            /// Changes an appointment's status inside the caller's write
            /// transaction (after the write lock), with its event and audit
            /// entry; `appointment_status_invalid` for a change the status
            /// machine refuses. Shared by `set_appointment_status` and the
            /// cancellation of a contract (its future appointments).
            pub(crate) async fn set_appointment_status_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                to: jousei_core::plan::appointment::AppointmentStatus,
                reason: Option<&str>,
            ) -> $crate::Result<$crate::plan::Appointment> {
                let mut a = Self::appointment_in(tx, clinic_id, id).await?;
                let from = a.status;
                if !from.can_become(to) {
                    return Err($crate::StoreError::Conflict("appointment_status_invalid"));
                }
                sqlx::query("UPDATE appointments SET status = $2 WHERE id = $1")
                    .bind(id)
                    .bind(to.as_str())
                    .execute(&mut **tx)
                    .await?;
                a.status = to;
                let seq = Self::add_event(tx, actor, &a, "status", Some(from), None, reason).await?;
                Self::append_audit(tx, actor, Some(clinic_id), "appointment_status", "appointment", Some(id.to_string()),
                    serde_json::json!({"from": from, "to": to, "event": seq, "reason": reason})).await?;
                Ok(a)
            }

            async fn appointment_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::plan::Appointment> {
                use $crate::plan_imp::*;
                let row: Option<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or($crate::StoreError::NotFound)?.try_into()
            }

            async fn events_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::plan::AppointmentEvent>> {
                use $crate::plan_imp::*;
                let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{EVENT_SELECT} WHERE e.appointment_id = $1 ORDER BY e.seq"
                )))
                .bind(id)
                .fetch_all(&mut **tx)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[allow(clippy::too_many_arguments)]
            async fn add_event(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                a: &$crate::plan::Appointment,
                kind: &str,
                from: Option<jousei_core::plan::appointment::AppointmentStatus>,
                undoes: Option<i64>,
                reason: Option<&str>,
            ) -> $crate::Result<i64> {
                let (seq,): (i64,) = sqlx::query_as(
                    "SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) FROM appointment_events WHERE appointment_id = $1",
                )
                .bind(a.id)
                .fetch_one(&mut **tx)
                .await?;
                sqlx::query("INSERT INTO appointment_events (appointment_id, seq, kind, from_status, to_status, undoes_seq, starts_at, ends_at, reason, actor_id, actor_label, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(a.id)
                    .bind(seq)
                    .bind(kind)
                    .bind(from.map(|s| s.as_str()))
                    .bind(a.status.as_str())
                    .bind(undoes)
                    .bind(a.starts_at)
                    .bind(a.ends_at)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind(&actor.label)
                    .bind($crate::Ts::now())
                    .execute(&mut **tx)
                    .await?;
                Ok(seq)
            }

            /// Every conflict of `slots` with the clinic's appointments that
            /// hold their slot (except `exclude`) and among themselves.
            async fn conflicts_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                slots: &[jousei_core::plan::appointment::Slot],
                exclude: &[uuid::Uuid],
            ) -> $crate::Result<Vec<jousei_core::plan::appointment::Conflict>> {
                use $crate::plan_imp::*;
                let mut existing: Vec<(uuid::Uuid, jousei_core::plan::appointment::Slot)> =
                    Vec::new();
                for s in slots {
                    let rows: Vec<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND status <> 'cancelled' AND starts_at < $3 AND ends_at > $2 AND (patient_id = $4 OR room = $5 OR staff_id = $6) ORDER BY starts_at"
                    )))
                    .bind(clinic_id)
                    .bind($crate::Ts(s.starts_at))
                    .bind($crate::Ts(s.ends_at))
                    .bind(s.patient_id)
                    .bind(&s.room)
                    .bind(s.staff_id)
                    .fetch_all(&mut **tx)
                    .await?;
                    for r in rows {
                        let a: $crate::plan::Appointment = r.try_into()?;
                        if !exclude.contains(&a.id) && !existing.iter().any(|(id, _)| *id == a.id) {
                            existing.push((a.id, a.slot()));
                        }
                    }
                }
                Ok(jousei_core::plan::appointment::find_conflicts(slots, &existing))
            }

            async fn count_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                sql: &'static str,
                a: uuid::Uuid,
                b: uuid::Uuid,
            ) -> $crate::Result<i64> {
                let (n,): (i64,) = sqlx::query_as(sql)
                    .bind(a)
                    .bind(b)
                    .fetch_one(&mut **tx)
                    .await?;
                Ok(n)
            }

            #[allow(clippy::too_many_arguments)]
            async fn catalogue_version(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                table: &'static str,
                key: &'static str,
                body_column: &'static str,
                id: uuid::Uuid,
                version: i64,
                body: String,
                reason: Option<&str>,
            ) -> $crate::Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO {table} ({key}, version, {body_column}, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
                )))
                .bind(id)
                .bind(version)
                .bind(body)
                .bind(reason)
                .bind(actor.user_id)
                .bind($crate::Ts::now())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn current_version_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &'static str,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<i64> {
                let row: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT current_version FROM {table} WHERE clinic_id = $1 AND id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.ok_or($crate::StoreError::NotFound)?.0)
            }
        }

        #[async_trait::async_trait]
        impl $crate::plan::PlanStore for $store {
            #[tracing::instrument(skip_all)]
            async fn create_indication(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                facts: &jousei_core::plan::IndicationFacts,
            ) -> $crate::Result<$crate::plan::Indication> {
                use $crate::patient_imp::to_json;
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let res = sqlx::query("INSERT INTO indications (id, clinic_id, code, current_version, created_at) VALUES ($1, $2, $3, 1, $4)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(&facts.code)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "indication_code_taken")?;
                Self::catalogue_version(&mut tx, actor, "indication_versions", "indication_id", "facts", id, 1, to_json(facts)?, None).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "indication_created", "indication", Some(id.to_string()),
                    serde_json::json!({"code": facts.code, "version": 1, "routes": facts.routes})).await?;
                tx.commit().await?;
                Ok($crate::plan::Indication { id, clinic_id, version: 1, facts: facts.clone() })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_indication(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                facts: &jousei_core::plan::IndicationFacts,
                reason: &str,
            ) -> $crate::Result<$crate::plan::Indication> {
                use $crate::patient_imp::to_json;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let next = Self::current_version_in(&mut tx, "indications", clinic_id, id).await? + 1;
                let res = sqlx::query("UPDATE indications SET code = $2, current_version = $3 WHERE id = $1")
                    .bind(id)
                    .bind(&facts.code)
                    .bind(next)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "indication_code_taken")?;
                Self::catalogue_version(&mut tx, actor, "indication_versions", "indication_id", "facts", id, next, to_json(facts)?, Some(reason)).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "indication_revised", "indication", Some(id.to_string()),
                    serde_json::json!({"code": facts.code, "version": next, "reason": reason})).await?;
                tx.commit().await?;
                Ok($crate::plan::Indication { id, clinic_id, version: next, facts: facts.clone() })
            }

            #[tracing::instrument(skip_all)]
            async fn indications(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::plan::Indication>> {
                use $crate::patient_imp::json;
                let rows: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as("SELECT i.id, i.current_version, v.facts FROM indications i JOIN indication_versions v ON v.indication_id = i.id AND v.version = i.current_version WHERE i.clinic_id = $1 ORDER BY i.code")
                    .bind(clinic_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|(id, version, facts)| Ok($crate::plan::Indication { id, clinic_id, version, facts: json(&facts)? }))
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn indication_by_code(&self, clinic_id: uuid::Uuid, code: &str) -> $crate::Result<Option<$crate::plan::Indication>> {
                use $crate::patient_imp::json;
                let row: Option<(uuid::Uuid, i64, String)> = sqlx::query_as("SELECT i.id, i.current_version, v.facts FROM indications i JOIN indication_versions v ON v.indication_id = i.id AND v.version = i.current_version WHERE i.clinic_id = $1 AND i.code = $2")
                    .bind(clinic_id)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(id, version, facts)| Ok($crate::plan::Indication { id, clinic_id, version, facts: json(&facts)? }))
                    .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn create_protocol(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                protocol: &jousei_core::calendar::Protocol,
            ) -> $crate::Result<$crate::plan::ProtocolTemplate> {
                use $crate::patient_imp::to_json;
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                sqlx::query("INSERT INTO protocols (id, clinic_id, current_version, created_at) VALUES ($1, $2, 1, $3)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?;
                Self::catalogue_version(&mut tx, actor, "protocol_versions", "protocol_id", "protocol", id, 1, to_json(protocol)?, None).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "protocol_created", "protocol", Some(id.to_string()),
                    serde_json::json!({"name": protocol.name, "version": 1})).await?;
                tx.commit().await?;
                Ok($crate::plan::ProtocolTemplate { id, clinic_id, version: 1, protocol: protocol.clone() })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_protocol(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                protocol: &jousei_core::calendar::Protocol,
                reason: &str,
            ) -> $crate::Result<$crate::plan::ProtocolTemplate> {
                use $crate::patient_imp::to_json;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let next = Self::current_version_in(&mut tx, "protocols", clinic_id, id).await? + 1;
                sqlx::query("UPDATE protocols SET current_version = $2 WHERE id = $1")
                    .bind(id)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                Self::catalogue_version(&mut tx, actor, "protocol_versions", "protocol_id", "protocol", id, next, to_json(protocol)?, Some(reason)).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "protocol_revised", "protocol", Some(id.to_string()),
                    serde_json::json!({"name": protocol.name, "version": next, "reason": reason})).await?;
                tx.commit().await?;
                Ok($crate::plan::ProtocolTemplate { id, clinic_id, version: next, protocol: protocol.clone() })
            }

            #[tracing::instrument(skip_all)]
            async fn protocols(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::plan::ProtocolTemplate>> {
                use $crate::patient_imp::json;
                let rows: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as("SELECT p.id, p.current_version, v.protocol FROM protocols p JOIN protocol_versions v ON v.protocol_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 ORDER BY p.created_at")
                    .bind(clinic_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|(id, version, p)| Ok($crate::plan::ProtocolTemplate { id, clinic_id, version, protocol: json(&p)? }))
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn protocol(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::plan::ProtocolTemplate>> {
                use $crate::patient_imp::json;
                let row: Option<(i64, String)> = sqlx::query_as("SELECT p.current_version, v.protocol FROM protocols p JOIN protocol_versions v ON v.protocol_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 AND p.id = $2")
                    .bind(clinic_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(version, p)| Ok($crate::plan::ProtocolTemplate { id, clinic_id, version, protocol: json(&p)? }))
                    .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn clinic_calendar(&self, clinic_id: uuid::Uuid) -> $crate::Result<jousei_core::calendar::ClinicCalendar> {
                use $crate::patient_imp::json;
                let row: Option<(String,)> = sqlx::query_as("SELECT calendar FROM clinic_calendars WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1")
                    .bind(clinic_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some((c,)) => json(&c),
                    None => Ok(jousei_core::calendar::ClinicCalendar::example()),
                }
            }

            #[tracing::instrument(skip_all)]
            async fn set_clinic_calendar(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                calendar: &jousei_core::calendar::ClinicCalendar,
            ) -> $crate::Result<()> {
                use $crate::patient_imp::to_json;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let (next,): (i64,) = sqlx::query_as("SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM clinic_calendars WHERE clinic_id = $1")
                    .bind(clinic_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let res = sqlx::query("INSERT INTO clinic_calendars (clinic_id, version, calendar, author_id, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(clinic_id)
                    .bind(next)
                    .bind(to_json(calendar)?)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_fk(res, "clinic_not_found")?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "clinic_calendar_set", "clinic", Some(clinic_id.to_string()),
                    serde_json::json!({"version": next, "calendar": calendar})).await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn create_plan(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                patient_id: uuid::Uuid,
                facts: &jousei_core::plan::PlanFacts,
            ) -> $crate::Result<$crate::plan::Plan> {
                use $crate::patient_imp::to_json;
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                if Self::count_in(&mut tx, "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2", clinic_id, patient_id).await? == 0 {
                    return Err($crate::StoreError::Conflict("plan_patient_unknown"));
                }
                sqlx::query("INSERT INTO plans (id, clinic_id, patient_id, current_version, created_at) VALUES ($1, $2, $3, 1, $4)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(patient_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let sha = facts.fingerprint();
                sqlx::query("INSERT INTO plan_versions (plan_id, version, facts, sha256, reason, author_id, created_at) VALUES ($1, 1, $2, $3, NULL, $4, $5)")
                    .bind(id)
                    .bind(to_json(facts)?)
                    .bind(&sha)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "plan_created", "plan", Some(id.to_string()),
                    serde_json::json!({"patient_id": patient_id, "version": 1, "sha256": sha, "indication": facts.indication_code, "route": facts.route})).await?;
                tx.commit().await?;
                Ok($crate::plan::Plan { id, clinic_id, patient_id, version: 1, facts: facts.clone(), approval: None, created_at: now })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_plan(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                facts: &jousei_core::plan::PlanFacts,
                reason: &str,
            ) -> $crate::Result<$crate::plan::Plan> {
                use $crate::patient_imp::{changed_fields, to_json};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let mut p = Self::plan_in(&mut tx, clinic_id, id).await?;
                let next = p.version + 1;
                let sha = facts.fingerprint();
                sqlx::query("INSERT INTO plan_versions (plan_id, version, facts, sha256, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(next)
                    .bind(to_json(facts)?)
                    .bind(&sha)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE plans SET current_version = $2 WHERE id = $1")
                    .bind(id)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "plan_revised", "plan", Some(id.to_string()),
                    serde_json::json!({"version": next, "sha256": sha, "reason": reason, "changed": changed_fields(&p.facts, facts), "was_approved": p.approval.is_some()})).await?;
                tx.commit().await?;
                p.version = next;
                p.facts = facts.clone();
                p.approval = None;
                Ok(p)
            }

            #[tracing::instrument(skip_all)]
            async fn approve_plan(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                version: i64,
            ) -> $crate::Result<$crate::plan::Plan> {
                let Some(user_id) = actor.user_id else {
                    return Err($crate::StoreError::Conflict("plan_approver_required"));
                };
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let p = Self::plan_in(&mut tx, clinic_id, id).await?;
                if p.version != version {
                    return Err($crate::StoreError::Conflict("plan_version_stale"));
                }
                if p.approval.is_some() {
                    return Err($crate::StoreError::Conflict("plan_already_approved"));
                }
                let sha = p.facts.fingerprint();
                sqlx::query("INSERT INTO plan_approvals (plan_id, version, sha256, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id)
                    .bind(version)
                    .bind(&sha)
                    .bind(user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "plan_approved", "plan", Some(id.to_string()),
                    serde_json::json!({"version": version, "sha256": sha})).await?;
                let p = Self::plan_in(&mut tx, clinic_id, id).await?;
                tx.commit().await?;
                Ok(p)
            }

            #[tracing::instrument(skip_all)]
            async fn plan(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::plan::Plan>> {
                use $crate::plan_imp::*;
                let row: Option<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PLAN_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn plan_versions(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Vec<$crate::plan::PlanVersion>> {
                use $crate::plan_imp::*;
                let rows: Vec<PlanVersionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PLAN_VERSION_SELECT} WHERE p.clinic_id = $1 AND p.id = $2 ORDER BY v.version DESC"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn plans_of_patient(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid) -> $crate::Result<Vec<$crate::plan::Plan>> {
                use $crate::plan_imp::*;
                let rows: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PLAN_SELECT} WHERE p.clinic_id = $1 AND p.patient_id = $2 ORDER BY p.created_at DESC"
                )))
                .bind(clinic_id)
                .bind(patient_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn book_appointments(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &[$crate::plan::NewAppointment],
            ) -> $crate::Result<$crate::plan::Booking> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                for n in new {
                    if n.ends_at <= n.starts_at {
                        return Err($crate::StoreError::Conflict("appointment_times_invalid"));
                    }
                    if Self::count_in(&mut tx, "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2", clinic_id, n.patient_id).await? == 0 {
                        return Err($crate::StoreError::Conflict("appointment_patient_unknown"));
                    }
                    if let Some(plan_id) = n.plan_id {
                        let p = Self::plan_in(&mut tx, clinic_id, plan_id).await.map_err(|e| match e {
                            $crate::StoreError::NotFound => $crate::StoreError::Conflict("appointment_plan_unknown"),
                            e => e,
                        })?;
                        if p.patient_id != n.patient_id {
                            return Err($crate::StoreError::Conflict("appointment_plan_unknown"));
                        }
                    }
                    if let Some(staff) = n.staff_id
                        && Self::count_in(&mut tx, "SELECT COUNT(*) FROM user_clinics WHERE user_id = $1 AND clinic_id = $2", staff, clinic_id).await? == 0
                    {
                        return Err($crate::StoreError::Conflict("appointment_staff_unknown"));
                    }
                }
                let slots: Vec<jousei_core::plan::appointment::Slot> = new
                    .iter()
                    .map(|n| jousei_core::plan::appointment::Slot {
                        patient_id: n.patient_id,
                        room: n.room.clone(),
                        staff_id: n.staff_id,
                        starts_at: n.starts_at.0,
                        ends_at: n.ends_at.0,
                    })
                    .collect();
                let conflicts = Self::conflicts_in(&mut tx, clinic_id, &slots, &[]).await?;
                if !conflicts.is_empty() {
                    return Ok($crate::plan::Booking::Conflicts(conflicts));
                }
                let mut out = Vec::with_capacity(new.len());
                let now = $crate::Ts::now();
                for n in new {
                    let a = $crate::plan::Appointment {
                        id: uuid::Uuid::now_v7(),
                        clinic_id,
                        patient_id: n.patient_id,
                        plan_id: n.plan_id,
                        session_ordinal: n.session_ordinal,
                        proposed_date: n.proposed_date,
                        follows_course: n.follows_course,
                        room: n.room.clone(),
                        staff_id: n.staff_id,
                        starts_at: n.starts_at,
                        ends_at: n.ends_at,
                        status: jousei_core::plan::appointment::AppointmentStatus::Booked,
                        note: n.note.clone(),
                        created_at: now,
                    };
                    sqlx::query("INSERT INTO appointments (id, clinic_id, patient_id, plan_id, session_ordinal, proposed_date, follows_course, room, staff_id, starts_at, ends_at, status, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
                        .bind(a.id)
                        .bind(clinic_id)
                        .bind(a.patient_id)
                        .bind(a.plan_id)
                        .bind(a.session_ordinal.map(i64::from))
                        .bind(a.proposed_date.map(jiff_sqlx::Date::from))
                        .bind(a.follows_course)
                        .bind(&a.room)
                        .bind(a.staff_id)
                        .bind(a.starts_at)
                        .bind(a.ends_at)
                        .bind(a.status.as_str())
                        .bind(&a.note)
                        .bind(actor.user_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Self::add_event(&mut tx, actor, &a, "booked", None, None, None).await?;
                    Self::append_audit(&mut tx, actor, Some(clinic_id), "appointment_booked", "appointment", Some(a.id.to_string()),
                        serde_json::json!({"patient_id": a.patient_id, "plan_id": a.plan_id, "session_ordinal": a.session_ordinal, "room": a.room, "staff_id": a.staff_id, "starts_at": a.starts_at.0, "ends_at": a.ends_at.0})).await?;
                    out.push(a);
                }
                tx.commit().await?;
                Ok($crate::plan::Booking::Done(out))
            }

            #[tracing::instrument(skip_all)]
            async fn move_appointments(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                moves: &[$crate::plan::Move],
                reason: &str,
            ) -> $crate::Result<$crate::plan::Booking> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let mut current = Vec::with_capacity(moves.len());
                for m in moves {
                    if m.ends_at <= m.starts_at {
                        return Err($crate::StoreError::Conflict("appointment_times_invalid"));
                    }
                    let a = Self::appointment_in(&mut tx, clinic_id, m.id).await?;
                    if a.status != jousei_core::plan::appointment::AppointmentStatus::Booked {
                        return Err($crate::StoreError::Conflict("appointment_not_booked"));
                    }
                    current.push(a);
                }
                let ids: Vec<uuid::Uuid> = moves.iter().map(|m| m.id).collect();
                let slots: Vec<jousei_core::plan::appointment::Slot> = current
                    .iter()
                    .zip(moves)
                    .map(|(a, m)| jousei_core::plan::appointment::Slot {
                        starts_at: m.starts_at.0,
                        ends_at: m.ends_at.0,
                        ..a.slot()
                    })
                    .collect();
                let conflicts = Self::conflicts_in(&mut tx, clinic_id, &slots, &ids).await?;
                if !conflicts.is_empty() {
                    return Ok($crate::plan::Booking::Conflicts(conflicts));
                }
                let mut out = Vec::with_capacity(moves.len());
                for (mut a, m) in current.into_iter().zip(moves) {
                    let (from, to) = (a.starts_at, a.ends_at);
                    sqlx::query("UPDATE appointments SET starts_at = $2, ends_at = $3 WHERE id = $1")
                        .bind(a.id)
                        .bind(m.starts_at)
                        .bind(m.ends_at)
                        .execute(&mut *tx)
                        .await?;
                    a.starts_at = m.starts_at;
                    a.ends_at = m.ends_at;
                    Self::add_event(&mut tx, actor, &a, "moved", Some(a.status), None, Some(reason)).await?;
                    Self::append_audit(&mut tx, actor, Some(clinic_id), "appointment_moved", "appointment", Some(a.id.to_string()),
                        serde_json::json!({"from": {"starts_at": from.0, "ends_at": to.0}, "to": {"starts_at": m.starts_at.0, "ends_at": m.ends_at.0}, "reason": reason})).await?;
                    out.push(a);
                }
                tx.commit().await?;
                Ok($crate::plan::Booking::Done(out))
            }

            #[tracing::instrument(skip_all)]
            async fn set_appointment_status(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                to: jousei_core::plan::appointment::AppointmentStatus,
                reason: Option<&str>,
            ) -> $crate::Result<$crate::plan::Appointment> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let a = Self::set_appointment_status_in(&mut tx, actor, clinic_id, id, to, reason).await?;
                tx.commit().await?;
                Ok(a)
            }

            #[tracing::instrument(skip_all)]
            async fn undo_appointment_status(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                reason: &str,
            ) -> $crate::Result<$crate::plan::Appointment> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let mut a = Self::appointment_in(&mut tx, clinic_id, id).await?;
                let events = Self::events_in(&mut tx, id).await?;
                let Some(last) = $crate::plan_imp::undoable(&events) else {
                    return Err($crate::StoreError::Conflict("appointment_nothing_to_undo"));
                };
                let (undone, back) = match last.from_status {
                    Some(s) if last.to_status == a.status => (last.seq, s),
                    _ => return Err($crate::StoreError::Conflict("appointment_nothing_to_undo")),
                };
                if !a.status.holds_slot() && back.holds_slot()
                    && !Self::conflicts_in(&mut tx, clinic_id, &[a.slot()], &[id]).await?.is_empty()
                {
                    return Err($crate::StoreError::Conflict("appointment_conflict"));
                }
                let from = a.status;
                sqlx::query("UPDATE appointments SET status = $2 WHERE id = $1")
                    .bind(id)
                    .bind(back.as_str())
                    .execute(&mut *tx)
                    .await?;
                a.status = back;
                let seq = Self::add_event(&mut tx, actor, &a, "undo", Some(from), Some(undone), Some(reason)).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "appointment_status_undone", "appointment", Some(id.to_string()),
                    serde_json::json!({"from": from, "to": back, "event": seq, "undoes": undone, "reason": reason})).await?;
                tx.commit().await?;
                Ok(a)
            }

            #[tracing::instrument(skip_all)]
            async fn appointment(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::plan::Appointment>> {
                use $crate::plan_imp::*;
                let row: Option<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn appointment_events(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Vec<$crate::plan::AppointmentEvent>> {
                use $crate::plan_imp::*;
                let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{EVENT_SELECT} WHERE a.clinic_id = $1 AND e.appointment_id = $2 ORDER BY e.seq"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn appointments_between(&self, clinic_id: uuid::Uuid, from: $crate::Ts, to: $crate::Ts) -> $crate::Result<Vec<$crate::plan::Appointment>> {
                use $crate::plan_imp::*;
                let rows: Vec<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at, id"
                )))
                .bind(clinic_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn appointments_of_plan(&self, clinic_id: uuid::Uuid, plan_id: uuid::Uuid) -> $crate::Result<Vec<$crate::plan::Appointment>> {
                use $crate::plan_imp::*;
                let rows: Vec<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND plan_id = $2 ORDER BY session_ordinal, starts_at, id"
                )))
                .bind(clinic_id)
                .bind(plan_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(crate) use plan_impl;
