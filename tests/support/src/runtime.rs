//! The static in-image runtime, `wharf-runtime`, built as `wharf build`
//! expects it: for x86_64-unknown-linux-musl, without the `compiler` and
//! `cli` features.
//!
//! It is built on first use into its own target directory
//! (`target/runtime`), so the nested build neither waits on nor invalidates
//! the outer `cargo test`'s artifacts; cargo makes later builds no-ops.

use std::path::PathBuf;

use crate::{nested_cargo_build, workspace_root};

/// The target the runtime is built for.
pub const RUNTIME_TARGET: &str = "x86_64-unknown-linux-musl";

/// Where the runtime is built.
pub fn runtime_target_dir() -> PathBuf {
    workspace_root().join("target").join("runtime")
}

/// Builds (if needed) the static runtime and returns the binary. Panics
/// with cargo's own output if the build fails: a test that needs the
/// runtime cannot run without it, and must not pass by skipping.
pub fn runtime_binary() -> PathBuf {
    let target_dir = runtime_target_dir();
    nested_cargo_build(
        &[
            "--quiet",
            "--profile",
            "runtime",
            "--locked",
            "--target",
            RUNTIME_TARGET,
            "-p",
            "wharf",
            "--bin",
            "wharf-runtime",
            "--no-default-features",
        ],
        &target_dir,
        &format!(
            "run `rustup target add {RUNTIME_TARGET}` and install musl-tools (scripts/setup-machine does both)"
        ),
    );
    let path = target_dir
        .join(RUNTIME_TARGET)
        .join("runtime")
        .join("wharf-runtime");
    assert!(
        path.exists(),
        "cargo built wharf-runtime but {} is missing",
        path.display()
    );
    path
}
