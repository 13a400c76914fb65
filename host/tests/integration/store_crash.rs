//! Runs whose process dies read back as `unknown`, never torn; runs in
//! progress in another handle or process read `running`.

#![cfg(feature = "cli")]

use crate::store_common::{Home, run, spec};
use serde_json::json;
use wharf::home::WharfHome;
use wharf::store::{
    FinishRun, InstallationKey, InstallationQuery, InstallationStore, NewRun, SqliteStore, Status,
    StoreError,
};

#[test]
fn a_run_dropped_without_finishing_reads_unknown_after_reopening() {
    let home = Home::new();
    let key = InstallationKey::global("mydb");
    let run_id = {
        let store = home.open();
        store.upsert_installation(spec(&key, "0.1.0")).unwrap();
        let active = store
            .start_run(NewRun::new(key.clone(), "install"))
            .unwrap();
        active.id().to_string()
        // The run and the store are dropped here: no finish_run.
    };
    let store = home.open();
    assert_eq!(store.run_status(&run_id).unwrap(), Status::Unknown);
    let summary = store.run(&run_id).unwrap();
    assert_eq!(
        summary.result.unwrap().status,
        Status::Running,
        "recorded as is"
    );
    let installation = store.installation(&key).unwrap();
    assert_eq!(installation.status.result_status, Some(Status::Unknown));
    assert!(!installation.is_installed());

    let abandoned = store.mark_abandoned(&run_id).unwrap();
    assert_eq!(abandoned.status, Status::Unknown);
    assert!(
        abandoned.message.contains("abandoned"),
        "{}",
        abandoned.message
    );
    let statuses: Vec<Status> = store
        .run_results(&run_id)
        .unwrap()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Status::Running, Status::Unknown]);
    let err = store.mark_abandoned(&run_id).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotRunning {
                status: Status::Unknown,
                ..
            }
        ),
        "{err}"
    );
    let err = store.run_logs(&run_id).unwrap_err();
    assert!(matches!(err, StoreError::NoLogs { .. }), "{err}");
}

/// Used by [`a_killed_process_leaves_its_run_unknown`]: started as a child
/// process, begins a run, reports it and waits to be killed.
#[test]
#[ignore = "a helper run as a child process by another test"]
fn crash_child_process() {
    let Some(root) = std::env::var_os("WHARF_STORE_CRASH_HOME") else {
        return;
    };
    let store = SqliteStore::open(&WharfHome::new(root)).unwrap();
    let key = InstallationKey::global("mydb");
    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let active = store
        .start_run(NewRun::new(key, "install").parameter("password", json!("pw")))
        .unwrap();
    println!("STARTED {}", active.id());
    std::thread::sleep(std::time::Duration::from_secs(600));
}

/// [`crash_child_process`]'s name as libtest's `--exact` filter needs it:
/// its path below the test binary's root (this module shares a binary).
fn child_test_name() -> String {
    match module_path!().split_once("::") {
        Some((_binary, module)) => format!("{module}::crash_child_process"),
        None => "crash_child_process".to_string(),
    }
}

#[test]
fn a_killed_process_leaves_its_run_unknown() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let home = Home::new();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([&child_test_name(), "--exact", "--ignored", "--nocapture"])
        .env("WHARF_STORE_CRASH_HOME", home.home.root())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let run_id = stdout
        .lines()
        .map(Result::unwrap)
        .find_map(|line| line.strip_prefix("STARTED ").map(str::to_string))
        .expect("the child started a run");

    let store = home.open();
    assert_eq!(
        store.run_status(&run_id).unwrap(),
        Status::Running,
        "child alive"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        store.run_status(&run_id).unwrap(),
        Status::Unknown,
        "child killed"
    );
    let key = InstallationKey::global("mydb");
    assert_eq!(
        store.installation(&key).unwrap().status.result_status,
        Some(Status::Unknown)
    );
    assert_eq!(
        store.resolve_parameters(&run_id).unwrap()["password"],
        json!("pw")
    );
    // The dead run's lease is free, so it does not hold the installation:
    // the next run starts without anyone editing the records.
    let next = store
        .start_run(NewRun::new(key.clone(), "upgrade"))
        .expect("a dead process's run does not block the next one");
    store.finish_run(next, FinishRun::succeeded()).unwrap();
    store.mark_abandoned(&run_id).unwrap();
    let lock = home
        .home
        .root()
        .join("locks")
        .join(format!("{run_id}.lock"));
    assert!(!lock.exists(), "mark_abandoned removes the stale lock");
    store.delete_installation(&key).unwrap();
    assert!(home.secret_files().is_empty());
}

