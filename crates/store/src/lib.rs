//! jousei storage: one use-case trait ([`Store`]) with a SQLite (embedded,
//! default) and a PostgreSQL (clinic chains) implementation, and the audit
//! chain. Every write appends its audit entry in the same transaction as the
//! change.
//!
//! The backend is chosen from the database URL: `sqlite://PATH` or
//! `postgres://…`. Both implementations are one text: each area's methods are
//! ordinary Rust in `src/sql/`, included by `sqlite.rs` and `postgres.rs`
//! (the layout is described in `imp.rs`). Both run the same conformance suite
//! (`tests/conformance.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use jousei_core::audit::AuditEntry;
use jousei_core::locale::Locale;
use jousei_core::role::Role;
use serde::Serialize;
use uuid::Uuid;

pub mod backup;
pub mod care;
mod care_imp;
pub mod commerce;
mod commerce_imp;
mod imp;
pub mod patient;
mod patient_imp;
pub mod plan;
mod plan_imp;
pub mod postgres;
pub mod safety;
mod safety_imp;
pub mod sqlite;
pub mod supply;
mod supply_imp;
pub mod testsupport;
pub mod throttle;
mod throttle_imp;
mod ts;
pub mod verify;

pub use ts::Ts;

/// Errors from storage. `Conflict` carries a stable snake_case code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound => "not_found",
            StoreError::Conflict(code) => code,
            StoreError::Corrupt(_) | StoreError::Database(_) | StoreError::Migrate(_) => {
                "internal_error"
            }
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who is writing, for the audit entry that goes with every write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub label: String,
}

impl Actor {
    /// The system itself (demo seeding, the command line, migrations).
    pub fn system(label: &str) -> Self {
        Actor {
            user_id: None,
            label: label.to_string(),
        }
    }
    pub fn user(id: Uuid, login: &str) -> Self {
        Actor {
            user_id: Some(id),
            label: login.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clinic {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub time_zone: String,
}

#[derive(Debug, Clone)]
pub struct NewClinic {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub locale: Option<Locale>,
    pub active: bool,
    /// The password was set by someone else and must be changed at first use.
    pub must_change_password: bool,
}

/// A user with the password hash, for sign-in only.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub clinic_id: Uuid,
    pub role: Role,
}

/// A user's role in one clinic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub clinic: Clinic,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: Uuid,
    pub clinic_id: Uuid,
    pub csrf_token: String,
    pub expires_at: Ts,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user: User,
    pub clinic_id: Uuid,
    pub csrf_token: String,
    pub created_at: Ts,
    pub last_seen_at: Ts,
    pub expires_at: Ts,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: Uuid,
    pub clinic_id: Uuid,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub clinic_id: Uuid,
    pub name: String,
    pub prefix: String,
    #[serde(serialize_with = "ser_ts")]
    pub created_at: Ts,
    #[serde(serialize_with = "ser_opt_ts")]
    pub last_used_at: Option<Ts>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub revoked_at: Option<Ts>,
}

pub(crate) fn ser_ts<S: serde::Serializer>(t: &Ts, s: S) -> std::result::Result<S::Ok, S::Error> {
    t.0.serialize(s)
}
pub(crate) fn ser_opt_ts<S: serde::Serializer>(
    t: &Option<Ts>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    t.map(|t| t.0).serialize(s)
}

/// An event that is only an audit entry (sign-in, sign-out, a failed sign-in,
/// a read of a patient's record): it changes no other table.
#[derive(Debug, Clone)]
pub struct AuditNote {
    pub clinic_id: Option<Uuid>,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: Option<String>,
    pub changes: serde_json::Value,
}

/// The use cases jousei needs from a database. One implementation per
/// backend; both pass the same conformance suite.
#[async_trait]
pub trait Store:
    supply::SupplyStore
    + patient::PatientStore
    + plan::PlanStore
    + care::CareStore
    + safety::SafetyStore
    + commerce::CommerceStore
    + throttle::ThrottleStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    // Clinics
    async fn create_clinic(&self, actor: &Actor, new: &NewClinic) -> Result<Clinic>;
    async fn clinic_by_code(&self, code: &str) -> Result<Option<Clinic>>;
    async fn clinic_by_id(&self, id: Uuid) -> Result<Option<Clinic>>;
    async fn list_clinics(&self) -> Result<Vec<Clinic>>;

