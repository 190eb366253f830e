// The implementation of [`crate::commerce::CommerceStore`], written once for
// both backends and included by `sqlite.rs` and `postgres.rs` (see `imp.rs`).
// Rows, SQL and helpers: `commerce_imp.rs`.
// The contract methods forward to `sql/commerce_contracts.rs`.

impl S {
    async fn price_item_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::PriceItem>> {
        use crate::commerce_imp::*;
        let row: Option<PriceItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PRICE_ITEM_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The status of the clinic's contract; `not_found` otherwise.
    async fn contract_status_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<String> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM contracts WHERE clinic_id = $1 AND id = $2")
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        row.map(|(s,)| s).ok_or(crate::StoreError::NotFound)
    }

    /// Inside the write transaction (after the write lock): the
    /// contract is active and `amount` received does not take what
    /// is paid above its total (`contract_not_active`,
    /// `payment_above_balance`). Read here, not before the
    /// transaction, so two payments cannot both pass one check.
    async fn check_balance_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        amount: jousei_core::commerce::Yen,
    ) -> crate::Result<()> {
        use crate::StoreError::Conflict;
        if Self::contract_status_in(tx, clinic_id, contract_id).await? != "active" {
            return Err(Conflict("contract_not_active"));
        }
        let (total, paid): (i64, Option<i64>) = sqlx::query_as("SELECT c.total, CAST((SELECT SUM(p.amount) FROM payments p WHERE p.contract_id = c.id) AS BIGINT) FROM contracts c WHERE c.clinic_id = $1 AND c.id = $2")
            .bind(clinic_id)
            .bind(contract_id)
            .fetch_one(&mut **tx)
            .await?;
        if paid.unwrap_or(0).saturating_add(amount) > total {
            return Err(Conflict("payment_above_balance"));
        }
        Ok(())
    }

    /// Writes a receipt with the clinic's next number and its audit
    /// entry (see `issue_receipt`).
    async fn insert_receipt(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::commerce::NewReceipt,
    ) -> crate::Result<crate::commerce::Receipt> {
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let (last,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(number) FROM receipts WHERE clinic_id = $1")
                .bind(clinic_id)
                .fetch_one(&mut **tx)
                .await?;
        let number = last.unwrap_or(0) + 1;
        let res = sqlx::query("INSERT INTO receipts (id, clinic_id, number, contract_id, payment_id, lines, tax, total, reissue_of, reverses, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(id)
            .bind(clinic_id)
            .bind(number)
            .bind(new.contract_id)
            .bind(new.payment_id)
            .bind(crate::patient_imp::to_json(&new.lines)?)
            .bind(new.tax.to_string())
            .bind(new.total)
            .bind(new.reissue_of)
            .bind(new.reverses)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut **tx)
            .await;
        crate::imp::map_unique(res, "receipt_number_taken")?;
        Self::append_audit(tx, actor, Some(clinic_id), "receipt_issued", "receipt", Some(id.to_string()),
            serde_json::json!({"number": number, "contract_id": new.contract_id, "payment_id": new.payment_id,
                "total": new.total, "tax": new.tax, "reissue_of": new.reissue_of, "reverses": new.reverses})).await?;
        Ok(crate::commerce::Receipt {
            id,
            clinic_id,
            number,
            contract_id: new.contract_id,
            payment_id: new.payment_id,
            lines: new.lines.clone(),
            tax: new.tax.clone(),
            total: new.total,
            reissue_of: new.reissue_of,
            reverses: new.reverses,
            issued_at: now,
            issued_by: actor.user_id,
        })
    }

    /// Writes a payment (positive: received, negative: refunded)
    /// with its audit entry.
    async fn insert_payment(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        new: &crate::commerce::NewPayment,
    ) -> crate::Result<crate::commerce::Payment> {
        use crate::StoreError::Conflict;
        if !crate::commerce_imp::PAYMENT_METHODS.contains(&new.method.as_str()) {
            return Err(Conflict("payment_method_invalid"));
        }
        if new.amount == 0 {
            return Err(Conflict("payment_amount_zero"));
        }
        let id = uuid::Uuid::now_v7();
        sqlx::query("INSERT INTO payments (id, clinic_id, contract_id, amount, method, note, at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id)
            .bind(clinic_id)
            .bind(contract_id)
            .bind(new.amount)
            .bind(&new.method)
            .bind(&new.note)
            .bind(new.at)
            .bind(actor.user_id)
            .bind(crate::Ts::now())
            .execute(&mut **tx)
            .await?;
        Self::append_audit(
            tx,
            actor,
            Some(clinic_id),
            "payment_recorded",
            "contract",
            Some(contract_id.to_string()),
            serde_json::json!({"payment_id": id, "amount": new.amount, "method": new.method,
                "note": new.note, "at": new.at.0}),
        )
        .await?;
        Ok(crate::commerce::Payment {
            id,
            contract_id,
            amount: new.amount,
            method: new.method.clone(),
            note: new.note.clone(),
            at: new.at,
            by: actor.user_id,
        })
    }
}

#[async_trait::async_trait]
impl crate::commerce::CommerceStore for S {
    #[tracing::instrument(skip_all)]
    async fn clinic_profile(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::ClinicProfile>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT profile FROM clinic_profiles WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(clinic_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(profile,)| crate::patient_imp::json(&profile))
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn set_clinic_profile(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        profile: &crate::commerce::ClinicProfile,
    ) -> crate::Result<crate::commerce::ClinicProfile> {
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let version = Self::next_clinic_version(&mut tx, clinic_id, "clinic_profiles").await?;
        let res = sqlx::query("INSERT INTO clinic_profiles (clinic_id, version, profile, author_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(clinic_id)
            .bind(version)
            .bind(crate::patient_imp::to_json(profile)?)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "clinic_profile_version_taken")?;
        let mut detail =
            serde_json::to_value(profile).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        if let Some(fields) = detail.as_object_mut() {
            fields.insert("version".into(), serde_json::json!(version));
        }
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "clinic_profile_set",
            "clinic",
            Some(clinic_id.to_string()),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(profile.clone())
    }

    #[tracing::instrument(skip_all)]
    async fn create_price_item(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        facts: &crate::commerce::PriceItemFacts,
    ) -> crate::Result<crate::commerce::PriceItem> {
        use crate::StoreError::{Conflict, NotFound};
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let (clinics,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics WHERE id = $1")
            .bind(clinic_id)
            .fetch_one(&mut *tx)
            .await?;
        if clinics == 0 {
            return Err(NotFound);
        }
        let (taken,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM price_items WHERE clinic_id = $1 AND code = $2 AND active = $3",
        )
        .bind(clinic_id)
        .bind(&facts.code)
        .bind(true)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Err(Conflict("price_item_code_taken"));
        }
        let res = sqlx::query("INSERT INTO price_items (id, clinic_id, code, current_version, active, created_by, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
            .bind(id)
            .bind(clinic_id)
            .bind(&facts.code)
            .bind(true)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "price_item_code_taken")?;
        sqlx::query("INSERT INTO price_item_versions (price_item_id, version, facts, reason, author_id, created_at) VALUES ($1, 1, $2, NULL, $3, $4)")
            .bind(id)
            .bind(crate::patient_imp::to_json(facts)?)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "price_item_created",
            "price_item",
            Some(id.to_string()),
            serde_json::to_value(facts).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
        )
        .await?;
        tx.commit().await?;
        Ok(crate::commerce::PriceItem {
            id,
            clinic_id,
            version: 1,
            active: true,
            facts: facts.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revise_price_item(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        facts: &crate::commerce::PriceItemFacts,
        reason: &str,
    ) -> crate::Result<crate::commerce::PriceItem> {
        use crate::StoreError::{Conflict, NotFound};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur = Self::price_item_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        if !cur.active {
            return Err(Conflict("price_item_retired"));
        }
        if cur.facts.code != facts.code {
            return Err(Conflict("price_item_code_immutable"));
        }
        let next = cur.version + 1;
        let now = crate::Ts::now();
        sqlx::query("INSERT INTO price_item_versions (price_item_id, version, facts, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(next)
            .bind(crate::patient_imp::to_json(facts)?)
            .bind(reason)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE price_items SET current_version = $2 WHERE id = $1")
            .bind(id)
            .bind(next)
            .execute(&mut *tx)
            .await?;
        let changed = crate::patient_imp::changed_fields(&cur.facts, facts);
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "price_item_revised",
            "price_item",
            Some(id.to_string()),
            serde_json::json!({"version": next, "reason": reason, "changed": changed,
                "price": facts.price, "tax_rate": facts.tax_rate, "sessions": facts.sessions}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::commerce::PriceItem {
            id,
            clinic_id,
            version: next,
            active: true,
            facts: facts.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn retire_price_item(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::commerce::PriceItem> {
        use crate::StoreError::{Conflict, NotFound};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur = Self::price_item_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        if !cur.active {
            return Err(Conflict("price_item_retired"));
        }
        sqlx::query("UPDATE price_items SET active = $2 WHERE id = $1")
            .bind(id)
            .bind(false)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "price_item_retired",
            "price_item",
            Some(id.to_string()),
            serde_json::json!({"code": cur.facts.code, "version": cur.version}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::commerce::PriceItem {
            active: false,
            ..cur
        })
    }

    #[tracing::instrument(skip_all)]
    async fn price_items(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::PriceItem>> {
        use crate::commerce_imp::*;
        let rows: Vec<PriceItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PRICE_ITEM_SELECT} WHERE p.clinic_id = $1"
        )))
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        let mut items = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<crate::Result<Vec<crate::commerce::PriceItem>>>()?;
        sort_price_items(&mut items);
        Ok(items)
    }

    #[tracing::instrument(skip_all)]
    async fn price_item(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::PriceItem>> {
        let mut conn = self.pool.acquire().await?;
        Self::price_item_on(&mut conn, clinic_id, id).await
    }

    // Contracts: the bodies are in sql/commerce_contracts.rs.
    #[tracing::instrument(skip_all)]
    async fn create_contract(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::commerce::NewContract,
    ) -> crate::Result<crate::commerce::Contract> {
        self.do_create_contract(actor, clinic_id, new).await
    }

    #[tracing::instrument(skip_all)]
    async fn contract(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::Contract>> {
        self.do_contract(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn contracts(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::Contract>> {
        self.do_contracts(clinic_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn contracts_of_patient(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::Contract>> {
        self.do_contracts_of_patient(clinic_id, patient_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn keep_contract_document(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        kind: &str,
        pdf: &[u8],
        sha256: &str,
    ) -> crate::Result<crate::commerce::ContractDocument> {
        self.do_keep_contract_document(actor, clinic_id, contract_id, kind, pdf, sha256)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn future_appointments_of_contract(
        &self,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        from: crate::Ts,
    ) -> crate::Result<Vec<uuid::Uuid>> {
        self.do_future_appointments_of_contract(clinic_id, contract_id, from)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn contract_document(
        &self,
        clinic_id: uuid::Uuid,
        document_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::ContractDocument>> {
        self.do_contract_document(clinic_id, document_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn contract_document_pdf(
        &self,
        clinic_id: uuid::Uuid,
        document_id: uuid::Uuid,
    ) -> crate::Result<Option<Vec<u8>>> {
        self.do_contract_document_pdf(clinic_id, document_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn hand_over_document(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        document_id: uuid::Uuid,
        by: &str,
        received_on: jiff::civil::Date,
        staff_id: uuid::Uuid,
    ) -> crate::Result<crate::commerce::ContractDocument> {
        self.do_hand_over_document(actor, clinic_id, document_id, by, received_on, staff_id)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_contract(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        notice_on: jiff::civil::Date,
        quote: &serde_json::Value,
        refund: jousei_core::commerce::Yen,
        refund_method: &str,
    ) -> crate::Result<crate::commerce::Contract> {
        self.do_cancel_contract(
            actor,
            clinic_id,
            id,
            notice_on,
            quote,
            refund,
            refund_method,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn record_payment(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        new: &crate::commerce::NewPayment,
    ) -> crate::Result<crate::commerce::Payment> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        Self::check_balance_in(&mut tx, clinic_id, contract_id, new.amount).await?;
        let out = Self::insert_payment(&mut tx, actor, clinic_id, contract_id, new).await?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn record_payment_with_receipt(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
        new: &crate::commerce::NewPayment,
        receipt: &crate::commerce::NewReceipt,
    ) -> crate::Result<(crate::commerce::Payment, crate::commerce::Receipt)> {
        use crate::StoreError::Conflict;
        if receipt.total != new.amount || receipt.reissue_of.is_some() || receipt.reverses.is_some()
        {
            return Err(Conflict("receipt_total_mismatch"));
        }
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        Self::check_balance_in(&mut tx, clinic_id, contract_id, new.amount).await?;
        let payment = Self::insert_payment(&mut tx, actor, clinic_id, contract_id, new).await?;
        let receipt = Self::insert_receipt(
            &mut tx,
            actor,
            clinic_id,
            &crate::commerce::NewReceipt {
                contract_id: Some(contract_id),
                payment_id: Some(payment.id),
                ..receipt.clone()
            },
        )
        .await?;
        tx.commit().await?;
        Ok((payment, receipt))
    }

    #[tracing::instrument(skip_all)]
    async fn payments(
        &self,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::Payment>> {
        use crate::commerce_imp::*;
        let rows: Vec<PaymentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PAYMENT_SELECT} WHERE p.clinic_id = $1 AND p.contract_id = $2 ORDER BY p.at, p.id"
        )))
        .bind(clinic_id)
        .bind(contract_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn payments_between(
        &self,
        clinic_id: uuid::Uuid,
        from: crate::Ts,
        to: crate::Ts,
    ) -> crate::Result<Vec<crate::commerce::Payment>> {
        use crate::commerce_imp::*;
        let rows: Vec<PaymentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PAYMENT_SELECT} WHERE p.clinic_id = $1 AND p.at >= $2 AND p.at < $3 ORDER BY p.at, p.id"
        )))
        .bind(clinic_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn issue_receipt(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::commerce::NewReceipt,
    ) -> crate::Result<crate::commerce::Receipt> {
        use crate::StoreError::NotFound;
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        if let Some(contract_id) = new.contract_id {
            Self::contract_status_in(&mut tx, clinic_id, contract_id).await?;
        }
        if let Some(payment_id) = new.payment_id {
            let row: Option<(uuid::Uuid,)> =
                sqlx::query_as("SELECT contract_id FROM payments WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(payment_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (of,) = row.ok_or(NotFound)?;
            if new.contract_id.is_some_and(|c| c != of) {
                return Err(NotFound);
            }
        }
        for earlier in [new.reissue_of, new.reverses].into_iter().flatten() {
            if Self::count_in(
                &mut tx,
                "SELECT COUNT(*) FROM receipts WHERE clinic_id = $1 AND id = $2",
                clinic_id,
                earlier,
            )
            .await?
                == 0
            {
                return Err(NotFound);
            }
        }
        let out = Self::insert_receipt(&mut tx, actor, clinic_id, new).await?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn receipt(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::commerce::Receipt>> {
        use crate::commerce_imp::*;
        let row: Option<ReceiptRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{RECEIPT_SELECT} WHERE r.clinic_id = $1 AND r.id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn receipts_of_contract(
        &self,
        clinic_id: uuid::Uuid,
        contract_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::commerce::Receipt>> {
        use crate::commerce_imp::*;
        let rows: Vec<ReceiptRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{RECEIPT_SELECT} WHERE r.clinic_id = $1 AND r.contract_id = $2 ORDER BY r.number"
        )))
        .bind(clinic_id)
        .bind(contract_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
