// The implementation of [`crate::Store`] (clinics, users, sessions, API
// tokens, the audit chain), written once for both backends: `sqlite.rs` and
// `postgres.rs` each include this file, with `S` the store, `Db` its sqlx
// database and `BACKEND` its [`crate::Backend`]. `S` has `pool` (a
// `sqlx::Pool<Db>`) and an inherent
// `async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Db>>`
// that starts a transaction which serialises writers. Rows and SQL: `imp.rs`.

impl S {
    /// Appends one entry to the audit chain inside `tx`. The head row
    /// update locks the chain until the transaction ends, so entries
    /// are sealed one at a time in sequence order.
    async fn append_audit(
        tx: &mut sqlx::Transaction<'static, Db>,
        actor: &crate::Actor,
        clinic_id: Option<uuid::Uuid>,
        action: &str,
        entity_kind: &str,
        entity_id: Option<String>,
        changes: serde_json::Value,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let (seq, prev_hash): (i64, String) = sqlx::query_as(SQL_AUDIT_HEAD_BUMP)
            .fetch_one(&mut **tx)
            .await?;
        let event = jousei_core::audit::AuditEvent {
            actor_id: actor.user_id,
            actor_label: actor.label.clone(),
            clinic_id,
            action: action.to_string(),
            entity_kind: entity_kind.to_string(),
            entity_id,
            changes: changes_text(&changes),
        };
        let entry = jousei_core::audit::seal(seq - 1, &prev_hash, jiff::Timestamp::now(), event);
        sqlx::query(SQL_AUDIT_INSERT)
            .bind(entry.seq)
            .bind(crate::Ts(entry.at))
            .bind(entry.event.actor_id)
            .bind(&entry.event.actor_label)
            .bind(entry.event.clinic_id)
            .bind(&entry.event.action)
            .bind(&entry.event.entity_kind)
            .bind(&entry.event.entity_id)
            .bind(&entry.event.changes)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut **tx)
            .await?;
        sqlx::query(SQL_AUDIT_HEAD_SET)
            .bind(&entry.hash)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::Store for S {
    fn backend(&self) -> crate::Backend {
        BACKEND
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> crate::Result<()> {
        let _: (i32,) = sqlx::query_as("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_clinic(
        &self,
        actor: &crate::Actor,
        new: &crate::NewClinic,
    ) -> crate::Result<crate::Clinic> {
        use crate::imp::*;
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(SQL_INSERT_CLINIC)
            .bind(id)
            .bind(&new.code)
            .bind(&new.name)
            .bind(&new.name_en)
            .bind(&new.time_zone)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        map_unique(res, "clinic_code_taken")?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(id),
            "clinic_created",
            "clinic",
            Some(id.to_string()),
            serde_json::json!({"code": new.code, "name": new.name, "name_en": new.name_en, "time_zone": new.time_zone}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::Clinic {
            id,
            code: new.code.clone(),
            name: new.name.clone(),
            name_en: new.name_en.clone(),
            time_zone: new.time_zone.clone(),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn clinic_by_code(&self, code: &str) -> crate::Result<Option<crate::Clinic>> {
        use crate::imp::*;
        let row: Option<ClinicRow> = sqlx::query_as(SQL_CLINIC_BY_CODE)
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(crate::Clinic::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn clinic_by_id(&self, id: uuid::Uuid) -> crate::Result<Option<crate::Clinic>> {
        use crate::imp::*;
        let row: Option<ClinicRow> = sqlx::query_as(SQL_CLINIC_BY_ID)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(crate::Clinic::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_clinics(&self) -> crate::Result<Vec<crate::Clinic>> {
        use crate::imp::*;
        let rows: Vec<ClinicRow> = sqlx::query_as(SQL_LIST_CLINICS)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(crate::Clinic::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn create_user(
        &self,
        actor: &crate::Actor,
        new: &crate::NewUser,
    ) -> crate::Result<crate::User> {
        use crate::imp::*;
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(SQL_INSERT_USER)
            .bind(id)
            .bind(&new.login)
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await;
        map_unique(res, "user_login_taken")?;
        let res = sqlx::query(SQL_UPSERT_GRANT)
            .bind(id)
            .bind(new.clinic_id)
            .bind(new.role.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await;
        map_fk(res, "clinic_not_found")?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(new.clinic_id),
            "user_created",
            "user",
            Some(id.to_string()),
            serde_json::json!({"login": new.login, "display_name": new.display_name, "role": new.role.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::User {
            id,
            login: new.login.clone(),
            display_name: new.display_name.clone(),
            locale: None,
            active: true,
            must_change_password: false,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn grant_clinic(
        &self,
        actor: &crate::Actor,
        user_id: uuid::Uuid,
        clinic_id: uuid::Uuid,
        role: jousei_core::role::Role,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(SQL_UPSERT_GRANT)
            .bind(user_id)
            .bind(clinic_id)
            .bind(role.as_str())
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await;
        map_fk(res, "not_found")?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "clinic_granted",
            "user",
            Some(user_id.to_string()),
            serde_json::json!({"role": role.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn user_credentials(&self, login: &str) -> crate::Result<Option<crate::UserCredentials>> {
        use crate::imp::*;
        let row: Option<(
            uuid::Uuid,
            String,
            String,
            Option<String>,
            bool,
            bool,
            String,
        )> = sqlx::query_as(SQL_USER_CREDENTIALS)
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(
            |(id, login, display_name, locale, active, must_change_password, password_hash)| {
                crate::UserCredentials {
                    user: UserRow {
                        id,
                        login,
                        display_name,
                        locale,
                        active,
                        must_change_password,
                    }
                    .into(),
                    password_hash,
                }
            },
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn user_by_id(&self, id: uuid::Uuid) -> crate::Result<Option<crate::User>> {
        use crate::imp::*;
        let row: Option<UserRow> = sqlx::query_as(SQL_USER_BY_ID)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(skip_all)]
    async fn grants_of_user(&self, user_id: uuid::Uuid) -> crate::Result<Vec<crate::Grant>> {
        use crate::imp::*;
        let rows: Vec<GrantRow> = sqlx::query_as(SQL_GRANTS_OF_USER)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn users_in_clinic(
        &self,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<Vec<(crate::User, jousei_core::role::Role)>> {
        use crate::imp::*;
        let rows: Vec<UserRoleRow> = sqlx::query_as(SQL_USERS_IN_CLINIC)
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let role = parse_role(&r.role)?;
                let user: crate::User = UserRow {
                    id: r.id,
                    login: r.login,
                    display_name: r.display_name,
                    locale: r.locale,
                    active: r.active,
                    must_change_password: r.must_change_password,
                }
                .into();
                Ok((user, role))
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn set_user_locale(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        user_id: uuid::Uuid,
        locale: Option<jousei_core::locale::Locale>,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(SQL_SET_LOCALE)
            .bind(user_id)
            .bind(locale.map(|l| l.as_str()))
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "user_locale_set",
            "user",
            Some(user_id.to_string()),
            serde_json::json!({"locale": locale.map(|l| l.as_str())}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn set_password_hash(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        user_id: uuid::Uuid,
        password_hash: &str,
        must_change: bool,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(SQL_SET_PASSWORD)
            .bind(user_id)
            .bind(password_hash)
            .bind(crate::Ts::now())
            .bind(must_change)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        // The hash itself never enters the audit log.
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "user_password_set",
            "user",
            Some(user_id.to_string()),
            serde_json::json!({"must_change": must_change}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn set_user_active(
        &self,
        actor: &crate::Actor,
        clinic_id: uuid::Uuid,
        user_id: uuid::Uuid,
        active: bool,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let (granted,): (i64,) = sqlx::query_as(SQL_USER_IN_CLINIC)
            .bind(user_id)
            .bind(clinic_id)
            .fetch_one(&mut *tx)
            .await?;
        if granted == 0 {
            return Err(crate::StoreError::NotFound);
        }
        sqlx::query(SQL_SET_ACTIVE)
            .bind(user_id)
            .bind(active)
            .bind(crate::Ts::now())
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            if active {
                "user_activated"
            } else {
                "user_deactivated"
            },
            "user",
            Some(user_id.to_string()),
            serde_json::json!({"active": active}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_session(
        &self,
        actor: &crate::Actor,
        new: &crate::NewSession,
    ) -> crate::Result<uuid::Uuid> {
        use crate::imp::*;
        let id = uuid::Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        sqlx::query(SQL_INSERT_SESSION)
            .bind(id)
            .bind(&new.token_hash)
            .bind(new.user_id)
            .bind(new.clinic_id)
            .bind(&new.csrf_token)
            .bind(crate::Ts::now())
            .bind(new.expires_at)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(new.clinic_id),
            "login",
            "session",
            Some(id.to_string()),
            serde_json::json!({"user_id": new.user_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(skip_all)]
    async fn session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> crate::Result<Option<crate::Session>> {
        use crate::imp::*;
        let row: Option<SessionRow> = sqlx::query_as(SQL_SESSION_BY_TOKEN)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| crate::Session {
            id: r.id,
            clinic_id: r.clinic_id,
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            user: UserRow {
                id: r.user_id,
                login: r.login,
                display_name: r.display_name,
                locale: r.locale,
                active: r.active,
                must_change_password: r.must_change_password,
            }
            .into(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn touch_session(&self, id: uuid::Uuid, at: crate::Ts) -> crate::Result<()> {
        use crate::imp::*;
        sqlx::query(SQL_TOUCH_SESSION)
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn switch_session_clinic(
        &self,
        actor: &crate::Actor,
        id: uuid::Uuid,
        clinic_id: uuid::Uuid,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let owner: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(SQL_SESSION_OWNER)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((user_id, from_clinic)) = owner else {
            return Err(crate::StoreError::NotFound);
        };
        let (granted,): (i64,) = sqlx::query_as(SQL_USER_IN_CLINIC)
            .bind(user_id)
            .bind(clinic_id)
            .fetch_one(&mut *tx)
            .await?;
        if granted == 0 {
            return Err(crate::StoreError::Conflict("clinic_not_granted"));
        }
        sqlx::query(SQL_SWITCH_SESSION)
            .bind(id)
            .bind(clinic_id)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "clinic_switched",
            "session",
            Some(id.to_string()),
            serde_json::json!({"from_clinic": from_clinic}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn end_session(
        &self,
        actor: &crate::Actor,
        id: uuid::Uuid,
        reason: &str,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let owner: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(SQL_SESSION_OWNER)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((user_id, clinic_id)) = owner else {
            // Already ended (e.g. two tabs signing out): nothing to do.
            return Ok(());
        };
        sqlx::query(SQL_DELETE_SESSION)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "logout",
            "session",
            Some(id.to_string()),
            serde_json::json!({"user_id": user_id, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_api_token(
        &self,
        actor: &crate::Actor,
        new: &crate::NewApiToken,
    ) -> crate::Result<crate::ApiToken> {
        use crate::imp::*;
        let id = uuid::Uuid::now_v7();
        let now = crate::Ts::now();
        let mut tx = self.begin_write().await?;
        let (granted,): (i64,) = sqlx::query_as(SQL_USER_IN_CLINIC)
            .bind(new.user_id)
            .bind(new.clinic_id)
            .fetch_one(&mut *tx)
            .await?;
        if granted == 0 {
            return Err(crate::StoreError::Conflict("clinic_not_granted"));
        }
        sqlx::query(SQL_INSERT_TOKEN)
            .bind(id)
            .bind(new.user_id)
            .bind(new.clinic_id)
            .bind(&new.name)
            .bind(&new.token_hash)
            .bind(&new.prefix)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::append_audit(
            &mut tx,
            actor,
            Some(new.clinic_id),
            "api_token_created",
            "api_token",
            Some(id.to_string()),
            serde_json::json!({"user_id": new.user_id, "name": new.name, "prefix": new.prefix}),
        )
        .await?;
        tx.commit().await?;
        Ok(crate::ApiToken {
            id,
            user_id: new.user_id,
            clinic_id: new.clinic_id,
            name: new.name.clone(),
            prefix: new.prefix.clone(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn use_api_token(
        &self,
        token_hash: &str,
    ) -> crate::Result<Option<(crate::ApiToken, crate::User)>> {
        use crate::imp::*;
        let row: Option<TokenRow> = sqlx::query_as(SQL_TOKEN_BY_HASH)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let user: Option<UserRow> = sqlx::query_as(SQL_USER_BY_ID)
            .bind(row.user_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(user) = user else { return Ok(None) };
        sqlx::query(SQL_TOKEN_USED)
            .bind(row.id)
            .bind(crate::Ts::now())
            .execute(&self.pool)
            .await?;
        Ok(Some((row.into(), user.into())))
    }

    #[tracing::instrument(skip_all)]
    async fn api_tokens_of_user(&self, user_id: uuid::Uuid) -> crate::Result<Vec<crate::ApiToken>> {
        use crate::imp::*;
        let rows: Vec<TokenRow> = sqlx::query_as(SQL_TOKENS_OF_USER)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_token(
        &self,
        actor: &crate::Actor,
        user_id: uuid::Uuid,
        token_id: uuid::Uuid,
    ) -> crate::Result<()> {
        use crate::imp::*;
        let mut tx = self.begin_write().await?;
        let clinic: Option<(uuid::Uuid,)> = sqlx::query_as(SQL_REVOKE_TOKEN)
            .bind(token_id)
            .bind(user_id)
            .bind(crate::Ts::now())
            .fetch_optional(&mut *tx)
            .await?;
        let Some((clinic_id,)) = clinic else {
            return Err(crate::StoreError::NotFound);
        };
        Self::append_audit(
            &mut tx,
            actor,
            Some(clinic_id),
            "api_token_revoked",
            "api_token",
            Some(token_id.to_string()),
            serde_json::json!({"user_id": user_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn note(&self, actor: &crate::Actor, note: &crate::AuditNote) -> crate::Result<()> {
        let mut tx = self.begin_write().await?;
        Self::append_audit(
            &mut tx,
            actor,
            note.clinic_id,
            &note.action,
            &note.entity_kind,
            note.entity_id.clone(),
            note.changes.clone(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn audit_page(
        &self,
        clinic_ids: &[uuid::Uuid],
        before_seq: Option<i64>,
        limit: i64,
    ) -> crate::Result<Vec<jousei_core::audit::AuditEntry>> {
        use crate::imp::*;
        // One query per clinic keeps the SQL identical on both
        // backends (no array binding); the pages are merged by seq.
        let mut out: Vec<jousei_core::audit::AuditEntry> = Vec::new();
        for clinic in clinic_ids {
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT seq, at, actor_id, actor_label, clinic_id, action, entity_kind, entity_id, changes, prev_hash, hash FROM audit_log WHERE clinic_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
            )
            .bind(clinic)
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            out.extend(rows.into_iter().map(Into::into));
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.seq));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn audit_batch(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> crate::Result<Vec<jousei_core::audit::AuditEntry>> {
        use crate::imp::*;
        let rows: Vec<AuditRow> = sqlx::query_as(SQL_AUDIT_BATCH)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn audit_head(&self) -> crate::Result<(i64, String)> {
        use crate::imp::*;
        Ok(sqlx::query_as(SQL_AUDIT_HEAD).fetch_one(&self.pool).await?)
    }
}
