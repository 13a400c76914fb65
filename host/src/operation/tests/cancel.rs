//! A run canceled while its container runs: recorded as canceled, with
//! the log so far, and its container removed.

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::mixin::{MemorySink, Stream};
use crate::operation::{Cancel, ExecuteOptions, Outcome, execute};
use crate::store::{InstallationStore, Status};

use super::fake_driver::{Call, FakeDriver};
use super::fixture::{Fixture, container_of};

const REASON: &str = "canceled by the test";

/// Runs `install` through a hanging `driver` and fires the cancel trigger
/// once the run is under way.
pub async fn cancel_while_running(
    fixture: &Fixture,
    driver: &FakeDriver,
    action: &str,
    options: ExecuteOptions,
) -> anyhow::Result<Outcome> {
    let (fire, fired) = oneshot::channel::<()>();
    let cancel = Cancel::when(
        async move {
            // A dropped trigger must not cancel the run by accident.
            if fired.await.is_err() {
                std::future::pending::<()>().await;
            }
        },
        REASON,
    );
    let run = execute(
        fixture.store(),
        driver,
        fixture.prepared(action),
        Arc::new(MemorySink::default()),
        options,
        cancel,
    );
    let trigger = async {
        driver.wait_until_hanging().await;
        fire.send(()).expect("the run still waits for the trigger");
    };
    let (outcome, ()) = tokio::join!(run, trigger);
    outcome
}

#[tokio::test]
async fn a_canceled_run_is_recorded_as_canceled_and_its_container_removed() {
    let fixture = Fixture::new();
    let driver = FakeDriver::hangs().printing(Stream::Stdout, "going to sleep\n");

    let outcome = cancel_while_running(&fixture, &driver, "install", ExecuteOptions::default())
        .await
        .expect("the canceled run is recorded");

    assert_eq!(outcome.status, Status::Canceled);
    assert_eq!(outcome.exit_code, None);
    assert_eq!(outcome.message, REASON);
    assert!(outcome.outputs.is_empty());
    let calls = driver.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(matches!(calls[0], Call::Run(_)));
    assert_eq!(
        calls[1],
        Call::RemoveContainer(container_of(&outcome.run_id))
    );
    let run = fixture.run(&outcome.run_id);
    assert_eq!(run.status, Status::Canceled);
    assert_eq!(run.result.map(|r| r.message).as_deref(), Some(REASON));
    assert_eq!(fixture.logs(&outcome.run_id), "going to sleep\n");
}

#[tokio::test]
async fn a_container_that_cannot_be_removed_is_an_error_after_the_run_is_recorded() {
    let fixture = Fixture::new();
    let driver = FakeDriver::hangs().failing_removal();

    let error = cancel_while_running(&fixture, &driver, "install", ExecuteOptions::default())
        .await
        .expect_err("the container was left behind");

    assert!(
        error.to_string().contains("refused to remove wharf-"),
        "{error:#}"
    );
    let runs = fixture.store.list_runs(&fixture.key).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, Status::Canceled);
}

#[tokio::test]
async fn a_run_that_ends_first_is_not_canceled() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(0);
    // The trigger is never fired, but it is not `never()` either.
    let (_fire, fired) = oneshot::channel::<()>();
    let cancel = Cancel::when(
        async move {
            let _ = fired.await;
        },
        REASON,
    );

    let outcome = execute(
        fixture.store(),
        &driver,
        fixture.prepared("install"),
        Arc::new(MemorySink::default()),
        ExecuteOptions::default(),
        cancel,
    )
    .await
    .unwrap();

    assert_eq!(outcome.status, Status::Succeeded);
    assert_eq!(driver.calls().len(), 1);
}
