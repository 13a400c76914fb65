//! The terraform mixin end to end, through the real dockerd, on a machine
//! without internet: the test serves the local `terraform` binary as a
//! HashiCorp-style release (`terraform_<v>_linux_amd64.zip` and
//! `terraform_<v>_SHA256SUMS`) from a small HTTP server on the host, and the
//! bundle's `mirror` points the image build at it. The terraform files use
//! only the built-in `terraform_data` resource, so no provider is needed.
//!
//! The Debian bundle runs Porter's whole terraform lifecycle: install
//! applies and returns outputs; upgrade changes a var and updates the same
//! resource, which it can only do if install's state came back through the
//! state bag; a custom action runs `terraform show`; uninstall destroys
//! the resource using the vars install saved in `terraform.tfvars.json`.
//! The busybox bundle shows the build lines work without apt.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use wharf_test_support::cli::{Wharf, write_file};
use wharf_test_support::docker::{BUSYBOX_IMAGE, DEBIAN_IMAGE};
use wharf_test_support::file_server::FileServer;
use wharf_test_support::{guest_wasm, scratch_dir};

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// The host's terraform packaged as a HashiCorp release, made once per
/// test process: zipping it takes seconds, and it never changes.
struct Release {
    /// The terraform version.
    version: String,
    /// `terraform_<v>_linux_amd64.zip` and `terraform_<v>_SHA256SUMS`.
    dir: tempfile::TempDir,
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(package_terraform)
}

fn package_terraform() -> Release {
    let binary = find_on_path("terraform")
        .expect("terraform must be on PATH: the test serves it to the image build");
    let version_json = run_ok(
        Command::new(&binary)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1"),
    );
    let version: serde_json::Value = serde_json::from_str(&version_json).unwrap();
    let version = version["terraform_version"].as_str().unwrap().to_string();

    let dir = scratch_dir();
    let zip = format!("terraform_{version}_linux_amd64.zip");
    run_ok(
        Command::new("zip")
            .current_dir(dir.path())
            .args(["-q", "-j", &zip])
            .arg(&binary),
    );
    let sum = run_ok(Command::new("sha256sum").current_dir(dir.path()).arg(&zip));
    // A decoy line first: the build must pick the zip's own line.
    let sums = format!(
        "{}  terraform_{version}_darwin_amd64.zip\n{sum}",
        "0".repeat(64)
    );
    write_file(
        dir.path(),
        &format!("terraform_{version}_SHA256SUMS"),
        &sums,
    );
    Release { version, dir }
}

/// A local release mirror for the host's terraform, one per test: what it
/// saw was asked for by that test's build alone. It serves until the test
/// process ends.
struct Mirror {
    /// The URL of the directory, as the bundle's `mirror`.
    url: String,
    /// The terraform version it serves.
    version: String,
    /// What it serves from.
    server: FileServer,
}

