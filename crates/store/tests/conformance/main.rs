//! The storage conformance suite: one story per area, run on SQLite always
//! and on PostgreSQL when `JOUSEI_TEST_POSTGRES_URL` is set (CI sets it; set
//! `JOUSEI_REQUIRE_POSTGRES=1` to make a missing server a failure instead of a
//! reported skip). Each test gets a fresh database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;

use jousei_core::audit::ChainBreak;
use jousei_core::locale::Locale;
use jousei_core::role::Role;
use jousei_store::testsupport::TestDb;
use jousei_store::{
    Actor, AuditNote, Backend, DynStore, NewApiToken, NewClinic, NewSession, NewUser, StoreError,
    Ts,
};
use uuid::Uuid;

/// The audit entries of `action`, in chain order.
pub async fn audit_entries_of(
    store: &DynStore,
    action: &str,
) -> Vec<jousei_core::audit::AuditEvent> {
    store
        .audit_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.action == action)
        .collect()
}

pub async fn on_sqlite<F, Fut>(story: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    on_sqlite_with_url(|store, _| story(store)).await;
}

/// On a fresh SQLite database; the story also gets the URL (to reach the
/// database behind the store's back).
pub async fn on_sqlite_with_url<F, Fut>(story: F)
where
    F: FnOnce(DynStore, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TestDb::sqlite();
    let store = jousei_store::open(&db.url, true).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    story(store, db.url.clone()).await;
    drop(db);
}

pub async fn on_postgres<F, Fut>(story: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    on_postgres_with_url(|store, _| story(store)).await;
}

/// On a fresh PostgreSQL database (skipped, or failed with
/// `JOUSEI_REQUIRE_POSTGRES`, when there is none); the story also gets the URL.
pub async fn on_postgres_with_url<F, Fut>(story: F)
where
    F: FnOnce(DynStore, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = match TestDb::postgres().await {
        Ok(db) => db,
        Err(reason) => {
            if std::env::var("JOUSEI_REQUIRE_POSTGRES").is_ok() {
                panic!("PostgreSQL required but unavailable: {reason}");
            }
            eprintln!("SKIPPED (PostgreSQL): {reason}");
            return;
        }
    };
    let store = jousei_store::open(&db.url, false).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    story(store, db.url.clone()).await;
    db.cleanup().await;
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::on_sqlite(super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::on_postgres(super::$name).await;
            }
        }
    };
}

/// A story `async fn name(store: DynStore, url: &str)` run on both
/// databases, for stories that also reach the database directly.
macro_rules! both_with_url {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                crate::on_sqlite_with_url(|s, u| async move { super::$name(s, &u).await }).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                crate::on_postgres_with_url(|s, u| async move { super::$name(s, &u).await }).await;
            }
        }
    };
}

// After the macros so the modules can use them.
mod care;
mod commerce;
mod patients;
mod plans;
mod safety;
mod supply;
mod throttle;

fn sys() -> Actor {
    Actor::system("test")
}

