//! Installation records: what was installed, every run of every action,
//! their results, outputs and logs (Porter's installations, claims,
//! results and outputs).
//!
//! [`InstallationStore`] is the interface the commands use, so a PostgreSQL
//! backend can follow the way Porter offers MongoDB; [`SqliteStore`] is the
//! default, one file at `$WHARF_HOME/wharf.db`.
//!
//! Two rules hold for every backend:
//!
//! - **No secret in a record.** A parameter whose definition is `writeOnly`
//!   (or that the caller marks sensitive) and a sensitive output are put
//!   into the [`SecretStore`](crate::secrets::SecretStore); the record keeps
//!   only `{"secret": "<ref>"}`. Credentials are never recorded, only the
//!   names of the credential sets a run used.
//! - **No torn record.** Each logical write is one transaction:
//!   [`start_run`](InstallationStore::start_run) writes the run and its
//!   `running` result, [`finish_run`](InstallationStore::finish_run) writes
//!   the outputs, logs, final result and installation status. A process
//!   killed in between leaves a run that reads back as
//!   [`Status::Unknown`] (see [`RunLease`]).
//!
//! The interface is synchronous; async callers use
//! `tokio::task::spawn_blocking`. The module is part of the `cli` feature:
//! the in-image runtime records nothing and carries no SQLite.

#![cfg(feature = "cli")]

mod error;
mod id;
mod lease;
mod model;
pub mod sqlite;

use std::collections::BTreeMap;

pub use error::StoreError;
pub use lease::RunLease;
pub use model::{
    BundleInfo, FinishRun, Installation, InstallationDetails, InstallationKey, InstallationLine,
    InstallationQuery, InstallationSpec, InstallationStatus, NewOutput, NewRun, OutputRecord,
    OutputValue, RecordedValue, Run, RunLogs, RunResult, RunSummary, Status,
};
pub use sqlite::SqliteStore;

use crate::home::WharfHome;

/// Opens the default store of `home`: SQLite, with the local secret store.
pub fn open(home: &WharfHome) -> Result<SqliteStore, StoreError> {
    SqliteStore::open(home)
}

/// A run that has started and not yet finished. Hand it back to
/// [`InstallationStore::finish_run`]; dropping it instead leaves the run
/// `unknown`, as a crash would.
#[derive(Debug)]
pub struct ActiveRun {
    run: Run,
    result: RunResult,
    _lease: RunLease,
}

impl ActiveRun {
    /// Wraps a started run and the lease that marks it alive.
    pub(crate) fn new(run: Run, result: RunResult, lease: RunLease) -> Self {
        Self {
            run,
            result,
            _lease: lease,
        }
    }

    /// The run as recorded.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Its `running` result.
    pub fn result(&self) -> &RunResult {
        &self.result
    }

    /// The run's id.
    pub fn id(&self) -> &str {
        &self.run.id
    }
}

/// Where installations, runs, results, outputs and logs are kept.
pub trait InstallationStore: Send + Sync {
    /// Creates the installation, or updates what the caller decides about
    /// it (bundle, sets, labels); its id, runs and status are kept.
    fn upsert_installation(&self, spec: InstallationSpec) -> Result<Installation, StoreError>;

    /// One installation.
    fn installation(&self, key: &InstallationKey) -> Result<Installation, StoreError>;

    /// One installation with its last run and its outputs (sensitive ones
    /// unresolved).
    fn show_installation(&self, key: &InstallationKey) -> Result<InstallationDetails, StoreError>;

    /// The installations `query` selects, by namespace and name, without
    /// their bundle.json (see [`Installation::bundle_json`]): a list reads
    /// only what it shows.
    fn list_installations(
        &self,
        query: &InstallationQuery,
    ) -> Result<Vec<Installation>, StoreError> {
        let mut found = Vec::new();
        self.each_installation(query, &mut |installation| {
            found.push(installation.clone());
            true
        })?;
        Ok(found)
    }

    /// Hands `each` the installations [`list_installations`] would
    /// return, one at a time as they are read, so that a long list is
    /// written while the rest is read and never held whole. Each is lent
    /// in a record the store reuses: `each` may keep it by swapping in
    /// another record (`std::mem::swap`), whose buffers the store then
    /// fills with the next row. `each` returns false to stop early.
    ///
    /// [`list_installations`]: InstallationStore::list_installations
    fn each_installation(
        &self,
        query: &InstallationQuery,
        each: &mut dyn FnMut(&mut Installation) -> bool,
    ) -> Result<(), StoreError>;

    /// [`InstallationStore::each_installation`] as the plaintext list
    /// shows it: the same selection and order, only the printed columns.
    fn each_installation_line(
        &self,
        query: &InstallationQuery,
        each: &mut dyn FnMut(&InstallationLine) -> bool,
    ) -> Result<(), StoreError>;

    /// Deletes the installation with its runs, results, outputs, logs and
    /// secrets. Refused while one of its runs is in progress.
    fn delete_installation(&self, key: &InstallationKey) -> Result<(), StoreError>;

    /// Records the start of a run: the run and its `running` result, in
    /// one transaction. Sensitive parameters go to the secret store.
    fn start_run(&self, run: NewRun) -> Result<ActiveRun, StoreError>;

    /// Records the end of a run: outputs, logs, the final result and the
    /// installation's status, in one transaction. The run is consumed
    /// either way: if this fails nothing of it is recorded, and the run
    /// reads `unknown` from then on, as after a crash.
    fn finish_run(&self, run: ActiveRun, finish: FinishRun) -> Result<RunResult, StoreError>;

    /// Gives a run whose process died an `unknown` result, so it stops
    /// showing as running. Refused while the run is in progress.
    fn mark_abandoned(&self, run_id: &str) -> Result<RunResult, StoreError>;

    /// One run with its status.
    fn run(&self, run_id: &str) -> Result<RunSummary, StoreError>;

    /// A run's status now (`unknown` for a run whose process died).
    fn run_status(&self, run_id: &str) -> Result<Status, StoreError>;

    /// The runs of an installation, newest first.
    fn list_runs(&self, key: &InstallationKey) -> Result<Vec<RunSummary>, StoreError>;

    /// A run's results, oldest first.
    fn run_results(&self, run_id: &str) -> Result<Vec<RunResult>, StoreError>;

    /// A run's parameters with sensitive values read back from the secret
    /// store (to run the next action with the same values).
    fn resolve_parameters(
        &self,
        run_id: &str,
    ) -> Result<BTreeMap<String, serde_json::Value>, StoreError>;

    /// The latest value of each of the installation's outputs, across its
    /// runs, by name. Sensitive values are read from the secret store only
    /// when `resolve_sensitive` is set.
    fn list_outputs(
        &self,
        key: &InstallationKey,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError>;

    /// The latest value of one output.
    fn output(
        &self,
        key: &InstallationKey,
        name: &str,
        resolve_sensitive: bool,
    ) -> Result<OutputRecord, StoreError>;

    /// The outputs one run recorded, by name.
    fn run_outputs(
        &self,
        run_id: &str,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError>;

    /// The logs of a run.
    fn run_logs(&self, run_id: &str) -> Result<RunLogs, StoreError>;

    /// The logs of the installation's last run.
    fn last_logs(&self, key: &InstallationKey) -> Result<RunLogs, StoreError>;
}
