//! The default secrets backend: one file per secret under
//! `$WHARF_HOME/secrets/`.
//!
//! Files are 0600 from the moment they exist, in a 0700 directory, so only
//! their owner can read them, and are written atomically
//! ([`crate::fs_atomic`]): a crash leaves either the whole secret or none of
//! it, never a truncated value that would later be passed to a bundle as if
//! it were right.

use std::fs;
use std::path::{Path, PathBuf};

use super::{SecretError, SecretRef, SecretStore, SecretValue};
use crate::fs_atomic::{WriteOptions, sync_dir, write_atomically_with};
use crate::home::WharfHome;

/// Bytes of randomness in an id: 128 bits, so ids never collide.
const ID_BYTES: usize = 16;

/// Secrets kept as files in one directory.
#[derive(Debug, Clone)]
pub struct LocalSecretStore {
    dir: PathBuf,
}

impl LocalSecretStore {
    /// The store of `home`: `$WHARF_HOME/secrets/`.
    pub fn new(home: &WharfHome) -> Self {
        Self::at(home.secrets_dir())
    }

    /// A store in `dir`, created (0700) on the first [`put`](SecretStore::put).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory holding the secret files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `reference`, after checking it is one of this store's
    /// ids: a reference read from a damaged record must not reach outside
    /// the directory.
    pub fn path_of(&self, reference: &SecretRef) -> Result<PathBuf, SecretError> {
        let id = reference.as_str();
        let valid = id.len() == ID_BYTES * 2
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(SecretError::InvalidReference {
                reference: id.to_string(),
            });
        }
        Ok(self.dir.join(id))
    }

    /// Creates the directory (0700), or tightens an existing one.
    pub(super) fn ensure_dir(&self) -> Result<(), SecretError> {
        let fail = |source| SecretError::Directory {
            path: self.dir.clone(),
            source,
        };
        if let Some(parent) = self.dir.parent() {
            fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => restrict_dir(&self.dir),
            Err(e) => Err(fail(e)),
        }
    }
}

impl SecretStore for LocalSecretStore {
    fn backend(&self) -> &str {
        "local"
    }

    fn put(&self, value: &[u8]) -> Result<SecretRef, SecretError> {
        self.ensure_dir()?;
        let reference = SecretRef::new(new_id()?);
        let path = self.path_of(&reference)?;
        write_private(&path, value, false)?;
        Ok(reference)
    }

    fn get(&self, reference: &SecretRef) -> Result<SecretValue, SecretError> {
        let path = self.path_of(reference)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(SecretValue::new(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SecretError::NotFound {
                reference: reference.to_string(),
                path,
            }),
            Err(source) => Err(SecretError::Read { path, source }),
        }
    }

    fn delete(&self, reference: &SecretRef) -> Result<(), SecretError> {
        let path = self.path_of(reference)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir).map_err(|source| SecretError::Delete { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(SecretError::Delete { path, source }),
        }
    }
}

/// 32 lowercase hex digits from the operating system's random source.
fn new_id() -> Result<String, SecretError> {
    let mut bytes = [0u8; ID_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Writes `value` to `path` atomically as a 0600 file: a crash leaves the
/// old file or the new one, never part of one. `replace` allows
/// overwriting an existing file.
pub(super) fn write_private(path: &Path, value: &[u8], replace: bool) -> Result<(), SecretError> {
    let mut options = WriteOptions::new().mode(0o600);
    if !replace {
        options = options.no_clobber();
    }
    write_atomically_with(path, value, options).map_err(|e| SecretError::Write {
        path: path.to_path_buf(),
        source: e.into_io_error(),
    })
}

/// Makes an existing directory private to its owner (0700).
fn restrict_dir(dir: &Path) -> Result<(), SecretError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let fail = |source| SecretError::Directory {
            path: dir.to_path_buf(),
            source,
        };
        let mode = fs::metadata(dir).map_err(fail)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(fail)?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_references_that_are_not_ids() {
        let store = LocalSecretStore::at("/nonexistent");
        for bad in ["../etc/passwd", "", "ABCDEF0123456789ABCDEF0123456789", "x"] {
            let err = store.get(&SecretRef::new(bad)).unwrap_err();
            assert!(
                matches!(err, SecretError::InvalidReference { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn put_get_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalSecretStore::at(dir.path().join("secrets"));
        let reference = store.put(b"s3cr3t").unwrap();
        assert_eq!(store.get(&reference).unwrap().expose(), b"s3cr3t");
        store.delete(&reference).unwrap();
        store.delete(&reference).unwrap();
        let err = store.get(&reference).unwrap_err();
        assert!(err.to_string().contains(reference.as_str()), "{err}");
    }
}
