//! A dry-run driver (`-d debug`) shows the run and records nothing; a
//! driver that runs bundles is never used for a dry run, nor a dry-run
//! driver for a recorded one.

use std::sync::Arc;

use crate::drivers::debug::DebugDriver;
use crate::mixin::{MemorySink, Stream};
use crate::operation::{Cancel, ExecuteOptions, dry_run, execute};
use crate::runtime::MASK;
use crate::store::InstallationStore;

use super::fake_driver::FakeDriver;
use super::fixture::{Fixture, PASSWORD, TOKEN};

#[tokio::test]
async fn the_debug_driver_shows_the_invocation_and_nothing_is_recorded() {
    let fixture = Fixture::new();
    let mut shown = Vec::new();

    dry_run(
        &DebugDriver,
        &fixture.prepared("install"),
        &mut |stream, bytes| {
            assert_eq!(stream, Stream::Stdout);
            shown.extend_from_slice(bytes);
        },
    )
    .await
    .unwrap();

    let shown = String::from_utf8(shown).unwrap();
    for line in [
        "image: example/shop:v1",
        "env: CNAB_ACTION=install",
        "env: CNAB_REVISION=(debug driver: not recorded)",
        "env: REGION=eu-west-1",
        &format!("env: PASSWORD={MASK}"),
        &format!("env: TOKEN={MASK}"),
    ] {
        assert!(shown.lines().any(|l| l == line), "no {line:?} in\n{shown}");
    }
    assert!(!shown.contains(PASSWORD) && !shown.contains(TOKEN));
    assert!(
        fixture
            .store
            .list_installations(&Default::default())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn execute_refuses_a_dry_run_driver_and_records_nothing() {
    let fixture = Fixture::new();

    let error = execute(
        fixture.store(),
        &DebugDriver,
        fixture.prepared("install"),
        Arc::new(MemorySink::default()),
        ExecuteOptions::default(),
        Cancel::never(),
    )
    .await
    .expect_err("a dry run has nothing to record");

    assert!(
        error.to_string().contains("debug driver runs nothing"),
        "{error}"
    );
    assert!(
        fixture
            .store
            .list_installations(&Default::default())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn dry_run_refuses_a_driver_that_runs_bundles() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(0);

    let error = dry_run(&driver, &fixture.prepared("install"), &mut |_, _| {})
        .await
        .expect_err("a real run must be recorded");

    assert!(
        error.to_string().contains("fake driver runs bundles"),
        "{error}"
    );
    assert!(driver.calls().is_empty());
}
