//! Containers left by a `wharf` process that died mid-run.
//!
//! A run whose process was killed (`kill -9`, a crash, a lost machine)
//! keeps its `running` result, but its lease is free, so it reads back as
//! `unknown` ([`crate::store::RunLease`]). Its container, named after the
//! run and labelled with it ([`RUN_LABEL`]), may still be running the
//! bundle. The next run of the installation reaps it before it starts:
//! it removes the container, then marks the run abandoned, so nothing of
//! the dead run runs beside the new one and nobody edits records by hand.
//! A container that cannot be removed stops the new run, naming it.

use std::sync::Arc;

use anyhow::{Context, Result};

use crate::drivers::Driver;
use crate::mixin::{LogLevel, OutputSink};
use crate::store::{InstallationKey, InstallationStore, Status, StoreError};

/// The label naming the run a container belongs to.
pub const RUN_LABEL: &str = "sh.wharf.run";
/// The label naming the installation (`namespace/name`, or `name` in the
/// global namespace) a container runs for.
pub const INSTALLATION_LABEL: &str = "sh.wharf.installation";

/// The name of run `run_id`'s container, so a later process can find it
/// from the record alone.
pub fn container_name(run_id: &str) -> String {
    format!("wharf-{}", run_id.to_ascii_lowercase())
}

/// The labels of run `run_id`'s container.
pub fn container_labels(run_id: &str, key: &InstallationKey) -> Vec<(String, String)> {
    vec![
        (RUN_LABEL.to_string(), run_id.to_string()),
        (INSTALLATION_LABEL.to_string(), key.to_string()),
    ]
}

/// Removes the containers of the installation's runs whose process died
/// and marks those runs abandoned; returns their ids. A run of a live
/// process is an error ([`StoreError::RunInProgress`], naming it) before
/// anything is removed or recorded; starting the run checks again under
/// the store's write lock, so two runs cannot both pass.
pub async fn reap(
    store: &Arc<dyn InstallationStore>,
    driver: &dyn Driver,
    key: &InstallationKey,
    sink: &dyn OutputSink,
) -> Result<Vec<String>> {
    let runs = {
        let store = store.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || store.list_runs(&key))
            .await
            .context("the installation store's worker stopped")?
    };
    let runs = match runs {
        Ok(runs) => runs,
        Err(StoreError::InstallationNotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e).context(format!("cannot list the runs of {key}")),
    };
    if let Some(live) = runs
        .iter()
        .find(|summary| summary.status == Status::Running)
    {
        return Err(StoreError::RunInProgress {
            installation: key.clone(),
            run_id: live.run.id.clone(),
        }
        .into());
    }
    let dead = runs.into_iter().filter(|summary| {
        summary.status == Status::Unknown
            && summary
                .result
                .as_ref()
                .is_some_and(|r| r.status == Status::Running)
    });
    let mut reaped = Vec::new();
    for summary in dead {
        let run_id = summary.run.id;
        let container = container_name(&run_id);
        driver.remove_container(&container).await.with_context(|| {
            format!(
                "run {run_id} of {key} ({}) ended with its wharf process and left the container \
                 {container}, which could not be removed; remove it (`docker rm -f {container}`) \
                 and run again",
                summary.run.action
            )
        })?;
        let store = store.clone();
        let id = run_id.clone();
        let marked = tokio::task::spawn_blocking(move || store.mark_abandoned(&id))
            .await
            .context("the installation store's worker stopped")?;
        // Another process may have reaped it first: the container is gone
        // either way, which is what matters here.
        if let Err(e) = marked {
            tracing::debug!(run = %run_id, error = %e, "dead run not marked abandoned");
        }
        sink.log(
            "wharf",
            LogLevel::Warn,
            &format!(
                "run {run_id} of {key} ({}) ended with its wharf process; its container \
                 {container} was removed and the run marked abandoned",
                summary.run.action
            ),
        );
        reaped.push(run_id);
    }
    Ok(reaped)
}
