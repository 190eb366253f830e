// The implementation of [`crate::plan::PlanStore`], written once for both
// backends and included by `sqlite.rs` and `postgres.rs` (see `imp.rs`). Rows,
// SQL and helpers: `plan_imp.rs`.
// The appointment methods forward to `sql/plan_appointments.rs`.

impl S {
    async fn plan_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::plan::Plan> {
        use crate::plan_imp::*;
        let row: Option<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PLAN_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        row.ok_or(crate::StoreError::NotFound)?.try_into()
    }

    async fn count_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        sql: &'static str,
        a: uuid::Uuid,
        b: uuid::Uuid,
    ) -> crate::Result<i64> {
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(a)
            .bind(b)
            .fetch_one(&mut **tx)
            .await?;
        Ok(n)
    }

    #[allow(clippy::too_many_arguments)]
    async fn catalogue_version(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        table: &'static str,
        key: &'static str,
        body_column: &'static str,
        id: uuid::Uuid,
        version: i64,
        body: String,
        reason: Option<&str>,
    ) -> crate::Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({key}, version, {body_column}, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        )))
        .bind(id)
        .bind(version)
        .bind(body)
        .bind(reason)
        .bind(actor.user_id)
        .bind(crate::Ts::now())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn current_version_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        table: &'static str,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<i64> {
        let row: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT current_version FROM {table} WHERE clinic_id = $1 AND id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.ok_or(crate::StoreError::NotFound)?.0)
    }
}

