//! The implementation of [`crate::supply::SupplyStore`], written once and
//! expanded for each backend (see `imp.rs` for the approach).

use jousei_core::supply::lot::LotState;
use jousei_core::supply::units::DeciCelsius;
use uuid::Uuid;

use crate::supply::{Excursion, Location, Lot, TemperatureImport};
use crate::{StoreError, Ts};

#[derive(sqlx::FromRow)]
pub(crate) struct LocationRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub code: String,
    pub name: String,
    pub min_temp: i64,
    pub max_temp: i64,
}

pub(crate) fn deci(v: i64) -> DeciCelsius {
    DeciCelsius(i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX }))
}

impl From<LocationRow> for Location {
    fn from(r: LocationRow) -> Self {
        Location {
            id: r.id,
            clinic_id: r.clinic_id,
            code: r.code,
            name: r.name,
            min_temp: deci(r.min_temp),
            max_temp: deci(r.max_temp),
        }
    }
}

pub(crate) const LOT_SELECT: &str = "SELECT l.id, l.clinic_id, l.product_id, p.code AS product_code, p.name AS product_name, l.product_version, l.lot_number, l.expiry, l.expiry_time, l.state, l.held_from, l.supplier_ref, l.scan_raw, l.received_seq, l.received_at FROM lots l JOIN products p ON p.id = l.product_id";

#[derive(sqlx::FromRow)]
pub(crate) struct LotRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub product_version: i64,
    pub lot_number: String,
    pub expiry: jiff_sqlx::Date,
    pub expiry_time: Option<String>,
    pub state: String,
    pub held_from: Option<String>,
    pub supplier_ref: Option<String>,
    pub scan_raw: Option<String>,
    pub received_seq: i64,
    pub received_at: Ts,
}

pub(crate) fn state(s: &str) -> Result<LotState, StoreError> {
    LotState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("lot state {s}")))
}

