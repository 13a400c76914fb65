//! Turning a set's sources into values.
//!
//! Resolution reads the environment from a map it is given rather than from
//! the process, so callers decide what a set can see and tests need not
//! change the process's environment. Every entry is resolved even after
//! one fails, so a user fixes all of a set's problems in one round.
//!
//! Porter (through cnab-go's host store) splits a `command` on spaces and
//! runs it without a shell, and keeps its output untrimmed; Wharf runs it
//! with `sh -c`, so quoting and pipes work, and trims the output, since a
//! trailing newline is never part of a password or a token.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::{Serialize, Serializer};

use super::document::{SetDocument, SetKind, Source, SourceKind};

/// Where `secret` sources are looked up. The CLI backs this with Wharf's
/// local secret store; tests use [`MemorySecrets`].
pub trait SecretResolver {
    /// The secret stored under `key`: `Ok(None)` when there is none, an
    /// error when the store itself cannot be read.
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

/// Any lookup function is a resolver, so a store with another interface
/// plugs in with a closure: `&|key: &str| store.lookup(key)`.
impl<F> SecretResolver for F
where
    F: Fn(&str) -> anyhow::Result<Option<Vec<u8>>>,
{
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self(key)
    }
}

/// Secrets held in memory: for tests, and for secrets given on the
/// command line. Its `Debug` shows the keys, never the values.
#[derive(Clone, Default)]
pub struct MemorySecrets {
    values: BTreeMap<String, Vec<u8>>,
}

impl MemorySecrets {
    /// No secrets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` under `key`, replacing any earlier value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.values.insert(key.into(), value.into());
    }

    /// The same store with `value` under `key`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.insert(key, value);
        self
    }
}

impl fmt::Debug for MemorySecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySecrets")
            .field("keys", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SecretResolver for MemorySecrets {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.values.get(key).cloned())
    }
}

/// What resolution may see.
pub struct ResolveContext<'a> {
    /// The environment: `env` sources read it, `$VAR` in paths expands from
    /// it, and commands run with exactly it.
    pub env: BTreeMap<String, String>,
    /// Where `secret` sources are looked up.
    pub secrets: &'a dyn SecretResolver,
    /// The directory relative paths and commands start from; `None` is the
    /// process's current directory.
    pub dir: Option<PathBuf>,
}

impl<'a> ResolveContext<'a> {
    /// An empty environment, the current directory, and `secrets`.
    pub fn new(secrets: &'a dyn SecretResolver) -> Self {
        Self {
            env: BTreeMap::new(),
            secrets,
            dir: None,
        }
    }

    /// The process's own environment (variables that are not UTF-8 are
    /// left out), the current directory, and `secrets`: what the CLI uses.
    pub fn from_process(secrets: &'a dyn SecretResolver) -> Self {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self {
            env,
            ..Self::new(secrets)
        }
    }

    /// The same context with `env` as its environment.
    pub fn with_env<K: Into<String>, V: Into<String>>(
        mut self,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self
    }

    /// The same context resolving relative paths and running commands in `dir`.
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }
}

/// A resolved value: bytes, and whether they came from the secret store.
///
/// Neither `Debug` nor `Serialize` shows a secret's bytes, so a resolved
/// set can be logged or printed with `-o json` without leaking it.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedValue {
    bytes: Vec<u8>,
    source: SourceKind,
}

impl ResolvedValue {
    /// A value read from `source`.
    pub fn new(bytes: impl Into<Vec<u8>>, source: SourceKind) -> Self {
        Self {
            bytes: bytes.into(),
            source,
        }
    }

    /// The raw bytes (a file's contents need not be text).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The value as text, when it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }

    /// The value as text, invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The bytes, consuming the value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Which source produced it.
    pub fn source(&self) -> SourceKind {
        self.source
    }

    /// Whether it came from the secret store: callers must mask it in
    /// output and keep it out of records.
    pub fn is_secret(&self) -> bool {
        self.source == SourceKind::Secret
    }
}

const MASK: &str = "*******";

impl fmt::Debug for ResolvedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.is_secret() {
            MASK.to_string()
        } else {
            self.to_string_lossy()
        };
        f.debug_struct("ResolvedValue")
            .field("value", &value)
            .field("source", &self.source)
            .finish()
    }
}

impl Serialize for ResolvedValue {
    /// `{"value": ..., "source": ..., "secret": bool}`, a secret masked.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("ResolvedValue", 3)?;
        let value = if self.is_secret() {
            MASK.to_string()
        } else {
            self.to_string_lossy()
        };
        s.serialize_field("value", &value)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("secret", &self.is_secret())?;
        s.end()
    }
}

/// Why one source could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveProblem {
    /// An `env` source names a variable that is not set.
    #[error("environment variable `{variable}` is not set; export it, or change the source")]
    EnvNotSet {
        /// The variable.
        variable: String,
    },
    /// A `path` source uses `$VAR` for a variable that is not set.
    #[error("the path `{path}` uses `${variable}`, which is not set")]
    PathVariableNotSet {
        /// The path as written.
        path: String,
        /// The variable.
        variable: String,
    },
    /// A `path` source's file cannot be read.
    #[error("cannot read the file {}: {error}", path.display())]
    PathUnreadable {
        /// The file, expanded and made absolute against the context's directory.
        path: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
    /// A `command` source's command could not be started.
    #[error("cannot run `sh -c {command:?}`: {error}")]
    CommandNotStarted {
        /// The command.
        command: String,
        /// The system's error.
        error: std::io::Error,
    },
    /// A `command` source's command failed.
    #[error("the command `{command}` {status}{}", if stderr.is_empty() { String::new() } else { format!("; it said: {stderr}") })]
    CommandFailed {
        /// The command.
        command: String,
        /// `exited with code N` or `was killed by signal N`.
        status: String,
        /// Its standard error, trimmed (and cut at 2000 bytes).
        stderr: String,
    },
    /// A `secret` source's key is not in the secret store.
    #[error("the secret `{key}` is not in the secret store; store it first, or change the source")]
    SecretMissing {
        /// The key.
        key: String,
    },
    /// The secret store failed.
    #[error("cannot read the secret `{key}` from the secret store: {message}")]
    SecretStore {
        /// The key.
        key: String,
        /// The store's error.
        message: String,
    },
}

