//! `wharf build` through a real dockerd: the image carries the mixins' lines,
//! the nonroot user, the staged files and the static runtime, which starts
//! on a Debian base and on a busybox base. An unchanged bundle is not
//! rebuilt: the second build makes no Docker API call at all.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use wharf_test_support::docker::{BUSYBOX_IMAGE, DEBIAN_IMAGE, DockerEnv, SOCKET, ensure_docker};
use wharf_test_support::docker_proxy::DockerProxy;
use wharf_test_support::runtime::runtime_binary;
use wharf_test_support::{guest_wasm, scratch_dir};

pub(crate) fn wharf(home: &Path, dir: &Path, docker_host: &str, args: &[&str]) -> Output {
    wharf_with_env(home, dir, docker_host, &[], args)
}

/// [`wharf`] with environment variables set, or unset where `None`.
pub(crate) fn wharf_with_env(
    home: &Path,
    dir: &Path,
    docker_host: &str,
    vars: &[(&str, Option<&std::ffi::OsStr>)],
    args: &[&str],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
    command
        .args(args)
        .current_dir(dir)
        .env("WHARF_HOME", home)
        .env("WHARF_RUNTIME", runtime_binary())
        .env("DOCKER_HOST", docker_host);
    for (name, value) in vars {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command.output().expect("wharf runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn manifest(name: &str) -> String {
    format!(
        r#"schemaVersion: 1.0.1
name: {name}
version: 0.1.0
mixins:
  - exec
  - runlines:
      marker: from-config
install:
  - exec:
      description: "Say hello"
      command: echo
      arguments:
        - "hello from ${{ bundle.name }}"
  - runlines:
      description: "Say more"
      message: "runlines was here"
upgrade:
  - exec:
      description: "Upgrade"
      command: echo
      arguments: [upgraded]
uninstall:
  - exec:
      description: "Uninstall"
      command: echo
      arguments: [bye]
"#
    )
}

/// [`manifest`] without the runlines mixin, which needs installing.
pub(crate) fn exec_only_manifest(name: &str) -> String {
    manifest(name)
        .replace("  - runlines:\n      marker: from-config\n", "")
        .replace(
            "  - runlines:\n      description: \"Say more\"\n      message: \"runlines was here\"\n",
            "",
        )
}

fn docker_json(env: &DockerEnv, args: &[&str]) -> Value {
    let out = env.docker().args(args).output().expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("docker printed JSON")
}

fn build_and_check(env: &DockerEnv, base: &str, name: &str) {
    let home = scratch_dir();
    let dir = scratch_dir();
    let install = wharf(
        home.path(),
        dir.path(),
        &env.docker_host(),
        &[
            "mixins",
            "install",
            guest_wasm("runlines").to_str().unwrap(),
        ],
    );
    assert!(install.status.success(), "{}", text(&install.stderr));
    std::fs::write(dir.path().join("porter.yaml"), manifest(name)).unwrap();

    let proxy = DockerProxy::start(Path::new(SOCKET));
    let built = wharf(
        home.path(),
        dir.path(),
        &proxy.docker_host(),
        &["build", "--base-image", base],
    );
    assert!(
        built.status.success(),
        "wharf build on {base}:\n{}\n{}",
        text(&built.stdout),
        text(&built.stderr)
    );
    assert!(proxy.connections() > 0, "the first build talks to Docker");

    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(".cnab/bundle.json")).unwrap())
            .unwrap();
    let image = bundle["invocationImages"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        bundle["invocationImages"][0]["contentDigest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(
        bundle["custom"]["sh.wharf"]["mixins"]["runlines"]["version"],
        "0.0.1"
    );

    let inspect = docker_json(env, &["image", "inspect", &image]);
    let config = &inspect[0]["Config"];
    assert_eq!(config["User"], "65532:0");
    assert_eq!(config["Cmd"], serde_json::json!(["/cnab/app/run"]));

    let listing = env
        .docker()
        .args(["run", "--rm", "--entrypoint", "/bin/sh", &image, "-c"])
        .arg("cat /opt/runlines/marker /opt/runlines/steps; ls /cnab/app/run /cnab/app/porter.yaml /cnab/wharf/mixins/exec.cwasm /cnab/wharf/mixins/runlines.cwasm /cnab/wharf/mixins/index.json /cnab/bundle.json; id -u")
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", text(&listing.stderr));
    let listing = text(&listing.stdout);
    assert!(
        listing.starts_with("from-config\n1\n"),
        "the mixin's RUN lines ran: {listing}"
    );
    assert!(listing.trim_end().ends_with("65532"), "{listing}");

    // The static runtime starts: without an action it refuses clearly...
    let bare = env.docker().args(["run", "--rm", &image]).output().unwrap();
    assert!(!bare.status.success());
    assert!(
        text(&bare.stderr).contains("CNAB_ACTION"),
        "{}",
        text(&bare.stderr)
    );
    // ...and with one it runs the bundle's steps through both mixins.
    let run = env
        .docker()
        .args([
            "run",
            "--rm",
            "-e",
            "CNAB_ACTION=install",
            "-e",
            "CNAB_INSTALLATION_NAME=e2e",
            &image,
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "install in {base}:\n{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    let out = text(&run.stdout);
    assert!(
        out.contains(&format!("hello from {name}")) && out.contains("runlines was here"),
        "{out}"
    );

    // Nothing changed: no Docker call at all.
    let idle = DockerProxy::start(Path::new(SOCKET));
    let again = wharf(
        home.path(),
        dir.path(),
        &idle.docker_host(),
        &["build", "--base-image", base],
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("up to date"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(
        idle.connections(),
        0,
        "an up-to-date build makes no Docker API call"
    );

    // A changed bundle file rebuilds.
    std::fs::write(dir.path().join("notes.txt"), "changed").unwrap();
    let changed = DockerProxy::start(Path::new(SOCKET));
    let rebuilt = wharf(
        home.path(),
        dir.path(),
        &changed.docker_host(),
        &["build", "--base-image", base],
    );
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    assert!(changed.connections() > 0, "a changed file rebuilds");
}

#[test]
fn build_on_debian() {
    build_and_check(&ensure_docker(), DEBIAN_IMAGE, "e2e-debian");
}

#[test]
fn build_on_busybox() {
    build_and_check(&ensure_docker(), BUSYBOX_IMAGE, "e2e-busybox");
}

#[test]
fn the_scaffold_builds_and_lints_clean() {
    let env = ensure_docker();
    let home = scratch_dir();
    let parent = scratch_dir();
    let created = wharf(
        home.path(),
        parent.path(),
        &env.docker_host(),
        &["create", "hello"],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let dir = parent.path().join("hello");
    let lint = wharf(
        home.path(),
        &dir,
        &env.docker_host(),
        &["lint", "-o", "json"],
    );
    assert!(lint.status.success(), "{}", text(&lint.stdout));
    assert_eq!(
        serde_json::from_slice::<Value>(&lint.stdout).unwrap(),
        serde_json::json!([])
    );
    let built = wharf(home.path(), &dir, &env.docker_host(), &["build"]);
    assert!(
        built.status.success(),
        "{}\n{}",
        text(&built.stdout),
        text(&built.stderr)
    );
}

/// Porter's `build --version` and `--name`: a porter.yaml without a
/// version lints (with a warning) and builds once given one; the built
/// bundle carries both; changing either rebuilds, repeating them does
/// not; `wharf --version` is still Wharf's own.
#[test]
fn build_takes_the_version_and_name_from_its_flags() {
    let env = ensure_docker();
    let home = scratch_dir();
    let dir = scratch_dir();
    let unversioned = exec_only_manifest("flagged").replace("version: 0.1.0\n", "");
    std::fs::write(dir.path().join("porter.yaml"), unversioned).unwrap();
    let run = |args: &[&str]| wharf(home.path(), dir.path(), &env.docker_host(), args);

    let lint = run(&["lint", "-o", "json"]);
    assert!(lint.status.success(), "{}", text(&lint.stdout));
    assert!(
        text(&lint.stdout).contains("--version"),
        "{}",
        text(&lint.stdout)
    );
    let refused = run(&["build", "--base-image", BUSYBOX_IMAGE]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("has no `version`"),
        "{}",
        text(&refused.stderr)
    );

    let flags = [
        "build",
        "--base-image",
        BUSYBOX_IMAGE,
        "--version",
        "v1.2.3",
        "--name",
        "renamed",
    ];
    let built = run(&flags);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(".cnab/bundle.json")).unwrap())
            .unwrap();
    assert_eq!(
        (bundle["name"].as_str(), bundle["version"].as_str()),
        (Some("renamed"), Some("1.2.3"))
    );
    assert!(text(&run(&flags).stdout).contains("up to date"));
    let next = run(&[
        "build",
        "--base-image",
        BUSYBOX_IMAGE,
        "--version",
        "1.2.4",
        "--name",
        "renamed",
    ]);
    assert!(
        text(&next.stdout).contains("Built"),
        "{}",
        text(&next.stdout)
    );
    let bad = run(&["build", "--version", "one"]);
    assert!(text(&bad.stderr).contains("--version `one` is not a semantic version"));

    let version = run(&["--version"]);
    assert_eq!(
        text(&version.stdout).trim(),
        format!("wharf {}", env!("CARGO_PKG_VERSION"))
    );
}
