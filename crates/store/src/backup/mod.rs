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
pub mod keys;
pub mod retention;
pub mod value;

use archive::{ArchiveWriter, Item};
use db::{Column, Tx};
pub use keys::{BackupKey, generate_key_file};
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

/// Reads only an archive's manifest.
pub fn read_manifest(path: &Path, key: Option<&BackupKey>) -> Result<Manifest, BackupError> {
    let input = archive::open_plain(path, key)?;
    let mut found = None;
    archive::read_entries(input, |item| {
        if let Item::Manifest(m) = item {
            found = Some(*m);
        }
        false
    })?;
    found.ok_or_else(|| BackupError::Damaged("the archive has no manifest".into()))
}

/// Checks a manifest against what this jousei knows, before any write.
fn check_manifest(m: &Manifest, backend: Backend) -> Result<(), BackupError> {
    if m.format_version > FORMAT_VERSION {
        return Err(BackupError::FormatNewer(m.format_version));
    }
    let known = known_migrations(backend);
    let known_latest = known.iter().copied().max().unwrap_or(0);
    if m.schema_version > known_latest || m.migrations.iter().any(|v| !known.contains(v)) {
        return Err(BackupError::SchemaNewer {
            archive: m.schema_version,
            known: known_latest,
        });
    }
    if !m.migrations.contains(&m.schema_version) {
        return Err(BackupError::Damaged(format!(
            "the manifest's schema version {} is not among its migrations",
            m.schema_version
        )));
    }
    let names: BTreeSet<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
    if names.len() != m.tables.len() {
        return Err(BackupError::Damaged(
            "the manifest names a table twice".into(),
        ));
    }
    Ok(())
}

/// What a new database holds at `version` (rows put there by migrations, such
/// as the audit head), as neutral renderings per table.
async fn fresh_contents(version: i64) -> Result<BTreeMap<String, Vec<String>>, BackupError> {
    let mut out = BTreeMap::new();
    if version == 0 {
        return Ok(out);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .map_err(db_err)?;
    crate::sqlite::MIGRATOR
        .run_to(version, &pool)
        .await
        .map_err(|e| BackupError::Store(StoreError::Migrate(e)))?;
    let mut tx = Tx::Sqlite(pool.begin().await.map_err(db_err)?);
    for t in tx.data_tables().await? {
        let cols = tx.columns(&t).await?;
        out.insert(t.clone(), neutral_rows(tx.rows(&t, &cols).await?));
    }
    drop(tx);
    pool.close().await;
    Ok(out)
}

fn neutral_rows(rows: Vec<Vec<Val>>) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| r.iter().map(Val::neutral).collect::<Vec<_>>().join("|"))
        .collect();
    v.sort();
    v
}

/// Refuses a target holding anything a new database at its version would
/// not; returns its schema version (0 for a database without tables).
async fn check_empty(pool: &Pool, archive_version: i64) -> Result<i64, BackupError> {
    let mut tx = pool.snapshot().await?;
    let tables = tx.data_tables().await?;
    let Some(applied) = tx.applied_migrations().await? else {
        if let Some(t) = tables.first() {
            return Err(BackupError::TargetNotEmpty(format!(
                "it has tables (such as {t}) but was never set up by jousei"
            )));
        }
        return Ok(0);
    };
    let version = applied.iter().copied().max().unwrap_or(0);
    if version > archive_version {
        return Err(BackupError::TargetNewer {
            target: version,
            archive: archive_version,
        });
    }
    let fresh = fresh_contents(version).await?;
    for t in &tables {
        let n = tx.count(t).await?;
        if n == 0 {
            continue;
        }
        let expected = fresh.get(t).map_or(&[][..], Vec::as_slice);
        let same = if n == expected.len() as u64 {
            let cols = tx.columns(t).await?;
            neutral_rows(tx.rows(t, &cols).await?) == expected
        } else {
            false
        };
        if !same {
            return Err(BackupError::TargetNotEmpty(format!(
                "table {t} has {n} rows"
            )));
        }
    }
    Ok(version)
}

