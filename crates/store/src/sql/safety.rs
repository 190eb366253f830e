// The implementation of [`crate::safety::SafetyStore`], written once for both
// backends and included by `sqlite.rs` and `postgres.rs` (see `imp.rs`). Rows,
// SQL and helpers: `safety_imp.rs`.

impl S {
    /// The clinic's adverse events that `filter` (appended to
    /// `WHERE e.clinic_id = $1`, binding `key` as `$2` when given)
    /// selects, newest onset first, read through `conn`.
    async fn adverse_events_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        filter: &'static str,
        key: Option<uuid::Uuid>,
    ) -> crate::Result<Vec<crate::safety::AdverseEvent>> {
        use crate::safety_imp::*;
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
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::safety::AdverseEvent>> {
        Ok(
            Self::adverse_events_on(conn, clinic_id, " AND e.id = $2", Some(id))
                .await?
                .pop(),
        )
    }

    /// The clinic's recalls that `filter` (appended to `WHERE
    /// r.clinic_id = $1`, binding `key` as `$2` when given) selects,
    /// newest first, read through `conn`.
    async fn recalls_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        filter: &'static str,
        key: Option<uuid::Uuid>,
    ) -> crate::Result<Vec<crate::safety::Recall>> {
        use crate::safety_imp::*;
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
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::safety::Recall>> {
        Ok(
            Self::recalls_on(conn, clinic_id, " AND r.id = $2", Some(id))
                .await?
                .pop(),
        )
    }

    /// `not_found` unless every administration is the clinic's and
    /// the patient's.
    async fn check_involved(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        administration_ids: &[uuid::Uuid],
    ) -> crate::Result<()> {
        for id in crate::safety_imp::distinct(administration_ids) {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM administrations WHERE clinic_id = $1 AND id = $2 AND patient_id = $3",
            )
            .bind(clinic_id)
            .bind(id)
            .bind(patient_id)
            .fetch_one(&mut **tx)
            .await?;
            if n == 0 {
                return Err(crate::StoreError::NotFound);
            }
        }
        Ok(())
    }

    /// Writes one version of an event with the doses it names.
    #[allow(clippy::too_many_arguments)]
    async fn insert_adverse_event_version(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        id: uuid::Uuid,
        version: i64,
        facts: &jousei_core::safety::AdverseEventFacts,
        due_date: Option<jiff::civil::Date>,
        reason: Option<&str>,
        at: crate::Ts,
    ) -> crate::Result<()> {
        sqlx::query("INSERT INTO adverse_event_versions (adverse_event_id, version, facts, due_date, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(version)
            .bind(crate::patient_imp::to_json(facts)?)
            .bind(due_date.map(jiff_sqlx::Date::from))
            .bind(reason)
            .bind(actor.user_id)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        for administration_id in crate::safety_imp::distinct(&facts.administration_ids) {
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
impl crate::safety::SafetyStore for S {
    #[tracing::instrument(skip_all)]
    async fn report_adverse_event(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::safety::NewAdverseEvent,
    ) -> crate::Result<crate::safety::AdverseEvent> {
        use crate::StoreError::NotFound;
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        if Self::count_in(
            &mut tx,
            "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2",
            clinic_id,
            new.patient_id,
        )
        .await?
            == 0
        {
            return Err(NotFound);
        }
        Self::check_involved(
            &mut tx,
            clinic_id,
            new.patient_id,
            &new.facts.administration_ids,
        )
        .await?;
        sqlx::query("INSERT INTO adverse_events (id, clinic_id, patient_id, current_version, onset_at, reported_by, reported_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
            .bind(id)
            .bind(clinic_id)
            .bind(new.patient_id)
            .bind(crate::Ts::from(new.facts.onset_at))
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::insert_adverse_event_version(
            &mut tx,
            actor,
            id,
            1,
            &new.facts,
            new.due_date,
            None,
            now,
        )
        .await?;
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
        let out = Self::adverse_event_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn revise_adverse_event(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        expected_version: i64,
        facts: &jousei_core::safety::AdverseEventFacts,
        due_date: Option<jiff::civil::Date>,
        reason: &str,
    ) -> crate::Result<crate::safety::AdverseEvent> {
        use crate::StoreError::{Conflict, NotFound};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur = Self::adverse_event_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        if cur.version != expected_version {
            return Err(Conflict("adverse_event_version_stale"));
        }
        Self::check_involved(
            &mut tx,
            clinic_id,
            cur.patient_id,
            &facts.administration_ids,
        )
        .await?;
        let next = cur.version + 1;
        let now = crate::Ts::now();
        Self::insert_adverse_event_version(
            &mut tx,
            actor,
            id,
            next,
            facts,
            due_date,
            Some(reason),
            now,
        )
        .await?;
        sqlx::query("UPDATE adverse_events SET current_version = $2, onset_at = $3 WHERE id = $1")
            .bind(id)
            .bind(next)
            .bind(crate::Ts::from(facts.onset_at))
            .execute(&mut *tx)
            .await?;
        let mut changed = crate::patient_imp::changed_fields(&cur.facts, facts);
        if cur.due_date != due_date {
            changed.push("due_date".into());
        }
        Self::append_audit(&mut tx, actor, Some(clinic_id), "adverse_event_revised", "adverse_event", Some(id.to_string()),
            serde_json::json!({"version": next, "reason": reason, "changed": changed,
                "seriousness": facts.seriousness, "causality": facts.causality, "outcome": facts.outcome,
                "due_date": due_date})).await?;
        let out = Self::adverse_event_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn adverse_event(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::safety::AdverseEvent>> {
        let mut conn = self.pool.acquire().await?;
        Self::adverse_event_on(&mut conn, clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn adverse_event_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::safety::AdverseEventVersion>> {
        use crate::safety_imp::*;
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
    async fn adverse_events(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::safety::AdverseEvent>> {
        let mut conn = self.pool.acquire().await?;
        Self::adverse_events_on(&mut conn, clinic_id, "", None).await
    }

    #[tracing::instrument(skip_all)]
    async fn adverse_events_of_patient(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::safety::AdverseEvent>> {
        let mut conn = self.pool.acquire().await?;
        Self::adverse_events_on(
            &mut conn,
            clinic_id,
            " AND e.patient_id = $2",
            Some(patient_id),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn complete_follow_up(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        follow_up_id: uuid::Uuid,
        note: &str,
    ) -> crate::Result<crate::safety::FollowUp> {
        use crate::StoreError::{Conflict, NotFound};
        use crate::safety_imp::*;
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
        let now = crate::Ts::now();
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
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "follow_up_completed",
            "adverse_event",
            Some(row.adverse_event_id.to_string()),
            serde_json::json!({"follow_up_id": follow_up_id, "due_on": due_on}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::safety::FollowUp {
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        adverse_event_id: uuid::Uuid,
        new: &crate::safety::NewNotification,
    ) -> crate::Result<crate::safety::Notification> {
        use crate::StoreError::{Conflict, NotFound};
        if !crate::safety_imp::RECIPIENTS.contains(&new.recipient.as_str()) {
            return Err(Conflict("notification_recipient_invalid"));
        }
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        if Self::count_in(
            &mut tx,
            "SELECT COUNT(*) FROM adverse_events WHERE clinic_id = $1 AND id = $2",
            clinic_id,
            adverse_event_id,
        )
        .await?
            == 0
        {
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
        Ok(crate::safety::Notification {
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
    async fn reporting_policy(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::safety::ReportingPolicyVersion>> {
        use crate::safety_imp::*;
        let row: Option<PolicyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{POLICY_SELECT} WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1"
        )))
        .bind(clinic_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn reporting_policy_versions(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::safety::ReportingPolicyVersion>> {
        use crate::safety_imp::*;
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        policies: &jousei_core::safety::ReportingPolicies,
    ) -> crate::Result<crate::safety::ReportingPolicyVersion> {
        use crate::StoreError::Conflict;
        if policies.check().is_err() {
            return Err(Conflict("reporting_policy_invalid"));
        }
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let version = Self::next_clinic_version(&mut tx, clinic_id, "reporting_policies").await?;
        let res = sqlx::query("INSERT INTO reporting_policies (clinic_id, version, policy, author_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(clinic_id)
            .bind(version)
            .bind(crate::patient_imp::to_json(policies)?)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "reporting_policy_version_taken")?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "reporting_policy_set",
            "clinic",
            Some(clinic_id.to_string()),
            serde_json::json!({"version": version, "regimes": policies.regimes}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::safety::ReportingPolicyVersion {
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::safety::NewRecall,
    ) -> crate::Result<crate::safety::Recall> {
        use crate::StoreError::{Conflict, NotFound};
        use jousei_core::supply::lot::{LotAction, LotFacts, LotState, transition};
        let lot_ids = crate::safety_imp::distinct(&new.lot_ids);
        if lot_ids.is_empty() {
            return Err(Conflict("recall_no_lots"));
        }
        if new.reason.trim().is_empty() {
            return Err(Conflict("reason_required"));
        }
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
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
        let evidence =
            serde_json::json!({"recall_id": id, "scope": new.scope, "subject": new.subject});
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
            let t =
                transition(&facts, LotAction::Recall, Some(&new.reason)).map_err(|refusals| {
                    Conflict(refusals.first().map_or("lot_state_changed", |r| r.code))
                })?;
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
        let out = Self::recall_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn recalls(&self, clinic_id: uuid::Uuid) -> crate::Result<Vec<crate::safety::Recall>> {
        let mut conn = self.pool.acquire().await?;
        Self::recalls_on(&mut conn, clinic_id, "", None).await
    }

    #[tracing::instrument(skip_all)]
    async fn recall(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::safety::Recall>> {
        let mut conn = self.pool.acquire().await?;
        Self::recall_on(&mut conn, clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn record_recall_contact(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        recall_id: uuid::Uuid,
        new: &crate::safety::NewRecallContact,
    ) -> crate::Result<crate::safety::RecallContact> {
        use crate::StoreError::{Conflict, NotFound};
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let closed: Option<(Option<crate::Ts>,)> =
            sqlx::query_as("SELECT closed_at FROM recalls WHERE clinic_id = $1 AND id = $2")
                .bind(clinic_id)
                .bind(recall_id)
                .fetch_optional(&mut *tx)
                .await?;
        match closed {
            None => return Err(NotFound),
            Some((Some(_),)) => return Err(Conflict("recall_closed")),
            Some((None,)) => {}
        }
        if Self::count_in(
            &mut tx,
            "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2",
            clinic_id,
            new.patient_id,
        )
        .await?
            == 0
        {
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
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "recall_contact_recorded",
            "recall",
            Some(recall_id.to_string()),
            serde_json::json!({"contact_id": id, "patient_id": new.patient_id, "method": new.method,
                "outcome": new.outcome, "at": new.at.0}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::safety::RecallContact {
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        report: &str,
    ) -> crate::Result<crate::safety::Recall> {
        use crate::StoreError::{Conflict, NotFound};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let closed: Option<(Option<crate::Ts>,)> =
            sqlx::query_as("SELECT closed_at FROM recalls WHERE clinic_id = $1 AND id = $2")
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match closed {
            None => return Err(NotFound),
            Some((Some(_),)) => return Err(Conflict("recall_closed")),
            Some((None,)) => {}
        }
        let now = crate::Ts::now();
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
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "recall_closed",
            "recall",
            Some(id.to_string()),
            serde_json::json!({"report": report}),
        )
        .await?;
        let out = Self::recall_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }
}
