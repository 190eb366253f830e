//! Backups and restore: a portable, versioned archive of a whole database
//! (every table, the audit chain, stored PDFs and certificates), written from
//! one consistent snapshot while jousei runs, and restored into an empty
//! database of either kind, so SQLite → PostgreSQL is a backup and a restore.
//!
//! - The source is opened read-only (SQLite `mode=ro`; PostgreSQL in a
//!   `REPEATABLE READ, READ ONLY` transaction) and never migrated. A source
//!   whose schema has migrations this jousei does not know is refused; an
//!   older one is archived as it is, with its schema version.
//! - Tables and columns are read from the database's own catalogue, so tables
//!   added by later migrations are included without being named here.
//! - The archive is tar + zstd (see [`archive`]), optionally encrypted with an
//!   age key (see [`keys`]), with a manifest of the schema version, the row
//!   count of every table and the audit chain's head.
//! - Restore checks the archive before touching the target, refuses a target
//!   that holds anything beyond what a new database holds, migrates it to the
//!   archive's schema version, inserts every row in one transaction (parents
//!   before children; inserts fire no update/delete guard, so no trigger is
//!   disabled), then recomputes the audit chain and the row counts in that
//!   same transaction and commits only when both match the manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Backend, DbLocation, StoreError};

mod archive;
mod db;
mod generations;
pub mod keys;
mod restore;
pub mod retention;
pub mod value;

use archive::{ArchiveWriter, Item};
use db::{Column, Tx};
pub use generations::{Generation, generations, prune_generations, write_generation};
pub use keys::{BackupKey, generate_key_file};
pub use restore::{neutral_dump, read_manifest, restore};
use value::Val;

/// The `format` every manifest names.
pub const FORMAT: &str = "jousei-backup";
/// The archive layout version this jousei writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Rows are handed to the archive writer in chunks of about this size.
const CHUNK_BYTES: usize = 4 << 20;

/// Why a backup or a restore did not happen. Each has a stable code and an
/// exit code for the command line.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} already exists; choose a new file name (a backup never overwrites a file)")]
    OutExists { path: String },
    #[error("key file {path}: {detail}")]
    KeyFile { path: String, detail: String },
    #[error("the archive is encrypted: pass --key-file with its secret key")]
    KeyRequired,
    #[error("the key does not open this archive (it was encrypted to another key)")]
    WrongKey,
    #[error("the archive is damaged or not a jousei backup: {0}")]
    Damaged(String),
    #[error(
        "the archive needs schema version {archive}, newer than this jousei knows ({known}): restore it with the jousei that wrote it or a newer one"
    )]
    SchemaNewer { archive: i64, known: i64 },
    #[error(
        "the archive's format version {0} is newer than this jousei reads ({FORMAT_VERSION}): use a newer jousei"
    )]
    FormatNewer(u32),
    #[error(
        "the source database has schema version {found}, newer than this jousei knows ({known}): back it up with the jousei that serves it"
    )]
    SourceNewer { found: i64, known: i64 },
    #[error("the source is not a jousei database: {0}")]
    NotJousei(String),
    #[error("the target database is not empty ({0}): restore only into a new, empty database")]
    TargetNotEmpty(String),
    #[error(
        "the target database was migrated to schema version {target}, past the archive's {archive}: restore into a new, empty database"
    )]
    TargetNewer { target: i64, archive: i64 },
    #[error("column {table}.{column} has type {ty}, which backups do not know")]
    UnsupportedType {
        table: String,
        column: String,
        ty: String,
    },
    #[error("the archive does not match the database schema: {0}")]
    SchemaMismatch(String),
    #[error("the restored data did not verify, so nothing was kept: {0}")]
    VerifyFailed(String),
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BackupError {
    pub(crate) fn io(path: &Path, e: &std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }

    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::OutExists { .. } => "backup_out_exists",
            BackupError::KeyFile { .. } => "backup_key_invalid",
            BackupError::KeyRequired => "archive_key_required",
            BackupError::WrongKey => "archive_wrong_key",
            BackupError::Damaged(_) => "archive_damaged",
            BackupError::SchemaNewer { .. } => "archive_schema_newer",
            BackupError::FormatNewer(_) => "archive_format_newer",
            BackupError::SourceNewer { .. } => "source_schema_newer",
            BackupError::NotJousei(_) => "source_not_jousei",
            BackupError::TargetNotEmpty(_) => "restore_target_not_empty",
            BackupError::TargetNewer { .. } => "restore_target_newer",
            BackupError::UnsupportedType { .. } => "backup_unsupported_type",
            BackupError::SchemaMismatch(_) => "archive_schema_mismatch",
            BackupError::VerifyFailed(_) => "restore_verify_failed",
            BackupError::Io { .. } => "io_error",
            BackupError::Store(e) => e.code(),
        }
    }

    /// The process exit code: 2 a bad argument, 3 the target is not empty,
    /// 4 a damaged archive, 5 a missing or wrong key, 6 a schema or format
    /// newer than this jousei, 7 the restored data did not verify, 1 the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            BackupError::OutExists { .. }
            | BackupError::KeyFile { .. }
            | BackupError::NotJousei(_) => 2,
            BackupError::TargetNotEmpty(_) | BackupError::TargetNewer { .. } => 3,
            BackupError::Damaged(_) | BackupError::SchemaMismatch(_) => 4,
            BackupError::KeyRequired | BackupError::WrongKey => 5,
            BackupError::SchemaNewer { .. }
            | BackupError::FormatNewer(_)
            | BackupError::SourceNewer { .. } => 6,
            BackupError::VerifyFailed(_) => 7,
            BackupError::UnsupportedType { .. }
            | BackupError::Io { .. }
            | BackupError::Store(_) => 1,
        }
    }
}

