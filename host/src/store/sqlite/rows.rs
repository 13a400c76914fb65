//! Turning rows into records and records into column values.
//!
//! Column lists live next to the functions that read them, so a query and
//! its mapping cannot drift apart.

use std::collections::BTreeMap;

use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Type, ValueRef};
use serde::de::DeserializeOwned;

use crate::secrets::SecretRef;
use crate::store::{
    BundleInfo, Installation, InstallationLine, InstallationStatus, OutputRecord, OutputValue, Run,
    RunResult, Status,
};
use crate::time::Timestamp;

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Status {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Status::parse(text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown run status {text:?}").into()))
    }
}

/// Times are unix milliseconds in the database (anything finer is dropped;
/// the store makes its times with [`Timestamp::now`], which has none).
impl ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.unix_millis()))
    }
}

impl FromSql for Timestamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let millis = value.as_i64()?;
        Timestamp::from_unix_millis(millis).ok_or(FromSqlError::OutOfRange(millis))
    }
}

/// Column `idx` as JSON text decoded into `T`, without copying the text
/// first (an empty list or map allocates nothing).
pub(super) fn json<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    decode_json(text_ref(row, idx)?, idx)
}

/// `text`, column `idx`'s JSON, decoded into `T`.
fn decode_json<T: DeserializeOwned>(text: &str, idx: usize) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Column `idx` as a non-negative count (SQLite integers are signed).
fn count(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(idx)?;
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, value))
}

/// A count as a column value.
pub(super) fn to_count(value: u64) -> rusqlite::Result<i64> {
    i64::try_from(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// `value` as JSON text for a column.
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// What [`installation`] reads, from `installations`.
pub(super) const INSTALLATION_COLUMNS: &str = "id, namespace, name, bundle_reference, \
    bundle_name, bundle_version, bundle_digest, bundle_json, parameter_sets, credential_sets, \
    labels, revision, status_run_id, status_action, status_result_id, status_result_status, \
    installed, uninstalled, created, modified";

/// [`INSTALLATION_COLUMNS`] for a list: the same columns but an empty
/// bundle.json, which is by far the largest and which a list never shows.
pub(super) const LISTED_INSTALLATION_COLUMNS: &str = "id, namespace, name, bundle_reference, \
    bundle_name, bundle_version, bundle_digest, '' AS bundle_json, parameter_sets, \
    credential_sets, labels, revision, status_run_id, status_action, status_result_id, \
    status_result_status, installed, uninstalled, created, modified";

/// What [`line_into`] reads, from `installations`.
pub(super) const LINE_COLUMNS: &str = "namespace, name, bundle_name, bundle_version, \
    status_action, status_result_status, modified, status_run_id";

/// Reads a row of [`LINE_COLUMNS`] into `into`, reusing its buffers, and
/// returns whether the line's status needs settling (a run recorded
/// running).
pub(super) fn line_into(row: &Row<'_>, into: &mut InstallationLine) -> rusqlite::Result<bool> {
    text_into(row, 0, &mut into.namespace)?;
    text_into(row, 1, &mut into.name)?;
    text_into(row, 2, &mut into.bundle_name)?;
    text_into(row, 3, &mut into.bundle_version)?;
    optional_text_into(row, 4, &mut into.action)?;
    into.status = row.get(5)?;
    into.modified = row.get(6)?;
    Ok(into.status == Some(Status::Running) && row.get_ref(7)? != ValueRef::Null)
}

/// A row of [`INSTALLATION_COLUMNS`] as a new record.
pub(super) fn installation(row: &Row<'_>) -> rusqlite::Result<Installation> {
    let mut installation = empty_installation();
    installation_into(row, &mut installation)?;
    Ok(installation)
}

/// A record for [`installation_into`] to fill.
pub(super) fn empty_installation() -> Installation {
    Installation {
        id: String::new(),
        namespace: String::new(),
        name: String::new(),
        bundle: BundleInfo::default(),
        bundle_json: String::new(),
        parameter_sets: Vec::new(),
        credential_sets: Vec::new(),
        labels: Default::default(),
        revision: 0,
        status: InstallationStatus::default(),
        created: Timestamp::UNIX_EPOCH,
        modified: Timestamp::UNIX_EPOCH,
    }
}

/// A line for [`line_into`] to fill.
pub(super) fn empty_line() -> InstallationLine {
    InstallationLine {
        namespace: String::new(),
        name: String::new(),
        bundle_name: String::new(),
        bundle_version: String::new(),
        action: None,
        status: None,
        modified: Timestamp::UNIX_EPOCH,
    }
}

/// Reads a row of [`INSTALLATION_COLUMNS`] (or of
/// [`LISTED_INSTALLATION_COLUMNS`]) into `into`, reusing its buffers: a
/// list reads every row into the same record, so a row costs its bytes,
/// not a dozen allocations.
pub(super) fn installation_into(row: &Row<'_>, into: &mut Installation) -> rusqlite::Result<()> {
    text_into(row, 0, &mut into.id)?;
    text_into(row, 1, &mut into.namespace)?;
    text_into(row, 2, &mut into.name)?;
    text_into(row, 3, &mut into.bundle.reference)?;
    text_into(row, 4, &mut into.bundle.name)?;
    text_into(row, 5, &mut into.bundle.version)?;
    text_into(row, 6, &mut into.bundle.digest)?;
    text_into(row, 7, &mut into.bundle_json)?;
    json_into(row, 8, &mut into.parameter_sets, "[]", Vec::clear)?;
    json_into(row, 9, &mut into.credential_sets, "[]", Vec::clear)?;
    json_into(row, 10, &mut into.labels, "{}", BTreeMap::clear)?;
    into.revision = count(row, 11)?;
    let status = &mut into.status;
    optional_text_into(row, 12, &mut status.run_id)?;
    optional_text_into(row, 13, &mut status.action)?;
    optional_text_into(row, 14, &mut status.result_id)?;
    status.result_status = row.get(15)?;
    status.installed = row.get(16)?;
    status.uninstalled = row.get(17)?;
    into.created = row.get(18)?;
    into.modified = row.get(19)?;
    Ok(())
}

/// Column `idx` as text, borrowed from the row.
fn text_ref<'row>(row: &'row Row<'_>, idx: usize) -> rusqlite::Result<&'row str> {
    let value = row.get_ref(idx)?;
    value
        .as_str()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, value.data_type(), e.into()))
}

