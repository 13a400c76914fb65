//! The mixins baked into the invocation image.
//!
//! `wharf build` precompiles each mixin for the image's engine and lists it
//! in the index (`/cnab/wharf/mixins/index.json`, root's and read-only). The
//! runtime only loads those files: it carries no compiler, so a mixin that
//! is not listed cannot run, and a step that names one is an error that
//! says which mixins the image does have.
//!
//! The index is read once, before any step runs, and is what the runtime
//! trusts from then on: a precompiled file is loaded only if its digest is
//! the one the index records (deserializing it runs native code), and a
//! mixin may run exactly the programs the index records, which are those it
//! was pinned with. A mixin whose metadata now answers otherwise is refused.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{RuntimeError, StepRef};
use crate::cnab::contract::MIXIN_INDEX;
use crate::digest::Digest;
use crate::mixin::{LoadedMixin, MixinHost};

/// One entry of the mixin index (what `build::stage::StagedMixin` writes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexEntry {
    /// The mixin's name, as steps name it.
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: String,
    /// The digest of the original component.
    pub digest: Digest,
    /// The digest of the precompiled file.
    pub compiled: Digest,
    /// The programs it was pinned with.
    pub programs: Vec<String>,
    /// The precompiled file, relative to the index.
    pub file: String,
}

/// The image's mixins, loaded on first use.
pub struct Mixins {
    host: MixinHost,
    dir: PathBuf,
    index: Vec<IndexEntry>,
    loaded: HashMap<String, LoadedMixin>,
}

impl Mixins {
    /// Reads the index in `dir`.
    pub fn open(host: MixinHost, dir: &Path) -> Result<Self, RuntimeError> {
        let path = dir.join(MIXIN_INDEX);
        let bytes = std::fs::read(&path).map_err(|e| RuntimeError::io("read", &path, e))?;
        let index: Vec<IndexEntry> =
            serde_json::from_slice(&bytes).map_err(|e| RuntimeError::MixinIndex {
                path: path.clone(),
                message: format!(
                    "not a list of mixins as this runtime reads them ({e}); rebuild the bundle"
                ),
            })?;
        if let Some(bad) = index
            .iter()
            .find(|e| e.file.is_empty() || e.file.contains('/') || e.file.starts_with('.'))
        {
            return Err(RuntimeError::MixinIndex {
                path,
                message: format!(
                    "the {} mixin's file {:?} is not a file name in this directory",
                    bad.name, bad.file
                ),
            });
        }
        Ok(Self {
            host,
            dir: dir.to_path_buf(),
            index,
            loaded: HashMap::new(),
        })
    }

    /// The mixin `name`, loading it on first use.
    pub async fn get(&mut self, name: &str, step: &StepRef) -> Result<LoadedMixin, RuntimeError> {
        if let Some(mixin) = self.loaded.get(name) {
            return Ok(mixin.clone());
        }
        let Some(entry) = self.index.iter().find(|e| e.name == name) else {
            return Err(RuntimeError::MissingMixin {
                step: step.clone(),
                mixin: name.to_string(),
                available: self.available(),
            });
        };
        let load_error = |message: String| RuntimeError::MixinLoad {
            step: step.clone(),
            mixin: name.to_string(),
            message,
        };
        let mixin = self
            .host
            .load_precompiled(&self.dir.join(&entry.file), entry.digest, entry.compiled)
            .await
            .map_err(|e| load_error(e.to_string()))?;
        if mixin.metadata().name != entry.name {
            return Err(load_error(format!(
                "{} is the {} mixin, not {}; rebuild the bundle",
                entry.file,
                mixin.metadata().name,
                entry.name
            )));
        }
        if mixin.metadata().programs != entry.programs {
            return Err(load_error(format!(
                "it now declares the programs [{}], but it was pinned with [{}] when the bundle \
                 was built; a mixin's programs are fixed when it is pinned, so it is not run: \
                 find out why it changed, and rebuild the bundle",
                mixin.metadata().programs.join(", "),
                entry.programs.join(", ")
            )));
        }
        let mixin = mixin.with_programs(entry.programs.clone());
        self.loaded.insert(name.to_string(), mixin.clone());
        Ok(mixin)
    }

    fn available(&self) -> String {
        if self.index.is_empty() {
            return "no mixins".into();
        }
        self.index
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
