//! Guest bindings for the `wharf:mixin@0.2.0` world, generated from
//! `wit/0.2.0`.
//!
//! Mixin authors rarely touch these directly: [`crate::Mixin`] and
//! [`crate::export_mixin!`] wrap them in typed Rust. They are public so that
//! an author who needs the raw interface still has it.

wit_bindgen::generate!({
    path: "../wit/0.2.0",
    world: "mixin",
    pub_export_macro: true,
    export_macro_name: "__export_wharf_mixin_world",
    default_bindings_module: "mixin_sdk::bindings",
});

/// The version of the `wharf:mixin` WIT package these bindings were generated
/// from. Reported in every mixin's metadata so the host can name mismatches.
pub const WORLD_VERSION: &str = "0.2.0";
