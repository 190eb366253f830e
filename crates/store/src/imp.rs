//! The one implementation of [`crate::Store`], written once and expanded for
//! each backend by `store_impl!`. SQL is shared: both SQLite and PostgreSQL
//! accept `$n` placeholders and `RETURNING`; the Rust types (`Uuid`, [`Ts`],
//! `i64`, `bool`, `String`) bind the same way on both. The backend modules
//! supply only the pool, the transaction start and the migrations.

use jousei_core::audit::{AuditEntry, AuditEvent};
use jousei_core::locale::Locale;
use jousei_core::role::Role;
use uuid::Uuid;

use crate::{ApiToken, Clinic, Grant, StoreError, Ts, User};

#[derive(sqlx::FromRow)]
pub(crate) struct ClinicRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub time_zone: String,
}

impl From<ClinicRow> for Clinic {
    fn from(r: ClinicRow) -> Self {
        Clinic {
            id: r.id,
            code: r.code,
            name: r.name,
            name_en: r.name_en,
            time_zone: r.time_zone,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub locale: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            login: r.login,
            display_name: r.display_name,
            locale: r.locale.as_deref().and_then(Locale::parse),
            active: r.active,
            must_change_password: r.must_change_password,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub time_zone: String,
    pub role: String,
}

impl TryFrom<GrantRow> for Grant {
    type Error = StoreError;
    fn try_from(r: GrantRow) -> Result<Self, StoreError> {
        let role = parse_role(&r.role)?;
        Ok(Grant {
            clinic: Clinic {
                id: r.id,
                code: r.code,
                name: r.name,
                name_en: r.name_en,
                time_zone: r.time_zone,
            },
            role,
        })
    }
}

pub(crate) fn parse_role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown role {s}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRoleRow {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub locale: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub role: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub csrf_token: String,
    pub created_at: Ts,
    pub last_seen_at: Ts,
    pub expires_at: Ts,
    pub user_id: Uuid,
    pub login: String,
    pub display_name: String,
    pub locale: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub clinic_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: Ts,
    pub last_used_at: Option<Ts>,
    pub revoked_at: Option<Ts>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            user_id: r.user_id,
            clinic_id: r.clinic_id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub seq: i64,
    pub at: Ts,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub clinic_id: Option<Uuid>,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: Option<String>,
    pub changes: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            seq: r.seq,
            at: r.at.0,
            event: AuditEvent {
                actor_id: r.actor_id,
                actor_label: r.actor_label,
                clinic_id: r.clinic_id,
                action: r.action,
                entity_kind: r.entity_kind,
                entity_id: r.entity_id,
                changes: r.changes,
            },
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Canonical JSON text for the `changes` column (keys sorted by serde_json's
/// default map, which is ordered).
pub(crate) fn changes_text(v: &serde_json::Value) -> String {
    v.to_string()
}

pub(crate) const SQL_INSERT_CLINIC: &str = "INSERT INTO clinics (id, code, name, name_en, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const SQL_CLINIC_BY_CODE: &str =
    "SELECT id, code, name, name_en, time_zone FROM clinics WHERE code = $1";
pub(crate) const SQL_CLINIC_BY_ID: &str =
    "SELECT id, code, name, name_en, time_zone FROM clinics WHERE id = $1";
pub(crate) const SQL_LIST_CLINICS: &str =
    "SELECT id, code, name, name_en, time_zone FROM clinics ORDER BY code";
pub(crate) const SQL_INSERT_USER: &str = "INSERT INTO users (id, login, display_name, password_hash, locale, active, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, $5, $6, $6)";
pub(crate) const SQL_UPSERT_GRANT: &str = "INSERT INTO user_clinics (user_id, clinic_id, role, granted_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, clinic_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at";
pub(crate) const SQL_USER_CREDENTIALS: &str = "SELECT id, login, display_name, locale, active, must_change_password, password_hash FROM users WHERE login = $1";
pub(crate) const SQL_USER_BY_ID: &str =
    "SELECT id, login, display_name, locale, active, must_change_password FROM users WHERE id = $1";
pub(crate) const SQL_GRANTS_OF_USER: &str = "SELECT c.id, c.code, c.name, c.name_en, c.time_zone, g.role FROM user_clinics g JOIN clinics c ON c.id = g.clinic_id WHERE g.user_id = $1 ORDER BY c.code";
pub(crate) const SQL_USERS_IN_CLINIC: &str = "SELECT u.id, u.login, u.display_name, u.locale, u.active, u.must_change_password, g.role FROM user_clinics g JOIN users u ON u.id = g.user_id WHERE g.clinic_id = $1 ORDER BY u.login";
pub(crate) const SQL_SET_LOCALE: &str =
    "UPDATE users SET locale = $2, updated_at = $3 WHERE id = $1";
pub(crate) const SQL_SET_PASSWORD: &str =
    "UPDATE users SET password_hash = $2, must_change_password = $4, updated_at = $3 WHERE id = $1";
pub(crate) const SQL_SET_ACTIVE: &str =
    "UPDATE users SET active = $2, updated_at = $3 WHERE id = $1";
pub(crate) const SQL_USER_IN_CLINIC: &str =
    "SELECT COUNT(*) FROM user_clinics WHERE user_id = $1 AND clinic_id = $2";
pub(crate) const SQL_INSERT_SESSION: &str = "INSERT INTO sessions (id, token_hash, user_id, clinic_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";
pub(crate) const SQL_SESSION_BY_TOKEN: &str = "SELECT s.id, s.clinic_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, u.id AS user_id, u.login, u.display_name, u.locale, u.active, u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
pub(crate) const SQL_TOUCH_SESSION: &str =
    "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2";
pub(crate) const SQL_SESSION_OWNER: &str = "SELECT user_id, clinic_id FROM sessions WHERE id = $1";
pub(crate) const SQL_SWITCH_SESSION: &str = "UPDATE sessions SET clinic_id = $2 WHERE id = $1";
pub(crate) const SQL_DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1";
pub(crate) const SQL_INSERT_TOKEN: &str = "INSERT INTO api_tokens (id, user_id, clinic_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const SQL_TOKEN_BY_HASH: &str = "SELECT t.id, t.user_id, t.clinic_id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
pub(crate) const SQL_TOKEN_USED: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
pub(crate) const SQL_TOKENS_OF_USER: &str = "SELECT t.id, t.user_id, t.clinic_id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at DESC";
pub(crate) const SQL_REVOKE_TOKEN: &str = "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING clinic_id";
pub(crate) const SQL_AUDIT_HEAD_BUMP: &str =
    "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash";
pub(crate) const SQL_AUDIT_HEAD_SET: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";
pub(crate) const SQL_AUDIT_HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
pub(crate) const SQL_AUDIT_INSERT: &str = "INSERT INTO audit_log (seq, at, actor_id, actor_label, clinic_id, action, entity_kind, entity_id, changes, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub(crate) const SQL_AUDIT_BATCH: &str = "SELECT seq, at, actor_id, actor_label, clinic_id, action, entity_kind, entity_id, changes, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2";

/// Expands the [`crate::Store`] implementation for one backend.
///
/// `$store` must have `pool` (a `sqlx::Pool<$db>`), an inherent
/// `async fn begin_write(&self) -> Result<sqlx::Transaction<'static, $db>>`
/// that starts a transaction which serialises writers, and `$backend`.
macro_rules! store_impl {
    ($store:ty, $db:ty, $backend:expr) => {
        impl $store {
            /// Appends one entry to the audit chain inside `tx`. The head row
            /// update locks the chain until the transaction ends, so entries
            /// are sealed one at a time in sequence order.
            async fn append_audit(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                clinic_id: Option<uuid::Uuid>,
                action: &str,
                entity_kind: &str,
                entity_id: Option<String>,
                changes: serde_json::Value,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
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
                let entry =
                    jousei_core::audit::seal(seq - 1, &prev_hash, jiff::Timestamp::now(), event);
                sqlx::query(SQL_AUDIT_INSERT)
                    .bind(entry.seq)
                    .bind($crate::Ts(entry.at))
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
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            #[tracing::instrument(skip_all)]
            async fn ping(&self) -> $crate::Result<()> {
                let _: (i32,) = sqlx::query_as("SELECT 1").fetch_one(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn create_clinic(
                &self,
                actor: &$crate::Actor,
                new: &$crate::NewClinic,
            ) -> $crate::Result<$crate::Clinic> {
                use $crate::imp::*;
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                let res = sqlx::query(SQL_INSERT_CLINIC)
                    .bind(id)
                    .bind(&new.code)
                    .bind(&new.name)
                    .bind(&new.name_en)
                    .bind(&new.time_zone)
                    .bind($crate::Ts::now())
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
                Ok($crate::Clinic {
                    id,
                    code: new.code.clone(),
                    name: new.name.clone(),
                    name_en: new.name_en.clone(),
                    time_zone: new.time_zone.clone(),
                })
            }

            #[tracing::instrument(skip_all)]
            async fn clinic_by_code(&self, code: &str) -> $crate::Result<Option<$crate::Clinic>> {
                use $crate::imp::*;
                let row: Option<ClinicRow> = sqlx::query_as(SQL_CLINIC_BY_CODE)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            #[tracing::instrument(skip_all)]
            async fn clinic_by_id(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::Clinic>> {
                use $crate::imp::*;
                let row: Option<ClinicRow> = sqlx::query_as(SQL_CLINIC_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            #[tracing::instrument(skip_all)]
            async fn list_clinics(&self) -> $crate::Result<Vec<$crate::Clinic>> {
                use $crate::imp::*;
                let rows: Vec<ClinicRow> =
                    sqlx::query_as(SQL_LIST_CLINICS).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn create_user(
                &self,
                actor: &$crate::Actor,
                new: &$crate::NewUser,
            ) -> $crate::Result<$crate::User> {
                use $crate::imp::*;
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
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
                Ok($crate::User {
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
                actor: &$crate::Actor,
                user_id: uuid::Uuid,
                clinic_id: uuid::Uuid,
                role: jousei_core::role::Role,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
                let mut tx = self.begin_write().await?;
                let res = sqlx::query(SQL_UPSERT_GRANT)
                    .bind(user_id)
                    .bind(clinic_id)
                    .bind(role.as_str())
                    .bind($crate::Ts::now())
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
            async fn user_credentials(
                &self,
                login: &str,
            ) -> $crate::Result<Option<$crate::UserCredentials>> {
                use $crate::imp::*;
                let row: Option<(uuid::Uuid, String, String, Option<String>, bool, bool, String)> =
                    sqlx::query_as(SQL_USER_CREDENTIALS)
                        .bind(login)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(id, login, display_name, locale, active, must_change_password, password_hash)| {
                    $crate::UserCredentials {
                        user: UserRow { id, login, display_name, locale, active, must_change_password }.into(),
                        password_hash,
                    }
                }))
            }

            #[tracing::instrument(skip_all)]
            async fn user_by_id(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::User>> {
                use $crate::imp::*;
                let row: Option<UserRow> = sqlx::query_as(SQL_USER_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            #[tracing::instrument(skip_all)]
            async fn grants_of_user(&self, user_id: uuid::Uuid) -> $crate::Result<Vec<$crate::Grant>> {
                use $crate::imp::*;
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
            ) -> $crate::Result<Vec<($crate::User, jousei_core::role::Role)>> {
                use $crate::imp::*;
                let rows: Vec<UserRoleRow> = sqlx::query_as(SQL_USERS_IN_CLINIC)
                    .bind(clinic_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|r| {
                        let role = parse_role(&r.role)?;
                        let user: $crate::User = UserRow {
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
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                user_id: uuid::Uuid,
                locale: Option<jousei_core::locale::Locale>,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
                let mut tx = self.begin_write().await?;
                let n = sqlx::query(SQL_SET_LOCALE)
                    .bind(user_id)
                    .bind(locale.map(|l| l.as_str()))
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound);
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
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                user_id: uuid::Uuid,
                password_hash: &str,
                must_change: bool,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
                let mut tx = self.begin_write().await?;
                let n = sqlx::query(SQL_SET_PASSWORD)
                    .bind(user_id)
                    .bind(password_hash)
                    .bind($crate::Ts::now())
                    .bind(must_change)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound);
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
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                user_id: uuid::Uuid,
                active: bool,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
                let mut tx = self.begin_write().await?;
                let (granted,): (i64,) = sqlx::query_as(SQL_USER_IN_CLINIC)
                    .bind(user_id)
                    .bind(clinic_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if granted == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                sqlx::query(SQL_SET_ACTIVE)
                    .bind(user_id)
                    .bind(active)
                    .bind($crate::Ts::now())
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(
                    &mut tx,
                    actor,
                    Some(clinic_id),
                    if active { "user_activated" } else { "user_deactivated" },
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
                actor: &$crate::Actor,
                new: &$crate::NewSession,
            ) -> $crate::Result<uuid::Uuid> {
                use $crate::imp::*;
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                sqlx::query(SQL_INSERT_SESSION)
                    .bind(id)
                    .bind(&new.token_hash)
                    .bind(new.user_id)
                    .bind(new.clinic_id)
                    .bind(&new.csrf_token)
                    .bind($crate::Ts::now())
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
            ) -> $crate::Result<Option<$crate::Session>> {
                use $crate::imp::*;
                let row: Option<SessionRow> = sqlx::query_as(SQL_SESSION_BY_TOKEN)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| $crate::Session {
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
            async fn touch_session(&self, id: uuid::Uuid, at: $crate::Ts) -> $crate::Result<()> {
                use $crate::imp::*;
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
                actor: &$crate::Actor,
                id: uuid::Uuid,
                clinic_id: uuid::Uuid,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
                let mut tx = self.begin_write().await?;
                let owner: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(SQL_SESSION_OWNER)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((user_id, from_clinic)) = owner else {
                    return Err($crate::StoreError::NotFound);
                };
                let (granted,): (i64,) = sqlx::query_as(SQL_USER_IN_CLINIC)
                    .bind(user_id)
                    .bind(clinic_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if granted == 0 {
                    return Err($crate::StoreError::Conflict("clinic_not_granted"));
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
                actor: &$crate::Actor,
                id: uuid::Uuid,
                reason: &str,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
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
                actor: &$crate::Actor,
                new: &$crate::NewApiToken,
            ) -> $crate::Result<$crate::ApiToken> {
                use $crate::imp::*;
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                let (granted,): (i64,) = sqlx::query_as(SQL_USER_IN_CLINIC)
                    .bind(new.user_id)
                    .bind(new.clinic_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if granted == 0 {
                    return Err($crate::StoreError::Conflict("clinic_not_granted"));
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
                Ok($crate::ApiToken {
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
            ) -> $crate::Result<Option<($crate::ApiToken, $crate::User)>> {
                use $crate::imp::*;
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
                    .bind($crate::Ts::now())
                    .execute(&self.pool)
                    .await?;
                Ok(Some((row.into(), user.into())))
            }

            #[tracing::instrument(skip_all)]
            async fn api_tokens_of_user(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::ApiToken>> {
                use $crate::imp::*;
                let rows: Vec<TokenRow> = sqlx::query_as(SQL_TOKENS_OF_USER)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn revoke_api_token(
                &self,
                actor: &$crate::Actor,
                user_id: uuid::Uuid,
                token_id: uuid::Uuid,
            ) -> $crate::Result<()> {
                use $crate::imp::*;
                let mut tx = self.begin_write().await?;
                let clinic: Option<(uuid::Uuid,)> = sqlx::query_as(SQL_REVOKE_TOKEN)
                    .bind(token_id)
                    .bind(user_id)
                    .bind($crate::Ts::now())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((clinic_id,)) = clinic else {
                    return Err($crate::StoreError::NotFound);
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
            async fn note(&self, actor: &$crate::Actor, note: &$crate::AuditNote) -> $crate::Result<()> {
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
            ) -> $crate::Result<Vec<jousei_core::audit::AuditEntry>> {
                use $crate::imp::*;
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
                out.sort_by(|a, b| b.seq.cmp(&a.seq));
                out.truncate(usize::try_from(limit).unwrap_or(0));
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn audit_batch(
                &self,
                after_seq: i64,
                limit: i64,
            ) -> $crate::Result<Vec<jousei_core::audit::AuditEntry>> {
                use $crate::imp::*;
                let rows: Vec<AuditRow> = sqlx::query_as(SQL_AUDIT_BATCH)
                    .bind(after_seq)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn audit_head(&self) -> $crate::Result<(i64, String)> {
                use $crate::imp::*;
                Ok(sqlx::query_as(SQL_AUDIT_HEAD).fetch_one(&self.pool).await?)
            }
        }
    };
}

pub(crate) use store_impl;

/// Maps a unique-constraint violation to a `Conflict` with `code`.
pub(crate) fn map_unique<T>(
    res: Result<T, sqlx::Error>,
    code: &'static str,
) -> Result<T, StoreError> {
    match res {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(code)),
        other => Ok(other?),
    }
}

/// Maps a foreign-key violation to a `Conflict` with `code`.
pub(crate) fn map_fk<T>(res: Result<T, sqlx::Error>, code: &'static str) -> Result<T, StoreError> {
    match res {
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StoreError::Conflict(code))
        }
        other => Ok(other?),
    }
}
