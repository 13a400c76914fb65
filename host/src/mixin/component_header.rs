//! Telling a WebAssembly component from other files by its first bytes.
//!
//! A mixin arrives as a file, a registry layer or an embedded blob. Checking
//! the header first gives a person a useful message (a core module needs
//! `wasm32-wasip2`; a shell script is not a mixin) instead of the compiler's,
//! and lets a registry pull refuse a wrong layer before caching it.

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A component of the binary format version wasmtime reads.
    Component,
    /// A core WebAssembly module: built for the wrong target.
    CoreModule,
    /// WebAssembly of a version or layer Wharf does not know.
    UnknownWasm,
    /// Not WebAssembly at all.
    NotWasm,
}

impl Header {
    /// Reads the header of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        match bytes {
            [0, b'a', b's', b'm', 0x0d, 0, 0x01, 0, ..] => Self::Component,
            [0, b'a', b's', b'm', 0x01, 0, 0, 0, ..] => Self::CoreModule,
            [0, b'a', b's', b'm', ..] => Self::UnknownWasm,
            _ => Self::NotWasm,
        }
    }

    /// What is wrong and what to do, for anything but a component.
    pub fn problem(self) -> Option<&'static str> {
        match self {
            Self::Component => None,
            Self::CoreModule => Some(
                "it is a core WebAssembly module, not a component; build the mixin with \
                 `cargo build --target wasm32-wasip2`, which makes components",
            ),
            Self::UnknownWasm => Some("it is WebAssembly of an unknown version or layer"),
            Self::NotWasm => Some(
                "it does not start with the WebAssembly magic bytes; a mixin is the .wasm file \
                 that `cargo build --target wasm32-wasip2` writes",
            ),
        }
    }
}

/// Whether `bytes` start like a component.
pub fn is_component(bytes: &[u8]) -> bool {
    Header::of(bytes) == Header::Component
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_told_apart() {
        assert_eq!(Header::of(b"\0asm\x0d\x00\x01\x00rest"), Header::Component);
        assert_eq!(Header::of(b"\0asm\x01\x00\x00\x00rest"), Header::CoreModule);
        assert_eq!(Header::of(b"\0asm"), Header::UnknownWasm);
        assert_eq!(Header::of(b"#!/bin/sh"), Header::NotWasm);
        assert!(Header::Component.problem().is_none());
        assert!(
            Header::CoreModule
                .problem()
                .unwrap()
                .contains("wasm32-wasip2")
        );
        assert!(is_component(b"\0asm\x0d\x00\x01\x00"));
        assert!(!is_component(b""));
    }
}
