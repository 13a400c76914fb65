//! Named secrets: what a set's `secret: KEY` source reads.
//!
//! Porter hands `secret` sources to a secrets plugin (Vault, Azure Key
//! Vault); Wharf's built-in backend keeps them as 0600 files under
//! `$WHARF_HOME/secrets/named/`, one per key, written atomically. Keys are
//! plain names, so a key can never point outside that directory.

use std::fs;
use std::path::PathBuf;

use super::local::write_private;
use super::{LocalSecretStore, SecretError, SecretValue};
use crate::fs_atomic::sync_dir;
use crate::home::WharfHome;

/// The named secrets of one Wharf home.
#[derive(Debug, Clone)]
pub struct NamedSecrets {
    store: LocalSecretStore,
}

impl NamedSecrets {
    /// The named secrets of `home`.
    pub fn new(home: &WharfHome) -> Self {
        Self {
            store: LocalSecretStore::at(home.named_secrets_dir()),
        }
    }

    /// Why `key` cannot name a secret, if it cannot.
    pub fn key_problem(key: &str) -> Option<&'static str> {
        if key.is_empty() {
            Some("it is empty")
        } else if key.starts_with('.') {
            Some("it starts with a dot")
        } else if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            Some("only letters, digits, '.', '_' and '-' are allowed")
        } else {
            None
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf, SecretError> {
        match Self::key_problem(key) {
            Some(reason) => Err(SecretError::InvalidKey {
                key: key.to_string(),
                reason,
            }),
            None => Ok(self.store.dir().join(key)),
        }
    }

    /// Stores `value` under `key`, replacing an earlier value.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), SecretError> {
        let path = self.path(key)?;
        self.store.ensure_dir()?;
        write_private(&path, value, true)
    }

    /// The value under `key`; `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<SecretValue>, SecretError> {
        let path = self.path(key)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(SecretValue::new(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SecretError::Read { path, source }),
        }
    }

    /// Deletes `key`; `false` when there was none.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(self.store.dir())
                    .map_err(|source| SecretError::Delete { path, source })?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(SecretError::Delete { path, source }),
        }
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Result<Vec<String>, SecretError> {
        let dir = self.store.dir();
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(SecretError::Read {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        };
        let mut keys: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|k| Self::key_problem(k).is_none())
            .collect();
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_replace_delete() {
        let dir = tempfile::tempdir().unwrap();
        let named = NamedSecrets::new(&WharfHome::new(dir.path()));
        assert!(named.get("db-password").unwrap().is_none());
        named.set("db-password", b"one").unwrap();
        named.set("db-password", b"two").unwrap();
        assert_eq!(named.get("db-password").unwrap().unwrap().expose(), b"two");
        assert_eq!(named.keys().unwrap(), vec!["db-password".to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join("secrets/named/db-password");
            let mode = fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(named.delete("db-password").unwrap());
        assert!(!named.delete("db-password").unwrap());
    }

    #[test]
    fn keys_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let named = NamedSecrets::new(&WharfHome::new(dir.path()));
        for key in ["../x", "a/b", ".hidden", ""] {
            let err = named.set(key, b"v").unwrap_err().to_string();
            assert!(err.contains("invalid secret key"), "{key}: {err}");
        }
    }
}
