//! The two worlds one host serves: a component is pre-instantiated against
//! the `wharf:mixin` version it exports, and each call instantiates it in
//! that version's bindings. [`super::loaded`] matches on the version and
//! adapts a 0.1.0 component's calls to what 0.2.0 gives: its lines become
//! raw contributions, its outputs a step result without files, and its
//! metadata declares no variables.

use super::bindings::{v0_1, v0_2};
use super::call_state::CallState;

/// A component pre-instantiated against the world version it exports.
#[derive(Clone)]
pub(crate) enum WorldPre {
    /// `wharf:mixin@0.1.0`, adapted call by call in [`super::loaded`].
    V0_1(v0_1::MixinPre<CallState>),
    /// `wharf:mixin@0.2.0`.
    V0_2(v0_2::MixinPre<CallState>),
}

impl WorldPre {
    /// The world version, as the component's metadata must report it.
    pub(crate) fn version(&self) -> &'static str {
        match self {
            WorldPre::V0_1(_) => "0.1.0",
            WorldPre::V0_2(_) => "0.2.0",
        }
    }
}

/// One call's instance of the component.
pub(crate) enum Instance {
    /// A 0.1.0 component.
    V0_1(v0_1::Mixin),
    /// A 0.2.0 component.
    V0_2(v0_2::Mixin),
}

/// A call's result, with the mixin's own failure reduced to its message:
/// both worlds report it the same way.
pub(crate) type Reported<R> = wasmtime::Result<Result<R, String>>;

/// The message of a failure the mixin reported.
pub(crate) fn reported<R, E: Into<String>>(result: wasmtime::Result<Result<R, E>>) -> Reported<R> {
    result.map(|r| r.map_err(Into::into))
}

impl From<v0_1::wharf::mixin::types::MixinError> for String {
    fn from(e: v0_1::wharf::mixin::types::MixinError) -> Self {
        e.message
    }
}

impl From<v0_2::wharf::mixin::types::MixinError> for String {
    fn from(e: v0_2::wharf::mixin::types::MixinError) -> Self {
        e.message
    }
}

/// What `schema` returned, in its world's shape.
pub(crate) enum Schema {
    /// 0.1.0: the whole Porter document, as JSON text.
    Document(String),
    /// 0.2.0: step schemas per action kind and the config schema.
    PerAction(v0_2::wharf::mixin::types::MixinSchema),
}
