//! The on-disk framing of compiled components, shared by the compiled cache
//! and by bundles' precompiled mixins.
//!
//! Loading compiled code is `unsafe` in wasmtime because it trusts the
//! bytes, so every compiled component Wharf stores starts with the sha256
//! of the bytes that follow. A file whose checksum does not match (torn,
//! truncated or tampered with) is never handed to wasmtime.

use crate::digest::Digest;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Already loaded in this process.
    InMemory,
    /// Loaded from the on-disk cache; nothing was compiled.
    Cached,
    /// Not cached yet: compiled, then cached.
    Compiled,
    /// A cache entry existed but could not be used; compiled again and
    /// replaced.
    Recompiled,
    /// Loaded from a file precompiled at build time (the in-image runtime).
    Precompiled,
}

/// Frames compiled bytes as stored on disk: their sha256, then the bytes.
#[cfg_attr(not(feature = "compiler"), allow(dead_code))]
pub(crate) fn frame(compiled: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(32 + compiled.len());
    framed.extend_from_slice(Digest::of(compiled).as_bytes());
    framed.extend_from_slice(compiled);
    framed
}

/// The compiled bytes of a framed entry, if its checksum holds.
pub(crate) fn unframe(framed: &[u8]) -> Option<&[u8]> {
    let (sum, compiled) = framed.split_at_checked(32)?;
    (Digest::of(compiled).as_bytes() == sum).then_some(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_detects_any_change() {
        let framed = frame(b"compiled code");
        assert_eq!(unframe(&framed), Some(&b"compiled code"[..]));
        let mut torn = framed.clone();
        torn.truncate(framed.len() - 1);
        assert_eq!(unframe(&torn), None);
        let mut flipped = framed;
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(unframe(&flipped), None);
        assert_eq!(unframe(b"short"), None);
    }
}
