//! New projects from templates embedded in the `wharf` binary.
//!
//! - [`bundle`]: `wharf create`, a bundle that builds and lints clean;
//! - [`mixin`]: `wharf mixins create`, a standalone mixin crate with the SDK
//!   and the WIT package vendored in.

pub mod bundle;
#[cfg(feature = "cli")]
pub mod mixin;
