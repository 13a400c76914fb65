//! `--delete` and `--force-delete`: whether an uninstall deletes the
//! installation's records, for each way the run can end.

use crate::operation::{DeleteAfter, ExecuteOptions};
use crate::store::{InstallationStore, Status, StoreError};

use super::cancel::cancel_while_running;
use super::fake_driver::FakeDriver;
use super::fixture::Fixture;

#[derive(Debug, Clone, Copy)]
enum Ending {
    Success,
    Failure,
    Cancel,
}

/// Runs an uninstall that ends as `ending`; returns its status, whether
/// the outcome says the records were deleted, and whether they are gone.
async fn uninstall(delete_after: DeleteAfter, ending: Ending) -> (Status, bool, bool) {
    let fixture = Fixture::new();
    let options = ExecuteOptions {
        no_logs: false,
        delete_after,
    };
    let outcome = match ending {
        Ending::Success => {
            fixture
                .execute(&FakeDriver::exits(0), "uninstall", options)
                .await
                .0
        }
        Ending::Failure => {
            fixture
                .execute(&FakeDriver::exits(1), "uninstall", options)
                .await
                .0
        }
        Ending::Cancel => {
            cancel_while_running(&fixture, &FakeDriver::hangs(), "uninstall", options)
                .await
                .expect("the canceled uninstall is recorded")
        }
    };
    let gone = match fixture.store.installation(&fixture.key) {
        Ok(_) => false,
        Err(StoreError::InstallationNotFound(_)) => true,
        Err(e) => panic!("cannot read the installation: {e}"),
    };
    (outcome.status, outcome.deleted, gone)
}

#[tokio::test]
async fn each_delete_rule_on_each_ending() {
    use DeleteAfter::{Always, Never, OnSuccess};
    use Ending::{Cancel, Failure, Success};
    let cases = [
        (Never, Success, Status::Succeeded, false),
        (Never, Failure, Status::Failed, false),
        (Never, Cancel, Status::Canceled, false),
        (OnSuccess, Success, Status::Succeeded, true),
        (OnSuccess, Failure, Status::Failed, false),
        (OnSuccess, Cancel, Status::Canceled, false),
        // `--force-delete` deletes even after a failure, but not after the
        // operator stopped the uninstall.
        (Always, Success, Status::Succeeded, true),
        (Always, Failure, Status::Failed, true),
        (Always, Cancel, Status::Canceled, false),
    ];
    for (delete_after, ending, status, deleted) in cases {
        let case = format!("{delete_after:?} after {ending:?}");
        assert_eq!(
            uninstall(delete_after, ending).await,
            (status, deleted, deleted),
            "{case}"
        );
    }
}
