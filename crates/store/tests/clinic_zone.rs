//! A clinic's time zone is checked where it is read from storage: a corrupt
//! value (someone edited the database) is an error naming the clinic, never
//! a silent fallback to another zone. On SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jousei_store::testsupport::TestDb;
use jousei_store::{Actor, NewClinic, StoreError};

async fn fresh(postgres: bool) -> Option<TestDb> {
    if !postgres {
        return Some(TestDb::sqlite());
    }
    match TestDb::postgres().await {
        Ok(db) => Some(db),
        Err(reason) => {
            if std::env::var("JOUSEI_REQUIRE_POSTGRES").is_ok() {
                panic!("PostgreSQL required but unavailable: {reason}");
            }
            eprintln!("SKIPPED (PostgreSQL): {reason}");
            None
        }
    }
}

async fn a_corrupt_zone_is_an_error(postgres: bool) {
    let Some(db) = fresh(postgres).await else {
        return;
    };
    let store = jousei_store::open(&db.url, true).await.unwrap();
    let c = store
        .create_clinic(
            &Actor::system("test"),
            &NewClinic {
                code: "ginza".into(),
                name: "銀座院".into(),
                name_en: None,
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.clinic_by_id(c.id).await.unwrap().unwrap().time_zone,
        "Asia/Tokyo"
    );
    // Someone edits the database behind jousei's back.
    let sql = "UPDATE clinics SET time_zone = 'Mars/Olympus' WHERE code = 'ginza'";
    if postgres {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
    for e in [
        store.clinic_by_id(c.id).await.unwrap_err(),
        store.clinic_by_code("ginza").await.unwrap_err(),
        store.list_clinics().await.unwrap_err(),
    ] {
        match e {
            StoreError::Corrupt(m) => {
                assert!(m.contains("ginza") && m.contains("Mars/Olympus"), "{m}")
            }
            other => panic!("expected Corrupt, got {other}"),
        }
    }
    drop(store);
    db.cleanup().await;
}

#[tokio::test]
async fn a_corrupt_zone_is_an_error_on_sqlite() {
    a_corrupt_zone_is_an_error(false).await;
}

#[tokio::test]
async fn a_corrupt_zone_is_an_error_on_postgres() {
    a_corrupt_zone_is_an_error(true).await;
}
