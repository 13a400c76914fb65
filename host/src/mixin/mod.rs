//! Hosting mixins: WebAssembly components of the `wharf:mixin` world.
//!
//! - [`MixinHost`] owns the one engine and linker of the process and loads
//!   components, through the compiled cache on disk.
//! - [`LoadedMixin`] is one component, pre-instantiated; each call gets a
//!   fresh store with the capabilities and [`Limits`] of its kind.
//! - [`MixinError`] says which of the failure cases happened.
//!
//! Capabilities, deny by default: `metadata`, `schema`, `build` and `lint`
//! get no commands, no environment, no network and at most a read-only
//! bundle directory. `execute` gets the programs the mixin declared, the
//! bundle directory, and exactly the environment the caller grants.

mod bindings;
#[cfg(feature = "compiler")]
mod cache;
mod call_state;
#[cfg(feature = "compiler")]
mod component_file;
pub mod component_header;
mod error;
mod framing;
mod guest_stdio;
mod hijack_env;
mod host;
#[cfg(feature = "compiler")]
mod installed;
mod limits;
mod loaded;
mod policy;
mod pure_clock;
mod run_command;
mod schema_document;
mod sink;
mod types;
mod world;

pub use bindings::{SUPPORTED_WORLDS, WORLD_VERSION, WORLD_VERSIONS};
#[cfg(feature = "compiler")]
pub use component_file::{MAX_COMPONENT_BYTES, read_component_file};
pub use error::{MixinError, TrapReason};
pub use framing::CacheOutcome;
pub use host::{HostConfig, MixinHost, engine_config};
#[cfg(feature = "compiler")]
pub use installed::{BUILTIN, BUILTIN_EXEC, Catalog, MixinRecord, ResolvedMixin, builtin};
pub use limits::{CallLimits, Limits};
pub use loaded::LoadedMixin;
pub use policy::{ANY_PROGRAM, DEFAULT_PATH, ExecuteGrant};
pub use sink::{LogLevel, MemorySink, MemorySinkData, OutputSink, Stream, TerminalSink};
pub use types::{
    ActionSteps, BuildInput, Checksum, ClientDownload, Contribution, EnvVar, FileWrite, Finding,
    Level, Location, Metadata, StepOutput, StepResult,
};
