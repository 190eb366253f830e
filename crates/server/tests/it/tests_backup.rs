//! Scheduled backups: the admin users page shows the newest generation in
//! `backup_dir`, its age and size, and warns when there is none from the
//! last day; a scheduled run writes a generation of the live database; a bad
//! schedule keeps the server from starting.

use crate::*;
use jousei_server::backup_job::{self, BackupSchedule};
use jousei_server::config::ServerConfig;

fn backup_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("jousei-sched-{}", uuid::Uuid::now_v7()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_shows_the_last_backup_and_warns_when_there_is_none() {
    let dir = backup_dir();
    let cfg = ServerConfig {
        backup_dir: Some(dir.display().to_string()),
        ..Default::default()
    };
    let app = spawn_app_with(cfg.clone()).await;
    for lang in ["ja", "en"] {
        let admin = app.signed_in("admin", lang).await;
        let (status, html) = admin.page("/admin/users").await;
        assert_eq!(status, 200);
        assert!(html.contains("data-testid=\"backup-status\""), "{html}");
        assert!(
            html.contains("data-testid=\"backup-stale\""),
            "none yet: warned"
        );
        let none = if lang == "ja" {
            "保存先にバックアップがまだありません"
        } else {
            "No backup in the backup directory yet"
        };
        assert!(html.contains(none), "{lang}");
    }

    // A scheduled run writes a generation of the live database.
    let mut cfg = cfg;
    cfg.database_url = app.store_url();
    let schedule = BackupSchedule::from_config(&cfg).unwrap().unwrap();
    assert!(backup_job::run_once(&schedule, &cfg.database_url).await);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "a new backup directory is the owner's only");
    let generations = jousei_store::backup::generations(&dir).unwrap();
    assert_eq!(generations.len(), 1);
    let m = jousei_store::backup::read_manifest(&generations[0].path, None).unwrap();
    assert_eq!(m.audit_head.seq, app.store.audit_head().await.unwrap().0);

    let admin = app.signed_in("admin", "en").await;
    let (_, html) = admin.page("/admin/users").await;
    assert!(html.contains("Latest backup"), "{html}");
    assert!(html.contains("0 hours ago"), "{html}");
    assert!(html.contains("KiB"), "its size");
    assert!(
        !html.contains("data-testid=\"backup-stale\""),
        "fresh: no warning"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_backup_dir_the_page_has_no_backup_section() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin", "en").await;
    let (_, html) = admin.page("/admin/users").await;
    assert!(!html.contains("backup-status"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_backup_schedule_stops_the_server_from_starting() {
    let app = spawn_app().await;
    let cfg = ServerConfig {
        backup_dir: Some(backup_dir().display().to_string()),
        backup_time: "25:00".into(),
        ..Default::default()
    };
    let state = jousei_server::AppState::new(app.store.clone(), cfg).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = jousei_server::serve(listener, state, async {})
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("backup_time"), "{e:#}");
}
