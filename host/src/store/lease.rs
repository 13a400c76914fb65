//! Telling a run in progress from a run whose process died.
//!
//! Both leave a run whose latest result is `running`. The process that
//! starts a run holds an exclusive advisory lock on
//! `$WHARF_HOME/locks/<run-id>.lock` until it records the final result; the
//! operating system drops the lock when the process dies, however it dies.
//! A reader that finds a `running` run tries the lock: held means the run
//! is in progress, free means its process is gone and the run is `unknown`.
//!
//! The lock is taken before the run is committed and released after the
//! final result is, so a free lock next to a `running` result read *after*
//! probing means the process died (see [`Probe`]).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::StoreError;

/// The lock a running run holds, in `$WHARF_HOME/locks/<run-id>.lock`: the
/// operating system drops it when the process dies, which is how readers
/// tell a run in progress (`running`) from one whose process died
/// (`unknown`). Dropping it releases the lock and removes the file; a
/// process that dies leaves the file behind, unlocked.
#[derive(Debug)]
pub struct RunLease {
    path: PathBuf,
    file: Option<File>,
}

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A live process holds the run.
    Held,
    /// No process holds the run: it ended or its process died. Re-read the
    /// run's latest result to tell which.
    Free,
}

impl RunLease {
    /// Takes the lock of `run_id` in `dir`.
    pub(crate) fn acquire(dir: &Path, run_id: &str) -> Result<Self, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let path = lease_path(dir, run_id)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            // Run ids are unique, so nobody else can hold this lock.
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Io {
                    path,
                    source: ErrorKind::WouldBlock.into(),
                });
            }
            // Platforms without file locks: runs left `running` by a dead
            // process then stay `running` until marked abandoned.
            Err(TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => {}
            Err(TryLockError::Error(e)) => return Err(io(&path)(e)),
        }
        Ok(Self {
            path,
            file: Some(file),
        })
    }
}

impl Drop for RunLease {
    fn drop(&mut self) {
        // Remove while still locked, then unlock by closing: a prober that
        // opened the file before the removal sees it free only after the
        // final result (if any) was committed.
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// Whether a live process holds run `run_id`.
pub(crate) fn probe(dir: &Path, run_id: &str) -> Result<Probe, StoreError> {
    let path = lease_path(dir, run_id)?;
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Probe::Free),
        Err(source) => return Err(StoreError::Io { path, source }),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Probe::Free),
        Err(TryLockError::WouldBlock) => Ok(Probe::Held),
        // Without file locks nothing can be told: assume the run is alive.
        Err(TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => Ok(Probe::Held),
        Err(TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
    }
}

/// Removes the lock file a dead run left behind.
pub(crate) fn remove_stale(dir: &Path, run_id: &str) -> Result<(), StoreError> {
    let path = lease_path(dir, run_id)?;
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Io { path, source }),
    }
}

/// The lock file of `run_id`. Run ids are ULIDs; anything else (a damaged
/// record, a mistyped id) is refused before it can name a path elsewhere.
fn lease_path(dir: &Path, run_id: &str) -> Result<PathBuf, StoreError> {
    if run_id.is_empty() || !run_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(StoreError::RunNotFound(run_id.to_string()));
    }
    Ok(dir.join(format!("{run_id}.lock")))
}
