// The implementation of [`crate::patient::PatientStore`], written once for both
// backends and included by `sqlite.rs` and `postgres.rs` (see `imp.rs`). Rows,
// SQL and helpers: `patient_imp.rs`.
// The consent methods forward to `sql/patient_consent.rs`.

impl S {
    /// One row of `select` (which ends in `WHERE` conditions on
    /// `$1` = clinic and `$2` = id), converted; `None` when absent.
    async fn one_row<'e, E, R, T>(
        exec: E,
        select: String,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<T>>
    where
        E: sqlx::Executor<'e, Database = Db>,
        R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
        T: TryFrom<R, Error = crate::StoreError>,
    {
        let row: Option<R> = sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(clinic_id)
            .bind(id)
            .fetch_optional(exec)
            .await?;
        row.map(T::try_from).transpose()
    }

    async fn patient_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::patient::Patient> {
        use crate::patient_imp::*;
        Self::one_row::<_, PatientRow, _>(
            &mut **tx,
            format!("{PATIENT_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"),
            clinic_id,
            id,
        )
        .await?
        .ok_or(crate::StoreError::NotFound)
    }

    async fn screening_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::patient::Screening> {
        use crate::patient_imp::*;
        Self::one_row::<_, ScreeningRow, _>(
            &mut **tx,
            format!("{SCREENING_SELECT} WHERE s.clinic_id = $1 AND s.id = $2"),
            clinic_id,
            id,
        )
        .await?
        .ok_or(crate::StoreError::NotFound)
    }
}

