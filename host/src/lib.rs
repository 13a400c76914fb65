//! Wharf: Cloud Native Application Bundles with WebAssembly mixins.
//!
//! The `wharf` binary is a thin shell over this library. Data flows one way:
//! manifest → plan → mixins → Dockerfile and bundle.json → image → run →
//! records. This crate is organised by those domain concepts; today it holds
//! the mixin host and Wharf's home directory.

pub mod build;
pub mod cnab;
pub mod drivers;
pub mod home;
pub mod manifest;
pub mod mixin;
#[cfg(feature = "cli")]
pub mod oci;
#[cfg(feature = "cli")]
pub mod operation;
pub mod progress;
pub mod runtime;
pub mod secrets;
pub mod sets;
#[cfg(feature = "cli")]
pub mod store;
#[cfg(all(test, feature = "cli"))]
mod test_logs;
pub mod text;

/// Wharf's version, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