    // Users and grants
    /// Creates a user with a first clinic grant. `user_login_taken` if the
    /// login exists.
    async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User>;
    /// Grants (or changes) a user's role in a clinic.
    async fn grant_clinic(
        &self,
        actor: &Actor,
        user_id: Uuid,
        clinic_id: Uuid,
        role: Role,
    ) -> Result<()>;
    async fn user_credentials(&self, login: &str) -> Result<Option<UserCredentials>>;
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>>;
    async fn grants_of_user(&self, user_id: Uuid) -> Result<Vec<Grant>>;
    /// Users granted the clinic, with their role there.
    async fn users_in_clinic(&self, clinic_id: Uuid) -> Result<Vec<(User, Role)>>;
    async fn set_user_locale(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        user_id: Uuid,
        locale: Option<Locale>,
    ) -> Result<()>;
    /// Sets a password; `must_change` when someone other than the owner set
    /// it (the owner must then change it at first use).
    async fn set_password_hash(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        user_id: Uuid,
        password_hash: &str,
        must_change: bool,
    ) -> Result<()>;
    async fn set_user_active(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        user_id: Uuid,
        active: bool,
    ) -> Result<()>;

    // Sessions
    async fn create_session(&self, actor: &Actor, new: &NewSession) -> Result<Uuid>;
    async fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>>;
    /// Records activity (not audited: bookkeeping, not a change of record).
    async fn touch_session(&self, id: Uuid, at: Ts) -> Result<()>;
    async fn switch_session_clinic(&self, actor: &Actor, id: Uuid, clinic_id: Uuid) -> Result<()>;
    /// Ends a session; `reason` is `logout`, `idle_timeout` or `expired`.
    async fn end_session(&self, actor: &Actor, id: Uuid, reason: &str) -> Result<()>;

    // API tokens
    async fn create_api_token(&self, actor: &Actor, new: &NewApiToken) -> Result<ApiToken>;
    /// A valid (not revoked) token by hash, with its user; marks it used.
    async fn use_api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>>;
    async fn api_tokens_of_user(&self, user_id: Uuid) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(&self, actor: &Actor, user_id: Uuid, token_id: Uuid) -> Result<()>;

    // Audit
    /// Appends an audit-only entry (sign-in, sign-out, reads of records).
    async fn note(&self, actor: &Actor, note: &AuditNote) -> Result<()>;
    /// Newest first, only entries of the given clinics, before `before_seq`.
    async fn audit_page(
        &self,
        clinic_ids: &[Uuid],
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>>;
    /// All clinics, in sequence order, after `after_seq` (for verification).
    async fn audit_batch(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>>;
    /// The recorded head of the chain: last sequence number and hash.
    async fn audit_head(&self) -> Result<(i64, String)>;
}

pub type DynStore = Arc<dyn Store>;

/// Why a database URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "unsupported database URL scheme `{0}`: use sqlite://PATH (embedded) or postgres://USER@HOST/DB"
    )]
    UnknownScheme(String),
    #[error(
        "the SQLite database {0} does not exist; pass --create to make a new one (refusing to create an empty database from a typo)"
    )]
    SqliteMissing(String),
    #[error("invalid database URL: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A parsed database location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl DbLocation {
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or("");
            if path.is_empty() || path == ":memory:" {
                return Err(OpenError::Invalid(
                    "sqlite URL needs a file path, e.g. sqlite://./jousei.db".into(),
                ));
            }
            return Ok(DbLocation::Sqlite(std::path::PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbLocation::Postgres(url.to_string()));
        }
        let scheme = url.split(':').next().unwrap_or(url);
        Err(OpenError::UnknownScheme(scheme.to_string()))
    }
}

/// Redacts the password in a database URL for logs and messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Opens the database named by `url`, runs migrations and returns the store.
/// A SQLite file that does not exist is created only when `create` is true.
pub async fn open(url: &str, create: bool) -> Result<DynStore, OpenError> {
    match DbLocation::parse(url)? {
        DbLocation::Sqlite(path) => {
            if !create && !path.exists() {
                return Err(OpenError::SqliteMissing(path.display().to_string()));
            }
            Ok(Arc::new(sqlite::SqliteStore::open(&path, create).await?))
        }
        DbLocation::Postgres(url) => Ok(Arc::new(postgres::PgStore::open(&url).await?)),
    }
}
