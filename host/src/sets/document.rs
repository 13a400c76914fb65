//! The parameter set and credential set documents, in Porter v1's shape.
//!
//! Both kinds are one type, [`SetDocument`], told apart by [`SetKind`]: they
//! differ only in `schemaType` and in the name of their list
//! (`parameters` or `credentials`), and every operation on them (parse,
//! store, resolve, generate) is the same. Serialising writes exactly what
//! `porter parameters show -o json` writes, so documents move between Porter
//! and Wharf unchanged.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::time::Timestamp;

/// The `schemaVersion` Porter v1 writes and accepts for both kinds.
pub const SET_SCHEMA_VERSION: &str = "1.0.1";

/// Which kind of set a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SetKind {
    /// A `ParameterSet`: values for a bundle's parameters.
    #[serde(rename = "ParameterSet")]
    Parameter,
    /// A `CredentialSet`: values for a bundle's credentials.
    #[serde(rename = "CredentialSet")]
    Credential,
}

impl SetKind {
    /// Both kinds.
    pub const ALL: [SetKind; 2] = [SetKind::Parameter, SetKind::Credential];

    /// The document's `schemaType`: `ParameterSet` or `CredentialSet`.
    pub fn schema_type(self) -> &'static str {
        match self {
            SetKind::Parameter => "ParameterSet",
            SetKind::Credential => "CredentialSet",
        }
    }

    /// The field holding the entries: `parameters` or `credentials`.
    pub fn entries_field(self) -> &'static str {
        match self {
            SetKind::Parameter => "parameters",
            SetKind::Credential => "credentials",
        }
    }

    /// One entry, in messages: `parameter` or `credential`.
    pub fn noun(self) -> &'static str {
        match self {
            SetKind::Parameter => "parameter",
            SetKind::Credential => "credential",
        }
    }

    /// The set, in messages: `parameter set` or `credential set`.
    pub fn set_noun(self) -> &'static str {
        match self {
            SetKind::Parameter => "parameter set",
            SetKind::Credential => "credential set",
        }
    }

    /// The CLI command group (`wharf parameters ...`), for hints in errors.
    pub fn command(self) -> &'static str {
        self.entries_field()
    }

    /// The kind whose `schemaType` is `text`, ignoring case as Porter does.
    pub fn from_schema_type(text: &str) -> Option<SetKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.schema_type().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for SetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.schema_type())
    }
}

/// Where an entry's value comes from: Porter's five source strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The value itself, stored in the set.
    Value,
    /// An environment variable.
    Env,
    /// The contents of a file.
    Path,
    /// The standard output of a shell command.
    Command,
    /// A key in the secret store.
    Secret,
}

impl SourceKind {
    /// Every source, in the order Porter documents them.
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Value,
        SourceKind::Env,
        SourceKind::Path,
        SourceKind::Command,
        SourceKind::Secret,
    ];

    /// The key in a document: `value`, `env`, `path`, `command`, `secret`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Value => "value",
            SourceKind::Env => "env",
            SourceKind::Path => "path",
            SourceKind::Command => "command",
            SourceKind::Secret => "secret",
        }
    }

    /// The source named `key`, exactly as written in documents.
    pub fn from_key(key: &str) -> Option<SourceKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == key)
    }

    /// Every key, for did-you-mean and "one of" messages.
    pub fn keys() -> impl Iterator<Item = &'static str> {
        Self::ALL.into_iter().map(SourceKind::as_str)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One source strategy and its hint. Serialises as Porter does, a map with
/// one key: `{"secret": "mysql-password"}`.
///
/// A `Value` is stored in the set as written, as Porter stores it: anything
/// secret belongs in a `Secret` source, which stores only the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The value itself.
    Value(String),
    /// The name of an environment variable.
    Env(String),
    /// A file path; `$VAR` and `${VAR}` are expanded, as Porter expands them.
    Path(String),
    /// A command for `sh -c`; its trimmed standard output is the value.
    Command(String),
    /// A key in the secret store.
    Secret(String),
}

impl Source {
    /// A source of `kind` with `hint`.
    pub fn new(kind: SourceKind, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        match kind {
            SourceKind::Value => Source::Value(hint),
            SourceKind::Env => Source::Env(hint),
            SourceKind::Path => Source::Path(hint),
            SourceKind::Command => Source::Command(hint),
            SourceKind::Secret => Source::Secret(hint),
        }
    }

