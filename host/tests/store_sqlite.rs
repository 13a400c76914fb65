//! The SQLite installation store, on a temporary WHARF_HOME: the lifecycle
//! of an installation, secrets kept out of the database, crashes, failures,
//! deletion and concurrent use.

#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wharf::home::WharfHome;
use wharf::store::{
    BundleInfo, FinishRun, InstallationKey, InstallationSpec, InstallationStore, NewRun,
    RecordedValue, SqliteStore, Status, StoreError,
};

/// A bundle with a sensitive parameter (`password`), a sensitive output
/// (`token`) and a custom, non-modifying action (`backup`).
fn bundle_json(version: &str) -> String {
    json!({
        "schemaVersion": "1.2.0",
        "name": "mydb",
        "version": version,
        "description": "",
        "invocationImages": [{"imageType": "docker", "image": "example/mydb:v1"}],
        "actions": {"backup": {"modifies": false, "description": "Back up the data"}},
        "definitions": {
            "password-def": {"type": "string", "writeOnly": true},
            "string-def": {"type": "string"}
        },
        "parameters": {
            "password": {"definition": "password-def", "destination": {"env": "PASSWORD"}},
            "region": {"definition": "string-def", "destination": {"env": "REGION"}},
            "api-key": {"definition": "string-def", "destination": {"env": "API_KEY"}}
        },
        "credentials": {"kubeconfig": {"path": "/home/nonroot/.kube/config"}},
        "outputs": {
            "endpoint": {"definition": "string-def", "path": "/cnab/app/outputs/endpoint"},
            "token": {"definition": "password-def", "path": "/cnab/app/outputs/token"}
        }
    })
    .to_string()
}

fn spec(key: &InstallationKey, version: &str) -> InstallationSpec {
    InstallationSpec {
        key: key.clone(),
        bundle: BundleInfo {
            reference: format!("example.com/mydb:v{version}"),
            name: "mydb".into(),
            version: version.into(),
            digest: String::new(),
        },
        bundle_json: bundle_json(version),
        parameter_sets: vec!["mydb-params".into()],
        credential_sets: vec!["mydb-creds".into()],
        labels: BTreeMap::from([("team".to_string(), "data".to_string())]),
    }
}

struct Home {
    _dir: tempfile::TempDir,
    home: WharfHome,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = WharfHome::new(dir.path().join("wharf-home"));
        Self { _dir: dir, home }
    }

    fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.home).unwrap()
    }

    fn secrets_dir(&self) -> PathBuf {
        self.home.root().join("secrets")
    }

    fn secret_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.secrets_dir()) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Runs `action` to the end with `finish`.
fn run(store: &SqliteStore, new: NewRun, finish: FinishRun) -> String {
    let active = store.start_run(new).unwrap();
    let id = active.id().to_string();
    assert_eq!(store.run_status(&id).unwrap(), Status::Running);
    store.finish_run(active, finish).unwrap();
    id
}

