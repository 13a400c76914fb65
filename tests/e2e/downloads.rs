//! The download lines Wharf writes for a mixin's `client` contributions, in
//! a real image build on the busybox base (wget, tar, sha256sum and no
//! apt): helm's tarball checked against its `.sha256sum` (`HASH  NAME`)
//! and unpacked, kubectl checked against its `.sha256` (a bare hash), both
//! served from a local mirror laid out like get.helm.sh and dl.k8s.io.
//! The programs are stand-in scripts: what is under test is that the right
//! file lands, checked, where the mixin asked, and that a file whose
//! checksum does not match never does.

use std::path::Path;
use std::process::Command;

use wharf_test_support::cli::{Wharf, busybox_bundle, write_file};
use wharf_test_support::file_server::FileServer;
use wharf_test_support::scratch_dir;

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

const HELM_VERSION: &str = "v3.17.3";
const KUBECTL_VERSION: &str = "v1.32.4";

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// An executable script `dir/name` (directories made) that prints
/// `stand-in NAME ARGS`.
fn stand_in(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let script = format!("{name}.sh");
    write_file(
        dir,
        &script,
        &format!("#!/bin/sh\necho \"stand-in {name} $*\"\n"),
    );
    std::fs::rename(dir.join(script), dir.join(name)).unwrap();
}

/// A mirror with helm under `helm/` and kubectl under `k8s/`; with
/// `tampered`, kubectl's published checksum is another file's.
fn mirror(tampered: bool) -> (tempfile::TempDir, FileServer) {
    let root = scratch_dir();
    let helm_dir = root.path().join("helm");
    let staging = root.path().join("staging/linux-amd64");
    std::fs::create_dir_all(&helm_dir).unwrap();
    stand_in(&staging, "helm");
    let tarball = format!("helm-{HELM_VERSION}-linux-amd64.tar.gz");
    let tar = Command::new("tar")
        .current_dir(root.path().join("staging"))
        .args(["-czf"])
        .arg(helm_dir.join(&tarball))
        .arg("linux-amd64")
        .status()
        .unwrap();
    assert!(tar.success());
    let sum = sha256(&helm_dir.join(&tarball));
    write_file(
        &helm_dir,
        &format!("{tarball}.sha256sum"),
        &format!("{sum}  {tarball}\n"),
    );

    let kubectl_dir = root
        .path()
        .join(format!("k8s/release/{KUBECTL_VERSION}/bin/linux/amd64"));
    stand_in(&kubectl_dir, "kubectl");
    let sum = if tampered {
        sha256(&helm_dir.join(&tarball))
    } else {
        sha256(&kubectl_dir.join("kubectl"))
    };
    write_file(&kubectl_dir, "kubectl.sha256", &sum);
    let server = FileServer::start(root.path());
    (root, server)
}

fn bundle(name: &str, url: &str) -> tempfile::TempDir {
    busybox_bundle(
        name,
        &format!(
            r#"  - helm3:
      mirror: {url}/helm
      kubectlMirror: {url}/k8s
outputs:
  - name: helm_said
    type: string
    applyTo: [install]
  - name: kubectl_said
    type: string
    applyTo: [install]
install:
  - exec:
      description: Run the downloaded helm
      command: helm
      arguments: [version]
      outputs:
        - name: helm_said
          regex: "(.+)"
  - exec:
      description: Run the downloaded kubectl
      command: kubectl
      arguments: [version]
      outputs:
        - name: kubectl_said
          regex: "(.+)"
uninstall:
  - exec:
      description: Nothing to undo
      command: "true"
"#
        ),
        &[],
    )
}

#[test]
fn downloads_land_checked_where_the_mixin_asked() {
    let (_root, server) = mirror(false);
    let dir = bundle("downloads", &server.url);
    let wharf = Wharf::new(WHARF, dir.path());
    wharf.run(&["build"]).ok();
    let served = server.served();
    for wanted in [
        format!("helm/helm-{HELM_VERSION}-linux-amd64.tar.gz"),
        format!("helm/helm-{HELM_VERSION}-linux-amd64.tar.gz.sha256sum"),
        format!("k8s/release/{KUBECTL_VERSION}/bin/linux/amd64/kubectl"),
        format!("k8s/release/{KUBECTL_VERSION}/bin/linux/amd64/kubectl.sha256"),
    ] {
        assert!(served.contains(&wanted), "{wanted} not in {served:?}");
    }
    wharf.run(&["install"]).ok();
    assert_eq!(
        wharf.output_text("downloads", "helm_said"),
        "stand-in helm version"
    );
    assert_eq!(
        wharf.output_text("downloads", "kubectl_said"),
        "stand-in kubectl version"
    );
}

#[test]
fn a_download_whose_checksum_does_not_match_fails_the_build() {
    let (_root, server) = mirror(true);
    let dir = bundle("bad-download", &server.url);
    let wharf = Wharf::new(WHARF, dir.path());
    let build = wharf.run(&["build"]).failed();
    let said = format!("{}\n{}", build.stdout, build.stderr);
    assert!(
        said.contains("FAILED"),
        "sha256sum -c names the mismatch: {said}"
    );
    // The image never got kubectl: there is no image to install.
    let install = wharf.run(&["install"]).failed();
    assert!(!install.stdout.contains("stand-in"), "{}", install.stdout);
}
