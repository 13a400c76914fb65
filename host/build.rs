//! Builds the official mixins (exec, terraform, docker, helm3, kubernetes)
//! for wasm32-wasip2 and hands them to the `wharf` crate to embed, so a
//! fresh `wharf` has every official mixin with no network and no install
//! step, as Porter users have the mixins Porter ships.
//!
//! The guests are built by one nested cargo with its own target directory
//! (`target/guests`), the way wasmtime builds its test programs: sharing the
//! outer target directory would wait on the outer build's lock forever.
//! Set `WHARF_BUILTIN_WASM_DIR` to a directory of prebuilt components
//! (`exec.wasm`, `terraform.wasm`, ...) to skip the nested build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The official mixins, by package name; `host/src/mixin/installed.rs`
/// embeds each `<name>.wasm`.
const OFFICIAL: [&str; 5] = ["exec", "terraform", "docker", "helm3", "kubernetes"];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ sits in the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    println!("cargo:rerun-if-env-changed=WHARF_BUILTIN_WASM_DIR");
    // The runtime (built without the compiler) embeds no mixin.
    if env::var_os("CARGO_FEATURE_COMPILER").is_none() {
        return;
    }
    for watched in ["mixins", "mixin-sdk", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let dir = match env::var_os("WHARF_BUILTIN_WASM_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => build_guests(&root, &OFFICIAL),
    };
    for name in OFFICIAL {
        let wasm = dir.join(format!("{name}.wasm"));
        std::fs::copy(&wasm, out_dir.join(format!("{name}.wasm"))).unwrap_or_else(|e| {
            panic!("cannot copy the {name} mixin from {}: {e}", wasm.display())
        });
    }
}

/// Builds guest crates of the workspace with the `guest` profile (see the
/// workspace's Cargo.toml) and returns the directory of their components.
fn build_guests(root: &Path, packages: &[&str]) -> PathBuf {
    let target_dir = root.join("target").join("guests");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--profile", "guest", "--target", "wasm32-wasip2"])
        .args(packages.iter().flat_map(|p| ["--package", p]))
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
        .unwrap_or_else(|e| panic!("cannot start cargo to build the official mixins: {e}"));
    if !status.success() {
        panic!(
            "building the official mixins for wasm32-wasip2 failed (see above); \
             if the target is missing, run `rustup target add wasm32-wasip2`"
        );
    }
    target_dir.join("wasm32-wasip2").join("guest")
}
