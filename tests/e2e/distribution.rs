//! Bundles and mixins through real registries (distribution 2.8 on
//! loopback) and a real dockerd: publish, install from a reference with an
//! empty `WHARF_HOME`, copy, archive into a second registry while the
//! first is down, a publish cut off before its index, and a build whose
//! pinned mixins come from a warm cache while the registry is down.

use std::path::Path;

use wharf_test_support::cli::{Wharf, busybox_bundle, write_file};
use wharf_test_support::fault_proxy::FaultProxy;
use wharf_test_support::registry::TestRegistry;
use wharf_test_support::{guest_wasm, scratch_dir};

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// A busybox bundle whose install makes the output `greeting` from the
/// parameter `name`.
fn greeting_bundle() -> tempfile::TempDir {
    busybox_bundle(
        "greeter",
        r#"parameters:
  - name: name
    type: string
    default: world
outputs:
  - name: greeting
    type: string
install:
  - exec:
      command: ./greet.sh
      arguments: ["${ bundle.parameters.name }"]
      outputs:
        - name: greeting
          regex: "greeting: (.*)"
upgrade:
  - exec:
      command: ./greet.sh
      arguments: [again]
uninstall:
  - exec:
      command: ./greet.sh
      arguments: [bye]
"#,
        &[("greet.sh", "#!/bin/sh\necho \"greeting: hello $1\"\n")],
    )
}

