//! The store's writes, one transaction each.
//!
//! Sensitive values are put into the secret store inside the transaction
//! that records their references; if the transaction fails they are
//! deleted again ([`PutSecrets`]), so a failed write leaves neither rows
//! nor secret files. A process killed between the put and the commit can
//! leave an unreferenced secret file, never a reference without its file.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::rows::{to_count, to_json};
use super::shared::{
    PutSecrets, apply_result, expect_running, insert_result, installation_row, parse_bundle,
    record_secrets, run_row, validate_key,
};
use super::{SqlResult, SqliteStore, immediate};
use crate::cnab::bundle::CORE_ACTIONS;
use crate::secrets::{SecretRef, SecretValue};
use crate::store::id::new_ulid;
use crate::store::lease::{self, Probe, RunLease};
use crate::store::{
    ActiveRun, FinishRun, Installation, InstallationKey, InstallationSpec, NewRun, RecordedValue,
    Run, RunResult, Status, StoreError,
};
use crate::time::Timestamp;

/// Why abandoned runs read as they do.
const ABANDONED: &str =
    "abandoned: the process running this action stopped before recording how it ended";

impl SqliteStore {
    pub(super) fn upsert(&self, spec: InstallationSpec) -> Result<Installation, StoreError> {
        validate_key(&spec.key)?;
        parse_bundle(&spec.key, &spec.bundle_json)?;
        let path = &self.path;
        let now = Timestamp::now();
        let mut conn = self.conn();
        let tx = immediate(&mut conn, path, "save an installation")?;
        let action = format!("save installation {}", spec.key);
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM installations WHERE namespace = ?1 AND name = ?2",
                (&spec.key.namespace, &spec.key.name),
                |row| row.get(0),
            )
            .optional()
            .sql(path, &action)?;
        let sets_and_labels = (|| {
            Ok::<_, rusqlite::Error>((
                to_json(&spec.parameter_sets)?,
                to_json(&spec.credential_sets)?,
                to_json(&spec.labels)?,
            ))
        })()
        .sql(path, &action)?;
        let (parameter_sets, credential_sets, labels) = sets_and_labels;
        match existing {
            Some(id) => {
                tx.execute(
                    "UPDATE installations SET bundle_reference = ?2, bundle_name = ?3,
                        bundle_version = ?4, bundle_digest = ?5, bundle_json = ?6,
                        parameter_sets = ?7, credential_sets = ?8, labels = ?9, modified = ?10
                     WHERE id = ?1",
                    params![
                        id,
                        spec.bundle.reference,
                        spec.bundle.name,
                        spec.bundle.version,
                        spec.bundle.digest,
                        spec.bundle_json,
                        parameter_sets,
                        credential_sets,
                        labels,
                        now
                    ],
                )
                .sql(path, &action)?;
            }
            None => {
                let id = new_ulid()?;
                tx.execute(
                    "INSERT INTO installations (id, namespace, name, bundle_reference,
                        bundle_name, bundle_version, bundle_digest, bundle_json, parameter_sets,
                        credential_sets, labels, created, modified)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                    params![
                        id,
                        spec.key.namespace,
                        spec.key.name,
                        spec.bundle.reference,
                        spec.bundle.name,
                        spec.bundle.version,
                        spec.bundle.digest,
                        spec.bundle_json,
                        parameter_sets,
                        credential_sets,
                        labels,
                        now
                    ],
                )
                .sql(path, &action)?;
            }
        }
        tx.commit().sql(path, &action)?;
        drop(conn);
        self.read_installation(&spec.key)
    }

    pub(super) fn start(&self, new: NewRun) -> Result<ActiveRun, StoreError> {
        let path = &self.path;
        let key = &new.installation;
        let action = format!("start {} on installation {key}", new.action);
        let mut conn = self.conn();
        let tx = immediate(&mut conn, path, &action)?;
        let installation = installation_row(&tx, path, key)?;
        // One run at a time per installation: a run whose process is alive
        // holds its lease; one whose process died left it free, and reads
        // back as `unknown` without blocking this one. Checked under the
        // write lock, so two starts cannot both pass.
        refuse_held_runs(&tx, path, &action, &self.locks, &installation.id, key)?;
        let bundle = parse_bundle(key, &installation.bundle_json)?;
        if !bundle.has_action(&new.action) {
            let mut available: Vec<String> = CORE_ACTIONS.iter().map(|a| a.to_string()).collect();
            available.extend(bundle.actions.keys().cloned());
            return Err(StoreError::UnknownAction {
                installation: key.clone(),
                action: new.action,
                available,
            });
        }
        let revision = if bundle.action_modifies(&new.action) == Some(true) {
            installation.revision + 1
        } else {
            installation.revision
        };
        let now = Timestamp::now();
        let run_id = new_ulid()?;
        let result_id = new_ulid()?;
        // Taken before the commit, so no reader sees the run unheld.
        let lease = RunLease::acquire(&self.locks, &run_id)?;
        let mut secrets = PutSecrets::new(self.secrets.as_ref());
        let mut parameters = BTreeMap::new();
        for (name, value) in new.parameters {
            let recorded = if new.sensitive.contains(&name) || bundle.is_sensitive_parameter(&name)
            {
                let bytes = SecretValue::new(value.to_string().into_bytes());
                RecordedValue::Secret(secrets.put(bytes.expose())?)
            } else {
                RecordedValue::Value(value)
            };
            parameters.insert(name, recorded);
        }
        let run = Run {
            id: run_id,
            namespace: key.namespace.clone(),
            installation: key.name.clone(),
            action: new.action,
            revision,
            bundle: installation.bundle.clone(),
            parameters,
            parameter_sets: installation.parameter_sets.clone(),
            credential_sets: installation.credential_sets.clone(),
            created: now,
        };
        let result = RunResult {
            id: result_id,
            run_id: run.id.clone(),
            status: Status::Running,
            message: String::new(),
            created: now,
        };
        (|| {
            tx.execute(
                "INSERT INTO runs (id, installation_id, action, revision, bundle_reference,
                    bundle_name, bundle_version, bundle_digest, bundle_json, parameters,
                    parameter_sets, credential_sets, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    run.id,
                    installation.id,
                    run.action,
                    to_count(run.revision)?,
                    run.bundle.reference,
                    run.bundle.name,
                    run.bundle.version,
                    run.bundle.digest,
                    installation.bundle_json,
                    to_json(&run.parameters)?,
                    to_json(&run.parameter_sets)?,
                    to_json(&run.credential_sets)?,
                    run.created
                ],
            )?;
            insert_result(&tx, &result)?;
            record_secrets(&tx, &installation.id, secrets.refs(), now)?;
            tx.execute(
                "UPDATE installations SET revision = ?2, status_run_id = ?3,
                    status_action = ?4, status_result_id = ?5, status_result_status = ?6,
                    modified = ?7
                 WHERE id = ?1",
                params![
                    installation.id,
                    to_count(revision)?,
                    run.id,
                    run.action,
                    result.id,
                    result.status,
                    now
                ],
            )?;
            Ok(())
        })()
        .sql(path, &action)?;
        tx.commit().sql(path, &action)?;
        secrets.keep();
        Ok(ActiveRun::new(run, result, lease))
    }

    pub(super) fn finish(
        &self,
        active: ActiveRun,
        finish: FinishRun,
    ) -> Result<RunResult, StoreError> {
        let ActiveRun {
            run, _lease: lease, ..
        } = active;
        if !finish.status.is_final() {
            return Err(StoreError::NotFinal {
                run_id: run.id,
                status: finish.status,
            });
        }
        let path = &self.path;
        let action = format!("record the end of run {}", run.id);
        let mut conn = self.conn();
        let tx = immediate(&mut conn, path, &action)?;
        let (installation_id, bundle_json) = run_row(&tx, path, &run.id)?;
        expect_running(&tx, path, &run.id)?;
        let bundle = parse_bundle(&run.installation_key(), &bundle_json)?;
        let now = Timestamp::now();
        let result = RunResult {
            id: new_ulid()?,
            run_id: run.id.clone(),
            status: finish.status,
            message: finish.message,
            created: now,
        };
        // One value per name: the last one given wins.
        let outputs: BTreeMap<String, (Vec<u8>, bool)> = finish
            .outputs
            .into_iter()
            .map(|o| {
                let sensitive = o.sensitive || bundle.is_sensitive_output(&o.name);
                (o.name, (o.value, sensitive))
            })
            .collect();
        let mut secrets = PutSecrets::new(self.secrets.as_ref());
        let mut stored = Vec::with_capacity(outputs.len());
        for (name, (value, sensitive)) in outputs {
            if sensitive {
                let value = SecretValue::new(value);
                let reference = secrets.put(value.expose())?;
                stored.push((name, None, Some(reference), true));
            } else {
                stored.push((name, Some(value), None, false));
            }
        }
        (|| {
            insert_result(&tx, &result)?;
            for (name, value, reference, sensitive) in &stored {
                tx.execute(
                    "INSERT INTO outputs (run_id, result_id, name, value, secret_ref, sensitive,
                        created)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        run.id,
                        result.id,
                        name,
                        value,
                        reference.as_ref().map(SecretRef::as_str),
                        sensitive,
                        now
                    ],
                )?;
            }
            record_secrets(&tx, &installation_id, secrets.refs(), now)?;
            if let Some(logs) = &finish.logs {
                tx.execute(
                    "INSERT OR REPLACE INTO logs (run_id, text, created) VALUES (?1, ?2, ?3)",
                    params![run.id, logs, now],
                )?;
            }
            apply_result(&tx, &installation_id, &run, &result)
        })()
        .sql(path, &action)?;
        tx.commit().sql(path, &action)?;
        secrets.keep();
        // Released only now, after the final result is committed.
        drop(lease);
        Ok(result)
    }

    pub(super) fn abandon(&self, run_id: &str) -> Result<RunResult, StoreError> {
        let summary = self.read_run(run_id)?;
        let run = summary.run;
        if lease::probe(&self.locks, run_id)? == Probe::Held {
            return Err(StoreError::RunInProgress {
                installation: run.installation_key(),
                run_id: run.id,
            });
        }
        let path = &self.path;
        let action = format!("mark run {run_id} abandoned");
        let mut conn = self.conn();
        let tx = immediate(&mut conn, path, &action)?;
        let (installation_id, _) = run_row(&tx, path, run_id)?;
        expect_running(&tx, path, run_id)?;
        let result = RunResult {
            id: new_ulid()?,
            run_id: run.id.clone(),
            status: Status::Unknown,
            message: ABANDONED.to_string(),
            created: Timestamp::now(),
        };
        (|| {
            insert_result(&tx, &result)?;
            apply_result(&tx, &installation_id, &run, &result)
        })()
        .sql(path, &action)?;
        tx.commit().sql(path, &action)?;
        drop(conn);
        lease::remove_stale(&self.locks, run_id)?;
        Ok(result)
    }

    pub(super) fn delete(&self, key: &InstallationKey) -> Result<(), StoreError> {
        let path = &self.path;
        let action = format!("delete installation {key}");
        let mut conn = self.conn();
        let tx = immediate(&mut conn, path, &action)?;
        let installation = installation_row(&tx, path, key)?;
        // Refuse while a run is in progress: its end could not be recorded.
        // Checked under the write lock, so no run can start meanwhile (a
        // run takes its lease only once it holds the write lock).
        refuse_held_runs(&tx, path, &action, &self.locks, &installation.id, key)?;
        let (references, run_ids) = (|| {
            let references = tx
                .prepare("SELECT ref FROM secrets WHERE installation_id = ?1")?
                .query_map([&installation.id], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let run_ids = tx
                .prepare("SELECT id FROM runs WHERE installation_id = ?1")?
                .query_map([&installation.id], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.execute(
                "DELETE FROM installations WHERE id = ?1",
                [&installation.id],
            )?;
            Ok((references, run_ids))
        })()
        .sql(path, &action)?;
        tx.commit().sql(path, &action)?;
        drop(conn);
        // The rows are gone first: a failure below leaves files nobody
        // refers to, never a record whose secret is missing.
        let mut first_error = None;
        for reference in references {
            if let Err(e) = self.secrets.delete(&SecretRef::new(reference)) {
                first_error.get_or_insert(StoreError::Secret(e));
            }
        }
        for run_id in run_ids {
            if let Err(e) = lease::remove_stale(&self.locks, &run_id) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Fails with [`StoreError::RunInProgress`] when a live process holds a
/// `running` run of the installation. Call it inside the write
/// transaction, so no run can start between the check and what follows.
fn refuse_held_runs(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    action: &str,
    locks: &Path,
    installation_id: &str,
    key: &InstallationKey,
) -> Result<(), StoreError> {
    let running = (|| {
        tx.prepare(
            "SELECT r.id FROM runs r WHERE r.installation_id = ?1 AND (
               SELECT status FROM results WHERE run_id = r.id ORDER BY seq DESC LIMIT 1
             ) = 'running'",
        )?
        .query_map([installation_id], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()
    })()
    .sql(path, action)?;
    for run_id in running {
        if lease::probe(locks, &run_id)? == Probe::Held {
            return Err(StoreError::RunInProgress {
                installation: key.clone(),
                run_id,
            });
        }
    }
    Ok(())
}