#[test]
fn lifecycle_install_upgrade_custom_action_uninstall() {
    let home = Home::new();
    let store = home.open();
    let key = InstallationKey::global("mydb");

    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let install = run(
        &store,
        NewRun::new(key.clone(), "install")
            .parameter("region", json!("eu-west-1"))
            .parameter("password", json!("pw-install")),
        FinishRun::succeeded()
            .output("endpoint", "db.v1.example.com")
            .output("token", "tok-install")
            .logs("installing mydb\n"),
    );
    let installed = store.installation(&key).unwrap();
    assert!(installed.is_installed());
    assert_eq!(installed.status.result_status, Some(Status::Succeeded));

    store.upsert_installation(spec(&key, "0.2.0")).unwrap();
    let upgrade = run(
        &store,
        NewRun::new(key.clone(), "upgrade").parameter("region", json!("eu-west-2")),
        FinishRun::succeeded()
            .output("endpoint", "db.v2.example.com")
            .logs("upgrading\n"),
    );
    let backup = run(
        &store,
        NewRun::new(key.clone(), "backup"),
        FinishRun::succeeded().logs("backed up\n"),
    );
    let uninstall = run(
        &store,
        NewRun::new(key.clone(), "uninstall"),
        FinishRun::succeeded().logs("uninstalled\n"),
    );

    let runs = store.list_runs(&key).unwrap();
    let listed: Vec<(&str, &str, u64, Status)> = runs
        .iter()
        .map(|r| {
            (
                r.run.id.as_str(),
                r.run.action.as_str(),
                r.run.revision,
                r.status,
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (uninstall.as_str(), "uninstall", 3, Status::Succeeded),
            (backup.as_str(), "backup", 2, Status::Succeeded),
            (upgrade.as_str(), "upgrade", 2, Status::Succeeded),
            (install.as_str(), "install", 1, Status::Succeeded),
        ]
    );
    assert_eq!(runs[2].run.bundle.version, "0.2.0");
    assert_eq!(runs[3].run.bundle.version, "0.1.0");
    assert_eq!(runs[3].run.credential_sets, vec!["mydb-creds".to_string()]);
    let results = store.run_results(&install).unwrap();
    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Status::Running, Status::Succeeded]);

    let installation = store.installation(&key).unwrap();
    assert_eq!(installation.status.action.as_deref(), Some("uninstall"));
    assert_eq!(
        installation.status.run_id.as_deref(),
        Some(uninstall.as_str())
    );
    assert!(installation.status.installed.is_some());
    assert!(installation.is_uninstalled() && !installation.is_installed());
    assert_eq!(installation.revision, 3);
    assert_eq!(installation.bundle.version, "0.2.0");

    // Outputs: the latest value of each name, across runs.
    let outputs = store.list_outputs(&key, false).unwrap();
    let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["endpoint", "token"]);
    assert_eq!(
        outputs[0].value.as_ref().unwrap().as_bytes(),
        b"db.v2.example.com"
    );
    assert_eq!(outputs[0].run_id, upgrade);
    assert!(outputs[1].sensitive && outputs[1].value.is_none() && outputs[1].secret.is_some());
    let token = store.output(&key, "token", true).unwrap();
    assert_eq!(token.value.unwrap().as_bytes(), b"tok-install");
    assert_eq!(token.run_id, install);
    let err = store.output(&key, "nope", false).unwrap_err();
    assert!(matches!(err, StoreError::OutputNotFound { .. }), "{err}");
    assert!(err.to_string().contains("endpoint, token"), "{err}");
    assert_eq!(store.run_outputs(&install, false).unwrap().len(), 2);

    // Logs: of one run, or of the installation's last run.
    assert_eq!(store.run_logs(&install).unwrap().logs, "installing mydb\n");
    let last = store.last_logs(&key).unwrap();
    assert_eq!(
        (last.run_id.as_str(), last.logs.as_str()),
        (uninstall.as_str(), "uninstalled\n")
    );

    let details = store.show_installation(&key).unwrap();
    assert_eq!(details.last_run.as_ref().unwrap().run.id, uninstall);
    assert_eq!(details.outputs.len(), 2);

    // -o json: camelCase, RFC 3339 times, no secret values.
    let shown = serde_json::to_value(&details).unwrap();
    assert_eq!(shown["status"]["resultStatus"], "succeeded");
    assert_eq!(shown["parameterSets"], json!(["mydb-params"]));
    assert_eq!(shown["lastRun"]["action"], "uninstall");
    assert_eq!(shown["outputs"][0]["value"], "db.v2.example.com");
    assert!(shown["outputs"][1].get("value").is_none());
    let created = shown["created"].as_str().unwrap();
    assert!(created.len() == 24 && created.ends_with('Z'), "{created}");
    assert!(shown.get("bundleJson").is_none());
    let runs_json = serde_json::to_string(&runs).unwrap();
    assert!(!runs_json.contains("pw-install") && !runs_json.contains("tok-install"));
    assert_eq!(
        serde_json::to_value(&runs[3]).unwrap()["parameters"]["region"],
        json!({"value": "eu-west-1"})
    );
}

