//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database (named by a UUID) on the server given by
//! `JOUSEI_TEST_POSTGRES_URL`, dropped again when the guard goes away.

use std::path::PathBuf;

/// The environment variable naming the PostgreSQL server for tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "JOUSEI_TEST_POSTGRES_URL";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new SQLite database file in a fresh temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("jousei-test-{}", uuid::Uuid::now_v7()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("jousei.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// A new, empty PostgreSQL database, or `None` (with the reason) when
    /// `JOUSEI_TEST_POSTGRES_URL` is not set.
    pub async fn postgres() -> Result<TestDb, String> {
        let admin_url = std::env::var(POSTGRES_ENV)
            .map_err(|_| format!("{POSTGRES_ENV} is not set; PostgreSQL tests skipped"))?;
        let name = format!("jousei_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", crate::redact_url(&admin_url)))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("cannot create test database: {e}"))?;
        let mut url = url::Url::parse(&admin_url).map_err(|e| e.to_string())?;
        url.set_path(&format!("/{name}"));
        Ok(TestDb {
            url: url.to_string(),
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// Drops a PostgreSQL test database (SQLite directories are removed on drop).
    pub async fn cleanup(self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Dir(dir) = &self.cleanup {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
