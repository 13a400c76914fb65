//! Running a prepared run and recording it.
//!
//! The record is written in two transactions around the container: the
//! run and its `running` result before it starts, the outputs, logs and
//! final result after it ends (on failure too, so outputs written before a
//! failing step are kept). A process killed in between leaves a run that
//! reads back as `unknown`.
//!
//! What runs the image is a [`Driver`]; a dry-run driver (`-d debug`)
//! goes through [`dry_run`] instead, which records nothing.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result, ensure};

use super::cancel::Cancel;
use super::invocation::{RunIdentity, build_invocation, runnable_image};
use super::orphans;
use super::prepare::PreparedRun;
use crate::cnab::contract::{DEPENDENCIES_DIR, STATE_NAME};
use crate::drivers::{Completed, Driver, Invocation, OutputCallback};
use crate::mixin::{LogLevel, OutputSink, Stream};
use crate::runtime::{Masker, MaskingSink};
use crate::store::{FinishRun, InstallationSpec, InstallationStore, NewOutput, NewRun, Status};

/// The most log text a run keeps; the rest is cut, and the cut is said.
const MAX_LOG_BYTES: usize = 8 << 20;

/// What to do with the installation after the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeleteAfter {
    /// Keep it.
    #[default]
    Never,
    /// Delete its records when the uninstall succeeded (`--delete`).
    OnSuccess,
    /// Delete them however it ended (`--force-delete`).
    Always,
}

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecuteOptions {
    /// Do not keep the run's logs (`--no-logs`).
    pub no_logs: bool,
    pub delete_after: DeleteAfter,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub run_id: String,
    pub status: Status,
    /// The container's exit code; `None` when it never ran.
    pub exit_code: Option<i64>,
    /// Why it failed; empty on success.
    pub message: String,
    /// The outputs recorded, by name.
    pub outputs: Vec<String>,
    /// Whether the installation's records were deleted afterwards.
    pub deleted: bool,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status == Status::Succeeded
    }
}

/// The invocation a prepared run would start through `driver`, and the
/// secrets to mask.
pub fn invocation_for(
    prepared: &PreparedRun,
    revision: &str,
    driver: &dyn Driver,
) -> Result<(Invocation, Vec<String>)> {
    let request = &prepared.request;
    let (mut invocation, secrets) = build_invocation(
        &request.bundle,
        runnable_image(&request.bundle, driver)?,
        &RunIdentity {
            action: &request.action,
            installation: &request.key.name,
            namespace: &request.key.namespace,
            revision,
        },
        &prepared.parameters,
        &prepared.credentials,
        request.allow_docker_host_access,
    )?;
    for (alias, json) in &request.dependencies.bundles {
        invocation.files.push((
            format!("{DEPENDENCIES_DIR}/{alias}/bundle.json"),
            json.clone().into_bytes(),
        ));
    }
    Ok((invocation, secrets))
}

/// Shows what the run would do through a dry-run driver: the driver's
/// description goes to `on_output`, nothing runs and nothing is recorded.
pub async fn dry_run(
    driver: &dyn Driver,
    prepared: &PreparedRun,
    on_output: OutputCallback<'_>,
) -> Result<()> {
    ensure!(
        driver.is_dry_run(),
        "the {} driver runs bundles, so its runs must be recorded; use `execute`",
        driver.name()
    );
    let revision = format!("({} driver: not recorded)", driver.name());
    let (invocation, _) = invocation_for(prepared, &revision, driver)?;
    driver.run(&invocation, on_output).await?;
    Ok(())
}