/// Installs `reference` with a fresh home in an empty directory and
/// returns the `greeting` output.
fn install_fresh(reference: &str, name: &str) -> String {
    let empty = scratch_dir();
    let wharf = Wharf::new(WHARF, empty.path());
    wharf
        .run(&[
            "install",
            "it",
            "--reference",
            reference,
            "--param",
            &format!("name={name}"),
        ])
        .ok();
    let show = wharf.show("it");
    assert!(
        show["bundle"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "the installation records the bundle digest: {show}"
    );
    wharf.output_text("it", "greeting")
}

/// The tags of `repository` in the registry at `host`.
async fn tags(host: &str, repository: &str) -> Vec<String> {
    use wharf::oci::registry::{Registry, RegistryOptions};
    let registry = Registry::new(RegistryOptions::default());
    let reference = Registry::parse_reference(&format!("{host}/{repository}:x")).unwrap();
    registry.list_tags(&reference).await.unwrap_or_default()
}

fn digest_in(stdout: &str) -> String {
    let start = stdout.find("sha256:").expect("a digest is printed");
    stdout[start..start + 71].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn published_bundles_install_from_the_registry_copy_and_archive() {
    let mut first = TestRegistry::start();
    let bundle = greeting_bundle();
    let author = Wharf::new(WHARF, bundle.path());
    let reference = format!("{}/demo/greeter:v0.1.0", first.host());
    let published = author.run(&["publish", "--reference", &reference]).ok();
    let digest = digest_in(&published.stdout);
    assert!(
        tags(&first.host(), "demo/greeter")
            .await
            .contains(&"v0.1.0".to_string())
    );

    // Installed from the registry alone, with an empty home.
    assert_eq!(install_fresh(&reference, "registry"), "hello registry");

    // Copied to another repository: same bundle, same digest.
    let copy = format!("{}/copies/greeter:v1", first.host());
    let copied = author
        .run(&["copy", "--source", &reference, "--destination", &copy])
        .ok();
    assert_eq!(digest_in(&copied.stdout), digest);
    assert_eq!(install_fresh(&copy, "copy"), "hello copy");
    // Pulled once, then read from the cache by digest: both times the
    // images point into the repository the bundle was pulled from.
    for _ in 0..2 {
        let inspected = author
            .run(&["inspect", "--reference", &copy, "-o", "json"])
            .ok()
            .json();
        assert_eq!(inspected["digest"], digest.as_str());
        let image = inspected["invocationImages"][0]["image"].as_str().unwrap();
        assert!(
            image.starts_with(&format!("{}/copies/greeter@sha256:", first.host())),
            "{image}"
        );
    }

    // Archived, then published into a second registry while the first is
    // down: the bundle installs from the second registry alone.
    let archive = scratch_dir();
    let file = archive.path().join("greeter.tgz");
    author
        .run(&["archive", file.to_str().unwrap(), "--reference", &reference])
        .ok();
    first.stop();
    let second = TestRegistry::start();
    let airgapped = format!("{}/airgap/greeter:v0.1.0", second.host());
    author
        .run(&[
            "publish",
            "--archive",
            file.to_str().unwrap(),
            "--reference",
            &airgapped,
        ])
        .ok();
    assert_eq!(install_fresh(&airgapped, "airgap"), "hello airgap");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_cut_off_before_its_index_leaves_no_tag() {
    let registry = TestRegistry::start();
    // Cut every push of an index (or of the manifest-list fallback).
    let proxy = FaultProxy::start(&registry.host(), |head| {
        let head = head.to_ascii_lowercase();
        head.starts_with("put ")
            && head.contains("/manifests/")
            && (head.contains("image.index") || head.contains("manifest.list"))
    });
    let bundle = greeting_bundle();
    let author = Wharf::new(WHARF, bundle.path());
    let reference = format!("{}/cut/greeter:v0.1.0", proxy.host());
    let failed = author.run(&["publish", "--reference", &reference]).failed();
    assert!(proxy.cuts() >= 1, "the index push was never attempted");
    assert!(
        failed.stderr.contains(&proxy.host()) && failed.stderr.contains("cut/greeter"),
        "the error names the registry and repository:\n{}",
        failed.stderr
    );
    // Everything before the index got there, and no bundle tag did.
    let tags = tags(&registry.host(), "cut/greeter").await;
    assert!(
        tags.iter().any(|t| t.starts_with("installer-")),
        "the invocation image was pushed first: {tags:?}"
    );
    assert!(
        !tags.contains(&"v0.1.0".to_string()),
        "a tag was left: {tags:?}"
    );
}

#[test]
fn a_build_with_a_warm_lock_and_cache_needs_no_registry() {
    let mut registry = TestRegistry::start();
    let exec = guest_wasm("exec");
    let reference = format!("{}/mixins/exec:1.0.0", registry.host());
    let bundle = greeting_bundle();
    let manifest = bundle.path().join("porter.yaml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("  - exec\n", &format!("  - exec@{reference}\n"));
    std::fs::write(&manifest, text).unwrap();
    let author = Wharf::new(WHARF, bundle.path());
    author
        .run(&[
            "mixins",
            "publish",
            exec.to_str().unwrap(),
            "--reference",
            &reference,
        ])
        .ok();

    author.run(&["build"]).ok();
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.path().join("wharf.lock")).unwrap()).unwrap();
    let pinned = &lock["mixins"]["exec"];
    assert_eq!(pinned["reference"], reference.as_str());
    assert!(pinned["manifest"].as_str().unwrap().starts_with("sha256:"));
    let bundle_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.path().join(".cnab/bundle.json")).unwrap())
            .unwrap();
    let stamped = &bundle_json["custom"]["sh.wharf"]["mixins"]["exec"];
    assert_eq!(
        stamped["digest"], pinned["digest"],
        "the lock's digest is stamped"
    );
    assert_eq!(stamped["reference"], reference.as_str());

    registry.stop();
    write_file(
        bundle.path(),
        "notes.txt",
        "a change, so the image is rebuilt",
    );
    let rebuilt = author.run(&["build"]).ok();
    assert!(!rebuilt.stdout.contains("up to date"), "{}", rebuilt.stdout);
    // Asking for newer mixins does need the registry, and says so.
    let refused = author.run(&["build", "--update-lock"]).failed();
    assert!(
        refused.stderr.contains(&registry.host()),
        "{}",
        refused.stderr
    );
    assert!(Path::new(&bundle.path().join("wharf.lock")).exists());
}

/// A registry that refuses OCI indexes gets cnab-to-oci's fallback, a
/// Docker manifest list, and the bundle installs from it.
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_refusing_oci_indexes_gets_a_docker_manifest_list() {
    let registry = TestRegistry::start();
    let proxy = FaultProxy::start(&registry.host(), |head| {
        let head = head.to_ascii_lowercase();
        head.starts_with("put ") && head.contains("/manifests/") && head.contains("image.index")
    });
    let bundle = greeting_bundle();
    let author = Wharf::new(WHARF, bundle.path());
    let reference = format!("{}/fallback/greeter:v1", proxy.host());
    author.run(&["publish", "--reference", &reference]).ok();
    assert!(proxy.cuts() >= 1, "the OCI index was never offered");
    assert!(
        tags(&registry.host(), "fallback/greeter")
            .await
            .contains(&"v1".to_string())
    );
    assert_eq!(install_fresh(&reference, "fallback"), "hello fallback");
}
