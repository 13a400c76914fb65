//! Sets on disk, one canonical JSON file each.
//!
//! ```text
//! $WHARF_HOME/parameter-sets/<namespace, or _default>/<name>.json
//! $WHARF_HOME/credential-sets/<namespace, or _default>/<name>.json
//! ```
//!
//! A file holds the set exactly as `wharf parameters show -o json` prints
//! it (Porter's v1 document, with `status.created` and `status.modified`),
//! in RFC 8785 canonical form, so the same set is always the same bytes.
//! Files are written atomically ([`crate::fs_atomic`]), so a crash leaves
//! the old set or the new one, never half of one; they are readable by
//! their owner only (`0600`), because a `value` source is stored as
//! written. Secrets belong in `secret` sources, which store only the key.

use std::path::{Path, PathBuf};

use super::document::{
    SET_SCHEMA_VERSION, SetDocument, SetKind, SetStatus, name_problem, namespace_problem,
    qualified_name,
};
use super::parse::decode_json;
use crate::cnab::canonicalize;
use crate::fs_atomic::{AtomicWriteError, WriteOptions, write_atomically_with};
use crate::home::WharfHome;
use crate::time::Timestamp;

/// The directory of the global namespace (`namespace: ""`).
pub const GLOBAL_NAMESPACE_DIR: &str = "_default";

/// Which namespaces [`SetStore::list`] looks in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceFilter {
    /// Every namespace (Porter's `--all-namespaces`).
    All,
    /// One namespace; `""` is the global namespace.
    Only(String),
}

/// A failure to store, find or read a set; each says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No set of that kind, namespace and name.
    #[error("{} `{}` not found {}; see the stored ones with `wharf {} list{}`", kind.set_noun(), name, in_namespace(namespace), kind.command(), namespace_flag(namespace))]
    NotFound {
        /// The kind looked for.
        kind: SetKind,
        /// The namespace looked in.
        namespace: String,
        /// The set's name.
        name: String,
    },
    /// `create` found a set already stored under that name.
    #[error("{} `{}` already exists {}; replace it with `wharf {} apply`, or delete it first", kind.set_noun(), name, in_namespace(namespace), kind.command())]
    AlreadyExists {
        /// The kind.
        kind: SetKind,
        /// The namespace.
        namespace: String,
        /// The set's name.
        name: String,
    },
    /// The set (or the name asked for) cannot be stored as it is.
    #[error("cannot store {} `{set}`:\n  {}", kind.set_noun(), problems.join("\n  "))]
    Invalid {
        /// The kind.
        kind: SetKind,
        /// `namespace/name` of the set.
        set: String,
        /// Every problem, one line each.
        problems: Vec<String>,
    },
    /// A stored file is not a valid set.
    #[error("{} is damaged: {message}; fix the file or delete it", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The file system refused.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What Wharf was doing: `read`, `write`, `delete`, `list`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

fn in_namespace(namespace: &str) -> String {
    if namespace.is_empty() {
        "in the global namespace".to_string()
    } else {
        format!("in namespace `{namespace}`")
    }
}

fn namespace_flag(namespace: &str) -> String {
    if namespace.is_empty() {
        String::new()
    } else {
        format!(" --namespace {namespace}")
    }
}

/// Parameter sets and credential sets under one `WHARF_HOME`.
#[derive(Debug, Clone)]
pub struct SetStore {
    home: WharfHome,
}

impl SetStore {
    /// The sets of `home`; nothing is created until a set is stored.
    pub fn new(home: &WharfHome) -> Self {
        Self { home: home.clone() }
    }

    /// The directory holding every set of `kind`.
    pub fn kind_dir(&self, kind: SetKind) -> PathBuf {
        match kind {
            SetKind::Parameter => self.home.parameter_sets_dir(),
            SetKind::Credential => self.home.credential_sets_dir(),
        }
    }

