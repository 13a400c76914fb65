//! The default installation store: SQLite at `$WHARF_HOME/wharf.db`.
//!
//! One file, no server, safe for several Wharf processes at once: WAL mode
//! lets readers run beside a writer, writers take the write lock up front
//! (`BEGIN IMMEDIATE`) and wait for each other up to a busy timeout instead
//! of failing, and `synchronous=FULL` makes each commit survive power loss.
//! A crash mid-transaction leaves the database as before the transaction.

mod read;
mod rows;
mod schema;
mod shared;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use super::{
    ActiveRun, FinishRun, Installation, InstallationDetails, InstallationKey, InstallationLine,
    InstallationQuery, InstallationSpec, InstallationStore, NewRun, OutputRecord, RunLogs,
    RunResult, RunSummary, Status, StoreError,
};
use crate::home::WharfHome;
use crate::secrets::{LocalSecretStore, SecretStore};

/// How long a write waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Installation records in a SQLite database.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    locks: PathBuf,
    conn: Mutex<Connection>,
    secrets: Arc<dyn SecretStore>,
}

impl SqliteStore {
    /// The store of `home`, with `home`'s local secret store.
    pub fn open(home: &WharfHome) -> Result<Self, StoreError> {
        Self::open_with(home, Arc::new(LocalSecretStore::new(home)))
    }

    /// The store of `home`, keeping sensitive values in `secrets`.
    pub fn open_with(home: &WharfHome, secrets: Arc<dyn SecretStore>) -> Result<Self, StoreError> {
        Self::open_at(home.database_file(), home.locks_dir(), secrets)
    }

    /// A store in the database file `path`, with run locks in `locks`.
    /// Creates the file (0600) and brings its schema up to date.
    pub fn open_at(
        path: impl Into<PathBuf>,
        locks: impl Into<PathBuf>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, StoreError> {
        let path = path.into();
        create_private_file(&path)?;
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io {
                path,
                source: std::io::Error::other(format!(
                    "SQLite kept journal mode {mode:?} instead of WAL; keep WHARF_HOME on a local file system"
                )),
            });
        }
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        schema::migrate(&mut conn, &path)?;
        Ok(Self {
            path,
            locks: locks.into(),
            conn: Mutex::new(conn),
            secrets,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where sensitive values are kept.
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// The database's schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::current_version(&self.conn(), &self.path)
    }

    /// The newest schema version this Wharf writes.
    pub fn latest_schema_version() -> i64 {
        schema::latest_version()
    }

    /// The connection. A panic while it was held leaves nothing half
    /// done (an open transaction rolls back when dropped), so a poisoned
    /// lock is simply taken over.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts a write transaction, taking the write lock now: a deferred one
/// that reads first could fail with `SQLITE_BUSY` when it tries to write
/// after another process did, without waiting.
fn immediate<'c>(
    conn: &'c mut Connection,
    path: &Path,
    action: &str,
) -> Result<Transaction<'c>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .sql(path, action)
}

/// Creates the database file readable only by its owner, before SQLite
/// creates it with the default mode (its -wal and -shm files copy the
/// database file's mode).
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(io)
}

/// Adds the database path and what was being done to SQLite errors.
trait SqlResult<T> {
    fn sql(self, path: &Path, action: &str) -> Result<T, StoreError>;
}

impl<T> SqlResult<T> for rusqlite::Result<T> {
    fn sql(self, path: &Path, action: &str) -> Result<T, StoreError> {
        self.map_err(|source| {
            let path = path.to_path_buf();
            let action = action.to_string();
            match &source {
                rusqlite::Error::SqliteFailure(e, _)
                    if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
                {
                    StoreError::Busy { path, action }
                }
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Corrupt {
                    path,
                    what: format!("while trying to {action}: {source}"),
                },
                _ => StoreError::Sqlite {
                    path,
                    action,
                    source,
                },
            }
        })
    }
}

impl InstallationStore for SqliteStore {
    fn upsert_installation(&self, spec: InstallationSpec) -> Result<Installation, StoreError> {
        self.upsert(spec)
    }

    fn installation(&self, key: &InstallationKey) -> Result<Installation, StoreError> {
        self.read_installation(key)
    }

    fn show_installation(&self, key: &InstallationKey) -> Result<InstallationDetails, StoreError> {
        self.details(key)
    }

    fn each_installation(
        &self,
        query: &InstallationQuery,
        each: &mut dyn FnMut(&mut Installation) -> bool,
    ) -> Result<(), StoreError> {
        self.installations_each(query, each)
    }

    fn each_installation_line(
        &self,
        query: &InstallationQuery,
        each: &mut dyn FnMut(&InstallationLine) -> bool,
    ) -> Result<(), StoreError> {
        self.installation_lines_each(query, each)
    }

    fn delete_installation(&self, key: &InstallationKey) -> Result<(), StoreError> {
        self.delete(key)
    }

    fn start_run(&self, run: NewRun) -> Result<ActiveRun, StoreError> {
        self.start(run)
    }

    fn finish_run(&self, run: ActiveRun, finish: FinishRun) -> Result<RunResult, StoreError> {
        self.finish(run, finish)
    }

    fn mark_abandoned(&self, run_id: &str) -> Result<RunResult, StoreError> {
        self.abandon(run_id)
    }

    fn run(&self, run_id: &str) -> Result<RunSummary, StoreError> {
        self.read_run(run_id)
    }

    fn run_status(&self, run_id: &str) -> Result<Status, StoreError> {
        Ok(self.read_run(run_id)?.status)
    }

    fn list_runs(&self, key: &InstallationKey) -> Result<Vec<RunSummary>, StoreError> {
        self.runs(key, None)
    }

    fn run_results(&self, run_id: &str) -> Result<Vec<RunResult>, StoreError> {
        self.results(run_id)
    }

    fn resolve_parameters(
        &self,
        run_id: &str,
    ) -> Result<BTreeMap<String, serde_json::Value>, StoreError> {
        self.parameters(run_id)
    }

    fn list_outputs(
        &self,
        key: &InstallationKey,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError> {
        self.latest_outputs(key, resolve_sensitive)
    }

    fn output(
        &self,
        key: &InstallationKey,
        name: &str,
        resolve_sensitive: bool,
    ) -> Result<OutputRecord, StoreError> {
        let outputs = self.latest_outputs(key, false)?;
        let Some(found) = outputs.iter().find(|o| o.name == name) else {
            return Err(StoreError::OutputNotFound {
                installation: key.clone(),
                name: name.to_string(),
                available: outputs.into_iter().map(|o| o.name).collect(),
            });
        };
        let mut found = found.clone();
        if resolve_sensitive {
            self.resolve_output(&mut found)?;
        }
        Ok(found)
    }

    fn run_outputs(
        &self,
        run_id: &str,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError> {
        self.outputs_of_run(run_id, resolve_sensitive)
    }

    fn run_logs(&self, run_id: &str) -> Result<RunLogs, StoreError> {
        self.logs(run_id)
    }

    fn last_logs(&self, key: &InstallationKey) -> Result<RunLogs, StoreError> {
        let last = self.runs(key, Some(1))?;
        let Some(run) = last.first() else {
            return Err(StoreError::NoRuns(key.clone()));
        };
        self.logs(&run.run.id)
    }
}
