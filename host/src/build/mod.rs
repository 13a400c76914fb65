//! `wharf build`: from a manifest to an invocation image and a bundle.json.
//!
//! The steps, in the order data flows: resolve the mixins, hash every input
//! (an unchanged bundle stops here, without touching Docker), ask each mixin
//! for its Dockerfile lines, stage `.cnab/` (runtime, precompiled mixins,
//! manifest, Dockerfile, bundle.json), build the image through the Docker
//! Engine, and record the result.

pub mod bundle_json;
#[cfg(feature = "cli")]
pub mod context;
pub mod create;
pub mod dockerfile;
pub mod explain;
#[cfg(feature = "cli")]
pub mod image;
#[cfg(feature = "cli")]
pub mod lint;
#[cfg(feature = "cli")]
pub mod lock;
#[cfg(feature = "cli")]
pub mod mixin_pins;
#[cfg(feature = "cli")]
pub mod mixin_scaffold;
#[cfg(feature = "cli")]
pub mod pipeline;
#[cfg(feature = "cli")]
pub mod runtime_binary;
pub mod stage;
#[cfg(feature = "cli")]
pub mod stamp;

pub use bundle_json::{Stamp, StampedMixin, bundle_for};
#[cfg(feature = "cli")]
pub use pipeline::{BuildOptions, BuildResult, build, mixin_input};
