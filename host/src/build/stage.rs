//! The `.cnab/` staging folder: what `COPY .cnab /cnab` puts in the image.
//!
//! ```text
//! .cnab/
//! ├── app/run                    the static runtime (/cnab/app/run, the CMD)
//! ├── app/porter.yaml            the manifest, exactly as written
//! ├── app/outputs/               where the runtime writes outputs
//! ├── wharf/mixins/index.json    each mixin's name, version, programs and digests
//! ├── wharf/mixins/<name>.cwasm  each mixin precompiled for the image's engine
//! ├── state/                     where the state bag parameter is written
//! ├── home/                      the nonroot user's home
//! ├── bundle.json
//! ├── Dockerfile
//! └── stamp.json                 the inputs of the last build (not in the image's use)
//! ```
//!
//! `app/`, `state/` and `home/` belong to the bundle's user in the image;
//! `wharf/` and `bundle.json` belong to root and are read-only there (see
//! [`READ_ONLY`]), because the precompiled mixins are native code the
//! runtime trusts once their digests match the index.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::cnab::contract::{CNAB_ROOT, MIXIN_INDEX, MIXINS_DIR};
use crate::digest::Digest;
use crate::fs_atomic::{WriteOptions, write_atomically, write_atomically_with};

/// What the image holds as root's, read-only: in the build context these
/// get mode 0555 (directories) and 0444 (files), and Wharf's tail copies them
/// without `--chown`.
pub const READ_ONLY: &[&str] = &[".cnab/wharf", ".cnab/bundle.json"];

/// The mixins' directory in `.cnab/`, as [`MIXINS_DIR`] is in the image.
pub fn staged_mixins_dir() -> PathBuf {
    let rel = MIXINS_DIR.strip_prefix(CNAB_ROOT).unwrap_or(MIXINS_DIR);
    Path::new(".cnab").join(rel.trim_start_matches('/'))
}

/// One entry of the mixin index ([`MIXIN_INDEX`]).
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
    let mixins_dir = bundle_dir.join(staged_mixins_dir());
    for dir in ["app/outputs", "state", "home"] {
        let path = cnab.join(dir);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    std::fs::create_dir_all(&mixins_dir)
        .with_context(|| format!("cannot create {}", mixins_dir.display()))?;
    let run = cnab.join("app/run");
    write_atomically_with(&run, staging.runtime, WriteOptions::new().mode(0o755))?;
    write_atomically(&cnab.join("app/porter.yaml"), staging.manifest.as_bytes())?;
    let index: Vec<&StagedMixin> = staging.mixins.iter().map(|(m, _)| m).collect();
    for (mixin, bytes) in &staging.mixins {
        write_atomically(&mixins_dir.join(&mixin.file), bytes)?;
    }
    write_atomically(
        &mixins_dir.join(MIXIN_INDEX),
        &serde_json::to_vec_pretty(&index)?,
    )?;
    write_atomically(&cnab.join("Dockerfile"), staging.dockerfile.as_bytes())?;
    write_atomically(&cnab.join("bundle.json"), staging.bundle_json)?;
    Ok(())
}
