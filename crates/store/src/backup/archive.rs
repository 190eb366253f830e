//! The archive file: a tar stream, compressed with zstd (with its content
//! checksum), optionally encrypted with age, written to a new file of mode
//! 0600 under a temporary name and renamed into place only when complete.
//!
//! Entries, in this order: `manifest.json`; `tables/<table>/<n>.ndjson`
//! chunks (tables in the manifest's order); `end.json`, the trailer, whose
//! absence means the archive was cut short.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::keys::BackupKey;
use super::{BackupError, Manifest, Trailer};

/// The first bytes of an age file and of a zstd frame.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const TRAILER: &str = "end.json";

/// Creates a new file readable by its owner only; never replaces one.
pub(crate) fn create_private(path: &Path) -> Result<File, BackupError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                BackupError::OutExists {
                    path: path.display().to_string(),
                }
            } else {
                BackupError::io(path, &e)
            }
        })
}

enum Sink {
    Plain(File),
    Age(age::stream::StreamWriter<File>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(f) => f.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(f) => f.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}

/// Writes one archive; dropped without [`ArchiveWriter::finish`], it removes
/// its temporary file.
pub(crate) struct ArchiveWriter {
    tar: Option<tar::Builder<zstd::Encoder<'static, Sink>>>,
    tmp: PathBuf,
    out: PathBuf,
    mtime: u64,
}

impl ArchiveWriter {
    pub fn create(out: &Path, key: Option<&BackupKey>) -> Result<ArchiveWriter, BackupError> {
        if out.exists() {
            return Err(BackupError::OutExists {
                path: out.display().to_string(),
            });
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backup".into());
        let tmp = out.with_file_name(format!(".{name}.partial"));
        let file = create_private(&tmp)?;
        let io = |e: std::io::Error| BackupError::io(&tmp, &e);
        let sink = match key {
            None => Sink::Plain(file),
            Some(k) => {
                let recipient = k.recipient();
                let enc = age::Encryptor::with_recipients(std::iter::once(
                    recipient.as_ref() as &dyn age::Recipient
                ))
                .map_err(|e| BackupError::KeyFile {
                    path: "--key-file".into(),
                    detail: e.to_string(),
                })?;
                Sink::Age(enc.wrap_output(file).map_err(io)?)
            }
        };
        let mut zstd = zstd::Encoder::new(sink, 9).map_err(io)?;
        zstd.include_checksum(true).map_err(io)?;
        let mtime = u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0);
        Ok(ArchiveWriter {
            tar: Some(tar::Builder::new(zstd)),
            tmp,
            out: out.to_path_buf(),
            mtime,
        })
    }

    pub fn append(&mut self, name: &str, data: &[u8]) -> Result<(), BackupError> {
        let Some(tar) = self.tar.as_mut() else {
            return Err(BackupError::io(
                &self.tmp,
                &std::io::Error::other("archive closed"),
            ));
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, data)
            .map_err(|e| BackupError::io(&self.tmp, &e))
    }

    /// Closes every layer, syncs the file and renames it into place.
    /// Returns the archive's size in bytes.
    pub fn finish(mut self) -> Result<u64, BackupError> {
        let io = |e: std::io::Error| BackupError::io(&self.tmp, &e);
        let Some(tar) = self.tar.take() else {
            return Err(io(std::io::Error::other("archive closed")));
        };
        let zstd = tar.into_inner().map_err(io)?;
        let sink = zstd.finish().map_err(io)?;
        let file = match sink {
            Sink::Plain(f) => f,
            Sink::Age(w) => w.finish().map_err(io)?,
        };
        file.sync_all().map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        drop(file);
        // Never over a file that appeared meanwhile: link, then unlink.
        std::fs::hard_link(&self.tmp, &self.out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                BackupError::OutExists {
                    path: self.out.display().to_string(),
                }
            } else {
                BackupError::io(&self.out, &e)
            }
        })?;
        let _ = std::fs::remove_file(&self.tmp);
        if let Some(dir) = self.out.parent()
            && let Ok(d) = File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
        {
            let _ = d.sync_all();
        }
        Ok(size)
    }
}

