//! Secrets the container prints never reach the records, and parameter
//! and credential values never reach the terminal either.

use crate::mixin::Stream;
use crate::operation::ExecuteOptions;
use crate::runtime::MASK;
use crate::store::{InstallationStore, StoreError};

use super::fake_driver::FakeDriver;
use super::fixture::{Fixture, OUTPUT_SECRET, PASSWORD, TOKEN};

/// A container that prints every secret it has, one of them split across
/// two chunks as a pipe may deliver it.
fn leaky_driver() -> FakeDriver {
    let (head, tail) = PASSWORD.split_at(4);
    FakeDriver::exits(0)
        .printing(Stream::Stdout, &format!("password: {head}"))
        .printing(Stream::Stdout, &format!("{tail}\n"))
        .printing(Stream::Stderr, &format!("token: {TOKEN}\n"))
        .printing(Stream::Stdout, &format!("made secret: {OUTPUT_SECRET}\n"))
        .with_output("secret", OUTPUT_SECRET)
}

#[tokio::test]
async fn secrets_printed_by_the_container_are_masked_in_the_stored_log() {
    let fixture = Fixture::new();

    let (outcome, _) = fixture
        .execute(&leaky_driver(), "install", ExecuteOptions::default())
        .await;

    assert_eq!(
        fixture.logs(&outcome.run_id),
        format!("password: {MASK}\ntoken: {MASK}\nmade secret: {MASK}\n")
    );
}

#[tokio::test]
async fn parameter_and_credential_values_never_reach_the_terminal() {
    let fixture = Fixture::new();

    let (_, sink) = fixture
        .execute(&leaky_driver(), "install", ExecuteOptions::default())
        .await;

    // A sensitive output is known only once the run has ended, so the
    // in-image runtime masks it as it prints; what the host can mask as
    // the output streams is what it knew before the run.
    let seen = sink.snapshot();
    let stdout = String::from_utf8_lossy(&seen.stdout);
    let stderr = String::from_utf8_lossy(&seen.stderr);
    assert!(
        stdout.starts_with(&format!("password: {MASK}\n")),
        "{stdout}"
    );
    assert_eq!(stderr, format!("token: {MASK}\n"));
    for secret in [PASSWORD, TOKEN] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
}

#[tokio::test]
async fn a_driver_error_is_masked_before_it_is_recorded() {
    let fixture = Fixture::new();
    let driver = FakeDriver::fails(&format!("the engine said: bad env PASSWORD={PASSWORD}"));

    let (outcome, _) = fixture
        .execute(&driver, "install", ExecuteOptions::default())
        .await;

    let expected = format!("the run could not complete: the engine said: bad env PASSWORD={MASK}");
    assert_eq!(outcome.message, expected);
    let run = fixture.run(&outcome.run_id);
    assert_eq!(run.result.map(|r| r.message), Some(expected));
}

#[tokio::test]
async fn no_logs_stores_no_log_but_still_shows_the_output() {
    let fixture = Fixture::new();
    let driver = FakeDriver::exits(0).printing(Stream::Stdout, "hello\n");
    let options = ExecuteOptions {
        no_logs: true,
        ..ExecuteOptions::default()
    };

    let (outcome, sink) = fixture.execute(&driver, "install", options).await;

    assert!(outcome.succeeded());
    assert!(matches!(
        fixture.store.run_logs(&outcome.run_id),
        Err(StoreError::NoLogs { .. })
    ));
    assert_eq!(sink.snapshot().stdout, b"hello\n");
}
