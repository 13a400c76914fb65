//! `WHARF_HOME`: where Wharf keeps its state on this machine.
//!
//! ```text
//! $WHARF_HOME (default ~/.wharf)
//! ├── mixins/<name>/mixin.wasm      installed mixins, one directory each
//! ├── mixins/<name>/installed.json  where it came from, its digest, metadata
//! └── cache/compiled/               compiled components, by digest + engine
//! ```
//!
//! The built-in exec mixin lives inside the `wharf` binary and needs no
//! directory; installing a mixin named `exec` overrides it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The environment variable that moves Wharf's home.
pub const WHARF_HOME_ENV: &str = "WHARF_HOME";

/// The layout of one Wharf home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WharfHome {
    root: PathBuf,
}

impl WharfHome {
    /// A home at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$WHARF_HOME`, or `~/.wharf`.
    pub fn from_env() -> Result<Self> {
        if let Some(root) = std::env::var_os(WHARF_HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::new(root));
        }
        let home = std::env::home_dir().context(
            "cannot find your home directory; set WHARF_HOME to where Wharf should keep its state",
        )?;
        Ok(Self::new(home.join(".wharf")))
    }

    /// The home directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Installed mixins, one subdirectory each.
    pub fn mixins_dir(&self) -> PathBuf {
        self.root.join("mixins")
    }

    /// The compiled-component cache.
    pub fn compiled_cache_dir(&self) -> PathBuf {
        self.root.join("cache").join("compiled")
    }
}