/// Column `idx`, JSON text, decoded into `into`; the common `empty` text
/// (no sets, no labels) only clears it, without a parse.
fn json_into<T: DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
    into: &mut T,
    empty: &str,
    clear: impl FnOnce(&mut T),
) -> rusqlite::Result<()> {
    let text = text_ref(row, idx)?;
    if text == empty {
        clear(into);
    } else {
        *into = decode_json(text, idx)?;
    }
    Ok(())
}

/// Column `idx`, a text, into `into`'s buffer.
fn text_into(row: &Row<'_>, idx: usize, into: &mut String) -> rusqlite::Result<()> {
    let text = text_ref(row, idx)?;
    into.clear();
    into.push_str(text);
    Ok(())
}

/// Column `idx`, a text or NULL, into `into`, reusing its buffer.
fn optional_text_into(
    row: &Row<'_>,
    idx: usize,
    into: &mut Option<String>,
) -> rusqlite::Result<()> {
    if row.get_ref(idx)? == ValueRef::Null {
        *into = None;
        return Ok(());
    }
    match into {
        Some(buffer) => text_into(row, idx, buffer),
        None => {
            *into = Some(text_ref(row, idx)?.to_string());
            Ok(())
        }
    }
}

/// What [`run`] reads, from `runs r JOIN installations i`.
pub(super) const RUN_COLUMNS: &str = "r.id, i.namespace, i.name, r.action, r.revision, \
    r.bundle_reference, r.bundle_name, r.bundle_version, r.bundle_digest, r.parameters, \
    r.parameter_sets, r.credential_sets, r.created";

/// How many columns [`RUN_COLUMNS`] has.
pub(super) const RUN_COLUMN_COUNT: usize = 13;

pub(super) fn run(row: &Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: row.get(0)?,
        namespace: row.get(1)?,
        installation: row.get(2)?,
        action: row.get(3)?,
        revision: count(row, 4)?,
        bundle: BundleInfo {
            reference: row.get(5)?,
            name: row.get(6)?,
            version: row.get(7)?,
            digest: row.get(8)?,
        },
        parameters: json(row, 9)?,
        parameter_sets: json(row, 10)?,
        credential_sets: json(row, 11)?,
        created: row.get(12)?,
    })
}

/// What [`result`] reads, from `results res`.
pub(super) const RESULT_COLUMNS: &str = "res.id, res.run_id, res.status, res.message, res.created";

/// The result whose columns start at `at`; `None` when they are `NULL`
/// (a `LEFT JOIN` that found no result).
pub(super) fn result(row: &Row<'_>, at: usize) -> rusqlite::Result<Option<RunResult>> {
    let Some(id) = row.get::<_, Option<String>>(at)? else {
        return Ok(None);
    };
    Ok(Some(RunResult {
        id,
        run_id: row.get(at + 1)?,
        status: row.get(at + 2)?,
        message: row.get(at + 3)?,
        created: row.get(at + 4)?,
    }))
}

/// What [`output`] reads, from `outputs o`.
pub(super) const OUTPUT_COLUMNS: &str =
    "o.name, o.run_id, o.result_id, o.value, o.secret_ref, o.sensitive, o.created";

/// An output as stored: a sensitive one has its reference, not its value.
pub(super) fn output(row: &Row<'_>) -> rusqlite::Result<OutputRecord> {
    let value: Option<Vec<u8>> = row.get(3)?;
    let secret: Option<String> = row.get(4)?;
    Ok(OutputRecord {
        name: row.get(0)?,
        run_id: row.get(1)?,
        result_id: row.get(2)?,
        value: value.map(OutputValue),
        secret: secret.map(SecretRef::new),
        sensitive: row.get(5)?,
        created: row.get(6)?,
    })
}
