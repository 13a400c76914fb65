//! What can go wrong keeping a secret, each saying which file and what to do.

use std::path::PathBuf;

/// Failure of a [`SecretStore`](super::SecretStore) operation.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The secrets directory could not be created or locked down.
    #[error(
        "cannot prepare the secrets directory {path}: {source}; check that its parent exists and is writable by you"
    )]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A secret file could not be written.
    #[error(
        "cannot write secret file {path}: {source}; check free space and that the directory is writable by you"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The reference points to no file.
    #[error(
        "secret {reference} is missing: {path} does not exist; it was deleted, or the record was made under another WHARF_HOME (run the action again to record a new value)"
    )]
    NotFound { reference: String, path: PathBuf },
    /// A secret file exists but could not be read.
    #[error(
        "cannot read secret file {path}: {source}; it should be yours with mode 0600 (chmod 600 {path})"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A secret file could not be removed.
    #[error("cannot delete secret file {path}: {source}; delete it by hand")]
    Delete {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The reference does not have the local store's shape, so it is not
    /// turned into a path (it could otherwise name a file elsewhere).
    #[error(
        "invalid secret reference {reference:?}: the local secret store's references are 32 lowercase hex digits; the record is damaged or was made with another secrets backend"
    )]
    InvalidReference { reference: String },
    /// A named secret's key is not a plain name.
    #[error("invalid secret key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    /// The operating system's random source failed.
    #[error("cannot generate a secret id: the operating system's random source failed: {0}")]
    Random(String),
    /// A failure inside another backend (for plugins such as Vault).
    #[error("secrets backend {backend}: {message}")]
    Backend { backend: String, message: String },
}
