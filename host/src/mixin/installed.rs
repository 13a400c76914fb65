//! Which mixins this machine has: the built-in official mixins, and the
//! ones installed under `$WHARF_HOME/mixins`.
//!
//! exec, terraform, docker, helm3 and kubernetes are compiled into the
//! `wharf` binary, so a fresh install can build and run bundles that use
//! them with no registry at all. An installed mixin with the same name
//! takes precedence, so an official mixin can be upgraded without a new
//! Wharf; a bundle's `wharf.lock` pins whichever it was built with.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::{EnvVar, LoadedMixin, Metadata, MixinHost, read_component_file};
use crate::digest::Digest;
use crate::fs_atomic::{sync_dir, write_atomically};
use crate::home::WharfHome;

// Statics, not consts: a const's bytes may be copied into every codegen
// unit that uses it, which multiplied the binary's size.

/// The exec mixin's component, built by `build.rs`.
pub static BUILTIN_EXEC: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/exec.wasm"));

/// Every built-in mixin's component by name, built by `build.rs`.
pub static BUILTIN: [(&str, &[u8]); 5] = [
    ("exec", BUILTIN_EXEC),
    (
        "terraform",
        include_bytes!(concat!(env!("OUT_DIR"), "/terraform.wasm")),
    ),
    (
        "docker",
        include_bytes!(concat!(env!("OUT_DIR"), "/docker.wasm")),
    ),
    (
        "helm3",
        include_bytes!(concat!(env!("OUT_DIR"), "/helm3.wasm")),
    ),
    (
        "kubernetes",
        include_bytes!(concat!(env!("OUT_DIR"), "/kubernetes.wasm")),
    ),
];

/// The built-in component called `name`, if Wharf ships one.
pub fn builtin(name: &str) -> Option<&'static [u8]> {
    BUILTIN
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, bytes)| *bytes)
}

/// What `wharf mixins list` shows for one mixin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MixinRecord {
    /// The mixin's name.
    pub name: String,
    /// Its version, from its metadata.
    pub version: String,
    /// Its author.
    pub author: String,
    /// Where it came from: `built-in`, a file path, or an OCI reference.
    pub source: String,
    /// The digest of the component.
    pub digest: Digest,
    /// The programs it may run.
    pub programs: Vec<String>,
    /// The environment variables it may read when a bundle grants them.
    #[serde(default)]
    pub env: Vec<EnvVar>,
    /// The `wharf:mixin` version it was built for (empty in records
    /// written before Wharf recorded it).
    #[serde(default)]
    pub world_version: String,
    /// For a mixin pulled from a registry, the digest of its artifact's
    /// manifest: `source@manifestDigest` pins exactly what was installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
}

impl MixinRecord {
    fn new(metadata: &Metadata, source: String, digest: Digest) -> Self {
        Self {
            name: metadata.name.clone(),
            version: metadata.version.clone(),
            author: metadata.author.clone(),
            source,
            digest,
            programs: metadata.programs.clone(),
            env: metadata.env.clone(),
            world_version: metadata.world_version.clone(),
            manifest_digest: None,
        }
    }
}

/// A mixin found in the catalog, with its component.
#[derive(Clone)]
pub struct ResolvedMixin {
    /// The loaded mixin.
    pub mixin: LoadedMixin,
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// Where it came from: `built-in`, a path, or an OCI reference.
    pub source: String,
    /// The OCI manifest digest of a mixin pulled from a registry; empty
    /// for a built-in or file-installed one.
    pub manifest_digest: String,
}

/// The mixins known to one Wharf home.
#[derive(Debug, Clone)]
pub struct Catalog {
    home: WharfHome,
}

const COMPONENT_FILE: &str = "mixin.wasm";
const RECORD_FILE: &str = "installed.json";

impl Catalog {
    /// The catalog of `home`.
    pub fn new(home: WharfHome) -> Self {
        Self { home }
    }

    /// The Wharf home the catalog reads.
    pub fn home(&self) -> &WharfHome {
        &self.home
    }