impl TryFrom<LotRow> for Lot {
    type Error = StoreError;
    fn try_from(r: LotRow) -> Result<Self, StoreError> {
        Ok(Lot {
            id: r.id,
            clinic_id: r.clinic_id,
            product_id: r.product_id,
            product_code: r.product_code,
            product_name: r.product_name,
            product_version: r.product_version,
            lot_number: r.lot_number,
            expiry: r.expiry.to_jiff(),
            expiry_time: r
                .expiry_time
                .as_deref()
                .map(|t| {
                    t.parse::<jiff::civil::Time>()
                        .map_err(|e| StoreError::Corrupt(format!("lot expiry time {t}: {e}")))
                })
                .transpose()?,
            state: state(&r.state)?,
            held_from: r.held_from.as_deref().map(state).transpose()?,
            supplier_ref: r.supplier_ref,
            scan_raw: r.scan_raw,
            received_seq: r.received_seq,
            received_at: r.received_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ImportRow {
    pub id: Uuid,
    pub location_id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub device: Option<String>,
    pub reading_count: i64,
    pub first_at: Ts,
    pub last_at: Ts,
    pub at: Ts,
}

impl From<ImportRow> for TemperatureImport {
    fn from(r: ImportRow) -> Self {
        TemperatureImport {
            id: r.id,
            location_id: r.location_id,
            filename: r.filename,
            sha256: r.sha256,
            device: r.device,
            reading_count: r.reading_count,
            first_at: r.first_at,
            last_at: r.last_at,
            at: r.at,
        }
    }
}

pub(crate) const IMPORT_SELECT: &str = "SELECT id, location_id, filename, sha256, device, reading_count, first_at, last_at, at FROM temperature_imports";

#[derive(sqlx::FromRow)]
pub(crate) struct ExcursionRow {
    pub id: Uuid,
    pub location_id: Uuid,
    pub location_code: String,
    pub import_id: Uuid,
    pub start_at: Ts,
    pub end_at: Ts,
    pub minutes: i64,
    pub extreme: i64,
    pub direction: String,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<Ts>,
    pub comment: Option<String>,
}

impl ExcursionRow {
    pub(crate) fn into_excursion(self, lots: Vec<String>) -> Excursion {
        Excursion {
            id: self.id,
            location_id: self.location_id,
            location_code: self.location_code,
            import_id: self.import_id,
            start_at: self.start_at,
            end_at: self.end_at,
            minutes: self.minutes,
            extreme: deci(self.extreme),
            direction: self.direction,
            acknowledged_by: self.acknowledged_by,
            acknowledged_at: self.acknowledged_at,
            comment: self.comment,
            lots,
        }
    }
}

pub(crate) const EXCURSION_SELECT: &str = "SELECT e.id, e.location_id, loc.code AS location_code, e.import_id, e.start_at, e.end_at, e.minutes, e.extreme, e.direction, e.acknowledged_by, e.acknowledged_at, e.comment FROM excursions e JOIN locations loc ON loc.id = e.location_id";

macro_rules! supply_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Serialises this write transaction with every other writer
            /// (the audit head row is the one lock all writes take), so
            /// checks made inside it (stock on hand, lot state) hold until
            /// commit on both backends.
            async fn lock_writes(tx: &mut sqlx::Transaction<'static, $db>) -> $crate::Result<()> {
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
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                table: &'static str,
            ) -> $crate::Result<i64> {
                let (clinics,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics WHERE id = $1")
                    .bind(clinic_id)
                    .fetch_one(&mut **tx)
                    .await?;
                if clinics == 0 {
                    return Err($crate::StoreError::NotFound);
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
                conn: &mut <$db as sqlx::Database>::Connection,
                sql: String,
                clinic_id: uuid::Uuid,
                key: Option<uuid::Uuid>,
            ) -> $crate::Result<Vec<R>>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                let mut q = sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).bind(clinic_id);
                if let Some(k) = key {
                    q = q.bind(k);
                }
                Ok(q.fetch_all(&mut *conn).await?)
            }

            async fn lot_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                lot_id: uuid::Uuid,
            ) -> $crate::Result<$crate::supply::Lot> {
                use $crate::supply_imp::*;
                let row: Option<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{LOT_SELECT} WHERE l.clinic_id = $1 AND l.id = $2"
                )))
                .bind(clinic_id)
                .bind(lot_id)
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or($crate::StoreError::NotFound)?.try_into()
            }

            async fn on_hand(
                tx: &mut sqlx::Transaction<'static, $db>,
                lot_id: uuid::Uuid,
                location_id: uuid::Uuid,
            ) -> $crate::Result<i64> {
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
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::supply::Location> {
                use $crate::supply_imp::*;
                let row: Option<LocationRow> = sqlx::query_as(
                    "SELECT id, clinic_id, code, name, min_temp, max_temp FROM locations WHERE clinic_id = $1 AND id = $2",
                )
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.ok_or($crate::StoreError::Conflict("location_not_found"))?.into())
            }

            async fn insert_product_version(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                product_id: uuid::Uuid,
                version: i64,
                facts: &jousei_core::supply::product::ProductFacts,
                reason: Option<&str>,
            ) -> $crate::Result<()> {
                let json = serde_json::to_string(facts)
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                sqlx::query("INSERT INTO product_versions (product_id, version, facts, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(product_id)
                    .bind(version)
                    .bind(json)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::supply::SupplyStore for $store {
            #[tracing::instrument(skip_all)]
            async fn create_location(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::supply::NewLocation,
            ) -> $crate::Result<$crate::supply::Location> {
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                let res = sqlx::query("INSERT INTO locations (id, clinic_id, code, name, min_temp, max_temp, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(&new.code)
                    .bind(&new.name)
                    .bind(i64::from(new.min_temp.0))
                    .bind(i64::from(new.max_temp.0))
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "location_code_taken")?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "location_created", "location", Some(id.to_string()),
                    serde_json::json!({"code": new.code, "name": new.name, "min_temp": new.min_temp.0, "max_temp": new.max_temp.0})).await?;
                tx.commit().await?;
                Ok($crate::supply::Location { id, clinic_id, code: new.code.clone(), name: new.name.clone(), min_temp: new.min_temp, max_temp: new.max_temp })
            }

            #[tracing::instrument(skip_all)]
            async fn locations(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::Location>> {
                use $crate::supply_imp::*;
                let rows: Vec<LocationRow> = sqlx::query_as("SELECT id, clinic_id, code, name, min_temp, max_temp FROM locations WHERE clinic_id = $1 ORDER BY code")
                    .bind(clinic_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn create_product(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                facts: &jousei_core::supply::product::ProductFacts,
            ) -> $crate::Result<$crate::supply::Product> {
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                let res = sqlx::query("INSERT INTO products (id, clinic_id, code, current_version, name, gtin, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(&facts.code)
                    .bind(&facts.name)
                    .bind(facts.gtin.as_ref().map(|g| g.as_str()))
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "product_code_taken")?;
                Self::insert_product_version(&mut tx, actor, id, 1, facts, None).await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "product_created", "product", Some(id.to_string()),
                    serde_json::to_value(facts).unwrap_or_default()).await?;
                tx.commit().await?;
                Ok($crate::supply::Product { id, clinic_id, version: 1, facts: facts.clone() })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_product(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                product_id: uuid::Uuid,
                facts: &jousei_core::supply::product::ProductFacts,
                reason: &str,
            ) -> $crate::Result<$crate::supply::Product> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let cur: Option<(i64, String)> = sqlx::query_as("SELECT current_version, code FROM products WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(product_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((version, code)) = cur else { return Err($crate::StoreError::NotFound) };
                if code != facts.code {
                    return Err($crate::StoreError::Conflict("product_code_immutable"));
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
                Self::append_audit(&mut tx, actor, Some(clinic_id), "product_revised", "product", Some(product_id.to_string()),
                    serde_json::json!({"version": next, "reason": reason, "facts": facts})).await?;
                tx.commit().await?;
                Ok($crate::supply::Product { id: product_id, clinic_id, version: next, facts: facts.clone() })
            }

            #[tracing::instrument(skip_all)]
            async fn products(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::Product>> {
                let rows: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as(
                    "SELECT p.id, p.current_version, v.facts FROM products p JOIN product_versions v ON v.product_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 ORDER BY p.code",
                )
                .bind(clinic_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, version, facts)| {
                        Ok($crate::supply::Product {
                            id,
                            clinic_id,
                            version,
                            facts: serde_json::from_str(&facts).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn product(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::supply::Product>> {
                let row: Option<(i64, String)> = sqlx::query_as(
                    "SELECT p.current_version, v.facts FROM products p JOIN product_versions v ON v.product_id = p.id AND v.version = p.current_version WHERE p.clinic_id = $1 AND p.id = $2",
                )
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(version, facts)| {
                    Ok($crate::supply::Product {
                        id,
                        clinic_id,
                        version,
                        facts: serde_json::from_str(&facts).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn product_versions(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::ProductVersion>> {
                let rows: Vec<(i64, String, Option<String>, Option<uuid::Uuid>, $crate::Ts)> = sqlx::query_as(
                    "SELECT v.version, v.facts, v.reason, v.author_id, v.created_at FROM product_versions v JOIN products p ON p.id = v.product_id WHERE p.clinic_id = $1 AND p.id = $2 ORDER BY v.version DESC",
                )
                .bind(clinic_id)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(version, facts, reason, author_id, created_at)| {
                        Ok($crate::supply::ProductVersion {
                            version,
                            facts: serde_json::from_str(&facts).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                            reason,
                            author_id,
                            created_at,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn product_by_gtin(&self, clinic_id: uuid::Uuid, gtin: &str) -> $crate::Result<Option<$crate::supply::Product>> {
                let id: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM products WHERE clinic_id = $1 AND gtin = $2")
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
            async fn product_by_code(&self, clinic_id: uuid::Uuid, code: &str) -> $crate::Result<Option<$crate::supply::Product>> {
                let id: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM products WHERE clinic_id = $1 AND code = $2")
                    .bind(clinic_id)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?;
                match id {
                    Some((id,)) => self.product(clinic_id, id).await,
                    None => Ok(None),
                }
            }

            #[tracing::instrument(skip_all)]
            async fn receive_lot(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::supply::NewLot,
            ) -> $crate::Result<$crate::supply::Lot> {
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let version: Option<(i64,)> = sqlx::query_as("SELECT current_version FROM products WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(new.product_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((version,)) = version else { return Err($crate::StoreError::Conflict("product_not_found")) };
                let location = Self::location_in(&mut tx, clinic_id, new.location_id).await?;
                let (seq,): (i64,) = sqlx::query_as("UPDATE lot_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq")
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
                $crate::imp::map_unique(res, "lot_exists")?;
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

            #[tracing::instrument(skip_all)]
            async fn lots(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::Lot>> {
                use $crate::supply_imp::*;
                let rows: Vec<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{LOT_SELECT} WHERE l.clinic_id = $1 ORDER BY l.received_seq DESC"
                )))
                .bind(clinic_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn lot(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::supply::Lot>> {
                use $crate::supply_imp::*;
                let row: Option<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{LOT_SELECT} WHERE l.clinic_id = $1 AND l.id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn lot_events(&self, clinic_id: uuid::Uuid, lot_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::LotEvent>> {
                let rows: Vec<(String, String, String, Option<String>, String, Option<uuid::Uuid>, Option<String>, $crate::Ts)> = sqlx::query_as(
                    "SELECT e.action, e.from_state, e.to_state, e.reason, e.evidence, e.actor_id, u.login, e.at FROM lot_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.clinic_id = $1 AND e.lot_id = $2 ORDER BY e.at, e.id",
                )
                .bind(clinic_id)
                .bind(lot_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(action, from_state, to_state, reason, evidence, actor_id, actor_login, at)| $crate::supply::LotEvent {
                        action,
                        from_state,
                        to_state,
                        reason,
                        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
                        actor_id,
                        actor_login,
                        at,
                    })
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn change_lot(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                change: &$crate::supply::LotChange,
            ) -> $crate::Result<$crate::supply::Lot> {
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
                        Ok(_) => $crate::StoreError::Conflict("lot_state_changed"),
                        Err(e) => e,
                    });
                }
                let now = $crate::Ts::now();
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

            #[tracing::instrument(skip_all)]
            async fn add_certificate(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                lot_id: uuid::Uuid,
                new: &$crate::supply::NewCertificate,
            ) -> $crate::Result<$crate::supply::Certificate> {
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
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
                Ok($crate::supply::Certificate { id, lot_id, filename: new.filename.clone(), content_type: new.content_type.clone(), sha256: new.sha256.clone(), size, at: now })
            }

            #[tracing::instrument(skip_all)]
            async fn certificates(&self, clinic_id: uuid::Uuid, lot_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::Certificate>> {
                let rows: Vec<(uuid::Uuid, String, String, String, i64, $crate::Ts)> = sqlx::query_as(
                    "SELECT id, filename, content_type, sha256, size, at FROM certificates WHERE clinic_id = $1 AND lot_id = $2 ORDER BY at",
                )
                .bind(clinic_id)
                .bind(lot_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, filename, content_type, sha256, size, at)| $crate::supply::Certificate { id, lot_id, filename, content_type, sha256, size, at })
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn certificate_data(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<($crate::supply::Certificate, Vec<u8>)>> {
                let row: Option<(uuid::Uuid, String, String, String, i64, $crate::Ts, Vec<u8>)> = sqlx::query_as(
                    "SELECT lot_id, filename, content_type, sha256, size, at, data FROM certificates WHERE clinic_id = $1 AND id = $2",
                )
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(lot_id, filename, content_type, sha256, size, at, data)| {
                    ($crate::supply::Certificate { id, lot_id, filename, content_type, sha256, size, at }, data)
                }))
            }

            #[tracing::instrument(skip_all)]
            async fn add_qc_results(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                lot_id: uuid::Uuid,
                results: &[jousei_core::supply::qc::QcResult],
                certificate_id: Option<uuid::Uuid>,
            ) -> $crate::Result<()> {
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lot_in(&mut tx, clinic_id, lot_id).await?;
                for r in results {
                    let outcome = serde_json::to_string(&r.outcome).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
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
                    $crate::imp::map_fk(res, "certificate_not_found")?;
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "qc_results_added", "lot", Some(lot_id.to_string()),
                    serde_json::json!({"certificate_id": certificate_id, "results": results})).await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn qc_results(&self, clinic_id: uuid::Uuid, lot_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::QcResultRow>> {
                let rows: Vec<(uuid::Uuid, String, String, String, jiff_sqlx::Date, Option<uuid::Uuid>, Option<uuid::Uuid>, $crate::Ts)> = sqlx::query_as(
                    "SELECT id, test, method, outcome, tested_on, certificate_id, entered_by, at FROM qc_results WHERE clinic_id = $1 AND lot_id = $2 ORDER BY at, id",
                )
                .bind(clinic_id)
                .bind(lot_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, test, method, outcome, tested_on, certificate_id, entered_by, at)| {
                        let test = jousei_core::supply::qc::QcTest::parse(&test)
                            .ok_or_else(|| $crate::StoreError::Corrupt(format!("qc test {test}")))?;
                        let outcome = serde_json::from_str(&outcome).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                        Ok($crate::supply::QcResultRow {
                            id,
                            result: jousei_core::supply::qc::QcResult { test, method, outcome, tested_on: tested_on.to_jiff() },
                            certificate_id,
                            entered_by,
                            at,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn stock(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::supply::StockRow>> {
                use $crate::supply_imp::*;
                let sums: Vec<(uuid::Uuid, uuid::Uuid, String, i64)> = sqlx::query_as(
                    "SELECT m.lot_id, m.location_id, loc.code, CAST(SUM(m.delta) AS BIGINT) FROM stock_movements m JOIN locations loc ON loc.id = m.location_id WHERE m.clinic_id = $1 GROUP BY m.lot_id, m.location_id, loc.code HAVING SUM(m.delta) <> 0 ORDER BY loc.code",
                )
                .bind(clinic_id)
                .fetch_all(&self.pool)
                .await?;
                let lots: Vec<LotRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{LOT_SELECT} WHERE l.clinic_id = $1")))
                    .bind(clinic_id)
                    .fetch_all(&self.pool)
                    .await?;
                let mut by_id = std::collections::HashMap::new();
                for r in lots {
                    let lot: $crate::supply::Lot = r.try_into()?;
                    by_id.insert(lot.id, lot);
                }
                let mut out = Vec::new();
                for (lot_id, location_id, location_code, vials) in sums {
                    if let Some(lot) = by_id.get(&lot_id) {
                        out.push($crate::supply::StockRow { lot: lot.clone(), location_id, location_code, vials });
                    }
                }
                out.sort_by(|a, b| (a.lot.expiry, a.lot.received_seq, &a.location_code).cmp(&(b.lot.expiry, b.lot.received_seq, &b.location_code)));
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn movements(&self, clinic_id: uuid::Uuid, lot_id: Option<uuid::Uuid>, limit: i64) -> $crate::Result<Vec<$crate::supply::MovementRow>> {
                let rows: Vec<(uuid::Uuid, uuid::Uuid, String, String, i64, String, Option<String>, Option<String>, Option<String>, $crate::Ts)> = sqlx::query_as(
                    "SELECT m.id, m.lot_id, l.lot_number, loc.code, m.delta, m.kind, m.reason, w.login, a.login, m.at FROM stock_movements m JOIN lots l ON l.id = m.lot_id JOIN locations loc ON loc.id = m.location_id LEFT JOIN users w ON w.id = m.witness_id LEFT JOIN users a ON a.id = m.actor_id WHERE m.clinic_id = $1 AND ($2 IS NULL OR m.lot_id = $2) ORDER BY m.at DESC, m.id DESC LIMIT $3",
                )
                .bind(clinic_id)
                .bind(lot_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, lot_id, lot_number, location_code, delta, kind, reason, witness_login, actor_login, at)| $crate::supply::MovementRow {
                        id, lot_id, lot_number, location_code, delta, kind, reason, witness_login, actor_login, at,
                    })
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn record_movement(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                m: &$crate::supply::NewMovement,
            ) -> std::result::Result<(), $crate::supply::MovementError> {
                use jousei_core::supply::stock::{check_movement, MovementKind, MovementRequest};
                let mut tx = self.begin_write().await.map_err($crate::supply::MovementError::Store)?;
                Self::lock_writes(&mut tx).await?;
                let lot = Self::lot_in(&mut tx, clinic_id, m.lot_id).await?;
                let from = Self::location_in(&mut tx, clinic_id, m.location_id).await?;
                let to = match m.to_location_id {
                    Some(id) => Some(Self::location_in(&mut tx, clinic_id, id).await?),
                    None => None,
                };
                if let Some(w) = m.witness_id {
                    let (granted,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM user_clinics WHERE user_id = $1 AND clinic_id = $2")
                        .bind(w)
                        .bind(clinic_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err($crate::StoreError::from)?;
                    if granted == 0 {
                        return Err($crate::supply::MovementError::Invalid(vec![jousei_core::error::FieldError::new("witness", "witness_invalid")]));
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
                let delta = check_movement(&req).map_err($crate::supply::MovementError::Invalid)?;
                let now = $crate::Ts::now();
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
                    .map_err($crate::StoreError::from)?;
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
                        .map_err($crate::StoreError::from)?;
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), &format!("stock_{}", m.kind.as_str()), "lot", Some(lot.id.to_string()),
                    serde_json::json!({"lot_number": lot.lot_number, "location": from.code, "to_location": to.as_ref().map(|t| t.code.clone()),
                        "quantity": m.quantity, "delta": delta, "on_hand_before": on_hand, "reason": m.reason, "witness_id": m.witness_id})).await?;
                tx.commit().await.map_err($crate::StoreError::from)?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn import_temperatures(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::supply::NewTemperatureImport,
            ) -> $crate::Result<$crate::supply::ImportOutcome> {
                use $crate::supply_imp::*;
                let (Some(first), Some(last)) = (new.readings.first(), new.readings.last()) else {
                    return Err($crate::StoreError::Conflict("logger_empty"));
                };
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
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
                $crate::imp::map_unique(res, "temperature_import_duplicate")?;
                for chunk in new.readings.chunks(400) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new("INSERT INTO temperature_readings (import_id, at, temp) ");
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
                        if matches!(st, jousei_core::supply::lot::LotState::Quarantined | jousei_core::supply::lot::LotState::Released)
                            && !held_lots.contains(lot_number)
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
                let import: ImportRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{IMPORT_SELECT} WHERE id = $1")))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                let all = self.excursions(clinic_id, false).await?;
                let excursions = all.into_iter().filter(|e| excursion_ids.contains(&e.id)).collect();
                Ok($crate::supply::ImportOutcome { import: import.into(), excursions, held_lots })
            }

            #[tracing::instrument(skip_all)]
            async fn temperature_imports(&self, clinic_id: uuid::Uuid, location_id: Option<uuid::Uuid>) -> $crate::Result<Vec<$crate::supply::TemperatureImport>> {
                use $crate::supply_imp::*;
                let rows: Vec<ImportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{IMPORT_SELECT} WHERE clinic_id = $1 AND ($2 IS NULL OR location_id = $2) ORDER BY at DESC"
                )))
                .bind(clinic_id)
                .bind(location_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn temperature_readings(&self, clinic_id: uuid::Uuid, import_id: uuid::Uuid) -> $crate::Result<Vec<($crate::Ts, jousei_core::supply::units::DeciCelsius)>> {
                use $crate::supply_imp::*;
                let rows: Vec<($crate::Ts, i64)> = sqlx::query_as(
                    "SELECT r.at, r.temp FROM temperature_readings r JOIN temperature_imports i ON i.id = r.import_id WHERE i.clinic_id = $1 AND r.import_id = $2 ORDER BY r.at",
                )
                .bind(clinic_id)
                .bind(import_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(at, t)| (at, deci(t))).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn excursions(&self, clinic_id: uuid::Uuid, open_only: bool) -> $crate::Result<Vec<$crate::supply::Excursion>> {
                use $crate::supply_imp::*;
                let sql = if open_only {
                    format!("{EXCURSION_SELECT} WHERE e.clinic_id = $1 AND e.acknowledged_at IS NULL ORDER BY e.start_at DESC")
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
                        let lots = links.iter().filter(|(e, _)| *e == r.id).map(|(_, n)| n.clone()).collect();
                        r.into_excursion(lots)
                    })
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn open_excursions_of_lot(&self, clinic_id: uuid::Uuid, lot_id: uuid::Uuid) -> $crate::Result<i64> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM excursion_lots x JOIN excursions e ON e.id = x.excursion_id WHERE e.clinic_id = $1 AND x.lot_id = $2 AND e.acknowledged_at IS NULL",
                )
                .bind(clinic_id)
                .bind(lot_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(n)
            }

            #[tracing::instrument(skip_all)]
            async fn acknowledge_excursion(&self, actor: &$crate::Actor, clinic_id: uuid::Uuid, id: uuid::Uuid, comment: &str) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let n = sqlx::query("UPDATE excursions SET acknowledged_by = $3, acknowledged_at = $4, comment = $5 WHERE clinic_id = $1 AND id = $2 AND acknowledged_at IS NULL")
                    .bind(clinic_id)
                    .bind(id)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .bind(comment)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    let (exists,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM excursions WHERE clinic_id = $1 AND id = $2")
                        .bind(clinic_id)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    return Err(if exists == 0 { $crate::StoreError::NotFound } else { $crate::StoreError::Conflict("excursion_already_acknowledged") });
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "excursion_acknowledged", "excursion", Some(id.to_string()),
                    serde_json::json!({"comment": comment})).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use supply_impl;
