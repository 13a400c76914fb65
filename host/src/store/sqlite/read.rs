//! The store's reads, for the CLI's list and show commands.
//!
//! Reads run outside transactions, each statement on the latest committed
//! data; that matters for telling a dead run from a finished one (see
//! [`SqliteStore::settle`]). Statuses are settled on the way out: a run
//! recorded `running` whose process is gone reads `unknown`.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::rows::{self, OUTPUT_COLUMNS, RESULT_COLUMNS, RUN_COLUMN_COUNT, RUN_COLUMNS};
use super::shared::installation_by_key;
use super::{SqlResult, SqliteStore};
use crate::store::lease::{self, Probe};
use crate::store::{
    Installation, InstallationDetails, InstallationKey, InstallationLine, InstallationQuery,
    OutputRecord, OutputValue, RecordedValue, RunLogs, RunResult, RunSummary, Status, StoreError,
};

/// Runs with their latest result; callers add `WHERE` and `ORDER BY`.
fn runs_query(filter: &str) -> String {
    format!(
        "SELECT {RUN_COLUMNS}, {RESULT_COLUMNS}
         FROM runs r JOIN installations i ON i.id = r.installation_id
         LEFT JOIN results res
           ON res.seq = (SELECT MAX(seq) FROM results WHERE run_id = r.id)
         {filter}"
    )
}

fn summary_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    let result = rows::result(row, RUN_COLUMN_COUNT)?;
    Ok(RunSummary {
        run: rows::run(row)?,
        status: result.as_ref().map_or(Status::Unknown, |r| r.status),
        result,
    })
}

impl SqliteStore {
    pub(super) fn read_installation(
        &self,
        key: &InstallationKey,
    ) -> Result<Installation, StoreError> {
        self.settled_by_key(&self.conn(), key)
    }

    /// The installation `key`, its last run settled, read on `conn` (whose
    /// lock the caller may already hold).
    fn settled_by_key(
        &self,
        conn: &Connection,
        key: &InstallationKey,
    ) -> Result<Installation, StoreError> {
        let installation = installation_by_key(conn, &self.path, key)?
            .ok_or_else(|| StoreError::InstallationNotFound(key.clone()))?;
        self.settle_installation(conn, installation)
    }

    /// Hands `each` the installations `query` selects, in list order,
    /// each read into the record `each` left.
    pub(super) fn installations_each(
        &self,
        query: &InstallationQuery,
        each: &mut dyn FnMut(&mut Installation) -> bool,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut record = rows::empty_installation();
        let columns = rows::LISTED_INSTALLATION_COLUMNS;
        select_listed(&conn, &self.path, columns, query, &mut |row| {
            rows::installation_into(row, &mut record).sql(&self.path, "list installations")?;
            if record.status.result_status == Some(Status::Running) {
                // Rare: settled as a whole read settles it, on this
                // connection (its lock is held).
                return Ok(each(&mut self.settle_installation(&conn, record.clone())?));
            }
            Ok(each(&mut record))
        })
    }

    /// [`Self::installations_each`] with only the plaintext list's columns.
    pub(super) fn installation_lines_each(
        &self,
        query: &InstallationQuery,
        each: &mut dyn FnMut(&InstallationLine) -> bool,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut line = rows::empty_line();
        select_listed(&conn, &self.path, rows::LINE_COLUMNS, query, &mut |row| {
            let running = rows::line_into(row, &mut line).sql(&self.path, "list installations")?;
            if running {
                let key = InstallationKey::new(&line.namespace, &line.name);
                line.status = self.settled_by_key(&conn, &key)?.status.result_status;
            }
            Ok(each(&line))
        })
    }

    pub(super) fn details(&self, key: &InstallationKey) -> Result<InstallationDetails, StoreError> {
        let installation = self.read_installation(key)?;
        let last_run = self.runs(key, Some(1))?.into_iter().next();
        let outputs = self.latest_outputs(key, false)?;
        Ok(InstallationDetails {
            installation,
            last_run,
            outputs,
        })
    }

