// Consents, for [`crate::patient::PatientStore`] (consent templates and
// their versions, signed consents, their PDFs, withdrawal, same-day reasons):
// the bodies of those trait methods, as `do_<method>`, which the trait impl
// in `sql/patient.rs` forwards to. Included like `sql/patient.rs`; rows and
// SQL: `patient_imp.rs`.

impl S {
    async fn consent_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::patient::Consent> {
        use crate::patient_imp::*;
        Self::one_row::<_, ConsentRow, _>(
            &mut **tx,
            format!("{CONSENT_SELECT} WHERE c.clinic_id = $1 AND c.id = $2"),
            clinic_id,
            id,
        )
        .await?
        .ok_or(crate::StoreError::NotFound)
    }

    async fn template_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::patient::ConsentTemplate> {
        use crate::patient_imp::*;
        Self::one_row::<_, TemplateRow, _>(&mut **tx, format!("{TEMPLATE_SELECT} WHERE t.clinic_id = $1 AND t.id = $2 AND v.version = t.current_version"), clinic_id, id)
            .await?
            .ok_or(crate::StoreError::NotFound)
    }

    async fn insert_template_version(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        template_id: uuid::Uuid,
        version: i64,
        body: &jousei_core::patient::consent::TemplateBody,
        reason: Option<&str>,
    ) -> crate::Result<String> {
        let sha = body.sha256();
        sqlx::query("INSERT INTO consent_template_versions (template_id, version, body, sha256, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(template_id)
            .bind(version)
            .bind(crate::patient_imp::to_json(body)?)
            .bind(&sha)
            .bind(reason)
            .bind(actor.user_id)
            .bind(crate::Ts::now())
            .execute(&mut **tx)
            .await?;
        Ok(sha)
    }

    async fn do_create_consent_template(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        code: &str,
        body: &jousei_core::patient::consent::TemplateBody,
    ) -> crate::Result<crate::patient::ConsentTemplate> {
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("INSERT INTO consent_templates (id, clinic_id, code, current_version, product_kind, route, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
            .bind(id)
            .bind(clinic_id)
            .bind(code)
            .bind(body.product_kind.as_str())
            .bind(body.route.as_str())
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "consent_template_code_taken")?;
        let sha256 = Self::insert_template_version(&mut tx, actor, id, 1, body, None).await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "consent_template_created",
            "consent_template",
            Some(id.to_string()),
            serde_json::json!({"code": code, "version": 1, "sha256": sha256, "body": body}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::patient::ConsentTemplate {
            id,
            clinic_id,
            code: code.to_string(),
            version: 1,
            current_version: 1,
            body: body.clone(),
            sha256,
        })
    }

    async fn do_revise_consent_template(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        body: &jousei_core::patient::consent::TemplateBody,
        reason: &str,
    ) -> crate::Result<crate::patient::ConsentTemplate> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur = Self::template_in(&mut tx, clinic_id, id).await?;
        if cur.body.product_kind != body.product_kind || cur.body.route != body.route {
            return Err(crate::StoreError::Conflict(
                "consent_template_kind_immutable",
            ));
        }
        let next = cur.current_version + 1;
        let sha256 =
            Self::insert_template_version(&mut tx, actor, id, next, body, Some(reason)).await?;
        sqlx::query("UPDATE consent_templates SET current_version = $2 WHERE id = $1")
            .bind(id)
            .bind(next)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_template_revised", "consent_template", Some(id.to_string()),
            serde_json::json!({"code": cur.code, "version": next, "reason": reason, "sha256": sha256, "body": body})).await?;
        tx.commit().await?;
        Ok(crate::patient::ConsentTemplate {
            id,
            clinic_id,
            code: cur.code,
            version: next,
            current_version: next,
            body: body.clone(),
            sha256,
        })
    }

    async fn do_consent_templates(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::ConsentTemplate>> {
        use crate::patient_imp::*;
        let rows: Vec<TemplateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{TEMPLATE_SELECT} WHERE t.clinic_id = $1 AND v.version = t.current_version ORDER BY t.code"
        )))
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn do_consent_template(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        version: Option<i64>,
    ) -> crate::Result<Option<crate::patient::ConsentTemplate>> {
        use crate::patient_imp::*;
        let row: Option<TemplateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{TEMPLATE_SELECT} WHERE t.clinic_id = $1 AND t.id = $2 AND v.version = COALESCE($3, t.current_version)"
        )))
        .bind(clinic_id)
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn do_consent_template_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::ConsentTemplateVersion>> {
        use crate::patient_imp::*;
        let rows: Vec<TemplateVersionTuple> = sqlx::query_as(
            "SELECT v.version, v.body, v.sha256, v.reason, v.author_id, v.created_at FROM consent_template_versions v JOIN consent_templates t ON t.id = v.template_id WHERE t.clinic_id = $1 AND t.id = $2 ORDER BY v.version DESC",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(version, body, sha256, reason, author_id, created_at)| {
                Ok(crate::patient::ConsentTemplateVersion {
                    version,
                    body: json(&body)?,
                    sha256,
                    reason,
                    author_id,
                    created_at,
                })
            })
            .collect()
    }

    async fn do_record_consent(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        new: &crate::patient::NewConsent,
    ) -> crate::Result<crate::patient::Consent> {
        use crate::patient_imp::*;
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        Self::patient_in(&mut tx, clinic_id, patient_id).await?;
        let template = Self::template_in(&mut tx, clinic_id, new.template_id).await?;
        if template.current_version != new.template_version
            || template.sha256 != new.template_sha256
        {
            return Err(crate::StoreError::Conflict("consent_template_outdated"));
        }
        let same_day_at = new.same_day_reason.as_ref().map(|_| new.signed_at);
        let same_day_by = new.same_day_reason.as_ref().and(actor.user_id);
        sqlx::query("INSERT INTO consents (id, clinic_id, patient_id, template_id, template_version, template_sha256, locale, product_ids, text, text_sha256, signature_kind, signature, explained_by, witness_name, explained_at, first_explained_at, signed_at, recorded_by, same_day_reason, same_day_reason_by, same_day_reason_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
            .bind(id)
            .bind(clinic_id)
            .bind(patient_id)
            .bind(new.template_id)
            .bind(new.template_version)
            .bind(&new.template_sha256)
            .bind(new.locale.as_str())
            .bind(to_json(&new.product_ids)?)
            .bind(&new.text)
            .bind(&new.text_sha256)
            .bind(new.signature.kind())
            .bind(new.signature.bytes())
            .bind(new.explained_by)
            .bind(&new.witness_name)
            .bind(new.explained_at)
            .bind(new.first_explained_at)
            .bind(new.signed_at)
            .bind(actor.user_id)
            .bind(&new.same_day_reason)
            .bind(same_day_by)
            .bind(same_day_at)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_signed", "patient", Some(patient_id.to_string()),
            serde_json::json!({"part": "consent", "consent_id": id, "template": template.code, "template_version": new.template_version, "text_sha256": new.text_sha256, "explained_by": new.explained_by, "witness": new.witness_name.is_some(), "same_day_reason": new.same_day_reason.is_some()})).await?;
        let c = Self::consent_in(&mut tx, clinic_id, id).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn do_consents(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::patient::Consent>> {
        use crate::patient_imp::*;
        let rows: Vec<ConsentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{CONSENT_SELECT} WHERE c.clinic_id = $1 AND c.patient_id = $2 ORDER BY c.signed_at DESC, c.id DESC"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn do_consent(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::patient::Consent>> {
        use crate::patient_imp::*;
        Self::one_row::<_, ConsentRow, _>(
            &self.pool,
            format!("{CONSENT_SELECT} WHERE c.clinic_id = $1 AND c.id = $2"),
            clinic_id,
            id,
        )
        .await
    }

    async fn do_consent_text(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT text FROM consents WHERE clinic_id = $1 AND id = $2")
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(t,)| t))
    }

    async fn do_consent_signature(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<jousei_core::patient::consent::Signature>> {
        let row: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT signature_kind, signature FROM consents WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(kind, bytes)| {
            jousei_core::patient::consent::Signature::from_stored(&kind, bytes)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("signature kind {kind}")))
        })
        .transpose()
    }

    async fn do_keep_consent_pdf(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        consent_id: uuid::Uuid,
        pdf: &[u8],
    ) -> crate::Result<crate::patient::ConsentPdf> {
        use sha2::Digest as _;
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let c = Self::consent_in(&mut tx, clinic_id, consent_id).await?;
        let kept: Option<(String, Vec<u8>, crate::Ts)> = sqlx::query_as("SELECT sha256, pdf, created_at FROM consent_pdfs WHERE clinic_id = $1 AND consent_id = $2")
            .bind(clinic_id)
            .bind(consent_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((sha256, pdf, created_at)) = kept {
            return Ok(crate::patient::ConsentPdf {
                consent_id,
                sha256,
                pdf,
                created_at,
            });
        }
        let sha256 = hex::encode(sha2::Sha256::digest(pdf));
        let now = crate::Ts::now();
        sqlx::query("INSERT INTO consent_pdfs (consent_id, clinic_id, sha256, pdf, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(consent_id)
            .bind(clinic_id)
            .bind(&sha256)
            .bind(pdf)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "consent_pdf_kept", "patient", Some(c.patient_id.to_string()),
            serde_json::json!({"part": "consent", "consent_id": consent_id, "sha256": sha256, "bytes": pdf.len()})).await?;
        tx.commit().await?;
        Ok(crate::patient::ConsentPdf {
            consent_id,
            sha256,
            pdf: pdf.to_vec(),
            created_at: now,
        })
    }

    async fn do_consent_pdf(
        &self,
        clinic_id: uuid::Uuid,
        consent_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::patient::ConsentPdf>> {
        let row: Option<(String, Vec<u8>, crate::Ts)> = sqlx::query_as("SELECT sha256, pdf, created_at FROM consent_pdfs WHERE clinic_id = $1 AND consent_id = $2")
            .bind(clinic_id)
            .bind(consent_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(
            row.map(|(sha256, pdf, created_at)| crate::patient::ConsentPdf {
                consent_id,
                sha256,
                pdf,
                created_at,
            }),
        )
    }

    async fn do_first_explanation(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
        template_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::Ts>> {
        let row: Option<(crate::Ts,)> = sqlx::query_as("SELECT first_explained_at FROM consents WHERE clinic_id = $1 AND patient_id = $2 AND template_id = $3 ORDER BY first_explained_at LIMIT 1")
            .bind(clinic_id)
            .bind(patient_id)
            .bind(template_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(t,)| t))
    }

    async fn do_withdraw_consent(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::patient::Consent> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let c = Self::consent_in(&mut tx, clinic_id, id).await?;
        if c.state == jousei_core::patient::consent::ConsentState::Withdrawn {
            return Err(crate::StoreError::Conflict("consent_already_withdrawn"));
        }
        sqlx::query("UPDATE consents SET withdrawn_at = $2, withdrawn_reason = $3, withdrawn_by = $4 WHERE id = $1 AND withdrawn_at IS NULL")
            .bind(id)
            .bind(crate::Ts::now())
            .bind(reason)
            .bind(actor.user_id)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "consent_withdrawn",
            "patient",
            Some(c.patient_id.to_string()),
            serde_json::json!({"part": "consent", "consent_id": id, "reason": reason}),
        )
        .await?;
        let c = Self::consent_in(&mut tx, clinic_id, id).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn do_record_same_day_reason(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::patient::Consent> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let c = Self::consent_in(&mut tx, clinic_id, id).await?;
        if c.state == jousei_core::patient::consent::ConsentState::Withdrawn {
            return Err(crate::StoreError::Conflict("consent_withdrawn"));
        }
        if c.same_day_reason.is_some() {
            return Err(crate::StoreError::Conflict(
                "consent_same_day_reason_recorded",
            ));
        }
        sqlx::query("UPDATE consents SET same_day_reason = $2, same_day_reason_by = $3, same_day_reason_at = $4 WHERE id = $1 AND same_day_reason IS NULL")
            .bind(id)
            .bind(reason)
            .bind(actor.user_id)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "consent_same_day_reason",
            "patient",
            Some(c.patient_id.to_string()),
            serde_json::json!({"part": "consent", "consent_id": id, "reason": reason}),
        )
        .await?;
        let c = Self::consent_in(&mut tx, clinic_id, id).await?;
        tx.commit().await?;
        Ok(c)
    }
}
