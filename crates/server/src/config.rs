//! Server configuration. Layering (defaults < TOML file < `JOUSEI_*`
//! environment < command-line flags) is done by the `jousei` binary; this is
//! the resolved result.

use jousei_core::locale::Locale;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// `sqlite://PATH` (embedded) or `postgres://USER@HOST/DB`.
    pub database_url: String,
    /// The URL people use to reach jousei. When it starts with `https://`
    /// cookies are marked `Secure` and HSTS is sent.
    pub public_url: Option<String>,
    /// Sign a session out after this many seconds without a request
    /// (guideline 6.0: no long unattended sessions).
    pub idle_timeout_secs: u64,
    /// A session ends after this many hours however active it is.
    pub session_max_hours: u64,
    /// Failed sign-ins for one login before it is locked.
    pub login_max_failures: u32,
    /// How long a locked login stays locked.
    pub login_lockout_secs: u64,
    /// Language when neither the user nor the browser says.
    pub default_locale: Locale,
    /// Directory for scheduled backups (one generation a day); none: off.
    pub backup_dir: Option<String>,
    /// Time of day (Asia/Tokyo, HH:MM) of the scheduled backup.
    pub backup_time: String,
    /// Generations kept in `backup_dir`, e.g. `daily=7,weekly=4,monthly=12`.
    pub backup_keep: String,
    /// age key file the scheduled backups are encrypted to (its public key
    /// is enough); none: not encrypted.
    pub backup_key_file: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://./jousei.db".into(),
            public_url: None,
            idle_timeout_secs: 15 * 60,
            session_max_hours: 12,
            login_max_failures: 5,
            login_lockout_secs: 15 * 60,
            default_locale: Locale::Ja,
            backup_dir: None,
            backup_time: "03:00".into(),
            backup_keep: "daily=7,weekly=4,monthly=12".into(),
            backup_key_file: None,
        }
    }
}

impl ServerConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field(
                "database_url",
                &jousei_store::redact_url(&self.database_url),
            )
            .field("public_url", &self.public_url)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("session_max_hours", &self.session_max_hours)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_lockout_secs", &self.login_lockout_secs)
            .field("default_locale", &self.default_locale)
            .field("backup_dir", &self.backup_dir)
            .field("backup_time", &self.backup_time)
            .field("backup_keep", &self.backup_keep)
            .field("backup_key_file", &self.backup_key_file)
            .finish()
    }
}
