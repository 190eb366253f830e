//! Generations of backups in a directory: listing, pruning by the keep
//! rule, and writing a new one.

use super::*;

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
