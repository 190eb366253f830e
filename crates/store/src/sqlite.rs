//! The embedded backend: one SQLite file in WAL mode, foreign keys on,
//! `synchronous=FULL` so an acknowledged commit survives a power cut, and
//! `BEGIN IMMEDIATE` write transactions so writers queue instead of failing.
//!
//! This module supplies the pool, how a write transaction starts and the
//! migrations; the methods are shared with the other backend (`sql/*.rs`,
//! included at the end; the layout is described in `imp.rs`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::{Backend, Result};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens (and with `create`, creates) the database file and migrates it.
    pub async fn open(path: &Path, create: bool) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// The pool, for tests and maintenance commands.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

// The methods, shared with the other backend: ordinary Rust in `sql/*.rs`,
// written against these three names (see `imp.rs`).
type S = SqliteStore;
type Db = Sqlite;
const BACKEND: Backend = Backend::Sqlite;

include!("sql/all.rs");
