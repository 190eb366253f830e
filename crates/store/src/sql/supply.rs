// The implementation of [`crate::supply::SupplyStore`], written once for both
// backends and included by `sqlite.rs` and `postgres.rs` (see `imp.rs`). Rows,
// SQL and helpers: `supply_imp.rs`.
// The lot methods forward to `sql/supply_lots.rs`, the stock and cold-chain
// ones to `sql/supply_stock.rs`.

impl S {
    /// Serialises this write transaction with every other writer
    /// (the audit head row is the one lock all writes take), so
    /// checks made inside it (stock on hand, lot state) hold until
    /// commit on both backends.
    async fn lock_writes(tx: &mut sqlx::Transaction<'static, Db>) -> crate::Result<()> {
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The next version of a clinic's versioned setting kept in
    /// `table` (clinic profile, reporting policy, blood-donation
    /// notice), inside the write `tx`: `NotFound` when the clinic
    /// does not exist, else the highest version stored + 1 (1 at
    /// first). `table` is one of jousei's own table names, never input.
    async fn next_clinic_version(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        table: &'static str,
    ) -> crate::Result<i64> {
        let (clinics,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics WHERE id = $1")
            .bind(clinic_id)
            .fetch_one(&mut **tx)
            .await?;
        if clinics == 0 {
            return Err(crate::StoreError::NotFound);
        }
        let (last,): (Option<i64>,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT MAX(version) FROM {table} WHERE clinic_id = $1"
        )))
        .bind(clinic_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(last.unwrap_or(0) + 1)
    }

    /// The rows `sql` selects, binding the clinic as `$1` and, when
    /// given, `key` as `$2`, read through `conn` (the list readers
    /// of safety and commerce share it).
    async fn rows_keyed<R>(
        conn: &mut <Db as sqlx::Database>::Connection,
        sql: String,
        clinic_id: uuid::Uuid,
        key: Option<uuid::Uuid>,
    ) -> crate::Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    {
        let mut q = sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).bind(clinic_id);
        if let Some(k) = key {
            q = q.bind(k);
        }
        Ok(q.fetch_all(&mut *conn).await?)
    }