/// One table in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

/// The head of the audit chain when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHeadEntry {
    pub seq: i64,
    pub hash: String,
}

/// What an archive holds; its first entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// When the snapshot was taken (UTC).
    pub created_at: String,
    pub jousei_version: String,
    /// `sqlite` or `postgres`.
    pub source_backend: String,
    /// The newest migration applied to the source.
    pub schema_version: i64,
    /// Every migration applied to the source.
    pub migrations: Vec<i64>,
    /// Every table, parents before children, with its row count.
    pub tables: Vec<TableEntry>,
    pub audit_head: AuditHeadEntry,
}

impl Manifest {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// The archive's last entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    pub tables: usize,
    pub rows: u64,
    pub chunks: u64,
}

/// Progress, for the command line's stderr.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A table was written (backup) or inserted (restore).
    Table {
        table: &'a str,
        rows: u64,
        index: usize,
        of: usize,
    },
    /// The restored audit chain was recomputed.
    AuditVerified { entries: u64 },
}

/// A written backup.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    pub encrypted: bool,
    pub manifest: Manifest,
}

/// A finished restore.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    pub audit_entries: u64,
    /// The newest migration this jousei knows (the target is at the
    /// archive's version; `jousei migrate` or `serve` brings it here).
    pub latest_schema: i64,
}

fn known_migrations(backend: Backend) -> Vec<i64> {
    let m = match backend {
        Backend::Sqlite => &crate::sqlite::MIGRATOR,
        Backend::Postgres => &crate::postgres::MIGRATOR,
    };
    m.iter().map(|m| m.version).collect()
}

