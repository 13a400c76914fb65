//! Where things are in the invocation image.
//!
//! bundle.json names absolute paths under `/cnab` (parameter and output
//! destinations). Tests run the runtime against a temporary directory
//! instead, so every such path goes through [`Layout::host_path`], the one
//! place that maps the image's `/cnab` onto the layout's root.

use std::path::{Path, PathBuf};

pub use crate::cnab::contract::CNAB_ROOT;
use crate::cnab::contract::{BUNDLE_DIR, BUNDLE_JSON, MIXINS_DIR, OUTPUTS_DIR};

/// The runtime's view of the `/cnab` tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// What `/cnab` is: `/cnab` in an image, a temporary directory in tests.
    pub root: PathBuf,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            root: PathBuf::from(CNAB_ROOT),
        }
    }
}

impl Layout {
    /// A layout rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `/cnab/bundle.json`.
    pub fn bundle_json(&self) -> PathBuf {
        self.host_path(BUNDLE_JSON)
    }

    /// `/cnab/app`: the bundle directory and working directory.
    pub fn app_dir(&self) -> PathBuf {
        self.host_path(BUNDLE_DIR)
    }

    /// `/cnab/app/porter.yaml`.
    pub fn manifest(&self) -> PathBuf {
        self.app_dir().join("porter.yaml")
    }

    /// `/cnab/wharf/mixins`: the precompiled mixins and their index,
    /// outside the bundle directory.
    pub fn mixins_dir(&self) -> PathBuf {
        self.host_path(MIXINS_DIR)
    }

    /// `/cnab/app/outputs`: where outputs go by default.
    pub fn outputs_dir(&self) -> PathBuf {
        self.host_path(OUTPUTS_DIR)
    }

    /// `/cnab/app/relocation-mapping.json`, written by CNAB runtimes when a
    /// bundle's images were copied to another registry.
    pub fn relocation_mapping(&self) -> PathBuf {
        self.app_dir().join("relocation-mapping.json")
    }

    /// Maps a path as bundle.json or porter.yaml writes it to this layout:
    /// `/cnab/...` moves under the root, a relative path means the bundle
    /// directory, and any other absolute path is left alone.
    pub fn host_path(&self, image_path: &str) -> PathBuf {
        let path = Path::new(image_path);
        if let Ok(rest) = path.strip_prefix(CNAB_ROOT) {
            return self.root.join(rest);
        }
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.app_dir().join(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnab_paths_move_under_the_root_and_others_stay() {
        let layout = Layout::new("/tmp/x");
        assert_eq!(
            layout.host_path("/cnab/app/outputs/msg"),
            Path::new("/tmp/x/app/outputs/msg")
        );
        assert_eq!(layout.host_path("/cnab"), Path::new("/tmp/x"));
        assert_eq!(layout.host_path("/cnabby/a"), Path::new("/cnabby/a"));
        assert_eq!(
            layout.host_path("/home/x/.kube"),
            Path::new("/home/x/.kube")
        );
        assert_eq!(layout.host_path("out/f"), Path::new("/tmp/x/app/out/f"));
        let image = Layout::default();
        assert_eq!(
            image.host_path("/cnab/state/s.tgz"),
            Path::new("/cnab/state/s.tgz")
        );
    }
}
