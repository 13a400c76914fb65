//! The `.cnab/` staging folder: what `COPY .cnab /cnab` puts in the image.
//!
//! ```text
//! .cnab/
//! ├── app/porter.yaml            the manifest, exactly as written
//! ├── app/outputs/               where the runtime writes outputs
//! ├── state/                     where the state bag parameter is written
//! ├── home/                      the nonroot user's home
//! ├── bundle.json
//! ├── Dockerfile
//! └── stamp.json                 the inputs of the last build (not in the image's use)
//! ```
//!
//! `app/`, `state/` and `home/` belong to the bundle's user in the image;
//! `bundle.json` belongs to root and is read-only there (see
//! [`READ_ONLY`]). The runtime (`/cnab/app/run`) and the precompiled mixins
//! (`/cnab/wharf/mixins/`: `index.json` and each `<name>.cwasm`, root's and
//! read-only, because they are native code the runtime trusts once their
//! digests match the index) come from the tooling image instead
//! ([`super::tooling`]), so they are not in the build context.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use crate::cnab::contract::{MIXIN_INDEX, MIXINS_DIR};
use crate::digest::Digest;
use crate::fs_atomic::write_atomically;

/// What the image holds as root's, read-only: in the build context these
/// get mode 0555 (directories) and 0444 (files), and Wharf's tail copies them
/// without `--chown`.
pub const READ_ONLY: &[&str] = &[".cnab/bundle.json"];

/// One entry of the mixin index ([`MIXIN_INDEX`] in [`MIXINS_DIR`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedMixin {
    /// The mixin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The digest of its component.
    pub digest: Digest,
    /// The digest of the precompiled file, framing included: the runtime
    /// refuses a file that does not match it.
    pub compiled: Digest,
    /// The programs its metadata declared when it was pinned: exactly what
    /// its `execute` may run.
    pub programs: Vec<String>,
    /// The precompiled file, relative to the index.
    pub file: String,
}

/// Everything that goes into `.cnab/`.
pub struct Staging<'a> {
    /// The manifest text.
    pub manifest: &'a str,
    /// The rendered Dockerfile.
    pub dockerfile: &'a str,
    /// bundle.json bytes.
    pub bundle_json: &'a [u8],
}

/// Replaces `.cnab/` (all but the stamp) with a fresh staging of `staging`.
pub fn stage(bundle_dir: &Path, staging: &Staging<'_>) -> Result<()> {
    let cnab = bundle_dir.join(".cnab");
    // `wharf/` is what builds before the tooling image staged here.
    for old in ["app", "wharf", "state", "home", "bundle.json", "Dockerfile"] {
        let path = cnab.join(old);
        if path.is_dir() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot clear {}", path.display()))?;
        } else if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot clear {}", path.display()))?;
        }
    }
    for dir in ["app/outputs", "state", "home"] {
        let path = cnab.join(dir);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    write_atomically(&cnab.join("app/porter.yaml"), staging.manifest.as_bytes())?;
    write_atomically(&cnab.join("Dockerfile"), staging.dockerfile.as_bytes())?;
    write_atomically(&cnab.join("bundle.json"), staging.bundle_json)?;
    Ok(())
}