    /// Every available mixin, sorted by name; installed ones shadow the
    /// built-in of the same name.
    pub async fn list(&self, host: &MixinHost) -> Result<Vec<MixinRecord>> {
        let mut records = self.installed()?;
        for (name, _) in BUILTIN {
            if !records.iter().any(|r| r.name == name) {
                let mixin = self.load_builtin(host, name).await?;
                records.push(MixinRecord::new(
                    mixin.metadata(),
                    "built-in".into(),
                    mixin.digest(),
                ));
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }

    /// Loads the mixin called `name`.
    pub async fn load(&self, host: &MixinHost, name: &str) -> Result<LoadedMixin> {
        Ok(self.resolve(host, name).await?.mixin)
    }

    /// Loads the mixin called `name` and keeps its component bytes, which
    /// `wharf build` precompiles into the image.
    pub async fn resolve(&self, host: &MixinHost, name: &str) -> Result<ResolvedMixin> {
        let dir = self.home.mixin_dir(name);
        let component = dir.join(COMPONENT_FILE);
        if is_safe_name(name) && component.exists() {
            let bytes = std::fs::read(&component)
                .with_context(|| format!("cannot read {}", component.display()))?;
            let mixin = host
                .load(&component.display().to_string(), bytes.clone())
                .await
                .with_context(|| {
                    format!(
                        "cannot load the installed {name} mixin from {}",
                        dir.display()
                    )
                })?;
            return Ok(ResolvedMixin {
                mixin,
                bytes,
                source: component.display().to_string(),
                manifest_digest: String::new(),
            });
        }
        if let Some(bytes) = builtin(name) {
            let mixin = self.load_builtin(host, name).await?;
            return Ok(ResolvedMixin {
                mixin,
                bytes: bytes.to_vec(),
                source: "built-in".into(),
                manifest_digest: String::new(),
            });
        }
        bail!(
            "the {name} mixin is not installed; install it with `wharf mixins install {name}[@VERSION]` \
             or `wharf mixins install PATH.wasm` (`wharf mixins list` shows what is installed)"
        )
    }

    /// Installs a component file under its metadata name, replacing any
    /// installed mixin of that name.
    pub async fn install_file(&self, host: &MixinHost, path: &Path) -> Result<MixinRecord> {
        let bytes = read_component_file(path)?;
        let source = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.install_bytes(host, bytes, source.display().to_string(), None)
            .await
    }

    /// Installs a component under its metadata name, replacing any
    /// installed mixin of that name. `source` is where it came from (a path
    /// or an OCI reference); `manifest_digest` is the digest of the
    /// artifact it was pulled as, if any.
    pub async fn install_bytes(
        &self,
        host: &MixinHost,
        bytes: Vec<u8>,
        source: String,
        manifest_digest: Option<String>,
    ) -> Result<MixinRecord> {
        let mixin = host.load(&source, bytes.clone()).await?;
        let name = &mixin.metadata().name;
        if !is_safe_name(name) {
            bail!(
                "{source} calls itself {name:?}; a mixin name may hold only lowercase letters, digits, '-' and '_'"
            );
        }
        let mut record = MixinRecord::new(mixin.metadata(), source, mixin.digest());
        record.manifest_digest = manifest_digest;
        self.write_installed(&record, &bytes)?;
        Ok(record)
    }

    /// Removes an installed mixin. A built-in one cannot be removed;
    /// removing an installed mixin of an official name brings the built-in
    /// back.
    pub fn uninstall(&self, name: &str) -> Result<()> {
        let dir = self.home.mixin_dir(name);
        if !is_safe_name(name) || !dir.exists() {
            bail!("the {name} mixin is not installed (`wharf mixins list` shows what is)");
        }
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))
    }

    /// Loads the built-in mixin `name` (compiled once per machine: the
    /// host caches compiled components by digest).
    pub async fn load_builtin(&self, host: &MixinHost, name: &str) -> Result<LoadedMixin> {
        let bytes = builtin(name).with_context(|| format!("Wharf has no built-in {name} mixin"))?;
        Ok(host
            .load(&format!("the built-in {name} mixin"), bytes.to_vec())
            .await?)
    }

    /// Records of installed mixins.
    fn installed(&self) -> Result<Vec<MixinRecord>> {
        let dir = self.home.mixins_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        };
        let mut records = Vec::new();
        for entry in entries {
            let path = entry?.path().join(RECORD_FILE);
            if !path.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let record: MixinRecord = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is damaged; reinstall that mixin with `wharf mixins install`",
                    path.display()
                )
            })?;
            records.push(record);
        }
        Ok(records)
    }

    /// Writes the component and its record into a fresh directory, then
    /// swaps it into place, so a crash leaves either the old install or the
    /// new one, never half of each.
    fn write_installed(&self, record: &MixinRecord, bytes: &[u8]) -> Result<()> {
        let mixins = self.home.mixins_dir();
        std::fs::create_dir_all(&mixins)
            .with_context(|| format!("cannot create {}", mixins.display()))?;
        let staging = tempfile::Builder::new()
            .prefix(".installing-")
            .tempdir_in(&mixins)
            .with_context(|| format!("cannot write in {}", mixins.display()))?;
        write_atomically(&staging.path().join(COMPONENT_FILE), bytes)?;
        write_atomically(
            &staging.path().join(RECORD_FILE),
            &serde_json::to_vec_pretty(record)?,
        )?;
        let target = self.home.mixin_dir(&record.name);
        let old = mixins.join(format!(".replaced-{}", record.name));
        if target.exists() {
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(&target, &old)
                .with_context(|| format!("cannot replace {}", target.display()))?;
        }
        let staged = staging.keep();
        std::fs::rename(&staged, &target)
            .with_context(|| format!("cannot install into {}", target.display()))?;
        sync_dir(&mixins).with_context(|| format!("cannot sync {}", mixins.display()))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }
}

/// Mixin names become directory names, so they are kept to a safe alphabet.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
