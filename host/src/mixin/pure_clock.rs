//! A fixed clock and seeded randomness for pure calls.
//!
//! `metadata`, `schema`, `build` and `lint` are pure: their answers are
//! pinned (a mixin's programs go into `wharf.lock` and the image's index)
//! and make the image (its Dockerfile lines). An answer that changed with
//! the time or a random number could say one thing when a bundle is
//! reviewed and built and another when it runs, and a build would not be
//! reproducible. So these calls see the Unix epoch on both clocks and a
//! fixed byte cycle as randomness, secure or not: the same input always
//! gets the same answer. `execute` gets the real ones: it runs real tools.
//!
//! Sleeping still works (wasmtime-wasi times a sleep with the host's timer),
//! and a call that waits for time to pass is stopped by its deadline.

use std::time::Duration;

use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, WasiCtxBuilder};

/// The bytes pure calls get as randomness, over and over.
const SEED: &[u8] = b"wharf: pure calls are deterministic";

/// Both clocks, stopped at zero.
struct Stopped;

impl HostWallClock for Stopped {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for Stopped {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

/// Gives the context being built a fixed clock and seeded randomness.
pub(crate) fn make_deterministic(wasi: &mut WasiCtxBuilder) {
    wasi.wall_clock(Stopped)
        .monotonic_clock(Stopped)
        .secure_random(Deterministic::new(SEED.to_vec()))
        .insecure_random(Deterministic::new(SEED.to_vec()))
        .insecure_random_seed(u128::from_le_bytes(*b"wharf-pure-seed!"));
}
