//! `WHARF_HOME`: where Wharf keeps its state on this machine.
//!
//! [`WharfHome`] is the one place that knows this layout: every module asks
//! it for a location instead of joining paths onto the root, so the layout
//! can be read (and changed) here.
//!
//! ```text
//! $WHARF_HOME (default ~/.wharf)
//! ├── config.json                      settings (WharfConfig); optional
//! ├── mixins/<name>/mixin.wasm         installed mixins, one directory each
//! ├── mixins/<name>/installed.json     where it came from, its digest, metadata
//! ├── cache/compiled/                  compiled components, by digest + engine
//! ├── cache/blobs/sha256/<hex>         pulled OCI blobs and manifests, verified
//! ├── cache/bundles/<hex>/             pulled bundles by index digest: bundle.json,
//! │                                    relocation-mapping.json
//! ├── parameter-sets/<namespace>/<name>.json    stored parameter sets
//! ├── credential-sets/<namespace>/<name>.json   stored credential sets
//! ├── secrets/<id>                     sensitive values of runs (0600, dir 0700)
//! ├── secrets/named/<key>              what a set's `secret: KEY` reads
//! ├── wharf.db (+ -wal, -shm)          installation records (SQLite)
//! └── locks/<run id>.lock              held while a run is running
//! ```
//!
//! The built-in exec mixin lives inside the `wharf` binary and needs no
//! directory; installing a mixin named `exec` overrides it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

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

    /// The settings file, `config.json`; it need not exist.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("config.json")
    }

    /// The settings in [`config_file`](Self::config_file); the defaults when
    /// there is none. Keys Wharf does not know are ignored, so a file shared
    /// with a newer Wharf still reads.
    pub fn config(&self) -> Result<WharfConfig, ConfigError> {
        let path = self.config_file();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WharfConfig::default());
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        serde_json::from_slice(&bytes).map_err(|source| ConfigError::Invalid { path, source })
    }

    /// Installed mixins, one subdirectory each.
    pub fn mixins_dir(&self) -> PathBuf {
        self.root.join("mixins")
    }

    /// The directory of the installed mixin `name` (a name already checked
    /// to be one safe path component).
    pub fn mixin_dir(&self, name: &str) -> PathBuf {
        self.mixins_dir().join(name)
    }

    /// The compiled-component cache.
    pub fn compiled_cache_dir(&self) -> PathBuf {
        self.cache_dir().join("compiled")
    }

    /// The content-addressed cache of pulled OCI blobs and manifests: one
    /// file per sha256 digest, named by its hex.
    pub fn blob_cache_dir(&self) -> PathBuf {
        self.cache_dir().join("blobs").join("sha256")
    }

    /// Pulled bundles, one directory per index digest.
    pub fn bundle_cache_dir(&self) -> PathBuf {
        self.cache_dir().join("bundles")
    }

    /// Stored parameter sets, one directory per namespace.
    pub fn parameter_sets_dir(&self) -> PathBuf {
        self.root.join("parameter-sets")
    }

    /// Stored credential sets, one directory per namespace.
    pub fn credential_sets_dir(&self) -> PathBuf {
        self.root.join("credential-sets")
    }

    /// The local secret store: sensitive values of runs, by random id.
    pub fn secrets_dir(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// Named secrets, what a set's `secret: KEY` source reads.
    pub fn named_secrets_dir(&self) -> PathBuf {
        self.secrets_dir().join("named")
    }

    /// The SQLite database of installation records.
    pub fn database_file(&self) -> PathBuf {
        self.root.join("wharf.db")
    }

    /// Where running runs keep their locks.
    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }

    fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }
}

/// Wharf's settings, `$WHARF_HOME/config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WharfConfig {
    mixin_namespace: Option<String>,
}

impl WharfConfig {
    /// `mixinNamespace`: where `wharf mixins install NAME` looks for
    /// official mixins, without a trailing `/`; `None` when unset or blank.
    pub fn mixin_namespace(&self) -> Option<&str> {
        let namespace = self.mixin_namespace.as_deref()?.trim();
        (!namespace.is_empty()).then(|| namespace.trim_end_matches('/'))
    }
}

/// Why the settings file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It exists but cannot be read.
    #[error("cannot read {}: {source}; check its permissions", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// It is not a JSON object of Wharf's settings.
    #[error(
        "{} is not a valid Wharf config file: {source}; it must be a JSON object such as \
         {{\"mixinNamespace\": \"ghcr.io/wharf-sh/mixins\"}}: fix it or remove it",
        path.display()
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: serde_json::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, WharfHome) {
        let dir = tempfile::tempdir().unwrap();
        let home = WharfHome::new(dir.path());
        (dir, home)
    }

    #[test]
    fn every_location_is_under_the_root_and_distinct() {
        let (dir, home) = home();
        let locations = [
            home.config_file(),
            home.mixins_dir(),
            home.mixin_dir("exec"),
            home.compiled_cache_dir(),
            home.blob_cache_dir(),
            home.bundle_cache_dir(),
            home.parameter_sets_dir(),
            home.credential_sets_dir(),
            home.secrets_dir(),
            home.named_secrets_dir(),
            home.database_file(),
            home.locks_dir(),
        ];
        for (i, location) in locations.iter().enumerate() {
            assert!(location.starts_with(dir.path()), "{}", location.display());
            assert!(
                !locations[..i].contains(location),
                "{} twice",
                location.display()
            );
        }
        // The layout other Wharf versions and Porter users rely on.
        assert_eq!(home.blob_cache_dir(), dir.path().join("cache/blobs/sha256"));
        assert_eq!(home.named_secrets_dir(), dir.path().join("secrets/named"));
        assert_eq!(home.database_file(), dir.path().join("wharf.db"));
    }

    #[test]
    fn a_missing_config_file_means_the_defaults() {
        let (_dir, home) = home();
        assert_eq!(home.config().unwrap(), WharfConfig::default());
        assert_eq!(home.config().unwrap().mixin_namespace(), None);
    }

    #[test]
    fn the_config_file_is_read_and_unknown_keys_are_ignored() {
        let (_dir, home) = home();
        std::fs::write(
            home.config_file(),
            r#"{"mixinNamespace": " registry.lan/mixins/ ", "somethingNewer": [1, 2]}"#,
        )
        .unwrap();
        let config = home.config().unwrap();
        assert_eq!(config.mixin_namespace(), Some("registry.lan/mixins"));

        std::fs::write(home.config_file(), r#"{"mixinNamespace": "  "}"#).unwrap();
        assert_eq!(home.config().unwrap().mixin_namespace(), None);
    }

    #[test]
    fn a_broken_config_file_is_an_error_naming_it() {
        let (_dir, home) = home();
        for broken in ["{broken", r#"{"mixinNamespace": 42}"#, "[]"] {
            std::fs::write(home.config_file(), broken).unwrap();
            let err = home.config().unwrap_err();
            assert!(
                matches!(err, ConfigError::Invalid { .. }),
                "{broken}: {err}"
            );
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("{} is not a valid", home.config_file().display())),
                "{message}"
            );
        }
    }
}