impl Mirror {
    fn start() -> Mirror {
        let release = release();
        let server = FileServer::start(release.dir.path());
        Mirror {
            url: format!("{}/", server.url),
            version: release.version.clone(),
            server,
        }
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Runs a command and returns its stdout, panicking with both streams on
/// failure.
#[track_caller]
fn run_ok(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const MAIN_TF: &str = r#"variable "greeting" {
  type = string
}

resource "terraform_data" "example" {
  input = var.greeting
}

output "greeting" {
  value = terraform_data.example.output
}

output "resource_id" {
  value = terraform_data.example.id
}

output "info" {
  value = { greeting = var.greeting, count = 2 }
}
"#;

/// A bundle on `base` that installs terraform from `mirror`, whose
/// terraform files live in `tf_dir`, with Porter's state entries for the
/// state file and the var file there; `config` is more of the mixin's
/// configuration.
fn terraform_bundle(
    mirror: &Mirror,
    name: &str,
    base: &str,
    tf_dir: &str,
    config: &str,
) -> tempfile::TempDir {
    let dir = scratch_dir();
    write_file(
        dir.path(),
        "porter.yaml",
        &format!(
            r#"schemaVersion: 1.0.1
name: {name}
version: 0.1.0
dockerfile: Dockerfile.tmpl
mixins:
  - terraform:
      clientVersion: "{version}"
      mirror: "{url}"{config}
parameters:
  - name: greeting
    type: string
    default: hello
state:
  - name: tfstate
    path: {tf_dir}/terraform.tfstate
  - name: tfvars
    path: {tf_dir}/terraform.tfvars.json
outputs:
  - name: greeting
    type: string
    applyTo: [install, upgrade]
  - name: resource_id
    type: string
    applyTo: [install, upgrade]
  - name: info
    type: string
    applyTo: [install]
install:
  - terraform:
      description: Create the resource
      vars:
        greeting: ${{ bundle.parameters.greeting }}
      outputs:
        - name: greeting
        - name: resource_id
        - name: info
upgrade:
  - terraform:
      description: Update the resource
      vars:
        greeting: ${{ bundle.parameters.greeting }}
      outputs:
        - name: greeting
        - name: resource_id
show:
  - terraform:
      description: Show the state
customActions:
  show:
    description: Run terraform show
    modifies: false
uninstall:
  - terraform:
      description: Destroy the resource
"#,
            version = mirror.version,
            url = mirror.url,
        ),
    );
    write_file(
        dir.path(),
        "Dockerfile.tmpl",
        &format!(
            "FROM {base}\n# PORTER_INIT\n# PORTER_MIXINS\nCOPY --chown=65532:0 . ${{BUNDLE_DIR}}\n"
        ),
    );
    std::fs::create_dir(dir.path().join(tf_dir)).unwrap();
    write_file(&dir.path().join(tf_dir), "main.tf", MAIN_TF);
    dir
}

/// Wharf with the freshly built terraform mixin installed.
fn wharf_with_terraform(dir: &Path) -> Wharf {
    let wharf = Wharf::new(WHARF, dir);
    let wasm = guest_wasm("terraform");
    wharf
        .run(&["mixins", "install", wasm.to_str().unwrap()])
        .ok();
    let mixins = wharf.run(&["mixins", "list", "-o", "json"]).ok().json();
    let terraform = mixins
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "terraform")
        .unwrap_or_else(|| panic!("terraform is not installed: {mixins}"));
    assert_eq!(terraform["programs"], serde_json::json!(["terraform"]));
    wharf
}

/// `wharf lint` reports the mixin's findings with their codes, and fails
/// on the errors.
#[test]
fn lint_reports_terraform_mistakes() {
    let dir = scratch_dir();
    write_file(
        dir.path(),
        "porter.yaml",
        r#"schemaVersion: 1.0.1
name: tf-lint
version: 0.1.0
mixins:
  - terraform
install:
  - terraform:
      description: State outside the bundle
      workingDir: /tmp/tf
      outputs:
        - destinationFile: out.txt
upgrade:
  - terraform:
      description: Upgrade
      disableVarFile: true
uninstall:
  - terraform:
      description: Uninstall
"#,
    );
    let wharf = wharf_with_terraform(dir.path());
    let lint = wharf.run(&["lint"]).failed();
    let text = format!("{}{}", lint.stdout, lint.stderr);
    for code in ["terraform-100", "terraform-101", "terraform-102"] {
        assert!(text.contains(code), "no {code} in:\n{text}");
    }
}

/// Install, upgrade, a custom action and uninstall on Porter's Debian base.
#[test]
fn terraform_lifecycle_keeps_state_in_the_state_bag() {
    let mirror = Mirror::start();
    let dir = terraform_bundle(&mirror, "tf-lifecycle", DEBIAN_IMAGE, "terraform", "");
    let wharf = wharf_with_terraform(dir.path());
    assert!(
        wharf
            .run(&["lint"])
            .ok()
            .stdout
            .lines()
            .all(|l| !l.contains("terraform-1")),
        "the bundle lints clean"
    );

    let install = wharf.run(&["install"]).ok();
    assert!(
        install
            .stdout
            .contains("Apply complete! Resources: 1 added"),
        "{}",
        install.stdout
    );
    let zip = format!("terraform_{}_linux_amd64.zip", mirror.version);
    let served: BTreeSet<String> = mirror.server.served().into_iter().collect();
    assert!(
        served.contains(&zip),
        "the build used the mirror: {served:?}"
    );

    assert_eq!(wharf.output_text("tf-lifecycle", "greeting"), "hello");
    assert_eq!(
        wharf.output_text("tf-lifecycle", "info"),
        r#"{"count":2,"greeting":"hello"}"#
    );
    let id = wharf.output_text("tf-lifecycle", "resource_id");
    assert!(!id.is_empty());

    let upgrade = wharf.run(&["upgrade", "--param", "greeting=bye"]).ok();
    assert!(
        upgrade.stdout.contains("1 changed, 0 destroyed"),
        "the upgrade updates install's resource in place: {}",
        upgrade.stdout
    );
    assert_eq!(wharf.output_text("tf-lifecycle", "greeting"), "bye");
    assert_eq!(
        wharf.output_text("tf-lifecycle", "resource_id"),
        id,
        "the same resource, so install's state came back"
    );

    let show = wharf.run(&["invoke", "--action", "show"]).ok();
    assert!(
        show.stdout.contains("terraform_data.example") && show.stdout.contains(&id),
        "terraform show lists the resource from the state bag: {}",
        show.stdout
    );

    // No vars here: destroy reads the install's terraform.tfvars.json,
    // carried by the state bag, for the variable without a default.
    let uninstall = wharf.run(&["uninstall"]).ok();
    assert!(
        uninstall
            .stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        uninstall.stdout
    );
    let logs = wharf.run(&["logs", "show", "-i", "tf-lifecycle"]).ok();
    assert!(
        logs.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        logs.stdout
    );
    let runs: Vec<String> = wharf
        .runs("tf-lifecycle")
        .iter()
        .map(|r| format!("{} {}", r["action"], r["status"]))
        .collect();
    assert_eq!(
        runs,
        [
            r#""uninstall" "succeeded""#,
            r#""show" "succeeded""#,
            r#""upgrade" "succeeded""#,
            r#""install" "succeeded""#
        ]
    );
}

/// The same build lines on busybox (wget, unzip and sha256sum applets, no
/// apt-get), with a configured working directory, which the build bakes
/// into the image for the steps, and Porter's build-time `terraform init`
/// of the `initFile`, whose files must still be the bundle user's to use.
#[test]
fn terraform_installs_on_busybox_with_a_configured_working_dir() {
    let mirror = Mirror::start();
    let dir = terraform_bundle(
        &mirror,
        "tf-busybox",
        BUSYBOX_IMAGE,
        "infra",
        "\n      workingDir: infra\n      initFile: main.tf",
    );
    let wharf = wharf_with_terraform(dir.path());
    let install = wharf.run(&["install", "--param", "greeting=hi"]).ok();
    assert!(
        install.stderr.contains("terraform init -backend=false"),
        "the build ran terraform init: {}",
        install.stderr
    );
    assert_eq!(wharf.output_text("tf-busybox", "greeting"), "hi");
    let uninstall = wharf.run(&["uninstall"]).ok();
    assert!(
        uninstall
            .stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        uninstall.stdout
    );
}

/// A `destinationFile` outside `/cnab`, where the mixin may not write,
/// comes back in the step result (`wharf:mixin@0.2.0`) and is written by
/// the runtime after the step (owner-only), there for the next step; the
/// run's log, which the record keeps, says where it went. The working
/// directory comes from the configuration at `execute`: nothing is baked
/// into the image.
#[test]
fn terraform_destination_file_outside_the_bundle_reaches_the_next_step() {
    let mirror = Mirror::start();
    let dir = terraform_bundle(&mirror, "tf-destination", BUSYBOX_IMAGE, "terraform", "");
    let manifest = std::fs::read_to_string(dir.path().join("porter.yaml")).unwrap();
    let manifest = manifest
        .replace("mixins:\n", "mixins:\n  - exec\n")
        .replace(
            "      outputs:\n        - name: greeting\n        - name: resource_id\n        - name: info\n",
            "      outputs:\n        - name: greeting\n          destinationFile: /home/nonroot/.tf/greeting\n        \
             - name: resource_id\n        - name: info\n  - exec:\n      description: Read the file\n      \
             command: cat\n      arguments: [/home/nonroot/.tf/greeting]\n      outputs:\n        \
             - name: copied\n          regex: \"(.+)\"\n",
        )
        .replace(
            "outputs:\n  - name: greeting\n",
            "outputs:\n  - name: copied\n    type: string\n    applyTo: [install]\n  - name: greeting\n",
        );
    assert!(manifest.contains("destinationFile"), "{manifest}");
    std::fs::write(dir.path().join("porter.yaml"), manifest).unwrap();
    let wharf = wharf_with_terraform(dir.path());
    let install = wharf
        .run(&["install", "--param", "greeting=from-terraform"])
        .ok();
    assert_eq!(
        wharf.output_text("tf-destination", "copied"),
        "from-terraform"
    );
    let said = "the runtime wrote /home/nonroot/.tf/greeting (14 bytes) for the terraform mixin";
    assert!(
        install.stderr.contains(said) || install.stdout.contains(said),
        "{}\n{}",
        install.stdout,
        install.stderr
    );
    // The run's record keeps the log line.
    let logs = wharf.run(&["logs", "show", "-i", "tf-destination"]).ok();
    assert!(logs.stdout.contains(said), "{}", logs.stdout);
}
