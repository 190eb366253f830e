//! The chain backend: PostgreSQL. Many clinics share one database; every
//! clinical query is scoped by clinic. Writers serialise on the audit head
//! row, which each write transaction updates.
//!
//! This module supplies the pool, how a write transaction starts and the
//! migrations; the methods are shared with the other backend (`sql/*.rs`,
//! included at the end; the layout is described in `imp.rs`).

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};

use crate::{Backend, Result};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// The pool, for tests and maintenance commands.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

// The methods, shared with the other backend: ordinary Rust in `sql/*.rs`,
// written against these three names (see `imp.rs`).
type S = PgStore;
type Db = Postgres;
const BACKEND: Backend = Backend::Postgres;

include!("sql/all.rs");