/// Restores the archive `from` into the empty database at `url` (a SQLite
/// file is created). Nothing is kept unless every row is in and the audit
/// chain and the row counts verify.
pub async fn restore(
    from: &Path,
    url: &str,
    key: Option<&BackupKey>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<RestoreSummary, BackupError> {
    let target_backend =
        match DbLocation::parse(url).map_err(|e| BackupError::NotJousei(e.to_string()))? {
            DbLocation::Sqlite(_) => Backend::Sqlite,
            DbLocation::Postgres(_) => Backend::Postgres,
        };
    // Decrypting, decompressing and unpacking run on their own thread.
    let input = archive::open_plain(from, key)?;
    let (send, mut items) = tokio::sync::mpsc::channel::<Result<Item, BackupError>>(2);
    let reading = tokio::task::spawn_blocking(move || {
        let result = archive::read_entries(input, |item| send.blocking_send(Ok(item)).is_ok());
        if let Err(e) = result {
            let _ = send.blocking_send(Err(e));
        }
    });
    let manifest = match items.recv().await {
        Some(Ok(Item::Manifest(m))) => *m,
        Some(Err(e)) => return Err(e),
        Some(Ok(_)) | None => {
            return Err(BackupError::Damaged("the archive has no manifest".into()));
        }
    };
    check_manifest(&manifest, target_backend)?;

    let pool = Pool::target(url).await?;
    let result = restore_into(&pool, &manifest, &mut items, progress).await;
    drop(items);
    let _ = reading.await;
    pool.close().await;
    let audit_entries = result?;
    Ok(RestoreSummary {
        latest_schema: known_migrations(target_backend)
            .into_iter()
            .max()
            .unwrap_or(0),
        manifest,
        audit_entries,
    })
}

async fn restore_into(
    pool: &Pool,
    manifest: &Manifest,
    items: &mut tokio::sync::mpsc::Receiver<Result<Item, BackupError>>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<u64, BackupError> {
    check_empty(pool, manifest.schema_version).await?;
    pool.migrate_to(manifest.schema_version).await?;
    let mut tx = pool.write().await?;

    // The archive's tables must be the target's, column for column.
    let target_tables: BTreeSet<String> = tx.data_tables().await?.into_iter().collect();
    let archived: BTreeSet<String> = manifest.tables.iter().map(|t| t.name.clone()).collect();
    if target_tables != archived {
        let missing: Vec<&String> = archived.difference(&target_tables).collect();
        let extra: Vec<&String> = target_tables.difference(&archived).collect();
        return Err(BackupError::SchemaMismatch(format!(
            "tables only in the archive: {missing:?}; only in the database: {extra:?}"
        )));
    }
    let mut columns: BTreeMap<&str, Vec<Column>> = BTreeMap::new();
    for t in &manifest.tables {
        let mut target_cols = tx.columns(&t.name).await?;
        let mut ordered = Vec::with_capacity(t.columns.len());
        for name in &t.columns {
            let Some(i) = target_cols.iter().position(|c| &c.name == name) else {
                return Err(BackupError::SchemaMismatch(format!(
                    "column {}.{name} is not in the database",
                    t.name
                )));
            };
            ordered.push(target_cols.remove(i));
        }
        if let Some(c) = target_cols.first() {
            return Err(BackupError::SchemaMismatch(format!(
                "column {}.{} is not in the archive",
                t.name, c.name
            )));
        }
        columns.insert(&t.name, ordered);
    }

    // Rows a migration put in the new database (the audit head, counters)
    // make way for the archive's, children first.
    for t in manifest.tables.iter().rev() {
        if tx.count(&t.name).await? > 0 {
            tx.clear(&t.name).await?;
        }
    }

    let of = manifest.tables.len();
    let mut current: Option<usize> = None;
    let mut reported = 0usize;
    let mut inserted = 0u64;
    let mut chunks = 0u64;
    let trailer = loop {
        let item = match items.recv().await {
            Some(Ok(item)) => item,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(BackupError::Damaged(
                    "the archive ends before its trailer (truncated)".into(),
                ));
            }
        };
        match item {
            Item::Manifest(_) => return Err(BackupError::Damaged("a second manifest".into())),
            Item::End(t) => break t,
            Item::Chunk { table, data } => {
                chunks += 1;
                let Some(index) = manifest.tables.iter().position(|t| t.name == table) else {
                    return Err(BackupError::Damaged(format!(
                        "rows of an unknown table {table}"
                    )));
                };
                if current != Some(index) {
                    if let Some(prev) = current {
                        report(progress, manifest, prev, inserted, of);
                        reported = prev + 1;
                    }
                    // Tables without rows have no chunk: reported as empty.
                    for empty in reported..index {
                        report(progress, manifest, empty, 0, of);
                    }
                    current = Some(index);
                    inserted = 0;
                }
                let cols = columns.get(table.as_str()).map_or(&[][..], Vec::as_slice);
                let rows = parse_chunk(&table, cols, &data)?;
                inserted += rows.len() as u64;
                tx.insert(&table, cols, rows).await?;
            }
        }
    };
    if let Some(prev) = current {
        report(progress, manifest, prev, inserted, of);
        reported = prev + 1;
    }
    for empty in reported..of {
        report(progress, manifest, empty, 0, of);
    }
    if trailer.tables != manifest.tables.len()
        || trailer.rows != manifest.total_rows()
        || trailer.chunks != chunks
    {
        return Err(BackupError::Damaged(format!(
            "the trailer ({} tables, {} rows, {} chunks) does not match what was read ({} tables, {} rows, {chunks} chunks)",
            trailer.tables,
            trailer.rows,
            trailer.chunks,
            manifest.tables.len(),
            manifest.total_rows()
        )));
    }

    // Verify inside the same transaction: commit only what holds.
    for t in &manifest.tables {
        let n = tx.count(&t.name).await?;
        if n != t.rows {
            return Err(BackupError::VerifyFailed(format!(
                "table {} has {n} rows, the manifest says {}",
                t.name, t.rows
            )));
        }
    }
    let head = tx.audit_head().await?;
    if head != (manifest.audit_head.seq, manifest.audit_head.hash.clone()) {
        return Err(BackupError::VerifyFailed(format!(
            "the audit head is entry {}, the manifest says {}",
            head.0, manifest.audit_head.seq
        )));
    }
    let mut verifier = jousei_core::audit::ChainVerifier::new();
    let mut after = 0i64;
    let mut checked = 0u64;
    loop {
        let batch = tx.audit_batch(after, crate::verify::VERIFY_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for e in &batch {
            verifier.push(e).map_err(|b| {
                BackupError::VerifyFailed(format!(
                    "the audit chain breaks at entry {}: {b}",
                    b.first_broken_seq()
                ))
            })?;
            checked += 1;
        }
    }
    verifier
        .finish(Some((head.0, &head.1)))
        .map_err(|b| BackupError::VerifyFailed(format!("the audit chain does not hold: {b}")))?;
    progress(Progress::AuditVerified { entries: checked });
    tx.commit().await?;
    Ok(checked)
}

fn report(
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
    manifest: &Manifest,
    index: usize,
    rows: u64,
    of: usize,
) {
    if let Some(t) = manifest.tables.get(index) {
        progress(Progress::Table {
            table: &t.name,
            rows,
            index: index + 1,
            of,
        });
    }
}

/// Parses a chunk's lines and converts each value to its column's type.
fn parse_chunk(table: &str, cols: &[Column], data: &[u8]) -> Result<Vec<Vec<Val>>, BackupError> {
    let text = std::str::from_utf8(data)
        .map_err(|_| BackupError::Damaged(format!("rows of {table} are not UTF-8")))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(row) = value::line_to_row(line, cols.len()) else {
            return Err(BackupError::Damaged(format!(
                "row {} of a chunk of {table} is not a row of {} values",
                n + 1,
                cols.len()
            )));
        };
        let converted = row
            .into_iter()
            .zip(cols)
            .map(|(v, c)| {
                v.convert(c.ty)
                    .map_err(|e| BackupError::SchemaMismatch(format!("{table}.{}: {e}", c.name)))
            })
            .collect::<Result<Vec<Val>, _>>()?;
        rows.push(converted);
    }
    Ok(rows)
}

/// Reads every row of every table of the database at `url`, read-only, as
/// neutral renderings (the same for the same data on either database,
/// sorted): for comparing a restored database with its source.
pub async fn neutral_dump(url: &str) -> Result<BTreeMap<String, Vec<String>>, BackupError> {
    let pool = Pool::source(url).await?;
    let mut out = BTreeMap::new();
    {
        let mut tx = pool.snapshot().await?;
        for t in tx.data_tables().await? {
            let cols = tx.columns(&t).await?;
            out.insert(t.clone(), neutral_rows(tx.rows(&t, &cols).await?));
        }
    }
    pool.close().await;
    Ok(out)
}

/// A backup generation found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub path: PathBuf,
    /// When it was taken (from its name).
    pub taken: jiff::Timestamp,
    pub bytes: u64,
}

