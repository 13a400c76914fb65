//! The docker mixin end to end, through the real dockerd: a bundle whose
//! install step `run`s a local image in a sibling container and captures
//! what it printed as a bundle output.
//!
//! The invocation image gets its docker CLI from the mixin's own build
//! lines (no `clientVersion`: Debian's `docker.io` through apt, which the
//! debootstrapped `debian:stable-slim` reaches). The step runs
//! `wharf.test/busybox:latest`, which exists only locally: `docker run`
//! pulls only a missing image, so no registry is involved.
//!
//! Socket access: with `--allow-docker-host-access` Wharf mounts
//! `/var/run/docker.sock` into the bundle's container and adds the socket's
//! group to it, so the bundle (uid 65532, group 0) can use a socket that is
//! `root:docker` 0660 with nothing special in its image.

use std::path::Path;

use wharf_test_support::cli::{Wharf, write_file};
use wharf_test_support::docker::{DEBIAN_IMAGE, SOCKET, ensure_docker};
use wharf_test_support::docker_proxy::DockerProxy;
use wharf_test_support::{guest_wasm, scratch_dir};

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

const MANIFEST: &str = r#"schemaVersion: 1.0.1
name: docker-hello
version: 0.1.0
dockerfile: Dockerfile.tmpl
required:
  - docker
mixins:
  - docker
outputs:
  - name: greeting
    type: string
    applyTo: [install]
install:
  - docker:
      description: Say hello from a sibling container
      run:
        image: wharf.test/busybox:latest
        rm: true
        command: echo
        arguments: ["hello from busybox"]
        outputs:
          - name: greeting
            regex: 'hello from (\S+)'
upgrade:
  - docker:
      description: Nothing to upgrade
      run:
        image: wharf.test/busybox:latest
        rm: true
        command: "true"
uninstall:
  - docker:
      description: Say goodbye
      run:
        image: wharf.test/busybox:latest
        rm: true
        command: echo
        arguments: [goodbye]
"#;

/// The bundle, on the Debian base.
fn write_bundle(dir: &Path) {
    write_file(dir, "porter.yaml", MANIFEST);
    write_file(
        dir,
        "Dockerfile.tmpl",
        &format!(
            "FROM {DEBIAN_IMAGE}\n# PORTER_INIT\n# PORTER_MIXINS\n\
             COPY --chown=65532:0 . ${{BUNDLE_DIR}}\n"
        ),
    );
}

#[test]
fn a_docker_step_runs_a_local_image_and_captures_its_output() {
    ensure_docker();
    let work = scratch_dir();
    write_bundle(work.path());
    let mut wharf = Wharf::new(WHARF, work.path());
    let mixin = guest_wasm("docker");
    wharf
        .run(&["mixins", "install", mixin.to_str().unwrap()])
        .ok();

    let lint = wharf.run(&["lint", "-o", "json"]).ok();
    assert!(!lint.stdout.contains("docker-1"), "{}", lint.stdout);
    wharf.run(&["build"]).ok();
    let dockerfile = std::fs::read_to_string(work.path().join(".cnab/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("apt-get install -y --no-install-recommends docker.io"),
        "the mixin's build lines install the CLI:\n{dockerfile}"
    );

    // Without --allow-docker-host-access: refused before Docker is asked
    // for anything, so before any container exists, and nothing recorded.
    let proxy = DockerProxy::start(Path::new(SOCKET));
    wharf.with_docker_host(proxy.docker_host());
    let refused = wharf.run(&["install"]).failed();
    assert!(
        refused.stderr.contains("--allow-docker-host-access"),
        "{}",
        refused.stderr
    );
    assert_eq!(proxy.connections(), 0, "wharf talked to Docker");
    let list = wharf
        .run(&["installations", "list", "-o", "json"])
        .ok()
        .json();
    assert_eq!(list, serde_json::json!([]));

    wharf.with_docker_host(format!("unix://{SOCKET}"));
    let install = wharf.run(&["install", "--allow-docker-host-access"]).ok();
    assert!(
        install.stdout.contains("hello from busybox"),
        "{}",
        install.stdout
    );
    assert_eq!(wharf.output_text("docker-hello", "greeting"), "busybox");

    let uninstall = wharf.run(&["uninstall", "--allow-docker-host-access"]).ok();
    assert!(uninstall.stdout.contains("goodbye"), "{}", uninstall.stdout);
    let statuses: Vec<String> = wharf
        .runs("docker-hello")
        .iter()
        .map(|r| format!("{} {}", r["action"], r["status"]))
        .collect();
    assert_eq!(
        statuses,
        ["\"uninstall\" \"succeeded\"", "\"install\" \"succeeded\""]
    );
}
