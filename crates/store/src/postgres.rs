//! The chain backend: PostgreSQL. Many clinics share one database; every
//! clinical query is scoped by clinic. Writers serialise on the audit head
//! row, which each write transaction updates.

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

// The names the shared methods in `sql/*.rs` are written against (see
// `imp.rs`); each file is included below.
type S = PgStore;
type Db = Postgres;
const BACKEND: Backend = Backend::Postgres;

include!("sql/store.rs");
include!("sql/supply.rs");
include!("sql/supply_lots.rs");
include!("sql/supply_stock.rs");
include!("sql/patient.rs");
include!("sql/patient_consent.rs");
include!("sql/plan.rs");
include!("sql/plan_appointments.rs");
include!("sql/care.rs");
include!("sql/safety.rs");
include!("sql/commerce.rs");
include!("sql/commerce_contracts.rs");
include!("sql/throttle.rs");