async fn clinic(store: &DynStore, code: &str) -> jousei_store::Clinic {
    store
        .create_clinic(
            &sys(),
            &NewClinic {
                code: code.into(),
                name: format!("{code}院"),
                name_en: Some(format!("{code} clinic")),
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap()
}

async fn user(store: &DynStore, login: &str, clinic: Uuid, role: Role) -> jousei_store::User {
    store
        .create_user(
            &sys(),
            &NewUser {
                login: login.into(),
                display_name: format!("{login} さん"),
                password_hash: "$argon2id$fake".into(),
                clinic_id: clinic,
                role,
            },
        )
        .await
        .unwrap()
}

async fn users_and_clinics(store: DynStore) {
    let ginza = clinic(&store, "ginza").await;
    let umeda = clinic(&store, "umeda").await;
    assert!(matches!(
        store
            .create_clinic(
                &sys(),
                &NewClinic {
                    code: "ginza".into(),
                    name: "x".into(),
                    name_en: None,
                    time_zone: "Asia/Tokyo".into()
                }
            )
            .await,
        Err(StoreError::Conflict("clinic_code_taken"))
    ));
    let sato = user(&store, "sato", ginza.id, Role::Physician).await;
    let _kato = user(&store, "kato", umeda.id, Role::Nurse).await;
    let dup = store
        .create_user(
            &sys(),
            &NewUser {
                login: "sato".into(),
                display_name: "other".into(),
                password_hash: "x".into(),
                clinic_id: ginza.id,
                role: Role::Nurse,
            },
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict("user_login_taken"))));

    // Tenancy: each clinic lists only its own staff.
    let in_ginza = store.users_in_clinic(ginza.id).await.unwrap();
    assert_eq!(
        in_ginza
            .iter()
            .map(|(u, _)| u.login.as_str())
            .collect::<Vec<_>>(),
        ["sato"]
    );
    let in_umeda = store.users_in_clinic(umeda.id).await.unwrap();
    assert_eq!(
        in_umeda
            .iter()
            .map(|(u, _)| u.login.as_str())
            .collect::<Vec<_>>(),
        ["kato"]
    );

    // A second grant makes sato visible in umeda, with the role given there.
    store
        .grant_clinic(&sys(), sato.id, umeda.id, Role::Auditor)
        .await
        .unwrap();
    let grants = store.grants_of_user(sato.id).await.unwrap();
    assert_eq!(
        grants
            .iter()
            .map(|g| (g.clinic.code.as_str(), g.role))
            .collect::<Vec<_>>(),
        [("ginza", Role::Physician), ("umeda", Role::Auditor)]
    );

    let creds = store.user_credentials("sato").await.unwrap().unwrap();
    assert_eq!(creds.user.id, sato.id);
    assert_eq!(creds.password_hash, "$argon2id$fake");
    assert!(store.user_credentials("nobody").await.unwrap().is_none());

    store
        .set_user_locale(&sys(), ginza.id, sato.id, Some(Locale::En))
        .await
        .unwrap();
    assert_eq!(
        store.user_by_id(sato.id).await.unwrap().unwrap().locale,
        Some(Locale::En)
    );
    store
        .set_user_active(&sys(), ginza.id, sato.id, false)
        .await
        .unwrap();
    assert!(!store.user_by_id(sato.id).await.unwrap().unwrap().active);
    // Deactivating through a clinic the user is not granted is refused.
    let kato = store.user_credentials("kato").await.unwrap().unwrap().user;
    assert!(matches!(
        store
            .set_user_active(&sys(), ginza.id, kato.id, false)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_clinics().await.unwrap().len(), 2);
    assert_eq!(
        store.clinic_by_code("umeda").await.unwrap().unwrap().id,
        umeda.id
    );
}
both!(users_and_clinics);

async fn sessions(store: DynStore) {
    let ginza = clinic(&store, "ginza").await;
    let umeda = clinic(&store, "umeda").await;
    let sato = user(&store, "sato", ginza.id, Role::Nurse).await;
    let actor = Actor::user(sato.id, "sato");
    let expires = Ts::from(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(12));
    let id = store
        .create_session(
            &actor,
            &NewSession {
                token_hash: "h1".into(),
                user_id: sato.id,
                clinic_id: ginza.id,
                csrf_token: "csrf".into(),
                expires_at: expires,
            },
        )
        .await
        .unwrap();
    let s = store.session_by_token_hash("h1").await.unwrap().unwrap();
    assert_eq!((s.id, s.user.id, s.clinic_id), (id, sato.id, ginza.id));
    assert_eq!(s.expires_at, expires);
    let later = Ts::from(jiff::Timestamp::now() + jiff::SignedDuration::from_mins(3));
    store.touch_session(id, later).await.unwrap();
    assert_eq!(
        store
            .session_by_token_hash("h1")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        later
    );
    // Touching with an older time never moves activity backwards.
    store.touch_session(id, s.created_at).await.unwrap();
    assert_eq!(
        store
            .session_by_token_hash("h1")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        later
    );

    assert!(matches!(
        store.switch_session_clinic(&actor, id, umeda.id).await,
        Err(StoreError::Conflict("clinic_not_granted"))
    ));
    store
        .grant_clinic(&sys(), sato.id, umeda.id, Role::Nurse)
        .await
        .unwrap();
    store
        .switch_session_clinic(&actor, id, umeda.id)
        .await
        .unwrap();
    assert_eq!(
        store
            .session_by_token_hash("h1")
            .await
            .unwrap()
            .unwrap()
            .clinic_id,
        umeda.id
    );

    store.end_session(&actor, id, "logout").await.unwrap();
    assert!(store.session_by_token_hash("h1").await.unwrap().is_none());
    // Ending twice is harmless.
    store.end_session(&actor, id, "logout").await.unwrap();
}
both!(sessions);

async fn api_tokens(store: DynStore) {
    let ginza = clinic(&store, "ginza").await;
    let umeda = clinic(&store, "umeda").await;
    let sato = user(&store, "sato", ginza.id, Role::Quality).await;
    let actor = Actor::user(sato.id, "sato");
    let new = NewApiToken {
        user_id: sato.id,
        clinic_id: ginza.id,
        name: "logger import".into(),
        token_hash: "th".into(),
        prefix: "jst_abcd".into(),
    };
    let t = store.create_api_token(&actor, &new).await.unwrap();
    let refused = store
        .create_api_token(
            &actor,
            &NewApiToken {
                clinic_id: umeda.id,
                token_hash: "th2".into(),
                ..new.clone()
            },
        )
        .await;
    assert!(matches!(
        refused,
        Err(StoreError::Conflict("clinic_not_granted"))
    ));
    let (used, u) = store.use_api_token("th").await.unwrap().unwrap();
    assert_eq!((used.id, u.id), (t.id, sato.id));
    assert!(
        store.api_tokens_of_user(sato.id).await.unwrap()[0]
            .last_used_at
            .is_some()
    );
    store.revoke_api_token(&actor, sato.id, t.id).await.unwrap();
    assert!(store.use_api_token("th").await.unwrap().is_none());
    assert!(matches!(
        store.revoke_api_token(&actor, sato.id, t.id).await,
        Err(StoreError::NotFound)
    ));
}
both!(api_tokens);

async fn audit_chain(store: DynStore) {
    let ginza = clinic(&store, "ginza").await;
    let umeda = clinic(&store, "umeda").await;
    let sato = user(&store, "sato", ginza.id, Role::Admin).await;
    user(&store, "kato", umeda.id, Role::Admin).await;
    store
        .note(
            &Actor::user(sato.id, "sato"),
            &AuditNote {
                clinic_id: Some(ginza.id),
                action: "login_failed".into(),
                entity_kind: "user".into(),
                entity_id: Some(sato.id.to_string()),
                changes: serde_json::json!({"reason": "bad_password"}),
            },
        )
        .await
        .unwrap();
    // clinic ×2, user ×2, note ×1
    let (head, _) = store.audit_head().await.unwrap();
    assert_eq!(head, 5);
    let verified = jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(verified, Ok(5));

    // Clinic isolation of the audit trail.
    let ginza_page = store.audit_page(&[ginza.id], None, 100).await.unwrap();
    assert!(
        ginza_page
            .iter()
            .all(|e| e.event.clinic_id == Some(ginza.id))
    );
    assert_eq!(ginza_page.len(), 3);
    assert!(
        ginza_page.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
    let both = store
        .audit_page(&[ginza.id, umeda.id], None, 100)
        .await
        .unwrap();
    assert_eq!(both.len(), 5);
    let paged = store
        .audit_page(&[ginza.id, umeda.id], Some(4), 2)
        .await
        .unwrap();
    assert_eq!(paged.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2]);
    let secrets = store.audit_batch(0, 100).await.unwrap();
    assert!(
        secrets.iter().all(|e| !e.event.changes.contains("argon2")),
        "no password hash in the log"
    );
}
both!(audit_chain);

async fn concurrent_writes_keep_the_chain(store: DynStore) {
    let ginza = clinic(&store, "ginza").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .note(
                    &Actor::system("load"),
                    &AuditNote {
                        clinic_id: Some(ginza.id),
                        action: "test_write".into(),
                        entity_kind: "thing".into(),
                        entity_id: Some(i.to_string()),
                        changes: serde_json::json!({"i": i}),
                    },
                )
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let verified = jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(verified, Ok(25));
}
both!(concurrent_writes_keep_the_chain);

/// Runs raw SQL against the store's database, as an attacker with file or
/// superuser access would.
async fn raw(store: &DynStore, db_url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let _ = store;
    if db_url.starts_with("sqlite") {
        let opts: sqlx::sqlite::SqliteConnectOptions = db_url.parse()?;
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await?;
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(db_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await?;
    }
    Ok(())
}

async fn tamper_story(store: DynStore, url: &str) {
    let ginza = clinic(&store, "ginza").await;
    for login in ["a-user", "b-user", "c-user", "d-user"] {
        user(&store, login, ginza.id, Role::Nurse).await;
    }
    // The log refuses changes through SQL while its triggers stand.
    assert!(
        raw(
            &store,
            url,
            "UPDATE audit_log SET action = 'x' WHERE seq = 2"
        )
        .await
        .is_err()
    );
    assert!(
        raw(&store, url, "DELETE FROM audit_log WHERE seq = 2")
            .await
            .is_err()
    );
    let ok = jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(ok, Ok(5));

    // Someone who drops the triggers can change rows, but not unnoticed.
    let drop = if url.starts_with("sqlite") {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    } else {
        "DROP TRIGGER audit_log_no_update ON audit_log;"
    };
    raw(&store, url, drop).await.unwrap();
    raw(
        &store,
        url,
        "UPDATE audit_log SET changes = '{\"login\":\"mallory\"}' WHERE seq = 3",
    )
    .await
    .unwrap();
    let r = jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(r, Err(ChainBreak::Altered { seq: 3 }));
}

both_with_url!(tamper_story);

#[tokio::test]
async fn urls_are_checked() {
    use jousei_store::{OpenError, open};
    assert!(
        matches!(open("mysql://x", true).await, Err(OpenError::UnknownScheme(s)) if s == "mysql")
    );
    assert!(matches!(
        open("/tmp/file.db", true).await,
        Err(OpenError::UnknownScheme(_))
    ));
    let missing = std::env::temp_dir().join(format!("jousei-missing-{}.db", Uuid::now_v7()));
    let url = format!("sqlite://{}", missing.display());
    assert!(matches!(
        open(&url, false).await,
        Err(OpenError::SqliteMissing(_))
    ));
    assert!(!missing.exists(), "nothing created without --create");
    assert_eq!(
        jousei_store::redact_url("postgres://u:secret@h/db"),
        "postgres://u:***@h/db"
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_foreign_keys() {
    let db = TestDb::sqlite();
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let store = jousei_store::sqlite::SqliteStore::open(std::path::Path::new(&path), true)
        .await
        .unwrap();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL: commits are durable");
}

#[test]
fn migrations_match_between_backends() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
