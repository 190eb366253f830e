// Contracts, for [`crate::commerce::CommerceStore`] (making one, its PDFs and
// their handover, cancellation, reads): the contract helpers and the bodies
// of those trait methods, as `do_<method>`, which the trait impl in
// `sql/commerce.rs` forwards to. Included like `sql/commerce.rs`; rows and
// SQL: `commerce_imp.rs`.

impl S {
    /// The clinic's contracts that `filter` (appended to `WHERE
    /// c.clinic_id = $1`, binding `key` as `$2` when given) selects,
    /// newest first, read through `conn`.
    async fn contracts_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        filter: &'static str,
        key: Option<uuid::Uuid>,
    ) -> crate::Result<Vec<crate::commerce::Contract>> {
        use crate::commerce_imp::*;
        let rows: Vec<ContractRow> = Self::rows_keyed(
            &mut *conn,
            format!("{CONTRACT_SELECT} WHERE c.clinic_id = $1{filter}{CONTRACT_ORDER}"),
            clinic_id,
            key,
        )
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let lines: Vec<LineRow> = Self::rows_keyed(
            &mut *conn,
            format!("{LINE_SELECT} WHERE c.clinic_id = $1{filter}"),
            clinic_id,
            key,
        )
        .await?;
        let documents: Vec<DocumentRow> = Self::rows_keyed(
            &mut *conn,
            format!("{DOCUMENT_SELECT} WHERE c.clinic_id = $1{filter}"),
            clinic_id,
            key,
        )
        .await?;
        let used: Vec<(uuid::Uuid, i64)> = Self::rows_keyed(
            &mut *conn,
            format!("{USED_SELECT} WHERE c.clinic_id = $1{filter} GROUP BY c.id"),
            clinic_id,
            key,
        )
        .await?;
        let paid: Vec<(uuid::Uuid, Option<i64>)> = Self::rows_keyed(
            &mut *conn,
            format!("{PAID_SELECT} WHERE c.clinic_id = $1{filter} GROUP BY c.id"),
            clinic_id,
            key,
        )
        .await?;
        assemble_contracts(rows, lines, documents, used, paid)
    }

    async fn contract_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::Contract>> {
        Ok(
            Self::contracts_on(conn, clinic_id, " AND c.id = $2", Some(id))
                .await?
                .pop(),
        )
    }

    async fn contract_document_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::ContractDocument>> {
        use crate::commerce_imp::*;
        let row: Option<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{DOCUMENT_SELECT} WHERE c.clinic_id = $1 AND d.id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn do_create_contract(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::commerce::NewContract,
    ) -> crate::Result<crate::commerce::Contract> {
        use crate::StoreError::{Conflict, NotFound};
        if !crate::commerce_imp::PAYMENT_PLANS.contains(&new.payment_plan.as_str()) {
            return Err(Conflict("payment_plan_invalid"));
        }
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let zone: Option<(String,)> = sqlx::query_as("SELECT time_zone FROM clinics WHERE id = $1")
            .bind(clinic_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (zone,) = zone.ok_or(NotFound)?;
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
        if let Some(plan_id) = new.plan_id {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM plans WHERE clinic_id = $1 AND id = $2 AND patient_id = $3",
            )
            .bind(clinic_id)
            .bind(plan_id)
            .bind(new.patient_id)
            .fetch_one(&mut *tx)
            .await?;
            if n == 0 {
                return Err(NotFound);
            }
        }
        for line in &new.lines {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM price_item_versions v JOIN price_items p ON p.id = v.price_item_id WHERE p.clinic_id = $1 AND v.price_item_id = $2 AND v.version = $3")
                .bind(clinic_id)
                .bind(line.price_item_id)
                .bind(line.price_item_version)
                .fetch_one(&mut *tx)
                .await?;
            if n == 0 {
                return Err(NotFound);
            }
        }
        let starts_at = crate::commerce_imp::start_of_day(new.starts_on, &zone)?;
        let (last,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(seq) FROM contracts WHERE clinic_id = $1")
                .bind(clinic_id)
                .fetch_one(&mut *tx)
                .await?;
        let seq = last.unwrap_or(0) + 1;
        let number = crate::commerce_imp::contract_number(seq);
        let res = sqlx::query("INSERT INTO contracts (id, clinic_id, patient_id, plan_id, seq, number, total, sessions, starts_on, starts_at, ends_on, payment_plan, covered, coverage, terms, status, cancelled_on, cancellation, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'active', NULL, NULL, $16, $17)")
            .bind(id)
            .bind(clinic_id)
            .bind(new.patient_id)
            .bind(new.plan_id)
            .bind(seq)
            .bind(&number)
            .bind(new.total)
            .bind(i64::from(new.sessions))
            .bind(jiff_sqlx::Date::from(new.starts_on))
            .bind(starts_at)
            .bind(new.ends_on.map(jiff_sqlx::Date::from))
            .bind(&new.payment_plan)
            .bind(new.covered)
            .bind(new.coverage.to_string())
            .bind(new.terms.to_string())
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "contract_number_taken")?;
        for (ordinal, line) in (0_i64..).zip(new.lines.iter()) {
            sqlx::query("INSERT INTO contract_lines (contract_id, ordinal, price_item_id, price_item_version, name_ja, quantity, unit_price, tax_rate, sessions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(id)
                .bind(ordinal)
                .bind(line.price_item_id)
                .bind(line.price_item_version)
                .bind(&line.name_ja)
                .bind(i64::from(line.quantity))
                .bind(line.unit_price)
                .bind(line.tax_rate.as_str())
                .bind(i64::from(line.sessions))
                .execute(&mut *tx)
                .await?;
        }
        Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_made", "contract", Some(id.to_string()),
            serde_json::json!({"number": number, "patient_id": new.patient_id, "plan_id": new.plan_id,
                "lines": new.lines, "total": new.total, "sessions": new.sessions,
                "starts_on": new.starts_on, "ends_on": new.ends_on, "payment_plan": new.payment_plan,
                "covered": new.covered, "coverage": new.coverage, "terms": new.terms})).await?;
        let out = Self::contract_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    async fn do_contract(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::Contract>> {
        let mut conn = self.pool.acquire().await?;
        Self::contract_on(&mut conn, clinic_id, id).await
    }

    async fn do_contracts(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::Contract>> {
        let mut conn = self.pool.acquire().await?;
        Self::contracts_on(&mut conn, clinic_id, "", None).await
    }

    async fn do_contracts_of_patient(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::Contract>> {
        let mut conn = self.pool.acquire().await?;
        Self::contracts_on(
            &mut conn,
            clinic_id,
            " AND c.patient_id = $2",
            Some(patient_id),
        )
        .await
    }

    async fn do_keep_contract_document(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        kind: &str,
        pdf: &[u8],
        sha256: &str,
    ) -> crate::Result<crate::commerce::ContractDocument> {
        use crate::StoreError::Conflict;
        if !crate::commerce_imp::DOCUMENT_KINDS.contains(&kind) {
            return Err(Conflict("contract_document_kind_invalid"));
        }
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        Self::contract_status_in(&mut tx, clinic_id, contract_id).await?;
        let (kept,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM contract_documents WHERE contract_id = $1 AND kind = $2",
        )
        .bind(contract_id)
        .bind(kind)
        .fetch_one(&mut *tx)
        .await?;
        if kept > 0 {
            return Err(Conflict("contract_document_exists"));
        }
        let res = sqlx::query("INSERT INTO contract_documents (id, clinic_id, contract_id, kind, sha256, pdf, made_by, made_at, handed_over_by, received_on, handed_over_at, handed_over_recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL)")
            .bind(id)
            .bind(clinic_id)
            .bind(contract_id)
            .bind(kind)
            .bind(sha256)
            .bind(pdf)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "contract_document_exists")?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_document_kept", "contract", Some(contract_id.to_string()),
            serde_json::json!({"document_id": id, "kind": kind, "sha256": sha256, "bytes": pdf.len()})).await?;
        tx.commit().await?;
        Ok(crate::commerce::ContractDocument {
            id,
            contract_id,
            kind: kind.to_string(),
            sha256: sha256.to_string(),
            made_at: now,
            handed_over_by: None,
            received_on: None,
            handed_over_at: None,
            handed_over_staff_id: None,
        })
    }

    async fn do_future_appointments_of_contract(
        &self,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        from: crate::Ts,
    ) -> crate::Result<Vec<uuid::Uuid>> {
        let rows: Vec<(uuid::Uuid,)> =
            sqlx::query_as(crate::commerce_imp::FUTURE_APPOINTMENTS_SELECT)
                .bind(clinic_id)
                .bind(contract_id)
                .bind(from)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn do_contract_document(
        &self,
        clinic_id: uuid::Uuid,
        document_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::ContractDocument>> {
        let mut conn = self.pool.acquire().await?;
        Self::contract_document_on(&mut conn, clinic_id, document_id).await
    }

    async fn do_contract_document_pdf(
        &self,
        clinic_id: uuid::Uuid,
        document_id: uuid::Uuid,
    ) -> crate::Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT pdf FROM contract_documents WHERE clinic_id = $1 AND id = $2")
                .bind(clinic_id)
                .bind(document_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(pdf,)| pdf))
    }

    async fn do_hand_over_document(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        document_id: uuid::Uuid,
        by: &str,
        received_on: jiff::civil::Date,
        staff_id: uuid::Uuid,
    ) -> crate::Result<crate::commerce::ContractDocument> {
        use crate::StoreError::{Conflict, NotFound};
        if !crate::commerce_imp::HANDOVER_METHODS.contains(&by) {
            return Err(Conflict("handover_method_invalid"));
        }
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let doc = Self::contract_document_on(&mut tx, clinic_id, document_id)
            .await?
            .ok_or(NotFound)?;
        if doc.handed_over_at.is_some() {
            return Err(Conflict("contract_document_handed_over"));
        }
        let now = crate::Ts::now();
        if Self::count_in(
            &mut tx,
            "SELECT COUNT(*) FROM user_clinics WHERE clinic_id = $1 AND user_id = $2",
            clinic_id,
            staff_id,
        )
        .await?
            == 0
        {
            return Err(Conflict("contract_handed_by_unknown"));
        }
        let n = sqlx::query("UPDATE contract_documents SET handed_over_by = $2, received_on = $3, handed_over_at = $4, handed_over_recorded_by = $5, handed_over_staff_id = $6 WHERE id = $1 AND handed_over_at IS NULL")
            .bind(document_id)
            .bind(by)
            .bind(jiff_sqlx::Date::from(received_on))
            .bind(now)
            .bind(actor.user_id)
            .bind(staff_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Conflict("contract_document_handed_over"));
        }
        Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_document_handed_over", "contract", Some(doc.contract_id.to_string()),
            serde_json::json!({"document_id": document_id, "kind": doc.kind, "by": by, "received_on": received_on, "staff_id": staff_id})).await?;
        tx.commit().await?;
        Ok(crate::commerce::ContractDocument {
            handed_over_by: Some(by.to_string()),
            received_on: Some(received_on),
            handed_over_at: Some(now),
            handed_over_staff_id: Some(staff_id),
            ..doc
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn do_cancel_contract(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        notice_on: jiff::civil::Date,
        quote: &serde_json::Value,
        refund: jousei_core::commerce::Yen,
        refund_method: &str,
    ) -> crate::Result<crate::commerce::Contract> {
        use crate::StoreError::{Conflict, NotFound};
        if refund < 0 {
            return Err(Conflict("refund_negative"));
        }
        if refund > 0 && !crate::commerce_imp::PAYMENT_METHODS.contains(&refund_method) {
            return Err(Conflict("payment_method_invalid"));
        }
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        if Self::contract_status_in(&mut tx, clinic_id, id).await? != "active" {
            return Err(Conflict("contract_not_active"));
        }
        // The future appointments of the contract end with it, in
        // this transaction, and the cancellation keeps their ids.
        let now = crate::Ts::now();
        let future: Vec<(uuid::Uuid,)> =
            sqlx::query_as(crate::commerce_imp::FUTURE_APPOINTMENTS_SELECT)
                .bind(clinic_id)
                .bind(id)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
        let reason = "契約の解約 / contract cancelled";
        let mut cancelled = Vec::new();
        for (appointment,) in future {
            Self::set_appointment_status_in(
                &mut tx,
                actor,
                clinic_id,
                appointment,
                jousei_core::plan::appointment::AppointmentStatus::Cancelled,
                Some(reason),
            )
            .await?;
            cancelled.push(appointment);
        }
        let mut kept = quote.clone();
        if let Some(fields) = kept.as_object_mut() {
            fields.insert(
                "appointments_cancelled".into(),
                serde_json::json!(cancelled),
            );
        }
        let n = sqlx::query("UPDATE contracts SET status = 'cancelled', cancelled_on = $2, cancellation = $3 WHERE id = $1 AND status = 'active'")
            .bind(id)
            .bind(jiff_sqlx::Date::from(notice_on))
            .bind(kept.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Conflict("contract_not_active"));
        }
        let refund_payment = if refund > 0 {
            let payment = Self::insert_payment(
                &mut tx,
                actor,
                clinic_id,
                id,
                &crate::commerce::NewPayment {
                    amount: -refund,
                    method: refund_method.to_string(),
                    note: Some("解約返金 / cancellation refund".into()),
                    at: crate::Ts::now(),
                },
            )
            .await?;
            Some(payment.id)
        } else {
            None
        };
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "contract_cancelled",
            "contract",
            Some(id.to_string()),
            serde_json::json!({"notice_on": notice_on, "quote": quote, "refund": refund,
                "refund_method": refund_method, "refund_payment_id": refund_payment,
                "appointments_cancelled": cancelled}),
        )
        .await?;
        let out = Self::contract_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }
}
