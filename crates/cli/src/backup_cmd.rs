//! `jousei backup`, `jousei restore` and `jousei backup-key`: portable
//! archives of a whole database (see `jousei_store::backup`), generations in
//! a directory with pruning, and restore into an empty database of either
//! kind. Progress goes to stderr, the result to stdout; a refusal exits with
//! its own code (see `BackupError::exit_code`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use jousei_store::backup::retention::Keep;
use jousei_store::backup::{self, BackupError, BackupKey, Progress};

use crate::DbArgs;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("dest").required(true).args(["out", "dir"])))]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The archive to write (must not exist)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a new generation into DIR (named by its time) and prune old ones
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Generations to keep with --dir, e.g. daily=7,weekly=4,monthly=12
    #[arg(long, requires = "dir", conflicts_with = "out", value_parser = parse_keep)]
    pub keep: Option<Keep>,
    /// Encrypt to this age key file (a secret key, or only its public key)
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["database", "data_dir"])))]
pub struct RestoreArgs {
    /// The archive to restore
    #[arg(long)]
    pub from: PathBuf,
    /// The empty target database: sqlite://PATH (created) or postgres://USER@HOST/DB
    #[arg(long)]
    pub database: Option<String>,
    /// Restore into DIR/jousei.db (created)
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The age secret key file the archive was encrypted to
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BackupKeyArgs {
    /// The key file to write (mode 0600; must not exist)
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_keep(s: &str) -> Result<Keep, String> {
    s.parse::<Keep>().map_err(|e| e.detail)
}

/// Prints a refusal and returns its exit code.
fn refused(e: &BackupError) -> ExitCode {
    eprintln!("error: {e} [{}]", e.code());
    ExitCode::from(e.exit_code())
}

fn read_key(path: Option<&Path>) -> Result<Option<BackupKey>, BackupError> {
    path.map(BackupKey::read).transpose()
}

/// Progress lines on stderr (one per table; overwritten on a terminal).
fn progress(verb: &'static str) -> impl FnMut(Progress<'_>) + Send {
    let tty = std::io::stderr().is_terminal();
    move |p| match p {
        Progress::Table {
            table,
            rows,
            index,
            of,
        } => {
            if tty {
                eprint!("\r\x1b[K{verb}: [{index}/{of}] {table} ({rows} rows)");
                if index == of {
                    eprintln!();
                }
            } else {
                eprintln!("{verb}: [{index}/{of}] {table} ({rows} rows)");
            }
        }
        Progress::AuditVerified { entries } => {
            eprintln!("{verb}: audit chain verified ({entries} entries)");
        }
    }
}

pub async fn backup_cmd(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let url = args.db.url()?;
    let key = match read_key(args.key_file.as_deref()) {
        Ok(k) => k,
        Err(e) => return Ok(refused(&e)),
    };
    let mut report = progress("backup");
    let written = match (&args.out, &args.dir) {
        (Some(out), _) => backup::backup(&url, out, key.as_ref(), &mut report)
            .await
            .map(|s| (s, Vec::new())),
        (None, Some(dir)) => {
            let keep = args.keep.unwrap_or_default();
            backup::write_generation(&url, dir, key.as_ref(), &keep, &mut report).await
        }
        (None, None) => anyhow::bail!("pass --out FILE or --dir DIR"),
    };
    let (summary, pruned) = match written {
        Ok(w) => w,
        Err(e) => return Ok(refused(&e)),
    };
    let m = &summary.manifest;
    println!(
        "backup written to {} ({} bytes{}): {} tables, {} rows, schema {}, audit chain at entry {}",
        summary.path.display(),
        summary.bytes,
        if summary.encrypted { ", encrypted" } else { "" },
        m.tables.len(),
        m.total_rows(),
        m.schema_version,
        m.audit_head.seq
    );
    for gone in pruned {
        println!("pruned {}", gone.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore_cmd(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let url = match (&args.database, &args.data_dir) {
        (Some(url), _) => url.clone(),
        (None, Some(dir)) => format!("sqlite://{}", dir.join("jousei.db").display()),
        (None, None) => anyhow::bail!("pass --database URL or --data-dir DIR"),
    };
    let key = match read_key(args.key_file.as_deref()) {
        Ok(k) => k,
        Err(e) => return Ok(refused(&e)),
    };
    let r = match backup::restore(&args.from, &url, key.as_ref(), &mut progress("restore")).await {
        Ok(r) => r,
        Err(e) => return Ok(refused(&e)),
    };
    let m = &r.manifest;
    println!(
        "restored {} rows in {} tables into {} ({} audit entries verified; taken {} from {})",
        m.total_rows(),
        m.tables.len(),
        jousei_store::redact_url(&url),
        r.audit_entries,
        m.created_at,
        m.source_backend
    );
    if m.schema_version < r.latest_schema {
        println!(
            "the database is at the archive's schema {}; `jousei migrate` (or `serve`) brings it to {}",
            m.schema_version, r.latest_schema
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn backup_key_cmd(args: &BackupKeyArgs) -> ExitCode {
    match backup::generate_key_file(&args.out) {
        Ok(public) => {
            eprintln!(
                "secret key written to {} (mode 0600). Keep a copy offline, apart from the backups: without it no encrypted backup can be restored.",
                args.out.display()
            );
            eprintln!("Public key (a server that only writes backups needs only this):");
            println!("{public}");
            ExitCode::SUCCESS
        }
        Err(e) => refused(&e),
    }
}