/// The generations in `dir`, oldest first (only files named as
/// [`retention::generation_name`] makes them; a file is only given that name
/// once it is complete).
pub fn generations(dir: &Path) -> Result<Vec<Generation>, BackupError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| BackupError::io(dir, &e))? {
        let entry = entry.map_err(|e| BackupError::io(dir, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(taken) = retention::parse_generation_name(&name) {
            let path = entry.path();
            let bytes = entry
                .metadata()
                .map_err(|e| BackupError::io(&path, &e))?
                .len();
            out.push(Generation { path, taken, bytes });
        }
    }
    out.sort_by(|a, b| a.taken.cmp(&b.taken).then_with(|| a.path.cmp(&b.path)));
    Ok(out)
}

/// Deletes the generations in `dir` that `keep` does not keep (days, weeks
/// and months in Asia/Tokyo); other files are never touched. Returns the
/// deleted paths.
pub fn prune_generations(dir: &Path, keep: &retention::Keep) -> Result<Vec<PathBuf>, BackupError> {
    let found = generations(dir)?;
    let taken: Vec<jiff::Timestamp> = found.iter().map(|g| g.taken).collect();
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").map_err(|e| BackupError::Io {
        path: "Asia/Tokyo".into(),
        detail: e.to_string(),
    })?;
    let mut gone = Vec::new();
    for (g, kept) in found.into_iter().zip(retention::to_keep(&taken, keep, &tz)) {
        if !kept {
            std::fs::remove_file(&g.path).map_err(|e| BackupError::io(&g.path, &e))?;
            gone.push(g.path);
        }
    }
    Ok(gone)
}

/// Writes a new generation of the database at `url` into `dir` (created,
/// mode 0700, if missing), then prunes by `keep`. Returns the backup and the pruned paths.
pub async fn write_generation(
    url: &str,
    dir: &Path,
    key: Option<&BackupKey>,
    keep: &retention::Keep,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<(BackupSummary, Vec<PathBuf>), BackupError> {
    if !dir.exists() {
        // A new backup directory is the owner's only, like its archives.
        std::fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, &e))?;
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| BackupError::io(dir, &e))?;
    }
    let name = retention::generation_name(jiff::Timestamp::now(), key.is_some());
    let summary = backup(url, &dir.join(name), key, progress).await?;
    let pruned = prune_generations(dir, keep)?;
    Ok((summary, pruned))
}
