//! The rows and SQL of [`crate::Store`], whose one implementation is written
//! once for both backends. SQL is shared: both SQLite and PostgreSQL accept
//! `$n` placeholders and `RETURNING`; the Rust types (`Uuid`, [`Ts`], `i64`,
//! `bool`, `String`) bind the same way on both. The backend modules supply
//! only the pool, the transaction start and the migrations.
//!
//! Layout, the same for every area: the row types, SQL constants and helpers
//! are in an ordinary module (this one for the store itself, `supply_imp.rs`,
//! `patient_imp.rs`, …); the methods are ordinary Rust in a file under `sql/`
//! (`sql/store.rs`, `sql/supply.rs`, …) written against three names: `S` (the
//! store), `Db` (its `sqlx` database) and `BACKEND`. `sqlite.rs` and
//! `postgres.rs` each set those names and `include!` `sql/all.rs`, the one
//! list of those files, so one text is compiled for both databases and the
//! compiler reports its errors at the file's own lines. Where an area's trait
//! impl would pass ~800 lines, it forwards one sub-topic's methods to
//! `do_<method>` bodies in `sql/<area>_<topic>.rs` (supply lots and stock,
//! patient consents, plan appointments, commerce contracts).
//!
//! `cargo fmt` reaches only modules, not included files: format these with
//! `rustfmt --edition 2024 crates/store/src/sql/*.rs`.

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

impl TryFrom<ClinicRow> for Clinic {
    type Error = StoreError;
    fn try_from(r: ClinicRow) -> Result<Self, StoreError> {
        let time_zone = checked_zone(&r.code, r.time_zone)?;
        Ok(Clinic {
            id: r.id,
            code: r.code,
            name: r.name,
            name_en: r.name_en,
            time_zone,
        })
    }
}

/// A clinic's time zone as read from storage: an IANA name that jiff knows.
/// A corrupt value is an error (`Corrupt`), never a silent fallback to
/// another zone: every date a rule depends on is the clinic's own.
pub(crate) fn checked_zone(clinic_code: &str, zone: String) -> Result<String, StoreError> {
    match jiff::tz::TimeZone::get(&zone) {
        Ok(_) => Ok(zone),
        Err(e) => Err(StoreError::Corrupt(format!(
            "clinic {clinic_code}: time zone {zone:?}: {e}"
        ))),
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
        let time_zone = checked_zone(&r.code, r.time_zone)?;
        Ok(Grant {
            clinic: Clinic {
                id: r.id,
                code: r.code,
                name: r.name,
                name_en: r.name_en,
                time_zone,
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