    /// Which strategy this is.
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Value(_) => SourceKind::Value,
            Source::Env(_) => SourceKind::Env,
            Source::Path(_) => SourceKind::Path,
            Source::Command(_) => SourceKind::Command,
            Source::Secret(_) => SourceKind::Secret,
        }
    }

    /// The hint: the value, variable, path, command or secret key.
    pub fn hint(&self) -> &str {
        match self {
            Source::Value(h)
            | Source::Env(h)
            | Source::Path(h)
            | Source::Command(h)
            | Source::Secret(h) => h,
        }
    }
}

/// One named entry of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetEntry {
    /// The bundle's parameter or credential this entry gives a value to.
    pub name: String,
    /// Where the value comes from.
    pub source: Source,
}

/// When a stored set was first created and last replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetStatus {
    /// When the set was first stored.
    pub created: Timestamp,
    /// When the set was last stored.
    pub modified: Timestamp,
}

/// A parameter set or a credential set.
///
/// Serialises to Porter's v1 document: `schemaType`, `schemaVersion`,
/// `namespace`, `name`, `labels` (when any), `parameters` or `credentials`,
/// and `status` (once stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDocument {
    /// Which kind of set this is.
    pub kind: SetKind,
    /// The document's schema version; [`SET_SCHEMA_VERSION`].
    pub schema_version: String,
    /// The namespace; empty for the global namespace.
    pub namespace: String,
    /// The set's name, unique within its namespace and kind.
    pub name: String,
    /// Free-form labels.
    pub labels: BTreeMap<String, String>,
    /// The entries, in the order they were written.
    pub entries: Vec<SetEntry>,
    /// Timestamps, set by the store; `None` for a document not yet stored.
    pub status: Option<SetStatus>,
}

impl SetDocument {
    /// An empty set of `kind`, not yet stored.
    pub fn new(kind: SetKind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            schema_version: SET_SCHEMA_VERSION.to_string(),
            namespace: namespace.into(),
            name: name.into(),
            labels: BTreeMap::new(),
            entries: Vec::new(),
            status: None,
        }
    }

    /// The entry named `name`.
    pub fn entry(&self, name: &str) -> Option<&SetEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Sets the source of entry `name`, replacing it in place or appending it.
    pub fn set(&mut self, name: impl Into<String>, source: Source) {
        let name = name.into();
        match self.entries.iter_mut().find(|e| e.name == name) {
            Some(entry) => entry.source = source,
            None => self.entries.push(SetEntry { name, source }),
        }
    }

    /// Removes entry `name`, returning it.
    pub fn remove(&mut self, name: &str) -> Option<SetEntry> {
        let at = self.entries.iter().position(|e| e.name == name)?;
        Some(self.entries.remove(at))
    }

    /// `namespace/name`, or just `name` in the global namespace: how
    /// messages name the set.
    pub fn qualified_name(&self) -> String {
        qualified_name(&self.namespace, &self.name)
    }

    /// The document as JSON, in Porter's shape.
    pub fn to_json(&self) -> serde_json::Value {
        // Every member is a string, a list or a map of strings: this cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// `namespace/name`, or `name` in the global namespace.
pub fn qualified_name(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    }
}

impl Serialize for SetDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("schemaType", &self.kind)?;
        map.serialize_entry("schemaVersion", &self.schema_version)?;
        map.serialize_entry("namespace", &self.namespace)?;
        map.serialize_entry("name", &self.name)?;
        if !self.labels.is_empty() {
            map.serialize_entry("labels", &self.labels)?;
        }
        map.serialize_entry(self.kind.entries_field(), &self.entries)?;
        if let Some(status) = &self.status {
            map.serialize_entry("status", status)?;
        }
        map.end()
    }
}

/// Why a set or namespace name cannot be used, or `None` when it can.
///
/// Names become file names under `WHARF_HOME`, so they must be one path
/// component: no separators, no leading dot (which would also hide the file
/// and collide with the store's temporary files), no control characters.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("must not be empty");
    }
    if name.starts_with('.') {
        return Some("must not start with a dot");
    }
    if name.contains(['/', '\\']) {
        return Some("must not contain a slash or a backslash");
    }
    if name.chars().any(char::is_control) {
        return Some("must not contain control characters");
    }
    if name.len() > 200 {
        return Some("must be at most 200 bytes long");
    }
    None
}

/// Why a namespace cannot be used, or `None` when it can. Empty is the
/// global namespace.
pub fn namespace_problem(namespace: &str) -> Option<&'static str> {
    if namespace.is_empty() {
        return None;
    }
    if namespace == super::store::GLOBAL_NAMESPACE_DIR {
        return Some("is reserved for the global namespace (write `namespace: \"\"` instead)");
    }
    name_problem(namespace)
}
