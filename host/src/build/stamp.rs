//! The up-to-date stamp: a digest of everything a build reads.
//!
//! A second `wharf build` with nothing changed must not touch Docker at all.
//! The stamp hashes every input (the bundle's files, the mixins' components,
//! the runtime, Wharf's version and the build options) and is stored with
//! the result in `.cnab/stamp.json`; a build whose inputs hash the same
//! reuses that result without connecting to Docker.

use std::path::{Path, PathBuf};

use crate::digest::{Digest, DigestHasher};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// A running digest of build inputs.
#[derive(Default)]
pub struct InputDigest(DigestHasher);

impl InputDigest {
    /// Adds a labelled value; labels keep `a`+`bc` apart from `ab`+`c`.
    pub fn add(&mut self, label: &str, bytes: &[u8]) {
        self.0.update((label.len() as u64).to_le_bytes());
        self.0.update(label.as_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    /// Adds a file's path, mode and contents.
    pub fn add_file(&mut self, root: &Path, rel: &Path) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let path = root.join(rel);
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        self.add("path", rel.as_os_str().as_encoded_bytes());
        self.add("mode", &meta.permissions().mode().to_le_bytes());
        if meta.is_file() {
            let mut file = std::fs::File::open(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut hasher = Digest::hasher();
            std::io::copy(&mut file, &mut hasher)
                .with_context(|| format!("cannot read {}", path.display()))?;
            self.add("contents", hasher.finish().as_bytes());
        } else if meta.is_symlink() {
            self.add(
                "link",
                std::fs::read_link(&path)?.as_os_str().as_encoded_bytes(),
            );
        }
        Ok(())
    }

    /// The digest of everything added.
    pub fn finish(self) -> Digest {
        self.0.finish()
    }
}

/// What a finished build recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildStamp {
    /// The input digest the build was made from.
    pub inputs: Digest,
    /// The invocation image reference.
    pub image: String,
    /// The image's ID.
    pub image_id: String,
}

/// Where the stamp lives.
pub fn stamp_path(bundle_dir: &Path) -> PathBuf {
    bundle_dir.join(".cnab").join("stamp.json")
}

/// The stamp of the last build, if it is readable.
pub fn read_stamp(bundle_dir: &Path) -> Option<BuildStamp> {
    let text = std::fs::read_to_string(stamp_path(bundle_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Records a finished build.
pub fn write_stamp(bundle_dir: &Path, stamp: &BuildStamp) -> Result<()> {
    let path = stamp_path(bundle_dir);
    crate::fs_atomic::write_atomically(&path, &serde_json::to_vec_pretty(stamp)?)?;
    Ok(())
}
