// Lots, for [`crate::supply::SupplyStore`] (receiving, changes, certificates,
// QC results): the bodies of those trait methods, as `do_<method>`, which the
// trait impl in `sql/supply.rs` forwards to. Included like `sql/supply.rs`;
// rows, SQL and helpers: `supply_imp.rs`.

impl S {
    async fn do_receive_lot(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::supply::NewLot,
    ) -> crate::Result<crate::supply::Lot> {
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let version: Option<(i64,)> =
            sqlx::query_as("SELECT current_version FROM products WHERE clinic_id = $1 AND id = $2")
                .bind(clinic_id)
                .bind(new.product_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((version,)) = version else {
            return Err(crate::StoreError::Conflict("product_not_found"));
        };
        let location = Self::location_in(&mut tx, clinic_id, new.location_id).await?;
        let (seq,): (i64,) =
            sqlx::query_as("UPDATE lot_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq")
                .fetch_one(&mut *tx)
                .await?;
        let res = sqlx::query("INSERT INTO lots (id, clinic_id, product_id, product_version, lot_number, expiry, state, held_from, supplier_ref, scan_raw, received_seq, received_at, received_by, expiry_time) VALUES ($1, $2, $3, $4, $5, $6, 'quarantined', NULL, $7, $8, $9, $10, $11, $12)")
            .bind(id)
            .bind(clinic_id)
            .bind(new.product_id)
            .bind(version)
            .bind(&new.lot_number)
            .bind(jiff_sqlx::Date::from(new.expiry))
            .bind(&new.supplier_ref)
            .bind(&new.scan_raw)
            .bind(seq)
            .bind(now)
            .bind(actor.user_id)
            .bind(new.expiry_time.map(|t| t.strftime("%H:%M").to_string()))
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "lot_exists")?;
        sqlx::query("INSERT INTO stock_movements (id, clinic_id, lot_id, location_id, delta, kind, reason, witness_id, actor_id, at) VALUES ($1, $2, $3, $4, $5, 'receive', NULL, NULL, $6, $7)")
            .bind(uuid::Uuid::now_v7())
            .bind(clinic_id)
            .bind(id)
            .bind(location.id)
            .bind(new.vials)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "lot_received", "lot", Some(id.to_string()),
            serde_json::json!({"product_id": new.product_id, "product_version": version, "lot_number": new.lot_number,
                "expiry": new.expiry.to_string(), "expiry_time": new.expiry_time.map(|t| t.strftime("%H:%M").to_string()), "location": location.code, "vials": new.vials, "scan": new.scan_raw})).await?;
        let lot = Self::lot_in(&mut tx, clinic_id, id).await?;
        tx.commit().await?;
        Ok(lot)
    }

    async fn do_lots(&self, clinic_id: uuid::Uuid) -> crate::Result<Vec<crate::supply::Lot>> {
        use crate::supply_imp::*;
        let rows: Vec<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOT_SELECT} WHERE l.clinic_id = $1 ORDER BY l.received_seq DESC"
        )))
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn do_lot(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::supply::Lot>> {
        use crate::supply_imp::*;
        let row: Option<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOT_SELECT} WHERE l.clinic_id = $1 AND l.id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn do_lot_events(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::LotEvent>> {
        let rows: Vec<crate::supply_imp::LotEventTuple> = sqlx::query_as(
            "SELECT e.action, e.from_state, e.to_state, e.reason, e.evidence, e.actor_id, u.login, e.at FROM lot_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.clinic_id = $1 AND e.lot_id = $2 ORDER BY e.at, e.id",
        )
        .bind(clinic_id)
        .bind(lot_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(action, from_state, to_state, reason, evidence, actor_id, actor_login, at)| {
                    crate::supply::LotEvent {
                        action,
                        from_state,
                        to_state,
                        reason,
                        evidence: serde_json::from_str(&evidence)
                            .unwrap_or(serde_json::Value::Null),
                        actor_id,
                        actor_login,
                        at,
                    }
                },
            )
            .collect())
    }

    async fn do_change_lot(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        change: &crate::supply::LotChange,
    ) -> crate::Result<crate::supply::Lot> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let n = sqlx::query("UPDATE lots SET state = $3, held_from = $4 WHERE clinic_id = $1 AND id = $2 AND state = $5")
            .bind(clinic_id)
            .bind(change.lot_id)
            .bind(change.transition.to.as_str())
            .bind(change.transition.held_from.map(|s| s.as_str()))
            .bind(change.expected_state.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            let exists = Self::lot_in(&mut tx, clinic_id, change.lot_id).await;
            return Err(match exists {
                Ok(_) => crate::StoreError::Conflict("lot_state_changed"),
                Err(e) => e,
            });
        }
        let now = crate::Ts::now();
        sqlx::query("INSERT INTO lot_events (id, clinic_id, lot_id, action, from_state, to_state, reason, evidence, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(uuid::Uuid::now_v7())
            .bind(clinic_id)
            .bind(change.lot_id)
            .bind(change.action.as_str())
            .bind(change.expected_state.as_str())
            .bind(change.transition.to.as_str())
            .bind(&change.reason)
            .bind(change.evidence.to_string())
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), &format!("lot_{}", change.action.as_str()), "lot", Some(change.lot_id.to_string()),
            serde_json::json!({"from": change.expected_state.as_str(), "to": change.transition.to.as_str(), "reason": change.reason, "evidence": change.evidence})).await?;
        let lot = Self::lot_in(&mut tx, clinic_id, change.lot_id).await?;
        tx.commit().await?;
        Ok(lot)
    }

    async fn do_add_certificate(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
        new: &crate::supply::NewCertificate,
    ) -> crate::Result<crate::supply::Certificate> {
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lot_in(&mut tx, clinic_id, lot_id).await?;
        let size = i64::try_from(new.data.len()).unwrap_or(i64::MAX);
        sqlx::query("INSERT INTO certificates (id, clinic_id, lot_id, filename, content_type, sha256, size, data, uploaded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(id)
            .bind(clinic_id)
            .bind(lot_id)
            .bind(&new.filename)
            .bind(&new.content_type)
            .bind(&new.sha256)
            .bind(size)
            .bind(&new.data)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "certificate_added", "lot", Some(lot_id.to_string()),
            serde_json::json!({"certificate_id": id, "filename": new.filename, "sha256": new.sha256, "size": size})).await?;
        tx.commit().await?;
        Ok(crate::supply::Certificate {
            id,
            lot_id,
            filename: new.filename.clone(),
            content_type: new.content_type.clone(),
            sha256: new.sha256.clone(),
            size,
            at: now,
        })
    }

    async fn do_certificates(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::Certificate>> {
        let rows: Vec<(uuid::Uuid, String, String, String, i64, crate::Ts)> = sqlx::query_as(
            "SELECT id, filename, content_type, sha256, size, at FROM certificates WHERE clinic_id = $1 AND lot_id = $2 ORDER BY at",
        )
        .bind(clinic_id)
        .bind(lot_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, filename, content_type, sha256, size, at)| crate::supply::Certificate {
                    id,
                    lot_id,
                    filename,
                    content_type,
                    sha256,
                    size,
                    at,
                },
            )
            .collect())
    }

    async fn do_certificate_data(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<(crate::supply::Certificate, Vec<u8>)>> {
        let row: Option<crate::supply_imp::CertificateDataTuple> = sqlx::query_as(
            "SELECT lot_id, filename, content_type, sha256, size, at, data FROM certificates WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(lot_id, filename, content_type, sha256, size, at, data)| {
                (
                    crate::supply::Certificate {
                        id,
                        lot_id,
                        filename,
                        content_type,
                        sha256,
                        size,
                        at,
                    },
                    data,
                )
            }),
        )
    }

    async fn do_add_qc_results(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
        results: &[jousei_core::supply::qc::QcResult],
        certificate_id: Option<uuid::Uuid>,
    ) -> crate::Result<()> {
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lot_in(&mut tx, clinic_id, lot_id).await?;
        for r in results {
            let outcome = serde_json::to_string(&r.outcome)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            let res = sqlx::query("INSERT INTO qc_results (id, clinic_id, lot_id, test, method, outcome, tested_on, certificate_id, entered_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(uuid::Uuid::now_v7())
                .bind(clinic_id)
                .bind(lot_id)
                .bind(r.test.as_str())
                .bind(&r.method)
                .bind(outcome)
                .bind(jiff_sqlx::Date::from(r.tested_on))
                .bind(certificate_id)
                .bind(actor.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await;
            crate::imp::map_fk(res, "certificate_not_found")?;
        }
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "qc_results_added",
            "lot",
            Some(lot_id.to_string()),
            serde_json::json!({"certificate_id": certificate_id, "results": results}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn do_qc_results(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::QcResultRow>> {
        let rows: Vec<crate::supply_imp::QcResultTuple> = sqlx::query_as(
            "SELECT id, test, method, outcome, tested_on, certificate_id, entered_by, at FROM qc_results WHERE clinic_id = $1 AND lot_id = $2 ORDER BY at, id",
        )
        .bind(clinic_id)
        .bind(lot_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(id, test, method, outcome, tested_on, certificate_id, entered_by, at)| {
                    let test = jousei_core::supply::qc::QcTest::parse(&test)
                        .ok_or_else(|| crate::StoreError::Corrupt(format!("qc test {test}")))?;
                    let outcome = serde_json::from_str(&outcome)
                        .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
                    Ok(crate::supply::QcResultRow {
                        id,
                        result: jousei_core::supply::qc::QcResult {
                            test,
                            method,
                            outcome,
                            tested_on: tested_on.to_jiff(),
                        },
                        certificate_id,
                        entered_by,
                        at,
                    })
                },
            )
            .collect()
    }
}
