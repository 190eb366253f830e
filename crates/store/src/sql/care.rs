// The implementation of [`crate::care::CareStore`], written once for both
// backends and included by `sqlite.rs` and `postgres.rs` (see `imp.rs`). Rows,
// SQL and helpers: `care_imp.rs`.

impl S {
    /// One administration of the clinic with its current details
    /// and vials, read through `conn` (a transaction or a pooled
    /// connection).
    async fn administration_on(
        conn: &mut <Db as sqlx::Database>::Connection,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::care::Administration>> {
        use crate::care_imp::*;
        let row: Option<AdministrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ADMINISTRATION_SELECT} WHERE a.clinic_id = $1 AND a.id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let vials: Vec<VialRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{VIAL_SELECT} WHERE v.administration_id = $1 ORDER BY v.ordinal"
        )))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(assemble(vec![row], vials)?.pop())
    }

    /// Whether the user is granted the clinic.
    async fn user_granted(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        user_id: uuid::Uuid,
    ) -> crate::Result<bool> {
        Ok(Self::count_in(
            tx,
            "SELECT COUNT(*) FROM user_clinics WHERE user_id = $1 AND clinic_id = $2",
            user_id,
            clinic_id,
        )
        .await?
            > 0)
    }

    async fn insert_administration_version(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        id: uuid::Uuid,
        version: i64,
        d: &crate::care::AdministrationDetails,
        reason: Option<&str>,
        at: crate::Ts,
    ) -> crate::Result<()> {
        use crate::patient_imp::to_json;
        let sites = d.sites.as_ref().map(to_json).transpose()?;
        sqlx::query("INSERT INTO administration_versions (administration_id, version, sites, verified_by, started_at, ended_at, observations, reactions, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(id)
            .bind(version)
            .bind(sites)
            .bind(d.verified_by)
            .bind(d.started_at)
            .bind(d.ended_at)
            .bind(&d.observations)
            .bind(&d.reactions)
            .bind(reason)
            .bind(actor.user_id)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::care::CareStore for S {
    #[tracing::instrument(skip_all)]
    async fn blood_donation_notice(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::care::BloodDonationNoticeText>> {
        let row: Option<(i64, String, String, Option<uuid::Uuid>, crate::Ts)> = sqlx::query_as("SELECT version, text_ja, text_en, author_id, at FROM blood_donation_notices WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(clinic_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(
            |(version, ja, en, set_by, set_at)| crate::care::BloodDonationNoticeText {
                version,
                ja,
                en,
                set_by,
                set_at,
            },
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn set_blood_donation_notice(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        ja: &str,
        en: &str,
    ) -> crate::Result<crate::care::BloodDonationNoticeText> {
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let version =
            Self::next_clinic_version(&mut tx, clinic_id, "blood_donation_notices").await?;
        let res = sqlx::query("INSERT INTO blood_donation_notices (clinic_id, version, text_ja, text_en, author_id, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(clinic_id)
            .bind(version)
            .bind(ja)
            .bind(en)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
        crate::imp::map_unique(res, "blood_donation_notice_version_taken")?;
        let detail = serde_json::json!({"version": version, "ja": ja, "en": en});
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "blood_donation_notice_set",
            "clinic",
            Some(clinic_id.to_string()),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(crate::care::BloodDonationNoticeText {
            version,
            ja: ja.to_string(),
            en: en.to_string(),
            set_by: actor.user_id,
            set_at: now,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn record_administration(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &crate::care::NewAdministration,
    ) -> crate::Result<crate::care::Administration> {
        use crate::StoreError::{Conflict, NotFound};
        if new.vials.is_empty() {
            return Err(Conflict("administration_vials_required"));
        }
        if new.vials.iter().any(|v| v.volume.0 <= 0) {
            return Err(Conflict("administration_volume_invalid"));
        }
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;

        // Everything named must be the clinic's (and the patient's).
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
        match (new.plan_id, new.plan_version) {
            (Some(plan_id), version) => {
                let plan = Self::plan_in(&mut tx, clinic_id, plan_id).await?;
                if plan.patient_id != new.patient_id {
                    return Err(NotFound);
                }
                if let Some(v) = version
                    && !(1..=plan.version).contains(&v)
                {
                    return Err(NotFound);
                }
            }
            (None, Some(_)) => return Err(NotFound),
            (None, None) => {}
        }
        if let Some(appointment_id) = new.appointment_id {
            let a = Self::appointment_in(&mut tx, clinic_id, appointment_id).await?;
            if a.patient_id != new.patient_id {
                return Err(NotFound);
            }
        }
        let location = Self::location_in(&mut tx, clinic_id, new.location_id)
            .await
            .map_err(|e| match e {
                Conflict("location_not_found") => NotFound,
                e => e,
            })?;
        for user_id in std::iter::once(new.administered_by).chain(new.verified_by) {
            if !Self::user_granted(&mut tx, clinic_id, user_id).await? {
                return Err(NotFound);
            }
        }

        // The lots, read again under the write lock: released, and
        // no temperature excursion waiting for a decision.
        let mut lots: Vec<crate::supply::Lot> = Vec::new();
        for v in &new.vials {
            if lots.iter().any(|l| l.id == v.lot_id) {
                continue;
            }
            let lot = Self::lot_in(&mut tx, clinic_id, v.lot_id).await?;
            if lot.state != jousei_core::supply::lot::LotState::Released {
                return Err(Conflict("lot_not_usable"));
            }
            let open = Self::count_in(
                &mut tx,
                "SELECT COUNT(*) FROM excursion_lots x JOIN excursions e ON e.id = x.excursion_id WHERE e.clinic_id = $1 AND x.lot_id = $2 AND e.acknowledged_at IS NULL",
                clinic_id,
                lot.id,
            )
            .await?;
            if open > 0 {
                return Err(Conflict("lot_not_usable"));
            }
            lots.push(lot);
        }

        let details = crate::care::AdministrationDetails {
            sites: new.sites.clone(),
            verified_by: new.verified_by,
            started_at: new.started_at,
            ended_at: new.ended_at,
            observations: new.observations.clone(),
            reactions: new.reactions.clone(),
        };
        sqlx::query("INSERT INTO administrations (id, clinic_id, patient_id, plan_id, plan_version, appointment_id, route, location_id, administered_by, identity_check, check_outcome, overrides, human_derived, blood_donation_notice, blood_donation_notice_version, current_version, started_at, status, void_reason, voided_by, voided_at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $18, 1, $15, 'recorded', NULL, NULL, NULL, $16, $17)")
            .bind(id)
            .bind(clinic_id)
            .bind(new.patient_id)
            .bind(new.plan_id)
            .bind(new.plan_version)
            .bind(new.appointment_id)
            .bind(new.route.as_str())
            .bind(location.id)
            .bind(new.administered_by)
            .bind(new.identity.to_string())
            .bind(new.check.to_string())
            .bind(new.overrides.to_string())
            .bind(new.human_derived)
            .bind(&new.blood_donation_notice)
            .bind(new.started_at)
            .bind(actor.user_id)
            .bind(now)
            .bind(new.blood_donation_notice_version)
            .execute(&mut *tx)
            .await?;
        Self::insert_administration_version(&mut tx, actor, id, 1, &details, None, now).await?;

        // Each vial in turn: still on hand at the location (the
        // vials of this dose already taken count), its serial not
        // in use, then out of the ledger and into the record.
        let use_reason = format!("administration {id}");
        let mut audit_vials = Vec::with_capacity(new.vials.len());
        for (ordinal, v) in (1_i64..).zip(&new.vials) {
            if Self::on_hand(&mut tx, v.lot_id, location.id).await? < 1 {
                return Err(Conflict("out_of_stock"));
            }
            if let Some(serial) = &v.serial {
                let (used,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM administration_vials WHERE lot_id = $1 AND serial = $2 AND voided_at IS NULL")
                    .bind(v.lot_id)
                    .bind(serial)
                    .fetch_one(&mut *tx)
                    .await?;
                if used > 0 {
                    return Err(Conflict("vial_already_used"));
                }
            }
            sqlx::query("INSERT INTO stock_movements (id, clinic_id, lot_id, location_id, delta, kind, reason, witness_id, actor_id, at) VALUES ($1, $2, $3, $4, -1, 'use', $5, NULL, $6, $7)")
                .bind(uuid::Uuid::now_v7())
                .bind(clinic_id)
                .bind(v.lot_id)
                .bind(location.id)
                .bind(&use_reason)
                .bind(actor.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let res = sqlx::query("INSERT INTO administration_vials (administration_id, ordinal, lot_id, serial, opened_at, volume_ul, voided_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
                .bind(id)
                .bind(ordinal)
                .bind(v.lot_id)
                .bind(&v.serial)
                .bind(v.opened_at)
                .bind(v.volume.0)
                .execute(&mut *tx)
                .await;
            crate::imp::map_unique(res, "vial_already_used")?;
            let lot_number = lots
                .iter()
                .find(|l| l.id == v.lot_id)
                .map(|l| l.lot_number.clone());
            audit_vials.push(serde_json::json!({"lot_id": v.lot_id, "lot_number": lot_number, "serial": v.serial, "volume_ul": v.volume.0}));
        }

        Self::append_audit(&mut tx, actor, Some(clinic_id), "administration_recorded", "administration", Some(id.to_string()),
            serde_json::json!({"patient_id": new.patient_id, "plan_id": new.plan_id, "plan_version": new.plan_version,
                "appointment_id": new.appointment_id, "route": new.route, "location": location.code, "vials": audit_vials,
                "administered_by": new.administered_by, "verified_by": new.verified_by, "started_at": new.started_at.0,
                "human_derived": new.human_derived, "blood_donation_notice": new.blood_donation_notice.is_some(), "blood_donation_notice_version": new.blood_donation_notice_version,
                "overrides": new.overrides})).await?;
        let out = Self::administration_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn correct_administration(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        expected_version: i64,
        details: &crate::care::AdministrationDetails,
        reason: &str,
    ) -> crate::Result<crate::care::Administration> {
        use crate::StoreError::{Conflict, NotFound};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur = Self::administration_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        if cur.status == crate::care::AdministrationStatus::Voided {
            return Err(Conflict("administration_voided"));
        }
        if cur.version != expected_version {
            return Err(Conflict("administration_version_stale"));
        }
        if let Some(user_id) = details.verified_by
            && !Self::user_granted(&mut tx, clinic_id, user_id).await?
        {
            return Err(NotFound);
        }
        let next = cur.version + 1;
        let now = crate::Ts::now();
        Self::insert_administration_version(&mut tx, actor, id, next, details, Some(reason), now)
            .await?;
        sqlx::query(
            "UPDATE administrations SET current_version = $2, started_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(next)
        .bind(details.started_at)
        .execute(&mut *tx)
        .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "administration_corrected", "administration", Some(id.to_string()),
            serde_json::json!({"version": next, "reason": reason, "changed": crate::patient_imp::changed_fields(&cur.details, details)})).await?;
        let out = Self::administration_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn void_administration(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::care::Administration> {
        use crate::StoreError::{Conflict, NotFound};
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let cur = Self::administration_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        if cur.status == crate::care::AdministrationStatus::Voided {
            return Err(Conflict("administration_voided"));
        }
        let now = crate::Ts::now();
        let ledger_reason = format!("administration {id} voided: {reason}");
        for v in &cur.vials {
            sqlx::query("INSERT INTO stock_movements (id, clinic_id, lot_id, location_id, delta, kind, reason, witness_id, actor_id, at) VALUES ($1, $2, $3, $4, 1, 'adjust', $5, NULL, $6, $7)")
                .bind(uuid::Uuid::now_v7())
                .bind(clinic_id)
                .bind(v.lot_id)
                .bind(cur.location_id)
                .bind(&ledger_reason)
                .bind(actor.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE administrations SET status = 'voided', void_reason = $2, voided_by = $3, voided_at = $4 WHERE id = $1")
            .bind(id)
            .bind(reason)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE administration_vials SET voided_at = $2 WHERE administration_id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let vials: Vec<serde_json::Value> = cur
            .vials
            .iter()
            .map(|v| serde_json::json!({"lot_id": v.lot_id, "lot_number": v.lot_number, "serial": v.serial}))
            .collect();
        Self::append_audit(&mut tx, actor, Some(clinic_id), "administration_voided", "administration", Some(id.to_string()),
            serde_json::json!({"reason": reason, "patient_id": cur.patient_id, "location_id": cur.location_id, "vials_returned": vials})).await?;
        let out = Self::administration_on(&mut tx, clinic_id, id)
            .await?
            .ok_or(NotFound)?;
        tx.commit().await?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn administration(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::care::Administration>> {
        let mut conn = self.pool.acquire().await?;
        Self::administration_on(&mut conn, clinic_id, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn administration_versions(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::care::AdministrationVersion>> {
        use crate::care_imp::*;
        let rows: Vec<VersionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{VERSION_SELECT} WHERE a.clinic_id = $1 AND a.id = $2 ORDER BY v.version DESC"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn administrations_of_patient(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::care::Administration>> {
        use crate::care_imp::*;
        let rows: Vec<AdministrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ADMINISTRATION_SELECT} WHERE a.clinic_id = $1 AND a.patient_id = $2 ORDER BY a.started_at DESC, a.id DESC"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let vials: Vec<VialRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{VIAL_SELECT} JOIN administrations a ON a.id = v.administration_id WHERE a.clinic_id = $1 AND a.patient_id = $2"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        assemble(rows, vials)
    }

    #[tracing::instrument(skip_all)]
    async fn last_administration_of_plan(
        &self,
        clinic_id: uuid::Uuid,
        plan_id: uuid::Uuid,
    ) -> crate::Result<Option<crate::Ts>> {
        let row: Option<(crate::Ts,)> = sqlx::query_as(
            "SELECT started_at FROM administrations WHERE plan_id = $1 AND clinic_id = $2 AND status = 'recorded' ORDER BY started_at DESC LIMIT 1",
        )
        .bind(plan_id)
        .bind(clinic_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(t,)| t))
    }

    #[tracing::instrument(skip_all)]
    async fn received_human_derived(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<bool> {
        let row: Option<(i32,)> = sqlx::query_as(
            "SELECT 1 FROM administrations WHERE clinic_id = $1 AND patient_id = $2 AND human_derived = $3 AND status = 'recorded' LIMIT 1",
        )
        .bind(clinic_id)
        .bind(patient_id)
        .bind(true)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    #[tracing::instrument(skip_all)]
    async fn used_serials(
        &self,
        clinic_id: uuid::Uuid,
        lot_id: uuid::Uuid,
        serials: &[String],
    ) -> crate::Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for chunk in serials.chunks(crate::care_imp::LOTS_PER_QUERY) {
            let mut qb: sqlx::QueryBuilder<Db> = sqlx::QueryBuilder::new(
                "SELECT v.serial FROM administration_vials v JOIN administrations a ON a.id = v.administration_id WHERE a.clinic_id = ",
            );
            qb.push_bind(clinic_id);
            qb.push(" AND v.lot_id = ");
            qb.push_bind(lot_id);
            qb.push(" AND v.voided_at IS NULL AND v.serial IN (");
            let mut list = qb.separated(", ");
            for s in chunk {
                list.push_bind(s.clone());
            }
            qb.push(")");
            let rows: Vec<(String,)> = qb.build_query_as().fetch_all(&self.pool).await?;
            out.extend(rows.into_iter().map(|(s,)| s));
        }
        // In the order asked, once each.
        let mut used: Vec<String> = Vec::new();
        for s in serials {
            if out.contains(s) && !used.contains(s) {
                used.push(s.clone());
            }
        }
        Ok(used)
    }

    #[tracing::instrument(skip_all)]
    async fn lookback_lots(
        &self,
        clinic_id: uuid::Uuid,
        lot_ids: &[uuid::Uuid],
    ) -> crate::Result<Vec<crate::care::LookbackRow>> {
        use crate::care_imp::*;
        let mut ids: Vec<uuid::Uuid> = Vec::with_capacity(lot_ids.len());
        for id in lot_ids {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        let mut rows: Vec<LookbackDbRow> = Vec::new();
        for chunk in ids.chunks(LOTS_PER_QUERY) {
            let mut qb: sqlx::QueryBuilder<Db> = sqlx::QueryBuilder::new(LOOKBACK_SELECT);
            qb.push(" WHERE a.clinic_id = ");
            qb.push_bind(clinic_id);
            qb.push(" AND l.clinic_id = ");
            qb.push_bind(clinic_id);
            qb.push(" AND v.lot_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.push(LOOKBACK_ORDER);
            rows.extend(
                qb.build_query_as::<LookbackDbRow>()
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        if ids.len() > LOTS_PER_QUERY {
            rows.sort_by_key(LookbackDbRow::key);
        }
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn lookback_patient(
        &self,
        clinic_id: uuid::Uuid,
        patient_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::care::LookbackRow>> {
        use crate::care_imp::*;
        let rows: Vec<LookbackDbRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOOKBACK_SELECT} WHERE a.clinic_id = $1 AND a.patient_id = $2{LOOKBACK_ORDER}"
        )))
        .bind(clinic_id)
        .bind(patient_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
