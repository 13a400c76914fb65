//! Bad manifests each get one clear message that names the place and says
//! what to do.

use std::path::Path;

use wharf::manifest;

const HEAD: &str = "schemaVersion: 1.0.1\nname: bad\nversion: 0.1.0\nmixins:\n  - exec\n";
const INSTALL: &str = "install:\n  - exec:\n      description: hi\n      command: echo\n";

/// Parses `text` and returns its only error as (line, field, message).
fn only_error(text: &str) -> (usize, String, String) {
    let err =
        manifest::parse(text, Path::new("porter.yaml")).expect_err("the manifest must be rejected");
    let errors: Vec<_> = err.errors().collect();
    assert_eq!(errors.len(), 1, "expected exactly one error, got:\n{err}");
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("porter.yaml:{}:", errors[0].line)),
        "the message shows file:line: {shown}"
    );
    (
        errors[0].line,
        errors[0].field.clone(),
        errors[0].message.clone(),
    )
}

fn check(text: &str, line: usize, field: &str, message: &str) {
    let (l, f, m) = only_error(text);
    assert_eq!((l, f.as_str()), (line, field), "{m}");
    assert!(m.contains(message), "{m:?} should contain {message:?}");
}

#[test]
fn typo_in_a_field_suggests_the_right_one() {
    check(
        &format!("{HEAD}{INSTALL}parameters:\n  - name: p\n    tpye: string\n"),
        12,
        "parameters[0].tpye",
        "did you mean `type`?",
    );
}

#[test]
fn typo_in_a_top_level_field_suggests_the_right_one() {
    check(
        &format!("{HEAD}{INSTALL}paramters:\n  - name: p\n"),
        10,
        "paramters",
        "did you mean `parameters`?",
    );
}

#[test]
fn wrong_type() {
    check(
        &format!("{HEAD}{INSTALL}credentials:\n  - name: c\n    required: maybe\n"),
        12,
        "credentials[0].required",
        "must be true or false, not a string",
    );
}

#[test]
fn missing_install() {
    check(
        HEAD,
        1,
        "install",
        "is required; every bundle needs an install action",
    );
}

#[test]
fn unknown_mixin_in_a_step() {
    check(
        &format!("{HEAD}install:\n  - helm3:\n      description: x\n"),
        7,
        "install[0].helm3",
        "not declared in `mixins`; add `- helm3` to mixins",
    );
}

#[test]
fn template_pointing_at_an_undeclared_parameter() {
    let text = format!(
        "{HEAD}parameters:\n  - name: region\ninstall:\n  - exec:\n      description: hi\n      command: echo\n      arguments:\n        - \"${{ bundle.parameters.regoin }}\"\n"
    );
    check(
        &text,
        13,
        "install[0].exec",
        "refers to the parameter `regoin`, which is not declared; did you mean `region`?",
    );
}

#[test]
fn bad_semver() {
    check(
        &format!("schemaVersion: 1.0.1\nname: bad\nversion: 1.2\nmixins: [exec]\n{INSTALL}"),
        3,
        "version",
        "is not a semantic version",
    );
}

#[test]
fn yaml_syntax_error_has_a_position() {
    let (line, _, message) = only_error(&format!("{HEAD}{INSTALL}parameters: [\n  - name: p\n"));
    assert!(line >= 10, "line {line}");
    assert!(message.starts_with("invalid YAML"), "{message}");
}

#[test]
fn duplicate_parameter_with_different_settings() {
    let text = format!(
        "{HEAD}{INSTALL}parameters:\n  - name: p\n    type: string\n  - name: p\n    type: integer\n"
    );
    check(
        &text,
        13,
        "parameters[1].name",
        "declared twice in parameters with different settings; the first is at line 11",
    );
}

#[test]
fn unknown_parameter_type() {
    check(
        &format!("{HEAD}{INSTALL}parameters:\n  - name: p\n    type: strng\n"),
        12,
        "parameters[0].type",
        "did you mean `string`?",
    );
}

#[test]
fn default_of_the_wrong_type() {
    check(
        &format!("{HEAD}{INSTALL}parameters:\n  - name: n\n    type: integer\n    default: ten\n"),
        13,
        "parameters[0].default",
        "is not of type integer",
    );
}

#[test]
fn apply_to_an_action_that_does_not_exist() {
    check(
        &format!("{HEAD}{INSTALL}outputs:\n  - name: o\n    applyTo: [instal]\n"),
        11,
        "outputs.o.applyTo",
        "did you mean `install`?",
    );
}

#[test]
fn parameter_sourced_from_an_undeclared_output() {
    check(
        &format!("{HEAD}{INSTALL}parameters:\n  - name: p\n    source:\n      output: nope\n"),
        11,
        "parameters.p.source.output",
        "names the output `nope`, which is not declared",
    );
}

#[test]
fn a_step_naming_two_mixins() {
    let text = format!(
        "{HEAD}install:\n  - exec:\n      description: a\n      command: echo\n    helm3: {{}}\n"
    );
    check(&text, 7, "install[0]", "names exactly one mixin");
}

#[test]
fn an_empty_step() {
    check(
        &format!("{HEAD}install:\n  -\n"),
        7,
        "install[0]",
        "found an empty step",
    );
}

#[test]
fn file_parameter_without_a_path() {
    check(
        &format!("{HEAD}{INSTALL}parameters:\n  - name: kubeconfig\n    type: file\n"),
        11,
        "parameters.kubeconfig",
        "without a `path`",
    );
}

#[test]
fn duplicate_yaml_key() {
    check(
        &format!("{HEAD}{INSTALL}version: 0.2.0\n"),
        10,
        "",
        "the key \"version\" is defined twice",
    );
}

#[test]
fn unsupported_schema_version() {
    check(
        &format!("schemaVersion: 9.9.9\nname: bad\nversion: 0.1.0\nmixins: [exec]\n{INSTALL}"),
        1,
        "schemaVersion",
        "is not a schema version Wharf reads",
    );
}

#[test]
fn all_problems_are_reported_in_one_pass() {
    let text = "schemaVersion: 1.0.1\nname: Bad Name\nversion: one\nmixins: [exec]\nparameters:\n  - name: p\n    tpye: string\n";
    let err = manifest::parse(text, Path::new("porter.yaml")).unwrap_err();
    let fields: Vec<&str> = err.errors().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        ["install", "name", "version", "parameters[0].tpye"],
        "{err}"
    );
}

#[test]
fn a_working_directory_that_is_the_whole_bundle_directory_is_refused() {
    check(
        "schemaVersion: 1.0.1\nname: bad\nversion: 0.1.0\nmixins:\n  - exec\n  - terraform:\n      workingDir: .\ninstall:\n  - exec:\n      command: echo\n",
        6,
        "mixins.terraform",
        "mixins.terraform.workingDir: `.` is the whole bundle directory",
    );
}

#[test]
fn two_mixins_cannot_share_a_working_directory() {
    check(
        "schemaVersion: 1.0.1\nname: bad\nversion: 0.1.0\nmixins:\n  - exec\n  - terraform:\n      workingDir: exec/tf\ninstall:\n  - exec:\n      command: echo\n",
        6,
        "mixins.terraform",
        "its working directory `exec/tf` overlaps the exec mixin's",
    );
}