    /// The file of set `name` in `namespace`, whether or not it exists.
    pub fn path(&self, kind: SetKind, namespace: &str, name: &str) -> PathBuf {
        let dir = if namespace.is_empty() {
            GLOBAL_NAMESPACE_DIR
        } else {
            namespace
        };
        self.kind_dir(kind).join(dir).join(format!("{name}.json"))
    }

    /// Stores `document`, replacing a set of the same kind, namespace and
    /// name. A replaced set keeps its `created` time; `modified` is now.
    /// Returns the set as stored.
    pub fn apply(&self, document: SetDocument) -> Result<SetDocument, StoreError> {
        let document = self.validated(document)?;
        let path = self.path(document.kind, &document.namespace, &document.name);
        // A damaged old file is replaced: applying a good set is how to fix it.
        let created = match self.read(&path, document.kind) {
            Ok(Some(old)) => old.status.map(|s| s.created),
            Ok(None) | Err(StoreError::Damaged { .. }) => None,
            Err(e) => return Err(e),
        };
        self.write(document, created, &path, false)
    }

    /// Stores `document` as a new set; fails if one of that name exists.
    pub fn create(&self, document: SetDocument) -> Result<SetDocument, StoreError> {
        let document = self.validated(document)?;
        let path = self.path(document.kind, &document.namespace, &document.name);
        self.write(document, None, &path, true)
    }

    /// The set `name` in exactly `namespace`.
    pub fn get(
        &self,
        kind: SetKind,
        namespace: &str,
        name: &str,
    ) -> Result<SetDocument, StoreError> {
        check_location(kind, namespace, name)?;
        self.read(&self.path(kind, namespace, name), kind)?
            .ok_or_else(|| not_found(kind, namespace, name))
    }

    /// The set `name` in `namespace`, else in the global namespace: how an
    /// installation in a namespace finds the sets it names (as Porter does).
    pub fn find(
        &self,
        kind: SetKind,
        namespace: &str,
        name: &str,
    ) -> Result<SetDocument, StoreError> {
        match self.get(kind, namespace, name) {
            Err(StoreError::NotFound { .. }) if !namespace.is_empty() => {
                self.get(kind, "", name).map_err(|e| match e {
                    StoreError::NotFound { .. } => not_found(kind, namespace, name),
                    e => e,
                })
            }
            other => other,
        }
    }