#[test]
fn sensitive_values_stay_out_of_the_database_files() {
    let home = Home::new();
    let store = home.open();
    let key = InstallationKey::new("prod", "mydb");
    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let secrets = [
        "PARAM-SECRET-by-definition-7f3a",
        "PARAM-SECRET-marked-by-caller-91c2",
        "OUTPUT-SECRET-by-definition-5d10",
        "OUTPUT-SECRET-marked-by-caller-e44b",
    ];
    let id = run(
        &store,
        NewRun::new(key.clone(), "install")
            .parameter("password", json!(secrets[0]))
            .sensitive_parameter("api-key", json!(secrets[1]))
            .parameter("region", json!("visible-region")),
        FinishRun::succeeded()
            .output("token", secrets[2])
            .sensitive_output("endpoint", secrets[3])
            .logs("password: *******\n"),
    );

    // Recorded as references only.
    let recorded = store.run(&id).unwrap().run;
    assert!(matches!(
        recorded.parameters["password"],
        RecordedValue::Secret(_)
    ));
    assert!(matches!(
        recorded.parameters["api-key"],
        RecordedValue::Secret(_)
    ));
    assert_eq!(
        recorded.parameters["region"],
        RecordedValue::Value(json!("visible-region"))
    );
    let as_json = serde_json::to_value(&recorded).unwrap();
    let reference = as_json["parameters"]["password"]["secret"]
        .as_str()
        .unwrap();
    assert_eq!(reference.len(), 32);

    // Not in the database, its WAL or its shared memory, open or closed.
    let db = store.path().to_path_buf();
    let scan = |when: &str| {
        // The canary (a plain value) proves the scan reads the records.
        let mut canary_seen = false;
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            for secret in secrets {
                assert!(
                    !contains(&bytes, secret.as_bytes()),
                    "{when}: {secret} found in {}",
                    path.display()
                );
            }
            canary_seen |= contains(&bytes, b"visible-region");
        }
        assert!(
            canary_seen,
            "{when}: the plain parameter is in no database file"
        );
    };
    scan("store open");

    // They resolve through the secret store.
    let parameters = store.resolve_parameters(&id).unwrap();
    assert_eq!(parameters["password"], json!(secrets[0]));
    assert_eq!(parameters["api-key"], json!(secrets[1]));
    assert_eq!(parameters["region"], json!("visible-region"));
    let outputs = store.list_outputs(&key, true).unwrap();
    let values: BTreeMap<&str, (&[u8], bool)> = outputs
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                (o.value.as_ref().unwrap().as_bytes(), o.sensitive),
            )
        })
        .collect();
    assert_eq!(values["token"], (secrets[2].as_bytes(), true));
    assert_eq!(values["endpoint"], (secrets[3].as_bytes(), true));

    // Four secret files, owner-only, in an owner-only directory.
    let files = home.secret_files();
    assert_eq!(files.len(), 4, "{files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.secrets_dir()), 0o700);
        for file in &files {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        assert_eq!(mode(store.path()), 0o600);
    }

    drop(store);
    let store = home.open();
    scan("after close");
    assert_eq!(
        store.resolve_parameters(&id).unwrap()["password"],
        json!(secrets[0])
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

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

#[test]
fn a_failed_run_keeps_the_outputs_it_wrote() {
    let home = Home::new();
    let store = home.open();
    let key = InstallationKey::global("mydb");
    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let id = run(
        &store,
        NewRun::new(key.clone(), "install"),
        FinishRun::failed("step 2 of 3 failed: exit status 1")
            .output("endpoint", "db.partial.example.com")
            .logs("step 1 ok\nstep 2 failed\n"),
    );
    let summary = store.run(&id).unwrap();
    assert_eq!(summary.status, Status::Failed);
    assert_eq!(
        summary.result.unwrap().message,
        "step 2 of 3 failed: exit status 1"
    );
    let outputs = store.list_outputs(&key, false).unwrap();
    assert_eq!(outputs.len(), 1);
    assert_eq!(
        outputs[0].value.as_ref().unwrap().as_bytes(),
        b"db.partial.example.com"
    );
    let installation = store.installation(&key).unwrap();
    assert_eq!(installation.status.result_status, Some(Status::Failed));
    assert!(!installation.is_installed());
    assert_eq!(
        store.run_logs(&id).unwrap().logs,
        "step 1 ok\nstep 2 failed\n"
    );
}

#[test]
fn deleting_an_installation_removes_its_records_and_secrets() {
    let home = Home::new();
    let store = home.open();
    let doomed = InstallationKey::global("doomed");
    let kept = InstallationKey::global("kept");
    let mut run_ids = Vec::new();
    for key in [&doomed, &kept] {
        store.upsert_installation(spec(key, "0.1.0")).unwrap();
        run_ids.push(run(
            &store,
            NewRun::new(key.clone(), "install").parameter("password", json!("pw")),
            FinishRun::succeeded().output("token", "tok").logs("ok\n"),
        ));
    }
    assert_eq!(home.secret_files().len(), 4);

    store.delete_installation(&doomed).unwrap();
    assert_eq!(
        home.secret_files().len(),
        2,
        "the kept installation's secrets stay"
    );
    let err = store.installation(&doomed).unwrap_err();
    assert!(matches!(err, StoreError::InstallationNotFound(_)), "{err}");
    assert!(err.to_string().contains("doomed"), "{err}");
    assert!(matches!(
        store.run(&run_ids[0]),
        Err(StoreError::RunNotFound(_))
    ));
    assert!(matches!(
        store.run_logs(&run_ids[0]),
        Err(StoreError::RunNotFound(_))
    ));
    assert_eq!(store.list_outputs(&kept, true).unwrap().len(), 1);
    assert_eq!(
        store.resolve_parameters(&run_ids[1]).unwrap()["password"],
        json!("pw")
    );
    assert!(matches!(
        store.delete_installation(&doomed),
        Err(StoreError::InstallationNotFound(_))
    ));
    // Nothing of the deleted installation is left in the tables.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    for table in ["runs", "results", "outputs", "logs", "secrets"] {
        let count: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        // One run of "kept": two results (running, succeeded), two secrets
        // (password, token).
        let expected = if matches!(table, "results" | "secrets") {
            2
        } else {
            1
        };
        assert_eq!(count, expected, "{table}");
    }
}

#[test]
fn namespaces_filter_the_list() {
    let home = Home::new();
    let store = home.open();
    for key in [
        InstallationKey::global("a"),
        InstallationKey::new("dev", "b"),
        InstallationKey::new("dev", "a"),
    ] {
        store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    }
    let names = |ns: Option<&str>| -> Vec<String> {
        store
            .list_installations(ns)
            .unwrap()
            .iter()
            .map(|i| i.key().to_string())
            .collect()
    };
    assert_eq!(names(None), ["a", "dev/a", "dev/b"]);
    assert_eq!(names(Some("")), ["a"]);
    assert_eq!(names(Some("dev")), ["dev/a", "dev/b"]);
    assert!(names(Some("prod")).is_empty());
}

#[test]
fn mistakes_get_clear_errors() {
    let home = Home::new();
    let store = home.open();
    let key = InstallationKey::global("mydb");
    let err = store
        .start_run(NewRun::new(key.clone(), "install"))
        .unwrap_err();
    assert!(matches!(err, StoreError::InstallationNotFound(_)), "{err}");

    let mut bad = spec(&key, "0.1.0");
    bad.bundle_json = "{not json".into();
    let err = store.upsert_installation(bad).unwrap_err();
    assert!(matches!(err, StoreError::InvalidBundle { .. }), "{err}");
    let err = store
        .upsert_installation(spec(&InstallationKey::global("a/b"), "1"))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidName { .. }), "{err}");

    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let err = store
        .start_run(NewRun::new(key.clone(), "restore"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("install, upgrade, uninstall, backup"),
        "{err}"
    );
    assert!(matches!(store.last_logs(&key), Err(StoreError::NoRuns(_))));

    let active = store
        .start_run(NewRun::new(key.clone(), "install"))
        .unwrap();
    let id = active.id().to_string();
    let err = store
        .finish_run(active, FinishRun::new(Status::Running, ""))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFinal { .. }), "{err}");
    // The refused finish released the run, so it now reads unknown.
    assert_eq!(store.run_status(&id).unwrap(), Status::Unknown);
    assert!(matches!(
        store.run("../../etc"),
        Err(StoreError::RunNotFound(_))
    ));
    assert!(matches!(
        store.mark_abandoned("nope"),
        Err(StoreError::RunNotFound(_))
    ));
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

#[test]
fn the_schema_is_versioned() {
    let home = Home::new();
    let store = home.open();
    let latest = SqliteStore::latest_schema_version();
    assert_eq!(store.schema_version().unwrap(), latest);
    drop(store);
    assert_eq!(
        home.open().schema_version().unwrap(),
        latest,
        "reopening migrates nothing"
    );

    let db = wharf::store::database_path(&home.home);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version, description, applied) VALUES (?1, 'future', 0)",
        [latest + 1],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(&home.home).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    assert!(err.to_string().contains("upgrade Wharf"), "{err}");
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

#[test]
fn a_killed_process_leaves_its_run_unknown() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let home = Home::new();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child_process", "--exact", "--ignored", "--nocapture"])
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
fn outputs_show_as_text_or_base64() {
    let home = Home::new();
    let store = home.open();
    let key = InstallationKey::global("mydb");
    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    run(
        &store,
        NewRun::new(key.clone(), "install"),
        FinishRun::succeeded().output("endpoint", vec![0xff, 0x00, 0x41]),
    );
    let outputs = store.list_outputs(&key, false).unwrap();
    let shown: Value = serde_json::to_value(&outputs).unwrap();
    assert_eq!(shown[0]["value"], json!({"base64": "/wBB"}));
}
