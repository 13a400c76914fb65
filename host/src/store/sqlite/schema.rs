//! The database schema and its migrations.
//!
//! `schema_version` lists every migration applied, so a newer Wharf can add
//! migrations and an older one refuses a database it does not understand
//! instead of misreading it. Migrations run in one `IMMEDIATE` transaction,
//! so two processes opening a fresh database at once apply them once.
//! Tables are `STRICT`, so a wrongly typed write fails instead of being
//! stored as something else.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::SqlResult;
use crate::store::StoreError;
use crate::time::Timestamp;

/// One step of the schema.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "installations, runs, results, outputs, logs, secrets",
        sql: V1,
    },
    Migration {
        version: 2,
        description: "a covering index for listing installations",
        sql: V2,
    },
];

/// Version 2. `installations list` reads every column but bundle.json in
/// (namespace, name) order. From the table, each row's later columns sit
/// behind its bundle.json's overflow pages; this index holds them in list
/// order, so a list of 100 000 installations reads the index alone. It
/// must name every column of `rows::LISTED_INSTALLATION_COLUMNS`.
const V2: &str = "
CREATE INDEX installations_listed ON installations (
    namespace, name, id, bundle_reference, bundle_name, bundle_version, bundle_digest,
    parameter_sets, credential_sets, labels, revision, status_run_id, status_action,
    status_result_id, status_result_status, installed, uninstalled, created, modified
);
";

/// Version 1. JSON columns: `parameter_sets`, `credential_sets` (arrays of
/// names), `labels` (object), `parameters` (object of `{"value": v}` or
/// `{"secret": "<ref>"}`). `seq` columns give insertion order, which is
/// commit order because writers are serialised: "latest" never depends on
/// clocks. Child rows are removed with their parents (`ON DELETE CASCADE`,
/// with `PRAGMA foreign_keys=ON`).
const V1: &str = "
CREATE TABLE installations (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    bundle_reference TEXT NOT NULL,
    bundle_name TEXT NOT NULL,
    bundle_version TEXT NOT NULL,
    bundle_digest TEXT NOT NULL,
    bundle_json TEXT NOT NULL,
    parameter_sets TEXT NOT NULL,
    credential_sets TEXT NOT NULL,
    labels TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    status_run_id TEXT,
    status_action TEXT,
    status_result_id TEXT,
    status_result_status TEXT,
    installed INTEGER,
    uninstalled INTEGER,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    UNIQUE (namespace, name)
) STRICT;

CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    installation_id TEXT NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    revision INTEGER NOT NULL,
    bundle_reference TEXT NOT NULL,
    bundle_name TEXT NOT NULL,
    bundle_version TEXT NOT NULL,
    bundle_digest TEXT NOT NULL,
    bundle_json TEXT NOT NULL,
    parameters TEXT NOT NULL,
    parameter_sets TEXT NOT NULL,
    credential_sets TEXT NOT NULL,
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX runs_by_installation ON runs (installation_id, seq);

CREATE TABLE results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'running', 'succeeded', 'failed', 'canceled', 'unknown')),
    message TEXT NOT NULL,
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX results_by_run ON results (run_id, seq);

CREATE TABLE outputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    result_id TEXT NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value BLOB,
    secret_ref TEXT,
    sensitive INTEGER NOT NULL,
    created INTEGER NOT NULL,
    UNIQUE (run_id, name),
    CHECK ((value IS NULL) <> (secret_ref IS NULL))
) STRICT;
CREATE INDEX outputs_by_result ON outputs (result_id);

CREATE TABLE logs (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
    ref TEXT PRIMARY KEY,
    installation_id TEXT NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX secrets_by_installation ON secrets (installation_id);
";

/// The newest schema version this Wharf knows.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The version the database is at (0 for a new file).
pub(super) fn current_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let has_table: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .sql(path, "read the schema version")?;
    if has_table.is_none() {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |row| row.get(0),
    )
    .sql(path, "read the schema version")
}

/// Brings the database to [`latest_version`].
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = latest_version();
    let found = current_version(conn, path)?;
    if found == known {
        return Ok(());
    }
    if found > known {
        return Err(newer(path, found, known));
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .sql(path, "start the schema migration")?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied INTEGER NOT NULL
        ) STRICT",
    )
    .sql(path, "create the schema_version table")?;
    // Another process may have migrated since the check above.
    let found = current_version(&tx, path)?;
    if found > known {
        return Err(newer(path, found, known));
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        let action = format!("apply schema migration {}", migration.version);
        tx.execute_batch(migration.sql).sql(path, &action)?;
        tx.execute(
            "INSERT INTO schema_version (version, description, applied) VALUES (?1, ?2, ?3)",
            (migration.version, migration.description, Timestamp::now()),
        )
        .sql(path, &action)?;
    }
    tx.commit().sql(path, "commit the schema migration")
}

fn newer(path: &Path, found: i64, known: i64) -> StoreError {
    StoreError::NewerSchema {
        path: path.to_path_buf(),
        found,
        known,
    }
}