/// Records the run, runs it through `driver` with its output masked and
/// streamed to `sink`, and records how it ended. When `cancel` fires
/// first, the run is recorded as canceled and its container removed.
pub async fn execute(
    store: Arc<dyn InstallationStore>,
    driver: &dyn Driver,
    prepared: PreparedRun,
    sink: Arc<dyn OutputSink>,
    options: ExecuteOptions,
    cancel: Cancel,
) -> Result<Outcome> {
    ensure!(
        !driver.is_dry_run(),
        "the {} driver runs nothing, so there is no run to record; show what it would run \
         with `dry_run`",
        driver.name()
    );
    let request = &prepared.request;
    // Refused before anything is recorded.
    runnable_image(&request.bundle, driver)?;
    let key = request.key.clone();
    let (spec, new_run) = records_of(&prepared);
    // Refused while a live process runs the installation; a dead
    // process's container must not run beside this run.
    orphans::reap(&store, driver, &key, sink.as_ref()).await?;
    let active = blocking(&store, move |s| {
        s.upsert_installation(spec)?;
        s.start_run(new_run)
    })
    .await
    .context("cannot record the start of the run")?;
    let run_id = active.id().to_string();

    let (mut invocation, secrets) = invocation_for(&prepared, &run_id, driver)?;
    let container = orphans::container_name(&run_id);
    invocation.container_name = Some(container.clone());
    invocation.labels = orphans::container_labels(&run_id, &key);
    let masker = Masker::default();
    for secret in &secrets {
        masker.add(secret);
    }
    let capture = Arc::new(LogCapture::new(sink));
    let masking = MaskingSink::new(capture.clone(), masker.clone());
    let mut on_output = |stream, bytes: &[u8]| masking.output("bundle", stream, bytes);
    let (canceled, cancel_reason) = cancel.into_parts();
    let ran = tokio::select! {
        ran = driver.run(&invocation, &mut on_output) => Some(ran),
        () = canceled => None,
    };
    masking.flush();
    // A canceled run's own cleanup was cut off with it.
    let removed = match ran {
        None => Some(driver.remove_container(&container).await),
        Some(_) => None,
    };

    let bundle = &request.bundle;
    let (mut finish, exit_code) = match &ran {
        None => (FinishRun::new(Status::Canceled, cancel_reason), None),
        Some(Ok(Completed { exit_code: 0, .. })) => (FinishRun::succeeded(), Some(0)),
        Some(Ok(Completed { exit_code, .. })) => (
            FinishRun::failed(format!(
                "the {} action failed: the invocation image exited with code {exit_code}",
                request.action
            )),
            Some(*exit_code),
        ),
        Some(Err(e)) => (
            FinishRun::failed(masker.mask_str(&format!("the run could not complete: {e:#}"))),
            None,
        ),
    };
    let mut recorded = Vec::new();
    if let Some(Ok(completed)) = &ran {
        for (name, value) in &completed.outputs {
            if !bundle.outputs.contains_key(name) {
                continue;
            }
            let sensitive = bundle.is_sensitive_output(name) || name == STATE_NAME;
            if sensitive && let Ok(text) = std::str::from_utf8(value) {
                masker.add(text);
            }
            recorded.push(name.clone());
            finish.outputs.push(NewOutput {
                name: name.clone(),
                value: value.clone(),
                sensitive,
            });
        }
    }
    if !options.no_logs {
        // No escape sequences in a stored log. Masked before stripping (a
        // secret may hold control characters) and after (stripping can
        // join a secret that a sequence split).
        let log = crate::text::strip_control_sequences(&masker.mask_str(&capture.text()));
        finish.logs = Some(masker.mask_str(&log));
    }
    let status = finish.status;
    let message = finish.message.clone();
    blocking(&store, move |s| s.finish_run(active, finish).map(|_| ()))
        .await
        .with_context(|| format!("the run ended ({status}) but that could not be recorded"))?;
    if let Some(removed) = removed {
        removed?;
    }

    let delete = match options.delete_after {
        DeleteAfter::Never => false,
        DeleteAfter::OnSuccess => status == Status::Succeeded,
        // Not after an interrupt: the operator stopped the uninstall.
        DeleteAfter::Always => status != Status::Canceled,
    };
    if delete {
        let key = key.clone();
        blocking(&store, move |s| s.delete_installation(&key))
            .await
            .context("the uninstall ran but the installation's records could not be deleted")?;
    }
    Ok(Outcome {
        run_id,
        status,
        exit_code,
        message,
        outputs: recorded,
        deleted: delete,
    })
}

