//! Issue 11's attacks on what a pinned mixin may run and on the precompiled
//! mixins, played by the `hostile-image` test guest through the real host
//! and the real runtime on a staged `/cnab` tree. (The same attacks through
//! `wharf build`, dockerd and a real container are in `tests/e2e/hostile_image.rs`.)

use serde_json::json;
use sha2::{Digest, Sha256};
use wharf::mixin::{BuildInput, Contribution, HostConfig, MixinHost};
use wharf_test_support::guest_wasm;

use crate::runtime_common::{BundleJson, Staged, exec_cwasm};

const MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
install:
  - exec:
      description: "Say hello"
      command: echo
      arguments: ["hello from exec"]
"#;

fn host() -> MixinHost {
    MixinHost::new(HostConfig::default()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The attack: a `build` (or `metadata`) whose answer depends on the clock
/// or a random number says one thing when the bundle is built and another
/// later. Pure calls see a stopped clock and seeded randomness, so the
/// answers are the same every time, in every process.
#[tokio::test]
async fn pure_calls_answer_the_same_whatever_the_clock_or_randomness() {
    let wasm = guest_wasm("hostile-image");
    let first = host().load_file(&wasm).await.unwrap();
    // Its metadata declares `sh` once the clock is past 2001: a stopped
    // clock never gets there.
    assert_eq!(first.metadata().programs, ["echo"]);
    let input = BuildInput {
        config: Some(json!({"clock": true})),
        actions: vec![],
    };
    let lines = first.build(&input, None).await.unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        matches!(&lines[0], Contribution::DockerfileLine(l) if l.starts_with("RUN echo ")),
        "{lines:?}"
    );
    assert_eq!(first.build(&input, None).await.unwrap(), lines);
    let second = host().load_file(&wasm).await.unwrap();
    assert_eq!(second.metadata(), first.metadata());
    assert_eq!(second.build(&input, None).await.unwrap(), lines);
}

/// The attack: a step rewrites another mixin's precompiled file (with a
/// valid frame checksum: here, another mixin's real compiled code) so that
/// the runtime deserializes native code of its choosing. The runtime checks
/// the file against the digest the index recorded and refuses it, naming
/// the mixin; with the built file back, the next run works.
#[tokio::test]
async fn a_precompiled_mixin_changed_after_the_build_is_not_loaded() {
    let staged = Staged::new(&BundleJson::new(), MANIFEST);
    let exec = staged.layout.mixins_dir().join("exec.cwasm");
    let component = std::fs::read(guest_wasm("hostile-image")).unwrap();
    let hostile = host()
        .precompile(
            "hostile-image",
            wharf::digest::Digest::of(&component),
            &component,
        )
        .unwrap();
    std::fs::write(&exec, &hostile).unwrap();

    let err = staged.run("install", &[]).await.err();
    assert!(
        err.contains("exec")
            && err.contains("not the precompiled mixin this bundle was built with")
            && err.contains(&sha256(exec_cwasm()))
            && err.contains("rebuild the bundle"),
        "{err}"
    );

    std::fs::write(&exec, exec_cwasm()).unwrap();
    let ran = staged.run("install", &[]).await;
    ran.ok();
    assert!(ran.stdout().contains("hello from exec"), "{}", ran.stdout());
}

/// The attack: the mixin in the image answers `metadata` with other
/// programs than it was pinned with. The runtime runs a mixin only with the
/// programs its index records, and refuses one that now says otherwise.
#[tokio::test]
async fn a_mixin_whose_programs_differ_from_its_pin_is_not_run() {
    let staged = Staged::new(&BundleJson::new(), MANIFEST);
    let index_path = staged.layout.mixins_dir().join("index.json");
    let pinned: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let mut narrowed = pinned.clone();
    narrowed[0]["programs"] = json!(["echo"]);
    std::fs::write(&index_path, narrowed.to_string()).unwrap();

    let err = staged.run("install", &[]).await.err();
    assert!(
        err.contains("exec")
            && err.contains("now declares the programs [*]")
            && err.contains("pinned with [echo]"),
        "{err}"
    );

    std::fs::write(&index_path, pinned.to_string()).unwrap();
    staged.run("install", &[]).await.ok();
}
