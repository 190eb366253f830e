// Stock and cold chain, for [`crate::supply::SupplyStore`] (stock, movements,
// temperature imports, excursions): the bodies of those trait methods, as
// `do_<method>`, which the trait impl in `sql/supply.rs` forwards to.
// Included like `sql/supply.rs`; rows, SQL and helpers: `supply_imp.rs`.

impl S {
    async fn do_stock(&self, clinic_id: uuid::Uuid) -> crate::Result<Vec<crate::supply::StockRow>> {
        use crate::supply_imp::*;
        let sums: Vec<(uuid::Uuid, uuid::Uuid, String, i64)> = sqlx::query_as(
            "SELECT m.lot_id, m.location_id, loc.code, CAST(SUM(m.delta) AS BIGINT) FROM stock_movements m JOIN locations loc ON loc.id = m.location_id WHERE m.clinic_id = $1 GROUP BY m.lot_id, m.location_id, loc.code HAVING SUM(m.delta) <> 0 ORDER BY loc.code",
        )
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        let lots: Vec<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOT_SELECT} WHERE l.clinic_id = $1"
        )))
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_id = std::collections::HashMap::new();
        for r in lots {
            let lot: crate::supply::Lot = r.try_into()?;
            by_id.insert(lot.id, lot);
        }
        let mut out = Vec::new();
        for (lot_id, location_id, location_code, vials) in sums {
            if let Some(lot) = by_id.get(&lot_id) {
                out.push(crate::supply::StockRow {
                    lot: lot.clone(),
                    location_id,
                    location_code,
                    vials,
                });
            }
        }
        out.sort_by(|a, b| {
            (a.lot.expiry, a.lot.received_seq, &a.location_code).cmp(&(
                b.lot.expiry,
                b.lot.received_seq,
                &b.location_code,
            ))
        });
        Ok(out)
    }

    async fn do_movements(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: Option<uuid::Uuid>,
        limit: i64,
    ) -> crate::Result<Vec<crate::supply::MovementRow>> {
        let rows: Vec<crate::supply_imp::MovementTuple> = sqlx::query_as(
            "SELECT m.id, m.lot_id, l.lot_number, loc.code, m.delta, m.kind, m.reason, w.login, a.login, m.at FROM stock_movements m JOIN lots l ON l.id = m.lot_id JOIN locations loc ON loc.id = m.location_id LEFT JOIN users w ON w.id = m.witness_id LEFT JOIN users a ON a.id = m.actor_id WHERE m.clinic_id = $1 AND ($2 IS NULL OR m.lot_id = $2) ORDER BY m.at DESC, m.id DESC LIMIT $3",
        )
        .bind(clinic_id)
        .bind(lot_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    lot_id,
                    lot_number,
                    location_code,
                    delta,
                    kind,
                    reason,
                    witness_login,
                    actor_login,
                    at,
                )| crate::supply::MovementRow {
                    id,
                    lot_id,
                    lot_number,
                    location_code,
                    delta,
                    kind,
                    reason,
                    witness_login,
                    actor_login,
                    at,
                },
            )
            .collect())
    }

    async fn do_record_movement(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        m: &crate::supply::NewMovement,
    ) -> std::result::Result<(), crate::supply::MovementError> {
        use jousei_core::supply::stock::{MovementKind, MovementRequest, check_movement};
        let mut tx = self
            .begin_write()
            .await
            .map_err(crate::supply::MovementError::Store)?;
        Self::lock_writes(&mut tx).await?;
        let lot = Self::lot_in(&mut tx, clinic_id, m.lot_id).await?;
        let from = Self::location_in(&mut tx, clinic_id, m.location_id).await?;
        let to = match m.to_location_id {
            Some(id) => Some(Self::location_in(&mut tx, clinic_id, id).await?),
            None => None,
        };
        if let Some(w) = m.witness_id {
            let (granted,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM user_clinics WHERE user_id = $1 AND clinic_id = $2",
            )
            .bind(w)
            .bind(clinic_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(crate::StoreError::from)?;
            if granted == 0 {
                return Err(crate::supply::MovementError::Invalid(vec![
                    jousei_core::error::FieldError::new("witness", "witness_invalid"),
                ]));
            }
        }
        let on_hand = Self::on_hand(&mut tx, m.lot_id, m.location_id).await?;
        let req = MovementRequest {
            kind: m.kind,
            quantity: m.quantity,
            on_hand,
            reason: m.reason.clone(),
            witness_is_actor: m.witness_id.map(|w| Some(w) == actor.user_id),
            destination_differs: to.as_ref().map(|t| t.id != from.id),
        };
        let delta = check_movement(&req).map_err(crate::supply::MovementError::Invalid)?;
        let now = crate::Ts::now();
        let insert = "INSERT INTO stock_movements (id, clinic_id, lot_id, location_id, delta, kind, reason, witness_id, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        sqlx::query(insert)
            .bind(uuid::Uuid::now_v7())
            .bind(clinic_id)
            .bind(m.lot_id)
            .bind(from.id)
            .bind(delta)
            .bind(m.kind.as_str())
            .bind(&m.reason)
            .bind(m.witness_id)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(crate::StoreError::from)?;
        if let (MovementKind::Move, Some(to)) = (m.kind, &to) {
            sqlx::query(insert)
                .bind(uuid::Uuid::now_v7())
                .bind(clinic_id)
                .bind(m.lot_id)
                .bind(to.id)
                .bind(m.quantity)
                .bind(m.kind.as_str())
                .bind(&m.reason)
                .bind(m.witness_id)
                .bind(actor.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(crate::StoreError::from)?;
        }
        Self::append_audit(&mut tx, actor, Some(clinic_id), &format!("stock_{}", m.kind.as_str()), "lot", Some(lot.id.to_string()),
            serde_json::json!({"lot_number": lot.lot_number, "location": from.code, "to_location": to.as_ref().map(|t| t.code.clone()),
                "quantity": m.quantity, "delta": delta, "on_hand_before": on_hand, "reason": m.reason, "witness_id": m.witness_id})).await?;
        tx.commit().await.map_err(crate::StoreError::from)?;
        Ok(())
    }

    async fn do_import_temperatures(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::supply::NewTemperatureImport,
    ) -> crate::Result<crate::supply::ImportOutcome> {
        use crate::supply::SupplyStore; // `self.excursions` below, the trait method
        use crate::supply_imp::*;
        let (Some(first), Some(last)) = (new.readings.first(), new.readings.last()) else {
            return Err(crate::StoreError::Conflict("logger_empty"));
        };
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let location = Self::location_in(&mut tx, clinic_id, new.location_id).await?;
        let res = sqlx::query("INSERT INTO temperature_imports (id, clinic_id, location_id, filename, sha256, device, reading_count, first_at, last_at, imported_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(id)
            .bind(clinic_id)
            .bind(location.id)
            .bind(&new.filename)
            .bind(&new.sha256)
            .bind(&new.device)
            .bind(i64::try_from(new.readings.len()).unwrap_or(i64::MAX))
            .bind(first.0)
            .bind(last.0)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "temperature_import_duplicate")?;
        for chunk in new.readings.chunks(400) {
            let mut qb: sqlx::QueryBuilder<Db> =
                sqlx::QueryBuilder::new("INSERT INTO temperature_readings (import_id, at, temp) ");
            qb.push_values(chunk, |mut b, (at, t)| {
                b.push_bind(id).push_bind(*at).push_bind(i64::from(t.0));
            });
            qb.build().execute(&mut *tx).await?;
        }
        let mut excursion_ids = Vec::new();
        let mut held_lots = Vec::new();
        for e in &new.excursions {
            let eid = uuid::Uuid::now_v7();
            sqlx::query("INSERT INTO excursions (id, clinic_id, location_id, import_id, start_at, end_at, minutes, extreme, direction) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(eid)
                .bind(clinic_id)
                .bind(location.id)
                .bind(id)
                .bind(e.start_at)
                .bind(e.end_at)
                .bind(e.minutes)
                .bind(i64::from(e.extreme.0))
                .bind(e.direction)
                .execute(&mut *tx)
                .await?;
            excursion_ids.push(eid);
            for lot_id in &e.lot_ids {
                let lot = Self::lot_in(&mut tx, clinic_id, *lot_id).await?;
                let (lot_id, lot_number, st) = (&lot.id, &lot.lot_number, lot.state);
                sqlx::query("INSERT INTO excursion_lots (excursion_id, lot_id) VALUES ($1, $2)")
                    .bind(eid)
                    .bind(lot_id)
                    .execute(&mut *tx)
                    .await?;
                if matches!(
                    st,
                    jousei_core::supply::lot::LotState::Quarantined
                        | jousei_core::supply::lot::LotState::Released
                ) && !held_lots.contains(lot_number)
                {
                    sqlx::query("UPDATE lots SET state = 'on_hold', held_from = $2 WHERE id = $1")
                        .bind(lot_id)
                        .bind(st.as_str())
                        .execute(&mut *tx)
                        .await?;
                    let evidence = serde_json::json!({"excursion_id": eid, "location": location.code, "start": e.start_at.0.to_string(), "minutes": e.minutes, "extreme": e.extreme.0});
                    sqlx::query("INSERT INTO lot_events (id, clinic_id, lot_id, action, from_state, to_state, reason, evidence, actor_id, at) VALUES ($1, $2, $3, 'hold', $4, 'on_hold', 'temperature_excursion', $5, $6, $7)")
                        .bind(uuid::Uuid::now_v7())
                        .bind(clinic_id)
                        .bind(lot_id)
                        .bind(st.as_str())
                        .bind(evidence.to_string())
                        .bind(actor.user_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    held_lots.push(lot_number.clone());
                }
            }
        }
        Self::append_audit(&mut tx, actor, Some(clinic_id), "temperatures_imported", "location", Some(location.id.to_string()),
            serde_json::json!({"import_id": id, "filename": new.filename, "sha256": new.sha256, "readings": new.readings.len(),
                "excursions": new.excursions.len(), "held_lots": held_lots})).await?;
        let import: ImportRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{IMPORT_SELECT} WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let all = self.excursions(clinic_id, false).await?;
        let excursions = all
            .into_iter()
            .filter(|e| excursion_ids.contains(&e.id))
            .collect();
        Ok(crate::supply::ImportOutcome {
            import: import.into(),
            excursions,
            held_lots,
        })
    }

    async fn do_temperature_imports(
        &self,
        clinic_id: uuid::Uuid,
        location_id: Option<uuid::Uuid>,
    ) -> crate::Result<Vec<crate::supply::TemperatureImport>> {
        use crate::supply_imp::*;
        let rows: Vec<ImportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{IMPORT_SELECT} WHERE clinic_id = $1 AND ($2 IS NULL OR location_id = $2) ORDER BY at DESC"
        )))
        .bind(clinic_id)
        .bind(location_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn do_temperature_readings(
        &self,
        clinic_id: uuid::Uuid,
        import_id: uuid::Uuid,
    ) -> crate::Result<Vec<(crate::Ts, jousei_core::supply::units::DeciCelsius)>> {
        use crate::supply_imp::*;
        let rows: Vec<(crate::Ts, i64)> = sqlx::query_as(
            "SELECT r.at, r.temp FROM temperature_readings r JOIN temperature_imports i ON i.id = r.import_id WHERE i.clinic_id = $1 AND r.import_id = $2 ORDER BY r.at",
        )
        .bind(clinic_id)
        .bind(import_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(at, t)| (at, deci(t))).collect())
    }

    async fn do_excursions(
        &self,
        clinic_id: uuid::Uuid,
        open_only: bool,
    ) -> crate::Result<Vec<crate::supply::Excursion>> {
        use crate::supply_imp::*;
        let sql = if open_only {
            format!(
                "{EXCURSION_SELECT} WHERE e.clinic_id = $1 AND e.acknowledged_at IS NULL ORDER BY e.start_at DESC"
            )
        } else {
            format!("{EXCURSION_SELECT} WHERE e.clinic_id = $1 ORDER BY e.start_at DESC")
        };
        let rows: Vec<ExcursionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?;
        let links: Vec<(uuid::Uuid, String)> = sqlx::query_as(
            "SELECT x.excursion_id, l.lot_number FROM excursion_lots x JOIN lots l ON l.id = x.lot_id WHERE l.clinic_id = $1 ORDER BY l.lot_number",
        )
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let lots = links
                    .iter()
                    .filter(|(e, _)| *e == r.id)
                    .map(|(_, n)| n.clone())
                    .collect();
                r.into_excursion(lots)
            })
            .collect())
    }

    async fn do_open_excursions_of_lot(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM excursion_lots x JOIN excursions e ON e.id = x.excursion_id WHERE e.clinic_id = $1 AND x.lot_id = $2 AND e.acknowledged_at IS NULL",
        )
        .bind(clinic_id)
        .bind(lot_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn do_acknowledge_excursion(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        comment: &str,
    ) -> crate::Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE excursions SET acknowledged_by = $3, acknowledged_at = $4, comment = $5 WHERE clinic_id = $1 AND id = $2 AND acknowledged_at IS NULL")
            .bind(clinic_id)
            .bind(id)
            .bind(actor.user_id)
            .bind(crate::Ts::now())
            .bind(comment)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            let (exists,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM excursions WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            return Err(if exists == 0 {
                crate::StoreError::NotFound
            } else {
                crate::StoreError::Conflict("excursion_already_acknowledged")
            });
        }
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "excursion_acknowledged",
            "excursion",
            Some(id.to_string()),
            serde_json::json!({"comment": comment}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
