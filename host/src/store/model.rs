//! The records Wharf keeps about installations, in Porter's data model:
//! an installation has runs (Porter's claims), a run has results, a result
//! has outputs, a run has logs.
//!
//! Every record serialises as camelCase JSON for `-o json|yaml`, its times
//! with exactly three fraction digits (`2024-05-01T12:30:00.250Z`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, Serializer};

use crate::secrets::SecretRef;
use crate::time::{Timestamp, rfc3339_millis};

/// An installation's identity: its namespace (`""` is the global one) and
/// its name, unique within the namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallationKey {
    pub namespace: String,
    pub name: String,
}

impl InstallationKey {
    /// The installation `name` in `namespace`.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The installation `name` in the global namespace.
    pub fn global(name: impl Into<String>) -> Self {
        Self::new("", name)
    }
}

impl std::fmt::Display for InstallationKey {
    /// `name`, or `namespace/name` outside the global namespace.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

/// The status of a run, as CNAB names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceled,
    /// The run's process stopped without recording how the run ended.
    Unknown,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] = [
        Status::Pending,
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::Canceled,
        Status::Unknown,
    ];

    /// The CNAB name, e.g. `succeeded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
            Status::Unknown => "unknown",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether a run with this status has ended.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending | Status::Running)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which bundle an installation or run uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    /// Where it came from: an OCI reference, or a local path for a bundle
    /// that was never published.
    pub reference: String,
    pub name: String,
    pub version: String,
    /// The OCI digest of the bundle, when it came from a registry.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

/// Which installations `installations list` shows, as Porter's flags
/// select them; the store filters, sorts and pages in its query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallationQuery {
    /// Only this namespace; `None` for every namespace.
    pub namespace: Option<String>,
    /// Only names containing this text.
    pub name_contains: Option<String>,
    /// Only installations with each of these labels, `(key, value)`.
    pub labels: Vec<(String, String)>,
    /// Leave out the first this many (by namespace and name).
    pub skip: u64,
    /// Return at most this many.
    pub limit: Option<u64>,
}

impl InstallationQuery {
    /// Every installation in `namespace` (`None`: in every namespace).
    pub fn in_namespace(namespace: Option<&str>) -> Self {
        Self {
            namespace: namespace.map(str::to_string),
            ..Self::default()
        }
    }
}

/// One line of the plaintext `installations list`: only what it prints,
/// so a list of many installations reads and allocates little.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallationLine {
    pub namespace: String,
    pub name: String,
    pub bundle_name: String,
    pub bundle_version: String,
    /// The last run's action.
    pub action: Option<String>,
    /// The last run's status, settled as in [`Installation::status`].
    pub status: Option<Status>,
    pub modified: Timestamp,
}

/// What the caller decides about an installation; the store adds its id,
/// revision, status and timestamps.
#[derive(Debug, Clone, Default)]
pub struct InstallationSpec {
    pub key: InstallationKey,
    pub bundle: BundleInfo,
    /// The bundle.json the installation's next runs use.
    pub bundle_json: String,
    pub parameter_sets: Vec<String>,
    pub credential_sets: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// An installation: one bundle installed under one name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub bundle: BundleInfo,
    /// The bundle.json text. Left out of `-o json`, as Porter leaves it out
    /// of an installation: it is long, and runs record which bundle ran.
    /// Empty in [`InstallationStore::list_installations`](super::InstallationStore::list_installations),
    /// which does not read it; read one installation for it.
    #[serde(skip)]
    pub bundle_json: String,
    pub parameter_sets: Vec<String>,
    pub credential_sets: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// How many runs of modifying actions were started.
    pub revision: u64,
    pub status: InstallationStatus,
    #[serde(serialize_with = "rfc3339_millis::serialize")]
    pub created: Timestamp,
    #[serde(serialize_with = "rfc3339_millis::serialize")]
    pub modified: Timestamp,
}

impl Installation {
    /// The installation's namespace and name.
    pub fn key(&self) -> InstallationKey {
        InstallationKey::new(&self.namespace, &self.name)
    }

    /// Whether an install succeeded and no uninstall has since.
    pub fn is_installed(&self) -> bool {
        self.status.installed.is_some() && self.status.uninstalled.is_none()
    }

    /// Whether an uninstall succeeded.
    pub fn is_uninstalled(&self) -> bool {
        self.status.uninstalled.is_some()
    }
}

/// What the installation's last run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallationStatus {
    pub run_id: Option<String>,
    pub action: Option<String>,
    pub result_id: Option<String>,
    /// `unknown` when the last run's process died while running.
    pub result_status: Option<Status>,
    /// When the last successful install finished.
    #[serde(serialize_with = "rfc3339_millis::option::serialize")]
    pub installed: Option<Timestamp>,
    /// When a successful uninstall finished (cleared by a new install).
    #[serde(serialize_with = "rfc3339_millis::option::serialize")]
    pub uninstalled: Option<Timestamp>,
}

/// A parameter value as a run records it: the value, or for a sensitive
/// parameter only a reference into the secret store. Serialised as
/// `{"value": ...}` or `{"secret": "<ref>"}`, so the two never mix up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordedValue {
    Value(serde_json::Value),
    Secret(SecretRef),
}

