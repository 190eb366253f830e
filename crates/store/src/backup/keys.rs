//! Backup keys: age key files, as `jousei backup-key` (or `age-keygen` /
//! `rage-keygen`) writes them.
//!
//! A key file holds a secret identity, which both encrypts and decrypts, or
//! only a public recipient, which can encrypt but not decrypt: a server can
//! then write backups that only the holder of the offline secret can read.
//! Keys are age's post-quantum hybrid keys (ML-KEM-768 + X25519,
//! `AGE-SECRET-KEY-PQ-1…` / `age1pq1…`, as `age-keygen -pq` makes them):
//! records are kept for years, longer than today's key exchange may stay
//! unbroken, and age itself deprecates classic X25519 recipients for new
//! files, so classic keys (`AGE-SECRET-KEY-1…` / `age1…`) are refused with a
//! message saying so. Lines starting with `#` and blank lines are ignored.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use age::pq;
use age::secrecy::ExposeSecret;

use super::BackupError;

/// What a key file holds.
pub enum BackupKey {
    Identity(Box<pq::Identity>),
    Recipient(Box<pq::Recipient>),
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupKey::Identity(_) => f.write_str("BackupKey(secret)"),
            BackupKey::Recipient(_) => f.write_str("BackupKey(public)"),
        }
    }
}

impl BackupKey {
    /// Reads a key file.
    pub fn read(path: &Path) -> Result<BackupKey, BackupError> {
        let text = std::fs::read_to_string(path).map_err(|e| BackupError::KeyFile {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        Self::parse(&text).map_err(|detail| BackupError::KeyFile {
            path: path.display().to_string(),
            detail,
        })
    }

    /// Parses a key file's text.
    pub fn parse(text: &str) -> Result<BackupKey, String> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let Some(line) = lines.next() else {
            return Err("the file holds no key".into());
        };
        if lines.next().is_some() {
            return Err("the file holds more than one key; keep one key per file".into());
        }
        let malformed = |what: &str| format!("the {what} is malformed");
        if line.starts_with("AGE-SECRET-KEY-PQ-") {
            pq::Identity::from_str(line)
                .map(|i| BackupKey::Identity(Box::new(i)))
                .map_err(|_| malformed("secret key (AGE-SECRET-KEY-PQ-1…)"))
        } else if line.starts_with("age1pq1") {
            pq::Recipient::from_str(line)
                .map(|r| BackupKey::Recipient(Box::new(r)))
                .map_err(|_| malformed("public key (age1pq1…)"))
        } else if line.starts_with("AGE-SECRET-KEY-1") || line.starts_with("age1") {
            Err("classic X25519 age keys are not accepted: make a post-quantum key with `jousei backup-key --out FILE` (or `age-keygen -pq`)".into())
        } else {
            Err("expected an age post-quantum key: AGE-SECRET-KEY-PQ-1… (secret) or age1pq1… (public)".into())
        }
    }

    /// The public key that archives are encrypted to.
    pub fn recipient(&self) -> Box<dyn age::Recipient + Send> {
        match self {
            BackupKey::Identity(i) => Box::new(i.to_public()),
            BackupKey::Recipient(r) => Box::new((**r).clone()),
        }
    }

    /// The public key as text.
    pub fn public(&self) -> String {
        match self {
            BackupKey::Identity(i) => i.to_public().to_string(),
            BackupKey::Recipient(r) => r.to_string(),
        }
    }

    /// The secret key, when the file holds one.
    pub fn identity(&self) -> Option<&dyn age::Identity> {
        match self {
            BackupKey::Identity(i) => Some(i.as_ref()),
            BackupKey::Recipient(_) => None,
        }
    }
}

/// Writes a new secret key to `path` (mode 0600, never over an existing
/// file) and returns its public key, which can be given to servers instead.
pub fn generate_key_file(path: &Path) -> Result<String, BackupError> {
    let identity = pq::Identity::generate();
    let public = identity.to_public().to_string();
    let created = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ");
    let body = format!(
        "# jousei backup key, created {created}\n# public key: {public}\n{}\n",
        identity.to_string().expose_secret()
    );
    let mut f = super::archive::create_private(path)?;
    f.write_all(body.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| BackupError::io(path, &e))?;
    Ok(public)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_read_and_bad_ones_named() {
        let id = pq::Identity::generate();
        {
            let secret = id.to_string().expose_secret().to_string();
            let public = id.to_public().to_string();
            let k = BackupKey::parse(&format!("# a comment\n\n{secret}\n")).unwrap();
            assert_eq!(k.public(), public);
            assert!(k.identity().is_some());
            let k = BackupKey::parse(&public).unwrap();
            assert_eq!(k.public(), public);
            assert!(k.identity().is_none(), "a public key cannot decrypt");
            let two = format!("{secret}\n{public}\n");
            assert!(
                BackupKey::parse(&two)
                    .unwrap_err()
                    .contains("more than one")
            );
        }
        for (bad, says) in [
            ("", "no key"),
            ("# only a comment", "no key"),
            ("hunter2", "expected an age post-quantum key"),
            ("AGE-SECRET-KEY-1XYZ", "classic X25519"),
            ("age1abc", "jousei backup-key"),
            ("AGE-SECRET-KEY-PQ-1XYZ", "malformed"),
            ("age1pq1nope", "malformed"),
        ] {
            assert!(BackupKey::parse(bad).unwrap_err().contains(says), "{bad}");
        }
    }

    #[test]
    fn a_generated_key_file_is_private_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("jousei-key-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("backup.key");
        let public = generate_key_file(&path).unwrap();
        assert!(public.starts_with("age1pq1"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let k = BackupKey::read(&path).unwrap();
        assert_eq!(k.public(), public);
        assert!(k.identity().is_some());
        assert!(matches!(
            generate_key_file(&path),
            Err(BackupError::OutExists { .. })
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}
