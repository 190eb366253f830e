//! Scheduled backups: with `backup_dir` set, `serve` writes one generation a
//! day at `backup_time` (Asia/Tokyo) into that directory, encrypted to
//! `backup_key_file` when set, and prunes by `backup_keep`; the admin users
//! page shows the newest generation, its age and size, and warns when there
//! is none from the last day.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use jousei_store::backup::retention::Keep;
use jousei_store::backup::{self, BackupKey};

use crate::config::ServerConfig;

/// A backup older than this is shown as a warning.
pub const STALE_AFTER_HOURS: i64 = 24;

/// What the configuration asks for.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub at: Time,
    pub keep: Keep,
    pub key: Option<Arc<BackupKey>>,
}

impl BackupSchedule {
    /// The schedule, `None` when `backup_dir` is not set. A bad time, keep
    /// rule or key file is refused naming its key (the server does not start
    /// with backups silently off).
    pub fn from_config(cfg: &ServerConfig) -> anyhow::Result<Option<BackupSchedule>> {
        let Some(dir) = cfg.backup_dir.as_deref().filter(|d| !d.trim().is_empty()) else {
            return Ok(None);
        };
        let at = parse_time(&cfg.backup_time).with_context(|| {
            format!(
                "backup_time: `{}` is not a time of day HH:MM (Asia/Tokyo)",
                cfg.backup_time
            )
        })?;
        let keep: Keep =
            cfg.backup_keep
                .parse()
                .map_err(|e: jousei_store::backup::retention::KeepError| {
                    anyhow::anyhow!("backup_keep: {}", e.detail)
                })?;
        let key = match cfg.backup_key_file.as_deref() {
            Some(k) if !k.trim().is_empty() => Some(Arc::new(
                BackupKey::read(Path::new(k))
                    .map_err(|e| anyhow::anyhow!("backup_key_file: {e}"))?,
            )),
            _ => None,
        };
        Ok(Some(BackupSchedule {
            dir: PathBuf::from(dir),
            at,
            keep,
            key,
        }))
    }
}

fn parse_time(s: &str) -> anyhow::Result<Time> {
    let (h, m) = s.trim().split_once(':').context("HH:MM")?;
    let h: i8 = h.parse()?;
    let m: i8 = m.parse()?;
    Ok(Time::new(h, m, 0, 0)?)
}

fn tokyo() -> TimeZone {
    TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC)
}

/// The next instant after `now` that is `at` in `tz` (pure).
pub fn next_run(now: Timestamp, at: Time, tz: &TimeZone) -> Timestamp {
    let local = now.to_zoned(tz.clone());
    let mut day = local.date();
    for _ in 0..3 {
        if let Ok(z) = day.to_datetime(at).to_zoned(tz.clone())
            && z.timestamp() > now
        {
            return z.timestamp();
        }
        match day.tomorrow() {
            Ok(d) => day = d,
            Err(_) => break,
        }
    }
    now.checked_add(24.hours()).unwrap_or(now)
}

/// Runs the schedule until the process ends: sleeps until the next run,
/// writes a generation, prunes, logs the result (a failure is logged and
/// retried at the next run; the admin page shows the age of the last good
/// one).
pub fn spawn(schedule: BackupSchedule, database_url: String) -> tokio::task::JoinHandle<()> {
    tracing::info!(
        dir = %schedule.dir.display(),
        at = %schedule.at,
        keep = %schedule.keep,
        encrypted = schedule.key.is_some(),
        "scheduled backups on"
    );
    tokio::spawn(async move {
        let tz = tokyo();
        loop {
            let now = Timestamp::now();
            let next = next_run(now, schedule.at, &tz);
            let wait = (next.as_millisecond() - now.as_millisecond()).max(0);
            tokio::time::sleep(std::time::Duration::from_millis(
                u64::try_from(wait).unwrap_or(0),
            ))
            .await;
            run_once(&schedule, &database_url).await;
        }
    })
}

/// Writes one generation now and prunes; logs the outcome.
pub async fn run_once(schedule: &BackupSchedule, database_url: &str) -> bool {
    let result = backup::write_generation(
        database_url,
        &schedule.dir,
        schedule.key.as_deref(),
        &schedule.keep,
        &mut |_| {},
    )
    .await;
    match result {
        Ok((s, pruned)) => {
            tracing::info!(
                path = %s.path.display(),
                bytes = s.bytes,
                rows = s.manifest.total_rows(),
                audit_head = s.manifest.audit_head.seq,
                pruned = pruned.len(),
                "backup written"
            );
            true
        }
        Err(e) => {
            tracing::error!(code = e.code(), error = %e, "scheduled backup failed");
            false
        }
    }
}

