//! A bundle with sensitive values of every kind, a prepared run of it, and
//! a temporary installation store to record it in.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use crate::cnab::Bundle;
use crate::home::WharfHome;
use crate::mixin::MemorySink;
use crate::operation::{
    Cancel, CredentialValue, ExecuteOptions, OperationRequest, Outcome, ParameterValue,
    PreparedRun, ValueOrigin, execute,
};
use crate::store::{
    BundleInfo, InstallationKey, InstallationStore, OutputRecord, RunSummary, SqliteStore,
};

use super::fake_driver::FakeDriver;

/// The value of the sensitive parameter `password`.
pub const PASSWORD: &str = "hunter2-password";
/// The value of the credential `token`.
pub const TOKEN: &str = "tok-credential-42";
/// The value the container writes to the sensitive output `secret`.
pub const OUTPUT_SECRET: &str = "output-secret-99";
/// The installation every test runs on.
pub const INSTALLATION: &str = "shop";

/// A bundle with a sensitive parameter (`password`) and a plain one
/// (`region`), both by environment variable; a credential (`token`); a
/// plain output (`endpoint`) and a sensitive one (`secret`).
pub fn bundle_json() -> String {
    json!({
        "schemaVersion": "1.2.0",
        "name": "shop",
        "version": "0.1.0",
        "invocationImages": [{"imageType": "docker", "image": "example/shop:v1"}],
        "definitions": {
            "secret-string": {"type": "string", "writeOnly": true},
            "string": {"type": "string"}
        },
        "parameters": {
            "password": {"definition": "secret-string", "destination": {"env": "PASSWORD"}},
            "region": {"definition": "string", "destination": {"env": "REGION"}}
        },
        "credentials": {"token": {"env": "TOKEN"}},
        "outputs": {
            "endpoint": {"definition": "string", "path": "/cnab/app/outputs/endpoint"},
            "secret": {"definition": "secret-string", "path": "/cnab/app/outputs/secret"}
        }
    })
    .to_string()
}

/// A temporary WHARF_HOME with its installation store.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub store: Arc<SqliteStore>,
    pub key: InstallationKey,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let home = WharfHome::new(dir.path().join("wharf-home"));
        let store = SqliteStore::open(&home).expect("a store in the temporary home");
        Self {
            _dir: dir,
            store: Arc::new(store),
            key: InstallationKey::global(INSTALLATION),
        }
    }

    /// `action` on the installation, with every value already resolved, as
    /// `prepare` would hand it over.
    pub fn prepared(&self, action: &str) -> PreparedRun {
        let json = bundle_json();
        let bundle = Bundle::from_slice(json.as_bytes()).expect("the test bundle parses");
        let parameter = |value: &str, sensitive| ParameterValue {
            value: json!(value),
            origin: ValueOrigin::Flag,
            sensitive,
        };
        PreparedRun {
            request: OperationRequest {
                key: self.key.clone(),
                action: action.to_string(),
                bundle,
                bundle_json: json,
                bundle_info: BundleInfo {
                    reference: "example/shop:v0.1.0".into(),
                    name: "shop".into(),
                    version: "0.1.0".into(),
                    digest: String::new(),
                },
                ..OperationRequest::default()
            },
            existing: None,
            parameter_sets: Vec::new(),
            credential_sets: vec!["shop-creds".into()],
            dependency_parameters: BTreeMap::new(),
            parameters: BTreeMap::from([
                ("password".to_string(), parameter(PASSWORD, true)),
                ("region".to_string(), parameter("eu-west-1", false)),
            ]),
            credentials: BTreeMap::from([(
                "token".to_string(),
                CredentialValue {
                    bytes: TOKEN.as_bytes().to_vec(),
                    set: "shop-creds".into(),
                },
            )]),
        }
    }

    pub fn store(&self) -> Arc<dyn InstallationStore> {
        self.store.clone()
    }

    /// Runs `action` through `driver`, never canceled, keeping what the
    /// terminal would have shown.
    pub async fn execute(
        &self,
        driver: &FakeDriver,
        action: &str,
        options: ExecuteOptions,
    ) -> (Outcome, MemorySink) {
        let sink = MemorySink::default();
        let outcome = execute(
            self.store(),
            driver,
            self.prepared(action),
            Arc::new(sink.clone()),
            options,
            Cancel::never(),
        )
        .await
        .expect("the run is recorded");
        (outcome, sink)
    }

    /// As [`execute`](Self::execute), for a run that may be refused.
    pub async fn try_execute(
        &self,
        driver: &FakeDriver,
        action: &str,
        options: ExecuteOptions,
    ) -> anyhow::Result<Outcome> {
        execute(
            self.store(),
            driver,
            self.prepared(action),
            Arc::new(MemorySink::default()),
            options,
            Cancel::never(),
        )
        .await
    }

    /// The run as recorded.
    pub fn run(&self, run_id: &str) -> RunSummary {
        self.store.run(run_id).expect("the run is recorded")
    }

    /// The run's stored log.
    pub fn logs(&self, run_id: &str) -> String {
        self.store
            .run_logs(run_id)
            .expect("the run kept its log")
            .logs
    }

    /// The outputs the run recorded, sensitive values read back.
    pub fn outputs(&self, run_id: &str) -> Vec<OutputRecord> {
        self.store
            .run_outputs(run_id, true)
            .expect("the run's outputs can be read")
    }
}

/// The name of the container of run `run_id`.
pub fn container_of(run_id: &str) -> String {
    format!("wharf-{}", run_id.to_ascii_lowercase())
}
