//! Host bindings for the `wharf:mixin` worlds, generated from `wit/`: one
//! module per version the host speaks. Their imports have different names
//! (`wharf:mixin/host@0.1.0`, `...@0.2.0`), so one linker serves both.

/// The bindings of `wharf:mixin@0.2.0`, the current world.
pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../wit/0.2.0",
        world: "mixin",
        // `log` may trap: a mixin flooding it past its output limit is
        // stopped there, as one writing too much to stdout is.
        imports: { default: async, "wharf:mixin/host.log": async | trappable },
        exports: { default: async },
    });
}

/// The bindings of `wharf:mixin@0.1.0`, served through an adapter
/// ([`super::world`]).
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "mixin",
        imports: { default: async, "wharf:mixin/host.log": async | trappable },
        exports: { default: async },
    });
}

/// The version of `wharf:mixin` new mixins are built against.
pub const WORLD_VERSION: &str = "0.2.0";

/// The first version, still served through the adapter.
pub const WORLD_VERSION_0_1: &str = "0.1.0";

/// Every version of `wharf:mixin` this host loads, newest first.
pub const WORLD_VERSIONS: &[&str] = &[WORLD_VERSION, WORLD_VERSION_0_1];

/// The versions this host speaks, for error messages.
pub const SUPPORTED_WORLDS: &str = "0.2.0 and 0.1.0";

/// The package name without version, as it appears in import and export
/// names (`wharf:mixin/api@0.2.0`).
pub const WORLD_PACKAGE: &str = "wharf:mixin";
