//! Backups and restore on both databases: round trips SQLite → SQLite,
//! PostgreSQL → PostgreSQL, SQLite → PostgreSQL and back, compared table by
//! table; and the refusals (a target that is not empty, a cut or altered
//! archive, a missing or wrong key, a schema newer than this jousei), each
//! leaving the target as it was. PostgreSQL runs when
//! `JOUSEI_TEST_POSTGRES_URL` is set (SKIPPED otherwise; a failure with
//! `JOUSEI_REQUIRE_POSTGRES`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use jiff::civil::date;
use jousei_core::locale::Locale;
use jousei_core::patient::registry::{DataConsentMethod, RawPatient};
use jousei_core::role::Role;
use jousei_store::backup::{self, BackupError, BackupKey, Progress};
use jousei_store::patient::NewPatient;
use jousei_store::testsupport::TestDb;
use jousei_store::{Actor, AuditNote, DynStore, NewApiToken, NewClinic, NewSession, NewUser, Ts};

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("jousei-backup-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fresh database of the kind asked, or `None` (SKIPPED) for PostgreSQL
/// without a server.
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

async fn done(db: TestDb) {
    db.cleanup().await;
}

/// Clinics, users (a boolean, a locale), grants, a session, an API token
/// used and revoked, notes, patients (a calendar date) with a correction.
async fn seed(store: &DynStore) {
    let sys = Actor::system("test");
    let ginza = store
        .create_clinic(
            &sys,
            &NewClinic {
                code: "ginza".into(),
                name: "銀座院".into(),
                name_en: Some("Ginza".into()),
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap();
    let osaka = store
        .create_clinic(
            &sys,
            &NewClinic {
                code: "osaka".into(),
                name: "大阪院".into(),
                name_en: None,
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap();
    let dr = store
        .create_user(
            &sys,
            &NewUser {
                login: "dr.sato".into(),
                display_name: "佐藤 直子".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                clinic_id: ginza.id,
                role: Role::Physician,
            },
        )
        .await
        .unwrap();
    store
        .grant_clinic(&sys, dr.id, osaka.id, Role::Admin)
        .await
        .unwrap();
    store
        .set_user_locale(&sys, ginza.id, dr.id, Some(Locale::En))
        .await
        .unwrap();
    store
        .set_password_hash(&sys, ginza.id, dr.id, "$argon2id$new", true)
        .await
        .unwrap();
    let actor = Actor::user(dr.id, &dr.login);
    store
        .create_session(
            &actor,
            &NewSession {
                token_hash: "session-hash".into(),
                user_id: dr.id,
                clinic_id: ginza.id,
                csrf_token: "csrf".into(),
                expires_at: Ts::now(),
            },
        )
        .await
        .unwrap();
    let token = store
        .create_api_token(
            &actor,
            &NewApiToken {
                user_id: dr.id,
                clinic_id: ginza.id,
                name: "cli".into(),
                token_hash: "token-hash".into(),
                prefix: "jst_abcd".into(),
            },
        )
        .await
        .unwrap();
    store.use_api_token("token-hash").await.unwrap().unwrap();
    store
        .revoke_api_token(&actor, dr.id, token.id)
        .await
        .unwrap();
    for (name, kana, birth) in [
        ("山田 花子", "ヤマダ ハナコ", "1980-02-29"),
        ("鈴木 一郎", "スズキ イチロウ", "1955-12-31"),
    ] {
        let facts = RawPatient {
            name: name.into(),
            kana: kana.into(),
            birth_date: birth.into(),
            sex: "female".into(),
            phone: "03-1234-5678".into(),
            address: "東京都中央区銀座1-1-1".into(),
            ..Default::default()
        }
        .parse(date(2026, 11, 22))
        .unwrap();
        let p = store
            .create_patient(
                &actor,
                ginza.id,
                &NewPatient {
                    number: None,
                    facts: facts.clone(),
                    data_consent_method: DataConsentMethod::Tablet,
                },
            )
            .await
            .unwrap();
        store
            .revise_patient(&actor, ginza.id, p.id, &facts, "電話番号の確認")
            .await
            .unwrap();
    }
    store
        .note(
            &actor,
            &AuditNote {
                clinic_id: Some(ginza.id),
                action: "signed_in".into(),
                entity_kind: "user".into(),
                entity_id: Some(dr.id.to_string()),
                changes: serde_json::json!({"via": "password", "ja": "署名"}),
            },
        )
        .await
        .unwrap();
}

fn quiet() -> impl FnMut(Progress<'_>) + Send {
    |_| {}
}

async fn dump(url: &str) -> BTreeMap<String, Vec<String>> {
    backup::neutral_dump(url).await.unwrap()
}

async fn round_trip(from_pg: bool, to_pg: bool) {
    let Some(src) = fresh(from_pg).await else {
        return;
    };
    let Some(dst) = fresh(to_pg).await else {
        done(src).await;
        return;
    };
    let store = jousei_store::open(&src.url, true).await.unwrap();
    seed(&store).await;
    let dir = tempdir();
    let out = dir.join("clinic.tar.zst");
    let mut tables_seen = Vec::new();
    let summary = backup::backup(&src.url, &out, None, &mut |p| {
        if let Progress::Table { table, .. } = p {
            tables_seen.push(table.to_string());
        }
    })
    .await
    .unwrap();
    assert!(summary.bytes > 0 && !summary.encrypted);
    let m = &summary.manifest;
    let (head_seq, head_hash) = store.audit_head().await.unwrap();
    assert_eq!(
        (m.audit_head.seq, m.audit_head.hash.clone()),
        (head_seq, head_hash)
    );
    assert!(
        head_seq >= 14,
        "the seeding wrote a real chain ({head_seq})"
    );
    assert_eq!(
        m.source_backend,
        if from_pg { "postgres" } else { "sqlite" }
    );
    assert_eq!(
        tables_seen.len(),
        m.tables.len(),
        "progress for every table"
    );
    // Every table of the schema, found from the catalogue, parents first.
    let before = dump(&src.url).await;
    let names: Vec<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), before.len());
    for t in before.keys() {
        assert!(names.contains(&t.as_str()), "{t} archived");
    }
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(pos("clinics") < pos("users") && pos("users") < pos("user_clinics"));
    assert!(pos("patients") < pos("patient_versions"));
    for t in &m.tables {
        assert_eq!(t.rows as usize, before[&t.name].len(), "{} counted", t.name);
    }
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600,
        "only the owner reads a backup"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    // Writing went on while nothing changed in the source.
    assert_eq!(dump(&src.url).await, before);

    let mut restored_tables = Vec::new();
    let restored = backup::restore(&out, &dst.url, None, &mut |p| {
        if let Progress::Table { table, index, .. } = p {
            restored_tables.push((index, table.to_string()));
        }
    })
    .await
    .unwrap();
    assert_eq!(
        restored_tables,
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (i + 1, n.to_string()))
            .collect::<Vec<_>>(),
        "progress for every table, empty ones too, in order"
    );
    assert_eq!(restored.audit_entries, head_seq as u64);
    assert_eq!(dump(&dst.url).await, before, "every table, every row");
    // The restored database works as a jousei database.
    let copy = jousei_store::open(&dst.url, false).await.unwrap();
    let n = jousei_store::verify::verify_chain(copy.as_ref(), |_, _| {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, head_seq as u64);
    let clinics = copy.list_clinics().await.unwrap();
    assert_eq!(clinics, store.list_clinics().await.unwrap());
    let creds = copy.user_credentials("dr.sato").await.unwrap().unwrap();
    assert!(creds.user.must_change_password);
    assert_eq!(creds.user.locale, Some(Locale::En));
    // And keeps working: a new write extends the restored chain.
    copy.create_clinic(
        &Actor::system("test"),
        &NewClinic {
            code: "kobe".into(),
            name: "神戸院".into(),
            name_en: None,
            time_zone: "Asia/Tokyo".into(),
        },
    )
    .await
    .unwrap();
    let n = jousei_store::verify::verify_chain(copy.as_ref(), |_, _| {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, head_seq as u64 + 1);
    let _ = std::fs::remove_dir_all(dir);
    done(src).await;
    done(dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_sqlite_to_sqlite() {
    round_trip(false, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_postgres_to_postgres() {
    round_trip(true, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_sqlite_to_postgres() {
    round_trip(false, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_postgres_to_sqlite() {
    round_trip(true, false).await;
}

/// A seeded SQLite database and its archive (plain, or encrypted to `key`).
async fn seeded_archive(dir: &Path, key: Option<&BackupKey>) -> (TestDb, PathBuf) {
    let src = TestDb::sqlite();
    let store = jousei_store::open(&src.url, true).await.unwrap();
    seed(&store).await;
    let out = dir.join(if key.is_some() {
        "a.tar.zst.age"
    } else {
        "a.tar.zst"
    });
    backup::backup(&src.url, &out, key, &mut quiet())
        .await
        .unwrap();
    (src, out)
}

/// Restoring `archive` into a new database fails with `code`; the target
/// stays empty, so the same target then takes a good archive.
async fn refused(archive: &Path, key: Option<&BackupKey>, code: &str, good: &Path) {
    let dst = TestDb::sqlite();
    let e = backup::restore(archive, &dst.url, key, &mut quiet())
        .await
        .unwrap_err();
    assert_eq!(e.code(), code, "{e}");
    backup::restore(good, &dst.url, None, &mut quiet())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_archives_need_their_key() {
    let dir = tempdir();
    let key_path = dir.join("backup.key");
    let public = backup::generate_key_file(&key_path).unwrap();
    let key = BackupKey::read(&key_path).unwrap();
    // A server can hold only the public key: it writes, it cannot read.
    std::fs::write(dir.join("public.key"), &public).unwrap();
    let public_only = BackupKey::read(&dir.join("public.key")).unwrap();
    let (src, sealed) = seeded_archive(&dir, Some(&public_only)).await;
    let raw = std::fs::read(&sealed).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/"));
    assert!(
        !raw.windows("銀座院".len())
            .any(|w| w == "銀座院".as_bytes()),
        "nothing readable without the key"
    );
    let plain = dir.join("plain.tar.zst");
    backup::backup(&src.url, &plain, None, &mut quiet())
        .await
        .unwrap();

    refused(&sealed, None, "archive_key_required", &plain).await;
    let other = dir.join("other.key");
    backup::generate_key_file(&other).unwrap();
    refused(
        &sealed,
        Some(&BackupKey::read(&other).unwrap()),
        "archive_wrong_key",
        &plain,
    )
    .await;
    refused(&sealed, Some(&public_only), "backup_key_invalid", &plain).await;

    let dst = TestDb::sqlite();
    let r = backup::restore(&sealed, &dst.url, Some(&key), &mut quiet())
        .await
        .unwrap();
    let plain_manifest = backup::read_manifest(&plain, None).unwrap();
    assert_eq!(r.manifest.tables, plain_manifest.tables);
    assert_eq!(r.manifest.audit_head, plain_manifest.audit_head);
    assert_eq!(dump(&dst.url).await, dump(&src.url).await);
    let e = BackupError::WrongKey;
    assert_eq!(e.exit_code(), 5);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_or_altered_archives_are_refused_and_change_nothing() {
    let dir = tempdir();
    let (_src, good) = seeded_archive(&dir, None).await;
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.tar.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    refused(&cut, None, "archive_damaged", &good).await;
    let short = dir.join("short.tar.zst");
    std::fs::write(&short, &bytes[..bytes.len() - 8]).unwrap();
    refused(&short, None, "archive_damaged", &good).await;
    let flipped = dir.join("flipped.tar.zst");
    let mut b = bytes.clone();
    let mid = b.len() / 2;
    b[mid] ^= 0x55;
    std::fs::write(&flipped, &b).unwrap();
    refused(&flipped, None, "archive_damaged", &good).await;
    let junk = dir.join("notes.txt");
    std::fs::write(&junk, "not a backup").unwrap();
    refused(&junk, None, "archive_damaged", &good).await;

    // Encrypted: a cut or altered byte fails authentication.
    let key_path = dir.join("k");
    backup::generate_key_file(&key_path).unwrap();
    let key = BackupKey::read(&key_path).unwrap();
    let (_src2, sealed) = seeded_archive(&dir, Some(&key)).await;
    let bytes = std::fs::read(&sealed).unwrap();
    let cut = dir.join("cut.age");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    refused(&cut, Some(&key), "archive_damaged", &good).await;
    let mut b = bytes.clone();
    let at = b.len() - 200;
    b[at] ^= 1;
    let flipped = dir.join("flipped.age");
    std::fs::write(&flipped, &b).unwrap();
    refused(&flipped, Some(&key), "archive_damaged", &good).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Rewrites an archive's manifest.
fn with_manifest(from: &Path, to: &Path, change: impl Fn(&mut serde_json::Value)) {
    let mut tar_bytes = Vec::new();
    zstd::Decoder::new(std::fs::File::open(from).unwrap())
        .unwrap()
        .read_to_end(&mut tar_bytes)
        .unwrap();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut builder = tar::Builder::new(Vec::new());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
            change(&mut m);
            data = serde_json::to_vec(&m).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        builder.append_data(&mut h, &name, &data[..]).unwrap();
    }
    let tar_out = builder.into_inner().unwrap();
    let mut enc = zstd::Encoder::new(std::fs::File::create(to).unwrap(), 3).unwrap();
    enc.write_all(&tar_out).unwrap();
    enc.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_of_a_newer_schema_or_format_are_refused() {
    let dir = tempdir();
    let (_src, good) = seeded_archive(&dir, None).await;
    // The rewriting itself keeps a good archive good.
    let same = dir.join("same.tar.zst");
    with_manifest(&good, &same, |_| {});
    let dst = TestDb::sqlite();
    backup::restore(&same, &dst.url, None, &mut quiet())
        .await
        .unwrap();

    let newer = dir.join("newer.tar.zst");
    with_manifest(&good, &newer, |m| {
        m["schema_version"] = 99_991_231_000_000i64.into();
        m["migrations"]
            .as_array_mut()
            .unwrap()
            .push(99_991_231_000_000i64.into());
    });
    refused(&newer, None, "archive_schema_newer", &good).await;
    let e = backup::read_manifest(&newer, None).unwrap();
    assert_eq!(e.schema_version, 99_991_231_000_000);
    let format = dir.join("format.tar.zst");
    with_manifest(&good, &format, |m| m["format_version"] = 2.into());
    refused(&format, None, "archive_format_newer", &good).await;
    let counts = dir.join("counts.tar.zst");
    with_manifest(&good, &counts, |m| {
        let t = m["tables"].as_array_mut().unwrap();
        let n = t[0]["rows"].as_u64().unwrap();
        t[0]["rows"] = (n + 1).into();
    });
    refused(&counts, None, "archive_damaged", &good).await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn target_not_empty(pg: bool) {
    let dir = tempdir();
    let (_src, good) = seeded_archive(&dir, None).await;
    let Some(dst) = fresh(pg).await else { return };
    // A new, migrated database is empty (its migrations seed the audit head).
    jousei_store::open(&dst.url, true).await.unwrap();
    backup::restore(&good, &dst.url, None, &mut quiet())
        .await
        .unwrap();
    let before = dump(&dst.url).await;
    // Now it holds data: refused, and unchanged.
    let e = backup::restore(&good, &dst.url, None, &mut quiet())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "restore_target_not_empty", "{e}");
    assert_eq!(e.exit_code(), 3);
    assert!(e.to_string().contains("not empty"), "{e}");
    assert_eq!(dump(&dst.url).await, before);
    done(dst).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_data_is_refused_sqlite() {
    target_not_empty(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_data_is_refused_postgres() {
    target_not_empty(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_only_a_changed_counter_is_not_empty() {
    let dir = tempdir();
    let (_src, good) = seeded_archive(&dir, None).await;
    let dst = TestDb::sqlite();
    jousei_store::open(&dst.url, true).await.unwrap();
    let path = dst.url.trim_start_matches("sqlite://");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite:{path}"))
        .await
        .unwrap();
    sqlx::query("UPDATE lot_seq SET seq = 5")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let e = backup::restore(&good, &dst.url, None, &mut quiet())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "restore_target_not_empty", "{e}");
    assert!(e.to_string().contains("lot_seq"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_never_migrates_or_writes_its_source() {
    let dir = tempdir();
    // A database at an older schema: only the first two migrations.
    let db_path = dir.join("old.db");
    let url = format!("sqlite://{}", db_path.display());
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let migrator = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db_path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        migrator.run_to(versions[1], &pool).await.unwrap();
        pool.close().await;
    }
    let before = std::fs::read(&db_path).unwrap();
    let out = dir.join("old.tar.zst");
    let s = backup::backup(&url, &out, None, &mut quiet())
        .await
        .unwrap();
    assert_eq!(s.manifest.schema_version, versions[1], "archived as it is");
    assert_eq!(s.manifest.migrations, versions[..2].to_vec());
    assert_eq!(
        std::fs::read(&db_path).unwrap(),
        before,
        "the file is untouched"
    );
    assert!(
        !dir.join("old.db-wal").exists()
            || std::fs::metadata(dir.join("old.db-wal")).unwrap().len() == 0
    );
    // It restores at its own version, and a normal open migrates the copy.
    let dst = TestDb::sqlite();
    let r = backup::restore(&out, &dst.url, None, &mut quiet())
        .await
        .unwrap();
    assert!(r.latest_schema > versions[1]);
    assert_eq!(
        dump(&dst.url).await.keys().collect::<Vec<_>>(),
        dump(&url).await.keys().collect::<Vec<_>>(),
        "the copy has the old schema's tables only"
    );
    jousei_store::open(&dst.url, false).await.unwrap();

    // A source migrated by a newer jousei is refused, and not a file that
    // is not there (nothing is created).
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&db_path);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99991231000000, 'future', CURRENT_TIMESTAMP, 1, x'00', 0)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let e = backup::backup(&url, &dir.join("new.tar.zst"), None, &mut quiet())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "source_schema_newer", "{e}");
    assert_eq!(e.exit_code(), 6);
    assert!(!dir.join("new.tar.zst").exists());
    let missing = format!("sqlite://{}", dir.join("missing.db").display());
    let e = backup::backup(&missing, &dir.join("m.tar.zst"), None, &mut quiet())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "source_not_jousei", "{e}");
    assert!(!dir.join("missing.db").exists());
    // Never over an existing file.
    let e = backup::backup(&url, &out, None, &mut quiet())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "backup_out_exists");
    let _ = std::fs::remove_dir_all(dir);
}

/// Writers keep writing while the backup reads: the archive is one
/// consistent moment (its audit head matches its log and its counts), so it
/// restores and verifies.
async fn backup_while_writing(pg: bool) {
    let Some(src) = fresh(pg).await else { return };
    let store = jousei_store::open(&src.url, true).await.unwrap();
    seed(&store).await;
    let note = |i: usize| AuditNote {
        clinic_id: None,
        action: "test_note".into(),
        entity_kind: "test".into(),
        entity_id: Some(i.to_string()),
        changes: serde_json::json!({ "i": i }),
    };
    for i in 0..1500 {
        store.note(&Actor::system("test"), &note(i)).await.unwrap();
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store.note(&Actor::system("w"), &note(n)).await.unwrap();
                n += 1;
            }
            n
        })
    };
    // Let the writer get going.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let dir = tempdir();
    let out = dir.join("live.tar.zst");
    let s = backup::backup(&src.url, &out, None, &mut quiet())
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 0, "writes went on");
    let (head, _) = store.audit_head().await.unwrap();
    assert!(
        head > s.manifest.audit_head.seq || written < 3,
        "the backup is of an earlier moment"
    );
    let dst = TestDb::sqlite();
    let r = backup::restore(&out, &dst.url, None, &mut quiet())
        .await
        .unwrap();
    assert_eq!(r.audit_entries, s.manifest.audit_head.seq as u64);
    let _ = std::fs::remove_dir_all(dir);
    done(src).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_while_writing_sqlite() {
    backup_while_writing(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_while_writing_postgres() {
    backup_while_writing(true).await;
}