/// The installation and the run a prepared run records.
fn records_of(prepared: &PreparedRun) -> (InstallationSpec, NewRun) {
    let request = &prepared.request;
    let key = request.key.clone();
    let spec = InstallationSpec {
        key: key.clone(),
        bundle: request.bundle_info.clone(),
        bundle_json: request.bundle_json.clone(),
        parameter_sets: prepared.parameter_sets.clone(),
        credential_sets: prepared.credential_sets.clone(),
        labels: match &prepared.existing {
            Some(existing) if request.labels.is_empty() => existing.labels.clone(),
            _ => request.labels.clone(),
        },
    };
    let mut new_run = NewRun::new(key, request.action.clone());
    for (name, value) in &prepared.parameters {
        new_run = if value.sensitive {
            new_run.sensitive_parameter(name, value.value.clone())
        } else {
            new_run.parameter(name, value.value.clone())
        };
    }
    (spec, new_run)
}

/// Records a run of the prepared action that failed before its
/// invocation image could start (one of the bundle's dependencies
/// failed), so the installation tells what stopped it. Nothing runs.
pub async fn record_not_run(
    store: Arc<dyn InstallationStore>,
    prepared: &PreparedRun,
    message: String,
) -> Result<Outcome> {
    let (spec, new_run) = records_of(prepared);
    let finish = FinishRun::failed(message.clone());
    let run_id = blocking(&store, move |s| {
        s.upsert_installation(spec)?;
        let active = s.start_run(new_run)?;
        let id = active.id().to_string();
        s.finish_run(active, finish)?;
        Ok(id)
    })
    .await
    .context("cannot record the run that did not start")?;
    Ok(Outcome {
        run_id,
        status: Status::Failed,
        exit_code: None,
        message,
        outputs: Vec::new(),
        deleted: false,
    })
}

/// Runs a store call off the async workers: stores are synchronous.
async fn blocking<T: Send + 'static>(
    store: &Arc<dyn InstallationStore>,
    call: impl FnOnce(&dyn InstallationStore) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    let result = tokio::task::spawn_blocking(move || call(store.as_ref()))
        .await
        .context("the installation store's worker stopped")?;
    Ok(result?)
}

/// Passes output on and keeps a copy, in order, for the run's log.
struct LogCapture {
    inner: Arc<dyn OutputSink>,
    text: Mutex<Vec<u8>>,
}

impl LogCapture {
    fn new(inner: Arc<dyn OutputSink>) -> Self {
        Self {
            inner,
            text: Mutex::new(Vec::new()),
        }
    }

    fn text(&self) -> String {
        let bytes = self.text.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn keep(&self, bytes: &[u8]) {
        let mut text = self.text.lock().unwrap_or_else(PoisonError::into_inner);
        if text.len() >= MAX_LOG_BYTES {
            return;
        }
        let room = MAX_LOG_BYTES - text.len();
        if bytes.len() <= room {
            text.extend_from_slice(bytes);
        } else {
            text.extend_from_slice(&bytes[..room]);
            text.extend_from_slice(b"\n[wharf: the log was cut here at 8 MiB]\n");
        }
    }
}

impl OutputSink for LogCapture {
    fn output(&self, mixin: &str, stream: Stream, bytes: &[u8]) {
        self.keep(bytes);
        self.inner.output(mixin, stream, bytes);
    }

    fn log(&self, mixin: &str, level: LogLevel, message: &str) {
        self.keep(format!("{mixin}: {message}\n").as_bytes());
        self.inner.log(mixin, level, message);
    }
}