#[async_trait::async_trait]
impl crate::patient::PatientStore for S {
    #[tracing::instrument(skip_all)]
    async fn create_patient(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::patient::NewPatient,
    ) -> crate::Result<crate::patient::Patient> {
        use crate::patient_imp::*;
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let number = match &new.number {
            Some(n) => n.clone(),
            None => {
                let (mut count,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM patients WHERE clinic_id = $1")
                        .bind(clinic_id)
                        .fetch_one(&mut *tx)
                        .await?;
                loop {
                    let candidate = jousei_core::patient::registry::next_patient_number(count);
                    let taken: Option<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT id FROM patients WHERE clinic_id = $1 AND number = $2",
                    )
                    .bind(clinic_id)
                    .bind(&candidate)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if taken.is_none() {
                        break candidate;
                    }
                    count += 1;
                }
            }
        };
        let res = sqlx::query("INSERT INTO patients (id, clinic_id, number, current_version, kana_key, birth_date, phone, data_consent_method, data_consent_at, data_consent_by, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $8)")
            .bind(id)
            .bind(clinic_id)
            .bind(&number)
            .bind(new.facts.kana.key())
            .bind(jiff_sqlx::Date::from(new.facts.birth_date))
            .bind(new.facts.phone.as_str())
            .bind(new.data_consent_method.as_str())
            .bind(now)
            .bind(actor.user_id)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "patient_number_taken")?;
        sqlx::query("INSERT INTO patient_versions (patient_id, version, facts, reason, author_id, created_at) VALUES ($1, 1, $2, NULL, $3, $4)")
            .bind(id)
            .bind(to_json(&new.facts)?)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "patient_created", "patient", Some(id.to_string()),
            serde_json::json!({"number": number, "version": 1, "data_consent_method": new.data_consent_method})).await?;
        tx.commit().await?;
        Ok(crate::patient::Patient {
            id,
            clinic_id,
            number,
            version: 1,
            facts: new.facts.clone(),
            data_consent: crate::patient::DataConsent {
                method: new.data_consent_method,
                at: now,
                recorded_by: actor.user_id,
            },
            created_at: now,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revise_patient(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        facts: &jousei_core::patient::registry::PatientFacts,
        reason: &str,
    ) -> crate::Result<crate::patient::Patient> {
        use crate::patient_imp::*;
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let mut p = Self::patient_in(&mut tx, clinic_id, id).await?;
        let next = p.version + 1;
        sqlx::query("INSERT INTO patient_versions (patient_id, version, facts, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(next)
            .bind(to_json(facts)?)
            .bind(reason)
            .bind(actor.user_id)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE patients SET current_version = $2, kana_key = $3, birth_date = $4, phone = $5 WHERE id = $1")
            .bind(id)
            .bind(next)
            .bind(facts.kana.key())
            .bind(jiff_sqlx::Date::from(facts.birth_date))
            .bind(facts.phone.as_str())
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "patient_revised", "patient", Some(id.to_string()),
            serde_json::json!({"version": next, "reason": reason, "changed": changed_fields(&p.facts, facts)})).await?;
        tx.commit().await?;
        p.version = next;
        p.facts = facts.clone();
        Ok(p)
    }

    #[tracing::instrument(skip_all)]
    async fn patient(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::patient::Patient>> {
        use crate::patient_imp::*;
        Self::one_row::<_, PatientRow, _>(
            &self.pool,
            format!("{PATIENT_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"),
            clinic_id,
            id,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn patients_by_ids(
        &self,
        clinic_id: uuid::Uuid,
        ids: &[uuid::Uuid],
    ) -> crate::Result<Vec<crate::patient::Patient>> {
        use crate::patient_imp::*;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "{PATIENT_SELECT} WHERE p.clinic_id = $1 AND p.id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query_as::<_, PatientRow>(sqlx::AssertSqlSafe(sql)).bind(clinic_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(crate::patient::Patient::try_from(row)?);
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn patient_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::PatientVersion>> {
        use crate::patient_imp::*;
        let rows: Vec<(i64, String, Option<String>, Option<uuid::Uuid>, crate::Ts)> = sqlx::query_as(
            "SELECT v.version, v.facts, v.reason, v.author_id, v.created_at FROM patient_versions v JOIN patients p ON p.id = v.patient_id WHERE p.clinic_id = $1 AND p.id = $2 ORDER BY v.version DESC",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(version, facts, reason, author_id, created_at)| {
                Ok(crate::patient::PatientVersion {
                    version,
                    facts: json(&facts)?,
                    reason,
                    author_id,
                    created_at,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn search_patients(
        &self,
        clinic_id: uuid::Uuid,
        q: &crate::patient::PatientSearch,
    ) -> crate::Result<Vec<crate::patient::Patient>> {
        use crate::patient_imp::*;
        let kana = q
            .kana_prefix
            .as_ref()
            .map(|k| format!("{}%", k.replace(['%', '_', '\\'], "")));
        let rows: Vec<PatientRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PATIENT_SELECT} WHERE p.clinic_id = $1 AND ($2 IS NULL OR p.kana_key LIKE $2) AND ($3 IS NULL OR p.number = $3) AND ($4 IS NULL OR p.phone = $4) AND ($5 IS NULL OR p.birth_date = $5) ORDER BY p.kana_key, p.number LIMIT $6"
        )))
        .bind(clinic_id)
        .bind(kana)
        .bind(q.number.as_deref())
        .bind(q.phone.as_deref())
        .bind(q.birth_date.map(jiff_sqlx::Date::from))
        .bind(q.limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn duplicate_candidates(
        &self,
        clinic_id: uuid::Uuid,
        kana_key: &str,
        birth_date: jiff::civil::Date,
        phone: &str,
    ) -> crate::Result<Vec<crate::patient::Patient>> {
        use crate::patient_imp::*;
        let rows: Vec<PatientRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PATIENT_SELECT} WHERE p.clinic_id = $1 AND ((p.kana_key = $2 AND p.birth_date = $3) OR p.phone = $4) ORDER BY p.number"
        )))
        .bind(clinic_id)
        .bind(kana_key)
        .bind(jiff_sqlx::Date::from(birth_date))
        .bind(phone)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn record_answers(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        new: &crate::patient::NewAnswers,
    ) -> crate::Result<(
        crate::patient::QuestionnaireResponse,
        crate::patient::Screening,
    )> {
        use crate::patient_imp::*;
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::patient_in(&mut tx, clinic_id, patient_id).await?;
        let response_id = uuid::Uuid::now_v7();
        sqlx::query("INSERT INTO questionnaire_responses (id, clinic_id, patient_id, questionnaire_version, answers, fingerprint, source, entered_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(response_id)
            .bind(clinic_id)
            .bind(patient_id)
            .bind(i64::from(new.questionnaire_version))
            .bind(to_json(&new.answers)?)
            .bind(&new.fingerprint)
            .bind(new.source.as_str())
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let screening_id = uuid::Uuid::now_v7();
        sqlx::query("INSERT INTO screenings (id, clinic_id, patient_id, response_id, answers_fingerprint, findings, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(screening_id)
            .bind(clinic_id)
            .bind(patient_id)
            .bind(response_id)
            .bind(&new.fingerprint)
            .bind(to_json(&new.findings)?)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let codes: Vec<&str> = new.findings.iter().map(|f| f.code.as_str()).collect();
        Self::append_audit(&mut tx, actor, Some(clinic_id), "questionnaire_answered", "patient", Some(patient_id.to_string()),
            serde_json::json!({"part": "questionnaire", "response_id": response_id, "screening_id": screening_id, "questionnaire_version": new.questionnaire_version, "source": new.source, "findings": codes})).await?;
        tx.commit().await?;
        Ok((
            crate::patient::QuestionnaireResponse {
                id: response_id,
                patient_id,
                questionnaire_version: new.questionnaire_version,
                answers: new.answers.clone(),
                fingerprint: new.fingerprint.clone(),
                source: new.source,
                entered_by: actor.user_id,
                created_at: now,
                review: None,
            },
            crate::patient::Screening {
                id: screening_id,
                patient_id,
                response_id,
                answers_fingerprint: new.fingerprint.clone(),
                findings: new.findings.clone(),
                created_by: actor.user_id,
                created_at: now,
                decision: None,
            },
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn questionnaire_responses(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::QuestionnaireResponse>> {
        use crate::patient_imp::*;
        let rows: Vec<ResponseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{RESPONSE_SELECT} WHERE r.clinic_id = $1 AND r.patient_id = $2 ORDER BY r.created_at DESC, r.id DESC"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn screenings(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::Screening>> {
        use crate::patient_imp::*;
        let rows: Vec<ScreeningRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SCREENING_SELECT} WHERE s.clinic_id = $1 AND s.patient_id = $2 ORDER BY s.created_at DESC, s.id DESC"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn screening(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::patient::Screening>> {
        use crate::patient_imp::*;
        Self::one_row::<_, ScreeningRow, _>(
            &self.pool,
            format!("{SCREENING_SELECT} WHERE s.clinic_id = $1 AND s.id = $2"),
            clinic_id,
            id,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn decide_screening(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        screening_id: uuid::Uuid,
        decision: &jousei_core::patient::screening::DecisionFacts,
    ) -> crate::Result<crate::patient::Screening> {
        use jousei_core::patient::screening::{ScreeningFacts, may_decide};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let s = Self::screening_in(&mut tx, clinic_id, screening_id).await?;
        let latest: Option<(String,)> = sqlx::query_as("SELECT fingerprint FROM questionnaire_responses WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(clinic_id)
            .bind(s.patient_id)
            .fetch_optional(&mut *tx)
            .await?;
        let latest = latest.map(|(f,)| f).unwrap_or_default();
        let facts = ScreeningFacts {
            answers_fingerprint: s.answers_fingerprint.clone(),
            decided: s
                .decision
                .as_ref()
                .map(|d| (d.facts.decision, d.decided_at.0, d.facts.valid_days)),
        };
        may_decide(&facts, &latest).map_err(crate::StoreError::Conflict)?;
        let now = crate::Ts::now();
        sqlx::query("UPDATE screenings SET decision = $2, decision_reason = $3, conditions = $4, valid_days = $5, decided_by = $6, decided_at = $7 WHERE id = $1 AND decision IS NULL")
            .bind(screening_id)
            .bind(decision.decision.as_str())
            .bind(&decision.reason)
            .bind(&decision.conditions)
            .bind(i64::from(decision.valid_days))
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "screening_decided", "patient", Some(s.patient_id.to_string()),
            serde_json::json!({"part": "screening", "screening_id": screening_id, "decision": decision.decision, "valid_days": decision.valid_days})).await?;
        let s = Self::screening_in(&mut tx, clinic_id, screening_id).await?;
        tx.commit().await?;
        Ok(s)
    }

    // Consents: the bodies are in sql/patient_consent.rs.
    #[tracing::instrument(skip_all)]
    async fn create_consent_template(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        code: &str,
        body: &jousei_core::patient::consent::TemplateBody,
    ) -> crate::Result<crate::patient::ConsentTemplate> {
        self.do_create_consent_template(actor, clinic_id, code, body)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn revise_consent_template(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        body: &jousei_core::patient::consent::TemplateBody,
        reason: &str,
    ) -> crate::Result<crate::patient::ConsentTemplate> {
        self.do_revise_consent_template(actor, clinic_id, id, body, reason)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn consent_templates(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::ConsentTemplate>> {
        self.do_consent_templates(clinic_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn consent_template(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        version: Option<i64>,
    ) -> crate::Result<Option<crate::patient::ConsentTemplate>> {
        self.do_consent_template(clinic_id, id, version).await
    }

    #[tracing::instrument(skip_all)]
    async fn consent_template_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::ConsentTemplateVersion>> {
        self.do_consent_template_versions(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn record_consent(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        new: &crate::patient::NewConsent,
    ) -> crate::Result<crate::patient::Consent> {
        self.do_record_consent(actor, clinic_id, patient_id, new)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn consents(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::Consent>> {
        self.do_consents(clinic_id, patient_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn consent(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::patient::Consent>> {
        self.do_consent(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn consent_text(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<String>> {
        self.do_consent_text(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn consent_signature(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<jousei_core::patient::consent::Signature>> {
        self.do_consent_signature(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn review_answers(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        response_id: uuid::Uuid,
        note: Option<&str>,
    ) -> crate::Result<crate::patient::QuestionnaireResponse> {
        use crate::patient_imp::*;
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let q = format!("{RESPONSE_SELECT} WHERE r.clinic_id = $1 AND r.id = $2");
        let r = Self::one_row::<_, ResponseRow, crate::patient::QuestionnaireResponse>(
            &mut *tx,
            q.clone(),
            clinic_id,
            response_id,
        )
        .await?
        .ok_or(crate::StoreError::NotFound)?;
        if r.review.is_some() {
            return Err(crate::StoreError::Conflict("answers_already_reviewed"));
        }
        let Some(user_id) = actor.user_id else {
            return Err(crate::StoreError::Conflict("answers_review_needs_staff"));
        };
        sqlx::query("INSERT INTO questionnaire_reviews (response_id, clinic_id, reviewed_by, reviewed_at, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(response_id)
            .bind(clinic_id)
            .bind(user_id)
            .bind(crate::Ts::now())
            .bind(note)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "answers_reviewed",
            "patient",
            Some(r.patient_id.to_string()),
            serde_json::json!({"part": "answers", "response_id": response_id, "note": note}),
        )
        .await?;
        let r = Self::one_row::<_, ResponseRow, crate::patient::QuestionnaireResponse>(
            &mut *tx,
            q,
            clinic_id,
            response_id,
        )
        .await?
        .ok_or(crate::StoreError::NotFound)?;
        tx.commit().await?;
        Ok(r)
    }

    #[tracing::instrument(skip_all)]
    async fn keep_consent_pdf(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        consent_id: uuid::Uuid,
        pdf: &[u8],
    ) -> crate::Result<crate::patient::ConsentPdf> {
        self.do_keep_consent_pdf(actor, clinic_id, consent_id, pdf)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn consent_pdf(
        &self,
        clinic_id: uuid::Uuid,
        consent_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::patient::ConsentPdf>> {
        self.do_consent_pdf(clinic_id, consent_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn first_explanation(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        template_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::Ts>> {
        self.do_first_explanation(clinic_id, patient_id, template_id)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn withdraw_consent(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::patient::Consent> {
        self.do_withdraw_consent(actor, clinic_id, id, reason).await
    }

    #[tracing::instrument(skip_all)]
    async fn record_same_day_reason(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::patient::Consent> {
        self.do_record_same_day_reason(actor, clinic_id, id, reason)
            .await
    }
}
