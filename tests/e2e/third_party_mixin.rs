//! A third-party author's whole path, with the `wharf` binary, cargo and
//! crates.io and nothing of Wharf's source: `wharf mixins create`, then
//! `cargo build --target wasm32-wasip2 --release` and `cargo test` in the
//! new crate, `wharf mixins publish` to a real registry, a bundle that pins
//! the published mixin by digest, `wharf build` (the lock pins that digest)
//! and `wharf install`, whose step runs the mixin in the container and
//! returns its output.
//!
//! The crate is created below a directory that is itself a cargo workspace,
//! as in an author's own checkout: the scaffold must stay its own workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

use wharf_test_support::cli::{Wharf, busybox_bundle};
use wharf_test_support::registry::TestRegistry;
use wharf_test_support::{scratch_dir, workspace_root};

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// The scaffold's target directory, shared between runs so only the new
/// crate and its vendored SDK are compiled again, not their dependencies.
fn scaffold_target_dir() -> PathBuf {
    workspace_root().join("target").join("scaffold-target")
}

/// Runs `cargo ARGS` in `dir` as an author would, without the outer
/// build's flags and wrappers (they are for this workspace).
#[track_caller]
fn cargo(dir: &Path, args: &[&str]) {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", scaffold_target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_PRIMARY_PACKAGE")
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        status.success(),
        "`cargo {}` failed in the scaffolded crate {}",
        args.join(" "),
        dir.display()
    );
}

/// A bundle whose every action runs the scaffold's `greet` step; install
/// greets the `name` parameter into the `greeting` output.
const MANIFEST: &str = r#"parameters:
  - name: name
    type: string
    default: world
outputs:
  - name: greeting
    type: string
    applyTo: [install]
install:
  - hello-mixin:
      description: Say hello
      greet:
        name: "${ bundle.parameters.name }"
      outputs:
        - name: greeting
upgrade:
  - hello-mixin:
      description: Say hello again
      greet:
        name: again
uninstall:
  - hello-mixin:
      description: Say goodbye
      greet:
        name: goodbye
"#;

#[test]
fn a_scaffolded_mixin_builds_publishes_pins_and_runs() {
    // Created inside another workspace, as in an author's checkout.
    let scratch = scratch_dir();
    std::fs::write(
        scratch.path().join("Cargo.toml"),
        "[workspace]\nmembers = []\n",
    )
    .unwrap();
    let author = Wharf::new(WHARF, scratch.path());
    let created = author.run(&["mixins", "create", "hello-mixin"]).ok();
    assert!(
        created.stdout.contains("hello_mixin.wasm"),
        "{}",
        created.stdout
    );
    let krate = scratch.path().join("hello-mixin");
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "README.md",
        "vendor/wit/0.2.0/mixin.wit",
    ] {
        assert!(krate.join(file).is_file(), "the scaffold has no {file}");
    }

    cargo(&krate, &["build", "--target", "wasm32-wasip2", "--release"]);
    cargo(&krate, &["test"]);
    let wasm = scaffold_target_dir().join("wasm32-wasip2/release/hello_mixin.wasm");

    let registry = TestRegistry::start();
    let reference = format!("{}/mixins/hello-mixin:0.1.0", registry.host());
    let published = author
        .run(&[
            "mixins",
            "publish",
            wasm.to_str().unwrap(),
            "--reference",
            &reference,
        ])
        .ok();
    assert!(
        published.stdout.contains("the hello-mixin mixin v0.1.0"),
        "{}",
        published.stdout
    );
    let digest = published
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("publish printed no digest:\n{}", published.stdout))
        .to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    // Pinned by digest, in a bundle whose user never installed the mixin.
    let pinned = format!(
        "hello-mixin@{}/mixins/hello-mixin@{digest}",
        registry.host()
    );
    let bundle = busybox_bundle("hello-bundle", MANIFEST, &[]);
    let manifest = bundle.path().join("porter.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("  - exec\n"), "{text}");
    std::fs::write(
        &manifest,
        text.replace("  - exec\n", &format!("  - {pinned}\n")),
    )
    .unwrap();
    let user = Wharf::new(WHARF, bundle.path());

    user.run(&["build"]).ok();
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.path().join("wharf.lock")).unwrap()).unwrap();
    let locked = &lock["mixins"]["hello-mixin"];
    assert_eq!(locked["requested"], pinned.as_str(), "{lock}");
    assert_eq!(locked["manifest"], digest.as_str(), "{lock}");
    assert_eq!(locked["version"], "0.1.0", "{lock}");

    let installed = user
        .run(&["install", "hello", "--param", "name=Wharf"])
        .ok();
    assert!(
        installed.stdout.contains("Hello, Wharf!") || installed.stderr.contains("Hello, Wharf!"),
        "the step's echo is shown:\n{}\n{}",
        installed.stdout,
        installed.stderr
    );
    assert_eq!(user.output_text("hello", "greeting"), "Hello, Wharf!");
}