/// One entry that could not be resolved.
#[derive(Debug)]
pub struct EntryFailure {
    /// The entry's name.
    pub entry: String,
    /// Its source.
    pub source: Source,
    /// What went wrong.
    pub problem: ResolveProblem,
}

/// A set with entries that could not be resolved, every one of them.
#[derive(Debug, thiserror::Error)]
pub struct ResolveError {
    /// The set's kind.
    pub kind: SetKind,
    /// `namespace/name` of the set.
    pub set: String,
    /// Every failing entry, in the set's order.
    pub failures: Vec<EntryFailure>,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot resolve {} `{}`:", self.kind.set_noun(), self.set)?;
        for failure in &self.failures {
            write!(
                f,
                "\n  {} `{}` ({} source): {}",
                self.kind.noun(),
                failure.entry,
                failure.source.kind(),
                failure.problem
            )?;
        }
        Ok(())
    }
}

/// Resolves every entry of `set`, by name.
pub fn resolve(
    set: &SetDocument,
    context: &ResolveContext<'_>,
) -> Result<BTreeMap<String, ResolvedValue>, ResolveError> {
    let mut values = BTreeMap::new();
    let mut failures = Vec::new();
    for entry in &set.entries {
        match resolve_source(&entry.source, context) {
            Ok(value) => {
                values.insert(entry.name.clone(), value);
            }
            Err(problem) => failures.push(EntryFailure {
                entry: entry.name.clone(),
                source: entry.source.clone(),
                problem,
            }),
        }
    }
    if failures.is_empty() {
        Ok(values)
    } else {
        Err(ResolveError {
            kind: set.kind,
            set: set.qualified_name(),
            failures,
        })
    }
}

/// Resolves one source.
pub fn resolve_source(
    source: &Source,
    context: &ResolveContext<'_>,
) -> Result<ResolvedValue, ResolveProblem> {
    let bytes = match source {
        Source::Value(value) => value.clone().into_bytes(),
        Source::Env(variable) => match context.env.get(variable) {
            Some(value) => value.clone().into_bytes(),
            None => {
                return Err(ResolveProblem::EnvNotSet {
                    variable: variable.clone(),
                });
            }
        },
        Source::Path(path) => {
            let expanded = expand(path, &context.env)?;
            let file = match &context.dir {
                Some(dir) => dir.join(&expanded),
                None => PathBuf::from(&expanded),
            };
            std::fs::read(&file)
                .map_err(|error| ResolveProblem::PathUnreadable { path: file, error })?
        }
        Source::Command(command) => run(command, context)?,
        Source::Secret(key) => match context.secrets.get(key) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Err(ResolveProblem::SecretMissing { key: key.clone() }),
            Err(e) => {
                return Err(ResolveProblem::SecretStore {
                    key: key.clone(),
                    message: format!("{e:#}"),
                });
            }
        },
    };
    Ok(ResolvedValue::new(bytes, source.kind()))
}

/// Expands `$NAME` and `${NAME}` from `env`, as Porter's `os.ExpandEnv`
/// does, except that an unset variable is an error rather than silently
/// empty (an empty path segment only makes a more confusing error later).
fn expand(path: &str, env: &BTreeMap<String, String>) -> Result<String, ResolveProblem> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            (&after[..end], end)
        };
        if name.is_empty()
            || name.starts_with(|c: char| c.is_ascii_digit())
            || !name.chars().all(is_name)
        {
            out.push('$');
            rest = after;
            continue;
        }
        match env.get(name) {
            Some(value) => out.push_str(value),
            None => {
                return Err(ResolveProblem::PathVariableNotSet {
                    path: path.to_string(),
                    variable: name.to_string(),
                });
            }
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Runs `command` with `/bin/sh -c` in the context's environment and
/// directory, with no input, and returns its trimmed standard output.
fn run(command: &str, context: &ResolveContext<'_>) -> Result<Vec<u8>, ResolveProblem> {
    let mut child = Command::new("/bin/sh");
    child
        .arg("-c")
        .arg(command)
        .env_clear()
        .envs(&context.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = &context.dir {
        child.current_dir(dir);
    }
    let output = child
        .output()
        .map_err(|error| ResolveProblem::CommandNotStarted {
            command: command.to_string(),
            error,
        })?;
    if !output.status.success() {
        let status = match output.status.code() {
            Some(code) => format!("exited with code {code}"),
            None => signal_of(&output.status),
        };
        let mut stderr = String::from_utf8_lossy(output.stderr.trim_ascii()).into_owned();
        if stderr.len() > 2000 {
            let mut cut = 2000;
            while !stderr.is_char_boundary(cut) {
                cut -= 1;
            }
            stderr.truncate(cut);
            stderr.push_str("...");
        }
        return Err(ResolveProblem::CommandFailed {
            command: command.to_string(),
            status,
            stderr,
        });
    }
    Ok(output.stdout.trim_ascii().to_vec())
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(signal) => format!("was killed by signal {signal}"),
        None => "failed".to_string(),
    }
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> String {
    "failed".to_string()
}