    /// The installation's runs, newest first, at most `limit` of them.
    pub(super) fn runs(
        &self,
        key: &InstallationKey,
        limit: Option<u32>,
    ) -> Result<Vec<RunSummary>, StoreError> {
        let conn = self.conn();
        installation_id(&conn, &self.path, key)?;
        let sql = runs_query("WHERE i.namespace = ?1 AND i.name = ?2 ORDER BY r.seq DESC LIMIT ?3");
        let limit = limit.map_or(-1, i64::from);
        let found = (|| {
            conn.prepare(&sql)?
                .query_map((&key.namespace, &key.name, limit), summary_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })()
        .sql(&self.path, &format!("list the runs of installation {key}"))?;
        found.into_iter().map(|s| self.settle(&conn, s)).collect()
    }

    pub(super) fn read_run(&self, run_id: &str) -> Result<RunSummary, StoreError> {
        let conn = self.conn();
        let summary = conn
            .query_row(&runs_query("WHERE r.id = ?1"), [run_id], summary_row)
            .optional()
            .sql(&self.path, &format!("read run {run_id}"))?
            .ok_or_else(|| StoreError::RunNotFound(run_id.to_string()))?;
        self.settle(&conn, summary)
    }

    pub(super) fn results(&self, run_id: &str) -> Result<Vec<RunResult>, StoreError> {
        let conn = self.conn();
        ensure_run(&conn, &self.path, run_id)?;
        let sql = format!(
            "SELECT {RESULT_COLUMNS} FROM results res WHERE res.run_id = ?1 ORDER BY res.seq"
        );
        let found = (|| {
            conn.prepare(&sql)?
                .query_map([run_id], |row| rows::result(row, 0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })()
        .sql(&self.path, &format!("read the results of run {run_id}"))?;
        Ok(found.into_iter().flatten().collect())
    }

    pub(super) fn parameters(
        &self,
        run_id: &str,
    ) -> Result<BTreeMap<String, serde_json::Value>, StoreError> {
        let run = self.read_run(run_id)?.run;
        let mut values = BTreeMap::new();
        for (name, recorded) in run.parameters {
            let value = match recorded {
                RecordedValue::Value(value) => value,
                RecordedValue::Secret(reference) => {
                    let secret = self.secrets.get(&reference)?;
                    serde_json::from_slice(secret.expose()).map_err(|_| StoreError::Corrupt {
                        path: self.path.clone(),
                        what: format!(
                            "the secret {reference} holding parameter {name} of run {run_id} is not JSON"
                        ),
                    })?
                }
            };
            values.insert(name, value);
        }
        Ok(values)
    }

    /// The latest value of each output of the installation, by name.
    pub(super) fn latest_outputs(
        &self,
        key: &InstallationKey,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError> {
        let found = {
            let conn = self.conn();
            let id = installation_id(&conn, &self.path, key)?;
            let sql = format!(
                "SELECT {OUTPUT_COLUMNS} FROM (
                   SELECT o.*, ROW_NUMBER() OVER (PARTITION BY o.name ORDER BY o.seq DESC) AS rank
                   FROM outputs o JOIN runs r ON r.id = o.run_id
                   WHERE r.installation_id = ?1
                 ) o WHERE o.rank = 1 ORDER BY o.name"
            );
            (|| {
                conn.prepare(&sql)?
                    .query_map([id], rows::output)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })()
            .sql(
                &self.path,
                &format!("read the outputs of installation {key}"),
            )?
        };
        self.resolve_all(found, resolve_sensitive)
    }

    pub(super) fn outputs_of_run(
        &self,
        run_id: &str,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError> {
        let found = {
            let conn = self.conn();
            ensure_run(&conn, &self.path, run_id)?;
            let sql = format!(
                "SELECT {OUTPUT_COLUMNS} FROM outputs o WHERE o.run_id = ?1 ORDER BY o.name"
            );
            (|| {
                conn.prepare(&sql)?
                    .query_map([run_id], rows::output)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })()
            .sql(&self.path, &format!("read the outputs of run {run_id}"))?
        };
        self.resolve_all(found, resolve_sensitive)
    }

    /// Reads a sensitive output's value from the secret store.
    pub(super) fn resolve_output(&self, output: &mut OutputRecord) -> Result<(), StoreError> {
        if output.value.is_none()
            && let Some(reference) = &output.secret
        {
            let secret = self.secrets.get(reference)?;
            output.value = Some(OutputValue(secret.expose().to_vec()));
        }
        Ok(())
    }

    pub(super) fn logs(&self, run_id: &str) -> Result<RunLogs, StoreError> {
        let summary = self.read_run(run_id)?;
        let text: Option<String> = self
            .conn()
            .query_row("SELECT text FROM logs WHERE run_id = ?1", [run_id], |row| {
                row.get(0)
            })
            .optional()
            .sql(&self.path, &format!("read the logs of run {run_id}"))?;
        match text {
            Some(logs) => Ok(RunLogs {
                run_id: summary.run.id,
                action: summary.run.action,
                logs,
            }),
            None => Err(StoreError::NoLogs {
                run_id: run_id.to_string(),
                status: summary.status,
            }),
        }
    }

    fn resolve_all(
        &self,
        mut outputs: Vec<OutputRecord>,
        resolve_sensitive: bool,
    ) -> Result<Vec<OutputRecord>, StoreError> {
        if resolve_sensitive {
            for output in &mut outputs {
                self.resolve_output(output)?;
            }
        }
        Ok(outputs)
    }

    /// A run's status now. A run recorded `running` is in progress if its
    /// lease is held; if not, its process has ended, and the latest result
    /// is read again: the process may have recorded its end between the
    /// first read and the probe (it commits before it releases), and if
    /// it did not, it died and the run is `unknown`.
    fn settle(&self, conn: &Connection, mut summary: RunSummary) -> Result<RunSummary, StoreError> {
        if summary.status != Status::Running
            || lease::probe(&self.locks, &summary.run.id)? == Probe::Held
        {
            return Ok(summary);
        }
        let latest = latest_result(conn, &self.path, &summary.run.id)?;
        summary.status = match &latest {
            Some(r) if r.status != Status::Running => r.status,
            _ => Status::Unknown,
        };
        summary.result = latest;
        Ok(summary)
    }

    /// The installation with its last run's status settled.
    fn settle_installation(
        &self,
        conn: &Connection,
        mut installation: Installation,
    ) -> Result<Installation, StoreError> {
        let Some(run_id) = installation.status.run_id.clone() else {
            return Ok(installation);
        };
        if installation.status.result_status != Some(Status::Running)
            || lease::probe(&self.locks, &run_id)? == Probe::Held
        {
            return Ok(installation);
        }
        // The run ended: re-read, in case it recorded its end meanwhile.
        let key = installation.key();
        installation = installation_by_key(conn, &self.path, &key)?
            .ok_or(StoreError::InstallationNotFound(key))?;
        if installation.status.result_status == Some(Status::Running) {
            installation.status.result_status = Some(Status::Unknown);
        }
        Ok(installation)
    }
}

/// Hands `each` the rows `query` selects, as `columns`, in list order,
/// until it returns false. The `(namespace, name, ...)` covering index
/// serves every column list.
fn select_listed(
    conn: &Connection,
    path: &Path,
    columns: &str,
    query: &InstallationQuery,
    each: &mut dyn FnMut(&rusqlite::Row<'_>) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    // Each label is one `json_each` probe of that row's labels.
    let labels: String = (0..query.labels.len())
        .map(|i| {
            format!(
                " AND EXISTS (SELECT 1 FROM json_each(installations.labels) \
                 WHERE json_each.key = ?{} AND json_each.value = ?{})",
                5 + 2 * i,
                6 + 2 * i
            )
        })
        .collect();
    let sql = format!(
        "SELECT {columns} FROM installations
         WHERE (?1 IS NULL OR namespace = ?1) AND (?2 IS NULL OR instr(name, ?2) > 0){labels}
         ORDER BY namespace, name LIMIT ?3 OFFSET ?4"
    );
    let limit = query
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let skip = i64::try_from(query.skip).unwrap_or(i64::MAX);
    let mut params: Vec<&dyn rusqlite::ToSql> =
        vec![&query.namespace, &query.name_contains, &limit, &skip];
    for (key, value) in &query.labels {
        params.push(key);
        params.push(value);
    }
    let action = "list installations";
    let mut statement = conn.prepare(&sql).sql(path, action)?;
    let mut rows = statement.query(params.as_slice()).sql(path, action)?;
    while let Some(row) = rows.next().sql(path, action)? {
        if !each(row)? {
            break;
        }
    }
    Ok(())
}

fn installation_id(
    conn: &Connection,
    path: &Path,
    key: &InstallationKey,
) -> Result<String, StoreError> {
    conn.query_row(
        "SELECT id FROM installations WHERE namespace = ?1 AND name = ?2",
        (&key.namespace, &key.name),
        |row| row.get(0),
    )
    .optional()
    .sql(path, &format!("read installation {key}"))?
    .ok_or_else(|| StoreError::InstallationNotFound(key.clone()))
}

fn ensure_run(conn: &Connection, path: &Path, run_id: &str) -> Result<(), StoreError> {
    conn.query_row("SELECT 1 FROM runs WHERE id = ?1", [run_id], |_| Ok(()))
        .optional()
        .sql(path, &format!("read run {run_id}"))?
        .ok_or_else(|| StoreError::RunNotFound(run_id.to_string()))
}

fn latest_result(
    conn: &Connection,
    path: &Path,
    run_id: &str,
) -> Result<Option<RunResult>, StoreError> {
    conn.query_row(
        &format!(
            "SELECT {RESULT_COLUMNS} FROM results res WHERE res.run_id = ?1
             ORDER BY res.seq DESC LIMIT 1"
        ),
        [run_id],
        |row| rows::result(row, 0),
    )
    .optional()
    .sql(path, &format!("read the status of run {run_id}"))
    .map(Option::flatten)
}