/// One execution of an action on an installation (Porter's claim).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// A ULID: runs sort by when they started.
    pub id: String,
    pub namespace: String,
    pub installation: String,
    pub action: String,
    /// The installation's revision the run produced (modifying actions) or
    /// ran against (others).
    pub revision: u64,
    pub bundle: BundleInfo,
    pub parameters: BTreeMap<String, RecordedValue>,
    pub parameter_sets: Vec<String>,
    /// Only the names: credential values are never recorded.
    pub credential_sets: Vec<String>,
    #[serde(serialize_with = "rfc3339_millis::serialize")]
    pub created: Timestamp,
}

impl Run {
    /// The installation the run belongs to.
    pub fn installation_key(&self) -> InstallationKey {
        InstallationKey::new(&self.namespace, &self.installation)
    }
}

/// A status a run reached. A run has a `running` result from its start and
/// a final one when it ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    pub id: String,
    pub run_id: String,
    pub status: Status,
    pub message: String,
    #[serde(serialize_with = "rfc3339_millis::serialize")]
    pub created: Timestamp,
}

/// A run with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    #[serde(flatten)]
    pub run: Run,
    /// The run's status now: its latest result's, except that a `running`
    /// run whose process is gone reads `unknown`.
    pub status: Status,
    /// The latest result as recorded.
    pub result: Option<RunResult>,
}

/// The request to start a run.
#[derive(Debug, Clone, Default)]
pub struct NewRun {
    pub installation: InstallationKey,
    pub action: String,
    /// Resolved parameter values, by name.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Parameters to keep out of the record even though their definition
    /// is not `writeOnly` (e.g. one a user marked sensitive).
    pub sensitive: BTreeSet<String>,
}

impl NewRun {
    /// A run of `action` on `installation` with no parameters yet.
    pub fn new(installation: InstallationKey, action: impl Into<String>) -> Self {
        Self {
            installation,
            action: action.into(),
            ..Self::default()
        }
    }

    /// Adds a parameter value.
    pub fn parameter(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.parameters.insert(name.into(), value);
        self
    }

    /// Adds a parameter value that must not be recorded.
    pub fn sensitive_parameter(
        mut self,
        name: impl Into<String>,
        value: serde_json::Value,
    ) -> Self {
        let name = name.into();
        self.sensitive.insert(name.clone());
        self.parameters.insert(name, value);
        self
    }
}

/// An output a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewOutput {
    pub name: String,
    pub value: Vec<u8>,
    /// Kept in the secret store even if its definition is not `writeOnly`.
    pub sensitive: bool,
}

/// How a run ended: its final result and what it left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishRun {
    /// Any final status: succeeded, failed, canceled or unknown.
    pub status: Status,
    pub message: String,
    /// Outputs, including those a failed run wrote before failing.
    pub outputs: Vec<NewOutput>,
    /// The run's log, already masked.
    pub logs: Option<String>,
}

impl FinishRun {
    /// A run that ended with `status`.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            outputs: Vec::new(),
            logs: None,
        }
    }

    /// A successful run.
    pub fn succeeded() -> Self {
        Self::new(Status::Succeeded, "")
    }

    /// A failed run, with why.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Status::Failed, message)
    }

    /// Adds an output.
    pub fn output(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.outputs.push(NewOutput {
            name: name.into(),
            value: value.into(),
            sensitive: false,
        });
        self
    }

    /// Adds an output that must not be recorded in the database.
    pub fn sensitive_output(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.outputs.push(NewOutput {
            name: name.into(),
            value: value.into(),
            sensitive: true,
        });
        self
    }

    /// Sets the (masked) log text.
    pub fn logs(mut self, text: impl Into<String>) -> Self {
        self.logs = Some(text.into());
        self
    }
}

/// An output's bytes. Shown as a JSON string when they are UTF-8, and as
/// `{"base64": "..."}` otherwise, so binary outputs survive `-o json`.
#[derive(Clone, PartialEq, Eq)]
pub struct OutputValue(pub Vec<u8>);

impl OutputValue {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as text, with invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl std::fmt::Debug for OutputValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutputValue({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl Serialize for OutputValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        use serde::ser::SerializeMap;
        match std::str::from_utf8(&self.0) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                let mut map = serializer.serialize_map(Some(1))?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(&self.0);
                map.serialize_entry("base64", &encoded)?;
                map.end()
            }
        }
    }
}

/// An output as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputRecord {
    pub name: String,
    pub run_id: String,
    pub result_id: String,
    pub sensitive: bool,
    /// The value; `None` for a sensitive output the caller did not ask to
    /// resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<OutputValue>,
    /// Where a sensitive value is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretRef>,
    #[serde(serialize_with = "rfc3339_millis::serialize")]
    pub created: Timestamp,
}

/// An installation with its last run and its outputs, for `show`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallationDetails {
    #[serde(flatten)]
    pub installation: Installation,
    pub last_run: Option<RunSummary>,
    /// The latest value of each output, sensitive ones unresolved.
    pub outputs: Vec<OutputRecord>,
}

/// A run's log text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunLogs {
    pub run_id: String,
    pub action: String,
    pub logs: String,
}
