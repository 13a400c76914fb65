//! A run whose process died leaves its container; the next run removes it
//! first. A run whose process is alive refuses the next one.

use crate::operation::ExecuteOptions;
use crate::operation::orphans::{INSTALLATION_LABEL, RUN_LABEL};
use crate::store::{InstallationStore, NewRun, Status, StoreError};

use super::fake_driver::{Call, FakeDriver};
use super::fixture::{Fixture, INSTALLATION, container_of};

#[tokio::test]
async fn a_dead_run_s_container_is_removed_before_the_next_run_which_is_labelled() {
    let fixture = Fixture::new();
    fixture
        .execute(&FakeDriver::exits(0), "install", ExecuteOptions::default())
        .await;
    // A process that dies mid-run drops its lease with it.
    let dead = fixture
        .store
        .start_run(NewRun::new(fixture.key.clone(), "upgrade"))
        .unwrap();
    let dead_id = dead.id().to_string();
    drop(dead);

    let driver = FakeDriver::exits(0);
    let (outcome, _) = fixture
        .execute(&driver, "upgrade", ExecuteOptions::default())
        .await;

    assert_eq!(outcome.status, Status::Succeeded);
    let calls = driver.calls();
    let [Call::RemoveContainer(removed), Call::Run(invocation)] = calls.as_slice() else {
        panic!("expected the orphan's removal, then the run: {calls:?}");
    };
    assert_eq!(*removed, container_of(&dead_id));
    assert!(
        invocation
            .labels
            .contains(&(RUN_LABEL.into(), outcome.run_id.clone()))
            && invocation
                .labels
                .contains(&(INSTALLATION_LABEL.into(), INSTALLATION.into())),
        "{:?}",
        invocation.labels
    );
    let reaped = fixture.run(&dead_id);
    assert_eq!(reaped.status, Status::Unknown);
    assert_ne!(reaped.result.unwrap().status, Status::Running);

    // Reaped once: the next run removes nothing.
    let driver = FakeDriver::exits(0);
    fixture
        .execute(&driver, "upgrade", ExecuteOptions::default())
        .await;
    assert!(matches!(driver.calls().as_slice(), [Call::Run(_)]));
}

#[tokio::test]
async fn a_live_run_refuses_the_next_one_and_its_container_is_left_alone() {
    let fixture = Fixture::new();
    fixture
        .execute(&FakeDriver::exits(0), "install", ExecuteOptions::default())
        .await;
    let live = fixture
        .store
        .start_run(NewRun::new(fixture.key.clone(), "upgrade"))
        .unwrap();

    let driver = FakeDriver::exits(0);
    let err = fixture
        .try_execute(&driver, "upgrade", ExecuteOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.chain().any(|e| matches!(
            e.downcast_ref::<StoreError>(),
            Some(StoreError::RunInProgress { run_id, .. }) if run_id == live.id()
        )),
        "{err:#}"
    );
    assert!(format!("{err:#}").contains(live.id()), "{err:#}");
    assert!(driver.calls().is_empty(), "{:?}", driver.calls());
}