fn db_err(e: sqlx::Error) -> BackupError {
    BackupError::Store(StoreError::Database(e))
}

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    /// Opens the source read-only: never created, never migrated.
    async fn source(url: &str) -> Result<Pool, BackupError> {
        match DbLocation::parse(url).map_err(|e| BackupError::NotJousei(e.to_string()))? {
            DbLocation::Sqlite(path) => {
                if !path.is_file() {
                    return Err(BackupError::NotJousei(format!(
                        "the SQLite database {} does not exist",
                        path.display()
                    )));
                }
                let opts = SqliteConnectOptions::from_str("sqlite:")
                    .map_err(db_err)?
                    .filename(&path)
                    .read_only(true);
                Pool::sqlite(opts).await
            }
            DbLocation::Postgres(url) => Pool::postgres(&url).await,
        }
    }

    async fn sqlite(opts: SqliteConnectOptions) -> Result<Pool, BackupError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.busy_timeout(Duration::from_secs(10)))
            .await
            .map_err(db_err)?;
        Ok(Pool::Sqlite(pool))
    }

    async fn postgres(url: &str) -> Result<Pool, BackupError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_err)?;
        Ok(Pool::Postgres(pool))
    }

    /// Opens (a SQLite file is created) the restore target, without
    /// migrating it.
    async fn target(url: &str) -> Result<Pool, BackupError> {
        match DbLocation::parse(url).map_err(|e| BackupError::NotJousei(e.to_string()))? {
            DbLocation::Sqlite(path) => {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, &e))?;
                }
                let opts = SqliteConnectOptions::from_str("sqlite:")
                    .map_err(db_err)?
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true);
                Pool::sqlite(opts).await
            }
            DbLocation::Postgres(url) => Pool::postgres(&url).await,
        }
    }

    fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A read transaction that sees one snapshot of the whole database.
    async fn snapshot(&self) -> Result<Tx, BackupError> {
        Ok(match self {
            // In WAL mode a read transaction sees the database as of its
            // first read, whatever is committed meanwhile.
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await.map_err(db_err)?),
            Pool::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await
                    .map_err(db_err)?,
            ),
        })
    }

    async fn write(&self) -> Result<Tx, BackupError> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await.map_err(db_err)?),
        })
    }

    async fn migrate_to(&self, version: i64) -> Result<(), BackupError> {
        match self {
            Pool::Sqlite(p) => crate::sqlite::MIGRATOR.run_to(version, p).await,
            Pool::Postgres(p) => crate::postgres::MIGRATOR.run_to(version, p).await,
        }
        .map_err(|e| BackupError::Store(StoreError::Migrate(e)))
    }

    async fn close(self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// Collects rows into archive chunks and hands full ones to the writer.
pub(crate) struct ChunkSink {
    tx: tokio::sync::mpsc::Sender<(String, Vec<u8>)>,
    table: String,
    buf: Vec<u8>,
    next: u64,
    chunks: u64,
}

impl ChunkSink {
    fn start(&mut self, table: &str) {
        self.table = table.to_string();
        self.next = 0;
    }

    /// Adds a row; true when the chunk is full.
    pub(crate) fn push(&mut self, row: &[Val]) -> bool {
        self.buf
            .extend_from_slice(value::row_to_line(row).as_bytes());
        self.buf.push(b'\n');
        self.buf.len() >= CHUNK_BYTES
    }

    pub(crate) async fn flush(&mut self) -> Result<(), BackupError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.next += 1;
        self.chunks += 1;
        let name = format!("tables/{}/{:06}.ndjson", self.table, self.next);
        let data = std::mem::take(&mut self.buf);
        self.tx
            .send((name, data))
            .await
            .map_err(|_| BackupError::Io {
                path: "archive".into(),
                detail: "the archive writer stopped".into(),
            })
    }
}

