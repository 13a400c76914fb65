//! What a run leaves in the installation records, however it ends.

use crate::mixin::Stream;
use crate::operation::ExecuteOptions;
use crate::store::{InstallationStore, OutputRecord, Status, StoreError};

use super::fake_driver::{Call, FakeDriver};
use super::fixture::{Fixture, INSTALLATION, OUTPUT_SECRET, container_of};

/// Name, sensitivity and value of each recorded output, by name.
fn summary(outputs: &[OutputRecord]) -> Vec<(String, bool, String)> {
    let mut rows: Vec<(String, bool, String)> = outputs
        .iter()
        .map(|o| {
            let value = o.value.as_ref().map(|v| v.to_string_lossy());
            (o.name.clone(), o.sensitive, value.unwrap_or_default())
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_successful_run_records_its_declared_outputs_and_its_log() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(0)
        .printing(Stream::Stdout, "installing the shop\n")
        .printing(Stream::Stderr, "a warning\n")
        .with_output("endpoint", "shop.example.com")
        .with_output("secret", OUTPUT_SECRET)
        .with_output("scratch", "not declared by the bundle");

    let (outcome, _) = fixture
        .execute(&driver, "install", ExecuteOptions::default())
        .await;

    assert_eq!(outcome.status, Status::Succeeded);
    assert!(outcome.succeeded());
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.message, "");
    assert_eq!(outcome.outputs, ["endpoint", "secret"]);
    assert!(!outcome.deleted);

    let run = fixture.run(&outcome.run_id);
    assert_eq!(run.status, Status::Succeeded);
    assert_eq!(run.run.action, "install");
    assert_eq!(run.run.installation, INSTALLATION);
    assert_eq!(
        summary(&fixture.outputs(&outcome.run_id)),
        [
            ("endpoint".into(), false, "shop.example.com".into()),
            ("secret".into(), true, OUTPUT_SECRET.into()),
        ]
    );
    assert_eq!(
        fixture.logs(&outcome.run_id),
        "installing the shop\na warning\n"
    );
    let installation = fixture.store.installation(&fixture.key).unwrap();
    assert!(installation.is_installed());
    assert_eq!(installation.credential_sets, ["shop-creds"]);
}

#[tokio::test]
async fn the_driver_gets_the_run_s_invocation_and_no_removal() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(0);

    let (outcome, _) = fixture
        .execute(&driver, "install", ExecuteOptions::default())
        .await;

    let calls = driver.calls();
    let [Call::Run(invocation)] = calls.as_slice() else {
        panic!("expected one run and nothing else, got {calls:?}");
    };
    assert_eq!(invocation.image, "example/shop:v1");
    assert_eq!(
        invocation.container_name.as_deref(),
        Some(container_of(&outcome.run_id).as_str())
    );
    let env = |key: &str| {
        invocation
            .env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(env("CNAB_ACTION"), Some("install"));
    assert_eq!(env("CNAB_INSTALLATION_NAME"), Some(INSTALLATION));
    assert_eq!(env("CNAB_REVISION"), Some(outcome.run_id.as_str()));
    assert_eq!(env("REGION"), Some("eu-west-1"));
    let mut hidden = invocation.sensitive_env.clone();
    hidden.sort();
    assert_eq!(hidden, ["PASSWORD", "TOKEN"]);
}

#[tokio::test]
async fn a_failing_exit_code_records_failed_and_keeps_the_outputs_written() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(3)
        .printing(Stream::Stderr, "step 2 failed\n")
        .with_output("endpoint", "half.example.com");

    let (outcome, _) = fixture
        .execute(&driver, "install", ExecuteOptions::default())
        .await;

    let message = "the install action failed: the invocation image exited with code 3";
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.exit_code, Some(3));
    assert_eq!(outcome.message, message);
    assert_eq!(outcome.outputs, ["endpoint"]);
    let run = fixture.run(&outcome.run_id);
    assert_eq!(run.status, Status::Failed);
    assert_eq!(run.result.map(|r| r.message).as_deref(), Some(message));
    assert_eq!(
        summary(&fixture.outputs(&outcome.run_id)),
        [("endpoint".into(), false, "half.example.com".into())]
    );
    assert_eq!(fixture.logs(&outcome.run_id), "step 2 failed\n");
    let installation = fixture.store.installation(&fixture.key).unwrap();
    assert!(!installation.is_installed());
}

#[tokio::test]
async fn a_driver_error_records_failed_with_its_message_and_no_outputs() {
    let fixture = Fixture::new();
    let driver =
        FakeDriver::fails("the engine lost the container").printing(Stream::Stdout, "starting\n");

    let (outcome, _) = fixture
        .execute(&driver, "install", ExecuteOptions::default())
        .await;

    let message = "the run could not complete: the engine lost the container";
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.exit_code, None);
    assert_eq!(outcome.message, message);
    assert!(outcome.outputs.is_empty());
    let run = fixture.run(&outcome.run_id);
    assert_eq!(run.result.map(|r| r.message).as_deref(), Some(message));
    assert!(fixture.outputs(&outcome.run_id).is_empty());
    assert_eq!(fixture.logs(&outcome.run_id), "starting\n");
    assert!(
        !driver
            .calls()
            .iter()
            .any(|c| matches!(c, Call::RemoveContainer(_))),
        "a run that ended is cleaned up by the driver itself"
    );
}

#[tokio::test]
async fn an_image_the_driver_cannot_run_is_refused_before_anything_is_recorded() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(0).handling(&["qemu"]);

    let error = crate::operation::execute(
        fixture.store(),
        &driver,
        fixture.prepared("install"),
        std::sync::Arc::new(crate::mixin::MemorySink::default()),
        ExecuteOptions::default(),
        crate::operation::Cancel::never(),
    )
    .await
    .expect_err("the fake driver runs only qemu images");

    assert_eq!(
        error.to_string(),
        "the fake driver cannot run the bundle's invocation image (of type `docker`); \
         choose another driver"
    );
    assert!(driver.calls().is_empty());
    assert!(matches!(
        fixture.store.installation(&fixture.key),
        Err(StoreError::InstallationNotFound(_))
    ));
}
