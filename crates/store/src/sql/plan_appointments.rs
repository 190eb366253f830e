// Appointments, for [`crate::plan::PlanStore`] (booking, moving, status and
// its undo, reads): the appointment helpers and the bodies of those trait
// methods, as `do_<method>`, which the trait impl in `sql/plan.rs` forwards
// to. Included like `sql/plan.rs`; rows and SQL: `plan_imp.rs`.

impl S {
    /// Changes an appointment's status inside the caller's write
    /// transaction (after the write lock), with its event and audit
    /// entry; `appointment_status_invalid` for a change the status
    /// machine refuses. Shared by `set_appointment_status` and the
    /// cancellation of a contract (its future appointments).
    pub(crate) async fn set_appointment_status_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        to: jousei_core::plan::appointment::AppointmentStatus,
        reason: Option<&str>,
    ) -> crate::Result<crate::plan::Appointment> {
        let mut a = Self::appointment_in(tx, clinic_id, id).await?;
        let from = a.status;
        if !from.can_become(to) {
            return Err(crate::StoreError::Conflict("appointment_status_invalid"));
        }
        sqlx::query("UPDATE appointments SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(to.as_str())
            .execute(&mut **tx)
            .await?;
        a.status = to;
        let seq = Self::add_event(tx, actor, &a, "status", Some(from), None, reason).await?;
        Self::append_audit(
            tx,
            actor,
            Some(clinic_id),
            "appointment_status",
            "appointment",
            Some(id.to_string()),
            serde_json::json!({"from": from, "to": to, "event": seq, "reason": reason}),
        )
        .await?;
        Ok(a)
    }

    async fn appointment_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<crate::plan::Appointment> {
        use crate::plan_imp::*;
        let row: Option<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        row.ok_or(crate::StoreError::NotFound)?.try_into()
    }

    async fn events_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::AppointmentEvent>> {
        use crate::plan_imp::*;
        let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE e.appointment_id = $1 ORDER BY e.seq"
        )))
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_event(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        a: &crate::plan::Appointment,
        kind: &str,
        from: Option<jousei_core::plan::appointment::AppointmentStatus>,
        undoes: Option<i64>,
        reason: Option<&str>,
    ) -> crate::Result<i64> {
        let (seq,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) FROM appointment_events WHERE appointment_id = $1",
        )
        .bind(a.id)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO appointment_events (appointment_id, seq, kind, from_status, to_status, undoes_seq, starts_at, ends_at, reason, actor_id, actor_label, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(a.id)
            .bind(seq)
            .bind(kind)
            .bind(from.map(|s| s.as_str()))
            .bind(a.status.as_str())
            .bind(undoes)
            .bind(a.starts_at)
            .bind(a.ends_at)
            .bind(reason)
            .bind(actor.user_id)
            .bind(&actor.label)
            .bind(crate::Ts::now())
            .execute(&mut **tx)
            .await?;
        Ok(seq)
    }

    /// Every conflict of `slots` with the clinic's appointments that
    /// hold their slot (except `exclude`) and among themselves.
    async fn conflicts_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        clinic_id: uuid::Uuid,
        slots: &[jousei_core::plan::appointment::Slot],
        exclude: &[uuid::Uuid],
    ) -> crate::Result<Vec<jousei_core::plan::appointment::Conflict>> {
        use crate::plan_imp::*;
        let mut existing: Vec<(uuid::Uuid, jousei_core::plan::appointment::Slot)> = Vec::new();
        for s in slots {
            let rows: Vec<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND status <> 'cancelled' AND starts_at < $3 AND ends_at > $2 AND (patient_id = $4 OR room = $5 OR staff_id = $6) ORDER BY starts_at"
            )))
            .bind(clinic_id)
            .bind(crate::Ts(s.starts_at))
            .bind(crate::Ts(s.ends_at))
            .bind(s.patient_id)
            .bind(&s.room)
            .bind(s.staff_id)
            .fetch_all(&mut **tx)
            .await?;
            for r in rows {
                let a: crate::plan::Appointment = r.try_into()?;
                if !exclude.contains(&a.id) && !existing.iter().any(|(id, _)| *id == a.id) {
                    existing.push((a.id, a.slot()));
                }
            }
        }
        Ok(jousei_core::plan::appointment::find_conflicts(
            slots, &existing,
        ))
    }

    async fn do_book_appointments(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        new: &[crate::plan::NewAppointment],
    ) -> crate::Result<crate::plan::Booking> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        for n in new {
            if n.ends_at <= n.starts_at {
                return Err(crate::StoreError::Conflict("appointment_times_invalid"));
            }
            if Self::count_in(
                &mut tx,
                "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2",
                clinic_id,
                n.patient_id,
            )
            .await?
                == 0
            {
                return Err(crate::StoreError::Conflict("appointment_patient_unknown"));
            }
            if let Some(plan_id) = n.plan_id {
                let p = Self::plan_in(&mut tx, clinic_id, plan_id)
                    .await
                    .map_err(|e| match e {
                        crate::StoreError::NotFound => {
                            crate::StoreError::Conflict("appointment_plan_unknown")
                        }
                        e => e,
                    })?;
                if p.patient_id != n.patient_id {
                    return Err(crate::StoreError::Conflict("appointment_plan_unknown"));
                }
            }
            if let Some(staff) = n.staff_id
                && Self::count_in(
                    &mut tx,
                    "SELECT COUNT(*) FROM user_clinics WHERE user_id = $1 AND clinic_id = $2",
                    staff,
                    clinic_id,
                )
                .await?
                    == 0
            {
                return Err(crate::StoreError::Conflict("appointment_staff_unknown"));
            }
        }
        let slots: Vec<jousei_core::plan::appointment::Slot> = new
            .iter()
            .map(|n| jousei_core::plan::appointment::Slot {
                patient_id: n.patient_id,
                room: n.room.clone(),
                staff_id: n.staff_id,
                starts_at: n.starts_at.0,
                ends_at: n.ends_at.0,
            })
            .collect();
        let conflicts = Self::conflicts_in(&mut tx, clinic_id, &slots, &[]).await?;
        if !conflicts.is_empty() {
            return Ok(crate::plan::Booking::Conflicts(conflicts));
        }
        let mut out = Vec::with_capacity(new.len());
        let now = crate::Ts::now();
        for n in new {
            let a = crate::plan::Appointment {
                id: uuid::Uuid::now_v7(),
                clinic_id,
                patient_id: n.patient_id,
                plan_id: n.plan_id,
                session_ordinal: n.session_ordinal,
                proposed_date: n.proposed_date,
                follows_course: n.follows_course,
                room: n.room.clone(),
                staff_id: n.staff_id,
                starts_at: n.starts_at,
                ends_at: n.ends_at,
                status: jousei_core::plan::appointment::AppointmentStatus::Booked,
                note: n.note.clone(),
                created_at: now,
            };
            sqlx::query("INSERT INTO appointments (id, clinic_id, patient_id, plan_id, session_ordinal, proposed_date, follows_course, room, staff_id, starts_at, ends_at, status, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
                .bind(a.id)
                .bind(clinic_id)
                .bind(a.patient_id)
                .bind(a.plan_id)
                .bind(a.session_ordinal.map(i64::from))
                .bind(a.proposed_date.map(jiff_sqlx::Date::from))
                .bind(a.follows_course)
                .bind(&a.room)
                .bind(a.staff_id)
                .bind(a.starts_at)
                .bind(a.ends_at)
                .bind(a.status.as_str())
                .bind(&a.note)
                .bind(actor.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Self::add_event(&mut tx, actor, &a, "booked", None, None, None).await?;
            Self::append_audit(&mut tx, actor, Some(clinic_id), "appointment_booked", "appointment", Some(a.id.to_string()),
                serde_json::json!({"patient_id": a.patient_id, "plan_id": a.plan_id, "session_ordinal": a.session_ordinal, "room": a.room, "staff_id": a.staff_id, "starts_at": a.starts_at.0, "ends_at": a.ends_at.0})).await?;
            out.push(a);
        }
        tx.commit().await?;
        Ok(crate::plan::Booking::Done(out))
    }

    async fn do_move_appointments(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        moves: &[crate::plan::Move],
        reason: &str,
    ) -> crate::Result<crate::plan::Booking> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let mut current = Vec::with_capacity(moves.len());
        for m in moves {
            if m.ends_at <= m.starts_at {
                return Err(crate::StoreError::Conflict("appointment_times_invalid"));
            }
            let a = Self::appointment_in(&mut tx, clinic_id, m.id).await?;
            if a.status != jousei_core::plan::appointment::AppointmentStatus::Booked {
                return Err(crate::StoreError::Conflict("appointment_not_booked"));
            }
            current.push(a);
        }
        let ids: Vec<uuid::Uuid> = moves.iter().map(|m| m.id).collect();
        let slots: Vec<jousei_core::plan::appointment::Slot> = current
            .iter()
            .zip(moves)
            .map(|(a, m)| jousei_core::plan::appointment::Slot {
                starts_at: m.starts_at.0,
                ends_at: m.ends_at.0,
                ..a.slot()
            })
            .collect();
        let conflicts = Self::conflicts_in(&mut tx, clinic_id, &slots, &ids).await?;
        if !conflicts.is_empty() {
            return Ok(crate::plan::Booking::Conflicts(conflicts));
        }
        let mut out = Vec::with_capacity(moves.len());
        for (mut a, m) in current.into_iter().zip(moves) {
            let (from, to) = (a.starts_at, a.ends_at);
            sqlx::query("UPDATE appointments SET starts_at = $2, ends_at = $3 WHERE id = $1")
                .bind(a.id)
                .bind(m.starts_at)
                .bind(m.ends_at)
                .execute(&mut *tx)
                .await?;
            a.starts_at = m.starts_at;
            a.ends_at = m.ends_at;
            Self::add_event(
                &mut tx,
                actor,
                &a,
                "moved",
                Some(a.status),
                None,
                Some(reason),
            )
            .await?;
            Self::append_audit(&mut tx, actor, Some(clinic_id), "appointment_moved", "appointment", Some(a.id.to_string()),
                serde_json::json!({"from": {"starts_at": from.0, "ends_at": to.0}, "to": {"starts_at": m.starts_at.0, "ends_at": m.ends_at.0}, "reason": reason})).await?;
            out.push(a);
        }
        tx.commit().await?;
        Ok(crate::plan::Booking::Done(out))
    }

    async fn do_set_appointment_status(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        to: jousei_core::plan::appointment::AppointmentStatus,
        reason: Option<&str>,
    ) -> crate::Result<crate::plan::Appointment> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let a = Self::set_appointment_status_in(&mut tx, actor, clinic_id, id, to, reason).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn do_undo_appointment_status(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<crate::plan::Appointment> {
        let mut tx = self.begin_write().await?;
        Self::lock_writes(&mut tx).await?;
        let mut a = Self::appointment_in(&mut tx, clinic_id, id).await?;
        let events = Self::events_in(&mut tx, id).await?;
        let Some(last) = crate::plan_imp::undoable(&events) else {
            return Err(crate::StoreError::Conflict("appointment_nothing_to_undo"));
        };
        let (undone, back) = match last.from_status {
            Some(s) if last.to_status == a.status => (last.seq, s),
            _ => return Err(crate::StoreError::Conflict("appointment_nothing_to_undo")),
        };
        if !a.status.holds_slot()
            && back.holds_slot()
            && !Self::conflicts_in(&mut tx, clinic_id, &[a.slot()], &[id])
                .await?
                .is_empty()
        {
            return Err(crate::StoreError::Conflict("appointment_conflict"));
        }
        let from = a.status;
        sqlx::query("UPDATE appointments SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(back.as_str())
            .execute(&mut *tx)
            .await?;
        a.status = back;
        let seq = Self::add_event(
            &mut tx,
            actor,
            &a,
            "undo",
            Some(from),
            Some(undone),
            Some(reason),
        )
        .await?;
        Self::append_audit(&mut tx, actor, Some(clinic_id), "appointment_status_undone", "appointment", Some(id.to_string()),
            serde_json::json!({"from": from, "to": back, "event": seq, "undoes": undone, "reason": reason})).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn do_appointment(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Option<crate::plan::Appointment>> {
        use crate::plan_imp::*;
        let row: Option<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND id = $2"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn do_appointment_events(
        &self,
        clinic_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::AppointmentEvent>> {
        use crate::plan_imp::*;
        let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE a.clinic_id = $1 AND e.appointment_id = $2 ORDER BY e.seq"
        )))
        .bind(clinic_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn do_appointments_between(
        &self,
        clinic_id: uuid::Uuid,
        from: crate::Ts,
        to: crate::Ts,
    ) -> crate::Result<Vec<crate::plan::Appointment>> {
        use crate::plan_imp::*;
        let rows: Vec<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at, id"
        )))
        .bind(clinic_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn do_appointments_of_plan(
        &self,
        clinic_id: uuid::Uuid,
        plan_id: uuid::Uuid,
    ) -> crate::Result<Vec<crate::plan::Appointment>> {
        use crate::plan_imp::*;
        let rows: Vec<AppointmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{APPOINTMENT_SELECT} WHERE clinic_id = $1 AND plan_id = $2 ORDER BY session_ordinal, starts_at, id"
        )))
        .bind(clinic_id)
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