/// Writes a backup of the database at `url` to the new file `out`
/// (encrypted to `key` when given).
pub async fn backup(
    url: &str,
    out: &Path,
    key: Option<&BackupKey>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<BackupSummary, BackupError> {
    if out.exists() {
        return Err(BackupError::OutExists {
            path: out.display().to_string(),
        });
    }
    let pool = Pool::source(url).await?;
    let result = backup_from(&pool, out, key, progress).await;
    pool.close().await;
    result
}

async fn backup_from(
    pool: &Pool,
    out: &Path,
    key: Option<&BackupKey>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<BackupSummary, BackupError> {
    let mut tx = pool.snapshot().await?;
    let Some(migrations) = tx.applied_migrations().await? else {
        return Err(BackupError::NotJousei(
            "it has no migrations table (was it ever opened by jousei?)".into(),
        ));
    };
    let known = known_migrations(pool.backend());
    let known_latest = known.iter().copied().max().unwrap_or(0);
    if let Some(&unknown) = migrations.iter().find(|v| !known.contains(v)) {
        return Err(BackupError::SourceNewer {
            found: migrations.iter().copied().max().unwrap_or(unknown),
            known: known_latest,
        });
    }
    let Some(&schema_version) = migrations.iter().max() else {
        return Err(BackupError::NotJousei(
            "no migration was applied to it".into(),
        ));
    };
    let order = tx.tables_in_dependency_order().await?;
    let mut tables = Vec::with_capacity(order.len());
    let mut columns = Vec::with_capacity(order.len());
    for t in &order {
        let cols = tx.columns(t).await?;
        tables.push(TableEntry {
            name: t.clone(),
            columns: cols.iter().map(|c| c.name.clone()).collect(),
            rows: tx.count(t).await?,
        });
        columns.push(cols);
    }
    let (seq, hash) = tx.audit_head().await?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_at: jousei_core::audit::canonical_time(crate::Ts::now().0),
        jousei_version: env!("CARGO_PKG_VERSION").into(),
        source_backend: match pool.backend() {
            Backend::Sqlite => "sqlite".into(),
            Backend::Postgres => "postgres".into(),
        },
        schema_version,
        migrations,
        tables,
        audit_head: AuditHeadEntry { seq, hash },
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io {
        path: "manifest".into(),
        detail: e.to_string(),
    })?;

    // The writer compresses (and encrypts) on its own thread.
    let mut writer = ArchiveWriter::create(out, key)?;
    writer.append(archive::MANIFEST, &manifest_json)?;
    let (send, mut recv) = tokio::sync::mpsc::channel::<(String, Vec<u8>)>(2);
    let writing = tokio::task::spawn_blocking(move || {
        while let Some((name, data)) = recv.blocking_recv() {
            writer.append(&name, &data)?;
        }
        Ok::<_, BackupError>(writer)
    });
    let mut sink = ChunkSink {
        tx: send,
        table: String::new(),
        buf: Vec::new(),
        next: 0,
        chunks: 0,
    };
    let of = manifest.tables.len();
    let mut read = Ok(());
    for (index, (t, cols)) in manifest.tables.iter().zip(&columns).enumerate() {
        sink.start(&t.name);
        match tx.stream_rows(&t.name, cols, &mut sink).await {
            Ok(rows) if rows == t.rows => progress(Progress::Table {
                table: &t.name,
                rows,
                index: index + 1,
                of,
            }),
            Ok(rows) => {
                read = Err(BackupError::VerifyFailed(format!(
                    "{} gave {rows} rows, its count said {}",
                    t.name, t.rows
                )));
                break;
            }
            Err(e) => {
                read = Err(e);
                break;
            }
        }
    }
    let chunks = sink.chunks;
    drop(sink);
    drop(tx);
    let writer = writing.await.map_err(|e| BackupError::Io {
        path: out.display().to_string(),
        detail: e.to_string(),
    })?;
    // A failed read drops the writer, which removes its temporary file.
    read?;
    let mut writer = writer?;
    let trailer = Trailer {
        tables: manifest.tables.len(),
        rows: manifest.total_rows(),
        chunks,
    };
    let trailer_json = serde_json::to_vec(&trailer).map_err(|e| BackupError::Io {
        path: "trailer".into(),
        detail: e.to_string(),
    })?;
    let out_owned = out.to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || {
        writer.append(archive::TRAILER, &trailer_json)?;
        writer.finish()
    })
    .await
    .map_err(|e| BackupError::Io {
        path: out_owned.display().to_string(),
        detail: e.to_string(),
    })??;
    Ok(BackupSummary {
        path: out.to_path_buf(),
        bytes,
        encrypted: key.is_some(),
        manifest,
    })
}
