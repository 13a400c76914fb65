//! Statements and checks the writes share.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::SqlResult;
use super::rows;
use crate::cnab::bundle::Bundle;
use crate::secrets::{SecretRef, SecretStore};
use crate::store::{Installation, InstallationKey, Run, RunResult, Status, StoreError};
use crate::time::Timestamp;

/// Secrets put during one write, deleted again unless the write commits.
pub(super) struct PutSecrets<'s> {
    store: &'s dyn SecretStore,
    refs: Vec<SecretRef>,
    keep: bool,
}

impl<'s> PutSecrets<'s> {
    pub(super) fn new(store: &'s dyn SecretStore) -> Self {
        Self {
            store,
            refs: Vec::new(),
            keep: false,
        }
    }

    pub(super) fn put(&mut self, value: &[u8]) -> Result<SecretRef, StoreError> {
        let reference = self.store.put(value)?;
        self.refs.push(reference.clone());
        Ok(reference)
    }

    pub(super) fn refs(&self) -> &[SecretRef] {
        &self.refs
    }

    /// The write committed: the secrets stay.
    pub(super) fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for PutSecrets<'_> {
    fn drop(&mut self) {
        if !self.keep {
            for reference in &self.refs {
                let _ = self.store.delete(reference);
            }
        }
    }
}

/// The installation's row, if it exists. Reads and writes (a
/// `Transaction` derefs to a `Connection`) share this one query.
pub(super) fn installation_by_key(
    conn: &Connection,
    path: &Path,
    key: &InstallationKey,
) -> Result<Option<Installation>, StoreError> {
    conn.query_row(
        &format!(
            "SELECT {} FROM installations WHERE namespace = ?1 AND name = ?2",
            rows::INSTALLATION_COLUMNS
        ),
        (&key.namespace, &key.name),
        rows::installation,
    )
    .optional()
    .sql(path, &format!("read installation {key}"))
}

/// The installation's row, or a not-found error naming it.
pub(super) fn installation_row(
    tx: &Transaction<'_>,
    path: &Path,
    key: &InstallationKey,
) -> Result<Installation, StoreError> {
    installation_by_key(tx, path, key)?.ok_or_else(|| StoreError::InstallationNotFound(key.clone()))
}

/// The run's installation id and bundle.json.
pub(super) fn run_row(
    tx: &Transaction<'_>,
    path: &Path,
    run_id: &str,
) -> Result<(String, String), StoreError> {
    tx.query_row(
        "SELECT installation_id, bundle_json FROM runs WHERE id = ?1",
        [run_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .sql(path, &format!("read run {run_id}"))?
    .ok_or_else(|| StoreError::RunNotFound(run_id.to_string()))
}

/// Fails unless the run's latest result is `running`.
pub(super) fn expect_running(
    tx: &Transaction<'_>,
    path: &Path,
    run_id: &str,
) -> Result<(), StoreError> {
    let status: Option<Status> = tx
        .query_row(
            "SELECT status FROM results WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1",
            [run_id],
            |row| row.get(0),
        )
        .optional()
        .sql(path, &format!("read the status of run {run_id}"))?;
    match status {
        Some(Status::Running) => Ok(()),
        other => Err(StoreError::NotRunning {
            run_id: run_id.to_string(),
            status: other.unwrap_or(Status::Unknown),
        }),
    }
}

pub(super) fn insert_result(tx: &Transaction<'_>, result: &RunResult) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO results (id, run_id, status, message, created) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            result.id,
            result.run_id,
            result.status,
            result.message,
            result.created
        ],
    )
    .map(drop)
}

pub(super) fn record_secrets(
    tx: &Transaction<'_>,
    installation_id: &str,
    references: &[SecretRef],
    now: Timestamp,
) -> rusqlite::Result<()> {
    for reference in references {
        tx.execute(
            "INSERT INTO secrets (ref, installation_id, created) VALUES (?1, ?2, ?3)",
            params![reference.as_str(), installation_id, now],
        )?;
    }
    Ok(())
}

/// Updates the installation's status with a run's final result, as
/// Porter's `Installation.ApplyResult` does. The "last run" fields move
/// only if no later run has started, so a slow run finishing late does not
/// hide a newer one.
pub(super) fn apply_result(
    tx: &Transaction<'_>,
    installation_id: &str,
    run: &Run,
    result: &RunResult,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE installations SET status_run_id = ?2, status_action = ?3,
            status_result_id = ?4, status_result_status = ?5, modified = ?6
         WHERE id = ?1 AND NOT EXISTS (
            SELECT 1 FROM runs WHERE installation_id = ?1
              AND seq > (SELECT seq FROM runs WHERE id = ?2))",
        params![
            installation_id,
            run.id,
            run.action,
            result.id,
            result.status,
            result.created
        ],
    )?;
    if result.status == Status::Succeeded {
        if run.action == "install" {
            tx.execute(
                "UPDATE installations SET installed = ?2, uninstalled = NULL WHERE id = ?1",
                params![installation_id, result.created],
            )?;
        } else if run.action == "uninstall" {
            tx.execute(
                "UPDATE installations SET uninstalled = ?2 WHERE id = ?1",
                params![installation_id, result.created],
            )?;
        }
    }
    Ok(())
}

/// Names must be usable in paths, URLs and `namespace/name` displays.
pub(super) fn validate_key(key: &InstallationKey) -> Result<(), StoreError> {
    let invalid = |name: &str, reason| {
        Err(StoreError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    if key.name.trim().is_empty() {
        return invalid(&key.name, "an installation needs a name");
    }
    for part in [&key.namespace, &key.name] {
        if part.contains('/') {
            return invalid(part, "names and namespaces cannot contain '/'");
        }
        if part.chars().any(char::is_control) {
            return invalid(
                part,
                "names and namespaces cannot contain control characters",
            );
        }
    }
    Ok(())
}

pub(super) fn parse_bundle(key: &InstallationKey, bundle_json: &str) -> Result<Bundle, StoreError> {
    Bundle::from_slice(bundle_json.as_bytes()).map_err(|source| StoreError::InvalidBundle {
        installation: key.clone(),
        source,
    })
}