    async fn lot_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<crate::supply::Lot> {
        use crate::supply_imp::*;
        let row: Option<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOT_SELECT} WHERE l.clinic_id = $1 AND l.id = $2"
        )))
        .bind(clinic_id)
        .bind(lot_id)
        .fetch_optional(&mut **tx)
        .await?;
        row.ok_or(crate::StoreError::NotFound)?.try_into()
    }

    async fn on_hand(
        tx: &mut sqlx::Transaction<'static, Db>,
        lot_id: uuid::Uuid,
        location_id: uuid::Uuid,
    ) -> crate::Result<i64> {
        let (n,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(SUM(delta) AS BIGINT) FROM stock_movements WHERE lot_id = $1 AND location_id = $2",
        )
        .bind(lot_id)
        .bind(location_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n.unwrap_or(0))
    }

    async fn location_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::supply::Location> {
        use crate::supply_imp::*;
        let row: Option<LocationRow> = sqlx::query_as(
            "SELECT id, clinic_id, code, name, min_temp, max_temp FROM locations WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row
            .ok_or(crate::StoreError::Conflict("location_not_found"))?
            .into())
    }

    async fn insert_product_version(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        product_id: uuid::Uuid,
        version: i64,
        facts: &jousei_core::supply::product::ProductFacts,
        reason: Option<&str>,
    ) -> crate::Result<()> {
        let json =
            serde_json::to_string(facts).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO product_versions (product_id, version, facts, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(product_id)
            .bind(version)
            .bind(json)
            .bind(reason)
            .bind(actor.user_id)
            .bind(crate::Ts::now())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::supply::SupplyStore for S {
    #[tracing::instrument(skip_all)]
    async fn create_location(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::supply::NewLocation,
    ) -> crate::Result<crate::supply::Location> {
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("INSERT INTO locations (id, clinic_id, code, name, min_temp, max_temp, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(clinic_id)
            .bind(&new.code)
            .bind(&new.name)
            .bind(i64::from(new.min_temp.0))
            .bind(i64::from(new.max_temp.0))
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "location_code_taken")?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "location_created", "location", Some(id.to_string()),
            serde_json::json!({"code": new.code, "name": new.name, "min_temp": new.min_temp.0, "max_temp": new.max_temp.0})).await?;
        tx.commit().await?;
        Ok(crate::supply::Location {
            id,
            clinic_id,
            code: new.code.clone(),
            name: new.name.clone(),
            min_temp: new.min_temp,
            max_temp: new.max_temp,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn locations(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::Location>> {
        use crate::supply_imp::*;
        let rows: Vec<LocationRow> = sqlx::query_as("SELECT id, clinic_id, code, name, min_temp, max_temp FROM locations WHERE clinic_id = $1 ORDER BY code")
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn create_product(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        facts: &jousei_core::supply::product::ProductFacts,
    ) -> crate::Result<crate::supply::Product> {
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("INSERT INTO products (id, clinic_id, code, current_version, name, gtin, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
            .bind(id)
            .bind(clinic_id)
            .bind(&facts.code)
            .bind(&facts.name)
            .bind(facts.gtin.as_ref().map(|g| g.as_str()))
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "product_code_taken")?;
        Self::insert_product_version(&mut tx, actor, id, 1, facts, None).await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "product_created",
            "product",
            Some(id.to_string()),
            serde_json::to_value(facts).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::supply::Product {
            id,
            clinic_id,
            version: 1,
            facts: facts.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn revise_product(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        product_id: uuid::Uuid,
        facts: &jousei_core::supply::product::ProductFacts,
        reason: &str,
    ) -> crate::Result<crate::supply::Product> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur: Option<(i64, String)> = sqlx::query_as(
            "SELECT current_version, code FROM products WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic_id)
        .bind(product_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((version, code)) = cur else {
            return Err(crate::StoreError::NotFound);
        };
        if code != facts.code {
            return Err(crate::StoreError::Conflict("product_code_immutable"));
        }
        let next = version + 1;
        Self::insert_product_version(&mut tx, actor, product_id, next, facts, Some(reason)).await?;
        sqlx::query("UPDATE products SET current_version = $2, name = $3, gtin = $4 WHERE id = $1")
            .bind(product_id)
            .bind(next)
            .bind(&facts.name)
            .bind(facts.gtin.as_ref().map(|g| g.as_str()))
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "product_revised",
            "product",
            Some(product_id.to_string()),
            serde_json::json!({"version": next, "reason": reason, "facts": facts}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::supply::Product {
            id: product_id,
            clinic_id,
            version: next,
            facts: facts.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn products(&self, clinic_id: uuid::Uuid) -> crate::Result<Vec<crate::supply::Product>> {
        let rows: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as(
            "SELECT p.id, p.current_version, v.facts FROM products p JOIN product_versions v ON v.product_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 ORDER BY p.code",
        )
        .bind(clinic_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, version, facts)| {
                Ok(crate::supply::Product {
                    id,
                    clinic_id,
                    version,
                    facts: serde_json::from_str(&facts)
                        .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn product(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::supply::Product>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT p.current_version, v.facts FROM products p JOIN product_versions v ON v.product_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 AND p.id = $2",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(version, facts)| {
            Ok(crate::supply::Product {
                id,
                clinic_id,
                version,
                facts: serde_json::from_str(&facts)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn product_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::ProductVersion>> {
        let rows: Vec<(i64, String, Option<String>, Option<uuid::Uuid>, crate::Ts)> = sqlx::query_as(
            "SELECT v.version, v.facts, v.reason, v.author_id, v.created_at FROM product_versions v JOIN products p ON p.id = v.product_id WHERE p.clinic_id = $1 AND p.id = $2 ORDER BY v.version DESC",
        )
        .bind(clinic_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(version, facts, reason, author_id, created_at)| {
                Ok(crate::supply::ProductVersion {
                    version,
                    facts: serde_json::from_str(&facts)
                        .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
                    reason,
                    author_id,
                    created_at,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn product_by_gtin(
        &self,
        clinic_id: uuid::Uuid,
        gtin: &str,
    ) -> crate::Result<Option<crate::supply::Product>> {
        let id: Option<(uuid::Uuid,)> =
            sqlx::query_as("SELECT id FROM products WHERE clinic_id = $1 AND gtin = $2")
                .bind(clinic_id)
                .bind(gtin)
                .fetch_optional(&self.pool)
                .await?;
        match id {
            Some((id,)) => self.product(clinic_id, id).await,
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn product_by_code(
        &self,
        clinic_id: uuid::Uuid,
        code: &str,
    ) -> crate::Result<Option<crate::supply::Product>> {
        let id: Option<(uuid::Uuid,)> =
            sqlx::query_as("SELECT id FROM products WHERE clinic_id = $1 AND code = $2")
                .bind(clinic_id)
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
        match id {
            Some((id,)) => self.product(clinic_id, id).await,
            None => Ok(None),
        }
    }

    // Lots: the bodies are in sql/supply_lots.rs.
    #[tracing::instrument(skip_all)]
    async fn receive_lot(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::supply::NewLot,
    ) -> crate::Result<crate::supply::Lot> {
        self.do_receive_lot(actor, clinic_id, new).await
    }

    #[tracing::instrument(skip_all)]
    async fn lots(&self, clinic_id: uuid::Uuid) -> crate::Result<Vec<crate::supply::Lot>> {
        self.do_lots(clinic_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn lot(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::supply::Lot>> {
        self.do_lot(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn lot_events(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::LotEvent>> {
        self.do_lot_events(clinic_id, lot_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn change_lot(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        change: &crate::supply::LotChange,
    ) -> crate::Result<crate::supply::Lot> {
        self.do_change_lot(actor, clinic_id, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn add_certificate(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
        new: &crate::supply::NewCertificate,
    ) -> crate::Result<crate::supply::Certificate> {
        self.do_add_certificate(actor, clinic_id, lot_id, new).await
    }

    #[tracing::instrument(skip_all)]
    async fn certificates(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::Certificate>> {
        self.do_certificates(clinic_id, lot_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn certificate_data(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<(crate::supply::Certificate, Vec<u8>)>> {
        self.do_certificate_data(clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn add_qc_results(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
        results: &[jousei_core::supply::qc::QcResult],
        certificate_id: Option<uuid::Uuid>,
    ) -> crate::Result<()> {
        self.do_add_qc_results(actor, clinic_id, lot_id, results, certificate_id)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn qc_results(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::supply::QcResultRow>> {
        self.do_qc_results(clinic_id, lot_id).await
    }

    // Stock and cold chain: the bodies are in sql/supply_stock.rs.
    #[tracing::instrument(skip_all)]
    async fn stock(&self, clinic_id: uuid::Uuid) -> crate::Result<Vec<crate::supply::StockRow>> {
        self.do_stock(clinic_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn movements(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: Option<uuid::Uuid>,
        limit: i64,
    ) -> crate::Result<Vec<crate::supply::MovementRow>> {
        self.do_movements(clinic_id, lot_id, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn record_movement(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        m: &crate::supply::NewMovement,
    ) -> std::result::Result<(), crate::supply::MovementError> {
        self.do_record_movement(actor, clinic_id, m).await
    }

    #[tracing::instrument(skip_all)]
    async fn import_temperatures(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::supply::NewTemperatureImport,
    ) -> crate::Result<crate::supply::ImportOutcome> {
        self.do_import_temperatures(actor, clinic_id, new).await
    }

    #[tracing::instrument(skip_all)]
    async fn temperature_imports(
        &self,
        clinic_id: uuid::Uuid,
        location_id: Option<uuid::Uuid>,
    ) -> crate::Result<Vec<crate::supply::TemperatureImport>> {
        self.do_temperature_imports(clinic_id, location_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn temperature_readings(
        &self,
        clinic_id: uuid::Uuid,
        import_id: uuid::Uuid,
    ) -> crate::Result<Vec<(crate::Ts, jousei_core::supply::units::DeciCelsius)>> {
        self.do_temperature_readings(clinic_id, import_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn excursions(
        &self,
        clinic_id: uuid::Uuid,
        open_only: bool,
    ) -> crate::Result<Vec<crate::supply::Excursion>> {
        self.do_excursions(clinic_id, open_only).await
    }

    #[tracing::instrument(skip_all)]
    async fn open_excursions_of_lot(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
    ) -> crate::Result<i64> {
        self.do_open_excursions_of_lot(clinic_id, lot_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn acknowledge_excursion(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        comment: &str,
    ) -> crate::Result<()> {
        self.do_acknowledge_excursion(actor, clinic_id, id, comment)
            .await
    }
}