    /// Every set of `kind` in the namespaces `filter` selects, ordered by
    /// namespace, then name.
    pub fn list(
        &self,
        kind: SetKind,
        filter: &NamespaceFilter,
    ) -> Result<Vec<SetDocument>, StoreError> {
        let dirs: Vec<PathBuf> = match filter {
            NamespaceFilter::Only(namespace) => {
                if let Some(problem) = namespace_problem(namespace) {
                    return Err(invalid_location(
                        kind,
                        namespace,
                        "",
                        format!("the namespace {problem}"),
                    ));
                }
                let file = self.path(kind, namespace, "x");
                vec![file.parent().map(Path::to_path_buf).unwrap_or_default()]
            }
            NamespaceFilter::All => read_dir(&self.kind_dir(kind))?
                .into_iter()
                .filter(|p| p.is_dir())
                .collect(),
        };
        let mut sets = Vec::new();
        for dir in dirs {
            for path in read_dir(&dir)? {
                let is_set = path.extension().is_some_and(|e| e == "json")
                    && path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| !n.starts_with('.'));
                if is_set && let Some(set) = self.read(&path, kind)? {
                    sets.push(set);
                }
            }
        }
        sets.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(sets)
    }

    /// Deletes the set `name` in `namespace`.
    pub fn delete(&self, kind: SetKind, namespace: &str, name: &str) -> Result<(), StoreError> {
        check_location(kind, namespace, name)?;
        let path = self.path(kind, namespace, name);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                if !namespace.is_empty()
                    && let Some(dir) = path.parent()
                {
                    // Tidy an emptied namespace; a non-empty one stays.
                    let _ = std::fs::remove_dir(dir);
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(not_found(kind, namespace, name))
            }
            Err(source) => Err(StoreError::Io {
                action: "delete",
                path,
                source,
            }),
        }
    }

    /// Checks a document the way a file is checked, so a set built in code
    /// (by `generate`, or edited by the CLI) meets the same rules as one
    /// read from YAML.
    fn validated(&self, mut document: SetDocument) -> Result<SetDocument, StoreError> {
        document.schema_version = SET_SCHEMA_VERSION.to_string();
        document.status = None;
        let name = PathBuf::from(qualified_name(&document.namespace, &document.name));
        decode_json(&document.to_json(), &name, Some(document.kind)).map_err(|e| {
            StoreError::Invalid {
                kind: document.kind,
                set: document.qualified_name(),
                problems: e
                    .diagnostics
                    .iter()
                    .map(|d| {
                        if d.field.is_empty() {
                            d.message.clone()
                        } else {
                            format!("{}: {}", d.field, d.message)
                        }
                    })
                    .collect(),
            }
        })
    }

    /// Reads one stored file; `None` when it does not exist.
    fn read(&self, path: &Path, kind: SetKind) -> Result<Option<SetDocument>, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let damaged = |message: String| StoreError::Damaged {
            path: path.to_path_buf(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| damaged(format!("not JSON ({e})")))?;
        let set = decode_json(&value, path, Some(kind)).map_err(|e| {
            let problems: Vec<String> = e
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.field, d.message))
                .collect();
            damaged(problems.join("; "))
        })?;
        if set.status.is_none() {
            return Err(damaged("it has no status (created and modified)".into()));
        }
        if self.path(kind, &set.namespace, &set.name) != path {
            return Err(damaged(format!(
                "it holds the set `{}`, which belongs in {}",
                set.qualified_name(),
                self.path(kind, &set.namespace, &set.name).display()
            )));
        }
        Ok(Some(set))
    }

    /// Writes `document` atomically with its status; `created` of the set
    /// it replaces, if any. With `no_clobber`, an existing file is an error.
    fn write(
        &self,
        mut document: SetDocument,
        created: Option<Timestamp>,
        path: &Path,
        no_clobber: bool,
    ) -> Result<SetDocument, StoreError> {
        let now = Timestamp::now();
        document.status = Some(SetStatus {
            created: created.unwrap_or(now),
            modified: now,
        });
        let bytes = canonicalize(&document.to_json());
        let mut options = WriteOptions::new().mode(0o600);
        if no_clobber {
            options = options.no_clobber();
        }
        match write_atomically_with(path, &bytes, options) {
            Ok(()) => Ok(document),
            Err(AtomicWriteError::AlreadyExists { .. }) => Err(StoreError::AlreadyExists {
                kind: document.kind,
                namespace: document.namespace,
                name: document.name,
            }),
            Err(e) => Err(StoreError::Io {
                action: match e {
                    AtomicWriteError::CreateDir { .. } => "create",
                    _ => "write",
                },
                path: e.path().to_path_buf(),
                source: e.into_io_error(),
            }),
        }
    }
}

fn not_found(kind: SetKind, namespace: &str, name: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

fn invalid_location(kind: SetKind, namespace: &str, name: &str, problem: String) -> StoreError {
    StoreError::Invalid {
        kind,
        set: qualified_name(namespace, name),
        problems: vec![problem],
    }
}

/// Refuses names that are not one safe path component, so `get` and
/// `delete` can never reach outside the store.
fn check_location(kind: SetKind, namespace: &str, name: &str) -> Result<(), StoreError> {
    if let Some(problem) = namespace_problem(namespace) {
        return Err(invalid_location(
            kind,
            namespace,
            name,
            format!("the namespace {problem}"),
        ));
    }
    if let Some(problem) = name_problem(name) {
        return Err(invalid_location(
            kind,
            namespace,
            name,
            format!("the name {problem}"),
        ));
    }
    Ok(())
}

/// The entries of `dir`, sorted; none when it does not exist.
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::Io {
                action: "list",
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| StoreError::Io {
            action: "list",
            path: dir.to_path_buf(),
            source,
        })?;
        paths.push(entry.path());
    }
    paths.sort();
    Ok(paths)
}