#[test]
fn two_handles_share_the_database() {
    let home = Home::new();
    let first = home.open();
    let second = home.open();
    let key = InstallationKey::global("mydb");
    first.upsert_installation(spec(&key, "0.1.0")).unwrap();

    // A run in progress in one handle is running for the other, which can
    // neither abandon it nor delete its installation.
    let active = first
        .start_run(NewRun::new(key.clone(), "install"))
        .unwrap();
    let id = active.id().to_string();
    assert_eq!(second.run_status(&id).unwrap(), Status::Running);
    assert_eq!(
        second.installation(&key).unwrap().status.result_status,
        Some(Status::Running)
    );
    assert!(matches!(
        second.mark_abandoned(&id),
        Err(StoreError::RunInProgress { .. })
    ));
    assert!(matches!(
        second.delete_installation(&key),
        Err(StoreError::RunInProgress { .. })
    ));
    // Nor start another run of it: one run at a time per installation,
    // and the refusal names the run that holds it.
    let err = second
        .start_run(NewRun::new(key.clone(), "upgrade"))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::RunInProgress { run_id, .. } if *run_id == id),
        "{err}"
    );
    assert!(err.to_string().contains(&id), "{err}");
    first.finish_run(active, FinishRun::succeeded()).unwrap();
    assert_eq!(second.run_status(&id).unwrap(), Status::Succeeded);

    // Both write at once, from two threads, without busy errors.
    let keys: Vec<InstallationKey> = (0..2)
        .map(|i| InstallationKey::global(format!("parallel-{i}")))
        .collect();
    std::thread::scope(|scope| {
        for (store, key) in [&first, &second].into_iter().zip(&keys) {
            scope.spawn(move || {
                store.upsert_installation(spec(key, "0.1.0")).unwrap();
                for i in 0..10 {
                    let new = NewRun::new(key.clone(), "backup").parameter("password", json!(i));
                    run(
                        store,
                        new,
                        FinishRun::succeeded().output("endpoint", format!("{i}")),
                    );
                }
            });
        }
    });
    for key in &keys {
        for store in [&first, &second] {
            let runs = store.list_runs(key).unwrap();
            assert_eq!(runs.len(), 10);
            assert!(runs.iter().all(|r| r.status == Status::Succeeded));
            let endpoint = store.output(key, "endpoint", false).unwrap();
            assert_eq!(endpoint.value.unwrap().as_bytes(), b"9");
        }
    }
}

/// Both forms of `installations list` settle a recorded `running` as a
/// single read does: `running` while its run lives, `unknown` once its
/// process is gone.
#[test]
fn the_lists_settle_a_running_status_as_a_read_does() {
    let home = Home::new();
    let (live, dead) = (
        InstallationKey::global("live"),
        InstallationKey::global("dead"),
    );
    {
        let store = home.open();
        store.upsert_installation(spec(&dead, "0.1.0")).unwrap();
        store
            .start_run(NewRun::new(dead.clone(), "install"))
            .unwrap();
        // Dropped without finishing, as a killed process leaves it.
    }
    let store = home.open();
    store.upsert_installation(spec(&live, "0.1.0")).unwrap();
    let _held = store
        .start_run(NewRun::new(live.clone(), "install"))
        .unwrap();

    let query = InstallationQuery::default();
    let mut lines = Vec::new();
    store
        .each_installation_line(&query, &mut |l| {
            lines.push((l.name.clone(), l.status));
            true
        })
        .unwrap();
    let full: Vec<_> = store
        .list_installations(&query)
        .unwrap()
        .into_iter()
        .map(|i| (i.name, i.status.result_status))
        .collect();
    let expected = vec![
        ("dead".to_string(), Some(Status::Unknown)),
        ("live".to_string(), Some(Status::Running)),
    ];
    assert_eq!(lines, expected);
    assert_eq!(full, expected);
}
