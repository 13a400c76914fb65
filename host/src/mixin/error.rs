//! What can go wrong with a mixin, split by who has to act.
//!
//! The four cases the user must tell apart are separate variants: the mixin
//! reported a failure ([`MixinError::Failed`]), it trapped
//! ([`MixinError::Trapped`], with a [`TrapReason`]), it was built for another
//! world ([`MixinError::IncompatibleWorld`]), or the file is no component at
//! all ([`MixinError::NotAComponent`]). A sandbox refusal that the mixin
//! passed on is [`MixinError::Denied`], so the fix (declare the program, or
//! move the work out of `build`) is named.

use std::path::PathBuf;
use std::time::Duration;

use crate::digest::Digest;

/// An error from loading or calling a mixin.
#[derive(Debug, thiserror::Error)]
pub enum MixinError {
    /// The mixin returned an error on purpose; its message says why.
    #[error("the {mixin} mixin failed: {message}")]
    Failed {
        /// The mixin's name.
        mixin: String,
        /// The mixin's own message.
        message: String,
    },

    /// The mixin asked for something its capabilities do not include.
    #[error("the {mixin} mixin was stopped by the sandbox: {detail}")]
    Denied {
        /// The mixin's name.
        mixin: String,
        /// What it asked for and what to do about it.
        detail: String,
    },

    /// The mixin's code trapped: it ran too long, used too much memory or
    /// output, or panicked.
    #[error("the {mixin} mixin was stopped: {reason}")]
    Trapped {
        /// The mixin's name.
        mixin: String,
        /// Why it was stopped.
        reason: TrapReason,
    },

    /// The component implements another version of the `wharf:mixin` world,
    /// or another world entirely.
    #[error(
        "{origin} was built for {found}, but this Wharf runs mixins built for wharf:mixin \
         {supported}; rebuild the mixin with a mixin-sdk for one of those versions, or use a \
         Wharf that supports its version"
    )]
    IncompatibleWorld {
        /// Where the component came from (a path or a reference).
        origin: String,
        /// The world it implements, as far as it can be told.
        found: String,
        /// The world versions this Wharf implements.
        supported: &'static str,
    },

    /// The bytes are not a WebAssembly component.
    #[error("{origin} is not a WebAssembly component: {detail}")]
    NotAComponent {
        /// Where the bytes came from.
        origin: String,
        /// What they are instead, and how to make a component.
        detail: String,
    },

    /// A precompiled mixin is not the file its image's index records: it
    /// was changed after the build, and is never loaded.
    #[error(
        "{origin} is not the precompiled mixin this bundle was built with: its digest is \
         {found}, and the image's mixin index records {expected}; it was changed after the \
         build, so it is not loaded: rebuild the bundle (`wharf build --no-cache`)"
    )]
    Tampered {
        /// The file.
        origin: String,
        /// The digest the index records.
        expected: Digest,
        /// The file's digest.
        found: Digest,
    },

    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Wharf itself failed while hosting the mixin (an engine or WASI setup
    /// error, not the mixin's fault).
    #[error("could not host the {mixin} mixin: {detail}")]
    Host {
        /// The mixin's name, or its origin before it has one.
        mixin: String,
        /// What failed.
        detail: String,
    },
}

/// Why the host stopped a mixin's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrapReason {
    /// The call ran past its deadline.
    #[error(
        "it ran longer than its limit of {0:?} and was stopped; the limits are fixed (30 s for \
         metadata, schema, build and lint, 1 h for execute): a mixin that needs longer is stuck \
         or should split its work into steps"
    )]
    Timeout(Duration),
    /// The instance tried to grow its memory past the cap.
    #[error("it tried to use {requested} bytes of memory, over its limit of {limit} bytes")]
    MemoryLimit {
        /// The cap in bytes.
        limit: u64,
        /// What the mixin asked to grow to.
        requested: u64,
    },
    /// The mixin wrote more to its own stdout and stderr than the host keeps.
    #[error("it wrote more than its output limit of {0} bytes")]
    OutputLimit(u64),
    /// The mixin panicked; the message is the panic's, if it printed one.
    #[error("it panicked: {0}")]
    Panic(String),
    /// Any other trap, with wasmtime's description.
    #[error("it trapped: {0}")]
    Other(String),
}

impl MixinError {
    /// Which case this is, in a word or two, for diagnostics that must not
    /// quote the mixin's own message (it may repeat a step's values).
    pub fn kind(&self) -> &'static str {
        match self {
            MixinError::Failed { .. } => "failed",
            MixinError::Denied { .. } => "denied",
            MixinError::Trapped { reason, .. } => match reason {
                TrapReason::Timeout(_) => "trapped: timeout",
                TrapReason::MemoryLimit { .. } => "trapped: memory limit",
                TrapReason::OutputLimit(_) => "trapped: output limit",
                TrapReason::Panic(_) => "trapped: panic",
                TrapReason::Other(_) => "trapped",
            },
            MixinError::IncompatibleWorld { .. } => "incompatible world",
            MixinError::NotAComponent { .. } => "not a component",
            MixinError::Tampered { .. } => "tampered",
            MixinError::Io { .. } => "io",
            MixinError::Host { .. } => "host error",
        }
    }

    /// The mixin (or origin) the error is about.
    pub fn mixin(&self) -> &str {
        match self {
            MixinError::Failed { mixin, .. }
            | MixinError::Denied { mixin, .. }
            | MixinError::Trapped { mixin, .. }
            | MixinError::Host { mixin, .. } => mixin,
            MixinError::IncompatibleWorld { origin, .. }
            | MixinError::NotAComponent { origin, .. }
            | MixinError::Tampered { origin, .. } => origin,
            MixinError::Io { .. } => "",
        }
    }
}
