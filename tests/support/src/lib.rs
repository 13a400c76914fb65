//! Helpers shared by Wharf's host tests and end-to-end tests.
//!
//! Test-only mixins live in `tests/mixins/` and are never shipped. They are
//! built here on first use, for wasm32-wasip2, into `target/guests` (the
//! same directory `scripts/test` and the host's build script use), so a plain
//! `cargo test` works as well as the full test script.

pub mod cli;
pub mod docker;
pub mod docker_bridge;
pub mod docker_proxy;
pub mod fault_proxy;
pub mod file_server;
pub mod registry;
pub mod runtime;
pub mod wat_guest;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support sits two levels below the workspace root")
        .to_path_buf()
}

/// Where guest components are built.
pub fn guests_target_dir() -> PathBuf {
    workspace_root().join("target").join("guests")
}

/// Runs a nested `cargo build` with `args` into `target_dir`, one at a
/// time per process, with the outer build's flags and wrappers removed
/// (they are for the host target). Panics with `hint` if it fails: a test
/// that needs the artifact cannot run without it, and must not pass by
/// skipping.
pub fn nested_cargo_build(args: &[&str], target_dir: &Path, hint: &str) {
    static BUILD_LOCK: Mutex<()> = Mutex::new(());
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(workspace_root())
        .arg("build")
        .args(args)
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}; {hint}"));
    assert!(
        status.success(),
        "the nested cargo build {args:?} failed; {hint}"
    );
}

/// Builds (if needed) the guest crate `package` and returns its component.
pub fn guest_wasm(package: &str) -> PathBuf {
    let target_dir = guests_target_dir();
    nested_cargo_build(
        &[
            "--quiet",
            "--profile",
            "guest",
            "--target",
            "wasm32-wasip2",
            "--package",
            package,
        ],
        &target_dir,
        "run `rustup target add wasm32-wasip2`",
    );
    let path = target_dir
        .join("wasm32-wasip2")
        .join("guest")
        .join(format!("{}.wasm", package.replace('-', "_")));
    assert!(
        path.exists(),
        "cargo built {package} but {} is missing",
        path.display()
    );
    path
}

/// A scratch directory that is removed when dropped.
pub fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wharf-test-")
        .tempdir()
        .expect("cannot create a temporary directory")
}
