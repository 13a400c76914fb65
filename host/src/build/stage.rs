//! The `.cnab/` staging folder: what `COPY .cnab /cnab` puts in the image.
//!
//! ```text
//! .cnab/
//! ├── app/run                  the static runtime (/cnab/app/run, the CMD)
//! ├── app/porter.yaml          the manifest, exactly as written
//! ├── app/mixins/index.json    name, version, digest and file of each mixin
//! ├── app/mixins/<name>.cwasm  each mixin precompiled for the image's engine
//! ├── app/outputs/             where the runtime writes outputs
//! ├── state/                   where the state bag parameter is written
//! ├── home/                    the nonroot user's home
//! ├── bundle.json
//! ├── Dockerfile
//! └── stamp.json               the inputs of the last build (not in the image's use)
//! ```

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::fs_atomic::{WriteOptions, write_atomically, write_atomically_with};

/// One entry of `app/mixins/index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedMixin {
    /// The mixin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The digest of its component (not of the compiled file).
    pub digest: Digest,
    /// The precompiled file, relative to `app/mixins/`.
    pub file: String,
}

/// Everything that goes into `.cnab/`.
pub struct Staging<'a> {
    /// The manifest text.
    pub manifest: &'a str,
    /// The runtime binary's bytes.
    pub runtime: &'a [u8],
    /// Each mixin with its precompiled, framed bytes.
    pub mixins: Vec<(StagedMixin, Vec<u8>)>,
    /// The rendered Dockerfile.
    pub dockerfile: &'a str,
    /// bundle.json bytes.
    pub bundle_json: &'a [u8],
}

/// Replaces `.cnab/` (all but the stamp) with a fresh staging of `staging`.
pub fn stage(bundle_dir: &Path, staging: &Staging<'_>) -> Result<()> {
    let cnab = bundle_dir.join(".cnab");
    for old in ["app", "state", "home", "bundle.json", "Dockerfile"] {
        let path = cnab.join(old);
        if path.is_dir() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot clear {}", path.display()))?;
        } else if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot clear {}", path.display()))?;
        }
    }
    for dir in ["app/mixins", "app/outputs", "state", "home"] {
        let path = cnab.join(dir);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    let run = cnab.join("app/run");
    write_atomically_with(&run, staging.runtime, WriteOptions::new().mode(0o755))?;
    write_atomically(&cnab.join("app/porter.yaml"), staging.manifest.as_bytes())?;
    let index: Vec<&StagedMixin> = staging.mixins.iter().map(|(m, _)| m).collect();
    for (mixin, bytes) in &staging.mixins {
        write_atomically(&cnab.join("app/mixins").join(&mixin.file), bytes)?;
    }
    write_atomically(
        &cnab.join("app/mixins/index.json"),
        &serde_json::to_vec_pretty(&index)?,
    )?;
    write_atomically(&cnab.join("Dockerfile"), staging.dockerfile.as_bytes())?;
    write_atomically(&cnab.join("bundle.json"), staging.bundle_json)?;
    Ok(())
}