impl Drop for ArchiveWriter {
    fn drop(&mut self) {
        if self.tar.is_some() {
            self.tar = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// One entry read back.
#[derive(Debug)]
pub(crate) enum Item {
    Manifest(Box<Manifest>),
    Chunk { table: String, data: Vec<u8> },
    End(Trailer),
}

fn damaged(detail: impl std::fmt::Display) -> BackupError {
    BackupError::Damaged(detail.to_string())
}

/// Opens an archive for reading: decrypts when it is encrypted, then
/// decompresses.
pub(crate) fn open_plain(
    path: &Path,
    key: Option<&BackupKey>,
) -> Result<Box<dyn Read + Send>, BackupError> {
    let file = File::open(path).map_err(|e| BackupError::io(path, &e))?;
    let mut input = BufReader::new(file);
    let head = input.fill_buf().map_err(|e| BackupError::io(path, &e))?;
    if head.starts_with(AGE_MAGIC) {
        let Some(key) = key else {
            return Err(BackupError::KeyRequired);
        };
        let Some(identity) = key.identity() else {
            return Err(BackupError::KeyFile {
                path: "--key-file".into(),
                detail: "it holds only a public key (age1…); reading a backup needs the secret key (AGE-SECRET-KEY-1…)".into(),
            });
        };
        let decryptor = age::Decryptor::new_buffered(input).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => BackupError::WrongKey,
            other => damaged(format!("the encryption header is unreadable ({other})")),
        })?;
        let plain = decryptor
            .decrypt(std::iter::once(identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => BackupError::WrongKey,
                other => damaged(format!("cannot decrypt ({other})")),
            })?;
        let zstd = zstd::Decoder::new(plain).map_err(|e| BackupError::io(path, &e))?;
        Ok(Box::new(zstd))
    } else if head.starts_with(ZSTD_MAGIC) {
        let zstd = zstd::Decoder::with_buffer(input).map_err(|e| BackupError::io(path, &e))?;
        Ok(Box::new(zstd))
    } else {
        Err(damaged("this is not a jousei backup archive"))
    }
}

/// Reads the archive's entries in order, checking their layout, and hands
/// each to `each`; stops at the first error or when `each` returns false.
pub(crate) fn read_entries(
    input: Box<dyn Read + Send>,
    mut each: impl FnMut(Item) -> bool,
) -> Result<(), BackupError> {
    let mut archive = tar::Archive::new(input);
    let entries = archive
        .entries()
        .map_err(|e| damaged(format!("unreadable ({e})")))?;
    let mut manifest: Option<Vec<String>> = None;
    let mut table_at = 0usize;
    let mut ended = false;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("unreadable entry ({e})")))?;
        let name = entry
            .path()
            .map_err(|e| damaged(format!("unreadable entry name ({e})")))?
            .to_string_lossy()
            .into_owned();
        if ended {
            return Err(damaged(format!("unexpected entry {name} after {TRAILER}")));
        }
        let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(1 << 24));
        entry
            .read_to_end(&mut data)
            .map_err(|e| damaged(format!("{name} cannot be read ({e})")))?;
        let item = match (&manifest, name.as_str()) {
            (None, MANIFEST) => {
                let m: Manifest = serde_json::from_slice(&data)
                    .map_err(|e| damaged(format!("{MANIFEST} is not valid ({e})")))?;
                if m.format != super::FORMAT {
                    return Err(damaged(format!("{MANIFEST} names format {}", m.format)));
                }
                manifest = Some(m.tables.iter().map(|t| t.name.clone()).collect());
                Item::Manifest(Box::new(m))
            }
            (None, other) => {
                return Err(damaged(format!(
                    "the first entry is {other}, not {MANIFEST}"
                )));
            }
            (Some(_), TRAILER) => {
                ended = true;
                let t: Trailer = serde_json::from_slice(&data)
                    .map_err(|e| damaged(format!("{TRAILER} is not valid ({e})")))?;
                Item::End(t)
            }
            (Some(tables), other) => {
                let table = other
                    .strip_prefix("tables/")
                    .and_then(|r| r.split_once('/'))
                    .map(|(t, _)| t.to_string())
                    .ok_or_else(|| damaged(format!("unexpected entry {other}")))?;
                // Chunks come table by table, in the manifest's order.
                while tables.get(table_at).is_some_and(|t| *t != table) {
                    table_at += 1;
                }
                if table_at >= tables.len() {
                    return Err(damaged(format!(
                        "entry {other} names a table out of the manifest's order"
                    )));
                }
                Item::Chunk { table, data }
            }
        };
        if !each(item) {
            return Ok(());
        }
    }
    if !ended {
        return Err(damaged(format!(
            "the archive ends before {TRAILER}: it was cut short (truncated)"
        )));
    }
    Ok(())
}
