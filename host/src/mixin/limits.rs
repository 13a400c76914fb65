//! Per-call limits: how long, how much memory, how much output.
//!
//! Every call gets a fresh store, so every limit applies to one call. Pure
//! calls (`metadata`, `schema`, `build`, `lint`) are quick by nature and get
//! tight limits; `execute` drives real deployments and gets generous ones.

use std::time::Duration;

/// The limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Wall-clock time for the whole call, including commands it runs.
    pub timeout: Duration,
    /// The most memory one call may grow to, in bytes: all its linear
    /// memories and tables together.
    pub memory_bytes: u64,
    /// The most output kept: per command for `run-command`'s captured stdout
    /// plus stderr, and per call for the mixin's own stdout, stderr and
    /// `log` lines.
    pub output_bytes: u64,
}

/// The limits for each kind of call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// For `metadata`, `schema`, `build` and `lint`.
    pub pure: CallLimits,
    /// For `execute`.
    pub execute: CallLimits,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            pure: CallLimits {
                timeout: Duration::from_secs(30),
                memory_bytes: 256 * MIB,
                output_bytes: 16 * MIB,
            },
            execute: CallLimits {
                timeout: Duration::from_secs(60 * 60),
                memory_bytes: 1024 * MIB,
                output_bytes: 64 * MIB,
            },
        }
    }
}
