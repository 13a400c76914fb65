//! Builds the exec mixin for wasm32-wasip2 and hands it to the `wharf`
//! crate to embed, so a fresh `wharf` has exec with no network and no
//! install step, as Porter users expect.
//!
//! The guest is built by a nested cargo with its own target directory
//! (`target/guests`), the way wasmtime builds its test programs: sharing the
//! outer target directory would wait on the outer build's lock forever.
//! Set `WHARF_EXEC_WASM` to a prebuilt component to skip the nested build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ sits in the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    println!("cargo:rerun-if-env-changed=WHARF_EXEC_WASM");
    // The runtime (built without the compiler) embeds no mixin.
    if env::var_os("CARGO_FEATURE_COMPILER").is_none() {
        return;
    }
    for watched in ["mixins/exec", "mixin-sdk", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let wasm = match env::var_os("WHARF_EXEC_WASM") {
        Some(path) => PathBuf::from(path),
        None => build_guest(&root, "exec"),
    };
    let embedded = out_dir.join("exec.wasm");
    std::fs::copy(&wasm, &embedded)
        .unwrap_or_else(|e| panic!("cannot copy the exec mixin from {}: {e}", wasm.display()));
}

/// Builds one guest crate of the workspace with the `guest` profile (see
/// the workspace's Cargo.toml) and returns the
/// path of its component.
fn build_guest(root: &Path, package: &str) -> PathBuf {
    let target_dir = root.join("target").join("guests");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--profile",
            "guest",
            "--target",
            "wasm32-wasip2",
            "--package",
            package,
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags and wrappers (clippy, coverage) are for the
    // host target; they must not leak into the guest build.
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot start cargo to build the {package} mixin: {e}"));
    if !status.success() {
        panic!(
            "building the {package} mixin for wasm32-wasip2 failed (see above); \
             if the target is missing, run `rustup target add wasm32-wasip2`"
        );
    }
    target_dir
        .join("wasm32-wasip2")
        .join("guest")
        .join(format!("{}.wasm", package.replace('-', "_")))
}
