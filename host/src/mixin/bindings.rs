//! Host bindings for the `wharf:mixin` world, generated from `wit/`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "mixin",
    // `log` may trap: a mixin flooding it past its output limit is stopped
    // there, as one writing too much to stdout is.
    imports: { default: async, "wharf:mixin/host.log": async | trappable },
    exports: { default: async },
});

/// The version of `wharf:mixin` this host implements.
pub const WORLD_VERSION: &str = "0.1.0";

/// The package name without version, as it appears in import and export
/// names (`wharf:mixin/api@0.1.0`).
pub const WORLD_PACKAGE: &str = "wharf:mixin";
