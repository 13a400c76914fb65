//! `wharf lint` runs Porter's own rules with Porter's codes, reports every
//! problem of a manifest in one pass and in the order of the file, and is
//! as lenient as Porter where Porter ignores a field (with a warning).

use std::path::Path;
use std::sync::Arc;

use wharf::build::lint::{LintFinding, lint_manifest};
use wharf::home::WharfHome;
use wharf::mixin::{Catalog, HostConfig, Level, MemorySink, MixinHost};
use wharf_test_support::scratch_dir;

/// Lints `manifest` as porter.yaml with only the built-in exec installed.
async fn lint_text(manifest: &str) -> Vec<LintFinding> {
    let home = scratch_dir();
    let bundle = scratch_dir();
    let path = bundle.path().join("porter.yaml");
    std::fs::write(&path, manifest).unwrap();
    let host = MixinHost::new(HostConfig {
        sink: Arc::new(MemorySink::default()),
        ..HostConfig::default()
    })
    .unwrap();
    let catalog = Catalog::new(WharfHome::new(home.path()));
    // The manifest's own rules: the ones that pull dependencies are
    // `dependencies::rules` (unit) and e2e `dependencies`.
    lint_manifest(&path, &host, &catalog).await.findings
}

/// `(level, code, line)` of each finding, in the order given.
fn summary(findings: &[LintFinding]) -> Vec<(Level, &str, usize)> {
    findings
        .iter()
        .map(|f| (f.level, f.code.as_str(), f.location.line))
        .collect()
}

const STEPS: &str = "install:
  - exec:
      description: install
      command: echo
      arguments:
        - ${ bundle.parameters.later }
uninstall:
  - exec:
      description: uninstall
      command: echo
      arguments: [bye]
";

#[tokio::test(flavor = "multi_thread")]
async fn porters_rules_carry_porters_codes_and_point_at_the_line() {
    let manifest = format!(
        "schemaVersion: 1.1.0
name: rules
version: 0.1.0
mixins:
  - exec
parameters:
  - name: porter-debug
    type: boolean
    default: false
  - name: later
    type: string
    default: x
    applyTo: [uninstall]
credentials:
  - name: token
dependencies:
  requires:
    - name: db
      bundle:
        reference: example.com/db:v1
      parameters:
        password: ${{ bundle.parameters.nope }}
        token: ${{ bundle.credentials.missing }}
        ip: ${{ bundle.dependencies.ghost.outputs.ip }}
        early: ${{ outputs.port }}
        odd: ${{ somewhere.else }}
        fine: ${{ installation.name }}
      outputs:
        port: ${{ outputs.port }}
    - name: db
      bundle:
        reference: example.com/db:v2
{STEPS}"
    );
    let findings = lint_text(&manifest).await;
    let porter: Vec<_> = summary(&findings)
        .into_iter()
        .filter(|(_, code, _)| code.starts_with("porter-"))
        .collect();
    assert_eq!(
        porter,
        [
            (Level::Error, "porter-100", 7),
            (Level::Error, "porter-107", 18),
            (Level::Error, "porter-108", 18),
            (Level::Error, "porter-109", 18),
            (Level::Error, "porter-106", 18),
            (Level::Error, "porter-106", 18),
            (Level::Error, "porter-102", 30),
            (Level::Error, "porter-101", 38),
        ],
        "{findings:#?}"
    );
    let titled = |code: &str| findings.iter().find(|f| f.code == code).unwrap();
    assert_eq!(
        titled("porter-101").title,
        "Parameter does not apply to action"
    );
    assert!(
        titled("porter-101")
            .message
            .contains("Parameter later does not apply to install action")
    );
    assert_eq!(titled("porter-102").title, "Dependency error");
    assert!(
        titled("porter-102")
            .message
            .contains("The dependency db is defined multiple times")
    );
    assert_eq!(
        titled("porter-100").url.as_deref(),
        Some("https://porter.sh/docs/references/linter/#porter-100")
    );
    // Schema 1.1.0's dependencies are experimental in Porter: said once.
    assert!(
        findings
            .iter()
            .any(|f| f.code == "experimental" && f.message.contains("dependencies-v2"))
    );
}

/// The same wiring in a 1.0.1 manifest (dependencies v1) is not checked,
/// as Porter checks it only with dependencies v2.
#[tokio::test(flavor = "multi_thread")]
async fn dependency_wiring_is_checked_only_for_dependencies_v2() {
    let manifest = format!(
        "schemaVersion: 1.0.1
name: rules
version: 0.1.0
mixins:
  - exec
dependencies:
  requires:
    - name: db
      bundle:
        reference: example.com/db:v1
      parameters:
        password: ${{ bundle.parameters.nope }}
{}",
        STEPS.replace("${ bundle.parameters.later }", "hello")
    );
    let findings = lint_text(&manifest).await;
    assert!(findings.is_empty(), "{findings:#?}");
}

/// An error in the manifest does not hide the rest: a missing mixin, a
/// Porter rule and the manifest's own problems all come out, in the
/// order of the file, and a missing key is placed at the top.
#[tokio::test(flavor = "multi_thread")]
async fn one_pass_reports_everything_in_line_order() {
    let manifest = format!(
        "schemaType: Bundle
name: everything
mixins:
  - exec
  - nosuchmixin
parameters:
  - name: later
    type: string
    default: x
    applyTo: [uninstall]
    colour: blue
{STEPS}"
    );
    let findings = lint_text(&manifest).await;
    let lines: Vec<usize> = findings.iter().map(|f| f.location.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "{findings:#?}");
    let at = |field: &str| {
        findings
            .iter()
            .find(|f| f.location.field == field)
            .map(|f| (f.level, f.location.line, f.location.column))
    };
    // No schemaVersion (an error, as in Porter v1) and no version (a
    // warning: `build --version` gives one): both at the top.
    assert_eq!(at("schemaVersion"), Some((Level::Error, 1, 1)));
    assert_eq!(at("version"), Some((Level::Warning, 1, 1)));
    assert_eq!(at("parameters[0].colour").map(|a| a.0), Some(Level::Error));
    let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"mixin-missing"), "{codes:?}");
    // Without a schemaVersion the templates are `{{ }}`: `${ }` is text,
    // so porter-101 has nothing to say here.
    assert!(!codes.contains(&"porter-101"), "{codes:?}");
}

/// What Porter ignores, Wharf accepts with a warning: a credential's
/// `type`, the deprecated `tag` and `invocationImage`.
#[tokio::test(flavor = "multi_thread")]
async fn what_porter_ignores_is_a_warning() {
    let manifest = format!(
        "schemaVersion: 1.0.1
name: lenient
version: 0.1.0
tag: example.com/lenient:v1
invocationImage: example.com/lenient-installer:v1
mixins:
  - exec
credentials:
  - name: token
    type: string
    env: TOKEN
{}",
        STEPS.replace("${ bundle.parameters.later }", "hello")
    );
    let findings = lint_text(&manifest).await;
    assert_eq!(
        summary(&findings),
        [
            (Level::Warning, "manifest", 4),
            (Level::Warning, "manifest", 5),
            (Level::Warning, "manifest", 10),
        ],
        "{findings:#?}"
    );
    assert!(findings[0].message.contains("deprecated and ignored"));
    assert!(findings[2].message.contains("a credential has no type"));
    assert!(Path::new(&findings[0].location.file).ends_with("porter.yaml"));
}
