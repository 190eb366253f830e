//! `jousei backup`, `restore` and `backup-key` run as an operator would, on
//! the demo clinic's data (every area seeded: patients, consents and their
//! PDFs, plans, doses, safety, contracts and their documents): round trips
//! SQLite → SQLite, SQLite → PostgreSQL → SQLite compared table by table,
//! encrypted archives, generations with pruning, and the refusals with their
//! exit codes. PostgreSQL runs when `JOUSEI_TEST_POSTGRES_URL` is set
//! (SKIPPED otherwise).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{copy_database, jousei, text};

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use jousei_store::testsupport::TestDb;

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{:?}", text(o));
    text(o).0
}

fn exit(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("jousei-cli-backup-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The demo clinic in `dir/demo`, returning its URL.
fn demo(dir: &Path) -> String {
    let data = dir.join("demo");
    ok(&jousei(&["demo", "--data-dir", s(&data), "--no-serve"]));
    format!("sqlite://{}", data.join("jousei.db").display())
}

fn dump(url: &str) -> BTreeMap<String, Vec<String>> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(jousei_store::backup::neutral_dump(url))
        .unwrap()
}

fn audit_entries(url: &str) -> String {
    ok(&jousei(&["audit", "verify", "--database", url]))
        .trim()
        .to_string()
}

#[test]
fn demo_round_trip_sqlite_to_sqlite() {
    let dir = tempdir();
    let src = demo(&dir);
    let archive = dir.join("demo.tar.zst");
    let o = jousei(&["backup", "--database", &src, "--out", s(&archive)]);
    let out = ok(&o);
    assert!(
        out.starts_with(&format!("backup written to {}", archive.display())),
        "{out}"
    );
    let (_, err) = text(&o);
    assert!(err.contains("backup: [1/"), "progress on stderr: {err}");
    assert!(err.contains("patients ("), "{err}");
    assert_eq!(
        std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let before = dump(&src);
    // Every area of the demo is in the archive, PDFs included.
    for t in [
        "patients",
        "certificates",
        "administrations",
        "adverse_events",
        "contract_documents",
        "receipts",
        "audit_log",
    ] {
        assert!(!before[t].is_empty(), "the demo has {t}");
    }
    // The stored contract documents are whole PDFs (bytes starting %PDF-).
    assert!(
        before["contract_documents"]
            .iter()
            .all(|row| row.contains("|x:255044462d")),
        "PDF bytes archived"
    );
    let restored = dir.join("restored");
    let o = jousei(&["restore", "--from", s(&archive), "--data-dir", s(&restored)]);
    let out = ok(&o);
    assert!(out.contains("audit entries verified"), "{out}");
    assert!(text(&o).1.contains("restore: audit chain verified"));
    let copy = format!("sqlite://{}", restored.join("jousei.db").display());
    assert_eq!(dump(&copy), before, "every table, every row");
    assert_eq!(audit_entries(&copy), audit_entries(&src));
    // The restored clinic serves its data.
    let o = jousei(&["clinic", "list", "--database", &copy]);
    assert_eq!(ok(&o), ok(&jousei(&["clinic", "list", "--database", &src])));

    // Restoring again into it: refused, exit 3, unchanged.
    let o = jousei(&["restore", "--from", s(&archive), "--data-dir", s(&restored)]);
    assert_eq!(exit(&o), 3, "{:?}", text(&o));
    assert!(text(&o).1.contains("[restore_target_not_empty]"));
    assert_eq!(dump(&copy), before);
    // Never over an existing file: exit 2.
    let o = jousei(&["backup", "--database", &src, "--out", s(&archive)]);
    assert_eq!(exit(&o), 2);
    assert!(text(&o).1.contains("already exists"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_moves_from_sqlite_to_postgres_and_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = match rt.block_on(TestDb::postgres()) {
        Ok(db) => db,
        Err(reason) => {
            if std::env::var("JOUSEI_REQUIRE_POSTGRES").is_ok() {
                panic!("PostgreSQL required but unavailable: {reason}");
            }
            eprintln!("SKIPPED (PostgreSQL): {reason}");
            return;
        }
    };
    let dir = tempdir();
    let src = demo(&dir);
    let before = dump(&src);
    let archive = dir.join("demo.tar.zst");
    copy_database(&src, &archive, "--database", &pg.url);
    assert_eq!(dump(&pg.url), before, "SQLite → PostgreSQL, every row");
    assert_eq!(audit_entries(&pg.url), audit_entries(&src));
    // And back: a PostgreSQL backup restores into SQLite.
    let back_archive = dir.join("pg.tar.zst");
    let back = dir.join("back");
    copy_database(&pg.url, &back_archive, "--data-dir", s(&back));
    let back_url = format!("sqlite://{}", back.join("jousei.db").display());
    assert_eq!(dump(&back_url), before, "PostgreSQL → SQLite, every row");
    // A PostgreSQL target with data is refused too.
    let o = jousei(&["restore", "--from", s(&archive), "--database", &pg.url]);
    assert_eq!(exit(&o), 3, "{:?}", text(&o));
    rt.block_on(pg.cleanup());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn encrypted_backups_and_their_refusals() {
    let dir = tempdir();
    let src = demo(&dir);
    let key = dir.join("backup.key");
    let o = jousei(&["backup-key", "--out", s(&key)]);
    let public = ok(&o).trim().to_string();
    assert!(public.starts_with("age1pq1"), "{public}");
    assert!(text(&o).1.contains("Keep a copy offline"));
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let o = jousei(&["backup-key", "--out", s(&key)]);
    assert_eq!(exit(&o), 2, "never over a key");
    // The server holds only the public key.
    let public_file = dir.join("public.key");
    std::fs::write(&public_file, format!("{public}\n")).unwrap();
    let archive = dir.join("sealed.tar.zst.age");
    let out = ok(&jousei(&[
        "backup",
        "--database",
        &src,
        "--out",
        s(&archive),
        "--key-file",
        s(&public_file),
    ]));
    assert!(out.contains(", encrypted)"), "{out}");

    let target = dir.join("a");
    let restore = |archive: &Path, key: Option<&Path>| {
        let mut args = vec!["restore", "--from", s(archive), "--data-dir", s(&target)];
        if let Some(k) = key {
            args.extend(["--key-file", s(k)]);
        }
        jousei(&args)
    };
    let other = dir.join("other.key");
    ok(&jousei(&["backup-key", "--out", s(&other)]));
    let bytes = std::fs::read(&archive).unwrap();
    let cut = dir.join("cut.age");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    for (from, key, code, says) in [
        (&archive, None, 5, "pass --key-file"),
        (&archive, Some(&other), 5, "[archive_wrong_key]"),
        (&archive, Some(&public_file), 2, "secret key"),
        (&cut, Some(&key), 4, "[archive_damaged]"),
    ] {
        let o = restore(from, key.map(PathBuf::as_path));
        assert_eq!(exit(&o), code, "{:?}", text(&o));
        assert!(text(&o).1.contains(says), "{says}: {:?}", text(&o));
    }
    // After every refusal the same target still takes the archive.
    ok(&restore(&archive, Some(&key)));
    let copy = format!("sqlite://{}", target.join("jousei.db").display());
    assert_eq!(dump(&copy), dump(&src));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn generations_in_a_directory_are_pruned_by_the_keep_rule() {
    let dir = tempdir();
    let src = demo(&dir);
    let gens = dir.join("generations");
    std::fs::create_dir_all(&gens).unwrap();
    // Older generations (not read by pruning) and a file that is not one.
    for name in [
        "jousei-backup-20251201T000000.000Z.tar.zst",
        "jousei-backup-20260115T000000.000Z.tar.zst",
        "jousei-backup-20260215T000000.000Z.tar.zst",
        "notes.txt",
    ] {
        std::fs::write(gens.join(name), "x").unwrap();
    }
    let run = || {
        ok(&jousei(&[
            "backup",
            "--database",
            &src,
            "--dir",
            s(&gens),
            "--keep",
            "daily=1,monthly=2",
        ]))
    };
    let first = run();
    // Daily=1 keeps today's newest; monthly=2 this month's and February's.
    assert!(first.contains("pruned"), "{first}");
    assert!(first.contains("20251201T000000.000Z"), "{first}");
    assert!(first.contains("20260115T000000.000Z"), "{first}");
    let second = run();
    let mut left: Vec<String> = std::fs::read_dir(&gens)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 3, "{left:?}\n{second}");
    assert_eq!(left[0], "jousei-backup-20260215T000000.000Z.tar.zst");
    assert!(
        left[1].starts_with("jousei-backup-2026"),
        "the newest: {left:?}"
    );
    assert_eq!(left[2], "notes.txt", "other files are never touched");
    assert!(
        second.contains("pruned"),
        "the first of today went: {second}"
    );
    // The kept generation restores.
    let newest = gens.join(&left[1]);
    ok(&jousei(&[
        "restore",
        "--from",
        s(&newest),
        "--data-dir",
        s(&dir.join("r")),
    ]));
    // Bad --keep: exit 2 naming the problem; --keep needs --dir.
    let o = jousei(&[
        "backup",
        "--database",
        &src,
        "--dir",
        s(&gens),
        "--keep",
        "hourly=3",
    ]);
    assert_eq!(exit(&o), 2);
    assert!(text(&o).1.contains("hourly"), "{:?}", text(&o));
    let o = jousei(&[
        "backup",
        "--database",
        &src,
        "--out",
        s(&dir.join("x")),
        "--keep",
        "daily=1",
    ]);
    assert_eq!(exit(&o), 2);
    let o = jousei(&["backup", "--database", &src]);
    assert_eq!(exit(&o), 2, "--out or --dir is required");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn backup_does_not_touch_a_database_it_cannot_read() {
    let dir = tempdir();
    let missing = dir.join("missing.db");
    let o = jousei(&[
        "backup",
        "--database",
        &format!("sqlite://{}", missing.display()),
        "--out",
        s(&dir.join("b.tar.zst")),
    ]);
    assert_eq!(exit(&o), 2, "{:?}", text(&o));
    assert!(text(&o).1.contains("does not exist"));
    assert!(!missing.exists(), "never created");
    assert!(!dir.join("b.tar.zst").exists());
    let o = jousei(&[
        "restore",
        "--from",
        s(&dir.join("none.tar.zst")),
        "--data-dir",
        s(&dir),
    ]);
    assert_eq!(exit(&o), 1, "{:?}", text(&o));
    assert!(text(&o).1.contains("none.tar.zst"));
    let _ = std::fs::remove_dir_all(dir);
}
