//! Two mixin worlds in one Wharf: a component built for `wharf:mixin@0.1.0`
//! keeps running beside 0.2.0 ones, through the real runtime in a real
//! container; grants are checked against what a mixin declares; and a fresh
//! home resolves the official mixins with no registry.

use wharf_test_support::cli::{Wharf, busybox_bundle, write_file};
use wharf_test_support::docker::{BUSYBOX_IMAGE, ensure_docker};
use wharf_test_support::{guest_wasm, scratch_dir};

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// The bundle's steps after the exec mixin, which `busybox_bundle` declares.
const TWO_WORLDS: &str = r#"  - legacy-v0-1:
    grant:
      env: [LEGACY_TOKEN]
  - runlines:
      marker: from-config
parameters:
  - name: legacy_token
    type: string
    default: granted-value
    env: LEGACY_TOKEN
  - name: unrelated
    type: string
    default: not-for-mixins
    env: UNRELATED_TOKEN
outputs:
  - name: legacy_said
    type: string
    applyTo: [install]
  - name: legacy_env
    type: string
    applyTo: [install]
  - name: said
    type: string
    applyTo: [install]
  - name: marker
    type: string
    applyTo: [install]
  - name: built
    type: string
    applyTo: [install]
  - name: copied
    type: string
    applyTo: [install]
install:
  - legacy-v0-1:
      description: Run the 0.1.0 mixin
      message: hello from 0.1.0
      outputs:
        - name: legacy_said
          destinationFile: /home/nonroot/legacy/said
  - runlines:
      description: Run the 0.2.0 mixin
      message: hello from 0.2.0
  - exec:
      description: Read the file the runtime wrote for the 0.1.0 mixin
      command: cat
      arguments: [/home/nonroot/legacy/said]
      outputs:
        - name: copied
          regex: "(.+)"
  - exec:
      description: Read what the 0.1.0 mixin's build left in the image
      command: cat
      arguments: [/opt/legacy/marker]
      outputs:
        - name: built
          regex: "(.+)"
uninstall:
  - legacy-v0-1:
      description: Say goodbye from 0.1.0
      message: bye
"#;

fn install_mixins(wharf: &Wharf, names: &[&str]) {
    for name in names {
        let wasm = guest_wasm(name);
        wharf
            .run(&["mixins", "install", wasm.to_str().unwrap()])
            .ok();
    }
}

#[test]
fn a_0_1_and_a_0_2_mixin_run_side_by_side_in_one_bundle() {
    ensure_docker();
    let dir = busybox_bundle("two-worlds", TWO_WORLDS, &[]);
    let wharf = Wharf::new(WHARF, dir.path());
    install_mixins(&wharf, &["legacy-v0-1", "runlines"]);

    let list = wharf.run(&["mixins", "list", "-o", "json"]).ok().json();
    let world = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not listed: {list}"))["worldVersion"]
            .clone()
    };
    assert_eq!(world("legacy-v0-1"), "0.1.0");
    assert_eq!(world("runlines"), "0.2.0");
    assert_eq!(world("exec"), "0.2.0");

    // A 0.1.0 mixin declares no variables: the author's grant is all it
    // gets, so lint shows the grant and does not call it undeclared.
    let lint = wharf.run(&["lint"]).ok();
    assert!(
        lint.stdout
            .contains("the legacy-v0-1 mixin may read $LEGACY_TOKEN"),
        "{}",
        lint.stdout
    );

    wharf.run(&["build"]).ok();
    wharf.run(&["install"]).ok();
    // The 0.1.0 mixin ran through the adapter: its command through the
    // host, its output back, its raw build lines in the image, and exactly
    // the granted variable in its environment.
    assert_eq!(
        wharf.output_text("two-worlds", "legacy_said"),
        "install: hello from 0.1.0\n"
    );
    assert_eq!(
        wharf.output_text("two-worlds", "legacy_env"),
        "LEGACY_TOKEN"
    );
    assert_eq!(wharf.output_text("two-worlds", "built"), "built-by-0.1.0 2");
    // The adapter turned its output's destinationFile into a file the
    // runtime wrote, as Wharf always did for 0.1.0.
    assert_eq!(
        wharf.output_text("two-worlds", "copied"),
        "install: hello from 0.1.0"
    );
    // The 0.2.0 mixin got its configuration at execute.
    assert_eq!(wharf.output_text("two-worlds", "said"), "hello from 0.2.0");
    assert_eq!(wharf.output_text("two-worlds", "marker"), "from-config");

    wharf.run(&["uninstall"]).ok();
    let runs = wharf.runs("two-worlds");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
}

#[test]
fn a_grant_the_mixin_does_not_declare_is_a_lint_error() {
    let dir = busybox_bundle(
        "undeclared-grant",
        r#"  - runlines:
    grant:
      env: [SOME_SECRET]
install:
  - runlines:
      description: Say something
      message: hi
uninstall:
  - exec:
      description: Nothing to undo
      command: "true"
"#,
        &[],
    );
    let wharf = Wharf::new(WHARF, dir.path());
    install_mixins(&wharf, &["runlines"]);
    let lint = wharf.run(&["lint"]).failed();
    assert!(
        lint.stdout.contains("mixin-grant-undeclared")
            && lint.stdout.contains(
                "the runlines mixin does not declare $SOME_SECRET among the variables it reads \
                 (it declares none)"
            ),
        "{}",
        lint.stdout
    );
    let build = wharf.run(&["build"]).failed();
    assert!(
        build.stderr.contains("mixin-grant-undeclared")
            || build.stdout.contains("mixin-grant-undeclared"),
        "{}\n{}",
        build.stdout,
        build.stderr
    );
}

/// On a fresh home with no registry, the official mixins resolve from the
/// binary: the build reaches the image, where the first download (helm,
/// from a mirror that refuses connections) is what stops it.
#[test]
fn a_fresh_home_builds_helm3_kubernetes_and_terraform_past_mixin_resolution() {
    ensure_docker();
    let dir = scratch_dir();
    let unreachable = "http://127.0.0.1:9";
    write_file(
        dir.path(),
        "porter.yaml",
        &format!(
            r#"schemaVersion: 1.0.1
name: three-official
version: 0.1.0
dockerfile: Dockerfile.tmpl
mixins:
  - helm3:
      mirror: {unreachable}/helm
      kubectlMirror: {unreachable}/k8s
  - kubernetes:
      mirror: {unreachable}/k8s
  - terraform:
      mirror: {unreachable}/terraform
install:
  - helm3:
      description: Install a chart
      name: web
      chart: ./chart
  - kubernetes:
      description: Apply manifests
      manifests: [manifests]
  - terraform:
      description: Apply
uninstall:
  - helm3:
      description: Remove the chart
      releases: [web]
"#
        ),
    );
    write_file(
        dir.path(),
        "Dockerfile.tmpl",
        &format!("FROM {BUSYBOX_IMAGE}\n# PORTER_INIT\n# PORTER_MIXINS\n"),
    );
    let wharf = Wharf::new(WHARF, dir.path());
    let build = wharf.run(&["build", "--no-lint"]).failed();
    let said = format!("{}\n{}", build.stdout, build.stderr);
    // Past resolution: the image build ran the host-written download line.
    assert!(
        said.contains(&format!(
            "{unreachable}/helm/helm-v3.17.3-linux-amd64.tar.gz"
        )),
        "{said}"
    );
    assert!(!said.contains("not installed"), "{said}");
    assert!(!said.contains("no version of the"), "{said}");
}
