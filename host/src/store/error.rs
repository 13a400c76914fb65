//! What can go wrong with installation records, each error naming the
//! database, installation or run and saying what to do.

use std::path::PathBuf;

use super::model::{InstallationKey, Status};
use crate::cnab::bundle::BundleError;
use crate::secrets::SecretError;

/// Failure of an [`InstallationStore`](super::InstallationStore) operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or prepared.
    #[error(
        "cannot open Wharf's database {path}: {source}; check that the directory exists and is writable by you"
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("database {path}: cannot {action}: {source}")]
    Sqlite {
        path: PathBuf,
        action: String,
        #[source]
        source: rusqlite::Error,
    },
    /// Another process held the database longer than the busy timeout.
    #[error(
        "database {path} is busy: another Wharf process kept it locked while trying to {action}; try again when it has finished"
    )]
    Busy { path: PathBuf, action: String },
    /// The database was written by a newer Wharf.
    #[error(
        "database {path} has schema version {found}, but this Wharf knows only up to {known}; upgrade Wharf (or set WHARF_HOME to another directory)"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// A stored value could not be decoded.
    #[error(
        "database {path} holds a damaged record ({what}); restore the file from a backup or delete the installation"
    )]
    Corrupt { path: PathBuf, what: String },
    /// A directory or lock file next to the database could not be used.
    #[error("cannot use {path}: {source}; check that it is writable by you")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No installation has this namespace and name.
    #[error(
        "installation {0} not found; `wharf installations list --all-namespaces` shows the installations"
    )]
    InstallationNotFound(InstallationKey),
    /// The name cannot be used for an installation.
    #[error("invalid installation name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// The installation's bundle.json cannot be read.
    #[error("installation {installation}: {source}; install or upgrade it with a valid bundle")]
    InvalidBundle {
        installation: InstallationKey,
        #[source]
        source: BundleError,
    },
    /// The bundle has no such action.
    #[error(
        "installation {installation}: the bundle has no action {action:?}; its actions are {}",
        available.join(", ")
    )]
    UnknownAction {
        installation: InstallationKey,
        action: String,
        available: Vec<String>,
    },
    /// No run has this id.
    #[error("run {0} not found; `wharf installations runs list NAME` shows an installation's runs")]
    RunNotFound(String),
    /// The installation has no runs yet.
    #[error("installation {0} has no runs yet; run an action on it first")]
    NoRuns(InstallationKey),
    /// The run has no recorded logs.
    #[error(
        "run {run_id} recorded no logs (status {status}); only runs that finished keep their logs"
    )]
    NoLogs { run_id: String, status: Status },
    /// The installation has no output with this name.
    #[error(
        "installation {installation} has no output {name:?}; its outputs are: {}",
        if available.is_empty() { "none".to_string() } else { available.join(", ") }
    )]
    OutputNotFound {
        installation: InstallationKey,
        name: String,
        available: Vec<String>,
    },
    /// A run was finished with a status that is not final.
    #[error("run {run_id} cannot finish as {status}: use succeeded, failed, canceled or unknown")]
    NotFinal { run_id: String, status: Status },
    /// The run already has a final result.
    #[error("run {run_id} is not running (its status is {status}); it cannot be finished again")]
    NotRunning { run_id: String, status: Status },
    /// The run's process is still alive.
    #[error(
        "run {run_id} of installation {installation} is still in progress in another process; wait for it to finish"
    )]
    RunInProgress {
        installation: InstallationKey,
        run_id: String,
    },
    /// The operating system's random source failed.
    #[error("cannot generate a record id: the operating system's random source failed: {0}")]
    Random(String),
    /// A sensitive value could not be kept or read back.
    #[error(transparent)]
    Secret(#[from] SecretError),
}
