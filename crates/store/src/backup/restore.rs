//! Restore: an archive checked before the target is touched, read into an
//! empty database of either kind in one transaction, then verified.

use super::*;

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
