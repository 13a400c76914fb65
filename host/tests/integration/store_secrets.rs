//! Sensitive parameters and outputs stay out of the database files, live
//! in owner-only files, and go when their installation goes.

#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::store_common::{Home, contains, run, spec};
use serde_json::json;
use wharf::secrets::{LocalSecretStore, SecretError, SecretRef, SecretStore, SecretValue};
use wharf::store::{
    FinishRun, InstallationKey, InstallationStore, NewRun, RecordedValue, SqliteStore, Status,
    StoreError,
};

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

/// A local secret store whose `fail_on`-th put (from 1) fails, as a remote
/// backend can.
#[derive(Debug)]
struct FailingSecrets {
    inner: LocalSecretStore,
    puts: AtomicUsize,
    fail_on: usize,
}

impl SecretStore for FailingSecrets {
    fn backend(&self) -> &str {
        "failing"
    }

    fn put(&self, value: &[u8]) -> Result<SecretRef, SecretError> {
        if self.puts.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_on {
            return Err(SecretError::Backend {
                backend: "failing".into(),
                message: "the vault is sealed".into(),
            });
        }
        self.inner.put(value)
    }

    fn get(&self, reference: &SecretRef) -> Result<SecretValue, SecretError> {
        self.inner.get(reference)
    }

    fn delete(&self, reference: &SecretRef) -> Result<(), SecretError> {
        self.inner.delete(reference)
    }
}

fn failing_store(home: &Home, fail_on: usize) -> SqliteStore {
    let secrets = FailingSecrets {
        inner: LocalSecretStore::new(&home.home),
        puts: AtomicUsize::new(0),
        fail_on,
    };
    SqliteStore::open_with(&home.home, Arc::new(secrets)).unwrap()
}

#[test]
fn a_failed_secret_put_leaves_no_run_and_no_secret() {
    let home = Home::new();
    let store = failing_store(&home, 2);
    let key = InstallationKey::global("mydb");
    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let err = store
        .start_run(
            NewRun::new(key.clone(), "install")
                .parameter("password", json!("pw"))
                .sensitive_parameter("api-key", json!("key")),
        )
        .unwrap_err();
    assert!(err.to_string().contains("the vault is sealed"), "{err}");
    assert!(home.secret_files().is_empty(), "the first put was undone");
    assert!(store.list_runs(&key).unwrap().is_empty());
    let installation = store.installation(&key).unwrap();
    assert_eq!(
        (installation.revision, installation.status.run_id),
        (0, None)
    );
}

#[test]
fn a_failed_finish_records_nothing_and_reads_unknown() {
    let home = Home::new();
    let store = failing_store(&home, 2);
    let key = InstallationKey::global("mydb");
    store.upsert_installation(spec(&key, "0.1.0")).unwrap();
    let active = store
        .start_run(NewRun::new(key.clone(), "install"))
        .unwrap();
    let id = active.id().to_string();
    let finish = FinishRun::succeeded()
        .output("endpoint", "db.example.com")
        .sensitive_output("admin", "first-secret")
        .output("token", "second-secret")
        .logs("done\n");
    let err = store.finish_run(active, finish).unwrap_err();
    assert!(matches!(err, StoreError::Secret(_)), "{err}");
    assert!(home.secret_files().is_empty(), "the first put was undone");
    assert!(store.run_outputs(&id, false).unwrap().is_empty());
    let statuses: Vec<Status> = store
        .run_results(&id)
        .unwrap()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Status::Running]);
    assert_eq!(store.run_status(&id).unwrap(), Status::Unknown);
    assert!(matches!(
        store.run_logs(&id),
        Err(StoreError::NoLogs {
            status: Status::Unknown,
            ..
        })
    ));
}