/// The newest backup in the configured directory, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupStatus {
    pub dir: String,
    /// When, in the clinic's time, the newest generation was taken.
    pub last_taken: Option<String>,
    pub last_bytes: Option<u64>,
    /// Whole hours since then.
    pub age_hours: Option<i64>,
    /// None at all, or none from the last day.
    pub stale: bool,
}

impl BackupStatus {
    /// The size in a readable unit.
    pub fn size(&self) -> String {
        match self.last_bytes {
            Some(b) if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
            Some(b) if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
            Some(b) => format!("{b} B"),
            None => String::new(),
        }
    }
}

/// Reads the newest generation in `dir` (missing directory: none yet).
pub fn status(dir: &Path, now: Timestamp, zone: &str) -> BackupStatus {
    let newest = backup::generations(dir)
        .ok()
        .and_then(|g| g.into_iter().last());
    let age_hours = newest
        .as_ref()
        .map(|g| (now.as_second() - g.taken.as_second()).max(0) / 3600);
    BackupStatus {
        dir: dir.display().to_string(),
        last_taken: newest
            .as_ref()
            .map(|g| crate::pages::local_time(g.taken, zone)),
        last_bytes: newest.as_ref().map(|g| g.bytes),
        stale: age_hours.is_none_or(|h| h >= STALE_AFTER_HOURS),
        age_hours,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_the_next_tokyo_time_of_day() {
        let tz = tokyo();
        let at = Time::new(3, 0, 0, 0).unwrap();
        // 17:00 UTC = 02:00 Tokyo: later the same Tokyo night.
        let now: Timestamp = "2026-12-07T17:00:00Z".parse().unwrap();
        assert_eq!(
            next_run(now, at, &tz),
            "2026-12-07T18:00:00Z".parse().unwrap()
        );
        // 18:00 UTC exactly = 03:00: the next day's.
        let now: Timestamp = "2026-12-07T18:00:00Z".parse().unwrap();
        assert_eq!(
            next_run(now, at, &tz),
            "2026-12-08T18:00:00Z".parse().unwrap()
        );
    }

    #[test]
    fn bad_schedules_are_refused_naming_the_key() {
        let mut cfg = ServerConfig::default();
        assert!(
            BackupSchedule::from_config(&cfg).unwrap().is_none(),
            "off by default"
        );
        cfg.backup_dir = Some("/tmp/jousei-backups".into());
        let s = BackupSchedule::from_config(&cfg).unwrap().unwrap();
        assert_eq!(s.at, Time::new(3, 0, 0, 0).unwrap());
        assert_eq!(s.keep, Keep::default());
        for (time, keep, key, says) in [
            ("25:00", "daily=7", None, "backup_time"),
            ("3am", "daily=7", None, "backup_time"),
            ("03:00", "hourly=1", None, "backup_keep"),
            (
                "03:00",
                "daily=7",
                Some("/nonexistent/key"),
                "backup_key_file",
            ),
        ] {
            cfg.backup_time = time.into();
            cfg.backup_keep = keep.into();
            cfg.backup_key_file = key.map(String::from);
            let e = BackupSchedule::from_config(&cfg).unwrap_err();
            assert!(format!("{e:#}").contains(says), "{e:#}");
        }
    }

    #[test]
    fn the_status_warns_without_a_backup_from_the_last_day() {
        let dir = std::env::temp_dir().join(format!("jousei-bstat-{}", uuid::Uuid::now_v7()));
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        let s = status(&dir, now, "Asia/Tokyo");
        assert!(
            s.stale && s.last_taken.is_none(),
            "no directory yet: warned"
        );
        std::fs::create_dir_all(&dir).unwrap();
        let old =
            backup::retention::generation_name("2026-12-06T11:00:00Z".parse().unwrap(), false);
        std::fs::write(dir.join(&old), vec![0u8; 2048]).unwrap();
        let s = status(&dir, now, "Asia/Tokyo");
        assert_eq!(s.age_hours, Some(25));
        assert!(s.stale);
        assert_eq!(s.last_taken.as_deref(), Some("2026-12-06 20:00:00"));
        assert_eq!(s.size(), "2.0 KiB");
        let new = backup::retention::generation_name("2026-12-07T09:30:00Z".parse().unwrap(), true);
        std::fs::write(dir.join(&new), vec![0u8; 10]).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a backup").unwrap();
        let s = status(&dir, now, "Asia/Tokyo");
        assert_eq!(s.age_hours, Some(2));
        assert!(!s.stale);
        assert_eq!(s.size(), "10 B");
        let _ = std::fs::remove_dir_all(dir);
    }
}
