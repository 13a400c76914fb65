//! `wharf.lock`: which exact mixin each bundle uses.
//!
//! Porter resolves a mixin by name every time it builds, so two builds of
//! the same porter.yaml can use different mixins. Wharf resolves each
//! `mixins:` entry once, writes what it found beside porter.yaml (the OCI
//! reference, the manifest digest and the component digest), and from
//! then on builds with exactly that, from the local cache when it has it,
//! so a build with a warm cache needs no registry. Moving to newer mixins
//! is explicit: `wharf build --update-lock`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// The lock file's name, beside porter.yaml.
pub const LOCK_FILE: &str = "wharf.lock";
/// The format version this Wharf writes and reads.
pub const LOCK_VERSION: u32 = 1;

/// Where a locked mixin comes from when it is not in a registry.
pub const BUILT_IN: &str = "built-in";
/// A mixin installed from a file with `wharf mixins install FILE`.
pub const INSTALLED: &str = "installed";

/// The lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lock {
    pub lock_version: u32,
    /// By mixin name.
    pub mixins: BTreeMap<String, LockedMixin>,
}

/// One mixin as pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedMixin {
    /// What porter.yaml asked for: `exec`, `exec@^1.2`, `exec@REF`.
    pub requested: String,
    /// The OCI reference it was pulled from (`REPO:TAG`), or `built-in` /
    /// `installed` for a mixin that is not in a registry.
    pub reference: String,
    /// The artifact's manifest digest (registry mixins only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// The component's digest: what the stamp records and what a build
    /// checks the component against.
    pub digest: Digest,
    /// The mixin's version, from its metadata.
    pub version: String,
    /// The programs its metadata declared when it was pinned: what its
    /// `execute` may run, written into the image's mixin index. A later
    /// answer that differs is refused. Absent in locks written before
    /// Wharf recorded it; filled in on the next build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programs: Option<Vec<String>>,
}

impl LockedMixin {
    /// Whether it comes from a registry.
    pub fn is_remote(&self) -> bool {
        !self.manifest.is_empty()
    }
}

/// The lock file of the bundle whose manifest is `manifest`.
pub fn lock_path(manifest: &Path) -> PathBuf {
    manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(LOCK_FILE)
}

/// Reads the lock; an absent file is an empty lock.
pub fn read_lock(path: &Path) -> Result<Lock> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Lock {
                lock_version: LOCK_VERSION,
                ..Lock::default()
            });
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    parse_lock(&text, path)
}

/// Parses a lock file's text; `path` names it in errors.
pub fn parse_lock(text: &str, path: &Path) -> Result<Lock> {
    let lock: Lock = serde_json::from_str(text).with_context(|| {
        format!(
            "{} is not a valid lock file; fix it, or delete it and run `wharf build` to pin the \
             mixins again",
            path.display()
        )
    })?;
    if lock.lock_version != LOCK_VERSION {
        bail!(
            "{} has lockVersion {}, and this Wharf reads version {LOCK_VERSION}; use the Wharf \
             that wrote it, or rebuild with `wharf build --update-lock`",
            path.display(),
            lock.lock_version
        );
    }
    Ok(lock)
}

/// Writes the lock atomically, when it changed.
pub fn write_lock(path: &Path, lock: &Lock) -> Result<bool> {
    if read_lock(path).ok().as_ref() == Some(lock) {
        return Ok(false);
    }
    let mut text = serde_json::to_string_pretty(lock)?;
    text.push('\n');
    crate::fs_atomic::write_atomically(path, text.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_round_trips_and_an_absent_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        assert!(read_lock(&path).unwrap().mixins.is_empty());
        let mut lock = Lock {
            lock_version: LOCK_VERSION,
            ..Lock::default()
        };
        lock.mixins.insert(
            "exec".into(),
            LockedMixin {
                requested: "exec@^1".into(),
                reference: "127.0.0.1:5000/mixins/exec:1.2.0".into(),
                manifest: format!("sha256:{}", "a".repeat(64)),
                digest: Digest::of(b"component"),
                version: "1.2.0".into(),
                programs: Some(vec!["echo".into()]),
            },
        );
        assert!(write_lock(&path, &lock).unwrap());
        assert!(
            !write_lock(&path, &lock).unwrap(),
            "unchanged: not rewritten"
        );
        assert_eq!(read_lock(&path).unwrap(), lock);
    }

    #[test]
    fn a_lock_without_programs_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let digest = Digest::of(b"component");
        std::fs::write(
            &path,
            format!(
                r#"{{"lockVersion": 1, "mixins": {{"exec": {{"requested": "exec",
                "reference": "built-in", "digest": "{digest}", "version": "1.0.0"}}}}}}"#
            ),
        )
        .unwrap();
        assert_eq!(read_lock(&path).unwrap().mixins["exec"].programs, None);
    }

    #[test]
    fn a_damaged_lock_says_how_to_recover() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(&path, "{not json").unwrap();
        let err = format!("{:#}", read_lock(&path).unwrap_err());
        assert!(
            err.contains("wharf.lock") && err.contains("wharf build"),
            "{err}"
        );
    }
}
