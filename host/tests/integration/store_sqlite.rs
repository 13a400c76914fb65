//! The SQLite installation store on a temporary WHARF_HOME: the lifecycle
//! of an installation, failed runs, listing, errors and the schema.

#![cfg(feature = "cli")]

use crate::store_common::{Home, run, spec};
use serde_json::{Value, json};
use wharf::store::{
    FinishRun, InstallationKey, InstallationQuery, InstallationStore, NewRun, SqliteStore, Status,
    StoreError,
};

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
            .list_installations(&InstallationQuery::in_namespace(ns))
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

/// A list lends each row in the same record: nothing of one row (a
/// digest, labels, a last action, an install time) shows in the next that
/// lacks it, and each listed installation is what reading it alone gives
/// (without its bundle.json).
#[test]
fn a_listed_installation_is_its_own_row_and_nothing_of_the_last() {
    let home = Home::new();
    let store = home.open();
    let full = InstallationKey::global("a-full");
    let mut with_everything = spec(&full, "0.1.0");
    with_everything.bundle.digest = format!("sha256:{}", "a".repeat(64));
    with_everything.labels.insert("tier".into(), "gold".into());
    store.upsert_installation(with_everything).unwrap();
    run(
        &store,
        NewRun::new(full.clone(), "install"),
        FinishRun::succeeded().logs("installed\n"),
    );
    let bare = InstallationKey::global("b-bare");
    let mut with_nothing = spec(&bare, "0.2.0");
    with_nothing.parameter_sets.clear();
    with_nothing.credential_sets.clear();
    with_nothing.labels.clear();
    store.upsert_installation(with_nothing).unwrap();

    let listed = store
        .list_installations(&InstallationQuery::default())
        .unwrap();
    let alone: Vec<_> = [&full, &bare]
        .into_iter()
        .map(|key| {
            let mut installation = store.installation(key).unwrap();
            installation.bundle_json.clear();
            installation
        })
        .collect();
    assert_eq!(listed, alone);
    assert!(listed[1].bundle.digest.is_empty() && listed[1].labels.is_empty());
    assert_eq!(listed[1].status.action, None);

    // Stopping early stops the reading.
    let mut seen = Vec::new();
    store
        .each_installation(&InstallationQuery::default(), &mut |i| {
            seen.push(i.name.clone());
            false
        })
        .unwrap();
    assert_eq!(seen, ["a-full"]);
}

/// Porter's `--name`, `--label`, `--skip` and `--limit` are the store's
/// query, and a listed installation carries no bundle.json.
#[test]
fn the_list_query_filters_and_pages_in_the_store() {
    let home = Home::new();
    let store = home.open();
    for (name, team, tier) in [
        ("web-1", "web", "gold"),
        ("web-2", "web", ""),
        ("db-1", "data", "gold"),
        ("web-3", "web", "gold"),
    ] {
        let key = InstallationKey::global(name);
        let mut spec = spec(&key, "0.1.0");
        spec.labels = [("team", team), ("tier", tier)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        store.upsert_installation(spec).unwrap();
    }
    let names = |query: InstallationQuery| -> Vec<String> {
        let listed = store.list_installations(&query).unwrap();
        assert!(listed.iter().all(|i| i.bundle_json.is_empty()));
        // The plaintext list's lines are the same selection.
        let mut lines = Vec::new();
        store
            .each_installation_line(&query, &mut |line| {
                lines.push(line.clone());
                true
            })
            .unwrap();
        assert_eq!(lines.len(), listed.len());
        for (line, full) in lines.iter().zip(&listed) {
            assert_eq!(
                (&line.name, &line.bundle_version, line.modified),
                (&full.name, &full.bundle.version, full.modified)
            );
        }
        listed.into_iter().map(|i| i.name).collect()
    };
    let label = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        names(InstallationQuery::default()),
        ["db-1", "web-1", "web-2", "web-3"]
    );
    assert_eq!(
        names(InstallationQuery {
            name_contains: Some("web".into()),
            labels: vec![label("tier", "gold")],
            ..Default::default()
        }),
        ["web-1", "web-3"]
    );
    assert_eq!(
        names(InstallationQuery {
            labels: vec![label("team", "web"), label("tier", "")],
            ..Default::default()
        }),
        ["web-2"]
    );
    assert!(
        names(InstallationQuery {
            labels: vec![label("team\" OR 1=1 --", "web")],
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        names(InstallationQuery {
            skip: 1,
            limit: Some(2),
            ..Default::default()
        }),
        ["web-1", "web-2"]
    );
    // One installation read on its own still has its bundle.json.
    let one = store
        .installation(&InstallationKey::global("db-1"))
        .unwrap();
    assert!(!one.bundle_json.is_empty());
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

    let db = home.home.database_file();
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