#[async_trait::async_trait]
impl crate::plan::PlanStore for S {
    #[tracing::instrument(skip_all)]
    async fn create_indication(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        facts: &jousei_core::plan::IndicationFacts,
    ) -> crate::Result<crate::plan::Indication> {
        use crate::patient_imp::to_json;
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let res = sqlx::query("INSERT INTO indications (id, clinic_id, code, current_version, created_at) VALUES ($1, $2, $3, 1, $4)")
            .bind(id)
            .bind(clinic_id)
            .bind(&facts.code)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "indication_code_taken")?;
        Self::catalogue_version(
            &mut tx,
            actor,
            "indication_versions",
            "indication_id",
            "facts",
            id,
            1,
            to_json(facts)?,
            None,
        )
        .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "indication_created",
            "indication",
            Some(id.to_string()),
            serde_json::json!({"code": facts.code, "version": 1, "routes": facts.routes}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::plan::Indication {
            id,
            clinic_id,
            version: 1,
            facts: facts.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revise_indication(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        facts: &jousei_core::plan::IndicationFacts,
        reason: &str,
    ) -> crate::Result<crate::plan::Indication> {
        use crate::patient_imp::to_json;
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let next = Self::current_version_in(&mut tx, "indications", clinic_id, id).await? + 1;
        let res =
            sqlx::query("UPDATE indications SET code = $2, current_version = $3 WHERE id = $1")
                .bind(id)
                .bind(&facts.code)
                .bind(next)
                .execute(&mut *tx)
                .await;
        crate::imp::map_unique(res, "indication_code_taken")?;
        Self::catalogue_version(
            &mut tx,
            actor,
            "indication_versions",
            "indication_id",
            "facts",
            id,
            next,
            to_json(facts)?,
            Some(reason),
        )
        .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "indication_revised",
            "indication",
            Some(id.to_string()),
            serde_json::json!({"code": facts.code, "version": next, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::plan::Indication {
            id,
            clinic_id,
            version: next,
            facts: facts.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn indications(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::Indication>> {
        use crate::patient_imp::json;
        let rows: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as("SELECT i.id, i.current_version, v.facts FROM indications i JOIN indication_versions v ON v.indication_id = i.id AND v.version = i.current_version WHERE i.clinic_id = $1 ORDER BY i.code")
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(id, version, facts)| {
                Ok(crate::plan::Indication {
                    id,
                    clinic_id,
                    version,
                    facts: json(&facts)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn indication_by_code(
        &self,
        clinic_id: uuid::Uuid,
        code: &str,
    ) -> crate::Result<Option<crate::plan::Indication>> {
        use crate::patient_imp::json;
        let row: Option<(uuid::Uuid, i64, String)> = sqlx::query_as("SELECT i.id, i.current_version, v.facts FROM indications i JOIN indication_versions v ON v.indication_id = i.id AND v.version = i.current_version WHERE i.clinic_id = $1 AND i.code = $2")
            .bind(clinic_id)
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(id, version, facts)| {
            Ok(crate::plan::Indication {
                id,
                clinic_id,
                version,
                facts: json(&facts)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn create_protocol(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        protocol: &jousei_core::calendar::Protocol,
    ) -> crate::Result<crate::plan::ProtocolTemplate> {
        use crate::patient_imp::to_json;
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        sqlx::query("INSERT INTO protocols (id, clinic_id, current_version, created_at) VALUES ($1, $2, 1, $3)")
            .bind(id)
            .bind(clinic_id)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await?;
        Self::catalogue_version(
            &mut tx,
            actor,
            "protocol_versions",
            "protocol_id",
            "protocol",
            id,
            1,
            to_json(protocol)?,
            None,
        )
        .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "protocol_created",
            "protocol",
            Some(id.to_string()),
            serde_json::json!({"name": protocol.name, "version": 1}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::plan::ProtocolTemplate {
            id,
            clinic_id,
            version: 1,
            protocol: protocol.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revise_protocol(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        protocol: &jousei_core::calendar::Protocol,
        reason: &str,
    ) -> crate::Result<crate::plan::ProtocolTemplate> {
        use crate::patient_imp::to_json;
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let next = Self::current_version_in(&mut tx, "protocols", clinic_id, id).await? + 1;
        sqlx::query("UPDATE protocols SET current_version = $2 WHERE id = $1")
            .bind(id)
            .bind(next)
            .execute(&mut *tx)
            .await?;
        Self::catalogue_version(
            &mut tx,
            actor,
            "protocol_versions",
            "protocol_id",
            "protocol",
            id,
            next,
            to_json(protocol)?,
            Some(reason),
        )
        .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "protocol_revised",
            "protocol",
            Some(id.to_string()),
            serde_json::json!({"name": protocol.name, "version": next, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::plan::ProtocolTemplate {
            id,
            clinic_id,
            version: next,
            protocol: protocol.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn protocols(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::ProtocolTemplate>> {
        use crate::patient_imp::json;
        let rows: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as("SELECT p.id, p.current_version, v.protocol FROM protocols p JOIN protocol_versions v ON v.protocol_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 ORDER BY p.created_at")
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(id, version, p)| {
                Ok(crate::plan::ProtocolTemplate {
                    id,
                    clinic_id,
                    version,
                    protocol: json(&p)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn protocol(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::plan::ProtocolTemplate>> {
        use crate::patient_imp::json;
        let row: Option<(i64, String)> = sqlx::query_as("SELECT p.current_version, v.protocol FROM protocols p JOIN protocol_versions v ON v.protocol_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 AND p.id = $2")
            .bind(clinic_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(version, p)| {
            Ok(crate::plan::ProtocolTemplate {
                id,
                clinic_id,
                version,
                protocol: json(&p)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn clinic_calendar(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<jousei_core::calendar::ClinicCalendar> {
        use crate::patient_imp::json;
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        calendar: &jousei_core::calendar::ClinicCalendar,
    ) -> crate::Result<()> {
        use crate::patient_imp::to_json;
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
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        crate::imp::map_fk(res, "clinic_not_found")?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "clinic_calendar_set",
            "clinic",
            Some(clinic_id.to_string()),
            serde_json::json!({"version": next, "calendar": calendar}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_plan(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        facts: &jousei_core::plan::PlanFacts,
    ) -> crate::Result<crate::plan::Plan> {
        use crate::patient_imp::to_json;
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        if Self::count_in(
            &mut tx,
            "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2",
            clinic_id,
            patient_id,
        )
        .await?
            == 0
        {
            return Err(crate::StoreError::Conflict("plan_patient_unknown"));
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
        Ok(crate::plan::Plan {
            id,
            clinic_id,
            patient_id,
            version: 1,
            facts: facts.clone(),
            approval: None,
            created_at: now,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revise_plan(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        facts: &jousei_core::plan::PlanFacts,
        reason: &str,
    ) -> crate::Result<crate::plan::Plan> {
        use crate::patient_imp::{changed_fields, to_json};
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
            .bind(crate::Ts::now())
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
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        version: i64,
    ) -> crate::Result<crate::plan::Plan> {
        let Some(user_id) = actor.user_id else {
            return Err(crate::StoreError::Conflict("plan_approver_required"));
        };
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let p = Self::plan_in(&mut tx, clinic_id, id).await?;
        if p.version != version {
            return Err(crate::StoreError::Conflict("plan_version_stale"));
        }
        if p.approval.is_some() {
            return Err(crate::StoreError::Conflict("plan_already_approved"));
        }
        let sha = p.facts.fingerprint();
        sqlx::query("INSERT INTO plan_approvals (plan_id, version, sha256, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(version)
            .bind(&sha)
            .bind(user_id)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "plan_approved",
            "plan",
            Some(id.to_string()),
            serde_json::json!({"version": version, "sha256": sha}),
        )
        .await?;
        let p = Self::plan_in(&mut tx, clinic_id, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    #[tracing::instrument(skip_all)]
    async fn plan(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::plan::Plan>> {
        use crate::plan_imp::*;
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
    async fn plan_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::PlanVersion>> {
        use crate::plan_imp::*;
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
    async fn plans_of_patient(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::Plan>> {
        use crate::plan_imp::*;
        let rows: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PLAN_SELECT} WHERE p.clinic_id = $1 AND p.patient_id = $2 ORDER BY p.created_at DESC"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    // Appointments: the bodies are in sql/plan_appointments.rs.
    #[tracing::instrument(skip_all)]
    async fn book_appointments(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &[crate::plan::NewAppointment],
    ) -> crate::Result<crate::plan::Booking> {
        self.do_book_appointments(actor, clinic_id, new).await
    }

    #[tracing::instrument(skip_all)]
    async fn move_appointments(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        moves: &[crate::plan::Move],
        reason: &str,
    ) -> crate::Result<crate::plan::Booking> {
        self.do_move_appointments(actor, clinic_id, moves, reason)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn set_appointment_status(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        to: jousei_core::plan::appointment::AppointmentStatus,
        reason: Option<&str>,
    ) -> crate::Result<crate::plan::Appointment> {
        self.do_set_appointment_status(actor, clinic_id, id, to, reason)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn undo_appointment_status(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::plan::Appointment> {
        self.do_undo_appointment_status(actor, clinic_id, id, reason)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn appointment(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::plan::Appointment>> {
        self.do_appointment(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn appointment_events(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::AppointmentEvent>> {
        self.do_appointment_events(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn appointments_between(
        &self,
        clinic_id: uuid::Uuid,
        from: crate::Ts,
        to: crate::Ts,
    ) -> crate::Result<Vec<crate::plan::Appointment>> {
        self.do_appointments_between(clinic_id, from, to).await
    }

    #[tracing::instrument(skip_all)]
    async fn appointments_of_plan(
        &self,
        clinic_id: uuid::Uuid,
        plan_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::Appointment>> {
        self.do_appointments_of_plan(clinic_id, plan_id).await
    }
}
