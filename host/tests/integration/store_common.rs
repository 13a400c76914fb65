//! Shared by the installation store tests: a temporary WHARF_HOME and a
//! bundle with sensitive parameters and outputs.

// Each test crate uses a different part of this.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;
use wharf::home::WharfHome;
use wharf::store::{
    BundleInfo, FinishRun, InstallationKey, InstallationSpec, InstallationStore, NewRun,
    SqliteStore, Status,
};

/// A bundle with a sensitive parameter (`password`), a sensitive output
/// (`token`) and a custom, non-modifying action (`backup`).
pub fn bundle_json(version: &str) -> String {
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

pub fn spec(key: &InstallationKey, version: &str) -> InstallationSpec {
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

pub struct Home {
    _dir: tempfile::TempDir,
    pub home: WharfHome,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = WharfHome::new(dir.path().join("wharf-home"));
        Self { _dir: dir, home }
    }

    pub fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.home).unwrap()
    }

    pub fn secrets_dir(&self) -> PathBuf {
        self.home.secrets_dir()
    }

    pub fn secret_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.secrets_dir()) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Runs `action` to the end with `finish`.
pub fn run(store: &SqliteStore, new: NewRun, finish: FinishRun) -> String {
    let active = store.start_run(new).unwrap();
    let id = active.id().to_string();
    assert_eq!(store.run_status(&id).unwrap(), Status::Running);
    store.finish_run(active, finish).unwrap();
    id
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
