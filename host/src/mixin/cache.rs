//! The on-disk cache of compiled components.
//!
//! Compiling a component with Cranelift costs tens of milliseconds in a
//! release build and about a second in a debug one; loading a compiled one
//! costs well under a millisecond. Entries are keyed by the component's
//! sha256 and the engine's compatibility hash, so a Wharf with another
//! wasmtime or other engine settings never loads an entry it cannot run.
//!
//! Loading compiled code is `unsafe` in wasmtime because it trusts the
//! bytes. Each entry therefore starts with the sha256 of the compiled bytes
//! that follow, and an entry whose hash does not match (a torn or tampered
//! file) is recompiled instead of loaded. Writes are atomic
//! ([`crate::fs_atomic`]), so readers never see half an entry.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::digest::{Digest, DigestHasher};

use super::framing::{CacheOutcome, frame, unframe};
use crate::fs_atomic::{AtomicWriteError, write_atomically};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The compiled-component cache in one directory.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCache {
    dir: PathBuf,
    engine_key: String,
}

impl CompiledCache {
    pub(crate) fn new(dir: PathBuf, engine: &Engine) -> Self {
        Self {
            dir,
            engine_key: engine_key(engine),
        }
    }

    /// The cache file for a component digest.
    pub(crate) fn entry_path(&self, digest: &Digest) -> PathBuf {
        self.dir
            .join(format!("{}-{}.cwasm", digest.hex(), self.engine_key))
    }

    /// The component for `bytes`, from the cache when possible.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        digest: &Digest,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry_path(digest);
        let started = Instant::now();
        let had_entry = path.exists();
        if had_entry && let Some(component) = read_entry(engine, &path) {
            tracing::debug!(
                component = %digest,
                elapsed = ?started.elapsed(),
                "compiled-component cache: hit on disk"
            );
            return Ok((component, CacheOutcome::Cached));
        }
        let compiled = engine.precompile_component(bytes)?;
        // A failure to cache is not a failure to load: the next run compiles
        // again, which is slower but correct.
        let cached = write_entry(&path, &compiled);
        // SAFETY: the bytes were produced just now by this engine.
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        let outcome = if had_entry {
            CacheOutcome::Recompiled
        } else {
            CacheOutcome::Compiled
        };
        let decision = if had_entry {
            "entry unusable, recompiled"
        } else {
            "miss, compiled"
        };
        tracing::debug!(
            component = %digest,
            elapsed = ?started.elapsed(),
            write_error = cached.err().map(tracing::field::display),
            "compiled-component cache: {decision}"
        );
        Ok((component, outcome))
    }
}

impl CompiledCache {
    /// The same cache directory, for the components another engine
    /// compiles (the invocation image's): its entries carry that engine's
    /// key, so the two never mix.
    pub(crate) fn for_engine(&self, engine: &Engine) -> Self {
        Self::new(self.dir.clone(), engine)
    }

    /// The framed compiled bytes of `bytes` for `engine`, the engine this
    /// cache was made for, from the cache when it holds them. This is what
    /// `wharf build` puts in the image: a build with nothing new to compile
    /// compiles nothing. The entry is not deserialized here (the image's
    /// runtime does that); its checksum is checked, and a torn entry is
    /// compiled again.
    pub(crate) fn precompiled(
        &self,
        engine: &Engine,
        digest: &Digest,
        bytes: &[u8],
    ) -> wasmtime::Result<(Vec<u8>, CacheOutcome)> {
        let path = self.entry_path(digest);
        let started = Instant::now();
        let entry = std::fs::read(&path).ok();
        if let Some(framed) = entry.as_ref().filter(|f| unframe(f).is_some()) {
            tracing::debug!(
                component = %digest,
                elapsed = ?started.elapsed(),
                "image precompile cache: hit, nothing to compile"
            );
            return Ok((framed.clone(), CacheOutcome::Cached));
        }
        let framed = frame(&engine.precompile_component(bytes)?);
        let cached = write_atomically(&path, &framed);
        tracing::debug!(
            component = %digest,
            elapsed = ?started.elapsed(),
            write_error = cached.err().map(tracing::field::display),
            "image precompile cache: {}",
            if entry.is_some() { "entry unusable, recompiled" } else { "miss, compiled" }
        );
        let outcome = if entry.is_some() {
            CacheOutcome::Recompiled
        } else {
            CacheOutcome::Compiled
        };
        Ok((framed, outcome))
    }
}

/// A short, stable key for everything that makes compiled code compatible
/// with an engine: wasmtime's version, the target, and the settings.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = StableHasher::default();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.finish().hex()[..16].to_string()
}

/// Feeds `std::hash::Hash` into sha256, which, unlike `DefaultHasher`, is
/// stable across Rust releases.
#[derive(Default)]
struct StableHasher(DigestHasher);

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finish();
        let mut first = [0; 8];
        first.copy_from_slice(&digest.as_bytes()[..8]);
        u64::from_le_bytes(first)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Loads a framed entry; `None` if it is missing, torn, tampered with, or
/// refused by the engine.
pub(crate) fn read_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let framed = std::fs::read(path).ok()?;
    let compiled = unframe(&framed)?;
    // SAFETY: the checksum proves these are the bytes this cache wrote after
    // compiling them with an engine of the same compatibility key; wasmtime
    // also checks the key and the format before using them.
    unsafe { Component::deserialize(engine, compiled) }.ok()
}

/// Writes a framed entry atomically; creates the cache directory.
pub(crate) fn write_entry(path: &Path, compiled: &[u8]) -> Result<(), AtomicWriteError> {
    write_atomically(path, &frame(compiled))
}
