//! `wharf build`: from a manifest to an invocation image and a bundle.json.
//!
//! A build is two halves:
//!
//! 1. **Plan** ([`inputs`], [`plan`]): gather every input (manifest,
//!    template, runtime, pinned mixins, options, the bundle's files), hash
//!    them, and decide whether anything needs doing. An unchanged bundle
//!    stops here, without touching Docker. Otherwise ask each mixin for its
//!    Dockerfile lines and settle the Dockerfile, image tag, stamp and build
//!    arguments. Nothing is written.
//! 2. **Execute** ([`execute`]): precompile and stage `.cnab/` (runtime,
//!    mixins, manifest, Dockerfile, bundle.json), build the image through
//!    the Docker Engine, and record the result.

#[cfg(feature = "cli")]
pub mod build_secrets;
#[cfg(feature = "cli")]
pub mod buildkit;
pub mod bundle_json;
#[cfg(feature = "cli")]
pub mod context;
#[cfg(feature = "cli")]
pub mod contributions;
mod dependencies_json;
pub mod dockerfile;
#[cfg(feature = "cli")]
pub mod execute;
#[cfg(feature = "cli")]
pub mod frontend;
#[cfg(feature = "cli")]
pub mod image;
#[cfg(feature = "cli")]
pub mod inputs;
#[cfg(feature = "cli")]
pub mod lint;
#[cfg(feature = "cli")]
pub mod mixin_lines;
#[cfg(feature = "cli")]
pub mod pipeline;
#[cfg(feature = "cli")]
pub mod plan;
#[cfg(feature = "cli")]
pub mod porter_rules;
#[cfg(feature = "cli")]
pub mod runtime_binary;
pub mod stage;
#[cfg(feature = "cli")]
pub mod stamp;
#[cfg(feature = "cli")]
pub mod tooling;

#[cfg(feature = "cli")]
pub use build_secrets::BuildSecret;
pub use bundle_json::{Stamp, StampedMixin, bundle_for};
#[cfg(feature = "cli")]
pub use frontend::Builder;
#[cfg(feature = "cli")]
pub use pipeline::{BuildOptions, BuildResult, build};
#[cfg(feature = "cli")]
pub use plan::mixin_input;
