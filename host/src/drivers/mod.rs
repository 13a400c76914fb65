//! Drivers: where an invocation image runs.
//!
//! - [`docker`]: the default, through the Docker Engine API, as the CNAB
//!   Docker driver does it: create the container, copy parameter and
//!   credential files in, stream the logs, copy `/cnab/app/outputs` out
//!   (on success and on failure), remove the container.
//! - [`debug`]: prints what would run, and runs nothing.

pub mod debug;
#[cfg(feature = "cli")]
pub mod docker;

use std::collections::BTreeMap;

/// One run of an invocation image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    /// The invocation image.
    pub image: String,
    /// The container's name, so a run cut short can still find and remove
    /// it; Docker picks one when `None`.
    pub container_name: Option<String>,
    /// Environment variables: the CNAB_* variables, and parameters and
    /// credentials passed by variable.
    pub env: Vec<(String, String)>,
    /// Files to write before the run: absolute path and contents.
    pub files: Vec<(String, Vec<u8>)>,
    /// Mount the Docker socket (the bundle requires docker).
    pub docker_host_access: bool,
    /// Run privileged (the docker extension asks for it).
    pub privileged: bool,
    /// Values never to show: parameter and credential values marked
    /// sensitive. The driver lists them by name only.
    pub sensitive_env: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completed {
    /// The container's exit code.
    pub exit_code: i64,
    /// The files found in `/cnab/app/outputs`, by name.
    pub outputs: BTreeMap<String, Vec<u8>>,
}
