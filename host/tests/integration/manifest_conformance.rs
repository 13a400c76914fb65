//! Wharf reads every real porter.yaml in the conformance corpus
//! (`$WHARF_CONFORMANCE_DIR/porter-manifests`) and reports the known-bad
//! ones as Porter does.

use std::path::PathBuf;

use wharf::manifest::{self, Severity, TemplateSyntax};

fn corpus() -> PathBuf {
    let dir = std::env::var_os("WHARF_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        });
    let dir = dir.join("porter-manifests");
    assert!(
        dir.is_dir(),
        "the conformance corpus is missing at {}; set WHARF_CONFORMANCE_DIR",
        dir.display()
    );
    dir
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 40, "the corpus has 40 manifests");
    files
}

const EMPTY_STEPS: &str = "porter__pkg__manifest__testdata__empty-steps.yaml__porter.yaml";
/// A pre-v1 manifest: no schemaVersion, which Porter v1 refuses.
const NO_SCHEMA_VERSION: &str = "helm3-mixin__example__porter.yaml";

#[test]
fn every_manifest_parses_except_the_negative_ones() {
    let mut failures = Vec::new();
    for path in manifests() {
        let name = path.file_name().unwrap();
        let is_negative = name == EMPTY_STEPS || name == NO_SCHEMA_VERSION;
        match (manifest::load(&path), is_negative) {
            (Ok(_), false) | (Err(_), true) => {}
            (Err(e), false) => failures.push(e.to_string()),
            (Ok(_), true) => failures.push(format!("{} should fail", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn empty_steps_are_reported_per_action_with_their_lines() {
    let err = manifest::load(&corpus().join(EMPTY_STEPS)).unwrap_err();
    let errors: Vec<(String, usize)> = err.errors().map(|d| (d.field.clone(), d.line)).collect();
    assert_eq!(
        errors,
        [
            ("install[1]".to_string(), 19),
            ("status[0]".to_string(), 27),
            ("uninstall[1]".to_string(), 40)
        ]
    );
    assert!(
        err.errors()
            .all(|d| d.message.starts_with("found an empty step"))
    );
    let warnings: Vec<_> = err
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "the empty mixin entry is a warning: {warnings:?}"
    );
}

/// Porter v1 needs a schemaVersion; the error is at the top of the file
/// and says which one keeps `{{ }}` templates.
#[test]
fn a_manifest_without_schema_version_is_refused_at_its_top() {
    let err = manifest::load(&corpus().join(NO_SCHEMA_VERSION)).unwrap_err();
    let errors: Vec<_> = err.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].field.as_str(), errors[0].line, errors[0].column),
        ("schemaVersion", 1, 1)
    );
    assert!(errors[0].message.contains("1.0.0-alpha.1"), "{errors:?}");
    // What could be read is kept, for lint to check the rest.
    let partial = err.partial.expect("the rest of the manifest");
    assert_eq!(partial.template_syntax, TemplateSyntax::Mustache);
    assert!(!partial.mixins.is_empty());
}

#[test]
fn template_syntax_follows_schema_version() {
    let dir = corpus();
    let alpha = manifest::load(
        &dir.join("porter__tests__integration__testdata__bundles__exec-outputs__porter.yaml"),
    )
    .unwrap()
    .0;
    assert_eq!(alpha.template_syntax, TemplateSyntax::Mustache);
    let v1 = manifest::load(&dir.join("porter__tests__testdata__mybuns__porter.yaml"))
        .unwrap()
        .0;
    assert_eq!(v1.template_syntax, TemplateSyntax::Dollar);
}

#[test]
fn mybuns_reads_every_kind_of_field() {
    let (m, warnings) =
        manifest::load(&corpus().join("porter__tests__testdata__mybuns__porter.yaml")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(m.name, "mybuns");
    assert_eq!(m.version.as_ref().unwrap().to_string(), "0.1.2");
    assert_eq!(m.maintainers.len(), 4);
    assert_eq!(m.parameters.len(), 17);
    assert_eq!(m.credentials.len(), 2);
    assert_eq!(m.outputs.len(), 5);
    assert_eq!(
        m.custom_actions.keys().collect::<Vec<_>>(),
        ["dry-run", "status", "boom"]
    );
    assert!(m.requires_docker());
    assert_eq!(m.mixins[1].name, "testmixin");
    assert_eq!(
        m.mixins[1].config.as_ref().unwrap()["clientVersion"],
        "1.2.3"
    );
    let notype_file = m
        .parameters
        .iter()
        .find(|p| p.name == "notype-file")
        .unwrap();
    assert_eq!(notype_file.type_name(), "file");
    let log_level = m.parameters.iter().find(|p| p.name == "log_level").unwrap();
    assert_eq!(log_level.env_var().as_deref(), Some("LOG_LEVEL"));
    assert_eq!(log_level.default(), Some(&serde_json::json!(5)));
    assert_eq!(m.custom["foo"]["test5"]["1"], "one");
    assert_eq!(
        m.default_reference().as_deref(),
        Some("localhost:5000/mybuns:v0.1.2")
    );
    assert_eq!(
        m.install[1].description.as_deref(),
        Some("Let's make some magic")
    );
}
