//! Running the `jousei` binary from the command-line tests.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `jousei` with `args`, without the caller's database or config.
pub fn jousei(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jousei"))
        .args(args)
        .env_remove("JOUSEI_DATABASE_URL")
        .env_remove("JOUSEI_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run jousei: {e}"))
}

/// Standard output and standard error as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Standard output of a run that must succeed.
pub fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{:?}", text(o));
    text(o).0
}

/// A path as an argument.
/// Copies the database `from` (a URL) into `to` through an archive at
/// `archive`: `jousei backup`, then `jousei restore` with `to_flag`
/// (`--database` with a URL or `--data-dir` with a folder); both must succeed.
pub fn copy_database(from: &str, archive: &std::path::Path, to_flag: &str, to: &str) {
    ok(&jousei(&[
        "backup",
        "--database",
        from,
        "--out",
        s(archive),
    ]));
    ok(&jousei(&["restore", "--from", s(archive), to_flag, to]));
}

pub fn s(p: &std::path::Path) -> &str {
    p.to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", p.display()))
}

/// A fresh directory under the system's temporary one.
pub fn tempdir(prefix: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

/// A fresh PostgreSQL test database, or `None` after printing SKIPPED when
/// `JOUSEI_TEST_POSTGRES_URL` is not set (a failure when
/// `JOUSEI_REQUIRE_POSTGRES` is).
pub fn postgres_or_skip(rt: &tokio::runtime::Runtime) -> Option<jousei_store::testsupport::TestDb> {
    match rt.block_on(jousei_store::testsupport::TestDb::postgres()) {
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
