//! Drivers: where an invocation image runs.
//!
//! Running a bundle (recording the run, masking its output, deciding how
//! it ended) is the same whatever runs the image, so `operation::execute`
//! talks to a [`Driver`], as Porter's runtime talks to cnab-go's
//! `driver.Driver`. That is also the seam its tests use: a driver written
//! for the test runs nothing and needs no Docker Engine.
//!
//! - [`docker`]: the default, through the Docker Engine API, as the CNAB
//!   Docker driver does it: create the container, copy parameter and
//!   credential files in, stream the logs, copy `/cnab/app/outputs` out
//!   (on success and on failure, bounded and checked by
//!   [`outputs_archive`]), remove the container.
//! - [`debug`]: prints what would run, and runs nothing.
//!
//! `lookup` finds a driver by the name `-d/--driver` gives.

pub mod debug;
#[cfg(feature = "cli")]
pub mod docker;
#[cfg(feature = "cli")]
pub mod outputs_archive;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use crate::mixin::Stream;

/// A boxed future, so [`Driver`] stays object-safe (`&dyn Driver`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a run's output goes as it arrives: the stream and a chunk that is
/// not necessarily a whole line.
pub type OutputCallback<'a> = &'a mut (dyn FnMut(Stream, &[u8]) + Send);

/// Something that runs invocation images.
pub trait Driver: Send + Sync {
    /// The name `-d/--driver` takes.
    fn name(&self) -> &str;

    /// Whether it can run an invocation image of this `imageType`
    /// (`docker`, `oci`, ...; empty means the spec's default, `oci`).
    fn handles(&self, image_type: &str) -> bool;

    /// Whether it only shows what would run. Nothing happens, so such a
    /// run is not recorded and the bundle's images need not be pulled.
    fn is_dry_run(&self) -> bool {
        false
    }

    /// Runs `invocation` to completion, passing its output to `on_output`
    /// as it arrives. A non-zero exit code is a [`Completed`] run, not an
    /// error; an error means the run could not be carried out. Dropping
    /// the future stops waiting for the run, but may leave the container
    /// behind: see [`remove_container`](Driver::remove_container).
    fn run<'a>(
        &'a self,
        invocation: &'a Invocation,
        on_output: OutputCallback<'a>,
    ) -> BoxFuture<'a, anyhow::Result<Completed>>;

    /// Removes the container named `name`, running or not: the cleanup of
    /// a run whose [`run`](Driver::run) future was dropped (an interrupt).
    /// A container already gone is not an error.
    fn remove_container<'a>(&'a self, name: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

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
    /// Container labels: the run and installation it belongs to, so a
    /// container left by a dead process can be told apart.
    pub labels: Vec<(String, String)>,
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completed {
    /// The container's exit code.
    pub exit_code: i64,
    /// The files found in `/cnab/app/outputs`, by name.
    pub outputs: BTreeMap<String, Vec<u8>>,
}

/// The Docker driver's name, and the default.
pub const DOCKER: &str = "docker";
/// The debug driver's name.
pub const DEBUG: &str = "debug";
/// The drivers [`lookup`] knows, by name.
pub const DRIVER_NAMES: [&str; 2] = [DOCKER, DEBUG];

/// A driver name [`lookup`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("there is no driver named `{name}`; the drivers are {}", DRIVER_NAMES.join(", "))]
pub struct UnknownDriver {
    pub name: String,
}

/// The driver called `name`, ready to run: the Docker driver connects to
/// the Docker Engine here, so an unreachable daemon is reported before a
/// run is recorded.
#[cfg(feature = "cli")]
pub async fn lookup(name: &str) -> anyhow::Result<std::sync::Arc<dyn Driver>> {
    match name {
        DOCKER => Ok(std::sync::Arc::new(docker::DockerDriver::connect().await?)),
        DEBUG => Ok(std::sync::Arc::new(debug::DebugDriver)),
        _ => Err(UnknownDriver {
            name: name.to_string(),
        }
        .into()),
    }
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unknown_driver_is_refused_naming_the_known_ones() {
        let Err(error) = lookup("kubernetes").await else {
            panic!("a driver named kubernetes was found");
        };
        assert_eq!(
            error.downcast_ref::<UnknownDriver>(),
            Some(&UnknownDriver {
                name: "kubernetes".into()
            })
        );
        assert_eq!(
            error.to_string(),
            "there is no driver named `kubernetes`; the drivers are docker, debug"
        );
    }

    #[tokio::test]
    async fn the_debug_driver_is_found_by_its_name() {
        let driver = lookup("debug").await.expect("the debug driver");
        assert_eq!(driver.name(), "debug");
        assert!(driver.is_dry_run());
    }
}
