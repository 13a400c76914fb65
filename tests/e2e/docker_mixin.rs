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
use wharf_test_support::registry::TestRegistry;
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
    write_debian_template(dir);
}

/// A Dockerfile template on the Debian base, where the mixin's apt line
/// installs the docker CLI.
fn write_debian_template(dir: &Path) {
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
        dockerfile.contains("# docker mixin: Debian packages docker.io")
            && dockerfile.contains("apt-get install -y -qq --no-install-recommends docker.io"),
        "the mixin's build asks for docker.io and Wharf writes the apt-get line:\n{dockerfile}"
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

/// Porter's `login` with no fields, through the grant the bundle gives:
/// the docker mixin reads exactly `$DOCKER_USERNAME` and `$DOCKER_PASSWORD`,
/// which reach the docker CLI (its config holds them after the login), and
/// a component granted one variable sees that one (and `PWD`, its working
/// directory) and no other, although the container has more set.
#[test]
fn a_login_with_no_fields_reads_only_the_granted_variables() {
    ensure_docker();
    let registry = TestRegistry::start();
    let work = scratch_dir();
    let manifest = format!(
        r#"schemaVersion: 1.0.1
name: docker-login
version: 0.1.0
dockerfile: Dockerfile.tmpl
required:
  - docker
mixins:
  - exec
  - docker:
    grant:
      env: [DOCKER_USERNAME, DOCKER_PASSWORD]
  - hostile-process:
    grant:
      env: [DOCKER_USERNAME]
credentials:
  - name: registry_user
    env: DOCKER_USERNAME
  - name: registry_password
    env: DOCKER_PASSWORD
  - name: unrelated
    env: UNRELATED_TOKEN
outputs:
  - name: logged_in
    type: string
    applyTo: [install]
  - name: mixin_env
    type: string
    applyTo: [install]
install:
  - docker:
      description: Log in with the granted variables
      login:
        arguments: ["{registry}"]
  - exec:
      description: Check what the CLI stored
      command: ./check-login.sh
      outputs:
        - name: logged_in
          regex: '(\d+)'
  - hostile-process:
      description: Read the environment it was given
      do: read-env
uninstall:
  - exec:
      description: Nothing to undo
      command: "true"
"#,
        registry = registry.host()
    );
    write_file(work.path(), "porter.yaml", &manifest);
    write_debian_template(work.path());
    // Counts the CLI's stored auths that hold exactly this user and password.
    write_file(
        work.path(),
        "check-login.sh",
        "#!/bin/sh\ngrep -c \"$(printf %s \"$DOCKER_USERNAME:$DOCKER_PASSWORD\" | base64)\" \"$HOME/.docker/config.json\"\n",
    );
    write_file(
        work.path(),
        "creds.json",
        r#"{"schemaType": "CredentialSet", "schemaVersion": "1.0.1", "name": "login-creds",
            "credentials": [
              {"name": "registry_user", "source": {"env": "TEST_REGISTRY_USER"}},
              {"name": "registry_password", "source": {"env": "TEST_REGISTRY_PASSWORD"}},
              {"name": "unrelated", "source": {"env": "TEST_UNRELATED"}}]}"#,
    );
    let wharf = Wharf::new(WHARF, work.path());
    for mixin in ["docker", "hostile-process"] {
        let wasm = guest_wasm(mixin);
        wharf
            .run(&["mixins", "install", wasm.to_str().unwrap()])
            .ok();
    }
    let lint = wharf.run(&["lint"]).ok();
    assert!(lint.stdout.contains("docker-109"), "{}", lint.stdout);
    assert!(
        lint.stdout
            .contains("the docker mixin may read $DOCKER_PASSWORD"),
        "{}",
        lint.stdout
    );
    let explain = wharf.run(&["explain"]).ok();
    assert!(
        explain
            .stdout
            .contains("The docker mixin is granted the environment variables DOCKER_USERNAME, DOCKER_PASSWORD."),
        "{}",
        explain.stdout
    );
    wharf.run(&["build"]).ok();
    let install = wharf.run_with_env(
        &[
            "install",
            "--allow-docker-host-access",
            "--credential-set",
            "creds.json",
        ],
        &[
            ("TEST_REGISTRY_USER", "wharf-user"),
            ("TEST_REGISTRY_PASSWORD", "pa55-granted-only"),
            ("TEST_UNRELATED", "not-for-mixins"),
        ],
    );
    let install = install.ok();
    assert!(!install.stdout.contains("pa55-granted-only"));
    assert_eq!(wharf.output_text("docker-login", "logged_in"), "1");
    assert_eq!(
        wharf.output_text("docker-login", "mixin_env"),
        "DOCKER_USERNAME=wharf-user\nPWD=/cnab/app",
        "the granted variable and the working directory the host sets, nothing else"
    );
}
