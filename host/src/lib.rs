//! Wharf: Cloud Native Application Bundles with WebAssembly mixins.
//!
//! The `wharf` binary is a thin shell over this library. Data flows one way:
//! manifest → plan → mixins → Dockerfile and bundle.json → image → run →
//! records, and the crate is organised by those domain concepts:
//! [`manifest`] (porter.yaml), [`pins`] (mixins pinned in `wharf.lock`),
//! [`mixin`] (the sandboxed host), [`build`] (plan, then execute),
//! [`cnab`] (bundle.json and the contract it carries), [`oci`]
//! (registries), [`operation`] and [`drivers`] (running a bundle),
//! [`runtime`] (inside the image), [`store`], [`sets`] and [`secrets`]
//! (records and inputs), with [`explain`], [`scaffold`] and [`home`] beside
//! them.

pub mod beneath;
pub mod build;
pub mod cnab;
pub mod dependencies;
pub mod digest;
pub mod drivers;
pub mod explain;
pub mod fs_atomic;
pub mod home;
pub mod lexical;
pub mod manifest;
pub mod mixin;
#[cfg(feature = "cli")]
pub mod oci;
#[cfg(feature = "cli")]
pub mod operation;
pub mod path_lookup;
#[cfg(feature = "cli")]
pub mod pins;
pub mod progress;
pub mod runtime;
pub mod scaffold;
pub mod secrets;
pub mod sets;
#[cfg(feature = "cli")]
pub mod store;
#[cfg(all(test, feature = "cli"))]
mod test_logs;
pub mod text;
pub mod time;

/// Wharf's version, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
